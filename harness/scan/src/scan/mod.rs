//! The scan: every step of every suite expanded into concrete requests,
//! sent in order as the right persona, each response judged by the oracles
//! (and the step's own expectations), comparison oracles run over the whole
//! run at the end, and marked steps snapshotted.
//!
//! The safety machinery (run id, journal, `--read-only`, fixtures that
//! create data, cleanup) plugs in as the guarded
//! [`Transport`] every request goes through
//! and a [`hooks::Fixtures`] implementation; this module calls them and
//! knows nothing of what they do.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::cause::Cause;
use crate::claim::ClaimStep;
use crate::exchange::{self, Exchange, Header, Input, InputKind};
use crate::finding::{CheckId, Finding, FindingSet, Severity, finding_id};
use crate::oracle::{self, state_after_error};
use crate::persona::Persona;
use crate::progress::Progress;
use crate::route::match_route;
use crate::snapshot::{self, Redactor, SnapshotMode, SnapshotOutcome};
use crate::suite::expand::{ExpandedStep, OracleSelection, concrete_test, expand_suite};
use crate::suite::fixture::suite_environ;
use crate::suite::run::{RunConfig, build_request, split_base};
use crate::suite::substitute::{Context as TemplateContext, Recorded};
use crate::suite::{Delivery, deliver};
use crate::suite::{Suite, SuiteError, Test};
use crate::transport::Transport;

pub mod command;
pub mod context;
pub mod hooks;
mod join;
pub mod read_back;
pub mod safety;

pub use hooks::{FixtureSetup, Fixtures, NoFixtures, SetupFailure};

/// Headers only the auth middleware may set: a suite step that sends one
/// itself while acting as a persona is probing `identity_spoofing`.
pub const IDENTITY_HEADERS: &[&str] = &[
    "x-roles",
    "x-role",
    "x-project-id",
    "x-tenant-id",
    "x-tenant",
    "x-user-id",
    "x-user",
    "x-service-roles",
    "openstack-system-scope",
    "x-identity-status",
    "x-is-admin-project",
    "x-project-domain-id",
    "x-user-domain-id",
];

/// The default severity of an `expectation` finding when the step names none.
pub const DEFAULT_EXPECTATION_SEVERITY: Severity = Severity::Medium;

/// A suite ready to scan: parsed, checked and expanded.
#[derive(Clone, Debug)]
pub struct PlannedSuite {
    /// The suite.
    pub suite: Suite,
    /// Its steps, expanded.
    pub steps: Vec<ExpandedStep>,
    /// The file stem, for snapshot names and comparison groups.
    pub stem: String,
}

impl PlannedSuite {
    /// Its steps that carry a `claim:`, with how the run treated them.
    pub fn claim_steps(&self, answered: &BTreeSet<String>) -> Vec<ClaimStep> {
        let label = self.suite.file.display().to_string();
        self.steps
            .iter()
            .filter_map(|s| {
                let claim = s.test.security.claim.clone()?;
                let place = format!("{label}:{}", s.test.line);
                Some(ClaimStep {
                    claim,
                    cwe: s.test.security.cwe,
                    answered: answered.contains(&place),
                    place,
                    suite: label.clone(),
                    name: s.test.name.clone(),
                    requests: s.expansions.iter().map(|e| e.name.clone()).collect(),
                    skip: s.test.skip.clone(),
                })
            })
            .collect()
    }

    /// Checks and expands `suite` against the persona names the scan knows.
    pub fn plan(suite: Suite, personas: &[Persona]) -> Result<Self, SuiteError> {
        let names: Vec<String> = personas.iter().map(|p| p.name.clone()).collect();
        let steps = expand_suite(&suite, &names)?;
        let stem = suite
            .file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "suite".to_owned());
        Ok(PlannedSuite { suite, steps, stem })
    }

    /// Concrete requests planned (polls not counted).
    pub fn requests(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| s.test.skip.is_none())
            .map(|s| s.expansions.len())
            .sum()
    }
}

