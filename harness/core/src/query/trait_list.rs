//! `GET /traits` (microversion 1.6): `name=in:A,B` or `name=startswith:P`,
//! and `associated=true|false`.
//!
//! From `schemas/trait.py` `LIST_TRAIT_SCHEMA` and `handlers/trait.py`.
//! Placement splits `name` at the first `:` and silently ignores an
//! operator other than `in` or `startswith` (`name=foo:bar` lists every
//! trait); the core refuses it. Placement puts the `startswith` prefix into
//! an SQL `LIKE` pattern without escaping, so `%` and `_` in it are
//! wildcards (`objects/trait.py:245`): `startswith:%VMX` matches any trait
//! containing `VMX`. The core's prefix is trait-name characters only
//! (`[A-Z0-9_]*`) and is a literal prefix; `_` keeps its literal meaning
//! in the core, where Placement would match any character.

use std::collections::BTreeSet;

use crate::error::{Excerpt, Problem, Rejection};
use crate::microversion::Microversion;
use crate::names::TraitName;

use super::params::{KeyVerdict, Params, bad_value, refused};

/// The `name` filter of `GET /traits`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TraitNameFilter {
    /// `in:A,B`: exactly these names.
    In(BTreeSet<TraitName>),
    /// `startswith:P`: names starting with `P` (literally).
    StartsWith(String),
}

/// A parsed `GET /traits` query.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraitsQuery {
    /// `name`.
    pub name: Option<TraitNameFilter>,
    /// `associated`: only traits some provider has (`true`) or none has (`false`).
    pub associated: Option<bool>,
}

impl TraitsQuery {
    /// Parses the raw query string of `GET /traits` at `version`.
    pub fn parse(version: Microversion, raw_query: &str) -> Result<Self, Rejection> {
        if !version.at_least(Microversion::v1(6)) {
            return Err(Rejection::path(
                "traits route",
                Problem::NeedsMicroversion("1.6"),
            ));
        }
        let params = Params::decode(raw_query)?;
        params.check_keys(|key| match key {
            "name" | "associated" => KeyVerdict::Known,
            _ => KeyVerdict::Unknown,
        })?;
        let mut query = TraitsQuery::default();
        if let Some(value) = params.single("name")? {
            query.name = Some(parse_name_filter(value)?);
        }
        if let Some(value) = params.single("associated")? {
            query.associated = Some(match value.to_ascii_lowercase().as_str() {
                "true" => true,
                "false" => false,
                // handlers/trait.py:164: a bare HTTPBadRequest.
                _ => {
                    return Err(refused(
                        "associated",
                        Problem::NotOneOf {
                            accepted: "'true' or 'false'",
                            got: Excerpt::of(value),
                        },
                    ));
                }
            });
        }
        Ok(query)
    }
}

fn parse_name_filter(value: &str) -> Result<TraitNameFilter, Rejection> {
    let syntax = |got: &str| {
        bad_value(
            "name",
            Problem::Syntax {
                what: "in:NAME,NAME or startswith:PREFIX with trait-name characters",
                got: Excerpt::of(got),
            },
        )
    };
    if let Some(list) = value.strip_prefix("in:") {
        let mut names = BTreeSet::new();
        for item in list.split(',') {
            names.insert(TraitName::parse(item).map_err(|_| syntax(item))?);
        }
        return Ok(TraitNameFilter::In(names));
    }
    if let Some(prefix) = value.strip_prefix("startswith:") {
        let literal = prefix.len() <= crate::names::NAME_MAX_CHARS
            && prefix
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
        if !literal {
            return Err(syntax(prefix));
        }
        return Ok(TraitNameFilter::StartsWith(prefix.to_owned()));
    }
    if !value.contains(':') {
        // handlers/trait.py:39: no operator at all is Placement's bare 400.
        return Err(refused(
            "name",
            Problem::Syntax {
                what: "in:NAME,NAME or startswith:PREFIX",
                got: Excerpt::of(value),
            },
        ));
    }
    // An unknown operator Placement ignores (handlers/trait.py:41-46) and
    // names it cannot hold: the core is stricter, under its own code.
    Err(syntax(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> Result<TraitsQuery, Rejection> {
        TraitsQuery::parse(Microversion::v1(6), raw)
    }

    // gabbits/traits.yaml.
    #[test]
    fn filters() {
        let q = parse("name=in:CUSTOM_A,HW_CPU_X86_VMX&associated=True").unwrap();
        assert!(matches!(q.name, Some(TraitNameFilter::In(ref s)) if s.len() == 2));
        assert_eq!(q.associated, Some(true));
        let q = parse("name=startswith:CUSTOM").unwrap();
        assert_eq!(q.name, Some(TraitNameFilter::StartsWith("CUSTOM".into())));
        assert!(parse("associated=yes").is_err());
        assert!(TraitsQuery::parse(Microversion::v1(5), "").is_err());
    }

    // handlers/trait.py ignores unknown operators; objects/trait.py:245 LIKE wildcards.
    #[test]
    fn refused_forms() {
        for bad in [
            "name=foo:bar",
            "name=CUSTOM_A",
            "name=startswith:%25VMX",
            "name=startswith:custom",
            "name=in:",
            "name=in:CUSTOM_A,",
            "name=in:CUSTOM_A%0A",
            "name=a&name=b",
            "other=1",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert!(parse("name=startswith:").is_ok());
    }
}
