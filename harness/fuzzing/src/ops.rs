//! The generator of the `state_ops` target: bounded random operation
//! sequences over a small universe, and the checked run that the target and
//! the tests share.
//!
//! The universe is small on purpose (four provider UUIDs, three names,
//! four consumers, five classes, three traits) so that operations collide:
//! names are taken, parents have children, inventories are in use, capacity
//! runs out. A [`Step`] is a sketch that picks from the universe; it becomes
//! an [`Op`] against the current state, so that a generation is usually the
//! current one (the write goes through) and sometimes a stale one (409).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use arbitrary::{Arbitrary, Unstructured};

use placement_core::ids::Uuid;
use placement_core::inventory::{Inventory, MAX_INT};
use placement_core::microversion::Microversion;
use placement_core::names::{ConsumerType, ExternalId, ProviderName, ResourceClass, TraitName};
use placement_core::outcome::Failure;

use placement_core::state::allocations::{AllocationMap, ConsumerWrite};
use placement_core::state::invariants::{self, Violation};
use placement_core::state::ops::{Op, ParentUpdate, ReshapeInventory};
use placement_core::state::store::State;

const PROVIDERS: u8 = 4;
const CONSUMERS: u8 = 4;
const AGGREGATES: u8 = 3;
const NAMES: [&str; 4] = ["rp-a", "rp-b", "rp-c", "rp-d"];
const CLASSES: [&str; 5] = [
    "VCPU",
    "MEMORY_MB",
    "DISK_GB",
    "CUSTOM_GOLD",
    "CUSTOM_SILVER",
];
const TRAITS: [&str; 3] = ["HW_CPU_X86_AVX", "CUSTOM_FAST", "CUSTOM_SLOW"];
const PEOPLE: [&str; 2] = ["tenant-a", "tenant-b"];
const CONSUMER_TYPES: [&str; 2] = ["INSTANCE", "MIGRATION"];
const MICROVERSIONS: [u16; 12] = [10, 14, 19, 20, 25, 26, 28, 30, 36, 37, 38, 39];
const RATIOS: [f64; 8] = [1.0, 1.0, 1.0, 1.0, 2.0, 16.0, 0.5, 1.5];
const MAX_STEPS: usize = 32;
const MAX_ITEMS: usize = 3;

fn pick<T: Copy>(items: &[T], index: u8) -> T {
    // `items` is one of the non-empty constant tables above.
    items[usize::from(index) % items.len()]
}

fn provider_uuid(index: u8) -> Uuid {
    Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0000 | (u128::from(index % PROVIDERS) + 1))
}

fn consumer_uuid(index: u8) -> Uuid {
    Uuid::from_u128(0xc000_0000_0000_4000_8000_0000_0000_0000 | (u128::from(index % CONSUMERS) + 1))
}

fn aggregate_uuid(index: u8) -> Uuid {
    Uuid::from_u128(
        0xa000_0000_0000_4000_8000_0000_0000_0000 | (u128::from(index % AGGREGATES) + 1),
    )
}

/// The tables parsed once: a step picks a name that the state already
/// holds, so the state's maps find it by its shared text, and no step
/// parses or allocates a name.
struct Names {
    classes: Vec<ResourceClass>,
    traits: Vec<TraitName>,
    people: Vec<ExternalId>,
    providers: Vec<ProviderName>,
    consumer_types: Vec<ConsumerType>,
}

// The tables hold valid names; a parse failure would be a bug in the tables,
// caught by the tests.
fn names() -> &'static Names {
    static TABLES: std::sync::OnceLock<Names> = std::sync::OnceLock::new();
    TABLES.get_or_init(|| {
        fn all<T, E>(table: &[&str], parse: fn(&str) -> Result<T, E>) -> Vec<T> {
            table
                .iter()
                .map(|name| parse(name).unwrap_or_else(|_| unreachable_name()))
                .collect()
        }
        Names {
            classes: all(&CLASSES, ResourceClass::parse),
            traits: all(&TRAITS, TraitName::parse),
            people: all(&PEOPLE, ExternalId::parse),
            providers: all(&NAMES, ProviderName::parse),
            consumer_types: all(&CONSUMER_TYPES, ConsumerType::parse),
        }
    })
}

