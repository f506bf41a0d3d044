//! Judge one response against one test's expectations, the way gabbi
//! does, returning every failure (not just the first) with expected and
//! got, so that one run shows all that is wrong.

use regex::Regex;
use serde_json::Value;

use super::jsonpath::GabbiPath;
use super::model::Test;
use super::substitute::{Context, python_str, substitute_regex, substitute_str, substitute_value};

/// A response as the runner saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Headers in received order (names compared case-insensitively).
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Response {
    /// The final response of an exchange, as the suite checks read it.
    pub fn of(exchange: &crate::exchange::Exchange) -> Response {
        let r = exchange.response();
        Response {
            status: r.status,
            headers: crate::exchange::header_pairs(&r.headers),
            body: r.body.clone(),
        }
    }

    /// A header's value by case-insensitive name (the first, if repeated).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether gabbi would decode this body as JSON: a non-empty body
    /// with an `application/json` or `+json` content type.
    pub fn is_json(&self) -> bool {
        let ct = self
            .header("content-type")
            .unwrap_or("")
            .to_ascii_lowercase();
        !self.body.is_empty() && (ct.contains("application/json") || ct.contains("+json"))
    }

    /// The body as JSON, when [`Response::is_json`]; `Err` when it claims
    /// JSON and is not.
    pub fn json(&self) -> Result<Option<Value>, String> {
        if !self.is_json() {
            return Ok(None);
        }
        serde_json::from_slice(&self.body)
            .map(Some)
            .map_err(|e| format!("response claims JSON but is not: {e}"))
    }
}

/// One unmet expectation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Which expectation (`status`, `response_headers`, ...).
    pub check: &'static str,
    /// What was expected and what came.
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.check, self.message)
    }
}

fn fail(check: &'static str, message: String) -> Failure {
    Failure { check, message }
}

/// A `/regex/` expectation's body, if `s` is one (gabbi: longer than one
/// character, starting and ending with `/`).
pub fn regex_body(s: &str) -> Option<&str> {
    if s.len() > 1 && s.starts_with('/') && s.ends_with('/') {
        Some(&s[1..s.len() - 1])
    } else {
        None
    }
}

/// Cut long text for messages.
fn cut(s: &str) -> String {
    const MAX: usize = 400;
    if s.chars().count() > MAX {
        format!("{}... (truncated)", s.chars().take(MAX).collect::<String>())
    } else {
        s.to_owned()
    }
}

/// Regex search of `pattern` (templates filled in, escaped) in `text`.
fn regex_search(pattern: &str, text: &str, ctx: &Context<'_>) -> Result<bool, String> {
    let pattern = substitute_regex(pattern, ctx).map_err(|e| e.to_string())?;
    let re = Regex::new(&pattern).map_err(|e| format!("bad regex /{pattern}/: {e}"))?;
    Ok(re.is_match(text))
}

/// JSON equality as Python's `==` sees it: `1 == 1.0`.
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => match (x.as_u64(), y.as_u64()) {
                (Some(x), Some(y)) => x == y,
                _ => x.as_f64() == y.as_f64(),
            },
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Check a response against `test`, accepting the statuses in `accepted`
/// (the test's own, or one persona's from `as_each`).
pub fn check_response(
    test: &Test,
    accepted: &[u16],
    response: &Response,
    ctx: &Context<'_>,
) -> Vec<Failure> {
    let mut failures = Vec::new();
    if !accepted.contains(&response.status) {
        let want: Vec<String> = accepted.iter().map(u16::to_string).collect();
        failures.push(fail(
            "status",
            format!(
                "expected {}, got {}: {}",
                want.join(" || "),
                response.status,
                cut(&String::from_utf8_lossy(&response.body))
            ),
        ));
    }
    for (name, expected) in &test.response_headers {
        let Some(got) = response.header(name) else {
            failures.push(fail("response_headers", format!("`{name}` missing")));
            continue;
        };
        let result = match regex_body(expected) {
            Some(pattern) => regex_search(pattern, got, ctx).map(|ok| (ok, expected.clone())),
            None => substitute_str(expected, ctx)
                .map(|want| (want == got, want))
                .map_err(|e| e.to_string()),
        };
        match result {
            Ok((true, _)) => {}
            Ok((false, want)) => failures.push(fail(
                "response_headers",
                format!("`{name}`: expected {want:?}, got {got:?}"),
            )),
            Err(e) => failures.push(fail("response_headers", format!("`{name}`: {e}"))),
        }
    }
    for name in &test.response_forbidden_headers {
        if let Some(got) = response.header(name) {
            failures.push(fail(
                "response_forbidden_headers",
                format!("`{name}` present: {got:?}"),
            ));
        }
    }
    let text = String::from_utf8_lossy(&response.body);
    for expected in &test.response_strings {
        match substitute_str(expected, ctx) {
            Ok(want) if text.contains(&want) => {}
            Ok(want) => failures.push(fail(
                "response_strings",
                format!("{want:?} not found in {}", cut(&text)),
            )),
            Err(e) => failures.push(fail("response_strings", e.to_string())),
        }
    }
    if !test.response_json_paths.is_empty() {
        match response.json() {
            Ok(Some(json)) => check_json_paths(test, &json, ctx, &mut failures),
            Ok(None) => failures.push(fail(
                "response_json_paths",
                format!(
                    "response is not JSON (content-type {:?}): {}",
                    response.header("content-type").unwrap_or(""),
                    cut(&text)
                ),
            )),
            Err(e) => failures.push(fail("response_json_paths", e)),
        }
    }
    failures
}

