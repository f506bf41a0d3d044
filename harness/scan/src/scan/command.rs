//! `placement-harness scan`: its options and the command around
//! [`run_scan`](super::run_scan): load and expand suites (every error before
//! any request), reach the target, run, write the reports and pick the exit
//! code. Ctrl-C stops sending, still writes the reports for what was done,
//! runs the cleanup hook and exits 130.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Args;

use super::safety::{GuardedSender, ScanFixtures};
use super::{ClientSender, PlannedSuite, ScanConfig, run_scan};
use crate::client::{Client, ClientConfig};
use crate::corpus;
use crate::finding::Severity;
use crate::guard::{Guard, GuardedTransport, Ownership};
use crate::journal::Journal;
use crate::persona::{self, Persona};
use crate::progress::Progress;
use crate::report::{self, Report, ReportKind, RunError, Tool};
use crate::run_id::RunId;
use crate::snapshot::{SnapshotMode, SnapshotOutcome};
use crate::suite::ClientTransport;
use crate::suite::{Suite, SuiteError, load_suite, parse_suite};
use crate::target::{AuthMode, Target, display_url};

/// Exit code: no finding at or above `--fail-on`, snapshots matched.
pub const EXIT_OK: u8 = 0;
/// Exit code: findings or a snapshot mismatch.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code: usage, suite or target error.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: interrupted by Ctrl-C.
pub const EXIT_INTERRUPTED: u8 = 130;

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
    Exit status: 0 no finding at or above --fail-on, 1 findings or a snapshot\n\
    mismatch, 2 usage, suite or target error (or a step that could not be\n\
    sent), 130 interrupted (reports are still written).";

/// Options of `scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Base URL of the Placement API. Without it the embedded reference
    /// server is started on a free loopback port and scanned (profile
    /// `embedded`).
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,
    /// How the target authenticates: noauth2, keystone-headers or token.
    #[arg(long, value_name = "MODE", default_value = "noauth2", value_parser = parse_auth)]
    pub auth: AuthMode,
    /// Suite files or folders (every *.yaml in a folder, sorted); default:
    /// the built-in suites.
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub suite: Vec<PathBuf>,
    /// Personas file (default: the built-in set for --auth).
    #[arg(long, value_name = "FILE")]
    pub personas: Option<PathBuf>,
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
    /// A report to write, KIND:PATH with KIND json, junit, sarif, html or
    /// terminal; repeatable.
    #[arg(long, value_name = "KIND:PATH", value_parser = parse_report)]
    pub report: Vec<(ReportKind, PathBuf)>,
    /// Lowest severity that fails the scan (exit 1) [default: low with
    /// --target; info against the embedded server, which is held to the
    /// full standard].
    #[arg(long, value_name = "SEV", value_parser = parse_severity)]
    pub fail_on: Option<Severity>,
    /// Requests started per second, at most.
    #[arg(long, value_name = "N", value_parser = parse_rps)]
    pub max_rps: Option<f64>,
    /// Requests in flight at once (a step's reads go out together; writes
    /// one by one, in order).
    #[arg(long, value_name = "N", default_value_t = 8,
          value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub concurrency: u32,
    /// Time limit for one request, in seconds.
    #[arg(long, value_name = "S", default_value_t = 30.0, value_parser = parse_timeout)]
    pub timeout: f64,
    /// Most requests the whole scan sends.
    #[arg(long, value_name = "N", default_value_t = 100_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_requests: u64,
    /// Most seconds the whole scan runs.
    #[arg(long, value_name = "S", default_value_t = 3600.0, value_parser = parse_timeout)]
    pub max_time: f64,
    /// Accept any TLS certificate.
    #[arg(long)]
    pub insecure: bool,
    /// Extra trusted CA certificates (PEM bundle).
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,
    /// No progress bar, no per-snapshot lines.
    #[arg(long)]
    pub quiet: bool,
    /// Print the named corpora with their sizes and exit.
    #[arg(long)]
    pub list_corpora: bool,
    /// Send GETs only: every other request is skipped, unsent, and counted.
    #[arg(long)]
    pub read_only: bool,
    /// The target was started for this scan and is thrown away afterwards:
    /// lift the rule that writes may only name objects the run created
    /// (journaling and cleanup still apply). Never use it on a deployment.
    #[arg(long)]
    pub disposable_target: bool,
    /// Where the journal of created objects is kept (default
    /// $XDG_STATE_HOME/placement-harness/runs).
    #[arg(long, value_name = "DIR")]
    pub journal_dir: Option<PathBuf>,
    /// Leave what the run created in place (remove it later with
    /// `placement-harness cleanup --run-id`).
    #[arg(long)]
    pub keep: bool,
}

