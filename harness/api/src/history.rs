//! The documented microversion history of the Placement API as data: for
//! each route and method, the minor versions at which its answer may
//! change. Learnt from Placement 16.0.0's `rest_api_version_history.rst`
//! (one entry per microversion, 1.1 to 1.39) and the first version of each
//! route ([`super::Operation::from`]). The microversion replay
//! (`fuzz --replay`) allows a change between 1.(n-1) and 1.n only where
//! this history lists n for the route.

use std::collections::BTreeSet;

/// One microversion and the operations whose answers it changes.
#[derive(Clone, Copy, Debug)]
pub struct Change {
    /// The minor version.
    pub minor: u16,
    /// (method, route template) pairs; `"*"` as the method means all.
    pub ops: &'static [(&'static str, &'static str)],
    /// The history's title for it.
    pub what: &'static str,
}

const RPS: &str = "/resource_providers";
const RP: &str = "/resource_providers/{uuid}";
const CANDIDATES: &str = "/allocation_candidates";
const CONSUMER: &str = "/allocations/{consumer_uuid}";

/// The history, in version order. New routes are not listed here: their
/// first version comes from the request model.
pub static HISTORY: &[Change] = &[
    Change {
        minor: 3,
        ops: &[("GET", RPS)],
        what: "'member_of' query parameter",
    },
    Change {
        minor: 4,
        ops: &[("GET", RPS)],
        what: "filter resource providers by requested resource capacity",
    },
    Change {
        minor: 7,
        ops: &[("PUT", "/resource_classes/{name}")],
        what: "idempotent PUT /resource_classes/{name}",
    },
    Change {
        minor: 8,
        ops: &[("PUT", CONSUMER)],
        what: "require project_id and user_id in PUT /allocations",
    },
    Change {
        minor: 11,
        ops: &[("GET", RPS), ("GET", RP), ("POST", RPS), ("PUT", RP)],
        what: "'allocations' link in the resource provider response",
    },
    Change {
        minor: 12,
        ops: &[("PUT", CONSUMER), ("GET", CONSUMER), ("GET", CANDIDATES)],
        what: "dict format of allocations",
    },
    Change {
        minor: 14,
        ops: &[("GET", RPS), ("GET", RP), ("POST", RPS), ("PUT", RP)],
        what: "nested resource providers (parent and root, in_tree)",
    },
    Change {
        minor: 16,
        ops: &[("GET", CANDIDATES)],
        what: "limit allocation candidates",
    },
    Change {
        minor: 17,
        ops: &[("GET", CANDIDATES)],
        what: "'required' on allocation candidates",
    },
    Change {
        minor: 18,
        ops: &[("GET", RPS)],
        what: "'required' on GET /resource_providers",
    },
    Change {
        minor: 19,
        ops: &[
            ("GET", "/resource_providers/{uuid}/aggregates"),
            ("PUT", "/resource_providers/{uuid}/aggregates"),
        ],
        what: "generation and conflict detection in provider aggregates",
    },
    Change {
        minor: 20,
        ops: &[("POST", RPS)],
        what: "200 with the provider from POST /resource_providers",
    },
    Change {
        minor: 21,
        ops: &[("GET", CANDIDATES)],
        what: "'member_of' on allocation candidates",
    },
    Change {
        minor: 22,
        ops: &[("GET", RPS), ("GET", CANDIDATES)],
        what: "forbidden traits",
    },
    Change {
        minor: 23,
        ops: &[("*", "*")],
        what: "'code' in JSON error responses",
    },
    Change {
        minor: 24,
        ops: &[("GET", RPS), ("GET", CANDIDATES)],
        what: "multiple '?member_of' query parameters",
    },
    Change {
        minor: 25,
        ops: &[("GET", CANDIDATES)],
        what: "granular resource requests",
    },
    Change {
        minor: 26,
        ops: &[
            ("PUT", "/resource_providers/{uuid}/inventories"),
            ("POST", "/resource_providers/{uuid}/inventories"),
            (
                "PUT",
                "/resource_providers/{uuid}/inventories/{resource_class}",
            ),
        ],
        what: "reserved equal to total",
    },
    Change {
        minor: 27,
        ops: &[("GET", CANDIDATES)],
        what: "all inventories in provider_summaries",
    },
    Change {
        minor: 28,
        ops: &[
            ("GET", CONSUMER),
            ("PUT", CONSUMER),
            ("DELETE", CONSUMER),
            ("POST", "/allocations"),
        ],
        what: "consumer generation",
    },
    Change {
        minor: 29,
        ops: &[("GET", CANDIDATES)],
        what: "nested providers in allocation candidates",
    },
    Change {
        minor: 31,
        ops: &[("GET", CANDIDATES)],
        what: "'in_tree' on allocation candidates",
    },
    Change {
        minor: 32,
        ops: &[("GET", RPS), ("GET", CANDIDATES)],
        what: "forbidden aggregates",
    },
    Change {
        minor: 33,
        ops: &[("GET", CANDIDATES)],
        what: "string request group suffixes",
    },
    Change {
        minor: 34,
        ops: &[("GET", CANDIDATES)],
        what: "request group mappings",
    },
    Change {
        minor: 35,
        ops: &[("GET", CANDIDATES)],
        what: "'root_required'",
    },
    Change {
        minor: 36,
        ops: &[("GET", CANDIDATES)],
        what: "'same_subtree'",
    },
    Change {
        minor: 37,
        ops: &[("PUT", RP)],
        what: "re-parenting and un-parenting",
    },
    Change {
        minor: 38,
        ops: &[
            ("GET", CONSUMER),
            ("PUT", CONSUMER),
            ("POST", "/allocations"),
            ("GET", "/usages"),
            ("POST", "/reshaper"),
        ],
        what: "consumer_type",
    },
    Change {
        minor: 39,
        ops: &[("GET", RPS), ("GET", CANDIDATES)],
        what: "any-traits syntax in 'required'",
    },
];

