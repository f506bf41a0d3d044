//! The state itself and its read side.
//!
//! Everything is kept in ordered maps so that iteration order, and so every
//! listing a server builds from the state, is deterministic. Usages are kept
//! as an index next to the allocations they sum, because capacity checks read
//! them on every write; the invariant checker recomputes the sums and compares.
//!
//! Each part of the state, and each provider, is shared (`Arc`) and copied
//! on write: the fuzzer and the step checks keep the state from before every
//! operation, so a clone must cost reference counts, not a deep copy, and an
//! operation copies only the parts it changes (a refused one, none).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::ids::Uuid;
use crate::inventory::{Inventory, MAX_INT};
use crate::names::{ConsumerType, ExternalId, ResourceClass, TraitName};

use super::allocations::AllocationMap;
use super::consumers::Consumer;
use super::providers::Provider;
use super::refusal::Refusal;

/// Everything a Placement database holds that the API can change.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct State {
    pub(super) custom_classes: Arc<BTreeSet<ResourceClass>>,
    pub(super) custom_traits: Arc<BTreeSet<TraitName>>,
    pub(super) providers: Arc<BTreeMap<Uuid, Arc<Provider>>>,
    pub(super) consumers: Arc<BTreeMap<Uuid, Consumer>>,
    /// consumer -> provider -> class -> amount; a consumer appears here only
    /// while it has at least one allocation.
    pub(super) allocations: Arc<BTreeMap<Uuid, AllocationMap>>,
    /// provider -> class -> sum of amounts, only non-zero sums.
    pub(super) usages: Arc<BTreeMap<Uuid, BTreeMap<ResourceClass, u64>>>,
    /// What a refused allocation write leaves behind.
    pub(super) refused_writes: RefusedWrites,
}

/// What a refused allocation write (`PUT /allocations/{c}`,
/// `POST /allocations`, `POST /reshaper`) leaves in the state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RefusedWrites {
    /// Placement 16.0.0's behaviour, the model's default: the consumers the
    /// write created before it found a provider missing stay behind, empty,
    /// at generation 0
    /// ([`Quirk::GhostConsumerAfterMissingProvider`](super::quirks::Quirk::GhostConsumerAfterMissingProvider)),
    /// so the scanner and the fuzzer can predict real Placement.
    #[default]
    LeaveGhostConsumers,
    /// Atomic writes: a refused write changes nothing. What the reference
    /// server runs (a ghost makes the next write with `consumer_generation:
    /// null`, the right one for a new consumer, fail with 409).
    ChangeNothing,
}

/// Which consumers a usage query counts (`GET /usages`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageFilter<'a> {
    /// The project, always given.
    pub project: &'a ExternalId,
    /// Only this user's consumers, if given.
    pub user: Option<&'a ExternalId>,
    /// Only consumers of this type, if given (`None` inside: consumers
    /// without a type, which Placement reports as `unknown`).
    pub consumer_type: Option<Option<&'a ConsumerType>>,
}

impl State {
    /// An empty state: standard classes and traits only, nothing else.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty state whose refused allocation writes behave as `mode` says.
    pub fn with_refused_writes(mode: RefusedWrites) -> Self {
        State {
            refused_writes: mode,
            ..Self::default()
        }
    }

    /// What a refused allocation write leaves behind in this state.
    pub fn refused_writes(&self) -> RefusedWrites {
        self.refused_writes
    }

    /// Every provider, by UUID.
    pub fn providers(&self) -> impl Iterator<Item = &Provider> {
        self.providers.values().map(|p| &**p)
    }

    /// The provider with this UUID.
    pub fn provider(&self, uuid: Uuid) -> Option<&Provider> {
        self.providers.get(&uuid).map(|p| &**p)
    }

    /// The provider with this UUID, to change: copies the provider table
    /// and the provider if another state still shares them, and nothing
    /// when there is no such provider.
    pub(super) fn provider_mut(&mut self, uuid: Uuid) -> Option<&mut Provider> {
        if !self.providers.contains_key(&uuid) {
            return None;
        }
        Arc::make_mut(&mut self.providers)
            .get_mut(&uuid)
            .map(Arc::make_mut)
    }