/// The `--auth` value parser, shared by the commands that take it.
pub(crate) fn parse_auth(s: &str) -> Result<AuthMode, String> {
    s.parse::<AuthMode>().map_err(|e| e.to_string())
}

fn parse_snapshots(s: &str) -> Result<SnapshotMode, String> {
    s.parse::<SnapshotMode>()
}

/// The `--severity` value parser, shared by the commands that take it.
pub(crate) fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse::<Severity>().map_err(|e| e.to_string())
}

/// The `--report` value parser, shared by the commands that take it.
pub(crate) fn parse_report(s: &str) -> Result<(ReportKind, PathBuf), String> {
    let (kind, path) = s
        .split_once(':')
        .ok_or_else(|| format!("{s:?} is not KIND:PATH"))?;
    if path.is_empty() {
        return Err(format!("{s:?} has no PATH after the colon"));
    }
    let kind = kind.parse::<ReportKind>().map_err(|e| e.to_string())?;
    Ok((kind, PathBuf::from(path)))
}

/// The `--rps` value parser, shared by the commands that take it.
pub(crate) fn parse_rps(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("{s:?} is not a positive number")),
    }
}

fn parse_timeout(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 86_400.0 => Ok(v),
        _ => Err(format!("{s:?} is not a number of seconds in (0, 86400]")),
    }
}

