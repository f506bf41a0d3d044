//! The rules every answer of the engine must keep, as one function.
//!
//! The property tests and the `candidates_query` fuzz target both hold the
//! engine to these rules, so a rule is written once and a fuzzer finding and
//! a proptest failure mean the same thing. Each rule reads the store only
//! through [`ProviderView`], as the engine does.

use std::collections::BTreeSet;

use crate::names::TraitName;
use crate::query::{CandidatesQuery, GroupPolicy};

use super::{Candidates, ProviderView};

/// Checks `answer` against `view` and `query`: sorted without repeats;
/// capacity, min_unit and max_unit hold on every provider and class; each
/// granular group maps to one provider that has its traits; `isolate` keeps
/// granular groups on distinct providers; every provider of a candidate is
/// in the anchor's tree or shares an aggregate with that tree as a sharing
/// provider; every provider of a candidate is summarised. The `Err` says
/// which rule broke, with the values involved.
pub fn verify(
    view: &dyn ProviderView,
    query: &CandidatesQuery,
    answer: &Candidates,
) -> Result<(), String> {
    if let Some(pair) = answer.allocation_requests.windows(2).find(|w| w[0] >= w[1]) {
        return Err(format!("allocation requests not strictly sorted: {pair:?}"));
    }
    let shares = TraitName::parse("MISC_SHARES_VIA_AGGREGATE")
        .map_err(|e| format!("standard trait does not parse: {e}"))?;
    for request in &answer.allocation_requests {
        for (provider, classes) in &request.allocations {
            let inventories = view.inventories_of(*provider);
            for (class, amount) in classes {
                let Some(inv) = inventories.get(class) else {
                    return Err(format!("{provider} has no {} inventory", class.as_str()));
                };
                let after = inv.used.saturating_add(*amount);
                if !inv.inventory.fits(after) {
                    return Err(format!(
                        "{provider} {} over capacity: {after} > {}",
                        class.as_str(),
                        inv.inventory
                    ));
                }
                if *amount < u64::from(inv.inventory.min_unit())
                    || *amount > u64::from(inv.inventory.max_unit())
                {
                    return Err(format!(
                        "{provider} {} amount {amount} outside units of {}",
                        class.as_str(),
                        inv.inventory
                    ));
                }
            }
            if !answer.provider_summaries.contains_key(provider) {
                return Err(format!("{provider} is in a candidate but not summarised"));
            }
            let in_tree = view.root_of(*provider) == Some(request.anchor);
            let sharing = view.traits_of(*provider).contains(&shares) && {
                let aggregates = view.aggregates_of(*provider);
                view.provider_uuids().into_iter().any(|other| {
                    view.root_of(other) == Some(request.anchor)
                        && !view.aggregates_of(other).is_disjoint(&aggregates)
                })
            };
            if !in_tree && !sharing {
                return Err(format!(
                    "{provider} is neither in the tree of {} nor sharing with it",
                    request.anchor
                ));
            }
        }
        let mut granular = Vec::new();
        for group in query.groups.iter().filter(|g| g.use_same_provider()) {
            let providers = request.mappings.get(&group.suffix);
            let Some(provider) = providers.filter(|p| p.len() == 1).and_then(|p| p.first()) else {
                return Err(format!(
                    "group {:?} maps to {providers:?}, not one provider",
                    group.suffix
                ));
            };
            if !group.required.holds(&view.traits_of(*provider)) {
                return Err(format!(
                    "group {:?} placed on {provider}, which lacks its traits",
                    group.suffix
                ));
            }
            granular.push(*provider);
        }
        if query.group_policy == Some(GroupPolicy::Isolate) {
            let distinct: BTreeSet<_> = granular.iter().collect();
            if distinct.len() != granular.len() {
                return Err(format!("isolate broken: granular groups on {granular:?}"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::candidates::{AllocationRequest, InventoryUse, ProviderInfo, ProviderTable};
    use crate::ids::Uuid;
    use crate::inventory::Inventory;
    use crate::microversion::Microversion;
    use crate::names::ResourceClass;

    fn one_provider(total: u32, used: u64) -> (ProviderTable, Uuid, ResourceClass) {
        let p = Uuid::from_u128(1);
        let vcpu = ResourceClass::parse("VCPU").unwrap();
        let mut info = ProviderInfo::new(p);
        info.inventories.insert(
            vcpu.clone(),
            InventoryUse {
                inventory: Inventory::with_total(total).unwrap(),
                used,
            },
        );
        let mut table = ProviderTable::default();
        table.insert(info);
        (table, p, vcpu)
    }

    #[test]
    fn an_over_capacity_candidate_is_caught() {
        let (table, p, vcpu) = one_provider(4, 3);
        let query = CandidatesQuery::parse(Microversion::MAX, "resources=VCPU:2").unwrap();
        let honest = crate::candidates::allocation_candidates(&table, &query).unwrap();
        assert!(honest.allocation_requests.is_empty());
        assert_eq!(verify(&table, &query, &honest), Ok(()));
        let mut forged = honest.clone();
        forged.allocation_requests.push(AllocationRequest {
            allocations: BTreeMap::from([(p, BTreeMap::from([(vcpu, 2)]))]),
            mappings: BTreeMap::new(),
            anchor: p,
        });
        let broken = verify(&table, &query, &forged).unwrap_err();
        assert!(broken.contains("over capacity"), "{broken}");
    }
}
