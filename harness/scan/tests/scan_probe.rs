//! `probe: foreign|missing` end to end over a fake [`Transport`]: the suite
//! syntax reaches the exchanges' input kind and comparison group, and the
//! `existence_leak` oracle reports a pair whose answers differ and stays
//! quiet on a pair that answers alike. No network.

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use placement_harness::exchange::{self, Exchange, Header, Response};
use placement_harness::finding::CheckId;
use placement_harness::persona::{Persona, default_personas};
use placement_harness::progress::Progress;
use placement_harness::scan::{
    FixtureSetup, Fixtures, PlannedSuite, ScanConfig, ScanOutcome, run_scan,
};
use placement_harness::snapshot::SnapshotMode;
use placement_harness::suite::{Suite, parse_suite};
use placement_harness::target::AuthMode;
use placement_harness::transport::Transport;

const FOREIGN: &str = "7d2e3a1c-3d7b-4a4b-9a53-2b8e1d5f6c10";
const MISSING: &str = "11111111-2222-4333-8444-555555555555";

/// Answers like a Placement whose policy lets readers through: a foreign
/// consumer's allocations come back (the leak) on `/allocations/`, while
/// `/resource_providers/` refuses foreign and missing alike.
struct Fake;

impl Transport for Fake {
    async fn send(
        &self,
        request: exchange::Request,
        _persona: Option<&Persona>,
    ) -> Result<Exchange, placement_harness::transport::TransportError> {
        let path = placement_harness::route::path_of(&request.url).to_owned();
        let (status, body) = if path.starts_with("/allocations/") && path.ends_with(FOREIGN) {
            (
                200,
                r#"{"allocations": {"aa": {"resources": {"VCPU": 1}}}, "project_id": "p"}"#,
            )
        } else if path.starts_with("/allocations/") {
            (200, r#"{"allocations": {}}"#)
        } else {
            (
                403,
                r#"{"errors": [{"status": 403, "code": "placement.undefined_code", "title": "Forbidden", "detail": "no"}]}"#,
            )
        };
        Ok(Exchange::new(
            request,
            Response {
                status,
                headers: vec![
                    Header::new("content-type", "application/json"),
                    Header::new("x-content-type-options", "nosniff"),
                ],
                body: body.as_bytes().to_vec(),
                ..Response::default()
            },
        ))
    }
}

struct Ids;

impl Fixtures for Ids {
    async fn setup(
        &self,
        _suite: &Suite,
    ) -> Result<FixtureSetup, placement_harness::scan::SetupFailure> {
        Ok(FixtureSetup {
            environ: [
                ("FOREIGN".to_owned(), FOREIGN.to_owned()),
                ("MISSING".to_owned(), MISSING.to_owned()),
            ]
            .into(),
            ..FixtureSetup::default()
        })
    }
    async fn cleanup(&self) -> Result<(), String> {
        Ok(())
    }
}

fn scan(text: &str) -> ScanOutcome {
    let cfg = ScanConfig {
        base_url: "http://127.0.0.1:9".into(),
        profile: "test".into(),
        snapshots: SnapshotMode::Off,
        snapshot_dir: None,
        described: None,
        personas: default_personas(AuthMode::Noauth2, None),
        auth: AuthMode::Noauth2,
        run_literals: Vec::new(),
        max_poll: 1,
        concurrency: 1,
        max_requests: 100,
        max_duration: Duration::from_secs(30),
        health: Default::default(),
    };
    let suite = parse_suite(text, Path::new("probe.yaml")).unwrap_or_else(|e| panic!("{e}"));
    let planned = PlannedSuite::plan(suite, &cfg.personas).unwrap_or_else(|e| panic!("{e}"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    rt.block_on(run_scan(
        &[planned],
        &Fake,
        &Ids,
        &cfg,
        &AtomicBool::new(false),
        &Progress::hidden(),
    ))
}

fn existence_leaks(out: &ScanOutcome) -> Vec<(String, String)> {
    out.findings
        .iter()
        .filter(|f| f.check == CheckId::ExistenceLeak)
        .map(|f| (f.persona.clone(), f.route.clone()))
        .collect()
}

const SUITE: &str = r#"
defaults:
  status: 200 || 403 || 404
tests:
- name: a foreign consumer
  GET: /allocations/$ENVIRON['FOREIGN']
  probe: foreign
  as_each: {tenant-b-reader: 200 || 403, service: 200}
- name: a missing consumer
  GET: /allocations/$ENVIRON['MISSING']
  probe: missing
  as_each: {tenant-b-reader: 200 || 403, service: 200}
- name: a foreign provider
  GET: /resource_providers/$ENVIRON['FOREIGN']
  probe: foreign
  as: tenant-b-reader
- name: a missing provider
  GET: /resource_providers/$ENVIRON['MISSING']
  probe: missing
  as: tenant-b-reader
"#;

#[test]
fn a_pair_that_differs_is_a_finding_one_that_matches_is_not() {
    let out = scan(SUITE);
    assert!(out.step_errors.is_empty(), "{:?}", out.step_errors);
    let reach = out.reach.first().cloned().unwrap_or_default();
    assert_eq!((reach.steps, reach.answered, reach.missed()), (4, 4, 0));
    // The consumer pair differs for the reader; service is privileged and
    // not judged; the provider pair answers alike.
    assert_eq!(
        existence_leaks(&out),
        vec![(
            "tenant-b-reader".to_owned(),
            "/allocations/{consumer_uuid}".to_owned()
        )]
    );
}

#[test]
fn pairs_only_meet_within_their_pair_name() {
    // The same two requests, but named into different pairs: nothing to
    // compare, so nothing reported.
    let text = SUITE
        .replacen("probe: foreign\n", "probe: foreign\n  pair: one\n", 1)
        .replacen("probe: missing\n", "probe: missing\n  pair: two\n", 1);
    let out = scan(&text);
    assert!(out.step_errors.is_empty(), "{:?}", out.step_errors);
    assert!(
        existence_leaks(&out).is_empty(),
        "{:?}",
        existence_leaks(&out)
    );
    // Named into the same pair, they meet again.
    let text = SUITE
        .replacen("probe: foreign\n", "probe: foreign\n  pair: one\n", 1)
        .replacen("probe: missing\n", "probe: missing\n  pair: one\n", 1);
    assert_eq!(existence_leaks(&scan(&text)).len(), 1);
}

#[test]
fn skipped_and_unanswered_steps_are_counted_apart() {
    let text = format!(
        "{SUITE}- name: not today\n  GET: /x\n  skip: the fake has no such route, on purpose\n"
    );
    let out = scan(&text);
    let reach = out.reach.first().cloned().unwrap_or_default();
    assert_eq!((reach.steps, reach.answered, reach.missed()), (5, 4, 0));
    assert_eq!(reach.skipped.len(), 1);
    assert_eq!(reach.skipped[0].0, "probe.yaml:21");
}
