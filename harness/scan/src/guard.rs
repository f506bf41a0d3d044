//! The safety guard between the scanner and a target: a [`Transport`]
//! wrapper that keeps a run from touching what it did not create.
//!
//! It exists because a scan runs against real deployments: a suite that
//! deletes a provider, or writes allocations against a compute node, must
//! not do so to an operator's objects, whatever the suite says. Three
//! duties, all decided before anything is sent:
//!
//! - **read-only** (`--read-only`): only `GET` and `HEAD` reach the server;
//!   every other request is reported skipped with the reason `read-only`
//!   ([`Transport::skip_reason`]) and, should a caller send it anyway, is
//!   refused by [`Transport::send`] without a byte on the wire.
//! - **journal**: every object a successful write created (providers,
//!   consumers, custom classes and traits, and inventories, traits and
//!   aggregates set on providers) is appended to the run's [`Journal`]
//!   before the response is handed back, so a crash right after the
//!   response loses nothing that cleanup needs.
//! - **ownership** ([`Ownership::Strict`], the default): a `PUT`, `DELETE`
//!   or `PATCH` of an object, a `POST` under a provider, and allocations
//!   (their consumers and the providers they consume from) must name
//!   objects the run created (in its journal) or whose id carries the run
//!   id ([`RunId::owns`]: a marked name, or a UUID in any spelling Python's
//!   `uuid.UUID` accepts, with the run's bits). The mark must be accepted
//!   besides the journal because a consumer comes into existence by the
//!   very `PUT /allocations/{uuid}` that writes to it; it cannot name a
//!   deployment's object by accident (40 bits per run). A path key that is
//!   not a UUID in any spelling is allowed only if it carries the run id,
//!   so malformed-input steps put the run id in their inputs. Allocations
//!   against providers the run did not create are refused because they
//!   take capacity from a real cloud's scheduler; aggregates set on a
//!   provider must carry the run id, since joining a deployment's aggregate
//!   would let the run's provider share resources with real ones. A
//!   write that creates (`POST /resource_providers`,
//!   `POST /resource_classes`) is allowed,
//!   except under a parent provider that is not the run's. A redirect
//!   is followed as a new request that goes through the guard again, so a
//!   redirect cannot point a write at another object than the one checked.
//!
//!   [`Ownership::DisposableTarget`] lifts the ownership rule (journaling
//!   and read-only still apply) for a target the harness or a test started
//!   itself: the embedded server, or a fresh `scripts/placement-up`
//!   Placement. Placement's own gabbits need it, since they create and
//!   delete fixed names (`CUSTOM_TRAIT_1`) and unmarked UUIDs.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::exchange::{self, Exchange, Request};
use crate::journal::{Entry, Journal, ObjectKind, canonical_uuid};
use crate::persona::Persona;
use crate::run_id::RunId;
use crate::target_check::ApiVersions;
use crate::transport::{Transport, TransportError};

/// Whose objects a run may change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ownership {
    /// Only objects the run created or that carry its id (any target the
    /// harness did not start).
    Strict,
    /// Anything: the target was started by the harness or a test and is
    /// thrown away afterwards.
    DisposableTarget,
}

/// The consumer types every deployment that runs Nova has (Nova writes
/// them): an allocation of one of these adds no consumer type.
const KNOWN_CONSUMER_TYPES: [&str; 2] = ["INSTANCE", "MIGRATION"];

/// Whether Placement would read `consumer_type` from this request's body:
/// from microversion 1.38 (or `latest`); an unreadable version counts.
fn consumer_types_apply(request: &Request) -> bool {
    let Some(value) = exchange::find_header(&request.headers, "openstack-api-version") else {
        return false;
    };
    let version = value.trim().trim_start_matches("placement").trim();
    match version.split_once('.') {
        Some((major, minor)) => match (major.parse::<u32>(), minor.parse::<u32>()) {
            (Ok(major), Ok(minor)) => (major, minor) >= (1, 38),
            _ => true,
        },
        None => true,
    }
}

/// Every `consumer_type` an allocations body names: at its top level
/// (`PUT /allocations/{c}`) or per consumer (`POST /allocations`, the
/// reshaper's `allocations`).
fn consumer_types(body: Option<&Value>) -> Vec<String> {
    let mut out = Vec::new();
    let mut visit = |v: &Value| {
        if let Some(Value::String(t)) = v.get("consumer_type") {
            out.push(t.clone());
        }
    };
    if let Some(b) = body {
        visit(b);
        let per_consumer = b
            .get("allocations")
            .filter(|_| b.get("inventories").is_some());
        for map in [Some(b), per_consumer].into_iter().flatten() {
            if let Value::Object(m) = map {
                m.values().for_each(&mut visit);
            }
        }
    }
    out
}

