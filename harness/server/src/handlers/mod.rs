//! The handlers, one file per family of routes, and what they share: the
//! call, minimum microversions, content negotiation, path parameters,
//! bodies, and applying an operation to the state.

mod allocations;
mod candidates;
mod classes;
mod inventories;
mod providers;
mod traits;
mod usages;

use axum::http::{HeaderMap, Method, StatusCode};
use placement_core::body::{self, BodyKind, WriteRequest};
use placement_core::ids::parse_uuid;
use placement_core::names::{ResourceClass, TraitName};
use placement_core::state::{Applied, Op, State};
use placement_core::{Excerpt, Microversion, Uuid};
use serde_json::json;

use crate::app::App;
use crate::identity::Identity;
use crate::reply::{Answer, ApiError, Reply};
use crate::routes::Route;
use crate::strict_json::StrictJsonError;

/// One request, as the handlers see it.
pub(crate) struct Call<'a> {
    pub(crate) app: &'a App,
    pub(crate) who: &'a Identity,
    pub(crate) mv: Microversion,
    pub(crate) method: &'a Method,
    pub(crate) query: &'a str,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
}

impl Call<'_> {
    /// A 404 below the route's first microversion (Placement's
    /// `version_handler` answers so).
    pub(crate) fn since(&self, minor: u16) -> Result<(), ApiError> {
        if self.mv.at_least(Microversion::v1(minor)) {
            Ok(())
        } else {
            Err(ApiError::not_found("The resource could not be found."))
        }
    }

    /// The policy check.
    pub(crate) fn allow(&self, action: &str) -> Result<(), ApiError> {
        self.app.policy.enforce(action, self.who, None)
    }

    /// A 406 unless the client accepts JSON (`util.check_accept`).
    pub(crate) fn accepts_json(&self) -> Result<(), ApiError> {
        let Some(accept) = self.headers.get("accept") else {
            return Ok(());
        };
        let text = accept.to_str().unwrap_or("");
        let ok = text.trim().is_empty()
            || text.split(',').any(|range| {
                let mut parts = range.split(';');
                let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
                let refused = parts.any(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .is_some_and(|q| q.trim().parse::<f64>().is_ok_and(|q| q <= 0.0))
                });
                !refused && matches!(media.as_str(), "application/json" | "application/*" | "*/*")
            });
        if ok {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::NOT_ACCEPTABLE,
                "Only application/json is provided",
            ))
        }
    }

    /// A 415 unless the body is declared JSON (`util.require_content`).
    pub(crate) fn json_content(&self) -> Result<(), ApiError> {
        let declared = self
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or("").trim());
        match declared {
            Some("application/json") => Ok(()),
            Some(other) => Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "The media type {} is not supported, use application/json",
                    Excerpt::of(other)
                ),
            )),
            None => Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "The media type None is not supported, use application/json",
            )),
        }
    }

    /// The body of `kind`, checked by the core.
    pub(crate) fn body(&self, kind: BodyKind) -> Result<WriteRequest, ApiError> {
        self.body_about(kind, None)
    }

    /// Every JSON body comes through here: under the safe behaviour a key
    /// given twice at any depth is refused before the core sees the value
    /// (see `strict_json`); under Placement's the core reads it, keeping
    /// the last value as Python's `json` does.
    ///
    /// [`Self::body`] with Placement's sentence about the object the body
    /// is for, which its inventory handlers put before a rejection.
    pub(crate) fn body_about(
        &self,
        kind: BodyKind,
        context: Option<&str>,
    ) -> Result<WriteRequest, ApiError> {
        let refuse = |r: placement_core::Rejection| {
            let detail = crate::messages::body_rejection(&r, self.body, context);
            ApiError::bad_request(detail).with_code(r.code)
        };
        let strict = self.app.config.behaviour.refuses_duplicate_keys();
        if strict && kind.reads_body(self.mv) {
            match crate::strict_json::parse(self.body) {
                Ok(value) => return body::parse_value(kind, self.mv, &value).map_err(refuse),
                Err(duplicate @ StrictJsonError::DuplicateKey { .. }) => {
                    return Err(ApiError::bad_request(duplicate.to_string()));
                }
                // The core reads it again and words the error as Placement does.
                Err(StrictJsonError::Unreadable) => {}
            }
        }
        body::parse(kind, self.mv, self.body).map_err(refuse)
    }

    /// A refused query string, in Placement's words.
    pub(crate) fn invalid_query(&self, rejection: &placement_core::Rejection) -> ApiError {
        ApiError::bad_request(crate::messages::query_rejection(
            rejection, self.query, self.mv,
        ))
        .with_code(rejection.code)
    }

    /// A 404 unless the provider exists: Placement looks it up before it
    /// reads the body.
    pub(crate) fn provider_exists(&self, uuid: Uuid) -> Result<(), ApiError> {
        if self.app.read().provider(uuid).is_some() {
            Ok(())
        } else {
            Err(no_provider(uuid))
        }
    }

    /// Applies `op` and renders the result under the same lock, so that the
    /// answer shows the state the write made.
    pub(crate) fn apply<T>(
        &self,
        op: &Op,
        render: impl FnOnce(&State, Applied) -> T,
    ) -> Result<T, ApiError> {
        let mut state = self.app.write();
        let applied = state.apply_detailed(op).map_err(|refusal| {
            let detail = crate::messages::refusal(&refusal, op);
            let failure = placement_core::Failure::from(refusal);
            ApiError::from(placement_core::Failure { detail, ..failure })
        })?;
        Ok(render(&state, applied))
    }
}

