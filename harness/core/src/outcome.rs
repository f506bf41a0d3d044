//! What an operation on the core returns, in Placement's own terms.
//!
//! The server turns these into HTTP responses and the differential oracle
//! compares them with what a real Placement answered, so they carry exactly
//! what Placement exposes: a status code and, from microversion 1.23, an
//! error `code` string.

use std::fmt;

/// Placement's error codes (`placement/errors.py` in 16.0.0).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorCode {
    /// `placement.undefined_code`: every error without a more specific code.
    #[default]
    Undefined,
    /// `placement.inventory.inuse`: inventory that allocations still use.
    InventoryInUse,
    /// `placement.concurrent_update`: a stale provider or consumer generation.
    ConcurrentUpdate,
    /// `placement.duplicate_name`: a provider or class name already taken.
    DuplicateName,
    /// `placement.resource_provider.inuse`: a provider with allocations.
    ProviderInUse,
    /// `placement.resource_provider.cannot_delete_parent`: a provider with children.
    CannotDeleteParent,
    /// `placement.resource_provider.not_found`: a named provider does not exist.
    ProviderNotFound,
    /// `placement.query.duplicate_key`: a query parameter given twice.
    QueryDuplicateKey,
    /// `placement.query.bad_value`: a query parameter with an unusable value.
    QueryBadValue,
    /// `placement.query.missing_value`: a query parameter that needs another.
    QueryMissingValue,
}

impl ErrorCode {
    /// Every code.
    pub const ALL: [ErrorCode; 10] = [
        ErrorCode::Undefined,
        ErrorCode::InventoryInUse,
        ErrorCode::ConcurrentUpdate,
        ErrorCode::DuplicateName,
        ErrorCode::ProviderInUse,
        ErrorCode::CannotDeleteParent,
        ErrorCode::ProviderNotFound,
        ErrorCode::QueryDuplicateKey,
        ErrorCode::QueryBadValue,
        ErrorCode::QueryMissingValue,
    ];

    /// The string Placement puts in an error's `code`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Undefined => "placement.undefined_code",
            ErrorCode::InventoryInUse => "placement.inventory.inuse",
            ErrorCode::ConcurrentUpdate => "placement.concurrent_update",
            ErrorCode::DuplicateName => "placement.duplicate_name",
            ErrorCode::ProviderInUse => "placement.resource_provider.inuse",
            ErrorCode::CannotDeleteParent => "placement.resource_provider.cannot_delete_parent",
            ErrorCode::ProviderNotFound => "placement.resource_provider.not_found",
            ErrorCode::QueryDuplicateKey => "placement.query.duplicate_key",
            ErrorCode::QueryBadValue => "placement.query.bad_value",
            ErrorCode::QueryMissingValue => "placement.query.missing_value",
        }
    }

    /// The code for a string from a response, if Placement defines it.
    pub fn from_code_str(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == code)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The HTTP status codes Placement answers operations with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// 200
    Ok,
    /// 201
    Created,
    /// 204
    NoContent,
    /// 400
    BadRequest,
    /// 404
    NotFound,
    /// 409
    Conflict,
}

impl Status {
    /// The numeric code.
    pub fn code(self) -> u16 {
        match self {
            Status::Ok => 200,
            Status::Created => 201,
            Status::NoContent => 204,
            Status::BadRequest => 400,
            Status::NotFound => 404,
            Status::Conflict => 409,
        }
    }
}

/// A refused operation: Placement's status, code and a detail sentence that
/// quotes client input only through [`Excerpt`](crate::error::Excerpt)s.
#[derive(Clone, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{status:?} {code}: {detail}")]
pub struct Failure {
    /// 400, 404 or 409.
    pub status: Status,
    /// Placement's error code.
    pub code: ErrorCode,
    /// What went wrong, for the error's `detail`.
    pub detail: String,
}

impl Failure {
    /// A 400 with the undefined code.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Failure {
            status: Status::BadRequest,
            code: ErrorCode::Undefined,
            detail: detail.into(),
        }
    }

    /// A 404 with the undefined code.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Failure {
            status: Status::NotFound,
            code: ErrorCode::Undefined,
            detail: detail.into(),
        }
    }

    /// A 409 with the given code.
    pub fn conflict(code: ErrorCode, detail: impl Into<String>) -> Self {
        Failure {
            status: Status::Conflict,
            code,
            detail: detail.into(),
        }
    }
}

impl From<crate::error::Rejection> for Failure {
    fn from(rejection: crate::error::Rejection) -> Self {
        Failure {
            status: Status::BadRequest,
            code: rejection.code,
            detail: rejection.to_string(),
        }
    }
}