/// The reason read-only mode gives for a skipped write.
pub const READ_ONLY: &str = "read-only";

/// The rules themselves, apart from any transport: what may be sent, and
/// what a response says the run created. [`GuardedTransport`] applies them
/// to every request a command sends.
#[derive(Debug)]
pub struct Guard {
    journal: Arc<Journal>,
    run_id: RunId,
    base_path: String,
    read_only: bool,
    ownership: Ownership,
}

/// A [`Transport`] that enforces read-only mode and ownership and journals
/// what the run creates.
#[derive(Debug)]
pub struct GuardedTransport<T> {
    inner: T,
    guard: Guard,
    versions: Option<ApiVersions>,
    skip_foreign: bool,
}

/// A request body as JSON, if it is JSON.
fn request_json(request: &Request) -> Option<Value> {
    serde_json::from_str(request.body.as_deref()?).ok()
}

/// A request's place in Placement's API: the path below the base URL,
/// split and percent-decoded.
fn segments(url: &str, base_path: &str) -> Option<Vec<String>> {
    let parsed = url::Url::parse(url).ok()?;
    let path = parsed.path();
    let rest = path.strip_prefix(base_path.trim_end_matches('/'))?;
    let segs = rest
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    Some(segs)
}

/// `%XX` escapes decoded; a `%` not followed by two hex digits stays as it
/// is, and bytes that are not UTF-8 become U+FFFD.
pub(crate) fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Python's `uuid.UUID(text)`: `urn:` and `uuid:` removed, braces stripped
/// at both ends, every dash removed, then 32 hex digits. Placement accepts
/// some of these spellings, so ownership compares the value they denote.
pub fn python_uuid(text: &str) -> Option<uuid::Uuid> {
    let t = text.replace("urn:", "").replace("uuid:", "");
    let t = t.trim_matches(|c| c == '{' || c == '}').replace('-', "");
    if t.len() != 32 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    uuid::Uuid::try_parse(&t).ok()
}

impl<T: Transport> GuardedTransport<T> {
    /// Guards `inner`, whose base URL has the path `base_path` (`/` or
    /// `/placement`), journaling into `journal`.
    pub fn new(
        inner: T,
        journal: Arc<Journal>,
        base_path: &str,
        read_only: bool,
        ownership: Ownership,
    ) -> Self {
        GuardedTransport::over(inner, Guard::new(journal, base_path, read_only, ownership))
    }

    /// Guards `inner` with `guard`.
    pub fn over(inner: T, guard: Guard) -> Self {
        GuardedTransport {
            inner,
            guard,
            versions: None,
            skip_foreign: false,
        }
    }

    /// Also skips requests that ask for a microversion outside `versions`
    /// (the target check's range), unless that header is the input the
    /// request probes with.
    pub fn with_versions(mut self, versions: ApiVersions) -> Self {
        self.versions = Some(versions);
        self
    }

    /// Reports a write to an object the run does not own as skipped
    /// ([`Transport::skip_reason`]), as the scan and the fuzzer count it,
    /// instead of as a refused request, which a suite test reports as
    /// failed (or xfail) so that its author sees it was not sent.
    pub fn skipping_foreign_writes(mut self) -> Self {
        self.skip_foreign = true;
        self
    }

    fn version_refusal(&self, request: &Request) -> Option<String> {
        let versions = self.versions?;
        let value = exchange::find_header(&request.headers, "openstack-api-version")?;
        // A step that sends an odd version on purpose asks how the target
        // refuses it.
        if request.input.value.as_deref() == Some(value) {
            return None;
        }
        versions.refusal(value)
    }

    /// The wrapped transport.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// The run's journal.
    pub fn journal(&self) -> &Arc<Journal> {
        &self.guard.journal
    }

    /// The rules this transport applies.
    pub fn guard(&self) -> &Guard {
        &self.guard
    }
}

impl Guard {
    /// The rules for a run journaling into `journal`, against a base URL
    /// whose path is `base_path` (`/` or `/placement`).
    pub fn new(
        journal: Arc<Journal>,
        base_path: &str,
        read_only: bool,
        ownership: Ownership,
    ) -> Self {
        Guard {
            run_id: journal.run_id(),
            journal,
            base_path: base_path.to_owned(),
            read_only,
            ownership,
        }
    }

