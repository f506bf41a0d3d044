//! The JSON Placement shows for the core's objects, by microversion.

use std::collections::BTreeMap;

use placement_core::Microversion;
use placement_core::inventory::Inventory;
use placement_core::names::ResourceClass;
use placement_core::state::{Provider, State};
use serde_json::{Map, Value, json};

/// `/resource_providers/{uuid}` and its links (`_serialize_links`).
pub fn provider(p: &Provider, mv: Microversion) -> Value {
    let base = format!("/resource_providers/{}", p.uuid());
    let mut links = vec![
        json!({"rel": "self", "href": base}),
        json!({"rel": "inventories", "href": format!("{base}/inventories")}),
        json!({"rel": "usages", "href": format!("{base}/usages")}),
    ];
    if mv.at_least(Microversion::v1(1)) {
        links.push(json!({"rel": "aggregates", "href": format!("{base}/aggregates")}));
    }
    if mv.at_least(Microversion::v1(6)) {
        links.push(json!({"rel": "traits", "href": format!("{base}/traits")}));
    }
    if mv.at_least(Microversion::v1(11)) {
        links.push(json!({"rel": "allocations", "href": format!("{base}/allocations")}));
    }
    let mut out = Map::new();
    out.insert("uuid".into(), json!(p.uuid().to_string()));
    out.insert("name".into(), json!(p.name().as_str()));
    out.insert("generation".into(), json!(p.generation()));
    out.insert("links".into(), Value::Array(links));
    if mv.at_least(Microversion::v1(14)) {
        out.insert(
            "parent_provider_uuid".into(),
            p.parent().map_or(Value::Null, |u| json!(u.to_string())),
        );
        out.insert("root_provider_uuid".into(), json!(p.root().to_string()));
    }
    Value::Object(out)
}

/// One inventory record's fields.
pub fn inventory_fields(inv: &Inventory) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("total".into(), json!(inv.total()));
    m.insert("reserved".into(), json!(inv.reserved()));
    m.insert("min_unit".into(), json!(inv.min_unit()));
    m.insert("max_unit".into(), json!(inv.max_unit()));
    m.insert("step_size".into(), json!(inv.step_size()));
    m.insert("allocation_ratio".into(), json!(inv.allocation_ratio()));
    m
}

/// One inventory with the provider generation, as its own resource.
pub fn inventory(generation: u32, inv: &Inventory) -> Value {
    let mut m = inventory_fields(inv);
    m.insert("resource_provider_generation".into(), json!(generation));
    Value::Object(m)
}

/// `/resource_providers/{uuid}/inventories`.
pub fn inventories(generation: u32, all: &BTreeMap<ResourceClass, Inventory>) -> Value {
    let map: Map<String, Value> = all
        .iter()
        .map(|(rc, inv)| (rc.as_str().to_owned(), Value::Object(inventory_fields(inv))))
        .collect();
    json!({"resource_provider_generation": generation, "inventories": map})
}

/// `/resource_classes/{name}`.
pub fn resource_class(name: &str) -> Value {
    json!({"name": name, "links": [{"rel": "self", "href": format!("/resource_classes/{name}")}]})
}

/// Amounts by class.
pub fn amounts<'a>(items: impl Iterator<Item = (&'a ResourceClass, u64)>) -> Value {
    Value::Object(
        items
            .map(|(rc, n)| (rc.as_str().to_owned(), json!(n)))
            .collect(),
    )
}

/// `/resource_providers/{uuid}/usages`: every class the provider has
/// inventory of, 0 when unused (Placement's outer join).
pub fn provider_usages(state: &State, p: &Provider) -> Value {
    let usages = p
        .inventories()
        .keys()
        .map(|rc| (rc, state.usage(p.uuid(), rc)));
    json!({"resource_provider_generation": p.generation(), "usages": amounts(usages)})
}

/// A wide number as JSON: exact when it fits 64 bits, else a float.
pub fn wide(n: i128) -> Value {
    match i64::try_from(n) {
        Ok(v) => json!(v),
        #[allow(clippy::cast_precision_loss)]
        Err(_) => json!(n as f64),
    }
}
