//! Findings: what an oracle reports, in the shape of docs/DESIGN.md's Findings
//! JSON, with a stable id so that runs, platforms and report kinds agree on
//! which finding is which.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::cause::Cause;
use crate::exchange::{Exchange, Header};

/// The most response body a finding keeps; reports stay readable and a
/// huge reflected body cannot blow them up.
pub const BODY_EXCERPT_LIMIT: usize = 2048;

/// How bad a finding is. Ordered: `Info < Low < ... < Critical`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing, not a defect.
    Info,
    /// A defect with little direct impact.
    Low,
    /// A defect an attacker can use for reconnaissance or disruption.
    Medium,
    /// A defect that exposes or changes data it should not.
    High,
    /// Authentication or tenant isolation broken outright.
    Critical,
}

impl Severity {
    /// Every severity, lowest first.
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The lower-case name used in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A severity name that is not one of info, low, medium, high, critical.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown severity '{0}': expected one of info, low, medium, high, critical")]
pub struct ParseSeverityError(pub String);

impl FromStr for Severity {
    type Err = ParseSeverityError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        Severity::ALL
            .into_iter()
            .find(|sev| sev.as_str().eq_ignore_ascii_case(t))
            .ok_or_else(|| ParseSeverityError(s.to_owned()))
    }
}

/// The stable identifier of a check (oracle). The strings never change once
/// published: finding ids, SARIF rule ids and JUnit names derive from them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "&'static str", try_from = "String")]
pub enum CheckId {
    /// A 5xx answer.
    No5xx,
    /// Internals (tracebacks, SQL, paths, schemas, banners, tokens) in a response.
    NoInternalLeak,
    /// Client input echoed unbounded or unescaped.
    Reflection,
    /// An error body outside Placement's documented envelope.
    ErrorEnvelope,
    /// Missing protective headers or an error served as HTML.
    SecurityHeaders,
    /// A malformed identifier not refused with 400.
    MalformedInput,
    /// A route answering without valid credentials.
    AuthRequired,
    /// A persona allowed or denied against the policy table.
    Policy,
    /// A tenant reaching another tenant's object.
    TenantIsolation,
    /// Answers that tell "exists but not yours" from "does not exist".
    ExistenceLeak,
    /// Client-set identity headers honoured.
    IdentitySpoofing,
    /// A non-canonical UUID spelling treated differently from the canonical one.
    UuidSpelling,
    /// A write answered with a 5xx that took effect anyway, in whole or
    /// in part (the client, told it failed, retries it).
    StateAfterError,
    /// A suite step's own expectations (status per persona, `response_*`)
    /// not met; its CWE, severity and claim come from the step.
    Expectation,
    /// The target and the model (placement-core) answer one request
    /// sequence differently (outcome or resulting state).
    Differential,
    /// A request's answer changes between adjacent microversions where the
    /// documented history says nothing changes.
    MicroversionReplay,
}

impl CheckId {
    /// Every check, in report order.
    pub const ALL: [CheckId; 16] = [
        CheckId::No5xx,
        CheckId::NoInternalLeak,
        CheckId::Reflection,
        CheckId::ErrorEnvelope,
        CheckId::SecurityHeaders,
        CheckId::MalformedInput,
        CheckId::AuthRequired,
        CheckId::Policy,
        CheckId::TenantIsolation,
        CheckId::ExistenceLeak,
        CheckId::IdentitySpoofing,
        CheckId::UuidSpelling,
        CheckId::StateAfterError,
        CheckId::Expectation,
        CheckId::Differential,
        CheckId::MicroversionReplay,
    ];

