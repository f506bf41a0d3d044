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
//! In both cases the tree's root must satisfy `root_required`.

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
    let in_scope =
        |node: &Node| tree.is_none_or(|t| node.root == t) && (filters.admitted_roots)(node.root);
    if group.use_same_provider() || group.resources.is_empty() {
        single_provider(group, filters.snapshot, &in_scope)
    } else {
        spread_over_tree(group, filters.snapshot, &in_scope, budget)
    }
}

fn single_provider(
    group: &RequestGroup,
    snapshot: &Snapshot,
    in_scope: &dyn Fn(&Node) -> bool,
) -> Vec<GroupMatch> {
    snapshot
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, node)| {
            in_scope(node)
                && group
                    .resources
                    .iter()
                    .all(|(class, &amount)| node.fits(class, u64::from(amount)))
                && group.required.holds(&node.traits)
                && member_of_holds(&group.member_of, node)
        })
        .map(|(index, node)| GroupMatch {
            anchor: node.root,
            allocations: group
                .resources
                .iter()
                .map(|(class, &amount)| (index, class.clone(), amount))
                .collect(),
            providers: BTreeSet::from([index]),
        })
        .collect()
}

fn spread_over_tree(
    group: &RequestGroup,
    snapshot: &Snapshot,
    in_scope: &dyn Fn(&Node) -> bool,
    budget: &mut Budget,
) -> Vec<GroupMatch> {
    let mut out = Vec::new();
    let roots: BTreeSet<usize> = snapshot
        .nodes
        .iter()
        .filter(|n| in_scope(n))
        .map(|n| n.root)
        .collect();
    for root in roots {
        let Some(root_node) = snapshot.node(root) else {
            continue;
        };
        let aggregates_ok = |node: &Node| {
            let filter = &group.member_of;
            (filter.required_hold(&node.aggregates) || filter.required_hold(&root_node.aggregates))
                && filter.forbidden_hold(&node.aggregates)
                && filter.forbidden_hold(&root_node.aggregates)
        };
        // For each class, the providers of this tree that have room for it.
        let choices: Vec<(&ResourceClass, u32, Vec<usize>)> = group
            .resources
            .iter()
            .map(|(class, &amount)| {
                let providers = snapshot
                    .nodes
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| {
                        n.root == root
                            && in_scope(n)
                            && n.fits(class, u64::from(amount))
                            && aggregates_ok(n)
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
