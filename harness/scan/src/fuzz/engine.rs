//! The fuzz loop: episodes of generated steps over fresh objects of the
//! run, each step sent through the scan's [`Transport`] (so the run's guard,
//! journal and `--max-rps` apply), every response judged by every
//! single-exchange oracle as it arrives and the comparison oracles at the
//! end. An episode sets up a provider with inventory and an allocation,
//! sends generated requests, then plays one of the stories (read as
//! another tenant, racing writes with one generation, delete and use after
//! delete). Everything the loop decides comes from the seeded [`Rng`] and
//! the responses, so the same seed against the same server state sends
//! the same requests.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::case::{CONSUMERS, Env, PROVIDERS, Step, var};
use super::r#gen::{World, fixed, request};
use super::rng::Rng;
use crate::exchange::{self, Exchange, Header};
use crate::finding::{CheckId, Finding, FindingSet};
use crate::model::Operation;
use crate::oracle::state_after_error::Reading;
use crate::oracle::{self, Context, state_after_error};
use crate::persona::Persona;
use crate::run_id::RunId;
use crate::scan::read_back::{read_back, read_before};
use crate::transport::Transport;

/// Findings a sender makes on the side while sending (the differential
/// oracle compares each step with the model inside `send`); the loop
/// takes them after each step and treats them like the oracles' findings.
pub trait SideFindings: Sync {
    /// The findings made since the last call.
    fn take_findings(&self) -> Vec<Finding>;
}

/// No side findings.
impl SideFindings for () {
    fn take_findings(&self) -> Vec<Finding> {
        Vec::new()
    }
}

/// Two sources of side findings (the differential and the replay), taken
/// together.
pub struct BothSides<'a>(pub &'a dyn SideFindings, pub &'a dyn SideFindings);

impl SideFindings for BothSides<'_> {
    fn take_findings(&self) -> Vec<Finding> {
        let mut out = self.0.take_findings();
        out.extend(self.1.take_findings());
        out
    }
}

/// The root cause of a finding: its issue's fingerprint.
pub fn cause_of(f: &Finding) -> String {
    crate::issue::fingerprint(f.check, &f.cause.signature)
}

/// Whether a finding becomes a failing case to shrink: a known divergence
/// is reported, not shrunk.
pub fn worth_a_case(f: &Finding) -> bool {
    !(f.check == CheckId::Differential && f.severity == crate::finding::Severity::Info)
}

/// How to fuzz.
#[derive(Clone, Debug)]
pub struct FuzzConfig {
    /// Base URL of the target (ends in `/`).
    pub base_url: String,
    /// The seed.
    pub seed: u64,
    /// The run.
    pub run_id: RunId,
    /// Personas by name (`admin` and the default set).
    pub personas: Vec<Persona>,
    /// Most requests sent (shrinking not counted).
    pub max_requests: u64,
    /// Most wall time.
    pub max_duration: Duration,
    /// Generated requests per episode.
    pub actions_per_episode: usize,
    /// Most exchanges kept for the comparison oracles.
    pub keep_exchanges: usize,
    /// Whether the target still answers (the client's): once it is lost
    /// the run stops instead of failing every request left.
    pub health: std::sync::Arc<crate::client::TargetHealth>,
}

/// A case that tripped an oracle: the episode's steps up to the one whose
/// response did, and the check.
#[derive(Clone, Debug)]
pub struct FailingCase {
    /// The check that fired on the last step.
    pub check: CheckId,
    /// The root cause's fingerprint (its issue's): shrinking keeps it.
    pub fingerprint: String,
    /// The finding's id.
    pub finding_id: String,
    /// The finding's title.
    pub title: String,
    /// The finding's severity (cases are shrunk worst first).
    pub severity: crate::finding::Severity,
    /// The steps, last one failing.
    pub steps: Vec<Step>,
    /// Statuses the steps got, in order.
    pub statuses: Vec<u16>,
}