fn pick_name<T: Clone>(items: &[T], index: u8) -> T {
    // `items` is one of the tables of `names()`, as long as its constant.
    items[usize::from(index) % items.len()].clone()
}

fn class(index: u8) -> ResourceClass {
    pick_name(&names().classes, index)
}

fn trait_name(index: u8) -> TraitName {
    pick_name(&names().traits, index)
}

fn person(index: u8) -> ExternalId {
    pick_name(&names().people, index)
}

fn provider_name(index: u8) -> ProviderName {
    pick_name(&names().providers, index)
}

fn consumer_type(index: u8) -> ConsumerType {
    pick_name(&names().consumer_types, index)
}

fn unreachable_name() -> ! {
    panic!("a constant table of the generator holds an invalid name")
}

/// Up to three items (the derived `Vec` would take as many as the input has).
#[derive(Clone, Debug, PartialEq)]
pub struct Few<T>(pub Vec<T>);

impl<'a, T: Arbitrary<'a>> Arbitrary<'a> for Few<T> {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let n = u.int_in_range(0..=MAX_ITEMS)?;
        (0..n)
            .map(|_| T::arbitrary(u))
            .collect::<Result<_, _>>()
            .map(Few)
    }
}

/// A generation as the client sends it: mostly the current one.
#[derive(Clone, Copy, Debug, PartialEq, Arbitrary)]
pub struct GenerationPick(u8);

impl GenerationPick {
    fn provider(self, state: &State, provider: Uuid) -> u32 {
        let current = state.provider(provider).map_or(0, |p| p.generation());
        self.shift(current)
    }

    fn consumer(self, state: &State, consumer: Uuid) -> Option<u32> {
        let current = state.consumer(consumer).map(|c| c.generation());
        match (self.0, current) {
            (0..=219, current) => current,
            (220..=239, Some(g)) => Some(self.shift(g)),
            (220..=239, None) => Some(0),
            (_, Some(_)) => None,
            (_, None) => Some(1),
        }
    }

    fn shift(self, current: u32) -> u32 {
        match self.0 {
            0..=219 => current,
            220..=239 => current.saturating_sub(1),
            _ => current.saturating_add(1).min(MAX_INT),
        }
    }
}

/// An inventory record: mostly plain, sometimes with constraints.
#[derive(Clone, Copy, Debug, PartialEq, Arbitrary)]
pub struct InventorySketch {
    total: u8,
    reserved: u8,
    units: u8,
    ratio: u8,
}

impl InventorySketch {
    fn inventory(self) -> Inventory {
        let total = u32::from(self.total % 32) + 1;
        let reserved = if self.reserved < 240 {
            0
        } else {
            u32::from(self.reserved % 40)
        };
        let (min_unit, max_unit, step) = match self.units % 8 {
            0 => (2, 16, 2),
            1 => (1, 4, 1),
            _ => (1, MAX_INT, 1),
        };
        Inventory::new(
            total,
            reserved,
            min_unit,
            max_unit,
            step,
            pick(&RATIOS, self.ratio),
        )
        .or_else(|_| Inventory::with_total(total))
        .unwrap_or_else(|_| unreachable_name())
    }
}

/// What a sketch writes for one consumer.
#[derive(Clone, Debug, PartialEq, Arbitrary)]
pub struct WriteSketch {
    allocations: Few<(u8, u8, u8)>,
    project: u8,
    user: u8,
    consumer_type: u8,
    generation: GenerationPick,
}

