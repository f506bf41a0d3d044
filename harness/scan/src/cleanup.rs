//! Cleanup: delete what a run's [`Journal`] says the run created, in an
//! order Placement accepts, at the end of a run, on Ctrl-C, and with
//! `placement-harness cleanup --run-id ID` after a crash.
//!
//! Order: consumers first (`DELETE /allocations/{uuid}`: a provider with
//! allocations cannot be deleted), then inventories and traits the run set
//! on providers it did not create, then providers, children before parents
//! (inventories, traits and aggregate associations go with a provider),
//! then custom traits and resource classes (a class still in an inventory
//! cannot be deleted). A `404` means already gone, which is fine. A
//! provider refused with `409` (it still has children, perhaps re-parented
//! under it during the run) is tried again after the others, a bounded
//! number of passes.
//!
//! Bounded: at most [`CleanupConfig::max_objects`] objects and
//! [`CleanupConfig::deadline`] of wall time; what was not tried is listed.
//! Only journaled objects are deleted: cleanup never lists the server to
//! find more.
//!
//! Ctrl-C: [`run_with_cleanup`] runs a future in a `select!` with
//! `tokio::signal::ctrl_c()` and cleans up whichever finishes first. The
//! scan should wrap its run the same way.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::time::{Duration, Instant};

use crate::journal::{Entry, Journal, ObjectKind, canonical_uuid};
use crate::persona::Persona;
use crate::suite::Response;
use crate::transport::{Transport, plain_request};

/// Bounds and identity of a cleanup.
#[derive(Debug, Clone)]
pub struct CleanupConfig {
    /// Base URL the journal's paths are joined to.
    pub base_url: String,
    /// Persona whose credentials the deletes carry (`None`: send as is).
    pub persona: Option<Persona>,
    /// Extra headers on every request (e.g. `x-auth-token` for suites that
    /// authenticate with their own headers).
    pub headers: Vec<(String, String)>,
    /// Most objects tried.
    pub max_objects: usize,
    /// Most wall time spent.
    pub deadline: Duration,
}

impl CleanupConfig {
    /// Deletes against `base_url` as `persona`, at most 10,000 objects in
    /// five minutes.
    pub fn new(base_url: &str, persona: Option<&Persona>) -> Self {
        CleanupConfig {
            base_url: base_url.trim_end_matches('/').to_owned(),
            persona: persona.cloned(),
            headers: Vec::new(),
            max_objects: 10_000,
            deadline: Duration::from_secs(300),
        }
    }
}

/// An object cleanup could not delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanupFailure {
    /// The object.
    pub entry: Entry,
    /// The status, when the server answered.
    pub status: Option<u16>,
    /// Why (the server's error detail, or the transport error).
    pub reason: String,
}

/// What cleanup did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CleanupReport {
    /// Deleted now.
    pub removed: Vec<Entry>,
    /// Already gone (404).
    pub already_gone: Vec<Entry>,
    /// Associations removed with their provider (no request of their own).
    pub with_provider: Vec<Entry>,
    /// Could not be deleted.
    pub failed: Vec<CleanupFailure>,
    /// Not tried: the count or time bound was reached.
    pub not_tried: Vec<Entry>,
}

impl CleanupReport {
    /// Whether nothing the run created is left.
    pub fn is_clean(&self) -> bool {
        self.failed.is_empty() && self.not_tried.is_empty()
    }

    /// Human-readable lines: a summary, then every failure and untried
    /// object.
    pub fn render(&self) -> String {
        let mut s = format!(
            "cleanup: {} removed, {} already gone, {} with their provider, {} failed, {} not tried\n",
            self.removed.len(),
            self.already_gone.len(),
            self.with_provider.len(),
            self.failed.len(),
            self.not_tried.len()
        );
        for f in &self.failed {
            let status = f
                .status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "no answer".into());
            s.push_str(&format!(
                "  left: {} {} (DELETE {}): {status}: {}\n",
                f.entry.kind.as_str(),
                exact(&f.entry.id),
                exact(&f.entry.path),
                f.reason
            ));
        }
        for e in &self.not_tried {
            s.push_str(&format!(
                "  not tried (bound reached): {} {}\n",
                e.kind.as_str(),
                e.id
            ));
        }
        s
    }
}

