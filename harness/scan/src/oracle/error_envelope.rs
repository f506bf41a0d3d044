//! `error_envelope` (CWE-703): every Placement error is
//! `{"errors": [{"status", "title", "detail", "code", "request_id"}]}`, with
//! `code` one of the symbols of `placement/errors.py` from microversion 1.23
//! on. A body outside that shape means an error escaped Placement's
//! formatter (a middleware or an unhandled path), which is where leaks and
//! inconsistent client handling start.

use serde_json::Value;

use crate::cause::{Cause, normalize};
use crate::exchange::Exchange;
use crate::finding::{CheckId, Finding, Severity};
use crate::oracle::Context;

/// The error codes Placement defines (placement/errors.py, 16.0.0).
pub const KNOWN_CODES: &[&str] = &[
    "placement.undefined_code",
    "placement.inventory.inuse",
    "placement.concurrent_update",
    "placement.duplicate_name",
    "placement.resource_provider.inuse",
    "placement.resource_provider.cannot_delete_parent",
    "placement.resource_provider.not_found",
    "placement.query.duplicate_key",
    "placement.query.bad_value",
    "placement.query.missing_value",
];

/// The microversion from which errors carry `code`.
pub const ERROR_CODE_MICROVERSION: (u32, u32) = (1, 23);

/// The microversion the request asked for: `None` when absent (Placement
/// then serves 1.0) or when the header is not one a server can read
/// (`placement 1.0000039`, `placement LATEST`: the 400 refusing it has no
/// microversion to follow, so it may omit `code`, as Placement's own does);
/// `latest` counts as above everything. A well-formed version out of range
/// is kept: its 406 is judged by the 406 rule.
pub fn requested_microversion(ex: &Exchange) -> Option<(u32, u32)> {
    use placement_core::microversion::{Microversion, MicroversionError};
    let raw = ex.request_header("openstack-api-version")?;
    match Microversion::parse_header(raw) {
        Ok(_) if raw.trim().ends_with("latest") => Some((u32::MAX, u32::MAX)),
        Ok(v) => Some((u32::from(v.major), u32::from(v.minor))),
        Err(MicroversionError::Unsupported(v)) => Some((u32::from(v.major), u32::from(v.minor))),
        Err(_) => None,
    }
}

/// Error answers whose whole body was read, but 401s.
pub fn judges(ex: &Exchange, _ctx: &Context) -> bool {
    let status = ex.status();
    // Rule: a 401 comes from the auth middleware (keystonemiddleware or
    // noauth2), which runs before Placement's formatter and answers
    // webob's {"message", "code", "title"}. Documented behaviour of the
    // deployment, not of Placement: not judged here (auth_required judges
    // its content).
    // Rule: a body the client stopped reading at its limit cannot be parsed
    // whole, so its shape is unknown, not wrong; a JSON body still starts
    // as one, and only a cut body that does not is judged.
    status >= 400
        && status != 401
        && !(ex.response().truncated && ex.body_text().trim_start().starts_with('{'))
}

/// Reports error responses whose body breaks the envelope.
pub fn check(ex: &Exchange, ctx: &Context) -> Vec<Finding> {
    if !judges(ex, ctx) {
        return Vec::new();
    }
    let status = ex.status();
    // Rule: with an unacceptable microversion (406) Placement has no version
    // to match, so `code` is omitted by design (util.json_error_formatter).
    let code_required =
        status != 406 && requested_microversion(ex).is_some_and(|v| v >= ERROR_CODE_MICROVERSION);
    let problems = envelope_problems(&ex.body_text(), status, code_required);
    if problems.is_empty() {
        return Vec::new();
    }
    // The status and what is wrong name the formatter at fault (webob's
    // HTML page, gunicorn's own 414, a handler building its own body).
    let wrong = normalize(&problems.join("; "));
    vec![
        Finding::from_exchange(
            CheckId::ErrorEnvelope,
            Severity::Low,
            format!(
                "{} {} answers {status} outside the error envelope",
                ex.request().method,
                ex.request().route
            ),
            problems.join("; "),
            ex,
        )
        .because(Cause::new(
            format!("{status}:{wrong}"),
            format!("{status} errors break the error envelope: {wrong}"),
        )),
    ]
}

