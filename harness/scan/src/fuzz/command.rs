//! `placement-harness fuzz`: options, the run around [`run_fuzz`](super::engine::run_fuzz) (run id,
//! journal, guard, cleanup at the end and after Ctrl-C, as `scan` does),
//! shrinking of the failing cases into gabbi files, reports and the exit
//! code (0 no issue at or above `--fail-on`, new ones only with
//! `--baseline`, 1 such issues or objects left behind, 2 usage or target error, 130 interrupted).

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Args;

use super::differential::{Differential, Model, model_config_for};
use super::engine::{BothSides, FailingCase, FuzzConfig, FuzzOutcome, SideFindings, run_fuzz_with};
use super::replay::{ReplayConfig, Replayer};
use super::rng::Rng;
use super::shrink::{ShrinkConfig, Shrunk, shrink_with};
use super::{gabbi, upstream};
use crate::cleanup::{CleanupConfig, cleanup};
use crate::exit::{EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE};
use crate::finding::CheckId;
use crate::guard::GuardedTransport;
use crate::options::{ReportArgs, SessionArgs, parse_duration};
use crate::report::{self, Report, Tool, rfc3339};
use crate::run_id::RunId;
use crate::session::{self, Launch, Session, SessionError};
use crate::target::display_url;

/// Help text after the options of `fuzz`.
pub const FUZZ_AFTER_HELP: &str = "Examples:\n  \
    placement-harness fuzz --target http://127.0.0.1:8778 --max-time 60s --seed 1\n  \
    placement-harness fuzz --target http://127.0.0.1:8778 --max-requests 2000 --max-rps 50 \\\n      \
    --report json:fuzz.json --found-dir scenarios/found --disposable-target\n\n\
    Every object the run makes carries its run id and is journaled; cleanup runs at\n\
    the end and on Ctrl-C. The same --seed against the same server state sends the\n\
    same requests. Failing cases are shrunk against the target and written as gabbi\n\
    files, one per root cause, into --found-dir (default: found/<run id> in the\n\
    journal folder).\n\
    Exit status: 0 no issue at or above --fail-on (new ones only with --baseline),\n\
    1 such issues or objects left behind,\n\
    2 usage or target error, 130 interrupted (reports are still written).";

/// Of the requests eligible for `--replay`, every third is replayed, so
/// that the sample spreads over the run rather than its first episode.
const REPLAY_STRIDE: usize = 3;

/// Options of `fuzz`.
#[derive(Debug, Args)]
pub struct FuzzArgs {
    /// The seed (default: from the clock, printed).
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Where shrunk failing cases are written as gabbi files, one per root
    /// cause [default: found/<run id> in the journal folder, printed;
    /// never the tracked scenarios/found, which only --found-dir writes].
    #[arg(long, value_name = "DIR")]
    pub found_dir: Option<PathBuf>,
    /// Do not shrink or write failing cases.
    #[arg(long)]
    pub no_shrink: bool,
    /// Most failing cases shrunk (one per finding, in order found).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub shrink_cases: usize,
    /// Most replays per shrunk case.
    #[arg(long, value_name = "N", default_value_t = 40)]
    pub shrink_attempts: usize,
    /// Most seconds spent shrinking, all cases together.
    #[arg(long, value_name = "DURATION", default_value = "120s", value_parser = parse_duration)]
    pub shrink_time: Duration,
    /// Generated requests per episode (between setup and the story).
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub episode_actions: usize,
    /// Write every request sent (persona, method, URL, body) to this file.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// Fewer lines.
    #[arg(long)]
    pub quiet: bool,
    /// Send every step to the model (placement-core in process) as well and
    /// report where the target's outcome or resulting state differs
    /// (check `differential`); documented divergences are reported as
    /// known, with severity info. Off by default: it adds read-backs of
    /// the run's objects after each write.
    #[arg(long)]
    pub differential: bool,
    /// Replay this many of the fuzzer's requests (reads, and idempotent
    /// writes of the run's own objects) at every microversion 1.0 to 1.39
    /// and report changes the documented history does not list (check
    /// `microversion_replay`); 0 replays nothing.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub replay: usize,
    /// The target, how to reach it, how much to send, the journal.
    #[command(flatten)]
    pub session: SessionArgs,
    /// Reports and the exit code.
    #[command(flatten)]
    pub reports: ReportArgs,
}

