//! The recorded model of one request and its response, as the oracles and
//! reports see it.
//!
//! Redaction lives here and happens in [`Exchange::new`], before anything is
//! stored: once an [`Exchange`] exists it holds no token or password, so no
//! snapshot, report, log line or curl reproducer built from it can leak one
//! (docs/DESIGN.md, "Rules of the house"). Secrets the server echoed back are found
//! and masked in the response at the same moment, and remembered only by the
//! name of the header they came from, so the leak oracle can still report the
//! echo.

use std::time::Duration;

/// What every redacted value is replaced by.
pub const REDACTED: &str = "<redacted>";

/// Request headers whose values are credentials. Compared lower-case.
pub const SECRET_HEADERS: &[&str] = &[
    "x-auth-token",
    "authorization",
    "cookie",
    "x-subject-token",
    "x-service-token",
];

/// Secrets shorter than this are not searched for in responses: a noauth2
/// token such as `admin` occurs in ordinary bodies, and masking it there
/// would destroy evidence without protecting anything.
pub const MIN_ECHO_SECRET_LEN: usize = 8;

/// One HTTP header as sent or received; names are stored lower-case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Lower-case header name.
    pub name: String,
    /// Header value (already redacted once inside an [`Exchange`]).
    pub value: String,
}

impl Header {
    /// A header; the name is lower-cased because HTTP names are caseless.
    pub fn new(name: &str, value: &str) -> Self {
        Header {
            name: name.to_ascii_lowercase(),
            value: value.to_owned(),
        }
    }
}

/// How the request authenticated; `auth_required` reads this.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Credentials {
    /// The persona's real credentials.
    #[default]
    Valid,
    /// No credential header at all.
    None,
    /// A credential header with an empty value.
    Empty,
    /// A credential header with a value no identity service issued.
    Garbage,
}

/// What kind of hostile or special input a request carries; the oracles that
/// judge inputs (malformed_input, reflection, the comparison oracles) read it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum InputKind {
    /// Nothing special: a well-formed request.
    #[default]
    Valid,
    /// A malformed UUID in the path, query or body.
    MalformedUuid,
    /// A malformed name (resource class, trait, provider name).
    MalformedName,
    /// Hostile text (markup, format strings, very long values).
    Hostile,
    /// A reference to an object another tenant owns.
    OtherTenantRef,
    /// A reference to an object that does not exist.
    Nonexistent,
    /// A non-canonical spelling of an existing object's UUID.
    UuidSpelling,
    /// Identity headers (X-Roles, X-Project-Id, ...) the client should not
    /// be able to set.
    SpoofedIdentity,
}

impl InputKind {
    /// A stable name, used in cause signatures.
    pub fn as_str(&self) -> &'static str {
        match self {
            InputKind::Valid => "valid",
            InputKind::MalformedUuid => "malformed-uuid",
            InputKind::MalformedName => "malformed-name",
            InputKind::Hostile => "hostile",
            InputKind::OtherTenantRef => "other-tenant-ref",
            InputKind::Nonexistent => "nonexistent",
            InputKind::UuidSpelling => "uuid-spelling",
            InputKind::SpoofedIdentity => "spoofed-identity",
        }
    }
}

/// The client-controlled input a request carries, as the suite declared it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Input {
    /// What kind of input this is.
    pub kind: InputKind,
    /// Input class name, part of the finding id (e.g. `uuid-no-hyphens`).
    pub class: String,
    /// The raw value placed in the request, if any.
    pub value: Option<String>,
}

/// A request as the client sent it, before redaction.
#[derive(Clone, Debug, Default)]
pub struct Request {
    /// HTTP method, upper-case.
    pub method: String,
    /// Full URL.
    pub url: String,
    /// Route template, e.g. `/resource_providers/{uuid}`.
    pub route: String,
    /// Persona name.
    pub persona: String,
    /// How the request authenticated.
    pub credentials: Credentials,
    /// The special input it carries.
    pub input: Input,
    /// The object (UUID) the request refers to, if any; tenant oracles use it.
    pub object: Option<String>,
    /// Comparison group: exchanges that comparison oracles weigh against
    /// each other share it.
    pub group: Option<String>,
    /// Request headers.
    pub headers: Vec<Header>,
    /// Request body, if any.
    pub body: Option<String>,
    /// Suite name that produced it.
    pub suite: Option<String>,
    /// Step name inside the suite.
    pub step: Option<String>,
}

