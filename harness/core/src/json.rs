//! Reading a request body as JSON, with the core's limits.
//!
//! serde_json is stricter than Python's `json` module, which real Placement
//! uses: it refuses `NaN`, `Infinity` and lone surrogates, which Python
//! accepts. The core refuses them too (they cannot be stored meaningfully);
//! the divergence is deliberate and the harness reports Placement's side.

use serde_json::Value;

use crate::error::{FieldPath, Problem, Rejection};

/// Deepest nesting of arrays and objects the core reads. No Placement body
/// nests deeper than 6; serde_json's own recursion limit (128) is the backstop.
pub const MAX_DEPTH: usize = 32;

/// Parses a request body. Duplicate keys keep the last value, as Python does.
pub fn parse_body(bytes: &[u8]) -> Result<Value, Rejection> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        Rejection::body(
            FieldPath::root(),
            Problem::InvalidJson {
                line: e.line(),
                column: e.column(),
            },
        )
    })?;
    if depth(&value) > MAX_DEPTH {
        return Err(Rejection::body(
            FieldPath::root(),
            Problem::TooDeep { max: MAX_DEPTH },
        ));
    }
    Ok(value)
}

/// Nesting depth: a scalar is 0, `[]` and `{}` are 1.
pub fn depth(value: &Value) -> usize {
    // Iterative, so that depth itself cannot overflow the stack.
    let mut deepest = 0;
    let mut stack = vec![(value, 0usize)];
    while let Some((v, d)) = stack.pop() {
        match v {
            Value::Array(items) => {
                deepest = deepest.max(d + 1);
                stack.extend(items.iter().map(|i| (i, d + 1)));
            }
            Value::Object(map) => {
                deepest = deepest.max(d + 1);
                stack.extend(map.values().map(|i| (i, d + 1)));
            }
            _ => {}
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_python_would_take() {
        for body in [
            "NaN",
            "{\"a\": Infinity}",
            "{\"a\": \"\\ud800\"}",
            "",
            "{",
            "[1,]",
        ] {
            let err = parse_body(body.as_bytes()).unwrap_err();
            assert!(matches!(err.problem, Problem::InvalidJson { .. }), "{body}");
        }
    }

    #[test]
    fn depth_limits() {
        let deep = format!("{}{}", "[".repeat(33), "]".repeat(33));
        assert_eq!(
            parse_body(deep.as_bytes()).unwrap_err().problem,
            Problem::TooDeep { max: MAX_DEPTH }
        );
        let very_deep = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
        assert!(parse_body(very_deep.as_bytes()).is_err());
        let ok = format!("{}{}", "[".repeat(32), "]".repeat(32));
        assert!(parse_body(ok.as_bytes()).is_ok());
    }

    #[test]
    fn duplicate_keys_keep_the_last() {
        assert_eq!(parse_body(br#"{"a":1,"a":2}"#).unwrap()["a"], 2);
    }
}
