//! Keystone v3 authentication: the request a persona's settings make
//! (password or application credential, scoped to a project, the system,
//! or not at all) and the facts its answer states about the token.
//!
//! The facts are what the oracles judge a Keystone persona by: the roles
//! Keystone put in the token (implied roles already expanded), the project
//! it is scoped to, the user, and how long it lives. Reading them from the
//! answer, not from the persona's name, is what makes `tenant-a-admin`
//! a cloud admin when Placement's policy says so.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::persona::Secret;

/// Keystone v3 authentication settings of one persona.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeystoneAuth {
    /// Identity endpoint, with or without the trailing `/v3`.
    pub auth_url: String,
    /// User name (with a user domain), or ...
    pub username: Option<String>,
    /// ... user id.
    pub user_id: Option<String>,
    /// User domain name.
    pub user_domain_name: Option<String>,
    /// User domain id.
    pub user_domain_id: Option<String>,
    /// How the user proves who it is.
    pub method: Method,
    /// What the token is asked to be scoped to.
    pub scope: Scope,
}

/// The identity method.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Method {
    /// `password`.
    Password(Secret),
    /// `application_credential`, by id, or by name with the user. Its
    /// scope is the credential's own: the request names none.
    ApplicationCredential {
        /// Credential id.
        id: Option<String>,
        /// Credential name (needs the user).
        name: Option<String>,
        /// The secret.
        secret: Secret,
    },
}

/// The scope asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// A project, by id or by name with its domain.
    Project {
        /// Project id.
        id: Option<String>,
        /// Project name.
        name: Option<String>,
        /// Project domain name.
        domain_name: Option<String>,
        /// Project domain id.
        domain_id: Option<String>,
    },
    /// `system: {all: true}`.
    System,
    /// No scope: an unscoped token (a user without roles gets only this).
    Unscoped,
}

impl KeystoneAuth {
    /// `POST .../v3/auth/tokens`, whether or not `auth_url` ends in `/v3`.
    pub fn tokens_url(&self) -> String {
        let base = self.auth_url.trim_end_matches('/');
        if base.ends_with("/v3") {
            format!("{base}/auth/tokens")
        } else {
            format!("{base}/v3/auth/tokens")
        }
    }

    /// The project the settings name by id, if they do.
    pub fn project_id(&self) -> Option<&str> {
        match &self.scope {
            Scope::Project { id, .. } => id.as_deref(),
            _ => None,
        }
    }

    fn user(&self) -> Map<String, Value> {
        let mut user = Map::new();
        if let Some(id) = &self.user_id {
            user.insert("id".into(), json!(id));
        }
        if let Some(name) = &self.username {
            user.insert("name".into(), json!(name));
        }
        if let Some(d) = domain(&self.user_domain_name, &self.user_domain_id) {
            user.insert("domain".into(), d);
        }
        user
    }

    /// The JSON body of the authentication request.
    pub fn body(&self) -> Value {
        let identity = match &self.method {
            Method::Password(password) => {
                let mut user = self.user();
                user.insert("password".into(), json!(password.expose()));
                json!({ "methods": ["password"], "password": { "user": user } })
            }
            Method::ApplicationCredential { id, name, secret } => {
                let mut cred = Map::new();
                if let Some(id) = id {
                    cred.insert("id".into(), json!(id));
                }
                if let Some(name) = name {
                    cred.insert("name".into(), json!(name));
                    cred.insert("user".into(), Value::Object(self.user()));
                }
                cred.insert("secret".into(), json!(secret.expose()));
                json!({ "methods": ["application_credential"], "application_credential": cred })
            }
        };
        let mut auth = json!({ "identity": identity });
        let app_cred = matches!(self.method, Method::ApplicationCredential { .. });
        match &self.scope {
            _ if app_cred => {}
            Scope::Project {
                id,
                name,
                domain_name,
                domain_id,
            } => {
                let mut project = Map::new();
                if let Some(id) = id {
                    project.insert("id".into(), json!(id));
                }
                if let Some(name) = name {
                    project.insert("name".into(), json!(name));
                }
                if let Some(d) = domain(domain_name, domain_id) {
                    project.insert("domain".into(), d);
                }
                auth["scope"] = json!({ "project": project });
            }
            Scope::System => auth["scope"] = json!({ "system": { "all": true } }),
            Scope::Unscoped => {}
        }
        json!({ "auth": auth })
    }
}