impl Request {
    /// Where the request carries its input value: `body`, `query`, `path`,
    /// `header`, or `request` when it has none or it cannot be told. A cause's kind of location:
    /// one handler reading path ids unchecked is one defect on every route.
    pub fn input_location(&self) -> &'static str {
        let Some(value) = self.input.value.as_deref().filter(|v| !v.is_empty()) else {
            return "request";
        };
        // In a JSON body the value may be escaped (a newline as `\n`).
        let escaped = serde_json::to_string(value).unwrap_or_default();
        let escaped = escaped.trim_matches('"');
        if self
            .body
            .as_deref()
            .is_some_and(|b| b.contains(value) || (!escaped.is_empty() && b.contains(escaped)))
        {
            return "body";
        }
        if let Ok(url) = url::Url::parse(&self.url) {
            if url
                .query_pairs()
                .any(|(k, v)| k.contains(value) || v.contains(value))
            {
                return "query";
            }
            let path = percent_encoding::percent_decode_str(url.path()).decode_utf8_lossy();
            if path.contains(value) || url.path().contains(value) {
                return "path";
            }
        }
        if self.headers.iter().any(|h| h.value.contains(value)) {
            return "header";
        }
        // The URL parser normalised the value away (`..`, a final newline):
        // it went into the path if the route takes an id there.
        if self.route.contains('{') {
            "path"
        } else {
            "request"
        }
    }
}

/// A response as the client read it.
#[derive(Clone, Debug, Default)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Response headers.
    pub headers: Vec<Header>,
    /// Body bytes, up to the read cap.
    pub body: Vec<u8>,
    /// Whether the body was cut at the read cap.
    pub truncated: bool,
    /// Time from sending to the end of the body.
    pub elapsed: Duration,
}

/// One redacted request/response pair. Build it with [`Exchange::new`].
#[derive(Clone, Debug)]
pub struct Exchange {
    request: Request,
    response: Response,
    echoed_secrets: Vec<String>,
}

/// Headers as (name, value) pairs, in order.
pub fn header_pairs(headers: &[Header]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|h| (h.name.clone(), h.value.clone()))
        .collect()
}

impl Exchange {
    /// Records a request and its response, redacting secrets first: credential
    /// headers and JSON passwords in the request, and any echo of those
    /// secrets in the response (remembered in [`Exchange::echoed_secrets`]).
    pub fn new(mut request: Request, mut response: Response) -> Self {
        let mut secrets: Vec<(String, String)> = Vec::new();
        // An empty or garbage token was made up by the harness to be refused:
        // it is no secret, and the curl line must send exactly it to
        // reproduce the finding.
        let made_up = matches!(
            request.credentials,
            Credentials::Empty | Credentials::Garbage
        );
        for h in &mut request.headers {
            h.name = h.name.to_ascii_lowercase();
            if SECRET_HEADERS.contains(&h.name.as_str()) && !made_up {
                let raw = std::mem::replace(&mut h.value, REDACTED.to_owned());
                // "Bearer abc" echoes as "abc" as often as whole.
                let bare = raw
                    .split_once(' ')
                    .map(|(_, rest)| rest.trim().to_owned())
                    .unwrap_or_default();
                secrets.push((h.name.clone(), raw));
                if !bare.is_empty() {
                    secrets.push((h.name.clone(), bare));
                }
            }
        }
        if let Some(body) = request.body.as_mut() {
            for p in json_passwords(body) {
                secrets.push(("password".to_owned(), p));
            }
            *body = redact_json_body(body);
        }
        let mut echoed = Vec::new();
        for (name, secret) in secrets {
            if secret.len() < MIN_ECHO_SECRET_LEN {
                continue;
            }
            let mut hit = false;
            for h in &mut response.headers {
                h.name = h.name.to_ascii_lowercase();
                if h.value.contains(&secret) {
                    h.value = h.value.replace(&secret, REDACTED);
                    hit = true;
                }
            }
            if let Some(masked) = replace_bytes(&response.body, secret.as_bytes(), REDACTED) {
                response.body = masked;
                hit = true;
            }
            if let Some(v) = request.input.value.as_mut() {
                *v = v.replace(&secret, REDACTED);
            }
            request.url = request.url.replace(&secret, REDACTED);
            if hit && !echoed.contains(&name) {
                echoed.push(name);
            }
        }
        for h in &mut response.headers {
            h.name = h.name.to_ascii_lowercase();
            // A token minted by the server (Keystone) is a secret too.
            if h.name == "x-subject-token" || h.name == "set-cookie" {
                h.value = REDACTED.to_owned();
            }
        }
        Exchange {
            request,
            response,
            echoed_secrets: echoed,
        }
    }

