//! What `run`, `scan` and `fuzz` share around their own work: a run id and
//! its personas, the async runtime, the target (or the embedded server
//! started for the run), the client, the target check, the journal and the
//! guard, and at the end the cleanup report and the command that finishes
//! the job. Each step is done once here, in the same order for every
//! command: nothing is journaled before the target proved to be Placement.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::cleanup::CleanupReport;
use crate::client::{Client, ClientConfig};
use crate::guard::{Guard, GuardedTransport, Ownership};
use crate::journal::{Journal, JournalError};
use crate::options::{ConnectionArgs, SessionArgs};
use crate::persona::{self, Authenticator, Persona};
use crate::run_id::RunId;
use crate::target::{AuthMode, Target};
use crate::target_check::ApiVersions;
use crate::transport::ClientTransport;

/// What stopped a session before the command's own work.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The embedded server did not start.
    #[error("starting the embedded reference server: {0}")]
    Embedded(String),
    /// The async runtime did not start.
    #[error("starting the async runtime: {0}")]
    Runtime(std::io::Error),
    /// `--target` is no usable URL.
    #[error("{0}")]
    Target(#[from] crate::target::TargetError),
    /// `--personas` is unreadable or wrong.
    #[error("{0}")]
    Persona(#[from] crate::persona::PersonaError),
    /// The client could not be built (`--cacert`).
    #[error("{0}")]
    Client(#[from] crate::client::ClientError),
    /// The target is no Placement, or does not answer.
    #[error("{0}")]
    TargetCheck(#[from] crate::target_check::TargetCheckError),
    /// The journal could not be written or read.
    #[error("{0}")]
    Journal(#[from] JournalError),
}

/// The personas of a run: `--personas` (over the built-in set when it
/// says `extends: default`), or the built-in set for `--auth` (whose ids
/// carry `run_id`).
pub fn personas(conn: &ConnectionArgs, run_id: RunId) -> Result<Vec<Persona>, SessionError> {
    let defaults = persona::default_personas(conn.auth, Some(run_id));
    Ok(match &conn.personas {
        Some(path) => persona::load_personas(path)?.over(defaults),
        None => defaults,
    })
}

/// `--journal-dir`, or the default folder.
pub fn journal_dir(given: Option<&Path>) -> Result<PathBuf, JournalError> {
    match given {
        Some(d) => Ok(d.to_owned()),
        None => Journal::default_dir(),
    }
}

/// The client's limits from the connection options: `--timeout` for a
/// request (and at most 5 s of it to connect), `--cacert`, `--insecure`.
pub fn client_config(conn: &ConnectionArgs) -> ClientConfig {
    ClientConfig {
        total_timeout: Duration::from_secs_f64(conn.timeout),
        connect_timeout: Duration::from_secs_f64(conn.timeout.min(5.0)),
        cacert: conn.cacert.clone(),
        insecure: conn.insecure,
        ..ClientConfig::default()
    }
}

/// The runtime every command runs on: two workers, as the machines the
/// harness runs on in CI have two cores.
pub fn runtime() -> Result<tokio::runtime::Runtime, SessionError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(2)
        .build()
        .map_err(SessionError::Runtime)
}

/// The first step: the runtime, and the target URL, with the embedded
/// server started for the run when there is no `--target`.
pub struct Launch {
    runtime: tokio::runtime::Runtime,
    url: String,
    embedded: Option<placement_refserver::RunningServer>,
}

impl Launch {
    /// Starts the runtime and, without `--target`, the embedded server for
    /// `personas`.
    pub fn start(args: &SessionArgs, personas: &[Persona]) -> Result<Launch, SessionError> {
        let runtime = runtime()?;
        let (url, embedded) =
            crate::serve::target_or_embedded(&runtime, args.target.as_deref(), personas)
                .map_err(SessionError::Embedded)?;
        Ok(Launch {
            runtime,
            url,
            embedded,
        })
    }

    /// Whether the target is the embedded server started for this run.
    pub fn is_embedded(&self) -> bool {
        self.embedded.is_some()
    }

    /// Builds the client (`--concurrency`, or `concurrency` when not
    /// given), checks that the target is Placement (before anything is
    /// journaled: a target that is not gets nothing written and nothing
    /// else sent) and opens the journal of run `run_id`, whose personas are
    /// `personas` and whose target's snapshot profile is `profile`.
    pub fn connect(
        self,
        args: &SessionArgs,
        run_id: RunId,
        personas: Vec<Persona>,
        profile: &str,
        concurrency: u32,
    ) -> Result<Session, SessionError> {
        let target = Target::new(&self.url, args.conn.auth, profile)?;
        let client = Client::new(ClientConfig {
            concurrency: args.limits.concurrency_or(concurrency),
            max_rps: args.limits.max_rps,
            ..client_config(&args.conn)
        })?;
        let versions = self
            .runtime
            .block_on(crate::target_check::check_target(&client, &target))?;
        // Every persona authenticates now, once: a refused one stops the
        // run before anything else is sent or journaled.
        let auth = Arc::new(Authenticator::new(&client));
        let mut personas = personas;
        self.runtime
            .block_on(auth.authenticate_all(&mut personas))?;
        let journal_dir = journal_dir(args.journal.journal_dir.as_deref())?;
        let base_url = target.base_url().as_str().to_owned();
        let journal = Arc::new(Journal::create(&journal_dir, run_id, &base_url)?);
        let ownership = if args.journal.disposable_target || self.embedded.is_some() {
            Ownership::DisposableTarget
        } else {
            Ownership::Strict
        };
        Ok(Session {
            run_id,
            personas,
            runtime: self.runtime,
            embedded: self.embedded,
            target,
            client,
            auth,
            versions,
            journal,
            journal_dir,
            retry: RetryCommand {
                auth: args.conn.auth,
                personas: args.conn.personas.clone(),
                cacert: args.conn.cacert.clone(),
                insecure: args.conn.insecure,
            },
            ownership,
            read_only: args.limits.read_only,
        })
    }
}

/// A connected run: everything its command's work needs.
pub struct Session {
    run_id: RunId,
    personas: Vec<Persona>,
    runtime: tokio::runtime::Runtime,
    embedded: Option<placement_refserver::RunningServer>,
    target: Target,
    client: Client,
    auth: Arc<Authenticator>,
    versions: ApiVersions,
    journal: Arc<Journal>,
    journal_dir: PathBuf,
    retry: RetryCommand,
    ownership: Ownership,
    read_only: bool,
}

impl Session {
    /// Where `fuzz` writes its cases when `--found-dir` does not say:
    /// beside the run's journal, never in the tracked tree.
    pub fn found_dir(&self) -> PathBuf {
        self.journal_dir.join("found").join(self.run_id.to_string())
    }

    /// The run's id.
    pub fn run_id(&self) -> RunId {
        self.run_id
    }

    /// The run's personas.
    pub fn personas(&self) -> &[Persona] {
        &self.personas
    }

    /// The runtime the run's work goes on.
    pub fn runtime(&self) -> &tokio::runtime::Runtime {
        &self.runtime
    }

    /// The target.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The target's base URL, as requests are built on it.
    pub fn base_url(&self) -> String {
        self.target.base_url().as_str().to_owned()
    }

    /// The client (its clones share the target's health and the rate).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The microversions the target check found served.
    pub fn versions(&self) -> ApiVersions {
        self.versions
    }

    /// The run's journal.
    pub fn journal(&self) -> &Arc<Journal> {
        &self.journal
    }

    /// Whether the target is the embedded server started for this run.
    pub fn is_embedded(&self) -> bool {
        self.embedded.is_some()
    }

    /// The rules every request of the run goes through.
    pub fn guard(&self) -> Guard {
        Guard::new(
            Arc::clone(&self.journal),
            self.target.base_url().path(),
            self.read_only,
            self.ownership,
        )
    }

    /// The run's authenticator: its personas' tokens.
    pub fn auth(&self) -> Arc<Authenticator> {
        Arc::clone(&self.auth)
    }

    /// Requests without the guard (cleanup).
    pub fn client_transport(&self) -> ClientTransport {
        self.transport_over(self.client.clone())
    }

    /// Requests without the guard, sent by `client` (a clone of the
    /// session's with the run's bounds), with the run's tokens.
    pub fn transport_over(&self, client: Client) -> ClientTransport {
        ClientTransport::sharing(client, Arc::clone(&self.auth))
    }

    /// Requests through the guard.
    pub fn guarded_transport(&self) -> GuardedTransport<ClientTransport> {
        self.guarded_transport_over(self.client.clone())
    }

    /// Suite requests through the guard, sent by `client` (a clone of the
    /// session's with the run's bounds).
    pub fn guarded_transport_over(&self, client: Client) -> GuardedTransport<ClientTransport> {
        GuardedTransport::new(
            self.transport_over(client),
            Arc::clone(&self.journal),
            self.target.base_url().path(),
            self.read_only,
            self.ownership,
        )
    }

    /// The `placement-harness cleanup` line that removes what this run
    /// left, with every option that reaches the target as the run did.
    pub fn cleanup_line(&self) -> String {
        self.retry
            .line(&self.base_url(), self.run_id, &self.journal_dir)
    }

    /// Ends the run: prints the cleanup report and retires the journal
    /// when nothing is left, otherwise says how to finish the job (no
    /// report: the run kept its objects on purpose); then stops the
    /// embedded server. Returns whether nothing is left. Every sender and
    /// transport of the run must be gone by now, as they hold the journal.
    pub fn finish(
        self,
        report: Option<CleanupReport>,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> bool {
        let retry = self.cleanup_line();
        let clean = finish_journal(self.journal, report, &retry, out, err);
        if let Some(server) = self.embedded {
            // Graceful: requests in flight finish; the run has none left.
            let _ = self.runtime.block_on(server.shutdown());
        }
        clean
    }
}

/// The options a later `placement-harness cleanup` needs to reach the
/// target as the run did.
#[derive(Clone, Debug)]
struct RetryCommand {
    auth: AuthMode,
    personas: Option<PathBuf>,
    cacert: Option<PathBuf>,
    insecure: bool,
}

impl RetryCommand {
    /// The command line for `run_id`, paths shell-quoted.
    fn line(&self, base_url: &str, run_id: RunId, dir: &Path) -> String {
        let quote = |p: &Path| crate::exchange::shell_quote(&p.display().to_string());
        let mut line = format!(
            "placement-harness cleanup --target {base_url} --run-id {run_id} --journal-dir {}",
            quote(dir)
        );
        if self.auth != AuthMode::Noauth2 {
            line.push_str(&format!(" --auth {}", self.auth));
        }
        if let Some(p) = &self.personas {
            line.push_str(&format!(" --personas {}", quote(p)));
        }
        if let Some(p) = &self.cacert {
            line.push_str(&format!(" --cacert {}", quote(p)));
        }
        if self.insecure {
            line.push_str(" --insecure");
        }
        line
    }
}

fn finish_journal(
    journal: Arc<Journal>,
    report: Option<CleanupReport>,
    retry: &str,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> bool {
    let run_id = journal.run_id();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cleanup_line_carries_every_option_that_reaches_the_target() {
        let run_id = RunId::generate();
        let plain = RetryCommand {
            auth: AuthMode::Noauth2,
            personas: None,
            cacert: None,
            insecure: false,
        };
        assert_eq!(
            plain.line("http://127.0.0.1:8778/", run_id, Path::new("/tmp/runs")),
            format!(
                "placement-harness cleanup --target http://127.0.0.1:8778/ --run-id {run_id} \
                 --journal-dir '/tmp/runs'"
            )
        );
        let full = RetryCommand {
            auth: AuthMode::Token,
            personas: Some(PathBuf::from("my personas.yaml")),
            cacert: Some(PathBuf::from("/etc/ca.pem")),
            insecure: true,
        };
        let line = full.line("https://p.example/placement", run_id, Path::new("/var/x y"));
        assert!(line.contains("--journal-dir '/var/x y'"), "{line}");
        assert!(line.contains("--auth token"), "{line}");
        assert!(line.contains("--personas 'my personas.yaml'"), "{line}");
        assert!(line.contains("--cacert '/etc/ca.pem'"), "{line}");
        assert!(line.ends_with(" --insecure"), "{line}");
    }
}