/// What a fuzz run did.
#[derive(Debug, Default)]
pub struct FuzzOutcome {
    /// Findings, de-duplicated by id.
    pub findings: Vec<Finding>,
    /// Requests sent.
    pub requests: u64,
    /// Requests the guard refused (not sent), by reason.
    pub skipped: u64,
    /// Requests that failed in transport.
    pub transport_errors: Vec<String>,
    /// One case per finding id (the first).
    pub cases: Vec<FailingCase>,
    /// Time and request count at the first 5xx.
    pub first_5xx: Option<(Duration, u64)>,
    /// Episodes played.
    pub episodes: u64,
    /// Why it stopped.
    pub stopped: String,
    /// Whether Ctrl-C stopped it.
    pub interrupted: bool,
    /// Whether it stopped because the target stopped answering.
    pub target_lost: bool,
    /// How many answers each check judged.
    pub judged: oracle::Judged,
    /// Every request sent, as `METHOD path` with the body, in order (for
    /// the determinism test and `--trace`).
    pub trace: Vec<String>,
}

/// The scanner-facing request of a step under `env`.
pub fn exchange_request(step: &Step, env: &Env, base_url: &str, label: &str) -> exchange::Request {
    let path = env.substitute(&step.path);
    let url = format!("{}{}", base_url.trim_end_matches('/'), path);
    let mut headers = vec![Header::new("accept", "application/json")];
    if let Some(mv) = &step.microversion {
        headers.push(Header::new("openstack-api-version", mv));
    }
    let body = step
        .body
        .as_ref()
        .map(|b| env.substitute_json(b).to_string());
    if body.is_some() {
        headers.push(Header::new("content-type", "application/json"));
    }
    let mut input = step.input.clone();
    input.value = input.value.map(|v| env.substitute(&v));
    exchange::Request {
        method: step.method.clone(),
        url,
        route: step.route.clone(),
        persona: step.persona.clone(),
        input,
        object: step
            .object
            .as_ref()
            .map(|o| env.substitute(o).to_ascii_lowercase()),
        group: None,
        headers,
        body,
        suite: Some(label.to_owned()),
        step: Some(step.name.clone()),
        ..exchange::Request::default()
    }
}

/// Sends one step; `Ok(None)` when the sender's guard refused it.
pub async fn send_step<S: Transport>(
    sender: &S,
    personas: &[Persona],
    step: &Step,
    env: &Env,
    base_url: &str,
    label: &str,
) -> Result<Option<Exchange>, String> {
    let request = exchange_request(step, env, base_url, label);
    if sender.skip_reason(&request).is_some() {
        return Ok(None);
    }
    let persona = personas.iter().find(|p| p.name == step.persona);
    sender
        .send(request, persona)
        .await
        .map(Some)
        .map_err(|e| e.0)
}

/// Where the episode stands after a response.
fn observe(world: &mut World, step: &Step, ex: &Exchange) {
    let status = ex.status();
    let ok = (200..300).contains(&status);
    let body: Value = serde_json::from_slice(&ex.response().body).unwrap_or(Value::Null);
    let provider = PROVIDERS
        .iter()
        .map(|(u, _)| *u)
        .find(|u| step.path.contains(&var(u)));
    let consumer = CONSUMERS
        .iter()
        .copied()
        .find(|c| step.path.contains(&var(c)));
    let writes = !matches!(step.method.as_str(), "GET" | "HEAD");
    if step.route == "/resource_providers" && step.method == "POST" && ok {
        let made = PROVIDERS.iter().map(|(u, _)| *u).find(|u| {
            step.body
                .as_ref()
                .and_then(|b| b.get("uuid"))
                .and_then(Value::as_str)
                == Some(var(u).as_str())
        });
        if let Some(u) = made {
            if !world.providers.contains(&u) {
                world.providers.push(u);
            }
            world.deleted.remove(u);
            world.generations.insert(u, Some(0));
        }
        return;
    }
    if step.route.starts_with("/allocations") || step.route == "/reshaper" {
        if writes && ok {
            // Allocations move the generations of every provider they touch
            // and of the consumer: read them again before the next write.
            for (u, _) in PROVIDERS {
                world.generations.remove(u);
            }
            for c in CONSUMERS {
                world.generations.remove(c);
            }
            if let Some(c) = consumer {
                if !world.consumers.contains(&c) {
                    world.consumers.push(c);
                }
            }
        }
        if step.method == "GET" && ok {
            if let Some(c) = consumer {
                let g = body.get("consumer_generation").and_then(Value::as_i64);
                world.generations.insert(c, g);
            }
        }
        return;
    }
    let Some(u) = provider else { return };
    if step.method == "DELETE" && step.route == "/resource_providers/{uuid}" && ok {
        world.deleted.insert(u);
        world.generations.remove(u);
        return;
    }
    let seen = body
        .get("resource_provider_generation")
        .or_else(|| {
            (step.route == "/resource_providers/{uuid}")
                .then(|| body.get("generation"))
                .flatten()
        })
        .and_then(Value::as_i64);
    match seen {
        Some(g) => {
            world.generations.insert(u, Some(g));
        }
        None if writes => {
            world.generations.remove(u);
        }
        None => {}
    }
}

