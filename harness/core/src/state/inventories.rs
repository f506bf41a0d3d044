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

fn excerpt(class: &ResourceClass) -> Excerpt {
    Excerpt::of(class.as_str())
}

impl State {
    fn check_capacity_rule(
        microversion: Microversion,
        class: &ResourceClass,
        inventory: &Inventory,
    ) -> Result<(), Refusal> {
        if inventory.capacity_ok(CapacityRule::at(microversion)) {
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
        let generation = bumped(self.existing_provider(provider)?.generation, 1)?;
        let p = self
            .provider_mut(provider)
            .ok_or(Refusal::ProviderNotFound(provider))?;
        p.generation = generation;
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

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::super::ops::Op;
    use super::*;
    use crate::outcome::ErrorCode;

    fn create(
        s: &mut State,
        minor: u16,
        class: &str,
        inventory: Inventory,
        generation: u32,
    ) -> Result<Applied, Refusal> {
        s.apply_detailed(&Op::CreateInventory {
            microversion: mv(minor),
            provider: u(1),
            class: rc(class),
            generation,
            inventory,
        })
    }

    fn update(
        s: &mut State,
        minor: u16,
        class: &str,
        inventory: Inventory,
    ) -> Result<Applied, Refusal> {
        let generation = generation(s, 1);
        s.apply_detailed(&Op::UpdateInventory {
            microversion: mv(minor),
            provider: u(1),
            class: rc(class),
            generation,
            inventory,
        })
    }

    fn delete(s: &mut State, class: &str) -> Result<Applied, Refusal> {
        s.apply_detailed(&Op::DeleteInventory {
            provider: u(1),
            class: rc(class),
        })
    }

    #[test]
    fn post_ignores_the_generation_it_is_sent() {
        // handlers/inventory.py create_inventory never compares it.
        let mut s = providers(1, &[]);
        let applied = create(&mut s, 39, "VCPU", inv(4), 12345).unwrap();
        assert_eq!(applied.status, Status::Created);
        assert_eq!(generation(&s, 1), 2);
        let dup = create(&mut s, 39, "VCPU", inv(4), 2).unwrap_err();
        assert_eq!(dup.code(), ErrorCode::ConcurrentUpdate);
        let unknown = create(&mut s, 39, "CUSTOM_NOPE", inv(4), 2).unwrap_err();
        assert_eq!(unknown.status(), Status::BadRequest);
    }

    #[test]
    fn reserved_may_equal_total_from_1_26() {
        // gabbits/inventory.yaml: reserved == total is a 200 from 1.26.
        let full = Inventory::new(4, 4, 1, 4, 1, 1.0).unwrap();
        let mut s = providers(1, &[]);
        assert_eq!(
            create(&mut s, 25, "VCPU", full, 0),
            Err(Refusal::InventoryCapacity(Excerpt::of("VCPU")))
        );
        create(&mut s, 26, "VCPU", full, 0).unwrap();
    }

    #[test]
    fn update_checks_generation_then_capacity_then_class() {
        let mut s = providers(1, &[("VCPU", inv(8))]);
        let stale = s
            .apply_detailed(&Op::UpdateInventory {
                microversion: mv(39),
                provider: u(1),
                class: rc("VCPU"),
                generation: 0,
                inventory: inv(8),
            })
            .unwrap_err();
        assert_eq!(stale.code(), ErrorCode::ConcurrentUpdate);
        assert_eq!(
            update(&mut s, 39, "CUSTOM_NOPE", inv(1))
                .unwrap_err()
                .status(),
            Status::NotFound
        );
        assert_eq!(
            update(&mut s, 39, "DISK_GB", inv(1)),
            Err(Refusal::NoInventoryToUpdate(Excerpt::of("DISK_GB")))
        );
        put(&mut s, 1, &[(1, "VCPU", 6)]).unwrap();
        // Below usage is allowed: objects/resource_provider.py only logs it.
        update(&mut s, 39, "VCPU", inv(2)).unwrap();
        assert!(s.over_capacity(u(1), &rc("VCPU")));
    }

    #[test]
    fn set_refuses_to_drop_classes_in_use_and_always_bumps() {
        let mut s = providers(1, &[("VCPU", inv(8)), ("DISK_GB", inv(8))]);
        let g = generation(&s, 1);
        set_inventories(&mut s, 1, &[("VCPU", inv(8)), ("DISK_GB", inv(8))]).unwrap();
        assert_eq!(generation(&s, 1), g + 1);
        put(&mut s, 1, &[(1, "VCPU", 1)]).unwrap();
        let e = set_inventories(&mut s, 1, &[("DISK_GB", inv(8))]).unwrap_err();
        assert_eq!(
            (e.status(), e.code()),
            (Status::Conflict, ErrorCode::InventoryInUse)
        );
        let all = s
            .apply_detailed(&Op::DeleteInventories { provider: u(1) })
            .unwrap_err();
        assert_eq!(all.code(), ErrorCode::InventoryInUse);
    }

    #[test]
    fn deleting_one_inventory_in_use_is_a_concurrent_update() {
        // handlers/inventory.py delete_inventory catches InventoryInUse with
        // ConcurrentUpdateDetected and gives both the same code.
        let mut s = providers(1, &[("VCPU", inv(8)), ("DISK_GB", inv(8))]);
        put(&mut s, 1, &[(1, "VCPU", 1)]).unwrap();
        let e = delete(&mut s, "VCPU").unwrap_err();
        assert_eq!(e.code(), ErrorCode::ConcurrentUpdate);
        assert_eq!(
            delete(&mut s, "MEMORY_MB").unwrap_err().status(),
            Status::NotFound
        );
        assert_eq!(
            delete(&mut s, "CUSTOM_NOPE").unwrap_err().status(),
            Status::NotFound
        );
        let g = generation(&s, 1);
        assert_eq!(delete(&mut s, "DISK_GB").unwrap().status, Status::NoContent);
        assert_eq!(generation(&s, 1), g + 1);
    }

    #[test]
    fn deleting_no_inventories_still_bumps() {
        let mut s = providers(1, &[]);
        let g = generation(&s, 1);
        s.apply_detailed(&Op::DeleteInventories { provider: u(1) })
            .unwrap();
        assert_eq!(generation(&s, 1), g + 1);
    }
}
