//! Generated request data: `{$repeat: VALUE, times: N}` anywhere inside a
//! step's `data` stands for VALUE repeated N times, so that a suite can send
//! a 10 MB body without 10 MB of YAML.
//!
//! A string VALUE becomes one string (`name: {$repeat: x, times: 10485760}`
//! is a 10 MiB name); any other VALUE becomes a JSON array of N copies
//! (`allocations: {$repeat: {resources: {VCPU: 1}}, times: 100000}`). At the
//! top of `data` a string is sent as it is, like any string `data`, which
//! gives a body that is not JSON at all. The template is checked when the
//! suite is read (file:line for a bad `times` or a stray key) and expanded
//! only when the request is built, after `$ENVIRON` and friends are filled
//! in, so the large value exists once per request and never in the parsed
//! suite.

use serde_json::Value;

use super::yaml::{Node, NodeValue};

/// The key that marks a generator mapping.
pub const REPEAT_KEY: &str = "$repeat";
/// Its count key.
pub const TIMES_KEY: &str = "times";
/// The most copies one generator makes.
pub const MAX_TIMES: i64 = 16 * 1024 * 1024;
/// The most bytes a repeated string may reach (64 MiB): a suite cannot ask
/// the scanner to build a body that exhausts its own memory.
pub const MAX_GENERATED_BYTES: usize = 64 * 1024 * 1024;

/// What is wrong with a generator, and on which line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratorError {
    /// 1-based line of the offending node.
    pub line: u64,
    /// What is wrong.
    pub message: String,
}

/// Checks every `$repeat` mapping inside a `data` node.
pub fn validate(node: &Node) -> Result<(), GeneratorError> {
    match &node.value {
        NodeValue::Seq(items) => items.iter().try_for_each(validate),
        NodeValue::Map(entries) => {
            let is_generator = entries
                .iter()
                .any(|(k, _)| k.scalar_text().as_deref() == Some(REPEAT_KEY));
            if !is_generator {
                return entries.iter().try_for_each(|(_, v)| validate(v));
            }
            let mut value = None;
            let mut times = None;
            for (k, v) in entries {
                match k.scalar_text().as_deref() {
                    Some(REPEAT_KEY) => value = Some(v),
                    Some(TIMES_KEY) => times = Some(v),
                    other => {
                        return Err(GeneratorError {
                            line: k.line,
                            message: format!(
                                "`{REPEAT_KEY}` takes only `{TIMES_KEY}` beside it, not `{}`",
                                other.unwrap_or("a non-string key")
                            ),
                        });
                    }
                }
            }
            let (Some(value), Some(times_node)) = (value, times) else {
                return Err(GeneratorError {
                    line: node.line,
                    message: format!("`{REPEAT_KEY}` needs `{TIMES_KEY}: N`"),
                });
            };
            let times = match times_node.value {
                NodeValue::Int(n) if (1..=MAX_TIMES).contains(&n) => n,
                _ => {
                    return Err(GeneratorError {
                        line: times_node.line,
                        message: format!(
                            "`{TIMES_KEY}` must be an integer from 1 to {MAX_TIMES}, got {}",
                            times_node
                                .scalar_text()
                                .unwrap_or_else(|| times_node.value.kind().to_owned())
                        ),
                    });
                }
            };
            if let NodeValue::Str(s) = &value.value {
                let bytes = usize::try_from(times)
                    .ok()
                    .and_then(|t| s.len().checked_mul(t));
                if bytes.is_none_or(|b| b > MAX_GENERATED_BYTES) {
                    return Err(GeneratorError {
                        line: times_node.line,
                        message: format!(
                            "`{REPEAT_KEY}` would make more than {MAX_GENERATED_BYTES} bytes"
                        ),
                    });
                }
            }
            validate(value)
        }
        _ => Ok(()),
    }
}

/// Whether a JSON value holds a generator anywhere (cheap test before
/// [`expand`] rebuilds it).
pub fn has_generator(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.contains_key(REPEAT_KEY) || m.values().any(has_generator),
        Value::Array(items) => items.iter().any(has_generator),
        _ => false,
    }
}

/// How much of a generated string [`sample`] returns.
pub const SAMPLE_BYTES: usize = 1024;

