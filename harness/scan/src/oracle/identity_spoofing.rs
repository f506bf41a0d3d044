//! `identity_spoofing` (CWE-290): identity headers (`X-Roles`,
//! `X-Project-Id`, `X-Identity-Status`, ...) are set by the auth middleware,
//! never by the client. A request that adds them must be answered exactly
//! as the same request without them; a 2xx where the baseline was refused
//! means the server trusted the client's claim.
//!
//! Pairs are exchanges of one persona, method, route and comparison group:
//! one with input kind `SpoofedIdentity`, the baseline with `Valid`.
//!
//! Against a target that authenticates with noauth2 (a mode Placement
//! documents as for testing only, where identity comes from client headers
//! by design) every such answer has one root cause: the findings are the
//! instances of one issue, not a critical per header and route.

use crate::cause::Cause;
use crate::exchange::{Exchange, InputKind};
use crate::finding::{CheckId, Finding, Severity};
use crate::oracle::{Context, pairing};

/// Compares each spoofed request with its baseline.
pub fn check(exchanges: &[Exchange], ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for (ex, base) in pairing::with_baseline(exchanges, InputKind::SpoofedIdentity) {
        let refused = matches!(base, 401 | 403 | 404);
        if refused && (200..300).contains(&ex.status()) {
            out.push(
                Finding::from_exchange(
                    CheckId::IdentitySpoofing,
                    Severity::Critical,
                    format!(
                        "{} {} honours client identity headers",
                        ex.request().method,
                        ex.request().route
                    ),
                    format!(
                        "refused with {base} without the headers, answered {} with them",
                        ex.status()
                    ),
                    ex,
                )
                .because(if ctx.tokens_name_users {
                    Cause::new(
                        "test-mode-auth:noauth2".to_owned(),
                        "The target authenticates with noauth2 (for testing only): \
                         identities are taken from client-set headers"
                            .to_owned(),
                    )
                } else {
                    Cause::new(
                        format!("honoured:{}", ex.request().input.class),
                        format!(
                            "Client-set identity headers ({}) are honoured",
                            ex.request().input.class
                        ),
                    )
                }),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oracle::testutil::*;

    fn pair(base: u16, spoofed: u16) -> Vec<Exchange> {
        vec![
            ex("GET", "/resource_providers", base, "{}")
                .persona("norole")
                .build(),
            ex("GET", "/resource_providers", spoofed, "{}")
                .persona("norole")
                .req_header("X-Roles", "admin")
                .input(InputKind::SpoofedIdentity, "x-roles-admin", None)
                .build(),
        ]
    }

    #[test]
    fn spoofed_roles_honoured_trips() {
        assert_eq!(
            check(&pair(403, 200), &Context::default())[0].severity,
            Severity::Critical
        );
    }

    #[test]
    fn under_noauth2_every_honoured_header_is_one_cause() {
        let noauth2 = Context {
            tokens_name_users: true,
            ..Context::default()
        };
        let mut pairs = pair(403, 200);
        pairs.extend(vec![
            ex("GET", "/traits", 403, "{}").persona("norole").build(),
            ex("GET", "/traits", 200, "{}")
                .persona("norole")
                .req_header("X-Project-Id", "other")
                .input(InputKind::SpoofedIdentity, "x-project-id", None)
                .build(),
        ]);
        let found = check(&pairs, &noauth2);
        assert_eq!(found.len(), 2);
        let causes: std::collections::BTreeSet<_> =
            found.iter().map(|f| f.cause.signature.clone()).collect();
        assert_eq!(causes.len(), 1, "{causes:?}");
        // Behind a real auth middleware each header class is its own cause.
        let found = check(&pairs, &Context::default());
        let causes: std::collections::BTreeSet<_> =
            found.iter().map(|f| f.cause.signature.clone()).collect();
        assert_eq!(causes.len(), 2, "{causes:?}");
    }

    #[test]
    fn spoofed_roles_ignored_passes() {
        assert!(check(&pair(403, 403), &Context::default()).is_empty());
        assert!(check(&pair(200, 200), &Context::default()).is_empty());
    }
}
