//! Every oracle over the real Placement 16.0.0 answers in `fixtures/`, through
//! the public API only: the snapshot records which real answer trips which
//! check, so a change in Placement or in an oracle shows up in review.

// A test binary: a missing or unreadable fixture must fail the test loudly.
#![allow(clippy::unwrap_used)]

use placement_harness::exchange::{
    Credentials, Exchange, Header, Input, InputKind, Request, Response,
};
use placement_harness::oracle::{Context, check_all};

fn load(name: &str) -> Response {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/");
    let heads = std::fs::read_to_string(format!("{dir}{name}.headers")).unwrap();
    let body = std::fs::read(format!("{dir}{name}.body")).unwrap();
    let mut lines = heads.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap();
    Response {
        status,
        headers: lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| Header::new(n.trim(), v.trim()))
            .collect(),
        body,
        ..Response::default()
    }
}

struct Case {
    fixture: &'static str,
    method: &'static str,
    route: &'static str,
    path: &'static str,
    body: Option<&'static str>,
    credentials: Credentials,
    microversion: &'static str,
    input: Input,
}

fn case(
    fixture: &'static str,
    method: &'static str,
    route: &'static str,
    path: &'static str,
) -> Case {
    Case {
        fixture,
        method,
        route,
        path,
        body: None,
        credentials: Credentials::Valid,
        microversion: "placement 1.39",
        input: Input::default(),
    }
}

fn exchange(c: &Case) -> Exchange {
    let mut headers = vec![Header::new("openstack-api-version", c.microversion)];
    if c.credentials == Credentials::Valid {
        headers.push(Header::new("x-auth-token", "admin"));
    }
    Exchange::new(
        Request {
            method: c.method.into(),
            url: format!("http://127.0.0.1:46527{}", c.path),
            route: c.route.into(),
            persona: if c.credentials == Credentials::Valid {
                "admin"
            } else {
                "anonymous"
            }
            .into(),
            credentials: c.credentials,
            input: c.input.clone(),
            headers,
            body: c.body.map(str::to_owned),
            ..Request::default()
        },
        load(c.fixture),
    )
}

#[test]
fn which_real_answers_trip_which_oracle() {
    let cases = vec![
        case("root", "GET", "/", "/"),
        Case {
            credentials: Credentials::None,
            ..case(
                "no_token",
                "GET",
                "/resource_providers",
                "/resource_providers",
            )
        },
        Case {
            input: Input {
                kind: InputKind::MalformedUuid,
                class: "not-a-uuid".into(),
                value: Some("not-a-uuid".into()),
            },
            ..case(
                "bad_uuid_path",
                "GET",
                "/resource_providers/{uuid}",
                "/resource_providers/not-a-uuid",
            )
        },
        case(
            "not_found_uuid",
            "GET",
            "/resource_providers/{uuid}",
            "/resource_providers/7d2e3a1c-3d7b-4a4b-9a53-2b8e1d5f6c10",
        ),
        Case {
            microversion: "placement 9.99",
            ..case(
                "bad_microversion",
                "GET",
                "/resource_providers",
                "/resource_providers",
            )
        },
        Case {
            body: Some(r#"{"name": "x","#),
            ..case(
                "malformed_json",
                "POST",
                "/resource_providers",
                "/resource_providers",
            )
        },
        Case {
            body: Some(r#"{"name": 1}"#),
            ..case(
                "schema_invalid",
                "POST",
                "/resource_providers",
                "/resource_providers",
            )
        },
        case(
            "limit_abc",
            "GET",
            "/allocation_candidates",
            "/allocation_candidates?resources=VCPU:1&limit=abc&limit=1",
        ),
        case(
            "bad_resources_query",
            "GET",
            "/allocation_candidates",
            "/allocation_candidates?resources=VCPU:x",
        ),
    ];
    let mut table = String::new();
    for c in &cases {
        let findings = check_all(&[exchange(c)], &Context::default());
        let mut tripped: Vec<String> = findings
            .iter()
            .map(|f| format!("{}({}): {}", f.check, f.severity, f.evidence))
            .collect();
        tripped.sort();
        table.push_str(&format!(
            "{} {} -> {}\n",
            c.fixture,
            c.route,
            load(c.fixture).status
        ));
        for t in tripped {
            table.push_str(&format!("    {t}\n"));
        }
    }
    insta::assert_snapshot!(table);
}
