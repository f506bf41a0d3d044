//! Inventories of a provider: create one, update one, replace all, delete
//! one, delete all (`handlers/inventory.py`, `objects/resource_provider.py`).
//!
//! Every successful write bumps the provider's generation once, whether or
//! not anything changed. Removing an inventory that allocations use is
//! refused; shrinking one below its usage is not (Placement logs a warning),
//! see [`Quirk::InventoryMayShrinkBelowUsage`](super::quirks::Quirk::InventoryMayShrinkBelowUsage).

use std::collections::BTreeMap;

use crate::error::Excerpt;
use crate::ids::Uuid;
use crate::inventory::{CapacityRule, Inventory};
use crate::microversion::Microversion;
use crate::names::ResourceClass;
use crate::outcome::Status;

use super::ops::Applied;
use super::refusal::Refusal;
use super::store::{State, bumped};

/// The reserved-versus-total rule of the inventory routes at a microversion.
pub fn capacity_rule(microversion: Microversion) -> CapacityRule {
    if microversion.at_least(Microversion::v1(26)) {
        CapacityRule::ReservedUpToTotal
    } else {
        CapacityRule::ReservedBelowTotal
    }
}

fn excerpt(class: &ResourceClass) -> Excerpt {
    Excerpt::of(class.as_str())
}

impl State {
    fn check_capacity_rule(
        microversion: Microversion,
        class: &ResourceClass,
        inventory: &Inventory,
    ) -> Result<(), Refusal> {
        if inventory.capacity_ok(capacity_rule(microversion)) {
            Ok(())
        } else {
            Err(Refusal::InventoryCapacity(excerpt(class)))
        }
    }

    fn check_generation(&self, provider: Uuid, sent: u32) -> Result<u32, Refusal> {
        let current = self.existing_provider(provider)?.generation;
        if current != sent {
            return Err(Refusal::ProviderGenerationConflict {
                provider,
                current,
                sent,
            });
        }
        Ok(current)
    }

    /// The classes among `classes` that allocations on `provider` use.
    pub(super) fn classes_in_use<'a>(
        &self,
        provider: Uuid,
        classes: impl Iterator<Item = &'a ResourceClass>,
    ) -> Vec<&'a ResourceClass> {
        classes.filter(|rc| self.usage(provider, rc) > 0).collect()
    }

    fn set_generation_and<F>(&mut self, provider: Uuid, change: F) -> Result<(), Refusal>
    where
        F: FnOnce(&mut BTreeMap<ResourceClass, Inventory>),
    {
        let p = self
            .providers
            .get_mut(&provider)
            .ok_or(Refusal::ProviderNotFound(provider))?;
        p.generation = bumped(p.generation, 1)?;
        change(&mut p.inventories);
        Ok(())
    }

    /// `POST /resource_providers/{u}/inventories`: the body's generation is
    /// never compared ([`Quirk::PostInventoryIgnoresGeneration`](super::quirks::Quirk::PostInventoryIgnoresGeneration)).
    pub(super) fn create_inventory(
        &mut self,
        microversion: Microversion,
        provider: Uuid,
        class: &ResourceClass,
        inventory: &Inventory,
    ) -> Result<Applied, Refusal> {
        let p = self.existing_provider(provider)?;
        Self::check_capacity_rule(microversion, class, inventory)?;
        if !self.resource_class_exists(class) {
            return Err(Refusal::UnknownResourceClass(excerpt(class)));
        }
        if p.inventories.contains_key(class) {
            return Err(Refusal::InventoryExists(excerpt(class)));
        }
        self.set_generation_and(provider, |inv| {
            inv.insert(class.clone(), *inventory);
        })?;
        Ok(Applied::new(Status::Created))
    }

    /// `PUT /resource_providers/{u}/inventories/{rc}`.
    pub(super) fn update_inventory(
        &mut self,
        microversion: Microversion,
        provider: Uuid,
        class: &ResourceClass,
        generation: u32,
        inventory: &Inventory,
    ) -> Result<Applied, Refusal> {
        self.check_generation(provider, generation)?;
        Self::check_capacity_rule(microversion, class, inventory)?;
        // The class is looked up outside the handler's except clauses, so an
        // unknown one surfaces as the generic NotFound -> 404.
        if !self.resource_class_exists(class) {
            return Err(Refusal::ResourceClassNotFound(excerpt(class)));
        }
        if self.existing_provider(provider)?.inventory(class).is_none() {
            return Err(Refusal::NoInventoryToUpdate(excerpt(class)));
        }
        self.set_generation_and(provider, |inv| {
            inv.insert(class.clone(), *inventory);
        })?;
        Ok(Applied::new(Status::Ok))
    }

    /// `PUT /resource_providers/{u}/inventories`.
    pub(super) fn set_inventories(
        &mut self,
        microversion: Microversion,
        provider: Uuid,
        generation: u32,
        inventories: &BTreeMap<ResourceClass, Inventory>,
    ) -> Result<Applied, Refusal> {
        self.check_generation(provider, generation)?;
        for (class, inventory) in inventories {
            Self::check_capacity_rule(microversion, class, inventory)?;
        }
        self.replace_inventories(provider, inventories)?;
        Ok(Applied::new(Status::Ok))
    }

    /// `_set_inventory`: unknown classes, then classes in use among those
    /// removed; bumps the generation.
    pub(super) fn replace_inventories(
        &mut self,
        provider: Uuid,
        inventories: &BTreeMap<ResourceClass, Inventory>,
    ) -> Result<(), Refusal> {
        if let Some(unknown) = inventories
            .keys()
            .find(|rc| !self.resource_class_exists(rc))
        {
            return Err(Refusal::UnknownResourceClass(excerpt(unknown)));
        }
        let current = self.existing_provider(provider)?;
        let removed = current
            .inventories
            .keys()
            .filter(|rc| !inventories.contains_key(*rc));
        if let Some(first) = self.classes_in_use(provider, removed).first() {
            return Err(Refusal::InventoryInUse(excerpt(first)));
        }
        self.set_generation_and(provider, |inv| *inv = inventories.clone())
    }

    /// `DELETE /resource_providers/{u}/inventories/{rc}`: no generation.
    pub(super) fn delete_inventory(
        &mut self,
        provider: Uuid,
        class: &ResourceClass,
    ) -> Result<Applied, Refusal> {
        let p = self.existing_provider(provider)?;
        // An unknown class is a NotFound the handler turns into 404.
        if !self.resource_class_exists(class) {
            return Err(Refusal::ResourceClassNotFound(excerpt(class)));
        }
        let has = p.inventory(class).is_some();
        if self.usage(provider, class) > 0 {
            return Err(Refusal::InventoryInUseOnDelete(excerpt(class)));
        }
        if !has {
            return Err(Refusal::NoInventoryToDelete(excerpt(class)));
        }
        self.set_generation_and(provider, |inv| {
            inv.remove(class);
        })?;
        Ok(Applied::new(Status::NoContent))
    }

    /// `DELETE /resource_providers/{u}/inventories` (1.5+): no generation;
    /// bumps it even when there was nothing to delete.
    pub(super) fn delete_inventories(&mut self, provider: Uuid) -> Result<Applied, Refusal> {
        self.replace_inventories(provider, &BTreeMap::new())?;
        Ok(Applied::new(Status::NoContent))
    }
}
