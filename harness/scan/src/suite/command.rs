//! `placement-harness run`: gabbi suites against a target over the
//! scanner's HTTP client, with gabbi-style verdicts.
//!
//! `run` works inside a run id, as `scan` and `fuzz` do ([`Session`]): it
//! journals every object it creates, guards every write
//! ([`crate::guard`]), sets up data fixtures and cleans up at the end or on
//! Ctrl-C. Exit codes: 0 all tests passed, 1 a test failed or objects were
//! left, 2 usage, suite or target error, or a bound (`--max-requests`,
//! `--max-time`) reached before the last test.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;

use super::fixture::{
    FixtureContext, FixtureError, setup_fixtures, suite_environ_in, unsupported_fixtures,
};
use super::{Outcome, RunConfig, Suite, SuiteError, load_suite, run_suite};
use crate::cleanup::{CleanupConfig, Finished, run_with_cleanup};
use crate::exit;
use crate::guard::GuardedTransport;
use crate::options::{DEFAULT_CONCURRENCY, SessionArgs};
use crate::session::{self, Launch, Session, SessionError};
use crate::transport::ClientTransport;

/// Help text after the options of `run`.
pub const RUN_AFTER_HELP: &str = "Examples:\n  \
    placement-harness run --target http://127.0.0.1:8778 gabbits/basic-http.yaml\n  \
    placement-harness run --target https://cloud/placement --auth token \\\n      \
    --personas personas.yaml --max-rps 5 scenarios/tenant.yaml\n\n\
    Exit status: 0 all passed, 1 a test failed, 2 usage, suite or target error.";

/// Options of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Suite files, run in order.
    #[arg(value_name = "FILE.yaml", required = true)]
    pub files: Vec<PathBuf>,
    /// The target, how to reach it, how much to send, the journal.
    #[command(flatten)]
    pub session: SessionArgs,
}

/// What stopped `run` before any test verdict.
#[derive(Debug, thiserror::Error)]
enum RunError {
    #[error("{0}")]
    Suite(#[from] SuiteError),
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error("{0}; the verdicts printed until then stand: exit 2")]
    TargetLost(String),
    #[error(
        "stopped early: {0} was reached before the last test; the verdicts printed until \
         then stand: exit 2"
    )]
    Bound(&'static str),
}

/// Runs `run`; returns the exit code.
pub fn run_command(args: &RunArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let result = run_inner(args, out, err).map(exit::passed);
    exit::or_usage("run", result, err)
}

/// Totals over every suite of a run.
#[derive(Debug, Default)]
struct Totals {
    passed: usize,
    failed: usize,
    skipped: usize,
    xfailed: usize,
}

fn run_inner(args: &RunArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<bool, RunError> {
    // Every file is read before anything is sent: a typo in the last file
    // must not surface after the first ones have changed server state.
    let suites: Vec<Suite> = args
        .files
        .iter()
        .map(|f| load_suite(f))
        .collect::<Result<_, _>>()?;
    let run_id = crate::run_id::RunId::generate();
    let personas = session::personas(&args.session.conn, run_id)?;
    let names: Vec<String> = personas.iter().map(|p| p.name.clone()).collect();
    crate::suite::personas::check(&suites, &names)?;
    let session = Launch::start(&args.session, &personas)?.connect(
        &args.session,
        run_id,
        personas,
        "custom",
        DEFAULT_CONCURRENCY,
    )?;
    let _ = writeln!(
        out,
        "run id {run_id} (journal {})",
        session.journal().path().display()
    );
    run_suites(args, &suites, session, out, err)
}

fn run_suites(
    args: &RunArgs,
    suites: &[Suite],
    session: Session,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<bool, RunError> {
    let base_url = session.base_url();
    let health = std::sync::Arc::clone(session.client().health());
    let max_time = args.session.limits.max_time_or(Duration::from_secs(3600));
    // The suites' requests end by --max-time and --max-requests; the
    // cleanup, on the plain client, still runs after them.
    let bounded = session
        .client()
        .with_max_requests(args.session.limits.max_requests)
        .with_deadline(Instant::now() + max_time);
    let transport = session.guarded_transport_over(bounded.clone());
    let cleaner = session.client_transport();
    let admin = session
        .personas()
        .iter()
        .any(|p| p.name == "admin")
        .then(|| "admin".to_owned());
    let mut totals = Totals::default();
    let (finished, report) = session.runtime().block_on(async {
        let cx = FixtureContext {
            base_url: &base_url,
            run_id: session.run_id(),
            personas: session.personas(),
            admin: admin.as_deref(),
        };
        let work = async {
            for suite in suites {
                run_one(suite, &transport, &cx, out, &mut totals).await;
            }
        };
        let admin_persona = session
            .personas()
            .iter()
            .find(|p| Some(&p.name) == admin.as_ref());
        let cleanup_config = CleanupConfig::new(&base_url, admin_persona);
        if args.session.journal.keep {
            work.await;
            (Finished::Completed(()), None)
        } else {
            let (f, r) = run_with_cleanup(work, &cleaner, session.journal(), &cleanup_config).await;
            (f, Some(r))
        }
    });
    let interrupted = matches!(finished, Finished::Interrupted);
    if interrupted {
        let _ = writeln!(err, "interrupted (Ctrl-C): the run stopped early");
    }
    drop(transport);
    drop(cleaner);
    let clean = session.finish(report, out, err);
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
    if let Some(bound) = bounded.bound_reached() {
        return Err(RunError::Bound(bound));
    }
    Ok(totals.failed == 0 && clean && !interrupted)
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
    config.personas = cx.personas.to_vec();
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