impl WriteSketch {
    fn write(&self, state: &State, consumer: Uuid) -> ConsumerWrite {
        let mut allocations = AllocationMap::new();
        for (p, rc, amount) in &self.allocations.0 {
            allocations
                .entry(provider_uuid(*p))
                .or_default()
                .insert(class(*rc), u32::from(amount % 12) + 1);
        }
        ConsumerWrite {
            allocations,
            project: person(self.project),
            user: person(self.user),
            consumer_type: Some(consumer_type(self.consumer_type)),
            generation: self.generation.consumer(state, consumer),
        }
    }
}

/// A reshape's inventories for one provider: provider, generation, records.
pub type ReshapeSketch = (u8, GenerationPick, Few<(u8, InventorySketch)>);

/// One sketched operation over the universe.
#[derive(Clone, Debug, PartialEq, Arbitrary)]
#[allow(missing_docs)]
pub enum Step {
    CreateProvider {
        provider: u8,
        name: u8,
        parent: Option<u8>,
        microversion: u8,
    },
    UpdateProvider {
        provider: u8,
        name: u8,
        parent: Option<Option<u8>>,
        microversion: u8,
    },
    DeleteProvider {
        provider: u8,
    },
    CreateInventory {
        provider: u8,
        class: u8,
        inventory: InventorySketch,
        microversion: u8,
    },
    UpdateInventory {
        provider: u8,
        class: u8,
        inventory: InventorySketch,
        generation: GenerationPick,
        microversion: u8,
    },
    SetInventories {
        provider: u8,
        inventories: Few<(u8, InventorySketch)>,
        generation: GenerationPick,
        microversion: u8,
    },
    DeleteInventory {
        provider: u8,
        class: u8,
    },
    DeleteInventories {
        provider: u8,
    },
    PutAllocations {
        consumer: u8,
        write: WriteSketch,
        microversion: u8,
    },
    PutAllocationsAgain {
        consumer: u8,
        write: WriteSketch,
        microversion: u8,
    },
    PostAllocations {
        writes: Few<(u8, WriteSketch)>,
        microversion: u8,
    },
    DeleteAllocations {
        consumer: u8,
    },
    SetAggregates {
        provider: u8,
        aggregates: u8,
        generation: Option<GenerationPick>,
    },
    SetTraits {
        provider: u8,
        traits: u8,
        generation: GenerationPick,
    },
    DeleteProviderTraits {
        provider: u8,
    },
    CreateResourceClass {
        class: u8,
    },
    EnsureResourceClass {
        class: u8,
    },
    DeleteResourceClass {
        class: u8,
    },
    RenameResourceClass {
        from: u8,
        to: u8,
    },
    EnsureTrait {
        name: u8,
    },
    DeleteTrait {
        name: u8,
    },
    Reshape {
        inventories: Few<ReshapeSketch>,
        allocations: Few<(u8, WriteSketch)>,
        microversion: u8,
    },
}

fn microversion(index: u8) -> Microversion {
    Microversion::v1(pick(&MICROVERSIONS, index))
}

fn inventory_map(items: &Few<(u8, InventorySketch)>) -> BTreeMap<ResourceClass, Inventory> {
    items
        .0
        .iter()
        .map(|(rc, inv)| (class(*rc), inv.inventory()))
        .collect()
}