    /// The stable id string.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::No5xx => "no_5xx",
            CheckId::NoInternalLeak => "no_internal_leak",
            CheckId::Reflection => "reflection",
            CheckId::ErrorEnvelope => "error_envelope",
            CheckId::SecurityHeaders => "security_headers",
            CheckId::MalformedInput => "malformed_input",
            CheckId::AuthRequired => "auth_required",
            CheckId::Policy => "policy",
            CheckId::TenantIsolation => "tenant_isolation",
            CheckId::ExistenceLeak => "existence_leak",
            CheckId::IdentitySpoofing => "identity_spoofing",
            CheckId::UuidSpelling => "uuid_spelling",
            CheckId::StateAfterError => "state_after_error",
            CheckId::Expectation => "expectation",
            CheckId::Differential => "differential",
            CheckId::MicroversionReplay => "microversion_replay",
        }
    }

    /// The CWE number the check reports by default.
    pub fn cwe(self) -> u32 {
        match self {
            CheckId::No5xx => 755,
            CheckId::NoInternalLeak => 209,
            CheckId::Reflection => 116,
            CheckId::ErrorEnvelope => 703,
            CheckId::SecurityHeaders => 693,
            CheckId::MalformedInput => 20,
            CheckId::AuthRequired => 306,
            CheckId::Policy => 285,
            CheckId::TenantIsolation => 639,
            CheckId::ExistenceLeak => 204,
            CheckId::IdentitySpoofing => 290,
            CheckId::UuidSpelling => 178,
            // Improper cleanup on thrown exception: the error left the
            // write's effect behind.
            CheckId::StateAfterError => 460,
            // A step that says nothing more: a protection the suite relies
            // on did not hold.
            CheckId::Expectation => 693,
            // Interpretation conflict: two implementations of one API read
            // the same request differently.
            CheckId::Differential => 436,
            // Expected behaviour violation: the documented history is the
            // expectation.
            CheckId::MicroversionReplay => 440,
        }
    }

    /// One line saying what the check looks for.
    pub fn description(self) -> &'static str {
        match self {
            CheckId::No5xx => "The server answers client input with a 5xx error",
            CheckId::NoInternalLeak => {
                "A response reveals internals: tracebacks, SQL, paths, schemas, versions or tokens"
            }
            CheckId::Reflection => "Client input is echoed back unbounded or unescaped",
            CheckId::ErrorEnvelope => "An error body does not follow Placement's error envelope",
            CheckId::SecurityHeaders => {
                "A response lacks protective headers or serves errors as HTML"
            }
            CheckId::MalformedInput => "A malformed identifier is not refused with 400",
            CheckId::AuthRequired => "A route answers without valid credentials",
            CheckId::Policy => "A persona's access differs from the policy",
            CheckId::TenantIsolation => "A tenant reaches another tenant's object",
            CheckId::ExistenceLeak => "Answers reveal whether another tenant's object exists",
            CheckId::IdentitySpoofing => "Client-supplied identity headers are honoured",
            CheckId::UuidSpelling => "A non-canonical UUID spelling bypasses a check",
            CheckId::StateAfterError => "A write answered with a 5xx took effect anyway",
            CheckId::Expectation => "A suite step's expected answer was not given",
            CheckId::Differential => {
                "The target and the allocation core answer the same requests differently"
            }
            CheckId::MicroversionReplay => {
                "An answer changes between microversions where the history says it does not"
            }
        }
    }
}

impl CheckId {
    /// Whether the check judges an answer by its status (what a step's
    /// `status:` expectation also judges), rather than by its headers or
    /// body.
    pub fn judges_status(self) -> bool {
        matches!(
            self,
            CheckId::No5xx
                | CheckId::MalformedInput
                | CheckId::AuthRequired
                | CheckId::Policy
                | CheckId::TenantIsolation
                | CheckId::ExistenceLeak
                | CheckId::IdentitySpoofing
                | CheckId::UuidSpelling
                | CheckId::StateAfterError
        )
    }

    /// What fixes a cause this check reports, in one line (an issue's
    /// `fix` unless its oracle knows better).
    pub fn fix(self) -> &'static str {
        match self {
            CheckId::No5xx => {
                "Validate the input before use and answer 400 with Placement's error envelope"
            }
            CheckId::NoInternalLeak => {
                "Keep exception text, versions and server banners out of responses; log them instead"
            }
            CheckId::Reflection => {
                "Bound and escape client input echoed in errors, and cap request and error body sizes"
            }
            CheckId::ErrorEnvelope => {
                "Answer every error with Placement's JSON envelope (errors[] with status, title, detail, code)"
            }
            CheckId::SecurityHeaders => {
                "Send X-Content-Type-Options: nosniff and format errors as JSON whatever the Accept header"
            }
            CheckId::MalformedInput => {
                "Refuse a malformed identifier with 400 before it reaches a lookup or a write"
            }
            CheckId::AuthRequired => {
                "Refuse requests without valid credentials with 401 before any routing or policy"
            }
            CheckId::Policy => "Make the policy in force match the intended access for this role",
            CheckId::TenantIsolation => {
                "Check the object's project against the caller's before answering"
            }
            CheckId::ExistenceLeak => {
                "Answer the same for another tenant's object as for a missing one"
            }
            CheckId::IdentitySpoofing => {
                "Take identity only from the auth middleware; strip client-set identity headers"
            }
            CheckId::UuidSpelling => {
                "Canonicalise or refuse non-canonical UUID spellings before any check"
            }
            CheckId::StateAfterError => {
                "Roll the write back when it fails, so that a 5xx leaves nothing behind"
            }
            CheckId::Expectation => "Give the answer the suite step documents",
            CheckId::Differential => {
                "Decide which side is wrong from Placement's documentation and fix that side"
            }
            CheckId::MicroversionReplay => {
                "Gate the change behind a new microversion, or document it in the history"
            }
        }
    }
}

