//! The `placement-harness` command line: argument parsing (clap derive),
//! the `run` command, which runs gabbi suites against a target over the
//! scanner's HTTP client and prints gabbi-style verdicts, and `cleanup`,
//! which deletes what a crashed run's journal lists.
//!
//! `run` works inside a run id: it journals every object it creates,
//! guards every write ([`crate::guard`]), sets up data fixtures and cleans
//! up at the end or on Ctrl-C.
//!
//! It lives in the library, not in `main.rs`, so that tests can check the
//! parsing and the exit codes without spawning a process for each case.
//!
//! Exit codes: 0 all tests passed, 1 a test failed, 2 usage, suite or
//! target errors (clap's own usage errors exit 2 as well).

use crate::scan::command::parse_auth;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};

use crate::cleanup::{CleanupConfig, CleanupReport, Finished, cleanup, run_with_cleanup};
use crate::client::{Client, ClientConfig};
use crate::guard::{GuardedTransport, Ownership};
use crate::journal::{Journal, JournalError};
use crate::persona::{self, Persona};
use crate::run_id::RunId;
use crate::suite::fixture::{
    FixtureContext, FixtureError, setup_fixtures, suite_environ_in, unsupported_fixtures,
};
use crate::suite::{ClientTransport, Outcome, RunConfig, Suite, load_suite, run_suite};
use crate::target::{AuthMode, Target};

/// Exit code: every test passed.
pub const EXIT_OK: u8 = 0;
/// Exit code: a test failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit code: usage, suite or target error.
pub const EXIT_USAGE: u8 = 2;

/// A fuzzing and security test harness for the OpenStack Placement API.
#[derive(Debug, Parser)]
#[command(
    name = "placement-harness",
    version,
    after_help = "Example:\n  placement-harness run --target http://127.0.0.1:8778 basic-http.yaml"
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run gabbi-compatible YAML suites against a Placement API.
    #[command(after_help = "Examples:\n  \
        placement-harness run --target http://127.0.0.1:8778 gabbits/basic-http.yaml\n  \
        placement-harness run --target https://cloud/placement --auth token \\\n      \
        --personas personas.yaml --max-rps 5 scenarios/tenant.yaml\n\n\
        Exit status: 0 all passed, 1 a test failed, 2 usage, suite or target error.")]
    Run(RunArgs),
    /// Security scan of a Placement API: suites sent as personas, every
    /// response judged by oracles, findings reported, responses snapshotted.
    #[command(after_help = crate::scan::command::SCAN_AFTER_HELP)]
    Scan(crate::scan::command::ScanArgs),
    /// Delete what a run created, from its journal (after a crash or kill).
    #[command(after_help = "Examples:\n  \
        placement-harness cleanup --list\n  \
        placement-harness cleanup --target https://placement.example --run-id ph0a1b2c3d4e\n\n\
        Only objects in the run's journal are deleted. Exit status: 0 nothing left, \
        1 something left, 2 usage or journal error.")]
    Cleanup(CleanupArgs),
    /// Serve the embedded reference Placement until SIGINT or SIGTERM.
    #[command(
        after_help = "Example:\n  placement-harness serve --listen 127.0.0.1:0 --rbac secure"
    )]
    Serve(crate::serve::ServeArgs),
    /// Fuzz a Placement API: generated requests and stateful sequences,
    /// every oracle on every response, failing cases shrunk to gabbi files.
    #[command(after_help = crate::fuzz::command::FUZZ_AFTER_HELP)]
    Fuzz(crate::fuzz::command::FuzzArgs),
    /// Write an OpenAPI 3.1 document of Placement's API (from the request model).
    #[command(after_help = "Example:\n  placement-harness openapi --output placement-openapi.json")]
    Openapi(crate::openapi::OpenapiArgs),
}

