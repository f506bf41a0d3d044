//! Expansion: one suite step becomes the concrete requests the scan sends.
//!
//! `as: P` sends as persona P; `as_each: {P: STATUS}` once per persona with
//! that persona's accepted statuses; `each: CORPUS` once per input of a
//! named corpus, with `$INPUT` (raw text), `$INPUT_URL` (percent-encoded)
//! and `$INPUT_JSON` (a JSON string literal) filled into the URL, query
//! values, headers and data. The two combine (personas outer, inputs
//! inner). With `each: uuid/spellings`, `$SPELL(VAR)` writes the UUID in
//! `$ENVIRON[VAR]` in the input's spelling (upper-case, braced, ...) and
//! the input becomes that text, so a step can ask for one real object under
//! every spelling and `uuid_spelling` can compare it with the canonical
//! request of the same object. `probe: foreign|missing` (with an optional
//! `pair: NAME`) marks the step's requests as naming another tenant's
//! object or one that does not exist; [`probe_input`] and [`probe_group`]
//! turn that into the input kind and comparison group `existence_leak`
//! pairs on. Unknown personas, corpora and oracle names are suite errors
//! found here, before any request is sent.

use std::collections::{BTreeMap, BTreeSet};

use placement_core::ids::{self, Spelling};

use super::model::{Data, Probe, ProbeKind, Suite, SuiteError, Test};
use crate::corpus::{self, Corpus, CorpusInput};
use crate::exchange::{Input, InputKind};
use crate::finding::CheckId;

/// The check names `expect:` may use: every oracle plus `expectation`.
pub fn oracle_names() -> Vec<&'static str> {
    CheckId::ALL.iter().map(|c| c.as_str()).collect()
}

/// Which checks judge a step's responses (`expect:`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OracleSelection {
    /// `Some`: only these (a list without `!` entries); `None`: all.
    pub only: Option<BTreeSet<CheckId>>,
    /// Opted out with `"!name"`.
    pub except: BTreeSet<CheckId>,
}

impl OracleSelection {
    /// Whether `check` judges this step.
    pub fn enabled(&self, check: CheckId) -> bool {
        !self.except.contains(&check) && self.only.as_ref().is_none_or(|o| o.contains(&check))
    }
}

fn check_by_name(name: &str) -> Option<CheckId> {
    CheckId::ALL.iter().copied().find(|c| c.as_str() == name)
}

/// One concrete request of a step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expansion {
    /// `step name [persona] [input class]`.
    pub name: String,
    /// Who sends it (`None`: the request as written).
    pub persona: Option<String>,
    /// Accepted statuses.
    pub status: Vec<u16>,
    /// The corpus input it carries.
    pub input: Option<CorpusInput>,
}

/// A step with everything it expands to, checked.
#[derive(Clone, Debug)]
pub struct ExpandedStep {
    /// The step as parsed.
    pub test: Test,
    /// Its concrete requests, in sending order.
    pub expansions: Vec<Expansion>,
    /// Its `expect:`.
    pub oracles: OracleSelection,
}

