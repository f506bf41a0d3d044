//! Consumers: who holds allocations, and the generation that guards them.
//!
//! A consumer record is created by the first write of allocations that names
//! it and deleted when a write leaves it without allocations. Placement also
//! leaves records without allocations behind in two cases (see
//! [`Quirk::GhostConsumerAfterMissingProvider`] and
//! [`Quirk::GhostConsumerFromEmptyAllocations`]); such a record still has a
//! generation, so the next write must send it rather than null.
//!
//! [`Quirk::GhostConsumerAfterMissingProvider`]: super::quirks::Quirk::GhostConsumerAfterMissingProvider
//! [`Quirk::GhostConsumerFromEmptyAllocations`]: super::quirks::Quirk::GhostConsumerFromEmptyAllocations

use crate::ids::Uuid;
use crate::names::{ConsumerType, ExternalId};

/// One consumer record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Consumer {
    pub(super) uuid: Uuid,
    pub(super) project: ExternalId,
    pub(super) user: ExternalId,
    pub(super) consumer_type: Option<ConsumerType>,
    pub(super) generation: u32,
}

impl Consumer {
    /// Its UUID.
    pub fn uuid(&self) -> Uuid {
        self.uuid
    }
    /// The project it belongs to.
    pub fn project(&self) -> &ExternalId {
        &self.project
    }
    /// The user it belongs to.
    pub fn user(&self) -> &ExternalId {
        &self.user
    }
    /// Its type (1.38+); `None` for consumers written before 1.38, which
    /// Placement reports as `unknown`.
    pub fn consumer_type(&self) -> Option<&ConsumerType> {
        self.consumer_type.as_ref()
    }
    /// Its generation: 0 when created, bumped by every write of its allocations.
    pub fn generation(&self) -> u32 {
        self.generation
    }
}
