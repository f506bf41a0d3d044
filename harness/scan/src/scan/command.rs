//! `placement-harness scan`: its options and the command around
//! [`run_scan`]: load and expand suites (every error before
//! any request), reach the target, run, write the reports and pick the exit
//! code. Ctrl-C stops sending, still writes the reports for what was done,
//! runs the cleanup hook and exits 130.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use clap::Args;

use super::safety::ScanFixtures;
use super::{PlannedSuite, ScanConfig, run_scan};
use crate::corpus;
use crate::exit::{EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE};
use crate::finding::Severity;
use crate::guard::GuardedTransport;
use crate::options::{DEFAULT_CONCURRENCY, ReportArgs, SessionArgs};
use crate::progress::Progress;
use crate::report::{self, Report, RunError, Tool, rfc3339};
use crate::run_id::RunId;
use crate::session::{self, Launch, SessionError};
use crate::snapshot::{SnapshotMode, SnapshotOutcome};
use crate::suite::{Suite, SuiteError, load_suite, parse_suite};
use crate::target::display_url;

/// Help text after the options of `scan`.
pub const SCAN_AFTER_HELP: &str = "Examples:\n  \
    placement-harness scan --target http://127.0.0.1:8778 --profile openstack-placement-16.0.0\n  \
    placement-harness scan --target https://placement.example --auth token \\\n      \
    --personas personas.yaml --suite scenarios/ --snapshots off \\\n      \
    --report sarif:scan.sarif --report json:scan.json --fail-on medium --max-rps 5\n  \
    placement-harness scan --target http://127.0.0.1:8778 --profile dev --snapshots update\n  \
    placement-harness scan --list-corpora\n\n\
    Suites: gabbi YAML plus `as`, `as_each`, `each: CORPUS` ($INPUT, $INPUT_URL,\n\
    $INPUT_JSON; with uuid/spellings also $SPELL(VAR)), `expect`, `snapshot`,\n\
    `cwe`, `severity`, `claim`, `probe: foreign|missing` with `pair: NAME`\n\
    (existence_leak pairs), and `{$repeat: VALUE, times: N}` in `data` (large\n\
    bodies). Corpora: --list-corpora. One `reach` line per suite says how\n\
    many steps were answered, skipped on purpose (with the reason) or missed.\n\
    Exit status: 0 no issue at or above --fail-on (new issues only with\n\
    --baseline; suppressed ones never), 1 such issues or a snapshot\n\
    mismatch, 2 usage, suite or target error (or a step that could not be\n\
    sent), 130 interrupted (reports are still written).";

/// Options of `scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Suite files or folders (every *.yaml in a folder, sorted); default:
    /// the built-in suites.
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub suite: Vec<PathBuf>,
    /// Snapshot folder name for this kind of target (default `embedded`
    /// without --target; required with --target unless --snapshots off).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// check: compare (a difference writes .snap.new and fails); update:
    /// write .snap; off.
    #[arg(long, value_name = "MODE", default_value = "check", value_parser = parse_snapshots)]
    pub snapshots: SnapshotMode,
    /// Where snapshots live (default: `snapshots/` beside each suite).
    #[arg(long, value_name = "DIR")]
    pub snapshot_dir: Option<PathBuf>,
    /// No progress bar, no per-snapshot lines.
    #[arg(long)]
    pub quiet: bool,
    /// Print the named corpora with their sizes and exit.
    #[arg(long)]
    pub list_corpora: bool,
    /// The target, how to reach it, how much to send, the journal.
    #[command(flatten)]
    pub session: SessionArgs,
    /// Reports and the exit code.
    #[command(flatten)]
    pub reports: ReportArgs,
}

fn parse_snapshots(s: &str) -> Result<SnapshotMode, String> {
    s.parse::<SnapshotMode>()
}

