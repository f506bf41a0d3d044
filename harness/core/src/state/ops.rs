//! The state-changing API calls as typed operations, and their dispatch.
//!
//! An [`Op`] is what a request means once its URL, headers and body are
//! parsed: typed UUIDs, names and [`Inventory`] records, plus the generations
//! the client sent and the microversion where the behaviour depends on it.
//! [`State::apply`] answers it as Placement would.

use std::collections::{BTreeMap, BTreeSet};

use crate::ids::Uuid;
use crate::inventory::Inventory;
use crate::microversion::Microversion;
use crate::names::{ProviderName, ResourceClass, TraitName};
use crate::outcome::{Failure, Status};

use super::allocations::{ConsumerWrite, InventoryOverride, Refused};
use super::refusal::Refusal;
use super::store::{State, bumped};

/// What an update does with a provider's parent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParentUpdate {
    /// The body leaves `parent_provider_uuid` out (always before 1.14).
    Keep,
    /// The body sets it (`None`: `null`, make it a root).
    Set(Option<Uuid>),
}

/// One provider's part of a reshape's `inventories`.
#[derive(Clone, Debug, PartialEq)]
pub struct ReshapeInventory {
    /// The provider generation the client sent.
    pub generation: u32,
    /// The provider's complete new inventories.
    pub inventories: BTreeMap<ResourceClass, Inventory>,
}

/// One state-changing Placement API call.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// `POST /resource_providers`.
    CreateProvider {
        /// The request's microversion.
        microversion: Microversion,
        /// The UUID (the server makes one up when the body has none).
        uuid: Uuid,
        /// The name.
        name: ProviderName,
        /// The parent (1.14+).
        parent: Option<Uuid>,
    },
    /// `PUT /resource_providers/{uuid}`.
    UpdateProvider {
        /// The request's microversion.
        microversion: Microversion,
        /// The provider.
        uuid: Uuid,
        /// The new name.
        name: ProviderName,
        /// What happens to its parent.
        parent: ParentUpdate,
    },
    /// `DELETE /resource_providers/{uuid}`.
    DeleteProvider {
        /// The provider.
        uuid: Uuid,
    },
    /// `POST /resource_providers/{uuid}/inventories`.
    CreateInventory {
        /// The request's microversion.
        microversion: Microversion,
        /// The provider.
        provider: Uuid,
        /// The class.
        class: ResourceClass,
        /// The generation in the body, which Placement ignores.
        generation: u32,
        /// The record.
        inventory: Inventory,
    },
    /// `PUT /resource_providers/{uuid}/inventories/{class}`.
    UpdateInventory {
        /// The request's microversion.
        microversion: Microversion,
        /// The provider.
        provider: Uuid,
        /// The class.
        class: ResourceClass,
        /// The provider generation the client sent.
        generation: u32,
        /// The record.
        inventory: Inventory,
    },
    /// `PUT /resource_providers/{uuid}/inventories`.
    SetInventories {
        /// The request's microversion.
        microversion: Microversion,
        /// The provider.
        provider: Uuid,
        /// The provider generation the client sent.
        generation: u32,
        /// The complete new inventories.
        inventories: BTreeMap<ResourceClass, Inventory>,
    },
    /// `DELETE /resource_providers/{uuid}/inventories/{class}`.
    DeleteInventory {
        /// The provider.
        provider: Uuid,
        /// The class.
        class: ResourceClass,
    },
    /// `DELETE /resource_providers/{uuid}/inventories` (1.5+).
    DeleteInventories {
        /// The provider.
        provider: Uuid,
    },
    /// `PUT /allocations/{consumer}`.
    PutAllocations {
        /// The request's microversion.
        microversion: Microversion,
        /// The consumer.
        consumer: Uuid,
        /// What is written for it.
        write: ConsumerWrite,
    },
    /// `POST /allocations` (1.13+): several consumers, atomically.
    PostAllocations {
        /// The request's microversion.
        microversion: Microversion,
        /// What is written, by consumer.
        writes: BTreeMap<Uuid, ConsumerWrite>,
    },
    /// `DELETE /allocations/{consumer}`.
    DeleteAllocations {
        /// The consumer.
        consumer: Uuid,
    },
    /// `PUT /resource_providers/{uuid}/aggregates` (1.1+).
    SetAggregates {
        /// The provider.
        provider: Uuid,
        /// The complete new set.
        aggregates: BTreeSet<Uuid>,
        /// The provider generation the client sent (1.19+; `None` before).
        generation: Option<u32>,
    },
    /// `PUT /resource_providers/{uuid}/traits` (1.6+).
    SetTraits {
        /// The provider.
        provider: Uuid,
        /// The complete new set.
        traits: BTreeSet<TraitName>,
        /// The provider generation the client sent.
        generation: u32,
    },
    /// `DELETE /resource_providers/{uuid}/traits` (1.6+).
    DeleteProviderTraits {
        /// The provider.
        provider: Uuid,
    },
    /// `POST /resource_classes` (1.2+).
    CreateResourceClass {
        /// The class.
        name: ResourceClass,
    },
    /// `PUT /resource_classes/{name}` (1.7+).
    EnsureResourceClass {
        /// The class.
        name: ResourceClass,
    },
    /// `PUT /resource_classes/{name}` with a body (1.2 to 1.6): a rename.
    RenameResourceClass {
        /// The class in the URL.
        from: ResourceClass,
        /// The new name in the body.
        to: ResourceClass,
    },
    /// `DELETE /resource_classes/{name}` (1.2+).
    DeleteResourceClass {
        /// The class.
        name: ResourceClass,
    },
    /// `PUT /traits/{name}` (1.6+).
    EnsureTrait {
        /// The trait.
        name: TraitName,
    },
    /// `DELETE /traits/{name}` (1.6+).
    DeleteTrait {
        /// The trait.
        name: TraitName,
    },
    /// `POST /reshaper` (1.30+).
    Reshape {
        /// The request's microversion.
        microversion: Microversion,
        /// New inventories, by provider.
        inventories: BTreeMap<Uuid, ReshapeInventory>,
        /// New allocations, by consumer.
        allocations: BTreeMap<Uuid, ConsumerWrite>,
    },
}