/// `id` as it is, or quoted with escapes when it holds a character a
/// reader could not see (a trailing newline): the exact name is what an
/// operator needs to find what was left.
fn exact(id: &str) -> String {
    if id.chars().any(|c| c.is_control() || c.is_whitespace()) {
        format!("{id:?}")
    } else {
        id.to_owned()
    }
}

/// Placement's error detail from a response body, or its start.
fn reason(response: &Response) -> String {
    let detail = response.json().ok().flatten().and_then(|v| {
        v.pointer("/errors/0/detail")
            .and_then(|d| d.as_str())
            .map(|d| d.split_whitespace().collect::<Vec<_>>().join(" "))
    });
    detail.unwrap_or_else(|| {
        String::from_utf8_lossy(&response.body)
            .chars()
            .take(200)
            .collect()
    })
}

/// How deep a provider sits among the journaled ones (roots 0), from the
/// last parent recorded for each; cycles are cut by the bound.
fn depths(providers: &[Entry]) -> BTreeMap<String, usize> {
    let mut parent: BTreeMap<&str, &str> = BTreeMap::new();
    for e in providers {
        match &e.parent {
            Some(p) => {
                parent.insert(&e.id, p);
            }
            None => {
                parent.remove(e.id.as_str());
            }
        }
    }
    let mut out = BTreeMap::new();
    for e in providers {
        let mut depth = 0;
        let mut at = e.id.as_str();
        while let Some(p) = parent.get(at) {
            depth += 1;
            at = p;
            if depth > providers.len() {
                break;
            }
        }
        out.insert(e.id.clone(), depth);
    }
    out
}

/// Characters of a journaled path that must be escaped to reach the
/// object: the journal keeps ids as the server stored them, and an id
/// Placement wrongly accepted may hold a newline or a space, which a URL
/// parser would silently drop (and the DELETE would hit another path).
const PATH_ESCAPES: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'\\')
    .add(b'^')
    .add(b'|');

/// `path` with every character that is not safe in a URL path escaped.
fn encode_path(path: &str) -> String {
    percent_encoding::utf8_percent_encode(path, PATH_ESCAPES).to_string()
}

enum Deleted {
    Removed,
    Gone,
    Failed(Option<u16>, String),
}

struct Cleaner<'a, T: ?Sized> {
    transport: &'a T,
    config: &'a CleanupConfig,
    started: Instant,
    tried: usize,
}

impl<T: Transport + ?Sized> Cleaner<'_, T> {
    fn bound_reached(&self) -> bool {
        self.tried >= self.config.max_objects || self.started.elapsed() >= self.config.deadline
    }

    async fn delete(&mut self, path: &str) -> Deleted {
        self.tried += 1;
        let mut headers = vec![(
            "openstack-api-version".to_owned(),
            "placement latest".to_owned(),
        )];
        headers.extend(self.config.headers.iter().cloned());
        let url = format!("{}{}", self.config.base_url, encode_path(path));
        let request = plain_request("DELETE", &url, &headers, &[]);
        let sent = self
            .transport
            .send(request, self.config.persona.as_ref())
            .await;
        match sent.map(|ex| Response::of(&ex)) {
            Ok(r) if (200..300).contains(&r.status) => Deleted::Removed,
            Ok(r) if r.status == 404 => Deleted::Gone,
            Ok(r) => Deleted::Failed(Some(r.status), reason(&r)),
            Err(e) => Deleted::Failed(None, e.0),
        }
    }
}

