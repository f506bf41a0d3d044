//! The query grammar of Placement's list and search routes.
//!
//! Each route's raw query string (the undecoded text after `?`) becomes a
//! typed query, or a [`Rejection`] naming the parameter at fault. Decoding
//! follows webob exactly ([`decode`]); the grammar follows Placement's
//! schemas, `lib.py` and `util.py` per microversion, except where Placement
//! accepts input that means two things at once or that a stricter reader
//! would refuse (repeats, trailing line breaks, Python `int()` spellings);
//! every such place is documented in the module that parses it.
//! `GET /resource_providers/{uuid}/allocations` takes no parameters and has
//! no grammar here.

pub mod candidates_query;
pub mod decode;
pub mod group;
pub mod member_of;
pub mod params;
pub mod providers;
pub mod resources;
pub mod trait_list;
pub mod traits;
pub mod usages;

pub use candidates_query::{CandidatesQuery, GroupPolicy, InTreeSpaces};
pub use group::{RequestGroup, Suffix};
pub use member_of::MemberOf;
pub use providers::ProviderQuery;
pub use trait_list::{TraitNameFilter, TraitsQuery};
pub use traits::TraitExpr;
pub use usages::{ConsumerTypeFilter, UsagesQuery};

use crate::error::Rejection;
use crate::microversion::Microversion;

/// The routes that take a query string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QueryKind {
    /// `GET /resource_providers`.
    ResourceProviders,
    /// `GET /allocation_candidates`.
    AllocationCandidates,
    /// `GET /usages`.
    Usages,
    /// `GET /traits`.
    Traits,
}

impl QueryKind {
    /// Every kind.
    pub const ALL: [QueryKind; 4] = [
        QueryKind::ResourceProviders,
        QueryKind::AllocationCandidates,
        QueryKind::Usages,
        QueryKind::Traits,
    ];
}

/// A parsed query of any kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Query {
    /// `GET /resource_providers`.
    ResourceProviders(ProviderQuery),
    /// `GET /allocation_candidates`.
    AllocationCandidates(CandidatesQuery),
    /// `GET /usages`.
    Usages(UsagesQuery),
    /// `GET /traits`.
    Traits(TraitsQuery),
}

