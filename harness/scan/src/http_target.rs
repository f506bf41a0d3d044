//! The library side of the libFuzzer HTTP target
//! (`fuzz/fuzz_targets/http_placement.rs`): everything but the
//! `fuzz_target!` line lives here, so the target stays a few lines and the
//! same code runs under `cargo test`.
//!
//! Once per process it picks the server ([`URL_VAR`], or the embedded
//! reference server started in-process on a loopback port), starts a tokio
//! runtime and the scanner's HTTP client (bounded timeouts), and sets up the
//! run's own objects (a provider with inventory, an allocation, a custom
//! class and trait; names and UUIDs carry the run id, like the scanner's).
//! Each input is then decoded by [`crate::model::arbitrary`] into one
//! request, sent through the run's guard, and judged by the scanner's
//! single-exchange oracles. A finding at or above [`SEVERITY_VAR`] (default
//! `high` against a URL, `info` against the embedded server) is returned as a [`Failure`] for the target to panic with, so
//! libFuzzer keeps the input; with [`GABBI_DIR_VAR`] set, the failing
//! input is also written as a gabbi file with the fuzzer's writer.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use arbitrary::Unstructured;
use serde_json::{Value, json};

use crate::client::{Client, ClientConfig};
use crate::finding::{Finding, Severity};
use crate::fuzz::case::{CLASS, CONSUMERS, Env, PROVIDERS, Step, TRAIT, var};
use crate::fuzz::engine::send_step;
use crate::fuzz::gabbi;
use crate::fuzz::r#gen::{World, fixed};
use crate::fuzz::rng::Rng;
use crate::fuzz::shrink::Shrunk;
use crate::guard::GuardedTransport;
use crate::guard::{Guard, Ownership};
use crate::journal::Journal;
use crate::model::arbitrary::{decode_step, setup_world};
use crate::model::{Operation, decoding_order};
use crate::oracle::{self, Context};
use crate::persona::{self, Persona};
use crate::run_id::RunId;
use crate::target::AuthMode;
use crate::transport::ClientTransport;

/// The environment variable naming the Placement base URL to fuzz
/// (noauth2). Unset: the embedded reference server, started in-process.
pub const URL_VAR: &str = "PLACEMENT_FUZZ_URL";
/// The lowest severity that aborts the target (`info` .. `critical`;
/// default `high` against a URL, `info` against the embedded server, which
/// is held to the full standard).
pub const SEVERITY_VAR: &str = "PLACEMENT_FUZZ_SEVERITY";
/// A folder to write each failing input into as a gabbi file.
pub const GABBI_DIR_VAR: &str = "PLACEMENT_FUZZ_GABBI_DIR";
/// A file of finding ids already reported, one a line: those do not fail
/// an input again, and each new failure's id is appended, so that a
/// long run (`-fork`, or restarts after each crash) keeps finding new
/// things instead of the first one over and over.
pub const KNOWN_FILE_VAR: &str = "PLACEMENT_FUZZ_KNOWN_FILE";
/// Where the run's journal goes (default: the scanner's journal folder).
pub const JOURNAL_DIR_VAR: &str = "PLACEMENT_FUZZ_JOURNAL_DIR";
/// Time limit of one request, below libFuzzer's `-timeout` in the scripts.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(8);

/// Why the target could not start or set up its objects.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// An environment variable holds a value the target cannot use.
    #[error("{var}={value:?}: {reason}")]
    Env {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
        /// What is wrong.
        reason: String,
    },
    /// The tokio runtime did not start.
    #[error("starting the async runtime: {0}")]
    Runtime(std::io::Error),
    /// The embedded server did not start.
    #[error("starting the embedded server: {0}")]
    Embedded(String),
    /// The HTTP client could not be built.
    #[error("{0}")]
    Client(#[from] crate::client::ClientError),
    /// The journal could not be created.
    #[error("{0}")]
    Journal(#[from] crate::journal::JournalError),
    /// A setup request failed or was refused.
    #[error("setting up the run's objects at {url}: {step}: {reason}")]
    Setup {
        /// The target's base URL.
        url: String,
        /// The setup step.
        step: String,
        /// The status or transport error.
        reason: String,
    },
}

/// An input that made the target fail: a finding at or above the
/// threshold, or a request the server never answered.
#[derive(Debug)]
pub struct Failure {
    /// The check (`no_answer` for a request without an answer).
    pub check: String,
    /// The severity.
    pub severity: Severity,
    /// The finding's stable id (empty for `no_answer`).
    pub id: String,
    /// The finding's title.
    pub title: String,
    /// What the oracle saw (status, the leaked text, ...).
    pub evidence: String,
    /// A curl line to reproduce the request (tokens as `$TOKEN_<PERSONA>`).
    pub curl: String,
    /// The gabbi file written for it, with [`GABBI_DIR_VAR`] set.
    pub gabbi: Option<PathBuf>,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} [{}] {}: {}\n  evidence: {}\n  {}",
            self.check,
            self.severity.as_str(),
            self.id,
            self.title,
            self.evidence,
            self.curl
        )?;
        if let Some(p) = &self.gabbi {
            write!(f, "\n  gabbi: {}", p.display())?;
        }
        Ok(())
    }
}

