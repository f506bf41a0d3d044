//! Placement 16.0.0's oddities that the model reproduces on purpose.
//!
//! The model is the oracle for a real Placement, so it must answer what
//! Placement answers even where that is surprising or wrong. Each oddity is
//! named here once, with where it comes from and why the model keeps it; the
//! model's code cites the variant where it reproduces it, and the
//! invariant checker allows exactly these deviations from the clean rules
//! (and nothing looser). [`Quirk::is_weakness`] marks the ones that let a
//! client break a guarantee; no scan suite probes them yet.

/// One reproduced oddity of Placement 16.0.0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Quirk {
    /// A write of allocations that fails with 400 because a provider does
    /// not exist leaves behind the consumer record it created, with
    /// generation 0 and no allocations: `ensure_consumer` ran in its own
    /// transaction and `_resource_providers_by_uuid` raises outside the
    /// cleanup block. The next write must send generation 0, not null.
    GhostConsumerAfterMissingProvider,
    /// Writing empty allocations for a consumer that has none (a new one, at
    /// 1.28+) creates the consumer and keeps it: `_set_allocations` only
    /// deletes consumers it saw in the allocation list, and there is none.
    GhostConsumerFromEmptyAllocations,
    /// Removing allocations from a provider does not bump its generation:
    /// `DELETE /allocations/{c}` (`delete_all`) bumps nothing, and a PUT or
    /// POST that moves a consumer away bumps only the providers it names.
    NoProviderBumpWhenAllocationsLeave,
    /// `PUT /resource_providers/{u}/aggregates` before 1.19 changes the
    /// aggregates without bumping the generation.
    NoBumpForAggregatesBefore1_19,
    /// Some writes bump a generation without changing anything: setting
    /// inventories or (1.19+) aggregates to what they were, rewriting the
    /// same allocations, deleting all inventories of a provider that has none.
    BumpWithoutChange,
    /// Updating inventories may leave usage above the new capacity; Placement
    /// only logs a warning.
    InventoryMayShrinkBelowUsage,
    /// `POST /resource_providers/{u}/inventories` takes a
    /// `resource_provider_generation` in its body and never compares it.
    PostInventoryIgnoresGeneration,
    /// `POST /reshaper` builds inventories without the reserved-versus-total
    /// rule every inventory route applies, so it stores reserved > total.
    ReshapeSkipsCapacityRule,
    /// `DELETE /resource_providers/{u}/inventories/{rc}` of an inventory in
    /// use answers `placement.concurrent_update`, not `inventory.inuse`.
    DeleteInventoryInUseIsConcurrentUpdate,
    /// Renaming a custom resource class (1.2 to 1.6) renames it in every
    /// inventory and allocation and bumps no generation, so a client holding
    /// a provider generation writes over inventories it has not seen.
    RenameClassWithoutBump,
}

impl Quirk {
    /// Every quirk.
    pub const ALL: [Quirk; 10] = [
        Quirk::GhostConsumerAfterMissingProvider,
        Quirk::GhostConsumerFromEmptyAllocations,
        Quirk::NoProviderBumpWhenAllocationsLeave,
        Quirk::NoBumpForAggregatesBefore1_19,
        Quirk::BumpWithoutChange,
        Quirk::InventoryMayShrinkBelowUsage,
        Quirk::PostInventoryIgnoresGeneration,
        Quirk::ReshapeSkipsCapacityRule,
        Quirk::DeleteInventoryInUseIsConcurrentUpdate,
        Quirk::RenameClassWithoutBump,
    ];

    /// Where in Placement 16.0.0 the behaviour comes from (`file:line`).
    pub fn source(self) -> &'static str {
        match self {
            Quirk::GhostConsumerAfterMissingProvider => {
                "placement/handlers/allocation.py:444 (PUT), :562 (POST); handlers/reshaper.py:103"
            }
            Quirk::GhostConsumerFromEmptyAllocations => "placement/objects/allocation.py:457",
            Quirk::NoProviderBumpWhenAllocationsLeave => "placement/objects/allocation.py:599",
            Quirk::NoBumpForAggregatesBefore1_19 => "placement/handlers/aggregate.py:130",
            Quirk::BumpWithoutChange => "placement/objects/resource_provider.py:258",
            Quirk::InventoryMayShrinkBelowUsage => "placement/objects/resource_provider.py:147",
            Quirk::PostInventoryIgnoresGeneration => "placement/handlers/inventory.py:180",
            Quirk::ReshapeSkipsCapacityRule => "placement/handlers/reshaper.py:89",
            Quirk::DeleteInventoryInUseIsConcurrentUpdate => "placement/handlers/inventory.py:245",
            Quirk::RenameClassWithoutBump => "placement/objects/resource_class.py:181",
        }
    }

    /// Whether the oddity lets a client break a guarantee (lost-update
    /// protection, data validity, cleanup), as opposed to only surprising it.
    pub fn is_weakness(self) -> bool {
        matches!(
            self,
            Quirk::GhostConsumerAfterMissingProvider
                | Quirk::GhostConsumerFromEmptyAllocations
                | Quirk::NoProviderBumpWhenAllocationsLeave
                | Quirk::NoBumpForAggregatesBefore1_19
                | Quirk::PostInventoryIgnoresGeneration
                | Quirk::ReshapeSkipsCapacityRule
                | Quirk::RenameClassWithoutBump
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_quirk_cites_placement() {
        for q in Quirk::ALL {
            assert!(q.source().starts_with("placement/"), "{q:?}");
        }
    }
}
