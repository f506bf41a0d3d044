//! `policy` (CWE-285): each persona gets what the policy table in the
//! [`Context`] says: a denied persona never gets a 2xx, an allowed one never
//! a 403. Placement's defaults (admin and service everywhere, project
//! readers reading usages) or a deployment's policy file fill the table.

use crate::cause::Cause;
use crate::exchange::{Credentials, Exchange, InputKind};
use crate::finding::{CheckId, Finding, Severity};
use crate::oracle::{Access, Context};

/// Authenticated requests, speaking only as their persona, whose route
/// and persona the policy table has a row for.
pub fn judges(ex: &Exchange, ctx: &Context) -> bool {
    let req = ex.request();
    // Unauthenticated requests are auth_required's to judge.
    // Rule: a request that carries client-set identity headers (X-Roles,
    // X-Project-Id, OpenStack-System-Scope, ...) no longer speaks only as
    // its persona, so the persona's row of the table does not describe it;
    // identity_spoofing judges it against the same request without the
    // headers, and a second finding here would report the same answer
    // twice under the wrong name.
    req.credentials == Credentials::Valid
        && req.input.kind != InputKind::SpoofedIdentity
        && ctx.access(&req.method, &req.route, &req.persona).is_some()
}

/// Compares the status against the policy table.
pub fn check(ex: &Exchange, ctx: &Context) -> Vec<Finding> {
    if !judges(ex, ctx) {
        return Vec::new();
    }
    let req = ex.request();
    let status = ex.status();
    // The cause is one rule of the policy read one way: an operation, a
    // persona, and which way the answer went against the table.
    let (severity, evidence, cause) = match ctx.access(&req.method, &req.route, &req.persona) {
        Some(Access::Deny) if (200..300).contains(&status) => (
            Severity::High,
            format!(
                "policy denies {} but the server answered {status}",
                req.persona
            ),
            Cause::new(
                format!(
                    "allowed-though-denied:{}:{} {}",
                    req.persona, req.method, req.route
                ),
                format!(
                    "{} {} lets {} in although the policy denies it",
                    req.method, req.route, req.persona
                ),
            ),
        ),
        // Over-restriction breaks clients, it exposes nothing.
        Some(Access::Allow) if status == 403 => (
            Severity::Low,
            format!("policy allows {} but the server answered 403", req.persona),
            Cause::new(
                format!(
                    "denied-though-allowed:{}:{} {}",
                    req.persona, req.method, req.route
                ),
                format!(
                    "{} {} refuses {} although the policy allows it",
                    req.method, req.route, req.persona
                ),
            ),
        ),
        _ => return Vec::new(),
    };
    vec![
        Finding::from_exchange(
            CheckId::Policy,
            severity,
            format!(
                "{} {} as {} differs from policy",
                req.method, req.route, req.persona
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
    use crate::oracle::PolicyRule;
    use crate::oracle::testutil::*;

    fn ctx() -> Context {
        Context {
            policy: vec![PolicyRule {
                method: "GET".into(),
                route: "/resource_providers".into(),
                access: [
                    ("admin".to_owned(), Access::Allow),
                    ("norole".to_owned(), Access::Deny),
                ]
                .into(),
            }],
            ..Context::default()
        }
    }

    #[test]
    fn denied_persona_getting_200_trips() {
        let e = ex("GET", "/resource_providers", 200, "{}")
            .persona("norole")
            .build();
        assert_eq!(check(&e, &ctx())[0].severity, Severity::High);
        let a = ex("GET", "/resource_providers", 403, "{}").build();
        assert_eq!(check(&a, &ctx())[0].severity, Severity::Low);
    }

    #[test]
    fn matching_policy_passes() {
        let e = ex("GET", "/resource_providers", 403, "{}")
            .persona("norole")
            .build();
        assert!(check(&e, &ctx()).is_empty());
        let a = ex("GET", "/resource_providers", 200, "{}").build();
        assert!(check(&a, &ctx()).is_empty());
    }

    #[test]
    fn spoofed_identity_is_left_to_identity_spoofing() {
        let spoofed = ex("GET", "/resource_providers", 200, "{}")
            .persona("norole")
            .req_header("X-Roles", "admin")
            .input(InputKind::SpoofedIdentity, "spoofed-x-roles", None)
            .build();
        assert!(check(&spoofed, &ctx()).is_empty());
        let plain = ex("GET", "/resource_providers", 200, "{}")
            .persona("norole")
            .build();
        assert_eq!(check(&plain, &ctx()).len(), 1);
    }
}