#[derive(Debug, thiserror::Error)]
enum FuzzError {
    #[error("starting the model for --differential: {0}")]
    Model(String),
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error("--report {path}: {reason}")]
    Report { path: String, reason: String },
    #[error("--trace {path}: {reason}")]
    Trace { path: String, reason: String },
    #[error(transparent)]
    Judgements(#[from] crate::input_file::FileError),
}

fn no_model_for_tokens() -> FuzzError {
    FuzzError::Model(
        "--differential needs --auth noauth2 or keystone-headers: the model cannot check \
         Keystone tokens"
            .to_owned(),
    )
}

/// Runs `fuzz`; returns the exit code.
pub fn fuzz_command(args: &FuzzArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let result = fuzz_inner(args, out, err);
    crate::exit::or_usage("fuzz", result, err)
}

fn fuzz_inner(args: &FuzzArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8, FuzzError> {
    // Refused before anything starts or is journaled.
    if args.differential && model_config_for(args.session.conn.auth).is_none() {
        return Err(no_model_for_tokens());
    }
    let judgements = args.reports.judgements()?;
    let run_id = RunId::generate();
    let personas = session::personas(&args.session.conn, run_id)?;
    let seed = args.seed.unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    });
    let launch = Launch::start(&args.session, &personas)?;
    let fail_on = args
        .reports
        .fail_on
        .unwrap_or(report::default_fail_on(launch.is_embedded()));
    let session = launch.connect(&args.session, run_id, personas, "custom", 2)?;
    let _ = writeln!(
        out,
        "run id {run_id} seed {seed} (journal {})",
        session.journal().path().display()
    );
    fuzz_against(args, session, seed, fail_on, &judgements, out, err)
}

