//! The decoded parameters of one query string, with the lookups every route uses.
//!
//! Placement reads a repeated parameter in three different ways depending on
//! the handler (the first value, the last value, or all of them), and in one
//! case (`limit`) validates the last while using the first. The core reads a
//! parameter that takes one value with [`Params::single`], which refuses a
//! repeat outright with Placement's `placement.query.duplicate_key` code, so
//! that no request means two things at once.

use crate::error::{Excerpt, Problem, Rejection};
use crate::microversion::Microversion;
use crate::outcome::ErrorCode;

use super::decode::decode_pairs;

/// Decoded `(key, value)` pairs in request order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Decodes a raw query string (see [`decode_pairs`]).
    pub fn decode(raw: &str) -> Result<Self, Rejection> {
        Ok(Params {
            pairs: decode_pairs(raw)?,
        })
    }

    /// Every key, in request order, repeats included.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.pairs.iter().map(|(k, _)| k.as_str())
    }

    /// Every value of `key`, in request order.
    pub fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Whether `key` is present.
    pub fn contains(&self, key: &str) -> bool {
        self.pairs.iter().any(|(k, _)| k == key)
    }

    /// The one value of `key`, `None` if absent; a repeat is refused.
    pub fn single<'a>(&'a self, key: &'a str) -> Result<Option<&'a str>, Rejection> {
        let mut values = self.all(key);
        let first = values.next();
        if values.next().is_some() {
            return Err(duplicate(key));
        }
        Ok(first)
    }

    /// Refuses any key for which `known` says no, in request order.
    pub fn check_keys(&self, known: impl Fn(&str) -> KeyVerdict) -> Result<(), Rejection> {
        for key in self.keys() {
            match known(key) {
                KeyVerdict::Known => {}
                KeyVerdict::Unknown => return Err(Rejection::query(key, Problem::NotAllowed)),
                KeyVerdict::NeedsMicroversion(version) => {
                    return Err(Rejection::query(key, Problem::NeedsMicroversion(version)));
                }
            }
        }
        Ok(())
    }
}

/// What a route says about a parameter name at the request's microversion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyVerdict {
    /// The route takes it.
    Known,
    /// The route takes it from the given microversion on.
    NeedsMicroversion(&'static str),
    /// The route never takes it (Placement's `additionalProperties: False`).
    Unknown,
}

impl KeyVerdict {
    /// `Known` from `since`, `NeedsMicroversion` before it.
    pub fn since(version: Microversion, since: Microversion, label: &'static str) -> Self {
        if version.at_least(since) {
            KeyVerdict::Known
        } else {
            KeyVerdict::NeedsMicroversion(label)
        }
    }
}

/// The rejection of a parameter given more than once where it takes one value.
pub fn duplicate(key: &str) -> Rejection {
    Rejection::query(key, Problem::Duplicate(Excerpt::of(key)))
        .with_code(ErrorCode::QueryDuplicateKey)
}

/// The rejection of a parameter value Placement also refuses in its query
/// schema check or its value normalizers (`util.py:212`
/// `validate_query_params`, `util.py:233-571`): those raise a bare
/// `HTTPBadRequest`, so the code is `placement.undefined_code`.
pub fn refused(key: &str, problem: Problem) -> Rejection {
    Rejection::query(key, problem)
}

/// The rejection of a parameter value with `placement.query.bad_value`:
/// the code of the cross-parameter checks of `GET /allocation_candidates`
/// (`lib.py:169`, `:181`, `:441`, `:453`), and the core's code for values it
/// refuses where Placement takes them (an empty or vague filter), which no
/// Placement answer has a code for.
pub fn bad_value(key: &str, problem: Problem) -> Rejection {
    Rejection::query(key, problem).with_code(ErrorCode::QueryBadValue)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_refuses_repeats() {
        let params = Params::decode("limit=abc&limit=1&a=2").unwrap();
        let r = params.single("limit").unwrap_err();
        assert_eq!(r.code, ErrorCode::QueryDuplicateKey);
        assert_eq!(params.single("a").unwrap(), Some("2"));
        assert_eq!(params.single("b").unwrap(), None);
    }

    #[test]
    fn check_keys_reports_first_offender() {
        let params = Params::decode("a=1&zz=2").unwrap();
        let r = params
            .check_keys(|k| {
                if k == "a" {
                    KeyVerdict::Known
                } else {
                    KeyVerdict::Unknown
                }
            })
            .unwrap_err();
        assert_eq!(r.to_string(), "query parameter 'zz': is not allowed here");
    }
}
