//! Reports: one run's findings written as JSON (docs/DESIGN.md's Findings JSON),
//! JUnit XML, SARIF 2.1.0, a self-contained HTML page, or a terminal summary,
//! plus the exit code that `--fail-on` asks for.
//!
//! Every writer is a pure function of a [`Report`], and a report sorts its
//! findings, so the same run always renders byte for byte the same.

use std::collections::BTreeMap;
use std::str::FromStr;

use serde::Serialize;

use crate::finding::{CheckId, Finding, Severity, dedup};
use crate::issue::{self, Issue};

pub mod html;
pub mod json;
pub mod junit;
pub mod sarif;
pub mod terminal;

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// JSON serialisation failed.
    #[error("writing the JSON report: {0}")]
    Json(#[from] serde_json::Error),
    /// JUnit serialisation failed.
    #[error("writing the JUnit report: {0}")]
    Junit(#[from] quick_junit::SerializeError),
    /// A report kind that does not exist (from `--report KIND`).
    #[error("unknown report kind '{0}': expected one of json, junit, sarif, html, terminal")]
    UnknownKind(String),
}

/// The tool that wrote the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Tool {
    /// Tool name.
    pub name: String,
    /// Tool version.
    pub version: String,
}

impl Default for Tool {
    fn default() -> Self {
        Tool {
            name: "placement-harness".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
}

/// The Placement API scanned.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Target {
    /// Base URL.
    pub url: String,
    /// Profile name (`embedded`, `openstack-placement-16.0.0`, ...).
    pub profile: String,
}

/// Counts of findings by check and by severity.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Findings per check id (only checks with findings).
    pub by_check: BTreeMap<String, usize>,
    /// Findings per severity, every severity present (zero included).
    pub by_severity: BTreeMap<String, usize>,
    /// Issues (root causes) of this run per severity, every severity
    /// present (fixed ones, listed from a baseline, are not counted).
    pub issues_by_severity: BTreeMap<String, usize>,
    /// Issues by status against a baseline (`new`, `known`, `fixed`) and
    /// `suppressed`; empty without baseline or suppressions.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub issues_by_status: BTreeMap<String, usize>,
    /// Answers (or pairs of answers) each check judged, every check present
    /// (zero included): a check with 0 findings and 0 judged was not
    /// checked at all.
    pub judged: BTreeMap<String, u64>,
    /// What could not be done, counted by kind (`step`, `cleanup`,
    /// `snapshot`), every kind present.
    pub errors: BTreeMap<String, usize>,
}

/// Something the run could not do, named apart from findings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RunError {
    /// `step`, `cleanup` or `snapshot`.
    pub kind: &'static str,
    /// `file:line` and step name, or the object or path concerned.
    pub place: String,
    /// What went wrong.
    pub message: String,
}

impl RunError {
    /// The kinds, in the order reports list them.
    pub const KINDS: [&'static str; 3] = ["step", "cleanup", "snapshot"];
}

/// The version of the JSON report's shape: a baseline of another version
/// is refused rather than misread.
pub const REPORT_VERSION: u32 = 1;

/// One run's report: docs/DESIGN.md's Findings JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// [`REPORT_VERSION`].
    pub report_version: u32,
    /// The tool.
    pub tool: Tool,
    /// The target.
    pub target: Target,
    /// The run id (every object the run created carries it).
    pub run_id: String,
    /// Start time, RFC 3339, as the caller formatted it.
    pub started_at: String,
    /// Run duration in milliseconds.
    pub duration_ms: u64,
    /// Requests sent.
    pub requests: u64,
    /// The findings grouped by root cause, worst first; each finding is
    /// an instance of exactly one.
    pub issues: Vec<Issue>,
    /// Findings, de-duplicated, worst first.
    pub findings: Vec<Finding>,
    /// What could not be done (steps, cleanup, snapshots).
    pub errors: Vec<RunError>,
    /// The verdict on every `claim:` of the suites run (empty without any).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<crate::claim::Claim>,
    /// Counts.
    pub summary: Summary,
}

