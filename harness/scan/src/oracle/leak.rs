//! `no_internal_leak` (CWE-209): a response must not reveal how the server is
//! built. Tracebacks, exception class names, SQL and database drivers, file
//! paths, JSON-schema dumps, Python parser messages, version banners and
//! echoed tokens each help an attacker aim the next request, and none of
//! them is part of Placement's API.
//!
//! Literal signatures run through one Aho-Corasick automaton and patterns
//! through one `RegexSet`, so a body is scanned once whatever the count.
//! Every signature carries a real sample in the tests, and Placement's
//! ordinary error bodies are tested not to trip any of them.

use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use regex::{RegexSet, RegexSetBuilder};

use crate::cause::Cause;
use crate::exchange::Exchange;
use crate::finding::{CheckId, Finding, Severity, finding_id};
use crate::oracle::Context;

/// How a signature is matched.
#[derive(Clone, Copy, Debug)]
pub enum Pattern {
    /// A literal, matched ASCII-case-insensitively.
    Literal(&'static str),
    /// A regular expression (Rust `regex` syntax).
    Regex(&'static str),
}

/// One leak signature.
#[derive(Clone, Copy, Debug)]
pub struct Signature {
    /// Stable name, quoted in evidence.
    pub name: &'static str,
    /// What it reveals.
    pub what: &'static str,
    /// How bad the reveal is.
    pub severity: Severity,
    /// How it is matched.
    pub pattern: Pattern,
}

const fn lit(
    name: &'static str,
    what: &'static str,
    severity: Severity,
    s: &'static str,
) -> Signature {
    Signature {
        name,
        what,
        severity,
        pattern: Pattern::Literal(s),
    }
}

const fn re(
    name: &'static str,
    what: &'static str,
    severity: Severity,
    s: &'static str,
) -> Signature {
    Signature {
        name,
        what,
        severity,
        pattern: Pattern::Regex(s),
    }
}

use Severity::{Low, Medium};

/// Every body signature.
pub const SIGNATURES: &[Signature] = &[
    lit(
        "python-traceback",
        "a Python traceback",
        Medium,
        "Traceback (most recent call last)",
    ),
    re(
        "python-frame",
        "a Python stack frame",
        Medium,
        r#"File "[^"\n]+", line \d+"#,
    ),
    re(
        "python-exception",
        "a Python built-in exception name",
        Medium,
        r"\b(?:KeyError|ValueError|TypeError|AttributeError|IndexError|NameError|RuntimeError|AssertionError|UnboundLocalError|ZeroDivisionError|OverflowError|RecursionError|UnicodeDecodeError|UnicodeEncodeError|NotImplementedError|JSONDecodeError)\b",
    ),
    re(
        "dotted-exception",
        "a qualified exception class name",
        Medium,
        r"\b(?:[a-z_][a-z0-9_]*\.)+[A-Z][A-Za-z0-9]*(?:Error|Exception)\b",
    ),
    re(
        "java-frame",
        "a Java stack frame",
        Medium,
        r"\bat [\w$.]+\([\w$]+\.java:\d+\)",
    ),
    lit(
        "java-thread",
        "a Java uncaught exception",
        Medium,
        "Exception in thread \"",
    ),
    re(
        "go-goroutine",
        "a Go panic trace",
        Medium,
        r"goroutine \d+ \[[a-z ]+\]:",
    ),
    lit(
        "go-panic",
        "a Go runtime panic",
        Medium,
        "panic: runtime error",
    ),
    re(
        "sql-statement",
        "an SQL statement",
        Medium,
        r"(?i)\b(?:select\s+[\w*.,\s]+?\s+from\s+\w+|insert\s+into\s+\w+|update\s+\w+\s+set\s+\w+|delete\s+from\s+\w+)",
    ),
    lit(
        "sql-bracket",
        "SQLAlchemy's statement echo",
        Medium,
        "[SQL: ",
    ),
    lit("sqlalchemy", "the SQLAlchemy ORM", Medium, "sqlalchemy"),
    lit(
        "sqlalche.me",
        "a SQLAlchemy error link",
        Medium,
        "sqlalche.me",
    ),
    lit("sqlite3", "the sqlite3 driver", Medium, "sqlite3"),
    lit("pymysql", "the PyMySQL driver", Medium, "pymysql"),
    lit("mysqldb", "the MySQLdb driver", Medium, "MySQLdb"),
    lit("psycopg", "the psycopg driver", Medium, "psycopg"),
    lit("oslo.db", "the oslo.db library", Medium, "oslo.db"),
    lit("oslo_db", "the oslo.db library", Medium, "oslo_db"),
    re(
        "mysql-message",
        "a MySQL/MariaDB error message",
        Medium,
        r"(?:Incorrect string value: '|Data too long for column '|Out of range value for column '|Duplicate entry '[^']*' for key|You have an error in your SQL syntax|Deadlock found when trying to get lock)",
    ),
    re(
        "postgresql-message",
        "a PostgreSQL error message",
        Medium,
        r"(?:violates (?:unique|foreign key|not-null|check) constraint|invalid input syntax for type|must appear in the GROUP BY clause|A string literal cannot contain NUL|value too long for type character varying)",
    ),
    re(
        "rust-panic",
        "a Rust panic",
        Medium,
        r"panicked at [\w./\-]+\.rs:\d+(?::\d+)?",
    ),
    re(
        "rust-source",
        "a Rust source location",
        Medium,
        r"\b(?:src|crates|harness)/[\w/\-]+\.rs:\d+",
    ),
    re(
        "serde-message",
        "a serde deserialisation message",
        Medium,
        r"(?:invalid type: [^,]+, expected .+? at line \d+ column \d+|missing field `[^`]+`|unknown (?:field|variant) `[^`]+`, expected|trailing characters at line \d+ column \d+)",
    ),
    lit(
        "integrity-error",
        "a database integrity error",
        Medium,
        "IntegrityError",
    ),
    lit(
        "operational-error",
        "a database operational error",
        Medium,
        "OperationalError",
    ),
    lit(
        "db-duplicate",
        "an oslo.db duplicate-entry error",
        Medium,
        "DBDuplicateEntry",
    ),
    lit(
        "site-packages",
        "an installation path",
        Medium,
        "site-packages/",
    ),
    lit(
        "dist-packages",
        "an installation path",
        Medium,
        "dist-packages/",
    ),
    re(
        "py-path",
        "a Python source path",
        Medium,
        r"(?:/[\w.\-]+)+/[\w\-]+\.py\b",
    ),
    re(
        "py-line",
        "a Python source line reference",
        Medium,
        r#"\.py(?:", line|:)\s?\d+"#,
    ),
    lit(
        "schema-failed",
        "a JSON-schema validation dump",
        Low,
        "Failed validating",
    ),
    lit(
        "schema-instance",
        "a JSON-schema validation dump",
        Low,
        "On instance[",
    ),
    re(
        "schema-path",
        "a JSON-schema path",
        Low,
        r#"schema\[['"]\w+['"]\]"#,
    ),
    re(
        "python-json-decoder",
        "a Python JSON decoder message",
        Low,
        r"line \d+ column \d+ \(char \d+\)",
    ),
    lit(
        "python-json-expecting",
        "a Python JSON decoder message",
        Low,
        "Expecting property name enclosed in double quotes",
    ),
    lit(
        "python-int",
        "a Python int() conversion message",
        Low,
        "invalid literal for int() with base",
    ),
    lit(
        "python-float",
        "a Python float() conversion message",
        Low,
        "could not convert string to float",
    ),
];

struct Matcher {
    ac: AhoCorasick,
    ac_sig: Vec<usize>,
    set: RegexSet,
    set_sig: Vec<usize>,
}

fn matcher() -> Option<&'static Matcher> {
    static M: OnceLock<Option<Matcher>> = OnceLock::new();
    M.get_or_init(|| {
        let (mut lits, mut ac_sig, mut res, mut set_sig) = (vec![], vec![], vec![], vec![]);
        for (i, s) in SIGNATURES.iter().enumerate() {
            match s.pattern {
                Pattern::Literal(l) => {
                    lits.push(l);
                    ac_sig.push(i);
                }
                Pattern::Regex(r) => {
                    res.push(r);
                    set_sig.push(i);
                }
            }
        }
        let ac = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&lits)
            .ok()?;
        // Unicode classes in thirty patterns outgrow the default size limit;
        // the limit guards against hostile patterns, and these are ours.
        let set = RegexSetBuilder::new(&res)
            .size_limit(64 << 20)
            .build()
            .ok()?;
        Some(Matcher {
            ac,
            ac_sig,
            set,
            set_sig,
        })
    })
    .as_ref()
}

