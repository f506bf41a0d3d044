//! What the candidates engine needs to know about a store of providers.
//!
//! [`ProviderView`] is the engine's only window on providers, so the state
//! model, a test fixture or a snapshot taken from a real Placement can all
//! feed it. Methods return owned values: the engine reads each provider once
//! into its own snapshot, so a store is free to compute them on demand.
//! [`ProviderTable`] is the small in-memory implementation used by tests.

use std::collections::{BTreeMap, BTreeSet};

use crate::ids::Uuid;
use crate::inventory::Inventory;
use crate::names::{ResourceClass, TraitName};

/// One inventory as the engine sees it: the record and what is already used.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InventoryUse {
    /// The inventory record.
    pub inventory: Inventory,
    /// The sum of current allocations against it.
    pub used: u64,
}

/// A read-only view of providers, their trees, inventories, traits and aggregates.
pub trait ProviderView {
    /// Every provider's UUID, in any order.
    fn provider_uuids(&self) -> Vec<Uuid>;
    /// The parent of `provider`, `None` for a root or an unknown provider.
    fn parent_of(&self, provider: Uuid) -> Option<Uuid>;
    /// The root of `provider`'s tree, `None` for an unknown provider.
    fn root_of(&self, provider: Uuid) -> Option<Uuid>;
    /// `provider`'s inventories and their usage, by class.
    fn inventories_of(&self, provider: Uuid) -> BTreeMap<ResourceClass, InventoryUse>;
    /// `provider`'s traits.
    fn traits_of(&self, provider: Uuid) -> BTreeSet<TraitName>;
    /// The aggregates `provider` is in.
    fn aggregates_of(&self, provider: Uuid) -> BTreeSet<Uuid>;
    /// Whether the resource class exists (standard or created).
    fn resource_class_exists(&self, class: &ResourceClass) -> bool;
    /// Whether the trait exists (standard or created).
    fn trait_exists(&self, name: &TraitName) -> bool;
}

/// One provider of a [`ProviderTable`].
#[derive(Clone, Debug, PartialEq)]
pub struct ProviderInfo {
    /// Its UUID.
    pub uuid: Uuid,
    /// Its parent, `None` for a root.
    pub parent: Option<Uuid>,
    /// Inventories and usage by class.
    pub inventories: BTreeMap<ResourceClass, InventoryUse>,
    /// Traits.
    pub traits: BTreeSet<TraitName>,
    /// Aggregates.
    pub aggregates: BTreeSet<Uuid>,
}

impl ProviderInfo {
    /// A root provider with nothing on it.
    pub fn new(uuid: Uuid) -> Self {
        ProviderInfo {
            uuid,
            parent: None,
            inventories: BTreeMap::new(),
            traits: BTreeSet::new(),
            aggregates: BTreeSet::new(),
        }
    }
}

/// Longest parent chain [`ProviderTable`] follows; deeper (or cyclic) chains
/// stop there, so a malformed table cannot hang a lookup.
pub const MAX_TREE_DEPTH: usize = 64;

/// An in-memory [`ProviderView`]: providers by UUID plus the classes and
/// traits that exist. Every standard class and trait exists.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProviderTable {
    /// The providers.
    pub providers: BTreeMap<Uuid, ProviderInfo>,
    /// Custom resource classes that exist.
    pub custom_classes: BTreeSet<ResourceClass>,
    /// Custom traits that exist.
    pub custom_traits: BTreeSet<TraitName>,
}

impl ProviderTable {
    /// Adds (or replaces) a provider; custom classes and traits it uses are
    /// recorded as existing.
    pub fn insert(&mut self, provider: ProviderInfo) {
        for class in provider.inventories.keys() {
            if !class.is_standard() {
                self.custom_classes.insert(class.clone());
            }
        }
        for name in &provider.traits {
            if !name.is_standard() {
                self.custom_traits.insert(name.clone());
            }
        }
        self.providers.insert(provider.uuid, provider);
    }
}

impl ProviderView for ProviderTable {
    fn provider_uuids(&self) -> Vec<Uuid> {
        self.providers.keys().copied().collect()
    }

    fn parent_of(&self, provider: Uuid) -> Option<Uuid> {
        self.providers.get(&provider)?.parent
    }

    fn root_of(&self, provider: Uuid) -> Option<Uuid> {
        let mut current = self.providers.get(&provider)?;
        for _ in 0..MAX_TREE_DEPTH {
            match current.parent.and_then(|p| self.providers.get(&p)) {
                Some(parent) => current = parent,
                None => return Some(current.uuid),
            }
        }
        Some(current.uuid)
    }

    fn inventories_of(&self, provider: Uuid) -> BTreeMap<ResourceClass, InventoryUse> {
        self.providers
            .get(&provider)
            .map(|p| p.inventories.clone())
            .unwrap_or_default()
    }

    fn traits_of(&self, provider: Uuid) -> BTreeSet<TraitName> {
        self.providers
            .get(&provider)
            .map(|p| p.traits.clone())
            .unwrap_or_default()
    }

    fn aggregates_of(&self, provider: Uuid) -> BTreeSet<Uuid> {
        self.providers
            .get(&provider)
            .map(|p| p.aggregates.clone())
            .unwrap_or_default()
    }

    fn resource_class_exists(&self, class: &ResourceClass) -> bool {
        class.is_standard() || self.custom_classes.contains(class)
    }

    fn trait_exists(&self, name: &TraitName) -> bool {
        name.is_standard() || self.custom_traits.contains(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_follow_parents_and_survive_cycles() {
        let (a, b, c) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let mut table = ProviderTable::default();
        table.insert(ProviderInfo::new(a));
        table.insert(ProviderInfo {
            parent: Some(a),
            ..ProviderInfo::new(b)
        });
        assert_eq!(table.root_of(b), Some(a));
        assert_eq!(table.root_of(c), None);
        // A cycle (which the state model never builds) still terminates.
        table.insert(ProviderInfo {
            parent: Some(b),
            ..ProviderInfo::new(a)
        });
        assert!(table.root_of(b).is_some());
    }
}
