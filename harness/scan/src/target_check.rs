//! The target check: before `run`, `scan`, `fuzz` or `cleanup` sends
//! anything else or writes anything, one `GET` of the base URL must answer
//! with Placement's version document.
//!
//! It exists because every verdict the harness gives assumes that it talks
//! to Placement: a wrong URL, a proxy's landing page or another API that
//! answers 200 to everything would otherwise be judged request by request
//! and reported as thousands of findings (and a "cleanup" of objects that
//! were never made). The document also gives the microversion range the
//! target serves, which bounds what the run asks for.

use std::fmt;

use crate::client::{Client, ClientError};
use crate::exchange::{Exchange, Request};
use crate::target::{Target, display_url};

/// How many bytes of a wrong answer the error line quotes.
const QUOTED_BYTES: usize = 80;

/// A microversion `1.N` as Placement spells it (`major.minor`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Microversion {
    /// Major version (Placement has only 1).
    pub major: u16,
    /// Minor version.
    pub minor: u16,
}

impl Microversion {
    /// Parses `1.39`; `None` for anything else (`latest` included).
    pub fn parse(text: &str) -> Option<Self> {
        let (major, minor) = text.trim().split_once('.')?;
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(major) || !digits(minor) {
            return None;
        }
        Some(Microversion {
            major: major.parse().ok()?,
            minor: minor.parse().ok()?,
        })
    }

    /// The version an `OpenStack-API-Version` header value asks for, when
    /// it is the well-formed `placement X.Y` (`None` for `latest` and for
    /// anything malformed, which the target is left to judge).
    pub fn from_header(value: &str) -> Option<Self> {
        let (service, version) = value.trim().split_once(' ')?;
        if !service.eq_ignore_ascii_case("placement") {
            return None;
        }
        Self::parse(version)
    }
}

impl fmt::Display for Microversion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// What the version document says the target serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApiVersions {
    /// `min_version` of the document.
    pub min: Microversion,
    /// `max_version` of the document.
    pub max: Microversion,
}

impl ApiVersions {
    /// Why a request asking for `value` (an `OpenStack-API-Version` header)
    /// is not sent to this target, if it asks for a version outside the
    /// range: its answer would be a 406 that says nothing about the route.
    pub fn refusal(&self, value: &str) -> Option<String> {
        let asked = Microversion::from_header(value)?;
        (asked < self.min || asked > self.max).then(|| {
            format!(
                "microversion {asked} is outside the {}..{} the target serves",
                self.min, self.max
            )
        })
    }
}

impl fmt::Display for ApiVersions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.min, self.max)
    }
}

/// Why the target check failed; one line each, naming the URL.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TargetCheckError {
    /// No answer at all (connection refused, timeout, TLS, not HTTP).
    #[error("target {url} is not reachable: {reason}")]
    Unreachable {
        /// The base URL (credentials removed).
        url: String,
        /// The client's error.
        reason: String,
    },
    /// An answer, but not Placement's version document.
    #[error(
        "target {url} is not a Placement API: GET {url} answered {found}; give --target the \
         URL of Placement's root (with its path prefix, e.g. https://cloud.example/placement)"
    )]
    NotPlacement {
        /// The base URL (credentials removed).
        url: String,
        /// What came back instead: status, content type, size, first bytes.
        found: String,
    },
}

/// Sends the check and judges its answer. Nothing but this one `GET` is
/// sent; callers create journals and reports only after it passed.
pub async fn check_target(
    client: &Client,
    target: &Target,
) -> Result<ApiVersions, TargetCheckError> {
    let url = display_url(target.base_url());
    let request = Request {
        method: "GET".to_owned(),
        url: target.base_url().as_str().to_owned(),
        ..Request::default()
    };
    match client.send(request).await {
        Ok(ex) => judge(&ex).map_err(|found| TargetCheckError::NotPlacement { url, found }),
        Err(e) => Err(TargetCheckError::Unreachable {
            url,
            reason: unreachable_reason(&e),
        }),
    }
}

fn unreachable_reason(e: &ClientError) -> String {
    // The client's message repeats method and URL, which the line names.
    match e {
        ClientError::Connect { reason, .. } | ClientError::Transport { reason, .. } => {
            reason.clone()
        }
        ClientError::Timeout { after, .. } => {
            format!(
                "no complete answer within --timeout ({}s)",
                after.as_secs_f64()
            )
        }
        other => other.to_string(),
    }
}

/// The version range of Placement's root document, or what was found
/// instead.
pub fn judge(ex: &Exchange) -> Result<ApiVersions, String> {
    let response = ex.response();
    let status = response.status;
    let ctype = ex.response_header("content-type").unwrap_or("").trim();
    let found = || describe(ex);
    if (300..400).contains(&status) {
        let to = ex.response_header("location").unwrap_or("nowhere");
        return Err(format!("{} (a redirect to {to:?}, not followed)", found()));
    }
    if status != 200 {
        return Err(found());
    }
    let json_type = ctype
        .split(';')
        .next()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
    if !json_type {
        return Err(found());
    }
    if response.truncated {
        return Err(format!("{} (cut at the read limit)", found()));
    }
    let doc: serde_json::Value =
        serde_json::from_slice(&response.body).map_err(|_| format!("{} (not JSON)", found()))?;
    let versions = doc
        .get("versions")
        .and_then(serde_json::Value::as_array)
        .ok_or_else(|| format!("{} (no \"versions\" list)", found()))?;
    let range = versions.iter().find_map(|v| {
        let min = Microversion::parse(v.get("min_version")?.as_str()?)?;
        let max = Microversion::parse(v.get("max_version")?.as_str()?)?;
        (min <= max).then_some(ApiVersions { min, max })
    });
    range.ok_or_else(|| format!("{} (no version with min_version and max_version)", found()))
}