/// What stopped `scan` before it could judge anything.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// `--target` without `--profile` while snapshots are on.
    #[error(
        "--profile NAME is required with --target unless --snapshots off: it names the \
         snapshot folder for this kind of server (e.g. openstack-placement-16.0.0)"
    )]
    NoProfile,
    /// A `--suite` path that cannot be read.
    #[error("--suite {path}: {reason}")]
    SuitePath {
        /// The path.
        path: String,
        /// Why.
        reason: String,
    },
    /// A suite is wrong.
    #[error("{0}")]
    Suite(#[from] SuiteError),
    /// The session could not start.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// A report could not be written.
    #[error("--report {path}: {reason}")]
    Report {
        /// The path.
        path: String,
        /// Why.
        reason: String,
    },
    /// A baseline or suppressions file is wrong.
    #[error(transparent)]
    Judgements(#[from] crate::input_file::FileError),
}

/// Runs `scan`; returns the exit code.
pub fn scan_command(args: &ScanArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    if args.list_corpora {
        for c in corpus::all() {
            let _ = writeln!(
                out,
                "{:<22} {:>4}  {}",
                c.name,
                c.inputs.len(),
                c.description
            );
        }
        return EXIT_OK;
    }
    let result = scan_inner(args, out, err);
    crate::exit::or_usage("scan", result, err)
}

/// The suite files `--suite` names, folders expanded.
fn suite_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ScanError> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let entries = std::fs::read_dir(p).map_err(|e| ScanError::SuitePath {
                path: p.display().to_string(),
                reason: e.to_string(),
            })?;
            let mut found: Vec<PathBuf> = entries
                .flatten()
                .map(|e| e.path())
                .filter(|f| f.is_file() && f.extension().is_some_and(|x| x == "yaml"))
                .collect();
            found.sort();
            if found.is_empty() {
                return Err(ScanError::SuitePath {
                    path: p.display().to_string(),
                    reason: "no *.yaml file in this folder".to_owned(),
                });
            }
            files.extend(found);
        } else {
            files.push(p.clone());
        }
    }
    Ok(files)
}

/// Every suite of the scan, parsed: `--suite` or the built-in ones.
/// The suites at `paths` (files or folders), or the built-in ones.
pub fn load_suites(paths: &[PathBuf]) -> Result<Vec<Suite>, ScanError> {
    if paths.is_empty() {
        return corpus::builtin_suites()
            .iter()
            .map(|(name, text)| {
                parse_suite(text, &Path::new("scenarios").join(name)).map_err(ScanError::from)
            })
            .collect();
    }
    suite_files(paths)?
        .iter()
        .map(|f| load_suite(f).map_err(ScanError::from))
        .collect()
}

