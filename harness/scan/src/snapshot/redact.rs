//! Stable placeholders for what changes from run to run: the UUIDs the run
//! generated (named after their `$ENVIRON` variable when a fixture bound
//! them, numbered in order of appearance otherwise), request ids, dates,
//! generations, the target's base URL and run-specific strings. Two runs
//! against the same server then give byte-identical snapshots, and a
//! reviewer's diff shows only what the server changed.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value;

fn uuid_re() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
            .ok()
    })
    .as_ref()
}

fn request_id_re() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"req-[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
        )
        .ok()
    })
    .as_ref()
}

fn date_re() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(concat!(
            // RFC 1123 (HTTP dates) and ISO 8601 timestamps.
            r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT",
            r"|\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?"
        ))
        .ok()
    })
    .as_ref()
}

/// Numbers the UUIDs that no variable names, in order of first appearance
/// inside one snapshot file.
#[derive(Debug, Default)]
pub struct Numbering {
    seen: BTreeMap<String, usize>,
}

impl Numbering {
    fn placeholder(&mut self, uuid: &str) -> String {
        let next = self.seen.len() + 1;
        let n = *self.seen.entry(uuid.to_ascii_lowercase()).or_insert(next);
        format!("[uuid:{n}]")
    }
}

/// Replaces run-specific text by placeholders.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    /// Lower-case UUID to the variable that holds it.
    named: BTreeMap<String, String>,
    /// Literal text to placeholder, longest first.
    literals: Vec<(String, String)>,
}

impl Redactor {
    /// A redactor that names the UUIDs among `environ`'s values after their
    /// variable (the first name in sorted order when two share a value) and
    /// replaces `base_url` by `[base_url]`.
    pub fn new(environ: &BTreeMap<String, String>, base_url: &str) -> Self {
        let mut named = BTreeMap::new();
        for (name, value) in environ {
            if uuid::Uuid::try_parse(value).is_ok() && value.len() == 36 {
                named
                    .entry(value.to_ascii_lowercase())
                    .or_insert_with(|| name.clone());
            }
        }
        let mut r = Redactor {
            named,
            literals: Vec::new(),
        };
        let base = base_url.trim_end_matches('/');
        if !base.is_empty() {
            r = r.with_literal(base, "[base_url]");
        }
        r
    }

    /// Also replaces `text` (a run id, a name carrying it) by `placeholder`.
    pub fn with_literal(mut self, text: &str, placeholder: &str) -> Self {
        if !text.is_empty() {
            self.literals
                .push((text.to_owned(), placeholder.to_owned()));
            self.literals.sort_by_key(|l| std::cmp::Reverse(l.0.len()));
        }
        self
    }

    /// Redacts a piece of text.
    pub fn text(&self, s: &str, numbering: &mut Numbering) -> String {
        let mut out = s.to_owned();
        for (lit, ph) in &self.literals {
            if out.contains(lit.as_str()) {
                out = out.replace(lit.as_str(), ph);
            }
        }
        if let Some(re) = request_id_re() {
            out = re.replace_all(&out, "[request_id]").into_owned();
        }
        if let Some(re) = date_re() {
            out = re.replace_all(&out, "[date]").into_owned();
        }
        if let Some(re) = uuid_re() {
            out = re
                .replace_all(&out, |c: &regex::Captures<'_>| {
                    let found = c.get(0).map(|m| m.as_str()).unwrap_or_default();
                    match self.named.get(&found.to_ascii_lowercase()) {
                        Some(var) => format!("[uuid:{var}]"),
                        None => numbering.placeholder(found),
                    }
                })
                .into_owned();
        }
        out
    }

    /// Redacts a JSON value: keys and strings as text, and every number
    /// under a key ending in `generation` (providers' and consumers'
    /// generations count writes, which differ between runs).
    pub fn json(&self, v: &Value, numbering: &mut Numbering) -> Value {
        match v {
            Value::String(s) => Value::String(self.text(s, numbering)),
            Value::Array(items) => {
                Value::Array(items.iter().map(|i| self.json(i, numbering)).collect())
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let value = if k.ends_with("generation") && v.is_number() {
                            Value::String("[generation]".to_owned())
                        } else {
                            self.json(v, numbering)
                        };
                        (self.text(k, numbering), value)
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_stable() {
        let env = BTreeMap::from([(
            "RP_UUID".to_owned(),
            "0e5b9a8c-2f4e-4c1a-9d7b-3a6f1e2d4c5b".to_owned(),
        )]);
        let r = Redactor::new(&env, "http://127.0.0.1:4000/").with_literal("run-abc", "[run_id]");
        let mut n = Numbering::default();
        let s = r.text(
            "http://127.0.0.1:4000/resource_providers/0E5B9A8C-2F4E-4C1A-9D7B-3A6F1E2D4C5B \
             11111111-2222-4333-8444-555555555555 req-11111111-2222-4333-8444-555555555555 \
             11111111-2222-4333-8444-555555555555 run-abc Mon, 23 Nov 2026 13:31:47 GMT",
            &mut n,
        );
        assert_eq!(
            s,
            "[base_url]/resource_providers/[uuid:RP_UUID] [uuid:1] [request_id] [uuid:1] \
             [run_id] [date]"
        );
        let v = r.json(
            &serde_json::json!({"resource_provider_generation": 3, "x": {"generation": 1}}),
            &mut n,
        );
        assert_eq!(
            v,
            serde_json::json!({"resource_provider_generation": "[generation]",
                               "x": {"generation": "[generation]"}})
        );
    }
}
