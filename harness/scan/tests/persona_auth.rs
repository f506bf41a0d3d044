//! Personas: the default set for each auth mode, the headers each persona
//! sends, personas files (errors at file:line), clouds.yaml, the Keystone
//! password flow against a fake `/v3/auth/tokens` on 127.0.0.1:0, and no
//! secret in any `Debug` or error output.

// A test binary: a failed setup must fail the test loudly.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use placement_harness::client::{Client, ClientConfig};
use placement_harness::exchange::{Credentials, Request};
use placement_harness::persona::{
    Authenticator, Credential, DEFAULT_PERSONAS, Persona, PersonaError, Secret, default_personas,
    parse_cloud_persona, parse_personas,
};
use placement_harness::target::AuthMode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn auth() -> Authenticator {
    Authenticator::new(&Client::new(ClientConfig::default()).unwrap())
}

async fn headers(p: &Persona) -> Vec<(String, String)> {
    auth()
        .headers(p)
        .await
        .unwrap()
        .into_iter()
        .map(|(n, v)| (n, v.expose().to_owned()))
        .collect()
}

fn find<'a>(set: &'a [Persona], name: &str) -> &'a Persona {
    set.iter().find(|p| p.name == name).unwrap()
}

#[test]
fn default_set_shapes() {
    for mode in [AuthMode::Noauth2, AuthMode::KeystoneHeaders] {
        let set = default_personas(mode, None);
        let names: Vec<&str> = set.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, DEFAULT_PERSONAS);
        assert_eq!(find(&set, "anonymous").credential, Credential::None);
    }
    let token = default_personas(AuthMode::Token, None);
    assert_eq!(token.len(), 1);
    assert_eq!(token[0].name, "anonymous");
    assert_eq!(
        find(
            &default_personas(AuthMode::Noauth2, None),
            "tenant-a-reader"
        )
        .token_var(),
        "TOKEN_TENANT_A_READER"
    );
}

#[tokio::test]
async fn noauth2_headers() {
    let set = default_personas(AuthMode::Noauth2, None);
    assert!(headers(find(&set, "anonymous")).await.is_empty());
    assert_eq!(
        headers(find(&set, "admin")).await,
        [
            ("x-auth-token".into(), "admin".into()),
            ("x-roles".into(), "admin,member,reader".into())
        ]
    );
    assert_eq!(
        headers(find(&set, "tenant-b-member")).await,
        [
            ("x-auth-token".into(), "tenant-b-member:tenant-b".into()),
            ("x-roles".into(), "member,reader".into())
        ]
    );
    // No X-Roles: noauth2 then gives the user no role at all.
    assert_eq!(
        headers(find(&set, "norole")).await,
        [("x-auth-token".into(), "norole:tenant-a".into())]
    );
}

#[tokio::test]
async fn keystone_headers() {
    let set = default_personas(AuthMode::KeystoneHeaders, None);
    let h = headers(find(&set, "tenant-a-admin")).await;
    let get = |n: &str| h.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    assert_eq!(get("x-user-id"), Some("tenant-a-admin"));
    assert_eq!(get("x-project-id"), Some("tenant-a"));
    assert_eq!(get("x-roles"), Some("admin,member,reader"));
    assert_eq!(get("x-user-domain-id"), Some("default"));
    assert_eq!(get("x-identity-status"), Some("Confirmed"));
    assert_eq!(get("x-auth-token"), None);
}

#[tokio::test]
async fn apply_sets_persona_and_keeps_spoofed_headers() {
    let set = default_personas(AuthMode::Noauth2, None);
    let a = auth();
    let mut req = Request::default();
    req.headers
        .push(placement_harness::exchange::Header::new("X-Roles", "admin"));
    a.apply(find(&set, "tenant-a-reader"), &mut req)
        .await
        .unwrap();
    assert_eq!(req.persona, "tenant-a-reader");
    let roles: Vec<_> = req.headers.iter().filter(|h| h.name == "x-roles").collect();
    assert_eq!(roles.len(), 1);
    assert_eq!(roles[0].value, "admin");
    let mut req = Request::default();
    a.apply(find(&set, "anonymous"), &mut req).await.unwrap();
    assert_eq!(req.credentials, Credentials::None);
    assert!(req.headers.is_empty());
}

const PERSONAS: &str = "\
personas:
  - name: ops
    noauth2: admin
  - name: reader
    noauth2: u1:p1
    roles: [reader]
  - name: proxy
    identity: {user_id: u2, project_id: p2, roles: [member, reader]}
  - name: nobody
    anonymous: true
  - name: real
    keystone:
      auth_url: http://127.0.0.1:1/v3
      username: alice
      password: hunter2-sekrit
      user_domain_name: Default
      project_name: demo
      project_domain_name: Default
";

