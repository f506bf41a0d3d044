//! Scenario and property tests of the candidates engine. Scenarios are
//! adapted from Placement's gabbits (named per test), written as Rust
//! fixtures rather than copied YAML.

use std::collections::BTreeSet;

use proptest::prelude::*;

use super::*;
use crate::ids::Uuid;
use crate::inventory::Inventory;
use crate::microversion::Microversion;
use crate::names::{ResourceClass, TraitName};
use crate::outcome::Status;
use crate::query::CandidatesQuery;

fn u(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn rc(name: &str) -> ResourceClass {
    ResourceClass::parse(name).unwrap()
}

fn tr(name: &str) -> TraitName {
    TraitName::parse(name).unwrap()
}

fn inv(total: u32) -> InventoryUse {
    InventoryUse {
        inventory: Inventory::with_total(total).unwrap(),
        used: 0,
    }
}

struct P(ProviderInfo);

impl P {
    fn new(n: u128) -> Self {
        P(ProviderInfo::new(u(n)))
    }
    fn child_of(mut self, parent: u128) -> Self {
        self.0.parent = Some(u(parent));
        self
    }
    fn has(mut self, class: &str, total: u32) -> Self {
        self.0.inventories.insert(rc(class), inv(total));
        self
    }
    fn has_inv(mut self, class: &str, inventory: Inventory, used: u64) -> Self {
        self.0
            .inventories
            .insert(rc(class), InventoryUse { inventory, used });
        self
    }
    fn traits(mut self, names: &[&str]) -> Self {
        self.0.traits.extend(names.iter().map(|n| tr(n)));
        self
    }
    fn agg(mut self, n: u128) -> Self {
        self.0.aggregates.insert(u(n));
        self
    }
}

fn table(providers: Vec<P>) -> ProviderTable {
    let mut t = ProviderTable::default();
    for p in providers {
        t.insert(p.0);
    }
    t
}

fn query(minor: u16, raw: &str) -> CandidatesQuery {
    CandidatesQuery::parse(Microversion::v1(minor), raw).unwrap()
}

fn run(t: &ProviderTable, minor: u16, raw: &str) -> Candidates {
    allocation_candidates(t, &query(minor, raw)).unwrap()
}

/// Each candidate as a sorted list of (provider number, class, amount).
fn flat(c: &Candidates) -> Vec<Vec<(u128, String, u64)>> {
    c.allocation_requests
        .iter()
        .map(|r| {
            r.allocations
                .iter()
                .flat_map(|(p, classes)| {
                    classes.iter().map(move |(class, amount)| {
                        (p.as_u128(), class.as_str().to_owned(), *amount)
                    })
                })
                .collect()
        })
        .collect()
}

fn v(items: &[(u128, &str, u64)]) -> Vec<(u128, String, u64)> {
    items
        .iter()
        .map(|(p, c, a)| (*p, (*c).to_owned(), *a))
        .collect()
}

// gabbits/allocation-candidates.yaml: two compute nodes, one without room.
#[test]
fn single_providers_with_room() {
    let t = table(vec![
        P::new(1).has("VCPU", 8).has("MEMORY_MB", 2048),
        P::new(2)
            .has("VCPU", 8)
            .has_inv("MEMORY_MB", Inventory::with_total(1024).unwrap(), 1000),
    ]);
    let c = run(&t, 39, "resources=VCPU:1,MEMORY_MB:512");
    assert_eq!(flat(&c), vec![v(&[(1, "MEMORY_MB", 512), (1, "VCPU", 1)])]);
    assert_eq!(c.provider_summaries.len(), 1);
    let s = &c.provider_summaries[&u(1)];
    assert_eq!(s.resources[&rc("VCPU")].capacity, 8);
    assert!(!c.truncated);
}

// Capacity is (total - reserved) * ratio, and units are min_unit, max_unit, step_size.
#[test]
fn capacity_and_units() {
    let t = table(vec![
        P::new(1).has_inv("VCPU", Inventory::new(4, 0, 1, 4, 1, 16.0).unwrap(), 60),
        P::new(2).has_inv("VCPU", Inventory::new(8, 6, 1, 8, 1, 1.0).unwrap(), 0),
        P::new(3).has_inv("VCPU", Inventory::new(8, 0, 2, 8, 2, 1.0).unwrap(), 0),
    ]);
    // 60 + 4 <= 64 on 1; 2 left on 2; step 2 on 3.
    let c = run(&t, 39, "resources=VCPU:4");
    assert_eq!(flat(&c), vec![v(&[(1, "VCPU", 4)]), v(&[(3, "VCPU", 4)])]);
    let c = run(&t, 39, "resources=VCPU:3");
    assert_eq!(flat(&c), vec![v(&[(1, "VCPU", 3)])]);
    // max_unit 4 on 1; only 2 left on 2.
    let c = run(&t, 39, "resources=VCPU:5");
    assert!(c.allocation_requests.is_empty());
}

fn nested_fixture() -> ProviderTable {
    // gabbits/allocation-candidates-nested (fixture NUMANetworkFixture, simplified):
    // cn1 with two NUMA children, each with a PF child.
    table(vec![
        P::new(1)
            .has("DISK_GB", 1000)
            .traits(&["HW_CPU_X86_AVX2"])
            .agg(100),
        P::new(11).child_of(1).has("VCPU", 4).has("MEMORY_MB", 2048),
        P::new(12).child_of(1).has("VCPU", 4).has("MEMORY_MB", 2048),
        P::new(111)
            .child_of(11)
            .has("SRIOV_NET_VF", 8)
            .traits(&["CUSTOM_PHYSNET_A"]),
        P::new(121)
            .child_of(12)
            .has("SRIOV_NET_VF", 8)
            .traits(&["CUSTOM_PHYSNET_B"]),
    ])
}

// The unsuffixed group spreads over a tree from 1.29, and not before.
#[test]
fn unsuffixed_group_spreads_over_tree() {
    let t = nested_fixture();
    let c = run(&t, 29, "resources=VCPU:1,DISK_GB:10");
    assert_eq!(
        flat(&c),
        vec![
            v(&[(1, "DISK_GB", 10), (11, "VCPU", 1)]),
            v(&[(1, "DISK_GB", 10), (12, "VCPU", 1)]),
        ]
    );
    // Summaries cover the whole tree, with parents and roots.
    assert_eq!(c.provider_summaries.len(), 5);
    assert_eq!(c.provider_summaries[&u(111)].parent, Some(u(11)));
    assert_eq!(c.provider_summaries[&u(111)].root, u(1));
    assert!(
        run(&t, 28, "resources=VCPU:1,DISK_GB:10")
            .allocation_requests
            .is_empty()
    );
    assert_eq!(run(&t, 28, "resources=VCPU:1").allocation_requests.len(), 2);
}

// gabbits/granular.yaml: a granular group's traits apply to its own provider.
#[test]
fn granular_traits_apply_to_the_providing_provider() {
    let t = nested_fixture();
    let c = run(
        &t,
        33,
        "resources=VCPU:1&resources_NET=SRIOV_NET_VF:1&required_NET=CUSTOM_PHYSNET_B",
    );
    assert_eq!(
        flat(&c),
        vec![
            v(&[(11, "VCPU", 1), (121, "SRIOV_NET_VF", 1)]),
            v(&[(12, "VCPU", 1), (121, "SRIOV_NET_VF", 1)]),
        ]
    );
    let mapping = &c.allocation_requests[0].mappings;
    assert_eq!(
        mapping[&crate::query::Suffix::parse("_NET", Microversion::MAX).unwrap()],
        BTreeSet::from([u(121)])
    );
    // The unsuffixed group's traits hold on the providers taken together.
    let c = run(&t, 29, "resources=VCPU:1&required=HW_CPU_X86_AVX2");
    assert!(
        c.allocation_requests.is_empty(),
        "the root supplies nothing"
    );
    let c = run(
        &t,
        29,
        "resources=VCPU:1,DISK_GB:1&required=HW_CPU_X86_AVX2",
    );
    assert_eq!(c.allocation_requests.len(), 2);
    let c = run(
        &t,
        29,
        "resources=VCPU:1,DISK_GB:1&required=!HW_CPU_X86_AVX2",
    );
    assert!(c.allocation_requests.is_empty());
}

// gabbits/granular.yaml: group_policy isolate versus none.
#[test]
fn isolate_and_none() {
    let t = table(vec![
        P::new(1),
        P::new(2).child_of(1).has("SRIOV_NET_VF", 1),
        P::new(3).child_of(1).has("SRIOV_NET_VF", 2),
    ]);
    let base = "resources1=SRIOV_NET_VF:1&resources2=SRIOV_NET_VF:1";
    let c = run(&t, 39, &format!("{base}&group_policy=isolate"));
    assert_eq!(c.allocation_requests.len(), 2);
    for r in &c.allocation_requests {
        assert_eq!(r.allocations.len(), 2);
    }
    // With none both groups may land on 3 (2 fit there), never twice on 2.
    // The two spread ones differ only in mappings, which Placement's
    // AllocationRequest.__eq__ compares, so both stay.
    let c = run(&t, 39, &format!("{base}&group_policy=none"));
    assert_eq!(
        flat(&c),
        vec![
            v(&[(2, "SRIOV_NET_VF", 1), (3, "SRIOV_NET_VF", 1)]),
            v(&[(2, "SRIOV_NET_VF", 1), (3, "SRIOV_NET_VF", 1)]),
            v(&[(3, "SRIOV_NET_VF", 2)]),
        ]
    );
    // Both permutations of the isolated case collapse to one allocation but
    // keep different mappings, as in Placement.
    let c = run(&t, 39, &format!("{base}&group_policy=isolate"));
    assert_ne!(
        c.allocation_requests[0].mappings,
        c.allocation_requests[1].mappings
    );
}

// gabbits/allocation-candidates-member-of.yaml: an aggregate on the root
// spans the tree for the unsuffixed group; a granular group needs its own.
#[test]
fn member_of_semantics() {
    let t = nested_fixture();
    let agg = "00000000-0000-0000-0000-000000000064";
    let c = run(&t, 29, &format!("resources=VCPU:1&member_of={agg}"));
    assert_eq!(c.allocation_requests.len(), 2);
    let c = run(&t, 29, &format!("resources1=VCPU:1&member_of1={agg}"));
    assert!(c.allocation_requests.is_empty());
    let c = run(&t, 32, &format!("resources=VCPU:1&member_of=!{agg}"));
    assert!(c.allocation_requests.is_empty());
    let other = "00000000-0000-0000-0000-000000000065";
    let c = run(&t, 29, &format!("resources=VCPU:1&member_of={other}"));
    assert!(c.allocation_requests.is_empty());
}

// gabbits/allocation-candidates-in-tree.yaml.
#[test]
fn in_tree_restricts_to_one_tree() {
    let mut t = nested_fixture();
    t.insert(P::new(2).has("VCPU", 4).0);
    let c = run(&t, 31, "resources=VCPU:1");
    assert_eq!(c.allocation_requests.len(), 3);
    let child = "00000000-0000-0000-0000-00000000000b";
    let c = run(&t, 31, &format!("resources=VCPU:1&in_tree={child}"));
    assert_eq!(c.allocation_requests.len(), 2);
    assert!(c.allocation_requests.iter().all(|r| r.anchor == u(1)));
    let unknown = "00000000-0000-0000-0000-0000000000ff";
    let c = run(&t, 31, &format!("resources=VCPU:1&in_tree={unknown}"));
    assert!(c.allocation_requests.is_empty());
}

// gabbits/allocation-candidates-root-required.yaml.
#[test]
fn root_required_filters_trees() {
    let mut t = nested_fixture();
    t.insert(P::new(2).has("VCPU", 4).0);
    let c = run(&t, 35, "resources=VCPU:1&root_required=HW_CPU_X86_AVX2");
    assert!(c.allocation_requests.iter().all(|r| r.anchor == u(1)));
    assert_eq!(c.allocation_requests.len(), 2);
    let c = run(&t, 35, "resources=VCPU:1&root_required=!HW_CPU_X86_AVX2");
    assert_eq!(flat(&c), vec![v(&[(2, "VCPU", 1)])]);
}

// gabbits/allocation-candidates-same-subtree.yaml (simplified): the VF must
// come from under the NUMA node that gives the VCPU.
#[test]
fn same_subtree_keeps_groups_under_one_provider() {
    let t = nested_fixture();
    let raw = "resources_CPU=VCPU:1&resources_NET=SRIOV_NET_VF:1&group_policy=none";
    assert_eq!(run(&t, 36, raw).allocation_requests.len(), 4);
    let c = run(&t, 36, &format!("{raw}&same_subtree=_CPU,_NET"));
    assert_eq!(
        flat(&c),
        vec![
            v(&[(11, "VCPU", 1), (111, "SRIOV_NET_VF", 1)]),
            v(&[(12, "VCPU", 1), (121, "SRIOV_NET_VF", 1)]),
        ]
    );
    // A resourceless group names the NUMA node with a trait.
    let t2 = {
        let mut t = nested_fixture();
        let mut numa = t.providers[&u(11)].clone();
        numa.traits.insert(tr("HW_NUMA_ROOT"));
        t.insert(numa);
        t
    };
    let c = run(
        &t2,
        36,
        "resources_NET=SRIOV_NET_VF:1&required_NUMA=HW_NUMA_ROOT&same_subtree=_NET,_NUMA&group_policy=none",
    );
    assert_eq!(flat(&c), vec![v(&[(111, "SRIOV_NET_VF", 1)])]);
}

// research_context.py get_provider_ids_matching: a resourceless group with
// only negative filters matches nothing in Placement, and so in the core.
#[test]
fn resourceless_group_needs_a_positive_filter() {
    let t = nested_fixture();
    let c = run(
        &t,
        36,
        "resources_NET=SRIOV_NET_VF:1&required_X=!CUSTOM_PHYSNET_A&same_subtree=_NET,_X&group_policy=none",
    );
    assert!(c.allocation_requests.is_empty());
}

// Two groups asking the same class of one provider are rechecked together.
#[test]
fn summed_amounts_rechecked() {
    let t = table(vec![P::new(1).has_inv(
        "VCPU",
        Inventory::new(3, 0, 1, 2, 1, 1.0).unwrap(),
        0,
    )]);
    let c = run(&t, 39, "resources=VCPU:2&resources1=VCPU:1");
    assert!(c.allocation_requests.is_empty(), "3 is above max_unit 2");
    let c = run(&t, 39, "resources=VCPU:1&resources1=VCPU:1");
    assert_eq!(flat(&c), vec![v(&[(1, "VCPU", 2)])]);
}

#[test]
fn limit_keeps_first_sorted() {
    let t = table((1..=5).map(|n| P::new(n).has("VCPU", 1)).collect());
    let c = run(&t, 39, "resources=VCPU:1&limit=2");
    assert_eq!(flat(&c), vec![v(&[(1, "VCPU", 1)]), v(&[(2, "VCPU", 1)])]);
    assert_eq!(c.provider_summaries.len(), 2);
}

// handlers/allocation_candidate.py: unknown classes and traits are a 400.
#[test]
fn unknown_names_are_bad_requests() {
    let t = table(vec![P::new(1).has("VCPU", 1)]);
    for raw in [
        "resources=CUSTOM_NOPE:1",
        "resources=VCPU:1&required=CUSTOM_NOPE",
        "resources=VCPU:1&root_required=!CUSTOM_NOPE",
    ] {
        let f = allocation_candidates(&t, &query(39, raw)).unwrap_err();
        assert_eq!(f.status, Status::BadRequest, "{raw}");
        assert!(f.detail.contains("CUSTOM_NOPE"));
    }
}

// Placement has no bound here (budget.rs); the core stops and says so.
#[test]
fn work_is_bounded() {
    let mut providers = vec![P::new(1)];
    providers.extend((2..=41).map(|n| P::new(n).child_of(1).has("VCPU", 100)));
    let t = table(providers);
    let raw =
        "resources1=VCPU:1&resources2=VCPU:1&resources3=VCPU:1&resources4=VCPU:1&group_policy=none";
    let c = allocation_candidates_within(&t, &query(39, raw), Budget::new(1_000)).unwrap();
    assert!(c.truncated);
    assert!(!c.allocation_requests.is_empty());
    let c = run(&t, 39, raw);
    assert!(c.truncated);
}

fn shared_storage_fixture() -> ProviderTable {
    // gabbits/allocation-candidates.yaml, SharedStorageFixture: two compute
    // nodes and a shared storage provider in one aggregate.
    table(vec![
        P::new(1).has("VCPU", 8).has("DISK_GB", 10).agg(100),
        P::new(2).has("VCPU", 8).agg(100),
        P::new(3)
            .has("DISK_GB", 2000)
            .traits(&["MISC_SHARES_VIA_AGGREGATE"])
            .agg(100),
        P::new(4).has("VCPU", 8),
    ])
}

#[test]
fn sharing_provider_serves_trees_in_its_aggregate() {
    let t = shared_storage_fixture();
    let c = run(&t, 29, "resources=VCPU:1,DISK_GB:100");
    assert_eq!(
        flat(&c),
        vec![
            v(&[(1, "VCPU", 1), (3, "DISK_GB", 100)]),
            v(&[(2, "VCPU", 1), (3, "DISK_GB", 100)]),
        ]
    );
    // Only the trees of providers allocated from are summarised.
    assert_eq!(
        c.provider_summaries.keys().copied().collect::<Vec<_>>(),
        vec![u(1), u(2), u(3)]
    );
    // Disk alone: one candidate, not one per anchor (__eq__ ignores anchors).
    let c = run(&t, 29, "resources=DISK_GB:100");
    assert_eq!(flat(&c), vec![v(&[(3, "DISK_GB", 100)])]);
    // Before 1.29 (no nested trees here) sharing works the same way.
    assert_eq!(
        run(&t, 28, "resources=VCPU:1,DISK_GB:100")
            .allocation_requests
            .len(),
        2
    );
    // A granular disk group on the sharing provider combines with either node.
    let c = run(
        &t,
        33,
        "resources_D=DISK_GB:100&resources_C=VCPU:1&group_policy=none",
    );
    assert_eq!(
        flat(&c),
        vec![
            v(&[(1, "VCPU", 1), (3, "DISK_GB", 100)]),
            v(&[(2, "VCPU", 1), (3, "DISK_GB", 100)]),
        ]
    );
    // in_tree keeps sharing providers out of the unsuffixed group.
    let cn1 = "00000000-0000-0000-0000-000000000001";
    let c = run(
        &t,
        31,
        &format!("resources=VCPU:1,DISK_GB:100&in_tree={cn1}"),
    );
    assert!(c.allocation_requests.is_empty());
}

// ---- properties ----

const CLASSES: [&str; 2] = ["VCPU", "DISK_GB"];
const TRAITS: [&str; 3] = ["CUSTOM_A", "CUSTOM_B", "MISC_SHARES_VIA_AGGREGATE"];

fn arb_table() -> impl Strategy<Value = ProviderTable> {
    let provider = (
        proptest::option::of(0usize..6),
        proptest::collection::vec((0usize..2, 1u32..6, 0u64..4, 1u32..4, 1u32..3), 0..3),
        proptest::collection::btree_set(0usize..3, 0..3),
        proptest::collection::btree_set(100u128..102, 0..2),
    );
    proptest::collection::vec(provider, 1..7).prop_map(|specs| {
        let mut t = ProviderTable::default();
        for (i, (parent, invs, traits, aggregates)) in specs.into_iter().enumerate() {
            let mut p = ProviderInfo::new(u(i as u128 + 1));
            // Parents only point backwards, so the generated trees are acyclic.
            p.parent = parent.filter(|&pi| pi < i).map(|pi| u(pi as u128 + 1));
            for (class, total, used, max_unit, step) in invs {
                let inventory = Inventory::new(total, 0, 1, max_unit, step, 1.0).unwrap();
                p.inventories
                    .insert(rc(CLASSES[class]), InventoryUse { inventory, used });
            }
            p.traits = traits.into_iter().map(|t| tr(TRAITS[t])).collect();
            p.aggregates = aggregates.into_iter().map(u).collect();
            t.insert(p);
        }
        t.custom_traits.extend(TRAITS.iter().take(2).map(|n| tr(n)));
        t
    })
}

fn arb_query() -> impl Strategy<Value = String> {
    let group = (
        0usize..2,
        1u32..4,
        proptest::option::of((any::<bool>(), 0usize..2)),
    );
    (
        proptest::option::of(group.clone()),
        proptest::collection::vec(group, 0..3),
        any::<bool>(),
    )
        .prop_map(|(unsuffixed, granular, isolate)| {
            let mut parts = Vec::new();
            let mut push =
                |suffix: String, (class, amount, trait_): (usize, u32, Option<(bool, usize)>)| {
                    parts.push(format!("resources{suffix}={}:{amount}", CLASSES[class]));
                    if let Some((forbid, t)) = trait_.filter(|(_, t)| *t < 2) {
                        let bang = if forbid { "!" } else { "" };
                        parts.push(format!("required{suffix}={bang}{}", TRAITS[t]));
                    }
                };
            if let Some(g) = unsuffixed {
                push(String::new(), g);
            }
            for (i, g) in granular.into_iter().enumerate() {
                push((i + 1).to_string(), g);
            }
            parts.push(format!(
                "group_policy={}",
                if isolate { "isolate" } else { "none" }
            ));
            parts.join("&")
        })
}

// The query generator must mostly make queries the parser accepts, or the
// property below tests nothing.
#[test]
fn query_generator_makes_accepted_queries() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = arb_query();
    let accepted = (0..200)
        .filter(|_| {
            let raw = strategy.new_tree(&mut runner).unwrap().current();
            CandidatesQuery::parse(Microversion::MAX, &raw).is_ok()
        })
        .count();
    assert!(accepted >= 100, "only {accepted} of 200 accepted");
}

proptest! {
    #[test]
    fn candidates_respect_every_rule(t in arb_table(), raw in arb_query()) {
        let Ok(q) = CandidatesQuery::parse(Microversion::MAX, &raw) else {
            return Ok(());
        };
        let c = allocation_candidates(&t, &q).unwrap();
        prop_assert_eq!(&c, &allocation_candidates(&t, &q).unwrap(), "not deterministic");
        if let Err(broken) = super::verify(&t, &q, &c) {
            prop_assert!(false, "{}", broken);
        }
    }
}
