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
