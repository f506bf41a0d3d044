//! What must hold of every state, and of every step from one state to the next.
//!
//! [`check`] looks at one state: trees, names, generations, allocations and
//! the usage index. [`check_step`] looks at one applied operation: the
//! outcome is a typed Placement answer, a failure changed nothing, a
//! generation changed only for objects the operation names and never went
//! back, a change to a provider or consumer came with a new generation, and
//! no usage went over capacity unless Placement's own rules allow it. Every
//! place where Placement does not follow the clean rule is allowed by name,
//! with its [`Quirk`], never by loosening the rule for everyone.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use crate::ids::Uuid;
use crate::inventory::MAX_INT;
use crate::names::ResourceClass;
use crate::outcome::{ErrorCode, Failure, Status};

use super::ops::{Applied, Op};
use super::quirks::Quirk;
use super::store::State;

/// Which rule a [`Violation`] breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    /// A parent that does not exist, a wrong root, or a cycle.
    Tree,
    /// Two providers with one name.
    UniqueName,
    /// A generation above Placement's 32-bit column.
    GenerationBound,
    /// An inventory of a class that does not exist, or a trait that does not.
    DanglingName,
    /// An allocation without a consumer record, provider or inventory, or
    /// with an amount outside 1..=2^31-1.
    Allocation,
    /// The usage index differs from the sum of allocations.
    Usage,
    /// A failure outside Placement's statuses and codes.
    UntypedFailure,
    /// A failure changed the state (beyond the allowed ghost consumers).
    FailureChangedState,
    /// A generation went back.
    GenerationWentBack,
    /// A provider or consumer changed without a new generation.
    ChangeWithoutGeneration,
    /// A generation changed on an object the operation does not name.
    UnexpectedGeneration,
    /// A usage went over capacity, or further over it.
    Capacity,
    /// A provider or consumer appeared or vanished without an operation for it.
    UnexpectedExistence,
}

/// A broken invariant: which rule and the values involved.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct Violation {
    /// The rule.
    pub rule: Rule,
    /// What broke it.
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.rule, self.detail)
    }
}

fn fail<T>(rule: Rule, detail: impl Into<String>) -> Result<T, Violation> {
    Err(Violation {
        rule,
        detail: detail.into(),
    })
}

/// Checks one state.
pub fn check(state: &State) -> Result<(), Violation> {
    let mut names = BTreeSet::new();
    for p in state.providers.values() {
        if !names.insert(p.name.as_str()) {
            return fail(Rule::UniqueName, format!("{} repeats a name", p.uuid));
        }
        if p.generation > MAX_INT {
            return fail(Rule::GenerationBound, format!("provider {}", p.uuid));
        }
        // Walk up; a chain longer than the number of providers is a cycle.
        let mut top = p;
        for _ in 0..=state.providers.len() {
            match top.parent {
                None => break,
                Some(parent) => match state.providers.get(&parent) {
                    Some(next) => top = next,
                    None => return fail(Rule::Tree, format!("{} has a missing parent", p.uuid)),
                },
            }
        }
        if top.parent.is_some() {
            return fail(Rule::Tree, format!("{} is in a cycle", p.uuid));
        }
        if top.uuid != p.root {
            return fail(
                Rule::Tree,
                format!(
                    "{} has root {}, its tree's top is {}",
                    p.uuid, p.root, top.uuid
                ),
            );
        }
        if let Some(rc) = p
            .inventories
            .keys()
            .find(|rc| !state.resource_class_exists(rc))
        {
            return fail(
                Rule::DanglingName,
                format!("{} has inventory of {rc}", p.uuid),
            );
        }
        if let Some(t) = p.traits.iter().find(|t| !state.trait_exists(t)) {
            return fail(Rule::DanglingName, format!("{} has trait {t}", p.uuid));
        }
    }
    for c in state.consumers.values() {
        if c.generation > MAX_INT {
            return fail(Rule::GenerationBound, format!("consumer {}", c.uuid));
        }
    }
    // (provider, class, amount) of every allocation, summed below into the
    // sums the usage index must hold: a sorted list costs one allocation
    // where a map costs one per node, and the check runs after every step.
    let mut sums: Vec<(Uuid, &ResourceClass, u64)> = Vec::new();
    for (consumer, map) in state.allocations.iter() {
        if !state.consumers.contains_key(consumer) {
            return fail(
                Rule::Allocation,
                format!("consumer {consumer} has no record"),
            );
        }
        if map.is_empty() {
            return fail(
                Rule::Allocation,
                format!("consumer {consumer} has an empty map"),
            );
        }
        for (provider, resources) in map {
            let Some(p) = state.providers.get(provider) else {
                return fail(
                    Rule::Allocation,
                    format!("{consumer} on missing {provider}"),
                );
            };
            if resources.is_empty() {
                return fail(Rule::Allocation, format!("{consumer} on {provider}: empty"));
            }
            for (rc, amount) in resources {
                if !(1..=MAX_INT).contains(amount) {
                    return fail(Rule::Allocation, format!("{consumer}: amount {amount}"));
                }
                if p.inventory(rc).is_none() {
                    return fail(
                        Rule::Allocation,
                        format!("{consumer} on {provider}: {rc} without inventory"),
                    );
                }
                sums.push((*provider, rc, u64::from(*amount)));
            }
        }
    }
    sums.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    sums.dedup_by(|later, kept| {
        let same = (later.0, later.1) == (kept.0, kept.1);
        if same {
            kept.2 = kept.2.saturating_add(later.2);
        }
        same
    });
    let indexed = state
        .usages
        .iter()
        .flat_map(|(p, m)| m.iter().map(move |(rc, u)| (*p, rc, *u)));
    if !indexed.eq(sums.iter().copied()) {
        return fail(Rule::Usage, "usage index differs from the allocations");
    }
    Ok(())
}

