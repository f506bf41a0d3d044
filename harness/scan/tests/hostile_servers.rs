//! `run`, `scan`, `fuzz` and `cleanup` against servers that misbehave on
//! purpose (`placement-hostile`, in-process on 127.0.0.1): each kind ends
//! within its time bound with one clear line and exit 2; nothing is
//! written when the target check fails; when the target is lost mid-scan,
//! the findings made so far and the journal survive and the exact cleanup
//! command is printed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use placement_hostile::{Config, Kind, Running, spawn};

/// `--timeout` given to every command here.
const TIMEOUT_S: u64 = 2;

/// What a command may take at most against a hostile target: one request
/// with its connection retries (each within `--timeout`), or
/// [`placement_harness::client::LOST_AFTER`] requests in a row before the
/// target counts as lost, plus the process's own start and end.
fn bound() -> Duration {
    let retries = u64::from(placement_harness::client::MAX_RETRIES) + 1;
    let lost = u64::from(placement_harness::client::LOST_AFTER);
    Duration::from_secs(TIMEOUT_S * retries.max(lost) + 5)
}

fn scratch(tag: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("hostile-servers")
        .join(tag);
    let _ = std::fs::remove_dir_all(&d);
    if let Err(e) = std::fs::create_dir_all(&d) {
        panic!("{}: {e}", d.display());
    }
    d
}

struct Ran {
    out: Output,
    took: Duration,
}

impl Ran {
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.stdout).into_owned()
    }
}

async fn harness(args: Vec<String>, state: &Path) -> Ran {
    let state = state.to_owned();
    let ran = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_placement-harness"))
            .args(&args)
            .env("XDG_STATE_HOME", &state)
            .output();
        (out, started.elapsed())
    })
    .await;
    match ran {
        Ok((Ok(out), took)) => Ran { out, took },
        Ok((Err(e), _)) => panic!("placement-harness: {e}"),
        Err(e) => panic!("{e}"),
    }
}

async fn hostile(kind: Kind, after: u64, upstream: Option<std::net::SocketAddr>) -> Running {
    match spawn(Config {
        kind,
        after,
        upstream,
        log: false,
        prefix: None,
    })
    .await
    {
        Ok(s) => s,
        Err(e) => panic!("hostile server: {e}"),
    }
}

/// The embedded server on a loopback port, for the hostile server to
/// forward to.
async fn embedded() -> (placement_refserver::RunningServer, std::net::SocketAddr) {
    let personas = placement_harness::persona::default_personas(
        placement_harness::target::AuthMode::Noauth2,
        None,
    );
    let upstream = match placement_refserver::spawn(
        placement_harness::serve::embedded_config(&personas),
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    {
        Ok(s) => s,
        Err(e) => panic!("embedded server: {e}"),
    };
    let addr = match upstream
        .url()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
    {
        Ok(a) => a,
        Err(e) => panic!("{}: {e}", upstream.url()),
    };
    (upstream, addr)
}

/// `scan --target URL --snapshots off --timeout 2` with its journal in
/// `journal`, a JSON report at `report` if given, and `extra` options.
fn scan_args(url: &str, journal: &Path, report: Option<&Path>, extra: &[&str]) -> Vec<String> {
    let mut args = strings(&[
        "scan",
        "--target",
        url,
        "--snapshots",
        "off",
        "--timeout",
        "2",
    ]);
    args.extend(strings(&["--journal-dir", &journal.display().to_string()]));
    if let Some(r) = report {
        args.extend(strings(&["--report", &format!("json:{}", r.display())]));
    }
    args.extend(strings(extra));
    args
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

/// Every kind that misbehaves from the first request: the target check
/// refuses it within the bound, with one line naming what it found, exit
/// 2, and nothing written (no journal, no report).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_target_check_refuses_every_hostile_kind_within_its_bound() {
    let recorder = hostile(Kind::Healthy, 0, None).await;
    let kinds = [
        (Kind::Garbage, "not reachable"),
        (Kind::Reset, "not reachable"),
        (
            Kind::Hang,
            "not reachable: no complete answer within --timeout (2s)",
        ),
        (
            Kind::Drip,
            "not reachable: no complete answer within --timeout (2s)",
        ),
        (Kind::Endless, "(cut at the read limit)"),
        (Kind::Oversized, "(cut at the read limit)"),
        (Kind::WrongType, "answered 200 text/plain"),
        (Kind::NoType, "answered 200 no content type"),
        (Kind::HtmlError, "answered 500 text/html"),
        (
            Kind::Redirect(recorder.url()),
            "(a redirect to \"http://127.0.0.1:",
        ),
        (Kind::Dies, "not reachable"),
    ];
    for (kind, says) in kinds {
        let name = format!("{kind:?}");
        let server = hostile(kind, 0, None).await;
        let dir = scratch(&format!("check-{}", name.split('(').next().unwrap_or("x")));
        let journal = dir.join("journal");
        let report = dir.join("report.json");
        let ran = harness(scan_args(&server.url(), &journal, Some(&report), &[]), &dir).await;
        let err = ran.stderr();
        assert_eq!(ran.out.status.code(), Some(2), "{name}: {err}");
        assert!(ran.took <= bound(), "{name}: took {:?}", ran.took);
        assert_eq!(err.lines().count(), 1, "{name}: one line: {err}");
        assert!(err.contains(says), "{name}: {err}");
        assert!(!journal.exists(), "{name}: a journal was written");
        assert!(!report.exists(), "{name}: a report was written");
        assert!(ran.stdout().is_empty(), "{name}: {}", ran.stdout());
    }
    // No credential, no request at all, reached the redirect's target.
    assert_eq!(recorder.requests(), 0);
}

/// `https://` against a server that speaks plain HTTP: a TLS failure is
/// one line and exit 2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_failure_is_one_line_and_exit_2() {
    let server = hostile(Kind::Healthy, 0, None).await;
    let dir = scratch("tls");
    let url = server.url().replace("http://", "https://");
    let ran = harness(scan_args(&url, &dir.join("journal"), None, &[]), &dir).await;
    let err = ran.stderr();
    assert_eq!(ran.out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("is not reachable"), "{err}");
    assert!(ran.took <= bound(), "took {:?}", ran.took);
}