impl Op {
    /// A short stable name of the operation, for statistics.
    pub fn name(&self) -> &'static str {
        match self {
            Op::CreateProvider { .. } => "create_provider",
            Op::UpdateProvider { .. } => "update_provider",
            Op::DeleteProvider { .. } => "delete_provider",
            Op::CreateInventory { .. } => "create_inventory",
            Op::UpdateInventory { .. } => "update_inventory",
            Op::SetInventories { .. } => "set_inventories",
            Op::DeleteInventory { .. } => "delete_inventory",
            Op::DeleteInventories { .. } => "delete_inventories",
            Op::PutAllocations { .. } => "put_allocations",
            Op::PostAllocations { .. } => "post_allocations",
            Op::DeleteAllocations { .. } => "delete_allocations",
            Op::SetAggregates { .. } => "set_aggregates",
            Op::SetTraits { .. } => "set_traits",
            Op::DeleteProviderTraits { .. } => "delete_provider_traits",
            Op::CreateResourceClass { .. } => "create_resource_class",
            Op::EnsureResourceClass { .. } => "ensure_resource_class",
            Op::RenameResourceClass { .. } => "rename_resource_class",
            Op::DeleteResourceClass { .. } => "delete_resource_class",
            Op::EnsureTrait { .. } => "ensure_trait",
            Op::DeleteTrait { .. } => "delete_trait",
            Op::Reshape { .. } => "reshape",
        }
    }

    /// The providers whose generation this operation may bump.
    pub fn named_providers(&self) -> BTreeSet<Uuid> {
        let from_writes = |writes: &mut dyn Iterator<Item = &ConsumerWrite>| {
            writes
                .flat_map(|w| w.allocations.keys().copied())
                .collect::<BTreeSet<_>>()
        };
        match self {
            Op::CreateProvider { uuid, .. }
            | Op::UpdateProvider { uuid, .. }
            | Op::DeleteProvider { uuid } => BTreeSet::from([*uuid]),
            Op::CreateInventory { provider, .. }
            | Op::UpdateInventory { provider, .. }
            | Op::SetInventories { provider, .. }
            | Op::DeleteInventory { provider, .. }
            | Op::DeleteInventories { provider }
            | Op::SetAggregates { provider, .. }
            | Op::SetTraits { provider, .. }
            | Op::DeleteProviderTraits { provider } => BTreeSet::from([*provider]),
            Op::PutAllocations { write, .. } => from_writes(&mut std::iter::once(write)),
            Op::PostAllocations { writes, .. } => from_writes(&mut writes.values()),
            Op::Reshape {
                inventories,
                allocations,
                ..
            } => {
                let mut all = from_writes(&mut allocations.values());
                all.extend(inventories.keys().copied());
                all
            }
            Op::DeleteAllocations { .. }
            | Op::CreateResourceClass { .. }
            | Op::EnsureResourceClass { .. }
            | Op::RenameResourceClass { .. }
            | Op::DeleteResourceClass { .. }
            | Op::EnsureTrait { .. }
            | Op::DeleteTrait { .. } => BTreeSet::new(),
        }
    }

    /// The consumers this operation writes with empty allocations: Placement
    /// writes their current allocations with amount 0, which names (and
    /// bumps) the providers they were on.
    pub fn wiped_consumers(&self) -> BTreeSet<Uuid> {
        let empty = |writes: &mut dyn Iterator<Item = (&Uuid, &ConsumerWrite)>| {
            writes
                .filter(|(_, w)| w.allocations.is_empty())
                .map(|(c, _)| *c)
                .collect::<BTreeSet<_>>()
        };
        match self {
            Op::PutAllocations {
                consumer, write, ..
            } => empty(&mut std::iter::once((consumer, write))),
            Op::PostAllocations { writes, .. } => empty(&mut writes.iter()),
            Op::Reshape { allocations, .. } => empty(&mut allocations.iter()),
            _ => BTreeSet::new(),
        }
    }

    /// The consumers this operation writes.
    pub fn named_consumers(&self) -> BTreeSet<Uuid> {
        match self {
            Op::PutAllocations { consumer, .. } | Op::DeleteAllocations { consumer } => {
                BTreeSet::from([*consumer])
            }
            Op::PostAllocations { writes, .. } => writes.keys().copied().collect(),
            Op::Reshape { allocations, .. } => allocations.keys().copied().collect(),
            _ => BTreeSet::new(),
        }
    }
}

