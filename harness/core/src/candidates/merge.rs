//! Combining one match per group into whole candidates.
//!
//! From `objects/allocation_candidate.py` `_merge_candidates`: matches are
//! bucketed by the tree they are anchored in; within a tree, every
//! combination of one match per group is a candidate if it passes
//! `group_policy=isolate` (the suffixed groups use pairwise different
//! providers), each `same_subtree` set (the providers of the named groups
//! all sit under one of them), and the final capacity check on the summed
//! amounts (two groups may take the same class from the same provider).
//! Sums are built fresh for every combination. Placement sums into the
//! first group's `AllocationRequestResource` in place unless
//! `group_policy=none` (`research_context.py:342`,
//! `allocation_candidate.py:688`), so with the policy omitted or `isolate`
//! and one class asked by the unsuffixed group and a granular group on one
//! provider, later combinations start from an already increased amount
//! (confirmed by calling Placement 16.0.0's `_consolidate_allocation_requests`
//! three times on the same pair: it answers 2, 3, then 4). The core does
//! not reproduce that.
//! Before microversion 1.29 a candidate may use only one provider per tree
//! (`exclude_nested_providers`).

use std::collections::{BTreeMap, BTreeSet};

use crate::ids::Uuid;
use crate::names::ResourceClass;
use crate::query::{CandidatesQuery, GroupPolicy, Suffix};

use super::budget::Budget;
use super::group_match::GroupMatch;
use super::output::AllocationRequest;
use super::product::for_each_combination;
use super::snapshot::Snapshot;

/// Every candidate of `query`, given each group's matches (in the order of
/// `query.groups`), sorted and without duplicates.
///
/// Two candidates that differ only in their anchor are one candidate, as in
/// Placement (`AllocationRequest.__eq__` compares resources and mappings);
/// the core keeps the anchor with the smallest UUID.
pub fn merge(
    query: &CandidatesQuery,
    matches: &[Vec<GroupMatch>],
    snapshot: &Snapshot,
    budget: &mut Budget,
) -> Vec<AllocationRequest> {
    let mut by_anchor: BTreeMap<usize, Vec<Vec<&GroupMatch>>> = BTreeMap::new();
    for (position, group_matches) in matches.iter().enumerate() {
        for m in group_matches {
            let slots = by_anchor
                .entry(m.anchor)
                .or_insert_with(|| vec![Vec::new(); matches.len()]);
            if let Some(slot) = slots.get_mut(position) {
                slot.push(m);
            }
        }
    }
    let mut out: BTreeMap<(Allocations, Mappings), Uuid> = BTreeMap::new();
    for (anchor, slots) in by_anchor {
        let lengths: Vec<usize> = slots.iter().map(Vec::len).collect();
        for_each_combination(&lengths, budget, |choice| {
            let picked: Vec<&GroupMatch> = slots
                .iter()
                .zip(choice)
                .filter_map(|(slot, &i)| slot.get(i).copied())
                .collect();
            if let Some(request) = candidate(query, &picked, anchor, snapshot) {
                out.entry((request.allocations, request.mappings))
                    .or_insert(request.anchor);
            }
        });
    }
    out.into_iter()
        .map(|((allocations, mappings), anchor)| AllocationRequest {
            allocations,
            mappings,
            anchor,
        })
        .collect()
}

type Allocations = BTreeMap<Uuid, BTreeMap<ResourceClass, u64>>;
type Mappings = BTreeMap<Suffix, BTreeSet<Uuid>>;

fn candidate(
    query: &CandidatesQuery,
    picked: &[&GroupMatch],
    anchor: usize,
    snapshot: &Snapshot,
) -> Option<AllocationRequest> {
    let suffixes: Vec<&Suffix> = query.groups.iter().map(|g| &g.suffix).collect();
    if query.group_policy == Some(GroupPolicy::Isolate) {
        let granular: Vec<&GroupMatch> = picked
            .iter()
            .zip(&suffixes)
            .filter(|(_, s)| !s.is_unsuffixed())
            .map(|(m, _)| *m)
            .collect();
        let distinct: BTreeSet<usize> = granular
            .iter()
            .flat_map(|m| m.providers.iter().copied())
            .collect();
        if distinct.len() != granular.len() {
            return None;
        }
    }
    for set in &query.same_subtree {
        let providers: BTreeSet<usize> = picked
            .iter()
            .zip(&suffixes)
            .filter(|(_, s)| set.contains(**s))
            .flat_map(|(m, _)| m.providers.iter().copied())
            .collect();
        if !same_subtree(&providers, snapshot) {
            return None;
        }
    }
    let mut sums: BTreeMap<(usize, ResourceClass), u64> = BTreeMap::new();
    for m in picked {
        for (provider, class, amount) in &m.allocations {
            let sum = sums.entry((*provider, class.clone())).or_insert(0);
            *sum = sum.saturating_add(u64::from(*amount));
        }
    }
    for ((provider, class), amount) in &sums {
        let inventory = snapshot.node(*provider)?.inventories.get(class)?;
        if !inventory
            .inventory
            .fits(inventory.used.saturating_add(*amount))
            || *amount > u64::from(inventory.inventory.max_unit())
        {
            return None;
        }
    }
    if !query.nested_aware() && snapshot.has_trees() {
        // exclude_nested_providers: at most one provider per tree.
        let used: BTreeSet<usize> = sums.keys().map(|(p, _)| *p).collect();
        let roots: BTreeSet<usize> = used
            .iter()
            .filter_map(|&p| snapshot.node(p).map(|n| n.root))
            .collect();
        if roots.len() != used.len() {
            return None;
        }
    }
    let mut allocations: BTreeMap<_, BTreeMap<ResourceClass, u64>> = BTreeMap::new();
    for ((provider, class), amount) in sums {
        let uuid = snapshot.node(provider)?.uuid;
        allocations.entry(uuid).or_default().insert(class, amount);
    }
    let mut mappings: BTreeMap<Suffix, BTreeSet<_>> = BTreeMap::new();
    for (m, suffix) in picked.iter().zip(&suffixes) {
        let entry = mappings.entry((*suffix).clone()).or_default();
        for &p in &m.providers {
            entry.insert(snapshot.node(p)?.uuid);
        }
    }
    Some(AllocationRequest {
        allocations,
        mappings,
        anchor: snapshot.node(anchor)?.uuid,
    })
}

/// `_check_same_subtree`: one of the providers is an ancestor (or itself)
/// of all the others.
fn same_subtree(providers: &BTreeSet<usize>, snapshot: &Snapshot) -> bool {
    if providers.len() <= 1 {
        return true;
    }
    let mut common: Option<BTreeSet<usize>> = None;
    for &p in providers {
        let ancestors: BTreeSet<usize> = snapshot.ancestors(p).into_iter().collect();
        common = Some(match common {
            None => ancestors,
            Some(c) => c.intersection(&ancestors).copied().collect(),
        });
    }
    common.is_some_and(|c| c.iter().any(|a| providers.contains(a)))
}
