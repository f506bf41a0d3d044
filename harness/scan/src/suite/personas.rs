//! Which personas suites send as: every `as:` and `as_each:` of every step,
//! with where it is. A run checks that it has them all before anything is
//! sent, naming every missing one at once (not the first of each file in
//! turn), and `personas check` shows which suites need which persona.

use std::collections::BTreeMap;

use super::model::{Suite, SuiteError};

/// Where suites send as one persona: (file, line) of each step.
pub type Uses = BTreeMap<String, Vec<(String, u64)>>;

/// Every persona `suites` send as, with the steps that do.
pub fn uses(suites: &[Suite]) -> Uses {
    let mut out: Uses = BTreeMap::new();
    for suite in suites {
        let file = suite.file.display().to_string();
        for test in &suite.tests {
            let sec = &test.security;
            for p in sec
                .as_persona
                .iter()
                .chain(sec.as_each.iter().map(|(p, _)| p))
            {
                out.entry(p.clone())
                    .or_default()
                    .push((file.clone(), test.line));
            }
        }
    }
    out
}

/// An error naming every persona `suites` send as that `known` lacks, each
/// with its first step and how many more there are.
pub fn check(suites: &[Suite], known: &[String]) -> Result<(), SuiteError> {
    let missing: Vec<(String, Vec<(String, u64)>)> = uses(suites)
        .into_iter()
        .filter(|(p, _)| !known.contains(p))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let mut message = format!(
        "the suites send as {} persona(s) the run does not have (it has: {}):",
        missing.len(),
        known.join(", ")
    );
    for (persona, at) in &missing {
        let (file, line) = &at[0];
        message.push_str(&format!("\n  {persona}: {file}:{line}"));
        if at.len() > 1 {
            message.push_str(&format!(" and {} more step(s)", at.len() - 1));
        }
    }
    Err(SuiteError::Personas(message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::parse_suite;
    use std::path::Path;

    #[test]
    fn every_missing_persona_is_named_at_once() {
        let a = parse_suite(
            "tests:\n- name: one\n  GET: /\n  as: admin\n- name: two\n  GET: /\n  as_each: {tenant-b-reader: 403, admin: 200}\n",
            Path::new("a.yaml"),
        )
        .unwrap();
        let b = parse_suite(
            "tests:\n- name: x\n  GET: /\n  as: norole\n",
            Path::new("b.yaml"),
        )
        .unwrap();
        let suites = [a, b];
        let used = uses(&suites);
        assert_eq!(
            used["admin"],
            [("a.yaml".to_owned(), 2), ("a.yaml".to_owned(), 5)]
        );
        let known = ["norole".to_owned()];
        let e = check(&suites, &known).unwrap_err().to_string();
        assert!(e.starts_with("the suites send as 2 persona(s)"), "{e}");
        assert!(e.contains("\n  admin: a.yaml:2 and 1 more step(s)"), "{e}");
        assert!(e.contains("\n  tenant-b-reader: a.yaml:5"), "{e}");
        assert!(!e.contains("norole:"), "{e}");
        let all = ["admin", "norole", "tenant-b-reader"].map(str::to_owned);
        assert!(check(&suites, &all).is_ok());
    }
}