/// Options of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Base URL of the Placement API. Without it the embedded reference
    /// server is started on a free loopback port for the run.
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,
    /// How the target authenticates: noauth2, keystone-headers or token.
    #[arg(long, value_name = "MODE", default_value = "noauth2", value_parser = parse_auth)]
    pub auth: AuthMode,
    /// Personas file for `as: PERSONA` (default: the built-in set for --auth).
    #[arg(long, value_name = "FILE")]
    pub personas: Option<PathBuf>,
    /// Requests started per second, at most.
    #[arg(long, value_name = "N", value_parser = parse_rps)]
    pub max_rps: Option<f64>,
    /// Requests in flight at once.
    #[arg(long, value_name = "N", default_value_t = 8,
          value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub concurrency: u32,
    /// Time limit for one request, in seconds.
    #[arg(long, value_name = "S", default_value_t = 30.0, value_parser = parse_timeout)]
    pub timeout: f64,
    /// Accept any TLS certificate.
    #[arg(long)]
    pub insecure: bool,
    /// Extra trusted CA certificates (PEM bundle).
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,
    /// Send GET and HEAD only: every other test is skipped (`read-only`)
    /// and fixtures that create data are not set up.
    #[arg(long)]
    pub read_only: bool,
    /// The target was started for this run and is thrown away after it:
    /// allow writes to objects the run did not create (Placement's own
    /// gabbits need it). Never use it against a deployment.
    #[arg(long)]
    pub disposable_target: bool,
    /// Where the journal of created objects is kept
    /// (default: $XDG_STATE_HOME/placement-harness/runs).
    #[arg(long, value_name = "DIR")]
    pub journal_dir: Option<PathBuf>,
    /// Leave what the run created (its journal stays for `cleanup`).
    #[arg(long)]
    pub keep: bool,
    /// Suite files, run in order.
    #[arg(value_name = "FILE.yaml", required = true)]
    pub files: Vec<PathBuf>,
}

/// Options of `cleanup`.
#[derive(Debug, Args)]
pub struct CleanupArgs {
    /// Base URL of the Placement API the run used.
    #[arg(long, value_name = "URL", required_unless_present = "list")]
    pub target: Option<String>,
    /// The run whose objects to delete (printed by `run`, listed by --list).
    #[arg(long, value_name = "ID", required_unless_present = "list",
          value_parser = parse_run_id)]
    pub run_id: Option<RunId>,
    /// How the target authenticates: noauth2, keystone-headers or token.
    #[arg(long, value_name = "MODE", default_value = "noauth2", value_parser = parse_auth)]
    pub auth: AuthMode,
    /// Personas file (default: the built-in set for --auth).
    #[arg(long, value_name = "FILE")]
    pub personas: Option<PathBuf>,
    /// The persona that deletes.
    #[arg(long = "as", value_name = "PERSONA", default_value = "admin")]
    pub as_persona: String,
    /// Where journals are kept
    /// (default: $XDG_STATE_HOME/placement-harness/runs).
    #[arg(long, value_name = "DIR")]
    pub journal_dir: Option<PathBuf>,
    /// List the journals found, with their object counts, and exit.
    #[arg(long)]
    pub list: bool,
    /// Time limit for one request, in seconds.
    #[arg(long, value_name = "S", default_value_t = 30.0, value_parser = parse_timeout)]
    pub timeout: f64,
    /// Accept any TLS certificate.
    #[arg(long)]
    pub insecure: bool,
    /// Extra trusted CA certificates (PEM bundle).
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,
}

fn parse_run_id(s: &str) -> Result<RunId, String> {
    RunId::parse(s).map_err(|e| e.to_string())
}

fn parse_rps(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("{s:?} is not a positive number")),
    }
}

fn parse_timeout(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        // A day at most: Duration::from_secs_f64 panics on huge values.
        Ok(v) if v.is_finite() && v > 0.0 && v <= 86_400.0 => Ok(v),
        _ => Err(format!("{s:?} is not a number of seconds in (0, 86400]")),
    }
}

