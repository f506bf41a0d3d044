//! `malformed_input` (CWE-20): a request marked as carrying a malformed UUID
//! or name must be refused with 400. A 2xx means the value was stored or
//! acted on unvalidated; a 500 means it reached code that assumed it valid;
//! a 404 that echoes it, or a 2xx to a read, means it was used as a lookup
//! key unvalidated (what Placement 16.0.0 does with
//! `/resource_providers/not-a-uuid` and `/allocations/not-a-uuid`).

use crate::cause::Cause;
use crate::exchange::{Exchange, InputKind};
use crate::finding::{CheckId, Finding, Severity};
use crate::oracle::Context;

/// Requests that carried a malformed id or name.
pub fn judges(ex: &Exchange, _ctx: &Context) -> bool {
    matches!(
        ex.request().input.kind,
        InputKind::MalformedUuid | InputKind::MalformedName
    )
}

/// Judges exchanges whose input is a malformed UUID or name.
pub fn check(ex: &Exchange, ctx: &Context) -> Vec<Finding> {
    if !judges(ex, ctx) {
        return Vec::new();
    }
    let req = ex.request();
    let status = ex.status();
    let echoed = req
        .input
        .value
        .as_deref()
        .is_some_and(|v| !v.is_empty() && ex.body_text().contains(v));
    let read = matches!(req.method.as_str(), "GET" | "HEAD");
    let at = req.input_location();
    let kind = req.input.kind.as_str();
    let class = &req.input.class;
    // The cause: what the handler did with the value and where it came in;
    // a write that stores it is a cause per input class, a lookup that uses
    // it unchecked one per kind of value.
    let (severity, evidence, cause) = match status {
        // Rule: a read stores nothing, so a 2xx to a read is the value used
        // as a lookup or filter key unvalidated: the same weakness as the
        // echoing 404 below, at its severity; a 2xx to a write is the value
        // stored or acted on.
        200..=299 if read => (
            Severity::Low,
            format!("malformed input used as a lookup key: {status} instead of 400"),
            Cause::new(
                format!("lookup:{kind}:{at}"),
                format!("A {kind} value in the {at} is used as a lookup key unchecked"),
            ),
        ),
        200..=299 => (
            Severity::High,
            format!("malformed input accepted with {status}"),
            Cause::new(
                format!("accepted:{class}:{at}"),
                format!("Writes accept the malformed value {class} in the {at}"),
            ),
        ),
        500..=599 => (
            Severity::Medium,
            format!("malformed input crashed the handler ({status})"),
            Cause::new(
                format!("crash:{class}:{at}"),
                format!("The malformed value {class} in the {at} crashes the handler"),
            ),
        ),
        404 if echoed => (
            Severity::Low,
            "malformed input used as a lookup key: 404 echoing it instead of 400".to_owned(),
            Cause::new(
                format!("lookup:{kind}:{at}"),
                format!("A {kind} value in the {at} is used as a lookup key unchecked"),
            ),
        ),
        // Rule: other refusals (400, 401/403 from auth running first, 404
        // from routing that does not echo, 405, 413, 414) all keep the
        // value out of the application.
        _ => return Vec::new(),
    };
    vec![
        Finding::from_exchange(
            CheckId::MalformedInput,
            severity,
            format!(
                "{} {} does not refuse a malformed value with 400",
                req.method, req.route
            ),
            evidence,
            ex,
        )
        .because(cause),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oracle::testutil::*;

    #[test]
    fn real_placement_404_echo_trips() {
        let e = from_fixture("GET", "/resource_providers/{uuid}", "bad_uuid_path")
            .input(InputKind::MalformedUuid, "not-a-uuid", Some("not-a-uuid"))
            .build();
        let f = check(&e, &Context::default());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Low);
    }

    #[test]
    fn accepted_trips_and_400_passes() {
        let ok = ex("POST", "/resource_providers", 200, "{}")
            .input(InputKind::MalformedName, "nul", Some("a\u{0}b"))
            .build();
        assert_eq!(check(&ok, &Context::default())[0].severity, Severity::High);
        let refused = from_fixture("POST", "/resource_providers", "schema_invalid")
            .input(InputKind::MalformedName, "int", Some("1"))
            .build();
        assert!(check(&refused, &Context::default()).is_empty());
        let unmarked = ex("POST", "/resource_providers", 200, "{}").build();
        assert!(check(&unmarked, &Context::default()).is_empty());
    }

    #[test]
    fn a_read_that_answers_is_a_lookup_a_write_that_answers_is_stored() {
        let read = ex(
            "GET",
            "/allocations/{consumer_uuid}",
            200,
            r#"{"allocations": {}}"#,
        )
        .input(
            InputKind::MalformedUuid,
            "36-dashes",
            Some("-".repeat(36).as_str()),
        )
        .build();
        let f = check(&read, &Context::default());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Low);
        assert!(f[0].evidence.contains("lookup key"), "{}", f[0].evidence);
        let write = ex("DELETE", "/allocations/{consumer_uuid}", 204, "")
            .input(
                InputKind::MalformedUuid,
                "36-dashes",
                Some("-".repeat(36).as_str()),
            )
            .build();
        assert_eq!(
            check(&write, &Context::default())[0].severity,
            Severity::High
        );
    }
}
