//! `identity_spoofing` (CWE-290): identity headers (`X-Roles`,
//! `X-Project-Id`, `X-Identity-Status`, ...) are set by the auth middleware,
//! never by the client. A request that adds them must be answered exactly
//! as the same request without them; a 2xx where the baseline was refused
//! means the server trusted the client's claim.
//!
//! Pairs are exchanges of one persona, method, route and comparison group:
//! one with input kind `SpoofedIdentity`, the baseline with `Valid`.

use crate::cause::Cause;
use crate::exchange::{Exchange, InputKind};
use crate::finding::{CheckId, Finding, Severity};
use crate::oracle::{Context, pairing};

/// Compares each spoofed request with its baseline.
pub fn check(exchanges: &[Exchange], _ctx: &Context) -> Vec<Finding> {
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
                .because(Cause::new(
                    format!("honoured:{}", ex.request().input.class),
                    format!(
                        "Client-set identity headers ({}) are honoured",
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
    fn spoofed_roles_ignored_passes() {
        assert!(check(&pair(403, 403), &Context::default()).is_empty());
        assert!(check(&pair(200, 200), &Context::default()).is_empty());
    }
}
