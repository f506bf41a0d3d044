//! The validation walk's tools: a path that costs nothing until it is
//! needed, and readers for the JSON shapes Placement's schemas use.
//!
//! Bodies are fuzzed at full speed, so a successful walk allocates nothing
//! for bookkeeping: the path is a chain of borrowed frames on the stack and
//! becomes a [`FieldPath`] only when a rejection is built.

use serde_json::{Map, Number, Value};

use crate::error::{Excerpt, FieldPath, JsonKind, Problem, Rejection};
use crate::ids::{self, Uuid};
use crate::microversion::Microversion;
use crate::names::NameError;

/// One step of the walk's path.
#[derive(Clone, Copy)]
enum Step<'a> {
    Root,
    Key(&'static str),
    ClientKey(&'a str),
    Index(usize),
}

/// Where the walk is, as a chain of frames back to the root.
#[derive(Clone, Copy)]
pub(crate) struct At<'a> {
    parent: Option<&'a At<'a>>,
    step: Step<'a>,
}

impl<'a> At<'a> {
    /// The body itself.
    pub(crate) const ROOT: At<'static> = At {
        parent: None,
        step: Step::Root,
    };

    /// The field `key` that the API defines.
    pub(crate) fn key(&'a self, key: &'static str) -> At<'a> {
        At {
            parent: Some(self),
            step: Step::Key(key),
        }
    }

    /// A key the client chose. Only keys that already passed validation go
    /// here, so a path never quotes more than short, checked text.
    pub(crate) fn client_key(&'a self, key: &'a str) -> At<'a> {
        At {
            parent: Some(self),
            step: Step::ClientKey(key),
        }
    }

    /// An array item.
    pub(crate) fn index(&'a self, index: usize) -> At<'a> {
        At {
            parent: Some(self),
            step: Step::Index(index),
        }
    }

    /// The path as a [`FieldPath`]. Recursion is bounded by the nesting of
    /// the bodies the walk descends into (a handful of levels).
    pub(crate) fn path(&self) -> FieldPath {
        let base = match self.parent {
            Some(parent) => parent.path(),
            None => FieldPath::root(),
        };
        match self.step {
            Step::Root => base,
            Step::Key(k) => base.key(k),
            Step::ClientKey(k) => base.client_key(k),
            Step::Index(i) => base.index(i),
        }
    }

    /// A rejection here.
    pub(crate) fn reject(&self, problem: Problem) -> Rejection {
        Rejection::body(self.path(), problem)
    }
}

/// The value as an object.
pub(crate) fn object<'v>(value: &'v Value, at: &At) -> Result<&'v Map<String, Value>, Rejection> {
    value
        .as_object()
        .ok_or_else(|| at.reject(Problem::WrongKind(JsonKind::Object)))
}

/// The value as an array.
pub(crate) fn array<'v>(value: &'v Value, at: &At) -> Result<&'v [Value], Rejection> {
    value
        .as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| at.reject(Problem::WrongKind(JsonKind::Array)))
}

/// The value as a string.
pub(crate) fn string<'v>(value: &'v Value, at: &At) -> Result<&'v str, Rejection> {
    value
        .as_str()
        .ok_or_else(|| at.reject(Problem::WrongKind(JsonKind::String)))
}

/// A field that a schema lists, and from which microversion.
#[derive(Clone, Copy)]
pub(crate) struct Field {
    pub(crate) name: &'static str,
    /// The first microversion whose schema has the field.
    pub(crate) since: Microversion,
    /// The microversion as text, for [`Problem::NeedsMicroversion`].
    pub(crate) since_text: &'static str,
}

impl Field {
    /// A field every version of the schema has.
    pub(crate) const fn always(name: &'static str) -> Self {
        Field {
            name,
            since: Microversion::MIN,
            since_text: "1.0",
        }
    }

    /// A field added at `1.minor`.
    pub(crate) const fn since(name: &'static str, minor: u16, text: &'static str) -> Self {
        Field {
            name,
            since: Microversion::v1(minor),
            since_text: text,
        }
    }
}