impl Report {
    /// A report over findings: de-duplicates them by id and sorts them
    /// (severity descending, then check, route, method, persona, id) so
    /// that output does not depend on the order oracles ran in.
    pub fn new(
        tool: Tool,
        target: Target,
        run_id: impl Into<String>,
        started_at: impl Into<String>,
        duration_ms: u64,
        requests: u64,
        findings: Vec<Finding>,
    ) -> Self {
        let mut findings = dedup(findings);
        findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.check.cmp(&b.check))
                .then_with(|| a.route.cmp(&b.route))
                .then_with(|| a.method.cmp(&b.method))
                .then_with(|| a.persona.cmp(&b.persona))
                .then_with(|| a.id.cmp(&b.id))
        });
        let mut summary = Summary {
            judged: crate::oracle::Judged::default().by_name(),
            errors: RunError::KINDS
                .iter()
                .map(|k| ((*k).to_owned(), 0))
                .collect(),
            ..Summary::default()
        };
        for s in Severity::ALL {
            summary.by_severity.insert(s.as_str().to_owned(), 0);
            summary.issues_by_severity.insert(s.as_str().to_owned(), 0);
        }
        let issues = issue::group(&findings);
        for i in &issues {
            *summary
                .issues_by_severity
                .entry(i.severity.as_str().to_owned())
                .or_default() += 1;
        }
        for f in &findings {
            *summary
                .by_check
                .entry(f.check.as_str().to_owned())
                .or_default() += 1;
            *summary
                .by_severity
                .entry(f.severity.as_str().to_owned())
                .or_default() += 1;
        }
        Report {
            report_version: REPORT_VERSION,
            tool,
            target,
            run_id: run_id.into(),
            started_at: started_at.into(),
            duration_ms,
            requests,
            issues,
            findings,
            errors: Vec::new(),
            claims: Vec::new(),
            summary,
        }
    }

    /// Counts the issues again by severity and status, after a baseline
    /// marked them or suppressions covered some.
    pub fn recount(&mut self) {
        let mut by_severity: BTreeMap<String, usize> = Severity::ALL
            .iter()
            .map(|s| (s.as_str().to_owned(), 0))
            .collect();
        let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
        for i in &self.issues {
            if i.status != Some(issue::Status::Fixed) {
                *by_severity
                    .entry(i.severity.as_str().to_owned())
                    .or_default() += 1;
            }
            if let Some(st) = i.status {
                *by_status.entry(st.as_str().to_owned()).or_default() += 1;
            }
            if i.suppressed.is_some() {
                *by_status.entry("suppressed".to_owned()).or_default() += 1;
            }
        }
        self.summary.issues_by_severity = by_severity;
        self.summary.issues_by_status = by_status;
    }

    /// The issues that fail the run under `--fail-on`: at or above it,
    /// neither known from the baseline nor suppressed.
    pub fn gating(&self, fail_on: Severity) -> impl Iterator<Item = &Issue> {
        self.issues
            .iter()
            .filter(move |i| i.gates() && i.severity >= fail_on)
    }

    /// The report with the run's judged counts.
    pub fn with_judged(mut self, judged: &crate::oracle::Judged) -> Self {
        self.summary.judged = judged.by_name();
        self
    }

    /// The report with what the run could not do.
    pub fn with_errors(mut self, errors: Vec<RunError>) -> Self {
        for e in &errors {
            *self.summary.errors.entry(e.kind.to_owned()).or_default() += 1;
        }
        self.errors = errors;
        self
    }

    /// How many answers `check` judged in this run.
    pub fn judged(&self, check: CheckId) -> u64 {
        self.summary
            .judged
            .get(check.as_str())
            .copied()
            .unwrap_or(0)
    }

    /// The findings of one check, in report order.
    pub fn findings_of(&self, check: CheckId) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.check == check)
    }

    /// The worst severity among the findings, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

/// The report kinds `--report` accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportKind {
    /// Findings JSON.
    Json,
    /// JUnit XML.
    Junit,
    /// SARIF 2.1.0.
    Sarif,
    /// A self-contained HTML page.
    Html,
    /// A plain-text summary table.
    Terminal,
}