fn domain(name: &Option<String>, id: &Option<String>) -> Option<Value> {
    match (id, name) {
        (Some(id), _) => Some(json!({ "id": id })),
        (None, Some(name)) => Some(json!({ "name": name })),
        (None, None) => None,
    }
}

/// How a token is scoped, as Keystone's answer says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenScope {
    /// To this project.
    Project {
        /// Project id.
        id: String,
        /// Project name.
        name: String,
        /// The project's domain id.
        domain_id: String,
    },
    /// To a domain.
    Domain {
        /// Domain id.
        id: String,
    },
    /// To the system.
    System,
    /// Not scoped: no roles.
    Unscoped,
}

/// What Keystone's answer states about a persona's token. No secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenFacts {
    /// User id.
    pub user_id: String,
    /// User name.
    pub user_name: String,
    /// The user's domain id.
    pub user_domain_id: String,
    /// Scope.
    pub scope: TokenScope,
    /// Role names, as in the token (implied roles expanded by Keystone).
    pub roles: Vec<String>,
    /// `expires_at` - `issued_at`, both by Keystone's clock; `None` when
    /// the answer gives no usable pair.
    pub lifetime: Option<Duration>,
}

impl TokenFacts {
    /// The project id, for a project-scoped token.
    pub fn project_id(&self) -> Option<&str> {
        match &self.scope {
            TokenScope::Project { id, .. } => Some(id),
            _ => None,
        }
    }

    /// The scope in a few words, for `personas check`.
    pub fn scope_text(&self) -> String {
        match &self.scope {
            TokenScope::Project {
                id,
                name,
                domain_id,
            } => format!("project {name} ({id}, domain {domain_id})"),
            TokenScope::Domain { id } => format!("domain {id}"),
            TokenScope::System => "system all".to_owned(),
            TokenScope::Unscoped => "unscoped".to_owned(),
        }
    }
}

#[derive(Deserialize)]
struct Answer {
    token: Token,
}

#[derive(Deserialize)]
struct Token {
    user: Named,
    project: Option<Named>,
    domain: Option<Named>,
    system: Option<Value>,
    #[serde(default)]
    roles: Vec<Named>,
    expires_at: Option<String>,
    issued_at: Option<String>,
}

#[derive(Deserialize)]
struct Named {
    id: String,
    #[serde(default)]
    name: String,
    domain: Option<Box<Named>>,
}

/// The facts of a token from the body of Keystone's answer to
/// `POST /v3/auth/tokens`; the error says what the body lacks.
pub fn parse_token_facts(body: &[u8]) -> Result<TokenFacts, String> {
    let answer: Answer = serde_json::from_slice(body)
        .map_err(|e| format!("the answer is no Keystone token body ({e})"))?;
    let t = answer.token;
    let domain_of = |n: &Named| n.domain.as_ref().map(|d| d.id.clone()).unwrap_or_default();
    let scope = if let Some(p) = &t.project {
        TokenScope::Project {
            id: p.id.clone(),
            name: p.name.clone(),
            domain_id: domain_of(p),
        }
    } else if let Some(d) = &t.domain {
        TokenScope::Domain { id: d.id.clone() }
    } else if t.system.is_some() {
        TokenScope::System
    } else {
        TokenScope::Unscoped
    };
    let lifetime = match (&t.issued_at, &t.expires_at) {
        (Some(i), Some(e)) => lifetime(i, e),
        _ => None,
    };
    Ok(TokenFacts {
        user_domain_id: domain_of(&t.user),
        user_id: t.user.id,
        user_name: t.user.name,
        scope,
        roles: t.roles.into_iter().map(|r| r.name).collect(),
        lifetime,
    })
}

