//! The differential oracle: every fuzz step goes to the target and to the
//! model, and where one is wrong the two disagree.
//!
//! **The model** is the embedded reference server's router
//! (placement-refserver over placement-core) called in process with
//! `tower::ServiceExt::oneshot`: no socket, no second HTTP client, and the
//! exact request mapping (`harness/core/src/state/request.rs`) the embedded
//! server uses. Its configuration, [`model_config`], mimics the target as a
//! real Placement 16.0.0 runs under `scripts/placement-up`: noauth2 with the
//! client's `X-Roles` believed (`trust_identity_headers`, as Placement's
//! noauth2 middleware does), the new RBAC defaults (oslo.policy's
//! `enforce_new_defaults` is true by default), and Placement's quirks as
//! the core reproduces them (`harness/core/src/state/quirks.rs`: ghost
//! consumers after a refused allocation write, generations bumped without
//! change, ...). A server safer than Placement by default is right for a
//! deployment and wrong for an oracle, so the model runs the server's
//! faithful behaviour ([`Behaviour::Placement`]: consumers left by a
//! refused write, `in_tree` stripped, the last of a duplicate JSON key
//! kept); where the core has no switch yet (control and invisible format
//! characters in names) the divergence table names the difference.
//!
//! **What is compared**: for every step, the status class and the error
//! `code` (microversion 1.23 and later) of both answers; after every write
//! on which both agree, the state of the run's objects the write names and
//! can change (provider generation, name and parents; inventories after
//! inventory writes; usages and the consumer's allocations and generation
//! after allocation writes), read back as admin at 1.39 from
//! both; and for `GET /allocation_candidates` without `limit`, the set of
//! (provider, resource class, amount) over the run's providers (Placement
//! orders candidates at random: sets, not lists). State only changes by
//! writes, so the read-back after an episode's last write is its end state;
//! refused writes are read back too when both refused them, which is where
//! a ghost consumer shows.
//!
//! **What is reported**: a difference the [`super::divergence`] table
//! matches is a known divergence (check `differential`, severity info,
//! with the entry's id, wrong side, reason and Placement source); any other
//! is a `differential` finding (CWE-436, medium) with both answers in the
//! evidence and the target's curl line, kept as a failing case and shrunk
//! like the others.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use placement_refserver::{Behaviour, Rbac, ServerConfig};
use regex::Regex;
use serde_json::Value;
use tower::ServiceExt;

use super::divergence::{self, Answer, Aspect, Observation};
use super::engine::SideFindings;
use crate::cause::{Cause, normalize};
use crate::exchange::{self, Exchange, Header};
use crate::finding::{CheckId, Finding, Severity, finding_id};
use crate::persona::{Authenticator, Persona};
use crate::transport::Transport;
use crate::transport::{TransportError, authenticate};

/// Largest model answer read (the server's own answers are far smaller).
const MODEL_BODY_LIMIT: usize = 8 << 20;

/// Longest a write the target refused as concurrent waits for its racing
/// twin to reach the model first.
const RACE_WAIT: Duration = Duration::from_secs(5);

/// Microversion of the state read-backs: every field exists there.
const READ_BACK_VERSION: &str = "placement 1.39";

/// The model's server configuration: a real Placement 16.0.0 as
/// `scripts/placement-up` runs it (see the module doc).
pub fn model_config() -> ServerConfig {
    ServerConfig {
        trust_identity_headers: true,
        rbac: Rbac::Secure,
        behaviour: Behaviour::Placement,
        ..ServerConfig::default()
    }
}

/// [`model_config`] for a target authenticating as `auth` says; `None`
/// for real Keystone tokens, which the model cannot check.
pub fn model_config_for(auth: crate::target::AuthMode) -> Option<ServerConfig> {
    let auth = match auth {
        crate::target::AuthMode::Noauth2 => placement_refserver::AuthMode::NoAuth2,
        crate::target::AuthMode::KeystoneHeaders => placement_refserver::AuthMode::KeystoneHeaders,
        crate::target::AuthMode::Token => return None,
    };
    Some(ServerConfig {
        auth,
        ..model_config()
    })
}

