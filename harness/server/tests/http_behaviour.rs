//! The reference server's common behaviour over HTTP: the error envelope on
//! every kind of error, microversions, auth modes, strict UUIDs and limits.

#![allow(clippy::unwrap_used)]

mod common;

use common::{admin, assert_envelope, call, start};
use placement_refserver::{AuthMode, ServerConfig};
use serde_json::json;

#[tokio::test]
async fn every_error_has_the_envelope_and_the_headers() {
    let s = start(ServerConfig::default()).await;
    let url = s.url();
    // 401: no token.
    let got = call(&url, "GET", "/resource_providers", None, None, None, &[]).await;
    assert_envelope(&got, 401);
    // 401: an empty token, or one that cannot name a user.
    // (HTTP trims blanks around a header value, so " " arrives empty.)
    for token in ["", " ", "a b", "x:a\tb"] {
        let got = call(
            &url,
            "GET",
            "/resource_providers",
            None,
            None,
            None,
            &[("x-auth-token", token)],
        )
        .await;
        assert_envelope(&got, 401);
    }
    // 404: unknown path, with the version headers.
    let got = admin(&url, "GET", "/nope", None).await;
    assert_envelope(&got, 404);
    assert_eq!(got.body["errors"][0]["code"], "placement.undefined_code");
    assert_eq!(got.header("openstack-api-version"), Some("placement 1.39"));
    assert_eq!(got.header("vary"), Some("openstack-api-version"));
    // 405 with Allow.
    let got = admin(&url, "PATCH", "/resource_providers", None).await;
    assert_envelope(&got, 405);
    assert_eq!(got.header("allow"), Some("GET, POST"));
    // 406 with the range.
    let got = call(&url, "GET", "/", None, Some("1.40"), None, &[]).await;
    assert_envelope(&got, 406);
    assert_eq!(got.body["errors"][0]["max_version"], "1.39");
    assert_eq!(got.body["errors"][0]["min_version"], "1.0");
    // 400: bad body; 415: wrong content type.
    let got = admin(
        &url,
        "POST",
        "/resource_providers",
        Some(json!({"nome": "x"})),
    )
    .await;
    assert_envelope(&got, 400);
    let got = call(
        &url,
        "POST",
        "/resource_providers",
        Some("admin"),
        Some("1.39"),
        None,
        &[("content-type", "text/plain")],
    )
    .await;
    assert_envelope(&got, 415);
    // No code before 1.23, as Placement.
    let got = call(&url, "GET", "/nope", Some("admin"), Some("1.22"), None, &[]).await;
    assert_envelope(&got, 404);
    assert!(got.body["errors"][0].get("code").is_none(), "{}", got.text);
    // Success answers carry the headers too, and no Server banner.
    let got = call(&url, "GET", "/", None, None, None, &[]).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body["versions"][0]["max_version"], "1.39");
    assert!(got.header("x-openstack-request-id").is_some());
    assert!(got.header("server").is_none());
    s.shutdown().await.unwrap();
}

#[tokio::test]
async fn schema_rejections_say_what_and_where_without_the_schema() {
    let s = start(ServerConfig::default()).await;
    let url = s.url();
    for (body, words) in [
        (json!({"name": "x".repeat(201)}), "is too long"),
        (
            json!({"name": "a", "extra": 1}),
            "Additional properties are not allowed",
        ),
        (json!({}), "'name' is a required property"),
        (json!({"name": "a", "uuid": "nope"}), "is not a 'uuid'"),
    ] {
        let got = admin(&url, "POST", "/resource_providers", Some(body)).await;
        assert_envelope(&got, 400);
        let detail = got.body["errors"][0]["detail"].as_str().unwrap();
        assert!(detail.starts_with("JSON does not validate: "), "{detail}");
        assert!(detail.contains(words), "{detail}");
        assert!(
            !detail.contains("Failed validating") && !detail.contains("schema["),
            "{detail}"
        );
    }
    s.shutdown().await.unwrap();
}