/// What one input did.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The target could not start (every input fails with it).
    #[error("http_placement target: {0}")]
    Setup(String),
    /// The input made the target fail.
    #[error("{0}")]
    Failure(Box<Failure>),
}

/// What a sent input got (for tests and statistics).
#[derive(Clone, Debug, PartialEq)]
pub struct Sent {
    /// The request, with placeholders.
    pub step: Step,
    /// Its status; `None` when the guard refused to send it.
    pub status: Option<u16>,
    /// Findings below the threshold (not failures).
    pub findings: Vec<Finding>,
}

/// Where and how the target runs.
#[derive(Clone, Debug)]
pub struct TargetConfig {
    /// The server; `None`: the embedded one.
    pub url: Option<String>,
    /// The lowest severity that fails an input.
    pub threshold: Severity,
    /// Where failing inputs are written as gabbi files.
    pub gabbi_dir: Option<PathBuf>,
    /// Where the journal goes (`None`: the scanner's default).
    pub journal_dir: Option<PathBuf>,
    /// Finding ids that no longer fail an input; new ones are appended.
    pub known_file: Option<PathBuf>,
}

impl TargetConfig {
    /// The configuration the environment asks for ([`URL_VAR`],
    /// [`SEVERITY_VAR`], [`GABBI_DIR_VAR`], [`JOURNAL_DIR_VAR`]).
    pub fn from_env() -> Result<Self, SetupError> {
        let non_empty = |v: &str| std::env::var(v).ok().filter(|s| !s.trim().is_empty());
        let url = non_empty(URL_VAR);
        let threshold = match non_empty(SEVERITY_VAR) {
            None if url.is_none() => Severity::Info,
            None => Severity::High,
            Some(s) => {
                s.parse()
                    .map_err(|e: crate::finding::ParseSeverityError| SetupError::Env {
                        var: SEVERITY_VAR,
                        value: s.clone(),
                        reason: e.to_string(),
                    })?
            }
        };
        Ok(TargetConfig {
            url,
            threshold,
            gabbi_dir: non_empty(GABBI_DIR_VAR).map(PathBuf::from),
            journal_dir: non_empty(JOURNAL_DIR_VAR).map(PathBuf::from),
            known_file: non_empty(KNOWN_FILE_VAR).map(PathBuf::from),
        })
    }
}

/// The run's objects as this process last set them up.
struct Session {
    env: Env,
    world: World,
    /// Setup steps and their statuses (the head of every gabbi file).
    setup: Vec<(Step, u16)>,
    /// Set after a write that may have removed a setup object.
    stale: bool,
    /// Fresh bindings are drawn from this.
    rng: Rng,
    /// The oracles' context (owners of the run's consumers included).
    ctx: Context,
}

/// A started target: runtime, client, server, the run's objects.
pub struct HttpTarget {
    runtime: tokio::runtime::Runtime,
    /// Kept alive for the process: the embedded server, when used.
    _server: Option<placement_refserver::RunningServer>,
    sender: GuardedTransport<ClientTransport>,
    base_url: String,
    run_id: RunId,
    personas: Vec<Persona>,
    ops: Vec<Operation>,
    config: TargetConfig,
    session: Mutex<Session>,
}

impl std::fmt::Debug for HttpTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpTarget")
            .field("base_url", &self.base_url)
            .field("run_id", &self.run_id.to_string())
            .finish_non_exhaustive()
    }
}