fn scan_inner(args: &ScanArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8, ScanError> {
    let judgements = args.reports.judgements()?;
    let run_id = RunId::generate();
    let personas = session::personas(&args.session.conn, run_id)?;
    // Every suite is read and expanded before anything is sent: an unknown
    // persona in the last file must not surface after the first ones ran.
    let suites = load_suites(&args.suite)?;
    let names: Vec<String> = personas.iter().map(|p| p.name.clone()).collect();
    crate::suite::personas::check(&suites, &names)?;
    let planned: Vec<PlannedSuite> = suites
        .into_iter()
        .map(|s| PlannedSuite::plan(s, &personas))
        .collect::<Result<_, _>>()?;
    let launch = Launch::start(&args.session, &personas)?;
    let fail_on = args
        .reports
        .fail_on
        .unwrap_or(report::default_fail_on(launch.is_embedded()));
    let embedded = launch.is_embedded();
    let profile = match (&args.profile, args.snapshots, embedded) {
        (Some(p), _, _) => p.clone(),
        (None, _, true) => "embedded".to_owned(),
        (None, SnapshotMode::Off, false) => "custom".to_owned(),
        (None, _, false) => return Err(ScanError::NoProfile),
    };
    let concurrency = args.session.limits.concurrency_or(DEFAULT_CONCURRENCY);
    let session = launch.connect(
        &args.session,
        run_id,
        personas,
        &profile,
        DEFAULT_CONCURRENCY,
    )?;
    if !args.quiet {
        let _ = writeln!(
            out,
            "run id {run_id} (journal {})",
            session.journal().path().display()
        );
    }
    let base_url = session.base_url();
    let client = session.client();
    let fixtures = ScanFixtures::new(
        session.guarded_transport(),
        &base_url,
        run_id,
        session.personas().to_vec(),
        args.session.journal.keep,
    );
    let max_time = args.session.limits.max_time_or(Duration::from_secs(3600));
    // The scan's requests end by --max-time; the fixtures' cleanup, on the
    // plain client, still runs after it.
    let scan_client = client.with_deadline(Instant::now() + max_time);
    let sender = GuardedTransport::over(session.transport_over(scan_client), session.guard())
        .skipping_foreign_writes()
        .with_versions(session.versions());
    let config = ScanConfig {
        base_url: base_url.clone(),
        profile: profile.clone(),
        snapshots: args.snapshots,
        // The built-in suites have no folder of their own in the working
        // directory: their snapshots are found where they come from.
        snapshot_dir: args.snapshot_dir.clone().or_else(|| {
            args.suite
                .is_empty()
                .then(corpus::builtin_snapshot_dir)
                .flatten()
        }),
        described: Some(format!(
            "profile {profile}: a Placement serving microversions {}, --auth {}",
            session.versions(),
            args.session.conn.auth
        )),
        personas: session.personas().to_vec(),
        auth: args.session.conn.auth,
        // Names carry the run id upper-cased (CUSTOM_..._PH0123456789).
        run_literals: vec![run_id.to_string(), run_id.to_string().to_ascii_uppercase()],
        max_poll: 30,
        concurrency,
        max_requests: args.session.limits.max_requests,
        max_duration: max_time,
        health: Arc::clone(client.health()),
    };
    let total: usize = planned.iter().map(PlannedSuite::requests).sum();
    let progress = Progress::new(u64::try_from(total).unwrap_or(u64::MAX), args.quiet);
    let started_at = rfc3339(SystemTime::now());
    let started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let outcome = session.runtime().block_on(async {
        let watcher = {
            let stop = Arc::clone(&stop);
            tokio::spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    stop.store(true, Ordering::SeqCst);
                }
            })
        };
        // The fixtures clean up at the end of `run_scan`, also after Ctrl-C.
        let outcome = run_scan(&planned, &sender, &fixtures, &config, &stop, &progress).await;
        watcher.abort();
        outcome
    });
    drop(sender);
    let cleanup_report = fixtures.take_report();
    drop(fixtures);
    let errors = run_errors(&outcome, cleanup_report.as_ref());
    let target_url = display_url(session.target().base_url());
    let left_behind = !session.finish(
        if args.session.journal.keep {
            None
        } else {
            cleanup_report
        },
        out,
        err,
    );
    let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let mut report = Report::new(
        Tool::default(),
        report::Target {
            url: target_url,
            profile,
        },
        run_id.to_string(),
        started_at,
        duration_ms,
        outcome.requests,
        outcome.findings.clone(),
    )
    .with_judged(&outcome.judged)
    .with_errors(errors);
    let claim_steps: Vec<_> = planned
        .iter()
        .flat_map(|p| p.claim_steps(&outcome.answered))
        .collect();
    report.claims = crate::claim::verdicts(&claim_steps, &outcome.sources, &report.issues);
    for w in judgements.apply(&mut report) {
        let _ = writeln!(err, "{w}");
    }
    report::write_all(&args.reports.report, &report)
        .map_err(|(path, reason)| ScanError::Report { path, reason })?;
    let _ = write!(
        out,
        "{}",
        report::terminal::render_with(&report, args.reports.verbose)
    );
    let mut mismatches = 0;
    let mut recorded: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for s in &outcome.snapshots {
        let line = match s {
            SnapshotOutcome::Matched(p) => format!("snapshot ok: {}", p.display()),
            SnapshotOutcome::Written(p) => format!("snapshot written: {}", p.display()),
            SnapshotOutcome::Recorded(p) => {
                let dir = p
                    .parent()
                    .map(|d| d.display().to_string())
                    .unwrap_or_default();
                *recorded.entry(dir).or_default() += 1;
                format!("snapshot recorded: {}", p.display())
            }
            SnapshotOutcome::Missing(p) => {
                mismatches += 1;
                format!("snapshot missing, new one in {}", p.display())
            }
            SnapshotOutcome::Changed(p) => {
                mismatches += 1;
                format!("snapshot CHANGED, new one in {}", p.display())
            }
        };
        if !args.quiet || s.is_mismatch() {
            let _ = writeln!(out, "{line}");
        }
    }
    for (dir, n) in &recorded {
        let _ = writeln!(
            out,
            "profile {:?} had no snapshots: recorded {n} in {dir} as its baseline (review \
             them; the next scans of this profile compare with them)",
            report.target.profile
        );
    }
    if mismatches > 0 {
        let _ = writeln!(
            out,
            "{mismatches} snapshot(s) differ: review with `cargo insta review`, or accept with \
             `placement-harness scan ... --snapshots update`"
        );
    }
    for r in &outcome.reach {
        // One line per suite, quiet or not: a suite or step that was not
        // sent must show in every run's output.
        let _ = writeln!(
            out,
            "reach {}: {} of {} steps answered, {} skipped on purpose, {} xfail, {} missed",
            r.suite,
            r.answered,
            r.steps,
            r.skipped.len(),
            r.xfail,
            r.missed()
        );
        for (place, name, reason) in &r.skipped {
            let _ = writeln!(out, "  skipped {place}: {name}: {reason}");
        }
    }
    // Once the target is lost every request left fails alike: the one
    // line below says why, instead of a line per request.
    if !outcome.target_lost {
        for e in &outcome.step_errors {
            let _ = writeln!(err, "{}: {}: {}", e.place, e.step, e.message);
        }
    }
    // The cleanup's own lines (what is left, the command to retry) are
    // printed with its report.
    for e in &outcome.snapshot_errors {
        let _ = writeln!(err, "{e}");
    }
    if !outcome.skipped.is_empty() {
        let mut reasons: std::collections::BTreeMap<&str, usize> =
            std::collections::BTreeMap::new();
        for s in &outcome.skipped {
            let key = if s.message == crate::guard::READ_ONLY {
                "read-only"
            } else if s.message.starts_with("microversion ") {
                "a microversion the target does not serve"
            } else if s.message.contains("which no cleanup could remove") {
                "a write no cleanup could undo (strict ownership)"
            } else {
                "an object this run does not own (strict ownership)"
            };
            *reasons.entry(key).or_default() += 1;
        }
        for (why, n) in reasons {
            let _ = writeln!(out, "{n} request(s) not sent: {why}");
        }
        if !args.quiet {
            for s in &outcome.skipped {
                let _ = writeln!(out, "  skipped {}: {}: {}", s.place, s.step, s.message);
            }
        }
    }
    if let Some(why) = &outcome.stopped {
        let _ = writeln!(err, "scan stopped early: {why}");
    }
    if outcome.interrupted {
        return Ok(EXIT_INTERRUPTED);
    }
    if outcome.target_lost {
        let _ = writeln!(
            err,
            "placement-harness scan: stopped after {} requests: the target stopped answering; \
             the findings made until then are in the reports: exit 2",
            outcome.requests
        );
        return Ok(EXIT_USAGE);
    }
    if let Some(line) = error_counts(&blocking_errors(&report.errors, left_behind)) {
        let _ = writeln!(err, "{line}: exit 2");
        return Ok(EXIT_USAGE);
    }
    let failing = report.gating(fail_on).count();
    if !args.quiet {
        let shown = Shown {
            embedded,
            personas: config.personas.len(),
            fail_on,
            failing,
            snapshots: args.snapshots,
            mismatches,
            left_behind,
            baseline: judgements.baseline.is_some(),
        };
        let _ = write!(out, "{}", shown.render(&report));
    }
    let failed = failing > 0 || mismatches > 0 || left_behind;
    Ok(if failed { EXIT_FAILED } else { EXIT_OK })
}

