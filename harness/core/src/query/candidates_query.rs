//! `GET /allocation_candidates` (microversion 1.10 and later): request groups
//! and the request-wide `limit`, `group_policy`, `root_required` and `same_subtree`.
//!
//! Learnt from `schemas/allocation_candidate.py`, `lib.py` (`RequestGroup`,
//! `RequestWideParams`) and `handlers/allocation_candidate.py`.
//!
//! Codes, as Placement gives them: value syntax errors found by the query
//! schema or the value normalizers carry the undefined code (`util.py:212`,
//! `util.py:233-571` raise a bare 400); a repeated single-valued parameter
//! carries `placement.query.duplicate_key` (`lib.py:428`); `same_subtree`
//! and `root_required` problems carry `placement.query.bad_value`
//! (`lib.py:169`, `:181`, `:441`, `:453`) and a request without resources
//! `placement.query.missing_value` (`lib.py:158`).
//!
//! Where the core is stricter than Placement (each a documented divergence):
//! - a repeated `resources*`, `in_tree*`, `limit`, `group_policy`, or (before
//!   1.39) `required*` is refused. Placement keeps the last `resources`, the
//!   last `required` before 1.39, the first `limit` and `group_policy`
//!   *after validating only the last one*: `limit=abc&limit=1` is a 500
//!   (`lib.py` `int(limit[0])`) and `group_policy=bogus&group_policy=none`
//!   is accepted with policy `bogus`;
//! - `limit=1%0A` is refused; Placement's pattern `^[1-9][0-9]*$` (under
//!   `re.search`) and `int()` both let the line break through;
//! - a `limit` of more than 4300 digits is refused (Placement's `int()`
//!   raises past Python's digit limit: a 500); larger values are clamped to
//!   `u32::MAX`, which limits nothing;
//! - a key with a trailing line break (`member_of%0A`) is unknown. Placement's
//!   key patterns end in `$`, so it takes `member_of\n` as `member_of`, then
//!   reads the group's values with `getall('member_of')` and finds none: the
//!   aggregate filter is silently dropped (from 1.25, where the schema uses
//!   `patternProperties`).

use std::collections::{BTreeMap, BTreeSet};

use crate::error::{Excerpt, Problem, Rejection};
use crate::ids::parse_uuid;
use crate::microversion::Microversion;
use crate::outcome::ErrorCode;

use super::group::{RequestGroup, Suffix};
use super::member_of::MemberOf;
use super::params::{KeyVerdict, Params, bad_value, duplicate, refused};
use super::resources::parse_resources;
use super::traits::{TraitExpr, TraitSyntax};

/// How granular groups relate to each other.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GroupPolicy {
    /// Granular groups may share providers.
    None,
    /// Granular groups use pairwise different providers.
    Isolate,
}

/// What `in_tree` (and `in_treeN`) does with spaces around the UUID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InTreeSpaces {
    /// Placement's reading: `util.normalize_in_tree_qs_params` strips the
    /// value before it checks it, so `in_tree=%20UUID` names UUID. The
    /// harness predicts real Placement with this.
    Stripped,
    /// The reference server's reading: a value with spaces is not a UUID
    /// and is refused, like every other malformed UUID in a query (every
    /// other UUID parameter of Placement is read without stripping, so a
    /// space there is already refused by both).
    Refused,
}

/// Most digits of a `limit` the core reads (Python's `int()` refuses more).
pub const MAX_LIMIT_DIGITS: usize = 4300;

/// A parsed `GET /allocation_candidates` query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CandidatesQuery {
    /// The microversion the request was made at; it changes the semantics
    /// (nested providers from 1.29) as well as the grammar.
    pub microversion: Microversion,
    /// The groups, sorted by suffix (the unsuffixed group first).
    pub groups: Vec<RequestGroup>,
    /// `group_policy`, when given.
    pub group_policy: Option<GroupPolicy>,
    /// `limit`, when given.
    pub limit: Option<u32>,
    /// `same_subtree` values, each a set of group suffixes.
    pub same_subtree: Vec<BTreeSet<Suffix>>,
    /// `root_required`: traits the root of every candidate's tree must (not) have.
    pub root_required: TraitExpr,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Prefix {
    Resources,
    Required,
    MemberOf,
    InTree,
}