/// Deletes what `journal` lists, in a safe order, through `transport`.
pub async fn cleanup<T: Transport + ?Sized>(
    transport: &T,
    journal: &Journal,
    config: &CleanupConfig,
) -> CleanupReport {
    let entries = journal.entries();
    let mut report = CleanupReport::default();
    let mut cleaner = Cleaner {
        transport,
        config,
        started: Instant::now(),
        tried: 0,
    };
    let of = |kinds: &[ObjectKind]| -> Vec<Entry> {
        let mut seen = BTreeSet::new();
        entries
            .iter()
            .filter(|e| kinds.contains(&e.kind))
            .filter(|e| seen.insert((e.kind, e.id.clone())))
            .cloned()
            .collect()
    };
    let providers = of(&[ObjectKind::Provider]);
    let provider_ids: BTreeSet<&str> = providers.iter().map(|e| e.id.as_str()).collect();

    // Consumers, then associations on providers the run did not create.
    let mut simple = of(&[ObjectKind::Consumer]);
    for e in of(&[
        ObjectKind::Inventory,
        ObjectKind::ProviderTraits,
        ObjectKind::Aggregates,
    ]) {
        if provider_ids.contains(e.id.as_str()) {
            report.with_provider.push(e);
        } else if e.kind == ObjectKind::Aggregates {
            report.failed.push(CleanupFailure {
                entry: e,
                status: None,
                reason: "aggregates set on a provider the run did not create are left: \
                         removing them needs a PUT with that provider's generation"
                    .to_owned(),
            });
        } else {
            simple.push(e);
        }
    }
    for e in simple {
        if e.kind == ObjectKind::Consumer && !canonical_uuid(&e.id) {
            clear_consumer(&mut cleaner, &mut report, e).await;
        } else {
            one(&mut cleaner, &mut report, e).await;
        }
    }

    // Providers, deepest first; a 409 is retried after the others.
    let depth = depths(
        &entries
            .iter()
            .filter(|e| e.kind == ObjectKind::Provider)
            .cloned()
            .collect::<Vec<_>>(),
    );
    let mut pending = providers;
    pending.sort_by_key(|e| std::cmp::Reverse(depth.get(&e.id).copied().unwrap_or(0)));
    let passes = pending.len().clamp(1, 16);
    for pass in 0..passes {
        let mut retry = Vec::new();
        let last = pass + 1 == passes;
        for e in std::mem::take(&mut pending) {
            if cleaner.bound_reached() {
                report.not_tried.push(e);
                continue;
            }
            match cleaner.delete(&e.path).await {
                Deleted::Removed => report.removed.push(e),
                Deleted::Gone => report.already_gone.push(e),
                Deleted::Failed(Some(409), _) if !last => retry.push(e),
                Deleted::Failed(status, reason) => report.failed.push(CleanupFailure {
                    entry: e,
                    status,
                    reason,
                }),
            }
        }
        if retry.is_empty() {
            break;
        }
        pending = retry;
    }

    for e in of(&[ObjectKind::Trait]) {
        one(&mut cleaner, &mut report, e).await;
    }
    for e in of(&[ObjectKind::ResourceClass]) {
        one(&mut cleaner, &mut report, e).await;
    }
    report
}

async fn one<T: Transport + ?Sized>(
    cleaner: &mut Cleaner<'_, T>,
    report: &mut CleanupReport,
    e: Entry,
) {
    if cleaner.bound_reached() {
        report.not_tried.push(e);
        return;
    }
    if matches!(e.kind, ObjectKind::ResourceClass | ObjectKind::Trait) && e.id.ends_with('\n') {
        // Placement's router drops the newline: the DELETE would reach the
        // name without it (another object, or a 404 that looks like gone).
        report.failed.push(CleanupFailure {
            entry: e,
            status: None,
            reason: "Placement cannot address a name with a trailing newline (its router \
                     drops it): nothing can delete it through the API"
                .to_owned(),
        });
        return;
    }
    match cleaner.delete(&e.path).await {
        Deleted::Removed => report.removed.push(e),
        Deleted::Gone => report.already_gone.push(e),
        Deleted::Failed(status, reason) => report.failed.push(CleanupFailure {
            entry: e,
            status,
            reason,
        }),
    }
}

