//! Traits: creating and deleting custom ones (`/traits/{name}`), and the
//! traits of a provider (`/resource_providers/{u}/traits`).
//!
//! Setting a provider's traits checks its generation and bumps it only when
//! the set changes (`objects/resource_provider.py` `_set_traits`); deleting
//! them takes no generation at all.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::error::Excerpt;
use crate::ids::Uuid;
use crate::names::TraitName;
use crate::outcome::Status;

use super::ops::Applied;
use super::refusal::Refusal;
use super::store::{State, bumped};

impl State {
    /// `PUT /traits/{name}`: 201 when created, 204 when it existed.
    pub(super) fn ensure_trait(&mut self, name: &TraitName) -> Result<Applied, Refusal> {
        if !name.is_custom() {
            return Err(Refusal::NotCustom(Excerpt::of(name.as_str())));
        }
        if !self.custom_traits.contains(name) {
            Arc::make_mut(&mut self.custom_traits).insert(name.clone());
            Ok(Applied::new(Status::Created))
        } else {
            Ok(Applied::new(Status::NoContent))
        }
    }

    /// `DELETE /traits/{name}`: 404, then 400 for a standard trait, then 409
    /// while a provider has it.
    pub(super) fn delete_trait(&mut self, name: &TraitName) -> Result<Applied, Refusal> {
        let x = || Excerpt::of(name.as_str());
        if !self.trait_exists(name) {
            return Err(Refusal::TraitNotFound(x()));
        }
        if !self.custom_traits.contains(name) {
            return Err(Refusal::StandardTrait(x()));
        }
        if self.providers().any(|p| p.traits.contains(name)) {
            return Err(Refusal::TraitInUse(x()));
        }
        Arc::make_mut(&mut self.custom_traits).remove(name);
        Ok(Applied::new(Status::NoContent))
    }

    /// `PUT /resource_providers/{u}/traits`.
    pub(super) fn set_provider_traits(
        &mut self,
        provider: Uuid,
        traits: &BTreeSet<TraitName>,
        generation: u32,
    ) -> Result<Applied, Refusal> {
        let current = self.existing_provider(provider)?.generation;
        if current != generation {
            return Err(Refusal::ProviderGenerationConflict {
                provider,
                current,
                sent: generation,
            });
        }
        if let Some(unknown) = traits.iter().find(|t| !self.trait_exists(t)) {
            return Err(Refusal::UnknownTrait(Excerpt::of(unknown.as_str())));
        }
        self.replace_provider_traits(provider, traits)?;
        Ok(Applied::new(Status::Ok))
    }

    /// `DELETE /resource_providers/{u}/traits`.
    pub(super) fn delete_provider_traits(&mut self, provider: Uuid) -> Result<Applied, Refusal> {
        self.existing_provider(provider)?;
        self.replace_provider_traits(provider, &BTreeSet::new())?;
        Ok(Applied::new(Status::NoContent))
    }

    fn replace_provider_traits(
        &mut self,
        provider: Uuid,
        traits: &BTreeSet<TraitName>,
    ) -> Result<(), Refusal> {
        let p = self.existing_provider(provider)?;
        if p.traits != *traits {
            let generation = bumped(p.generation, 1)?;
            let p = self
                .provider_mut(provider)
                .ok_or(Refusal::ProviderNotFound(provider))?;
            p.generation = generation;
            p.traits = traits.clone();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::super::ops::Op;
    use super::*;

    fn t(name: &str) -> TraitName {
        TraitName::parse(name).unwrap()
    }

    fn set(s: &mut State, traits: &[&str]) -> Result<Applied, Refusal> {
        let generation = generation(s, 1);
        s.apply_detailed(&Op::SetTraits {
            provider: u(1),
            traits: traits.iter().map(|x| t(x)).collect(),
            generation,
        })
    }

    #[test]
    fn custom_traits_come_and_go() {
        let mut s = State::new();
        let fast = t("CUSTOM_FAST");
        assert_eq!(
            s.apply_detailed(&Op::EnsureTrait { name: fast.clone() })
                .unwrap()
                .status,
            Status::Created
        );
        assert_eq!(
            s.apply_detailed(&Op::EnsureTrait { name: fast.clone() })
                .unwrap()
                .status,
            Status::NoContent
        );
        let std = t("HW_CPU_X86_AVX");
        assert_eq!(
            s.apply_detailed(&Op::EnsureTrait { name: std.clone() })
                .unwrap_err()
                .status(),
            Status::BadRequest
        );
        assert_eq!(
            s.apply_detailed(&Op::DeleteTrait { name: std })
                .unwrap_err(),
            Refusal::StandardTrait(Excerpt::of("HW_CPU_X86_AVX"))
        );
        s.apply_detailed(&Op::DeleteTrait { name: fast.clone() })
            .unwrap();
        assert_eq!(
            s.apply_detailed(&Op::DeleteTrait { name: fast })
                .unwrap_err()
                .status(),
            Status::NotFound
        );
    }

    #[test]
    fn provider_traits_bump_only_on_change() {
        // objects/resource_provider.py _set_traits returns early when equal.
        let mut s = providers(1, &[]);
        s.apply_detailed(&Op::EnsureTrait {
            name: t("CUSTOM_FAST"),
        })
        .unwrap();
        let g = generation(&s, 1);
        set(&mut s, &["CUSTOM_FAST", "HW_CPU_X86_AVX"]).unwrap();
        set(&mut s, &["CUSTOM_FAST", "HW_CPU_X86_AVX"]).unwrap();
        assert_eq!(generation(&s, 1), g + 1);
        assert_eq!(
            set(&mut s, &["CUSTOM_NOPE"]),
            Err(Refusal::UnknownTrait(Excerpt::of("CUSTOM_NOPE")))
        );
        let in_use = s
            .apply_detailed(&Op::DeleteTrait {
                name: t("CUSTOM_FAST"),
            })
            .unwrap_err();
        assert_eq!(in_use.status(), Status::Conflict);
        s.apply_detailed(&Op::DeleteProviderTraits { provider: u(1) })
            .unwrap();
        assert_eq!(generation(&s, 1), g + 2);
        assert!(s.provider(u(1)).unwrap().traits().is_empty());
    }
}