impl HttpTarget {
    /// Starts the runtime (and the embedded server without a URL) and sets
    /// up the run's objects.
    pub fn start(config: TargetConfig) -> Result<Self, SetupError> {
        let run_id = RunId::generate();
        let personas = persona::default_personas(AuthMode::Noauth2, Some(run_id));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .worker_threads(2)
            .build()
            .map_err(SetupError::Runtime)?;
        let (server, url, ownership) = match &config.url {
            Some(u) => (None, u.trim().to_owned(), Ownership::Strict),
            None => {
                let s = crate::serve::spawn_embedded(&runtime, &personas)
                    .map_err(SetupError::Embedded)?;
                let u = s.url();
                (Some(s), u, Ownership::DisposableTarget)
            }
        };
        let parsed = url::Url::parse(&url).map_err(|e| SetupError::Env {
            var: URL_VAR,
            value: url.clone(),
            reason: e.to_string(),
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(SetupError::Env {
                var: URL_VAR,
                value: url,
                reason: "not an http(s) URL".to_owned(),
            });
        }
        let mut base_url = parsed.as_str().to_owned();
        if !base_url.ends_with('/') {
            base_url.push('/');
        }
        let client = Client::new(ClientConfig {
            total_timeout: REQUEST_TIMEOUT,
            connect_timeout: Duration::from_secs(3),
            concurrency: 1,
            retries: 0,
            ..ClientConfig::default()
        })?;
        let journal_dir = match &config.journal_dir {
            Some(d) => d.clone(),
            None => Journal::default_dir()?,
        };
        let journal = Arc::new(Journal::create(&journal_dir, run_id, &base_url)?);
        let guard = Guard::new(journal, parsed.path(), false, ownership);
        let sender =
            GuardedTransport::over(ClientTransport::new(client), guard).skipping_foreign_writes();
        let ctx = crate::scan::context::oracle_context(&personas);
        let seed = run_id
            .uuid()
            .as_bytes()
            .get(..8)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(u64::from_le_bytes)
            .unwrap_or(0);
        let mut rng = Rng::new(seed);
        let env = Env::fresh(run_id, &mut rng, &personas);
        let target = HttpTarget {
            runtime,
            _server: server,
            sender,
            base_url,
            run_id,
            personas,
            ops: decoding_order(),
            config,
            session: Mutex::new(Session {
                env,
                world: setup_world(),
                setup: Vec::new(),
                stale: true,
                rng,
                ctx,
            }),
        };
        {
            let mut session = target.lock();
            target.set_up(&mut session)?;
        }
        Ok(target)
    }

    /// The run's id (for `placement-harness cleanup --run-id`).
    pub fn run_id(&self) -> RunId {
        self.run_id
    }

    /// The target's base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Session> {
        // A panic while locked (a failing input in a test) leaves the
        // session usable: re-create the objects before the next input.
        self.session.lock().unwrap_or_else(|poisoned| {
            let mut s = poisoned.into_inner();
            s.stale = true;
            s
        })
    }

    /// Sends `step` as it stands under the session's bindings.
    fn send(
        &self,
        session: &Session,
        step: &Step,
    ) -> Result<Option<crate::exchange::Exchange>, String> {
        self.runtime.block_on(send_step(
            &self.sender,
            &self.personas,
            step,
            &session.env,
            &self.base_url,
            "http_placement",
        ))
    }

    /// Creates fresh objects of the run (new bindings each time, so what
    /// an earlier input deleted or changed is left behind).
    fn set_up(&self, session: &mut Session) -> Result<(), SetupError> {
        session.env = Env::fresh(self.run_id, &mut session.rng, &self.personas);
        session.world = setup_world();
        session.setup.clear();
        for c in CONSUMERS {
            // The run's consumers belong to tenant-a's project, as in
            // `fuzz`: the tenant oracles judge reads of them by others.
            if let (Some(id), Some(p)) = (session.env.get(c), session.env.get("PROJECT_ID")) {
                let (id, p) = (id.to_ascii_lowercase(), p.to_owned());
                session.ctx.ownership.insert(id, p);
            }
        }
        for step in setup_steps() {
            let got = self.send(session, &step);
            let status = match got {
                Ok(Some(ex)) if (200..300).contains(&ex.status()) => ex.status(),
                Ok(Some(ex)) => {
                    return Err(self.setup_error(&step, format!("status {}", ex.status())));
                }
                Ok(None) => return Err(self.setup_error(&step, "refused by the guard".into())),
                Err(e) => return Err(self.setup_error(&step, e)),
            };
            session.setup.push((step, status));
        }
        session.stale = false;
        Ok(())
    }

    fn setup_error(&self, step: &Step, reason: String) -> SetupError {
        SetupError::Setup {
            url: self.base_url.clone(),
            step: format!("{} ({} {})", step.name, step.method, step.path),
            reason,
        }
    }

