//! `/resource_providers`, `/resource_providers/{uuid}` and its aggregates
//! (`handlers/resource_provider.py`, `handlers/aggregate.py`).

use axum::http::{Method, StatusCode};
use placement_core::body::{BodyKind, WriteRequest};
use placement_core::query::ProviderQuery;
use placement_core::state::request;
use placement_core::state::{Op, Provider, State};
use placement_core::{Excerpt, Microversion, Uuid};
use serde_json::{Value, json};

use super::{Call, no_provider, path_uuid};
use crate::render;
use crate::reply::{Answer, ApiError, Reply, http_status};

/// `GET /resource_providers`.
pub(super) fn list(call: &Call<'_>) -> Answer {
    call.accepts_json()?;
    call.allow("placement:resource_providers:list")?;
    let query = ProviderQuery::parse(call.mv, call.query).map_err(|r| call.invalid_query(&r))?;
    let state = call.app.read();
    check_names(&state, &query)?;
    let found: Vec<Value> = state
        .providers_matching(&query)
        .map(|p| render::provider(p, call.mv))
        .collect();
    Ok(Reply::json(json!({ "resource_providers": found })))
}

fn check_names(state: &State, query: &ProviderQuery) -> Result<(), ApiError> {
    for rc in query.resources.keys() {
        if !state.resource_class_exists(rc) {
            return Err(ApiError::bad_request(format!(
                "Invalid resource class in resources parameter: No such resource class {}",
                Excerpt::of(rc.as_str()).as_str()
            )));
        }
    }
    for name in query.required.names() {
        if !state.trait_exists(name) {
            return Err(ApiError::bad_request(format!(
                "No such trait(s): {}.",
                Excerpt::of(name.as_str()).as_str()
            )));
        }
    }
    Ok(())
}

/// `POST /resource_providers`: 201 and a `Location` before 1.20, then 200
/// with the provider as well.
pub(super) fn create(call: &Call<'_>) -> Answer {
    call.json_content()?;
    call.allow("placement:resource_providers:create")?;
    let WriteRequest::CreateProvider(body) = call.body(BodyKind::CreateProvider)? else {
        return Err(ApiError::bad_request("unexpected body kind"));
    };
    let fresh = Uuid::from_u128(uuid::Uuid::new_v4().as_u128());
    let op = request::create_provider(call.mv, body, fresh);
    let Op::CreateProvider { uuid, .. } = &op else {
        return Err(ApiError::bad_request("unexpected operation"));
    };
    let uuid = *uuid;
    let mv = call.mv;
    let (status, shown) = call.apply(&op, |state, applied| {
        (
            applied.status,
            state.provider(uuid).map(|p| render::provider(p, mv)),
        )
    })?;
    let location = format!("/resource_providers/{uuid}");
    let reply = if mv.at_least(Microversion::v1(20)) {
        Reply::json(shown.unwrap_or(Value::Null)).with_status(http_status(status))
    } else {
        Reply::empty(StatusCode::CREATED)
    };
    Ok(reply.at(location))
}

/// `/resource_providers/{uuid}`: GET, PUT, DELETE.
pub(super) fn one(call: &Call<'_>, raw: &str) -> Answer {
    if call.method == Method::GET {
        call.accepts_json()?;
    }
    if call.method == Method::PUT {
        call.json_content()?;
    }
    let action = match *call.method {
        Method::GET => "placement:resource_providers:show",
        Method::PUT => "placement:resource_providers:update",
        _ => "placement:resource_providers:delete",
    };
    call.allow(action)?;
    let uuid = path_uuid(raw, "resource provider uuid")?;
    match *call.method {
        Method::GET => {
            let state = call.app.read();
            let p = state.provider(uuid).ok_or_else(|| no_provider(uuid))?;
            Ok(Reply::json(render::provider(p, call.mv)))
        }
        Method::PUT => {
            call.provider_exists(uuid)?;
            let WriteRequest::UpdateProvider(body) = call.body(BodyKind::UpdateProvider)? else {
                return Err(ApiError::bad_request("unexpected body kind"));
            };
            let op = request::update_provider(call.mv, uuid, body);
            let mv = call.mv;
            let shown = call.apply(&op, |state, _| {
                state.provider(uuid).map(|p| render::provider(p, mv))
            })?;
            Ok(Reply::json(shown.unwrap_or(Value::Null)))
        }
        _ => {
            call.apply(&Op::DeleteProvider { uuid }, |_, _| ())?;
            Ok(Reply::empty(StatusCode::NO_CONTENT))
        }
    }
}

fn aggregates_body(p: &Provider, mv: Microversion) -> Value {
    let list: Vec<String> = p.aggregates().iter().map(Uuid::to_string).collect();
    if mv.at_least(Microversion::v1(19)) {
        json!({"aggregates": list, "resource_provider_generation": p.generation()})
    } else {
        json!({ "aggregates": list })
    }
}

/// `/resource_providers/{uuid}/aggregates` (1.1+): GET, PUT.
pub(super) fn aggregates(call: &Call<'_>, raw: &str) -> Answer {
    call.since(1)?;
    let get = call.method == Method::GET;
    if get {
        call.accepts_json()?;
    } else {
        call.json_content()?;
    }
    call.allow(if get {
        "placement:resource_providers:aggregates:list"
    } else {
        "placement:resource_providers:aggregates:update"
    })?;
    let uuid = path_uuid(raw, "resource provider uuid")?;
    let mv = call.mv;
    if get {
        let state = call.app.read();
        let p = state.provider(uuid).ok_or_else(|| no_provider(uuid))?;
        return Ok(Reply::json(aggregates_body(p, mv)));
    }
    call.provider_exists(uuid)?;
    let WriteRequest::ReplaceAggregates(body) = call.body(BodyKind::ReplaceAggregates)? else {
        return Err(ApiError::bad_request("unexpected body kind"));
    };
    let op = request::replace_aggregates(uuid, body);
    let shown = call.apply(&op, |state, _| {
        state.provider(uuid).map(|p| aggregates_body(p, mv))
    })?;
    Ok(Reply::json(shown.unwrap_or(Value::Null)))
}
