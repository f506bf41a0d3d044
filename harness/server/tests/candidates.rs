//! `GET /allocation_candidates` over HTTP: the shapes by microversion, and
//! the work budget answered as a clean 400 in the envelope.

#![allow(clippy::unwrap_used)]

mod common;

use common::{admin, assert_envelope, call, start};
use placement_refserver::ServerConfig;
use serde_json::json;

async fn tree(url: &str, children: usize) -> String {
    let root = admin(
        url,
        "POST",
        "/resource_providers",
        Some(json!({"name": "root"})),
    )
    .await;
    let root = root.body["uuid"].as_str().unwrap().to_owned();
    for i in 0..children {
        let c = admin(
            url,
            "POST",
            "/resource_providers",
            Some(json!({"name": format!("numa{i}"), "parent_provider_uuid": root})),
        )
        .await;
        let c = c.body["uuid"].as_str().unwrap().to_owned();
        let inv = admin(
            url,
            "PUT",
            &format!("/resource_providers/{c}/inventories"),
            Some(json!({"resource_provider_generation": 0, "inventories": {"VCPU": {"total": 4}}})),
        )
        .await;
        assert_eq!(inv.status, 200, "{}", inv.text);
    }
    root
}

#[tokio::test]
async fn shapes_follow_the_microversion() {
    let s = start(ServerConfig::default()).await;
    let url = s.url();
    let root = tree(&url, 2).await;
    let got = admin(&url, "GET", "/allocation_candidates?resources=VCPU:1", None).await;
    assert_eq!(got.status, 200, "{}", got.text);
    let reqs = got.body["allocation_requests"].as_array().unwrap();
    assert_eq!(reqs.len(), 2);
    assert!(reqs[0]["allocations"].is_object() && reqs[0]["mappings"].is_object());
    let summary = &got.body["provider_summaries"][&root];
    assert_eq!(summary["root_provider_uuid"], root.as_str());
    assert!(summary["traits"].is_array());
    // 1.10: the list form, no mappings, no traits, no tree fields.
    let old = call(
        &url,
        "GET",
        "/allocation_candidates?resources=VCPU:1",
        Some("admin"),
        Some("1.10"),
        None,
        &[],
    )
    .await;
    assert_eq!(old.status, 200, "{}", old.text);
    let first = &old.body["allocation_requests"][0];
    assert!(first["allocations"].is_array(), "{}", old.text);
    assert!(first.get("mappings").is_none());
    // Before 1.10 the route does not exist.
    let none = call(
        &url,
        "GET",
        "/allocation_candidates?resources=VCPU:1",
        Some("admin"),
        Some("1.9"),
        None,
        &[],
    )
    .await;
    assert_envelope(&none, 404);
    s.shutdown().await.unwrap();
}

#[tokio::test]
async fn over_the_work_budget_is_a_clean_400() {
    let s = start(ServerConfig::default()).await;
    let url = s.url();
    tree(&url, 30).await;
    // Three granular groups over 30 providers: 27,000 combinations.
    let q = "/allocation_candidates?resources1=VCPU:1&resources2=VCPU:1&resources3=VCPU:1&group_policy=none";
    let got = admin(&url, "GET", q, None).await;
    assert_envelope(&got, 400);
    let detail = got.body["errors"][0]["detail"].as_str().unwrap();
    assert!(detail.contains("combinations"), "{detail}");
    // A narrow request on the same data still answers.
    let got = admin(
        &url,
        "GET",
        "/allocation_candidates?resources=VCPU:1&limit=2",
        None,
    )
    .await;
    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(got.body["allocation_requests"].as_array().unwrap().len(), 2);
    s.shutdown().await.unwrap();
}

/// Real Placement 16.0.0 answers this request with candidates that allocate
/// 5 VCPU for a request of 3: with `group_policy=isolate`,
/// `copy_arr_if_needed` (`objects/research_context.py:342`) hands back the
/// shared AllocationRequestResource and `_consolidate_allocation_requests`
/// (`objects/allocation_candidate.py:688`) adds to it in place, so amounts
/// leak from one candidate into the next. Every candidate here asks for
/// exactly what the groups asked.
#[tokio::test]
async fn granular_candidates_allocate_exactly_what_the_groups_ask() {
    let s = start(ServerConfig::default()).await;
    let url = s.url();
    let root = admin(
        &url,
        "POST",
        "/resource_providers",
        Some(json!({"name": "cn"})),
    )
    .await;
    let root = root.body["uuid"].as_str().unwrap().to_owned();
    let child = admin(
        &url,
        "POST",
        "/resource_providers",
        Some(json!({"name": "numa", "parent_provider_uuid": root})),
    )
    .await;
    let child = child.body["uuid"].as_str().unwrap().to_owned();
    for (p, total) in [(&root, 8), (&child, 4)] {
        let inv = admin(
            &url,
            "PUT",
            &format!("/resource_providers/{p}/inventories"),
            Some(json!({"resource_provider_generation": 0, "inventories": {"VCPU": {"total": total}}})),
        )
        .await;
        assert_eq!(inv.status, 200, "{}", inv.text);
    }
    let q = "/allocation_candidates?resources=VCPU:1&resources1=VCPU:2&group_policy=isolate";
    let got = admin(&url, "GET", q, None).await;
    assert_eq!(got.status, 200, "{}", got.text);
    let reqs = got.body["allocation_requests"].as_array().unwrap();
    assert_eq!(reqs.len(), 4, "{}", got.text);
    for r in reqs {
        let total: u64 = r["allocations"]
            .as_object()
            .unwrap()
            .values()
            .map(|a| a["resources"]["VCPU"].as_u64().unwrap())
            .sum();
        assert_eq!(total, 3, "{r}");
    }
    s.shutdown().await.unwrap();
}
