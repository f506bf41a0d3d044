//! `no_5xx` (CWE-755): the server must answer client input with a 4xx, never
//! a 5xx. A 500 means an exception escaped Placement's handlers (for example
//! `int()` on an unchecked query value), which is both a robustness defect
//! and, when repeated cheaply, a way to fill logs and alerting.

use crate::cause::{Cause, normalize};
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
    let req = ex.request();
    // The cause is the exception, wherever it was raised from: the same
    // unchecked `int()` behind three routes is one defect.
    let cause = match exception(&ex.body_text()) {
        Some(e) => Cause::new(
            format!("exception:{e}"),
            format!("Placement answers {status} with the exception \"{e}\""),
        ),
        None => Cause::new(
            format!("status:{status}:{} {}", req.method, req.route),
            format!("{} {} answers {status}", req.method, req.route),
        ),
    };
    vec![
        Finding::from_exchange(
            CheckId::No5xx,
            severity,
            format!("{} {} answers {status}", req.method, req.route),
            format!("status {status} where a 4xx was due"),
            ex,
        )
        .because(cause),
    ]
}

/// The exception a Placement error body carries, with the run's values
/// taken out: the cause signature of a 5xx.
pub fn exception(body: &str) -> Option<String> {
    exception_text(body).map(|t| normalize(&t))
}

/// The exception's text as a Placement error body carries it: webob puts
/// `str(exception)` after the status's generic sentence and a blank line
/// in `errors[0].detail`.
pub fn exception_text(body: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    let detail = v.pointer("/errors/0/detail")?.as_str()?;
    let (_, text) = detail.split_once("\n\n")?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
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
        assert_eq!(
            f[0].cause.signature,
            "exception:invalid literal for int() with base N: '…'"
        );
    }

    #[test]
    fn one_exception_behind_two_routes_is_one_cause_and_a_bare_500_is_its_route() {
        let a = from_fixture("GET", "/allocation_candidates", "limit_abc").build();
        let b = from_fixture("GET", "/resource_providers", "limit_abc").build();
        let (fa, fb) = (
            check(&a, &Context::default()),
            check(&b, &Context::default()),
        );
        assert_eq!(fa[0].cause.signature, fb[0].cause.signature);
        let bare = ex("GET", "/x", 502, "<html>Bad Gateway</html>").build();
        assert_eq!(
            check(&bare, &Context::default())[0].cause.signature,
            "status:502:GET /x"
        );
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
