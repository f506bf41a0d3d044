//! Trait expressions: `required=T1,!T2`, `required=in:T3,T4`, `root_required=T1,!T2`.
//!
//! A [`TraitExpr`] is a conjunction of disjunctions plus a set of forbidden
//! traits, the shape Placement's `RequestGroup` carries (`required_traits`
//! as a list of sets, `forbidden_traits` as a set). Placement
//! (`util.normalize_traits_qs_param`) strips each name with `str.strip()`
//! and then only checks that traits exist; the core also checks their syntax.
//!
//! Where the core differs from Placement:
//! - only spaces are stripped around a name; a name with a line break or
//!   another white-space character is refused (Python strips those);
//! - `!!FOO` is refused; Placement's `lstrip('!')` reads it as `!FOO`
//!   (a bug its authors chose to keep, see the NOTE in `util.py`).

use std::collections::BTreeSet;

use crate::error::{Excerpt, Problem, Rejection};
use crate::names::TraitName;

use super::params::{bad_value, refused};

/// `all_of` holds when every one of its sets meets the provider's traits;
/// `forbidden` holds when none of its traits is present.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TraitExpr {
    /// Sets of traits in an AND relationship; within a set, OR.
    pub all_of: Vec<BTreeSet<TraitName>>,
    /// Traits none of which may be present.
    pub forbidden: BTreeSet<TraitName>,
}

/// Which forms of a trait list a parameter takes at the request's microversion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraitSyntax {
    /// `!T` (microversion 1.22).
    pub forbidden: bool,
    /// `in:T1,T2` (microversion 1.39; never for `root_required`).
    pub any_of: bool,
}

impl TraitExpr {
    /// Whether the expression asks for nothing.
    pub fn is_empty(&self) -> bool {
        self.all_of.is_empty() && self.forbidden.is_empty()
    }

    /// Whether a provider (or a set of providers taken together) with
    /// `traits` satisfies the required part.
    pub fn required_hold(&self, traits: &BTreeSet<TraitName>) -> bool {
        self.all_of
            .iter()
            .all(|any| any.iter().any(|t| traits.contains(t)))
    }

    /// Whether `traits` contains none of the forbidden traits.
    pub fn forbidden_hold(&self, traits: &BTreeSet<TraitName>) -> bool {
        self.forbidden.iter().all(|t| !traits.contains(t))
    }

    /// Whether both parts hold for `traits`.
    pub fn holds(&self, traits: &BTreeSet<TraitName>) -> bool {
        self.required_hold(traits) && self.forbidden_hold(traits)
    }

    /// Every trait the expression names.
    pub fn names(&self) -> impl Iterator<Item = &TraitName> {
        self.all_of.iter().flatten().chain(self.forbidden.iter())
    }

    /// Adds what one more parameter value says (values of a repeated
    /// `required` are ANDed together).
    pub fn extend(&mut self, other: TraitExpr) {
        self.all_of.extend(other.all_of);
        self.forbidden.extend(other.forbidden);
    }

    /// A required set every trait of which is also forbidden
    /// (Placement's `_check_forbidden`), if there is one.
    pub fn conflict(&self) -> Option<&BTreeSet<TraitName>> {
        self.all_of
            .iter()
            .find(|any| any.iter().all(|t| self.forbidden.contains(t)))
    }

    /// Parses one value of the parameter `key`.
    pub fn parse(key: &str, value: &str, syntax: TraitSyntax) -> Result<TraitExpr, Rejection> {
        if let Some(rest) = value.strip_prefix("in:") {
            if !syntax.any_of {
                return Err(refused(key, Problem::NeedsMicroversion("1.39")));
            }
            let mut any = BTreeSet::new();
            for item in rest.split(',') {
                let item = item.trim_matches(' ');
                if item.starts_with('!') {
                    return Err(refused(
                        key,
                        Problem::Rule("the in: form does not take forbidden (!) traits"),
                    ));
                }
                any.insert(trait_name(key, item)?);
            }
            return Ok(TraitExpr {
                all_of: vec![any],
                forbidden: BTreeSet::new(),
            });
        }
        let mut expr = TraitExpr::default();
        for item in value.split(',') {
            let item = item.trim_matches(' ');
            if let Some(name) = item.strip_prefix('!') {
                if !syntax.forbidden {
                    return Err(refused(key, Problem::NeedsMicroversion("1.22")));
                }
                if name.starts_with('!') && !name.trim_start_matches('!').is_empty() {
                    // Placement reads `!!FOO` as `!FOO` (util.py:409): the
                    // core is stricter, under its own code.
                    return Err(bad_value(
                        key,
                        Problem::Syntax {
                            what: "a trait name after one !",
                            got: Excerpt::of(name),
                        },
                    ));
                }
                expr.forbidden.insert(trait_name(key, name)?);
            } else {
                expr.all_of.push(BTreeSet::from([trait_name(key, item)?]));
            }
        }
        expr.all_of.sort();
        expr.all_of.dedup();
        Ok(expr)
    }
}