/// The start (up to [`SAMPLE_BYTES`]) of the first generated string in a
/// template, so that the reflection oracle can tell when the server sends
/// the generated value back.
pub fn sample(v: &Value) -> Option<String> {
    match v {
        Value::Object(m) => match (m.get(REPEAT_KEY), m.get(TIMES_KEY).and_then(Value::as_u64)) {
            (Some(Value::String(s)), Some(times)) if !s.is_empty() => {
                let reps = (SAMPLE_BYTES / s.len()).max(1);
                let reps = reps.min(usize::try_from(times).unwrap_or(usize::MAX));
                Some(s.repeat(reps))
            }
            (Some(inner), _) => sample(inner),
            _ => m.values().find_map(sample),
        },
        Value::Array(items) => items.iter().find_map(sample),
        _ => None,
    }
}

/// Replaces every generator with what it stands for. A generator that the
/// parser would have refused (no `times`, a bad count) is left as written:
/// suites are validated when read, so only a hand-made value gets here.
pub fn expand(v: Value) -> Value {
    match v {
        Value::Object(mut m) if m.contains_key(REPEAT_KEY) => {
            let times = m
                .get(TIMES_KEY)
                .and_then(Value::as_i64)
                .filter(|t| (1..=MAX_TIMES).contains(t))
                .and_then(|t| usize::try_from(t).ok());
            let (Some(times), Some(value)) = (times, m.remove(REPEAT_KEY)) else {
                return Value::Object(m);
            };
            match expand(value) {
                Value::String(s) if s.len().saturating_mul(times) <= MAX_GENERATED_BYTES => {
                    Value::String(s.repeat(times))
                }
                Value::String(s) => Value::String(s),
                other => Value::Array(vec![other; times]),
            }
        }
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, expand(v))).collect()),
        Value::Array(items) => Value::Array(items.into_iter().map(expand).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::yaml;
    use serde_json::json;

    fn node(text: &str) -> Node {
        yaml::parse(text).unwrap_or_else(|e| panic!("{}", e.message))
    }

    #[test]
    fn strings_repeat_into_one_string_values_into_an_array() {
        let v = json!({"name": {"$repeat": "ab", "times": 3},
                       "list": {"$repeat": {"VCPU": 1}, "times": 2}});
        assert!(has_generator(&v));
        assert_eq!(
            expand(v),
            json!({"name": "ababab", "list": [{"VCPU": 1}, {"VCPU": 1}]})
        );
        let top = json!({"$repeat": "x", "times": 4});
        assert_eq!(expand(top), json!("xxxx"));
        let nested = json!({"$repeat": {"$repeat": "y", "times": 2}, "times": 2});
        assert_eq!(expand(nested), json!("yyyy"));
        assert!(!has_generator(&json!({"name": "x"})));
    }

    #[test]
    fn the_sample_is_the_start_of_the_generated_string() {
        let v = json!({"a": 1, "name": {"$repeat": "ab", "times": 10000}});
        assert_eq!(sample(&v), Some("ab".repeat(512)));
        assert_eq!(
            sample(&json!({"$repeat": "x", "times": 3})),
            Some("xxx".to_owned())
        );
        assert_eq!(sample(&json!({"$repeat": {"VCPU": 1}, "times": 3})), None);
    }

    #[test]
    fn bad_generators_name_their_line() {
        let e = validate(&node("a:\n  $repeat: x\n")).unwrap_err();
        assert_eq!((e.line, e.message.contains("needs `times")), (2, true));
        let e = validate(&node("a:\n  $repeat: x\n  times: 0\n")).unwrap_err();
        assert_eq!(e.line, 3);
        let e = validate(&node("a:\n  $repeat: x\n  times: many\n")).unwrap_err();
        assert!(e.message.contains("got many"), "{}", e.message);
        let e = validate(&node("a:\n  $repeat: x\n  times: 2\n  count: 3\n")).unwrap_err();
        assert_eq!(e.line, 4);
        let e = validate(&node("$repeat: xxxxxxxxxxxxxxxx\ntimes: 16777216\n")).unwrap_err();
        assert!(e.message.contains("more than"), "{}", e.message);
        assert!(validate(&node("a: [{$repeat: x, times: 10485760}]\n")).is_ok());
    }
}
