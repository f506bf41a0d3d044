//! `PUT /resource_providers/{uuid}/traits` (`schemas/trait.py`
//! `SET_TRAITS_FOR_RP_SCHEMA`).

use serde_json::Value;

use crate::error::Rejection;
use crate::microversion::Microversion;
use crate::names::TraitName;

use super::walk::{self, At, Field};

/// The traits a provider will have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplaceProviderTraits {
    /// Each trait once, sorted. The schema has no `uniqueItems` here and the
    /// handler turns the list into a set, so repeats are accepted and merged.
    pub traits: Vec<TraitName>,
    /// The generation the client last saw.
    pub resource_provider_generation: i64,
}

const FIELDS: [Field; 2] = [
    Field::always("traits"),
    Field::always("resource_provider_generation"),
];

pub(crate) fn replace(mv: Microversion, value: &Value) -> Result<ReplaceProviderTraits, Rejection> {
    let at = At::ROOT;
    let map = walk::object(value, &at)?;
    walk::only_fields(map, &FIELDS, mv, &at)?;
    let traits_at = at.key("traits");
    let items = walk::array(walk::required(map, "traits", &at)?, &traits_at)?;
    let mut traits = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let here = traits_at.index(i);
        let text = walk::string(item, &here)?;
        // The schema takes any string of 1 to 255 characters and the
        // handler answers 400 "No such trait" for the rest; the core
        // refuses what can never name a trait.
        traits.push(
            TraitName::parse(text).map_err(|e| {
                here.reject(walk::name_problem(e, "a trait name (A-Z, 0-9, _)", text))
            })?,
        );
    }
    traits.sort_unstable();
    traits.dedup();
    let resource_provider_generation = walk::generation(
        walk::required(map, "resource_provider_generation", &at)?,
        &at.key("resource_provider_generation"),
    )?;
    Ok(ReplaceProviderTraits {
        traits,
        resource_provider_generation,
    })
}