/// A successful operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Applied {
    /// 200, 201 or 204, as Placement answers.
    pub status: Status,
}

impl Applied {
    pub(super) fn new(status: Status) -> Self {
        Applied { status }
    }
}

impl State {
    /// Applies one operation: Placement's success status, or its failure.
    ///
    /// A failure leaves the state as it was, except for the consumer records
    /// Placement itself leaves behind
    /// ([`Quirk::GhostConsumerAfterMissingProvider`](super::quirks::Quirk::GhostConsumerAfterMissingProvider)).
    pub fn apply(&mut self, op: &Op) -> Result<Applied, Failure> {
        self.apply_detailed(op).map_err(Failure::from)
    }

    /// [`State::apply`] with the typed reason of a refusal.
    pub fn apply_detailed(&mut self, op: &Op) -> Result<Applied, Refusal> {
        let with_ghosts = |state: &mut State, result: Result<Applied, Refused>| {
            result.map_err(|refused| {
                state.keep_ghosts(refused.ghosts);
                refused.refusal
            })
        };
        match op {
            Op::CreateProvider {
                microversion,
                uuid,
                name,
                parent,
            } => self.create_provider(*microversion, *uuid, name, *parent),
            Op::UpdateProvider {
                microversion,
                uuid,
                name,
                parent,
            } => self.update_provider(*microversion, *uuid, name, *parent),
            Op::DeleteProvider { uuid } => self.delete_provider(*uuid),
            Op::CreateInventory {
                microversion,
                provider,
                class,
                inventory,
                generation: _,
            } => self.create_inventory(*microversion, *provider, class, inventory),
            Op::UpdateInventory {
                microversion,
                provider,
                class,
                generation,
                inventory,
            } => self.update_inventory(*microversion, *provider, class, *generation, inventory),
            Op::SetInventories {
                microversion,
                provider,
                generation,
                inventories,
            } => self.set_inventories(*microversion, *provider, *generation, inventories),
            Op::DeleteInventory { provider, class } => self.delete_inventory(*provider, class),
            Op::DeleteInventories { provider } => self.delete_inventories(*provider),
            Op::PutAllocations {
                microversion,
                consumer,
                write,
            } => {
                let writes = BTreeMap::from([(*consumer, write.clone())]);
                let result = self.write_allocations(*microversion, &writes);
                with_ghosts(self, result)
            }
            Op::PostAllocations {
                microversion,
                writes,
            } => {
                let result = self.write_allocations(*microversion, writes);
                with_ghosts(self, result)
            }
            Op::DeleteAllocations { consumer } => self.delete_allocations(*consumer),
            Op::SetAggregates {
                provider,
                aggregates,
                generation,
            } => self.set_aggregates(*provider, aggregates, *generation),
            Op::SetTraits {
                provider,
                traits,
                generation,
            } => self.set_provider_traits(*provider, traits, *generation),
            Op::DeleteProviderTraits { provider } => self.delete_provider_traits(*provider),
            Op::CreateResourceClass { name } => self.create_resource_class(name),
            Op::EnsureResourceClass { name } => self.ensure_resource_class(name),
            Op::RenameResourceClass { from, to } => self.rename_resource_class(from, to),
            Op::DeleteResourceClass { name } => self.delete_resource_class(name),
            Op::EnsureTrait { name } => self.ensure_trait(name),
            Op::DeleteTrait { name } => self.delete_trait(name),
            Op::Reshape {
                microversion,
                inventories,
                allocations,
            } => {
                let result = self.reshape(*microversion, inventories, allocations);
                with_ghosts(self, result)
            }
        }
    }

