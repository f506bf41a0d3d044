//! Writing and deleting allocations: `PUT /allocations/{c}`,
//! `POST /allocations`, `DELETE /allocations/{c}`, and the allocation half of
//! `POST /reshaper`.
//!
//! The steps and their order follow `handlers/allocation.py` and
//! `objects/allocation.py` (`_set_allocations`, `_check_capacity_exceeded`):
//!
//! 1. every consumer is looked up or created, and its generation compared
//!    (1.28+); a mismatch refuses the whole request with nothing left behind;
//! 2. every provider named must exist, else 400, and here Placement leaves
//!    the consumers it created in step 1 behind
//!    ([`Quirk::GhostConsumerAfterMissingProvider`]; a state made with
//!    [`RefusedWrites::ChangeNothing`] keeps nothing);
//! 3. the consumers' current allocations are set aside; an empty write wipes
//!    a consumer (its old allocations are written with amount 0);
//! 4. every class must exist (400); every provider named must have inventory
//!    of at least one class in the request, every positive amount needs an
//!    inventory of its class, must respect min_unit, max_unit and step_size,
//!    and must fit: `used + requested <= (total - reserved) * ratio`, unless
//!    the provider was already over and the write does not make it worse
//!    (`used + requested <= previous usage`), all 409;
//! 5. providers and consumers named in the write are bumped once each;
//!    consumers left without allocations are deleted.
//!
//! [`Quirk::GhostConsumerAfterMissingProvider`]: super::quirks::Quirk::GhostConsumerAfterMissingProvider

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::error::Excerpt;
use crate::ids::Uuid;
use crate::inventory::{Inventory, MAX_INT};
use crate::microversion::Microversion;
use crate::names::{ConsumerType, ExternalId, ResourceClass};
use crate::outcome::Status;

use super::consumers::Consumer;
use super::ops::Applied;
use super::refusal::Refusal;
use super::store::{RefusedWrites, State, bumped};

/// Amounts by resource class.
pub type Resources = BTreeMap<ResourceClass, u32>;

/// Allocations of one consumer: provider -> class -> amount.
pub type AllocationMap = BTreeMap<Uuid, Resources>;

/// What a client writes for one consumer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsumerWrite {
    /// The new allocations; empty means "remove them all".
    pub allocations: AllocationMap,
    /// The project (before 1.8 the body layer supplies Placement's
    /// `incomplete_consumer_project_id`).
    pub project: ExternalId,
    /// The user (likewise `incomplete_consumer_user_id` before 1.8).
    pub user: ExternalId,
    /// The consumer type (1.38+; ignored before).
    pub consumer_type: Option<ConsumerType>,
    /// The consumer generation the client expects (1.28+; `None` for "new
    /// consumer"; ignored before 1.28).
    pub generation: Option<u32>,
}

/// A refused write, and the consumer records Placement leaves behind anyway.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Refused {
    pub(super) refusal: Refusal,
    pub(super) ghosts: Vec<Consumer>,
}

impl From<Refusal> for Refused {
    fn from(refusal: Refusal) -> Self {
        Refused {
            refusal,
            ghosts: Vec::new(),
        }
    }
}

/// What a checked write will change.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct AllocationPlan {
    records: BTreeMap<Uuid, Consumer>,
    new_allocations: BTreeMap<Uuid, AllocationMap>,
    deleted: BTreeSet<Uuid>,
    bumped_providers: BTreeSet<Uuid>,
}

/// Inventories as a write sees them: the state's, or a reshape's interim ones.
pub(super) type InventoryOverride = BTreeMap<Uuid, BTreeMap<ResourceClass, Inventory>>;