/// The scan's last lines: what it showed, and what to run next.
struct Shown {
    embedded: bool,
    personas: usize,
    fail_on: Severity,
    failing: usize,
    snapshots: SnapshotMode,
    mismatches: usize,
    left_behind: bool,
    /// A baseline was given: only new issues count.
    baseline: bool,
}

impl Shown {
    fn render(&self, report: &Report) -> String {
        let checks = report.summary.judged.values().filter(|n| **n > 0).count();
        let what = if self.embedded {
            "the embedded reference server".to_owned()
        } else {
            report.target.url.clone()
        };
        let gate = if self.baseline { "new issue" } else { "issue" };
        let verdict = match (self.failing, self.mismatches) {
            (0, 0) if self.snapshots == SnapshotMode::Off => {
                format!("no {gate} at or above {}", self.fail_on)
            }
            (0, 0) if self.snapshots == SnapshotMode::Update => {
                format!("no {gate} at or above {}, snapshots written", self.fail_on)
            }
            (0, 0) => format!(
                "no {gate} at or above {}, snapshots as committed",
                self.fail_on
            ),
            (0, m) => format!(
                "no {gate} at or above {}, {m} snapshot(s) differ",
                self.fail_on
            ),
            (f, 0) => format!("{f} {gate}(s) at or above {}", self.fail_on),
            (f, m) => format!(
                "{f} {gate}(s) at or above {}, {m} snapshot(s) differ",
                self.fail_on
            ),
        };
        let mut text = format!(
            "\nshown: {what}, {} requests as {} personas, judged by {checks} checks \
             (the judged column above): {verdict}.\n",
            report.requests, self.personas
        );
        text.push_str("next: ");
        if self.embedded {
            text.push_str(
                "scan your own Placement, reading only, slowly, without snapshots:\n  \
                 placement-harness scan --target https://placement.example --auth token \
                 --personas personas.yaml \\\n      --read-only --max-rps 5 --snapshots off \
                 --report html:scan.html --report sarif:scan.sarif\n\
                 (README: Scanning your deployment)\n",
            );
            return text;
        }
        let mut steps = Vec::new();
        if self.failing > 0 {
            steps.push(
                "read each issue, its instances and its reproducer in a report \
                 (--report html:scan.html, json:scan.json, sarif:scan.sarif; --verbose here); \
                 accept one for a while with --suppressions FILE",
            );
        }
        if self.mismatches > 0 {
            steps.push("review the changed answers with `cargo insta review`");
        }
        if self.left_behind {
            steps.push("finish the cleanup with the command printed above");
        }
        if steps.is_empty() {
            steps.push(
                "keep this run's JSON report as the baseline (--report json:scan.json): after \
                 an upgrade or a policy change, scan again with --baseline scan.json, or \
                 compare two reports with `placement-harness diff OLD.json NEW.json`",
            );
        }
        text.push_str(&steps.join("; "));
        text.push_str(".\n");
        text
    }
}

