//! Why the state refuses an operation, and what Placement answers for it.
//!
//! Every refusal maps to exactly one status and error code
//! ([`Refusal::failure`]), chosen to match what Placement 16.0.0's handlers
//! answer for the same situation, including the places where Placement's
//! choice is surprising (a 409 with `placement.concurrent_update` for
//! deleting one inventory that is in use). Messages quote resource class and
//! trait names only through [`Excerpt`]s; UUIDs are printed canonically.

use crate::error::Excerpt;
use crate::ids::Uuid;
use crate::outcome::{ErrorCode, Failure, Status};

/// Why an operation was refused.
#[derive(Clone, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum Refusal {
    /// The provider named in the URL does not exist (404).
    #[error("resource provider {0} not found")]
    ProviderNotFound(Uuid),
    /// A parent provider that does not exist (400).
    #[error("parent provider {0} does not exist")]
    ParentNotFound(Uuid),
    /// A provider cannot be its own parent (400).
    #[error("a provider cannot be its own parent")]
    ParentIsSelf,
    /// Moving a provider to another parent needs microversion 1.37 (400).
    #[error("re-parenting a provider requires microversion 1.37 or later")]
    ReparentingNotAllowed,
    /// Making a child provider a root needs microversion 1.37 (400).
    #[error("un-parenting a provider requires microversion 1.37 or later")]
    UnparentingNotAllowed,
    /// The new parent is the provider itself or one of its descendants (400).
    #[error("the new parent {0} is in the provider's own subtree")]
    ProviderLoop(Uuid),
    /// Another provider has this UUID (409 `duplicate_name`).
    #[error("a resource provider with uuid {0} already exists")]
    DuplicateProviderUuid(Uuid),
    /// Another provider has this name (409 `duplicate_name`).
    #[error("a resource provider named {0} already exists")]
    DuplicateProviderName(Excerpt),
    /// The provider has children (409 `cannot_delete_parent`).
    #[error("resource provider {0} has child providers")]
    ProviderHasChildren(Uuid),
    /// The provider has allocations (409 `resource_provider.inuse`).
    #[error("resource provider {0} has allocations")]
    ProviderInUse(Uuid),
    /// The client's provider generation is stale (409 `concurrent_update`).
    #[error("resource provider {provider} generation is {current}, not {sent}")]
    ProviderGenerationConflict {
        /// The provider.
        provider: Uuid,
        /// Its generation.
        current: u32,
        /// What the client sent.
        sent: u32,
    },
    /// A resource class that does not exist, in a body (400).
    #[error("no such resource class {0}")]
    UnknownResourceClass(Excerpt),
    /// A resource class that does not exist, in the URL of an inventory (404).
    #[error("no such resource class {0}")]
    ResourceClassNotFound(Excerpt),
    /// An inventory whose capacity the microversion's rule refuses (400).
    #[error("inventory of {0} has reserved too close to total")]
    InventoryCapacity(Excerpt),
    /// POST of an inventory the provider already has (409 `concurrent_update`).
    #[error("provider already has an inventory of {0}")]
    InventoryExists(Excerpt),
    /// PUT of one inventory the provider does not have (400).
    #[error("provider has no inventory of {0} to update")]
    NoInventoryToUpdate(Excerpt),
    /// DELETE of one inventory the provider does not have (404).
    #[error("provider has no inventory of {0} to delete")]
    NoInventoryToDelete(Excerpt),
    /// Removing inventories that allocations use (409 `inventory.inuse`).
    #[error("inventory of {0} is in use")]
    InventoryInUse(Excerpt),
    /// DELETE of one inventory that allocations use: Placement answers this
    /// with `placement.concurrent_update`, not `inventory.inuse`
    /// (`handlers/inventory.py` `delete_inventory`).
    #[error("inventory of {0} is in use")]
    InventoryInUseOnDelete(Excerpt),
    /// The client's consumer generation is stale (409 `concurrent_update`).
    #[error("consumer {consumer} generation is {current:?}, not {sent:?}")]
    ConsumerGenerationConflict {
        /// The consumer.
        consumer: Uuid,
        /// Its generation (`None`: no such consumer).
        current: Option<u32>,
        /// What the client sent.
        sent: Option<u32>,
    },
    /// An allocation against a provider that does not exist (400).
    #[error("allocation against resource provider {0} that does not exist")]
    AllocationProviderNotFound(Uuid),
    /// An allocation amount outside 1..=2147483647 (400).
    #[error("allocation amount must be from 1 to 2147483647")]
    AmountOutOfRange,
    /// A provider with no inventory of any class the request names (409).
    #[error("resource provider {0} has no inventory of the requested classes")]
    ProviderWithoutInventory(Uuid),
    /// An allocation of a class the provider has no inventory of (409).
    #[error("resource provider {provider} has no inventory of {class}")]
    NoInventoryForAllocation {
        /// The provider.
        provider: Uuid,
        /// The class.
        class: Excerpt,
    },
    /// An amount off min_unit, max_unit or step_size (409).
    #[error("allocation of {class} on {provider} violates min_unit, max_unit or step_size")]
    UnitConstraint {
        /// The provider.
        provider: Uuid,
        /// The class.
        class: Excerpt,
    },
    /// Usage would exceed capacity and not reduce an overage (409).
    #[error("allocation of {class} on {provider} exceeds its capacity")]
    CapacityExceeded {
        /// The provider.
        provider: Uuid,
        /// The class.
        class: Excerpt,
    },
    /// DELETE of allocations of a consumer that has none (404).
    #[error("no allocations for consumer {0}")]
    NoAllocations(Uuid),
    /// Traits that do not exist, set on a provider (400).
    #[error("no such trait {0}")]
    UnknownTrait(Excerpt),
    /// A name that must start with `CUSTOM_` (400).
    #[error("{0} is not a custom name")]
    NotCustom(Excerpt),
    /// POST of a resource class that exists (409, undefined code).
    #[error("resource class {0} already exists")]
    ResourceClassExists(Excerpt),
    /// A standard resource class cannot be deleted (400).
    #[error("cannot delete standard resource class {0}")]
    StandardResourceClass(Excerpt),
    /// A resource class that some inventory uses (409, undefined code).
    #[error("resource class {0} is in use")]
    ResourceClassInUse(Excerpt),
    /// A trait that does not exist, in the URL (404).
    #[error("no such trait {0}")]
    TraitNotFound(Excerpt),
    /// A standard trait cannot be deleted (400).
    #[error("cannot delete standard trait {0}")]
    StandardTrait(Excerpt),
    /// A trait that some provider has (409, undefined code).
    #[error("trait {0} is in use")]
    TraitInUse(Excerpt),
    /// A reshape names a provider that does not exist (400 `resource_provider.not_found`).
    #[error("resource provider {0} in inventories not found")]
    ReshapeProviderNotFound(Uuid),
    /// A generation would pass Placement's 32-bit column (409 `concurrent_update`).
    #[error("a generation would pass 2147483647")]
    GenerationExhausted,
}