/// Parses `args` (program name first) and runs the command, writing to
/// `out` and `err`; returns the exit code.
pub fn main_with(args: Vec<String>, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let rendered = e.render().to_string();
            let _ = if e.use_stderr() {
                write!(err, "{rendered}")
            } else {
                write!(out, "{rendered}")
            };
            return code;
        }
    };
    match cli.command {
        Command::Run(args) => run_command(&args, out, err),
        Command::Scan(args) => crate::scan::command::scan_command(&args, out, err),
        Command::Cleanup(args) => cleanup_command(&args, out, err),
        Command::Serve(args) => crate::serve::serve_command(&args, out, err),
        Command::Fuzz(args) => crate::fuzz::command::fuzz_command(&args, out, err),
        Command::Openapi(args) => crate::openapi::openapi_command(&args, out, err),
    }
}

/// What stopped `run` before any test verdict.
#[derive(Debug, thiserror::Error)]
enum RunError {
    #[error("starting the embedded reference server: {0}")]
    Embedded(String),
    #[error("{0}")]
    Target(#[from] crate::target::TargetError),
    #[error("{0}")]
    Persona(#[from] crate::persona::PersonaError),
    #[error("{0}")]
    Client(#[from] crate::client::ClientError),
    #[error("{0}")]
    Suite(#[from] crate::suite::SuiteError),
    #[error("starting the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error("{0}")]
    TargetCheck(#[from] crate::target_check::TargetCheckError),
    #[error("{0}")]
    Journal(#[from] JournalError),
    #[error("{0}")]
    Usage(String),
    #[error("{0}; the verdicts printed until then stand: exit 2")]
    TargetLost(String),
}

fn run_command(args: &RunArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    match run_inner(args, out, err) {
        Ok(all_passed) => {
            if all_passed {
                EXIT_OK
            } else {
                EXIT_FAILED
            }
        }
        Err(e) => {
            let _ = writeln!(err, "placement-harness run: {e}");
            EXIT_USAGE
        }
    }
}

/// Totals over every suite of a run.
#[derive(Debug, Default)]
struct Totals {
    passed: usize,
    failed: usize,
    skipped: usize,
    xfailed: usize,
}

pub(crate) fn journal_dir(given: Option<&Path>) -> Result<PathBuf, JournalError> {
    match given {
        Some(d) => Ok(d.to_owned()),
        None => Journal::default_dir(),
    }
}

fn client_config(timeout: f64, cacert: Option<PathBuf>, insecure: bool) -> ClientConfig {
    ClientConfig {
        total_timeout: Duration::from_secs_f64(timeout),
        connect_timeout: Duration::from_secs_f64(timeout.min(5.0)),
        cacert,
        insecure,
        ..ClientConfig::default()
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, std::io::Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(2)
        .build()
}

fn run_inner(args: &RunArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<bool, RunError> {
    // Every file is read before anything is sent: a typo in the last file
    // must not surface after the first ones have changed server state.
    let suites: Vec<Suite> = args
        .files
        .iter()
        .map(|f| load_suite(f))
        .collect::<Result<_, _>>()?;
    let run_id = RunId::generate();
    let personas: Vec<Persona> = match &args.personas {
        Some(path) => persona::load_personas(path)?,
        None => persona::default_personas(args.auth, Some(run_id)),
    };
    let runtime = runtime().map_err(RunError::Runtime)?;
    let (url, embedded) =
        crate::serve::target_or_embedded(&runtime, args.target.as_deref(), &personas)
            .map_err(RunError::Embedded)?;
    let target = Target::new(&url, args.auth, "custom")?;
    let run = RunSetup {
        run_id,
        personas,
        disposable: embedded.is_some(),
    };
    let result = run_against(args, &suites, target, run, &runtime, out, err);
    if let Some(server) = embedded {
        let _ = runtime.block_on(server.shutdown());
    }
    result
}

/// Who a run is and whether its target is its own.
struct RunSetup {
    run_id: RunId,
    personas: Vec<Persona>,
    disposable: bool,
}

fn run_against(
    args: &RunArgs,
    suites: &[Suite],
    target: Target,
    run: RunSetup,
    runtime: &tokio::runtime::Runtime,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<bool, RunError> {
    let RunSetup {
        run_id,
        personas,
        disposable,
    } = run;
    let config = ClientConfig {
        concurrency: usize::try_from(args.concurrency).unwrap_or(1),
        max_rps: args.max_rps,
        ..client_config(args.timeout, args.cacert.clone(), args.insecure)
    };
    let client = Client::new(config)?;
    let health = Arc::clone(client.health());
    let dir = journal_dir(args.journal_dir.as_deref())?;
    runtime.block_on(async {
        crate::target_check::check_target(&client, &target).await?;
        let base_url = target.base_url().as_str().to_owned();
        let base_path = target.base_url().path().to_owned();
        let journal = Arc::new(Journal::create(&dir, run_id, &base_url)?);
        let _ = writeln!(
            out,
            "run id {run_id} (journal {})",
            journal.path().display()
        );
        let admin = personas
            .iter()
            .any(|p| p.name == "admin")
            .then(|| "admin".to_owned());
        let ownership = if args.disposable_target || disposable {
            Ownership::DisposableTarget
        } else {
            Ownership::Strict
        };
        let transport = GuardedTransport::new(
            ClientTransport::new(client, target, personas.clone()),
            Arc::clone(&journal),
            &base_path,
            args.read_only,
            ownership,
        );
        let mut totals = Totals::default();
        let cx = FixtureContext {
            base_url: &base_url,
            run_id,
            personas: &personas,
            admin: admin.as_deref(),
        };
        let work = async {
            for suite in suites {
                run_one(suite, &transport, &cx, out, &mut totals).await;
            }
        };
        let cleanup_config = CleanupConfig::new(&base_url, admin.as_deref());
        let (finished, report) = if args.keep {
            work.await;
            (Finished::Completed(()), None)
        } else {
            let (f, r) = run_with_cleanup(work, transport.inner(), &journal, &cleanup_config).await;
            (f, Some(r))
        };
        let interrupted = matches!(finished, Finished::Interrupted);
        if interrupted {
            let _ = writeln!(err, "interrupted (Ctrl-C): the run stopped early");
        }
        drop(transport);
        let retry = RetryCommand {
            base_url: &base_url,
            dir: &dir,
            auth: args.auth,
            personas: args.personas.as_deref(),
            cacert: args.cacert.as_deref(),
            insecure: args.insecure,
        };
        let clean = finish_journal(journal, report, &retry, out, err);
        if totals.xfailed > 0 {
            let _ = writeln!(out, "{} expected failures (xfail)", totals.xfailed);
        }
        let mut line = format!("{} passed, {} failed", totals.passed, totals.failed);
        if totals.skipped > 0 {
            line.push_str(&format!(", {} skipped", totals.skipped));
        }
        let _ = writeln!(out, "{line}");
        if let Some(why) = health.lost() {
            return Err(RunError::TargetLost(why.to_owned()));
        }
        Ok(totals.failed == 0 && clean && !interrupted)
    })
}

/// What a run needs to say how its objects are removed later: the
/// `placement-harness cleanup` line, with every option that reaches the
/// target as the run did.
pub(crate) struct RetryCommand<'a> {
    /// The target's base URL.
    pub base_url: &'a str,
    /// The journal folder.
    pub dir: &'a Path,
    /// `--auth` of the run.
    pub auth: AuthMode,
    /// `--personas` of the run.
    pub personas: Option<&'a Path>,
    /// `--cacert` of the run.
    pub cacert: Option<&'a Path>,
    /// `--insecure` of the run.
    pub insecure: bool,
}

impl RetryCommand<'_> {
    /// The command line for `run_id`, paths shell-quoted.
    pub fn line(&self, run_id: RunId) -> String {
        let quote = |p: &Path| crate::exchange::shell_quote(&p.display().to_string());
        let mut line = format!(
            "placement-harness cleanup --target {} --run-id {run_id} --journal-dir {}",
            self.base_url,
            quote(self.dir)
        );
        if self.auth != AuthMode::Noauth2 {
            line.push_str(&format!(" --auth {}", self.auth));
        }
        if let Some(p) = self.personas {
            line.push_str(&format!(" --personas {}", quote(p)));
        }
        if let Some(p) = self.cacert {
            line.push_str(&format!(" --cacert {}", quote(p)));
        }
        if self.insecure {
            line.push_str(" --insecure");
        }
        line
    }
}

/// Prints the cleanup report and retires the journal when nothing is left;
/// otherwise says how to finish the job. Returns whether nothing is left.
pub(crate) fn finish_journal(
    journal: Arc<Journal>,
    report: Option<CleanupReport>,
    retry: &RetryCommand<'_>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> bool {
    let run_id = journal.run_id();
    let retry = retry.line(run_id);
    let Some(report) = report else {
        let _ = writeln!(
            out,
            "kept what run {run_id} created; remove it with: {retry}"
        );
        return true;
    };
    let _ = write!(out, "{}", report.render());
    if !report.is_clean() {
        let _ = writeln!(err, "run {run_id} left objects behind; retry with: {retry}");
        return false;
    }
    match Arc::try_unwrap(journal) {
        Ok(j) => {
            if let Err(e) = j.mark_done() {
                let _ = writeln!(err, "{e}");
            }
        }
        Err(_) => {
            let _ = writeln!(err, "journal of run {run_id} still in use; not retired");
        }
    }
    true
}

fn cleanup_command(args: &CleanupArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    match cleanup_inner(args, out, err) {
        Ok(true) => EXIT_OK,
        Ok(false) => EXIT_FAILED,
        Err(e) => {
            let _ = writeln!(err, "placement-harness cleanup: {e}");
            EXIT_USAGE
        }
    }
}

fn cleanup_inner(
    args: &CleanupArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<bool, RunError> {
    let dir = journal_dir(args.journal_dir.as_deref())?;
    if args.list {
        let found = Journal::list(&dir)?;
        if found.is_empty() {
            let _ = writeln!(out, "no journals in {}", dir.display());
        }
        for j in found {
            let counts: Vec<String> = j
                .counts
                .iter()
                .map(|(k, n)| format!("{n} {}", k.as_str()))
                .collect();
            let _ = match j.error {
                Some(e) => writeln!(out, "{}  unreadable: {e}", j.run_id),
                None => writeln!(
                    out,
                    "{}  {}  {}  ({})",
                    j.run_id,
                    j.target,
                    if counts.is_empty() {
                        "nothing".to_owned()
                    } else {
                        counts.join(", ")
                    },
                    j.path.display()
                ),
            };
        }
        return Ok(true);
    }
    // clap requires both without --list.
    let (Some(url), Some(run_id)) = (args.target.as_deref(), args.run_id) else {
        return Err(RunError::Usage(
            "--target and --run-id are required without --list".to_owned(),
        ));
    };
    let target = Target::new(url, args.auth, "custom")?;
    let journal = Journal::open_existing(&dir, run_id)?;
    let personas: Vec<Persona> = match &args.personas {
        Some(path) => persona::load_personas(path)?,
        None => persona::default_personas(args.auth, Some(run_id)),
    };
    if !personas.iter().any(|p| p.name == args.as_persona) {
        let known: Vec<&str> = personas.iter().map(|p| p.name.as_str()).collect();
        return Err(RunError::Usage(format!(
            "--as {:?}: no such persona (known: {})",
            args.as_persona,
            known.join(", ")
        )));
    }
    let base_url = target.base_url().as_str().to_owned();
    if journal.target().trim_end_matches('/') != base_url.trim_end_matches('/') {
        let _ = writeln!(
            err,
            "note: run {run_id} was journaled against {}; deleting its objects at {base_url}",
            journal.target()
        );
    }
    let client = Client::new(client_config(
        args.timeout,
        args.cacert.clone(),
        args.insecure,
    ))?;
    let runtime = runtime().map_err(RunError::Runtime)?;
    runtime.block_on(async {
        crate::target_check::check_target(&client, &target).await?;
        let transport = ClientTransport::new(client, target, personas);
        let config = CleanupConfig::new(&base_url, Some(&args.as_persona));
        let report = cleanup(&transport, &journal, &config).await;
        let _ = write!(out, "{}", report.render());
        if !report.is_clean() {
            return Ok(false);
        }
        let done = journal.mark_done()?;
        let _ = writeln!(
            out,
            "run {run_id}: nothing left (journal kept as {})",
            done.display()
        );
        Ok(true)
    })
}

async fn run_one(
    suite: &Suite,
    transport: &GuardedTransport<ClientTransport>,
    cx: &FixtureContext<'_>,
    out: &mut dyn Write,
    totals: &mut Totals,
) {
    let file = suite.file.display().to_string();
    let missing = unsupported_fixtures(&suite.fixtures);
    if !missing.is_empty() {
        let _ = writeln!(
            out,
            "{file}: note: fixtures not provided (only their tests' own requests run): {}",
            missing.join(", ")
        );
    }
    let mut config = RunConfig::new(cx.base_url);
    config.environ = match setup_fixtures(&suite.fixtures, transport, cx).await {
        Ok(data) => data.environ,
        Err(e @ FixtureError::Skipped { .. }) => {
            let _ = writeln!(out, "{file}: note: {e}");
            suite_environ_in(std::env::vars(), cx.run_id)
        }
        Err(e) => {
            // As gabbi: a fixture that fails to start fails every test of
            // the file, none of which is sent.
            let _ = writeln!(
                out,
                "{file}: FAIL: {e}; its {} tests are not run",
                suite.tests.len()
            );
            totals.failed += suite.tests.len();
            return;
        }
    };
    let started = Instant::now();
    let report = run_suite(suite, transport, &config).await;
    for r in &report.results {
        let head = format!("{file}:{} {}", r.line, r.name);
        let _ = match &r.outcome {
            Outcome::Passed => writeln!(out, "{head} ... ok"),
            Outcome::Skipped(why) => writeln!(out, "{head} ... skip: {why}"),
            Outcome::Xfail(_) => writeln!(out, "{head} ... xfail"),
            Outcome::UnexpectedPass => {
                writeln!(out, "{head} ... FAIL\n    unexpected pass (test is xfail)")
            }
            Outcome::Failed(reasons) => {
                let _ = writeln!(out, "{head} ... FAIL");
                reasons
                    .iter()
                    .try_for_each(|reason| writeln!(out, "    {reason}"))
            }
        };
    }
    let _ = writeln!(
        out,
        "{file}: {} ({:.2}s)",
        report.summary(),
        started.elapsed().as_secs_f64()
    );
    totals.passed += report.passed();
    totals.failed += report.failed();
    totals.skipped += report.skipped();
    totals.xfailed += report.xfailed();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> (u8, String, String) {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let mut v = vec!["placement-harness".to_owned()];
        v.extend(args.iter().map(|s| (*s).to_owned()));
        let code = main_with(v, &mut out, &mut err);
        (
            code,
            String::from_utf8_lossy(&out).into_owned(),
            String::from_utf8_lossy(&err).into_owned(),
        )
    }

    fn tmp(tag: &str) -> PathBuf {
        let d = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/tmp/cli-tests")
            .join(format!("{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn cleanup_of_an_unknown_run_names_the_path_and_list_counts() {
        let dir = tmp("cleanup-unknown");
        let d = dir.display().to_string();
        let (code, _, err) = run(&[
            "cleanup",
            "--target",
            "http://127.0.0.1:1",
            "--run-id",
            "ph0123456789",
            "--journal-dir",
            &d,
        ]);
        assert_eq!(code, EXIT_USAGE, "{err}");
        assert!(err.contains(&format!("{d}/ph0123456789.jsonl")), "{err}");
        let (code, out, _) = run(&["cleanup", "--list", "--journal-dir", &d]);
        assert_eq!(code, EXIT_OK);
        assert!(out.contains("no journals"), "{out}");
        let run_id = RunId::generate();
        let j = Journal::create(&dir, run_id, "http://127.0.0.1:1/");
        let Ok(j) = j else { panic!("journal") };
        let u = run_id.uuid_string();
        let entry = crate::journal::Entry::new(
            crate::journal::ObjectKind::Consumer,
            &u,
            &format!("/allocations/{u}"),
        );
        assert!(j.record(entry).is_ok());
        let (code, out, _) = run(&["cleanup", "--list", "--journal-dir", &d]);
        assert_eq!(code, EXIT_OK);
        assert!(
            out.contains(&format!("{run_id}  http://127.0.0.1:1/  1 consumer")),
            "{out}"
        );
        // A target that does not answer is a target error: exit 2, nothing lost.
        let (code, _, err) = run(&[
            "cleanup",
            "--target",
            "http://127.0.0.1:1",
            "--run-id",
            &run_id.to_string(),
            "--journal-dir",
            &d,
            "--timeout",
            "2",
        ]);
        assert_eq!(code, EXIT_USAGE, "{err}");
        assert!(err.contains("not reachable"), "{err}");
        assert!(Journal::path_in(&dir, run_id).is_file());
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn usage_errors_exit_2_naming_the_option() {
        for (args, option) in [
            (&["run", "--max-rps", "0", "a.yaml"][..], "--max-rps"),
            (&["run", "--timeout", "nan", "a.yaml"], "--timeout"),
            (&["run", "--concurrency", "0", "a.yaml"], "--concurrency"),
            (&["run", "--auth", "basic", "a.yaml"], "--auth"),
            (&["run", "--bogus", "a.yaml"], "--bogus"),
            (&["run"], "FILE.yaml"),
        ] {
            let (code, _, err) = run(args);
            assert_eq!(code, EXIT_USAGE, "{args:?}");
            assert!(err.contains(option), "{args:?}: {err}");
        }
    }

    #[test]
    fn help_and_version_exit_0_with_examples() {
        for args in [
            &["--help"][..],
            &["run", "--help"],
            &["scan", "--help"],
            &["cleanup", "--help"],
        ] {
            let (code, out, _) = run(args);
            assert_eq!(code, EXIT_OK, "{args:?}");
            assert!(out.contains("Example"), "{args:?}: {out}");
        }
        let (code, out, _) = run(&["--version"]);
        assert_eq!(code, EXIT_OK);
        assert!(out.contains(env!("CARGO_PKG_VERSION")));
    }

    #[test]
    fn cleanup_usage_errors_exit_2() {
        let (code, _, err) = run(&["cleanup"]);
        assert_eq!(code, EXIT_USAGE);
        assert!(
            err.contains("--target") && err.contains("--run-id"),
            "{err}"
        );
        let (code, _, err) = run(&[
            "cleanup",
            "--target",
            "http://127.0.0.1:1",
            "--run-id",
            "PH0",
        ]);
        assert_eq!(code, EXIT_USAGE);
        assert!(
            err.contains("--run-id") && err.contains("not a run id"),
            "{err}"
        );
        let (code, _, err) = run(&["run", "no-such-suite.yaml"]);
        assert_eq!(code, EXIT_USAGE);
        assert!(err.contains("no-such-suite.yaml"), "{err}");
    }
}