    /// The (redacted) request.
    pub fn request(&self) -> &Request {
        &self.request
    }

    /// The (redacted) response.
    pub fn response(&self) -> &Response {
        &self.response
    }

    /// Names of the secrets (header names, or `password`) the server echoed.
    pub fn echoed_secrets(&self) -> &[String] {
        &self.echoed_secrets
    }

    /// HTTP status of the response.
    pub fn status(&self) -> u16 {
        self.response.status
    }

    /// The response body as text (invalid UTF-8 replaced).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.response.body).into_owned()
    }

    /// First response header with this (caseless) name.
    pub fn response_header(&self, name: &str) -> Option<&str> {
        find_header(&self.response.headers, name)
    }

    /// First request header with this (caseless) name.
    pub fn request_header(&self, name: &str) -> Option<&str> {
        find_header(&self.request.headers, name)
    }

    /// A curl command that replays the request, with credentials as
    /// `$TOKEN_<PERSONA>` shell variables.
    pub fn curl(&self) -> String {
        curl_line(&self.request)
    }
}

pub(crate) fn find_header<'a>(headers: &'a [Header], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

/// Replaces every occurrence of `needle` in `hay`; `None` when there is none.
fn replace_bytes(hay: &[u8], needle: &[u8], with: &str) -> Option<Vec<u8>> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    let mut out = Vec::with_capacity(hay.len());
    let mut i = 0;
    let mut found = false;
    while i < hay.len() {
        if hay[i..].starts_with(needle) {
            out.extend_from_slice(with.as_bytes());
            i += needle.len();
            found = true;
        } else {
            out.push(hay[i]);
            i += 1;
        }
    }
    found.then_some(out)
}

/// Whether a JSON key names a secret.
fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.contains("password") || k.contains("secret") || k == "token" || k == "passcode"
}

fn json_passwords(body: &str) -> Vec<String> {
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    match v {
                        serde_json::Value::String(s) if is_secret_key(k) => out.push(s.clone()),
                        _ => walk(v, out),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(body) {
        walk(&v, &mut out);
    }
    out
}

/// Replaces the string values of password-like keys in a JSON body. A body
/// that is not JSON (the fuzzer sends many) is masked textually instead, so
/// a half-written `"password": "..."` is still covered.
pub fn redact_json_body(body: &str) -> String {
    fn walk(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    if v.is_string() && is_secret_key(k) {
                        *v = serde_json::Value::String(REDACTED.to_owned());
                    } else {
                        walk(v);
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(mut v) => {
            let before = v.clone();
            walk(&mut v);
            if v == before {
                // Keep the client's exact bytes when nothing was secret.
                body.to_owned()
            } else {
                serde_json::to_string(&v).unwrap_or_else(|_| REDACTED.to_owned())
            }
        }
        Err(_) => textual_password_mask(body),
    }
}

fn textual_password_mask(body: &str) -> String {
    use std::sync::OnceLock;
    static RE: OnceLock<Option<regex::Regex>> = OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(
            r#"(?i)("[^"]*(?:password|secret|passcode)[^"]*"\s*:\s*)"(?:[^"\\]|\\.)*"?"#,
        )
        .ok()
    });
    match re {
        Some(re) => re
            .replace_all(body, format!("${{1}}\"{REDACTED}\""))
            .into_owned(),
        // The pattern is a constant; if it ever failed to compile, hiding
        // the whole body is the safe answer.
        None => REDACTED.to_owned(),
    }
}

