//! The suite model: a gabbi YAML file (`fixtures`, `defaults`, `tests`)
//! plus the security extensions, read from a [`yaml::Node`] tree so that
//! every error names `file:line`.
//!
//! Unknown keys are errors, not ignored: a misspelt `response_json_path`
//! would otherwise pass every test while checking nothing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use super::yaml::{self, Node, NodeValue};

/// The verbs accepted as keys (`GET: /path`).
pub const VERBS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/// Keys a test (or `defaults`) may have, besides the verbs.
const TEST_KEYS: [&str; 31] = [
    "name",
    "desc",
    "method",
    "url",
    "request_headers",
    "query_parameters",
    "data",
    "status",
    "response_headers",
    "response_forbidden_headers",
    "response_strings",
    "response_json_paths",
    "xfail",
    "skip",
    "poll",
    "redirects",
    "use_prior_test",
    "verbose",
    "ssl",
    "cert_validate",
    // Security extensions.
    "as",
    "as_each",
    "each",
    "expect",
    "snapshot",
    "cwe",
    "severity",
    "claim",
    "probe",
    "pair",
    // Gabbi keys accepted and ignored (no meaning for this scanner).
    "disable_response_handler",
];

/// A suite that could not be read, always with the place at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SuiteError {
    /// The file could not be read.
    #[error("{file}: cannot read: {message}")]
    Io {
        /// The suite file.
        file: String,
        /// The OS error.
        message: String,
    },
    /// The text is not YAML.
    #[error("{file}:{line}: invalid YAML: {message}")]
    Yaml {
        /// The suite file.
        file: String,
        /// 1-based line (0 when the parser could not tell).
        line: u64,
        /// The parser's message.
        message: String,
    },
    /// A key that the format does not have.
    #[error("{file}:{line}: unknown key `{key}` in {place}")]
    UnknownKey {
        /// The suite file.
        file: String,
        /// Line of the key.
        line: u64,
        /// The key.
        key: String,
        /// Where it was found (`a test`, `the suite`, `poll`...).
        place: &'static str,
    },
    /// An upper-case key that is no HTTP verb gabbi knows.
    #[error("{file}:{line}: unknown verb `{verb}` (known: {})", VERBS.join(", "))]
    UnknownVerb {
        /// The suite file.
        file: String,
        /// Line of the key.
        line: u64,
        /// The key.
        verb: String,
    },
    /// A value of the wrong type.
    #[error("{file}:{line}: `{key}` must be {expected}, got {got}")]
    WrongType {
        /// The suite file.
        file: String,
        /// Line of the value.
        line: u64,
        /// The key whose value is wrong.
        key: String,
        /// What was expected.
        expected: &'static str,
        /// What was found.
        got: String,
    },
    /// Steps send as personas the run does not have (every one named).
    #[error("{0}")]
    Personas(String),
    /// Anything else wrong with a value (two verbs, no URL, bad status).
    #[error("{file}:{line}: {message}")]
    Invalid {
        /// The suite file.
        file: String,
        /// Line at fault.
        line: u64,
        /// What is wrong.
        message: String,
    },
}

/// A parsed suite.
#[derive(Debug, Clone, PartialEq)]
pub struct Suite {
    /// The file it came from (as given).
    pub file: PathBuf,
    /// Fixture names, in order.
    pub fixtures: Vec<String>,
    /// Tests, in order, with `defaults` already applied.
    pub tests: Vec<Test>,
}

/// Request body.
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    /// A YAML value: a string is sent as it is, anything else as JSON.
    Value(Value),
    /// `<@file`: the file's bytes, relative to the suite's directory.
    File(PathBuf),
}

/// `poll`: retry until the expectations hold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Poll {
    /// Attempts in all (gabbi's default is 1).
    pub count: u32,
    /// Pause after a failed attempt (gabbi's default is 1 s).
    pub delay: Duration,
}

/// `snapshot:` extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Snapshot {
    /// `snapshot: true`: named after the test.
    Default,
    /// `snapshot: NAME`.
    Named(String),
}

