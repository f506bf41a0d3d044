//! `placement-harness openapi`: the document parses as JSON, has every
//! route and method of the model with its parameters, and its request
//! bodies are the model's, in JSON Schema.

#![allow(clippy::unwrap_used)]

use placement_harness::cli::main_with;
use placement_harness::model::surface;
use serde_json::Value;

fn document() -> Value {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = main_with(
        vec!["placement-harness".into(), "openapi".into()],
        &mut out,
        &mut err,
    );
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&err));
    serde_json::from_slice(&out).expect("openapi prints JSON")
}

#[test]
fn document_has_the_whole_surface() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["version"], "1.39");
    assert_eq!(
        doc["components"]["securitySchemes"]["token"]["name"],
        "X-Auth-Token"
    );
    let paths = doc["paths"].as_object().unwrap();
    for op in surface() {
        let o = &paths[op.route][op.method.to_ascii_lowercase()];
        assert!(o.is_object(), "{} {}", op.method, op.route);
        let params = o["parameters"].as_array().unwrap();
        assert_eq!(params[0]["$ref"], "#/components/parameters/microversion");
        let path_params: Vec<&str> = params
            .iter()
            .filter(|p| p["in"] == "path")
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        let expected: Vec<&str> = op.path.iter().map(|(n, _)| *n).collect();
        assert_eq!(path_params, expected, "{}", op.route);
        for (name, _) in &op.path {
            assert!(op.route.contains(&format!("{{{name}}}")));
        }
        let queries = params.iter().filter(|p| p["in"] == "query").count();
        assert_eq!(queries, op.query.len(), "{}", op.route);
        assert_eq!(
            o["requestBody"].is_object(),
            op.body_at(39).is_some(),
            "{} {}",
            op.method,
            op.route
        );
        assert!(o["responses"][op.success.to_string()].is_object());
        assert!(
            o["responses"]["400"]["$ref"]
                .as_str()
                .unwrap()
                .ends_with("/Error")
        );
        assert_eq!(o["security"] == serde_json::json!([]), op.route == "/");
    }
    // The inventories of PUT .../inventories are not closed, as in
    // Placement's schema; the allocations of PUT /allocations are.
    let inv = &paths["/resource_providers/{uuid}/inventories"]["put"]["requestBody"]["content"]["application/json"]
        ["schema"]["properties"]["inventories"];
    assert_eq!(inv["type"], "object");
    assert!(inv.get("additionalProperties").is_none());
    let alloc = &paths["/allocations/{consumer_uuid}"]["put"];
    let body = &alloc["requestBody"]["content"]["application/json"]["schema"];
    assert_eq!(
        body["properties"]["allocations"]["additionalProperties"],
        false
    );
    let req: Vec<&str> = body["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(req.contains(&"consumer_type") && req.contains(&"consumer_generation"));
    assert_eq!(alloc["x-placement-bodies"].as_array().unwrap().len(), 6);
}

#[test]
fn output_option_writes_the_file() {
    let dir = std::env::temp_dir().join(format!("ph-openapi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("placement.json");
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = main_with(
        vec![
            "placement-harness".into(),
            "openapi".into(),
            "--output".into(),
            path.display().to_string(),
        ],
        &mut out,
        &mut err,
    );
    assert_eq!(code, 0);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), document());
    let bad = main_with(
        vec![
            "placement-harness".into(),
            "openapi".into(),
            "--output".into(),
            dir.join("no/such/dir.json").display().to_string(),
        ],
        &mut out,
        &mut err,
    );
    assert_eq!(bad, 2);
    assert!(String::from_utf8_lossy(&err).contains("--output"));
    let _ = std::fs::remove_dir_all(&dir);
}
