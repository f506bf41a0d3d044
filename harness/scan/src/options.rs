//! The command-line options `run`, `scan`, `fuzz` and `cleanup` share, as
//! clap argument groups, with their value parsers: each option is declared
//! once, so it has one name, one meaning and one check in every command.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::baseline::Baseline;
use crate::finding::Severity;
use crate::input_file::FileError;
use crate::report::{Report, ReportKind};
use crate::run_id::RunId;
use crate::suppression::Suppressions;
use crate::target::AuthMode;

/// What `run`, `scan` and `fuzz` share: the target, how to reach it, how
/// much to send, and the journal.
#[derive(Clone, Debug, Args)]
pub struct SessionArgs {
    /// Base URL of the Placement API. Without it the embedded reference
    /// server is started on a free loopback port for the run and thrown
    /// away after it (for `scan`, profile `embedded`).
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,
    /// Reaching the target.
    #[command(flatten)]
    pub conn: ConnectionArgs,
    /// How much is sent.
    #[command(flatten)]
    pub limits: LimitArgs,
    /// The journal and the cleanup.
    #[command(flatten)]
    pub journal: JournalArgs,
}

/// How to reach and authenticate to the target, and with whom.
#[derive(Clone, Debug, Args)]
pub struct ConnectionArgs {
    /// How the target authenticates: noauth2, keystone-headers or token.
    #[arg(long, value_name = "MODE", default_value = "noauth2", value_parser = parse_auth)]
    pub auth: AuthMode,
    /// Personas file (default: the built-in set for --auth).
    #[arg(long, value_name = "FILE")]
    pub personas: Option<PathBuf>,
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

/// `--concurrency` of `run` and `scan` when not given.
pub const DEFAULT_CONCURRENCY: u32 = 8;

/// How much a run may send, how fast, and what.
#[derive(Clone, Debug, Args)]
pub struct LimitArgs {
    /// Requests started per second, at most.
    #[arg(long, value_name = "N", value_parser = parse_rps)]
    pub max_rps: Option<f64>,
    /// Requests in flight at once [default: 8; fuzz: 2, as its steps go
    /// one at a time, each depending on the answers before it].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub concurrency: Option<u32>,
    /// Most requests the whole run sends.
    #[arg(long, visible_alias = "requests", value_name = "N", default_value_t = 100_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_requests: u64,
    /// Most time the whole run takes: `90`, `90s`, `5m`, `1h` [default: 1h;
    /// fuzz: 60s, its shrinking bounded apart by --shrink-time].
    #[arg(long, visible_alias = "time", value_name = "DURATION", value_parser = parse_duration)]
    pub max_time: Option<Duration>,
    /// Send GET and HEAD only: every other request is skipped, unsent and
    /// counted, and fixtures that create data are not set up.
    #[arg(long)]
    pub read_only: bool,
}

impl LimitArgs {
    /// `--concurrency`, or `default`.
    pub fn concurrency_or(&self, default: u32) -> usize {
        usize::try_from(self.concurrency.unwrap_or(default)).unwrap_or(1)
    }