/// How to scan.
#[derive(Clone, Debug)]
pub struct ScanConfig {
    /// Base URL of the target.
    pub base_url: String,
    /// Snapshot profile folder.
    pub profile: String,
    /// `--snapshots`.
    pub snapshots: SnapshotMode,
    /// `--snapshot-dir`; `None`: `snapshots/` beside each suite file.
    pub snapshot_dir: Option<PathBuf>,
    /// What the snapshots describe, for their header (profile, the
    /// target's microversions, auth mode); `None` writes none.
    pub described: Option<String>,
    /// The personas, by name.
    pub personas: Vec<Persona>,
    /// How the target authenticates (oracles judge tokens by it).
    pub auth: crate::target::AuthMode,
    /// Strings unique to this run (its run id) that snapshots mask.
    pub run_literals: Vec<String>,
    /// Upper bound on `poll.count`.
    pub max_poll: u32,
    /// Reads of one step sent at once (`--concurrency`); writes go one by one.
    pub concurrency: usize,
    /// Upper bound on the requests of the whole scan.
    pub max_requests: u64,
    /// Upper bound on the scan's wall time.
    pub max_duration: Duration,
    /// Whether the target still answers (the client's): once it is lost
    /// the scan stops instead of failing every request left.
    pub health: std::sync::Arc<crate::client::TargetHealth>,
}

/// A step that could not run as written (a template naming a missing
/// response, a request the transport refused).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepError {
    /// `file:line`.
    pub place: String,
    /// The concrete step name.
    pub step: String,
    /// What went wrong.
    pub message: String,
}

/// What a scan found and did.
#[derive(Debug, Default)]
pub struct ScanOutcome {
    /// Findings, de-duplicated.
    pub findings: Vec<Finding>,
    /// Requests sent.
    pub requests: u64,
    /// Snapshot results.
    pub snapshots: Vec<SnapshotOutcome>,
    /// Steps that could not run.
    pub step_errors: Vec<StepError>,
    /// Requests not sent on purpose (read-only mode, objects the run does
    /// not own), with the reason.
    pub skipped: Vec<StepError>,
    /// Why the scan stopped early, if it did (Ctrl-C, a bound, the target
    /// lost).
    pub stopped: Option<String>,
    /// Whether it stopped because the target stopped answering.
    pub target_lost: bool,
    /// Whether Ctrl-C stopped it.
    pub interrupted: bool,
    /// Snapshots that could not be taken or written, each naming its
    /// `file:line` or path.
    pub snapshot_errors: Vec<String>,
    /// What the cleanup at the end could not remove, naming the objects.
    pub cleanup_errors: Vec<String>,
    /// How far each suite got, in scan order.
    pub reach: Vec<SuiteReach>,
    /// The steps (`file:line`) whose every request got an answer.
    pub answered: BTreeSet<String>,
    /// Which findings each step's requests gave, before de-duplication.
    pub sources: crate::finding::Sources,
    /// How many answers each check judged.
    pub judged: oracle::Judged,
}

/// How many of a suite's steps were answered, so that a suite or step that
/// was silently not sent shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SuiteReach {
    /// The suite file, as given.
    pub suite: String,
    /// Steps in the suite.
    pub steps: usize,
    /// Steps whose every request got an answer.
    pub answered: usize,
    /// Steps marked `xfail` (sent; their expectations are not findings).
    pub xfail: usize,
    /// Steps not sent on purpose: `file:line`, name and the `skip:` reason.
    pub skipped: Vec<(String, String, String)>,
}

impl SuiteReach {
    /// Steps that should have been answered and were not (fixtures that
    /// failed, a guard that refused, a transport error, a bound reached).
    pub fn missed(&self) -> usize {
        self.steps
            .saturating_sub(self.answered)
            .saturating_sub(self.skipped.len())
    }
}

/// One concrete request of a step, built and ready to send.
struct Prepared<'a> {
    name: &'a str,
    persona: Option<&'a Persona>,
    test: Test,
    input: Option<crate::corpus::CorpusInput>,
    request: crate::suite::Request,
    url: String,
}

/// Where a request comes from, for its oracle-facing record.
struct SendPlace<'a> {
    prefix: &'a str,
    stem: &'a str,
    label: &'a str,
}

/// Sends one prepared request as every test is sent
/// ([`deliver`]: same-origin redirects when its test says `redirects:
/// true`, the hops judged like any response, and polls as its test says),
/// checking the test's own expectations on each response.
async fn send_prepared<S: Transport>(
    sender: &S,
    p: &Prepared<'_>,
    tctx: &TemplateContext<'_>,
    place: &SendPlace<'_>,
    max_poll: u32,
) -> Delivery {
    let build = |hop: Option<&str>| {
        let mut request = exchange_request(
            &p.request,
            &p.test,
            p.input.as_ref(),
            place.prefix,
            place.stem,
            place.label,
            p.name,
        );
        if let Some(url) = hop {
            request.url = url.to_owned();
            request.route = match_route(url, place.prefix).template;
        }
        request
    };
    let check_ctx = TemplateContext {
        current_url: Some(&p.url),
        ..*tctx
    };
    deliver(
        sender,
        &p.test,
        p.request.follow_redirects,
        p.persona,
        build,
        &check_ctx,
        max_poll,
    )
    .await
}