fn trait_name(key: &str, text: &str) -> Result<TraitName, Rejection> {
    if text.is_empty() {
        return Err(refused(key, Problem::Rule("has an empty trait name")));
    }
    TraitName::parse(text).map_err(|_| {
        refused(
            key,
            Problem::Syntax {
                what: "a trait name",
                got: Excerpt::of(text),
            },
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: TraitSyntax = TraitSyntax {
        forbidden: true,
        any_of: true,
    };

    fn t(name: &str) -> TraitName {
        TraitName::parse(name).unwrap()
    }

    fn set(names: &[&str]) -> BTreeSet<TraitName> {
        names.iter().map(|n| t(n)).collect()
    }

    #[test]
    fn plain_and_forbidden() {
        let e = TraitExpr::parse("required", "HW_CPU_X86_VMX, !CUSTOM_MAGIC", ALL).unwrap();
        assert_eq!(e.all_of, vec![set(&["HW_CPU_X86_VMX"])]);
        assert_eq!(e.forbidden, set(&["CUSTOM_MAGIC"]));
        assert!(e.holds(&set(&["HW_CPU_X86_VMX"])));
        assert!(!e.holds(&set(&["HW_CPU_X86_VMX", "CUSTOM_MAGIC"])));
        assert!(!e.holds(&set(&[])));
    }

    // gabbits/allocation-candidates-any-traits.yaml (microversion 1.39).
    #[test]
    fn any_of() {
        let e = TraitExpr::parse("required", "in:CUSTOM_A,CUSTOM_B", ALL).unwrap();
        assert_eq!(e.all_of, vec![set(&["CUSTOM_A", "CUSTOM_B"])]);
        assert!(e.holds(&set(&["CUSTOM_B"])));
        let old = TraitSyntax {
            forbidden: true,
            any_of: false,
        };
        let r = TraitExpr::parse("required", "in:CUSTOM_A", old).unwrap_err();
        assert!(r.to_string().contains("1.39"));
        assert!(TraitExpr::parse("required", "in:CUSTOM_A,!CUSTOM_B", ALL).is_err());
        assert!(TraitExpr::parse("required", "in:CUSTOM_A,", ALL).is_err());
    }

    // gabbits/allocation-candidates.yaml: forbidden traits before 1.22 are a 400.
    #[test]
    fn forbidden_needs_1_22() {
        let old = TraitSyntax {
            forbidden: false,
            any_of: false,
        };
        assert!(TraitExpr::parse("required", "!CUSTOM_A", old).is_err());
    }

    // util.py: Placement's lstrip('!') reads `!!FOO` as `!FOO`; the core refuses it.
    #[test]
    fn bad_names() {
        for bad in [
            "",
            ",",
            "CUSTOM_A,",
            "!",
            "!!CUSTOM_A",
            "CUSTOM_A\n",
            "custom_a",
            "! CUSTOM_A",
        ] {
            assert!(TraitExpr::parse("required", bad, ALL).is_err(), "{bad:?}");
        }
    }

    // lib.py _check_forbidden.
    #[test]
    fn conflicts() {
        let mut e = TraitExpr::parse("required", "CUSTOM_A,!CUSTOM_A", ALL).unwrap();
        assert!(e.conflict().is_some());
        e = TraitExpr::parse("required", "in:CUSTOM_A,CUSTOM_B", ALL).unwrap();
        e.extend(TraitExpr::parse("required", "!CUSTOM_A", ALL).unwrap());
        assert!(e.conflict().is_none());
        e.extend(TraitExpr::parse("required", "!CUSTOM_B", ALL).unwrap());
        assert!(e.conflict().is_some());
    }
}