/// A strict UUID from the path, or a 400 naming the parameter.
pub(crate) fn path_uuid(text: &str, what: &str) -> Result<Uuid, ApiError> {
    parse_uuid(text).map_err(|e| {
        ApiError::bad_request(format!(
            "Malformed {what} {} in the path: it {e}.",
            Excerpt::of(text)
        ))
    })
}

/// A resource class name from the path, or a 400.
pub(crate) fn path_class(text: &str) -> Result<ResourceClass, ApiError> {
    ResourceClass::parse(text).map_err(|e| {
        ApiError::bad_request(format!(
            "Malformed resource class {} in the path: {e} (the {} rule)",
            Excerpt::of(text),
            if text.chars().count() > placement_core::names::NAME_MAX_CHARS {
                "maxLength"
            } else {
                "pattern"
            }
        ))
    })
}

/// A trait name from the path, or a 400.
pub(crate) fn path_trait(text: &str) -> Result<TraitName, ApiError> {
    TraitName::parse(text).map_err(|e| {
        ApiError::bad_request(format!(
            "Malformed trait name {} in the path: {e}. {INVALID_TRAIT}",
            Excerpt::of(text)
        ))
    })
}

/// Placement's sentence for a trait name it will not create.
pub(crate) const INVALID_TRAIT: &str = "The trait is invalid. A valid trait must be no longer \
    than 255 characters, start with the prefix \"CUSTOM_\" and use following characters: \
    \"A\"-\"Z\", \"0\"-\"9\" and \"_\"";

/// The 404 of a provider that does not exist.
pub(crate) fn no_provider(uuid: Uuid) -> ApiError {
    ApiError::not_found(format!("No resource provider with uuid {uuid} found"))
}

/// Routes a request to its handler.
pub(crate) fn dispatch(call: &Call<'_>, route: &Route) -> Answer {
    let m = call.method;
    match route {
        Route::Root => root(call),
        Route::Providers if m == Method::GET => providers::list(call),
        Route::Providers => providers::create(call),
        Route::Provider(u) => providers::one(call, u),
        Route::Inventories(u) => inventories::all(call, u),
        Route::Inventory(u, rc) => inventories::one(call, u, rc),
        Route::ProviderUsages(u) => usages::provider(call, u),
        Route::Usages => usages::total(call),
        Route::Aggregates(u) => providers::aggregates(call, u),
        Route::ProviderTraits(u) => traits::provider(call, u),
        Route::Traits => traits::list(call),
        Route::Trait(n) => traits::one(call, n),
        Route::ResourceClasses => classes::collection(call),
        Route::ResourceClass(n) => classes::one(call, n),
        Route::ProviderAllocations(u) => allocations::of_provider(call, u),
        Route::ConsumerAllocations(c) => allocations::of_consumer(call, c),
        Route::Allocations => allocations::post(call),
        Route::AllocationCandidates => candidates::list(call),
        Route::Reshaper => allocations::reshape(call),
    }
}

/// `GET /`: version discovery, open to anyone.
fn root(call: &Call<'_>) -> Answer {
    call.accepts_json()?;
    let reply = Reply::json(json!({
        "versions": [{
            "id": "v1.0",
            "max_version": Microversion::MAX.to_string(),
            "min_version": Microversion::MIN.to_string(),
            "status": "CURRENT",
            "links": [{"rel": "self", "href": ""}],
        }]
    }));
    Ok(reply)
}
