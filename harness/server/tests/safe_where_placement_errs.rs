//! The reference server where it is deliberately safer than Placement
//! 16.0.0 and the default scan once found it lenient: UUIDs with spaces in
//! `in_tree`, invisible format characters in names, duplicate JSON keys,
//! and consumers left behind by a refused allocation write.

#![allow(clippy::unwrap_used)]

mod common;

use common::{admin, assert_envelope, provider_with_vcpu, start};
use placement_refserver::ServerConfig;
use serde_json::{Value, json};

/// Sends `body` as raw JSON text (serde_json cannot make a duplicate key).
async fn raw(url: &str, method: &str, path: &str, body: &str) -> common::Got {
    let resp = reqwest::Client::new()
        .request(method.parse().unwrap(), format!("{url}{path}"))
        .header("x-auth-token", "admin")
        .header("openstack-api-version", "placement 1.39")
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    common::Got {
        status,
        headers,
        body,
        text,
    }
}

fn detail(got: &common::Got) -> &str {
    got.body["errors"][0]["detail"].as_str().unwrap_or("")
}

#[tokio::test]
async fn uuid_query_parameters_with_spaces_are_refused_on_every_route() {
    let server = start(ServerConfig::default()).await;
    let url = server.url();
    let rp = provider_with_vcpu(&url, "spaced-uuids", 8).await;
    for padded in [format!("%20{rp}"), format!("{rp}%20"), format!("{rp}%0A")] {
        for path in [
            format!("/allocation_candidates?resources=VCPU:1&in_tree={padded}"),
            format!("/allocation_candidates?resources1=VCPU:1&in_tree1={padded}"),
            format!("/allocation_candidates?resources=VCPU:1&member_of={padded}"),
            format!("/allocation_candidates?resources=VCPU:1&member_of=in:{rp},{padded}"),
            format!("/resource_providers?in_tree={padded}"),
            format!("/resource_providers?uuid={padded}"),
            format!("/resource_providers?member_of={padded}"),
            format!("/resource_providers?member_of=in:{rp},{padded}"),
        ] {
            let got = admin(&url, "GET", &path, None).await;
            assert_envelope(&got, 400);
            // The code Placement gives a UUID it cannot read (util.py:554,
            // :571, the schema's uuid format via util.py:41 and :212).
            assert_eq!(
                got.body["errors"][0]["code"], "placement.undefined_code",
                "{path}: {}",
                got.text
            );
            assert!(!detail(&got).contains(&rp), "{path}: {}", got.text);
        }
    }
    // The exact UUID still works.
    let got = admin(
        &url,
        "GET",
        &format!("/allocation_candidates?resources=VCPU:1&in_tree={rp}"),
        None,
    )
    .await;
    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(got.body["allocation_requests"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn names_with_invisible_format_characters_are_refused() {
    let server = start(ServerConfig::default()).await;
    let url = server.url();
    let rp = provider_with_vcpu(&url, "plain-name", 8).await;
    for c in [
        '\u{202a}', '\u{202e}', '\u{2066}', '\u{2069}', '\u{200b}', '\u{200d}', '\u{200f}',
        '\u{feff}', '\u{2060}', '\u{2028}',
    ] {
        let name = format!("{c}gpj.exe");
        let created = admin(
            &url,
            "POST",
            "/resource_providers",
            Some(json!({ "name": name })),
        )
        .await;
        assert_envelope(&created, 400);
        let renamed = admin(
            &url,
            "PUT",
            &format!("/resource_providers/{rp}"),
            Some(json!({ "name": name })),
        )
        .await;
        assert_envelope(&renamed, 400);
        // The refusal escapes what it quotes.
        assert!(!renamed.text.contains(c), "{}", renamed.text);
        assert!(detail(&renamed).contains("name"), "{}", renamed.text);
    }
    // Letters of any script are names.
    let ok = admin(
        &url,
        "PUT",
        &format!("/resource_providers/{rp}"),
        Some(json!({ "name": "Zürich-東京-עברית" })),
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    // Resource class and trait names were already pattern-bound.
    let class = admin(&url, "PUT", "/resource_classes/CUSTOM_%E2%80%AEX", None).await;
    assert_envelope(&class, 400);
    let tr = admin(&url, "PUT", "/traits/CUSTOM_%E2%80%AEX", None).await;
    assert_envelope(&tr, 400);
}

#[tokio::test]
async fn duplicate_keys_are_refused_at_any_depth() {
    let server = start(ServerConfig::default()).await;
    let url = server.url();
    let rp = provider_with_vcpu(&url, "dup-keys", 8).await;

    let top = raw(
        &url,
        "PUT",
        &format!("/resource_providers/{rp}"),
        r#"{"name": "first", "name": "second"}"#,
    )
    .await;
    assert_envelope(&top, 400);
    assert!(detail(&top).contains("'name'"), "{}", top.text);
    let unchanged = admin(&url, "GET", &format!("/resource_providers/{rp}"), None).await;
    assert_eq!(unchanged.body["name"], "dup-keys");

    let consumer = "11111111-2222-3333-4444-555555555555";
    let nested = format!(
        r#"{{"allocations": {{"{rp}": {{"resources": {{"VCPU": 1, "VCPU": 8}}}}}},
            "project_id": "p", "user_id": "u", "consumer_generation": null,
            "consumer_type": "INSTANCE"}}"#
    );
    let got = raw(&url, "PUT", &format!("/allocations/{consumer}"), &nested).await;
    assert_envelope(&got, 400);
    let d = detail(&got);
    assert!(d.contains("'VCPU'") && d.contains("/resources"), "{d}");
    assert!(d.len() < 300, "{d}");
    let none = admin(&url, "GET", &format!("/allocations/{consumer}"), None).await;
    assert_eq!(none.body["allocations"], json!({}), "{}", none.text);

    // A hostile key is quoted escaped and short.
    let hostile = format!(
        r#"{{"<script>{0}": 1, "<script>{0}": 2}}"#,
        "\u{202e}".repeat(300)
    );
    let got = raw(&url, "POST", "/resource_providers", &hostile).await;
    assert_envelope(&got, 400);
    assert!(
        !got.text.contains("<script>") && !got.text.contains('\u{202e}') && got.text.len() < 600,
        "{}",
        got.text
    );

    // Syntax errors keep their own words.
    let broken = raw(&url, "POST", "/resource_providers", r#"{"name": "#).await;
    assert_envelope(&broken, 400);
    assert!(
        !detail(&broken).contains("more than once"),
        "{}",
        broken.text
    );
}

#[tokio::test]
async fn a_refused_allocation_write_leaves_no_consumer_behind() {
    // The reshaper is for the service role; this deployment gives it to admin.
    let mut config = ServerConfig::default();
    config
        .noauth2_roles
        .insert("admin".into(), vec!["admin".into(), "service".into()]);
    let server = start(config).await;
    let url = server.url();
    let rp = provider_with_vcpu(&url, "no-ghosts", 8).await;
    let missing = "99999999-9999-9999-9999-999999999999";
    let consumer = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
    let body = |provider: &str| {
        json!({"allocations": {provider: {"resources": {"VCPU": 1}}},
               "project_id": "p", "user_id": "u", "consumer_generation": null,
               "consumer_type": "INSTANCE"})
    };

    let refused = admin(
        &url,
        "PUT",
        &format!("/allocations/{consumer}"),
        Some(body(missing)),
    )
    .await;
    assert_envelope(&refused, 400);
    let post = admin(
        &url,
        "POST",
        "/allocations",
        Some(json!({ consumer: body(missing) })),
    )
    .await;
    assert_envelope(&post, 400);

    let generation = admin(&url, "GET", &format!("/resource_providers/{rp}"), None)
        .await
        .body["generation"]
        .clone();
    let reshape = admin(
        &url,
        "POST",
        "/reshaper",
        Some(json!({
            "inventories": {&rp: {"resource_provider_generation": generation,
                                   "inventories": {"VCPU": {"total": 8}}}},
            "allocations": { consumer: body(missing) },
        })),
    )
    .await;
    assert_envelope(&reshape, 400);
    // All three are refused for the missing provider, after the consumer
    // was looked up (where Placement has already created it).
    for got in [&refused, &post, &reshape] {
        assert!(
            detail(got).contains(missing) && detail(got).contains("does not exist"),
            "{}",
            got.text
        );
    }

    let seen = admin(&url, "GET", &format!("/allocations/{consumer}"), None).await;
    assert_eq!(seen.status, 200, "{}", seen.text);
    assert_eq!(seen.body["allocations"], json!({}), "{}", seen.text);
    assert!(
        seen.body.get("consumer_generation").is_none(),
        "{}",
        seen.text
    );

    // Placement would answer 409 here ("expected 0 but got None").
    let first = admin(
        &url,
        "PUT",
        &format!("/allocations/{consumer}"),
        Some(body(&rp)),
    )
    .await;
    assert_eq!(first.status, 204, "{}", first.text);
    let seen = admin(&url, "GET", &format!("/allocations/{consumer}"), None).await;
    assert_eq!(seen.body["consumer_generation"], 1, "{}", seen.text);
}

/// `Behaviour::Placement` answers as Placement 16.0.0 does where it has a
/// switch: the consumer a refused write created stays behind (the next
/// write with `consumer_generation: null` is a 409), `in_tree` of
/// allocation candidates is stripped of spaces, and of a JSON key given
/// twice the last value counts.
#[tokio::test]
async fn the_placement_behaviour_errs_where_placement_does() {
    let server = start(ServerConfig {
        behaviour: placement_refserver::Behaviour::Placement,
        ..ServerConfig::default()
    })
    .await;
    let url = server.url();
    let rp = provider_with_vcpu(&url, "ghosts", 8).await;
    let missing = "99999999-9999-9999-9999-999999999999";
    let consumer = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
    let body = |provider: &str, generation: Value| {
        json!({"allocations": {provider: {"resources": {"VCPU": 1}}},
               "project_id": "p", "user_id": "u", "consumer_generation": generation,
               "consumer_type": "INSTANCE"})
    };
    let refused = admin(
        &url,
        "PUT",
        &format!("/allocations/{consumer}"),
        Some(body(missing, Value::Null)),
    )
    .await;
    assert_envelope(&refused, 400);
    let next = admin(
        &url,
        "PUT",
        &format!("/allocations/{consumer}"),
        Some(body(&rp, Value::Null)),
    )
    .await;
    assert_envelope(&next, 409);
    assert_eq!(
        next.body["errors"][0]["code"], "placement.concurrent_update",
        "{}",
        next.text
    );
    let at_zero = admin(
        &url,
        "PUT",
        &format!("/allocations/{consumer}"),
        Some(body(&rp, json!(0))),
    )
    .await;
    assert_eq!(at_zero.status, 204, "{}", at_zero.text);

    let got = admin(
        &url,
        "GET",
        &format!("/allocation_candidates?resources=VCPU:1&in_tree=%20{rp}"),
        None,
    )
    .await;
    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(got.body["allocation_requests"].as_array().unwrap().len(), 1);

    let made = raw(
        &url,
        "POST",
        "/resource_providers",
        r#"{"name": "first-name", "name": "last-name"}"#,
    )
    .await;
    assert_eq!(made.status, 200, "{}", made.text);
    assert_eq!(made.body["name"], "last-name", "{}", made.text);
}