#[tokio::test]
async fn personas_file_parses() {
    let set = parse_personas(Path::new("p.yaml"), PERSONAS).unwrap();
    let names: Vec<&str> = set.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["ops", "reader", "proxy", "nobody", "real"]);
    assert_eq!(
        headers(&set[1]).await,
        [
            ("x-auth-token".into(), "u1:p1".into()),
            ("x-roles".into(), "reader".into())
        ]
    );
    assert!(matches!(set[2].credential, Credential::Identity(_)));
    assert_eq!(set[3].credential, Credential::None);
    let debug = format!("{set:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(debug.contains("<redacted>"));
}

fn file_error(text: &str) -> (u64, String) {
    match parse_personas(Path::new("personas.yaml"), text) {
        Err(e @ PersonaError::File { line, .. }) => (line, e.to_string()),
        other => panic!("expected a file error, got {other:?}"),
    }
}

#[test]
fn personas_file_errors_name_file_and_line() {
    let (line, msg) = file_error("personas:\n  - name: a\n    noauth2: admin\n    colour: red\n");
    assert_eq!(line, 4, "{msg}");
    assert!(msg.starts_with("personas.yaml:4:"), "{msg}");
    assert!(msg.contains("colour"), "{msg}");

    let (line, msg) = file_error(
        "personas:\n  - name: a\n    noauth2: admin\n  - name: b\n    token_env: X\n    noauth2: y\n",
    );
    assert_eq!(line, 4, "{msg}");
    assert!(msg.contains("exactly one"), "{msg}");

    let (line, msg) = file_error(
        "personas:\n  - name: a\n    anonymous: true\n  - name: a\n    anonymous: true\n",
    );
    assert_eq!(line, 4, "{msg}");
    assert!(msg.contains("twice"), "{msg}");

    let (line, msg) =
        file_error("personas:\n  - name: a\n    token_env: PLACEMENT_HARNESS_SURELY_UNSET_VAR\n");
    assert_eq!(line, 2, "{msg}");
    assert!(msg.contains("PLACEMENT_HARNESS_SURELY_UNSET_VAR"), "{msg}");

    let (line, msg) = file_error(
        "personas:\n  - name: k\n    keystone: {auth_url: http://x, username: u, password: hunter2-sekrit}\n  - name: bad\n    keystone: {username: u, password: hunter2-sekrit}\n",
    );
    assert_eq!(line, 4, "{msg}");
    assert!(msg.contains("auth_url"), "{msg}");
    assert!(!msg.contains("hunter2"), "{msg}");

    let (_, msg) = file_error("personas:\n  - name: a\n    anonymous: maybe\n");
    assert!(msg.starts_with("personas.yaml:3:"), "{msg}");
}

