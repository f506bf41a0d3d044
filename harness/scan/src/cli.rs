//! The `placement-harness` command line: argument parsing (clap derive)
//! and the dispatch to each command's module (`run`: [`crate::suite::command`],
//! `scan`, `fuzz`, `cleanup`, `serve`, `openapi`), which share their options
//! ([`crate::options`]), their set-up and finish ([`crate::session`]) and
//! their exit codes ([`crate::exit`]).
//!
//! It lives in the library, not in `main.rs`, so that tests can check the
//! parsing and the exit codes without spawning a process for each case.

use std::io::Write;

use clap::{Parser, Subcommand};

use crate::cleanup::command::{CLEANUP_AFTER_HELP, CleanupArgs, cleanup_command};
pub use crate::exit::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use crate::suite::command::{RUN_AFTER_HELP, RunArgs, run_command};

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
    #[command(after_help = RUN_AFTER_HELP)]
    Run(RunArgs),
    /// Security scan of a Placement API: suites sent as personas, every
    /// response judged by oracles, findings reported, responses snapshotted.
    #[command(after_help = crate::scan::command::SCAN_AFTER_HELP)]
    Scan(crate::scan::command::ScanArgs),
    /// Delete what a run created, from its journal (after a crash or kill).
    #[command(after_help = CLEANUP_AFTER_HELP)]
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
    /// Compare two JSON reports by issue: new, fixed and changed ones (an
    /// upgrade, a policy change, another backend).
    #[command(
        after_help = "Example:\n  placement-harness diff before.json after.json\n\n\
        Exit status: 0 no new issue, 1 new issues, 2 a report that cannot be read."
    )]
    Diff(DiffArgs),
    /// Read everything an admin can see of a Placement (GET only) and print
    /// its counts and SHA-256: take one before a scan and one after.
    #[command(
        after_help = "Example:\n  placement-harness digest --target http://127.0.0.1:8778 \
        --output before.json\n  placement-harness scan --target http://127.0.0.1:8778 \
        --snapshots off\n  placement-harness digest --target http://127.0.0.1:8778 \
        --compare before.json\n\n\
        Exit status: 0 read (and, with --compare, the same), 1 it differs from --compare, \
        2 it could not be read."
    )]
    Digest(DigestArgs),
    /// Check personas: authenticate each, print what it is, and which
    /// suites need which persona.
    #[command(subcommand)]
    Personas(crate::persona_check::PersonasCommand),
    /// Write an OpenAPI 3.1 document of Placement's API (from the request model).
    #[command(after_help = "Example:\n  placement-harness openapi --output placement-openapi.json")]
    Openapi(crate::openapi::OpenapiArgs),
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
        Command::Diff(args) => diff_command(&args, out, err),
        Command::Personas(cmd) => crate::persona_check::personas_command(&cmd, out, err),
        Command::Digest(args) => digest_command(&args, out, err),
    }
}

/// Options of `digest`.
#[derive(Debug, clap::Args)]
pub struct DigestArgs {
    /// Placement's base URL.
    #[arg(long, value_name = "URL")]
    pub target: String,
    /// How to reach and authenticate to it.
    #[command(flatten)]
    pub conn: crate::options::ConnectionArgs,
    /// The persona that reads (an admin sees everything).
    #[arg(long = "as", value_name = "PERSONA", default_value = "admin")]
    pub as_persona: String,
    /// Write the digest's canonical JSON here.
    #[arg(long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
    /// Compare with a digest written by --output before: print what
    /// differs, exit 1 when anything does.
    #[arg(long, value_name = "FILE")]
    pub compare: Option<std::path::PathBuf>,
    /// Most requests the digest may send.
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    pub max_requests: usize,
}

fn digest_command(args: &DigestArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    match digest_inner(args, out) {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(err, "placement-harness digest: {e}");
            EXIT_USAGE
        }
    }
}

