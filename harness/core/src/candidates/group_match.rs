//! The ways one request group can be satisfied, each on its own.
//!
//! From `objects/research_context.py` and `objects/allocation_candidate.py`:
//! - a suffixed group needs one provider that has room for every class it
//!   asks for, has its traits, is in its aggregates (the provider itself),
//!   and sits in its `in_tree` tree; a resourceless group (1.36) needs only
//!   the traits, aggregates and tree;
//! - the unsuffixed group may take each class from a different provider of
//!   one tree: every combination of fitting providers (one per class) is a
//!   match if the providers *together* have the required traits and none of
//!   them has a forbidden one; aggregates are checked per provider, where
//!   "in the aggregate" means the provider or its root is
//!   (`filter_by_rp_or_tree`), and "not in" means neither is.
//!
//! In both cases the anchor root must satisfy `root_required`.
//!
//! A sharing provider (trait `MISC_SHARES_VIA_AGGREGATE`) also serves the
//! trees that share one of its aggregates: a suffixed group's match on it is
//! repeated for each such anchor, and the unsuffixed group may take a class
//! from it for any such anchor, unless `in_tree` is given (Placement skips
//! sharing providers then, `get_trees_matching_all`).

use std::collections::BTreeSet;

use crate::names::ResourceClass;
use crate::query::{MemberOf, RequestGroup};

use super::budget::Budget;
use super::product::for_each_combination;
use super::snapshot::{Node, Snapshot};

/// One way to satisfy one group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupMatch {
    /// The root of the tree the match is in (index into the snapshot).
    pub anchor: usize,
    /// Provider index, class and amount for each class the group asks for.
    pub allocations: Vec<(usize, ResourceClass, u32)>,
    /// The providers the group maps to (for `mappings`).
    pub providers: BTreeSet<usize>,
}

/// Everything the search needs that is the same for every group.
pub struct Filters<'a> {
    /// The providers.
    pub snapshot: &'a Snapshot,
    /// Which roots `root_required` admits, by index.
    pub admitted_roots: &'a dyn Fn(usize) -> bool,
}

fn member_of_holds(filter: &MemberOf, node: &Node) -> bool {
    filter.required_hold(&node.aggregates) && filter.forbidden_hold(&node.aggregates)
}

/// The tree (root index) `in_tree` restricts the group to: `Ok(None)` when
/// there is no restriction, `Err(())` when it names an unknown provider
/// (Placement then finds no candidates at all).
fn tree_restriction(group: &RequestGroup, snapshot: &Snapshot) -> Result<Option<usize>, ()> {
    match group.in_tree {
        None => Ok(None),
        Some(uuid) => {
            let index = snapshot.find(&uuid).ok_or(())?;
            snapshot.node(index).map(|n| Some(n.root)).ok_or(())
        }
    }
}

/// Every match of `group`, in provider order.
pub fn matches(
    group: &RequestGroup,
    filters: &Filters<'_>,
    budget: &mut Budget,
) -> Vec<GroupMatch> {
    let Ok(tree) = tree_restriction(group, filters.snapshot) else {
        return Vec::new();
    };
    if group.use_same_provider() || group.resources.is_empty() {
        single_provider(group, filters, tree, budget)
    } else {
        spread_over_tree(group, filters, tree, budget)
    }
}

