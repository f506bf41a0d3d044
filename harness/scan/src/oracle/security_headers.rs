//! `security_headers` (CWE-693): responses carry `X-Content-Type-Options:
//! nosniff`, so a browser never sniffs a JSON body with echoed input into
//! HTML, and errors are served as JSON, never `text/html` (webob's default
//! when the client does not ask for JSON), whose body a browser renders.

use crate::exchange::Exchange;
use crate::finding::{CheckId, Finding, Severity};
use crate::oracle::Context;

/// Every answer is judged: each one reaches a client with its headers.
pub fn judges(_ex: &Exchange, _ctx: &Context) -> bool {
    true
}

/// Reports a missing or wrong nosniff header and HTML-served errors.
pub fn check(ex: &Exchange, ctx: &Context) -> Vec<Finding> {
    if !judges(ex, ctx) {
        return Vec::new();
    }
    let mut reasons = Vec::new();
    let mut severity = Severity::Low;
    let nosniff = ex
        .response_header("x-content-type-options")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("nosniff"));
    // A body-less answer (204, 304) gives a browser nothing to sniff.
    if !nosniff && !ex.response().body.is_empty() {
        reasons.push("no X-Content-Type-Options: nosniff".to_owned());
    }
    let ctype = ex
        .response_header("content-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    if ex.status() >= 400 && ctype.contains("text/html") {
        severity = Severity::Medium;
        reasons.push(format!("error served as {ctype}"));
    } else if ex.status() >= 400
        && !ctype.contains("json")
        && serde_json::from_slice::<serde_json::Value>(&ex.response().body).is_ok()
    {
        reasons.push(format!("JSON error served as {:?}", ctype));
    }
    if reasons.is_empty() {
        return Vec::new();
    }
    vec![Finding::from_exchange(
        CheckId::SecurityHeaders,
        severity,
        format!(
            "{} {} lacks protective headers",
            ex.request().method,
            ex.request().route
        ),
        reasons.join("; "),
        ex,
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oracle::testutil::*;

    #[test]
    fn real_placement_lacks_nosniff() {
        let e = from_fixture("GET", "/resource_providers/{uuid}", "bad_uuid_path").build();
        let f = check(&e, &Context::default());
        assert_eq!(f.len(), 1);
        assert!(f[0].evidence.contains("nosniff"));
    }

    #[test]
    fn html_error_is_medium_and_good_response_passes() {
        let html = ex("GET", "/x", 404, "<html></html>")
            .resp_header("content-type", "text/html")
            .build();
        assert_eq!(
            check(&html, &Context::default())[0].severity,
            Severity::Medium
        );
        let good = ex("GET", "/x", 404, r#"{"errors": []}"#).build();
        assert!(check(&good, &Context::default()).is_empty());
    }
}