/// Runs the planned suites over `sender`, with `fixtures`' setup before each
/// suite and their cleanup at the end. `stop` is polled before each request
/// (Ctrl-C sets it).
pub async fn run_scan<S: Transport, F: Fixtures>(
    suites: &[PlannedSuite],
    sender: &S,
    fixtures: &F,
    config: &ScanConfig,
    stop: &AtomicBool,
    progress: &Progress,
) -> ScanOutcome {
    let mut scan = Scanner::new(sender, config, stop, progress);
    for planned in suites {
        if scan.suite(planned, fixtures).await.is_break() {
            break;
        }
    }
    scan.compare();
    if let Err(e) = fixtures.cleanup().await {
        scan.out.cleanup_errors.push(format!("cleanup: {e}"));
    }
    progress.finish();
    (scan.out.findings, scan.out.sources) = scan.findings.into_parts();
    scan.out
}

/// One scan in progress: what it sends through, its bounds, and what it
/// has found and kept so far.
struct Scanner<'a, S> {
    sender: &'a S,
    config: &'a ScanConfig,
    stop: &'a AtomicBool,
    progress: &'a Progress,
    ctx: oracle::Context,
    started: Instant,
    /// The target's path prefix (`/placement`), or empty.
    prefix: String,
    out: ScanOutcome,
    findings: FindingSet,
    // What the comparison oracles weigh at the end: the probes they pair, and
    // the first plain request per (persona, method, route, group) as its
    // baseline, status only, so that memory grows with probes, not bodies.
    exchanges: Vec<Exchange>,
    baselines: BTreeSet<BaselineKey>,
    /// Each step's oracle selection, for the comparison findings.
    selections: BTreeMap<(String, String), OracleSelection>,
    /// Each profile folder snapshots went to, and whether it held none
    /// when the run first came to it (then `check` records a baseline).
    profiles: BTreeMap<PathBuf, bool>,
}

/// One suite in progress: its variables, redactor and the responses its
/// steps' templates can name.
struct SuiteRun<'p> {
    planned: &'p PlannedSuite,
    label: String,
    run: RunConfig,
    redactor: Redactor,
    scheme: String,
    netloc: String,
    history: Vec<(String, Recorded)>,
    prior: Option<Recorded>,
    // The first write of the suite that `--read-only` kept back: the
    // steps after it that name what it would have made are not judged.
    unsent_write: Option<String>,
}

/// Whether `test` names values earlier steps make or return: any of
/// gabbi's templates but the target's scheme and netloc
/// ([`crate::suite::substitute::refers_to_earlier_steps`]), or `$SPELL`
/// (a spelling of an id the suite creates). A step without any asks the
/// same whatever came before.
fn refers_to_earlier_steps(test: &crate::suite::Test) -> bool {
    let data = match &test.data {
        Some(crate::suite::model::Data::Value(v)) => v.to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    };
    let headers = test
        .request_headers
        .iter()
        .map(|(n, v)| format!("{n}{v}"))
        .collect::<String>();
    let text = format!("{}{data}{headers}", test.url);
    text.contains("$SPELL") || crate::suite::substitute::refers_to_earlier_steps(&text)
}

/// Whether `dir` holds a `.snap` file: a profile folder without one (or
/// none at all) has no baseline yet.
fn profile_has_snapshots(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.path().extension().is_some_and(|x| x == "snap"))
    })
}

/// What one step's answered requests leave behind.
#[derive(Default)]
struct StepResult {
    answers: usize,
    last: Option<Recorded>,
    snap: Vec<(String, Exchange)>,
    read_only_skips: usize,
}