/// `_alloc_candidates_single_provider`: one provider with everything; a
/// sharing provider also anchors the match to every tree it shares with.
fn single_provider(
    group: &RequestGroup,
    filters: &Filters<'_>,
    tree: Option<usize>,
    budget: &mut Budget,
) -> Vec<GroupMatch> {
    let snapshot = filters.snapshot;
    if group.resources.is_empty()
        && group.required.all_of.is_empty()
        && group.member_of.any_of.is_empty()
    {
        // research_context.py get_provider_ids_matching: with no resources
        // and no positive trait or aggregate filter, the "no filtering"
        // empty set is intersected with nothing and matches no provider.
        // A resourceless group of only forbidden traits, forbidden
        // aggregates or in_tree therefore finds nothing in Placement.
        return Vec::new();
    }
    let mut out = Vec::new();
    for (index, node) in snapshot.nodes.iter().enumerate() {
        let fits = tree.is_none_or(|t| node.root == t)
            && group
                .resources
                .iter()
                .all(|(class, &amount)| node.fits(class, u64::from(amount)))
            && group.required.holds(&node.traits)
            && member_of_holds(&group.member_of, node);
        if !fits {
            continue;
        }
        let allocations: Vec<(usize, ResourceClass, u32)> = group
            .resources
            .iter()
            .map(|(class, &amount)| (index, class.clone(), amount))
            .collect();
        let own = std::iter::once(node.root);
        let shared = snapshot
            .anchors_of_sharing(index)
            .filter(|&a| a != node.root);
        for anchor in own.chain(shared) {
            // A sharing provider multiplies matches by its anchors: count them.
            if (filters.admitted_roots)(anchor) && budget.spend() {
                out.push(GroupMatch {
                    anchor,
                    allocations: allocations.clone(),
                    providers: BTreeSet::from([index]),
                });
            }
        }
    }
    out
}

/// `_alloc_candidates_multiple_providers`: per anchor tree, one provider per
/// class from the tree or (without `in_tree`) from a sharing provider that
/// shares with it.
fn spread_over_tree(
    group: &RequestGroup,
    filters: &Filters<'_>,
    tree: Option<usize>,
    budget: &mut Budget,
) -> Vec<GroupMatch> {
    let snapshot = filters.snapshot;
    let mut out = Vec::new();
    let roots: BTreeSet<usize> = snapshot
        .nodes
        .iter()
        .map(|n| n.root)
        .filter(|&r| tree.is_none_or(|t| r == t) && (filters.admitted_roots)(r))
        .collect();
    for root in roots {
        let Some(root_node) = snapshot.node(root) else {
            continue;
        };
        // filter_by_rp_or_tree / filter_by_rp_nor_tree, with the anchor as "tree".
        let aggregates_ok = |node: &Node| {
            let filter = &group.member_of;
            (filter.required_hold(&node.aggregates) || filter.required_hold(&root_node.aggregates))
                && filter.forbidden_hold(&node.aggregates)
                && filter.forbidden_hold(&root_node.aggregates)
        };
        let eligible = |index: usize, node: &Node| {
            node.root == root || (tree.is_none() && snapshot.shares_with(index, root))
        };
        // For each class, the providers that have room for it.
        let choices: Vec<(&ResourceClass, u32, Vec<usize>)> = group
            .resources
            .iter()
            .map(|(class, &amount)| {
                let providers = snapshot
                    .nodes
                    .iter()
                    .enumerate()
                    .filter(|(i, n)| {
                        eligible(*i, n) && n.fits(class, u64::from(amount)) && aggregates_ok(n)
                    })
                    .map(|(i, _)| i)
                    .collect();
                (class, amount, providers)
            })
            .collect();
        let lengths: Vec<usize> = choices.iter().map(|(_, _, p)| p.len()).collect();
        for_each_combination(&lengths, budget, |choice| {
            let mut allocations = Vec::with_capacity(choice.len());
            for ((class, amount, providers), &pick) in choices.iter().zip(choice) {
                if let Some(&provider) = providers.get(pick) {
                    allocations.push((provider, (*class).clone(), *amount));
                }
            }
            let providers: BTreeSet<usize> = allocations.iter().map(|(p, _, _)| *p).collect();
            let mut traits = BTreeSet::new();
            for node in providers.iter().filter_map(|&p| snapshot.node(p)) {
                if !group.required.forbidden_hold(&node.traits) {
                    return;
                }
                traits.extend(node.traits.iter().cloned());
            }
            if group.required.required_hold(&traits) {
                out.push(GroupMatch {
                    anchor: root,
                    allocations,
                    providers,
                });
            }
        });
    }
    out
}
