//! Allocation candidates: every way the providers of a store can satisfy a
//! [`CandidatesQuery`], with Placement's semantics.
//!
//! The engine reads the store through [`ProviderView`] into a [`Snapshot`],
//! finds each group's matches on its own ([`group_match`]), combines one
//! match per group within each tree ([`merge`]), sorts, applies `limit`, and
//! summarises the providers of the trees that remain. Every Cartesian
//! product goes through one [`Budget`], so the work per request is bounded
//! ([`budget`] explains why Placement's is not).
//!
//! Sharing providers (`MISC_SHARES_VIA_AGGREGATE`) serve the trees that
//! share one of their aggregates: a [`GroupMatch`] and an
//! [`AllocationRequest`] carry an `anchor` root separate from their
//! providers' own roots ([`group_match`] says how anchors are chosen).

pub mod budget;
pub mod group_match;
pub mod merge;
pub mod output;
pub mod product;
pub mod snapshot;
pub mod verify;
pub mod view;

pub use budget::{Budget, MAX_COMBINATIONS};
pub use group_match::GroupMatch;
pub use output::{AllocationRequest, Candidates, ProviderSummary, SummaryResource};
pub use snapshot::Snapshot;
pub use verify::verify;
pub use view::{InventoryUse, ProviderInfo, ProviderTable, ProviderView};

use std::collections::BTreeSet;

use crate::error::Excerpt;
use crate::outcome::Failure;
use crate::query::CandidatesQuery;

/// Placement's answer to `GET /allocation_candidates` with `query` over `view`.
///
/// Fails with a 400 when the query names a resource class or a trait that
/// does not exist (`handlers/allocation_candidate.py`); an unknown `in_tree`
/// provider or aggregate is not an error but yields no candidates.
pub fn allocation_candidates(
    view: &dyn ProviderView,
    query: &CandidatesQuery,
) -> Result<Candidates, Failure> {
    allocation_candidates_within(view, query, Budget::default())
}

/// [`allocation_candidates`] with an explicit work budget.
pub fn allocation_candidates_within(
    view: &dyn ProviderView,
    query: &CandidatesQuery,
    budget: Budget,
) -> Result<Candidates, Failure> {
    check_names_exist(view, query)?;
    Ok(search(&Snapshot::read(view), query, budget))
}

/// [`allocation_candidates_within`] over `snapshot`, which must be
/// [`Snapshot::read`] of `view`: a caller that asks several queries of one
/// store that does not change in between reads it once (the `state_ops`
/// fuzz target asks four of every state it reaches).
pub fn allocation_candidates_in(
    view: &dyn ProviderView,
    snapshot: &Snapshot,
    query: &CandidatesQuery,
    budget: Budget,
) -> Result<Candidates, Failure> {
    check_names_exist(view, query)?;
    Ok(search(snapshot, query, budget))
}

fn search(snapshot: &Snapshot, query: &CandidatesQuery, mut budget: Budget) -> Candidates {
    let admitted_roots = |root: usize| {
        query.root_required.is_empty()
            || snapshot
                .node(root)
                .is_some_and(|n| query.root_required.holds(&n.traits))
    };
    let filters = group_match::Filters {
        snapshot,
        admitted_roots: &admitted_roots,
    };
    let requested_classes = query
        .groups
        .iter()
        .flat_map(|g| g.resources.keys().cloned())
        .collect();
    let mut all_matches = Vec::with_capacity(query.groups.len());
    for group in &query.groups {
        let found = group_match::matches(group, &filters, &mut budget);
        if found.is_empty() {
            return Candidates {
                requested_classes,
                truncated: budget.exhausted(),
                ..Candidates::default()
            };
        }
        all_matches.push(found);
    }
    let merged = merge::merge(query, &all_matches, snapshot, &mut budget);
    let limit = query
        .limit
        .map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
    let allocation_requests: Vec<AllocationRequest> = merged.into_iter().take(limit).collect();
    let provider_summaries = summarise(snapshot, &allocation_requests, query.nested_aware());
    Candidates {
        allocation_requests,
        provider_summaries,
        requested_classes,
        truncated: budget.exhausted(),
    }
}

fn check_names_exist(view: &dyn ProviderView, query: &CandidatesQuery) -> Result<(), Failure> {
    for name in query.root_required.names() {
        if !view.trait_exists(name) {
            return Err(Failure::bad_request(format!(
                "No such trait(s): {}",
                Excerpt::of(name.as_str())
            )));
        }
    }
    for group in &query.groups {
        for class in group.resources.keys() {
            if !view.resource_class_exists(class) {
                return Err(Failure::bad_request(format!(
                    "Invalid resource class in resources parameter: No such resource class {}",
                    Excerpt::of(class.as_str())
                )));
            }
        }
        for name in group.required.names() {
            if !view.trait_exists(name) {
                return Err(Failure::bad_request(format!(
                    "No such trait(s): {}",
                    Excerpt::of(name.as_str())
                )));
            }
        }
    }
    Ok(())
}

/// Summaries of every provider in the trees of the providers the requests
/// allocate from (from 1.29; `_merge_candidates` and `limit_results` keep
/// summaries by root), or of the providers the requests use (before 1.29
/// with nested trees, where `exclude_nested_providers` drops the others).
/// A request served only by a sharing provider therefore does not
/// summarise its anchor's tree, as in Placement.
fn summarise(
    snapshot: &Snapshot,
    requests: &[AllocationRequest],
    nested_aware: bool,
) -> std::collections::BTreeMap<crate::ids::Uuid, ProviderSummary> {
    let used: BTreeSet<_> = requests
        .iter()
        .flat_map(|r| r.allocations.keys().copied())
        .collect();
    let used_roots: BTreeSet<usize> = used
        .iter()
        .filter_map(|u| snapshot.find(u))
        .filter_map(|i| snapshot.node(i).map(|n| n.root))
        .collect();
    snapshot
        .nodes
        .iter()
        .filter(|node| {
            if nested_aware || !snapshot.has_trees() {
                used_roots.contains(&node.root)
            } else {
                used.contains(&node.uuid)
            }
        })
        .map(|node| {
            let summary = ProviderSummary {
                uuid: node.uuid,
                parent: node.parent.and_then(|p| snapshot.node(p)).map(|p| p.uuid),
                root: snapshot.node(node.root).map_or(node.uuid, |r| r.uuid),
                resources: node
                    .inventories
                    .iter()
                    .map(|(class, i)| {
                        (
                            class.clone(),
                            SummaryResource {
                                capacity: i.inventory.capacity_truncated(),
                                used: i.used,
                            },
                        )
                    })
                    .collect(),
                traits: node.traits.clone(),
            };
            (node.uuid, summary)
        })
        .collect()
}

#[cfg(test)]
mod tests;