/// `probe:` what kind of object a step's request names, so that the
/// `existence_leak` oracle can weigh a foreign object's answer against a
/// missing one's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeKind {
    /// `probe: foreign`: an object another tenant owns.
    Foreign,
    /// `probe: missing`: an object that does not exist.
    Missing,
}

impl ProbeKind {
    /// The spelling used in suites.
    pub fn as_str(self) -> &'static str {
        match self {
            ProbeKind::Foreign => "foreign",
            ProbeKind::Missing => "missing",
        }
    }
}

/// `probe:` with its optional `pair:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// Foreign or missing.
    pub kind: ProbeKind,
    /// `pair: NAME`: only probes of the same pair are compared (the persona,
    /// method and route must match as well). Without it, every probe of
    /// the suite with the same persona, method and route is one pair.
    pub pair: Option<String>,
}

/// The security extensions of one test.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Security {
    /// `as: PERSONA`: who sends the request.
    pub as_persona: Option<String>,
    /// `as_each: {PERSONA: STATUS}`: send once per persona, each with its
    /// accepted statuses.
    pub as_each: Vec<(String, Vec<u16>)>,
    /// `each: CORPUS`: expand over a corpus of inputs.
    pub each: Option<String>,
    /// `expect: [ORACLE...]`: oracles to apply.
    pub expect: Vec<String>,
    /// `snapshot`.
    pub snapshot: Option<Snapshot>,
    /// `cwe`.
    pub cwe: Option<u32>,
    /// `severity`.
    pub severity: Option<String>,
    /// `claim`: what the test demonstrates, for the finding.
    pub claim: Option<String>,
    /// `probe` and `pair`: the step is one side of an existence comparison.
    pub probe: Option<Probe>,
}

/// One test: a request and what its response must be.
#[derive(Debug, Clone, PartialEq)]
pub struct Test {
    /// `name`.
    pub name: String,
    /// Line where the test starts.
    pub line: u64,
    /// `desc`.
    pub desc: Option<String>,
    /// Upper-case method.
    pub method: String,
    /// URL or path, templates not yet substituted.
    pub url: String,
    /// `request_headers`, in order.
    pub request_headers: Vec<(String, String)>,
    /// `query_parameters`, each with one or more values.
    pub query_parameters: Vec<(String, Vec<String>)>,
    /// `data`.
    pub data: Option<Data>,
    /// Accepted statuses (`status: "200 || 204"`); default 200.
    pub status: Vec<u16>,
    /// `response_headers`: value, or `/regex/`.
    pub response_headers: Vec<(String, String)>,
    /// `response_forbidden_headers`.
    pub response_forbidden_headers: Vec<String>,
    /// `response_strings`.
    pub response_strings: Vec<String>,
    /// `response_json_paths`: path to expected value.
    pub response_json_paths: Vec<(String, Value)>,
    /// `xfail`.
    pub xfail: bool,
    /// `skip`: the reason, when skipped.
    pub skip: Option<String>,
    /// `poll`.
    pub poll: Option<Poll>,
    /// `redirects`: follow redirects.
    pub redirects: bool,
    /// `use_prior_test` (default true).
    pub use_prior_test: bool,
    /// `verbose`.
    pub verbose: bool,
    /// `ssl`: use https for a relative URL.
    pub ssl: bool,
    /// Security extensions.
    pub security: Security,
}

/// Read and parse a suite file.
pub fn load_suite(path: &Path) -> Result<Suite, SuiteError> {
    let text = std::fs::read_to_string(path).map_err(|e| SuiteError::Io {
        file: path.display().to_string(),
        message: e.to_string(),
    })?;
    parse_suite(&text, path)
}