/// What stopped `scan` before it could judge anything.
#[derive(Debug, thiserror::Error)]
enum ScanError {
    #[error("starting the embedded reference server: {0}")]
    Embedded(String),
    #[error(
        "--profile NAME is required with --target unless --snapshots off: it names the \
         snapshot folder for this kind of server (e.g. openstack-placement-16.0.0)"
    )]
    NoProfile,
    #[error("--suite {path}: {reason}")]
    SuitePath { path: String, reason: String },
    #[error("{0}")]
    Suite(#[from] SuiteError),
    #[error("{0}")]
    Target(#[from] crate::target::TargetError),
    #[error("{0}")]
    Persona(#[from] crate::persona::PersonaError),
    #[error("{0}")]
    Client(#[from] crate::client::ClientError),
    #[error("starting the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error("{0}")]
    Journal(#[from] crate::journal::JournalError),
    #[error("{0}")]
    TargetCheck(#[from] crate::target_check::TargetCheckError),
    #[error("--report {path}: {reason}")]
    Report { path: String, reason: String },
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
    match scan_inner(args, out, err) {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(err, "placement-harness scan: {e}");
            EXIT_USAGE
        }
    }
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
fn load_suites(args: &ScanArgs) -> Result<Vec<Suite>, ScanError> {
    if args.suite.is_empty() {
        return corpus::builtin_suites()
            .iter()
            .map(|(name, text)| {
                parse_suite(text, &Path::new("scenarios").join(name)).map_err(ScanError::from)
            })
            .collect();
    }
    suite_files(&args.suite)?
        .iter()
        .map(|f| load_suite(f).map_err(ScanError::from))
        .collect()
}

fn scan_inner(args: &ScanArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8, ScanError> {
    let run_id = RunId::generate();
    let personas: Vec<Persona> = match &args.personas {
        Some(path) => persona::load_personas(path)?,
        None => persona::default_personas(args.auth, Some(run_id)),
    };
    // Every suite is read and expanded before anything is sent: an unknown
    // persona in the last file must not surface after the first ones ran.
    let planned: Vec<PlannedSuite> = load_suites(args)?
        .into_iter()
        .map(|s| PlannedSuite::plan(s, &personas))
        .collect::<Result<_, _>>()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(2)
        .build()
        .map_err(ScanError::Runtime)?;
    let (url, embedded) =
        crate::serve::target_or_embedded(&runtime, args.target.as_deref(), &personas)
            .map_err(ScanError::Embedded)?;
    let url = url.as_str();
    let fail_on = args
        .fail_on
        .unwrap_or(report::default_fail_on(embedded.is_some()));
    let profile = match (&args.profile, args.snapshots, &embedded) {
        (Some(p), _, _) => p.clone(),
        (None, _, Some(_)) => "embedded".to_owned(),
        (None, SnapshotMode::Off, None) => "custom".to_owned(),
        (None, _, None) => return Err(ScanError::NoProfile),
    };
    let target = Target::new(url, args.auth, &profile)?;
    let client = Client::new(ClientConfig {
        total_timeout: Duration::from_secs_f64(args.timeout),
        connect_timeout: Duration::from_secs_f64(args.timeout.min(5.0)),
        concurrency: usize::try_from(args.concurrency).unwrap_or(1),
        max_rps: args.max_rps,
        cacert: args.cacert.clone(),
        insecure: args.insecure,
        ..ClientConfig::default()
    })?;
    // Before the journal: a target that is not Placement gets nothing
    // written and nothing else sent.
    let versions = runtime.block_on(crate::target_check::check_target(&client, &target))?;
    let base_url = target.base_url().as_str().to_owned();
    let base_path = target.base_url().path().to_owned();
    let journal_dir = crate::cli::journal_dir(args.journal_dir.as_deref())?;
    let journal = Arc::new(Journal::create(&journal_dir, run_id, &base_url)?);
    if !args.quiet {
        let _ = writeln!(
            out,
            "run id {run_id} (journal {})",
            journal.path().display()
        );
    }
    let ownership = if args.disposable_target || embedded.is_some() {
        Ownership::DisposableTarget
    } else {
        Ownership::Strict
    };
    let guard = || Guard::new(Arc::clone(&journal), &base_path, args.read_only, ownership);
    let fixtures = ScanFixtures::new(
        GuardedTransport::new(
            ClientTransport::new(client.clone(), target.clone(), personas.clone()),
            Arc::clone(&journal),
            &base_path,
            args.read_only,
            ownership,
        ),
        &base_url,
        run_id,
        personas.clone(),
        args.keep,
    );
    let max_time = Duration::from_secs_f64(args.max_time);
    // The scan's requests end by --max-time; the fixtures' cleanup, on the
    // plain client, still runs after it.
    let scan_client = client.with_deadline(Instant::now() + max_time);
    let sender =
        GuardedSender::new(ClientSender::new(scan_client), guard()).with_versions(versions);
    let config = ScanConfig {
        base_url: base_url.clone(),
        profile: profile.clone(),
        snapshots: args.snapshots,
        snapshot_dir: args.snapshot_dir.clone(),
        personas,
        auth: args.auth,
        // Names carry the run id upper-cased (CUSTOM_..._PH0123456789).
        run_literals: vec![run_id.to_string(), run_id.to_string().to_ascii_uppercase()],
        max_poll: 30,
        concurrency: usize::try_from(args.concurrency).unwrap_or(1),
        max_requests: args.max_requests,
        max_duration: max_time,
        health: Arc::clone(client.health()),
    };
    let total: usize = planned.iter().map(PlannedSuite::requests).sum();
    let progress = Progress::new(u64::try_from(total).unwrap_or(u64::MAX), args.quiet);
    let started_at = rfc3339(SystemTime::now());
    let started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let outcome = runtime.block_on(async {
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
        Ok::<_, ScanError>(outcome)
    })?;
    drop(sender);
    if let Some(server) = embedded {
        // Graceful: requests in flight finish; the scan has none left.
        let _ = runtime.block_on(server.shutdown());
    }
    let cleanup_report = fixtures.take_report();
    drop(fixtures);
    let errors = run_errors(&outcome, cleanup_report.as_ref());
    let left_behind = !crate::cli::finish_journal(
        journal,
        if args.keep { None } else { cleanup_report },
        &crate::cli::RetryCommand {
            base_url: &base_url,
            dir: &journal_dir,
            auth: args.auth,
            personas: args.personas.as_deref(),
            cacert: args.cacert.as_deref(),
            insecure: args.insecure,
        },
        out,
        err,
    );
    let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let report = Report::new(
        Tool::default(),
        report::Target {
            url: display_url(target.base_url()),
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
    for (kind, path) in &args.report {
        let text = report::render(*kind, &report).map_err(|e| ScanError::Report {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        std::fs::write(path, text).map_err(|e| ScanError::Report {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
    }
    let _ = write!(out, "{}", report::terminal::render(&report));
    let mut mismatches = 0;
    for s in &outcome.snapshots {
        let line = match s {
            SnapshotOutcome::Matched(p) => format!("snapshot ok: {}", p.display()),
            SnapshotOutcome::Written(p) => format!("snapshot written: {}", p.display()),
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
    if let Some(line) = error_counts(&report.errors) {
        let _ = writeln!(err, "{line}: exit 2");
        return Ok(EXIT_USAGE);
    }
    let failed = report::exit_code(&report.findings, fail_on) != 0 || mismatches > 0 || left_behind;
    Ok(if failed { EXIT_FINDINGS } else { EXIT_OK })
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

/// `time` as RFC 3339 UTC, to the second.
pub fn rfc3339(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(1_795_268_707)),
            "2026-11-21T13:45:07Z"
        );
    }
}