fn fuzz_against(
    args: &FuzzArgs,
    session: Session,
    seed: u64,
    fail_on: crate::finding::Severity,
    judgements: &crate::options::Judgements,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, FuzzError> {
    let run_id = session.run_id();
    let base_url = session.base_url();
    let client = session.client().clone();
    let personas = session.personas().to_vec();
    let sender = GuardedTransport::over(session.transport_over(client.clone()), session.guard())
        .skipping_foreign_writes()
        .with_versions(session.versions());
    let ctx = crate::scan::context::oracle_context(&personas);
    let config = FuzzConfig {
        base_url: base_url.clone(),
        seed,
        run_id,
        personas: personas.clone(),
        max_requests: args.session.limits.max_requests,
        max_duration: args.session.limits.max_time_or(Duration::from_secs(60)),
        actions_per_episode: args.episode_actions.clamp(1, 1000),
        keep_exchanges: 20_000,
        health: Arc::clone(client.health()),
    };
    let model = if args.differential {
        let config = model_config_for(args.session.conn.auth).ok_or_else(no_model_for_tokens)?;
        let m = Model::new(config, session.auth()).map_err(|e| FuzzError::Model(e.to_string()))?;
        Some(m)
    } else {
        None
    };
    let started_at = rfc3339(SystemTime::now());
    let started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let (outcome, shrunk, shrink_requests, tally, replay_tally) =
        session.runtime().block_on(async {
            let watcher = {
                let stop = Arc::clone(&stop);
                tokio::spawn(async move {
                    if tokio::signal::ctrl_c().await.is_ok() {
                        stop.store(true, Ordering::SeqCst);
                    }
                })
            };
            let work = Work {
                args,
                config: &config,
                ctx: &ctx,
                stop: &stop,
                seed,
            };
            let replayer = Replayer::new(
                &sender,
                ReplayConfig {
                    max_requests: args.replay,
                    stride: REPLAY_STRIDE,
                },
                &run_id.as_str(),
            );
            let (outcome, shrunk, shrink_requests, tally) = match model {
                Some(model) => {
                    let diff = Differential::new(&replayer, model, &base_url, &personas);
                    let sides = BothSides(&diff, &replayer);
                    let o = run_fuzz_with(&diff, &config, ctx.clone(), &stop, &sides).await;
                    // The summary counts the fuzzing, not the shrink replays.
                    let t = diff.tally();
                    let (s, n) = shrink_cases(&diff, &sides, &work, &o).await;
                    (o, s, n, Some(t))
                }
                None => {
                    let o = run_fuzz_with(&replayer, &config, ctx.clone(), &stop, &replayer).await;
                    let (s, n) = shrink_cases(&replayer, &replayer, &work, &o).await;
                    (o, s, n, None)
                }
            };
            let replay_tally = replayer.tally();
            watcher.abort();
            (outcome, shrunk, shrink_requests, tally, replay_tally)
        });
    let interrupted = outcome.interrupted || stop.load(Ordering::SeqCst);
    drop(sender);
    let cleanup_report = if args.session.journal.keep {
        None
    } else {
        let transport = session.client_transport();
        let admin = session.personas().iter().find(|p| p.name == "admin");
        let config = CleanupConfig::new(&base_url, admin);
        Some(
            session
                .runtime()
                .block_on(cleanup(&transport, session.journal(), &config)),
        )
    };
    let target_url = display_url(session.target().base_url());
    let found_dir = args
        .found_dir
        .clone()
        .unwrap_or_else(|| session.found_dir());
    let left_behind = !session.finish(cleanup_report, out, err);
    let mut written = Vec::new();
    for (case, s) in &shrunk {
        if !s.reproduced {
            let _ = writeln!(
                out,
                "not reproduced on replay (kept unshrunk in the report): {} {}",
                case.check.as_str(),
                case.title
            );
            continue;
        }
        match gabbi::write(&found_dir, s, &case.fingerprint, &case.title, seed) {
            Ok(p) => {
                let _ = writeln!(
                    out,
                    "shrunk {} from {} to {} step(s) in {} replays: {}",
                    case.check.as_str(),
                    case.steps.len(),
                    s.steps.len(),
                    s.attempts,
                    p.display()
                );
                for c in &s.curl {
                    let _ = writeln!(out, "  {c}");
                }
                written.push(p);
                match upstream::write(&found_dir, s, &case.title, seed) {
                    Ok(up) => {
                        let _ = writeln!(
                            out,
                            "  upstream gabbit (for Placement's functional tests): {}",
                            up.display()
                        );
                    }
                    Err(why) => {
                        let _ = writeln!(out, "  no upstream gabbit: {why}");
                    }
                }
            }
            Err(e) => {
                let _ = writeln!(err, "--found-dir {}: {e}", found_dir.display());
            }
        }
    }
    if let Some(path) = &args.trace {
        std::fs::write(path, outcome.trace.join("\n") + "\n").map_err(|e| FuzzError::Trace {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
    }
    let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let mut report = Report::new(
        Tool::default(),
        report::Target {
            url: target_url,
            profile: "custom".to_owned(),
        },
        run_id.to_string(),
        started_at,
        duration_ms,
        outcome.requests + shrink_requests,
        outcome.findings.clone(),
    )
    .with_judged(&{
        let mut judged = outcome.judged.clone();
        if let Some(t) = &tally {
            judged.add_n(CheckId::Differential, t.compared);
        }
        judged.add_n(CheckId::MicroversionReplay, replay_tally.replayed);
        judged
    });
    for w in judgements.apply(&mut report) {
        let _ = writeln!(err, "{w}");
    }
    report::write_all(&args.reports.report, &report)
        .map_err(|(path, reason)| FuzzError::Report { path, reason })?;
    if !args.quiet {
        let _ = write!(
            out,
            "{}",
            report::terminal::render_with(&report, args.reports.verbose)
        );
    }
    let _ = writeln!(
        out,
        "fuzz: {} requests in {} episodes ({} not sent by the guard), {} distinct findings, {} shrink requests; stopped: {}",
        outcome.requests,
        outcome.episodes,
        outcome.skipped,
        outcome.findings.len(),
        shrink_requests,
        outcome.stopped
    );
    if args.replay > 0 {
        let _ = writeln!(
            out,
            "microversion replay: {} requests replayed at 1.0..1.{} ({} sends), {} documented changes, {} undocumented",
            replay_tally.replayed,
            super::replay::LATEST_MINOR,
            replay_tally.sends,
            replay_tally.documented_changes,
            replay_tally.undocumented_changes
        );
    }
    if let Some(t) = &tally {
        for line in t.lines() {
            let _ = writeln!(out, "{line}");
        }
    }
    match outcome.first_5xx {
        Some((t, n)) => {
            let _ = writeln!(
                out,
                "first 5xx after {:.1}s ({n} requests)",
                t.as_secs_f64()
            );
        }
        None => {
            let _ = writeln!(out, "no 5xx");
        }
    }
    if outcome.target_lost {
        let _ = writeln!(
            err,
            "placement-harness fuzz: stopped after {} requests: {}; the findings made until \
             then are in the reports: exit 2",
            outcome.requests, outcome.stopped
        );
        return Ok(EXIT_USAGE);
    }
    for e in &outcome.transport_errors {
        let _ = writeln!(err, "transport error: {e}");
    }
    if interrupted {
        return Ok(EXIT_INTERRUPTED);
    }
    let failed = report.gating(fail_on).next().is_some() || left_behind;
    Ok(if failed { EXIT_FAILED } else { EXIT_OK })
}

/// What fuzzing and shrinking share.
struct Work<'a> {
    args: &'a FuzzArgs,
    config: &'a FuzzConfig,
    ctx: &'a crate::oracle::Context,
    stop: &'a AtomicBool,
    seed: u64,
}

/// Shrinks the failing cases of `outcome` through `sender`, with `side`'s
/// findings (the differential oracle's and the replay's) counted.
async fn shrink_cases<S: crate::transport::Transport>(
    sender: &S,
    side: &dyn SideFindings,
    w: &Work<'_>,
    outcome: &FuzzOutcome,
) -> (Vec<(FailingCase, Shrunk)>, u64) {
    let args = w.args;
    let mut shrunk = Vec::new();
    let mut shrink_requests = 0;
    if !args.no_shrink && !outcome.interrupted {
        let scfg = ShrinkConfig {
            base_url: w.config.base_url.clone(),
            personas: w.config.personas.clone(),
            run_id: w.config.run_id,
            max_attempts: args.shrink_attempts.max(1),
            max_duration: args.shrink_time,
        };
        let shrink_started = Instant::now();
        // A separate stream, so shrinking never changes what a seed
        // sends while fuzzing.
        let mut rng = Rng::new(w.seed ^ 0x5348_5249_4E4B);
        for case in outcome.cases.iter().take(args.shrink_cases) {
            let left = args.shrink_time.saturating_sub(shrink_started.elapsed());
            if left.is_zero() || w.stop.load(Ordering::SeqCst) {
                break;
            }
            let cfg = ShrinkConfig {
                max_duration: left.min(scfg.max_duration),
                ..scfg.clone()
            };
            let s = shrink_with(sender, side, &cfg, w.ctx, case, &mut rng, w.stop).await;
            shrink_requests += s.requests;
            shrunk.push((case.clone(), s));
        }
    }
    (shrunk, shrink_requests)
}