    /// `--max-time`, or `default`.
    pub fn max_time_or(&self, default: Duration) -> Duration {
        self.max_time.unwrap_or(default)
    }
}

/// Whose objects a run may write, where its journal is kept, and whether
/// it cleans up.
#[derive(Clone, Debug, Args)]
pub struct JournalArgs {
    /// The target was started for this run and is thrown away afterwards:
    /// lift the rule that writes may only name objects the run created
    /// (journaling and cleanup still apply; Placement's own gabbits need
    /// it). Never use it on a deployment.
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

/// The reports a run writes and the severity that fails it.
#[derive(Clone, Debug, Args)]
pub struct ReportArgs {
    /// A report to write, KIND:PATH with KIND json, junit, sarif, html or
    /// terminal; repeatable.
    #[arg(long, value_name = "KIND:PATH", value_parser = parse_report)]
    pub report: Vec<(ReportKind, PathBuf)>,
    /// Lowest severity that fails the run (exit 1) [default: low with
    /// --target; info against the embedded server, which is held to the
    /// full standard].
    #[arg(long, value_name = "SEV", value_parser = parse_severity)]
    pub fail_on: Option<Severity>,
    /// List every instance of each issue, with its fix and reproducer, not
    /// only the first.
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// An earlier JSON report: each issue is marked new, known or fixed,
    /// and --fail-on judges the new ones only.
    #[arg(long, value_name = "REPORT.json")]
    pub baseline: Option<PathBuf>,
    /// Issues accepted for a while (YAML: issue id or fingerprint, reason,
    /// expires; optionally route, persona): listed as suppressed, they no
    /// longer fail the run. An expired entry stops the run.
    #[arg(long, value_name = "FILE")]
    pub suppressions: Option<PathBuf>,
}

/// The files `--baseline` and `--suppressions` name, read and checked
/// before the run sends anything.
#[derive(Clone, Debug, Default)]
pub struct Judgements {
    /// The baseline.
    pub baseline: Option<Baseline>,
    /// The suppressions.
    pub suppressions: Option<Suppressions>,
}

impl ReportArgs {
    /// Reads `--baseline` and `--suppressions` (expiry judged against today).
    pub fn judgements(&self) -> Result<Judgements, FileError> {
        let today = crate::report::rfc3339(std::time::SystemTime::now());
        let today = today.get(..10).unwrap_or_default();
        Ok(Judgements {
            baseline: self.baseline.as_deref().map(Baseline::load).transpose()?,
            suppressions: self
                .suppressions
                .as_deref()
                .map(|p| Suppressions::load(p, today))
                .transpose()?,
        })
    }
}

impl Judgements {
    /// Marks the report's issues against the baseline and suppressions;
    /// returns the warnings to print (a baseline of another target, an
    /// entry that matched nothing).
    pub fn apply(&self, report: &mut Report) -> Vec<String> {
        let mut warnings = Vec::new();
        if let Some(b) = &self.baseline {
            warnings.extend(b.mismatch(&report.target.url, &report.target.profile));
            b.mark(&mut report.issues);
        }
        if let Some(s) = &self.suppressions {
            warnings.extend(s.apply(&mut report.issues));
        }
        report.recount();
        warnings
    }
}

/// `--auth`.
pub fn parse_auth(s: &str) -> Result<AuthMode, String> {
    s.parse::<AuthMode>().map_err(|e| e.to_string())
}

/// `--fail-on` and other severities.
pub fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse::<Severity>().map_err(|e| e.to_string())
}

/// `--report KIND:PATH`.
pub fn parse_report(s: &str) -> Result<(ReportKind, PathBuf), String> {
    let (kind, path) = s
        .split_once(':')
        .ok_or_else(|| format!("{s:?} is not KIND:PATH"))?;
    if path.is_empty() {
        return Err(format!("{s:?} has no PATH after the colon"));
    }
    let kind = kind.parse::<ReportKind>().map_err(|e| e.to_string())?;
    Ok((kind, PathBuf::from(path)))
}

/// `--max-rps`: a positive number.
pub fn parse_rps(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("{s:?} is not a positive number")),
    }
}

/// `--timeout`: seconds, a day at most (`Duration::from_secs_f64` panics
/// on huge values).
pub fn parse_timeout(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 86_400.0 => Ok(v),
        _ => Err(format!("{s:?} is not a number of seconds in (0, 86400]")),
    }
}

/// `--run-id`.
pub fn parse_run_id(s: &str) -> Result<RunId, String> {
    RunId::parse(s).map_err(|e| e.to_string())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("60s"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("2.5"), Ok(Duration::from_millis(2500)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("2d").is_err());
        assert!(parse_duration("abc").is_err());
        assert!(parse_duration("25h").is_err());
    }

    #[test]
    fn timeouts_and_rates() {
        assert_eq!(parse_timeout("2"), Ok(2.0));
        for bad in ["0", "-1", "nan", "inf", "86401", "x"] {
            assert!(parse_timeout(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_rps("0.5"), Ok(0.5));
        for bad in ["0", "-2", "nan", "inf"] {
            assert!(parse_rps(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn reports() {
        assert!(parse_report("json:out.json").is_ok());
        assert!(parse_report("json").is_err());
        assert!(parse_report("json:").is_err());
        assert!(parse_report("pdf:x").is_err());
    }
}