impl FromStr for ReportKind {
    type Err = ReportError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "json" => Ok(ReportKind::Json),
            "junit" => Ok(ReportKind::Junit),
            "sarif" => Ok(ReportKind::Sarif),
            "html" => Ok(ReportKind::Html),
            "terminal" | "text" => Ok(ReportKind::Terminal),
            _ => Err(ReportError::UnknownKind(s.to_owned())),
        }
    }
}

/// Renders a report of the given kind.
pub fn render(kind: ReportKind, report: &Report) -> Result<String, ReportError> {
    match kind {
        ReportKind::Json => json::render(report),
        ReportKind::Junit => junit::render(report),
        ReportKind::Sarif => sarif::render(report),
        ReportKind::Html => Ok(html::render(report)),
        ReportKind::Terminal => Ok(terminal::render(report)),
    }
}

/// Renders `report` once for each `--report KIND:PATH` and writes it;
/// the error names the path it could not write and why.
pub fn write_all(
    reports: &[(ReportKind, std::path::PathBuf)],
    report: &Report,
) -> Result<(), (String, String)> {
    for (kind, path) in reports {
        let failed = |e: &dyn std::fmt::Display| (path.display().to_string(), e.to_string());
        let text = render(*kind, report).map_err(|e| failed(&e))?;
        std::fs::write(path, text).map_err(|e| failed(&e))?;
    }
    Ok(())
}