impl Step {
    /// The operation this sketch means in `state`.
    pub fn resolve(&self, state: &State) -> Op {
        match self {
            Step::CreateProvider {
                provider,
                name,
                parent,
                microversion: mv,
            } => Op::CreateProvider {
                microversion: microversion(*mv),
                uuid: provider_uuid(*provider),
                name: provider_name(*name),
                parent: parent.map(provider_uuid),
            },
            Step::UpdateProvider {
                provider,
                name,
                parent,
                microversion: mv,
            } => Op::UpdateProvider {
                microversion: microversion(*mv),
                uuid: provider_uuid(*provider),
                name: provider_name(*name),
                parent: match parent {
                    None => ParentUpdate::Keep,
                    Some(p) => ParentUpdate::Set(p.map(provider_uuid)),
                },
            },
            Step::DeleteProvider { provider } => Op::DeleteProvider {
                uuid: provider_uuid(*provider),
            },
            Step::CreateInventory {
                provider,
                class: rc,
                inventory,
                microversion: mv,
            } => {
                let uuid = provider_uuid(*provider);
                Op::CreateInventory {
                    microversion: microversion(*mv),
                    provider: uuid,
                    class: class(*rc),
                    generation: state.provider(uuid).map_or(0, |p| p.generation()),
                    inventory: inventory.inventory(),
                }
            }
            Step::UpdateInventory {
                provider,
                class: rc,
                inventory,
                generation,
                microversion: mv,
            } => {
                let uuid = provider_uuid(*provider);
                Op::UpdateInventory {
                    microversion: microversion(*mv),
                    provider: uuid,
                    class: class(*rc),
                    generation: generation.provider(state, uuid),
                    inventory: inventory.inventory(),
                }
            }
            Step::SetInventories {
                provider,
                inventories,
                generation,
                microversion: mv,
            } => {
                let uuid = provider_uuid(*provider);
                Op::SetInventories {
                    microversion: microversion(*mv),
                    provider: uuid,
                    generation: generation.provider(state, uuid),
                    inventories: inventory_map(inventories),
                }
            }
            Step::DeleteInventory {
                provider,
                class: rc,
            } => Op::DeleteInventory {
                provider: provider_uuid(*provider),
                class: class(*rc),
            },
            Step::DeleteInventories { provider } => Op::DeleteInventories {
                provider: provider_uuid(*provider),
            },
            Step::PutAllocations {
                consumer,
                write,
                microversion: mv,
            }
            | Step::PutAllocationsAgain {
                consumer,
                write,
                microversion: mv,
            } => {
                let uuid = consumer_uuid(*consumer);
                Op::PutAllocations {
                    microversion: microversion(*mv),
                    consumer: uuid,
                    write: write.write(state, uuid),
                }
            }
            Step::PostAllocations {
                writes,
                microversion: mv,
            } => Op::PostAllocations {
                microversion: Microversion::v1(13).max(microversion(*mv)),
                writes: writes
                    .0
                    .iter()
                    .map(|(c, w)| (consumer_uuid(*c), w.write(state, consumer_uuid(*c))))
                    .collect(),
            },
            Step::DeleteAllocations { consumer } => Op::DeleteAllocations {
                consumer: consumer_uuid(*consumer),
            },
            Step::SetAggregates {
                provider,
                aggregates,
                generation,
            } => {
                let uuid = provider_uuid(*provider);
                Op::SetAggregates {
                    provider: uuid,
                    aggregates: (0..AGGREGATES)
                        .filter(|i| aggregates & (1 << i) != 0)
                        .map(aggregate_uuid)
                        .collect(),
                    generation: generation.map(|g| g.provider(state, uuid)),
                }
            }
            Step::SetTraits {
                provider,
                traits,
                generation,
            } => {
                let uuid = provider_uuid(*provider);
                Op::SetTraits {
                    provider: uuid,
                    traits: (0..TRAITS.len() as u8)
                        .filter(|i| traits & (1 << i) != 0)
                        .map(trait_name)
                        .collect::<BTreeSet<_>>(),
                    generation: generation.provider(state, uuid),
                }
            }
            Step::DeleteProviderTraits { provider } => Op::DeleteProviderTraits {
                provider: provider_uuid(*provider),
            },
            Step::CreateResourceClass { class: rc } => Op::CreateResourceClass { name: class(*rc) },
            Step::EnsureResourceClass { class: rc } => Op::EnsureResourceClass { name: class(*rc) },
            Step::DeleteResourceClass { class: rc } => Op::DeleteResourceClass { name: class(*rc) },
            Step::RenameResourceClass { from, to } => Op::RenameResourceClass {
                from: class(*from),
                to: class(*to),
            },
            Step::EnsureTrait { name } => Op::EnsureTrait {
                name: trait_name(*name),
            },
            Step::DeleteTrait { name } => Op::DeleteTrait {
                name: trait_name(*name),
            },
            Step::Reshape {
                inventories,
                allocations,
                microversion: mv,
            } => Op::Reshape {
                microversion: Microversion::v1(30).max(microversion(*mv)),
                inventories: inventories
                    .0
                    .iter()
                    .map(|(p, g, items)| {
                        let uuid = provider_uuid(*p);
                        let wanted = ReshapeInventory {
                            generation: g.provider(state, uuid),
                            inventories: inventory_map(items),
                        };
                        (uuid, wanted)
                    })
                    .collect(),
                allocations: allocations
                    .0
                    .iter()
                    .map(|(c, w)| (consumer_uuid(*c), w.write(state, consumer_uuid(*c))))
                    .collect(),
            },
        }
    }
}