impl State {
    /// Checks a write of allocations for several consumers at once.
    pub(super) fn plan_allocations(
        &self,
        microversion: Microversion,
        writes: &BTreeMap<Uuid, ConsumerWrite>,
        interim: &InventoryOverride,
    ) -> Result<AllocationPlan, Refused> {
        let in_range = |a: &u32| (1..=MAX_INT).contains(a);
        if writes
            .values()
            .flat_map(|w| w.allocations.values())
            .flat_map(|r| r.values())
            .any(|a| !in_range(a))
        {
            return Err(Refusal::AmountOutOfRange.into());
        }
        let records = self.ensure_consumers(microversion, writes)?;

        for write in writes.values() {
            if let Some(missing) = write
                .allocations
                .keys()
                .find(|p| !self.providers.contains_key(p))
            {
                let ghosts = records
                    .iter()
                    .filter(|(c, _)| !self.consumers.contains_key(c))
                    .map(|(_, r)| r.clone())
                    .collect();
                return Err(Refused {
                    refusal: Refusal::AllocationProviderNotFound(*missing),
                    ghosts,
                });
            }
        }

        // (consumer, provider, class, amount); amount 0 wipes.
        let mut entries: Vec<(Uuid, Uuid, &ResourceClass, u32)> = Vec::new();
        for (consumer, write) in writes {
            if write.allocations.is_empty() {
                for (p, resources) in self.allocations.get(consumer).into_iter().flatten() {
                    entries.extend(resources.keys().map(|rc| (*consumer, *p, rc, 0)));
                }
            } else {
                for (p, resources) in &write.allocations {
                    entries.extend(resources.iter().map(|(rc, a)| (*consumer, *p, rc, *a)));
                }
            }
        }
        if let Some((_, _, rc, _)) = entries
            .iter()
            .find(|(_, _, rc, _)| !self.resource_class_exists(rc))
        {
            return Err(Refusal::UnknownResourceClass(Excerpt::of(rc.as_str())).into());
        }

        let inventory = |p: Uuid, rc: &ResourceClass| -> Option<Inventory> {
            match interim.get(&p) {
                Some(map) => map.get(rc).copied(),
                None => self.provider(p).and_then(|x| x.inventory(rc)).copied(),
            }
        };
        let classes: BTreeSet<&ResourceClass> = entries.iter().map(|e| e.2).collect();
        let providers: BTreeSet<Uuid> = entries.iter().map(|e| e.1).collect();
        if let Some(p) = providers
            .iter()
            .find(|p| !classes.iter().any(|rc| inventory(**p, rc).is_some()))
        {
            return Err(Refusal::ProviderWithoutInventory(*p).into());
        }

        let mut requested: BTreeMap<(Uuid, &ResourceClass), u64> = BTreeMap::new();
        for (_, p, rc, a) in &entries {
            let sum = requested.entry((*p, *rc)).or_insert(0);
            *sum = sum.saturating_add(u64::from(*a));
        }
        let mut released: BTreeMap<(Uuid, &ResourceClass), u64> = BTreeMap::new();
        for consumer in writes.keys() {
            for (p, resources) in self.allocations.get(consumer).into_iter().flatten() {
                for (rc, a) in resources {
                    let sum = released.entry((*p, rc)).or_insert(0);
                    *sum = sum.saturating_add(u64::from(*a));
                }
            }
        }
        for (_, p, rc, a) in &entries {
            if *a == 0 {
                continue;
            }
            let class = || Excerpt::of(rc.as_str());
            let inv = inventory(*p, rc).ok_or_else(|| Refusal::NoInventoryForAllocation {
                provider: *p,
                class: class(),
            })?;
            if inv.check_units(u64::from(*a)).is_err() {
                return Err(Refusal::UnitConstraint {
                    provider: *p,
                    class: class(),
                }
                .into());
            }
            let previous = self.usage(*p, rc);
            let used = previous.saturating_sub(released.get(&(*p, *rc)).copied().unwrap_or(0));
            let after = used.saturating_add(requested.get(&(*p, *rc)).copied().unwrap_or(0));
            // An over-capacity write is allowed if it does not make an
            // existing usage worse (objects/allocation.py
            // _check_capacity_exceeded); "existing" means some usage before.
            let no_worse = previous > 0 && after <= previous;
            if !inv.fits(after) && !no_worse {
                return Err(Refusal::CapacityExceeded {
                    provider: *p,
                    class: class(),
                }
                .into());
            }
        }

        for p in &providers {
            bumped(self.provider(*p).map_or(0, |x| x.generation), 1)?;
        }
        let visited: BTreeSet<Uuid> = entries.iter().map(|e| e.0).collect();
        let mut records = records;
        let mut new_allocations = BTreeMap::new();
        let mut deleted = BTreeSet::new();
        for (consumer, write) in writes {
            if !visited.contains(consumer) {
                continue;
            }
            if let Some(record) = records.get_mut(consumer) {
                record.generation = bumped(record.generation, 1)?;
            }
            if write.allocations.is_empty() {
                deleted.insert(*consumer);
            } else {
                new_allocations.insert(*consumer, write.allocations.clone());
            }
        }
        Ok(AllocationPlan {
            records,
            new_allocations,
            deleted,
            bumped_providers: providers,
        })
    }

