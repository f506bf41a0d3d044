//! `placement-harness fuzz`: options, the run around [`run_fuzz`] (run id,
//! journal, guard, cleanup at the end and after Ctrl-C, as `scan` does),
//! shrinking of the failing cases into gabbi files, reports and the exit
//! code (0 no finding at or above `--fail-on`, 1 findings or objects left
//! behind, 2 usage or target error, 130 interrupted).

use crate::scan::command::{parse_auth, parse_report, parse_rps, parse_severity};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Args;

use super::differential::{Differential, Model, model_config_for};
use super::engine::{BothSides, FailingCase, FuzzConfig, FuzzOutcome, SideFindings, run_fuzz_with};
use super::gabbi;
use super::replay::{ReplayConfig, Replayer};
use super::rng::Rng;
use super::shrink::{ShrinkConfig, Shrunk, shrink_with};
use crate::cleanup::{CleanupConfig, cleanup};
use crate::client::{Client, ClientConfig};
use crate::finding::{CheckId, Severity};
use crate::guard::{Guard, Ownership};
use crate::journal::Journal;
use crate::persona::{self, Persona};
use crate::report::{self, Report, ReportKind, Tool};
use crate::run_id::RunId;
use crate::scan::ClientSender;
use crate::scan::command::{EXIT_FINDINGS, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, rfc3339};
use crate::scan::safety::GuardedSender;
use crate::suite::ClientTransport;
use crate::target::{AuthMode, Target, display_url};

/// Help text after the options of `fuzz`.
pub const FUZZ_AFTER_HELP: &str = "Examples:\n  \
    placement-harness fuzz --target http://127.0.0.1:8778 --time 60s --seed 1\n  \
    placement-harness fuzz --target http://127.0.0.1:8778 --requests 2000 --max-rps 50 \\\n      \
    --report json:fuzz.json --found-dir scenarios/found --disposable-target\n\n\
    Every object the run makes carries its run id and is journaled; cleanup runs at\n\
    the end and on Ctrl-C. The same --seed against the same server state sends the\n\
    same requests. Failing cases are shrunk against the target and written as gabbi\n\
    files into --found-dir.\n\
    Exit status: 0 no finding at or above --fail-on, 1 findings or objects left behind,\n\
    2 usage or target error, 130 interrupted (reports are still written).";

/// Of the requests eligible for `--replay`, every third is replayed, so
/// that the sample spreads over the run rather than its first episode.
const REPLAY_STRIDE: usize = 3;

/// Options of `fuzz`.
#[derive(Debug, Args)]
pub struct FuzzArgs {
    /// Base URL of the Placement API.
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,
    /// How the target authenticates: noauth2, keystone-headers or token.
    #[arg(long, value_name = "MODE", default_value = "noauth2", value_parser = parse_auth)]
    pub auth: AuthMode,
    /// Personas file (default: the built-in set for --auth).
    #[arg(long, value_name = "FILE")]
    pub personas: Option<PathBuf>,
    /// How long to fuzz: `90`, `90s`, `5m`, `1h` (shrinking comes on top,
    /// bounded by --shrink-time).
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub time: Duration,
    /// Most requests to send while fuzzing.
    #[arg(long, value_name = "N", default_value_t = 100_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub requests: u64,
    /// The seed (default: from the clock, printed).
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Requests started per second, at most.
    #[arg(long, value_name = "N", value_parser = parse_rps)]
    pub max_rps: Option<f64>,
    /// A report to write, KIND:PATH with KIND json, junit, sarif, html or
    /// terminal; repeatable.
    #[arg(long, value_name = "KIND:PATH", value_parser = parse_report)]
    pub report: Vec<(ReportKind, PathBuf)>,
    /// Lowest severity that fails the run (exit 1) [default: low with
    /// --target; info against the embedded server, which is held to the
    /// full standard].
    #[arg(long, value_name = "SEV", value_parser = parse_severity)]
    pub fail_on: Option<Severity>,
    /// Where shrunk failing cases are written as gabbi files.
    #[arg(long, value_name = "DIR", default_value = "scenarios/found")]
    pub found_dir: PathBuf,
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
    /// Time limit for one request, in seconds.
    #[arg(long, value_name = "S", default_value_t = 30.0)]
    pub timeout: f64,
    /// The target was started for this run and is thrown away afterwards:
    /// lift the rule that writes may only name the run's objects. Never use
    /// it on a deployment.
    #[arg(long)]
    pub disposable_target: bool,
    /// Where the journal of created objects is kept.
    #[arg(long, value_name = "DIR")]
    pub journal_dir: Option<PathBuf>,
    /// Leave what the run created in place.
    #[arg(long)]
    pub keep: bool,
    /// Accept any TLS certificate.
    #[arg(long)]
    pub insecure: bool,
    /// Extra trusted CA certificates (PEM bundle).
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,
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
}

