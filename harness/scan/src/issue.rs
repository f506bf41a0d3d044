//! Issues: a run's findings grouped by root cause, the way a security
//! engineer reads them. One issue per check and cause signature (see
//! [`crate::cause`]), with every finding it covers as an instance; an
//! `expectation` finding that restates an oracle's finding about the same
//! answer joins that finding's issue instead of making one of its own.
//! Every finding belongs to exactly one issue.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::finding::{CheckId, Finding, Severity};

/// One place an issue was met: a finding, by id, with what a reader needs
/// to find the request again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instance {
    /// The finding's id (its entry in `findings[]`).
    pub finding_id: String,
    /// The check that reported the finding (another check than the
    /// issue's for a joined `expectation` finding).
    pub check: CheckId,
    /// The finding's severity.
    pub severity: Severity,
    /// HTTP method.
    pub method: String,
    /// Route template.
    pub route: String,
    /// Persona.
    pub persona: String,
    /// Input class (empty for a plain request).
    pub input: String,
    /// What the oracle saw in this answer.
    pub evidence: String,
    /// A curl reproducer.
    pub curl: String,
    /// The suite file that produced the request, if any.
    pub suite: Option<String>,
    /// The suite step's request name, if any.
    pub step: Option<String>,
}

/// Where an issue stands against a baseline (`--baseline`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Not in the baseline.
    New,
    /// In the baseline too.
    Known,
    /// In the baseline, not in this run (listed without instances).
    Fixed,
}

impl Status {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Known => "known",
            Status::Fixed => "fixed",
        }
    }
}

/// Why an issue is suppressed (`--suppressions`): listed, never dropped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suppressed {
    /// The entry's reason.
    pub reason: String,
    /// The day it expires, `YYYY-MM-DD`.
    pub expires: String,
    /// The suppressions file and line of the entry.
    pub by: String,
}

/// A root cause with its instances.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Issue {
    /// Stable id: the check and the fingerprint's first eight digits.
    pub id: String,
    /// The first 16 hex digits of SHA-256 over check and cause signature:
    /// the same cause keeps it from run to run, whatever the ids, personas
    /// or routes it was met with.
    pub fingerprint: String,
    /// The check whose cause it is.
    pub check: CheckId,
    /// CWE, e.g. `CWE-209`, of its worst instance.
    pub cwe: String,
    /// The worst severity among its instances.
    pub severity: Severity,
    /// What is wrong.
    pub title: String,
    /// The cause signature the fingerprint is taken over.
    pub signature: String,
    /// Where in Placement's source the cause is, when the oracle knows.
    pub source: Option<String>,
    /// What would fix it.
    pub fix: String,
    /// One reproducer: the shortest curl among its worst instances.
    pub reproducer: String,
    /// Every finding it covers, in report order.
    pub instances: Vec<Instance>,
    /// Against the baseline, when the run has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// The suppression that covers it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Suppressed>,
}

impl Issue {
    /// Whether the issue can fail a run: it is in this run, not known from
    /// the baseline, and not suppressed.
    pub fn gates(&self) -> bool {
        matches!(self.status, None | Some(Status::New)) && self.suppressed.is_none()
    }
}