/// Checks a suite's extensions and expands every step. `personas` are the
/// names the scan knows.
pub fn expand_suite(suite: &Suite, personas: &[String]) -> Result<Vec<ExpandedStep>, SuiteError> {
    let file = suite.file.display().to_string();
    let invalid = |test: &Test, message: String| SuiteError::Invalid {
        file: file.clone(),
        line: test.line,
        message,
    };
    let mut out = Vec::with_capacity(suite.tests.len());
    for test in &suite.tests {
        let sec = &test.security;
        let check_persona = |p: &str| {
            if personas.iter().any(|k| k == p) {
                Ok(())
            } else {
                Err(invalid(
                    test,
                    format!(
                        "test {:?}: unknown persona {p:?} (known: {})",
                        test.name,
                        personas.join(", ")
                    ),
                ))
            }
        };
        if let Some(p) = &sec.as_persona {
            check_persona(p)?;
        }
        for (p, _) in &sec.as_each {
            check_persona(p)?;
        }
        let corpus: Option<Corpus> = match &sec.each {
            None => None,
            Some(name) => Some(corpus::corpus(name).ok_or_else(|| {
                invalid(
                    test,
                    format!(
                        "test {:?}: unknown corpus {name:?} (known: {})",
                        test.name,
                        corpus::CORPUS_NAMES.join(", ")
                    ),
                )
            })?),
        };
        let mut oracles = OracleSelection::default();
        for entry in &sec.expect {
            let (negated, name) = match entry.strip_prefix('!') {
                Some(n) => (true, n),
                None => (false, entry.as_str()),
            };
            let check = check_by_name(name.trim()).ok_or_else(|| {
                invalid(
                    test,
                    format!(
                        "test {:?}: unknown oracle {name:?} in expect (known: {})",
                        test.name,
                        oracle_names().join(", ")
                    ),
                )
            })?;
            if negated {
                oracles.except.insert(check);
            } else {
                oracles.only.get_or_insert_with(BTreeSet::new).insert(check);
            }
        }
        out.push(ExpandedStep {
            expansions: expand_step(test, corpus.as_ref()),
            test: test.clone(),
            oracles,
        });
    }
    Ok(out)
}

/// The input a `probe:` step's requests carry: `OtherTenantRef` for
/// `foreign`, `Nonexistent` for `missing`; the class (part of the finding
/// id) names the probe and its pair.
pub fn probe_input(probe: &Probe) -> Input {
    let kind = match probe.kind {
        ProbeKind::Foreign => InputKind::OtherTenantRef,
        ProbeKind::Missing => InputKind::Nonexistent,
    };
    let class = match &probe.pair {
        Some(p) => format!("probe-{}-{p}", probe.kind.as_str()),
        None => format!("probe-{}", probe.kind.as_str()),
    };
    Input {
        kind,
        class,
        value: None,
    }
}

/// The comparison group of a `probe:` step in suite `stem`: the same for
/// both sides of a pair (the object they name differs, so it cannot be
/// part of it).
pub fn probe_group(stem: &str, probe: &Probe) -> String {
    format!("{stem}:probe:{}", probe.pair.as_deref().unwrap_or(""))
}

/// The concrete requests of one step (corpus already looked up).
pub fn expand_step(test: &Test, corpus: Option<&Corpus>) -> Vec<Expansion> {
    let personas: Vec<(Option<String>, Vec<u16>)> = if test.security.as_each.is_empty() {
        vec![(test.security.as_persona.clone(), test.status.clone())]
    } else {
        test.security
            .as_each
            .iter()
            .map(|(p, s)| (Some(p.clone()), s.clone()))
            .collect()
    };
    let inputs: Vec<Option<&CorpusInput>> = match corpus {
        Some(c) => c.inputs.iter().map(Some).collect(),
        None => vec![None],
    };
    let mut out = Vec::with_capacity(personas.len() * inputs.len());
    for (persona, status) in &personas {
        for input in &inputs {
            let mut name = test.name.clone();
            if let Some(p) = persona {
                name.push_str(&format!(" [{p}]"));
            }
            if let Some(i) = input {
                name.push_str(&format!(" [{}]", i.class));
            }
            out.push(Expansion {
                name,
                persona: persona.clone(),
                status: status.clone(),
                input: input.cloned(),
            });
        }
    }
    out
}

/// Fills `$INPUT_URL`, `$INPUT_JSON` and `$INPUT` in `text`.
pub fn fill_input(text: &str, input: &CorpusInput) -> String {
    if !text.contains("$INPUT") {
        return text.to_owned();
    }
    // Longest names first: `$INPUT` is a prefix of the others.
    text.replace("$INPUT_URL", &input.url_encoded())
        .replace("$INPUT_JSON", &input.json_literal())
        .replace("$INPUT", &input.text())
}