/// The run's shared state while fuzzing.
struct Loop<'a, S> {
    sender: &'a S,
    side: &'a dyn SideFindings,
    config: &'a FuzzConfig,
    ctx: Context,
    stop: &'a AtomicBool,
    started: Instant,
    findings: FindingSet,
    /// The root causes (issue fingerprints) a case was kept for: one
    /// case per cause, however many findings it gave.
    seen_causes: BTreeSet<String>,
    kept: Vec<Exchange>,
    outcome: FuzzOutcome,
}

impl<S: Transport> Loop<'_, S> {
    fn exhausted(&mut self) -> bool {
        if self.stop.load(Ordering::SeqCst) {
            self.outcome.interrupted = true;
            self.outcome.stopped = "interrupted (Ctrl-C)".to_owned();
            return true;
        }
        if self.outcome.requests >= self.config.max_requests {
            self.outcome.stopped = format!("--requests {} reached", self.config.max_requests);
            return true;
        }
        if self.started.elapsed() >= self.config.max_duration {
            self.outcome.stopped = format!("--time {:?} reached", self.config.max_duration);
            return true;
        }
        if let Some(why) = self.config.health.lost() {
            self.outcome.stopped = why.to_owned();
            self.outcome.target_lost = true;
            return true;
        }
        false
    }

    /// Every single-exchange oracle over `ex`; after a 5xx to a write, the
    /// scan's read-back for `state_after_error` too (same code as the scan).
    async fn judge(
        &mut self,
        step: &Step,
        env: &Env,
        label: &str,
        ex: &Exchange,
        before: Option<&[Reading]>,
    ) -> Vec<Finding> {
        let findings = oracle::check_one(ex, &self.ctx);
        for check in oracle::judged_by(ex, &self.ctx) {
            self.outcome.judged.add(check);
        }
        if !state_after_error::applies(ex) {
            return findings;
        }
        self.outcome.judged.add(CheckId::StateAfterError);
        let write = exchange_request(step, env, &self.config.base_url, label);
        let prefix = url::Url::parse(&self.config.base_url)
            .map(|u| u.path().trim_end_matches('/').to_owned())
            .unwrap_or_default();
        let persona = self.config.personas.iter().find(|p| p.name == step.persona);
        let (readings, reads) = read_back(
            self.sender,
            &write,
            persona,
            &prefix,
            self.config
                .max_requests
                .saturating_sub(self.outcome.requests),
        )
        .await;
        self.outcome.requests += reads;
        state_after_error::fold(ex, before, &readings, findings)
    }

    /// The reads `state_after_error` needs before a create or delete by
    /// name (same code as the scan); `None` for any other step.
    async fn read_before(&mut self, step: &Step, env: &Env, label: &str) -> Option<Vec<Reading>> {
        let write = exchange_request(step, env, &self.config.base_url, label);
        if matches!(write.method.as_str(), "GET" | "HEAD")
            || self.sender.skip_reason(&write).is_some()
        {
            return None;
        }
        let prefix = url::Url::parse(&self.config.base_url)
            .map(|u| u.path().trim_end_matches('/').to_owned())
            .unwrap_or_default();
        let persona = self.config.personas.iter().find(|p| p.name == step.persona);
        let budget = self
            .config
            .max_requests
            .saturating_sub(self.outcome.requests + 1);
        let (readings, reads) = read_before(self.sender, &write, persona, &prefix, budget).await?;
        self.outcome.requests += reads;
        Some(readings)
    }

    /// Sends a step of the episode and judges its response.
    async fn step(&mut self, episode: &mut Episode, step: Step) {
        // Setup, refresh and story steps count against the bounds too.
        if self.exhausted() {
            return;
        }
        let label = format!(
            "fuzz seed {} episode {}",
            self.config.seed, self.outcome.episodes
        );
        let env = episode.env.clone();
        let request = exchange_request(&step, &env, &self.config.base_url, &label);
        self.outcome.trace.push(format!(
            "{} {} {} {}",
            request.persona,
            request.method,
            request.url,
            request.body.as_deref().unwrap_or("")
        ));
        let before = self.read_before(&step, &env, &label).await;
        let sent = send_step(
            self.sender,
            &self.config.personas,
            &step,
            &env,
            &self.config.base_url,
            &label,
        )
        .await;
        let ex = match sent {
            Ok(Some(ex)) => ex,
            Ok(None) => {
                self.outcome.skipped += 1;
                return;
            }
            Err(e) => {
                self.outcome.requests += 1;
                if self.outcome.transport_errors.len() < 20 {
                    self.outcome
                        .transport_errors
                        .push(format!("{} {}: {e}", step.method, step.path));
                }
                return;
            }
        };
        self.outcome.requests += 1;
        if ex.status() >= 500 && self.outcome.first_5xx.is_none() {
            self.outcome.first_5xx = Some((self.started.elapsed(), self.outcome.requests));
        }
        observe(&mut episode.world, &step, &ex);
        let judged = self
            .judge(&step, &env, &label, &ex, before.as_deref())
            .await;
        episode.steps.push(step);
        episode.statuses.push(ex.status());
        let mut found = judged;
        found.extend(self.side.take_findings());
        for f in found {
            if worth_a_case(&f) && self.seen_causes.insert(cause_of(&f)) {
                self.outcome.cases.push(FailingCase {
                    check: f.check,
                    fingerprint: cause_of(&f),
                    finding_id: f.id.clone(),
                    title: f.title.clone(),
                    severity: f.severity,
                    steps: episode.steps.clone(),
                    statuses: episode.statuses.clone(),
                });
            }
            self.findings.push(f);
        }
        if self.kept.len() < self.config.keep_exchanges {
            self.kept.push(ex);
        }
    }

    /// Sends two steps at once (racing writes).
    async fn race(&mut self, episode: &mut Episode, a: Step, mut b: Step) {
        if self.exhausted() || self.outcome.requests + 2 > self.config.max_requests {
            return;
        }
        b.concurrent = true;
        let label = format!(
            "fuzz seed {} episode {}",
            self.config.seed, self.outcome.episodes
        );
        let env = episode.env.clone();
        for s in [&a, &b] {
            let r = exchange_request(s, &env, &self.config.base_url, &label);
            self.outcome.trace.push(format!(
                "{} {} {} {}",
                r.persona,
                r.method,
                r.url,
                r.body.as_deref().unwrap_or("")
            ));
        }
        let personas = &self.config.personas;
        let base = &self.config.base_url;
        let (ra, rb) = tokio::join!(
            send_step(self.sender, personas, &a, &env, base, &label),
            send_step(self.sender, personas, &b, &env, base, &label)
        );
        // Side findings of both sends, each given to the step it names.
        let mut side = self.side.take_findings();
        for (step, r) in [(a, ra), (b, rb)] {
            let mine: Vec<Finding>;
            (mine, side) = side
                .into_iter()
                .partition(|f| f.step.as_deref() == Some(step.name.as_str()));
            match r {
                Ok(Some(ex)) => {
                    self.outcome.requests += 1;
                    observe(&mut episode.world, &step, &ex);
                    // Racing writes are not read before: the other one
                    // may change the state in between.
                    let judged = self.judge(&step, &env, &label, &ex, None).await;
                    episode.steps.push(step);
                    episode.statuses.push(ex.status());
                    let mut found = judged;
                    found.extend(mine);
                    for f in found {
                        if worth_a_case(&f) && self.seen_causes.insert(cause_of(&f)) {
                            self.outcome.cases.push(FailingCase {
                                check: f.check,
                                fingerprint: cause_of(&f),
                                finding_id: f.id.clone(),
                                title: f.title.clone(),
                                severity: f.severity,
                                steps: episode.steps.clone(),
                                statuses: episode.statuses.clone(),
                            });
                        }
                        self.findings.push(f);
                    }
                    if self.kept.len() < self.config.keep_exchanges {
                        self.kept.push(ex);
                    }
                }
                Ok(None) => self.outcome.skipped += 1,
                Err(e) => {
                    self.outcome.requests += 1;
                    if self.outcome.transport_errors.len() < 20 {
                        self.outcome.transport_errors.push(e);
                    }
                }
            }
        }
    }

    /// A GET of the provider or consumer whose generation a write needs.
    async fn refresh(&mut self, episode: &mut Episode, step: &Step) {
        if step.body.is_none() {
            return;
        }
        let body = step.body.as_ref().map(Value::to_string).unwrap_or_default();
        if !body.contains("generation") {
            return;
        }
        for (u, _) in PROVIDERS {
            if step.path.contains(&var(u))
                && episode.world.providers.contains(u)
                && !episode.world.generations.contains_key(u)
            {
                let s = fixed(
                    "read generation",
                    "GET",
                    format!("/resource_providers/{}", var(u)),
                    "/resource_providers/{uuid}",
                    None,
                );
                self.step(episode, s).await;
            }
        }
        for c in CONSUMERS {
            if step.path.contains(&var(c))
                && episode.world.consumers.contains(c)
                && !episode.world.generations.contains_key(c)
            {
                let s = fixed(
                    "read consumer generation",
                    "GET",
                    format!("/allocations/{}", var(c)),
                    "/allocations/{consumer_uuid}",
                    None,
                );
                self.step(episode, s).await;
            }
        }
    }
}

