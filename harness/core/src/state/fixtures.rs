//! Small builders for the state's unit tests, so that each test reads as the
//! story of a few requests (compiled for tests only).

use crate::ids::Uuid;
use crate::inventory::Inventory;
use crate::microversion::Microversion;
use crate::names::{ConsumerType, ExternalId, ProviderName, ResourceClass};

use super::allocations::{AllocationMap, ConsumerWrite};
use super::ops::{Applied, Op};
use super::refusal::Refusal;
use super::store::State;

pub fn u(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

pub fn c(n: u128) -> Uuid {
    Uuid::from_u128(0xc000 + n)
}

pub fn rc(name: &str) -> ResourceClass {
    ResourceClass::parse(name).unwrap()
}

pub fn mv(minor: u16) -> Microversion {
    Microversion::v1(minor)
}

pub fn inv(total: u32) -> Inventory {
    Inventory::with_total(total).unwrap()
}

/// A state with root providers `1..=n`, each with `inventories`.
pub fn providers(n: u128, inventories: &[(&str, Inventory)]) -> State {
    let mut s = State::new();
    for p in 1..=n {
        s.apply_detailed(&Op::CreateProvider {
            microversion: mv(39),
            uuid: u(p),
            name: ProviderName::parse(&format!("rp{p}")).unwrap(),
            parent: None,
        })
        .unwrap();
        set_inventories(&mut s, p, inventories).unwrap();
    }
    s
}

pub fn set_inventories(
    s: &mut State,
    p: u128,
    inventories: &[(&str, Inventory)],
) -> Result<Applied, Refusal> {
    let generation = s.provider(u(p)).unwrap().generation();
    s.apply_detailed(&Op::SetInventories {
        microversion: mv(39),
        provider: u(p),
        generation,
        inventories: inventories.iter().map(|(k, v)| (rc(k), *v)).collect(),
    })
}

/// Allocations as (provider, class, amount).
pub type Allocs<'a> = &'a [(u128, &'a str, u32)];

/// A write of `allocations` ((provider, class, amount)) with `generation`.
pub fn write(allocations: &[(u128, &str, u32)], generation: Option<u32>) -> ConsumerWrite {
    let mut map = AllocationMap::new();
    for (p, class, amount) in allocations {
        map.entry(u(*p)).or_default().insert(rc(class), *amount);
    }
    ConsumerWrite {
        allocations: map,
        project: ExternalId::parse("project").unwrap(),
        user: ExternalId::parse("user").unwrap(),
        consumer_type: Some(ConsumerType::parse("INSTANCE").unwrap()),
        generation,
    }
}

/// `PUT /allocations/{c(consumer)}` at 1.39 with the consumer's current generation.
pub fn put(
    s: &mut State,
    consumer: u128,
    allocations: &[(u128, &str, u32)],
) -> Result<Applied, Refusal> {
    let generation = s.consumer(c(consumer)).map(|x| x.generation());
    put_at(s, 39, consumer, write(allocations, generation))
}

pub fn put_at(
    s: &mut State,
    minor: u16,
    consumer: u128,
    w: ConsumerWrite,
) -> Result<Applied, Refusal> {
    s.apply_detailed(&Op::PutAllocations {
        microversion: mv(minor),
        consumer: c(consumer),
        write: w,
    })
}

pub fn generation(s: &State, p: u128) -> u32 {
    s.provider(u(p)).unwrap().generation()
}
