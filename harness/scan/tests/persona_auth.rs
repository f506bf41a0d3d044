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
use placement_harness::keystone::{Method, Scope, TokenScope};
use placement_harness::persona::{
    Authenticator, Credential, DEFAULT_PERSONAS, Persona, PersonaError, Secret, default_personas,
    parse_cloud_persona, parse_personas,
};
use placement_harness::target::AuthMode;
use placement_harness::transport::{ClientTransport, Transport};
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
    assert_eq!(
        ks.scope,
        Scope::Project {
            id: None,
            name: Some("demo".into()),
            domain_name: None,
            domain_id: Some("default".into()),
        }
    );
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

/// A fake Keystone: POST /v3/auth/tokens answers 201 with a new token
/// (`gAAAAA-minted-token-N`) and a token body living `life` seconds when the
/// password is right, 401 otherwise; counts requests and keeps the last body.
async fn keystone_living(life: u32) -> (String, Arc<AtomicUsize>, Arc<Mutex<String>>) {
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
                let n = h.fetch_add(1, Ordering::SeqCst) + 1;
                *l.lock().unwrap() = text.clone();
                let ok = text.starts_with("POST /v3/auth/tokens ")
                    && text.contains("\"password\":\"right-password\"");
                let resp = if ok {
                    let admin = text.contains("\"name\":\"root\"");
                    let roles = if admin {
                        r#"[{"id": "r1", "name": "admin"}, {"id": "r2", "name": "member"}, {"id": "r3", "name": "reader"}]"#
                    } else {
                        r#"[{"id": "r2", "name": "member"}, {"id": "r3", "name": "reader"}]"#
                    };
                    let body = format!(
                        r#"{{"token": {{"methods": ["password"], "user": {{"id": "u-{n}", "name": "alice", "domain": {{"id": "default"}}}}, "project": {{"id": "0f3e-demo-project", "name": "demo", "domain": {{"id": "default"}}}}, "roles": {roles}, "issued_at": "2026-12-07T00:00:00.000000Z", "expires_at": "2026-12-07T{:02}:{:02}:{:02}.000000Z"}}}}"#,
                        life / 3600,
                        life % 3600 / 60,
                        life % 60
                    );
                    format!(
                        "HTTP/1.1 201 Created\r\nX-Subject-Token: gAAAAA-minted-token-{n}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    )
                } else {
                    "HTTP/1.1 401 Unauthorized\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
                        .to_owned()
                };
                let _ = sock.write_all(resp.as_bytes()).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    (format!("http://{addr}"), hits, last)
}

/// A fake Keystone whose tokens live an hour.
async fn keystone() -> (String, Arc<AtomicUsize>, Arc<Mutex<String>>) {
    keystone_living(3600).await
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
    assert_eq!(h1[0].1.expose(), "gAAAAA-minted-token-1");
    assert_eq!(h2[0].1.expose(), "gAAAAA-minted-token-1");
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

fn keystone_user(name: &str, user: &str, base: &str, password: &str) -> Persona {
    let text = format!(
        "personas:\n  - name: {name}\n    keystone:\n      auth_url: {base}\n      username: {user}\n      password: {password}\n      user_domain_name: Default\n      project_name: demo\n      project_domain_name: Default\n"
    );
    parse_personas(Path::new("p.yaml"), &text)
        .unwrap()
        .remove(0)
}

#[tokio::test]
async fn every_persona_authenticates_up_front_and_a_refused_one_is_never_asked_again() {
    let (base, hits, _) = keystone().await;
    let mut set = vec![
        Persona::new("anonymous", Credential::None),
        keystone_user("tenant-a-admin", "root", &base, "right-password"),
        keystone_user("bad-one", "alice", &base, "hunter2-wrong"),
        keystone_user("bad-two", "bob", &base, "hunter2-wrong-too"),
    ];
    let a = auth();
    let err = a.authenticate_all(&mut set).await.unwrap_err();
    let msg = err.to_string();
    // Both refusals in one message, neither password.
    assert!(
        msg.contains("persona bad-one") && msg.contains("persona bad-two"),
        "{msg}"
    );
    assert!(msg.contains("401"), "{msg}");
    assert!(!msg.contains("hunter2"), "{msg}");
    assert_eq!(hits.load(Ordering::SeqCst), 3);
    // Facts come from the token body, not the name.
    let facts = set[1].facts.clone().unwrap();
    assert_eq!(facts.roles, ["admin", "member", "reader"]);
    assert_eq!(facts.project_id(), Some("0f3e-demo-project"));
    assert!(matches!(facts.scope, TokenScope::Project { .. }));
    assert!(set[2].facts.is_none());
    // A refused persona is not asked for again: no account lockout.
    for _ in 0..5 {
        let e = a.headers(&set[2]).await.unwrap_err();
        assert!(e.to_string().contains("not asked again"), "{e}");
    }
    a.headers(&set[1]).await.unwrap();
    assert_eq!(
        hits.load(Ordering::SeqCst),
        3,
        "cached and refused: no new login"
    );
}

#[tokio::test]
async fn a_token_is_renewed_before_it_expires() {
    // Lives 2 s: renewed after 1.5 s (a quarter of a short life early).
    let (base, hits, _) = keystone_living(2).await;
    let p = keystone_user("real", "alice", &base, "right-password");
    let a = auth();
    let t1 = a.headers(&p).await.unwrap()[0].1.expose().to_owned();
    assert_eq!(a.headers(&p).await.unwrap()[0].1.expose(), t1);
    tokio::time::sleep(std::time::Duration::from_millis(1700)).await;
    let t2 = a.headers(&p).await.unwrap()[0].1.expose().to_owned();
    assert_ne!(t1, t2, "renewed");
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}

/// A fake Placement: 401 unless the token is one of `good`; counts requests.
async fn placement(good: &'static [&'static str]) -> (String, Arc<AtomicUsize>) {
    use axum::http::{HeaderMap, StatusCode};
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let app = axum::Router::new().fallback(move |headers: HeaderMap| {
        let h = h.clone();
        async move {
            h.fetch_add(1, Ordering::SeqCst);
            let token = headers
                .get("x-auth-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if good.contains(&token) {
                (StatusCode::OK, "{}")
            } else {
                (StatusCode::UNAUTHORIZED, "{}")
            }
        }
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), hits)
}

async fn send_as(t: &ClientTransport, base: &str, p: &Persona) -> u16 {
    let req = Request {
        method: "GET".into(),
        url: format!("{base}/resource_providers"),
        ..Request::default()
    };
    t.send(req, Some(p)).await.unwrap().response().status
}

#[tokio::test]
async fn a_401_renews_the_token_once_and_resends() {
    let (ks, ks_hits, _) = keystone().await;
    // The first token is revoked; the second is good.
    let (pl, pl_hits) = placement(&["gAAAAA-minted-token-2"]).await;
    let p = keystone_user("real", "alice", &ks, "right-password");
    let t = ClientTransport::new(Client::new(ClientConfig::default()).unwrap());
    assert_eq!(send_as(&t, &pl, &p).await, 200);
    assert_eq!(ks_hits.load(Ordering::SeqCst), 2, "one login, one renewal");
    assert_eq!(pl_hits.load(Ordering::SeqCst), 2, "sent, resent");
    assert_eq!(send_as(&t, &pl, &p).await, 200);
    assert_eq!(
        ks_hits.load(Ordering::SeqCst),
        2,
        "the renewed token is kept"
    );
}

#[tokio::test]
async fn a_401_that_renewal_does_not_cure_is_reported_and_not_renewed_again() {
    let (ks, ks_hits, _) = keystone().await;
    let (pl, pl_hits) = placement(&[]).await;
    let p = keystone_user("real", "alice", &ks, "right-password");
    let t = ClientTransport::new(Client::new(ClientConfig::default()).unwrap());
    assert_eq!(send_as(&t, &pl, &p).await, 401);
    assert_eq!(ks_hits.load(Ordering::SeqCst), 2);
    for _ in 0..3 {
        assert_eq!(send_as(&t, &pl, &p).await, 401);
    }
    assert_eq!(ks_hits.load(Ordering::SeqCst), 2, "no renewal storm");
    assert_eq!(pl_hits.load(Ordering::SeqCst), 5);
    // A token a suite wrote itself is never renewed either.
    let mut req = Request {
        method: "GET".into(),
        url: format!("{pl}/resource_providers"),
        ..Request::default()
    };
    req.headers.push(placement_harness::exchange::Header::new(
        "x-auth-token",
        "suite-written",
    ));
    let (ks2, ks2_hits, _) = keystone().await;
    let q = keystone_user("other", "alice", &ks2, "right-password");
    assert_eq!(t.send(req, Some(&q)).await.unwrap().response().status, 401);
    assert_eq!(ks2_hits.load(Ordering::SeqCst), 1, "logged in, not renewed");
}

#[test]
fn system_scope_and_application_credentials_and_unknown_keys() {
    let p = parse_personas(
        Path::new("p.yaml"),
        "personas:\n  - name: sys\n    keystone: {auth_url: http://k/v3, username: u, password: x, user_domain_name: Default, system_scope: all}\n  - name: app\n    keystone: {auth_url: http://k/v3, application_credential_id: ac, application_credential_secret: hunter2-sekrit}\n",
    )
    .unwrap();
    let Credential::Keystone(sys) = &p[0].credential else {
        panic!()
    };
    assert_eq!(sys.scope, Scope::System);
    let Credential::Keystone(app) = &p[1].credential else {
        panic!()
    };
    assert!(matches!(app.method, Method::ApplicationCredential { .. }));
    assert!(!format!("{app:?}").contains("hunter2"));

    // A misspelt key is an error at its line, not an unscoped token.
    let (line, msg) = file_error(
        "personas:\n  - name: a\n    keystone:\n      auth_url: http://k\n      username: u\n      password: x\n      sytem_scope: all\n",
    );
    assert_eq!(line, 7, "{msg}");
    assert!(msg.contains("sytem_scope"), "{msg}");
    let (_, msg) = file_error(
        "personas:\n  - name: a\n    keystone: {auth_url: http://k, username: u, password: x, system_scope: project}\n",
    );
    assert!(msg.contains("system_scope must be"), "{msg}");

    // clouds.yaml `auth:` is as strict; the rest of a cloud is not.
    let clouds = "clouds:\n  c:\n    region_name: R\n    auth:\n      auth_url: http://k\n      username: u\n      password: x\n      project_nmae: p\n";
    let e = parse_cloud_persona("x", Path::new("clouds.yaml"), clouds, "c").unwrap_err();
    assert!(e.to_string().starts_with("clouds.yaml:8:"), "{e}");
    let clouds = "clouds:\n  c:\n    auth_type: v3applicationcredential\n    auth:\n      auth_url: http://k\n      application_credential_id: ac\n      application_credential_secret: s\n";
    let c = parse_cloud_persona("x", Path::new("clouds.yaml"), clouds, "c").unwrap();
    assert!(matches!(c.credential, Credential::Keystone(_)));
}

#[test]
fn a_personas_file_may_extend_the_default_set() {
    use placement_harness::persona::parse_persona_file;
    let f = parse_persona_file(
        Path::new("p.yaml"),
        "extends: default\npersonas:\n  - name: ops\n    noauth2: admin\n  - name: norole\n    anonymous: true\n",
    )
    .unwrap();
    assert!(f.extends_default);
    let set = f.over(default_personas(AuthMode::Noauth2, None));
    let names: Vec<&str> = set.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names.len(), DEFAULT_PERSONAS.len() + 1, "{names:?}");
    assert!(names.contains(&"ops") && names.contains(&"tenant-b-reader"));
    // The file's norole replaced the default one.
    assert_eq!(find(&set, "norole").credential, Credential::None);
    // Without extends the file is the whole set.
    let f = parse_persona_file(
        Path::new("p.yaml"),
        "personas:\n  - name: ops\n    noauth2: admin\n",
    )
    .unwrap();
    assert_eq!(f.over(default_personas(AuthMode::Noauth2, None)).len(), 1);
    let (line, msg) = file_error("extends: everything\npersonas: []\n");
    assert_eq!(line, 1, "{msg}");
    assert!(msg.contains("extends must be"), "{msg}");
}