/// The model as a [`Transport`]: the reference server's router, in process.
#[derive(Clone)]
pub struct Model {
    router: axum::Router,
    auth: std::sync::Arc<Authenticator>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Model")
    }
}

impl Model {
    /// A fresh model with an empty state; `auth` puts the personas'
    /// credentials on its requests as on the target's (the run's tokens).
    pub fn new(
        config: ServerConfig,
        auth: std::sync::Arc<Authenticator>,
    ) -> Result<Self, placement_refserver::ServeError> {
        Ok(Model {
            router: placement_refserver::router(config)?,
            auth,
        })
    }

    fn http_request(request: &exchange::Request) -> Result<axum::http::Request<Body>, String> {
        let url = url::Url::parse(&request.url).map_err(|e| format!("{}: {e}", request.url))?;
        let path_and_query = &url[url::Position::BeforePath..url::Position::AfterQuery];
        let mut builder = axum::http::Request::builder()
            .method(request.method.as_str())
            .uri(path_and_query);
        for h in &request.headers {
            builder = builder.header(h.name.as_str(), h.value.as_str());
        }
        let body = match &request.body {
            Some(b) => {
                builder = builder.header("content-length", b.len().to_string());
                Body::from(b.clone())
            }
            None => Body::empty(),
        };
        builder.body(body).map_err(|e| e.to_string())
    }
}

impl Transport for Model {
    async fn send(
        &self,
        mut request: exchange::Request,
        persona: Option<&Persona>,
    ) -> Result<Exchange, TransportError> {
        authenticate(&self.auth, &mut request, persona).await?;
        let http = Self::http_request(&request)?;
        let answer = match self.router.clone().oneshot(http).await {
            Ok(a) => a,
            Err(never) => match never {},
        };
        let status = answer.status().as_u16();
        let headers = answer
            .headers()
            .iter()
            .map(|(n, v)| Header::new(n.as_str(), &String::from_utf8_lossy(v.as_bytes())))
            .collect();
        let body = axum::body::to_bytes(answer.into_body(), MODEL_BODY_LIMIT)
            .await
            .map_err(|e| format!("model answer body: {e}"))?;
        Ok(Exchange::new(
            request,
            exchange::Response {
                status,
                headers,
                body: body.to_vec(),
                truncated: false,
                elapsed: Duration::ZERO,
            },
        ))
    }
}

/// Counts of what the differential saw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Steps answered by both and compared.
    pub compared: u64,
    /// Read-back requests sent to the target (the model's are free).
    pub read_backs: u64,
    /// Known divergences by table entry id.
    pub known: BTreeMap<&'static str, u64>,
    /// Divergences no entry matches, by aspect (`outcome`, `state`).
    pub unmatched: BTreeMap<&'static str, u64>,
    /// Steps the model could not take (request not buildable).
    pub model_errors: u64,
    /// Steps not compared because they name an object whose two copies
    /// already diverged (consequences of a reported divergence).
    pub after_divergence: u64,
}

impl Tally {
    /// One line per entry, for the run's summary.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![format!(
            "differential: {} steps compared, {} read-backs, {} unmatched, {} known, {} not compared (after a divergence on their objects), {} not sent to the model",
            self.compared,
            self.read_backs,
            self.unmatched.values().sum::<u64>(),
            self.known.values().sum::<u64>(),
            self.after_divergence,
            self.model_errors
        )];
        for (aspect, n) in &self.unmatched {
            out.push(format!("  unmatched {aspect}: {n}"));
        }
        for (id, n) in &self.known {
            let why = divergence::by_id(id)
                .map(|d| format!(" (wrong: {}; {})", d.wrong.as_str(), d.source))
                .unwrap_or_default();
            out.push(format!("  known {id}: {n}{why}"));
        }
        out
    }
}

