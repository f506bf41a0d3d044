//! Aggregate membership of a provider (`PUT /resource_providers/{u}/aggregates`).
//!
//! From 1.19 the body carries the provider generation, a stale one is a 409
//! and every successful write bumps it, changed or not. Before 1.19 there is
//! no generation at all: the write neither checks nor bumps it
//! ([`Quirk::NoBumpForAggregatesBefore1_19`](super::quirks::Quirk::NoBumpForAggregatesBefore1_19)).
//! Aggregates need not exist beforehand; Placement creates them on first use.

use std::collections::BTreeSet;

use crate::ids::Uuid;
use crate::outcome::Status;

use super::ops::Applied;
use super::refusal::Refusal;
use super::store::{State, bumped};

impl State {
    /// Sets a provider's aggregates; `generation` is `None` before 1.19.
    pub(super) fn set_aggregates(
        &mut self,
        provider: Uuid,
        aggregates: &BTreeSet<Uuid>,
        generation: Option<u32>,
    ) -> Result<Applied, Refusal> {
        let p = self
            .providers
            .get_mut(&provider)
            .ok_or(Refusal::ProviderNotFound(provider))?;
        if let Some(sent) = generation {
            if p.generation != sent {
                return Err(Refusal::ProviderGenerationConflict {
                    provider,
                    current: p.generation,
                    sent,
                });
            }
            p.generation = bumped(p.generation, 1)?;
        }
        p.aggregates = aggregates.clone();
        Ok(Applied::new(Status::Ok))
    }
}