fn check_json_paths(test: &Test, json: &Value, ctx: &Context<'_>, failures: &mut Vec<Failure>) {
    const CHECK: &str = "response_json_paths";
    for (raw_path, expected) in &test.response_json_paths {
        let path = match substitute_str(raw_path, ctx) {
            Ok(p) => p,
            Err(e) => {
                failures.push(fail(CHECK, format!("`{raw_path}`: {e}")));
                continue;
            }
        };
        let got = match GabbiPath::parse(&path).and_then(|p| p.extract(json)) {
            Ok(v) => v,
            Err(e) => {
                failures.push(fail(CHECK, e.to_string()));
                continue;
            }
        };
        if let Some(pattern) = expected.as_str().and_then(regex_body) {
            let text = python_str(&got);
            match regex_search(pattern, &text, ctx) {
                Ok(true) => {}
                Ok(false) => failures.push(fail(
                    CHECK,
                    format!(
                        "`{path}`: expected to match /{pattern}/, got {}",
                        cut(&text)
                    ),
                )),
                Err(e) => failures.push(fail(CHECK, format!("`{path}`: {e}"))),
            }
            continue;
        }
        match substitute_value(expected, ctx) {
            Ok(want) if json_eq(&want, &got) => {}
            Ok(want) => failures.push(fail(
                CHECK,
                format!(
                    "`{path}`: expected {}, got {}",
                    cut(&want.to_string()),
                    cut(&got.to_string())
                ),
            )),
            Err(e) => failures.push(fail(CHECK, format!("`{path}`: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::model::parse_suite;
    use std::collections::BTreeMap;
    use std::path::Path;

    fn test_of(yaml: &str) -> Test {
        let s = parse_suite(
            &format!("tests:\n- name: t\n  GET: /x\n{yaml}"),
            Path::new("t.yaml"),
        )
        .unwrap();
        s.tests[0].clone()
    }

    fn judge(t: &Test, r: &Response) -> Vec<String> {
        let environ = BTreeMap::from([("N".to_owned(), "2".to_owned())]);
        let ctx = Context {
            environ: &environ,
            prior: None,
            history: &[],
            current_url: Some("/x"),
            scheme: "http",
            netloc: "h",
        };
        check_response(t, &t.status, r, &ctx)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    fn json_response(status: u16, body: &str) -> Response {
        Response {
            status,
            headers: vec![
                ("Content-Type".to_owned(), "application/json".to_owned()),
                ("Location".to_owned(), "http://h/rp/9".to_owned()),
            ],
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn status_alternatives() {
        let t = test_of("  status: 200 || 204\n");
        assert!(judge(&t, &json_response(204, "")).is_empty());
        let f = judge(&t, &json_response(500, "boom"));
        assert_eq!(
            f,
            vec!["status: expected 200 || 204, got 500: boom".to_owned()]
        );
    }

    #[test]
    fn headers_regex_and_forbidden() {
        let t = test_of(
            "  response_headers:\n    location: //rp/[0-9]+/\n    content-type: application/json\n  response_forbidden_headers: [location]\n",
        );
        let f = judge(&t, &json_response(200, "{}"));
        assert_eq!(
            f,
            vec!["response_forbidden_headers: `location` present: \"http://h/rp/9\"".to_owned()]
        );
        let t = test_of("  response_headers:\n    x-missing: a\n    location: /^nope/\n");
        assert_eq!(judge(&t, &json_response(200, "{}")).len(), 2);
    }

    #[test]
    fn strings_and_json_paths() {
        let t = test_of(
            "  response_strings: [\"\\\"n\\\": 2\"]\n  response_json_paths:\n    $.n: $ENVIRON['N']\n    $.f: 1\n    $.list.`len`: 2\n    $.name: /^ab.$/\n    $.obj: {a: [1, 2]}\n",
        );
        let r = json_response(
            200,
            r#"{"n": 2, "f": 1.0, "list": [1, 2], "name": "abc", "obj": {"a": [1, 2]}}"#,
        );
        // $.n is the string "2" from the environment, gabbi compares "2" with 2: a failure.
        let f = judge(&t, &r);
        assert_eq!(
            f,
            vec!["response_json_paths: `$.n`: expected \"2\", got 2".to_owned()]
        );
        let t = test_of("  response_json_paths:\n    $.zz: 1\n");
        assert!(judge(&t, &r)[0].contains("failed to match"));
        let plain = Response {
            status: 200,
            headers: vec![],
            body: b"hi".to_vec(),
        };
        assert!(judge(&t, &plain)[0].contains("not JSON"));
    }
}
