//! Inventory bodies (`schemas/inventory.py`) and the capacity rule the
//! inventory handlers apply after the schema (`handlers/inventory.py`
//! `_validate_inventory_capacity`).

use serde_json::{Map, Value};

use crate::error::{JsonKind, Problem, Rejection};
use crate::inventory::{CapacityRule, Inventory, MAX_ALLOCATION_RATIO, MAX_INT};
use crate::microversion::Microversion;
use crate::names::ResourceClass;

use super::walk::{self, At};

/// `POST /resource_providers/{uuid}/inventories`.
#[derive(Clone, Debug, PartialEq)]
pub struct CreateInventory {
    /// The class of the new inventory.
    pub resource_class: ResourceClass,
    /// The record, with Placement's defaults for absent fields.
    pub inventory: Inventory,
    /// Optional here and never compared by Placement; kept for the record.
    pub resource_provider_generation: Option<i64>,
}

/// `PUT /resource_providers/{uuid}/inventories/{resource_class}`.
#[derive(Clone, Debug, PartialEq)]
pub struct UpdateInventory {
    /// The generation the client last saw.
    pub resource_provider_generation: i64,
    /// The record, with Placement's defaults for absent fields.
    pub inventory: Inventory,
}

/// `PUT /resource_providers/{uuid}/inventories`, and one provider's part of
/// a reshaper body.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplaceInventories {
    /// The generation the client last saw.
    pub resource_provider_generation: i64,
    /// Every inventory the provider will have, by class, in key order; empty
    /// removes them all.
    pub inventories: Vec<(ResourceClass, Inventory)>,
}

/// What an inventory object may carry besides the record fields.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Extra {
    /// `BASE_INVENTORY_SCHEMA` / `PUT_INVENTORY_RECORD_SCHEMA`.
    Generation,
    /// `POST_INVENTORY_SCHEMA`: also `resource_class`.
    GenerationAndClass,
}

/// One inventory object, read in a single pass over its keys.
struct Record<'v> {
    inventory: Inventory,
    generation: Option<i64>,
    resource_class: Option<&'v str>,
}

const RATIO_MIN_TEXT: &str = "-1.7976931348623157e308";
const RATIO_MAX_TEXT: &str = "3.40282e38";

fn record<'v>(value: &'v Value, extra: Extra, at: &At) -> Result<Record<'v>, Rejection> {
    let map = walk::object(value, at)?;
    let mut total = None;
    let mut reserved = 0;
    let mut min_unit = 1;
    let mut max_unit = MAX_INT;
    let mut step_size = 1;
    let mut allocation_ratio = 1.0;
    let mut generation = None;
    let mut resource_class = None;
    let max = i64::from(MAX_INT);
    for (key, v) in map {
        // Each arm names the key statically so that the path holds no
        // client text for a known field.
        match key.as_str() {
            "total" => total = Some(bounded(v, 1, max, &at.key("total"))?),
            "reserved" => reserved = bounded(v, 0, max, &at.key("reserved"))?,
            "min_unit" => min_unit = bounded(v, 1, max, &at.key("min_unit"))?,
            "max_unit" => max_unit = bounded(v, 1, max, &at.key("max_unit"))?,
            "step_size" => step_size = bounded(v, 1, max, &at.key("step_size"))?,
            "allocation_ratio" => allocation_ratio = ratio(v, &at.key("allocation_ratio"))?,
            "resource_provider_generation" => {
                generation = Some(walk::generation(
                    v,
                    &at.key("resource_provider_generation"),
                )?)
            }
            "resource_class" if extra == Extra::GenerationAndClass => {
                let here = at.key("resource_class");
                let text = walk::string(v, &here)?;
                resource_class = Some(text);
            }
            _ => {
                return Err(Rejection::body(
                    at.path().client_key(key),
                    Problem::NotAllowed,
                ));
            }
        }
    }
    let total = total.ok_or_else(|| Rejection::body(at.path().key("total"), Problem::Missing))?;
    let inventory = Inventory::new(
        total,
        reserved,
        min_unit,
        max_unit,
        step_size,
        allocation_ratio,
    )
    // Unreachable: every field was bounded above. Kept as a rejection, not a panic.
    .map_err(|_| at.reject(Problem::Rule("has a field outside its bounds")))?;
    Ok(Record {
        inventory,
        generation,
        resource_class,
    })
}

fn bounded(value: &Value, min: i64, max: i64, at: &At) -> Result<u32, Rejection> {
    let n = walk::integer(value, min, max, at)?;
    u32::try_from(n).map_err(|_| at.reject(Problem::OutOfRange { min, max }))
}