    /// Step 1: the consumer records as the write will leave them.
    fn ensure_consumers(
        &self,
        microversion: Microversion,
        writes: &BTreeMap<Uuid, ConsumerWrite>,
    ) -> Result<BTreeMap<Uuid, Consumer>, Refused> {
        let checks_generation = microversion.at_least(Microversion::v1(28));
        let typed = microversion.at_least(Microversion::v1(38));
        let mut records = BTreeMap::new();
        for (uuid, write) in writes {
            let existing = self.consumers.get(uuid);
            let current = existing.map(|c| c.generation);
            if checks_generation && current != write.generation {
                return Err(Refusal::ConsumerGenerationConflict {
                    consumer: *uuid,
                    current,
                    sent: write.generation,
                }
                .into());
            }
            let consumer_type = match (typed, &write.consumer_type) {
                (true, Some(t)) => Some(t.clone()),
                _ => existing.and_then(|c| c.consumer_type.clone()),
            };
            records.insert(
                *uuid,
                Consumer {
                    uuid: *uuid,
                    project: write.project.clone(),
                    user: write.user.clone(),
                    consumer_type,
                    generation: current.unwrap_or(0),
                },
            );
        }
        Ok(records)
    }

    /// Applies a checked plan; cannot fail.
    pub(super) fn commit_allocations(&mut self, plan: AllocationPlan) {
        // The plan checked that one more fits (a reshape checks for three).
        for p in plan.bumped_providers {
            if let Some(provider) = self.provider_mut(p) {
                provider.generation = provider.generation.saturating_add(1);
            }
        }
        for (uuid, record) in plan.records {
            if plan.deleted.contains(&uuid) {
                self.replace_allocations(uuid, AllocationMap::new());
                Arc::make_mut(&mut self.consumers).remove(&uuid);
                continue;
            }
            if let Some(new) = plan.new_allocations.get(&uuid) {
                self.replace_allocations(uuid, new.clone());
            }
            Arc::make_mut(&mut self.consumers).insert(uuid, record);
        }
    }

    /// `PUT /allocations/{c}` and `POST /allocations`.
    pub(super) fn write_allocations(
        &mut self,
        microversion: Microversion,
        writes: &BTreeMap<Uuid, ConsumerWrite>,
    ) -> Result<Applied, Refused> {
        let plan = self.plan_allocations(microversion, writes, &InventoryOverride::new())?;
        self.commit_allocations(plan);
        Ok(Applied::new(Status::NoContent))
    }

    /// `DELETE /allocations/{c}`: 404 when the consumer has none; removes
    /// them and the consumer record, bumping no generation
    /// ([`Quirk::NoProviderBumpWhenAllocationsLeave`](super::quirks::Quirk::NoProviderBumpWhenAllocationsLeave)).
    pub(super) fn delete_allocations(&mut self, consumer: Uuid) -> Result<Applied, Refusal> {
        if !self.allocations.contains_key(&consumer) {
            return Err(Refusal::NoAllocations(consumer));
        }
        self.replace_allocations(consumer, AllocationMap::new());
        Arc::make_mut(&mut self.consumers).remove(&consumer);
        Ok(Applied::new(Status::NoContent))
    }

