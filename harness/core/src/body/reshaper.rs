//! `POST /reshaper` (1.30, `schemas/reshaper.py`): new inventories of
//! several providers and new allocations of several consumers, in one step.
//! The allocations follow `POST /allocations` at the same microversion
//! (mappings from 1.34, consumer_type from 1.38) but may be empty.

use serde_json::Value;

use crate::error::{Problem, Rejection};
use crate::ids::Uuid;
use crate::microversion::Microversion;

use super::allocations::{self, ConsumerAllocations, duplicate};
use super::inventories::{self, Capacity, ReplaceInventories};
use super::walk::{self, At, Field};

/// A reshape.
#[derive(Clone, Debug, PartialEq)]
pub struct Reshape {
    /// By provider, each provider once, at least one; key order.
    pub inventories: Vec<(Uuid, ReplaceInventories)>,
    /// By consumer, each consumer once; may be empty.
    pub allocations: Vec<(Uuid, ConsumerAllocations)>,
}

const FIELDS: [Field; 2] = [Field::always("inventories"), Field::always("allocations")];

pub(crate) fn reshape(mv: Microversion, value: &Value) -> Result<Reshape, Rejection> {
    let at = At::ROOT;
    let map = walk::object(value, &at)?;
    walk::only_fields(map, &FIELDS, mv, &at)?;
    let inv_at = at.key("inventories");
    let by_provider = walk::object(walk::required(map, "inventories", &at)?, &inv_at)?;
    if by_provider.is_empty() {
        return Err(inv_at.reject(Problem::TooShort { min: 1 }));
    }
    let mut inventories = Vec::with_capacity(by_provider.len());
    for (key, v) in by_provider {
        let provider = walk::uuid_key(key, &inv_at)?;
        // Placement's reshaper hands these to the database without the
        // inventory handlers' capacity check (handlers/reshaper.py).
        let replace = inventories::replace_at(mv, v, Capacity::Unchecked, &inv_at.client_key(key))?;
        inventories.push((provider, replace));
    }
    if let Some(uuid) = walk::first_duplicate(&inventories, |(u, _)| *u) {
        return Err(inv_at.reject(duplicate(uuid)));
    }
    let alloc_at = at.key("allocations");
    let by_consumer = walk::object(walk::required(map, "allocations", &at)?, &alloc_at)?;
    let allocations = allocations::consumers(mv, by_consumer, &alloc_at)?;
    Ok(Reshape {
        inventories,
        allocations,
    })
}