/// The usual start of a sequence, so that most steps find providers with
/// inventories: a custom class and trait, then each provider created (a root
/// or under an earlier one) and given inventories at its current generation.
/// Its contents are arbitrary too, so it sometimes fails like any other step.
fn prelude(u: &mut Unstructured<'_>) -> arbitrary::Result<Vec<Step>> {
    let mut steps = vec![
        Step::EnsureResourceClass { class: 3 },
        Step::EnsureTrait { name: 1 },
    ];
    for provider in 0..PROVIDERS {
        let parent = match (provider, u8::arbitrary(u)? % 4) {
            (0, _) | (_, 0 | 1) => None,
            (_, k) => Some(k % provider),
        };
        steps.push(Step::CreateProvider {
            provider,
            name: provider,
            parent,
            microversion: u8::arbitrary(u)?,
        });
        steps.push(Step::SetInventories {
            provider,
            inventories: Few(vec![
                (0, InventorySketch::arbitrary(u)?),
                (1, InventorySketch::arbitrary(u)?),
                (3, InventorySketch::arbitrary(u)?),
            ]),
            generation: GenerationPick(0),
            microversion: u8::arbitrary(u)?,
        });
    }
    Ok(steps)
}

/// A bounded sequence of sketched operations, run from an empty state.
#[derive(Clone, PartialEq)]
pub struct OpSequence {
    /// The steps: a prelude of at most 10, then at most 32 more.
    pub steps: Vec<Step>,
}

impl<'a> Arbitrary<'a> for OpSequence {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let mut steps = prelude(u)?;
        let n = u.int_in_range(0..=MAX_STEPS)?;
        for _ in 0..n {
            if u.is_empty() {
                break;
            }
            steps.push(Step::arbitrary(u)?);
        }
        Ok(OpSequence { steps })
    }
}

impl fmt::Debug for OpSequence {
    /// The operations the steps resolve to, one per line, with their outcome:
    /// a reproducer reads top to bottom like a gabbi file.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut state = State::new();
        writeln!(f, "OpSequence [")?;
        for step in &self.steps {
            let op = step.resolve(&state);
            let outcome = state.apply(&op);
            writeln!(f, "  {op:?}\n    => {outcome:?}")?;
        }
        write!(f, "]")
    }
}

/// What a checked run did: how many operations and their outcomes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Operations applied.
    pub operations: u64,
    /// Outcomes by operation name and `ok` or the refusal's kind.
    pub outcomes: BTreeMap<(&'static str, &'static str), u64>,
}

impl Stats {
    /// Successful operations.
    pub fn successes(&self) -> u64 {
        self.outcomes
            .iter()
            .filter(|((_, o), _)| *o == "ok")
            .map(|(_, n)| *n)
            .sum()
    }

    /// Refusals of one kind (see [`Refusal::kind`](placement_core::state::refusal::Refusal::kind)).
    pub fn refusals(&self, kind: &str) -> u64 {
        self.outcomes
            .iter()
            .filter(|((_, o), _)| *o == kind)
            .map(|(_, n)| *n)
            .sum()
    }

    /// Adds another run's counts.
    pub fn merge(&mut self, other: &Stats) {
        self.operations = self.operations.saturating_add(other.operations);
        for (key, n) in &other.outcomes {
            let sum = self.outcomes.entry(*key).or_insert(0);
            *sum = sum.saturating_add(*n);
        }
    }
}