const PREFIXES: [(&str, Prefix); 4] = [
    ("resources", Prefix::Resources),
    ("required", Prefix::Required),
    ("member_of", Prefix::MemberOf),
    ("in_tree", Prefix::InTree),
];

/// The group parameter a key names: `Ok(None)` when it is not a group key.
fn group_key(key: &str, version: Microversion) -> Result<Option<(Prefix, Suffix)>, KeyVerdict> {
    for (name, prefix) in PREFIXES {
        let Some(rest) = key.strip_prefix(name) else {
            continue;
        };
        let since = match prefix {
            Prefix::Resources => Microversion::v1(10),
            Prefix::Required => Microversion::v1(17),
            Prefix::MemberOf => Microversion::v1(21),
            Prefix::InTree => Microversion::v1(31),
        };
        if !version.at_least(since) {
            return Err(KeyVerdict::NeedsMicroversion(match prefix {
                Prefix::Resources => "1.10",
                Prefix::Required => "1.17",
                Prefix::MemberOf => "1.21",
                Prefix::InTree => "1.31",
            }));
        }
        if rest.is_empty() {
            return Ok(Some((prefix, Suffix::unsuffixed())));
        }
        if let Some(suffix) = Suffix::parse(rest, version) {
            if !version.at_least(Microversion::v1(25)) {
                return Err(KeyVerdict::NeedsMicroversion("1.25"));
            }
            return Ok(Some((prefix, suffix)));
        }
        if Suffix::parse(rest, Microversion::MAX).is_some() {
            return Err(KeyVerdict::NeedsMicroversion("1.33"));
        }
        return Err(KeyVerdict::Unknown);
    }
    Ok(None)
}

fn request_wide_verdict(key: &str, version: Microversion) -> KeyVerdict {
    match key {
        "limit" => KeyVerdict::since(version, Microversion::v1(16), "1.16"),
        "group_policy" => KeyVerdict::since(version, Microversion::v1(25), "1.25"),
        "root_required" => KeyVerdict::since(version, Microversion::v1(35), "1.35"),
        "same_subtree" => KeyVerdict::since(version, Microversion::v1(36), "1.36"),
        _ => KeyVerdict::Unknown,
    }
}

impl CandidatesQuery {
    /// Parses the raw query string of `GET /allocation_candidates` at
    /// `version`, as real Placement reads it.
    pub fn parse(version: Microversion, raw_query: &str) -> Result<Self, Rejection> {
        Self::parse_with(version, raw_query, InTreeSpaces::Stripped)
    }

    /// [`Self::parse`] with a choice of what spaces around an `in_tree`
    /// UUID mean.
    pub fn parse_with(
        version: Microversion,
        raw_query: &str,
        in_tree_spaces: InTreeSpaces,
    ) -> Result<Self, Rejection> {
        if !version.at_least(Microversion::v1(10)) {
            return Err(Rejection::path(
                "allocation candidates route",
                Problem::NeedsMicroversion("1.10"),
            ));
        }
        let params = Params::decode(raw_query)?;
        params.check_keys(|key| match group_key(key, version) {
            Ok(Some(_)) => KeyVerdict::Known,
            Ok(None) => request_wide_verdict(key, version),
            Err(verdict) => verdict,
        })?;

        let limit = match params.single("limit")? {
            Some(text) => Some(parse_limit(text)?),
            None => None,
        };
        let group_policy = match params.single("group_policy")? {
            None => None,
            Some("none") => Some(GroupPolicy::None),
            Some("isolate") => Some(GroupPolicy::Isolate),
            // schemas/allocation_candidate.py enum, util.py:212.
            Some(other) => {
                return Err(refused(
                    "group_policy",
                    Problem::NotOneOf {
                        accepted: "'none' or 'isolate'",
                        got: Excerpt::of(other),
                    },
                ));
            }
        };
        let root_required = match params.single("root_required")? {
            None => TraitExpr::default(),
            Some(value) => parse_root_required(value)?,
        };
        let same_subtree = parse_same_subtree(&params, version)?;
        let groups = parse_groups(&params, version, in_tree_spaces)?;
        let query = CandidatesQuery {
            microversion: version,
            groups: groups.into_values().collect(),
            group_policy,
            limit,
            same_subtree,
            root_required,
        };
        query.check_group_rules()?;
        Ok(query)
    }