#[derive(Default)]
struct Inner {
    pending: Vec<Finding>,
    providers: BTreeSet<String>,
    consumers: BTreeSet<String>,
    /// Objects whose two copies have parted: the first divergence on them
    /// is the finding, what follows from it is not compared.
    tainted: BTreeSet<String>,
    tally: Tally,
}

/// The target and the model behind one [`Transport`]: answers come from the
/// target; differences are kept as findings for [`SideFindings`].
pub struct Differential<'a, S> {
    target: &'a S,
    model: Model,
    base_url: String,
    admin: Option<Persona>,
    inner: Mutex<Inner>,
    inflight: AtomicUsize,
}

impl<'a, S: Transport> Differential<'a, S> {
    /// Compares `target` with `model`; read-backs go to `base_url` as the
    /// persona named `admin` in `personas`.
    pub fn new(target: &'a S, model: Model, base_url: &str, personas: &[Persona]) -> Self {
        Differential {
            target,
            model,
            base_url: base_url.trim_end_matches('/').to_owned(),
            admin: personas.iter().find(|p| p.name == "admin").cloned(),
            inner: Mutex::new(Inner::default()),
            inflight: AtomicUsize::new(0),
        }
    }

    /// What was seen so far.
    pub fn tally(&self) -> Tally {
        self.inner
            .lock()
            .map(|i| i.tally.clone())
            .unwrap_or_default()
    }

    fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> Option<R> {
        self.inner.lock().ok().map(|mut g| f(&mut g))
    }

    fn read_back_request(
        &self,
        template: &exchange::Request,
        path: &str,
        route: &str,
    ) -> exchange::Request {
        exchange::Request {
            method: "GET".to_owned(),
            url: format!("{}{path}", self.base_url),
            route: route.to_owned(),
            persona: "admin".to_owned(),
            headers: vec![
                Header::new("accept", "application/json"),
                Header::new("openstack-api-version", READ_BACK_VERSION),
            ],
            suite: template.suite.clone(),
            step: Some(format!(
                "read back {path} after {}",
                template.step.as_deref().unwrap_or("step")
            )),
            ..exchange::Request::default()
        }
    }

    /// Reads `path` from both; a state divergence if they differ.
    async fn read_back(
        &self,
        write: &Exchange,
        model_write: &Exchange,
        path: String,
        route: &str,
        what: &str,
    ) -> Option<Finding> {
        let request = self.read_back_request(write.request(), &path, route);
        if self.target.skip_reason(&request).is_some() {
            return None;
        }
        let admin = self.admin.as_ref();
        let t = self.target.send(request.clone(), admin).await;
        self.with(|i| i.tally.read_backs += 1);
        let m = self.model.send(request, admin).await;
        let (Ok(t), Ok(m)) = (t, m) else {
            return None;
        };
        let ts = state_view(&t);
        let ms = state_view(&m);
        if t.status() == m.status() && json_eq(&ts, &ms) {
            return None;
        }
        let evidence = format!(
            "after the write, GET {path} (admin, {READ_BACK_VERSION}): target {} {}; model {} {}",
            t.status(),
            excerpt(&ts),
            m.status(),
            excerpt(&ms)
        );
        Some(self.divergence(write, model_write, Aspect::State, what, evidence))
    }

