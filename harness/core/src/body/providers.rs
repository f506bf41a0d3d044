//! Bodies that create and update a resource provider
//! (`schemas/resource_provider.py`).

use serde_json::Value;

use crate::error::{JsonKind, Problem, Rejection};
use crate::ids::Uuid;
use crate::microversion::Microversion;
use crate::names::ProviderName;

use super::walk::{self, At, Field};

/// What a body says about a provider's parent (microversion 1.14).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParentField {
    /// `parent_provider_uuid` is absent: on update, the parent is unchanged.
    Absent,
    /// `"parent_provider_uuid": null`: a root provider (un-parenting on
    /// update, which Placement allows from 1.37).
    Root,
    /// The parent's UUID.
    Parent(Uuid),
}

/// `POST /resource_providers`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreateProvider {
    /// The new provider's name.
    pub name: ProviderName,
    /// The UUID the client chose, if any; Placement generates one otherwise.
    pub uuid: Option<Uuid>,
    /// The parent (always [`ParentField::Absent`] before 1.14).
    pub parent: ParentField,
}

/// `PUT /resource_providers/{uuid}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateProvider {
    /// The provider's new name (the schema requires it on every update).
    pub name: ProviderName,
    /// The parent (always [`ParentField::Absent`] before 1.14).
    pub parent: ParentField,
}

const PARENT_SINCE: u16 = 14;

const CREATE_FIELDS: [Field; 3] = [
    Field::always("name"),
    Field::always("uuid"),
    Field::since("parent_provider_uuid", PARENT_SINCE, "1.14"),
];

const UPDATE_FIELDS: [Field; 2] = [
    Field::always("name"),
    Field::since("parent_provider_uuid", PARENT_SINCE, "1.14"),
];

pub(crate) fn create(mv: Microversion, value: &Value) -> Result<CreateProvider, Rejection> {
    let at = At::ROOT;
    let map = walk::object(value, &at)?;
    walk::only_fields(map, &CREATE_FIELDS, mv, &at)?;
    let name = name(walk::required(map, "name", &at)?, &at.key("name"))?;
    let uuid = match map.get("uuid") {
        None => None,
        Some(v) => {
            let here = at.key("uuid");
            Some(walk::uuid(walk::string(v, &here)?, &here)?)
        }
    };
    let parent = parent(
        map.get("parent_provider_uuid"),
        &at.key("parent_provider_uuid"),
    )?;
    Ok(CreateProvider { name, uuid, parent })
}

pub(crate) fn update(mv: Microversion, value: &Value) -> Result<UpdateProvider, Rejection> {
    let at = At::ROOT;
    let map = walk::object(value, &at)?;
    walk::only_fields(map, &UPDATE_FIELDS, mv, &at)?;
    let name = name(walk::required(map, "name", &at)?, &at.key("name"))?;
    let parent = parent(
        map.get("parent_provider_uuid"),
        &at.key("parent_provider_uuid"),
    )?;
    Ok(UpdateProvider { name, parent })
}

fn name(value: &Value, at: &At) -> Result<ProviderName, Rejection> {
    let text = walk::string(value, at)?;
    ProviderName::parse(text).map_err(|e| {
        at.reject(walk::name_problem(
            e,
            "a provider name without control characters",
            text,
        ))
    })
}

fn parent(value: Option<&Value>, at: &At) -> Result<ParentField, Rejection> {
    match value {
        None => Ok(ParentField::Absent),
        Some(Value::Null) => Ok(ParentField::Root),
        Some(Value::String(text)) => walk::uuid(text, at).map(ParentField::Parent),
        Some(_) => Err(at.reject(Problem::WrongKind(JsonKind::StringOrNull))),
    }
}