/// The shell variable that stands for a persona's token: `TOKEN_` and the
/// persona name upper-cased, every non-alphanumeric as `_`.
pub fn token_var(persona: &str) -> String {
    let name: String = persona
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("TOKEN_{name}")
}

/// Quotes a string for a POSIX shell: single quotes, with `'` as `'\''`.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Builds the curl reproducer for a (redacted) request.
pub fn curl_line(req: &Request) -> String {
    let mut parts = vec!["curl".to_owned(), "-sS".to_owned()];
    let method = if req.method.is_empty() {
        "GET"
    } else {
        req.method.as_str()
    };
    parts.push("-X".to_owned());
    parts.push(shell_quote(method));
    for h in &req.headers {
        if SECRET_HEADERS.contains(&h.name.as_str()) && h.value == REDACTED {
            // The quoted name, then a double-quoted variable: the shell
            // expands only the variable, and the persona name cannot inject
            // because token_var keeps only [A-Z0-9_].
            parts.push("-H".to_owned());
            parts.push(format!(
                "{}\"${}\"",
                shell_quote(&format!("{}: ", h.name)),
                token_var(&req.persona)
            ));
        } else {
            parts.push("-H".to_owned());
            parts.push(shell_quote(&format!("{}: {}", h.name, h.value)));
        }
    }
    let mut generator = None;
    if let Some(body) = &req.body {
        parts.push("--data-binary".to_owned());
        match repetition(body.as_bytes()).filter(|_| body.len() > CURL_BODY_LIMIT) {
            Some(rep) => {
                generator = Some(rep.python());
                parts.push("@-".to_owned());
            }
            None => parts.push(shell_quote(body)),
        }
    }
    parts.push("--".to_owned());
    parts.push(shell_quote(&req.url));
    match generator {
        Some(g) => format!("{g} | {}", parts.join(" ")),
        None => parts.join(" "),
    }
}

/// Bodies longer than this are rebuilt by the curl line (when they are one
/// unit repeated) rather than written into it: a 10 MB body would make a
/// 10 MB report line.
pub const CURL_BODY_LIMIT: usize = 64 * 1024;

/// The longest repeated unit [`repetition`] looks for.
const MAX_UNIT: usize = 1024;
/// The most bytes around the repeated run that still count as a repetition.
const MAX_EDGES: usize = 4096;

/// A body written as `prefix + unit * times + suffix`.
#[derive(Debug, PartialEq, Eq)]
struct Repetition<'a> {
    prefix: &'a [u8],
    unit: &'a [u8],
    times: usize,
    suffix: &'a [u8],
}

impl Repetition<'_> {
    /// A python3 one-liner that writes the body to stdout; hex keeps any
    /// byte out of the shell's reach.
    fn python(&self) -> String {
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        format!(
            "python3 -c 'import sys; h = bytes.fromhex; sys.stdout.buffer.write(h(\"{}\") + h(\"{}\") * {} + h(\"{}\"))'",
            hex(self.prefix),
            hex(self.unit),
            self.times,
            hex(self.suffix)
        )
    }
}