    /// Puts the records Placement leaves behind after a refused write,
    /// unless this state's writes are atomic ([`RefusedWrites::ChangeNothing`]).
    pub(super) fn keep_ghosts(&mut self, ghosts: Vec<Consumer>) {
        if self.refused_writes == RefusedWrites::ChangeNothing {
            return;
        }
        for ghost in ghosts {
            if !self.consumers.contains_key(&ghost.uuid) {
                Arc::make_mut(&mut self.consumers).insert(ghost.uuid, ghost);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::super::ops::Op;
    use super::*;
    use crate::outcome::ErrorCode;

    #[test]
    fn a_first_write_creates_the_consumer_at_generation_one() {
        let mut s = providers(1, &[("VCPU", inv(4))]);
        let before = generation(&s, 1);
        put(&mut s, 1, &[(1, "VCPU", 4)]).unwrap();
        assert_eq!(s.consumer(c(1)).unwrap().generation(), 1);
        assert_eq!(generation(&s, 1), before + 1);
        assert_eq!(s.usage(u(1), &rc("VCPU")), 4);
    }

    #[test]
    fn capacity_is_total_minus_reserved_times_ratio() {
        let mut s = providers(
            1,
            &[("VCPU", Inventory::new(4, 1, 1, 100, 1, 2.0).unwrap())],
        );
        let e = put(&mut s, 1, &[(1, "VCPU", 7)]).unwrap_err();
        assert!(matches!(e, Refusal::CapacityExceeded { .. }));
        assert_eq!(
            (e.status(), e.code()),
            (Status::Conflict, ErrorCode::Undefined)
        );
        put(&mut s, 1, &[(1, "VCPU", 6)]).unwrap();
        assert!(matches!(
            put(&mut s, 2, &[(1, "VCPU", 1)]),
            Err(Refusal::CapacityExceeded { .. })
        ));
    }

    #[test]
    fn an_overage_may_shrink_but_not_grow() {
        // objects/allocation.py _check_capacity_exceeded: allowed when
        // used + requested <= the usage before the write.
        let mut s = providers(1, &[("VCPU", inv(8))]);
        put(&mut s, 1, &[(1, "VCPU", 6)]).unwrap();
        // Shrinking the inventory below usage is allowed (only logged).
        set_inventories(&mut s, 1, &[("VCPU", inv(4))]).unwrap();
        assert!(s.over_capacity(u(1), &rc("VCPU")));
        put(&mut s, 1, &[(1, "VCPU", 5)]).unwrap();
        put(&mut s, 1, &[(1, "VCPU", 5)]).unwrap();
        assert!(matches!(
            put(&mut s, 1, &[(1, "VCPU", 6)]),
            Err(Refusal::CapacityExceeded { .. })
        ));
        assert!(matches!(
            put(&mut s, 2, &[(1, "VCPU", 1)]),
            Err(Refusal::CapacityExceeded { .. })
        ));
    }

    #[test]
    fn units_are_checked_per_amount() {
        let mut s = providers(1, &[("VCPU", Inventory::new(64, 0, 2, 8, 2, 1.0).unwrap())]);
        for bad in [1, 3, 10] {
            assert!(matches!(
                put(&mut s, 1, &[(1, "VCPU", bad)]),
                Err(Refusal::UnitConstraint { .. })
            ));
        }
        put(&mut s, 1, &[(1, "VCPU", 8)]).unwrap();
    }

    #[test]
    fn classes_and_inventories_must_exist() {
        let mut s = providers(2, &[("VCPU", inv(8))]);
        let e = put(&mut s, 1, &[(1, "CUSTOM_NOPE", 1)]).unwrap_err();
        assert_eq!(e.status(), Status::BadRequest);
        // A provider without inventory of any class the request names (an
        // inventory of a class named for another provider counts).
        set_inventories(&mut s, 2, &[("MEMORY_MB", inv(8))]).unwrap();
        assert_eq!(
            put(&mut s, 1, &[(1, "VCPU", 1), (2, "DISK_GB", 1)]),
            Err(Refusal::ProviderWithoutInventory(u(2)))
        );
        // A provider with some of them, but not this one.
        assert!(matches!(
            put(&mut s, 1, &[(1, "VCPU", 1), (1, "DISK_GB", 1)]),
            Err(Refusal::NoInventoryForAllocation { .. })
        ));
        assert_eq!(
            put(&mut s, 1, &[(1, "VCPU", 0)]),
            Err(Refusal::AmountOutOfRange)
        );
        assert!(s.consumer(c(1)).is_none());
    }

    #[test]
    fn consumer_generations_from_1_28() {
        let mut s = providers(1, &[("VCPU", inv(8))]);
        let conflict = put_at(&mut s, 28, 1, write(&[(1, "VCPU", 1)], Some(0))).unwrap_err();
        assert_eq!(conflict.code(), ErrorCode::ConcurrentUpdate);
        put_at(&mut s, 28, 1, write(&[(1, "VCPU", 1)], None)).unwrap();
        let stale = put_at(&mut s, 28, 1, write(&[(1, "VCPU", 2)], Some(0))).unwrap_err();
        assert!(matches!(stale, Refusal::ConsumerGenerationConflict { .. }));
        put_at(&mut s, 28, 1, write(&[(1, "VCPU", 2)], Some(1))).unwrap();
        // Before 1.28 the generation is not looked at.
        put_at(&mut s, 27, 1, write(&[(1, "VCPU", 3)], Some(99))).unwrap();
        assert_eq!(s.consumer(c(1)).unwrap().generation(), 3);
    }

    #[test]
    fn a_missing_provider_leaves_a_ghost_consumer() {
        // handlers/allocation.py:444: the consumer made by ensure_consumer is
        // not cleaned up. Seen on Placement 16.0.0: the retry with a null
        // generation then gets "expected 0 but got None".
        let mut s = providers(1, &[("VCPU", inv(8))]);
        let e = put_at(&mut s, 39, 1, write(&[(9, "VCPU", 1)], None)).unwrap_err();
        assert_eq!(e, Refusal::AllocationProviderNotFound(u(9)));
        assert_eq!(s.consumer(c(1)).unwrap().generation(), 0);
        assert!(s.consumer_allocations(c(1)).is_none());
        assert!(matches!(
            put_at(&mut s, 39, 1, write(&[(1, "VCPU", 1)], None)),
            Err(Refusal::ConsumerGenerationConflict {
                current: Some(0),
                sent: None,
                ..
            })
        ));
        put_at(&mut s, 39, 1, write(&[(1, "VCPU", 1)], Some(0))).unwrap();
        // Other failures clean up the consumer they created.
        assert!(put_at(&mut s, 39, 2, write(&[(1, "VCPU", 100)], None)).is_err());
        assert!(s.consumer(c(2)).is_none());
    }

    #[test]
    fn atomic_refused_writes_leave_no_ghost() {
        // The reference server's mode: the same refusal changes nothing, and
        // the first real write with a null generation succeeds.
        let mut s = providers(1, &[("VCPU", inv(8))]);
        s.refused_writes = RefusedWrites::ChangeNothing;
        let before = s.clone();
        let e = put_at(&mut s, 39, 1, write(&[(9, "VCPU", 1)], None)).unwrap_err();
        assert_eq!(e, Refusal::AllocationProviderNotFound(u(9)));
        assert_eq!(s, before);
        let post = Op::PostAllocations {
            microversion: Microversion::v1(39),
            writes: BTreeMap::from([(c(2), write(&[(9, "VCPU", 1)], None))]),
        };
        assert!(s.apply_detailed(&post).is_err());
        assert_eq!(s, before);
        put_at(&mut s, 39, 1, write(&[(1, "VCPU", 1)], None)).unwrap();
        assert_eq!(s.consumer(c(1)).unwrap().generation(), 1);
    }

    #[test]
    fn empty_allocations_for_a_new_consumer_leave_a_ghost() {
        // objects/allocation.py:457: only consumers in the allocation list
        // are deleted, and a new consumer with {} has none.
        let mut s = providers(1, &[("VCPU", inv(8))]);
        put_at(&mut s, 39, 1, write(&[], None)).unwrap();
        assert_eq!(s.consumer(c(1)).unwrap().generation(), 0);
        put_at(&mut s, 39, 1, write(&[], Some(0))).unwrap();
        assert_eq!(s.consumer(c(1)).unwrap().generation(), 0);
        // DELETE cannot remove it: it has no allocations.
        assert_eq!(
            s.apply_detailed(&Op::DeleteAllocations { consumer: c(1) }),
            Err(Refusal::NoAllocations(c(1)))
        );
    }

    #[test]
    fn wiping_deletes_the_consumer_and_bumps_its_providers() {
        let mut s = providers(1, &[("VCPU", inv(8))]);
        put(&mut s, 1, &[(1, "VCPU", 2)]).unwrap();
        let g = generation(&s, 1);
        put(&mut s, 1, &[]).unwrap();
        assert!(s.consumer(c(1)).is_none());
        assert_eq!(generation(&s, 1), g + 1);
        assert_eq!(s.usage(u(1), &rc("VCPU")), 0);
    }

    #[test]
    fn allocations_that_leave_do_not_bump_the_provider() {
        // objects/allocation.py:599 delete_all bumps nothing; a move bumps
        // only the providers the new allocations name.
        let mut s = providers(2, &[("VCPU", inv(8))]);
        put(&mut s, 1, &[(1, "VCPU", 2)]).unwrap();
        let (g1, g2) = (generation(&s, 1), generation(&s, 2));
        put(&mut s, 1, &[(2, "VCPU", 2)]).unwrap();
        assert_eq!((generation(&s, 1), generation(&s, 2)), (g1, g2 + 1));
        s.apply_detailed(&Op::DeleteAllocations { consumer: c(1) })
            .unwrap();
        assert_eq!(generation(&s, 2), g2 + 1);
        assert!(s.consumer(c(1)).is_none());
        assert_eq!(
            s.apply_detailed(&Op::DeleteAllocations { consumer: c(1) }),
            Err(Refusal::NoAllocations(c(1)))
        );
    }

    #[test]
    fn post_is_atomic_across_consumers() {
        let mut s = providers(1, &[("VCPU", inv(4))]);
        let writes = BTreeMap::from([
            (c(1), write(&[(1, "VCPU", 2)], None)),
            (c(2), write(&[(1, "VCPU", 3)], None)),
        ]);
        let before = s.clone();
        let e = s
            .apply_detailed(&Op::PostAllocations {
                microversion: mv(39),
                writes,
            })
            .unwrap_err();
        assert!(matches!(e, Refusal::CapacityExceeded { .. }));
        assert_eq!(s, before);
        let writes = BTreeMap::from([
            (c(1), write(&[(1, "VCPU", 2)], None)),
            (c(2), write(&[(1, "VCPU", 2)], None)),
        ]);
        s.apply_detailed(&Op::PostAllocations {
            microversion: mv(39),
            writes,
        })
        .unwrap();
        // One bump per provider per request, however many consumers.
        assert_eq!(generation(&s, 1), generation(&before, 1) + 1);
    }

    #[test]
    fn consumer_type_and_owner_follow_the_last_write() {
        let mut s = providers(1, &[("VCPU", inv(8))]);
        let mut w = write(&[(1, "VCPU", 1)], None);
        w.consumer_type = Some(ConsumerType::parse("MIGRATION").unwrap());
        put_at(&mut s, 37, 1, w.clone()).unwrap();
        assert_eq!(s.consumer(c(1)).unwrap().consumer_type(), None);
        w.generation = Some(1);
        w.project = ExternalId::parse("other").unwrap();
        put_at(&mut s, 38, 1, w).unwrap();
        let record = s.consumer(c(1)).unwrap();
        assert_eq!(record.consumer_type().unwrap().as_str(), "MIGRATION");
        assert_eq!(record.project().as_str(), "other");
    }
}