#[tokio::test]
async fn microversion_edge_cases() {
    let s = start(ServerConfig::default()).await;
    let url = s.url();
    for bad in [
        "placement 1.01",
        "placement 1.1_0",
        "placement 1.2, placement 1.3",
        "1.2",
        "placement  1.2",
        "compute 2.1",
        "placement 01.2",
    ] {
        let got = call(
            &url,
            "GET",
            "/",
            None,
            None,
            None,
            &[("openstack-api-version", bad)],
        )
        .await;
        assert_envelope(&got, 400);
    }
    let got = call(&url, "GET", "/", None, Some("latest"), None, &[]).await;
    assert_eq!(got.header("openstack-api-version"), Some("placement 1.39"));
    let got = call(&url, "GET", "/", None, None, None, &[]).await;
    assert_eq!(got.header("openstack-api-version"), Some("placement 1.0"));
    // Per-route minimums: /traits needs 1.6, /reshaper 1.30.
    let got = call(
        &url,
        "GET",
        "/traits",
        Some("admin"),
        Some("1.5"),
        None,
        &[],
    )
    .await;
    assert_envelope(&got, 404);
    let got = call(
        &url,
        "GET",
        "/traits",
        Some("admin"),
        Some("1.6"),
        None,
        &[],
    )
    .await;
    assert_eq!(got.status, 200);
    // Cache headers from 1.15 only.
    let got = call(
        &url,
        "GET",
        "/resource_providers",
        Some("admin"),
        Some("1.14"),
        None,
        &[],
    )
    .await;
    assert!(got.header("last-modified").is_none());
    let got = call(
        &url,
        "GET",
        "/resource_providers",
        Some("admin"),
        Some("1.15"),
        None,
        &[],
    )
    .await;
    assert_eq!(got.header("cache-control"), Some("no-cache"));
    assert!(got.header("last-modified").unwrap().ends_with(" GMT"));
    s.shutdown().await.unwrap();
}