/// `run`, `fuzz` and `cleanup` take the same target check as `scan`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_fuzz_and_cleanup_check_the_target_too() {
    let server = hostile(Kind::HtmlError, 0, None).await;
    let dir = scratch("other-commands");
    let suite = dir.join("one.yaml");
    if let Err(e) = std::fs::write(&suite, "tests:\n- name: one\n  GET: /\n") {
        panic!("{e}");
    }
    let journal = dir.join("journal");
    let j = journal.display().to_string();
    // A journal for cleanup to read; the check must come before any delete.
    let run_id = placement_harness::run_id::RunId::generate();
    if let Err(e) = placement_harness::journal::Journal::create(&journal, run_id, &server.url()) {
        panic!("{e}");
    }
    let url = server.url();
    for args in [
        vec![
            "run",
            "--target",
            &url,
            "--timeout",
            "2",
            "--journal-dir",
            &j,
        ],
        vec!["fuzz", "--target", &url, "--timeout", "2", "--time", "5s"],
        vec![
            "cleanup",
            "--target",
            &url,
            "--run-id",
            &run_id.to_string(),
            "--journal-dir",
            &j,
            "--timeout",
            "2",
        ],
    ] {
        let mut args = strings(&args);
        if args[0] == "run" {
            args.push(suite.display().to_string());
        }
        if args[0] == "fuzz" {
            args.extend(strings(&["--journal-dir", &j]));
        }
        let ran = harness(args.clone(), &dir).await;
        let err = ran.stderr();
        assert_eq!(ran.out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains("is not a Placement API"), "{args:?}: {err}");
        assert!(ran.took <= bound(), "{args:?}: took {:?}", ran.took);
    }
    assert_eq!(server.requests(), 3, "one GET / per command, nothing else");
    // Only the journal made above: neither run nor fuzz wrote one.
    let journals = std::fs::read_dir(&journal).map(|d| d.count()).unwrap_or(0);
    assert_eq!(journals, 1);
}