    /// The provider with this name.
    pub fn provider_by_name(&self, name: &str) -> Option<&Provider> {
        self.providers().find(|p| p.name().as_str() == name)
    }

    /// The direct children of a provider.
    pub fn children(&self, uuid: Uuid) -> impl Iterator<Item = &Provider> {
        self.providers().filter(move |p| p.parent() == Some(uuid))
    }

    /// Every provider whose root is `root` (the whole tree), by UUID.
    pub fn tree(&self, root: Uuid) -> impl Iterator<Item = &Provider> {
        self.providers().filter(move |p| p.root() == root)
    }

    /// The provider and all its descendants.
    pub fn subtree(&self, uuid: Uuid) -> BTreeSet<Uuid> {
        let mut found = BTreeSet::new();
        let mut pending = vec![uuid];
        while let Some(next) = pending.pop() {
            if found.insert(next) {
                pending.extend(self.children(next).map(Provider::uuid));
            }
        }
        found
    }

    /// The providers `GET /resource_providers` lists for `q`, by UUID:
    /// each filter of the query holds for the provider (name, uuid, the
    /// tree of `in_tree`, `member_of`, `required`, and room for every
    /// amount of `resources` within its inventory's unit rules). The
    /// reference server serves exactly this; the `list_query` and
    /// `state_ops` fuzz targets check it against the records themselves.
    pub fn providers_matching<'s>(
        &'s self,
        q: &'s crate::query::ProviderQuery,
    ) -> impl Iterator<Item = &'s Provider> {
        self.providers().filter(move |p| self.lists(p, q))
    }

    fn lists(&self, p: &Provider, q: &crate::query::ProviderQuery) -> bool {
        let name_ok = q.name.as_ref().is_none_or(|n| n == p.name());
        let uuid_ok = q.uuid.is_none_or(|u| u == p.uuid());
        let tree_ok = q
            .in_tree
            .is_none_or(|t| self.provider(t).is_some_and(|t| t.root() == p.root()));
        let aggs_ok =
            q.member_of.required_hold(p.aggregates()) && q.member_of.forbidden_hold(p.aggregates());
        let traits_ok = q.required.holds(p.traits());
        let resources_ok = q.resources.iter().all(|(rc, amount)| {
            p.inventory(rc).is_some_and(|inv| {
                let amount = u64::from(*amount);
                inv.check_units(amount).is_ok()
                    && inv.fits(self.usage(p.uuid(), rc).saturating_add(amount))
            })
        });
        name_ok && uuid_ok && tree_ok && aggs_ok && traits_ok && resources_ok
    }

    /// Providers that are members of the aggregate.
    pub fn aggregate_members(&self, aggregate: Uuid) -> impl Iterator<Item = &Provider> {
        self.providers()
            .filter(move |p| p.aggregates().contains(&aggregate))
    }

    /// The inventories of a provider, if it exists.
    pub fn inventories(&self, provider: Uuid) -> Option<&BTreeMap<ResourceClass, Inventory>> {
        self.provider(provider).map(Provider::inventories)
    }

    /// The usage of every class on a provider (only classes in use).
    pub fn usages(&self, provider: Uuid) -> impl Iterator<Item = (&ResourceClass, u64)> {
        self.usages
            .get(&provider)
            .into_iter()
            .flat_map(|m| m.iter().map(|(rc, used)| (rc, *used)))
    }

    /// The usage of one class on a provider (0 when unused).
    pub fn usage(&self, provider: Uuid, class: &ResourceClass) -> u64 {
        self.usages
            .get(&provider)
            .and_then(|m| m.get(class))
            .copied()
            .unwrap_or(0)
    }

    /// Whether usage of `class` on `provider` is above its capacity (or the
    /// class has usage but no inventory, which the model never allows).
    pub fn over_capacity(&self, provider: Uuid, class: &ResourceClass) -> bool {
        let used = self.usage(provider, class);
        match self.provider(provider).and_then(|p| p.inventory(class)) {
            Some(inv) => !inv.fits(used),
            None => used > 0,
        }
    }

    /// `GET /resource_providers/{u}/usages`: every class the provider has
    /// an inventory of, with its usage (0 when unused).
    pub fn provider_usages(&self, provider: Uuid) -> Option<BTreeMap<ResourceClass, u64>> {
        let p = self.provider(provider)?;
        Some(
            p.inventories
                .keys()
                .map(|rc| (rc.clone(), self.usage(provider, rc)))
                .collect(),
        )
    }

    /// How many consumers with allocations a filter selects (the
    /// `consumer_count` of `GET /usages` from 1.38).
    pub fn consumer_count_by(&self, filter: &UsageFilter<'_>) -> u64 {
        let count = self
            .allocations
            .keys()
            .filter_map(|c| self.consumers.get(c))
            .filter(|record| Self::selects(filter, record))
            .count();
        u64::try_from(count).unwrap_or(u64::MAX)
    }

    fn selects(filter: &UsageFilter<'_>, record: &Consumer) -> bool {
        record.project() == filter.project
            && filter.user.is_none_or(|u| u == record.user())
            && filter
                .consumer_type
                .is_none_or(|t| t == record.consumer_type())
    }

    /// The summed usage of the consumers a filter selects, per class.
    pub fn usages_by(&self, filter: &UsageFilter<'_>) -> BTreeMap<ResourceClass, u64> {
        let mut sums: BTreeMap<ResourceClass, u64> = BTreeMap::new();
        for (consumer, allocations) in self.allocations.iter() {
            let Some(record) = self.consumers.get(consumer) else {
                continue;
            };
            if !Self::selects(filter, record) {
                continue;
            }
            for resources in allocations.values() {
                for (rc, amount) in resources {
                    let sum = sums.entry(rc.clone()).or_insert(0);
                    *sum = sum.saturating_add(u64::from(*amount));
                }
            }
        }
        sums
    }

    /// Every consumer record, including those without allocations.
    pub fn consumers(&self) -> impl Iterator<Item = &Consumer> {
        self.consumers.values()
    }

    /// The consumer with this UUID.
    pub fn consumer(&self, uuid: Uuid) -> Option<&Consumer> {
        self.consumers.get(&uuid)
    }

    /// The allocations of a consumer, by provider then class (`None` when it has none).
    pub fn consumer_allocations(&self, consumer: Uuid) -> Option<&AllocationMap> {
        self.allocations.get(&consumer)
    }

    /// The allocations against a provider, by consumer then class.
    pub fn provider_allocations(
        &self,
        provider: Uuid,
    ) -> BTreeMap<Uuid, &BTreeMap<ResourceClass, u32>> {
        self.allocations
            .iter()
            .filter_map(|(consumer, map)| map.get(&provider).map(|r| (*consumer, r)))
            .collect()
    }

    /// Whether a resource class exists (standard or created).
    pub fn resource_class_exists(&self, class: &ResourceClass) -> bool {
        class.is_standard() || self.custom_classes.contains(class)
    }

    /// Every resource class: the standard ones then the custom ones.
    pub fn resource_classes(&self) -> impl Iterator<Item = &str> {
        crate::names::STANDARD_RESOURCE_CLASSES
            .iter()
            .copied()
            .chain(self.custom_classes.iter().map(ResourceClass::as_str))
    }

    /// Whether a trait exists (standard or created).
    pub fn trait_exists(&self, name: &TraitName) -> bool {
        self.custom_traits.contains(name) || name.is_standard()
    }

    /// Every custom trait.
    pub fn custom_traits(&self) -> impl Iterator<Item = &TraitName> {
        self.custom_traits.iter()
    }

    /// Every custom resource class.
    pub fn custom_resource_classes(&self) -> impl Iterator<Item = &ResourceClass> {
        self.custom_classes.iter()
    }

    pub(super) fn existing_provider(&self, uuid: Uuid) -> Result<&Provider, Refusal> {
        self.provider(uuid).ok_or(Refusal::ProviderNotFound(uuid))
    }

    /// Replaces one consumer's allocations, keeping the usage index in step.
    pub(super) fn replace_allocations(&mut self, consumer: Uuid, new: AllocationMap) {
        let old = if self.allocations.contains_key(&consumer) {
            Arc::make_mut(&mut self.allocations).remove(&consumer)
        } else {
            None
        };
        if let Some(old) = old {
            for (provider, resources) in &old {
                for (rc, amount) in resources {
                    self.adjust_usage(*provider, rc, u64::from(*amount), false);
                }
            }
        }
        let new: AllocationMap = new
            .into_iter()
            .map(|(p, r)| (p, r.into_iter().filter(|(_, a)| *a > 0).collect()))
            .filter(|(_, r): &(Uuid, BTreeMap<ResourceClass, u32>)| !r.is_empty())
            .collect();
        if new.is_empty() {
            return;
        }
        for (provider, resources) in &new {
            for (rc, amount) in resources {
                self.adjust_usage(*provider, rc, u64::from(*amount), true);
            }
        }
        Arc::make_mut(&mut self.allocations).insert(consumer, new);
    }

    fn adjust_usage(&mut self, provider: Uuid, class: &ResourceClass, amount: u64, add: bool) {
        let usages = Arc::make_mut(&mut self.usages);
        let per_provider = usages.entry(provider).or_default();
        let used = per_provider.entry(class.clone()).or_insert(0);
        *used = if add {
            used.saturating_add(amount)
        } else {
            used.saturating_sub(amount)
        };
        if *used == 0 {
            per_provider.remove(class);
        }
        if per_provider.is_empty() {
            usages.remove(&provider);
        }
    }
}

