//! The Placement API the scanner talks to: where it is (`--target`), how it
//! authenticates callers (`--auth`) and which snapshot profile it is.
//!
//! It exists so that every URL the scanner sends to is built in one place:
//! the base URL is validated once (http or https, no credentials, no query),
//! and paths are joined without double slashes while keeping a path prefix
//! such as `https://cloud/placement`, which deployments behind a shared
//! front end use.

use std::fmt;
use std::str::FromStr;

/// How the target authenticates callers; decides which headers a persona
/// sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum AuthMode {
    /// Placement's `auth_strategy = noauth2`: `X-Auth-Token` is `user` or
    /// `user:project`, roles come from the token (`admin`) or `X-Roles`.
    #[default]
    Noauth2,
    /// Identity headers set by a trusted front end (X-User-Id, X-Project-Id,
    /// X-Roles, ...), as keystonemiddleware would set them.
    KeystoneHeaders,
    /// Real Keystone tokens in `X-Auth-Token`.
    Token,
}

impl AuthMode {
    /// The spelling used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMode::Noauth2 => "noauth2",
            AuthMode::KeystoneHeaders => "keystone-headers",
            AuthMode::Token => "token",
        }
    }
}

impl fmt::Display for AuthMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AuthMode {
    type Err = TargetError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "noauth2" => Ok(AuthMode::Noauth2),
            "keystone-headers" => Ok(AuthMode::KeystoneHeaders),
            "token" => Ok(AuthMode::Token),
            other => Err(TargetError::AuthMode(other.to_owned())),
        }
    }
}

/// What is wrong with a target; every message names the option it came from.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TargetError {
    /// The URL does not parse.
    #[error("--target {url:?}: not a URL: {reason}")]
    Parse {
        /// The URL as given (credentials removed).
        url: String,
        /// Why it does not parse.
        reason: String,
    },
    /// The scheme is not http or https.
    #[error("--target {url:?}: scheme {scheme:?} is not supported; use http or https")]
    Scheme {
        /// The URL as given (credentials removed).
        url: String,
        /// The scheme found.
        scheme: String,
    },
    /// The URL carries user or password; personas carry credentials.
    #[error("--target {url:?}: credentials in the URL are not supported; give them to a persona")]
    Credentials {
        /// The URL with the credentials removed.
        url: String,
    },
    /// The URL has a query or fragment, which no path could be joined to.
    #[error("--target {url:?}: a base URL cannot have a query or fragment")]
    QueryOrFragment {
        /// The URL as given (credentials removed).
        url: String,
    },
    /// The URL has no host.
    #[error("--target {url:?}: no host")]
    NoHost {
        /// The URL as given.
        url: String,
    },
    /// `--auth` named no known mode.
    #[error("--auth {0:?}: expected noauth2, keystone-headers or token")]
    AuthMode(String),
    /// A path to join did not start with `/`.
    #[error("path {0:?} must start with '/'")]
    RelativePath(String),
}

/// A Placement API under test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    base_url: url::Url,
    /// How callers authenticate.
    pub auth: AuthMode,
    /// Snapshot profile name (`embedded`, `openstack-placement-16.0.0`, ...).
    pub profile: String,
}

impl Target {
    /// Validates `base_url` (the `--target` option) and builds a target.
    pub fn new(base_url: &str, auth: AuthMode, profile: &str) -> Result<Self, TargetError> {
        let parsed = url::Url::parse(base_url.trim()).map_err(|e| TargetError::Parse {
            url: strip_credentials(base_url),
            reason: e.to_string(),
        })?;
        let shown = display_url(&parsed);
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(TargetError::Scheme {
                url: shown,
                scheme: parsed.scheme().to_owned(),
            });
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(TargetError::Credentials { url: shown });
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(TargetError::QueryOrFragment { url: shown });
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(TargetError::NoHost { url: shown });
        }
        Ok(Target {
            base_url: parsed,
            auth,
            profile: profile.to_owned(),
        })
    }

    /// The validated base URL.
    pub fn base_url(&self) -> &url::Url {
        &self.base_url
    }

    /// Joins an absolute API path (`/resource_providers?name=x`) to the base
    /// URL, keeping the base's path prefix and never doubling a slash at the
    /// seam. The path is kept byte for byte otherwise: hostile paths are the
    /// point of a scanner, so nothing is normalised here.
    pub fn url(&self, path: &str) -> Result<String, TargetError> {
        if !path.starts_with('/') {
            return Err(TargetError::RelativePath(path.to_owned()));
        }
        Ok(join(self.base_url.as_str(), path))
    }
}

/// Joins `base` and an absolute `path` with exactly one `/` at the seam.
fn join(base: &str, path: &str) -> String {
    let base = base.trim_end_matches('/');
    let rest = path.trim_start_matches('/');
    format!("{base}/{rest}")
}

/// A URL for messages: user and password removed.
pub fn display_url(url: &url::Url) -> String {
    let mut u = url.clone();
    // Both setters fail only for URLs that cannot have credentials, which
    // then have none to remove.
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.to_string()
}

/// Removes `user:password@` from a URL string for messages, even when the
/// string does not parse as a URL.
pub fn strip_credentials(raw: &str) -> String {
    if let Ok(u) = url::Url::parse(raw) {
        return display_url(&u);
    }
    match (raw.find("://"), raw.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}{}", &raw[..s + 3], &raw[at + 1..]),
        _ => raw.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(base: &str) -> Target {
        match Target::new(base, AuthMode::Noauth2, "embedded") {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn joins_without_double_slashes_and_keeps_prefix() {
        assert_eq!(
            t("http://127.0.0.1:8778").url("/resource_providers"),
            Ok("http://127.0.0.1:8778/resource_providers".to_owned())
        );
        assert_eq!(
            t("https://cloud/placement/").url("/traits?name=in:A"),
            Ok("https://cloud/placement/traits?name=in:A".to_owned())
        );
        assert_eq!(
            t("https://cloud/placement").url("/"),
            Ok("https://cloud/placement/".to_owned())
        );
        assert_eq!(
            t("https://cloud/placement").url("//x"),
            Ok("https://cloud/placement/x".to_owned())
        );
    }

    #[test]
    fn rejects_bad_targets_naming_the_option() {
        for bad in [
            "ftp://h/",
            "not a url",
            "http://u:hunter2@h/",
            "http://h/?a=b",
            "file:///etc/passwd",
        ] {
            let e = Target::new(bad, AuthMode::Noauth2, "p").err();
            let msg = e.map(|e| e.to_string()).unwrap_or_default();
            assert!(msg.starts_with("--target"), "{bad}: {msg}");
            assert!(!msg.contains("hunter2"), "{msg}");
        }
        assert!(t("http://h").url("x").is_err());
    }

    #[test]
    fn auth_modes_parse() {
        assert_eq!("noauth2".parse(), Ok(AuthMode::Noauth2));
        assert_eq!("keystone-headers".parse(), Ok(AuthMode::KeystoneHeaders));
        assert_eq!("token".parse(), Ok(AuthMode::Token));
        let e = "basic".parse::<AuthMode>().err().map(|e| e.to_string());
        assert!(e.unwrap_or_default().starts_with("--auth"));
    }
}