/// `90`, `90s`, `5m`, `1h`, `1.5s` to a duration (at most a day).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let (num, unit) = match t.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (t.get(..i).unwrap_or(""), t.get(i..).unwrap_or("")),
        None => (t, "s"),
    };
    let factor = match unit {
        "ms" => 0.001,
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ => return Err(format!("{s:?}: unit must be ms, s, m or h")),
    };
    match num.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v * factor <= 86_400.0 => {
            Ok(Duration::from_secs_f64(v * factor))
        }
        _ => Err(format!(
            "{s:?} is not a duration in (0, 24h] such as 60s or 5m"
        )),
    }
}

#[derive(Debug, thiserror::Error)]
enum FuzzError {
    #[error("starting the embedded reference server: {0}")]
    Embedded(String),
    #[error("starting the model for --differential: {0}")]
    Model(String),
    #[error("{0}")]
    Target(#[from] crate::target::TargetError),
    #[error("{0}")]
    Persona(#[from] crate::persona::PersonaError),
    #[error("{0}")]
    Client(#[from] crate::client::ClientError),
    #[error("{0}")]
    Journal(#[from] crate::journal::JournalError),
    #[error("starting the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error("{0}")]
    TargetCheck(#[from] crate::target_check::TargetCheckError),
    #[error("--report {path}: {reason}")]
    Report { path: String, reason: String },
    #[error("--trace {path}: {reason}")]
    Trace { path: String, reason: String },
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
    match fuzz_inner(args, out, err) {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(err, "placement-harness fuzz: {e}");
            EXIT_USAGE
        }
    }
}

fn fuzz_inner(args: &FuzzArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8, FuzzError> {
    // Refused before anything starts or is journaled.
    if args.differential && model_config_for(args.auth).is_none() {
        return Err(no_model_for_tokens());
    }
    let run_id = RunId::generate();
    let personas: Vec<Persona> = match &args.personas {
        Some(path) => persona::load_personas(path)?,
        None => persona::default_personas(args.auth, Some(run_id)),
    };
    let seed = args.seed.unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(2)
        .build()
        .map_err(FuzzError::Runtime)?;
    let (url, embedded) =
        crate::serve::target_or_embedded(&runtime, args.target.as_deref(), &personas)
            .map_err(FuzzError::Embedded)?;
    let result = fuzz_against(
        args,
        &url,
        embedded.is_some(),
        run_id,
        personas,
        seed,
        &runtime,
        out,
        err,
    );
    if let Some(server) = embedded {
        let _ = runtime.block_on(server.shutdown());
    }
    result
}

#[allow(clippy::too_many_arguments)]
fn fuzz_against(
    args: &FuzzArgs,
    url: &str,
    embedded: bool,
    run_id: RunId,
    personas: Vec<Persona>,
    seed: u64,
    runtime: &tokio::runtime::Runtime,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, FuzzError> {
    let target = Target::new(url, args.auth, "custom")?;
    let timeout = if args.timeout.is_finite() && args.timeout > 0.0 {
        args.timeout.min(3600.0)
    } else {
        30.0
    };
    let client = Client::new(ClientConfig {
        total_timeout: Duration::from_secs_f64(timeout),
        connect_timeout: Duration::from_secs_f64(timeout.min(5.0)),
        concurrency: 2,
        max_rps: args.max_rps,
        insecure: args.insecure,
        cacert: args.cacert.clone(),
        ..ClientConfig::default()
    })?;
    // Before the journal: a target that is not Placement gets nothing
    // written and nothing else sent.
    let versions = runtime.block_on(crate::target_check::check_target(&client, &target))?;
    let base_url = target.base_url().as_str().to_owned();
    let base_path = target.base_url().path().to_owned();
    let journal_dir = crate::cli::journal_dir(args.journal_dir.as_deref())?;
    let journal = Arc::new(Journal::create(&journal_dir, run_id, &base_url)?);
    let _ = writeln!(
        out,
        "run id {run_id} seed {seed} (journal {})",
        journal.path().display()
    );
    let ownership = if args.disposable_target || embedded {
        Ownership::DisposableTarget
    } else {
        Ownership::Strict
    };
    let guard = Guard::new(Arc::clone(&journal), &base_path, false, ownership);
    let sender =
        GuardedSender::new(ClientSender::new(client.clone()), guard).with_versions(versions);
    let ctx = crate::scan::context::oracle_context(&personas);
    let config = FuzzConfig {
        base_url: base_url.clone(),
        seed,
        run_id,
        personas: personas.clone(),
        max_requests: args.requests,
        max_duration: args.time,
        actions_per_episode: args.episode_actions.clamp(1, 1000),
        keep_exchanges: 20_000,
        health: Arc::clone(client.health()),
    };
    let model = if args.differential {
        let config = model_config_for(args.auth).ok_or_else(no_model_for_tokens)?;
        let m = Model::new(config, &client).map_err(|e| FuzzError::Model(e.to_string()))?;
        Some(m)
    } else {
        None
    };
    let started_at = rfc3339(SystemTime::now());
    let started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let (outcome, shrunk, shrink_requests, tally, replay_tally) = runtime.block_on(async {
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
        Ok::<_, FuzzError>((outcome, shrunk, shrink_requests, tally, replay_tally))
    })?;
    let interrupted = outcome.interrupted || stop.load(Ordering::SeqCst);
    drop(sender);
    let cleanup_report = if args.keep {
        None
    } else {
        let transport = ClientTransport::new(client.clone(), target.clone(), personas.clone());
        let config = CleanupConfig::new(&base_url, Some("admin"));
        Some(runtime.block_on(cleanup(&transport, &journal, &config)))
    };
    let left_behind = !crate::cli::finish_journal(
        journal,
        cleanup_report,
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
        match gabbi::write(&args.found_dir, s, &case.finding_id, &case.title, seed) {
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
            }
            Err(e) => {
                let _ = writeln!(err, "--found-dir {}: {e}", args.found_dir.display());
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
    let report = Report::new(
        Tool::default(),
        report::Target {
            url: display_url(target.base_url()),
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
    for (kind, path) in &args.report {
        let text = report::render(*kind, &report).map_err(|e| FuzzError::Report {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        std::fs::write(path, text).map_err(|e| FuzzError::Report {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
    }
    if !args.quiet {
        let _ = write!(out, "{}", report::terminal::render(&report));
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
    let fail_on = args.fail_on.unwrap_or(report::default_fail_on(embedded));
    let failed = report::exit_code(&report.findings, fail_on) != 0 || left_behind;
    Ok(if failed { EXIT_FINDINGS } else { EXIT_OK })
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
async fn shrink_cases<S: crate::scan::Sender>(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("60s"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("2d").is_err());
        assert!(parse_duration("abc").is_err());
        assert!(parse_duration("25h").is_err());
    }
}
