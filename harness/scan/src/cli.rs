//! The `placement-harness` command line: argument parsing (clap derive)
//! and the `run` command, which runs gabbi suites against a target over the
//! scanner's HTTP client and prints gabbi-style verdicts.
//!
//! It lives in the library, not in `main.rs`, so that tests can check the
//! parsing and the exit codes without spawning a process for each case.
//!
//! Exit codes: 0 all tests passed, 1 a test failed, 2 usage, suite or
//! target errors (clap's own usage errors exit 2 as well).

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};

use crate::client::{Client, ClientConfig};
use crate::persona::{self, Persona};
use crate::suite::fixture::{suite_environ, unsupported_fixtures};
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
    /// Security scan of a Placement API (not built yet).
    #[command(after_help = "Example (once built):\n  \
        placement-harness scan --target https://placement.example --personas personas.yaml")]
    Scan(PlaceholderArgs),
    /// Delete what a crashed run created (not built yet).
    #[command(after_help = "Example (once built):\n  \
        placement-harness cleanup --target https://placement.example --run-id RUN_ID")]
    Cleanup(PlaceholderArgs),
    /// Serve the embedded reference Placement until SIGINT or SIGTERM.
    #[command(
        after_help = "Example:\n  placement-harness serve --listen 127.0.0.1:0 --rbac secure"
    )]
    Serve(crate::serve::ServeArgs),
}

/// Options of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Base URL of the Placement API. Without it the embedded reference
    /// server would be used, which is not built yet (issue 4).
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
    /// Suite files, run in order.
    #[arg(value_name = "FILE.yaml", required = true)]
    pub files: Vec<PathBuf>,
}

/// Options of the commands that are not built yet: accepted and ignored, so
/// that `--help` shows the command and any call gets the honest answer.
#[derive(Debug, Args)]
pub struct PlaceholderArgs {
    /// Arguments (ignored until the command exists).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    pub rest: Vec<String>,
}

fn parse_auth(s: &str) -> Result<AuthMode, String> {
    s.parse::<AuthMode>().map_err(|e| e.to_string())
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
        Command::Serve(args) => crate::serve::serve_command(&args, out, err),
        Command::Scan(_) => {
            let _ = writeln!(
                err,
                "placement-harness: `scan` is not built yet (issue 3). Today `run` runs \
                 gabbi suites against a target; see README.md."
            );
            EXIT_USAGE
        }
        Command::Cleanup(_) => {
            let _ = writeln!(
                err,
                "placement-harness: `cleanup` is not built yet: nothing creates run-scoped \
                 objects yet (issue 3). See README.md."
            );
            EXIT_USAGE
        }
    }
}

/// What stopped `run` before any test verdict.
#[derive(Debug, thiserror::Error)]
enum RunError {
    #[error(
        "no --target given: the embedded reference server is not built yet (issue 4); \
         pass --target URL of a running Placement (scripts/placement-up starts one)"
    )]
    NoTarget,
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
    #[error("target {url} is not reachable: {reason}")]
    Unreachable { url: String, reason: String },
}

fn run_command(args: &RunArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    match run_inner(args, out) {
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

fn run_inner(args: &RunArgs, out: &mut dyn Write) -> Result<bool, RunError> {
    let url = args.target.as_deref().ok_or(RunError::NoTarget)?;
    let target = Target::new(url, args.auth, "custom")?;
    // Every file is read before anything is sent: a typo in the last file
    // must not surface after the first ones have changed server state.
    let suites: Vec<Suite> = args
        .files
        .iter()
        .map(|f| load_suite(f))
        .collect::<Result<_, _>>()?;
    let personas: Vec<Persona> = match &args.personas {
        Some(path) => persona::load_personas(path)?,
        None => persona::default_personas(args.auth),
    };
    let config = ClientConfig {
        total_timeout: Duration::from_secs_f64(args.timeout),
        connect_timeout: Duration::from_secs_f64(args.timeout.min(5.0)),
        concurrency: usize::try_from(args.concurrency).unwrap_or(1),
        max_rps: args.max_rps,
        cacert: args.cacert.clone(),
        insecure: args.insecure,
        ..ClientConfig::default()
    };
    let client = Client::new(config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(2)
        .build()
        .map_err(RunError::Runtime)?;
    runtime.block_on(async {
        preflight(&client, &target).await?;
        let base_url = target.base_url().as_str().to_owned();
        let transport = ClientTransport::new(client, target, personas);
        let mut totals = Totals::default();
        for suite in &suites {
            run_one(suite, &transport, &base_url, out, &mut totals).await;
        }
        if totals.xfailed > 0 {
            let _ = writeln!(out, "{} expected failures (xfail)", totals.xfailed);
        }
        let mut line = format!("{} passed, {} failed", totals.passed, totals.failed);
        if totals.skipped > 0 {
            line.push_str(&format!(", {} skipped", totals.skipped));
        }
        let _ = writeln!(out, "{line}");
        Ok(totals.failed == 0)
    })
}

/// One `GET` of the base URL, so that a wrong `--target` is a target error
/// (exit 2) rather than every test failing.
async fn preflight(client: &Client, target: &Target) -> Result<(), RunError> {
    let request = crate::exchange::Request {
        method: "GET".to_owned(),
        url: target.base_url().as_str().to_owned(),
        ..crate::exchange::Request::default()
    };
    client
        .send(request)
        .await
        .map(|_| ())
        .map_err(|e| RunError::Unreachable {
            url: crate::target::display_url(target.base_url()),
            reason: e.to_string(),
        })
}

async fn run_one(
    suite: &Suite,
    transport: &ClientTransport,
    base_url: &str,
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
    let mut config = RunConfig::new(base_url);
    config.environ = suite_environ(std::env::vars());
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
    fn placeholders_and_no_target_say_so_and_exit_2() {
        let (code, _, err) = run(&["scan", "--target", "http://127.0.0.1:1"]);
        assert_eq!(code, EXIT_USAGE);
        assert!(err.contains("not built yet"), "{err}");
        let (code, _, err) = run(&["cleanup"]);
        assert_eq!(code, EXIT_USAGE);
        assert!(err.contains("not built yet"), "{err}");
        let (code, _, err) = run(&["run", "a.yaml"]);
        assert_eq!(code, EXIT_USAGE);
        assert!(err.contains("issue 4"), "{err}");
    }
}