/// Everything the scan could not do, named: steps that could not run
/// (`file:line` and step), objects the cleanup left (kind and id), and
/// snapshots not taken or written.
fn run_errors(
    outcome: &super::ScanOutcome,
    cleanup: Option<&crate::cleanup::CleanupReport>,
) -> Vec<RunError> {
    let mut errors: Vec<RunError> = outcome
        .step_errors
        .iter()
        .map(|e| RunError {
            kind: "step",
            place: format!("{} {}", e.place, e.step),
            message: e.message.clone(),
        })
        .collect();
    if let Some(report) = cleanup {
        for f in &report.failed {
            errors.push(RunError {
                kind: "cleanup",
                place: format!("{} {}", f.entry.kind.as_str(), f.entry.id),
                message: format!("DELETE {}: {}", f.entry.path, f.reason),
            });
        }
        for e in &report.not_tried {
            errors.push(RunError {
                kind: "cleanup",
                place: format!("{} {}", e.kind.as_str(), e.id),
                message: "not tried: the cleanup's bound was reached".to_owned(),
            });
        }
    } else {
        // No report although the cleanup failed: it did not run to the end.
        for e in &outcome.cleanup_errors {
            errors.push(RunError {
                kind: "cleanup",
                place: "(cleanup)".to_owned(),
                message: e.clone(),
            });
        }
    }
    for e in &outcome.snapshot_errors {
        errors.push(RunError {
            kind: "snapshot",
            place: e.split(": ").next().unwrap_or_default().to_owned(),
            message: e.clone(),
        });
    }
    errors
}

/// `2 step errors (first: scenarios/x.yaml:12 name), 1 cleanup failure
/// (first: consumer 0a1b...), 0 snapshot errors`, or `None` when there
/// was none.
/// The run errors that make the scan exit 2. Objects the cleanup left
/// behind are the run's failure (exit 1, as for `run` and `fuzz`; the
/// finish has printed how to remove them), not work that could not be
/// done: they stay in the report's errors but do not count here.
fn blocking_errors(errors: &[RunError], left_behind: bool) -> Vec<RunError> {
    errors
        .iter()
        .filter(|e| !(left_behind && e.kind == "cleanup"))
        .cloned()
        .collect()
}