    /// Decodes `data` into one request, sends it and judges the answer.
    pub fn run(&self, data: &[u8]) -> Result<Sent, InputError> {
        let mut session = self.lock();
        if session.stale {
            self.set_up(&mut session)
                .map_err(|e| InputError::Setup(e.to_string()))?;
        }
        let mut step = self.decode(data, &session.world);
        let mut before: Vec<(Step, u16)> = Vec::new();
        if step.body.as_ref().is_some_and(mentions_generation) {
            // Read the generations the body needs, then decode the same
            // bytes again: the request is the same one with current values.
            for read in generation_reads() {
                if let Ok(Some(ex)) = self.send(&session, &read) {
                    observe_generation(&mut session.world, &read, &ex);
                    before.push((read, ex.status()));
                }
            }
            step = self.decode(data, &session.world);
        }
        let ex = match self.send(&session, &step) {
            Ok(Some(ex)) => ex,
            Ok(None) => {
                return Ok(Sent {
                    step,
                    status: None,
                    findings: Vec::new(),
                });
            }
            Err(e) => {
                session.stale = true;
                let request = crate::fuzz::engine::exchange_request(
                    &step,
                    &session.env,
                    &self.base_url,
                    "http_placement",
                );
                return Err(InputError::Failure(Box::new(Failure {
                    check: "no_answer".to_owned(),
                    severity: Severity::High,
                    id: String::new(),
                    title: format!("{} {} got no answer", step.method, step.route),
                    evidence: e,
                    curl: format!("{} {}", request.method, request.url),
                    gabbi: None,
                })));
            }
        };
        let status = ex.status();
        if (200..300).contains(&status) && removes_setup(&step) {
            session.stale = true;
        }
        let mut findings = oracle::check_one(&ex, &session.ctx);
        findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        let worst = findings
            .iter()
            .find(|f| f.severity >= self.config.threshold && self.is_new(&f.id))
            .cloned();
        if let Some(f) = worst {
            let mut steps: Vec<(Step, u16)> = session.setup.clone();
            steps.extend(before);
            steps.push((step, status));
            let gabbi = self
                .config
                .gabbi_dir
                .as_ref()
                .and_then(|dir| write_gabbi(dir, &steps, &f).ok());
            return Err(InputError::Failure(Box::new(Failure {
                check: f.check.as_str().to_owned(),
                severity: f.severity,
                id: f.id.clone(),
                title: f.title.clone(),
                evidence: f.evidence.clone(),
                curl: f.curl.clone(),
                gabbi,
            })));
        }
        Ok(Sent {
            step,
            status: Some(status),
            findings,
        })
    }

    /// Whether finding `id` is not in the known file yet; when it is new,
    /// it is added there (a file that cannot be read or written makes
    /// every finding new: better a repeat than a miss).
    fn is_new(&self, id: &str) -> bool {
        let Some(path) = &self.config.known_file else {
            return true;
        };
        let known = std::fs::read_to_string(path).unwrap_or_default();
        if known.lines().any(|l| l.trim() == id) {
            return false;
        }
        let _ = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| std::io::Write::write_all(&mut f, format!("{id}\n").as_bytes()));
        true
    }

    fn decode(&self, data: &[u8], world: &World) -> Step {
        let mut u = Unstructured::new(data);
        decode_step(&mut u, &self.ops, world)
            .unwrap_or_else(|| fixed("libfuzzer GET /", "GET", "/".to_owned(), "/", None))
    }
}

/// The run's objects, created before the first input: what the generator's
/// [`setup_world`] assumes exists.
pub fn setup_steps() -> Vec<Step> {
    let (rp, rp_name) = PROVIDERS[0];
    let consumer = CONSUMERS[0];
    let mut allocations = serde_json::Map::new();
    allocations.insert(var(rp), json!({"resources": {"VCPU": 1, "MEMORY_MB": 128}}));
    vec![
        fixed(
            "create provider",
            "POST",
            "/resource_providers".to_owned(),
            "/resource_providers",
            Some(json!({"name": var(rp_name), "uuid": var(rp)})),
        ),
        fixed(
            "set inventory",
            "PUT",
            format!("/resource_providers/{}/inventories", var(rp)),
            "/resource_providers/{uuid}/inventories",
            Some(json!({"resource_provider_generation": 0, "inventories": {
                "VCPU": {"total": 8}, "MEMORY_MB": {"total": 4096}, "DISK_GB": {"total": 100}}})),
        ),
        fixed(
            "create class",
            "PUT",
            format!("/resource_classes/{}", var(CLASS)),
            "/resource_classes/{name}",
            None,
        ),
        fixed(
            "create trait",
            "PUT",
            format!("/traits/{}", var(TRAIT)),
            "/traits/{name}",
            None,
        ),
        fixed(
            "allocate",
            "PUT",
            format!("/allocations/{}", var(consumer)),
            "/allocations/{consumer_uuid}",
            Some(
                json!({"allocations": allocations, "project_id": var("PROJECT_ID"),
                "user_id": var("USER_ID"), "consumer_generation": null,
                "consumer_type": "INSTANCE"}),
            ),
        ),
    ]
}

