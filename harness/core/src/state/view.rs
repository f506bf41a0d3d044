//! The state model as the candidates engine sees it.
//!
//! Lives with the state rather than with the engine so that the engine
//! knows nothing of the store it searches; the server and the differential
//! tests run `GET /allocation_candidates` on a [`State`] through this.

use std::collections::{BTreeMap, BTreeSet};

use crate::candidates::{InventoryUse, ProviderView};
use crate::ids::Uuid;
use crate::names::{ResourceClass, TraitName};

use super::store::State;

impl ProviderView for State {
    fn provider_uuids(&self) -> Vec<Uuid> {
        self.providers().map(|p| p.uuid()).collect()
    }

    fn parent_of(&self, provider: Uuid) -> Option<Uuid> {
        self.provider(provider)?.parent()
    }

    fn root_of(&self, provider: Uuid) -> Option<Uuid> {
        self.provider(provider).map(|p| p.root())
    }

    fn inventories_of(&self, provider: Uuid) -> BTreeMap<ResourceClass, InventoryUse> {
        let Some(p) = self.provider(provider) else {
            return BTreeMap::new();
        };
        p.inventories()
            .iter()
            .map(|(class, inventory)| {
                let used = self.usage(provider, class);
                (
                    class.clone(),
                    InventoryUse {
                        inventory: *inventory,
                        used,
                    },
                )
            })
            .collect()
    }

    fn traits_of(&self, provider: Uuid) -> BTreeSet<TraitName> {
        self.provider(provider)
            .map(|p| p.traits().clone())
            .unwrap_or_default()
    }

    fn aggregates_of(&self, provider: Uuid) -> BTreeSet<Uuid> {
        self.provider(provider)
            .map(|p| p.aggregates().clone())
            .unwrap_or_default()
    }

    fn resource_class_exists(&self, class: &ResourceClass) -> bool {
        State::resource_class_exists(self, class)
    }

    fn trait_exists(&self, name: &TraitName) -> bool {
        State::trait_exists(self, name)
    }
}
