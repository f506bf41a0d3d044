//! `PUT /resource_providers/{uuid}/aggregates` (`schemas/aggregate.py`):
//! a bare list of aggregate UUIDs from 1.1, an object with the provider
//! generation from 1.19.

use serde_json::Value;

use crate::error::Rejection;
use crate::ids::Uuid;
use crate::microversion::Microversion;

use super::allocations::duplicate;
use super::walk::{self, At, Field};

/// The aggregates a provider will belong to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplaceAggregates {
    /// Each aggregate once, in body order; empty leaves every aggregate.
    pub aggregates: Vec<Uuid>,
    /// Required from 1.19; before that Placement does not check it.
    pub resource_provider_generation: Option<i64>,
}

const OBJECT_FORM: Microversion = Microversion::v1(19);

const FIELDS: [Field; 2] = [
    Field::always("aggregates"),
    Field::always("resource_provider_generation"),
];

pub(crate) fn replace(mv: Microversion, value: &Value) -> Result<ReplaceAggregates, Rejection> {
    let at = At::ROOT;
    if !mv.at_least(OBJECT_FORM) {
        return Ok(ReplaceAggregates {
            aggregates: list(value, &at)?,
            resource_provider_generation: None,
        });
    }
    let map = walk::object(value, &at)?;
    walk::only_fields(map, &FIELDS, mv, &at)?;
    let aggregates = list(
        walk::required(map, "aggregates", &at)?,
        &at.key("aggregates"),
    )?;
    let generation = walk::generation(
        walk::required(map, "resource_provider_generation", &at)?,
        &at.key("resource_provider_generation"),
    )?;
    Ok(ReplaceAggregates {
        aggregates,
        resource_provider_generation: Some(generation),
    })
}

/// `_AGGREGATES_LIST_SCHEMA`: UUID strings with `uniqueItems`. Placement
/// compares the strings, so one UUID in two cases passes; the core compares
/// values and refuses it.
fn list(value: &Value, at: &At) -> Result<Vec<Uuid>, Rejection> {
    let items = walk::array(value, at)?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let here = at.index(i);
        out.push(walk::uuid(walk::string(item, &here)?, &here)?);
    }
    if let Some(uuid) = walk::first_duplicate(&out, |u| *u) {
        return Err(at.reject(duplicate(uuid)));
    }
    Ok(out)
}