/// One episode: its bindings, what it knows, what it sent.
struct Episode {
    env: Env,
    world: World,
    steps: Vec<Step>,
    statuses: Vec<u16>,
}

fn inventory_body(generation: i64) -> Value {
    json!({"resource_provider_generation": generation, "inventories": {
        "VCPU": {"total": 8}, "MEMORY_MB": {"total": 4096}, "DISK_GB": {"total": 100}}})
}

fn allocation_body(providers: &[&str], generation: Option<i64>) -> Value {
    let mut allocs = serde_json::Map::new();
    for p in providers {
        allocs.insert(var(p), json!({"resources": {"VCPU": 1, "MEMORY_MB": 128}}));
    }
    json!({"allocations": allocs, "project_id": var("PROJECT_ID"), "user_id": var("USER_ID"),
           "consumer_generation": generation, "consumer_type": "INSTANCE"})
}

/// Weighted choice of the next operation: body and query operations more
/// often, as they hold most of the input surface.
fn pick_op<'a>(ops: &'a [Operation], rng: &mut Rng) -> Option<&'a Operation> {
    let weight = |o: &Operation| {
        if !o.query.is_empty() {
            4
        } else if !o.bodies.is_empty() {
            3
        } else {
            1
        }
    };
    let total: usize = ops.iter().map(weight).sum();
    let mut roll = rng.below(total);
    for o in ops {
        let w = weight(o);
        if roll < w {
            return Some(o);
        }
        roll -= w;
    }
    ops.first()
}

