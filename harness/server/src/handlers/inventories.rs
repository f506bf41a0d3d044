//! `/resource_providers/{uuid}/inventories[/{resource_class}]`
//! (`handlers/inventory.py`).

use axum::http::{Method, StatusCode};
use placement_core::body::{BodyKind, WriteRequest};
use placement_core::state::Op;
use placement_core::state::request;
use placement_core::{Excerpt, Uuid};
use serde_json::Value;

use super::{Call, no_provider, path_class, path_uuid};
use crate::render;
use crate::reply::{Answer, ApiError, Reply};

fn action(method: &Method, listing: bool) -> &'static str {
    match *method {
        Method::GET if listing => "placement:resource_providers:inventories:list",
        Method::GET => "placement:resource_providers:inventories:show",
        Method::POST => "placement:resource_providers:inventories:create",
        Method::PUT => "placement:resource_providers:inventories:update",
        _ => "placement:resource_providers:inventories:delete",
    }
}

fn prelude(call: &Call<'_>, listing: bool) -> Result<(), ApiError> {
    match *call.method {
        Method::GET => call.accepts_json()?,
        Method::POST | Method::PUT => call.json_content()?,
        _ => {}
    }
    call.allow(action(call.method, listing))
}

fn all_inventories(call: &Call<'_>, uuid: Uuid) -> Result<Value, ApiError> {
    let state = call.app.read();
    let p = state.provider(uuid).ok_or_else(|| no_provider(uuid))?;
    Ok(render::inventories(p.generation(), p.inventories()))
}

/// `/resource_providers/{uuid}/inventories`: GET, POST, PUT, DELETE (1.5+).
pub(super) fn all(call: &Call<'_>, raw: &str) -> Answer {
    if call.method == Method::DELETE && !call.mv.at_least(placement_core::Microversion::v1(5)) {
        // Placement's delete_inventories is version_handler('1.5', status_code=405).
        let mut e = ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "The method DELETE is not allowed for this resource.",
        );
        e.headers.push((
            axum::http::header::ALLOW,
            axum::http::HeaderValue::from_static("GET, POST, PUT"),
        ));
        return Err(e);
    }
    prelude(call, true)?;
    let uuid = path_uuid(raw, "resource provider uuid")?;
    match *call.method {
        Method::GET => Ok(Reply::json(all_inventories(call, uuid)?)),
        Method::POST => {
            call.provider_exists(uuid)?;
            let WriteRequest::CreateInventory(body) = call.body_about(
                BodyKind::CreateInventory,
                Some(&format!(
                    "Unable to create inventory for resource provider {uuid}"
                )),
            )?
            else {
                return Err(ApiError::bad_request("unexpected body kind"));
            };
            let class = body.resource_class.clone();
            let op = request::create_inventory(call.mv, uuid, body);
            let shown = call.apply(&op, |state, _| {
                state.provider(uuid).and_then(|p| {
                    p.inventory(&class)
                        .map(|inv| render::inventory(p.generation(), inv))
                })
            })?;
            Ok(Reply::json(shown.unwrap_or(Value::Null))
                .with_status(StatusCode::CREATED)
                .at(format!(
                    "/resource_providers/{uuid}/inventories/{}",
                    class.as_str()
                )))
        }
        Method::PUT => {
            call.provider_exists(uuid)?;
            let WriteRequest::ReplaceInventories(body) = call.body_about(
                BodyKind::ReplaceInventories,
                Some(&format!(
                    "Unable to update inventory for resource provider {uuid}"
                )),
            )?
            else {
                return Err(ApiError::bad_request("unexpected body kind"));
            };
            let op = request::replace_inventories(call.mv, uuid, body);
            let shown = call.apply(&op, |state, _| {
                state
                    .provider(uuid)
                    .map(|p| render::inventories(p.generation(), p.inventories()))
            })?;
            Ok(Reply::json(shown.unwrap_or(Value::Null)))
        }
        _ => {
            call.apply(&Op::DeleteInventories { provider: uuid }, |_, _| ())?;
            Ok(Reply::empty(StatusCode::NO_CONTENT))
        }
    }
}

/// `/resource_providers/{uuid}/inventories/{resource_class}`: GET, PUT, DELETE.
pub(super) fn one(call: &Call<'_>, raw: &str, raw_class: &str) -> Answer {
    prelude(call, false)?;
    let uuid = path_uuid(raw, "resource provider uuid")?;
    let class = path_class(raw_class)?;
    match *call.method {
        Method::GET => {
            let state = call.app.read();
            let p = state.provider(uuid).ok_or_else(|| no_provider(uuid))?;
            let inv = p.inventory(&class).ok_or_else(|| {
                ApiError::not_found(format!(
                    "No inventory of class {} for {uuid}",
                    Excerpt::of(class.as_str()).as_str()
                ))
            })?;
            Ok(Reply::json(render::inventory(p.generation(), inv)))
        }
        Method::PUT => {
            call.provider_exists(uuid)?;
            let WriteRequest::UpdateInventory(body) = call.body_about(
                BodyKind::UpdateInventory,
                Some(&format!(
                    "Unable to update inventory for resource provider {uuid}"
                )),
            )?
            else {
                return Err(ApiError::bad_request("unexpected body kind"));
            };
            let op = request::update_inventory(call.mv, uuid, class.clone(), body);
            let shown = call.apply(&op, |state, _| {
                state.provider(uuid).and_then(|p| {
                    p.inventory(&class)
                        .map(|inv| render::inventory(p.generation(), inv))
                })
            })?;
            Ok(Reply::json(shown.unwrap_or(Value::Null)))
        }
        _ => {
            let op = Op::DeleteInventory {
                provider: uuid,
                class,
            };
            call.apply(&op, |_, _| ())?;
            Ok(Reply::empty(StatusCode::NO_CONTENT))
        }
    }
}
