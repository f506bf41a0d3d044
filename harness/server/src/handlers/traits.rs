//! `/traits[/{name}]` and `/resource_providers/{uuid}/traits`
//! (`handlers/trait.py`), all from microversion 1.6.

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use placement_core::Excerpt;
use placement_core::body::{BodyKind, WriteRequest};
use placement_core::names::{TraitName, standard_traits};
use placement_core::query::{TraitNameFilter, TraitsQuery};
use placement_core::state::request;
use placement_core::state::{Op, Provider};
use serde_json::{Value, json};

use super::{Call, no_provider, path_trait, path_uuid};
use crate::reply::{Answer, ApiError, Reply, http_status};

/// `GET /traits`.
pub(super) fn list(call: &Call<'_>) -> Answer {
    call.since(6)?;
    call.accepts_json()?;
    call.allow("placement:traits:list")?;
    let query = TraitsQuery::parse(call.mv, call.query).map_err(|r| call.invalid_query(&r))?;
    let state = call.app.read();
    let associated: BTreeSet<&str> = state
        .providers()
        .flat_map(|p| p.traits().iter().map(TraitName::as_str))
        .collect();
    let custom = state.custom_traits().map(TraitName::as_str);
    let mut names: Vec<String> = standard_traits()
        .map(str::to_owned)
        .chain(custom.map(str::to_owned))
        .filter(|n| match &query.name {
            None => true,
            Some(TraitNameFilter::StartsWith(prefix)) => n.starts_with(prefix.as_str()),
            Some(TraitNameFilter::In(set)) => set.iter().any(|t| t.as_str() == *n),
        })
        .filter(|n| {
            query
                .associated
                .is_none_or(|a| associated.contains(n.as_str()) == a)
        })
        .collect();
    names.sort_unstable();
    names.dedup();
    Ok(Reply::json(json!({ "traits": names })))
}

/// `/traits/{name}`: GET (204 or 404), PUT (201 or 204), DELETE.
pub(super) fn one(call: &Call<'_>, raw: &str) -> Answer {
    call.since(6)?;
    let action = match *call.method {
        Method::GET => "placement:traits:show",
        Method::PUT => "placement:traits:update",
        _ => "placement:traits:delete",
    };
    if call.method == Method::GET {
        call.accepts_json()?;
    }
    call.allow(action)?;
    let name = path_trait(raw)?;
    match *call.method {
        Method::GET => {
            if call.app.read().trait_exists(&name) {
                Ok(cacheable(Reply::empty(StatusCode::NO_CONTENT)))
            } else {
                Err(ApiError::not_found(format!(
                    "No such trait(s): {}",
                    Excerpt::of(name.as_str()).as_str()
                )))
            }
        }
        Method::PUT => {
            let status = call.apply(&Op::EnsureTrait { name: name.clone() }, |_, a| a.status)?;
            Ok(cacheable(Reply::empty(http_status(status)))
                .at(format!("/traits/{}", name.as_str())))
        }
        _ => {
            call.apply(&Op::DeleteTrait { name }, |_, _| ())?;
            Ok(Reply::empty(StatusCode::NO_CONTENT))
        }
    }
}

/// Placement sets the 1.15 cache headers on these bodiless answers too.
fn cacheable(mut reply: Reply) -> Reply {
    reply.cacheable = true;
    reply
}

fn provider_traits(p: &Provider) -> Value {
    let names: Vec<&str> = p.traits().iter().map(TraitName::as_str).collect();
    json!({"traits": names, "resource_provider_generation": p.generation()})
}

/// `/resource_providers/{uuid}/traits`: GET, PUT, DELETE.
pub(super) fn provider(call: &Call<'_>, raw: &str) -> Answer {
    call.since(6)?;
    match *call.method {
        Method::GET => call.accepts_json()?,
        Method::PUT => call.json_content()?,
        _ => {}
    }
    call.allow(match *call.method {
        Method::GET => "placement:resource_providers:traits:list",
        Method::PUT => "placement:resource_providers:traits:update",
        _ => "placement:resource_providers:traits:delete",
    })?;
    let uuid = path_uuid(raw, "resource provider uuid")?;
    match *call.method {
        Method::GET => {
            let state = call.app.read();
            let p = state.provider(uuid).ok_or_else(|| no_provider(uuid))?;
            Ok(Reply::json(provider_traits(p)))
        }
        Method::PUT => {
            call.provider_exists(uuid)?;
            let WriteRequest::ReplaceProviderTraits(body) =
                call.body(BodyKind::ReplaceProviderTraits)?
            else {
                return Err(ApiError::bad_request("unexpected body kind"));
            };
            let missing: Vec<&str> = {
                let state = call.app.read();
                body.traits
                    .iter()
                    .filter(|t| !state.trait_exists(t))
                    .map(TraitName::as_str)
                    .collect()
            };
            if !missing.is_empty() {
                // At most five names: the detail stays short whatever the body.
                let shown: Vec<String> = missing
                    .iter()
                    .take(5)
                    .map(|t| Excerpt::of(t).as_str().to_owned())
                    .collect();
                return Err(ApiError::bad_request(format!(
                    "No such trait(s): {}",
                    shown.join(", ")
                )));
            }
            let op = request::replace_provider_traits(uuid, body);
            let shown = call.apply(&op, |state, _| state.provider(uuid).map(provider_traits))?;
            Ok(Reply::json(shown.unwrap_or(Value::Null)))
        }
        _ => {
            call.apply(&Op::DeleteProviderTraits { provider: uuid }, |_, _| ())?;
            Ok(Reply::empty(StatusCode::NO_CONTENT))
        }
    }
}