/// Applies every step from an empty state, checking the state and the step
/// invariants after each one.
pub fn run_checked(sequence: &OpSequence) -> Result<Stats, Violation> {
    run_to_end(sequence).map(|(_, stats)| stats)
}

/// [`run_checked`] that also hands back the state the sequence left, for
/// checks that read the store afterwards (allocation candidates over it).
pub fn run_to_end(sequence: &OpSequence) -> Result<(State, Stats), Violation> {
    let mut state = State::new();
    let mut stats = Stats::default();
    for step in &sequence.steps {
        let op = step.resolve(&state);
        let before = state.clone();
        let detailed = state.apply_detailed(&op);
        let outcome = match &detailed {
            Ok(_) => "ok",
            Err(refusal) => refusal.kind(),
        };
        let result = detailed.map_err(Failure::from);
        invariants::check_step(&before, &op, &result, &state)?;
        invariants::check(&state)?;
        stats.operations = stats.operations.saturating_add(1);
        let n = stats.outcomes.entry((op.name(), outcome)).or_insert(0);
        *n = n.saturating_add(1);
    }
    Ok((state, stats))
}

impl OpSequence {
    /// The sequence that fuzz input `data` describes. Input too short for a
    /// sequence is an empty sequence, not an error.
    pub fn from_bytes(data: &[u8]) -> Self {
        OpSequence::arbitrary_take_rest(Unstructured::new(data))
            .unwrap_or(OpSequence { steps: Vec::new() })
    }
}

/// Runs the sequence that `data` describes.
pub fn run_bytes(data: &[u8]) -> Result<Stats, Violation> {
    run_checked(&OpSequence::from_bytes(data))
}

#[cfg(test)]
mod tests {
    use super::*;
    use placement_core::state::refusal::Refusal;

    /// Deterministic pseudo-random bytes (xorshift64), so runs repeat.
    fn bytes(seed: u64, len: usize) -> Vec<u8> {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect()
    }

    fn sequence(seed: u64) -> OpSequence {
        let data = bytes(seed, 1024);
        OpSequence::arbitrary(&mut Unstructured::new(&data)).unwrap()
    }

    #[test]
    fn tables_hold_valid_names() {
        for i in 0..=u8::MAX {
            class(i);
            trait_name(i);
            person(i);
            provider_name(i);
            consumer_type(i);
        }
    }

    #[test]
    fn any_bytes_make_a_sequence() {
        for data in [&[][..], &[1, 2, 3][..], &bytes(7, 4096)[..]] {
            run_bytes(data).unwrap();
        }
        assert!(run_bytes(&bytes(7, 4096)).unwrap().operations >= 10);
    }

    #[test]
    fn empty_and_junk_inputs_run() {
        for data in [&[][..], &[0xff; 7][..], &[0; 64][..]] {
            let seq = OpSequence::arbitrary(&mut Unstructured::new(data)).unwrap();
            run_checked(&seq).unwrap();
        }
    }

    #[test]
    fn random_sequences_keep_every_invariant() {
        let mut total = Stats::default();
        for seed in 0..2000 {
            let seq = sequence(seed);
            match run_checked(&seq) {
                Ok(stats) => total.merge(&stats),
                Err(v) => panic!("seed {seed}: {v}\n{seq:?}"),
            }
        }
        // The generator must make a healthy mix: many successes, and each
        // kind of failure the state can produce, not only rejections.
        let ok = total.successes();
        assert!(
            ok * 3 > total.operations,
            "{ok} of {}: {:#?}",
            total.operations,
            total.outcomes
        );
        for kind in [
            "provider_not_found",
            "provider_generation_conflict",
            "consumer_generation_conflict",
            "capacity_exceeded",
            "unit_constraint",
            "inventory_in_use",
            "inventory_in_use_on_delete",
            "provider_in_use",
            "provider_has_children",
            "duplicate_provider_name",
            "duplicate_provider_uuid",
            "allocation_provider_not_found",
            "unknown_resource_class",
            "no_inventory_for_allocation",
            "provider_without_inventory",
            "resource_class_in_use",
            "trait_in_use",
            "unknown_trait",
            "reparenting_not_allowed",
            "no_allocations",
        ] {
            assert!(total.refusals(kind) > 0, "no {kind}: {:#?}", total.outcomes);
        }
        for op in [
            "put_allocations",
            "post_allocations",
            "reshape",
            "set_inventories",
        ] {
            assert!(
                total.outcomes.get(&(op, "ok")).copied().unwrap_or(0) > 0,
                "no successful {op}: {:#?}",
                total.outcomes
            );
        }
    }

