//! Request groups: the `resources`, `required`, `member_of` and `in_tree`
//! parameters that share one suffix, and the suffix grammar itself.
//!
//! Microversions 1.25 to 1.32 take numbered suffixes (`resources1`, no
//! leading zero); 1.33 and later take 1 to 64 characters of
//! `[a-zA-Z0-9_-]` (`resources_COMPUTE`). The unsuffixed group may take
//! its resources from several providers of one tree; a suffixed ("granular")
//! group is satisfied by exactly one provider.

use std::collections::BTreeMap;
use std::fmt;

use crate::ids::Uuid;
use crate::microversion::Microversion;
use crate::names::ResourceClass;

use super::member_of::MemberOf;
use super::traits::TraitExpr;

/// Longest string suffix (microversion 1.33, `common.GROUP_PAT_1_33`).
pub const MAX_SUFFIX_CHARS: usize = 64;

/// The suffix of a request group; empty for the unsuffixed group.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Suffix(String);

impl Suffix {
    /// The unsuffixed group's suffix.
    pub fn unsuffixed() -> Self {
        Suffix(String::new())
    }

    /// Whether this is the unsuffixed group.
    pub fn is_unsuffixed(&self) -> bool {
        self.0.is_empty()
    }

    /// The suffix text (empty for the unsuffixed group).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Parses a non-empty suffix as `version` allows it: `None` if the text is
    /// not a suffix at that version.
    pub fn parse(text: &str, version: Microversion) -> Option<Suffix> {
        let ok = if version.at_least(Microversion::v1(33)) {
            (1..=MAX_SUFFIX_CHARS).contains(&text.len())
                && text
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        } else {
            Self::is_numbered(text)
        };
        ok.then(|| Suffix(text.to_owned()))
    }

    /// Whether `text` is a numbered suffix (`[1-9][0-9]*`), the only kind
    /// before microversion 1.33.
    pub fn is_numbered(text: &str) -> bool {
        !text.is_empty() && !text.starts_with('0') && text.bytes().all(|b| b.is_ascii_digit())
    }
}

impl fmt::Display for Suffix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Suffix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Suffix({:?})", self.0)
    }
}

/// One request group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestGroup {
    /// Which group this is.
    pub suffix: Suffix,
    /// Amounts asked for, by class; empty only for a resourceless group
    /// named in `same_subtree` (microversion 1.36).
    pub resources: BTreeMap<ResourceClass, u32>,
    /// Traits the providing provider(s) must (not) have.
    pub required: TraitExpr,
    /// Aggregates the providing provider(s) must (not) be in.
    pub member_of: MemberOf,
    /// A provider whose tree must supply the group (microversion 1.31).
    pub in_tree: Option<Uuid>,
}

impl RequestGroup {
    /// A group with only a suffix.
    pub fn new(suffix: Suffix) -> Self {
        RequestGroup {
            suffix,
            ..RequestGroup::default()
        }
    }

    /// Whether one provider must supply the whole group (every suffixed group).
    pub fn use_same_provider(&self) -> bool {
        !self.suffix.is_unsuffixed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffix_grammar_by_microversion() {
        let old = Microversion::v1(25);
        let new = Microversion::v1(33);
        assert!(Suffix::parse("1", old).is_some());
        assert!(Suffix::parse("42", old).is_some());
        for bad in ["0", "01", "_A", "a", "", "1\n"] {
            assert!(Suffix::parse(bad, old).is_none(), "{bad:?}");
        }
        for good in ["1", "01", "_COMPUTE", "a-b", &"x".repeat(64)] {
            assert!(Suffix::parse(good, new).is_some(), "{good:?}");
        }
        for bad in ["", "a.b", "a\n", "é", &"x".repeat(65)] {
            assert!(Suffix::parse(bad, new).is_none(), "{bad:?}");
        }
    }
}