/// Parses `raw_query` for the route `kind` at `microversion`.
///
/// A route that does not exist yet at `microversion` gives a rejection
/// located on the path; the server should already have answered 404.
pub fn parse(
    kind: QueryKind,
    microversion: Microversion,
    raw_query: &str,
) -> Result<Query, Rejection> {
    Ok(match kind {
        QueryKind::ResourceProviders => {
            Query::ResourceProviders(ProviderQuery::parse(microversion, raw_query)?)
        }
        QueryKind::AllocationCandidates => {
            Query::AllocationCandidates(CandidatesQuery::parse(microversion, raw_query)?)
        }
        QueryKind::Usages => Query::Usages(UsagesQuery::parse(microversion, raw_query)?),
        QueryKind::Traits => Query::Traits(TraitsQuery::parse(microversion, raw_query)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::ErrorCode;

    const AGG: &str = "8d2d5a4b-1b0e-4a71-9d6b-2c3a7a1f5e10";

    /// Every refusal gets the code Placement 16.0.0 gives the same input at
    /// the same microversion (each row was also sent to a real Placement
    /// 16.0.0). The Placement source of each code is on its row; `U` is the
    /// undefined code of a bare `HTTPBadRequest`. The last rows are values
    /// Placement takes and the core refuses: the core's own code there.
    #[test]
    fn refusal_codes_are_placements() {
        use ErrorCode::{
            QueryBadValue as BAD, QueryDuplicateKey as DUP, QueryMissingValue as MISSING,
            Undefined as U,
        };
        use QueryKind::{
            AllocationCandidates as AC, ResourceProviders as RP, Traits as T, Usages as US,
        };
        let forbid_agg = format!("member_of=!{AGG}");
        let two_aggs = format!("member_of={AGG},{AGG}");
        let repeated_agg = format!("member_of={AGG}&member_of={AGG}");
        let rows: Vec<(QueryKind, u16, &str, ErrorCode)> = vec![
            // usage.py:107 -> util.py:212 (minLength, pattern).
            (US, 39, "project_id=", U),
            (US, 39, "project_id=p&user_id=", U),
            (US, 39, "project_id=p&consumer_type=", U),
            (US, 39, "project_id=p&consumer_type=lower", U),
            // util.py:212 catches UnicodeDecodeError. (GET /usages reads
            // req.GET before that check, usage.py:93, and answers 500 with
            // the same code: a Placement bug the core does not copy.)
            (T, 39, "name=%FF", U),
            (RP, 39, "name=%FF", U),
            (US, 39, "project_id=p&user_id=%FF", U),
            // handlers/trait.py:39 (no operator), :164 (associated).
            (T, 39, "name=CUSTOM_A", U),
            (T, 39, "associated=yes", U),
            // format: uuid (util.py:41, :212); util.py:571 (in_tree).
            (RP, 39, "uuid=nope", U),
            (RP, 39, "in_tree=nope", U),
            // util.py:537 (list without in:), :554 (not a UUID), :499
            // (repeat before 1.24), :509 (! before 1.32).
            (RP, 39, &two_aggs, U),
            (RP, 39, "member_of=nope", U),
            (RP, 39, "member_of=", U),
            (RP, 23, &repeated_agg, U),
            (RP, 31, &forbid_agg, U),
            // util.py:263, :275, :285, :293 (normalize_resources_qs_param).
            (RP, 39, "resources=", U),
            (RP, 39, "resources=VCPU", U),
            (RP, 39, "resources=VCPU:x", U),
            (RP, 39, "resources=VCPU:0", U),
            (RP, 39, "resources=VCPU:-1", U),
            (RP, 39, "resources=VCPU:1.5", U),
            // util.py:370 (in: before 1.39), :380/:415 (empty trait),
            // :387 (! in in:), :428 (! before 1.22).
            (RP, 38, "required=in:CUSTOM_A", U),
            (RP, 39, "required=", U),
            (RP, 39, "required=in:", U),
            (RP, 39, "required=in:CUSTOM_A,!CUSTOM_B", U),
            (RP, 21, "required=!CUSTOM_A", U),
            // allocation_candidate.py:270 -> util.py:212 (limit pattern,
            // group_policy enum).
            (AC, 39, "resources=VCPU:1&limit=0", U),
            (AC, 39, "resources=VCPU:1&group_policy=bogus", U),
            (AC, 39, "resources=VCPU:1&in_tree=nope", U),
            (AC, 39, "resources=VCPU:1&member_of=nope", U),
            (AC, 39, "resources=", U),
            // lib.py:232 (a group's conflict; a TODO for bad_value there).
            (AC, 39, "resources=VCPU:1&required=CUSTOM_A,!CUSTOM_A", U),
            // root_required: util.py:380 (empty), :370 (in:), lib.py:441
            // (conflict), lib.py:428 (repeat).
            (AC, 39, "resources=VCPU:1&root_required=", U),
            (AC, 39, "resources=VCPU:1&root_required=in:CUSTOM_A", U),
            (
                AC,
                39,
                "resources=VCPU:1&root_required=CUSTOM_A,!CUSTOM_A",
                BAD,
            ),
            (
                AC,
                39,
                "resources=VCPU:1&root_required=CUSTOM_A&root_required=CUSTOM_B",
                DUP,
            ),
            // same_subtree: lib.py:453 (empty suffix), :181 (unknown
            // suffix), :169 (resourceless group not named), :158 (no
            // resources at all).
            (AC, 39, "resources=VCPU:1&same_subtree=", BAD),
            (AC, 39, "resources1=VCPU:1&same_subtree=_1,_2", BAD),
            (
                AC,
                39,
                "resources1=VCPU:1&required2=CUSTOM_A&group_policy=none",
                BAD,
            ),
            (AC, 39, "required=CUSTOM_A", MISSING),
            // Placement takes these (trait.py:41-46 ignores the operator and
            // looks the names up; resource_provider.py:60 takes any name;
            // the provider listing does not check a conflict): the core's
            // own code, which the differential table's strict-query-values
            // entry expects.
            (T, 39, "name=foo:bar", BAD),
            (T, 39, "name=in:", BAD),
            (RP, 39, "name=", BAD),
            (RP, 39, "required=HW_CPU_X86_AVX,!HW_CPU_X86_AVX", BAD),
            (RP, 39, "resources=VCPU:1,VCPU:2", BAD),
            // util.py:278 int() takes these amounts (a sign, `_`, Unicode
            // white space, no upper bound).
            (RP, 39, "resources=VCPU:%2B1", BAD),
            (RP, 39, "resources=VCPU:1_0", BAD),
            (RP, 39, "resources=VCPU:1%C2%A0", BAD),
            (AC, 39, "resources=VCPU:99999999999999999999", BAD),
            // util.py:409 lstrip('!'); schemas/common.py:24 unanchored ^all.
            (RP, 39, "required=!!HW_CPU_X86_AVX", BAD),
            (US, 39, "project_id=p&consumer_type=all:", BAD),
            // ... but util.py:415 (nothing left after the !s), util.py:212.
            (RP, 39, "required=!!", U),
            (US, 39, "project_id=p&consumer_type=ALL:", U),
        ];
        for (kind, minor, raw, code) in rows {
            let refused = parse(kind, Microversion::v1(minor), raw)
                .expect_err(&format!("{kind:?} 1.{minor} {raw}"));
            assert_eq!(refused.code, code, "{kind:?} 1.{minor} {raw}: {refused}");
        }
    }

    #[test]
    fn dispatches() {
        let v = Microversion::MAX;
        assert!(matches!(
            parse(QueryKind::AllocationCandidates, v, "resources=VCPU:1"),
            Ok(Query::AllocationCandidates(_))
        ));
        assert!(matches!(
            parse(QueryKind::ResourceProviders, v, ""),
            Ok(Query::ResourceProviders(_))
        ));
        assert!(matches!(
            parse(QueryKind::Usages, v, "project_id=p"),
            Ok(Query::Usages(_))
        ));
        assert!(matches!(
            parse(QueryKind::Traits, v, ""),
            Ok(Query::Traits(_))
        ));
    }

    proptest::proptest! {
        #[test]
        fn no_kind_panics(raw in ".{0,120}", minor in 0u16..=39) {
            for kind in QueryKind::ALL {
                let _ = parse(kind, Microversion::v1(minor), &raw);
            }
        }

        // Every rejection quotes input only through excerpts: its text stays short.
        #[test]
        fn rejections_are_short(raw in "[a-z_0-9=&:,!%]{0,2000}") {
            for kind in QueryKind::ALL {
                if let Err(r) = parse(kind, Microversion::MAX, &raw) {
                    proptest::prop_assert!(r.to_string().len() < 300);
                }
            }
        }
    }
}
