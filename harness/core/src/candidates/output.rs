//! What `GET /allocation_candidates` answers: allocation requests and
//! provider summaries, in a deterministic order.
//!
//! Placement returns its candidates in whatever order its sets iterate
//! (or shuffled, with `randomize_allocation_candidates`); the core sorts
//! them, so equal inputs give equal outputs and a differential check
//! compares them as sets.

use std::collections::{BTreeMap, BTreeSet};

use crate::ids::Uuid;
use crate::names::{ResourceClass, TraitName};
use crate::query::Suffix;

/// One way to satisfy the whole request.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AllocationRequest {
    /// Amounts to allocate, by provider and class. Sums of several groups'
    /// amounts on one provider and class, so wider than one amount.
    pub allocations: BTreeMap<Uuid, BTreeMap<ResourceClass, u64>>,
    /// Which providers satisfied each group (`mappings`, microversion 1.34).
    pub mappings: BTreeMap<Suffix, BTreeSet<Uuid>>,
    /// The root of the tree the request is anchored in. Today every provider
    /// in `allocations` is in that tree; a sharing provider (which would sit
    /// in a tree of its own) will keep this anchor instead of its own root.
    pub anchor: Uuid,
}

/// Capacity and usage of one class on a summarised provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SummaryResource {
    /// `int((total - reserved) * allocation_ratio)`; negative when reserved
    /// exceeds total, and wider than 64 bits for extreme ratios.
    pub capacity: i128,
    /// The sum of current allocations.
    pub used: u64,
}

/// One provider of a tree that appears in some allocation request.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ProviderSummary {
    /// The provider.
    pub uuid: Uuid,
    /// Its parent (shown from microversion 1.29).
    pub parent: Option<Uuid>,
    /// Its root (shown from microversion 1.29).
    pub root: Uuid,
    /// Every class it has inventory of. Before microversion 1.27 Placement
    /// shows only the requested classes; the server filters with
    /// [`Candidates::requested_classes`].
    pub resources: BTreeMap<ResourceClass, SummaryResource>,
    /// Its traits (shown from microversion 1.17).
    pub traits: BTreeSet<TraitName>,
}

/// The answer of the candidates engine.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Candidates {
    /// Candidates, sorted, at most `limit` of them.
    pub allocation_requests: Vec<AllocationRequest>,
    /// Summaries of the providers in the candidates' trees, by UUID.
    pub provider_summaries: BTreeMap<Uuid, ProviderSummary>,
    /// Every class the request asked for, in any group.
    pub requested_classes: BTreeSet<ResourceClass>,
    /// Whether the engine stopped at its work cap
    /// ([`MAX_COMBINATIONS`](super::budget::MAX_COMBINATIONS)) before
    /// exploring every combination: the candidates are then a subset.
    pub truncated: bool,
}
