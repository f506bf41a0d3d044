//! Property test: generated requests (methods, paths, headers, bodies) never
//! get a 5xx or a panic, and every error is Placement's envelope with a
//! short detail. Runs the router in-process (tower `oneshot`), so hundreds
//! of cases take well under a second of server time.

#![allow(clippy::unwrap_used)]

use axum::body::{Body, to_bytes};
use axum::http::Request;
use placement_refserver::{ServerConfig, router};
use proptest::prelude::*;
use serde_json::Value;
use tower::ServiceExt;

const UUID: &str = "2290d4af-9e6e-400b-9d65-1ee0dbd15f19";

/// The methods the API description has, and three it has on no route.
fn method() -> impl Strategy<Value = &'static str> {
    let mut all: Vec<&'static str> = Vec::new();
    for op in placement_api::operations() {
        if !all.contains(&op.method) {
            all.push(op.method);
        }
    }
    all.extend(["PATCH", "HEAD", "OPTIONS"]);
    prop::sample::select(all)
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(UUID.to_owned()),
        Just("VCPU".to_owned()),
        Just("CUSTOM_X".to_owned()),
        "[a-zA-Z0-9_%<>'.-]{0,40}",
        Just("%ff%fe".to_owned()),
        Just("a".repeat(300)),
    ]
}

/// Every route of the API description, parameters as `{}`, and two paths
/// no route has.
fn templates() -> Vec<String> {
    let mut all: Vec<String> = placement_api::route::routes()
        .iter()
        .map(|route| {
            route
                .split('/')
                .map(|seg| if seg.starts_with('{') { "{}" } else { seg })
                .collect::<Vec<_>>()
                .join("/")
        })
        .map(|t| if t.is_empty() { "/".to_owned() } else { t })
        .collect();
    all.extend(["/{}".to_owned(), "/{}/{}/{}".to_owned()]);
    all
}

fn path() -> impl Strategy<Value = String> {
    let template = prop::sample::select(templates());
    let query = prop_oneof![
        Just(String::new()),
        "\\?[a-z_]{1,12}=[A-Za-z0-9:,!%_-]{0,40}",
        Just("?resources=VCPU:1&required=!CUSTOM_X&member_of=in:".to_owned() + UUID),
        Just("?project_id=p&consumer_type=all".to_owned()),
        Just("?limit=99999999999999999999999".to_owned()),
    ];
    (template, segment(), segment(), query).prop_map(|(t, a, b, q)| {
        let filled = t
            .replacen("{}", &a, 1)
            .replacen("{}", &b, 1)
            .replacen("{}", &a, 1);
        format!("{filled}{q}")
    })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(Vec::new()),
        prop::collection::vec(any::<u8>(), 0..200),
        Just(br#"{"name": "x"}"#.to_vec()),
        Just(format!(r#"{{"allocations": {{"{UUID}": {{"resources": {{"VCPU": 1}}}}}}, "project_id": "p", "user_id": "u", "consumer_generation": null, "consumer_type": "I"}}"#).into_bytes()),
        Just(br#"{"resource_provider_generation": 0, "inventories": {"VCPU": {"total": 1e400}}}"#.to_vec()),
        Just(("[".repeat(300) + &"]".repeat(300)).into_bytes()),
        "\\{\"[a-z_]{1,20}\": (null|true|-1|1.5|\"[^\"]{0,20}\"|\\[\\]|\\{\\})\\}".prop_map(String::into_bytes),
    ]
}

fn version() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        (0u16..45).prop_map(|m| Some(format!("placement 1.{m}"))),
        Just(Some("placement latest".to_owned())),
        "[ -~]{0,20}".prop_map(Some),
    ]
}

fn token() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some("admin".to_owned())),
        Just(Some("user:project".to_owned())),
        "[ -~]{0,30}".prop_map(Some),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn no_5xx_and_always_the_envelope(
        method in method(),
        path in path(),
        body in body(),
        version in version(),
        token in token(),
        json_type in any::<bool>(),
        roles in prop::option::of(prop::sample::select(vec!["admin", "service", "reader"])),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let app = router(ServerConfig::default()).unwrap();
        let mut req = Request::builder().method(method).uri(&path);
        if let Some(v) = &version {
            req = req.header("openstack-api-version", v.as_str());
        }
        if let Some(t) = &token {
            req = req.header("x-auth-token", t.as_str());
        }
        if json_type {
            req = req.header("content-type", "application/json");
        }
        if let Some(r) = roles {
            req = req.header("x-roles", r);
        }
        let Ok(req) = req.body(Body::from(body)) else {
            // Header values or URIs the HTTP layer itself refuses never reach a server.
            return Ok(());
        };
        let (status, headers, bytes) = runtime.block_on(async {
            // The UUID the generators use names a provider with inventory,
            // so requests reach the allocation and inventory code, not only
            // its 404s.
            for (method, path, body) in [
                ("POST", "/resource_providers".to_owned(), format!(r#"{{"name": "p", "uuid": "{UUID}"}}"#)),
                ("PUT", format!("/resource_providers/{UUID}/inventories"),
                 r#"{"resource_provider_generation": 0, "inventories": {"VCPU": {"total": 8}}}"#.to_owned()),
            ] {
                let setup = Request::builder()
                    .method(method)
                    .uri(path)
                    .header("x-auth-token", "admin")
                    .header("openstack-api-version", "placement 1.39")
                    .header("content-type", "application/json")
                    .body(Body::from(body))
                    .unwrap();
                let done = app.clone().oneshot(setup).await.unwrap();
                assert!(done.status().is_success(), "setup: {}", done.status());
            }
            let resp = app.oneshot(req).await.unwrap();
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let bytes = to_bytes(resp.into_body(), 1 << 22).await.unwrap();
            (status, headers, bytes)
        });
        prop_assert!(status < 500, "{method} {path}: {status}");
        prop_assert!(headers.get("x-openstack-request-id").is_some());
        prop_assert_eq!(headers.get("x-content-type-options").map(|v| v.as_bytes()), Some(&b"nosniff"[..]));
        // A HEAD answer has no body, by HTTP; its status and headers are checked above.
        if status >= 400 && method != "HEAD" {
            let v: Value = serde_json::from_slice(&bytes)
                .map_err(|e| TestCaseError::fail(format!("{method} {path} -> {status}: {e}")))?;
            let e = &v["errors"][0];
            prop_assert_eq!(&e["status"], &Value::from(status));
            let detail = e["detail"].as_str().unwrap();
            prop_assert!(detail.len() < 700, "{}", detail);
            prop_assert!(!detail.contains('<'), "{}", detail);
            // What the scanner's leak oracle reports in real Placement's errors.
            for leak in ["Failed validating", "schema[", "On instance[", "Traceback", ".py", "site-packages"] {
                prop_assert!(!detail.contains(leak), "{}", detail);
            }
        }
    }
}
