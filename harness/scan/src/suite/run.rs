//! Run a suite top to bottom over a [`Transport`], as gabbi does: each
//! test sees the one before it (`$RESPONSE`, `$LOCATION`, `$LAST_URL`) and
//! any earlier one by name (`$HISTORY`); `skip`, `xfail` and `poll` work
//! as in gabbi. The transport is a trait so that the runner has no
//! network of its own and is tested with a fake.
//!
//! Like gabbi, a failing test does not stop the ones after it. Unlike
//! gabbi, the "prior" of a test after a skipped one is the last test that
//! ran (gabbi would have no response to read and error).

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::check::{Failure, Response};
use super::deliver::deliver;
use super::model::{Data, Suite, Test};
use super::substitute::{Context, Recorded, SubstError, substitute_str, substitute_value};
use crate::persona::Persona;
use crate::transport::{Transport, find_persona, plain_request};

/// The request a test asks for, templates filled in; [`deliver`] sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Upper-case method.
    pub method: String,
    /// Absolute URL, query string included.
    pub url: String,
    /// Headers in order.
    pub headers: Vec<(String, String)>,
    /// Body (empty for none).
    pub body: Vec<u8>,
    /// Follow redirects (`redirects: true`).
    pub follow_redirects: bool,
    /// `as: PERSONA`: whose credentials the transport adds.
    pub persona: Option<String>,
}

/// How to run a suite.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Base URL that relative test URLs are joined to
    /// (`http://127.0.0.1:8000` or with a prefix path).
    pub base_url: String,
    /// `$ENVIRON` variables.
    pub environ: BTreeMap<String, String>,
    /// Upper bound on `poll.count`, whatever the suite says.
    pub max_poll: u32,
    /// Whom `as: NAME` can name.
    pub personas: Vec<Persona>,
}

impl RunConfig {
    /// A config for `base_url` with no variables and at most 30 polls.
    pub fn new(base_url: impl Into<String>) -> Self {
        RunConfig {
            base_url: base_url.into(),
            environ: BTreeMap::new(),
            max_poll: 30,
            personas: Vec::new(),
        }
    }
}

/// How one test ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every expectation held.
    Passed,
    /// Some did not.
    Failed(Vec<String>),
    /// `skip`, with its reason.
    Skipped(String),
    /// `xfail` and failed, as expected (with why).
    Xfail(Vec<String>),
    /// `xfail` but passed: counts as a failure.
    UnexpectedPass,
}

/// The result of one test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestResult {
    /// Test name.
    pub name: String,
    /// Line where the test starts.
    pub line: u64,
    /// How it ended.
    pub outcome: Outcome,
    /// Requests sent (more than one when polling).
    pub attempts: u32,
}

/// The results of a suite run, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuiteReport {
    /// The suite file.
    pub file: PathBuf,
    /// One per test.
    pub results: Vec<TestResult>,
}

impl SuiteReport {
    fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.results.iter().filter(|r| f(&r.outcome)).count()
    }

    /// Tests that passed.
    pub fn passed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Passed))
    }

    /// Tests that failed, unexpected passes included.
    pub fn failed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Failed(_) | Outcome::UnexpectedPass))
    }

    /// Tests skipped.
    pub fn skipped(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Skipped(_)))
    }

    /// Expected failures.
    pub fn xfailed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Xfail(_)))
    }

    /// Whether the run is green (no failure, no unexpected pass).
    pub fn ok(&self) -> bool {
        self.failed() == 0
    }

    /// Gabbi-style `N passed, N failed`, then `, N skipped` and
    /// `, N xfail` where there were some.
    pub fn summary(&self) -> String {
        let mut s = format!("{} passed, {} failed", self.passed(), self.failed());
        if self.skipped() > 0 {
            s.push_str(&format!(", {} skipped", self.skipped()));
        }
        if self.xfailed() > 0 {
            s.push_str(&format!(", {} xfail", self.xfailed()));
        }
        s
    }
}