    /// A finding for a divergence on `target` (the step's exchange).
    fn divergence(
        &self,
        target: &Exchange,
        model: &Exchange,
        aspect: Aspect,
        what: &str,
        evidence: String,
    ) -> Finding {
        let req = target.request();
        let ta = answer(target);
        let ma = answer(model);
        let path = path_and_query(&req.url);
        let obs = Observation {
            method: &req.method,
            route: &req.route,
            path_and_query: &path,
            microversion_header: target.request_header("openstack-api-version"),
            body: req.body.as_deref(),
            step: req.step.as_deref(),
            target: &ta,
            model: &ma,
            aspect,
            what,
        };
        let aspect_name = match aspect {
            Aspect::Outcome => "outcome",
            Aspect::State => "state",
        };
        let known = divergence::classify(&obs);
        let (severity, title, class, evidence) = match known {
            Some(d) => {
                self.with(|i| *i.tally.known.entry(d.id).or_default() += 1);
                (
                    Severity::Info,
                    format!("Known divergence {}: {} {}", d.id, req.method, req.route),
                    format!("known:{}", d.id),
                    format!(
                        "known divergence {} (wrong side: {}): {} [{}]; {evidence}",
                        d.id,
                        d.wrong.as_str(),
                        d.reason,
                        d.source
                    ),
                )
            }
            None => {
                self.with(|i| *i.tally.unmatched.entry(aspect_name).or_default() += 1);
                (
                    Severity::Medium,
                    format!(
                        "Target and model disagree on the {aspect_name} of {} {} ({what})",
                        req.method, req.route
                    ),
                    format!("{}|{aspect_name}:{what}", req.input.class),
                    evidence,
                )
            }
        };
        let cause = match known {
            Some(d) => Cause::new(
                format!("known:{}", d.id),
                format!("Known divergence {}: {}", d.id, d.reason),
            )
            .at(d.source),
            None => Cause::new(
                format!(
                    "{} {}|{aspect_name}:{}",
                    req.method,
                    req.route,
                    normalize(what)
                ),
                format!(
                    "Target and model disagree on the {aspect_name} of {} {} ({what})",
                    req.method, req.route
                ),
            ),
        };
        let mut f =
            Finding::from_exchange(CheckId::Differential, severity, title, evidence, target)
                .because(cause);
        f.input_class = class;
        f.id = finding_id(f.check, &f.method, &f.route, &f.persona, &f.input_class);
        f
    }

    async fn compare(&self, t: &Exchange, m: &Exchange) -> Vec<Finding> {
        let named = named_uuids(t.request());
        let tainted = self
            .with(|i| {
                let hit = named.iter().any(|u| i.tainted.contains(u));
                if hit {
                    i.tally.after_divergence += 1;
                }
                hit
            })
            .unwrap_or(false);
        if tainted {
            self.learn(t);
            return Vec::new();
        }
        let found = self.compare_fresh(t, m).await;
        if !found.is_empty() {
            self.with(|i| i.tainted.extend(named));
        }
        found
    }

    async fn compare_fresh(&self, t: &Exchange, m: &Exchange) -> Vec<Finding> {
        let mut out = Vec::new();
        let ta = answer(t);
        let ma = answer(m);
        self.with(|i| i.tally.compared += 1);
        if outcome_differs(&ta, &ma) {
            let what = format!(
                "{}xx/{}xx {}/{}",
                ta.status / 100,
                ma.status / 100,
                ta.code.as_deref().unwrap_or("-"),
                ma.code.as_deref().unwrap_or("-")
            );
            let evidence = format!(
                "target answered {} {}; model (placement-core) answered {} {}",
                ta.status,
                ta.code.as_deref().unwrap_or("(no code)"),
                ma.status,
                ma.code.as_deref().unwrap_or("(no code)")
            );
            out.push(self.divergence(t, m, Aspect::Outcome, &what, evidence));
            return out;
        }
        let req = t.request();
        let writes = !matches!(req.method.as_str(), "GET" | "HEAD");
        if !writes {
            if req.route == "/allocation_candidates"
                && t.status() == 200
                && !req.url.contains("limit=")
            {
                let known = self.with(|i| i.providers.clone()).unwrap_or_default();
                let ts = candidate_set(&body_json(t), &known);
                let ms = candidate_set(&body_json(m), &known);
                if ts != ms {
                    let evidence = format!(
                        "candidates over the run's providers differ: only target {:?}; only model {:?}",
                        ts.difference(&ms).take(5).collect::<Vec<_>>(),
                        ms.difference(&ts).take(5).collect::<Vec<_>>()
                    );
                    out.push(self.divergence(t, m, Aspect::State, "candidates", evidence));
                }
            }
            return out;
        }
        self.learn(t);
        let (providers, consumers) = self.named_objects(req);
        // Only what the write can change is read back: a provider's
        // generation always, its inventories after inventory writes and
        // reshapes, its usages after allocation writes and reshapes.
        let allocating = req.route.starts_with("/allocations") || req.route == "/reshaper";
        let inventory = req.route.contains("/inventories") || req.route == "/reshaper";
        for p in providers {
            for (suffix, route, what, wanted) in [
                ("", "/resource_providers/{uuid}", "provider", true),
                (
                    "/inventories",
                    "/resource_providers/{uuid}/inventories",
                    "inventories",
                    inventory,
                ),
                (
                    "/usages",
                    "/resource_providers/{uuid}/usages",
                    "usages",
                    allocating,
                ),
            ] {
                if !wanted {
                    continue;
                }
                let path = format!("/resource_providers/{p}{suffix}");
                if let Some(f) = self.read_back(t, m, path, route, what).await {
                    out.push(f);
                }
            }
        }
        for c in consumers.into_iter().filter(|_| allocating) {
            let path = format!("/allocations/{c}");
            if let Some(f) = self
                .read_back(t, m, path, "/allocations/{consumer_uuid}", "allocations")
                .await
            {
                out.push(f);
            }
        }
        out
    }