/// Parse suite text; `file` names it in errors and anchors `<@file` data.
pub fn parse_suite(text: &str, file: &Path) -> Result<Suite, SuiteError> {
    let cx = Cx {
        file: file.display().to_string(),
        dir: file.parent().map(Path::to_path_buf).unwrap_or_default(),
    };
    let root = yaml::parse(text).map_err(|e| SuiteError::Yaml {
        file: cx.file.clone(),
        line: e.line,
        message: e.message,
    })?;
    let NodeValue::Map(entries) = &root.value else {
        return Err(cx.wrong(&root, "suite", "a mapping with `tests`"));
    };
    let mut fixtures = Vec::new();
    let mut defaults: Vec<(Node, Node)> = Vec::new();
    let mut tests_node = None;
    for (k, v) in entries {
        match cx.key(k)?.as_str() {
            "fixtures" => fixtures = cx.string_list(v, "fixtures")?,
            "defaults" => match &v.value {
                NodeValue::Map(m) => {
                    for (dk, _) in m {
                        let key = cx.key(dk)?;
                        cx.known_test_key(dk, &key, "defaults")?;
                    }
                    defaults = m.clone();
                }
                NodeValue::Null => {}
                _ => return Err(cx.wrong(v, "defaults", "a mapping")),
            },
            "tests" => tests_node = Some(v),
            // Gabbi ignores `vars`: it exists to hold YAML anchors.
            "vars" => {}
            other => return Err(cx.unknown(k, other, "the suite")),
        }
    }
    let Some(tests_node) = tests_node else {
        return Err(SuiteError::Invalid {
            file: cx.file.clone(),
            line: root.line,
            message: "the suite has no `tests`".to_owned(),
        });
    };
    let NodeValue::Seq(items) = &tests_node.value else {
        return Err(cx.wrong(tests_node, "tests", "a list of tests"));
    };
    let mut tests = Vec::with_capacity(items.len());
    for item in items {
        let NodeValue::Map(own) = &item.value else {
            return Err(cx.wrong(item, "tests[]", "a mapping"));
        };
        let merged = merge_defaults(&cx, &defaults, own)?;
        tests.push(cx.test(item.line, &merged)?);
    }
    Ok(Suite {
        file: file.to_path_buf(),
        fixtures,
        tests,
    })
}

/// Gabbi's `test_update`: a test's mapping values update the defaults'
/// mappings, its lists extend the defaults' lists, anything else (and
/// `data`, always) replaces.
fn merge_defaults(
    cx: &Cx,
    defaults: &[(Node, Node)],
    own: &[(Node, Node)],
) -> Result<Vec<(Node, Node)>, SuiteError> {
    let own_has_request = own.iter().any(|(k, _)| {
        k.scalar_text()
            .is_some_and(|s| s == "url" || s == "method" || VERBS.contains(&s.as_str()))
    });
    let mut merged: Vec<(Node, Node)> = defaults
        .iter()
        .filter(|(k, _)| {
            // A test that says where to go overrides any default request line.
            !own_has_request
                || !k
                    .scalar_text()
                    .is_some_and(|s| s == "url" || s == "method" || VERBS.contains(&s.as_str()))
        })
        .cloned()
        .collect();
    for (k, v) in own {
        let key = cx.key(k)?;
        let slot = merged
            .iter_mut()
            .find(|(mk, _)| mk.scalar_text().as_deref() == Some(key.as_str()));
        match slot {
            None => merged.push((k.clone(), v.clone())),
            Some(slot) => {
                let value = match (&slot.1.value, &v.value) {
                    _ if key == "data" => v.clone(),
                    (NodeValue::Map(base), NodeValue::Map(add)) => {
                        let mut out = base.clone();
                        for (ak, av) in add {
                            let at = ak.scalar_text();
                            // Header names are case-insensitive: a test's
                            // `Accept` replaces the defaults' `accept`.
                            let same = |bk: &Node| match (bk.scalar_text(), &at) {
                                (Some(b), Some(a)) if key == "request_headers" => {
                                    b.eq_ignore_ascii_case(a)
                                }
                                (b, a) => b == *a,
                            };
                            match out.iter_mut().find(|(bk, _)| same(bk)) {
                                Some(e) => *e = (ak.clone(), av.clone()),
                                None => out.push((ak.clone(), av.clone())),
                            }
                        }
                        Node {
                            value: NodeValue::Map(out),
                            ..v.clone()
                        }
                    }
                    (NodeValue::Seq(base), NodeValue::Seq(add)) => {
                        let mut out = base.clone();
                        out.extend(add.iter().cloned());
                        Node {
                            value: NodeValue::Seq(out),
                            ..v.clone()
                        }
                    }
                    _ => v.clone(),
                };
                *slot = (k.clone(), value);
            }
        }
    }
    Ok(merged)
}