/// Fuzzes until a bound, Ctrl-C (`stop`) or nothing left to do.
pub async fn run_fuzz<S: Transport>(
    sender: &S,
    config: &FuzzConfig,
    ctx: Context,
    stop: &AtomicBool,
) -> FuzzOutcome {
    run_fuzz_with(sender, config, ctx, stop, &()).await
}

/// [`run_fuzz`] with the side findings of `side` (the differential oracle)
/// judged with every step.
pub async fn run_fuzz_with<S: Transport>(
    sender: &S,
    config: &FuzzConfig,
    ctx: Context,
    stop: &AtomicBool,
    side: &dyn SideFindings,
) -> FuzzOutcome {
    let ops = crate::model::decoding_order();
    let mut rng = Rng::new(config.seed);
    let mut lp = Loop {
        sender,
        side,
        config,
        ctx,
        stop,
        started: Instant::now(),
        findings: FindingSet::default(),
        seen_causes: BTreeSet::new(),
        kept: Vec::new(),
        outcome: FuzzOutcome::default(),
    };
    while !lp.exhausted() {
        lp.outcome.episodes += 1;
        let env = Env::fresh(config.run_id, &mut rng, &config.personas);
        // Consumers of the episode belong to tenant-a's project.
        for c in CONSUMERS {
            if let (Some(id), Some(p)) = (env.get(c), env.get("PROJECT_ID")) {
                lp.ctx
                    .ownership
                    .insert(id.to_ascii_lowercase(), p.to_owned());
            }
        }
        let mut ep = Episode {
            env,
            world: World::default(),
            steps: Vec::new(),
            statuses: Vec::new(),
        };
        let two = rng.chance(50);
        let made: &[(&str, &str)] = if two {
            &PROVIDERS[..2]
        } else {
            &PROVIDERS[..1]
        };
        for (u, n) in made {
            let body = json!({"name": var(n), "uuid": var(u)});
            lp.step(
                &mut ep,
                fixed(
                    "create provider",
                    "POST",
                    "/resource_providers".to_owned(),
                    "/resource_providers",
                    Some(body),
                ),
            )
            .await;
            let path = format!("/resource_providers/{}/inventories", var(u));
            lp.step(
                &mut ep,
                fixed(
                    "set inventory",
                    "PUT",
                    path,
                    "/resource_providers/{uuid}/inventories",
                    Some(inventory_body(0)),
                ),
            )
            .await;
        }
        if rng.chance(30) {
            lp.step(
                &mut ep,
                fixed(
                    "create class",
                    "PUT",
                    format!("/resource_classes/{}", var(super::case::CLASS)),
                    "/resource_classes/{name}",
                    None,
                ),
            )
            .await;
            lp.step(
                &mut ep,
                fixed(
                    "create trait",
                    "PUT",
                    format!("/traits/{}", var(super::case::TRAIT)),
                    "/traits/{name}",
                    None,
                ),
            )
            .await;
            ep.world.custom_made = true;
        }
        let provs: Vec<&str> = made.iter().map(|(u, _)| *u).collect();
        let consumer = CONSUMERS[0];
        lp.step(
            &mut ep,
            fixed(
                "allocate",
                "PUT",
                format!("/allocations/{}", var(consumer)),
                "/allocations/{consumer_uuid}",
                Some(allocation_body(&provs, None)),
            ),
        )
        .await;
        for i in 0..config.actions_per_episode {
            if lp.exhausted() {
                break;
            }
            let Some(op) = pick_op(&ops, &mut rng) else {
                break;
            };
            let step = request(
                op,
                &mut rng,
                &ep.world,
                format!("fuzz {i} {} {}", op.method, op.route),
            );
            lp.refresh(&mut ep, &step).await;
            lp.step(&mut ep, step).await;
        }
        if lp.exhausted() {
            break;
        }
        story(&mut lp, &mut ep, &mut rng, &provs).await;
    }
    let mut findings = lp.findings;
    findings.extend(oracle::check_comparisons(&lp.kept, &lp.ctx));
    let mut outcome = lp.outcome;
    outcome.findings = findings.into_vec();
    // Crashes first, then by severity: shrinking is bounded and takes the
    // cases in this order.
    outcome
        .cases
        .sort_by_key(|c| (c.check != CheckId::No5xx, std::cmp::Reverse(c.severity)));
    outcome
}

