//! The request pipeline, in Placement's order: request id, auth (401),
//! microversion (400/406), route (404/405), then the route's handler
//! (its minimum version, content type, policy, body, the core), and last
//! the headers every answer carries.

use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::SystemTime;

use axum::body::Body;
use axum::extract::{Request, State as AxumState};
use axum::http::header::{
    ALLOW, CACHE_CONTROL, CONTENT_TYPE, HeaderName, HeaderValue, LAST_MODIFIED, LOCATION, VARY,
};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use placement_core::Microversion;
use placement_core::state::State;
use placement_core::state::request::IncompleteConsumer;

use crate::config::ServerConfig;
use crate::handlers::{self, Call};
use crate::identity;
use crate::policy::Policy;
use crate::reply::{Answer, ApiError, Reply};
use crate::routes::Route;
use crate::version;

/// Everything a request can reach.
pub struct App {
    pub(crate) config: ServerConfig,
    pub(crate) policy: Policy,
    pub(crate) incomplete: IncompleteConsumer,
    state: RwLock<State>,
}

/// The first microversion with `Last-Modified` and `Cache-Control`.
const CACHE_HEADERS_SINCE: Microversion = Microversion::v1(15);

impl App {
    pub(crate) fn new(config: ServerConfig) -> Result<Self, crate::ServeError> {
        let policy = Policy::new(config.rbac, &config.policy_overrides)?;
        let incomplete = IncompleteConsumer::placement_default()
            .map_err(|e| crate::ServeError::Config(format!("incomplete consumer id: {e}")))?;
        Ok(App {
            policy,
            incomplete,
            state: RwLock::new(State::with_refused_writes(
                config.behaviour.refused_writes(),
            )),
            config,
        })
    }

    /// The state for reading. A poisoned lock is taken as it is: the core's
    /// operations leave the state whole even when they fail, and nothing in
    /// the server panics while holding the lock.
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The state for one atomic write.
    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// The one handler of the router: every path and method comes here.
pub(crate) async fn handle(AxumState(app): AxumState<Arc<App>>, req: Request) -> Response {
    let request_id = format!("req-{}", uuid::Uuid::new_v4());
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().unwrap_or("").to_owned();
    let parsed_version = version::from_headers(&parts.headers);

    let who = match identity::identify(&app.config, &path, &parts.headers) {
        Ok(who) => who,
        Err(e) => return finish(Err(e), parsed_version.ok(), false, &request_id),
    };
    let mv = match parsed_version {
        Ok(mv) => mv,
        Err(e) => return finish(Err(e), None, false, &request_id),
    };
    if let Err(e) = content_type_with_length(&parts.headers) {
        return finish(Err(e), Some(mv), true, &request_id);
    }
    let Some(route) = Route::of(&path) else {
        let e = ApiError::not_found("The resource could not be found.");
        return finish(Err(e), Some(mv), true, &request_id);
    };
    if !route.allows(&parts.method) {
        return finish(
            Err(not_allowed(&parts.method, &route)),
            Some(mv),
            true,
            &request_id,
        );
    }
    let bytes = if matches!(parts.method, Method::POST | Method::PUT) {
        match read_body(body, app.config.max_body_bytes).await {
            Ok(b) => b,
            Err(TooLarge) => {
                let e = ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!(
                        "The request body is larger than {} bytes.",
                        app.config.max_body_bytes
                    ),
                );
                return finish(Err(e), Some(mv), true, &request_id);
            }
        }
    } else {
        drop(body);
        axum::body::Bytes::new()
    };
    let call = Call {
        app: &app,
        who: &who,
        mv,
        method: &parts.method,
        query: &query,
        headers: &parts.headers,
        body: &bytes,
    };
    let answer =
        handlers::dispatch(&call, &route).map(|reply| absolute_location(reply, &parts.headers));
    finish(answer, Some(mv), true, &request_id)
}

/// A body over the limit (or one that broke off while being read).
struct TooLarge;

/// How much of a refused body is read and thrown away before answering, and
/// for how long. Answering 413 with the rest of the body unread makes the
/// kernel reset the connection when it closes, and the client often sees
/// the reset instead of the answer (hyperium/hyper#2384); reading on costs
/// bandwidth only, never memory, and stops at these bounds, after which the
/// reset is the lesser evil.
const DRAIN_BYTES: usize = 64 * 1024 * 1024;
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(10);

