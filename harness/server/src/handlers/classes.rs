//! `/resource_classes[/{name}]` (`handlers/resource_class.py`), from 1.2.

use axum::http::{Method, StatusCode};
use placement_core::Excerpt;
use placement_core::body::{BodyKind, WriteRequest};
use placement_core::state::Op;
use serde_json::{Value, json};

use super::{Call, path_class};
use crate::render;
use crate::reply::{Answer, ApiError, Reply, http_status};

/// `/resource_classes`: GET, POST.
pub(super) fn collection(call: &Call<'_>) -> Answer {
    call.since(2)?;
    if call.method == Method::GET {
        call.accepts_json()?;
        call.allow("placement:resource_classes:list")?;
        let state = call.app.read();
        let all: Vec<Value> = state
            .resource_classes()
            .map(render::resource_class)
            .collect();
        return Ok(Reply::json(json!({ "resource_classes": all })));
    }
    call.json_content()?;
    call.allow("placement:resource_classes:create")?;
    let WriteRequest::CreateResourceClass(body) = call.body(BodyKind::CreateResourceClass)? else {
        return Err(ApiError::bad_request("unexpected body kind"));
    };
    let location = format!("/resource_classes/{}", body.name.as_str());
    call.apply(&Op::CreateResourceClass { name: body.name }, |_, _| ())?;
    Ok(Reply::empty(StatusCode::CREATED).at(location))
}

/// `/resource_classes/{name}`: GET, PUT (a rename up to 1.6, "ensure" from
/// 1.7), DELETE.
pub(super) fn one(call: &Call<'_>, raw: &str) -> Answer {
    call.since(2)?;
    let rename =
        call.method == Method::PUT && !call.mv.at_least(placement_core::Microversion::v1(7));
    match *call.method {
        Method::GET => call.accepts_json()?,
        Method::PUT if rename => call.json_content()?,
        _ => {}
    }
    call.allow(match *call.method {
        Method::GET => "placement:resource_classes:show",
        Method::PUT => "placement:resource_classes:update",
        _ => "placement:resource_classes:delete",
    })?;
    let name = path_class(raw)?;
    match *call.method {
        Method::GET => {
            if call.app.read().resource_class_exists(&name) {
                Ok(Reply::json(render::resource_class(name.as_str())))
            } else {
                Err(ApiError::not_found(format!(
                    "No such resource class {}.",
                    Excerpt::of(name.as_str()).as_str()
                )))
            }
        }
        Method::PUT if rename => {
            let WriteRequest::UpdateResourceClass(body) =
                call.body(BodyKind::UpdateResourceClass)?
            else {
                return Err(ApiError::bad_request("unexpected body kind"));
            };
            let to = body.name;
            let shown = render::resource_class(to.as_str());
            call.apply(&Op::RenameResourceClass { from: name, to }, |_, _| ())?;
            Ok(Reply::json(shown))
        }
        Method::PUT => {
            let location = format!("/resource_classes/{}", name.as_str());
            let status = call.apply(&Op::EnsureResourceClass { name }, |_, a| a.status)?;
            Ok(Reply::empty(http_status(status)).at(location))
        }
        _ => {
            call.apply(&Op::DeleteResourceClass { name }, |_, _| ())?;
            Ok(Reply::empty(StatusCode::NO_CONTENT))
        }
    }
}