impl<'a, S: Transport> Scanner<'a, S> {
    fn new(
        sender: &'a S,
        config: &'a ScanConfig,
        stop: &'a AtomicBool,
        progress: &'a Progress,
    ) -> Self {
        let mut ctx = context::oracle_context(&config.personas);
        ctx.tokens_name_users = config.auth == crate::target::AuthMode::Noauth2;
        let prefix = url::Url::parse(&config.base_url)
            .map(|u| u.path().trim_end_matches('/').to_owned())
            .unwrap_or_default();
        Scanner {
            sender,
            config,
            stop,
            progress,
            ctx,
            started: Instant::now(),
            prefix,
            out: ScanOutcome::default(),
            findings: FindingSet::default(),
            exchanges: Vec::new(),
            baselines: BTreeSet::new(),
            selections: BTreeMap::new(),
            profiles: BTreeMap::new(),
        }
    }

    /// Sets up `planned`'s fixtures and scans its steps in order; breaks
    /// when the scan must stop.
    async fn suite<F: Fixtures>(
        &mut self,
        planned: &PlannedSuite,
        fixtures: &F,
    ) -> ControlFlow<()> {
        let label = planned.suite.file.display().to_string();
        self.out.reach.push(SuiteReach {
            suite: label.clone(),
            steps: planned.steps.len(),
            xfail: planned.steps.iter().filter(|s| s.test.xfail).count(),
            ..SuiteReach::default()
        });
        let setup = match fixtures.setup(&planned.suite).await {
            Ok(s) => s,
            Err(SetupFailure::Skipped(reason)) => {
                // Nothing of the suite was tested: each step says why,
                // none is judged, none counts as missed.
                if let Some(r) = self.out.reach.last_mut() {
                    for step in &planned.steps {
                        r.skipped.push((
                            format!("{label}:{}", step.test.line),
                            step.test.name.clone(),
                            reason.clone(),
                        ));
                    }
                }
                return ControlFlow::Continue(());
            }
            Err(SetupFailure::Failed(e)) => {
                self.out.step_errors.push(StepError {
                    place: label,
                    step: "(fixtures)".to_owned(),
                    message: e,
                });
                return ControlFlow::Continue(());
            }
        };
        self.ctx.ownership.extend(setup.ownership.clone());
        let mut environ = suite_environ(std::env::vars());
        environ.extend(setup.environ);
        let mut redactor = Redactor::new(&environ, &self.config.base_url);
        for lit in &self.config.run_literals {
            redactor = redactor.with_literal(lit, "[run_id]");
        }
        let mut run = RunConfig::new(self.config.base_url.clone());
        run.environ = environ;
        run.max_poll = self.config.max_poll;
        let (scheme, netloc) = split_base(&self.config.base_url);
        let mut suite = SuiteRun {
            planned,
            label,
            run,
            redactor,
            scheme,
            netloc,
            history: Vec::new(),
            prior: None,
            unsent_write: None,
        };
        for step in &planned.steps {
            self.step(&mut suite, step).await?;
        }
        ControlFlow::Continue(())
    }

