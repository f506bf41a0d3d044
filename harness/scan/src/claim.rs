//! Claim verdicts: every `claim:` of the suites judged from the run. A
//! suite step carrying a claim expects the safe answer, so the claim is
//! confirmed when one of its steps yields a finding that bears on it (the
//! step's own expectation not met, or an oracle's finding of the CWE the
//! step names: a missing nosniff header on the answer does not confirm a
//! claim about authentication), refuted when every step was answered and
//! held, untestable when every step is a `skip:`
//! with its reason, and inconclusive when a step went unanswered (a bound,
//! a failed fixture, a refused write): never a verdict the run did not
//! earn.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::finding::{CheckId, Sources};
use crate::issue::Issue;

/// One suite step that carries a claim, and how the run treated it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimStep {
    /// The claim it bears on.
    pub claim: String,
    /// The CWE the step names: oracle findings of it bear on the claim.
    pub cwe: Option<u32>,
    /// `file:line`.
    pub place: String,
    /// The suite label findings carry (`Finding::suite`).
    pub suite: String,
    /// The step's name.
    pub name: String,
    /// The names of its requests (`Finding::step`).
    pub requests: BTreeSet<String>,
    /// Its `skip:` reason.
    pub skip: Option<String>,
    /// Whether every one of its requests got an answer.
    pub answered: bool,
}

/// A claim's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// A step of it yielded a finding.
    Confirmed,
    /// Every step was answered and held.
    Refuted,
    /// Every step is a `skip:`: HTTP cannot test it.
    Untestable,
    /// No finding, but a step went unanswered.
    Inconclusive,
}

impl Verdict {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Confirmed => "confirmed",
            Verdict::Refuted => "refuted",
            Verdict::Untestable => "untestable",
            Verdict::Inconclusive => "inconclusive",
        }
    }
}

/// How one step of a claim came out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StepOutcome {
    /// `file:line`.
    pub place: String,
    /// The step's name.
    pub name: String,
    /// `finding`, `held`, `skipped` or `unanswered`.
    pub outcome: &'static str,
    /// The skip reason, for a skipped step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A claim with its verdict and evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Claim {
    /// The claim, as the suites name it (`000-1`).
    pub claim: String,
    /// Its verdict.
    pub verdict: Verdict,
    /// The issues its steps' findings belong to, by id.
    pub issues: Vec<String>,
    /// Its steps, in suite order.
    pub steps: Vec<StepOutcome>,
}

/// Every claim's verdict, in claim order, from what each step's requests
/// gave (`sources`) and the issues those findings belong to.
pub fn verdicts(steps: &[ClaimStep], sources: &Sources, issues: &[Issue]) -> Vec<Claim> {
    let issue_of: BTreeMap<&str, &str> = issues
        .iter()
        .flat_map(|i| {
            i.instances
                .iter()
                .map(move |inst| (inst.finding_id.as_str(), i.id.as_str()))
        })
        .collect();
    let bearing = |s: &ClaimStep| -> BTreeSet<&str> {
        s.requests
            .iter()
            .filter_map(|r| sources.get(&(s.suite.clone(), r.clone())))
            .flatten()
            .filter(|src| {
                src.check == CheckId::Expectation
                    || s.cwe.is_some_and(|n| src.cwe == format!("CWE-{n}"))
            })
            .filter_map(|src| issue_of.get(src.finding_id.as_str()).copied())
            .collect()
    };
    let mut by_claim: BTreeMap<&str, Vec<&ClaimStep>> = BTreeMap::new();
    for s in steps {
        by_claim.entry(s.claim.as_str()).or_default().push(s);
    }
    by_claim
        .into_iter()
        .map(|(claim, steps)| {
            let mut found: BTreeSet<&str> = BTreeSet::new();
            let outcomes: Vec<StepOutcome> = steps
                .iter()
                .map(|s| {
                    let hit = bearing(s);
                    let outcome = if !hit.is_empty() {
                        "finding"
                    } else if s.skip.is_some() {
                        "skipped"
                    } else if s.answered {
                        "held"
                    } else {
                        "unanswered"
                    };
                    found.extend(hit);
                    StepOutcome {
                        place: s.place.clone(),
                        name: s.name.clone(),
                        outcome,
                        reason: s.skip.clone(),
                    }
                })
                .collect();
            let verdict = if !found.is_empty() {
                Verdict::Confirmed
            } else if outcomes.iter().all(|o| o.outcome == "skipped") {
                Verdict::Untestable
            } else if outcomes.iter().any(|o| o.outcome == "unanswered") {
                Verdict::Inconclusive
            } else {
                Verdict::Refuted
            };
            Claim {
                claim: claim.to_owned(),
                verdict,
                issues: found.into_iter().map(str::to_owned).collect(),
                steps: outcomes,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cause::Cause;
    use crate::finding::{CheckId, Finding, Severity};
    use crate::oracle::testutil::ex;

    fn step(claim: &str, name: &str, skip: Option<&str>, answered: bool) -> ClaimStep {
        ClaimStep {
            claim: claim.into(),
            cwe: Some(755),
            place: format!("s.yaml:{}", name.len()),
            suite: "s.yaml".into(),
            name: name.into(),
            requests: BTreeSet::from([format!("{name} [admin]")]),
            skip: skip.map(str::to_owned),
            answered,
        }
    }

    #[test]
    fn a_verdict_is_earned_by_the_steps() {
        let mut e = ex("GET", "/x", 500, "{}");
        e.req.suite = Some("s.yaml".into());
        e.req.step = Some("bad [admin]".into());
        let f = Finding::from_exchange(CheckId::No5xx, Severity::Medium, "t", "e", &e.build())
            .because(Cause::new("sig", "title"));
        // A finding of another CWE on a clean step bears on nothing.
        let mut e = ex("GET", "/x", 200, "{}");
        e.req.suite = Some("s.yaml".into());
        e.req.step = Some("good [admin]".into());
        let other = Finding::from_exchange(
            CheckId::SecurityHeaders,
            Severity::Low,
            "t",
            "e",
            &e.build(),
        )
        .because(Cause::new("nosniff", "title"));
        let mut set = crate::finding::FindingSet::default();
        set.push(f);
        set.push(other);
        let (findings, sources) = set.into_parts();
        let issues = crate::issue::group(&findings);
        let steps = [
            step("A", "bad", None, true),
            step("A", "good", None, true),
            step("B", "good", None, true),
            step("C", "source", Some("not over HTTP"), false),
            step("D", "good", None, true),
            step("D", "cut short", None, false),
        ];
        let v = verdicts(&steps, &sources, &issues);
        let of = |c: &str| v.iter().find(|x| x.claim == c).map(|x| x.verdict);
        assert_eq!(of("A"), Some(Verdict::Confirmed));
        assert_eq!(of("B"), Some(Verdict::Refuted));
        assert_eq!(of("C"), Some(Verdict::Untestable));
        assert_eq!(of("D"), Some(Verdict::Inconclusive));
        let a = v.iter().find(|x| x.claim == "A").unwrap();
        let no_5xx = issues.iter().find(|i| i.check == CheckId::No5xx).unwrap();
        assert_eq!(a.issues, vec![no_5xx.id.clone()]);
        assert_eq!(a.steps[0].outcome, "finding");
        assert_eq!(a.steps[1].outcome, "held");
    }
}