impl Refusal {
    /// Placement's status for this refusal.
    pub fn status(&self) -> Status {
        use Refusal::*;
        match self {
            ProviderNotFound(_)
            | ResourceClassNotFound(_)
            | NoInventoryToDelete(_)
            | NoAllocations(_)
            | TraitNotFound(_) => Status::NotFound,
            ParentNotFound(_)
            | ParentIsSelf
            | ReparentingNotAllowed
            | UnparentingNotAllowed
            | ProviderLoop(_)
            | UnknownResourceClass(_)
            | InventoryCapacity(_)
            | NoInventoryToUpdate(_)
            | AllocationProviderNotFound(_)
            | AmountOutOfRange
            | UnknownTrait(_)
            | NotCustom(_)
            | StandardResourceClass(_)
            | StandardTrait(_)
            | ReshapeProviderNotFound(_) => Status::BadRequest,
            DuplicateProviderUuid(_)
            | DuplicateProviderName(_)
            | ProviderHasChildren(_)
            | ProviderInUse(_)
            | ProviderGenerationConflict { .. }
            | InventoryExists(_)
            | InventoryInUse(_)
            | InventoryInUseOnDelete(_)
            | ConsumerGenerationConflict { .. }
            | ProviderWithoutInventory(_)
            | NoInventoryForAllocation { .. }
            | UnitConstraint { .. }
            | CapacityExceeded { .. }
            | ResourceClassExists(_)
            | ResourceClassInUse(_)
            | TraitInUse(_)
            | GenerationExhausted => Status::Conflict,
        }
    }

    /// Placement's error code for this refusal.
    pub fn code(&self) -> ErrorCode {
        use Refusal::*;
        match self {
            DuplicateProviderUuid(_) | DuplicateProviderName(_) => ErrorCode::DuplicateName,
            ProviderHasChildren(_) => ErrorCode::CannotDeleteParent,
            ProviderInUse(_) => ErrorCode::ProviderInUse,
            ProviderGenerationConflict { .. }
            | InventoryExists(_)
            | InventoryInUseOnDelete(_)
            | ConsumerGenerationConflict { .. }
            | GenerationExhausted => ErrorCode::ConcurrentUpdate,
            InventoryInUse(_) => ErrorCode::InventoryInUse,
            ReshapeProviderNotFound(_) => ErrorCode::ProviderNotFound,
            _ => ErrorCode::Undefined,
        }
    }