/// Finds one unit (up to [`MAX_UNIT`] bytes) repeated across the middle of
/// `body` with at most [`MAX_EDGES`] bytes around it, as generated suite
/// data is.
fn repetition(body: &[u8]) -> Option<Repetition<'_>> {
    let len = body.len();
    let mid = len / 2;
    for unit_len in 1..=MAX_UNIT.min(len / 4) {
        let mut right = mid;
        while body
            .get(right + unit_len)
            .is_some_and(|b| Some(b) == body.get(right))
        {
            right += 1;
        }
        let mut left = mid;
        while left > 0 && body.get(left - 1) == body.get(left - 1 + unit_len) {
            left -= 1;
        }
        let run = right + unit_len - left;
        let times = run / unit_len;
        let end = left + times * unit_len;
        if times >= 2 && left + (len - end) <= MAX_EDGES {
            return Some(Repetition {
                prefix: body.get(..left)?,
                unit: body.get(left..left + unit_len)?,
                times,
                suffix: body.get(end..)?,
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_input_is_found_where_it_went() {
        let req = |url: &str, route: &str, body: Option<&str>, value: &str| Request {
            url: format!("http://127.0.0.1:1{url}"),
            route: route.into(),
            body: body.map(str::to_owned),
            input: Input {
                kind: InputKind::MalformedUuid,
                class: "c".into(),
                value: Some(value.into()),
            },
            ..Request::default()
        };
        let at = |r: Request| r.input_location();
        assert_eq!(
            at(req(
                "/resource_providers/not-a-uuid",
                "/resource_providers/{uuid}",
                None,
                "not-a-uuid"
            )),
            "path"
        );
        assert_eq!(
            at(req(
                "/resource_providers/%7Bx%7D",
                "/resource_providers/{uuid}",
                None,
                "{x}"
            )),
            "path"
        );
        assert_eq!(
            at(req(
                "/resource_providers?in_tree=x%20y",
                "/resource_providers",
                None,
                "x y"
            )),
            "query"
        );
        // JSON escapes a newline: still the body.
        assert_eq!(
            at(req(
                "/resource_classes",
                "/resource_classes",
                Some(r#"{"name": "CUSTOM_X\n"}"#),
                "CUSTOM_X\n"
            )),
            "body"
        );
        // The URL parser drops a final newline from the path.
        assert_eq!(
            at(req(
                "/allocations/abc",
                "/allocations/{consumer_uuid}",
                None,
                "abc\n"
            )),
            "path"
        );
        let mut none = req("/traits", "/traits", None, "");
        none.input.value = None;
        assert_eq!(at(none), "request");
    }

    #[test]
    fn a_large_repeated_body_is_rebuilt_not_written() {
        let body = format!("{{\"name\": \"{}\"}}", "x".repeat(200_000));
        let line = curl_line(&req(&[], Some(&body)));
        assert!(line.len() < 1000, "{}", line.len());
        assert!(line.starts_with("python3 -c '"), "{line}");
        assert!(line.contains("* 200000 +"), "{line}");
        assert!(line.contains("| curl -sS -X 'POST'"), "{line}");
        assert!(line.contains("--data-binary @- --"), "{line}");
        let rep = repetition(body.as_bytes()).unwrap_or_else(|| panic!("no repetition"));
        let mut rebuilt = rep.prefix.to_vec();
        for _ in 0..rep.times {
            rebuilt.extend_from_slice(rep.unit);
        }
        rebuilt.extend_from_slice(rep.suffix);
        assert_eq!(rebuilt, body.as_bytes());
        // An array of objects: the unit is one element and its separator.
        let items = vec![r#"{"resource_provider": {"uuid": "u"}, "resources": {"VCPU": 1}}"#; 5000];
        let body = format!("{{\"allocations\": [{}]}}", items.join(", "));
        let rep = repetition(body.as_bytes()).unwrap_or_else(|| panic!("no repetition"));
        let mut rebuilt = rep.prefix.to_vec();
        for _ in 0..rep.times {
            rebuilt.extend_from_slice(rep.unit);
        }
        rebuilt.extend_from_slice(rep.suffix);
        assert_eq!(rebuilt, body.as_bytes());
        // Small bodies are written as they are.
        let small = curl_line(&req(&[], Some("xxxxxxxx")));
        assert!(
            small.ends_with(
                "--data-binary 'xxxxxxxx' -- 'http://127.0.0.1:8778/resource_providers'"
            ),
            "{small}"
        );
    }

    fn req(headers: &[(&str, &str)], body: Option<&str>) -> Request {
        Request {
            method: "POST".into(),
            url: "http://127.0.0.1:8778/resource_providers".into(),
            route: "/resource_providers".into(),
            persona: "tenant-a reader".into(),
            headers: headers.iter().map(|(n, v)| Header::new(n, v)).collect(),
            body: body.map(str::to_owned),
            ..Request::default()
        }
    }

    #[test]
    fn credential_headers_are_redacted() {
        let ex = Exchange::new(
            req(
                &[
                    ("X-Auth-Token", "gAAAAAsecrettoken"),
                    ("Authorization", "Bearer abcdefghijk"),
                    ("Cookie", "s=1"),
                    ("X-Subject-Token", "t"),
                    ("Accept", "application/json"),
                ],
                None,
            ),
            Response::default(),
        );
        for h in &ex.request().headers {
            if h.name == "accept" {
                assert_eq!(h.value, "application/json");
            } else {
                assert_eq!(h.value, REDACTED, "{}", h.name);
            }
        }
    }

    #[test]
    fn json_passwords_are_redacted_at_any_depth() {
        let body = r#"{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"u","password":"hunter2hunter2"}}}}}"#;
        let ex = Exchange::new(req(&[], Some(body)), Response::default());
        let stored = ex.request().body.clone().unwrap_or_default();
        assert!(!stored.contains("hunter2"), "{stored}");
        assert!(stored.contains(REDACTED));
        assert!(stored.contains(r#""name":"u""#));
    }

    #[test]
    fn broken_json_passwords_are_masked_textually() {
        let out = redact_json_body(r#"{"password": "hunter2", "x": "#);
        assert!(!out.contains("hunter2"), "{out}");
    }

    #[test]
    fn non_secret_bodies_are_kept_byte_for_byte() {
        let body = r#"{"name":  "rp-1"}"#;
        assert_eq!(redact_json_body(body), body);
    }

    #[test]
    fn echoed_secrets_are_masked_and_named() {
        let resp = Response {
            status: 401,
            headers: vec![Header::new("X-Echo", "gAAAAAsecrettoken")],
            body: br#"{"detail": "bad token gAAAAAsecrettoken"}"#.to_vec(),
            ..Response::default()
        };
        let ex = Exchange::new(req(&[("x-auth-token", "gAAAAAsecrettoken")], None), resp);
        assert!(!ex.body_text().contains("gAAAAAsecrettoken"));
        assert_eq!(ex.response_header("x-echo"), Some(REDACTED));
        assert_eq!(ex.echoed_secrets(), ["x-auth-token".to_owned()]);
    }

    #[test]
    fn short_noauth_tokens_are_not_hunted_in_bodies() {
        let resp = Response {
            status: 200,
            body: br#"{"roles": ["admin"]}"#.to_vec(),
            ..Response::default()
        };
        let ex = Exchange::new(req(&[("x-auth-token", "admin")], None), resp);
        assert!(ex.body_text().contains("admin"));
        assert!(ex.echoed_secrets().is_empty());
    }

    #[test]
    fn made_up_tokens_are_kept_for_reproduction() {
        let mut r = req(&[("x-auth-token", "not-a-real-token")], None);
        r.credentials = Credentials::Garbage;
        let ex = Exchange::new(r, Response::default());
        assert!(
            ex.curl().contains("'x-auth-token: not-a-real-token'"),
            "{}",
            ex.curl()
        );
        let mut r = req(&[("x-auth-token", "")], None);
        r.credentials = Credentials::Empty;
        let ex = Exchange::new(r, Response::default());
        assert!(ex.curl().contains("'x-auth-token: '"), "{}", ex.curl());
        assert!(!ex.curl().contains("$TOKEN"));
    }

    #[test]
    fn token_var_names() {
        assert_eq!(token_var("tenant-a reader"), "TOKEN_TENANT_A_READER");
        assert_eq!(token_var("admin"), "TOKEN_ADMIN");
        assert_eq!(token_var("$(rm -rf)"), "TOKEN___RM__RF_");
    }

    #[test]
    fn curl_line_uses_variables_and_quotes_safely() {
        let r = req(
            &[
                ("x-auth-token", "sekrit-token-value"),
                ("X-Note", "it's $HOME"),
            ],
            Some(r#"{"name": "a'b"}"#),
        );
        let ex = Exchange::new(r, Response::default());
        let line = ex.curl();
        assert!(!line.contains("sekrit"), "{line}");
        assert!(
            line.contains(r#"-H 'x-auth-token: '"$TOKEN_TENANT_A_READER""#),
            "{line}"
        );
        assert!(line.contains(r#"'x-note: it'\''s $HOME'"#), "{line}");
        assert!(
            line.contains(r#"--data-binary '{"name": "a'\''b"}'"#),
            "{line}"
        );
        assert!(line.ends_with("-- 'http://127.0.0.1:8778/resource_providers'"));
    }
}