/// The signatures found in `text`, in table order, each once.
pub fn scan(text: &str) -> Vec<&'static Signature> {
    let Some(m) = matcher() else {
        // The table is constant and tested; were it ever to fail to
        // compile, scanning nothing would hide leaks, so the failure shows
        // up as a signature of its own.
        return vec![&MATCHER_BROKEN];
    };
    let mut hit = vec![false; SIGNATURES.len()];
    for mat in m.ac.find_overlapping_iter(text) {
        if let Some(&i) = m.ac_sig.get(mat.pattern().as_usize()) {
            hit[i] = true;
        }
    }
    for j in m.set.matches(text).iter() {
        if let Some(&i) = m.set_sig.get(j) {
            hit[i] = true;
        }
    }
    SIGNATURES
        .iter()
        .zip(hit)
        .filter_map(|(s, h)| h.then_some(s))
        .collect()
}

static MATCHER_BROKEN: Signature = lit(
    "matcher-broken",
    "nothing: the signature table failed to build",
    Severity::High,
    "",
);

/// Every answer is judged: headers and echoed secrets on every status,
/// bodies on errors.
pub fn judges(_ex: &Exchange, _ctx: &Context) -> bool {
    true
}

/// Reports what one exchange's body and echoed secrets reveal as one
/// finding (its id is the exchange's, so several signatures share it) and
/// its banners as another (one per route and persona, whatever the
/// input); each finding's severity is its worst reason's.
pub fn check(ex: &Exchange, ctx: &Context) -> Vec<Finding> {
    if !judges(ex, ctx) {
        return Vec::new();
    }
    // Rule: only error bodies are scanned. A 2xx body carries stored client
    // data (provider names, traits the fuzzer chose, such as "sqlite3" or
    // "SELECT 1 FROM x"), which matches signatures without revealing
    // anything about the server. Headers and echoed tokens are judged on
    // every status.
    let body_hits = if ex.status() >= 400 {
        scan(&ex.body_text())
    } else {
        Vec::new()
    };
    let req = ex.request();
    let mut out = Vec::new();
    // What the body and echoed secrets reveal is one cause; the banner,
    // set by the front-end server on every answer, is another, and a
    // finding of its own so that it does not split the first by route.
    let mut reasons: Vec<(Severity, String)> = body_hits
        .iter()
        .map(|s| (s.severity, format!("{} ({})", s.what, s.name)))
        .collect();
    let mut keys: Vec<String> = body_hits.iter().map(|s| s.name.to_owned()).collect();
    let mut whats: Vec<&str> = body_hits.iter().map(|s| s.what).collect();
    // Rule: a 5xx body that carries the exception's own text (webob puts
    // str(exception) after the generic sentence) reveals the server's
    // internals whatever the text says (SQLite's messages, a recursion
    // limit, a float conversion): one cause, the formatter that copies it,
    // which the signatures the text also matches do not split.
    let exception = (ex.status() >= 500)
        .then(|| super::no_5xx::exception_text(&ex.body_text()))
        .flatten();
    if let Some(e) = &exception {
        let clipped: String = e.chars().take(200).collect();
        reasons.push((Severity::Low, format!("the exception's text: {clipped:?}")));
        keys = vec!["exception-text".to_owned()];
        whats = vec!["the text of the exception behind a 5xx"];
    }
    for name in ex.echoed_secrets() {
        reasons.push((Severity::High, format!("the request's {name} echoed back")));
        keys.push(format!("echoed:{name}"));
        whats.push("the request's credentials echoed back");
    }
    if let Some(f) = leak_finding(ex, &reasons, "reveals internals", &req.input.class) {
        keys.sort();
        whats.sort_unstable();
        whats.dedup();
        out.push(f.because(Cause::new(
            format!("body:{}", keys.join("+")),
            format!("Responses reveal {}", whats.join("; ")),
        )));
    }
    let mut banners: Vec<(Severity, String)> = Vec::new();
    let mut banner_keys: Vec<String> = Vec::new();
    if let Some(server) = ex.response_header("server") {
        if server.chars().any(|c| c.is_ascii_digit()) {
            banners.push((Low, format!("a versioned Server banner: {server}")));
        } else {
            // A bare product name is common and tells little; kept at info
            // so reports show it without failing a build.
            banners.push((Severity::Info, format!("a Server banner: {server}")));
        }
        banner_keys.push(format!("Server: {server}"));
    }
    if let Some(p) = ex.response_header("x-powered-by") {
        banners.push((Low, format!("an X-Powered-By banner: {p}")));
        banner_keys.push(format!("X-Powered-By: {p}"));
    }
    if let Some(f) = leak_finding(ex, &banners, "carries a server banner", "server-banner") {
        // A banner is on every answer, errors or not: system information
        // exposed (CWE-497), not an error message that says too much.
        out.push(f.with_cwe(497).because(Cause::new(
            format!("banner:{}", banner_keys.join("+")),
            format!("Responses carry the banner {}", banner_keys.join(", ")),
        )));
    }
    out
}