impl TryFrom<String> for CheckId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        CheckId::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown check {s:?}"))
    }
}

impl From<CheckId> for &'static str {
    fn from(c: CheckId) -> Self {
        c.as_str()
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The request part of a finding (secrets already redacted by [`Exchange`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FindingRequest {
    /// Headers by lower-case name; repeated headers joined with `, `.
    pub headers: BTreeMap<String, String>,
    /// Body, if any.
    pub body: Option<String>,
}

/// The most request body a finding keeps whole; a longer one (a generated
/// 10 MB body) is cut, and its curl line rebuilds it.
pub const REQUEST_BODY_LIMIT: usize = 64 * 1024;

/// The request body as a finding keeps it: whole up to
/// [`REQUEST_BODY_LIMIT`], else its first [`BODY_EXCERPT_LIMIT`] bytes and
/// how long it was.
fn bounded_request_body(body: &str) -> String {
    if body.len() <= REQUEST_BODY_LIMIT {
        return body.to_owned();
    }
    let mut cut = BODY_EXCERPT_LIMIT;
    while !body.is_char_boundary(cut) {
        cut -= 1;
    }
    format!(
        "{}... [cut: {} bytes in all]",
        body.get(..cut).unwrap_or_default(),
        body.len()
    )
}

/// A bounded piece of a response body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BodyExcerpt {
    /// The first bytes of the body as text (cut on a character boundary).
    pub text: String,
    /// Whether the excerpt (or the read itself) was cut.
    pub truncated: bool,
    /// Body length in bytes as read.
    pub total_bytes: usize,
}

impl BodyExcerpt {
    /// An excerpt of at most `limit` bytes of `body`.
    pub fn new(body: &[u8], limit: usize, read_truncated: bool) -> Self {
        let text = String::from_utf8_lossy(body);
        let mut end = text.len().min(limit);
        while end > 0 && !text.is_char_boundary(end) {
            end -= 1;
        }
        BodyExcerpt {
            text: text[..end].to_owned(),
            truncated: read_truncated || end < text.len(),
            total_bytes: body.len(),
        }
    }
}

/// The response part of a finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FindingResponse {
    /// HTTP status.
    pub status: u16,
    /// Headers by lower-case name; repeated headers joined with `, `.
    pub headers: BTreeMap<String, String>,
    /// The bounded body.
    pub body_excerpt: BodyExcerpt,
}

/// One finding, as docs/DESIGN.md's Findings JSON describes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable id: see [`finding_id`].
    pub id: String,
    /// The check that reported it.
    pub check: CheckId,
    /// CWE, e.g. `CWE-209`.
    pub cwe: String,
    /// Severity.
    pub severity: Severity,
    /// One-line title.
    pub title: String,
    /// HTTP method.
    pub method: String,
    /// Full URL.
    pub url: String,
    /// Route template.
    pub route: String,
    /// Persona name.
    pub persona: String,
    /// Input class, part of the id (not one of docs/DESIGN.md's fields: kept
    /// out of the JSON).
    #[serde(skip)]
    pub input_class: String,
    /// The redacted request.
    pub request: FindingRequest,
    /// The response, body bounded.
    pub response: FindingResponse,
    /// What the oracle saw, in words.
    pub evidence: String,
    /// A curl reproducer with `$TOKEN_<PERSONA>` variables.
    pub curl: String,
    /// Suite that produced the request.
    pub suite: Option<String>,
    /// Step inside the suite.
    pub step: Option<String>,
    /// What it is an instance of: the issue it belongs to (reports list
    /// it under the issue, not in the finding).
    #[serde(skip)]
    pub cause: Cause,
}

fn header_map(headers: &[Header]) -> BTreeMap<String, String> {
    let mut map: BTreeMap<String, String> = BTreeMap::new();
    for h in headers {
        map.entry(h.name.clone())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(&h.value);
            })
            .or_insert_with(|| h.value.clone());
    }
    map
}

