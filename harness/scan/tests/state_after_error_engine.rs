//! `state_after_error` wired into the scan and the HTTP fuzzer, over a fake
//! [`Transport`] that keeps state: a write answered with a 500 is read back
//! through the same sender; one the fake committed before failing is a
//! high finding, one it rolled back is not (the read-back lands in the
//! `no_5xx` evidence); a create that found its object already there did
//! not take effect; a step that opts out sends no read-back; the fuzzer
//! makes the same reads.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use placement_harness::exchange::{self, Exchange, Header, Response};
use placement_harness::finding::{CheckId, Severity};
use placement_harness::fuzz::engine::{FuzzConfig, run_fuzz};
use placement_harness::persona::{Persona, default_personas};
use placement_harness::progress::Progress;
use placement_harness::route::path_of;
use placement_harness::run_id::RunId;
use placement_harness::scan::{NoFixtures, PlannedSuite, ScanConfig, run_scan};
use placement_harness::snapshot::SnapshotMode;
use placement_harness::suite::parse_suite;
use placement_harness::target::AuthMode;
use placement_harness::transport::Transport;

const ERROR: &str = r#"{"errors": [{"status": 500, "title": "Internal Server Error", "detail": "boom", "code": "placement.undefined_code"}]}"#;

/// Traits: `PUT /traits/CUSTOM_COMMIT*` stores the trait and answers 500;
/// any other trait PUT answers 500 and stores nothing; `GET /traits/{n}`
/// answers 204 when stored, else 404. In `all_writes_fail` mode every
/// write answers 500 and every read 200 with a generation (for the fuzzer).
#[derive(Default)]
struct Fake {
    stored: Mutex<BTreeSet<String>>,
    sent: Mutex<Vec<String>>,
    all_writes_fail: bool,
}