#[test]
fn token_file_persona() {
    let dir = std::env::temp_dir().join(format!("ph-persona-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("token");
    std::fs::write(&file, "gAAAAA-file-token-xyz\n").unwrap();
    let text = format!(
        "personas:\n  - name: ci\n    token_file: {}\n",
        file.display()
    );
    let set = parse_personas(Path::new("p.yaml"), &text).unwrap();
    assert_eq!(
        set[0].credential,
        Credential::Token(Secret::new("gAAAAA-file-token-xyz"))
    );
    assert!(!format!("{:?}", set[0]).contains("gAAAAA"));
    let _ = std::fs::remove_dir_all(&dir);
}

const CLOUDS: &str = "\
clouds:
  devstack:
    auth:
      auth_url: http://127.0.0.1:5000
      username: demo
      password: hunter2-sekrit
      project_name: demo
      user_domain_id: default
      project_domain_id: default
    region_name: RegionOne
    interface: public
    identity_api_version: 3
  tok:
    auth_type: token
    auth:
      auth_url: http://127.0.0.1:5000
      token: gAAAAA-cloud-token
";

#[test]
fn clouds_yaml_parses() {
    let p = parse_cloud_persona("dev", Path::new("clouds.yaml"), CLOUDS, "devstack").unwrap();
    let Credential::Keystone(ks) = &p.credential else {
        panic!("{p:?}")
    };
    assert_eq!(ks.username.as_deref(), Some("demo"));
    assert_eq!(ks.project_domain_id.as_deref(), Some("default"));
    assert_eq!(ks.tokens_url(), "http://127.0.0.1:5000/v3/auth/tokens");
    assert!(!format!("{p:?}").contains("hunter2"));
    let t = parse_cloud_persona("t", Path::new("clouds.yaml"), CLOUDS, "tok").unwrap();
    assert_eq!(
        t.credential,
        Credential::Token(Secret::new("gAAAAA-cloud-token"))
    );
    let e = parse_cloud_persona("x", Path::new("clouds.yaml"), CLOUDS, "nope").unwrap_err();
    assert!(e.to_string().contains("nope"), "{e}");
}

#[test]
fn secret_never_prints() {
    let s = Secret::new("hunter2-sekrit");
    assert_eq!(format!("{s}"), "<redacted>");
    assert_eq!(format!("{s:?}"), "<redacted>");
    assert_eq!(s.expose(), "hunter2-sekrit");
}

/// A fake Keystone: POST /v3/auth/tokens answers 201 with a token when the
/// password is right, 401 otherwise; counts requests and keeps the last body.
async fn keystone() -> (String, Arc<AtomicUsize>, Arc<Mutex<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let last = Arc::new(Mutex::new(String::new()));
    let (h, l) = (hits.clone(), last.clone());
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let (h, l) = (h.clone(), l.clone());
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut tmp = [0u8; 4096];
                // Head, then the body by Content-Length (bounded: small).
                loop {
                    let text = String::from_utf8_lossy(&buf).into_owned();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let len: usize = text
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if buf.len() >= end + 4 + len || buf.len() > 65536 {
                            break;
                        }
                    }
                    match sock.read(&mut tmp).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&tmp[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&buf).into_owned();
                h.fetch_add(1, Ordering::SeqCst);
                *l.lock().unwrap() = text.clone();
                let ok = text.starts_with("POST /v3/auth/tokens ")
                    && text.contains("\"password\":\"right-password\"");
                let resp = if ok {
                    "HTTP/1.1 201 Created\r\nX-Subject-Token: gAAAAA-minted-token-42\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
                } else {
                    "HTTP/1.1 401 Unauthorized\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
                };
                let _ = sock.write_all(resp.as_bytes()).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    (format!("http://{addr}"), hits, last)
}

fn keystone_persona(name: &str, base: &str, password: &str) -> Persona {
    let text = format!(
        "personas:\n  - name: {name}\n    keystone:\n      auth_url: {base}/v3\n      username: alice\n      password: {password}\n      user_domain_name: Default\n      project_name: demo\n      project_domain_name: Default\n"
    );
    parse_personas(Path::new("p.yaml"), &text)
        .unwrap()
        .remove(0)
}

#[tokio::test]
async fn keystone_password_flow_fetches_once_and_caches() {
    let (base, hits, last) = keystone().await;
    let p = keystone_persona("real", &base, "right-password");
    let a = auth();
    let h1 = a.headers(&p).await.unwrap();
    let h2 = a.headers(&p).await.unwrap();
    assert_eq!(h1[0].0, "x-auth-token");
    assert_eq!(h1[0].1.expose(), "gAAAAA-minted-token-42");
    assert_eq!(h2[0].1.expose(), "gAAAAA-minted-token-42");
    assert_eq!(hits.load(Ordering::SeqCst), 1, "token is cached");
    let body = last.lock().unwrap().clone();
    assert!(body.contains("\"name\":\"alice\""), "{body}");
    assert!(body.contains("\"project\""), "{body}");
    assert!(!format!("{a:?}").contains("gAAAAA"), "{a:?}");

    // Applied to a request, then recorded: the token is redacted.
    let mut req = Request {
        method: "GET".into(),
        url: format!("{base}/x"),
        ..Request::default()
    };
    a.apply(&p, &mut req).await.unwrap();
    let ex = placement_harness::exchange::Exchange::new(
        req,
        placement_harness::exchange::Response::default(),
    );
    assert!(ex.curl().contains("$TOKEN_REAL"), "{}", ex.curl());
    assert!(!format!("{ex:?}").contains("gAAAAA"));
}

#[tokio::test]
async fn keystone_refusal_is_a_typed_error_without_the_password() {
    let (base, _, _) = keystone().await;
    let p = keystone_persona("wrong", &base, "hunter2-wrong");
    let err = auth().headers(&p).await.unwrap_err();
    assert!(matches!(err, PersonaError::Keystone { .. }), "{err}");
    let msg = format!("{err} {err:?}");
    assert!(msg.contains("401"), "{msg}");
    assert!(!msg.contains("hunter2"), "{msg}");
}

#[test]
fn default_personas_of_a_run_carry_its_id_in_every_project_and_user() {
    use placement_harness::run_id::RunId;
    use placement_harness::suite::fixture::persona_project_user;
    let (r1, r2) = (RunId::generate(), RunId::generate());
    for mode in [AuthMode::Noauth2, AuthMode::KeystoneHeaders] {
        let one = default_personas(mode, Some(r1));
        let two = default_personas(mode, Some(r2));
        for (a, b) in one.iter().zip(&two) {
            let (Some((pa, ua)), Some((pb, ub))) =
                (persona_project_user(a), persona_project_user(b))
            else {
                continue;
            };
            if a.name == "admin" {
                continue;
            }
            assert!(r1.owns(&pa) && r1.owns(&ua), "{}: {pa} {ua}", a.name);
            assert_ne!(pa, pb, "{}: two runs share a project", a.name);
            assert_ne!(ua, ub);
        }
        let a = find(&one, "tenant-a-member");
        assert_eq!(
            persona_project_user(a).map(|p| p.0),
            Some(r1.project_id("tenant-a"))
        );
    }
}