fn fill_value(v: &serde_json::Value, input: &CorpusInput) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::String(s) => Value::String(fill_input(s, input)),
        Value::Array(items) => Value::Array(items.iter().map(|i| fill_value(i, input)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (fill_input(k, input), fill_value(v, input)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Writes every `$SPELL(VAR)` in `text` as `environ[VAR]` in `spelling`;
/// the first spelled value is returned too. A variable that is missing or
/// holds no UUID is left as written, so the request shows the mistake.
pub fn fill_spell(
    text: &str,
    spelling: Spelling,
    environ: &BTreeMap<String, String>,
) -> (String, Option<String>) {
    let mut out = String::with_capacity(text.len());
    let mut first = None;
    let mut rest = text;
    while let Some(start) = rest.find("$SPELL(") {
        let (before, after) = rest.split_at(start);
        out.push_str(before);
        let args = after.get("$SPELL(".len()..).unwrap_or("");
        let Some(end) = args.find(')') else {
            out.push_str(after);
            rest = "";
            break;
        };
        let var = args.get(..end).unwrap_or("");
        let spelled = environ
            .get(var)
            .and_then(|v| ids::classify(v))
            .map(|(uuid, _)| spelling.write(uuid));
        match spelled {
            Some(s) => {
                first.get_or_insert_with(|| s.clone());
                out.push_str(&s);
            }
            None => out.push_str(after.get(..end + "$SPELL()".len()).unwrap_or(after)),
        }
        rest = args.get(end + 1..).unwrap_or("");
    }
    out.push_str(rest);
    (out, first)
}

/// Applies `f` to every string of a JSON value, keys included.
fn map_strings(v: &mut serde_json::Value, f: &mut impl FnMut(&mut String)) {
    use serde_json::Value;
    match v {
        Value::String(s) => f(s),
        Value::Array(items) => items.iter_mut().for_each(|i| map_strings(i, f)),
        Value::Object(map) => {
            let old = std::mem::take(map);
            for (mut k, mut val) in old {
                f(&mut k);
                map_strings(&mut val, f);
                map.insert(k, val);
            }
        }
        _ => {}
    }
}

/// The step as one concrete test, with the input it really carries: its
/// persona, accepted statuses and the input filled in (`$SPELL` resolved
/// against `environ`). Gabbi's own templates (`$ENVIRON`, `$RESPONSE`, ...)
/// are left for the runner.
pub fn concrete_test(
    test: &Test,
    expansion: &Expansion,
    environ: &BTreeMap<String, String>,
) -> (Test, Option<CorpusInput>) {
    let mut t = test.clone();
    t.name = expansion.name.clone();
    t.status = expansion.status.clone();
    t.security.as_persona = expansion.persona.clone();
    let mut input = expansion.input.clone();
    if let Some(i) = input.as_mut() {
        if let Some(spelling) = i.spelling {
            let mut spelled = None;
            let mut spell = |s: &mut String| {
                if s.contains("$SPELL(") {
                    let (out, first) = fill_spell(s, spelling, environ);
                    *s = out;
                    if spelled.is_none() {
                        spelled = first;
                    }
                }
            };
            spell(&mut t.url);
            for (_, v) in &mut t.request_headers {
                spell(v);
            }
            for (_, values) in &mut t.query_parameters {
                values.iter_mut().for_each(&mut spell);
            }
            if let Some(Data::Value(body)) = &mut t.data {
                map_strings(body, &mut spell);
            }
            if let Some(value) = spelled {
                i.bytes = value.into_bytes();
            }
        }
    }
    if let Some(input) = &input {
        t.url = fill_input(&t.url, input);
        for (_, v) in &mut t.request_headers {
            *v = fill_input(v, input);
        }
        for (_, values) in &mut t.query_parameters {
            for v in values {
                *v = fill_input(v, input);
            }
        }
        if let Some(Data::Value(v)) = &t.data {
            t.data = Some(Data::Value(fill_value(v, input)));
        }
    }
    (t, input)
}