/// The fingerprint of a check's cause signature.
pub fn fingerprint(check: CheckId, signature: &str) -> String {
    let mut h = Sha256::new();
    for part in [check.as_str(), signature] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    h.finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The answer a finding is about: two findings with the same key judged
/// the same request and response.
fn answer_key(f: &Finding) -> (&str, &str, &str, Option<&str>, Option<&str>, u16) {
    (
        &f.method,
        &f.url,
        &f.persona,
        f.suite.as_deref(),
        f.step.as_deref(),
        f.response.status,
    )
}

/// The findings (in report order) grouped into issues, worst first.
pub fn group(findings: &[Finding]) -> Vec<Issue> {
    // The oracle findings about each answer, in report order (worst first).
    let mut oracles_of_answer: BTreeMap<_, Vec<&Finding>> = BTreeMap::new();
    for f in findings.iter().filter(|f| f.check != CheckId::Expectation) {
        oracles_of_answer.entry(answer_key(f)).or_default().push(f);
    }
    // An expectation restates an oracle's finding about the same answer
    // when both name the same weakness (CWE), or when the step expected
    // only another status and the oracle judges statuses; a banner on the
    // same answer says something else.
    let restated = |f: &Finding| -> Option<&Finding> {
        oracles_of_answer
            .get(&answer_key(f))?
            .iter()
            .copied()
            .find(|o| o.cwe == f.cwe || (f.cause.status_only && o.check.judges_status()))
    };
    let mut order: Vec<String> = Vec::new();
    let mut issues: BTreeMap<String, Issue> = BTreeMap::new();
    for f in findings {
        let owner = match f.check {
            CheckId::Expectation => restated(f).unwrap_or(f),
            _ => f,
        };
        let fp = fingerprint(owner.check, &owner.cause.signature);
        let issue = issues.entry(fp.clone()).or_insert_with(|| {
            order.push(fp.clone());
            Issue {
                id: format!("{}-{}", owner.check, fp.get(..8).unwrap_or(&fp)),
                fingerprint: fp.clone(),
                check: owner.check,
                cwe: owner.cwe.clone(),
                severity: owner.severity,
                title: owner.cause.title.clone(),
                signature: owner.cause.signature.clone(),
                source: owner.cause.source.clone(),
                fix: owner.check.fix().to_owned(),
                reproducer: owner.curl.clone(),
                instances: Vec::new(),
                status: None,
                suppressed: None,
            }
        });
        if f.check == owner.check && f.severity > issue.severity {
            issue.cwe = f.cwe.clone();
            issue.title = f.cause.title.clone();
        }
        issue.severity = issue.severity.max(f.severity);
        if issue.source.is_none() {
            issue.source = f.cause.source.clone();
        }
        issue.instances.push(Instance {
            finding_id: f.id.clone(),
            check: f.check,
            severity: f.severity,
            method: f.method.clone(),
            route: f.route.clone(),
            persona: f.persona.clone(),
            input: f.input_class.clone(),
            evidence: f.evidence.clone(),
            curl: f.curl.clone(),
            suite: f.suite.clone(),
            step: f.step.clone(),
        });
    }
    let mut out: Vec<Issue> = order
        .into_iter()
        .filter_map(|fp| issues.remove(&fp))
        .map(|mut issue| {
            if let Some(curl) = issue
                .instances
                .iter()
                .filter(|i| i.severity == issue.severity)
                .map(|i| &i.curl)
                .min_by_key(|c| c.len())
            {
                issue.reproducer = curl.clone();
            }
            issue
        })
        .collect();
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.check.cmp(&b.check))
            .then_with(|| b.instances.len().cmp(&a.instances.len()))
            .then_with(|| a.title.cmp(&b.title))
            .then_with(|| a.fingerprint.cmp(&b.fingerprint))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cause::Cause;
    use crate::oracle::testutil::*;

    fn finding(check: CheckId, sev: Severity, route: &str, persona: &str, sig: &str) -> Finding {
        let ex = ex("GET", route, 500, "{}").persona(persona).build();
        Finding::from_exchange(check, sev, "t", "e", &ex).because(Cause::new(sig, sig))
    }

    #[test]
    fn one_cause_on_many_routes_is_one_issue() {
        let findings = vec![
            finding(
                CheckId::No5xx,
                Severity::Medium,
                "/a",
                "admin",
                "exception:x",
            ),
            finding(
                CheckId::No5xx,
                Severity::Medium,
                "/b",
                "admin",
                "exception:x",
            ),
            finding(
                CheckId::No5xx,
                Severity::Medium,
                "/b",
                "admin",
                "exception:y",
            ),
            // The same signature under another check is another issue.
            finding(
                CheckId::NoInternalLeak,
                Severity::Low,
                "/b",
                "admin",
                "exception:x",
            ),
        ];
        let issues = group(&findings);
        assert_eq!(issues.len(), 3);
        assert_eq!(issues[0].instances.len(), 2);
        assert_eq!(issues[0].signature, "exception:x");
        let covered: usize = issues.iter().map(|i| i.instances.len()).sum();
        assert_eq!(
            covered,
            findings.len(),
            "every finding in exactly one issue"
        );
        // Stable: the fingerprint is over check and signature only.
        assert_eq!(
            issues[0].fingerprint,
            fingerprint(CheckId::No5xx, "exception:x")
        );
        assert_eq!(
            issues[0].id,
            format!("no_5xx-{}", &issues[0].fingerprint[..8])
        );
    }

    #[test]
    fn an_expectation_restating_an_oracle_joins_its_issue() {
        let oracle = finding(
            CheckId::AuthRequired,
            Severity::Medium,
            "/a",
            "anon",
            "rule",
        );
        // Expected another status only: the status-judging oracle said it.
        let mut restating = finding(CheckId::Expectation, Severity::High, "/a", "anon", "step");
        restating.cause.status_only = true;
        let alone = finding(CheckId::Expectation, Severity::Low, "/b", "anon", "step");
        let issues = group(&[restating, oracle, alone]);
        assert_eq!(issues.len(), 2);
        let joined = issues
            .iter()
            .find(|i| i.check == CheckId::AuthRequired)
            .unwrap();
        assert_eq!(joined.instances.len(), 2);
        assert_eq!(joined.severity, Severity::High, "the worst instance counts");
        let own = issues
            .iter()
            .find(|i| i.check == CheckId::Expectation)
            .unwrap();
        assert_eq!(own.instances.len(), 1);
    }

    #[test]
    fn the_worst_instance_names_the_issue_and_gives_the_reproducer() {
        let low = finding(
            CheckId::Reflection,
            Severity::Low,
            "/long/route/here",
            "admin",
            "s",
        );
        let mut high = finding(CheckId::Reflection, Severity::High, "/x", "admin", "s");
        high.cause.title = "worse".into();
        let issues = group(&[low, high.clone()]);
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].severity, Severity::High);
        assert_eq!(issues[0].title, "worse");
        assert_eq!(issues[0].reproducer, high.curl);
    }

    #[test]
    fn an_expectation_joins_only_a_finding_that_says_the_same() {
        // The same answer carries a banner (CWE-209): a step that expected
        // a 400 (CWE-20) and got 204 is not about the banner.
        let banner = finding(
            CheckId::NoInternalLeak,
            Severity::Info,
            "/a",
            "admin",
            "banner",
        );
        let mut status = finding(
            CheckId::Expectation,
            Severity::Medium,
            "/a",
            "admin",
            "step",
        );
        status.cause.status_only = true;
        status.cwe = "CWE-20".into();
        let issues = group(&[banner.clone(), status.clone()]);
        assert_eq!(issues.len(), 2, "{issues:#?}");
        // A step that names the leak's CWE restates it, whatever it checked.
        let mut leak_step = status;
        leak_step.cause.status_only = false;
        leak_step.cwe = "CWE-209".into();
        assert_eq!(group(&[banner, leak_step]).len(), 1);
    }
}
