//! The engine's own copy of a [`ProviderView`], indexed for the search.
//!
//! Reading the view once gives the search a consistent picture (a store
//! changing underneath cannot produce a candidate from two states) and lets
//! it refer to providers by index. Providers are ordered by UUID, so every
//! iteration below is deterministic.

use std::collections::{BTreeMap, BTreeSet};

use crate::ids::Uuid;
use crate::names::{ResourceClass, TraitName};

use super::view::{InventoryUse, MAX_TREE_DEPTH, ProviderView};

/// One provider, as read from the view.
#[derive(Clone, Debug)]
pub struct Node {
    /// Its UUID.
    pub uuid: Uuid,
    /// Index of its parent, if the parent is known.
    pub parent: Option<usize>,
    /// Index of its root (itself for a root, or when the view names an
    /// unknown root).
    pub root: usize,
    /// Inventories and usage.
    pub inventories: BTreeMap<ResourceClass, InventoryUse>,
    /// Traits.
    pub traits: BTreeSet<TraitName>,
    /// Aggregates.
    pub aggregates: BTreeSet<Uuid>,
}

impl Node {
    /// Whether `amount` more of `class` can be allocated here on its own:
    /// the class is in stock, the amount respects min_unit, max_unit and
    /// step_size, and used + amount stays within capacity.
    pub fn fits(&self, class: &ResourceClass, amount: u64) -> bool {
        self.inventories.get(class).is_some_and(|i| {
            i.inventory.check_units(amount).is_ok()
                && i.inventory.fits(i.used.saturating_add(amount))
        })
    }
}

/// The trait that marks a provider whose inventory is shared with the trees
/// in its aggregates.
pub const SHARING_TRAIT: &str = "MISC_SHARES_VIA_AGGREGATE";

/// Every provider of a view, by index.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// Providers, sorted by UUID.
    pub nodes: Vec<Node>,
    index: BTreeMap<Uuid, usize>,
    /// For each sharing provider, the roots it can anchor to: the roots of
    /// every provider that shares an aggregate with it (Placement's
    /// `anchors_for_sharing_providers`; its own root is among them as soon
    /// as it is in any aggregate).
    sharing_anchors: BTreeMap<usize, BTreeSet<usize>>,
}

impl Snapshot {
    /// Reads every provider of `view`.
    pub fn read(view: &dyn ProviderView) -> Self {
        let mut uuids = view.provider_uuids();
        uuids.sort();
        uuids.dedup();
        let index: BTreeMap<Uuid, usize> = uuids.iter().enumerate().map(|(i, u)| (*u, i)).collect();
        let nodes = uuids
            .iter()
            .enumerate()
            .map(|(i, &uuid)| Node {
                uuid,
                parent: view.parent_of(uuid).and_then(|p| index.get(&p).copied()),
                root: view
                    .root_of(uuid)
                    .and_then(|r| index.get(&r).copied())
                    .unwrap_or(i),
                inventories: view.inventories_of(uuid),
                traits: view.traits_of(uuid),
                aggregates: view.aggregates_of(uuid),
            })
            .collect::<Vec<Node>>();
        let sharing_anchors = nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.traits.iter().any(|t| t.as_str() == SHARING_TRAIT))
            .map(|(i, sharing)| {
                let anchors = nodes
                    .iter()
                    .filter(|other| !other.aggregates.is_disjoint(&sharing.aggregates))
                    .map(|other| other.root)
                    .collect();
                (i, anchors)
            })
            .collect();
        Snapshot {
            nodes,
            index,
            sharing_anchors,
        }
    }

    /// The roots a sharing provider can anchor to (empty for any other provider).
    pub fn anchors_of_sharing(&self, index: usize) -> impl Iterator<Item = usize> + '_ {
        self.sharing_anchors
            .get(&index)
            .into_iter()
            .flatten()
            .copied()
    }

    /// Whether `index` is a sharing provider that can anchor to `root`.
    pub fn shares_with(&self, index: usize, root: usize) -> bool {
        self.sharing_anchors
            .get(&index)
            .is_some_and(|anchors| anchors.contains(&root))
    }

    /// The index of a provider.
    pub fn find(&self, uuid: &Uuid) -> Option<usize> {
        self.index.get(uuid).copied()
    }

    /// The provider at `index`.
    pub fn node(&self, index: usize) -> Option<&Node> {
        self.nodes.get(index)
    }

    /// `index` and its ancestors, nearest first, at most
    /// [`MAX_TREE_DEPTH`] of them (a cyclic view cannot loop).
    pub fn ancestors(&self, index: usize) -> Vec<usize> {
        let mut out = vec![index];
        let mut current = index;
        while out.len() < MAX_TREE_DEPTH {
            match self.node(current).and_then(|n| n.parent) {
                Some(parent) if !out.contains(&parent) => {
                    out.push(parent);
                    current = parent;
                }
                _ => break,
            }
        }
        out
    }

    /// Whether any provider has a parent.
    pub fn has_trees(&self) -> bool {
        self.nodes.iter().any(|n| n.parent.is_some())
    }
}
