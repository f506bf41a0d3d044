//! `POST /resource_classes` and, up to 1.6, `PUT /resource_classes/{name}`
//! (`schemas/resource_class.py` `POST_RC_SCHEMA_V1_2`).

use serde_json::Value;

use crate::error::Rejection;
use crate::microversion::Microversion;
use crate::names::ResourceClass;

use super::walk::{self, At, Field};

/// The name of a user-defined resource class to create or rename to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceClassBody {
    /// `CUSTOM_` and at least one of A-Z, 0-9 and _; at most 255 characters.
    pub name: ResourceClass,
}

const FIELDS: [Field; 1] = [Field::always("name")];

pub(crate) fn name(mv: Microversion, value: &Value) -> Result<ResourceClassBody, Rejection> {
    let at = At::ROOT;
    let map = walk::object(value, &at)?;
    walk::only_fields(map, &FIELDS, mv, &at)?;
    let here = at.key("name");
    let text = walk::string(walk::required(map, "name", &at)?, &here)?;
    let name = ResourceClass::parse_custom(text).map_err(|e| {
        here.reject(walk::name_problem(
            e,
            "CUSTOM_ followed by A-Z, 0-9 or _",
            text,
        ))
    })?;
    Ok(ResourceClassBody { name })
}
