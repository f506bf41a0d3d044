//! `member_of=AGG`, `member_of=in:A,B`, `member_of=!AGG`, `member_of=!in:A,B`.
//!
//! Aggregate filters (`util.normalize_member_of_qs_param(s)`): each value is
//! one set of aggregates of which a provider must be in at least one; several
//! `member_of` parameters (microversion 1.24) are ANDed; the `!` forms
//! (1.32) forbid every aggregate they name. Placement checks aggregate ids
//! with `is_uuid_like`, which also takes hex without dashes, braces and
//! `urn:uuid:`; the core takes only the canonical 8-4-4-4-12 form.

use std::collections::BTreeSet;

use crate::error::{Excerpt, Problem, Rejection};
use crate::ids::{Uuid, parse_uuid};
use crate::microversion::Microversion;

use super::params::refused;

/// The aggregate filter of a request group or a provider listing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MemberOf {
    /// Sets in an AND relationship; a provider must be in one aggregate of each.
    pub any_of: Vec<BTreeSet<Uuid>>,
    /// Aggregates a provider must not be in.
    pub forbidden: BTreeSet<Uuid>,
}

impl MemberOf {
    /// Whether the filter asks for nothing.
    pub fn is_empty(&self) -> bool {
        self.any_of.is_empty() && self.forbidden.is_empty()
    }

    /// Whether the positive part holds for a provider in `aggregates`.
    pub fn required_hold(&self, aggregates: &BTreeSet<Uuid>) -> bool {
        self.any_of
            .iter()
            .all(|any| any.iter().any(|a| aggregates.contains(a)))
    }

    /// Whether a provider in `aggregates` is in none of the forbidden ones.
    pub fn forbidden_hold(&self, aggregates: &BTreeSet<Uuid>) -> bool {
        self.forbidden.iter().all(|a| !aggregates.contains(a))
    }

    /// Parses every value of the parameter `key` (`member_of`, `member_of1`...).
    pub fn parse_all<'a>(
        key: &str,
        values: impl Iterator<Item = &'a str>,
        version: Microversion,
    ) -> Result<MemberOf, Rejection> {
        let mut filter = MemberOf::default();
        for (count, value) in values.enumerate() {
            if count == 1 && !version.at_least(Microversion::v1(24)) {
                return Err(refused(key, Problem::NeedsMicroversion("1.24")));
            }
            let (negative, rest) = match value.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, value),
            };
            if negative && !version.at_least(Microversion::v1(32)) {
                return Err(refused(key, Problem::NeedsMicroversion("1.32")));
            }
            let list = match rest.strip_prefix("in:") {
                Some(list) => list,
                None if rest.contains(',') => {
                    return Err(refused(
                        key,
                        Problem::Rule("a list of aggregates must start with in: or !in:"),
                    ));
                }
                None => rest,
            };
            let mut set = BTreeSet::new();
            for item in list.split(',') {
                set.insert(parse_uuid(item).map_err(|_| {
                    refused(
                        key,
                        Problem::Syntax {
                            what: "an aggregate UUID",
                            got: Excerpt::of(item),
                        },
                    )
                })?);
            }
            if negative {
                filter.forbidden.extend(set);
            } else {
                filter.any_of.push(set);
            }
        }
        filter.any_of.sort();
        filter.any_of.dedup();
        Ok(filter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "11111111-1111-1111-1111-111111111111";
    const B: &str = "22222222-2222-2222-2222-222222222222";

    fn parse(values: &[&str], minor: u16) -> Result<MemberOf, Rejection> {
        MemberOf::parse_all("member_of", values.iter().copied(), Microversion::v1(minor))
    }

    fn u(s: &str) -> Uuid {
        parse_uuid(s).unwrap()
    }

    #[test]
    fn forms() {
        let f = parse(&[A], 39).unwrap();
        assert_eq!(f.any_of, vec![BTreeSet::from([u(A)])]);
        let f = parse(&[&format!("in:{A},{B}"), &format!("!{B}")], 39).unwrap();
        assert_eq!(f.any_of, vec![BTreeSet::from([u(A), u(B)])]);
        assert_eq!(f.forbidden, BTreeSet::from([u(B)]));
        let f = parse(&[&format!("!in:{A},{B}")], 39).unwrap();
        assert_eq!(f.forbidden, BTreeSet::from([u(A), u(B)]));
        assert!(f.required_hold(&BTreeSet::new()));
        assert!(!f.forbidden_hold(&BTreeSet::from([u(A)])));
    }

    // gabbits/resource-provider-aggregates.yaml and allocation-candidates-member-of.yaml.
    #[test]
    fn microversion_gates() {
        assert!(parse(&[A, B], 23).is_err());
        assert!(parse(&[A, B], 24).is_ok());
        assert!(parse(&[&format!("!{A}")], 31).is_err());
        assert!(parse(&[&format!("!{A}")], 32).is_ok());
    }

    #[test]
    fn bad_values() {
        for bad in [
            format!("{A},{B}"),
            "in:".to_owned(),
            format!("in:{A},"),
            "not-a-uuid".to_owned(),
            A.replace('-', ""),
            format!("{{{A}}}"),
            format!("{A}\n"),
            format!("!!{A}"),
        ] {
            assert!(parse(&[&bad], 39).is_err(), "{bad:?}");
        }
    }
}
