//! Atomic writes and concurrent writers on one provider.

#![allow(clippy::unwrap_used)]

mod common;

use common::{admin, assert_envelope, provider_with_vcpu, start};
use placement_refserver::ServerConfig;
use serde_json::json;

fn alloc(provider: &str, vcpu: u32) -> serde_json::Value {
    json!({"allocations": {provider: {"resources": {"VCPU": vcpu}}},
           "project_id": "p", "user_id": "u", "consumer_generation": null,
           "consumer_type": "INSTANCE"})
}

#[tokio::test]
async fn a_failing_multi_consumer_write_leaves_nothing() {
    let s = start(ServerConfig::default()).await;
    let url = s.url();
    let a = provider_with_vcpu(&url, "a", 4).await;
    let b = provider_with_vcpu(&url, "b", 4).await;
    let before_a = admin(&url, "GET", &format!("/resource_providers/{a}"), None).await;
    let c1 = "11111111-1111-4111-8111-111111111111";
    let c2 = "22222222-2222-4222-8222-222222222222";
    // c1 fits on a; c2 asks more than b has: the whole request fails.
    let body = json!({c1: alloc(&a, 2), c2: alloc(&b, 5)});
    let got = admin(&url, "POST", "/allocations", Some(body)).await;
    assert_envelope(&got, 409);
    let got = admin(&url, "GET", &format!("/allocations/{c1}"), None).await;
    assert_eq!(got.body["allocations"], json!({}), "{}", got.text);
    let usages = admin(
        &url,
        "GET",
        &format!("/resource_providers/{a}/usages"),
        None,
    )
    .await;
    assert_eq!(usages.body["usages"]["VCPU"], 0);
    let after_a = admin(&url, "GET", &format!("/resource_providers/{a}"), None).await;
    assert_eq!(before_a.body["generation"], after_a.body["generation"]);
    s.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_never_over_allocate() {
    let s = start(ServerConfig::default()).await;
    let url = s.url();
    let total = 10;
    let p = provider_with_vcpu(&url, "host", total).await;
    let writers = 24;
    let mut tasks = Vec::new();
    for i in 0..writers {
        let (url, p) = (url.clone(), p.clone());
        tasks.push(tokio::spawn(async move {
            let consumer = format!("00000000-0000-4000-8000-{i:012}");
            admin(
                &url,
                "PUT",
                &format!("/allocations/{consumer}"),
                Some(alloc(&p, 1)),
            )
            .await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        let got = t.await.unwrap();
        match got.status {
            204 => ok += 1,
            409 => assert_envelope(&got, 409),
            other => panic!("unexpected {other}: {}", got.text),
        }
    }
    assert_eq!(ok, total, "exactly the capacity is granted");
    let usages = admin(
        &url,
        "GET",
        &format!("/resource_providers/{p}/usages"),
        None,
    )
    .await;
    assert_eq!(usages.body["usages"]["VCPU"], total);
    let listed = admin(
        &url,
        "GET",
        &format!("/resource_providers/{p}/allocations"),
        None,
    )
    .await;
    assert_eq!(
        listed.body["allocations"].as_object().unwrap().len(),
        total as usize
    );
    s.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_generation_writers_serialise_and_stale_ones_get_409() {
    let s = start(ServerConfig::default()).await;
    let url = s.url();
    let p = provider_with_vcpu(&url, "host", 8).await;
    let start_gen = admin(&url, "GET", &format!("/resource_providers/{p}"), None)
        .await
        .body["generation"]
        .as_u64()
        .unwrap();
    // Every writer sends the same generation: one wins, the rest are stale.
    let writers = 12;
    let mut tasks = Vec::new();
    for i in 0..writers {
        let (url, p) = (url.clone(), p.clone());
        tasks.push(tokio::spawn(async move {
            let body = json!({"resource_provider_generation": start_gen,
                              "inventories": {"VCPU": {"total": 8 + i}}});
            admin(
                &url,
                "PUT",
                &format!("/resource_providers/{p}/inventories"),
                Some(body),
            )
            .await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        let got = t.await.unwrap();
        if got.status == 200 {
            ok += 1;
        } else {
            assert_envelope(&got, 409);
            assert_eq!(got.body["errors"][0]["code"], "placement.concurrent_update");
        }
    }
    assert_eq!(ok, 1);
    let end_gen = admin(&url, "GET", &format!("/resource_providers/{p}"), None)
        .await
        .body["generation"]
        .as_u64()
        .unwrap();
    assert_eq!(end_gen, start_gen + 1);
    s.shutdown().await.unwrap();
}