    /// `state` is `before` plus consumer records of generation 0 without
    /// allocations (compared through the state's public readers, every
    /// part of it: classes, traits, providers and their usages, consumers
    /// and their allocations, the refused-write mode).
    fn same_but_ghosts(state: &State, before: &State) -> Result<(), String> {
        let differs = |what: &str| Err(format!("{what} changed"));
        if state
            .custom_resource_classes()
            .ne(before.custom_resource_classes())
        {
            return differs("custom classes");
        }
        if state.custom_traits().ne(before.custom_traits()) {
            return differs("custom traits");
        }
        if state.providers().ne(before.providers()) {
            return differs("providers");
        }
        for p in before.providers() {
            if state.usages(p.uuid()).ne(before.usages(p.uuid())) {
                return differs("usages");
            }
        }
        if state.refused_writes() != before.refused_writes() {
            return differs("the refused-write mode");
        }
        for c in state.consumers() {
            match before.consumer(c.uuid()) {
                Some(old) if old == c => {}
                Some(_) => return differs("a consumer"),
                None if c.generation() == 0 => {}
                None => return Err(format!("ghost consumer {} has a generation", c.uuid())),
            }
            if state.consumer_allocations(c.uuid()) != before.consumer_allocations(c.uuid()) {
                return differs("allocations");
            }
        }
        if before
            .consumers()
            .any(|c| state.consumer(c.uuid()).is_none())
        {
            return differs("consumers");
        }
        Ok(())
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// A refused operation leaves the state exactly as it was, but for
        /// the consumer records Placement leaves after a 400 for a missing
        /// provider (Quirk::GhostConsumerAfterMissingProvider).
        #[test]
        fn failures_leave_the_state_as_it_was(
            data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048)
        ) {
            let seq = OpSequence::arbitrary(&mut Unstructured::new(&data)).unwrap();
            let mut state = State::new();
            for step in &seq.steps {
                let op = step.resolve(&state);
                let before = state.clone();
                match state.apply_detailed(&op) {
                    Ok(_) => {}
                    Err(Refusal::AllocationProviderNotFound(_)) => {
                        proptest::prop_assert_eq!(same_but_ghosts(&state, &before), Ok(()));
                    }
                    Err(_) => proptest::prop_assert_eq!(&state, &before),
                }
            }
            proptest::prop_assert!(run_checked(&seq).is_ok());
        }
    }

    /// Not a timed test: run with
    /// `cargo test --release -p placement-fuzzing throughput -- --ignored --nocapture`
    /// (`STATE_SEQUENCES=N` to soak longer).
    #[test]
    #[ignore]
    fn throughput() {
        let count = std::env::var("STATE_SEQUENCES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(20_000u64);
        let inputs: Vec<Vec<u8>> = (0..count).map(|s| bytes(s, 1024)).collect();
        let start = std::time::Instant::now();
        let mut operations = 0;
        for data in &inputs {
            let seq = OpSequence::arbitrary(&mut Unstructured::new(data)).unwrap();
            match run_checked(&seq) {
                Ok(stats) => operations += stats.operations,
                Err(v) => panic!("{v}\n{seq:?}"),
            }
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{:.0} sequences/s, {:.0} operations/s",
            inputs.len() as f64 / secs,
            operations as f64 / secs
        );
    }
}