    /// Remembers the run's providers and consumers a write made.
    fn learn(&self, t: &Exchange) {
        let req = t.request();
        let ok = (200..300).contains(&t.status());
        let body: Value = req
            .body
            .as_deref()
            .and_then(|b| serde_json::from_str(b).ok())
            .unwrap_or(Value::Null);
        self.with(|i| {
            if ok && req.method == "POST" && req.route == "/resource_providers" {
                let made = body_json(t)
                    .get("uuid")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .or_else(|| body.get("uuid").and_then(Value::as_str).map(str::to_owned));
                if let Some(u) = made {
                    i.providers.insert(u.to_ascii_lowercase());
                }
            }
            // Consumers are learnt from refused writes as well: a refused
            // allocation write may leave one behind (a ghost).
            if req.route == "/allocations/{consumer_uuid}" {
                for u in canonical_uuids(&path_and_query(&req.url)) {
                    i.consumers.insert(u);
                }
            }
            if req.route == "/allocations" && req.method == "POST" {
                if let Some(map) = body.as_object() {
                    for k in map.keys() {
                        for u in canonical_uuids(k) {
                            i.consumers.insert(u);
                        }
                    }
                }
            }
        });
    }

    /// The run's providers and consumers a request names, in its path or
    /// body.
    fn named_objects(&self, req: &exchange::Request) -> (Vec<String>, Vec<String>) {
        let named = named_uuids(req);
        self.with(|i| {
            (
                named
                    .iter()
                    .filter(|u| i.providers.contains(*u))
                    .cloned()
                    .collect(),
                named
                    .iter()
                    .filter(|u| i.consumers.contains(*u))
                    .cloned()
                    .collect(),
            )
        })
        .unwrap_or_default()
    }
}

impl<S: Transport> Transport for Differential<'_, S> {
    async fn send(
        &self,
        request: exchange::Request,
        persona: Option<&Persona>,
    ) -> Result<Exchange, TransportError> {
        self.inflight.fetch_add(1, Ordering::SeqCst);
        let t = self.target.send(request.clone(), persona).await;
        let t = match t {
            Ok(t) => t,
            Err(e) => {
                self.inflight.fetch_sub(1, Ordering::SeqCst);
                return Err(e);
            }
        };
        // Of two racing writes, the target's winner must reach the model
        // first: a write the target refused as a concurrent update waits
        // (bounded) until the other sends in flight are through the model.
        if answer(&t).code.as_deref() == Some("placement.concurrent_update") || t.status() == 409 {
            let waited = Instant::now();
            while self.inflight.load(Ordering::SeqCst) > 1 && waited.elapsed() < RACE_WAIT {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
        let m = self.model.send(request, persona).await;
        self.inflight.fetch_sub(1, Ordering::SeqCst);
        match m {
            Ok(m) => {
                let found = self.compare(&t, &m).await;
                self.with(|i| i.pending.extend(found));
            }
            Err(_) => {
                self.with(|i| i.tally.model_errors += 1);
            }
        }
        Ok(t)
    }

    fn skip_reason(&self, request: &exchange::Request) -> Option<String> {
        self.target.skip_reason(request)
    }
}

impl<S: Transport> SideFindings for Differential<'_, S> {
    fn take_findings(&self) -> Vec<Finding> {
        self.with(|i| std::mem::take(&mut i.pending))
            .unwrap_or_default()
    }
}