fn check_failure_is_typed(failure: &Failure) -> Result<(), Violation> {
    let typed = match failure.code {
        ErrorCode::Undefined => matches!(
            failure.status,
            Status::BadRequest | Status::NotFound | Status::Conflict
        ),
        ErrorCode::ProviderNotFound => failure.status == Status::BadRequest,
        ErrorCode::InventoryInUse
        | ErrorCode::ConcurrentUpdate
        | ErrorCode::DuplicateName
        | ErrorCode::ProviderInUse
        | ErrorCode::CannotDeleteParent => failure.status == Status::Conflict,
        // Query codes belong to query parsing, never to a state change.
        ErrorCode::QueryDuplicateKey | ErrorCode::QueryBadValue | ErrorCode::QueryMissingValue => {
            false
        }
    };
    if typed && !failure.detail.is_empty() {
        Ok(())
    } else {
        fail(Rule::UntypedFailure, format!("{failure}"))
    }
}

/// Checks one step: `after` is `before` with `op` applied, answering `result`.
pub fn check_step(
    before: &State,
    op: &Op,
    result: &Result<Applied, Failure>,
    after: &State,
) -> Result<(), Violation> {
    match result {
        Err(failure) => {
            check_failure_is_typed(failure)?;
            check_unchanged_but_ghosts(before, op, failure, after)
        }
        Ok(applied) => {
            if !matches!(
                applied.status,
                Status::Ok | Status::Created | Status::NoContent
            ) {
                return fail(
                    Rule::UntypedFailure,
                    format!("success with {:?}", applied.status),
                );
            }
            let named_consumers = op.named_consumers();
            check_existence(before, op, &named_consumers, after)?;
            check_provider_generations(before, op, after)?;
            check_consumer_generations(before, op, &named_consumers, after)?;
            check_capacity(before, op, after)
        }
    }
}

/// Whether a part of the state is what it was. A part that an operation did
/// not write is still shared with the state before it, which answers
/// without comparing.
fn same<T: PartialEq>(before: &Arc<T>, after: &Arc<T>) -> bool {
    Arc::ptr_eq(before, after) || before == after
}

fn check_unchanged_but_ghosts(
    before: &State,
    op: &Op,
    failure: &Failure,
    after: &State,
) -> Result<(), Violation> {
    let same = same(&before.custom_classes, &after.custom_classes)
        && same(&before.custom_traits, &after.custom_traits)
        && same(&before.providers, &after.providers)
        && same(&before.allocations, &after.allocations)
        && same(&before.usages, &after.usages);
    if !same {
        return fail(
            Rule::FailureChangedState,
            format!("{} failed: {failure}", op.name()),
        );
    }
    if Arc::ptr_eq(&before.consumers, &after.consumers) {
        return Ok(());
    }
    let named = op.named_consumers();
    for (uuid, c) in after.consumers.iter() {
        match before.consumers.get(uuid) {
            Some(b) if b == c => {}
            Some(_) => {
                return fail(
                    Rule::FailureChangedState,
                    format!("consumer {uuid} changed"),
                );
            }
            // Allowed: Quirk::GhostConsumerAfterMissingProvider.
            None if failure.status == Status::BadRequest
                && named.contains(uuid)
                && c.generation == 0 => {}
            None => {
                return fail(
                    Rule::FailureChangedState,
                    format!(
                        "consumer {uuid} appeared ({:?} not allowed)",
                        Quirk::GhostConsumerAfterMissingProvider
                    ),
                );
            }
        }
    }
    if before
        .consumers
        .keys()
        .any(|c| !after.consumers.contains_key(c))
    {
        return fail(Rule::FailureChangedState, "a consumer vanished");
    }
    Ok(())
}

