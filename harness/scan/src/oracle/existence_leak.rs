//! `existence_leak` (CWE-204): asked by a persona that may not see it, an
//! object that exists but belongs to another tenant must look exactly like
//! one that does not exist: same status, same body once UUIDs and request
//! ids are masked. Otherwise a tenant can enumerate other tenants' objects.
//!
//! Pairs are exchanges of one persona, method, route and comparison group,
//! one with input kind `OtherTenantRef`, the other `Nonexistent`.

use std::collections::BTreeMap;

use regex::Regex;

use crate::cause::Cause;
use crate::exchange::{Exchange, InputKind};
use crate::finding::{CheckId, Finding, Severity};
use crate::oracle::Context;

type Key<'a> = (&'a str, &'a str, &'a str, Option<&'a str>);

fn key(ex: &Exchange) -> Key<'_> {
    let r = ex.request();
    (&r.persona, &r.method, &r.route, r.group.as_deref())
}

/// The body with UUIDs and request ids masked, for comparison.
pub fn normalise(body: &str) -> String {
    static RE: std::sync::OnceLock<Option<Regex>> = std::sync::OnceLock::new();
    match RE
        .get_or_init(|| Regex::new(r"(?i)req-[0-9a-f-]{36}|[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}").ok())
    {
        Some(re) => re.replace_all(body, "<uuid>").into_owned(),
        None => body.to_owned(),
    }
}

/// Every foreign-object exchange of an unprivileged persona that has a
/// nonexistent twin, with that twin: the pairs this oracle compares.
pub fn twins<'a>(exchanges: &'a [Exchange], ctx: &Context) -> Vec<(&'a Exchange, &'a Exchange)> {
    let mut missing: BTreeMap<Key<'_>, &Exchange> = BTreeMap::new();
    for ex in exchanges
        .iter()
        .filter(|e| e.request().input.kind == InputKind::Nonexistent)
    {
        missing.entry(key(ex)).or_insert(ex);
    }
    exchanges
        .iter()
        .filter(|e| e.request().input.kind == InputKind::OtherTenantRef)
        .filter(|e| !ctx.privileged.contains(&e.request().persona))
        .filter_map(|ex| missing.get(&key(ex)).map(|twin| (ex, *twin)))
        .collect()
}

/// Compares each foreign-object exchange with its nonexistent twin.
pub fn check(exchanges: &[Exchange], ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for (ex, twin) in twins(exchanges, ctx) {
        let evidence = if ex.status() != twin.status() {
            format!(
                "foreign object answers {}, a missing one {}",
                ex.status(),
                twin.status()
            )
        } else if normalise(&ex.body_text()) != normalise(&twin.body_text()) {
            format!(
                "same status {} but the bodies differ beyond ids",
                ex.status()
            )
        } else {
            continue;
        };
        out.push(
            Finding::from_exchange(
                CheckId::ExistenceLeak,
                Severity::Medium,
                format!(
                    "{} {} tells foreign objects from missing ones",
                    ex.request().method,
                    ex.request().route
                ),
                evidence,
                ex,
            )
            .because(Cause::new(
                format!("{} {}", ex.request().method, ex.request().route),
                format!(
                    "{} {} tells another tenant's objects from missing ones",
                    ex.request().method,
                    ex.request().route
                ),
            )),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oracle::testutil::*;

    fn pair(foreign: (u16, &str), missing: (u16, &str)) -> Vec<Exchange> {
        vec![
            ex("GET", "/allocations/{consumer_uuid}", foreign.0, foreign.1)
                .persona("tenant-b reader")
                .input(InputKind::OtherTenantRef, "foreign", None)
                .build(),
            ex("GET", "/allocations/{consumer_uuid}", missing.0, missing.1)
                .persona("tenant-b reader")
                .input(InputKind::Nonexistent, "missing", None)
                .build(),
        ]
    }

    #[test]
    fn different_status_trips() {
        assert_eq!(
            check(&pair((403, "{}"), (404, "{}")), &Context::default()).len(),
            1
        );
    }

    #[test]
    fn same_answer_modulo_ids_passes() {
        let a = r#"{"detail": "No consumer 7d2e3a1c-3d7b-4a4b-9a53-2b8e1d5f6c10", "request_id": "req-1480653c-5285-4948-96b5-0e2aca3ac960"}"#;
        let b = r#"{"detail": "No consumer 11111111-2222-4333-8444-555555555555", "request_id": "req-785302be-d05f-43f9-8cb9-209feca7b424"}"#;
        assert!(check(&pair((404, a), (404, b)), &Context::default()).is_empty());
    }
}