/// One of the stateful stories at the end of an episode.
async fn story<S: Transport>(
    lp: &mut Loop<'_, S>,
    ep: &mut Episode,
    rng: &mut Rng,
    provs: &[&'static str],
) {
    let rp = provs.first().copied().unwrap_or(PROVIDERS[0].0);
    let consumer = CONSUMERS[0];
    let as_other = |name: &str, persona: &str, path: String, route: &str| {
        let mut s = fixed(name, "GET", path, route, None);
        s.persona = persona.to_owned();
        s
    };
    match rng.below(3) {
        0 => {
            let other = rng
                .pick(&["tenant-b-member", "tenant-b-reader", "tenant-a-member"])
                .copied()
                .unwrap_or("tenant-b-member");
            let mut s = as_other(
                "read allocations as another tenant",
                other,
                format!("/allocations/{}", var(consumer)),
                "/allocations/{consumer_uuid}",
            );
            s.object = Some(var(consumer));
            lp.step(ep, s).await;
            let s = as_other(
                "read usages as another tenant",
                other,
                format!("/usages?project_id={}", var("PROJECT_ID")),
                "/usages",
            );
            lp.step(ep, s).await;
            let s = as_other(
                "read provider as another tenant",
                other,
                format!("/resource_providers/{}", var(rp)),
                "/resource_providers/{uuid}",
            );
            lp.step(ep, s).await;
        }
        1 => {
            let read = fixed(
                "read generation",
                "GET",
                format!("/resource_providers/{}", var(rp)),
                "/resource_providers/{uuid}",
                None,
            );
            lp.step(ep, read).await;
            let g = ep.world.generations.get(rp).copied().flatten().unwrap_or(0);
            let path = format!("/resource_providers/{}/inventories", var(rp));
            let route = "/resource_providers/{uuid}/inventories";
            let mut a_body = inventory_body(g);
            a_body["inventories"]["VCPU"]["total"] = json!(16);
            let a = fixed(
                "racing inventory write A",
                "PUT",
                path.clone(),
                route,
                Some(a_body),
            );
            let b = fixed(
                "racing inventory write B (same generation)",
                "PUT",
                path,
                route,
                Some(inventory_body(g)),
            );
            lp.race(ep, a, b).await;
        }
        _ => {
            let s = fixed(
                "delete allocations",
                "DELETE",
                format!("/allocations/{}", var(consumer)),
                "/allocations/{consumer_uuid}",
                None,
            );
            lp.step(ep, s).await;
            let s = fixed(
                "delete provider",
                "DELETE",
                format!("/resource_providers/{}", var(rp)),
                "/resource_providers/{uuid}",
                None,
            );
            lp.step(ep, s).await;
            let s = fixed(
                "read deleted provider",
                "GET",
                format!("/resource_providers/{}", var(rp)),
                "/resource_providers/{uuid}",
                None,
            );
            lp.step(ep, s).await;
            let path = format!("/resource_providers/{}/inventories", var(rp));
            let s = fixed(
                "write inventory of deleted provider",
                "PUT",
                path,
                "/resource_providers/{uuid}/inventories",
                Some(inventory_body(1)),
            );
            lp.step(ep, s).await;
            let s = fixed(
                "allocate on deleted provider",
                "PUT",
                format!("/allocations/{}", var(consumer)),
                "/allocations/{consumer_uuid}",
                Some(allocation_body(&[rp], None)),
            );
            lp.step(ep, s).await;
        }
    }
}