/// Split `scheme://netloc/prefix` for `$SCHEME` and `$NETLOC`.
pub fn split_base(base: &str) -> (String, String) {
    match base.split_once("://") {
        Some((scheme, rest)) => (scheme.to_owned(), rest.trim_end_matches('/').to_owned()),
        None => ("http".to_owned(), base.trim_end_matches('/').to_owned()),
    }
}

/// Gabbi's `create_url`: an absolute URL stays as it is; a path is joined
/// to the base, with `https` when the test says `ssl: true`.
fn full_url(base: &str, url: &str, ssl: bool) -> String {
    if url.contains("://") {
        return url.to_owned();
    }
    let base = base.trim_end_matches('/');
    let base = match (ssl, base.strip_prefix("http://")) {
        (true, Some(rest)) => format!("https://{rest}"),
        _ => base.to_owned(),
    };
    if url.starts_with('/') {
        format!("{base}{url}")
    } else {
        format!("{base}/{url}")
    }
}

/// Python's `urlencode` (`quote_plus`): unreserved bytes stay, space is
/// `+`, everything else is `%XX`.
fn quote_plus(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn subst_err(check: &'static str, e: SubstError) -> Failure {
    Failure {
        check,
        message: e.to_string(),
    }
}

/// Build the request for `test`; failures are the test's own (a missing
/// variable fails the test, as in gabbi, not the run). Returns the request
/// and the substituted URL before query parameters (`$URL`).
pub fn build_request(
    test: &Test,
    config: &RunConfig,
    ctx: &Context<'_>,
) -> Result<(Request, String), Failure> {
    let url = substitute_str(&test.url, ctx).map_err(|e| subst_err("url", e))?;
    let mut full = full_url(&config.base_url, &url, test.ssl);
    if !test.query_parameters.is_empty() {
        let mut pairs = Vec::new();
        for (name, values) in &test.query_parameters {
            for value in values {
                let value =
                    substitute_str(value, ctx).map_err(|e| subst_err("query_parameters", e))?;
                pairs.push(format!("{}={}", quote_plus(name), quote_plus(&value)));
            }
        }
        full.push(if full.contains('?') { '&' } else { '?' });
        full.push_str(&pairs.join("&"));
    }
    let mut headers = Vec::with_capacity(test.request_headers.len());
    for (name, value) in &test.request_headers {
        let value = substitute_str(value, ctx).map_err(|e| subst_err("request_headers", e))?;
        headers.push((name.clone(), value));
    }
    let body = match &test.data {
        None => Vec::new(),
        // A string is sent as written (gabbi: `data: '{"foo": }'` tests
        // bad JSON), after its templates are filled in.
        Some(Data::Value(serde_json::Value::String(s))) => substitute_str(s, ctx)
            .map_err(|e| subst_err("data", e))?
            .into_bytes(),
        Some(Data::Value(v)) => {
            let filled = substitute_value(v, ctx).map_err(|e| subst_err("data", e))?;
            if super::generate::has_generator(&filled) {
                // A generated string at the top is a raw body, as a string
                // `data` is; anything else is JSON.
                match super::generate::expand(filled) {
                    serde_json::Value::String(s) => s.into_bytes(),
                    other => other.to_string().into_bytes(),
                }
            } else {
                filled.to_string().into_bytes()
            }
        }
        Some(Data::File(path)) => {
            let bytes = std::fs::read(path).map_err(|e| Failure {
                check: "data",
                message: format!("cannot read {}: {e}", path.display()),
            })?;
            // Text files get their templates filled in; binary goes as is.
            match String::from_utf8(bytes) {
                Ok(text) => substitute_str(&text, ctx)
                    .map_err(|e| subst_err("data", e))?
                    .into_bytes(),
                Err(e) => e.into_bytes(),
            }
        }
    };
    Ok((
        Request {
            method: test.method.clone(),
            url: full,
            headers,
            body,
            follow_redirects: test.redirects,
            persona: test.security.as_persona.clone(),
        },
        url,
    ))
}

/// Run `suite` over `transport` in order.
pub async fn run_suite<T: Transport + ?Sized>(
    suite: &Suite,
    transport: &T,
    config: &RunConfig,
) -> SuiteReport {
    let (scheme, netloc) = split_base(&config.base_url);
    let mut history: Vec<(String, Recorded)> = Vec::new();
    let mut prior: Option<Recorded> = None;
    let mut results = Vec::with_capacity(suite.tests.len());
    for test in &suite.tests {
        if let Some(reason) = &test.skip {
            results.push(TestResult {
                name: test.name.clone(),
                line: test.line,
                outcome: Outcome::Skipped(reason.clone()),
                attempts: 0,
            });
            continue;
        }
        let (failures, attempts, recorded, skip) = {
            let ctx = Context {
                environ: &config.environ,
                prior: prior.as_ref(),
                history: &history,
                current_url: None,
                scheme: &scheme,
                netloc: &netloc,
            };
            run_test(test, transport, config, &ctx).await
        };
        if let Some(reason) = skip {
            results.push(TestResult {
                name: test.name.clone(),
                line: test.line,
                outcome: Outcome::Skipped(reason),
                attempts: 0,
            });
            continue;
        }
        let messages: Vec<String> = failures.iter().map(ToString::to_string).collect();
        let outcome = match (test.xfail, messages.is_empty()) {
            (false, true) => Outcome::Passed,
            (false, false) => Outcome::Failed(messages),
            (true, true) => Outcome::UnexpectedPass,
            (true, false) => Outcome::Xfail(messages),
        };
        if let Some(rec) = recorded {
            history.push((test.name.clone(), rec.clone()));
            prior = Some(rec);
        }
        results.push(TestResult {
            name: test.name.clone(),
            line: test.line,
            outcome,
            attempts,
        });
    }
    SuiteReport {
        file: suite.file.clone(),
        results,
    }
}

/// Send `test` (polling if asked) and judge it; returns the failures of
/// the last attempt, the attempts made, what later tests may read, and
/// why the transport would not send it (the test is then skipped).
async fn run_test<T: Transport + ?Sized>(
    test: &Test,
    transport: &T,
    config: &RunConfig,
    ctx: &Context<'_>,
) -> (Vec<Failure>, u32, Option<Recorded>, Option<String>) {
    let (request, url) = match build_request(test, config, ctx) {
        Ok(r) => r,
        Err(f) => return (vec![f], 0, None, None),
    };
    let request_failure = |message: String| Failure {
        check: "request",
        message,
    };
    let persona = match &request.persona {
        Some(name) => match find_persona(&config.personas, name) {
            Ok(p) => Some(p),
            Err(e) => {
                let message = format!("{} {}: {e}", request.method, request.url);
                return (vec![request_failure(message)], 1, None, None);
            }
        },
        None => None,
    };
    let check_ctx = Context {
        current_url: Some(&url),
        ..*ctx
    };
    let build = |hop: Option<&str>| {
        plain_request(
            &request.method,
            hop.unwrap_or(&request.url),
            &request.headers,
            &request.body,
        )
    };
    let sent = deliver(
        transport,
        test,
        request.follow_redirects,
        persona,
        build,
        &check_ctx,
        config.max_poll,
    )
    .await;
    if let Some(reason) = sent.skipped {
        return (Vec::new(), 0, None, Some(reason));
    }
    let error = sent.error.or_else(|| {
        sent.unfollowed
            .map(|why| format!("{} {}: {why}", request.method, request.url))
    });
    if let Some(message) = error {
        return (vec![request_failure(message)], sent.attempts, None, None);
    }
    let Some((exchange, failures)) = sent.last else {
        return (Vec::new(), sent.attempts, None, None);
    };
    let response = Response::of(&exchange);
    let recorded = Recorded {
        url,
        headers: response.headers.clone(),
        json: response.json().ok().flatten(),
    };
    (failures, sent.attempts, Some(recorded), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(full_url("http://h:1/", "/a", false), "http://h:1/a");
        assert_eq!(full_url("http://h:1", "a", true), "https://h:1/a");
        assert_eq!(full_url("http://h:1", "http://o/x", false), "http://o/x");
        assert_eq!(quote_plus("a b/c"), "a+b%2Fc");
        assert_eq!(
            split_base("http://h:1/p/"),
            ("http".to_owned(), "h:1/p".to_owned())
        );
    }
}