/// `additionalProperties: false`: every key of `map` must be one of
/// `fields` that exists at `mv`. A field of a later schema is named as such.
pub(crate) fn only_fields(
    map: &Map<String, Value>,
    fields: &[Field],
    mv: Microversion,
    at: &At,
) -> Result<(), Rejection> {
    for key in map.keys() {
        match fields.iter().find(|f| f.name == key) {
            Some(f) if mv.at_least(f.since) => {}
            Some(f) => {
                return Err(Rejection::body(
                    at.path().client_key(key),
                    Problem::NeedsMicroversion(f.since_text),
                ));
            }
            None => {
                return Err(Rejection::body(
                    at.path().client_key(key),
                    Problem::NotAllowed,
                ));
            }
        }
    }
    Ok(())
}

/// The value of a required field.
pub(crate) fn required<'v>(
    map: &'v Map<String, Value>,
    name: &'static str,
    at: &At,
) -> Result<&'v Value, Rejection> {
    map.get(name)
        .ok_or_else(|| Rejection::body(at.path().key(name), Problem::Missing))
}

/// JSON Schema's `"type": "integer"` as Python's jsonschema applies it: an
/// integer literal (never `1.0`, never `true`), then `minimum`/`maximum`.
pub(crate) fn integer(value: &Value, min: i64, max: i64, at: &At) -> Result<i64, Rejection> {
    let out_of_range = || at.reject(Problem::OutOfRange { min, max });
    let Value::Number(number) = value else {
        return Err(at.reject(Problem::WrongKind(JsonKind::Integer)));
    };
    match integer_of(number) {
        Some(Some(n)) if (min..=max).contains(&n) => Ok(n),
        // An integer literal beyond i64 is an integer to Python and out of
        // any range Placement stores.
        Some(_) => Err(out_of_range()),
        None => Err(at.reject(Problem::WrongKind(JsonKind::Integer))),
    }
}

/// `Some(Some(n))` for an integer literal that fits i64, `Some(None)` for a
/// larger integer literal, `None` for a number with a fraction or exponent.
fn integer_of(number: &Number) -> Option<Option<i64>> {
    if let Some(n) = number.as_i64() {
        return Some(Some(n));
    }
    if number.is_u64() {
        return Some(None);
    }
    // serde_json reads integer literals beyond u64 as floats; a whole float
    // that large can only have come from such a literal or an exponent.
    // Both are refused either way; calling it out of range reads better.
    match number.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() >= 9.2e18 => Some(None),
        _ => None,
    }
}

/// A generation: any integer (Placement compares it, it never stores it).
pub(crate) fn generation(value: &Value, at: &At) -> Result<i64, Rejection> {
    integer(value, i64::MIN, i64::MAX, at)
}

/// What the core calls a UUID in a body, for rejections.
pub(crate) const CANONICAL_UUID: &str = "a canonical UUID (8-4-4-4-12 hex digits)";

/// A UUID written as a string value.
pub(crate) fn uuid(text: &str, at: &At) -> Result<Uuid, Rejection> {
    // Fast path for the common case: at 36 characters the uuid crate reads
    // only the hyphenated 8-4-4-4-12 form, which is exactly the core's
    // syntax (a property test holds the two together); everything else,
    // and every error, goes through the core's own parser.
    if text.len() == 36 {
        if let Ok(value) = uuid::Uuid::try_parse(text) {
            return Ok(Uuid::from_u128(value.as_u128()));
        }
    }
    // Non-ASCII text is never a canonical UUID. Refusing it here also keeps
    // 36-byte non-ASCII strings away from the classify/parse_uuid recursion
    // of ids.rs at 8ab70bd (fixed upstream in 72ab142).
    let parsed = if text.is_ascii() {
        ids::parse_uuid(text).ok()
    } else {
        None
    };
    parsed.ok_or_else(|| {
        at.reject(Problem::Syntax {
            what: CANONICAL_UUID,
            got: Excerpt::of(text),
        })
    })
}

/// A UUID used as an object key, rejected at the object that holds it.
pub(crate) fn uuid_key(key: &str, at: &At) -> Result<Uuid, Rejection> {
    uuid(key, at)
}