/// Status and error code of an answer.
pub fn answer(ex: &Exchange) -> Answer {
    Answer {
        status: ex.status(),
        code: error_code(&body_json(ex)),
    }
}

/// `errors[0].code` of an error body.
pub fn error_code(body: &Value) -> Option<String> {
    body.get("errors")?
        .get(0)?
        .get("code")?
        .as_str()
        .map(str::to_owned)
}

/// Whether two answers differ in status class or error code.
pub fn outcome_differs(target: &Answer, model: &Answer) -> bool {
    target.status / 100 != model.status / 100 || target.code != model.code
}

fn body_json(ex: &Exchange) -> Value {
    serde_json::from_slice(&ex.response().body).unwrap_or(Value::Null)
}

fn path_and_query(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => u[url::Position::BeforePath..url::Position::AfterQuery].to_owned(),
        Err(_) => url.to_owned(),
    }
}

/// The canonical UUIDs a request names in its path, query or body.
fn named_uuids(req: &exchange::Request) -> BTreeSet<String> {
    let mut text = path_and_query(&req.url);
    if let Some(b) = &req.body {
        text.push(' ');
        text.push_str(b);
    }
    canonical_uuids(&text).into_iter().collect()
}

static UUID: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b").ok()
});

fn canonical_uuids(text: &str) -> Vec<String> {
    UUID.as_ref()
        .map(|re| {
            re.find_iter(text)
                .map(|m| m.as_str().to_ascii_lowercase())
                .collect()
        })
        .unwrap_or_default()
}

/// The part of a read-back that is state: the body without `links`
/// (hrefs depend on where each side is mounted).
pub fn state_view(ex: &Exchange) -> Value {
    let mut v = body_json(ex);
    // An error's state is its code; its detail and request id are not.
    if !(200..300).contains(&ex.status()) {
        return serde_json::json!({ "code": error_code(&v) });
    }
    strip_links(&mut v);
    v
}

fn strip_links(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.remove("links");
            for x in map.values_mut() {
                strip_links(x);
            }
        }
        Value::Array(items) => {
            for x in items {
                strip_links(x);
            }
        }
        _ => {}
    }
}

/// JSON equality with numbers compared as numbers (`16` equals `16.0`:
/// Python writes allocation ratios as floats, serde may not).
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, p)| y.get(k).is_some_and(|q| json_eq(p, q)))
        }
        _ => a == b,
    }
}

/// (provider, resource class, amount) of every allocation request of a
/// candidates answer, over `providers` only (a shared target holds other
/// runs' providers too). Both shapes: the dict of 1.12 and later and the
/// list before it.
pub fn candidate_set(
    body: &Value,
    providers: &BTreeSet<String>,
) -> BTreeSet<(String, String, u64)> {
    let mut out = BTreeSet::new();
    let requests = body
        .get("allocation_requests")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut add = |rp: &str, resources: Option<&Value>| {
        let rp = rp.to_ascii_lowercase();
        if !providers.contains(&rp) {
            return;
        }
        if let Some(map) = resources.and_then(Value::as_object) {
            for (rc, n) in map {
                out.insert((rp.clone(), rc.clone(), n.as_u64().unwrap_or(0)));
            }
        }
    };
    for r in &requests {
        match r.get("allocations") {
            Some(Value::Object(map)) => {
                for (rp, a) in map {
                    add(rp, a.get("resources"));
                }
            }
            Some(Value::Array(list)) => {
                for a in list {
                    let rp = a
                        .get("resource_provider")
                        .and_then(|p| p.get("uuid"))
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    add(rp, a.get("resources"));
                }
            }
            _ => {}
        }
    }
    out
}

