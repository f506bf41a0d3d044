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
        let current = self.existing_provider(provider)?.generation;
        let generation = match generation {
            Some(sent) if current != sent => {
                return Err(Refusal::ProviderGenerationConflict {
                    provider,
                    current,
                    sent,
                });
            }
            Some(_) => bumped(current, 1)?,
            None => current,
        };
        let p = self
            .provider_mut(provider)
            .ok_or(Refusal::ProviderNotFound(provider))?;
        p.generation = generation;
        p.aggregates = aggregates.clone();
        Ok(Applied::new(Status::Ok))
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::super::ops::Op;
    use super::*;

    fn set(
        s: &mut State,
        aggregates: &[u128],
        generation: Option<u32>,
    ) -> Result<Applied, Refusal> {
        s.apply_detailed(&Op::SetAggregates {
            provider: u(1),
            aggregates: aggregates.iter().map(|a| u(0xa00 + a)).collect(),
            generation,
        })
    }

    #[test]
    fn from_1_19_generation_is_checked_and_always_bumped() {
        let mut s = providers(1, &[]);
        let g = generation(&s, 1);
        assert!(matches!(
            set(&mut s, &[1], Some(g + 1)),
            Err(Refusal::ProviderGenerationConflict { .. })
        ));
        set(&mut s, &[1], Some(g)).unwrap();
        set(&mut s, &[1], Some(g + 1)).unwrap();
        assert_eq!(generation(&s, 1), g + 2);
        assert_eq!(s.aggregate_members(u(0xa01)).count(), 1);
    }

    #[test]
    fn before_1_19_nothing_is_checked_or_bumped() {
        // handlers/aggregate.py:130 increment_generation=consider_generation.
        let mut s = providers(1, &[]);
        let g = generation(&s, 1);
        set(&mut s, &[1, 2], None).unwrap();
        assert_eq!(generation(&s, 1), g);
        assert_eq!(s.provider(u(1)).unwrap().aggregates().len(), 2);
        assert_eq!(
            s.apply_detailed(&Op::SetAggregates {
                provider: u(9),
                aggregates: Default::default(),
                generation: None
            }),
            Err(Refusal::ProviderNotFound(u(9)))
        );
    }
}
