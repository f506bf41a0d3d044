//! Who is calling: the auth modes of the server.
//!
//! `noauth2` is Placement's `NoAuthMiddleware` (`placement/auth.py`): no
//! `X-Auth-Token` is a 401 except on `/`; the token `user[:project]` names
//! the caller, `admin` gets the admin role and anyone else none. Unlike
//! Placement, an empty token or one that cannot be a user id (blank,
//! control characters, longer than 255) is a 401 too. Placement
//! then also believes an `X-Roles` header from the client, so any caller can
//! make itself admin; here identity headers from the client are ignored
//! unless the server is told to trust them (`trust_identity_headers`), so
//! that both behaviours can be tested.
//!
//! `keystone-headers` is for a server behind a proxy that ran keystone's
//! auth_token: it believes `X-User-Id`, `X-Project-Id` and `X-Roles` when
//! `X-Identity-Status: Confirmed` is present, and answers 401 otherwise.

use axum::http::{HeaderMap, StatusCode};

use crate::config::{AuthMode, ServerConfig};
use crate::reply::ApiError;

/// The caller, as the policy sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identity {
    /// The user id.
    pub user_id: Option<String>,
    /// The project id (`None` for a system-scoped caller).
    pub project_id: Option<String>,
    /// Roles, lower-cased (oslo.policy compares roles without case).
    pub roles: Vec<String>,
    /// Whether the token is system-scoped (`OpenStack-System-Scope`,
    /// believed only with trusted identity headers).
    pub system_scope: bool,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn roles_of(text: &str) -> Vec<String> {
    text.split(',')
        .map(|r| r.trim().to_ascii_lowercase())
        .filter(|r| !r.is_empty())
        .collect()
}

fn unauthorized() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "The request you have made requires authentication.",
    )
}

/// The caller of a request to `path`, or a 401.
pub fn identify(
    config: &ServerConfig,
    path: &str,
    headers: &HeaderMap,
) -> Result<Identity, ApiError> {
    let exempt = path == "/" || path.is_empty();
    match config.auth {
        AuthMode::NoAuth2 => {
            let Some(token) = headers.get("x-auth-token") else {
                return if exempt {
                    Ok(Identity::default())
                } else {
                    Err(unauthorized())
                };
            };
            let token = token.to_str().map_err(|_| unauthorized())?;
            let (user, project) = match token.split_once(':') {
                Some((u, p)) if !p.is_empty() => (u, p),
                Some((u, _)) => (u, u),
                None => (token, token),
            };
            // Placement takes any token, even an empty one, as a user name;
            // here a token must name somebody: a non-empty user of at most
            // 255 visible ASCII characters (what a Keystone id can be).
            let plausible = |id: &str| {
                !id.is_empty() && id.len() <= 255 && id.bytes().all(|b| b.is_ascii_graphic())
            };
            if !plausible(user) || !plausible(project) {
                return if exempt {
                    Ok(Identity::default())
                } else {
                    Err(unauthorized())
                };
            }
            let trusted_roles = if config.trust_identity_headers {
                header(headers, "x-roles")
            } else {
                None
            };
            let roles = match trusted_roles {
                Some(text) => roles_of(text),
                None => match config.noauth2_roles.get(user) {
                    Some(assigned) => assigned.iter().map(|r| r.to_ascii_lowercase()).collect(),
                    None if user == "admin" => vec!["admin".to_owned()],
                    None => Vec::new(),
                },
            };
            let system_scoped = config.trust_identity_headers
                && header(headers, "openstack-system-scope").is_some_and(|v| !v.is_empty());
            // Placement's middleware sets X_TENANT_ID from the token, but
            // oslo.context prefers X-Project-Id, which the client may send.
            let claimed_project = if config.trust_identity_headers {
                header(headers, "x-project-id").filter(|p| !p.is_empty())
            } else {
                None
            };
            let project_id = match (claimed_project, system_scoped) {
                (Some(p), _) => Some(p.to_owned()),
                (None, true) => None,
                (None, false) => Some(project.to_owned()),
            };
            Ok(Identity {
                user_id: Some(user.to_owned()),
                project_id,
                roles,
                system_scope: system_scoped,
            })
        }
        AuthMode::KeystoneHeaders => {
            let confirmed = header(headers, "x-identity-status")
                .is_some_and(|v| v.eq_ignore_ascii_case("confirmed"));
            let user = header(headers, "x-user-id").filter(|u| !u.is_empty());
            match (confirmed, user) {
                (true, Some(user)) => Ok(Identity {
                    user_id: Some(user.to_owned()),
                    project_id: header(headers, "x-project-id")
                        .filter(|p| !p.is_empty())
                        .map(str::to_owned),
                    roles: header(headers, "x-roles").map(roles_of).unwrap_or_default(),
                    system_scope: header(headers, "openstack-system-scope")
                        .is_some_and(|v| !v.is_empty()),
                }),
                _ if exempt => Ok(Identity::default()),
                _ => Err(unauthorized()),
            }
        }
    }
}
