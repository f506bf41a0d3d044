//! Reading a request body as JSON with one value per key.
//!
//! JSON leaves duplicate keys undefined; Python's `json` (real Placement)
//! and serde_json both keep the last value, but a proxy, a WAF or an audit
//! log in front may keep the first, so `{"name": "a", "name": "b"}` can be
//! checked as one request and stored as another. The server refuses such a
//! body, at any depth, while it builds the value (a serde visitor that
//! tracks where it is), and names the key and where it sits, in escaped
//! excerpts. Everything else about the JSON (syntax, serde_json's recursion
//! limit) is left to the core's reader, which words those errors as
//! Placement does: [`parse`] only says whether the text is unreadable.

use std::fmt;

use placement_core::Excerpt;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Deepest part of a path that a refusal shows: enough to find the object,
/// short whatever the nesting.
const SHOWN_SEGMENTS: usize = 4;

/// Why a body was not read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum StrictJsonError {
    /// An object gives a key twice: the key and the object's path, both
    /// escaped excerpts ready to show.
    DuplicateKey {
        /// The key, as an excerpt.
        key: String,
        /// Where the object is: `/` for the top level, else `/a/0/b`.
        at: String,
    },
    /// Not JSON at all (or nested past serde_json's limit).
    Unreadable,
}

impl fmt::Display for StrictJsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StrictJsonError::DuplicateKey { key, at } => write!(
                f,
                "JSON does not validate: the key {key} appears more than once in the \
                 object at {at}; each key may appear once."
            ),
            StrictJsonError::Unreadable => f.write_str("the body is not valid JSON"),
        }
    }
}

/// Parses `bytes` as one JSON value, refusing an object with a repeated key.
pub(crate) fn parse(bytes: &[u8]) -> Result<Value, StrictJsonError> {
    let mut track = Track::default();
    let mut reader = serde_json::Deserializer::from_slice(bytes);
    let value = Strict { track: &mut track }
        .deserialize(&mut reader)
        .and_then(|v| reader.end().map(|()| v));
    match (value, track.duplicate) {
        (_, Some(found)) => Err(found),
        (Ok(value), None) => Ok(value),
        (Err(_), None) => Err(StrictJsonError::Unreadable),
    }
}

/// Where the visitor is, and the first duplicate it met.
#[derive(Default)]
struct Track {
    path: Vec<String>,
    duplicate: Option<StrictJsonError>,
}

impl Track {
    fn refuse(&mut self, key: &str) {
        let skipped = self.path.len().saturating_sub(SHOWN_SEGMENTS);
        let shown: Vec<String> = self
            .path
            .iter()
            .skip(skipped)
            .map(|segment| Excerpt::of(segment).as_str().to_owned())
            .collect();
        let at = match (skipped, shown.is_empty()) {
            (_, true) => "/".to_owned(),
            (0, false) => format!("/{}", shown.join("/")),
            (_, false) => format!(".../{}", shown.join("/")),
        };
        self.duplicate = Some(StrictJsonError::DuplicateKey {
            key: Excerpt::of(key).to_string(),
            at,
        });
    }
}

/// Builds a [`Value`] as serde_json's own does, but refuses repeated keys.
struct Strict<'t> {
    track: &'t mut Track,
}

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        // serde_json never hands a non-finite number; were it to, null is
        // what its own Value makes of one.
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        loop {
            self.track.path.push(out.len().to_string());
            let item = items.next_element_seed(Strict {
                track: &mut *self.track,
            });
            self.track.path.pop();
            match item? {
                Some(value) => out.push(value),
                None => return Ok(Value::Array(out)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = entries.next_key::<String>()? {
            if out.contains_key(&key) {
                self.track.refuse(&key);
                return Err(de::Error::custom("duplicate key"));
            }
            self.track.path.push(key.clone());
            let value = entries.next_value_seed(Strict {
                track: &mut *self.track,
            });
            self.track.path.pop();
            out.insert(key, value?);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn duplicate(body: &str) -> (String, String) {
        match parse(body.as_bytes()) {
            Err(StrictJsonError::DuplicateKey { key, at }) => (key, at),
            other => panic!("{body}: {other:?}"),
        }
    }

    #[test]
    fn reads_what_serde_json_reads() {
        for body in [
            r#"{"a": [1, -2, 3.5, true, null, "x"], "b": {"c": {}}}"#,
            "[]",
            "1e400",
            r#""é\u00e9""#,
            "18446744073709551615",
            "-9223372036854775808",
            "0.1",
        ] {
            let strict = parse(body.as_bytes());
            let plain = serde_json::from_str::<Value>(body).map_err(|_| ());
            assert_eq!(strict.map_err(|_| ()), plain, "{body}");
        }
    }

    #[test]
    fn refuses_a_repeated_key_at_any_depth_naming_where() {
        assert_eq!(
            duplicate(r#"{"name": "a", "name": "b"}"#),
            ("'name'".to_owned(), "/".to_owned())
        );
        assert_eq!(
            duplicate(r#"{"a": [{"x": 1}, {"y": 1, "y": 2}]}"#),
            ("'y'".to_owned(), "/a/1".to_owned())
        );
        // Equal after unescaping is equal.
        assert_eq!(duplicate(r#"{"a": 1, "\u0061": 2}"#).0, "'a'");
        let deep = format!("{}{}", r#"{"k": "#.repeat(10), r#"{"z": 1, "z": 2}"#);
        let deep = format!("{deep}{}", "}".repeat(10));
        assert_eq!(
            duplicate(&deep),
            ("'z'".to_owned(), ".../k/k/k/k".to_owned())
        );
    }

    #[test]
    fn escapes_and_shortens_what_it_names() {
        let body = format!(
            r#"{{"<b>\u202e{0}": 1, "<b>\u202e{0}": 2}}"#,
            "x".repeat(500)
        );
        let (key, at) = duplicate(&body);
        assert!(
            key.len() < 60 && !key.contains('<') && !key.contains('\u{202e}'),
            "{key}"
        );
        assert_eq!(at, "/");
    }

    #[test]
    fn unreadable_text_is_left_to_the_core() {
        for body in ["", "{", "NaN", "{} {}", "[1,]", &"[".repeat(1000)] {
            assert_eq!(
                parse(body.as_bytes()),
                Err(StrictJsonError::Unreadable),
                "{body}"
            );
        }
    }

    #[test]
    fn a_syntax_error_after_a_duplicate_still_names_the_duplicate() {
        assert!(matches!(
            parse(br#"{"a": 1, "a": 2"#),
            Err(StrictJsonError::DuplicateKey { .. })
        ));
    }
}