    /// The failure Placement answers with.
    pub fn failure(&self) -> Failure {
        Failure {
            status: self.status(),
            code: self.code(),
            detail: self.to_string(),
        }
    }

    /// A short stable name of the kind of refusal, for statistics.
    pub fn kind(&self) -> &'static str {
        use Refusal::*;
        match self {
            ProviderNotFound(_) => "provider_not_found",
            ParentNotFound(_) => "parent_not_found",
            ParentIsSelf => "parent_is_self",
            ReparentingNotAllowed => "reparenting_not_allowed",
            UnparentingNotAllowed => "unparenting_not_allowed",
            ProviderLoop(_) => "provider_loop",
            DuplicateProviderUuid(_) => "duplicate_provider_uuid",
            DuplicateProviderName(_) => "duplicate_provider_name",
            ProviderHasChildren(_) => "provider_has_children",
            ProviderInUse(_) => "provider_in_use",
            ProviderGenerationConflict { .. } => "provider_generation_conflict",
            UnknownResourceClass(_) => "unknown_resource_class",
            ResourceClassNotFound(_) => "resource_class_not_found",
            InventoryCapacity(_) => "inventory_capacity",
            InventoryExists(_) => "inventory_exists",
            NoInventoryToUpdate(_) => "no_inventory_to_update",
            NoInventoryToDelete(_) => "no_inventory_to_delete",
            InventoryInUse(_) => "inventory_in_use",
            InventoryInUseOnDelete(_) => "inventory_in_use_on_delete",
            ConsumerGenerationConflict { .. } => "consumer_generation_conflict",
            AllocationProviderNotFound(_) => "allocation_provider_not_found",
            AmountOutOfRange => "amount_out_of_range",
            ProviderWithoutInventory(_) => "provider_without_inventory",
            NoInventoryForAllocation { .. } => "no_inventory_for_allocation",
            UnitConstraint { .. } => "unit_constraint",
            CapacityExceeded { .. } => "capacity_exceeded",
            NoAllocations(_) => "no_allocations",
            UnknownTrait(_) => "unknown_trait",
            NotCustom(_) => "not_custom",
            ResourceClassExists(_) => "resource_class_exists",
            StandardResourceClass(_) => "standard_resource_class",
            ResourceClassInUse(_) => "resource_class_in_use",
            TraitNotFound(_) => "trait_not_found",
            StandardTrait(_) => "standard_trait",
            TraitInUse(_) => "trait_in_use",
            ReshapeProviderNotFound(_) => "reshape_provider_not_found",
            GenerationExhausted => "generation_exhausted",
        }
    }
}

impl From<Refusal> for Failure {
    fn from(refusal: Refusal) -> Self {
        refusal.failure()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_placements_handlers() {
        let u = Uuid::from_u128(1);
        let x = Excerpt::of("VCPU");
        // handlers/inventory.py delete_inventory: in use -> concurrent_update.
        assert_eq!(
            Refusal::InventoryInUseOnDelete(x.clone()).code(),
            ErrorCode::ConcurrentUpdate
        );
        // handlers/inventory.py set_inventories: in use -> inventory.inuse.
        assert_eq!(
            Refusal::InventoryInUse(x.clone()).code(),
            ErrorCode::InventoryInUse
        );
        // handlers/inventory.py create_inventory: duplicate -> concurrent_update.
        assert_eq!(
            Refusal::InventoryExists(x.clone()).failure().status,
            Status::Conflict
        );
        // handlers/reshaper.py: unknown provider -> 400 resource_provider.not_found.
        let f = Refusal::ReshapeProviderNotFound(u).failure();
        assert_eq!(
            (f.status, f.code),
            (Status::BadRequest, ErrorCode::ProviderNotFound)
        );
        // handlers/resource_class.py: an existing class is a 409 without a code.
        let f = Refusal::ResourceClassExists(x).failure();
        assert_eq!((f.status, f.code), (Status::Conflict, ErrorCode::Undefined));
        let f = Refusal::ProviderHasChildren(u).failure();
        assert_eq!(f.code, ErrorCode::CannotDeleteParent);
    }

    #[test]
    fn messages_quote_names_only_as_excerpts() {
        let long = format!("CUSTOM_{}", "A".repeat(200));
        let r = Refusal::UnknownResourceClass(Excerpt::of(&long));
        assert!(r.to_string().len() < 80, "{r}");
    }
}