    /// The run's journal.
    pub fn journal(&self) -> &Arc<Journal> {
        &self.journal
    }

    /// Why `request` must not be sent (read-only mode, or an object the run
    /// does not own under strict ownership); `None` when it may go.
    pub fn refusal(&self, request: &Request) -> Option<String> {
        if is_read(&request.method) {
            return None;
        }
        if self.read_only {
            return Some(READ_ONLY.to_owned());
        }
        if self.ownership == Ownership::Strict {
            let segs = segments(&request.url, &self.base_path).unwrap_or_default();
            if let Err(e) = self.check_ownership(request, &segs) {
                return Some(e.0);
            }
        }
        None
    }

    /// Journals, before a write is sent, what of the run's own it names
    /// and may create (a consumer, a provider by its uuid): a run killed
    /// after the server committed but before the answer came back still
    /// leaves cleanup a line for it (a 404 then counts as gone). Names not
    /// marked as the run's are journaled only once an answer says they
    /// were made, so that cleanup never deletes a deployment's object of
    /// the same name.
    pub fn note_before(&self, request: &Request) -> Result<(), String> {
        if is_read(&request.method) {
            return Ok(());
        }
        let segs = segments(&request.url, &self.base_path).unwrap_or_default();
        // A 5xx is the answer that says nothing: what the request names of
        // the run's own is journaled, and nothing else.
        let unknown = exchange::Response {
            status: 500,
            ..exchange::Response::default()
        };
        // Only ids that are exactly the run's, in the one spelling cleanup
        // can name: a spelled UUID or a name with a newline is journaled
        // as Placement stored it, which only its answer tells.
        // Associations (inventories, traits, aggregates of a provider)
        // go with their provider and are journaled once made: one written
        // ahead for a provider that never came to be would count as left.
        let run = self.run_id;
        self.record_if(request, &segs, &unknown, |e| {
            e.kind.stands_alone() && run.owns(&e.id) && (canonical_uuid(&e.id) || plain_name(&e.id))
        })
    }

    /// Journals what a successful write created; call it before handing
    /// the response on.
    pub fn note(&self, request: &Request, response: &Exchange) -> Result<(), String> {
        if is_read(&request.method) {
            return Ok(());
        }
        let segs = segments(&request.url, &self.base_path).unwrap_or_default();
        self.record(request, &segs, response.response())
    }

    /// Whether an object id or name is the run's: journaled, or marked.
    fn ours(&self, key: &str) -> bool {
        if self.journal.created(key) || self.run_id.owns(key) {
            return true;
        }
        match python_uuid(key) {
            Some(u) => {
                let canonical = u.hyphenated().to_string();
                self.journal.created(&canonical) || self.run_id.owns(&canonical)
            }
            None => false,
        }
    }

    fn refuse(&self, request: &Request, what: &str, key: &str) -> Result<(), TransportError> {
        if self.ours(key) {
            return Ok(());
        }
        Err(TransportError(format!(
            "refused before sending {} {}: {what} {key:?} was not created by run {} and \
             does not carry its id (ownership is strict; pass --disposable-target only for \
             a server started for the test)",
            request.method, request.url, self.run_id
        )))
    }

    /// The providers an allocations body consumes from and the consumers it
    /// writes, in the list (< 1.12), dict and consumer-keyed
    /// (`POST /allocations`, reshaper) forms.
    fn allocation_parts(body: &Value, consumer_keyed: bool) -> (Vec<String>, Vec<String>) {
        let mut providers = Vec::new();
        let mut consumers = Vec::new();
        let one = |allocs: Option<&Value>, providers: &mut Vec<String>| match allocs {
            Some(Value::Object(by_rp)) => providers.extend(by_rp.keys().cloned()),
            Some(Value::Array(list)) => providers.extend(list.iter().filter_map(|a| {
                a.pointer("/resource_provider/uuid")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })),
            _ => {}
        };
        if consumer_keyed {
            if let Value::Object(map) = body {
                for (consumer, v) in map {
                    consumers.push(consumer.clone());
                    one(v.get("allocations"), &mut providers);
                }
            }
        } else {
            one(body.get("allocations"), &mut providers);
        }
        (providers, consumers)
    }