/// The minor versions at which the answer to `method route` may change
/// from the version before: the history's entries for it, 1.23 (error
/// codes) for every route, and the route's first version.
pub fn change_points(method: &str, route: &str) -> BTreeSet<u16> {
    let mut out: BTreeSet<u16> = HISTORY
        .iter()
        .filter(|c| {
            c.ops
                .iter()
                .any(|(m, r)| (*m == "*" || *m == method) && (*r == "*" || *r == route))
        })
        .map(|c| c.minor)
        .collect();
    if let Some(op) = super::operation(&super::surface(), method, route) {
        if op.from > 0 {
            out.insert(op.from);
        }
    }
    out
}

/// What the history says about 1.`minor` for `method route`, if anything.
pub fn explain(method: &str, route: &str, minor: u16) -> Option<&'static str> {
    HISTORY
        .iter()
        .find(|c| {
            c.minor == minor
                && c.ops
                    .iter()
                    .any(|(m, r)| (*m == "*" || *m == method) && (*r == "*" || *r == route))
        })
        .map(|c| c.what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_is_ordered_and_within_range() {
        let minors: Vec<u16> = HISTORY.iter().map(|c| c.minor).collect();
        assert!(minors.windows(2).all(|w| w[0] < w[1]), "{minors:?}");
        assert!(minors.iter().all(|m| (1..=39).contains(m)));
    }

    #[test]
    fn change_points_include_route_start_and_error_codes() {
        let traits = change_points("GET", "/traits");
        assert!(traits.contains(&6) && traits.contains(&23), "{traits:?}");
        let rps = change_points("GET", "/resource_providers");
        for m in [3, 4, 11, 14, 18, 22, 23, 24, 32, 39] {
            assert!(rps.contains(&m), "{m} {rps:?}");
        }
        assert!(!rps.contains(&12));
        let usages = change_points("GET", "/usages");
        assert!(usages.contains(&9) && usages.contains(&38));
        assert_eq!(
            explain("GET", "/usages", 23),
            Some("'code' in JSON error responses")
        );
    }

    #[test]
    fn every_route_in_the_history_is_in_the_model() {
        let ops = super::super::surface();
        for c in HISTORY {
            for (m, r) in c.ops {
                if *m == "*" {
                    continue;
                }
                assert!(
                    super::super::operation(&ops, m, r).is_some(),
                    "1.{}: {m} {r}",
                    c.minor
                );
            }
        }
    }
}