    /// Sends every expansion of `step`, judges the answers and takes its
    /// snapshot; breaks when the scan must stop.
    async fn step(&mut self, suite: &mut SuiteRun<'_>, step: &ExpandedStep) -> ControlFlow<()> {
        let place = format!("{}:{}", suite.label, step.test.line);
        if let Some(reason) = &step.test.skip {
            if let Some(r) = self.out.reach.last_mut() {
                r.skipped
                    .push((place, step.test.name.clone(), reason.clone()));
            }
            return ControlFlow::Continue(());
        }
        if let Some(write) = &suite.unsent_write
            && refers_to_earlier_steps(&step.test)
        {
            // Its answer would describe a state the run never made: a 404
            // where the write was meant to create, judged as a finding.
            if let Some(r) = self.out.reach.last_mut() {
                r.skipped.push((
                    place,
                    step.test.name.clone(),
                    format!("read-only: it follows the write at {write}, which was not sent"),
                ));
            }
            return ControlFlow::Continue(());
        }
        let tctx = TemplateContext {
            environ: &suite.run.environ,
            prior: suite.prior.as_ref(),
            history: &suite.history,
            current_url: None,
            scheme: &suite.scheme,
            netloc: &suite.netloc,
        };
        let prepared = self.prepare(step, &suite.run, &tctx, &place);
        // Reads go out `concurrency` at a time; writes one by one, so
        // that a step whose requests change state runs in a fixed order.
        let batch_size = if matches!(step.test.method.as_str(), "GET" | "HEAD") {
            self.config.concurrency.max(1)
        } else {
            1
        };
        let mut result = StepResult::default();
        let mut rest: &[Prepared<'_>] = &prepared;
        while !rest.is_empty() {
            let left = self.bound_reached()?;
            let n = batch_size
                .min(rest.len())
                .min(usize::try_from(left).unwrap_or(usize::MAX));
            let (batch, tail) = rest.split_at(n);
            rest = tail;
            self.batch(suite, step, &place, &tctx, batch, &mut result)
                .await;
        }
        if result.read_only_skips > 0 && suite.unsent_write.is_none() {
            suite.unsent_write = Some(place.clone());
        }
        if result.answers == step.expansions.len() {
            if let Some(r) = self.out.reach.last_mut() {
                r.answered += 1;
            }
            self.out.answered.insert(place.clone());
        }
        if let Some(rec) = result.last {
            suite.history.push((step.test.name.clone(), rec.clone()));
            suite.prior = Some(rec);
        }
        if step.test.security.snapshot.is_some() {
            self.snapshot(suite, step, &result.snap);
        }
        ControlFlow::Continue(())
    }

    /// Builds every expansion of `step` first: they all see the same prior
    /// response, so the order they are sent in does not matter.
    fn prepare<'s>(
        &mut self,
        step: &'s ExpandedStep,
        run: &RunConfig,
        tctx: &TemplateContext<'_>,
        place: &str,
    ) -> Vec<Prepared<'s>>
    where
        'a: 's,
    {
        let mut prepared = Vec::with_capacity(step.expansions.len());
        for expansion in &step.expansions {
            let (test, input) = concrete_test(&step.test, expansion, &run.environ);
            match build_request(&test, run, tctx) {
                Ok((request, url)) => prepared.push(Prepared {
                    name: &expansion.name,
                    persona: expansion
                        .persona
                        .as_ref()
                        .and_then(|n| self.config.personas.iter().find(|p| &p.name == n)),
                    test,
                    input,
                    request,
                    url,
                }),
                Err(f) => self.out.step_errors.push(StepError {
                    place: place.to_owned(),
                    step: expansion.name.clone(),
                    message: f.to_string(),
                }),
            }
        }
        prepared
    }

