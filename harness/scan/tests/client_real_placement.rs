//! The client and the default noauth2 personas against a REAL Placement,
//! when `PLACEMENT_URL` names one (`scripts/placement-up` starts one on
//! loopback). Three requests: the root is open, the API refuses anonymous
//! callers and lets the admin in.

// A test binary: a failed setup must fail the test loudly.
#![allow(clippy::unwrap_used)]

use placement_harness::client::{Client, ClientConfig};
use placement_harness::exchange::{Header, Request};
use placement_harness::persona::{Authenticator, default_personas};
use placement_harness::target::{AuthMode, Target};

mod common;

#[tokio::test]
async fn real_placement_root_open_api_guarded() {
    let url = common::placement_url();
    let target = Target::new(&url, AuthMode::Noauth2, "openstack-placement-16.0.0").unwrap();
    let client = Client::new(ClientConfig {
        max_rps: Some(20.0),
        ..ClientConfig::default()
    })
    .unwrap();
    let auth = Authenticator::new(&client);
    let personas = default_personas(target.auth, None);
    let persona = |name: &str| personas.iter().find(|p| p.name == name).unwrap();

    let send = |path: &str, who: &str| {
        let mut req = Request {
            method: "GET".into(),
            url: target.url(path).unwrap(),
            route: path.into(),
            headers: vec![Header::new("OpenStack-API-Version", "placement 1.39")],
            ..Request::default()
        };
        let (client, auth, p) = (&client, &auth, persona(who).clone());
        async move {
            auth.apply(&p, &mut req).await.unwrap();
            client.send(req).await.unwrap()
        }
    };

    assert_eq!(send("/", "anonymous").await.status(), 200);
    let ex = send("/resource_providers", "anonymous").await;
    assert_eq!(ex.status(), 401, "{}", ex.body_text());
    let ex = send("/resource_providers", "admin").await;
    assert_eq!(ex.status(), 200, "{}", ex.body_text());
    assert_eq!(ex.request_header("x-auth-token"), Some("<redacted>"));
    assert!(ex.curl().contains("$TOKEN_ADMIN"), "{}", ex.curl());
}
