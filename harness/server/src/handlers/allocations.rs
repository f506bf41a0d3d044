//! `/allocations`, `/allocations/{consumer_uuid}`,
//! `/resource_providers/{uuid}/allocations` (`handlers/allocation.py`) and
//! `/reshaper` (`handlers/reshaper.py`).

use axum::http::{Method, StatusCode};
use placement_core::Microversion;
use placement_core::body::{BodyKind, WriteRequest};
use placement_core::state::Op;
use placement_core::state::request;
use serde_json::{Map, Value, json};

use super::{Call, no_provider, path_uuid};
use crate::reply::{Answer, ApiError, Reply};

/// `GET /resource_providers/{uuid}/allocations`.
pub(super) fn of_provider(call: &Call<'_>, raw: &str) -> Answer {
    call.accepts_json()?;
    call.allow("placement:resource_providers:allocations:list")?;
    let uuid = path_uuid(raw, "resource provider uuid")?;
    let state = call.app.read();
    let p = state.provider(uuid).ok_or_else(|| no_provider(uuid))?;
    let allocations: Map<String, Value> = state
        .provider_allocations(uuid)
        .into_iter()
        .map(|(consumer, resources)| {
            let r: Map<String, Value> = resources
                .iter()
                .map(|(rc, n)| (rc.as_str().to_owned(), json!(n)))
                .collect();
            let mut entry = Map::new();
            entry.insert("resources".into(), Value::Object(r));
            if call.mv.at_least(Microversion::v1(28)) {
                let generation = state.consumer(consumer).map(|c| c.generation());
                entry.insert("consumer_generation".into(), json!(generation));
            }
            (consumer.to_string(), Value::Object(entry))
        })
        .collect();
    Ok(Reply::json(json!({
        "allocations": allocations,
        "resource_provider_generation": p.generation(),
    })))
}

/// `/allocations/{consumer_uuid}`: GET, PUT, DELETE.
pub(super) fn of_consumer(call: &Call<'_>, raw: &str) -> Answer {
    match *call.method {
        Method::GET => call.accepts_json()?,
        Method::PUT => call.json_content()?,
        _ => {}
    }
    call.allow(match *call.method {
        Method::GET => "placement:allocations:list",
        Method::PUT => "placement:allocations:update",
        _ => "placement:allocations:delete",
    })?;
    let consumer = path_uuid(raw, "consumer_uuid")?;
    match *call.method {
        Method::GET => Ok(Reply::json(consumer_allocations(call, consumer))),
        Method::PUT => {
            let WriteRequest::ReplaceConsumerAllocations(body) =
                call.body(BodyKind::ReplaceConsumerAllocations)?
            else {
                return Err(ApiError::bad_request("unexpected body kind"));
            };
            let op = request::put_allocations(call.mv, consumer, body, &call.app.incomplete);
            call.apply(&op, |_, _| ())?;
            Ok(Reply::empty(StatusCode::NO_CONTENT))
        }
        _ => {
            call.apply(&Op::DeleteAllocations { consumer }, |_, _| ())?;
            Ok(Reply::empty(StatusCode::NO_CONTENT))
        }
    }
}

fn consumer_allocations(call: &Call<'_>, consumer: placement_core::Uuid) -> Value {
    let mv = call.mv;
    let state = call.app.read();
    let mut allocations = Map::new();
    let held = state.consumer_allocations(consumer);
    for (provider, resources) in held.into_iter().flatten() {
        let r: Map<String, Value> = resources
            .iter()
            .map(|(rc, n)| (rc.as_str().to_owned(), json!(n)))
            .collect();
        let generation = state.provider(*provider).map_or(0, |p| p.generation());
        allocations.insert(
            provider.to_string(),
            json!({"resources": r, "generation": generation}),
        );
    }
    let mut out = Map::new();
    let has_any = !allocations.is_empty();
    out.insert("allocations".into(), Value::Object(allocations));
    if let (true, true, Some(record)) = (
        has_any,
        mv.at_least(Microversion::v1(12)),
        state.consumer(consumer),
    ) {
        out.insert("project_id".into(), json!(record.project().as_str()));
        out.insert("user_id".into(), json!(record.user().as_str()));
        if mv.at_least(Microversion::v1(28)) {
            out.insert("consumer_generation".into(), json!(record.generation()));
        }
        if mv.at_least(Microversion::v1(38)) {
            out.insert(
                "consumer_type".into(),
                json!(record.consumer_type().map_or("unknown", |t| t.as_str())),
            );
        }
    }
    Value::Object(out)
}

/// `POST /allocations` (1.13+): several consumers, all or nothing.
pub(super) fn post(call: &Call<'_>) -> Answer {
    call.since(13)?;
    call.json_content()?;
    call.allow("placement:allocations:manage")?;
    let WriteRequest::ManageAllocations(body) = call.body(BodyKind::ManageAllocations)? else {
        return Err(ApiError::bad_request("unexpected body kind"));
    };
    let op = request::post_allocations(call.mv, body, &call.app.incomplete);
    call.apply(&op, |_, _| ())?;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

/// `POST /reshaper` (1.30+): inventories and allocations together.
pub(super) fn reshape(call: &Call<'_>) -> Answer {
    call.since(30)?;
    call.json_content()?;
    call.allow("placement:reshaper:reshape")?;
    let WriteRequest::Reshape(body) = call.body(BodyKind::Reshape)? else {
        return Err(ApiError::bad_request("unexpected body kind"));
    };
    let op = request::reshape(call.mv, body, &call.app.incomplete);
    call.apply(&op, |_, _| ())?;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}