    /// Checked before each batch: Ctrl-C, the request and time bounds and
    /// a lost target stop the scan (saying why); otherwise the requests
    /// left under the bound.
    fn bound_reached(&mut self) -> ControlFlow<(), u64> {
        let config = self.config;
        let out = &mut self.out;
        if self.stop.load(Ordering::SeqCst) {
            out.interrupted = true;
            out.stopped = Some("interrupted (Ctrl-C)".to_owned());
            return ControlFlow::Break(());
        }
        let left = config.max_requests.saturating_sub(out.requests);
        if left == 0 {
            out.stopped = Some(format!("request bound {} reached", config.max_requests));
            return ControlFlow::Break(());
        }
        if self.started.elapsed() >= config.max_duration {
            out.stopped = Some(format!(
                "time bound {}s reached",
                config.max_duration.as_secs()
            ));
            return ControlFlow::Break(());
        }
        if let Some(why) = config.health.lost() {
            out.stopped = Some(why.to_owned());
            out.target_lost = true;
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(left)
    }

    /// The oracle-facing request of `p`, unredacted.
    fn request_of(&self, suite: &SuiteRun<'_>, p: &Prepared<'_>) -> exchange::Request {
        exchange_request(
            &p.request,
            &p.test,
            p.input.as_ref(),
            &self.prefix,
            &suite.planned.stem,
            &suite.label,
            p.name,
        )
    }

    /// Sends one batch of a step's requests together and judges each
    /// answer.
    async fn batch(
        &mut self,
        suite: &SuiteRun<'_>,
        step: &ExpandedStep,
        place: &str,
        tctx: &TemplateContext<'_>,
        batch: &[Prepared<'_>],
        result: &mut StepResult,
    ) {
        let sender = self.sender;
        let config = self.config;
        let send_place = SendPlace {
            prefix: &self.prefix,
            stem: &suite.planned.stem,
            label: &suite.label,
        };
        // Creates and deletes by name are read before they are sent,
        // so that a 5xx answer can be judged (state_after_error).
        let mut befores: Vec<Option<Vec<state_after_error::Reading>>> = Vec::new();
        for p in batch {
            let write = self.request_of(suite, p);
            let wanted = step.oracles.enabled(CheckId::StateAfterError)
                && !matches!(write.method.as_str(), "GET" | "HEAD")
                && sender.skip_reason(&write).is_none();
            let before = if wanted {
                let budget = config.max_requests.saturating_sub(self.out.requests + 1);
                read_back::read_before(sender, &write, p.persona, &self.prefix, budget).await
            } else {
                None
            };
            befores.push(before.map(|(readings, reads)| {
                self.out.requests += reads;
                readings
            }));
        }
        let sends = batch
            .iter()
            .map(|p| send_prepared(sender, p, tctx, &send_place, config.max_poll));
        let results = join::join_all(sends.collect()).await;
        for ((p, sent), before) in batch.iter().zip(results).zip(befores) {
            self.judge(suite, step, place, p, sent, before, result)
                .await;
        }
    }

    /// Judges what sending `p` gave: every response by the oracles, the
    /// last one by the step's expectations, a 5xx write by what a read-back
    /// finds; keeps what snapshots and comparisons need.
    #[allow(clippy::too_many_arguments)]
    async fn judge(
        &mut self,
        suite: &SuiteRun<'_>,
        step: &ExpandedStep,
        place: &str,
        p: &Prepared<'_>,
        sent: Delivery,
        before: Option<Vec<state_after_error::Reading>>,
        result: &mut StepResult,
    ) {
        self.progress.inc(p.name);
        self.out.requests += u64::from(sent.requests);
        self.selections.insert(
            (suite.label.clone(), p.name.to_owned()),
            step.oracles.clone(),
        );
        for ex in &sent.earlier {
            count_judged(&mut self.out.judged, ex, &self.ctx, &step.oracles);
            // A hop or a failed poll attempt is still a response.
            self.findings.extend(
                oracle::check_one(ex, &self.ctx)
                    .into_iter()
                    .filter(|f| step.oracles.enabled(f.check)),
            );
        }
        if let Some(reason) = sent.skipped {
            if reason == crate::guard::READ_ONLY {
                result.read_only_skips += 1;
            }
            self.out.skipped.push(StepError {
                place: place.to_owned(),
                step: p.name.to_owned(),
                message: reason,
            });
            return;
        }
        let Some((exchange, failures)) = sent.last else {
            // Requests cut by the time bound are the bound's doing (the
            // scan stops next), not the step's.
            if self.started.elapsed() >= self.config.max_duration {
                return;
            }
            self.out.step_errors.push(StepError {
                place: place.to_owned(),
                step: p.name.to_owned(),
                message: sent.error.unwrap_or_default(),
            });
            return;
        };
        result.answers += 1;
        count_judged(&mut self.out.judged, &exchange, &self.ctx, &step.oracles);
        let expected = !p.test.xfail && step.oracles.enabled(CheckId::Expectation);
        if expected {
            self.out.judged.add(CheckId::Expectation);
        }
        if expected && !failures.is_empty() {
            let failures: Vec<String> = failures.iter().map(ToString::to_string).collect();
            self.findings
                .push(expectation_finding(&step.test, &exchange, &failures));
        }
        let mut judged: Vec<Finding> = oracle::check_one(&exchange, &self.ctx)
            .into_iter()
            .filter(|f| step.oracles.enabled(f.check))
            .collect();
        if step.oracles.enabled(CheckId::StateAfterError) && state_after_error::applies(&exchange) {
            // Rebuilt unredacted (a step written with its own token reads
            // back with it), at the URL the final answer came from.
            let mut write = self.request_of(suite, p);
            write.method = exchange.request().method.clone();
            write.url = exchange.request().url.clone();
            let (readings, reads) = read_back::read_back(
                self.sender,
                &write,
                p.persona,
                &self.prefix,
                self.config.max_requests.saturating_sub(self.out.requests),
            )
            .await;
            self.out.requests += reads;
            self.out.judged.add(CheckId::StateAfterError);
            judged = state_after_error::fold(&exchange, before.as_deref(), &readings, judged);
        }
        self.findings.extend(judged);
        result.last = Some(Recorded {
            url: p.url.clone(),
            headers: exchange::header_pairs(&exchange.response().headers),
            json: serde_json::from_slice(&exchange.response().body).ok(),
        });
        if step.test.security.snapshot.is_some() {
            result.snap.push((p.name.to_owned(), exchange.clone()));
        }
        keep_for_comparison(&mut self.exchanges, &mut self.baselines, exchange);
    }

    /// Compares or writes the snapshot of a `snapshot:` step, taken only
    /// when every one of its requests was answered.
    fn snapshot(&mut self, suite: &SuiteRun<'_>, step: &ExpandedStep, snap: &[(String, Exchange)]) {
        let Some(kind) = &step.test.security.snapshot else {
            return;
        };
        let config = self.config;
        let planned = suite.planned;
        if snap.len() != step.expansions.len() {
            if config.snapshots != SnapshotMode::Off {
                self.out.snapshot_errors.push(format!(
                    "{}:{}: snapshot of {:?} not taken: {} of its {} requests got no response",
                    suite.label,
                    step.test.line,
                    step.test.name,
                    step.expansions.len() - snap.len(),
                    step.expansions.len()
                ));
            }
            return;
        }
        let name = match kind {
            crate::suite::model::Snapshot::Default => step.test.name.clone(),
            crate::suite::model::Snapshot::Named(n) => n.clone(),
        };
        let dir = config.snapshot_dir.clone().unwrap_or_else(|| {
            planned
                .suite
                .file
                .parent()
                .unwrap_or(Path::new("."))
                .join("snapshots")
        });
        let path = snapshot::snapshot_path(&dir, &config.profile, &planned.stem, &name);
        let refs: Vec<(&str, &Exchange)> = snap.iter().map(|(n, e)| (n.as_str(), e)).collect();
        let content = snapshot::render(&refs, &suite.redactor);
        let source = planned
            .suite
            .file
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let expression = format!(
            "{}__{}",
            snapshot::slug(&planned.stem),
            snapshot::slug(&name)
        );
        let profile = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let fresh = *self
            .profiles
            .entry(profile.clone())
            .or_insert_with(|| !profile_has_snapshots(&profile));
        let (mode, recording) = match config.snapshots {
            SnapshotMode::Check if fresh => (SnapshotMode::Update, true),
            mode => (mode, false),
        };
        match snapshot::apply_described(
            &path,
            &source,
            &expression,
            config.described.as_deref(),
            &content,
            mode,
        ) {
            Ok(Some(SnapshotOutcome::Written(p))) if recording => {
                self.out.snapshots.push(SnapshotOutcome::Recorded(p));
            }
            Ok(Some(o)) => self.out.snapshots.push(o),
            Ok(None) => {}
            Err(e) => self.out.snapshot_errors.push(e.to_string()),
        }
    }

    /// The comparison oracles over the whole scan: what they judged, and
    /// their findings for the steps that leave them on.
    fn compare(&mut self) {
        let selections = &self.selections;
        let enabled = |suite: &Option<String>, step: &Option<String>, check| {
            let key = (
                suite.clone().unwrap_or_default(),
                step.clone().unwrap_or_default(),
            );
            selections.get(&key).is_none_or(|sel| sel.enabled(check))
        };
        for (check, probes) in oracle::compared(&self.exchanges, &self.ctx) {
            let n = probes
                .iter()
                .filter(|ex| enabled(&ex.request().suite, &ex.request().step, check))
                .count();
            self.out
                .judged
                .add_n(check, u64::try_from(n).unwrap_or(u64::MAX));
        }
        for f in oracle::check_comparisons(&self.exchanges, &self.ctx) {
            if enabled(&f.suite, &f.step, f.check) {
                self.findings.push(f);
            }
        }
    }
}

/// Counts the single-exchange oracles that judge `ex` and that the step
/// leaves on.
fn count_judged(
    judged: &mut oracle::Judged,
    ex: &Exchange,
    ctx: &oracle::Context,
    selection: &OracleSelection,
) {
    for check in oracle::judged_by(ex, ctx) {
        if selection.enabled(check) {
            judged.add(check);
        }
    }
}

/// The oracle-facing request of one concrete step.
fn exchange_request(
    request: &crate::suite::Request,
    test: &Test,
    input: Option<&crate::corpus::CorpusInput>,
    prefix: &str,
    stem: &str,
    label: &str,
    step: &str,
) -> exchange::Request {
    let route = match_route(&request.url, prefix);
    let object = route
        .uuid_param()
        .map(crate::guard::percent_decode)
        .and_then(|raw| placement_core::ids::classify(&raw).map(|(u, _)| u.to_string()));
    let spoofed: Vec<String> = test
        .request_headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .filter(|n| IDENTITY_HEADERS.contains(&n.as_str()))
        .collect();
    let probe = test.security.probe.as_ref();
    let generated = match &test.data {
        Some(crate::suite::model::Data::Value(v)) if crate::suite::generate::has_generator(v) => {
            Some(v)
        }
        _ => None,
    };
    let input = match input {
        _ if probe.is_some() => probe
            .map(crate::suite::expand::probe_input)
            .unwrap_or_default(),
        // Generated data (a 10 MB body) is hostile input: the reflection
        // oracle looks for its start in the answer, and the comparison
        // oracles, which read none of it, do not keep it.
        None if generated.is_some() => Input {
            kind: InputKind::Hostile,
            class: "generated-data".to_owned(),
            value: generated.and_then(crate::suite::generate::sample),
        },
        Some(i) => Input {
            kind: i.kind.clone(),
            class: i.class.clone(),
            value: Some(i.text()),
        },
        None if test.security.as_persona.is_some() && !spoofed.is_empty() => Input {
            kind: InputKind::SpoofedIdentity,
            class: format!("spoofed-{}", spoofed.join("-")),
            value: None,
        },
        None => Input::default(),
    };
    let group = match (probe, &object) {
        (Some(p), _) => crate::suite::expand::probe_group(stem, p),
        (None, Some(o)) => format!("{stem}:{o}"),
        (None, None) => stem.to_owned(),
    };
    exchange::Request {
        method: request.method.clone(),
        url: request.url.clone(),
        route: route.template,
        persona: test
            .security
            .as_persona
            .clone()
            .unwrap_or_else(|| "as-written".to_owned()),
        credentials: exchange::Credentials::Valid,
        input,
        object,
        group: Some(group),
        headers: request
            .headers
            .iter()
            .map(|(n, v)| Header::new(n, v))
            .collect(),
        body: (!request.body.is_empty())
            .then(|| String::from_utf8_lossy(&request.body).into_owned()),
        suite: Some(label.to_owned()),
        step: Some(step.to_owned()),
    }
}

type BaselineKey = (String, String, String, Option<String>);

/// Keeps `ex` for the comparison oracles: a probe they pair whole; a plain request
/// only when it is the first of its pairing key, and without its body and
/// headers (the pairing reads only its status).
fn keep_for_comparison(
    kept: &mut Vec<Exchange>,
    baselines: &mut BTreeSet<BaselineKey>,
    ex: Exchange,
) {
    let r = ex.request();
    match r.input.kind {
        // What the comparison oracles pair: kept whole.
        InputKind::SpoofedIdentity
        | InputKind::UuidSpelling
        | InputKind::OtherTenantRef
        | InputKind::Nonexistent => {
            kept.push(ex);
            return;
        }
        InputKind::Valid => {}
        // Judged one by one already; no comparison reads them.
        InputKind::MalformedUuid | InputKind::MalformedName | InputKind::Hostile => return,
    }
    let key = (
        r.persona.clone(),
        r.method.clone(),
        r.route.clone(),
        r.group.clone(),
    );
    if baselines.insert(key) {
        let status = ex.status();
        let request = r.clone();
        kept.push(Exchange::new(
            request,
            exchange::Response {
                status,
                ..exchange::Response::default()
            },
        ));
    }
}

/// The `expectation` finding of a step whose own expectations failed: CWE,
/// severity and claim from the step (defaults: CWE-693, medium), the step
/// name in the id so that two steps on one route stay two findings.
fn expectation_finding(step: &Test, ex: &Exchange, failures: &[String]) -> Finding {
    let sec = &step.security;
    let severity = sec
        .severity
        .as_deref()
        .and_then(|s| s.parse::<Severity>().ok())
        .unwrap_or(DEFAULT_EXPECTATION_SEVERITY);
    let mut evidence = failures.join("; ");
    if let Some(claim) = &sec.claim {
        evidence = format!("claim {claim}: {evidence}");
    }
    let req = ex.request();
    let mut f = Finding::from_exchange(
        CheckId::Expectation,
        severity,
        format!("{}: expectation not met", step.name),
        evidence,
        ex,
    );
    if let Some(cwe) = sec.cwe {
        f = f.with_cwe(cwe);
    }
    f.id = finding_id(
        CheckId::Expectation,
        &req.method,
        &req.route,
        &req.persona,
        &format!("{}\u{0}{}", req.input.class, step.name),
    );
    // Its own issue only when no oracle reported the same answer (see
    // issue::group): then the step is the cause.
    let mut cause = Cause::new(
        format!("{}:{}", req.suite.as_deref().unwrap_or_default(), step.name),
        format!("{}: expectation not met", step.name),
    );
    cause.status_only = failures.iter().all(|f| f.starts_with("status:"));
    f.because(cause)
}