/// `generation + by`, refused past Placement's 32-bit column.
pub(super) fn bumped(generation: u32, by: u32) -> Result<u32, Refusal> {
    generation
        .checked_add(by)
        .filter(|g| *g <= MAX_INT)
        .ok_or(Refusal::GenerationExhausted)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn usages_by_provider_project_user_and_type() {
        let mut s = providers(2, &[("VCPU", inv(8)), ("DISK_GB", inv(8))]);
        put(&mut s, 1, &[(1, "VCPU", 2), (2, "VCPU", 1)]).unwrap();
        let mut other = write(&[(1, "VCPU", 3)], None);
        other.user = ExternalId::parse("someone").unwrap();
        other.consumer_type = None;
        put_at(&mut s, 37, 2, other).unwrap();

        let on_one = s.provider_usages(u(1)).unwrap();
        assert_eq!(on_one.get(&rc("VCPU")), Some(&5));
        assert_eq!(on_one.get(&rc("DISK_GB")), Some(&0));
        assert!(s.provider_usages(u(9)).is_none());

        let project = ExternalId::parse("project").unwrap();
        let user = ExternalId::parse("user").unwrap();
        let all = UsageFilter {
            project: &project,
            user: None,
            consumer_type: None,
        };
        assert_eq!(s.usages_by(&all).get(&rc("VCPU")), Some(&6));
        assert_eq!(s.consumer_count_by(&all), 2);
        let mine = UsageFilter {
            user: Some(&user),
            ..all.clone()
        };
        assert_eq!(s.usages_by(&mine).get(&rc("VCPU")), Some(&3));
        let unknown = UsageFilter {
            consumer_type: Some(None),
            ..all.clone()
        };
        assert_eq!(s.usages_by(&unknown).get(&rc("VCPU")), Some(&3));
        assert_eq!(s.consumer_count_by(&unknown), 1);

        assert_eq!(s.provider_allocations(u(1)).len(), 2);
        assert_eq!(s.consumer_allocations(c(1)).unwrap().len(), 2);
        assert_eq!(s.subtree(u(1)), BTreeSet::from([u(1)]));
    }
}