/// The stable finding id: the first 16 hex digits of SHA-256 over check,
/// method, route template, persona and input class, NUL-separated so that
/// no two tuples share an encoding.
pub fn finding_id(
    check: CheckId,
    method: &str,
    route: &str,
    persona: &str,
    input_class: &str,
) -> String {
    let mut h = Sha256::new();
    for part in [check.as_str(), method, route, persona, input_class] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    h.finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Finding {
    /// A finding about one exchange, with the check's default CWE.
    pub fn from_exchange(
        check: CheckId,
        severity: Severity,
        title: impl Into<String>,
        evidence: impl Into<String>,
        ex: &Exchange,
    ) -> Self {
        let req = ex.request();
        let resp = ex.response();
        let title = title.into();
        Finding {
            id: finding_id(
                check,
                &req.method,
                &req.route,
                &req.persona,
                &req.input.class,
            ),
            check,
            cwe: format!("CWE-{}", check.cwe()),
            severity,
            // Until the oracle names the cause: one per route and input.
            cause: Cause::new(
                format!("{} {} {}", req.method, req.route, req.input.class),
                title.clone(),
            ),
            title,
            method: req.method.clone(),
            url: req.url.clone(),
            route: req.route.clone(),
            persona: req.persona.clone(),
            input_class: req.input.class.clone(),
            request: FindingRequest {
                headers: header_map(&req.headers),
                body: req.body.as_deref().map(bounded_request_body),
            },
            response: FindingResponse {
                status: resp.status,
                headers: header_map(&resp.headers),
                body_excerpt: BodyExcerpt::new(&resp.body, BODY_EXCERPT_LIMIT, resp.truncated),
            },
            evidence: if resp.truncated {
                // Said in words, not only in `body_excerpt.truncated`
                // (which an excerpt cut for the report sets as well).
                format!(
                    "{} (the response body was cut at the client's read limit after {} bytes; \
                     judged on what was read)",
                    evidence.into(),
                    resp.body.len()
                )
            } else {
                evidence.into()
            },
            curl: ex.curl(),
            suite: req.suite.clone(),
            step: req.step.clone(),
        }
    }

    /// The same finding with its cause named.
    pub fn because(mut self, cause: Cause) -> Self {
        self.cause = cause;
        self
    }

    /// The same finding under another CWE (an oracle whose check spans two).
    pub fn with_cwe(mut self, cwe: u32) -> Self {
        self.cwe = format!("CWE-{cwe}");
        self
    }

    /// The CWE number, parsed back from `cwe`.
    pub fn cwe_number(&self) -> Option<u32> {
        self.cwe.strip_prefix("CWE-").and_then(|n| n.parse().ok())
    }
}

/// One finding per id, in order of first appearance; a later duplicate
/// with a higher severity replaces the kept one whole, so that the
/// severity, evidence and response shown always belong together (a route
/// whose every answer shows a banner (info) and one answer a schema dump
/// (low) is reported with the dump).
pub fn dedup(findings: Vec<Finding>) -> Vec<Finding> {
    let mut set = FindingSet::default();
    set.extend(findings);
    set.into_vec()
}

/// A finding a suite step's request gave, as it arrived.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Source {
    /// The finding's id.
    pub finding_id: String,
    /// Its check.
    pub check: CheckId,
    /// Its CWE.
    pub cwe: String,
}

/// The findings each suite step's requests gave, by (suite, request name):
/// kept apart because de-duplication merges a step's finding into an
/// earlier step's of the same id, which would make the later step look
/// clean.
pub type Sources = BTreeMap<(String, String), BTreeSet<Source>>;

/// Findings de-duplicated as they arrive, by [`dedup`]'s rule: a long scan
/// keeps one finding per id in memory, not one per response.
#[derive(Clone, Debug, Default)]
pub struct FindingSet {
    index: BTreeMap<String, usize>,
    findings: Vec<Finding>,
    sources: Sources,
}

impl FindingSet {
    /// Adds a finding, merging it with a kept one of the same id.
    pub fn push(&mut self, f: Finding) {
        if let (Some(suite), Some(step)) = (&f.suite, &f.step) {
            self.sources
                .entry((suite.clone(), step.clone()))
                .or_default()
                .insert(Source {
                    finding_id: f.id.clone(),
                    check: f.check,
                    cwe: f.cwe.clone(),
                });
        }
        match self.index.get(&f.id) {
            Some(&i) => {
                if let Some(kept) = self.findings.get_mut(i) {
                    if f.severity > kept.severity {
                        *kept = f;
                    }
                }
            }
            None => {
                self.index.insert(f.id.clone(), self.findings.len());
                self.findings.push(f);
            }
        }
    }

    /// Distinct findings so far.
    pub fn len(&self) -> usize {
        self.findings.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.findings.is_empty()
    }