fn error_counts(errors: &[RunError]) -> Option<String> {
    if errors.is_empty() {
        return None;
    }
    let parts: Vec<String> = [
        ("step", "step error", "step errors"),
        ("cleanup", "cleanup failure", "cleanup failures"),
        ("snapshot", "snapshot error", "snapshot errors"),
    ]
    .iter()
    .map(|(kind, one, many)| {
        let mine: Vec<&RunError> = errors.iter().filter(|e| e.kind == *kind).collect();
        let n = mine.len();
        let mut part = format!("{n} {}", if n == 1 { one } else { many });
        if let Some(first) = mine.first() {
            part.push_str(&format!(" (first: {})", first.place));
        }
        part
    })
    .collect();
    Some(parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_left_behind_fail_the_scan_without_making_it_an_error() {
        let e = |kind| RunError {
            kind,
            place: "x".to_owned(),
            message: "m".to_owned(),
        };
        let errors = vec![e("cleanup"), e("step"), e("cleanup")];
        let kinds = |v: Vec<RunError>| v.iter().map(|e| e.kind).collect::<Vec<_>>();
        assert_eq!(kinds(blocking_errors(&errors, true)), ["step"]);
        assert_eq!(kinds(blocking_errors(&errors, false)).len(), 3);
        assert!(error_counts(&blocking_errors(&[e("cleanup")], true)).is_none());
    }
    use crate::finding::CheckId;

    fn report(url: &str, requests: u64) -> Report {
        let mut judged = crate::oracle::Judged::default();
        judged.add(CheckId::No5xx);
        judged.add(CheckId::Expectation);
        Report::new(
            Tool::default(),
            report::Target {
                url: url.to_owned(),
                profile: "custom".to_owned(),
            },
            "ph0123456789".to_owned(),
            "2026-12-07T00:00:00Z".to_owned(),
            1,
            requests,
            Vec::new(),
        )
        .with_judged(&judged)
    }

    fn shown(embedded: bool) -> Shown {
        Shown {
            embedded,
            personas: 9,
            fail_on: Severity::Info,
            failing: 0,
            snapshots: SnapshotMode::Check,
            mismatches: 0,
            left_behind: false,
            baseline: false,
        }
    }

    #[test]
    fn the_main_job_says_what_it_showed_and_how_to_scan_a_deployment() {
        let text = shown(true).render(&report("http://127.0.0.1:1/", 2998));
        assert!(
            text.contains(
                "shown: the embedded reference server, 2998 requests as 9 personas, judged by \
                 2 checks (the judged column above): no issue at or above info, snapshots \
                 as committed."
            ),
            "{text}"
        );
        assert!(text.contains("next: scan your own Placement"), "{text}");
        assert!(
            text.contains("--target https://placement.example"),
            "{text}"
        );
        assert!(text.contains("--read-only"), "{text}");
    }

    #[test]
    fn a_deployment_scan_says_what_to_do_with_what_it_found() {
        let url = "https://placement.example/";
        let clean = shown(false).render(&report(url, 10));
        assert!(
            clean.contains(&format!("shown: {url}, 10 requests")),
            "{clean}"
        );
        assert!(
            clean.contains("next: keep this run's JSON report as the baseline"),
            "{clean}"
        );
        assert!(clean.contains("--baseline scan.json"), "{clean}");
        let found = Shown {
            failing: 3,
            mismatches: 2,
            left_behind: true,
            ..shown(false)
        }
        .render(&report(url, 10));
        assert!(
            found.contains("3 issue(s) at or above info, 2 snapshot(s) differ"),
            "{found}"
        );
        assert!(found.contains("--report html:scan.html"), "{found}");
        assert!(found.contains("cargo insta review"), "{found}");
        assert!(found.contains("finish the cleanup"), "{found}");
        let off = Shown {
            snapshots: SnapshotMode::Off,
            ..shown(false)
        }
        .render(&report(url, 10));
        assert!(!off.contains("snapshots as committed"), "{off}");
        let against = Shown {
            failing: 1,
            baseline: true,
            ..shown(false)
        }
        .render(&report(url, 10));
        assert!(
            against.contains("1 new issue(s) at or above info"),
            "{against}"
        );
    }
}