/// What is wrong with an error body, empty when it is a proper envelope.
pub fn envelope_problems(body: &str, status: u16, code_required: bool) -> Vec<String> {
    let v: Value = match serde_json::from_str(body) {
        Ok(v) => v,
        Err(_) => return vec!["body is not JSON".to_owned()],
    };
    let Some(errors) = v.get("errors").and_then(Value::as_array) else {
        return vec!["no \"errors\" list".to_owned()];
    };
    if errors.is_empty() {
        return vec!["\"errors\" is empty".to_owned()];
    }
    let mut out = Vec::new();
    for (i, e) in errors.iter().enumerate() {
        match e.get("status").and_then(Value::as_u64) {
            Some(s) if s == u64::from(status) => {}
            Some(s) => out.push(format!("errors[{i}].status {s} differs from HTTP {status}")),
            None => out.push(format!("errors[{i}].status missing")),
        }
        for field in ["title", "detail"] {
            if !e.get(field).is_some_and(Value::is_string) {
                out.push(format!("errors[{i}].{field} missing"));
            }
        }
        match e.get("code").and_then(Value::as_str) {
            Some(c) if KNOWN_CODES.contains(&c) => {}
            Some(c) => out.push(format!("errors[{i}].code {c:?} is not a Placement code")),
            None if code_required => {
                out.push(format!("errors[{i}].code missing at microversion >= 1.23"))
            }
            None => {}
        }
        if e.get("request_id").is_some_and(|r| !r.is_string()) {
            out.push(format!("errors[{i}].request_id is not a string"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oracle::testutil::*;

    #[test]
    fn real_placement_errors_pass() {
        for name in [
            "bad_uuid_path",
            "malformed_json",
            "schema_invalid",
            "limit_abc",
            "bad_microversion",
            "no_token",
            "bad_resources_query",
        ] {
            let e = from_fixture("GET", "/resource_providers", name).build();
            assert!(check(&e, &Context::default()).is_empty(), "{name}");
        }
    }

    #[test]
    fn html_error_and_unknown_code_trip() {
        let html = ex(
            "GET",
            "/resource_providers",
            404,
            "<html><body>404 Not Found</body></html>",
        )
        .build();
        assert_eq!(check(&html, &Context::default()).len(), 1);
        let bad_code = ex(
            "GET",
            "/resource_providers",
            400,
            r#"{"errors": [{"status": 400, "title": "Bad Request", "detail": "x", "code": "oops"}]}"#,
        )
        .build();
        let f = check(&bad_code, &Context::default());
        assert!(f[0].evidence.contains("not a Placement code"));
    }

    #[test]
    fn code_required_only_from_1_23() {
        let body = r#"{"errors": [{"status": 400, "title": "Bad Request", "detail": "x"}]}"#;
        let new = ex("GET", "/traits", 400, body).build();
        assert_eq!(check(&new, &Context::default()).len(), 1);
        let old = ex("GET", "/traits", 400, body)
            .req_header("openstack-api-version", "placement 1.22")
            .build();
        assert!(check(&old, &Context::default()).is_empty());
        // A header nobody can read leaves no version for `code` to follow.
        for unreadable in ["placement 1.0000039", "placement LATEST", "placement 1.1_0"] {
            let odd = ex("GET", "/traits", 400, body)
                .req_header("openstack-api-version", unreadable)
                .build();
            assert!(check(&odd, &Context::default()).is_empty(), "{unreadable}");
        }
        let latest = ex("GET", "/traits", 400, body)
            .req_header("openstack-api-version", "placement latest")
            .build();
        assert_eq!(check(&latest, &Context::default()).len(), 1);
    }

    #[test]
    fn a_body_cut_at_the_read_limit_is_not_judged() {
        let cut_off = |e: Exchange| {
            Exchange::new(
                e.request().clone(),
                crate::exchange::Response {
                    truncated: true,
                    ..e.response().clone()
                },
            )
        };
        let whole = ex(
            "PUT",
            "/resource_providers/{uuid}",
            400,
            r#"{"errors": [{"status": 400, "title": "Bad Request", "detail": "JSON does not validate: 'xxxx"#,
        )
        .build();
        assert_eq!(
            check(&whole, &Context::default()).len(),
            1,
            "whole, it is judged"
        );
        assert!(check(&cut_off(whole), &Context::default()).is_empty());
        let html = ex("PUT", "/resource_providers/{uuid}", 400, "<html><body>no").build();
        assert_eq!(check(&cut_off(html), &Context::default()).len(), 1);
    }
}