/// Removes the allocations of a consumer whose id Placement accepted although
/// it is not a canonical UUID (`36-dashes`, a trailing newline): such an id
/// cannot be trusted in a path (Python's `$` matches before a trailing
/// newline, URL parsers drop control characters), so it is cleared by name
/// in a `POST /allocations` body with empty allocations (1.13+; 1.27 needs
/// no consumer generation), which is where Placement accepted it.
async fn clear_consumer<T: Transport + ?Sized>(
    cleaner: &mut Cleaner<'_, T>,
    report: &mut CleanupReport,
    e: Entry,
) {
    if cleaner.bound_reached() {
        report.not_tried.push(e);
        return;
    }
    cleaner.tried += 1;
    let body = serde_json::json!({
        e.id.clone(): {
            "allocations": {},
            "project_id": "placement-harness-cleanup",
            "user_id": "placement-harness-cleanup",
        }
    });
    let mut headers = vec![
        (
            "openstack-api-version".to_owned(),
            "placement 1.27".to_owned(),
        ),
        ("content-type".to_owned(), "application/json".to_owned()),
    ];
    headers.extend(cleaner.config.headers.iter().cloned());
    let url = format!(
        "{}/allocations",
        cleaner.config.base_url.trim_end_matches('/')
    );
    let request = plain_request("POST", &url, &headers, body.to_string().as_bytes());
    let sent = cleaner
        .transport
        .send(request, cleaner.config.persona.as_ref())
        .await;
    match sent.map(|ex| Response::of(&ex)) {
        Ok(r) if (200..300).contains(&r.status) => report.removed.push(e),
        Ok(r) => {
            // A database may store the id differently from how it was
            // sent: MariaDB cuts `<uuid>\n` to its VARCHAR(36), the
            // canonical UUID, which a plain DELETE reaches; PostgreSQL
            // refuses the 37 characters (the write's 500 made nothing, and
            // the clear's POST, which would make it, fails alike), so there
            // a 404 for the canonical UUID means nothing is there.
            let trimmed = e.id.trim_end();
            if trimmed != e.id && canonical_uuid(trimmed) && !cleaner.bound_reached() {
                let stored = format!("/allocations/{trimmed}");
                match cleaner.delete(&stored).await {
                    Deleted::Removed => {
                        report.removed.push(e);
                        return;
                    }
                    Deleted::Gone if r.status >= 500 || r.status == 404 => {
                        report.already_gone.push(e);
                        return;
                    }
                    _ => {}
                }
            }
            let status = Some(r.status);
            report.failed.push(CleanupFailure {
                entry: e,
                status,
                reason: reason(&r),
            });
        }
        Err(err) => report.failed.push(CleanupFailure {
            entry: e,
            status: None,
            reason: err.0,
        }),
    }
}

/// How [`run_with_cleanup`] ended.
#[derive(Debug)]
pub enum Finished<O> {
    /// The work finished with this output.
    Completed(O),
    /// Ctrl-C arrived first; the work was dropped.
    Interrupted,
}

/// Resolves on Ctrl-C; never, if the handler cannot be installed (the run
/// then simply is not interruptible, rather than interrupted at once).
async fn interrupted() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Runs `work` until it ends or Ctrl-C arrives, then cleans up what the
/// journal lists either way. A second Ctrl-C during cleanup is not caught
/// here: the process ends and `cleanup --run-id` finishes the job.
pub async fn run_with_cleanup<T, F>(
    work: F,
    transport: &T,
    journal: &Journal,
    config: &CleanupConfig,
) -> (Finished<F::Output>, CleanupReport)
where
    T: Transport + ?Sized,
    F: Future,
{
    let finished = tokio::select! {
        out = work => Finished::Completed(out),
        () = interrupted() => Finished::Interrupted,
    };
    let report = cleanup(transport, journal, config).await;
    (finished, report)
}

pub mod command;
#[cfg(test)]
mod tests;