    /// Refuses a write whose effect no cleanup could undo: a class made
    /// with a name Placement stores but cannot address, or a consumer type
    /// (Placement has no API that deletes one).
    fn check_undoable(
        &self,
        request: &Request,
        segs: &[&str],
        body: Option<&Value>,
    ) -> Result<(), TransportError> {
        let refuse = |what: String| {
            Err(TransportError(format!(
                "refused before sending {} {}: it would leave {what}, which no cleanup \
                 could remove (ownership is strict; --disposable-target sends it and \
                 reports what is left)",
                request.method, request.url
            )))
        };
        if let (("POST", ["resource_classes"]), Some(name)) = (
            (request.method.as_str(), segs),
            body.and_then(|b| b.get("name")).and_then(Value::as_str),
        ) {
            use placement_core::names::{
                PlacementNamePattern, ResourceClass, placement_pattern_accepts,
            };
            if placement_pattern_accepts(PlacementNamePattern::Custom, name)
                && ResourceClass::parse_custom(name).is_err()
            {
                return refuse(format!(
                    "resource class {name:?}, stored with its trailing newline, which \
                     Placement's router drops"
                ));
            }
        }
        let allocation_write = matches!(
            (request.method.as_str(), segs),
            (_, ["allocations", _]) | ("POST", ["allocations" | "reshaper"])
        );
        if allocation_write && consumer_types_apply(request) {
            use placement_core::names::{PlacementNamePattern, placement_pattern_accepts};
            // A type Placement refuses (400) adds nothing: only one it
            // would store counts.
            for t in consumer_types(body) {
                if !KNOWN_CONSUMER_TYPES.contains(&t.as_str())
                    && placement_pattern_accepts(PlacementNamePattern::Token, &t)
                {
                    return refuse(format!("consumer type {t:?}"));
                }
            }
        }
        Ok(())
    }

    fn check_ownership(&self, request: &Request, segs: &[String]) -> Result<(), TransportError> {
        let method = request.method.as_str();
        let body = request_json(request);
        let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
        self.check_undoable(request, &segs, body.as_ref())?;
        match (method, segs.as_slice()) {
            ("POST", ["resource_providers"]) => {
                if let Some(parent) = body
                    .as_ref()
                    .and_then(|b| b.get("parent_provider_uuid"))
                    .and_then(Value::as_str)
                {
                    self.refuse(request, "parent provider", parent)?;
                }
                Ok(())
            }
            ("POST", ["resource_classes"]) => Ok(()),
            (_, ["resource_providers", rp, "aggregates"]) => {
                self.refuse(request, "resource provider", rp)?;
                // Joining a deployment's aggregate would make the run's
                // providers share resources with real compute nodes.
                let listed = match &body {
                    Some(Value::Array(list)) => Some(list),
                    Some(b) => b.get("aggregates").and_then(Value::as_array),
                    None => None,
                };
                for agg in listed.into_iter().flatten().filter_map(Value::as_str) {
                    if !self.run_id.owns(agg) {
                        self.refuse(request, "aggregate", agg)?;
                    }
                }
                Ok(())
            }
            (_, ["resource_providers", rp, rest @ ..]) => {
                self.refuse(request, "resource provider", rp)?;
                let parent = body
                    .as_ref()
                    .and_then(|b| b.get("parent_provider_uuid"))
                    .and_then(Value::as_str);
                match parent {
                    Some(parent) if rest.is_empty() => {
                        self.refuse(request, "parent provider", parent)
                    }
                    _ => Ok(()),
                }
            }
            (_, ["allocations", consumer]) => {
                self.refuse(request, "consumer", consumer)?;
                if let Some(b) = &body {
                    let (providers, _) = Self::allocation_parts(b, false);
                    for rp in providers {
                        self.refuse(request, "resource provider (allocated from)", &rp)?;
                    }
                }
                Ok(())
            }
            ("POST", ["allocations"]) => {
                if let Some(b) = &body {
                    let (providers, consumers) = Self::allocation_parts(b, true);
                    for c in consumers {
                        self.refuse(request, "consumer", &c)?;
                    }
                    for rp in providers {
                        self.refuse(request, "resource provider (allocated from)", &rp)?;
                    }
                }
                Ok(())
            }
            ("POST", ["reshaper"]) => {
                if let Some(b) = &body {
                    if let Some(Value::Object(inv)) = b.get("inventories") {
                        for rp in inv.keys() {
                            self.refuse(request, "resource provider", rp)?;
                        }
                    }
                    if let Some(allocs) = b.get("allocations") {
                        let (providers, consumers) = Self::allocation_parts(allocs, true);
                        for c in consumers {
                            self.refuse(request, "consumer", &c)?;
                        }
                        for rp in providers {
                            self.refuse(request, "resource provider (allocated from)", &rp)?;
                        }
                    }
                }
                Ok(())
            }
            (_, ["resource_classes", name]) => self.refuse(request, "resource class", name),
            (_, ["traits", name]) => self.refuse(request, "trait", name),
            // Anything else is not an object Placement has (404/405), or
            // a collection write checked above.
            _ => Ok(()),
        }
    }