/// How long a token issued at `issued` lives when it expires at
/// `expires` (RFC 3339, as Keystone writes them).
fn lifetime(issued: &str, expires: &str) -> Option<Duration> {
    let i = chrono::DateTime::parse_from_rfc3339(issued).ok()?;
    let e = chrono::DateTime::parse_from_rfc3339(expires).ok()?;
    (e - i).to_std().ok()
}

/// When to renew a token of this lifetime, counted from when it was
/// fetched: a minute early, or a quarter of its life for short ones, so
/// that no request goes out with a token about to expire.
pub fn renew_after(lifetime: Duration) -> Duration {
    let margin = Duration::from_secs(60).min(lifetime / 4);
    lifetime - margin
}

#[cfg(test)]
mod tests {
    use super::*;

    fn password(scope: Scope) -> KeystoneAuth {
        KeystoneAuth {
            auth_url: "http://ks/v3/".into(),
            username: Some("alice".into()),
            user_id: None,
            user_domain_name: Some("Default".into()),
            user_domain_id: None,
            method: Method::Password(Secret::new("pw")),
            scope,
        }
    }

    #[test]
    fn bodies_per_scope_and_method() {
        let p = password(Scope::Project {
            id: None,
            name: Some("demo".into()),
            domain_name: Some("Default".into()),
            domain_id: None,
        });
        assert_eq!(p.tokens_url(), "http://ks/v3/auth/tokens");
        assert_eq!(
            p.body()["auth"]["scope"],
            json!({"project": {"name": "demo", "domain": {"name": "Default"}}})
        );
        assert_eq!(
            password(Scope::System).body()["auth"]["scope"],
            json!({"system": {"all": true}})
        );
        assert!(
            password(Scope::Unscoped).body()["auth"]
                .get("scope")
                .is_none()
        );
        let mut app = password(Scope::System);
        app.method = Method::ApplicationCredential {
            id: Some("ac1".into()),
            name: None,
            secret: Secret::new("s"),
        };
        let body = app.body();
        assert_eq!(
            body["auth"]["identity"],
            json!({"methods": ["application_credential"],
                   "application_credential": {"id": "ac1", "secret": "s"}})
        );
        assert!(body["auth"].get("scope").is_none(), "{body}");
    }

    #[test]
    fn facts_of_a_project_token() {
        let body = br#"{"token": {"methods": ["password"],
            "user": {"id": "u1", "name": "alice", "domain": {"id": "default", "name": "Default"}},
            "project": {"id": "p1", "name": "tenant-a", "domain": {"id": "default", "name": "Default"}},
            "roles": [{"id": "r1", "name": "admin"}, {"id": "r2", "name": "member"}],
            "issued_at": "2026-12-07T23:00:00.000000Z",
            "expires_at": "2026-12-08T00:00:00.000000Z"}}"#;
        let f = parse_token_facts(body).unwrap();
        assert_eq!(f.project_id(), Some("p1"));
        assert_eq!(f.roles, ["admin", "member"]);
        assert_eq!(f.user_domain_id, "default");
        assert_eq!(f.lifetime, Some(Duration::from_secs(3600)));
        assert_eq!(
            renew_after(Duration::from_secs(3600)),
            Duration::from_secs(3540)
        );
        assert_eq!(
            renew_after(Duration::from_secs(40)),
            Duration::from_secs(30)
        );
        assert_eq!(f.scope_text(), "project tenant-a (p1, domain default)");
    }

    #[test]
    fn facts_of_system_and_unscoped_tokens() {
        let sys = br#"{"token": {"user": {"id": "u"}, "system": {"all": true},
            "roles": [{"id": "r", "name": "admin"}]}}"#;
        let f = parse_token_facts(sys).unwrap();
        assert_eq!(f.scope, TokenScope::System);
        assert_eq!(f.lifetime, None);
        let none = br#"{"token": {"user": {"id": "u"}}}"#;
        let f = parse_token_facts(none).unwrap();
        assert_eq!(f.scope, TokenScope::Unscoped);
        assert!(f.roles.is_empty());
        assert!(
            parse_token_facts(b"{}")
                .unwrap_err()
                .contains("no Keystone token body")
        );
    }
}