fn check_existence(
    before: &State,
    op: &Op,
    named: &BTreeSet<Uuid>,
    after: &State,
) -> Result<(), Violation> {
    for uuid in after.providers.keys() {
        if !before.providers.contains_key(uuid)
            && !matches!(op, Op::CreateProvider { uuid: u, .. } if u == uuid)
        {
            return fail(
                Rule::UnexpectedExistence,
                format!("provider {uuid} appeared"),
            );
        }
        if let Some(p) = after
            .providers
            .get(uuid)
            .filter(|_| !before.providers.contains_key(uuid))
        {
            if p.generation != 0 {
                return fail(Rule::UnexpectedGeneration, format!("new provider {uuid}"));
            }
        }
    }
    for uuid in before.providers.keys() {
        if !after.providers.contains_key(uuid)
            && !matches!(op, Op::DeleteProvider { uuid: u } if u == uuid)
        {
            return fail(
                Rule::UnexpectedExistence,
                format!("provider {uuid} vanished"),
            );
        }
    }
    for uuid in after.consumers.keys().chain(before.consumers.keys()) {
        let changed = before.consumers.contains_key(uuid) != after.consumers.contains_key(uuid);
        if changed && !named.contains(uuid) {
            return fail(
                Rule::UnexpectedExistence,
                format!("consumer {uuid} came or went"),
            );
        }
    }
    Ok(())
}

fn check_provider_generations(before: &State, op: &Op, after: &State) -> Result<(), Violation> {
    let mut named = op.named_providers();
    for consumer in op.wiped_consumers() {
        named.extend(
            before
                .allocations
                .get(&consumer)
                .into_iter()
                .flat_map(|m| m.keys()),
        );
    }
    for (uuid, b) in before.providers.iter() {
        let Some(a) = after.providers.get(uuid) else {
            continue;
        };
        if a.generation < b.generation {
            return fail(Rule::GenerationWentBack, format!("provider {uuid}"));
        }
        let delta = a.generation - b.generation;
        if delta > 0 && !named.contains(uuid) {
            return fail(
                Rule::UnexpectedGeneration,
                format!("provider {uuid} by {}", op.name()),
            );
        }
        // A reshape bumps up to three times (interim, allocations, final).
        if delta > 3 || (delta > 1 && !matches!(op, Op::Reshape { .. })) {
            return fail(
                Rule::UnexpectedGeneration,
                format!("provider {uuid} +{delta}"),
            );
        }
        // Allowed: Quirk::RenameClassWithoutBump, if the provider is exactly
        // what it was with the class re-keyed.
        if let Op::RenameResourceClass { from, to } = op {
            let renamed = |k: &ResourceClass| if k == from { to.clone() } else { k.clone() };
            let same = delta == 0
                && a.inventories.len() == b.inventories.len()
                && b.inventories
                    .iter()
                    .all(|(k, v)| a.inventories.get(&renamed(k)) == Some(v));
            if !same {
                return fail(Rule::ChangeWithoutGeneration, format!("rename on {uuid}"));
            }
            continue;
        }
        if delta > 0 {
            continue;
        }
        // Allocations that no state wrote since `before` are the same.
        let allocations_changed = !Arc::ptr_eq(&before.allocations, &after.allocations)
            && !allocations_on(before, *uuid).eq(allocations_on(after, *uuid));
        // Allowed: Quirk::NoProviderBumpWhenAllocationsLeave, for allocation
        // writes that do not name the provider and for DELETE /allocations.
        let allocations_left = allocations_changed
            && matches!(
                op,
                Op::DeleteAllocations { .. }
                    | Op::PutAllocations { .. }
                    | Op::PostAllocations { .. }
                    | Op::Reshape { .. }
            )
            && !named.contains(uuid);
        if allocations_changed && !allocations_left {
            return fail(
                Rule::ChangeWithoutGeneration,
                format!("allocations on {uuid}"),
            );
        }
        // Allowed: Quirk::NoBumpForAggregatesBefore1_19.
        let old_aggregates = matches!(
            op,
            Op::SetAggregates {
                generation: None,
                ..
            }
        );
        if a.aggregates != b.aggregates && !old_aggregates {
            return fail(
                Rule::ChangeWithoutGeneration,
                format!("aggregates of {uuid}"),
            );
        }
        if a.inventories != b.inventories || a.traits != b.traits {
            return fail(Rule::ChangeWithoutGeneration, format!("provider {uuid}"));
        }
    }
    Ok(())
}

