//! `placement-harness cleanup`: delete what a crashed or kept run's
//! journal lists, or list the journals found.

use std::io::Write;

use clap::Args;

use super::{CleanupConfig, cleanup};
use crate::client::Client;
use crate::exit;
use crate::journal::Journal;
use crate::options::{ConnectionArgs, parse_run_id};
use crate::run_id::RunId;
use crate::session::{self, SessionError};
use crate::target::Target;
use crate::transport::ClientTransport;

/// Help text after the options of `cleanup`.
pub const CLEANUP_AFTER_HELP: &str = "Examples:\n  \
    placement-harness cleanup --list\n  \
    placement-harness cleanup --target https://placement.example --run-id ph0a1b2c3d4e\n\n\
    Only objects in the run's journal are deleted. Exit status: 0 nothing left, \
    1 something left, 2 usage or journal error.";

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
    /// The persona that deletes.
    #[arg(long = "as", value_name = "PERSONA", default_value = "admin")]
    pub as_persona: String,
    /// Where journals are kept
    /// (default: $XDG_STATE_HOME/placement-harness/runs).
    #[arg(long, value_name = "DIR")]
    pub journal_dir: Option<std::path::PathBuf>,
    /// List the journals found, with their object counts, and exit.
    #[arg(long)]
    pub list: bool,
    /// Reaching the target.
    #[command(flatten)]
    pub conn: ConnectionArgs,
}

#[derive(Debug, thiserror::Error)]
enum CleanupError {
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error("{0}")]
    Usage(String),
}

impl From<crate::journal::JournalError> for CleanupError {
    fn from(e: crate::journal::JournalError) -> Self {
        CleanupError::Session(e.into())
    }
}

/// Runs `cleanup`; returns the exit code.
pub fn cleanup_command(args: &CleanupArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let result = cleanup_inner(args, out, err).map(exit::passed);
    exit::or_usage("cleanup", result, err)
}

fn list(dir: &std::path::Path, out: &mut dyn Write) -> Result<(), CleanupError> {
    let found = Journal::list(dir)?;
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
    Ok(())
}

fn cleanup_inner(
    args: &CleanupArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<bool, CleanupError> {
    let dir = session::journal_dir(args.journal_dir.as_deref())?;
    if args.list {
        list(&dir, out)?;
        return Ok(true);
    }
    // clap requires both without --list.
    let (Some(url), Some(run_id)) = (args.target.as_deref(), args.run_id) else {
        return Err(CleanupError::Usage(
            "--target and --run-id are required without --list".to_owned(),
        ));
    };
    let target = Target::new(url, args.conn.auth, "custom").map_err(SessionError::from)?;
    let journal = Journal::open_existing(&dir, run_id)?;
    let personas = session::personas(&args.conn, run_id)?;
    let persona = crate::transport::find_persona(&personas, &args.as_persona)
        .map_err(|e| CleanupError::Usage(format!("--as: {e}")))?;
    let base_url = target.base_url().as_str().to_owned();
    if journal.target().trim_end_matches('/') != base_url.trim_end_matches('/') {
        let _ = writeln!(
            err,
            "note: run {run_id} was journaled against {}; deleting its objects at {base_url}",
            journal.target()
        );
    }
    let client = Client::new(session::client_config(&args.conn)).map_err(SessionError::from)?;
    let runtime = session::runtime()?;
    runtime.block_on(async {
        crate::target_check::check_target(&client, &target)
            .await
            .map_err(SessionError::from)?;
        // The persona cleanup deletes as authenticates once, up front: a
        // refused one stops here, before any delete.
        let auth = std::sync::Arc::new(crate::persona::Authenticator::new(&client));
        let mut persona = persona.clone();
        auth.authenticate_all(std::slice::from_mut(&mut persona))
            .await
            .map_err(SessionError::from)?;
        let transport = ClientTransport::sharing(client, auth);
        let config = CleanupConfig::new(&base_url, Some(&persona));
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