/// `200 text/html, 1234 bytes: "<!DOCTYPE html>..."`.
fn describe(ex: &Exchange) -> String {
    let response = ex.response();
    let ctype = ex
        .response_header("content-type")
        .unwrap_or("no content type");
    let body = &response.body;
    let size = if response.truncated {
        format!("over {} bytes", body.len())
    } else {
        format!("{} bytes", body.len())
    };
    if body.is_empty() {
        return format!("{} {ctype}, empty body", response.status);
    }
    let head = String::from_utf8_lossy(&body[..body.len().min(QUOTED_BYTES)]);
    let more = if body.len() > QUOTED_BYTES { "..." } else { "" };
    format!("{} {ctype}, {size}: {head:?}{more}", response.status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::{Header, Response};

    fn answer(status: u16, ctype: Option<&str>, body: &str) -> Exchange {
        Exchange::new(
            Request {
                method: "GET".into(),
                url: "http://127.0.0.1:1/".into(),
                ..Request::default()
            },
            Response {
                status,
                headers: ctype
                    .map(|c| vec![Header::new("content-type", c)])
                    .unwrap_or_default(),
                body: body.as_bytes().to_vec(),
                ..Response::default()
            },
        )
    }

    const PLACEMENT_16: &str = r#"{"versions": [{"id": "v1.0", "max_version": "1.39", "min_version": "1.0", "status": "CURRENT", "links": [{"rel": "self", "href": ""}]}]}"#;

    #[test]
    fn placements_document_gives_its_range() {
        let v = judge(&answer(200, Some("application/json"), PLACEMENT_16));
        let v = v.expect("Placement's root document");
        assert_eq!(v.to_string(), "1.0..1.39");
        assert_eq!(v.refusal("placement 1.39"), None);
        assert_eq!(v.refusal("placement latest"), None);
        assert_eq!(
            v.refusal("placement 1.x"),
            None,
            "malformed: the target's to judge"
        );
        assert_eq!(
            v.refusal("placement 1.40").as_deref(),
            Some("microversion 1.40 is outside the 1.0..1.39 the target serves")
        );
        assert!(v.refusal("Placement 2.0").is_some());
        let charset = answer(200, Some("application/json; charset=UTF-8"), PLACEMENT_16);
        assert!(judge(&charset).is_ok());
    }

    #[test]
    fn anything_else_is_described() {
        let html = answer(
            200,
            Some("text/html"),
            "<!DOCTYPE html><html><body>Welcome</body></html>",
        );
        assert_eq!(
            judge(&html).unwrap_err(),
            r#"200 text/html, 48 bytes: "<!DOCTYPE html><html><body>Welcome</body></html>""#
        );
        let other_json = answer(200, Some("application/json"), r#"{"status": "ok"}"#);
        assert!(
            judge(&other_json)
                .unwrap_err()
                .ends_with("(no \"versions\" list)")
        );
        let no_type = answer(200, None, PLACEMENT_16);
        assert!(
            judge(&no_type)
                .unwrap_err()
                .starts_with("200 no content type, 136 bytes")
        );
        let empty = answer(401, Some("application/json"), "");
        assert_eq!(
            judge(&empty).unwrap_err(),
            "401 application/json, empty body"
        );
        let bad_range = PLACEMENT_16.replace("\"1.0\"", "\"1.40\"");
        assert!(judge(&answer(200, Some("application/json"), &bad_range)).is_err());
        let redirect = Exchange::new(
            Request::default(),
            Response {
                status: 302,
                headers: vec![Header::new("location", "http://elsewhere.example/")],
                ..Response::default()
            },
        );
        assert!(
            judge(&redirect)
                .unwrap_err()
                .ends_with("(a redirect to \"http://elsewhere.example/\", not followed)")
        );
        let long = "x".repeat(500);
        let quoted = judge(&answer(200, Some("text/plain"), &long)).unwrap_err();
        assert!(quoted.ends_with("...") && quoted.len() < 140, "{quoted}");
    }

    #[test]
    fn microversions_parse_strictly() {
        assert_eq!(
            Microversion::parse("1.39"),
            Some(Microversion {
                major: 1,
                minor: 39
            })
        );
        for bad in ["1", "1.", ".1", "1.-1", "1.3a", "latest", "1.1.1", "+1.2"] {
            assert_eq!(Microversion::parse(bad), None, "{bad}");
        }
        assert!(Microversion::parse("1.9") < Microversion::parse("1.10"));
    }
}