/// A target that answers as Placement (the embedded server behind the
/// hostile one) and then hangs, resets or dies mid-scan: the scan stops
/// within the bound once the target is lost, says so in one line, exits
/// 2, writes its report with what it found until then, keeps the journal
/// of what it created, and prints the exact cleanup command.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_lost_mid_scan_ends_cleanly_and_keeps_the_journal() {
    let (upstream, upstream_addr) = embedded().await;
    for kind in [Kind::Hang, Kind::Reset, Kind::Dies] {
        let name = format!("{kind:?}");
        // 300 answers in: past the first suite's fixtures, which create
        // providers, consumers, a class and a trait.
        let server = hostile(kind, 300, Some(upstream_addr)).await;
        let dir = scratch(&format!("lost-{name}"));
        let journal = dir.join("journal");
        let report = dir.join("report.json");
        let ran = harness(
            scan_args(&server.url(), &journal, Some(&report), &["--quiet"]),
            &dir,
        )
        .await;
        let err = ran.stderr();
        let out = ran.stdout();
        assert_eq!(ran.out.status.code(), Some(2), "{name}: {err}\n{out}");
        // The scan's bound plus the cleanup's: both stop once the target
        // is lost.
        assert!(ran.took <= bound() * 2, "{name}: took {:?}", ran.took);
        let last = err.lines().last().unwrap_or_default();
        assert!(
            last.starts_with("placement-harness scan: stopped after ")
                && last.contains("the target stopped answering"),
            "{name}: {err}"
        );
        assert_eq!(
            err.matches("stopped answering").count(),
            2,
            "{name}: the reason once, the verdict once: {err}"
        );
        // Findings until then are reported; what was created is journaled
        // and the command that removes it later is printed whole.
        let text = std::fs::read_to_string(&report).unwrap_or_default();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        assert!(
            // The scan's own; the fixtures' requests are not among them.
            json["requests"].as_u64().is_some_and(|n| n >= 200),
            "{name}: {text:.300}"
        );
        assert!(
            json["summary"]["judged"]["no_5xx"]
                .as_u64()
                .is_some_and(|n| n > 0)
        );
        let left: Vec<PathBuf> = std::fs::read_dir(&journal)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        assert_eq!(left.len(), 1, "{name}: {left:?}");
        assert_eq!(left[0].extension().and_then(|e| e.to_str()), Some("jsonl"));
        let journaled = std::fs::read_to_string(&left[0]).unwrap_or_default();
        assert!(journaled.lines().count() > 1, "{name}: {journaled}");
        let retry = format!(
            "retry with: placement-harness cleanup --target {}/ --run-id ",
            server.url()
        );
        assert!(err.contains(&retry), "{name}: {err}");
        assert!(
            err.contains(&format!("--journal-dir '{}'", journal.display())),
            "{err}"
        );
    }
    let _ = upstream.shutdown().await;
}

/// Placement mounted under a path, as behind Apache or a cloud's gateway:
/// the host's root is the front end's page, so the target check refuses
/// it and says what it found; `--target` with the prefix scans through it
/// with every request under the prefix: the same requests and the same
/// findings as the same server without a prefix.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn placement_under_a_path_prefix_is_named_by_its_prefix() {
    let (upstream, upstream_addr) = embedded().await;
    let mounted = match spawn(Config {
        kind: Kind::Healthy,
        after: 0,
        upstream: Some(upstream_addr),
        log: false,
        prefix: Some("/placement".into()),
    })
    .await
    {
        Ok(s) => s,
        Err(e) => panic!("hostile server: {e}"),
    };
    let dir = scratch("prefix");
    let journal = dir.join("journal");
    let scan =
        |url: String, report: PathBuf| scan_args(&url, &journal, Some(&report), &["--quiet"]);
    let ran = harness(scan(mounted.url(), dir.join("refused.json")), &dir).await;
    let err = ran.stderr();
    assert_eq!(ran.out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("is not a Placement API") && err.contains("404 text/html"),
        "{err}"
    );
    assert_eq!(mounted.requests(), 1, "only the target check's GET");
    assert!(!journal.exists(), "nothing written");
    assert!(!dir.join("refused.json").exists(), "nothing written");

    let findings = |report: &Path| -> (u64, Vec<String>) {
        let text = std::fs::read_to_string(report).unwrap_or_default();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(
            json["errors"].as_array().map(Vec::len),
            Some(0),
            "{text:.600}"
        );
        let mut ids: Vec<String> = json["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f["id"].as_str().map(str::to_owned))
            .collect();
        ids.sort();
        (json["requests"].as_u64().unwrap_or(0), ids)
    };
    let report = dir.join("mounted.json");
    let ran = harness(
        scan(format!("{}/placement", mounted.url()), report.clone()),
        &dir,
    )
    .await;
    let code = ran.out.status.code();
    assert!(code == Some(0) || code == Some(1), "{}", ran.stderr());
    let (requests, through_prefix) = findings(&report);
    assert!(requests > 1000, "{requests} requests");
    // Every request was under the prefix: one outside it would have had
    // the front end's HTML 404, and a finding the plain server gives not.
    assert!(mounted.requests() > requests);

    let plain = hostile(Kind::Healthy, 0, Some(upstream_addr)).await;
    let report = dir.join("plain.json");
    let ran = harness(scan(plain.url(), report.clone()), &dir).await;
    assert_eq!(ran.out.status.code(), code, "{}", ran.stderr());
    let (plain_requests, plain_findings) = findings(&report);
    assert_eq!(plain_requests, requests);
    assert_eq!(through_prefix, plain_findings);
    let _ = upstream.shutdown().await;
}
