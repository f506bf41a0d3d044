//! `security_headers` (CWE-693): responses carry `X-Content-Type-Options:
//! nosniff`, so a browser never sniffs a JSON body with echoed input into
//! HTML, and errors are served as JSON, never `text/html` (webob's default
//! when the client does not ask for JSON), whose body a browser renders.

use crate::cause::Cause;
use crate::exchange::Exchange;
use crate::finding::{CheckId, Finding, Severity, finding_id};
use crate::oracle::Context;

/// Every answer is judged: each one reaches a client with its headers.
pub fn judges(_ex: &Exchange, _ctx: &Context) -> bool {
    true
}

/// Reports a missing or wrong nosniff header and, as a finding of its
/// own, an error served as HTML or JSON under another type.
pub fn check(ex: &Exchange, ctx: &Context) -> Vec<Finding> {
    if !judges(ex, ctx) {
        return Vec::new();
    }
    let req = ex.request();
    let mut out = Vec::new();
    let nosniff = ex
        .response_header("x-content-type-options")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("nosniff"));
    // A body-less answer (204, 304) gives a browser nothing to sniff.
    if !nosniff && !ex.response().body.is_empty() {
        out.push(
            Finding::from_exchange(
                CheckId::SecurityHeaders,
                Severity::Low,
                format!("{} {} lacks protective headers", req.method, req.route),
                "no X-Content-Type-Options: nosniff",
                ex,
            )
            .because(Cause::new(
                "missing:x-content-type-options",
                "Responses lack X-Content-Type-Options: nosniff",
            )),
        );
    }
    let ctype = ex
        .response_header("content-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    // How the error is typed is a cause apart from the header (the error
    // formatter, not the middleware): a finding of its own, with its own id.
    let served = if ex.status() >= 400 && ctype.contains("text/html") {
        Some((Severity::Medium, format!("error served as {ctype}"), "HTML"))
    } else if ex.status() >= 400
        && !ctype.contains("json")
        && serde_json::from_slice::<serde_json::Value>(&ex.response().body).is_ok()
    {
        Some((
            Severity::Low,
            format!("JSON error served as {ctype:?}"),
            "non-JSON",
        ))
    } else {
        None
    };
    if let Some((severity, evidence, kind)) = served {
        let mut f = Finding::from_exchange(
            CheckId::SecurityHeaders,
            severity,
            format!("{} {} serves an error as {kind}", req.method, req.route),
            evidence,
            ex,
        )
        .because(Cause::new(
            format!("error-content-type:{ctype}"),
            format!("Errors are served as {ctype:?}"),
        ));
        f.id = finding_id(
            f.check,
            &f.method,
            &f.route,
            &f.persona,
            &format!("{}\u{0}content-type", f.input_class),
        );
        out.push(f);
    }
    out
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
        let f = check(&html, &Context::default());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Medium);
        assert_eq!(f[0].cause.signature, "error-content-type:text/html");
        // Without nosniff as well: two causes, two findings.
        let mut bare = html.response().clone();
        bare.headers.retain(|h| h.name != "x-content-type-options");
        let bare = Exchange::new(html.request().clone(), bare);
        let f = check(&bare, &Context::default());
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].cause.signature, "missing:x-content-type-options");
        assert_eq!(f[1].cause.signature, "error-content-type:text/html");
        assert_ne!(f[0].id, f[1].id);
        let good = ex("GET", "/x", 404, r#"{"errors": []}"#).build();
        assert!(check(&good, &Context::default()).is_empty());
    }
}