/// `time` as RFC 3339 UTC, to the second (a report's `started_at`).
pub fn rfc3339(time: std::time::SystemTime) -> String {
    let secs = time
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// `--fail-on` when it is not given: the embedded server is ours and held
/// to no finding at all; a deployment's low findings fail, its info ones
/// are notes.
pub fn default_fail_on(embedded: bool) -> Severity {
    if embedded {
        Severity::Info
    } else {
        Severity::Low
    }
}

/// A fixed set of findings for the report snapshot tests.
#[cfg(test)]
pub(crate) mod fixture {
    use super::*;
    use crate::exchange::{Credentials, Exchange, Header, Input, InputKind, Request, Response};
    use crate::oracle::{Context, check_all, judged_all};

    // One call per table row reads better here than a builder.
    #[allow(clippy::too_many_arguments)]
    fn exchange(
        method: &str,
        route: &str,
        url: &str,
        persona: &str,
        creds: Credentials,
        input: Input,
        status: u16,
        body: &str,
    ) -> Exchange {
        let mut headers = vec![Header::new("openstack-api-version", "placement 1.39")];
        if creds == Credentials::Valid {
            headers.push(Header::new("x-auth-token", "secret-token-for-persona"));
        }
        Exchange::new(
            Request {
                method: method.into(),
                url: format!("http://127.0.0.1:46527{url}"),
                route: route.into(),
                persona: persona.into(),
                credentials: creds,
                input,
                headers,
                suite: Some("scenarios/security/basics.yaml".into()),
                step: Some(format!("{method} {route} as {persona}")),
                ..Request::default()
            },
            Response {
                status,
                headers: vec![
                    // webob serves HTML errors when the client does not ask for JSON.
                    Header::new(
                        "content-type",
                        if body.starts_with('<') {
                            "text/html; charset=UTF-8"
                        } else {
                            "application/json"
                        },
                    ),
                    Header::new("server", "gunicorn"),
                ],
                body: body.as_bytes().to_vec(),
                ..Response::default()
            },
        )
    }

    /// Findings from real Placement 16.0.0 answers plus one HTML-hostile case.
    pub fn report() -> Report {
        let bad = Input {
            kind: InputKind::MalformedUuid,
            class: "not-a-uuid".into(),
            value: Some("not-a-uuid".into()),
        };
        let hostile = Input {
            kind: InputKind::Hostile,
            class: "script".into(),
            value: Some("<script>alert('x')</script>".into()),
        };
        let exchanges = vec![
            exchange(
                "GET",
                "/allocation_candidates",
                "/allocation_candidates?resources=VCPU:1&limit=abc&limit=1",
                "admin",
                Credentials::Valid,
                Input::default(),
                500,
                r#"{"errors": [{"status": 500, "title": "Internal Server Error", "detail": "The server has either erred or is incapable of performing the requested operation.\n\n invalid literal for int() with base 10: 'abc'  ", "code": "placement.undefined_code", "request_id": "req-785302be-d05f-43f9-8cb9-209feca7b424"}]}"#,
            ),
            exchange(
                "GET",
                "/resource_providers/{uuid}",
                "/resource_providers/not-a-uuid",
                "tenant-a reader",
                Credentials::Valid,
                bad,
                404,
                r#"{"errors": [{"status": 404, "title": "Not Found", "detail": "The resource could not be found.\n\n No resource provider with uuid not-a-uuid found  ", "code": "placement.undefined_code", "request_id": "req-1480653c-5285-4948-96b5-0e2aca3ac960"}]}"#,
            ),
            exchange(
                "GET",
                "/traits",
                "/traits",
                "anonymous",
                Credentials::None,
                Input::default(),
                200,
                r#"{"traits": []}"#,
            ),
            exchange(
                "GET",
                "/resource_providers/{uuid}",
                "/resource_providers/%3Cscript%3E",
                "tenant-b member",
                Credentials::Valid,
                hostile,
                404,
                "<html><body>No resource provider with uuid <script>alert('x')</script> & more</body></html>",
            ),
        ];
        let findings = check_all(&exchanges, &Context::default());
        let judged = judged_all(&exchanges, &Context::default());
        Report::new(
            Tool {
                name: "placement-harness".into(),
                version: "0.0.0-test".into(),
            },
            Target {
                url: "http://127.0.0.1:46527".into(),
                profile: "openstack-placement-16.0.0".into(),
            },
            "run-test",
            "2026-01-01T00:00:00Z",
            1234,
            4,
            findings,
        )
        .with_judged(&judged)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc3339_dates() {
        use std::time::{Duration, UNIX_EPOCH};
        assert_eq!(super::rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            super::rfc3339(UNIX_EPOCH + Duration::from_secs(1_795_268_707)),
            "2026-11-21T13:45:07Z"
        );
    }

    use super::*;

    #[test]
    fn fail_on_is_judged_on_issues_known_and_suppressed_ones_aside() {
        let mut r = fixture::report();
        assert_eq!(r.worst(), Some(Severity::Critical));
        assert_eq!(r.gating(Severity::Critical).count(), 1);
        assert_eq!(r.gating(Severity::Info).count(), r.issues.len());
        assert_eq!(r.gating(Severity::Medium).count(), 4);
        // Known from a baseline, or suppressed: listed, not failing.
        if let Some(i) = r.issues.first_mut() {
            i.status = Some(issue::Status::Known);
        }
        if let Some(i) = r.issues.get_mut(1) {
            i.suppressed = Some(issue::Suppressed {
                reason: "r".into(),
                expires: "2027-01-01".into(),
                by: "s.yaml:3".into(),
            });
        }
        r.recount();
        assert_eq!(r.gating(Severity::Medium).count(), 2);
        assert_eq!(r.summary.issues_by_status.get("known"), Some(&1));
        assert_eq!(r.summary.issues_by_status.get("suppressed"), Some(&1));
    }

    #[test]
    fn kinds_parse() {
        assert_eq!("SARIF".parse::<ReportKind>().ok(), Some(ReportKind::Sarif));
        assert!("pdf".parse::<ReportKind>().is_err());
    }

    #[test]
    fn no_secret_reaches_any_report() {
        let r = fixture::report();
        for kind in [
            ReportKind::Json,
            ReportKind::Junit,
            ReportKind::Sarif,
            ReportKind::Html,
            ReportKind::Terminal,
        ] {
            let out = render(kind, &r).unwrap();
            assert!(!out.contains("secret-token-for-persona"), "{kind:?}");
        }
    }
}
