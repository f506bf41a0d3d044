//! The scan engine over a fake [`Transport`]: which requests it sends, as
//! whom, in what order, and what it makes of the answers, without a
//! network. The fake answers like a tiny Placement with noauth2 that
//! trusts `X-Roles` (as the real one does).

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use placement_harness::exchange::{self, Exchange, Header, Response};
use placement_harness::finding::{CheckId, Severity};
use placement_harness::persona::{Persona, default_personas};
use placement_harness::progress::Progress;
use placement_harness::scan::{
    FixtureSetup, Fixtures, PlannedSuite, ScanConfig, ScanOutcome, run_scan,
};
use placement_harness::snapshot::SnapshotMode;
use placement_harness::suite::{Suite, parse_suite};
use placement_harness::target::AuthMode;
use placement_harness::transport::Transport;

#[derive(Default)]
struct Fake {
    sent: Mutex<Vec<(String, String, String)>>,
}

impl Transport for Fake {
    async fn send(
        &self,
        mut request: exchange::Request,
        persona: Option<&Persona>,
    ) -> Result<Exchange, placement_harness::transport::TransportError> {
        let name = persona.map(|p| p.name.clone()).unwrap_or_default();
        if let Ok(mut log) = self.sent.lock() {
            log.push((request.method.clone(), request.url.clone(), name.clone()));
        }
        let roles = request
            .headers
            .iter()
            .find(|h| h.name == "x-roles")
            .map(|h| h.value.clone())
            .unwrap_or_else(|| {
                if name == "admin" {
                    "admin".into()
                } else {
                    String::new()
                }
            });
        if persona.is_some() {
            request
                .headers
                .push(Header::new("x-auth-token", "fake-token-value"));
        }
        let path = placement_harness::route::path_of(&request.url).to_owned();
        let (status, body, location) = if path == "/old" {
            (302, String::new(), Some("/resource_providers"))
        } else if path == "/away" {
            (302, String::new(), Some("http://elsewhere.invalid/x"))
        } else if path == "/boom" {
            (500, r#"{"errors": [{"status": 500, "code": "placement.undefined_code", "title": "Internal Server Error", "detail": "boom"}]}"#.to_owned(), None)
        } else if roles.contains("admin") {
            (200, r#"{"resource_providers": []}"#.to_owned(), None)
        } else {
            (403, r#"{"errors": [{"status": 403, "code": "placement.undefined_code", "title": "Forbidden", "detail": "no"}]}"#.to_owned(), None)
        };
        let mut headers = vec![
            Header::new("content-type", "application/json"),
            Header::new("x-content-type-options", "nosniff"),
        ];
        if let Some(l) = location {
            headers.push(Header::new("location", l));
        }
        Ok(Exchange::new(
            request,
            Response {
                status,
                headers,
                body: body.into_bytes(),
                ..Response::default()
            },
        ))
    }
}

#[derive(Default)]
struct CountingFixtures {
    setups: AtomicUsize,
    cleanups: AtomicUsize,
}

impl Fixtures for CountingFixtures {
    async fn setup(
        &self,
        _suite: &Suite,
    ) -> Result<FixtureSetup, placement_harness::scan::SetupFailure> {
        self.setups.fetch_add(1, Ordering::SeqCst);
        Ok(FixtureSetup {
            environ: [("EXTRA".to_owned(), "from-fixture".to_owned())].into(),
            ..FixtureSetup::default()
        })
    }
    async fn cleanup(&self) -> Result<(), String> {
        self.cleanups.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

fn config(max_requests: u64) -> ScanConfig {
    ScanConfig {
        base_url: "http://127.0.0.1:9".into(),
        profile: "test".into(),
        snapshots: SnapshotMode::Off,
        snapshot_dir: None,
        described: None,
        personas: default_personas(AuthMode::Noauth2, None),
        auth: AuthMode::Noauth2,
        run_literals: Vec::new(),
        max_poll: 3,
        concurrency: 4,
        max_requests,
        max_duration: Duration::from_secs(60),
        health: Default::default(),
    }
}

fn scan(text: &str, stop: bool, max_requests: u64) -> (ScanOutcome, Fake, CountingFixtures) {
    let cfg = config(max_requests);
    let suite = parse_suite(text, Path::new("engine.yaml")).unwrap_or_else(|e| panic!("{e}"));
    let planned = PlannedSuite::plan(suite, &cfg.personas).unwrap_or_else(|e| panic!("{e}"));
    let fake = Fake::default();
    let fixtures = CountingFixtures::default();
    let flag = AtomicBool::new(stop);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let out = rt.block_on(run_scan(
        &[planned],
        &fake,
        &fixtures,
        &cfg,
        &flag,
        &Progress::hidden(),
    ));
    (out, fake, fixtures)
}

const SUITE: &str = r#"
tests:
- name: list per persona
  GET: /resource_providers?from=$ENVIRON['EXTRA']
  as_each:
    admin: 200
    tenant-b-member: 403
    norole: 200
  claim: norole-cannot-list
  cwe: 285
  severity: high
- name: spoofed
  GET: /resource_providers?from=$ENVIRON['EXTRA']
  as: tenant-b-member
  request_headers:
    x-roles: admin
  status: 403
  expect: ["!policy", "!expectation"]
- name: redirected
  GET: /old
  as: admin
  redirects: true
- name: not followed elsewhere
  GET: /away
  as: admin
  redirects: true
  status: 302
- name: crash only judged by no_5xx
  GET: /boom
  as: admin
  status: 500
  expect: [no_5xx]
- name: crash not judged
  GET: /boom
  as: service
  status: 500
  expect: ["!no_5xx"]
"#;

#[test]
fn personas_expectations_spoofing_redirects_and_expect() {
    let (out, fake, fixtures) = scan(SUITE, false, 1000);
    assert!(out.step_errors.is_empty(), "{:?}", out.step_errors);
    let sent = fake.sent.lock().map(|l| l.clone()).unwrap_or_default();
    let urls: Vec<&str> = sent.iter().map(|(_, u, _)| u.as_str()).collect();
    assert_eq!(
        urls.first().copied(),
        Some("http://127.0.0.1:9/resource_providers?from=from-fixture"),
        "fixture variables reach $ENVIRON"
    );
    let personas: Vec<&str> = sent.iter().take(3).map(|(_, _, p)| p.as_str()).collect();
    assert_eq!(personas, ["admin", "tenant-b-member", "norole"]);
    // One redirect hop followed on the same origin, none elsewhere.
    assert_eq!(
        urls.get(4..7),
        Some(
            &[
                "http://127.0.0.1:9/old",
                "http://127.0.0.1:9/resource_providers",
                "http://127.0.0.1:9/away",
            ][..]
        ),
        "{urls:?}"
    );
    assert!(!urls.iter().any(|u| u.contains("elsewhere")), "{urls:?}");
    assert_eq!(out.requests, 3 + 1 + 2 + 1 + 1 + 1);
    assert_eq!(fixtures.setups.load(Ordering::SeqCst), 1);
    assert_eq!(fixtures.cleanups.load(Ordering::SeqCst), 1);

    let of = |c: CheckId| out.findings.iter().filter(move |f| f.check == c);
    // norole expected 200 and got 403: the step's own expectation, with its claim.
    let exp: Vec<_> = of(CheckId::Expectation).collect();
    assert_eq!(exp.len(), 1, "{exp:#?}");
    assert_eq!(exp[0].persona, "norole");
    assert_eq!(exp[0].cwe, "CWE-285");
    assert_eq!(exp[0].severity, Severity::High);
    assert!(
        exp[0]
            .evidence
            .starts_with("claim norole-cannot-list: status"),
        "{}",
        exp[0].evidence
    );
    // X-Roles honoured: identity_spoofing by comparison with the baseline.
    let spoof: Vec<_> = of(CheckId::IdentitySpoofing).collect();
    assert_eq!(spoof.len(), 1, "{spoof:#?}");
    assert_eq!(spoof[0].persona, "tenant-b-member");
    assert_eq!(spoof[0].step.as_deref(), Some("spoofed [tenant-b-member]"));
    assert!(!spoof[0].curl.contains("fake-token-value"));
    // policy opted out on the spoofed step only.
    assert!(of(CheckId::Policy).all(|f| f.step.as_deref() != Some("spoofed [tenant-b-member]")));
    // expect: [no_5xx] keeps only no_5xx; "!no_5xx" drops it.
    let crashes: Vec<_> = out
        .findings
        .iter()
        .filter(|f| f.route == "/boom")
        .map(|f| (f.persona.as_str(), f.check))
        .collect();
    assert!(crashes.contains(&("admin", CheckId::No5xx)), "{crashes:?}");
    assert!(
        crashes
            .iter()
            .all(|(p, c)| (*p == "admin" && *c == CheckId::No5xx)
                || (*p == "service" && *c != CheckId::No5xx)),
        "{crashes:?}"
    );
    // Without the opt-out the service's 500 would be a no_5xx finding too.
    assert!(
        !crashes.contains(&("service", CheckId::No5xx)),
        "{crashes:?}"
    );
}

#[test]
fn a_set_stop_flag_sends_nothing_but_still_cleans_up() {
    let (out, fake, fixtures) = scan(SUITE, true, 1000);
    assert!(out.interrupted);
    assert_eq!(out.requests, 0);
    assert!(fake.sent.lock().map(|l| l.is_empty()).unwrap_or(false));
    assert_eq!(fixtures.cleanups.load(Ordering::SeqCst), 1);
}

#[test]
fn the_request_bound_holds() {
    let (out, fake, _) = scan(SUITE, false, 2);
    assert_eq!(out.requests, 2);
    assert_eq!(fake.sent.lock().map(|l| l.len()).unwrap_or(0), 2);
    assert!(
        out.stopped
            .as_deref()
            .is_some_and(|s| s.contains("request bound"))
    );
    assert!(!out.interrupted);
}