    /// Appends to the journal what a successful write created.
    fn record(
        &self,
        request: &Request,
        segs: &[String],
        response: &exchange::Response,
    ) -> Result<(), String> {
        self.record_if(request, segs, response, |_| true)
    }

    /// [`Guard::record`], journaling only the entries `keep` accepts.
    fn record_if(
        &self,
        request: &Request,
        segs: &[String],
        response: &exchange::Response,
        keep: impl Fn(&Entry) -> bool,
    ) -> Result<(), String> {
        // A 5xx write may still have taken effect (a database that commits
        // before the handler fails): what the request names of the run's
        // own is journaled too, so cleanup tries it (a 404 then counts as
        // gone) rather than leave it behind unlisted.
        let status = response.status;
        let maybe = (500..600).contains(&status);
        if !(200..300).contains(&status) && !maybe {
            return Ok(());
        }
        let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
        let body = request_json(request);
        let mut entries = Vec::new();
        let rp_entry = |uuid: &str, parent: Option<&str>| {
            Entry::new(
                ObjectKind::Provider,
                uuid,
                &format!("/resource_providers/{uuid}"),
            )
            .with_parent(parent)
        };
        let consumer = |c: &str| Entry::new(ObjectKind::Consumer, c, &format!("/allocations/{c}"));
        let parent = body
            .as_ref()
            .and_then(|b| b.get("parent_provider_uuid"))
            .and_then(Value::as_str);
        match (request.method.as_str(), segs.as_slice()) {
            ("POST", ["resource_providers"]) => {
                let from_location = exchange::find_header(&response.headers, "location")
                    .and_then(|l| l.trim_end_matches('/').rsplit('/').next())
                    .map(percent_decode);
                let from_body = serde_json::from_slice::<Value>(&response.body)
                    .ok()
                    .and_then(|b| b.get("uuid").and_then(Value::as_str).map(str::to_owned));
                let from_request = body
                    .as_ref()
                    .and_then(|b| b.get("uuid"))
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                match from_location.or(from_body).or(from_request) {
                    Some(uuid) => entries.push(rp_entry(&uuid, parent)),
                    // Without a uuid in the request a failed create names
                    // nothing the run could find again.
                    None if maybe => {}
                    None => {
                        return Err(format!(
                            "POST {}: a provider was created ({}) but neither the Location \
                             header nor the body names it",
                            request.url, status
                        ));
                    }
                }
            }
            // A re-parenting is recorded so that cleanup orders children
            // first; an entry with the same parent is not written twice.
            ("PUT", ["resource_providers", rp]) if self.journal.created(rp) => {
                entries.push(rp_entry(rp, parent));
            }
            ("POST", ["resource_classes"]) => {
                let name = body
                    .as_ref()
                    .and_then(|b| b.get("name"))
                    .and_then(Value::as_str);
                if let (201 | 500..=599, Some(name)) = (status, name) {
                    entries.push(Entry::new(
                        ObjectKind::ResourceClass,
                        name,
                        &format!("/resource_classes/{name}"),
                    ));
                }
            }
            ("PUT", ["resource_classes", name]) if status == 201 || maybe => {
                entries.push(Entry::new(
                    ObjectKind::ResourceClass,
                    name,
                    &format!("/resource_classes/{name}"),
                ));
            }
            ("PUT", ["traits", name]) if status == 201 || maybe => {
                entries.push(Entry::new(
                    ObjectKind::Trait,
                    name,
                    &format!("/traits/{name}"),
                ));
            }
            // Placement stores this consumer as `str(uuid.UUID(path))`
            // (handlers/allocation.py _set_allocations_for_consumer), so a
            // spelling it accepts (upper case, braces, even one brace) is
            // journaled as the consumer it really made: cleanup could not
            // name the spelling (POST /allocations refuses it with 400).
            ("PUT", ["allocations", c]) => {
                let stored = placement_core::python::uuid_from_hex(c)
                    .map(|v| uuid::Uuid::from_u128(v).hyphenated().to_string());
                entries.push(consumer(stored.as_deref().unwrap_or(c)))
            }
            ("POST", ["allocations"]) => {
                if let Some(b) = &body {
                    let (_, consumers) = Self::allocation_parts(b, true);
                    entries.extend(consumers.iter().map(|c| consumer(c)));
                }
            }
            ("POST", ["reshaper"]) => {
                if let Some(b) = &body {
                    if let Some(Value::Object(inv)) = b.get("inventories") {
                        for rp in inv.keys() {
                            entries.push(
                                Entry::new(
                                    ObjectKind::Inventory,
                                    rp,
                                    &format!("/resource_providers/{rp}/inventories"),
                                )
                                .with_parent(Some(rp)),
                            );
                        }
                    }
                    if let Some(allocs) = b.get("allocations") {
                        let (_, consumers) = Self::allocation_parts(allocs, true);
                        entries.extend(consumers.iter().map(|c| consumer(c)));
                    }
                }
            }
            ("PUT" | "POST", ["resource_providers", rp, "inventories", ..]) => {
                entries.push(
                    Entry::new(
                        ObjectKind::Inventory,
                        rp,
                        &format!("/resource_providers/{rp}/inventories"),
                    )
                    .with_parent(Some(rp)),
                );
            }
            ("PUT", ["resource_providers", rp, "traits"]) => {
                entries.push(
                    Entry::new(
                        ObjectKind::ProviderTraits,
                        rp,
                        &format!("/resource_providers/{rp}/traits"),
                    )
                    .with_parent(Some(rp)),
                );
            }
            ("PUT", ["resource_providers", rp, "aggregates"]) => {
                entries.push(
                    Entry::new(
                        ObjectKind::Aggregates,
                        rp,
                        &format!("/resource_providers/{rp}/aggregates"),
                    )
                    .with_parent(Some(rp)),
                );
            }
            _ => {}
        }
        for e in entries {
            if maybe && !self.ours(&e.id) || !keep(&e) {
                continue;
            }
            self.journal.record(e).map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

/// A class or trait name of `[A-Z0-9_]` only.
fn plain_name(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

fn is_read(method: &str) -> bool {
    matches!(method, "GET" | "HEAD")
}

impl<T: Transport> Transport for GuardedTransport<T> {
    fn skip_reason(&self, request: &Request) -> Option<String> {
        if self.guard.read_only && !is_read(&request.method) {
            return Some(READ_ONLY.to_owned());
        }
        if self.skip_foreign
            && let Some(why) = self.guard.refusal(request)
        {
            return Some(why);
        }
        self.version_refusal(request)
            .or_else(|| self.inner.skip_reason(request))
    }

    async fn send(
        &self,
        request: Request,
        persona: Option<&Persona>,
    ) -> Result<Exchange, TransportError> {
        // Checked here, not only in `skip_reason`: a caller that did not
        // ask must still not reach the server.
        if let Some(why) = self.guard.refusal(&request) {
            return Err(TransportError(if why == READ_ONLY {
                format!("{READ_ONLY}: {} {} not sent", request.method, request.url)
            } else {
                why
            }));
        }
        if let Some(why) = self.version_refusal(&request) {
            return Err(TransportError(format!("not sent: {why}")));
        }
        if is_read(&request.method) {
            return self.inner.send(request, persona).await;
        }
        let judged = request.clone();
        self.guard.note_before(&judged).map_err(|e| {
            TransportError(format!(
                "{} {} not sent: what it may create could not be journaled first: {e}",
                judged.method, judged.url
            ))
        })?;
        let exchange = self.inner.send(request, persona).await?;
        self.guard.note(&judged, &exchange).map_err(|e| {
            TransportError(format!(
                "{} {} succeeded ({}) but what it created could not be journaled, so \
                 cleanup will not know it: {e}",
                judged.method,
                judged.url,
                exchange.status()
            ))
        })?;
        Ok(exchange)
    }

    async fn sleep(&self, delay: Duration) {
        self.inner.sleep(delay).await;
    }
}

#[cfg(test)]
pub(crate) mod tests;

#[cfg(test)]
mod decode_tests {
    #[test]
    fn percent_decoding_keeps_invalid_escapes() {
        assert_eq!(super::percent_decode("a%0Ab%zz%4"), "a\nb%zz%4");
    }
}
