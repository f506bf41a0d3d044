//! Helpers shared by the reference server's tests: a server on a free
//! loopback port and a small request builder over reqwest.

#![allow(dead_code, clippy::unwrap_used)]

use placement_refserver::{RunningServer, ServerConfig, spawn};
use serde_json::Value;

/// A server with `config` on 127.0.0.1:0.
pub async fn start(config: ServerConfig) -> RunningServer {
    spawn(config, "127.0.0.1:0".parse().unwrap()).await.unwrap()
}

/// What a test looks at in a response.
#[derive(Debug)]
pub struct Got {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Got {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Sends `method path` as `token` (None: no token) at `version`, with a
/// JSON body when given, plus extra headers.
pub async fn call(
    url: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    version: Option<&str>,
    body: Option<Value>,
    extra: &[(&str, &str)],
) -> Got {
    let client = reqwest::Client::new();
    let mut req = client.request(method.parse().unwrap(), format!("{url}{path}"));
    if let Some(t) = token {
        req = req.header("x-auth-token", t);
    }
    if let Some(v) = version {
        req = req.header("openstack-api-version", format!("placement {v}"));
    }
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Got {
        status,
        headers,
        body,
        text,
    }
}

/// Admin at 1.39.
pub async fn admin(url: &str, method: &str, path: &str, body: Option<Value>) -> Got {
    call(url, method, path, Some("admin"), Some("1.39"), body, &[]).await
}

/// Asserts Placement's error envelope with this status, and the common headers.
pub fn assert_envelope(got: &Got, status: u16) {
    assert_eq!(got.status, status, "{}", got.text);
    let errors = got.body["errors"].as_array().expect("errors array");
    assert_eq!(errors.len(), 1, "{}", got.text);
    let e = &errors[0];
    assert_eq!(e["status"], status);
    assert!(
        e["title"].is_string() && e["detail"].is_string(),
        "{}",
        got.text
    );
    let rid = got.header("x-openstack-request-id").expect("request id");
    assert!(rid.starts_with("req-") && rid.len() == 40, "{rid}");
    assert_eq!(e["request_id"], rid);
    assert_eq!(got.header("x-content-type-options"), Some("nosniff"));
    assert!(got.header("server").is_none());
}

/// Creates a provider with `total` VCPU; returns its uuid.
pub async fn provider_with_vcpu(url: &str, name: &str, total: u32) -> String {
    let p = admin(
        url,
        "POST",
        "/resource_providers",
        Some(serde_json::json!({"name": name})),
    )
    .await;
    assert_eq!(p.status, 200, "{}", p.text);
    let uuid = p.body["uuid"].as_str().unwrap().to_owned();
    let inv = admin(
        url,
        "PUT",
        &format!("/resource_providers/{uuid}/inventories"),
        Some(serde_json::json!({"resource_provider_generation": 0,
                                "inventories": {"VCPU": {"total": total}}})),
    )
    .await;
    assert_eq!(inv.status, 200, "{}", inv.text);
    uuid
}