    /// The findings, in order of first appearance.
    pub fn into_vec(self) -> Vec<Finding> {
        self.findings
    }

    /// The findings, in order of first appearance, and which step gave
    /// which.
    pub fn into_parts(self) -> (Vec<Finding>, Sources) {
        (self.findings, self.sources)
    }
}

impl Extend<Finding> for FindingSet {
    fn extend<I: IntoIterator<Item = Finding>>(&mut self, iter: I) {
        for f in iter {
            self.push(f);
        }
    }
}

/// The distinct CWE numbers among findings, ascending.
pub fn cwes(findings: &[Finding]) -> BTreeSet<u32> {
    findings.iter().filter_map(Finding::cwe_number).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::{Request, Response};

    fn ex(persona: &str, class: &str) -> Exchange {
        Exchange::new(
            Request {
                method: "GET".into(),
                url: "http://127.0.0.1/resource_providers/x".into(),
                route: "/resource_providers/{uuid}".into(),
                persona: persona.into(),
                input: crate::exchange::Input {
                    class: class.into(),
                    ..Default::default()
                },
                ..Request::default()
            },
            Response {
                status: 500,
                body: "é".repeat(3000).into_bytes(),
                ..Response::default()
            },
        )
    }

    #[test]
    fn severities_order_and_parse() {
        assert!(Severity::Info < Severity::Low && Severity::High < Severity::Critical);
        assert_eq!("HIGH".parse::<Severity>(), Ok(Severity::High));
        assert_eq!(" low ".parse::<Severity>(), Ok(Severity::Low));
        assert!("severe".parse::<Severity>().is_err());
    }

    #[test]
    fn id_is_stable_and_separates_fields() {
        // Pinned: the id must not change across releases or platforms.
        assert_eq!(
            finding_id(CheckId::No5xx, "GET", "/", "admin", ""),
            finding_id(CheckId::No5xx, "GET", "/", "admin", "")
        );
        assert_eq!(
            finding_id(CheckId::No5xx, "GET", "/", "admin", "").len(),
            16
        );
        assert_ne!(
            finding_id(CheckId::No5xx, "GET", "/a", "b", ""),
            finding_id(CheckId::No5xx, "GET", "/", "ab", "")
        );
        // Pinned against `printf 'no_5xx\0GET\0/resource_providers/{uuid}\0admin\0malformed-uuid\0' | sha256sum`.
        assert_eq!(
            finding_id(
                CheckId::No5xx,
                "GET",
                "/resource_providers/{uuid}",
                "admin",
                "malformed-uuid"
            ),
            "956a8af269e6618c"
        );
    }

    #[test]
    fn excerpt_is_bounded_on_a_char_boundary() {
        let f =
            Finding::from_exchange(CheckId::No5xx, Severity::Medium, "t", "e", &ex("admin", ""));
        let b = &f.response.body_excerpt;
        assert!(b.text.len() <= BODY_EXCERPT_LIMIT);
        assert!(b.truncated);
        assert_eq!(b.total_bytes, 6000);
        let small = BodyExcerpt::new(b"{}", BODY_EXCERPT_LIMIT, false);
        assert!(!small.truncated);
    }

    #[test]
    fn a_body_cut_at_the_read_limit_is_said_in_the_evidence() {
        let mut cut = ex("admin", "");
        let (req, mut resp) = (cut.request().clone(), cut.response().clone());
        resp.truncated = true;
        cut = Exchange::new(req, resp);
        let f = Finding::from_exchange(CheckId::No5xx, Severity::Medium, "t", "e", &cut);
        assert!(f.evidence.starts_with(
            "e (the response body was cut at the client's read limit after 6000 bytes"
        ));
        assert!(f.response.body_excerpt.truncated);
        let whole =
            Finding::from_exchange(CheckId::No5xx, Severity::Medium, "t", "e", &ex("admin", ""));
        assert_eq!(whole.evidence, "e");
    }

    #[test]
    fn dedup_keeps_the_worst_instance_in_first_position() {
        let a = Finding::from_exchange(CheckId::No5xx, Severity::Low, "a", "e", &ex("admin", ""));
        let b = Finding::from_exchange(CheckId::No5xx, Severity::High, "b", "e", &ex("admin", ""));
        let c = Finding::from_exchange(CheckId::No5xx, Severity::Low, "c", "e", &ex("norole", ""));
        let out = dedup(vec![a, b, c]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].title, "b");
        assert_eq!(out[0].severity, Severity::High);
        assert_eq!(out[1].title, "c");
    }
}