fn digest_inner(args: &DigestArgs, out: &mut dyn Write) -> Result<u8, String> {
    use crate::digest::{Digest, take};
    use crate::session;
    let before = match &args.compare {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("--compare {}: {e}", path.display()))?;
            let state = serde_json::from_str(&text)
                .map_err(|e| format!("--compare {}: not a digest: {e}", path.display()))?;
            Some(Digest { state })
        }
        None => None,
    };
    let target = crate::target::Target::new(&args.target, args.conn.auth, "custom")
        .map_err(|e| e.to_string())?;
    let run_id = crate::run_id::RunId::generate();
    let personas = session::personas(&args.conn, run_id).map_err(|e| e.to_string())?;
    let mut persona = crate::transport::find_persona(&personas, &args.as_persona)
        .map_err(|e| format!("--as: {e}"))?
        .clone();
    let client = crate::client::Client::new(session::client_config(&args.conn))
        .map_err(|e| e.to_string())?;
    let runtime = session::runtime().map_err(|e| e.to_string())?;
    let digest = runtime.block_on(async {
        crate::target_check::check_target(&client, &target)
            .await
            .map_err(|e| e.to_string())?;
        let auth = std::sync::Arc::new(crate::persona::Authenticator::new(&client));
        auth.authenticate_all(std::slice::from_mut(&mut persona))
            .await
            .map_err(|e| e.to_string())?;
        let transport = crate::transport::ClientTransport::sharing(client, auth);
        take(
            &transport,
            target.base_url().as_str(),
            Some(&persona),
            args.max_requests,
        )
        .await
    })?;
    if let Some(path) = &args.output {
        let text = serde_json::to_string_pretty(&digest.state).map_err(|e| e.to_string())?;
        std::fs::write(path, text + "\n")
            .map_err(|e| format!("--output {}: {e}", path.display()))?;
    }
    let counts: Vec<String> = digest
        .counts()
        .iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect();
    let _ = writeln!(out, "{}: {}", args.target, counts.join(", "));
    let _ = writeln!(out, "sha256 {}", digest.sha256());
    let Some(before) = before else {
        return Ok(EXIT_OK);
    };
    let d = digest.differences(&before);
    if d.is_empty() && digest == before {
        let _ = writeln!(
            out,
            "the same as {}",
            args.compare
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        );
        return Ok(EXIT_OK);
    }
    let _ = writeln!(out, "differs from the digest compared:");
    for line in &d {
        let _ = writeln!(out, "  {line}");
    }
    Ok(EXIT_FAILED)
}

/// Options of `diff`.
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The earlier JSON report (`--report json:PATH`).
    #[arg(value_name = "OLD.json")]
    pub old: std::path::PathBuf,
    /// The later one.
    #[arg(value_name = "NEW.json")]
    pub new: std::path::PathBuf,
}

fn diff_command(args: &DiffArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    use crate::baseline::{Baseline, diff};
    let result = Baseline::load(&args.old).and_then(|old| Ok((old, Baseline::load(&args.new)?)));
    let (old, new) = match result {
        Ok(pair) => pair,
        Err(e) => {
            let _ = writeln!(err, "placement-harness diff: {e}");
            return EXIT_USAGE;
        }
    };
    if let Some(w) = old.mismatch(&new.url, &new.profile) {
        let _ = writeln!(err, "{w}");
    }
    let d = diff(&old, &new);
    let _ = write!(out, "{}", d.render());
    crate::exit::passed(d.new.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Journal;
    use crate::run_id::RunId;
    use std::path::PathBuf;

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

    /// The options every command that sends takes, by the same names, with
    /// the same help (declared once, in `crate::options`).
    #[test]
    fn run_scan_and_fuzz_take_the_shared_options_alike() {
        use clap::CommandFactory;
        let shared = [
            "auth",
            "personas",
            "timeout",
            "insecure",
            "cacert",
            "max-rps",
            "concurrency",
            "max-requests",
            "max-time",
            "read-only",
            "journal-dir",
            "keep",
            "disposable-target",
        ];
        let cli = Cli::command();
        let help = |command: &str, option: &str| {
            let sub = cli
                .find_subcommand(command)
                .unwrap_or_else(|| panic!("no {command}"));
            let arg = sub
                .get_arguments()
                .find(|a| a.get_long() == Some(option))
                .unwrap_or_else(|| panic!("{command} has no --{option}"));
            arg.get_help().map(ToString::to_string)
        };
        for option in shared {
            let run = help("run", option);
            assert!(run.is_some(), "run --{option} has no help");
            assert_eq!(help("scan", option), run, "scan --{option}");
            assert_eq!(help("fuzz", option), run, "fuzz --{option}");
        }
        for option in ["auth", "personas", "timeout", "insecure", "cacert"] {
            assert_eq!(
                help("cleanup", option),
                help("run", option),
                "cleanup --{option}"
            );
        }
        for option in ["report", "fail-on"] {
            assert_eq!(
                help("fuzz", option),
                help("scan", option),
                "fuzz --{option}"
            );
        }
    }

    #[test]
    fn fuzz_checks_its_options_as_run_and_scan_do() {
        for (args, option) in [
            (&["fuzz", "--timeout", "nan"][..], "--timeout"),
            (&["fuzz", "--timeout", "0"], "--timeout"),
            (&["fuzz", "--concurrency", "0"], "--concurrency"),
            (&["fuzz", "--max-time", "2d"], "--max-time"),
            (&["fuzz", "--time", "0s"], "--max-time"),
            (&["fuzz", "--requests", "0"], "--max-requests"),
            (&["scan", "--max-time", "forever"], "--max-time"),
            (&["run", "--max-requests", "0", "a.yaml"], "--max-requests"),
        ] {
            let (code, _, err) = run(args);
            assert_eq!(code, EXIT_USAGE, "{args:?}");
            assert!(err.contains(option), "{args:?}: {err}");
        }
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