/// A rejection for an object key that is not what the object is keyed by,
/// quoting the key once (the path stops at the object).
pub(crate) fn key_problem(what: &'static str, key: &str) -> Problem {
    Problem::Syntax {
        what,
        got: Excerpt::of(key),
    }
}

/// Up to this many UUIDs are compared pairwise.
const SMALL: usize = 8;

/// A UUID that occurs twice among `items` (by value), if any. Pairwise for
/// the usual handful, without allocating; sorted copies beyond that, so
/// large bodies stay linear-logarithmic rather than quadratic.
pub(crate) fn first_duplicate<T>(items: &[T], uuid_of: impl Fn(&T) -> Uuid) -> Option<Uuid> {
    if items.len() <= SMALL {
        return items.iter().enumerate().find_map(|(i, a)| {
            let a = uuid_of(a);
            items
                .get(i + 1..)?
                .iter()
                .any(|b| uuid_of(b) == a)
                .then_some(a)
        });
    }
    let mut seen: Vec<Uuid> = items.iter().map(uuid_of).collect();
    seen.sort_unstable();
    seen.windows(2).find_map(|pair| match pair {
        [a, b] if a == b => Some(*a),
        _ => None,
    })
}

/// A rejection for a name that failed its syntax, quoting it once.
pub(crate) fn name_problem(error: NameError, what: &'static str, text: &str) -> Problem {
    match error {
        NameError::Empty => Problem::TooShort { min: 1 },
        NameError::TooLong(max) => Problem::TooLong { max },
        _ => Problem::Syntax {
            what,
            got: Excerpt::of(text),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_ascii_36_bytes_are_refused_not_recursed_on() {
        let text = format!("\u{e9}{}", "a".repeat(34));
        assert_eq!(text.len(), 36);
        assert!(matches!(
            uuid(&text, &At::ROOT).unwrap_err().problem,
            Problem::Syntax { .. }
        ));
    }

    proptest::proptest! {
        #[test]
        fn fast_uuid_path_agrees_with_the_core_parser(
            text in "[0-9a-fA-F{}:urn-]{30,40}",
            canonical in "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
        ) {
            for t in [&text, &canonical] {
                let fast = uuid(t, &At::ROOT).ok();
                proptest::prop_assert_eq!(fast, ids::parse_uuid(t).ok(), "{}", t);
            }
        }
    }

    #[test]
    fn duplicates_are_found_small_and_large() {
        let ids = |n: u128, dup: Option<u128>| -> Vec<Uuid> {
            (0..n)
                .map(Uuid::from_u128)
                .chain(dup.map(Uuid::from_u128))
                .collect()
        };
        let find = |v: Vec<Uuid>| first_duplicate(&v, |u| *u);
        assert_eq!(find(ids(3, None)), None);
        assert_eq!(find(ids(3, Some(1))), Some(Uuid::from_u128(1)));
        assert_eq!(find(ids(100, None)), None);
        assert_eq!(find(ids(100, Some(42))), Some(Uuid::from_u128(42)));
    }

    #[test]
    fn path_is_built_only_on_demand() {
        let root = At::ROOT;
        let a = root.key("allocations");
        let b = a.client_key("rp");
        let c = b.index(2);
        assert_eq!(c.path().to_string(), "allocations.'rp'[2]");
        assert_eq!(root.path().to_string(), "the request body");
    }

    #[test]
    fn integers_are_python_jsonschema_integers() {
        let at = At::ROOT;
        let v = |t: &str| serde_json::from_str::<Value>(t).unwrap();
        assert_eq!(integer(&v("5"), 1, 9, &at), Ok(5));
        // jsonschema 4.26 _types.is_integer: isinstance(int) and not bool.
        for not_integer in ["5.0", "1e2", "true", "\"5\"", "null"] {
            assert_eq!(
                integer(&v(not_integer), 1, 9, &at).unwrap_err().problem,
                Problem::WrongKind(JsonKind::Integer),
                "{not_integer}"
            );
        }
        for too_big in ["10", "18446744073709551615", "1000000000000000000000000"] {
            assert_eq!(
                integer(&v(too_big), 1, 9, &at).unwrap_err().problem,
                Problem::OutOfRange { min: 1, max: 9 },
                "{too_big}"
            );
        }
    }
}