/// `"type": "number", "maximum": SQL_SP_FLOAT_MAX` and, as the schema has
/// it, no minimum: zero and negative ratios pass.
fn ratio(value: &Value, at: &At) -> Result<f64, Rejection> {
    let Value::Number(number) = value else {
        return Err(at.reject(Problem::WrongKind(JsonKind::Number)));
    };
    match number.as_f64() {
        Some(f) if f.is_finite() && f <= MAX_ALLOCATION_RATIO => Ok(f),
        _ => Err(at.reject(Problem::NumberOutOfRange {
            min: RATIO_MIN_TEXT,
            max: RATIO_MAX_TEXT,
        })),
    }
}

fn check_capacity(inventory: &Inventory, mv: Microversion, at: &At) -> Result<(), Rejection> {
    let rule = CapacityRule::at(mv);
    if inventory.capacity_ok(rule) {
        return Ok(());
    }
    Err(at.reject(Problem::Rule(match rule {
        CapacityRule::ReservedBelowTotal => {
            "has no capacity: (total - reserved) * allocation_ratio must be at least 1"
        }
        CapacityRule::ReservedUpToTotal => "has negative capacity: reserved must not exceed total",
    })))
}

pub(crate) fn create(mv: Microversion, value: &Value) -> Result<CreateInventory, Rejection> {
    let at = At::ROOT;
    let rec = record(value, Extra::GenerationAndClass, &at)?;
    let here = at.key("resource_class");
    let text = rec
        .resource_class
        .ok_or_else(|| here.reject(Problem::Missing))?;
    let resource_class = ResourceClass::parse(text)
        .map_err(|e| here.reject(walk::name_problem(e, "a resource class name", text)))?;
    check_capacity(&rec.inventory, mv, &at)?;
    Ok(CreateInventory {
        resource_class,
        inventory: rec.inventory,
        resource_provider_generation: rec.generation,
    })
}

pub(crate) fn update(mv: Microversion, value: &Value) -> Result<UpdateInventory, Rejection> {
    let at = At::ROOT;
    let rec = record(value, Extra::Generation, &at)?;
    let resource_provider_generation = rec.generation.ok_or_else(|| {
        at.key("resource_provider_generation")
            .reject(Problem::Missing)
    })?;
    check_capacity(&rec.inventory, mv, &at)?;
    Ok(UpdateInventory {
        resource_provider_generation,
        inventory: rec.inventory,
    })
}

/// Whether the capacity rule applies: the reshaper hands its inventories
/// to the database without the handlers' capacity check.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Capacity {
    Checked,
    Unchecked,
}

pub(crate) fn replace(mv: Microversion, value: &Value) -> Result<ReplaceInventories, Rejection> {
    replace_at(mv, value, Capacity::Checked, &At::ROOT)
}

pub(crate) fn replace_at(
    mv: Microversion,
    value: &Value,
    capacity: Capacity,
    at: &At,
) -> Result<ReplaceInventories, Rejection> {
    let map = walk::object(value, at)?;
    let mut generation = None;
    let mut inventories = None;
    for (key, v) in map {
        match key.as_str() {
            "resource_provider_generation" => {
                generation = Some(walk::generation(
                    v,
                    &at.key("resource_provider_generation"),
                )?)
            }
            "inventories" => {
                inventories = Some(records(
                    walk::object(v, &at.key("inventories"))?,
                    mv,
                    capacity,
                    &at.key("inventories"),
                )?)
            }
            _ => {
                return Err(Rejection::body(
                    at.path().client_key(key),
                    Problem::NotAllowed,
                ));
            }
        }
    }
    let resource_provider_generation = generation.ok_or_else(|| {
        at.key("resource_provider_generation")
            .reject(Problem::Missing)
    })?;
    let inventories = inventories.ok_or_else(|| at.key("inventories").reject(Problem::Missing))?;
    Ok(ReplaceInventories {
        resource_provider_generation,
        inventories,
    })
}

/// `patternProperties: {RC_PATTERN: PUT_INVENTORY_RECORD_SCHEMA}` with, in
/// Placement, no `additionalProperties: false`: a key that is not a
/// resource class escapes the schema and reaches the handler unchecked.
/// The core refuses such keys here.
fn records(
    map: &Map<String, Value>,
    mv: Microversion,
    capacity: Capacity,
    at: &At,
) -> Result<Vec<(ResourceClass, Inventory)>, Rejection> {
    let mut out = Vec::with_capacity(map.len());
    for (key, v) in map {
        let resource_class = ResourceClass::parse(key)
            .map_err(|_| at.reject(walk::key_problem("keyed by resource class names", key)))?;
        let here = at.client_key(key);
        let rec = record(v, Extra::Generation, &here)?;
        if capacity == Capacity::Checked {
            check_capacity(&rec.inventory, mv, &here)?;
        }
        out.push((resource_class, rec.inventory));
    }
    Ok(out)
}