/// GETs that read the generations a write body names.
fn generation_reads() -> Vec<Step> {
    vec![
        fixed(
            "read generation",
            "GET",
            format!("/resource_providers/{}", var(PROVIDERS[0].0)),
            "/resource_providers/{uuid}",
            None,
        ),
        fixed(
            "read consumer generation",
            "GET",
            format!("/allocations/{}", var(CONSUMERS[0])),
            "/allocations/{consumer_uuid}",
            None,
        ),
    ]
}

/// Whether a successful `step` may have removed or moved one of the setup
/// objects: any DELETE, an allocation write that may empty the consumer,
/// a reshape. Other writes leave them in place (with new generations,
/// which are read before a write that needs them).
fn removes_setup(step: &Step) -> bool {
    step.method == "DELETE"
        || (step.route.starts_with("/allocations") && step.method != "GET")
        || step.route == "/reshaper"
}

fn mentions_generation(body: &Value) -> bool {
    body.to_string().contains("generation")
}

fn observe_generation(world: &mut World, read: &Step, ex: &crate::exchange::Exchange) {
    let body: Value = serde_json::from_slice(&ex.response().body).unwrap_or(Value::Null);
    if read.route == "/resource_providers/{uuid}" {
        if let Some(g) = body.get("generation").and_then(Value::as_i64) {
            world.generations.insert(PROVIDERS[0].0, Some(g));
        }
    } else {
        let g = body.get("consumer_generation").and_then(Value::as_i64);
        world.generations.insert(CONSUMERS[0], g);
    }
}

/// The gabbi text of a failing input: the setup, the generation reads and
/// the request, as the fuzzer's writer renders a case.
pub fn gabbi_text(steps: &[(Step, u16)], finding: &Finding) -> String {
    let shrunk = shrunk_of(steps, finding);
    let text = gabbi::render(&shrunk, &finding.title, 0);
    // The writer names a seed of `placement-harness fuzz`; this case has
    // none, it came from libFuzzer's bytes.
    let mut lines = text.lines();
    let _ = lines.next();
    let mut out = format!(
        "# Found by the libFuzzer target http_placement: {}.\n",
        finding.check.as_str()
    );
    for l in lines {
        out.push_str(l);
        out.push('\n');
    }
    out
}

fn shrunk_of(steps: &[(Step, u16)], finding: &Finding) -> Shrunk {
    Shrunk {
        check: finding.check,
        steps: steps.iter().map(|(s, _)| s.clone()).collect(),
        statuses: steps.iter().map(|(_, st)| *st).collect(),
        reproduced: true,
        attempts: 1,
        requests: u64::try_from(steps.len()).unwrap_or(u64::MAX),
        curl: vec![finding.curl.clone()],
        finding: Some(finding.clone()),
    }
}

/// Writes [`gabbi_text`] into `dir` under the fuzzer's file name.
pub fn write_gabbi(
    dir: &std::path::Path,
    steps: &[(Step, u16)],
    finding: &Finding,
) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(gabbi::file_name(&shrunk_of(steps, finding), &finding.id));
    std::fs::write(&path, gabbi_text(steps, finding))?;
    Ok(path)
}

/// The process's target, started on first use from [`TargetConfig::from_env`].
fn global() -> Result<&'static HttpTarget, InputError> {
    static TARGET: OnceLock<Result<HttpTarget, String>> = OnceLock::new();
    let t = TARGET.get_or_init(|| {
        let started = TargetConfig::from_env().and_then(HttpTarget::start);
        if let Ok(t) = &started {
            eprintln!(
                "http_placement: fuzzing {} as run {} (remove what it made: \
                 placement-harness cleanup --run-id {} --target URL)",
                t.base_url(),
                t.run_id(),
                t.run_id()
            );
        }
        started.map_err(|e| e.to_string())
    });
    t.as_ref().map_err(|e| InputError::Setup(e.clone()))
}

/// One libFuzzer input against the process's target: `Err` when the
/// target cannot start, or the input made it fail (the fuzz target
/// panics with it).
pub fn run_input(data: &[u8]) -> Result<(), InputError> {
    global()?.run(data).map(|_| ())
}