/// The body, up to `limit` bytes kept in memory; beyond that, the rest is
/// drained within [`DRAIN_BYTES`] and [`DRAIN_TIME`] and the body refused.
async fn read_body(body: Body, limit: usize) -> Result<axum::body::Bytes, TooLarge> {
    use http_body_util::BodyExt;
    let mut body = body;
    let mut kept: Vec<u8> = Vec::new();
    let mut seen = 0usize;
    let drain_until = tokio::time::Instant::now() + DRAIN_TIME;
    loop {
        let frame = if seen > limit {
            match tokio::time::timeout_at(drain_until, body.frame()).await {
                Ok(frame) => frame,
                Err(_) => return Err(TooLarge),
            }
        } else {
            body.frame().await
        };
        let Some(frame) = frame else { break };
        let Ok(frame) = frame else {
            return Err(TooLarge);
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        seen = seen.saturating_add(data.len());
        if seen <= limit {
            kept.extend_from_slice(&data);
        } else {
            kept = Vec::new();
            if seen > DRAIN_BYTES {
                return Err(TooLarge);
            }
        }
    }
    if seen > limit {
        return Err(TooLarge);
    }
    Ok(axum::body::Bytes::from(kept))
}

/// `Location` as an absolute URL, as webob writes it, when the `Host`
/// header is a plain host\[:port\] (anything else keeps the path alone, so
/// a hostile Host is never echoed).
fn absolute_location(mut reply: Reply, headers: &axum::http::HeaderMap) -> Reply {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes().all(|b| {
                    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']')
                })
        });
    if let (Some(host), Some(path)) = (host, reply.location.as_ref()) {
        reply.location = Some(format!("http://{host}{path}"));
    }
    reply
}

/// Placement's handler refuses a body without a content type before it
/// routes (`handler.py` `PlacementHandler.__call__`).
fn content_type_with_length(headers: &axum::http::HeaderMap) -> Result<(), ApiError> {
    let length = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(0);
    let typed = headers
        .get(CONTENT_TYPE)
        .is_some_and(|v| !v.as_bytes().is_empty());
    if length > 0 && !typed {
        return Err(ApiError::bad_request(
            "content-type header required when content-length > 0",
        ));
    }
    Ok(())
}

fn not_allowed(method: &Method, route: &Route) -> ApiError {
    let allow = route
        .methods()
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let shown = placement_core::Excerpt::of(method.as_str());
    let mut e = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!(
            "The method {} is not allowed for this resource.",
            shown.as_str()
        ),
    );
    if let Ok(value) = HeaderValue::from_str(&allow) {
        e.headers.push((ALLOW, value));
    }
    e
}

fn header(response: &mut Response, name: HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, v);
    }
}

/// The answer as HTTP, with the headers every answer carries.
fn finish(answer: Answer, mv: Option<Microversion>, versioned: bool, request_id: &str) -> Response {
    let json_type = "application/json";
    let mut response = match answer {
        Ok(reply) => reply_response(reply, mv),
        Err(error) => {
            let body = error.envelope(request_id, mv).to_string();
            let mut r = Response::new(Body::from(body));
            *r.status_mut() = error.status;
            header(&mut r, CONTENT_TYPE, json_type);
            for (name, value) in error.headers {
                r.headers_mut().insert(name, value);
            }
            r
        }
    };
    header(
        &mut response,
        HeaderName::from_static("x-openstack-request-id"),
        request_id,
    );
    header(
        &mut response,
        HeaderName::from_static("x-content-type-options"),
        "nosniff",
    );
    if let (true, Some(mv)) = (versioned, mv) {
        header(
            &mut response,
            HeaderName::from_static(version::HEADER),
            &format!("placement {mv}"),
        );
        header(&mut response, VARY, version::HEADER);
    }
    response
}

fn reply_response(reply: Reply, mv: Option<Microversion>) -> Response {
    let mut r = match &reply.body {
        Some(body) => {
            let mut r = Response::new(Body::from(body.to_string()));
            header(&mut r, CONTENT_TYPE, "application/json");
            r
        }
        None => Response::new(Body::empty()),
    };
    *r.status_mut() = reply.status;
    if let Some(location) = &reply.location {
        header(&mut r, LOCATION, location);
    }
    if reply.cacheable && mv.is_some_and(|v| v.at_least(CACHE_HEADERS_SINCE)) {
        header(
            &mut r,
            LAST_MODIFIED,
            &crate::httpdate::format(SystemTime::now()),
        );
        header(&mut r, CACHE_CONTROL, "no-cache");
    }
    r
}