/// Parsing context: which file, for messages and `<@file`.
struct Cx {
    file: String,
    dir: PathBuf,
}

impl Cx {
    fn wrong(&self, node: &Node, key: &str, expected: &'static str) -> SuiteError {
        SuiteError::WrongType {
            file: self.file.clone(),
            line: node.line,
            key: key.to_owned(),
            expected,
            got: node.value.kind().to_owned(),
        }
    }

    fn unknown(&self, node: &Node, key: &str, place: &'static str) -> SuiteError {
        SuiteError::UnknownKey {
            file: self.file.clone(),
            line: node.line,
            key: key.to_owned(),
            place,
        }
    }

    fn invalid(&self, node: &Node, message: String) -> SuiteError {
        SuiteError::Invalid {
            file: self.file.clone(),
            line: node.line,
            message,
        }
    }

    fn key(&self, k: &Node) -> Result<String, SuiteError> {
        match &k.value {
            NodeValue::Str(s) => Ok(s.clone()),
            _ => Err(self.wrong(k, "key", "a string")),
        }
    }

    fn known_test_key(&self, k: &Node, key: &str, place: &'static str) -> Result<(), SuiteError> {
        if TEST_KEYS.contains(&key) || VERBS.contains(&key) {
            Ok(())
        } else if !key.is_empty() && key.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
            Err(SuiteError::UnknownVerb {
                file: self.file.clone(),
                line: k.line,
                verb: key.to_owned(),
            })
        } else {
            Err(self.unknown(k, key, place))
        }
    }

    fn string(&self, v: &Node, key: &str) -> Result<String, SuiteError> {
        match &v.value {
            NodeValue::Str(s) => Ok(s.clone()),
            _ => Err(self.wrong(v, key, "a string")),
        }
    }

    /// A scalar as text (header values may be written as numbers).
    fn scalar(&self, v: &Node, key: &str) -> Result<String, SuiteError> {
        v.scalar_text()
            .ok_or_else(|| self.wrong(v, key, "a string or number"))
    }

    fn boolean(&self, v: &Node, key: &str) -> Result<bool, SuiteError> {
        match &v.value {
            NodeValue::Bool(b) => Ok(*b),
            _ => Err(self.wrong(v, key, "true or false")),
        }
    }

    fn string_list(&self, v: &Node, key: &str) -> Result<Vec<String>, SuiteError> {
        match &v.value {
            NodeValue::Seq(items) => items.iter().map(|i| self.scalar(i, key)).collect(),
            NodeValue::Null => Ok(Vec::new()),
            _ => Err(self.wrong(v, key, "a list of strings")),
        }
    }

    fn scalar_map(&self, v: &Node, key: &str) -> Result<Vec<(String, String)>, SuiteError> {
        match &v.value {
            NodeValue::Map(m) => m
                .iter()
                .map(|(k, val)| Ok((self.scalar(k, key)?, self.scalar(val, key)?)))
                .collect(),
            NodeValue::Null => Ok(Vec::new()),
            _ => Err(self.wrong(v, key, "a mapping of strings")),
        }
    }

    fn status(&self, v: &Node, key: &str) -> Result<Vec<u16>, SuiteError> {
        let text = match &v.value {
            NodeValue::Int(_) | NodeValue::Str(_) => v.scalar_text().unwrap_or_default(),
            _ => return Err(self.wrong(v, key, "a status or \"200 || 204\"")),
        };
        text.split("||")
            .map(|s| {
                s.trim()
                    .parse::<u16>()
                    .ok()
                    .filter(|n| (100..=599).contains(n))
                    .ok_or_else(|| {
                        self.invalid(v, format!("`{key}`: `{}` is not an HTTP status", s.trim()))
                    })
            })
            .collect()
    }

    fn test(&self, line: u64, entries: &[(Node, Node)]) -> Result<Test, SuiteError> {
        let mut t = Test {
            name: String::new(),
            line,
            desc: None,
            method: String::new(),
            url: String::new(),
            request_headers: Vec::new(),
            query_parameters: Vec::new(),
            data: None,
            status: vec![200],
            response_headers: Vec::new(),
            response_forbidden_headers: Vec::new(),
            response_strings: Vec::new(),
            response_json_paths: Vec::new(),
            xfail: false,
            skip: None,
            poll: None,
            redirects: false,
            use_prior_test: true,
            verbose: false,
            ssl: false,
            security: Security::default(),
        };
        let mut name_seen = false;
        let mut verb: Option<(String, u64)> = None;
        let mut method: Option<String> = None;
        let mut url: Option<String> = None;
        let mut probe: Option<ProbeKind> = None;
        let mut pair: Option<(String, u64)> = None;
        let mut each_line: Option<u64> = None;
        for (k, v) in entries {
            let key = self.key(k)?;
            self.known_test_key(k, &key, "a test")?;
            match key.as_str() {
                "name" => {
                    t.name = self.scalar(v, "name")?;
                    name_seen = true;
                }
                "desc" => t.desc = Some(self.scalar(v, "desc")?),
                "method" => method = Some(self.string(v, "method")?.to_ascii_uppercase()),
                "url" => url = Some(self.string(v, "url")?),
                "request_headers" => t.request_headers = self.scalar_map(v, &key)?,
                "query_parameters" => t.query_parameters = self.query(v)?,
                "data" => t.data = Some(self.data(v)?),
                "status" => t.status = self.status(v, "status")?,
                "response_headers" => t.response_headers = self.scalar_map(v, &key)?,
                "response_forbidden_headers" => {
                    t.response_forbidden_headers = self.string_list(v, &key)?
                }
                "response_strings" => t.response_strings = self.string_list(v, &key)?,
                "response_json_paths" => match &v.value {
                    NodeValue::Map(m) => {
                        t.response_json_paths = m
                            .iter()
                            .map(|(pk, pv)| Ok((self.scalar(pk, &key)?, pv.to_json())))
                            .collect::<Result<_, SuiteError>>()?
                    }
                    NodeValue::Null => {}
                    _ => return Err(self.wrong(v, &key, "a mapping of JSONPath to value")),
                },
                "xfail" => t.xfail = self.boolean(v, &key)?,
                "skip" => {
                    // Gabbi skips on any non-empty reason; `skip: false` runs.
                    t.skip = match &v.value {
                        NodeValue::Bool(false) | NodeValue::Null => None,
                        NodeValue::Bool(true) => Some("skip: true".to_owned()),
                        NodeValue::Str(s) if s.is_empty() => None,
                        NodeValue::Str(s) => Some(s.clone()),
                        _ => return Err(self.wrong(v, &key, "a reason string")),
                    }
                }
                "poll" => t.poll = Some(self.poll(v)?),
                "redirects" => t.redirects = self.boolean(v, &key)?,
                "use_prior_test" => t.use_prior_test = self.boolean(v, &key)?,
                "verbose" => {
                    // Gabbi also accepts `verbose: body` / `headers`.
                    t.verbose = match &v.value {
                        NodeValue::Bool(b) => *b,
                        NodeValue::Str(_) => true,
                        _ => return Err(self.wrong(v, &key, "true, false or a string")),
                    }
                }
                "ssl" => t.ssl = self.boolean(v, &key)?,
                "cert_validate" => {
                    self.boolean(v, &key)?;
                }
                "as" => t.security.as_persona = Some(self.string(v, "as")?),
                "as_each" => match &v.value {
                    NodeValue::Map(m) => {
                        for (pk, pv) in m {
                            t.security
                                .as_each
                                .push((self.string(pk, &key)?, self.status(pv, &key)?));
                        }
                    }
                    _ => return Err(self.wrong(v, &key, "a mapping of persona to status")),
                },
                "each" => {
                    t.security.each = Some(self.string(v, "each")?);
                    each_line = Some(k.line);
                }
                "probe" => {
                    probe = Some(match self.string(v, "probe")?.as_str() {
                        "foreign" => ProbeKind::Foreign,
                        "missing" => ProbeKind::Missing,
                        other => {
                            return Err(self
                                .invalid(v, format!("`probe`: `{other}` is not foreign|missing")));
                        }
                    })
                }
                "pair" => {
                    let name = self.scalar(v, "pair")?;
                    if name.trim().is_empty() {
                        return Err(self.invalid(v, "`pair` must name the pair".to_owned()));
                    }
                    pair = Some((name, k.line));
                }
                "expect" => t.security.expect = self.string_list(v, "expect")?,
                "snapshot" => {
                    t.security.snapshot = match &v.value {
                        NodeValue::Bool(true) => Some(Snapshot::Default),
                        NodeValue::Bool(false) => None,
                        NodeValue::Str(s) => Some(Snapshot::Named(s.clone())),
                        _ => return Err(self.wrong(v, &key, "true, false or a name")),
                    }
                }
                "cwe" => {
                    t.security.cwe = Some(
                        match &v.value {
                            NodeValue::Int(n) => u32::try_from(*n).ok(),
                            NodeValue::Str(s) => {
                                s.strip_prefix("CWE-").unwrap_or(s).parse::<u32>().ok()
                            }
                            _ => None,
                        }
                        .ok_or_else(|| self.wrong(v, "cwe", "a CWE number"))?,
                    )
                }
                "severity" => {
                    let s = self.string(v, "severity")?;
                    if !["info", "low", "medium", "high", "critical"].contains(&s.as_str()) {
                        return Err(self.invalid(
                            v,
                            format!("`severity`: `{s}` is not info|low|medium|high|critical"),
                        ));
                    }
                    t.security.severity = Some(s);
                }
                "claim" => t.security.claim = Some(self.scalar(v, "claim")?),
                verb_key if VERBS.contains(&verb_key) => {
                    if let Some((first, _)) = &verb {
                        return Err(self.invalid(
                            k,
                            format!("two verbs in one test: `{first}` and `{verb_key}`"),
                        ));
                    }
                    verb = Some((verb_key.to_owned(), k.line));
                    url = Some(self.scalar(v, verb_key)?);
                }
                // Accepted for gabbi compatibility; nothing to do.
                _ => {}
            }
        }
        let here = Node {
            line,
            column: 0,
            value: NodeValue::Null,
        };
        if !name_seen || t.name.is_empty() {
            return Err(self.invalid(&here, "a test without a `name`".to_owned()));
        }
        match (probe, pair) {
            (None, Some((_, pline))) => {
                let at = Node {
                    line: pline,
                    ..here.clone()
                };
                return Err(self.invalid(
                    &at,
                    format!("test `{}`: `pair` without `probe: foreign|missing`", t.name),
                ));
            }
            (Some(_), _) if each_line.is_some() => {
                let at = Node {
                    line: each_line.unwrap_or(line),
                    ..here.clone()
                };
                return Err(self.invalid(
                    &at,
                    format!(
                        "test `{}`: `probe` and `each` do not combine (a corpus input already \
                         says what the request carries)",
                        t.name
                    ),
                ));
            }
            (Some(kind), pair) => {
                t.security.probe = Some(Probe {
                    kind,
                    pair: pair.map(|(p, _)| p),
                })
            }
            (None, None) => {}
        }
        if let (Some((v, vline)), Some(m)) = (&verb, &method)
            && v != m
        {
            let at = Node {
                line: *vline,
                ..here.clone()
            };
            return Err(self.invalid(&at, format!("verb `{v}` and `method: {m}` disagree")));
        }
        t.method = verb
            .map(|(v, _)| v)
            .or(method)
            .unwrap_or_else(|| "GET".to_owned());
        t.url = url.ok_or_else(|| {
            self.invalid(
                &here,
                format!("test `{}` has no URL (`GET: /path` or `url`)", t.name),
            )
        })?;
        Ok(t)
    }

    fn query(&self, v: &Node) -> Result<Vec<(String, Vec<String>)>, SuiteError> {
        let NodeValue::Map(m) = &v.value else {
            return Err(self.wrong(v, "query_parameters", "a mapping"));
        };
        m.iter()
            .map(|(k, val)| {
                let name = self.scalar(k, "query_parameters")?;
                let values = match &val.value {
                    NodeValue::Seq(items) => items
                        .iter()
                        .map(|i| self.scalar(i, "query_parameters"))
                        .collect::<Result<_, _>>()?,
                    _ => vec![self.scalar(val, "query_parameters")?],
                };
                Ok((name, values))
            })
            .collect()
    }

    fn data(&self, v: &Node) -> Result<Data, SuiteError> {
        Ok(match &v.value {
            NodeValue::Str(s) if s.starts_with("<@") => {
                // Relative to the suite's directory, as gabbi does.
                Data::File(self.dir.join(&s[2..]))
            }
            _ => {
                super::generate::validate(v).map_err(|e| SuiteError::Invalid {
                    file: self.file.clone(),
                    line: e.line,
                    message: format!("`data`: {}", e.message),
                })?;
                Data::Value(v.to_json())
            }
        })
    }

    fn poll(&self, v: &Node) -> Result<Poll, SuiteError> {
        let NodeValue::Map(m) = &v.value else {
            return Err(self.wrong(v, "poll", "a mapping with count and delay"));
        };
        let mut poll = Poll {
            count: 1,
            delay: Duration::from_secs(1),
        };
        for (k, val) in m {
            match self.key(k)?.as_str() {
                "count" => {
                    poll.count = match &val.value {
                        NodeValue::Int(n) => u32::try_from(*n).ok().filter(|n| *n >= 1),
                        _ => None,
                    }
                    .ok_or_else(|| self.wrong(val, "poll.count", "a positive integer"))?
                }
                "delay" => {
                    let secs = match &val.value {
                        NodeValue::Int(n) => Some(*n as f64),
                        NodeValue::Float(f) => Some(*f),
                        _ => None,
                    }
                    .filter(|s| s.is_finite() && *s >= 0.0 && *s <= 3600.0)
                    .ok_or_else(|| self.wrong(val, "poll.delay", "seconds, 0 to 3600"))?;
                    poll.delay = Duration::from_secs_f64(secs);
                }
                other => return Err(self.unknown(k, other, "poll")),
            }
        }
        Ok(poll)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Suite, SuiteError> {
        parse_suite(text, Path::new("dir/s.yaml"))
    }

    #[test]
    fn verbs_defaults_and_status() {
        let s = parse(
            "defaults:\n  request_headers:\n    accept: application/json\n    x-auth-token: admin\ntests:\n- name: a\n  GET: /x\n  request_headers:\n    X-Auth-Token: user\n  status: 200 || 204\n- name: b\n  method: post\n  url: /y\n  data: <@body.json\n",
        )
        .unwrap();
        assert_eq!(s.tests[0].method, "GET");
        assert_eq!(s.tests[0].status, vec![200, 204]);
        assert_eq!(
            s.tests[0].request_headers,
            vec![
                ("accept".to_owned(), "application/json".to_owned()),
                ("X-Auth-Token".to_owned(), "user".to_owned())
            ]
        );
        assert_eq!(s.tests[1].method, "POST");
        assert_eq!(
            s.tests[1].data,
            Some(Data::File(PathBuf::from("dir/body.json")))
        );
        assert_eq!(s.tests[1].line, 11);
    }

    #[test]
    fn extensions() {
        let s = parse(
            "tests:\n- name: a\n  GET: /x\n  as: tenant-a-reader\n  as_each: {admin: 200, anonymous: \"401 || 403\"}\n  expect: [leak]\n  snapshot: true\n  cwe: CWE-639\n  severity: high\n  claim: no cross-tenant reads\n  poll: {count: 3, delay: 0.5}\n  xfail: true\n  skip: not today\n",
        )
        .unwrap();
        let t = &s.tests[0];
        assert_eq!(
            t.security.as_each[1],
            ("anonymous".to_owned(), vec![401, 403])
        );
        assert_eq!(t.security.cwe, Some(639));
        assert_eq!(t.poll.map(|p| p.count), Some(3));
        assert_eq!(t.skip.as_deref(), Some("not today"));
    }

    #[test]
    fn errors_name_file_and_line() {
        let e =
            parse("tests:\n- name: a\n  GET: /x\n  response_json_path:\n    $.a: 1\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "dir/s.yaml:4: unknown key `response_json_path` in a test"
        );
        let e = parse("tests:\n- name: a\n  GTE: /x\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("dir/s.yaml:3: unknown verb `GTE`"),
            "{e}"
        );
        let e = parse("tests:\n- name: a\n  GET: /x\n  xfail: maybe\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "dir/s.yaml:4: `xfail` must be true or false, got a string"
        );
        let e = parse("tests:\n- name: a\n  GET: /x\n  status: 2000\n").unwrap_err();
        assert!(e.to_string().starts_with("dir/s.yaml:4: "), "{e}");
        let e = parse("tests:\n- name: a\n  GET: [/x\n").unwrap_err();
        assert!(matches!(e, SuiteError::Yaml { line: 3.., .. }), "{e}");
        let e = parse("tests:\n- name: a\n  GET: /x\n  POST: /y\n").unwrap_err();
        assert!(e.to_string().starts_with("dir/s.yaml:4: two verbs"), "{e}");
        let e = parse("test:\n- name: a\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("dir/s.yaml:1: unknown key `test`"),
            "{e}"
        );
        let e = parse("tests:\n- name: a\n").unwrap_err();
        assert!(e.to_string().contains("no URL"), "{e}");
    }

    #[test]
    fn generated_data_is_checked_where_it_is_written() {
        let s = parse("tests:\n- name: a\n  PUT: /x\n  data:\n    name: {$repeat: x, times: 3}\n")
            .unwrap();
        assert_eq!(
            s.tests[0].data,
            Some(Data::Value(
                serde_json::json!({"name": {"$repeat": "x", "times": 3}})
            ))
        );
        let e = parse(
            "tests:\n- name: a\n  PUT: /x\n  data:\n    name:\n      $repeat: x\n      times: -1\n",
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("dir/s.yaml:7: `data`: `times` must be"),
            "{e}"
        );
    }

    #[test]
    fn probe_and_pair() {
        let s = parse(
            "tests:\n- name: a\n  GET: /x\n  probe: foreign\n  pair: usages\n- name: b\n  GET: /y\n  probe: missing\n",
        )
        .unwrap();
        assert_eq!(
            s.tests[0].security.probe,
            Some(Probe {
                kind: ProbeKind::Foreign,
                pair: Some("usages".to_owned())
            })
        );
        assert_eq!(
            s.tests[1].security.probe,
            Some(Probe {
                kind: ProbeKind::Missing,
                pair: None
            })
        );
    }

    #[test]
    fn bad_probes_name_file_and_line() {
        let e = parse("tests:\n- name: a\n  GET: /x\n  probe: alien\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "dir/s.yaml:4: `probe`: `alien` is not foreign|missing"
        );
        let e = parse("tests:\n- name: a\n  GET: /x\n  probe: [foreign]\n").unwrap_err();
        assert!(
            e.to_string().starts_with("dir/s.yaml:4: `probe` must be"),
            "{e}"
        );
        let e = parse("tests:\n- name: a\n  GET: /x\n  pair: p\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("dir/s.yaml:4: test `a`: `pair` without `probe"),
            "{e}"
        );
        let e = parse("tests:\n- name: a\n  GET: /x\n  probe: missing\n  pair: ''\n").unwrap_err();
        assert!(
            e.to_string().starts_with("dir/s.yaml:5: `pair` must name"),
            "{e}"
        );
        let e = parse("tests:\n- name: a\n  GET: /x\n  each: uuid/malformed\n  probe: missing\n")
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("dir/s.yaml:4: test `a`: `probe` and `each`"),
            "{e}"
        );
    }
}