    /// `POST /reshaper`, in `handlers/reshaper.py` and
    /// `objects/reshaper.py` order: provider generations; consumers and
    /// providers of the allocations; interim inventories (old and new
    /// together, no capacity rule); allocations checked against them; final
    /// inventories, refused if they drop a class still in use.
    fn reshape(
        &mut self,
        microversion: Microversion,
        inventories: &BTreeMap<Uuid, ReshapeInventory>,
        allocations: &BTreeMap<Uuid, ConsumerWrite>,
    ) -> Result<Applied, Refused> {
        let mut interim = InventoryOverride::new();
        for (uuid, wanted) in inventories {
            let provider = self
                .provider(*uuid)
                .ok_or(Refusal::ReshapeProviderNotFound(*uuid))?;
            if provider.generation != wanted.generation {
                return Err(Refusal::ProviderGenerationConflict {
                    provider: *uuid,
                    current: provider.generation,
                    sent: wanted.generation,
                }
                .into());
            }
            // Interim set, final set and the allocation write: three bumps at most.
            bumped(provider.generation, 3)?;
            if !wanted.inventories.is_empty() {
                let mut union = provider.inventories.clone();
                union.extend(
                    wanted
                        .inventories
                        .iter()
                        .map(|(rc, inv)| (rc.clone(), *inv)),
                );
                interim.insert(*uuid, union);
            }
        }
        let planned = self.plan_allocations(microversion, allocations, &interim);
        if let Err(refused) = &planned {
            let before_inventories = matches!(
                refused.refusal,
                Refusal::AmountOutOfRange
                    | Refusal::ConsumerGenerationConflict { .. }
                    | Refusal::AllocationProviderNotFound(_)
            );
            if before_inventories {
                return Err(refused.clone());
            }
        }
        if let Some(unknown) = interim
            .values()
            .flat_map(|m| m.keys())
            .find(|rc| !self.resource_class_exists(rc))
        {
            return Err(
                Refusal::UnknownResourceClass(crate::error::Excerpt::of(unknown.as_str())).into(),
            );
        }
        let plan = planned?;
        let mut scratch = self.clone();
        for (uuid, union) in &interim {
            if let Some(p) = scratch.provider_mut(*uuid) {
                p.generation = p.generation.saturating_add(1);
                p.inventories = union.clone();
            }
        }
        scratch.commit_allocations(plan);
        for (uuid, wanted) in inventories {
            scratch.replace_inventories(*uuid, &wanted.inventories)?;
        }
        *self = scratch;
        Ok(Applied::new(Status::NoContent))
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;
    use crate::outcome::ErrorCode;

    fn reshape(
        s: &mut State,
        inventories: &[(u128, &[(&str, Inventory)])],
        allocations: &[(u128, Allocs<'_>)],
    ) -> Result<Applied, Refusal> {
        let inventories = inventories
            .iter()
            .map(|(p, items)| {
                let wanted = ReshapeInventory {
                    generation: generation(s, *p),
                    inventories: items.iter().map(|(k, v)| (rc(k), *v)).collect(),
                };
                (u(*p), wanted)
            })
            .collect();
        let allocations = allocations
            .iter()
            .map(|(consumer, items)| {
                let current = s.consumer(c(*consumer)).map(|x| x.generation());
                (c(*consumer), write(items, current))
            })
            .collect();
        s.apply_detailed(&Op::Reshape {
            microversion: mv(39),
            inventories,
            allocations,
        })
    }

    /// A root with VCPU in use, and a child to move it to.
    fn tree_with_usage() -> State {
        let mut s = providers(1, &[("VCPU", inv(8))]);
        s.apply_detailed(&Op::CreateProvider {
            microversion: mv(39),
            uuid: u(2),
            name: ProviderName::parse("child").unwrap(),
            parent: Some(u(1)),
        })
        .unwrap();
        put(&mut s, 1, &[(1, "VCPU", 4)]).unwrap();
        s
    }

    #[test]
    fn reshape_moves_inventory_and_allocations_together() {
        // gabbits/reshaper.yaml: the move from a root to its child.
        let mut s = tree_with_usage();
        let (g1, g2) = (generation(&s, 1), generation(&s, 2));
        reshape(
            &mut s,
            &[(1, &[]), (2, &[("VCPU", inv(8))])],
            &[(1, &[(2, "VCPU", 4)])],
        )
        .unwrap();
        assert!(s.provider(u(1)).unwrap().inventories().is_empty());
        assert_eq!(s.usage(u(2), &rc("VCPU")), 4);
        // Root: final set only. Child: interim set, allocations, final set.
        assert_eq!((generation(&s, 1), generation(&s, 2)), (g1 + 1, g2 + 3));
        assert_eq!(s.consumer(c(1)).unwrap().generation(), 2);
    }

    #[test]
    fn reshape_refuses_to_drop_inventory_still_used() {
        let mut s = tree_with_usage();
        let before = s.clone();
        let e = reshape(&mut s, &[(1, &[]), (2, &[("VCPU", inv(8))])], &[]).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InventoryInUse);
        assert_eq!(s, before);
    }

    #[test]
    fn reshape_names_unknown_providers_with_their_own_code() {
        let mut s = tree_with_usage();
        let e = s
            .apply_detailed(&Op::Reshape {
                microversion: mv(39),
                inventories: BTreeMap::from([(
                    u(9),
                    ReshapeInventory {
                        generation: 0,
                        inventories: BTreeMap::new(),
                    },
                )]),
                allocations: BTreeMap::new(),
            })
            .unwrap_err();
        assert_eq!(
            (e.status(), e.code()),
            (Status::BadRequest, ErrorCode::ProviderNotFound)
        );
    }

    #[test]
    fn reshape_skips_the_capacity_rule() {
        // handlers/reshaper.py:89 builds inventories with
        // make_inventory_object and never calls _validate_inventory_capacity.
        let mut s = tree_with_usage();
        let broken = Inventory::new(4, 9, 1, 4, 1, 1.0).unwrap();
        reshape(&mut s, &[(2, &[("DISK_GB", broken)])], &[]).unwrap();
        assert_eq!(
            s.provider(u(2)).unwrap().inventory(&rc("DISK_GB")),
            Some(&broken)
        );
        let refused = set_inventories(&mut s, 2, &[("DISK_GB", broken)]).unwrap_err();
        assert_eq!(refused.status(), Status::BadRequest);
    }

    #[test]
    fn reshape_checks_allocations_against_old_and_new_inventories() {
        let mut s = tree_with_usage();
        let e = reshape(
            &mut s,
            &[(2, &[("VCPU", inv(2))])],
            &[(1, &[(2, "VCPU", 4)])],
        )
        .unwrap_err();
        assert!(matches!(e, Refusal::CapacityExceeded { .. }));
    }

    #[test]
    fn named_objects() {
        let op = Op::PutAllocations {
            microversion: mv(39),
            consumer: c(1),
            write: write(&[(1, "VCPU", 1), (2, "VCPU", 1)], None),
        };
        assert_eq!(op.named_providers(), BTreeSet::from([u(1), u(2)]));
        assert_eq!(op.named_consumers(), BTreeSet::from([c(1)]));
        assert!(op.wiped_consumers().is_empty());
        assert_eq!(op.name(), "put_allocations");
    }
}