/// One finding over `reasons` (severity the worst), its id over `class`.
fn leak_finding(
    ex: &Exchange,
    reasons: &[(Severity, String)],
    what: &str,
    class: &str,
) -> Option<Finding> {
    let severity = reasons.iter().map(|(s, _)| *s).max()?;
    let req = ex.request();
    let evidence = format!(
        "response reveals {}",
        reasons
            .iter()
            .map(|(_, r)| r.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    );
    let mut f = Finding::from_exchange(
        CheckId::NoInternalLeak,
        severity,
        format!("{} {} {what}", req.method, req.route),
        evidence,
        ex,
    );
    if class != req.input.class {
        f.input_class = class.to_owned();
        f.id = finding_id(f.check, &f.method, &f.route, &f.persona, class);
    }
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oracle::testutil::*;

    fn names(text: &str) -> Vec<&'static str> {
        scan(text).into_iter().map(|s| s.name).collect()
    }

    /// A real sample for every signature: the test fails if one is added
    /// without a sample or if a sample stops matching.
    #[test]
    fn every_signature_matches_its_real_sample() {
        let samples: &[(&str, &str)] = &[
            (
                "python-traceback",
                "Traceback (most recent call last):\n  File \"/usr/lib/python3/dist-packages/webob/dec.py\", line 129, in __call__",
            ),
            (
                "python-frame",
                "  File \"/opt/placement/handlers/allocation.py\", line 412, in set_allocations",
            ),
            ("python-exception", "KeyError: 'resources'"),
            (
                "dotted-exception",
                "oslo_db.exception.DBDeadlock: (pymysql.err.OperationalError) (1213, 'Deadlock found')",
            ),
            (
                "java-frame",
                "\tat com.example.api.Handler.handle(Handler.java:42)",
            ),
            (
                "java-thread",
                "Exception in thread \"main\" java.lang.NullPointerException",
            ),
            (
                "go-goroutine",
                "panic: runtime error: index out of range [3] with length 3\n\ngoroutine 1 [running]:\nmain.main()",
            ),
            (
                "go-panic",
                "panic: runtime error: invalid memory address or nil pointer dereference",
            ),
            (
                "sql-statement",
                "SELECT resource_providers.id, resource_providers.uuid FROM resource_providers WHERE resource_providers.uuid = ?",
            ),
            (
                "sql-bracket",
                "[SQL: INSERT INTO consumers (uuid, project_id) VALUES (?, ?)]",
            ),
            (
                "sqlalchemy",
                "sqlalchemy.exc.IntegrityError: (sqlite3.IntegrityError) UNIQUE constraint failed: resource_providers.name",
            ),
            (
                "sqlalche.me",
                "(Background on this error at: https://sqlalche.me/e/20/gkpj)",
            ),
            ("sqlite3", "(sqlite3.OperationalError) database is locked"),
            (
                "pymysql",
                "(pymysql.err.OperationalError) (2013, 'Lost connection to MySQL server during query')",
            ),
            (
                "mysqldb",
                "MySQLdb.OperationalError: (2006, 'MySQL server has gone away')",
            ),
            (
                "psycopg",
                "psycopg2.errors.UniqueViolation: duplicate key value violates unique constraint",
            ),
            ("oslo.db", "oslo.db.exception.DBConnectionError"),
            (
                "oslo_db",
                "oslo_db.exception.DBDuplicateEntry: (pymysql.err.IntegrityError) (1062, \"Duplicate entry\")",
            ),
            (
                "mysql-message",
                "(pymysql.err.DataError) (1366, \"Incorrect string value: '\\xF0\\x9F\\x92\\xA9' for column `placement`.`resource_providers`.`name` at row 1\")",
            ),
            (
                "postgresql-message",
                "column \"allocations.resource_class_id\" must appear in the GROUP BY clause or be used in an aggregate function",
            ),
            (
                "rust-panic",
                "thread 'tokio-runtime-worker' panicked at harness/server/src/handlers/allocation.rs:212:17:",
            ),
            ("rust-source", "at harness/core/src/inventory.rs:88"),
            (
                "serde-message",
                "invalid type: string \"x\", expected u32 at line 1 column 12",
            ),
            (
                "integrity-error",
                "IntegrityError: UNIQUE constraint failed: traits.name",
            ),
            (
                "operational-error",
                "OperationalError: no such table: resource_providers",
            ),
            ("db-duplicate", "DBDuplicateEntry"),
            (
                "site-packages",
                "/work/main/.placement/venv/lib/python3.11/site-packages/placement/util.py",
            ),
            (
                "dist-packages",
                "/usr/lib/python3/dist-packages/placement/handler.py",
            ),
            (
                "py-path",
                "/usr/lib/python3/dist-packages/placement/handler.py",
            ),
            ("py-line", "placement/handlers/allocation_candidate.py:301"),
            // From the real 16.0.0 answer to POST /resource_providers {"name": 1}.
            (
                "schema-failed",
                "JSON does not validate: 1 is not of type 'string'  Failed validating 'type' in schema['properties']['name']:",
            ),
            ("schema-instance", "On instance['name']:     1"),
            ("schema-path", "in schema['properties']['name']:"),
            // From the real 16.0.0 answer to a malformed JSON body.
            (
                "python-json-decoder",
                "Malformed JSON: Expecting property name enclosed in double quotes: line 1 column 14 (char 13)",
            ),
            (
                "python-json-expecting",
                "Malformed JSON: Expecting property name enclosed in double quotes: line 1 column 14 (char 13)",
            ),
            // From the real 16.0.0 answer to limit=abc&limit=1.
            (
                "python-int",
                "invalid literal for int() with base 10: 'abc'",
            ),
            ("python-float", "could not convert string to float: 'x'"),
        ];
        for sig in SIGNATURES {
            let sample = samples.iter().find(|(n, _)| *n == sig.name);
            let Some((_, text)) = sample else {
                panic!("signature {} has no sample", sig.name);
            };
            assert!(
                names(text).contains(&sig.name),
                "{} missed {text:?}",
                sig.name
            );
        }
    }

    #[test]
    fn placement_ordinary_error_bodies_do_not_trip() {
        for name in [
            "root",
            "no_token",
            "bad_uuid_path",
            "not_found_uuid",
            "bad_microversion",
            "bad_resources_query",
        ] {
            let (_, _, body) = fixture(name);
            let text = String::from_utf8_lossy(&body);
            assert!(names(&text).is_empty(), "{name}: {:?}", names(&text));
        }
        for text in [
            r#"{"resource_providers": [{"uuid": "7d2e3a1c-3d7b-4a4b-9a53-2b8e1d5f6c10", "name": "select from the menu", "links": [{"rel": "self", "href": "/resource_providers/7d2e3a1c-3d7b-4a4b-9a53-2b8e1d5f6c10"}]}]}"#,
            r#"{"errors": [{"status": 409, "title": "Conflict", "detail": "Conflicting resource provider name: rp-1 already exists.", "code": "placement.duplicate_name"}]}"#,
        ] {
            assert!(names(text).is_empty(), "{text}: {:?}", names(text));
        }
    }

    #[test]
    fn real_placement_answers_that_trip() {
        let ctx = Context::default();
        for (fixture_name, sig) in [
            ("malformed_json", "python-json-decoder"),
            ("schema_invalid", "schema-failed"),
            ("limit_abc", "python-int"),
        ] {
            let ex = from_fixture("POST", "/resource_providers", fixture_name).build();
            let f = check(&ex, &ctx);
            // The body's leak, then gunicorn's banner as a finding of its own.
            assert_eq!(f.len(), 2, "{fixture_name}");
            assert!(
                f[0].evidence.contains(sig),
                "{fixture_name}: {}",
                f[0].evidence
            );
            assert_eq!(f[0].severity, Severity::Low);
            assert!(f[0].cause.signature.starts_with("body:"), "{fixture_name}");
            assert_eq!(f[1].severity, Severity::Info);
            assert_eq!(f[1].cause.signature, "banner:Server: gunicorn");
            assert_eq!(
                (f[0].cwe.as_str(), f[1].cwe.as_str()),
                ("CWE-209", "CWE-497")
            );
        }
    }

    #[test]
    fn exception_text_in_a_5xx_is_one_leak_whatever_it_matches() {
        let ctx = Context::default();
        // Real Placement 16.0.0: `limit` twice reaches int() (python-int);
        // a lone surrogate reaches the database driver (no signature).
        let int = from_fixture("GET", "/allocation_candidates", "limit_abc").build();
        let surrogate = ex(
            "PUT",
            "/allocations/{consumer_uuid}",
            500,
            r#"{"errors": [{"status": 500, "title": "Internal Server Error", "detail": "The server has either erred or is incapable of performing the requested operation.\n\n 'utf-8' codec can't encode character '\\ud800' in position 0: surrogates not allowed  ", "code": "placement.undefined_code", "request_id": "req-2a0b54f4-6d0d-4b29-8a4e-3f7e2f9a1c11"}]}"#,
        )
        .build();
        let body = |e: &Exchange| {
            check(e, &ctx)
                .into_iter()
                .find(|f| f.cause.signature.starts_with("body:"))
                .unwrap_or_else(|| panic!("no body leak"))
        };
        let (a, b) = (body(&int), body(&surrogate));
        assert_eq!(a.cause, b.cause);
        assert_eq!(a.cause.signature, "body:exception-text");
        assert!(
            b.evidence.contains("surrogates not allowed"),
            "{}",
            b.evidence
        );
        // A 4xx with a schema dump is still its signatures' cause.
        let schema = from_fixture("POST", "/resource_providers", "schema_invalid").build();
        assert_ne!(body(&schema).cause.signature, "body:exception-text");
    }

    #[test]
    fn a_banner_is_one_cause_on_every_route_and_input() {
        let ctx = Context::default();
        let a = from_fixture("GET", "/resource_providers", "not_found_uuid").build();
        let b = from_fixture("POST", "/traits", "malformed_json")
            .input(crate::exchange::InputKind::Hostile, "script", Some("<x>"))
            .build();
        let banner = |e: &Exchange| {
            check(e, &ctx)
                .into_iter()
                .find(|f| f.cause.signature.starts_with("banner:"))
                .unwrap()
        };
        let (fa, fb) = (banner(&a), banner(&b));
        assert_eq!(fa.cause, fb.cause);
        assert_eq!(
            fb.input_class, "server-banner",
            "one finding per route, whatever the input"
        );
        assert_ne!(fa.id, fb.id);
    }

    #[test]
    fn server_banner_and_echoed_token() {
        let ctx = Context::default();
        let plain = from_fixture("GET", "/resource_providers", "not_found_uuid").build();
        let f = check(&plain, &ctx);
        // Real Placement under gunicorn says "Server: gunicorn": info only.
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Info);
        let versioned = ex("GET", "/", 200, "{}")
            .resp_header("Server", "gunicorn/20.1.0")
            .build();
        assert_eq!(check(&versioned, &ctx)[0].severity, Severity::Low);
        let echoed = ex(
            "GET",
            "/resource_providers",
            401,
            r#"{"detail": "token gAAAAABlongtoken rejected"}"#,
        )
        .req_header("x-auth-token", "gAAAAABlongtoken")
        .build();
        let f = check(&echoed, &ctx);
        assert_eq!(f[0].severity, Severity::High);
        assert!(!f[0].response.body_excerpt.text.contains("gAAAAABlongtoken"));
        let clean = ex("GET", "/", 200, r#"{"versions": []}"#).build();
        assert!(check(&clean, &ctx).is_empty());
        // Stored client data in a 2xx is not a leak.
        let stored = ex(
            "GET",
            "/resource_providers",
            200,
            r#"{"resource_providers": [{"name": "sqlite3 Traceback (most recent call last)"}]}"#,
        )
        .build();
        assert!(check(&stored, &ctx).is_empty());
        let same_in_error = ex(
            "GET",
            "/resource_providers",
            500,
            r#"{"errors": [{"detail": "sqlite3 Traceback (most recent call last)"}]}"#,
        )
        .build();
        assert_eq!(check(&same_in_error, &ctx)[0].severity, Severity::Medium);
    }
}