    /// Whether the request sees nested providers (microversion 1.29).
    pub fn nested_aware(&self) -> bool {
        self.microversion.at_least(Microversion::v1(29))
    }

    /// The number of suffixed (granular) groups.
    pub fn granular_count(&self) -> usize {
        self.groups.iter().filter(|g| g.use_same_provider()).count()
    }

    fn check_group_rules(&self) -> Result<(), Rejection> {
        let version = self.microversion;
        if !version.at_least(Microversion::v1(25))
            && !self
                .groups
                .iter()
                .any(|g| g.suffix.is_unsuffixed() && !g.resources.is_empty())
        {
            return Err(Rejection::query("resources", Problem::Missing));
        }
        if version.at_least(Microversion::v1(36)) {
            check_resourceless_groups(self)?;
        } else {
            check_orphans(self)?;
        }
        if version.at_least(Microversion::v1(22)) {
            for group in &self.groups {
                if group.required.conflict().is_some() {
                    return Err(Rejection::query(
                        &format!("required{}", group.suffix),
                        Problem::Rule("requires and forbids the same trait"),
                    ));
                }
            }
        }
        if self.group_policy.is_none() && self.granular_count() > 1 {
            return Err(Rejection::query(
                "group_policy",
                Problem::Rule("is required when more than one suffixed group is given"),
            ));
        }
        Ok(())
    }
}

/// Placement's schema pattern `^[1-9][0-9]*$` (util.py:212, a bare 400).
fn parse_limit(text: &str) -> Result<u32, Rejection> {
    let syntax = || {
        refused(
            "limit",
            Problem::Syntax {
                what: "a positive integer without leading zeros",
                got: Excerpt::of(text),
            },
        )
    };
    if !Suffix::is_numbered(text) {
        return Err(syntax());
    }
    if text.len() > MAX_LIMIT_DIGITS {
        return Err(refused(
            "limit",
            Problem::TooLong {
                max: MAX_LIMIT_DIGITS,
            },
        ));
    }
    Ok(text.parse::<u32>().unwrap_or(u32::MAX))
}

fn parse_root_required(value: &str) -> Result<TraitExpr, Rejection> {
    let syntax = TraitSyntax {
        forbidden: true,
        any_of: false,
    };
    let expr = TraitExpr::parse("root_required", value, syntax)?;
    if expr.conflict().is_some() {
        return Err(bad_value(
            "root_required",
            Problem::Rule("requires and forbids the same trait"),
        ));
    }
    Ok(expr)
}

fn parse_same_subtree(
    params: &Params,
    version: Microversion,
) -> Result<Vec<BTreeSet<Suffix>>, Rejection> {
    let mut all = Vec::new();
    for value in params.all("same_subtree") {
        let mut set = BTreeSet::new();
        for item in value.split(',') {
            let item = item.trim_matches(' ');
            if item.is_empty() {
                return Err(bad_value(
                    "same_subtree",
                    Problem::Rule("cannot name the unsuffixed group (an empty suffix)"),
                ));
            }
            let suffix = Suffix::parse(item, version).ok_or_else(|| {
                bad_value(
                    "same_subtree",
                    Problem::Syntax {
                        what: "a list of group suffixes",
                        got: Excerpt::of(item),
                    },
                )
            })?;
            set.insert(suffix);
        }
        all.push(set);
    }
    Ok(all)
}