/// Runs the CLI on a thread of its own (it starts its own runtime), while
/// the test's runtime goes on serving the fake Keystone.
async fn cli(args: Vec<String>) -> (u8, String, String) {
    tokio::task::spawn_blocking(move || {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = placement_harness::cli::main_with(args, &mut out, &mut err);
        (
            code,
            String::from_utf8_lossy(&out).into_owned(),
            String::from_utf8_lossy(&err).into_owned(),
        )
    })
    .await
    .unwrap()
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ph-persona-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn personas_check_prints_facts_needs_and_refusals_without_secrets() {
    let (ks, hits, _) = keystone().await;
    let dir = scratch("check");
    let personas = dir.join("personas.yaml");
    std::fs::write(
        &personas,
        format!(
            "personas:\n  - name: good\n    keystone: {{auth_url: {ks}, username: root, password: right-password, user_domain_name: Default, project_name: demo, project_domain_name: Default}}\n  - name: bad\n    keystone: {{auth_url: {ks}, username: eve, password: hunter2-wrong, user_domain_name: Default, project_name: demo, project_domain_name: Default}}\n"
        ),
    )
    .unwrap();
    let suite = dir.join("s.yaml");
    std::fs::write(
        &suite,
        "tests:\n- name: a\n  GET: /\n  as: good\n- name: b\n  GET: /\n  as: ghost\n",
    )
    .unwrap();
    let args = [
        "placement-harness",
        "personas",
        "check",
        "--auth",
        "token",
        "--personas",
        personas.to_str().unwrap(),
        "--suite",
        suite.to_str().unwrap(),
    ];
    let (code, out, err) = cli(args.iter().map(|s| (*s).to_owned()).collect()).await;
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(
        out.contains(
            "good: Keystone password: user alice (u-1, domain default), project demo \
             (0f3e-demo-project, domain default), roles admin, member, reader (privileged); \
             the token lives 3600 s"
        ),
        "{out}"
    );
    assert!(out.contains("  sent as by "), "{out}");
    assert!(
        out.contains("bad: Keystone password: not authenticated"),
        "{out}"
    );
    assert!(out.contains("  ghost: needed by "), "{out}");
    assert!(
        err.contains("persona bad: Keystone authentication"),
        "{err}"
    );
    assert!(!format!("{out}{err}").contains("hunter2"), "{out}{err}");
    assert!(!format!("{out}{err}").contains("right-password"));
    assert!(!format!("{out}{err}").contains("gAAAAA"));
    assert_eq!(hits.load(Ordering::SeqCst), 2, "one login each");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_scan_with_a_refused_persona_stops_with_exit_2_before_its_suites() {
    let (ks, hits, _) = keystone().await;
    let dir = scratch("scan");
    let personas = dir.join("personas.yaml");
    std::fs::write(
        &personas,
        format!(
            "personas:\n  - name: admin\n    keystone: {{auth_url: {ks}, username: root, password: hunter2-wrong, user_domain_name: Default, project_name: demo, project_domain_name: Default}}\n"
        ),
    )
    .unwrap();
    let suite = dir.join("s.yaml");
    std::fs::write(
        &suite,
        "tests:\n- name: a\n  GET: /resource_providers\n  as: admin\n",
    )
    .unwrap();
    let journal = dir.join("journal");
    let args = [
        "placement-harness",
        "scan",
        "--auth",
        "token",
        "--personas",
        personas.to_str().unwrap(),
        "--suite",
        suite.to_str().unwrap(),
        "--snapshots",
        "off",
        "--journal-dir",
        journal.to_str().unwrap(),
    ];
    let (code, out, err) = cli(args.iter().map(|s| (*s).to_owned()).collect()).await;
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(
        err.contains("persona admin: Keystone authentication at"),
        "{err}"
    );
    assert!(err.contains("401"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
    assert_eq!(hits.load(Ordering::SeqCst), 1, "asked once, never again");
    // Nothing was journaled: the run stopped before its first request.
    assert!(!out.contains("run id"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}
