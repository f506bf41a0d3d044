//! The `OpenStack-API-Version` request header.
//!
//! Absent means 1.0, as in Placement. Anything that is not exactly
//! `placement X.Y` or `placement latest` is a 400 (Placement's own parser
//! accepts lists of services and lenient spellings, which lets two readers
//! of one request disagree on its version); a well-formed version outside
//! 1.0..=1.39 is a 406 naming the range.

use axum::http::{HeaderMap, StatusCode};
use placement_core::Excerpt;
use placement_core::microversion::{Microversion, MicroversionError};
use serde_json::json;

use crate::reply::ApiError;

/// The request header.
pub const HEADER: &str = "openstack-api-version";

/// The request's microversion, or the error to answer.
pub fn from_headers(headers: &HeaderMap) -> Result<Microversion, ApiError> {
    let mut values = headers.get_all(HEADER).iter();
    let Some(value) = values.next() else {
        return Ok(Microversion::MIN);
    };
    if values.next().is_some() {
        return Err(ApiError::bad_request(
            "Invalid microversion: the OpenStack-API-Version header is given more than once",
        ));
    }
    let text = value.to_str().map_err(|_| {
        ApiError::bad_request("Invalid microversion: the header value is not ASCII text")
    })?;
    Microversion::parse_header(text).map_err(|e| match e {
        MicroversionError::Syntax => {
            let version = text.strip_prefix("placement ").unwrap_or(text);
            ApiError::bad_request(format!(
                "Invalid microversion: invalid version string: {}; the header must be \
                 'placement X.Y' or 'placement latest'",
                Excerpt::of(version).as_str()
            ))
        }
        MicroversionError::Unsupported(v) => {
            let mut error = ApiError::new(
                StatusCode::NOT_ACCEPTABLE,
                format!("Invalid microversion: Unacceptable version header: {v}"),
            );
            error.extra = vec![
                ("max_version", json!(Microversion::MAX.to_string())),
                ("min_version", json!(Microversion::MIN.to_string())),
            ];
            error
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(value: &str) -> Result<Microversion, ApiError> {
        let mut h = HeaderMap::new();
        h.insert(HEADER, HeaderValue::from_str(value).unwrap());
        from_headers(&h)
    }

    #[test]
    fn versions_and_refusals() {
        assert_eq!(from_headers(&HeaderMap::new()), Ok(Microversion::MIN));
        assert_eq!(with("placement latest"), Ok(Microversion::MAX));
        assert_eq!(with("placement 1.10"), Ok(Microversion::v1(10)));
        for bad in [
            "placement 1.01",
            "placement 1.1_0",
            "placement 1.2, placement 1.3",
            "1.2",
            "placement  1.2",
        ] {
            assert_eq!(
                with(bad).unwrap_err().status,
                StatusCode::BAD_REQUEST,
                "{bad}"
            );
        }
        let e = with("placement 1.40").unwrap_err();
        assert_eq!(e.status, StatusCode::NOT_ACCEPTABLE);
        assert_eq!(e.extra.len(), 2);
        let e = with("placement 2.0").unwrap_err();
        assert_eq!(e.status, StatusCode::NOT_ACCEPTABLE);
    }
}
