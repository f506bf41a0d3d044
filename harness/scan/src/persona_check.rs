//! `placement-harness personas check`: what a run's personas resolve to
//! before a scan relies on them. Each Keystone persona authenticates (and
//! nothing is sent to Placement); each persona's facts are printed (user,
//! project, scope, roles, token lifetime; never a secret), with the suites
//! that send as it, and the personas the suites need that the file lacks.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use crate::client::Client;
use crate::exit::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use crate::options::ConnectionArgs;
use crate::persona::{Authenticator, Credential, Persona};
use crate::run_id::RunId;
use crate::scan::context::known;

/// The `personas` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum PersonasCommand {
    /// Authenticate every persona and print what each one is (never a
    /// secret), and which suites need which persona.
    #[command(
        after_help = "Example:\n  placement-harness personas check --auth token \
        --personas personas.yaml\n\n\
        Exit status: 0 every persona authenticated and every persona the suites \
        need is there, 1 some are missing, 2 a persona was refused or a file is wrong."
    )]
    Check(CheckArgs),
}

/// Options of `personas check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// How to reach Keystone and which personas (`--personas FILE`).
    #[command(flatten)]
    pub conn: ConnectionArgs,
    /// Suite files or folders whose personas to check (default: the
    /// built-in suites).
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub suite: Vec<PathBuf>,
}

/// Runs a `personas` subcommand; returns the exit code.
pub fn personas_command(cmd: &PersonasCommand, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let PersonasCommand::Check(args) = cmd;
    match check(args, out) {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(err, "placement-harness personas check: {e}");
            EXIT_USAGE
        }
    }
}

fn check(args: &CheckArgs, out: &mut dyn Write) -> Result<u8, String> {
    let mut personas =
        crate::session::personas(&args.conn, RunId::generate()).map_err(|e| e.to_string())?;
    let suites = crate::scan::command::load_suites(&args.suite).map_err(|e| e.to_string())?;
    let client =
        Client::new(crate::session::client_config(&args.conn)).map_err(|e| e.to_string())?;
    let auth = Arc::new(Authenticator::new(&client));
    let runtime = crate::session::runtime().map_err(|e| e.to_string())?;
    let refused = runtime
        .block_on(auth.authenticate_all(&mut personas))
        .err()
        .map(|e| e.to_string());
    let uses = crate::suite::personas::uses(&suites);
    for p in &personas {
        let _ = writeln!(out, "{}: {}", p.name, describe(p));
        match uses.get(&p.name) {
            Some(at) => {
                let _ = writeln!(out, "  sent as by {}", files(at));
            }
            None => {
                let _ = writeln!(out, "  no suite sends as it");
            }
        }
    }
    let missing: Vec<String> = uses
        .iter()
        .filter(|(name, _)| !personas.iter().any(|p| &p.name == *name))
        .map(|(name, at)| format!("  {name}: needed by {}", files(at)))
        .collect();
    if !missing.is_empty() {
        let _ = writeln!(
            out,
            "\nmissing: the suites send as {} persona(s) the file does not define:\n{}",
            missing.len(),
            missing.join("\n")
        );
    }
    if let Some(reason) = refused {
        return Err(reason);
    }
    Ok(if missing.is_empty() {
        EXIT_OK
    } else {
        EXIT_FAILED
    })
}

/// The suites that send as a persona: each file with its step count.
fn files(at: &[(String, u64)]) -> String {
    let mut per: Vec<(String, usize)> = Vec::new();
    for (file, _) in at {
        match per.iter_mut().find(|(f, _)| f == file) {
            Some((_, n)) => *n += 1,
            None => per.push((file.clone(), 1)),
        }
    }
    per.iter()
        .map(|(f, n)| format!("{f} ({n} step{})", if *n == 1 { "" } else { "s" }))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a persona is, in one line, without its secret.
fn describe(p: &Persona) -> String {
    let k = known(p);
    let roles = |r: &Option<Vec<String>>| match r {
        Some(r) if r.is_empty() => "no roles".to_owned(),
        // Placement's default policy: admin or service may do anything.
        Some(r) if r.iter().any(|r| r == "admin" || r == "service") => {
            format!("roles {} (privileged)", r.join(", "))
        }
        Some(r) => format!("roles {}", r.join(", ")),
        None => "roles unknown (an opaque token: not judged by policy)".to_owned(),
    };
    let kind = match &p.credential {
        Credential::None => return "no credentials".to_owned(),
        Credential::Noauth2 { .. } => "noauth2 token",
        Credential::Identity(_) => "identity headers",
        Credential::Token(_) => "raw token",
        Credential::Keystone(ks) => match ks.method {
            crate::keystone::Method::Password(_) => "Keystone password",
            crate::keystone::Method::ApplicationCredential { .. } => {
                "Keystone application credential"
            }
        },
    };
    match &p.facts {
        Some(f) => {
            let life = f
                .lifetime
                .map(|l| format!("; the token lives {} s", l.as_secs()))
                .unwrap_or_default();
            format!(
                "{kind}: user {} ({}, domain {}), {}, {}{life}",
                f.user_name,
                f.user_id,
                f.user_domain_id,
                f.scope_text(),
                roles(&k.roles)
            )
        }
        None if matches!(p.credential, Credential::Keystone(_)) => {
            format!("{kind}: not authenticated (see below)")
        }
        None => {
            let project = k
                .project
                .map(|p| format!("project {p}"))
                .unwrap_or_else(|| "project unknown".to_owned());
            format!("{kind}: {project}, {}", roles(&k.roles))
        }
    }
}
