//! `no_5xx` (CWE-755): the server must answer client input with a 4xx, never
//! a 5xx. A 500 means an exception escaped Placement's handlers (for example
//! `int()` on an unchecked query value), which is both a robustness defect
//! and, when repeated cheaply, a way to fill logs and alerting.

use crate::exchange::Exchange;
use crate::finding::{CheckId, Finding, Severity};
use crate::oracle::Context;

/// Every answer is judged: any status can be a 5xx.
pub fn judges(_ex: &Exchange, _ctx: &Context) -> bool {
    true
}

/// Reports any 5xx status.
pub fn check(ex: &Exchange, ctx: &Context) -> Vec<Finding> {
    if !judges(ex, ctx) {
        return Vec::new();
    }
    let status = ex.status();
    if !(500..600).contains(&status) {
        return Vec::new();
    }
    // 502/503/504 come from proxies and overload rather than a handler
    // bug: still a finding, one step lower.
    let severity = if status == 500 {
        Severity::Medium
    } else {
        Severity::Low
    };
    vec![Finding::from_exchange(
        CheckId::No5xx,
        severity,
        format!(
            "{} {} answers {status}",
            ex.request().method,
            ex.request().route
        ),
        format!("status {status} where a 4xx was due"),
        ex,
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oracle::testutil::*;

    #[test]
    fn real_placement_500_on_limit_abc_trips() {
        let ex = from_fixture("GET", "/allocation_candidates", "limit_abc").build();
        let f = check(&ex, &Context::default());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].cwe, "CWE-755");
        assert_eq!(f[0].severity, Severity::Medium);
    }

    #[test]
    fn real_placement_400_does_not_trip() {
        let ex = from_fixture("POST", "/resource_providers", "malformed_json").build();
        assert!(check(&ex, &Context::default()).is_empty());
        let ex = ex_ok();
        assert!(check(&ex, &Context::default()).is_empty());
    }

    fn ex_ok() -> Exchange {
        ex("GET", "/", 200, "{}").build()
    }
}