fn parse_groups(
    params: &Params,
    version: Microversion,
    in_tree_spaces: InTreeSpaces,
) -> Result<BTreeMap<Suffix, RequestGroup>, Rejection> {
    let mut groups: BTreeMap<Suffix, RequestGroup> = BTreeMap::new();
    let mut seen: BTreeSet<(Prefix, Suffix)> = BTreeSet::new();
    let trait_syntax = TraitSyntax {
        forbidden: version.at_least(Microversion::v1(22)),
        any_of: version.at_least(Microversion::v1(39)),
    };
    for key in params.keys() {
        let Ok(Some((prefix, suffix))) = group_key(key, version) else {
            continue;
        };
        if !seen.insert((prefix, suffix.clone())) {
            continue;
        }
        let group = groups
            .entry(suffix.clone())
            .or_insert_with(|| RequestGroup::new(suffix));
        match prefix {
            Prefix::Resources => {
                let value = params.single(key)?.unwrap_or_default();
                group.resources = parse_resources(key, value)?;
            }
            Prefix::Required => {
                if !trait_syntax.any_of && params.all(key).nth(1).is_some() {
                    return Err(duplicate(key));
                }
                for value in params.all(key) {
                    group
                        .required
                        .extend(TraitExpr::parse(key, value, trait_syntax)?);
                }
                group.required.all_of.sort();
                group.required.all_of.dedup();
            }
            Prefix::MemberOf => {
                group.member_of = MemberOf::parse_all(key, params.all(key), version)?;
            }
            Prefix::InTree => {
                let value = params.single(key)?.unwrap_or_default();
                let read = match in_tree_spaces {
                    InTreeSpaces::Stripped => value.trim_matches(' '),
                    InTreeSpaces::Refused => value,
                };
                // util.py:571: a bare 400.
                let uuid = parse_uuid(read).map_err(|_| {
                    refused(
                        key,
                        Problem::Syntax {
                            what: "a resource provider UUID",
                            got: Excerpt::of(value),
                        },
                    )
                })?;
                group.in_tree = Some(uuid);
            }
        }
    }
    Ok(groups)
}

/// Microversion 1.36 and later (`lib.py` `_check_for_one_resources`,
/// `_check_resourceless_suffix`, `_check_actual_suffix`).
fn check_resourceless_groups(query: &CandidatesQuery) -> Result<(), Rejection> {
    if query.groups.iter().all(|g| g.resources.is_empty()) {
        return Err(
            Rejection::query("resources", Problem::Missing).with_code(ErrorCode::QueryMissingValue)
        );
    }
    let named: BTreeSet<&Suffix> = query.same_subtree.iter().flatten().collect();
    if let Some(group) = query
        .groups
        .iter()
        .find(|g| g.resources.is_empty() && !named.contains(&g.suffix))
    {
        let key = if group.suffix.is_unsuffixed() {
            "resources".to_owned()
        } else {
            format!("resources{}", group.suffix)
        };
        return Err(Rejection::query(
            &key,
            Problem::Rule("is required for a group that same_subtree does not name"),
        )
        .with_code(ErrorCode::QueryBadValue));
    }
    let existing: BTreeSet<&Suffix> = query.groups.iter().map(|g| &g.suffix).collect();
    if let Some(missing) = named.iter().find(|s| !existing.contains(*s)) {
        return Err(bad_value(
            "same_subtree",
            Problem::Syntax {
                what: "a list of suffixes of groups in the request",
                got: Excerpt::of(missing.as_str()),
            },
        ));
    }
    Ok(())
}

