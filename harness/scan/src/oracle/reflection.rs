//! `reflection` (CWE-116, CWE-79 for HTML): client input must not come back
//! unbounded or unescaped. Placement echoes path segments into its 404
//! details; an echo of markup in an HTML body is script injection, an echo
//! without bound lets a client make the server carry arbitrary text, and an
//! error far larger than its request is an amplifier.

use crate::cause::Cause;
use crate::exchange::Exchange;
use crate::finding::{CheckId, Finding, Severity};
use crate::oracle::Context;

/// Characters that change meaning in HTML.
const MARKUP: &[char] = &['<', '>', '"', '\''];

/// Error bodies below this size are never amplification, whatever the ratio.
const AMPLIFICATION_FLOOR: usize = 4096;

/// Answers to requests that carried input (is it echoed?) and error
/// answers (are they far larger than the request?).
pub fn judges(ex: &Exchange, _ctx: &Context) -> bool {
    ex.status() >= 400
        || ex
            .request()
            .input
            .value
            .as_deref()
            .is_some_and(|v| !v.is_empty())
}

/// Reports echoed input (unescaped markup, or longer than the context's
/// bound) and error bodies much larger than the request.
pub fn check(ex: &Exchange, ctx: &Context) -> Vec<Finding> {
    if !judges(ex, ctx) {
        return Vec::new();
    }
    let req = ex.request();
    let body = ex.body_text();
    let html = ex
        .response_header("content-type")
        .is_some_and(|c| c.to_ascii_lowercase().contains("html"));
    // Rule: outside HTML, only errors are judged. A 2xx JSON body returning
    // what the client stored is the API working (a provider named "<b>" is
    // listed as "<b>"); an error has no reason to carry the input at all.
    let is_error = ex.status() >= 400;
    let mut out = Vec::new();
    let at = req.input_location();
    // Where the input went and how it came back is the cause: one
    // formatter echoing path ids is one defect on every route.
    let cause = |kind: &str, title: String| {
        Cause::new(format!("{kind}:{}:{at}", req.input.kind.as_str()), title)
    };
    if let Some(value) = req.input.value.as_deref().filter(|v| !v.is_empty()) {
        if body.contains(value) {
            let has_markup = value.contains(MARKUP);
            if has_markup && html {
                out.push(
                    Finding::from_exchange(
                        CheckId::Reflection,
                        Severity::High,
                        format!("{} {} reflects markup into HTML", req.method, req.route),
                        format!(
                            "input {:?} appears unescaped in a text/html body",
                            clip(value)
                        ),
                        ex,
                    )
                    .with_cwe(79)
                    .because(cause(
                        "markup-in-html",
                        format!("Markup sent in the {at} is echoed unescaped into HTML"),
                    )),
                );
            } else if is_error && has_markup && value.contains('<') {
                // JSON served as application/json is not rendered, so raw
                // markup there is a weaker defect: still reported, low.
                out.push(
                    Finding::from_exchange(
                        CheckId::Reflection,
                        Severity::Low,
                        format!("{} {} reflects markup unescaped", req.method, req.route),
                        format!("input {:?} appears unescaped in the body", clip(value)),
                        ex,
                    )
                    .because(cause(
                        "markup",
                        format!("Markup sent in the {at} is echoed unescaped in errors"),
                    )),
                );
            } else if is_error && value.len() > ctx.reflection_bound {
                out.push(
                    Finding::from_exchange(
                        CheckId::Reflection,
                        Severity::Low,
                        format!("{} {} reflects input without bound", req.method, req.route),
                        format!(
                            "{} bytes of input echoed whole (bound {})",
                            value.len(),
                            ctx.reflection_bound
                        ),
                        ex,
                    )
                    .because(cause(
                        "unbounded",
                        format!("Input sent in the {at} is echoed in errors without bound"),
                    )),
                );
            }
        }
    }
    let request_size = req.url.len() + req.body.as_ref().map_or(0, String::len);
    let resp_size = ex.response().body.len();
    if ex.status() >= 400
        && resp_size > AMPLIFICATION_FLOOR
        && resp_size > request_size.saturating_mul(ctx.amplification_factor)
    {
        out.push(
            Finding::from_exchange(
                CheckId::Reflection,
                Severity::Low,
                format!(
                    "{} {} answers an error far larger than the request",
                    req.method, req.route
                ),
                format!("{resp_size}-byte error body for a {request_size}-byte request"),
                ex,
            )
            .because(Cause::new(
                format!("amplification:{}", ex.status()),
                format!("{} errors are far larger than their requests", ex.status()),
            )),
        );
    }
    out
}

fn clip(s: &str) -> String {
    s.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::InputKind;
    use crate::oracle::testutil::*;

    #[test]
    fn unbounded_echo_in_a_404_trips() {
        let long = "a".repeat(1000);
        let body = format!(
            r#"{{"errors": [{{"status": 404, "title": "Not Found", "detail": "No resource provider with uuid {long} found"}}]}}"#
        );
        let e = ex("GET", "/resource_providers/{uuid}", 404, &body)
            .input(InputKind::MalformedUuid, "long", Some(&long))
            .build();
        let f = check(&e, &Context::default());
        assert_eq!(f.len(), 1);
        assert!(f[0].evidence.contains("1000 bytes"));
    }

    #[test]
    fn markup_into_html_trips_as_cwe_79() {
        let e = ex(
            "GET",
            "/resource_providers/{uuid}",
            404,
            "<p>No <script>x</script> found</p>",
        )
        .resp_header("content-type", "text/html; charset=UTF-8")
        .input(InputKind::Hostile, "script", Some("<script>x</script>"))
        .build();
        let f = check(&e, &Context::default());
        assert_eq!(f[0].cwe, "CWE-79");
        assert_eq!(f[0].severity, Severity::High);
    }

    #[test]
    fn short_echo_of_a_real_placement_404_does_not_trip() {
        let e = from_fixture("GET", "/resource_providers/{uuid}", "bad_uuid_path")
            .input(InputKind::MalformedUuid, "not-a-uuid", Some("not-a-uuid"))
            .build();
        assert!(check(&e, &Context::default()).is_empty());
    }

    #[test]
    fn stored_markup_listed_in_json_is_not_reflection() {
        let e = ex(
            "GET",
            "/resource_providers",
            200,
            r#"{"resource_providers": [{"name": "<b>x</b>"}]}"#,
        )
        .input(InputKind::Hostile, "markup", Some("<b>x</b>"))
        .build();
        assert!(check(&e, &Context::default()).is_empty());
        let err = ex(
            "GET",
            "/resource_providers",
            400,
            r#"{"errors": [{"detail": "bad <b>x</b>"}]}"#,
        )
        .input(InputKind::Hostile, "markup", Some("<b>x</b>"))
        .build();
        assert_eq!(check(&err, &Context::default())[0].severity, Severity::Low);
    }

    #[test]
    fn amplification_trips_only_on_errors() {
        let big = "x".repeat(10_000);
        let e = ex("GET", "/traits", 400, &big).build();
        assert_eq!(check(&e, &Context::default()).len(), 1);
        let ok = ex("GET", "/traits", 200, &big).build();
        assert!(check(&ok, &Context::default()).is_empty());
    }
}
