//! `uuid_spelling` (CWE-178): an object referenced by a non-canonical
//! spelling of its UUID (upper case, no hyphens, braces, `urn:uuid:`) must be
//! refused or treated exactly as the canonical spelling. A spelling that
//! gets a 2xx where the canonical one was refused bypasses a check keyed on
//! the string rather than the value.
//!
//! Pairs are exchanges of one persona, method, route and comparison group:
//! input kind `UuidSpelling` against the `Valid` canonical request.

use crate::cause::Cause;
use crate::exchange::{Exchange, InputKind};
use crate::finding::{CheckId, Finding, Severity};
use crate::oracle::{Context, pairing};

/// Compares each spelling with its canonical twin.
pub fn check(exchanges: &[Exchange], _ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for (ex, base) in pairing::with_baseline(exchanges, InputKind::UuidSpelling) {
        let ok = |s: u16| (200..300).contains(&s);
        if ok(ex.status()) && !ok(base) {
            out.push(
                Finding::from_exchange(
                    CheckId::UuidSpelling,
                    Severity::High,
                    format!(
                        "{} {} lets a UUID spelling past a refusal",
                        ex.request().method,
                        ex.request().route
                    ),
                    format!(
                        "canonical spelling answered {base}, {:?} answered {}",
                        ex.request()
                            .input
                            .value
                            .as_deref()
                            .unwrap_or(&ex.request().input.class),
                        ex.status()
                    ),
                    ex,
                )
                .because(Cause::new(
                    format!("bypass:{}", ex.request().input.class),
                    format!(
                        "The UUID spelling {} gets past a refusal of the canonical one",
                        ex.request().input.class
                    ),
                )),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oracle::testutil::*;

    fn pair(base: u16, spelled: u16) -> Vec<Exchange> {
        vec![
            ex("GET", "/resource_providers/{uuid}", base, "{}")
                .persona("tenant-b reader")
                .build(),
            ex("GET", "/resource_providers/{uuid}", spelled, "{}")
                .persona("tenant-b reader")
                .input(
                    InputKind::UuidSpelling,
                    "upper",
                    Some("7D2E3A1C-3D7B-4A4B-9A53-2B8E1D5F6C10"),
                )
                .build(),
        ]
    }

    #[test]
    fn spelling_past_refusal_trips() {
        assert_eq!(check(&pair(403, 200), &Context::default()).len(), 1);
    }

    #[test]
    fn consistent_answers_pass() {
        assert!(check(&pair(200, 200), &Context::default()).is_empty());
        assert!(check(&pair(403, 404), &Context::default()).is_empty());
    }
}