/// Before microversion 1.36 (`lib.py` `_check_for_orphans`).
fn check_orphans(query: &CandidatesQuery) -> Result<(), Rejection> {
    for group in &query.groups {
        if !group.resources.is_empty() {
            continue;
        }
        let (key, problem) = if !group.required.is_empty() {
            ("required", "must come with resources of the same suffix")
        } else if !group.member_of.is_empty() {
            ("member_of", "must come with resources of the same suffix")
        } else {
            ("in_tree", "must come with resources of the same suffix")
        };
        return Err(Rejection::query(
            &format!("{key}{}", group.suffix),
            Problem::Rule(problem),
        ));
    }
    if query.groups.is_empty() {
        return Err(Rejection::query("resources", Problem::Missing));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const AGG: &str = "11111111-1111-1111-1111-111111111111";
    const RP: &str = "22222222-2222-2222-2222-222222222222";

    fn parse(minor: u16, raw: &str) -> Result<CandidatesQuery, Rejection> {
        CandidatesQuery::parse(Microversion::v1(minor), raw)
    }

    fn err(minor: u16, raw: &str) -> Rejection {
        parse(minor, raw).unwrap_err()
    }

    #[test]
    fn simple_request() {
        let q = parse(10, "resources=VCPU:1,MEMORY_MB:1024").unwrap();
        assert_eq!(q.groups.len(), 1);
        assert!(q.groups[0].suffix.is_unsuffixed());
        assert_eq!(q.groups[0].resources.len(), 2);
        assert!(parse(9, "resources=VCPU:1").is_err());
    }

    // util.normalize_in_tree_qs_params strips; the reference server does not.
    #[test]
    fn in_tree_spaces_are_stripped_for_placement_and_refused_for_the_server() {
        for raw in [
            format!("resources=VCPU:1&in_tree=%20{RP}"),
            format!("resources=VCPU:1&in_tree={RP}%20"),
            format!("resources1=VCPU:1&in_tree1=%20{RP}"),
        ] {
            let mv = Microversion::v1(39);
            assert!(CandidatesQuery::parse(mv, &raw).is_ok(), "{raw}");
            let refused = CandidatesQuery::parse_with(mv, &raw, InTreeSpaces::Refused).unwrap_err();
            // util.py:571 refuses a malformed in_tree with a bare 400.
            assert_eq!(refused.code, ErrorCode::Undefined, "{raw}");
        }
        let plain = format!("resources=VCPU:1&in_tree={RP}");
        assert!(
            CandidatesQuery::parse_with(Microversion::v1(39), &plain, InTreeSpaces::Refused)
                .is_ok()
        );
    }

    // schemas/allocation_candidate.py: parameters arrive with their microversions.
    #[test]
    fn parameters_by_microversion() {
        assert_eq!(
            err(15, "resources=VCPU:1&limit=1").problem,
            Problem::NeedsMicroversion("1.16")
        );
        assert_eq!(
            parse(16, "resources=VCPU:1&limit=1").unwrap().limit,
            Some(1)
        );
        assert!(parse(16, "resources=VCPU:1&required=HW_CPU_X86_VMX").is_err());
        assert!(parse(17, "resources=VCPU:1&required=HW_CPU_X86_VMX").is_ok());
        assert!(parse(20, &format!("resources=VCPU:1&member_of={AGG}")).is_err());
        assert!(parse(21, &format!("resources=VCPU:1&member_of={AGG}")).is_ok());
        assert_eq!(
            err(24, "resources1=VCPU:1").problem,
            Problem::NeedsMicroversion("1.25")
        );
        assert!(parse(30, &format!("resources=VCPU:1&in_tree={RP}")).is_err());
        assert!(parse(31, &format!("resources=VCPU:1&in_tree={RP}")).is_ok());
        assert_eq!(
            err(32, "resources_A=VCPU:1").problem,
            Problem::NeedsMicroversion("1.33")
        );
        assert!(parse(34, "resources=VCPU:1&root_required=CUSTOM_A").is_err());
        assert!(parse(35, "resources=VCPU:1&root_required=CUSTOM_A").is_ok());
        assert!(parse(35, "resources1=VCPU:1&same_subtree=1").is_err());
        assert!(parse(36, "resources1=VCPU:1&same_subtree=1").is_ok());
        assert_eq!(
            err(39, "resources=VCPU:1&foo=1").problem,
            Problem::NotAllowed
        );
        assert_eq!(err(39, "resources.x=VCPU:1").problem, Problem::NotAllowed);
        // `01` is a string suffix from 1.33, never a numbered one.
        assert_eq!(
            err(32, "resources01=VCPU:1").problem,
            Problem::NeedsMicroversion("1.33")
        );
        assert!(parse(33, "resources01=VCPU:1").is_ok());
    }

    // gabbits/allocation-candidates.yaml: "resources" is required before 1.25.
    #[test]
    fn resources_required() {
        assert_eq!(err(10, "").problem, Problem::Missing);
        assert_eq!(err(24, "limit=1").problem, Problem::Missing);
        assert!(parse(25, "").is_err());
        assert_eq!(err(36, "").code, ErrorCode::QueryMissingValue);
    }

    // gabbits/granular.yaml: group_policy is needed with two or more granular groups.
    #[test]
    fn group_policy_rules() {
        assert!(parse(25, "resources1=VCPU:1&resources2=VCPU:1").is_err());
        let q = parse(
            25,
            "resources1=VCPU:1&resources2=VCPU:1&group_policy=isolate",
        )
        .unwrap();
        assert_eq!(q.group_policy, Some(GroupPolicy::Isolate));
        assert_eq!(q.granular_count(), 2);
        assert!(parse(25, "resources=VCPU:1&resources1=VCPU:1").is_ok());
        // The schema's enum (util.py:212): a bare 400.
        assert_eq!(
            err(25, "resources=VCPU:1&group_policy=bogus").code,
            ErrorCode::Undefined
        );
    }

    // lib.py ~412 takes limit[0] after the schema checked limit[-1]: a 500 in
    // Placement; the core refuses the repeat.
    #[test]
    fn duplicates_refused() {
        for raw in [
            "resources=VCPU:1&limit=abc&limit=1",
            "resources=VCPU:1&limit=1&limit=1",
            "resources=VCPU:1&group_policy=bogus&group_policy=none",
            "resources=VCPU:1&resources=VCPU:2",
            "resources=VCPU:1&root_required=CUSTOM_A&root_required=CUSTOM_B",
            "resources=VCPU:1&required=CUSTOM_A&required=CUSTOM_B",
        ] {
            assert_eq!(err(38, raw).code, ErrorCode::QueryDuplicateKey, "{raw}");
        }
        // 1.39: repeated required are ANDed.
        let q = parse(
            39,
            "resources=VCPU:1&required=CUSTOM_A&required=in:CUSTOM_B,CUSTOM_C",
        )
        .unwrap();
        assert_eq!(q.groups[0].required.all_of.len(), 2);
    }

    #[test]
    fn limit_values() {
        for bad in ["0", "-1", "01", "abc", "1.5", "", " 1", "1\n", "+1"] {
            let raw = format!("resources=VCPU:1&limit={bad}");
            // The schema's pattern (util.py:212): a bare 400.
            assert_eq!(err(16, &raw).code, ErrorCode::Undefined, "{bad:?}");
        }
        let q = parse(16, "resources=VCPU:1&limit=99999999999999999999").unwrap();
        assert_eq!(q.limit, Some(u32::MAX));
        let huge = format!("resources=VCPU:1&limit={}", "9".repeat(5000));
        assert_eq!(err(16, &huge).code, ErrorCode::Undefined);
    }

    // lib.py _check_for_orphans (before 1.36).
    #[test]
    fn orphans_before_1_36() {
        assert!(parse(25, "resources=VCPU:1&required1=CUSTOM_A").is_err());
        assert!(parse(25, &format!("resources=VCPU:1&member_of1={AGG}")).is_err());
        assert!(parse(31, &format!("resources=VCPU:1&in_tree1={RP}")).is_err());
    }

    // gabbits/allocation-candidates-resourceless.yaml-style rules (1.36).
    #[test]
    fn resourceless_groups_need_same_subtree() {
        let raw = "resources1=VCPU:1&required2=CUSTOM_A&group_policy=none";
        assert_eq!(err(36, raw).code, ErrorCode::QueryBadValue);
        let ok = format!("{raw}&same_subtree=1,2");
        let q = parse(36, &ok).unwrap();
        assert_eq!(q.same_subtree.len(), 1);
        assert!(q.groups[1].resources.is_empty());
        assert_eq!(
            err(36, "resources1=VCPU:1&same_subtree=1,3").code,
            ErrorCode::QueryBadValue
        );
        assert_eq!(
            err(36, "resources1=VCPU:1&same_subtree=1,").code,
            ErrorCode::QueryBadValue
        );
        // The unsuffixed group can never be resourceless.
        assert!(parse(36, "resources1=VCPU:1&required=CUSTOM_A&same_subtree=1").is_err());
    }

    #[test]
    fn forbidden_conflicts() {
        assert!(parse(22, "resources=VCPU:1&required=CUSTOM_A,!CUSTOM_A").is_err());
        assert!(parse(35, "resources=VCPU:1&root_required=CUSTOM_A,!CUSTOM_A").is_err());
        assert!(parse(35, "resources=VCPU:1&root_required=in:CUSTOM_A").is_err());
        let q = parse(35, "resources=VCPU:1&root_required=CUSTOM_A,!CUSTOM_B").unwrap();
        assert_eq!(q.root_required.forbidden.len(), 1);
    }

    // lib.py _QS_KEY_PATTERN ends in `$`: Placement takes `member_of\n` as a
    // group key and then drops the filter; the core does not know the key.
    #[test]
    fn trailing_newline_keys_unknown() {
        let raw = format!("resources=VCPU:1&member_of%0A={AGG}");
        assert_eq!(err(39, &raw).problem, Problem::NotAllowed);
        assert!(parse(39, "resources%0A=VCPU:1").is_err());
    }

    #[test]
    fn suffixed_groups_sorted() {
        let q = parse(
            33,
            &format!(
                "resources_B=VCPU:1&resources_A=VCPU:1&resources=DISK_GB:1&group_policy=none&in_tree_A={RP}"
            ),
        )
        .unwrap();
        let suffixes: Vec<&str> = q.groups.iter().map(|g| g.suffix.as_str()).collect();
        assert_eq!(suffixes, vec!["", "_A", "_B"]);
        assert!(q.groups[1].in_tree.is_some());
    }

    const KEYS: [&str; 12] = [
        "resources",
        "resources1",
        "resources_X",
        "required",
        "required1",
        "required_X",
        "member_of",
        "member_of1",
        "in_tree",
        "group_policy",
        "limit",
        "same_subtree",
    ];
    const VALUES: [&str; 12] = [
        "VCPU:1",
        "DISK_GB:10 ",
        "CUSTOM_A",
        "!CUSTOM_B",
        "in:CUSTOM_A,CUSTOM_B",
        "11111111-1111-1111-1111-111111111111",
        "isolate",
        "none",
        "1",
        "1,_X",
        "VCPU:0",
        "",
    ];

    proptest::proptest! {
        #[test]
        fn never_panics(raw in "[a-z_0-9=&:,!%A-F;+-]{0,80}", minor in 0u16..=39) {
            let _ = parse(minor, &raw);
        }

        // Whatever the parser accepts keeps the invariants the engine relies on.
        #[test]
        fn accepted_queries_are_well_formed(
            pairs in proptest::collection::vec((0usize..12, 0usize..12), 0..6),
            minor in 10u16..=39,
        ) {
            let raw = pairs
                .iter()
                .map(|&(k, v)| format!("{}={}", KEYS[k], VALUES[v]))
                .collect::<Vec<_>>()
                .join("&");
            if let Ok(q) = parse(minor, &raw) {
                let suffixes: Vec<&Suffix> = q.groups.iter().map(|g| &g.suffix).collect();
                proptest::prop_assert!(suffixes.windows(2).all(|w| w[0] < w[1]));
                proptest::prop_assert!(q.groups.iter().any(|g| !g.resources.is_empty()));
                for g in &q.groups {
                    proptest::prop_assert!(g.resources.values().all(|&a| a >= 1));
                    proptest::prop_assert!(g.required.conflict().is_none());
                }
                proptest::prop_assert!(q.granular_count() <= 1 || q.group_policy.is_some());
                proptest::prop_assert!(q.limit != Some(0));
            }
        }
    }
}