#[tokio::test]
async fn identity_headers_are_ignored_unless_trusted() {
    let spoof = [("x-roles", "admin")];
    let s = start(ServerConfig::default()).await;
    let got = call(
        &s.url(),
        "GET",
        "/resource_providers",
        Some("mallory:p"),
        Some("1.39"),
        None,
        &spoof,
    )
    .await;
    assert_envelope(&got, 403);
    assert!(
        got.body["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("resource_providers:list")
    );
    s.shutdown().await.unwrap();

    let trusting = ServerConfig {
        trust_identity_headers: true,
        ..ServerConfig::default()
    };
    let s = start(trusting).await;
    let got = call(
        &s.url(),
        "GET",
        "/resource_providers",
        Some("mallory:p"),
        Some("1.39"),
        None,
        &spoof,
    )
    .await;
    assert_eq!(
        got.status, 200,
        "Placement's noauth2 believes X-Roles: {}",
        got.text
    );
    s.shutdown().await.unwrap();
}

#[tokio::test]
async fn keystone_headers_mode_needs_a_confirmed_identity() {
    let config = ServerConfig {
        auth: AuthMode::KeystoneHeaders,
        ..ServerConfig::default()
    };
    let s = start(config).await;
    let url = s.url();
    let who = [
        ("x-user-id", "u"),
        ("x-project-id", "p"),
        ("x-roles", "admin"),
    ];
    let got = call(
        &url,
        "GET",
        "/resource_providers",
        None,
        Some("1.39"),
        None,
        &who,
    )
    .await;
    assert_envelope(&got, 401);
    let mut confirmed = who.to_vec();
    confirmed.push(("x-identity-status", "Confirmed"));
    let got = call(
        &url,
        "GET",
        "/resource_providers",
        None,
        Some("1.39"),
        None,
        &confirmed,
    )
    .await;
    assert_eq!(got.status, 200, "{}", got.text);
    let reader = [
        ("x-user-id", "u"),
        ("x-project-id", "p"),
        ("x-roles", "reader"),
        ("x-identity-status", "Confirmed"),
    ];
    let got = call(
        &url,
        "GET",
        "/resource_providers",
        None,
        Some("1.39"),
        None,
        &reader,
    )
    .await;
    assert_envelope(&got, 403);
    // A project reader may read its own project's usages, not another's.
    let got = call(
        &url,
        "GET",
        "/usages?project_id=p",
        None,
        Some("1.39"),
        None,
        &reader,
    )
    .await;
    assert_eq!(got.status, 200, "{}", got.text);
    let got = call(
        &url,
        "GET",
        "/usages?project_id=q",
        None,
        Some("1.39"),
        None,
        &reader,
    )
    .await;
    assert_envelope(&got, 403);
    // Version discovery needs nobody.
    let got = call(&url, "GET", "/", None, None, None, &[]).await;
    assert_eq!(got.status, 200);
    s.shutdown().await.unwrap();
}

#[tokio::test]
async fn strict_uuids_in_paths_and_short_details() {
    let s = start(ServerConfig::default()).await;
    let url = s.url();
    let long = format!("{}<script>", "a".repeat(5000));
    for bad in [
        "not-a-uuid",
        "2290d4af9e6e400b9d651ee0dbd15f19",
        long.as_str(),
        "{2290d4af-9e6e-400b-9d65-1ee0dbd15f19}",
    ] {
        let got = admin(&url, "GET", &format!("/resource_providers/{bad}"), None).await;
        assert_envelope(&got, 400);
        let detail = got.body["errors"][0]["detail"].as_str().unwrap();
        assert!(detail.len() < 200, "{detail}");
        assert!(!detail.contains("<script>"), "{detail}");
    }
    let got = admin(
        &url,
        "GET",
        "/resource_providers/2290d4af-9e6e-400b-9d65-1ee0dbd15f19",
        None,
    )
    .await;
    assert_envelope(&got, 404);
    s.shutdown().await.unwrap();
}

#[tokio::test]
async fn bodies_are_bounded_in_size_and_depth() {
    let config = ServerConfig {
        max_body_bytes: 4096,
        ..ServerConfig::default()
    };
    let s = start(config).await;
    let url = s.url();
    let big = json!({"name": "x".repeat(10_000)});
    let got = admin(&url, "POST", "/resource_providers", Some(big)).await;
    assert_envelope(&got, 413);
    let deep: String = "[".repeat(500) + &"]".repeat(500);
    let got = call(
        &url,
        "POST",
        "/resource_providers",
        Some("admin"),
        Some("1.39"),
        None,
        &[("content-type", "application/json")],
    )
    .await;
    assert_envelope(&got, 400);
    let client = reqwest::Client::new();
    let resp = client
        .post(format!("{url}/resource_providers"))
        .header("x-auth-token", "admin")
        .header("content-type", "application/json")
        .body(deep)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    s.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_refused_oversized_body_gets_its_answer_not_a_reset() {
    // Answering before the body is read leaves unread data in the socket,
    // and closing it then resets the connection; whether the client sees
    // the answer or the reset is a race (hyperium/hyper#2384), lost under
    // load. The server drains a refused body (bounded), so the answer is
    // always there to read. One pooled client, as the scanner uses, sends
    // ten 10 MB bodies, each followed by a small request on the same pool.
    let s = start(ServerConfig::default()).await;
    let url = s.url();
    let client = reqwest::Client::new();
    let big = json!({"name": "x".repeat(10 * 1024 * 1024)}).to_string();
    for round in 0..10 {
        let resp = client
            .put(format!(
                "{url}/resource_providers/2290d4af-9e6e-400b-9d65-1ee0dbd15f19"
            ))
            .header("x-auth-token", "admin")
            .header("openstack-api-version", "placement 1.39")
            .header("content-type", "application/json")
            .body(big.clone())
            .send()
            .await;
        let resp = resp.unwrap_or_else(|e| panic!("round {round}: {e:?}"));
        assert_eq!(resp.status().as_u16(), 413, "round {round}");
        let text = resp
            .text()
            .await
            .unwrap_or_else(|e| panic!("round {round}: {e:?}"));
        assert!(text.contains("\"errors\""), "round {round}: {text}");
        let small = client
            .get(format!("{url}/"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("round {round}, the request after: {e:?}"));
        assert_eq!(small.status().as_u16(), 200, "round {round}");
    }
    s.shutdown().await.unwrap();
}

/// `CUSTOM_` alone is not a custom class or trait (`^CUSTOM_[A-Z0-9_]+$`,
/// `schemas/common.py`): from 1.7 Placement validates the path name and
/// answers 400 (`handlers/resource_class.py:223`); at 1.2 to 1.6 the PUT is
/// a rename and the class cannot exist, so 404, or 400 for a bare
/// `CUSTOM_` as the new name (`:188`). Nothing is ever created.
#[tokio::test]
async fn a_bare_custom_prefix_is_never_a_class_or_a_trait() {
    let s = start(ServerConfig::default()).await;
    let url = s.url();
    let put = |version: &'static str, body: Option<serde_json::Value>| {
        let url = url.clone();
        async move {
            call(
                &url,
                "PUT",
                "/resource_classes/CUSTOM_",
                Some("admin"),
                Some(version),
                body,
                &[],
            )
            .await
        }
    };
    for version in ["1.2", "1.6"] {
        let got = put(version, Some(json!({"name": "CUSTOM_RENAMED"}))).await;
        assert_envelope(&got, 404);
        let got = put(version, Some(json!({"name": "CUSTOM_"}))).await;
        assert_envelope(&got, 400);
    }
    // Codes are sent from 1.23 on.
    for (version, code) in [
        ("1.7", json!(null)),
        ("1.39", json!("placement.undefined_code")),
    ] {
        let got = put(version, None).await;
        assert_envelope(&got, 400);
        assert_eq!(got.body["errors"][0]["code"], code, "{version}");
    }
    let got = admin(&url, "GET", "/resource_classes/CUSTOM_", None).await;
    assert_envelope(&got, 404);
    let got = admin(
        &url,
        "POST",
        "/resource_classes",
        Some(json!({"name": "CUSTOM_"})),
    )
    .await;
    assert_envelope(&got, 400);
    let got = admin(&url, "PUT", "/traits/CUSTOM_", None).await;
    assert_envelope(&got, 400);
    let got = admin(&url, "GET", "/traits/CUSTOM_", None).await;
    assert_envelope(&got, 404);
}
