//! What a handler answers: a status, headers and a JSON body, or an error
//! in Placement's envelope.
//!
//! Every error the server sends, from the 401 of the auth layer to a 409 of
//! the core, goes through [`ApiError`], so every one has the same envelope
//! (`{"errors":[{"status","title","detail","code","request_id"}]}`) and a
//! detail that quotes client input only through a core
//! [`Excerpt`](placement_core::Excerpt).

use axum::http::{HeaderName, HeaderValue, StatusCode};
use placement_core::{ErrorCode, Failure, Microversion, Status};
use serde_json::{Value, json};

/// The first microversion whose errors carry a `code`.
pub const ERROR_CODES_SINCE: Microversion = Microversion::v1(23);

/// An error answer, before the envelope is written.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// Placement's error code (shown from 1.23).
    pub code: ErrorCode,
    /// What is wrong, safe to show.
    pub detail: String,
    /// Extra headers (`Allow` on a 405).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Extra members of the error object (`min_version`/`max_version` on a 406).
    pub extra: Vec<(&'static str, Value)>,
}

impl ApiError {
    /// An error with the undefined code.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            code: ErrorCode::Undefined,
            detail: detail.into(),
            headers: Vec::new(),
            extra: Vec::new(),
        }
    }

    /// A 400.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }

    /// A 404.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, detail)
    }

    /// The same error with another code.
    pub fn with_code(mut self, code: ErrorCode) -> Self {
        self.code = code;
        self
    }

    /// The envelope as JSON, with `code` from 1.23 (`mv` is `None` when the
    /// version is unknown, as for a refused version header).
    pub fn envelope(&self, request_id: &str, mv: Option<Microversion>) -> Value {
        let mut error = serde_json::Map::new();
        error.insert("status".into(), json!(self.status.as_u16()));
        error.insert("title".into(), json!(title(self.status)));
        error.insert("detail".into(), json!(self.detail));
        if mv.is_some_and(|v| v.at_least(ERROR_CODES_SINCE)) {
            error.insert("code".into(), json!(self.code.as_str()));
        }
        error.insert("request_id".into(), json!(request_id));
        for (key, value) in &self.extra {
            error.insert((*key).into(), value.clone());
        }
        json!({ "errors": [Value::Object(error)] })
    }
}

impl From<Failure> for ApiError {
    fn from(failure: Failure) -> Self {
        let status = match failure.status {
            Status::Ok | Status::Created | Status::NoContent => StatusCode::INTERNAL_SERVER_ERROR,
            Status::BadRequest => StatusCode::BAD_REQUEST,
            Status::NotFound => StatusCode::NOT_FOUND,
            Status::Conflict => StatusCode::CONFLICT,
        };
        ApiError::new(status, failure.detail).with_code(failure.code)
    }
}

/// The reason phrase Placement (webob) uses as an error's `title`.
pub fn title(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        409 => "Conflict",
        413 => "Request Entity Too Large",
        415 => "Unsupported Media Type",
        503 => "Service Unavailable",
        _ => status.canonical_reason().unwrap_or("Error"),
    }
}

/// A successful answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    /// The status.
    pub status: StatusCode,
    /// The JSON body, if any.
    pub body: Option<Value>,
    /// `Location`, for created objects.
    pub location: Option<String>,
    /// Whether to send `Last-Modified` and `Cache-Control: no-cache` (1.15+).
    pub cacheable: bool,
}

impl Reply {
    /// A 200 with a JSON body that carries the 1.15 cache headers.
    pub fn json(body: Value) -> Self {
        Reply {
            status: StatusCode::OK,
            body: Some(body),
            location: None,
            cacheable: true,
        }
    }

    /// A bodiless answer.
    pub fn empty(status: StatusCode) -> Self {
        Reply {
            status,
            body: None,
            location: None,
            cacheable: false,
        }
    }

    /// The same answer with another status.
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// The same answer with a `Location`.
    pub fn at(mut self, location: String) -> Self {
        self.location = Some(location);
        self
    }
}

/// A core status as HTTP.
pub fn http_status(status: Status) -> StatusCode {
    match status {
        Status::Ok => StatusCode::OK,
        Status::Created => StatusCode::CREATED,
        Status::NoContent => StatusCode::NO_CONTENT,
        Status::BadRequest => StatusCode::BAD_REQUEST,
        Status::NotFound => StatusCode::NOT_FOUND,
        Status::Conflict => StatusCode::CONFLICT,
    }
}

/// What a handler returns.
pub type Answer = Result<Reply, ApiError>;