fn excerpt(v: &Value) -> String {
    let s = v.to_string();
    if s.len() <= 400 {
        return s;
    }
    let mut end = 400;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", s.get(..end).unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn a(status: u16, code: Option<&str>) -> Answer {
        Answer {
            status,
            code: code.map(str::to_owned),
        }
    }

    #[test]
    fn outcome_is_status_class_and_code() {
        assert!(!outcome_differs(&a(200, None), &a(204, None)));
        assert!(!outcome_differs(&a(400, Some("x")), &a(409, Some("x"))));
        assert!(outcome_differs(&a(200, None), &a(400, None)));
        assert!(outcome_differs(
            &a(409, Some("placement.concurrent_update")),
            &a(409, Some("placement.undefined_code"))
        ));
        assert!(outcome_differs(&a(400, Some("x")), &a(400, None)));
        assert!(outcome_differs(&a(500, None), &a(400, None)));
    }

    #[test]
    fn error_codes() {
        let body = json!({"errors": [{"status": 409, "code": "placement.concurrent_update"}]});
        assert_eq!(
            error_code(&body).as_deref(),
            Some("placement.concurrent_update")
        );
        assert_eq!(error_code(&json!({"errors": [{"status": 400}]})), None);
        assert_eq!(error_code(&json!({"errors": []})), None);
        assert_eq!(error_code(&Value::Null), None);
    }

    #[test]
    fn numbers_compare_as_numbers() {
        assert!(json_eq(
            &json!({"r": 16.0, "t": [1, 2]}),
            &json!({"t": [1.0, 2], "r": 16})
        ));
        assert!(!json_eq(&json!({"r": 16.0}), &json!({"r": 16.5})));
        assert!(!json_eq(&json!({"r": 1}), &json!({"r": 1, "s": 2})));
        assert!(!json_eq(&json!([1, 2]), &json!([2, 1])));
    }

    #[test]
    fn candidates_are_sets_over_the_runs_providers() {
        let mine: BTreeSet<String> = ["aaaaaaaa-0000-0000-0000-000000000001".to_owned()].into();
        let dict = json!({"allocation_requests": [
            {"allocations": {"AAAAAAAA-0000-0000-0000-000000000001": {"resources": {"VCPU": 1}},
                             "bbbbbbbb-0000-0000-0000-000000000002": {"resources": {"VCPU": 1}}}},
            {"allocations": {"aaaaaaaa-0000-0000-0000-000000000001": {"resources": {"MEMORY_MB": 64}}}}]});
        let list = json!({"allocation_requests": [
            {"allocations": [{"resource_provider": {"uuid": "aaaaaaaa-0000-0000-0000-000000000001"},
                              "resources": {"MEMORY_MB": 64}}]},
            {"allocations": [{"resource_provider": {"uuid": "aaaaaaaa-0000-0000-0000-000000000001"},
                              "resources": {"VCPU": 1}}]}]});
        let d = candidate_set(&dict, &mine);
        assert_eq!(d.len(), 2);
        assert_eq!(d, candidate_set(&list, &mine));
        let other = json!({"allocation_requests": [
            {"allocations": {"aaaaaaaa-0000-0000-0000-000000000001": {"resources": {"VCPU": 2}}}}]});
        assert_ne!(d, candidate_set(&other, &mine));
    }

    #[test]
    fn links_are_not_state() {
        let mut v = json!({"generation": 1, "links": [{"href": "/x"}], "inner": {"links": []}});
        strip_links(&mut v);
        assert_eq!(v, json!({"generation": 1, "inner": {}}));
    }

    #[test]
    fn uuids_named() {
        let u = canonical_uuids(
            "/allocations/AAAAAAAA-0000-0000-0000-000000000001 {\"x\": \"bbbbbbbb-0000-0000-0000-000000000002\"}",
        );
        assert_eq!(
            u,
            vec![
                "aaaaaaaa-0000-0000-0000-000000000001",
                "bbbbbbbb-0000-0000-0000-000000000002"
            ]
        );
    }
}