/// The allocations against a provider, by consumer: what
/// [`State::provider_allocations`] collects, read in place.
fn allocations_on(
    state: &State,
    provider: Uuid,
) -> impl Iterator<Item = (&Uuid, &super::allocations::Resources)> {
    state
        .allocations
        .iter()
        .filter_map(move |(consumer, map)| map.get(&provider).map(|r| (consumer, r)))
}

fn check_consumer_generations(
    before: &State,
    op: &Op,
    named: &BTreeSet<Uuid>,
    after: &State,
) -> Result<(), Violation> {
    for (uuid, a) in after.consumers.iter() {
        let Some(b) = before.consumers.get(uuid) else {
            if a.generation > 1 {
                return fail(Rule::UnexpectedGeneration, format!("new consumer {uuid}"));
            }
            continue;
        };
        if a.generation < b.generation {
            return fail(Rule::GenerationWentBack, format!("consumer {uuid}"));
        }
        let delta = a.generation - b.generation;
        if delta > 1 || (delta > 0 && !named.contains(uuid)) {
            return fail(
                Rule::UnexpectedGeneration,
                format!("consumer {uuid} +{delta}"),
            );
        }
        let renamed = matches!(op, Op::RenameResourceClass { .. });
        if delta == 0 && !renamed && before.allocations.get(uuid) != after.allocations.get(uuid) {
            return fail(Rule::ChangeWithoutGeneration, format!("consumer {uuid}"));
        }
    }
    Ok(())
}