impl Transport for Fake {
    async fn send(
        &self,
        request: exchange::Request,
        _persona: Option<&Persona>,
    ) -> Result<Exchange, placement_harness::transport::TransportError> {
        let path = path_of(&request.url).to_owned();
        self.sent
            .lock()
            .unwrap()
            .push(format!("{} {path}", request.method));
        let write = request.method != "GET";
        let (status, body) = if self.all_writes_fail {
            if write {
                (500, ERROR.to_owned())
            } else {
                (
                    200,
                    r#"{"generation": 1, "resource_provider_generation": 1}"#.to_owned(),
                )
            }
        } else if let Some(name) = path.strip_prefix("/traits/") {
            if write {
                if name.starts_with("CUSTOM_COMMIT") {
                    self.stored.lock().unwrap().insert(name.to_owned());
                }
                (500, ERROR.to_owned())
            } else if self.stored.lock().unwrap().contains(name) {
                (204, String::new())
            } else {
                (404, r#"{"errors": [{"status": 404, "title": "Not Found", "detail": "no", "code": "placement.undefined_code"}]}"#.to_owned())
            }
        } else {
            (200, "{}".to_owned())
        };
        Ok(Exchange::new(
            request,
            Response {
                status,
                headers: vec![
                    Header::new("content-type", "application/json"),
                    Header::new("x-content-type-options", "nosniff"),
                ],
                body: body.into_bytes(),
                ..Response::default()
            },
        ))
    }
}

const SUITE: &str = r#"
tests:
- name: committed before failing
  PUT: /traits/CUSTOM_COMMITTED
  as: admin
  status: 500
- name: rolled back
  PUT: /traits/CUSTOM_ROLLED_BACK
  as: service
  status: 500
- name: committed again, so it existed before
  PUT: /traits/CUSTOM_COMMITTED
  as: tenant-b-member
  status: 500
- name: committed but not judged
  PUT: /traits/CUSTOM_COMMIT_OPT_OUT
  as: tenant-a-admin
  status: 500
  expect: ["!state_after_error"]
"#;

#[test]
fn scan_reads_back_after_a_5xx_write_and_judges_it() {
    let cfg = ScanConfig {
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
        max_requests: 100,
        max_duration: Duration::from_secs(60),
        health: Default::default(),
    };
    let suite = parse_suite(SUITE, Path::new("after_error.yaml")).unwrap();
    let planned = PlannedSuite::plan(suite, &cfg.personas).unwrap();
    let fake = Fake::default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let out = rt.block_on(run_scan(
        &[planned],
        &fake,
        &NoFixtures,
        &cfg,
        &AtomicBool::new(false),
        &Progress::hidden(),
    ));
    let sent = fake.sent.into_inner().unwrap();
    assert_eq!(
        sent,
        [
            "GET /traits/CUSTOM_COMMITTED",
            "PUT /traits/CUSTOM_COMMITTED",
            "GET /traits/CUSTOM_COMMITTED",
            "GET /traits/CUSTOM_ROLLED_BACK",
            "PUT /traits/CUSTOM_ROLLED_BACK",
            "GET /traits/CUSTOM_ROLLED_BACK",
            "GET /traits/CUSTOM_COMMITTED",
            "PUT /traits/CUSTOM_COMMITTED",
            "GET /traits/CUSTOM_COMMITTED",
            "PUT /traits/CUSTOM_COMMIT_OPT_OUT",
        ]
    );
    assert_eq!(out.requests, 10, "reads count as requests");
    let after: Vec<_> = out
        .findings
        .iter()
        .filter(|f| f.check == CheckId::StateAfterError)
        .collect();
    assert_eq!(after.len(), 1, "{after:#?}");
    assert_eq!(after[0].url, "http://127.0.0.1:9/traits/CUSTOM_COMMITTED");
    assert_eq!(after[0].severity, Severity::High);
    assert_eq!(after[0].cwe, "CWE-460");
    assert!(
        after[0]
            .evidence
            .contains("GET http://127.0.0.1:9/traits/CUSTOM_COMMITTED -> 204: in place"),
        "{}",
        after[0].evidence
    );
    let again = out
        .findings
        .iter()
        .find(|f| f.check == CheckId::No5xx && f.persona == "tenant-b-member")
        .unwrap();
    assert!(
        again.evidence.contains("nothing of the write took effect")
            && again.evidence.contains("read before the write GET "),
        "{}",
        again.evidence
    );
    let rolled = out
        .findings
        .iter()
        .find(|f| f.check == CheckId::No5xx && f.url.ends_with("CUSTOM_ROLLED_BACK"))
        .unwrap();
    assert!(
        rolled.evidence.contains("nothing of the write took effect")
            && rolled.evidence.contains("-> 404: not in place"),
        "{}",
        rolled.evidence
    );
}

#[test]
fn fuzzer_reads_back_after_a_5xx_write() {
    let fake = Fake {
        all_writes_fail: true,
        ..Fake::default()
    };
    let run_id = RunId::parse("ph0123456789").unwrap();
    let cfg = FuzzConfig {
        base_url: "http://127.0.0.1:9/".into(),
        seed: 5,
        run_id,
        personas: default_personas(AuthMode::Noauth2, Some(run_id)),
        max_requests: 300,
        max_duration: Duration::from_secs(60),
        actions_per_episode: 10,
        keep_exchanges: 100,
        health: Default::default(),
    };
    let ctx = placement_harness::scan::context::oracle_context(&cfg.personas);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let out = rt.block_on(run_fuzz(&fake, &cfg, ctx, &AtomicBool::new(false)));
    let sent = fake.sent.into_inner().unwrap();
    assert!(sent.len() <= 300, "the request bound holds with read-backs");
    assert_eq!(out.requests as usize, sent.len());
    // The provider PUT of an episode's setup fails; its read-back follows.
    let read_after_put = sent.windows(2).any(|w| {
        w[0].starts_with("PUT /resource_providers/")
            && w[0].ends_with("/inventories")
            && w[1] == w[0].replacen("PUT", "GET", 1)
    });
    assert!(read_after_put, "{sent:#?}");
    // A create or delete by name is read before it is sent, too.
    let read_before_write = sent.windows(2).any(|w| {
        let (get, write) = (&w[0], &w[1]);
        get.starts_with("GET ")
            && (write.starts_with("PUT ") || write.starts_with("DELETE "))
            && get[4..] == write[write.find(' ').unwrap() + 1..]
            && (get.contains("/traits/") || get.contains("/resource_classes/"))
    });
    assert!(read_before_write, "{sent:#?}");
    // Every 5xx write is judged: a state_after_error finding, or the
    // read-back in its no_5xx evidence.
    assert!(
        out.findings
            .iter()
            .any(|f| f.check == CheckId::No5xx && f.evidence.contains("read-back GET ")),
        "{:#?}",
        out.findings
    );
}