fn check_capacity(before: &State, op: &Op, after: &State) -> Result<(), Violation> {
    // Allowed: Quirk::InventoryMayShrinkBelowUsage, for operations that write
    // inventories (a reshape's final inventories included).
    let writes_inventories = matches!(
        op,
        Op::CreateInventory { .. }
            | Op::UpdateInventory { .. }
            | Op::SetInventories { .. }
            | Op::Reshape { .. }
    );
    for (provider, classes) in after.usages.iter() {
        for (rc, used) in classes {
            if !after.over_capacity(*provider, rc) {
                continue;
            }
            // A rename carries a class's inventory and usage to the new name,
            // an overage included: before, they were the old name's.
            let was = match op {
                Op::RenameResourceClass { from, to } if rc == to => from,
                _ => rc,
            };
            let previous = before.usage(*provider, was);
            let was_over = before.over_capacity(*provider, was);
            // A reshape checks its allocations against the interim (old and
            // new) inventories, then may store smaller final ones.
            let reshaped = matches!(op, Op::Reshape { .. });
            if !reshaped && (*used > previous || !(was_over || writes_inventories)) {
                return fail(
                    Rule::Capacity,
                    format!("{rc} on {provider}: {previous} -> {used} by {}", op.name()),
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    fn used_state() -> State {
        let mut s = providers(2, &[("VCPU", inv(8))]);
        put(&mut s, 1, &[(1, "VCPU", 4)]).unwrap();
        s
    }

    #[test]
    fn a_clean_state_passes() {
        check(&used_state()).unwrap();
        check(&State::new()).unwrap();
    }

    #[test]
    fn broken_states_are_caught() {
        let mut s = used_state();
        Arc::make_mut(&mut s.usages).clear();
        assert_eq!(check(&s).unwrap_err().rule, Rule::Usage);

        let mut s = used_state();
        if let Some(p) = s.provider_mut(u(2)) {
            p.root = u(1);
        }
        assert_eq!(check(&s).unwrap_err().rule, Rule::Tree);

        let mut s = used_state();
        if let Some(p) = s.provider_mut(u(1)) {
            p.parent = Some(u(2));
            p.root = u(1);
        }
        if let Some(p) = s.provider_mut(u(2)) {
            p.parent = Some(u(1));
            p.root = u(1);
        }
        assert_eq!(check(&s).unwrap_err().rule, Rule::Tree);

        let mut s = used_state();
        if let Some(p) = s.provider_mut(u(1)) {
            p.inventories.clear();
        }
        assert_eq!(check(&s).unwrap_err().rule, Rule::Allocation);

        let mut s = used_state();
        Arc::make_mut(&mut s.consumers).clear();
        assert_eq!(check(&s).unwrap_err().rule, Rule::Allocation);
    }

    #[test]
    fn steps_are_held_to_their_rules() {
        let before = used_state();
        let op = Op::DeleteProvider { uuid: u(2) };
        let refused: Result<Applied, Failure> = Err(Failure::bad_request("no"));

        let mut changed = before.clone();
        Arc::make_mut(&mut changed.providers).remove(&u(2));
        assert_eq!(
            check_step(&before, &op, &refused, &changed)
                .unwrap_err()
                .rule,
            Rule::FailureChangedState
        );
        let odd = Err(Failure {
            status: Status::Conflict,
            code: ErrorCode::QueryBadValue,
            detail: "x".into(),
        });
        assert_eq!(
            check_step(&before, &op, &odd, &before).unwrap_err().rule,
            Rule::UntypedFailure
        );

        let ok = Ok(Applied {
            status: Status::NoContent,
        });
        let mut back = before.clone();
        if let Some(p) = back.provider_mut(u(1)) {
            p.generation -= 1;
        }
        assert_eq!(
            check_step(
                &before,
                &Op::DeleteProviderTraits { provider: u(1) },
                &ok,
                &back
            )
            .unwrap_err()
            .rule,
            Rule::GenerationWentBack
        );
        let mut silent = before.clone();
        if let Some(p) = silent.provider_mut(u(1)) {
            p.inventories.clear();
            p.inventories.insert(rc("VCPU"), inv(2));
        }
        assert_eq!(
            check_step(
                &before,
                &Op::DeleteInventories { provider: u(1) },
                &ok,
                &silent
            )
            .unwrap_err()
            .rule,
            Rule::ChangeWithoutGeneration
        );
        let mut bumped_elsewhere = before.clone();
        if let Some(p) = bumped_elsewhere.provider_mut(u(2)) {
            p.generation += 1;
        }
        assert_eq!(
            check_step(
                &before,
                &Op::DeleteInventories { provider: u(1) },
                &ok,
                &bumped_elsewhere
            )
            .unwrap_err()
            .rule,
            Rule::UnexpectedGeneration
        );
    }

    #[test]
    fn a_rename_carries_an_overage_to_the_new_name() {
        let mut s = State::new();
        let gold = Op::EnsureResourceClass {
            name: rc("CUSTOM_GOLD"),
        };
        s.apply_detailed(&gold).unwrap();
        s.apply_detailed(&Op::CreateProvider {
            microversion: mv(39),
            uuid: u(1),
            name: crate::names::ProviderName::parse("rp1").unwrap(),
            parent: None,
        })
        .unwrap();
        set_inventories(&mut s, 1, &[("CUSTOM_GOLD", inv(8))]).unwrap();
        put(&mut s, 1, &[(1, "CUSTOM_GOLD", 6)]).unwrap();
        // Quirk::InventoryMayShrinkBelowUsage.
        set_inventories(&mut s, 1, &[("CUSTOM_GOLD", inv(4))]).unwrap();
        let before = s.clone();
        let op = Op::RenameResourceClass {
            from: rc("CUSTOM_GOLD"),
            to: rc("CUSTOM_SILVER"),
        };
        let result = s.apply(&op);
        assert!(s.over_capacity(u(1), &rc("CUSTOM_SILVER")));
        check_step(&before, &op, &result, &s).unwrap();
        check(&s).unwrap();
    }

    #[test]
    fn capacity_may_not_get_worse_by_allocating() {
        let before = used_state();
        let mut after = before.clone();
        let mut grown = after.allocations.get(&c(1)).cloned().unwrap();
        grown.get_mut(&u(1)).unwrap().insert(rc("VCPU"), 9);
        after.replace_allocations(c(1), grown);
        if let Some(p) = after.provider_mut(u(1)) {
            p.generation += 1;
        }
        if let Some(x) = Arc::make_mut(&mut after.consumers).get_mut(&c(1)) {
            x.generation += 1;
        }
        let op = Op::PutAllocations {
            microversion: mv(39),
            consumer: c(1),
            write: write(&[(1, "VCPU", 9)], Some(1)),
        };
        let ok = Ok(Applied {
            status: Status::NoContent,
        });
        assert_eq!(
            check_step(&before, &op, &ok, &after).unwrap_err().rule,
            Rule::Capacity
        );
    }
}
