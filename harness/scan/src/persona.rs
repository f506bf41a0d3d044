//! Personas: the named identities the scanner sends requests as, and the
//! headers each one puts on a request.
//!
//! It exists so that every credential lives behind one type, [`Secret`],
//! whose `Debug` and `Display` print `<redacted>`: a persona can be logged,
//! printed in an error or stored in a report without its token or password.
//! The curl reproducer names a persona's token `$TOKEN_<PERSONA>`
//! ([`crate::exchange::token_var`]).
//!
//! Sources of personas: the default set (anonymous, admin, service, tenant-a
//! reader/member/admin, tenant-b reader/member, norole) mapped for noauth2 or
//! for keystone identity headers; a personas file (YAML, errors at
//! file:line); a `clouds.yaml` cloud entry; raw tokens from an environment
//! variable or a file; Keystone v3 password authentication.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::run_id::RunId;
use serde_saphyr::Spanned;
use tokio::sync::Mutex;

use crate::client::Client;
use crate::exchange::{Credentials, Header, Request, token_var};
use crate::target::{AuthMode, strip_credentials};

/// A token or password. `Debug` and `Display` print `<redacted>`; the value
/// is reached only through [`Secret::expose`], where it goes on the wire.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself, for the request header or body that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(crate::exchange::REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(crate::exchange::REDACTED)
    }
}

/// Identity headers as keystonemiddleware sets them after validating a
/// token; sent as-is under `--auth keystone-headers`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    /// `X-User-Id`.
    pub user_id: String,
    /// `X-Project-Id`.
    pub project_id: String,
    /// `X-Roles`, already expanded (admin implies member implies reader).
    #[serde(default)]
    pub roles: Vec<String>,
    /// `X-User-Domain-Id`.
    #[serde(default = "default_domain")]
    pub user_domain_id: String,
    /// `X-Project-Domain-Id`.
    #[serde(default = "default_domain")]
    pub project_domain_id: String,
}

fn default_domain() -> String {
    "default".to_owned()
}

/// Keystone v3 password authentication, scoped to a project.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeystonePassword {
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
    /// The password.
    pub password: Secret,
    /// Project name (with a project domain), or ...
    pub project_name: Option<String>,
    /// ... project id.
    pub project_id: Option<String>,
    /// Project domain name.
    pub project_domain_name: Option<String>,
    /// Project domain id.
    pub project_domain_id: Option<String>,
}

impl KeystonePassword {
    /// `POST .../v3/auth/tokens`, whether or not `auth_url` ends in `/v3`.
    pub fn tokens_url(&self) -> String {
        let base = self.auth_url.trim_end_matches('/');
        if base.ends_with("/v3") {
            format!("{base}/auth/tokens")
        } else {
            format!("{base}/v3/auth/tokens")
        }
    }

    /// The JSON body of the password authentication request.
    pub fn body(&self) -> serde_json::Value {
        use serde_json::{Map, Value, json};
        fn domain(name: &Option<String>, id: &Option<String>) -> Option<Value> {
            match (id, name) {
                (Some(id), _) => Some(json!({ "id": id })),
                (None, Some(name)) => Some(json!({ "name": name })),
                (None, None) => None,
            }
        }
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
        user.insert("password".into(), json!(self.password.expose()));
        let mut project = Map::new();
        if let Some(id) = &self.project_id {
            project.insert("id".into(), json!(id));
        }
        if let Some(name) = &self.project_name {
            project.insert("name".into(), json!(name));
        }
        if let Some(d) = domain(&self.project_domain_name, &self.project_domain_id) {
            project.insert("domain".into(), d);
        }
        let mut auth = json!({
            "identity": { "methods": ["password"], "password": { "user": user } }
        });
        if !project.is_empty() {
            auth["scope"] = json!({ "project": project });
        }
        json!({ "auth": auth })
    }
}

/// How a persona authenticates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// Anonymous: no credential header at all.
    None,
    /// A noauth2 token (`admin` or `user:project`), with the roles to send
    /// in `X-Roles` (noauth2 takes roles from there, or `admin` from the
    /// token when there is no `X-Roles`).
    Noauth2 {
        /// `X-Auth-Token`.
        token: Secret,
        /// `X-Roles`, when sent.
        roles: Option<Vec<String>>,
    },
    /// Identity headers for `--auth keystone-headers`.
    Identity(Identity),
    /// A raw token (read from an environment variable or a file).
    Token(Secret),
    /// Keystone v3 password authentication; the token is fetched once and
    /// cached by the [`Authenticator`].
    Keystone(Box<KeystonePassword>),
}

/// A named identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Persona {
    /// Name, as in findings and in `$TOKEN_<PERSONA>`.
    pub name: String,
    /// How it authenticates.
    pub credential: Credential,
}

impl Persona {
    /// A persona with this name and credential.
    pub fn new(name: &str, credential: Credential) -> Self {
        Persona {
            name: name.to_owned(),
            credential,
        }
    }

    /// A persona whose raw token is in environment variable `var`.
    pub fn token_from_env(name: &str, var: &str) -> Result<Self, PersonaError> {
        let value = std::env::var(var).map_err(|_| PersonaError::EnvVar {
            persona: name.to_owned(),
            var: var.to_owned(),
        })?;
        Self::raw_token(name, value.trim(), &format!("environment variable {var}"))
    }

    /// A persona whose raw token is the content of `path` (trimmed).
    pub fn token_from_file(name: &str, path: &Path) -> Result<Self, PersonaError> {
        let value = std::fs::read_to_string(path).map_err(|e| PersonaError::Read {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        Self::raw_token(name, value.trim(), &path.display().to_string())
    }

    fn raw_token(name: &str, value: &str, source: &str) -> Result<Self, PersonaError> {
        if value.is_empty() {
            return Err(PersonaError::EmptyToken {
                persona: name.to_owned(),
                origin: source.to_owned(),
            });
        }
        Ok(Persona::new(name, Credential::Token(Secret::new(value))))
    }

    /// The shell variable that stands for this persona's token in curl lines.
    pub fn token_var(&self) -> String {
        token_var(&self.name)
    }
}

/// The default persona names, in order.
pub const DEFAULT_PERSONAS: &[&str] = &[
    "anonymous",
    "admin",
    "service",
    "tenant-a-reader",
    "tenant-a-member",
    "tenant-a-admin",
    "tenant-b-reader",
    "tenant-b-member",
    "norole",
];

/// The default set for an auth mode. Under [`AuthMode::Token`] only
/// `anonymous`: real tokens must come from a personas file or clouds.yaml.
///
/// With a run id, every user and project id but the admin's carries it
/// (`tenant-a-ph0123abcdef`), so that two runs never share a project and
/// the objects a run makes for its tenants are its own. Without one the
/// ids are the fixed names (`tenant-a`).
pub fn default_personas(mode: AuthMode, run_id: Option<RunId>) -> Vec<Persona> {
    // (name, user, project, roles as Keystone would expand them)
    let table: [(&str, &str, &str, &[&str]); 8] = [
        ("admin", "admin", "admin", &["admin", "member", "reader"]),
        ("service", "service", "service", &["service"]),
        (
            "tenant-a-reader",
            "tenant-a-reader",
            "tenant-a",
            &["reader"],
        ),
        (
            "tenant-a-member",
            "tenant-a-member",
            "tenant-a",
            &["member", "reader"],
        ),
        (
            "tenant-a-admin",
            "tenant-a-admin",
            "tenant-a",
            &["admin", "member", "reader"],
        ),
        (
            "tenant-b-reader",
            "tenant-b-reader",
            "tenant-b",
            &["reader"],
        ),
        (
            "tenant-b-member",
            "tenant-b-member",
            "tenant-b",
            &["member", "reader"],
        ),
        ("norole", "norole", "tenant-a", &[]),
    ];
    let mut out = vec![Persona::new("anonymous", Credential::None)];
    if mode == AuthMode::Token {
        return out;
    }
    for (name, user, project, roles) in table {
        let roles: Vec<String> = roles.iter().map(|r| (*r).to_owned()).collect();
        let (user, project) = match run_id {
            Some(run) if user != "admin" => (run.user_id(user), run.project_id(project)),
            _ => (user.to_owned(), project.to_owned()),
        };
        let (user, project) = (user.as_str(), project.as_str());
        let credential = match mode {
            AuthMode::Noauth2 => Credential::Noauth2 {
                // noauth2 makes `admin` an admin from the token alone; every
                // other user names its project after the colon.
                token: Secret::new(if user == "admin" {
                    "admin".to_owned()
                } else {
                    format!("{user}:{project}")
                }),
                // norole sends no X-Roles: noauth2 then gives it none.
                roles: (!roles.is_empty()).then_some(roles),
            },
            _ => Credential::Identity(Identity {
                user_id: user.to_owned(),
                project_id: project.to_owned(),
                roles,
                user_domain_id: default_domain(),
                project_domain_id: default_domain(),
            }),
        };
        out.push(Persona::new(name, credential));
    }
    out
}

/// What went wrong building or authenticating a persona. Never holds a
/// secret value.
#[derive(Debug, thiserror::Error)]
pub enum PersonaError {
    /// A file could not be read.
    #[error("{path}: {reason}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A personas file or clouds.yaml is wrong at a known place.
    #[error("{path}:{line}:{column}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// 1-based line (0 when unknown).
        line: u64,
        /// 1-based column (0 when unknown).
        column: u64,
        /// What is wrong.
        message: String,
    },
    /// An environment variable named for a token is not set.
    #[error("persona {persona}: environment variable {var} is not set")]
    EnvVar {
        /// Persona.
        persona: String,
        /// Variable.
        var: String,
    },
    /// A token source is empty.
    #[error("persona {persona}: the token from {origin} is empty")]
    EmptyToken {
        /// Persona.
        persona: String,
        /// Where the token came from.
        origin: String,
    },
    /// clouds.yaml has no such cloud.
    #[error("{path}: no cloud named {cloud:?}")]
    NoCloud {
        /// The clouds.yaml used.
        path: PathBuf,
        /// The cloud asked for.
        cloud: String,
    },
    /// No clouds.yaml was found in the usual places.
    #[error("no clouds.yaml found (looked in {0})")]
    NoCloudsFile(String),
    /// Keystone authentication failed.
    #[error("persona {persona}: Keystone authentication at {url} failed: {reason}")]
    Keystone {
        /// Persona.
        persona: String,
        /// Token URL (credentials removed).
        url: String,
        /// Why (status or transport error; never the password).
        reason: String,
    },
}

/// Turns credentials into headers and caches Keystone tokens, one fetch per
/// persona per run.
#[derive(Debug)]
pub struct Authenticator {
    http: reqwest::Client,
    // Held across the fetch on purpose: two tasks asking for the same
    // persona's token must not both authenticate.
    cache: Mutex<HashMap<String, Secret>>,
}

impl Authenticator {
    /// An authenticator sending its Keystone requests with `client`'s
    /// connection settings (timeouts, CA, TLS verification).
    pub fn new(client: &Client) -> Self {
        Authenticator {
            http: client.http().clone(),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The headers `persona` sends, as (lower-case name, value).
    pub async fn headers(&self, persona: &Persona) -> Result<Vec<(String, Secret)>, PersonaError> {
        let h = |n: &str, v: &str| (n.to_owned(), Secret::new(v));
        Ok(match &persona.credential {
            Credential::None => Vec::new(),
            Credential::Noauth2 { token, roles } => {
                let mut out = vec![("x-auth-token".to_owned(), token.clone())];
                if let Some(roles) = roles {
                    out.push(h("x-roles", &roles.join(",")));
                }
                out
            }
            Credential::Identity(id) => vec![
                h("x-identity-status", "Confirmed"),
                h("x-user-id", &id.user_id),
                h("x-project-id", &id.project_id),
                h("x-roles", &id.roles.join(",")),
                h("x-user-domain-id", &id.user_domain_id),
                h("x-project-domain-id", &id.project_domain_id),
            ],
            Credential::Token(token) => vec![("x-auth-token".to_owned(), token.clone())],
            Credential::Keystone(ks) => {
                let token = self.keystone_token(&persona.name, ks).await?;
                vec![("x-auth-token".to_owned(), token)]
            }
        })
    }

    /// Puts `persona`'s name and headers on `request`. A header the request
    /// already carries is kept: suites that spoof identity headers set them
    /// on purpose.
    pub async fn apply(
        &self,
        persona: &Persona,
        request: &mut Request,
    ) -> Result<(), PersonaError> {
        request.persona = persona.name.clone();
        if persona.credential == Credential::None {
            request.credentials = Credentials::None;
        }
        for (name, value) in self.headers(persona).await? {
            if !request
                .headers
                .iter()
                .any(|h| h.name.eq_ignore_ascii_case(&name))
            {
                request.headers.push(Header::new(&name, value.expose()));
            }
        }
        Ok(())
    }

    async fn keystone_token(
        &self,
        persona: &str,
        ks: &KeystonePassword,
    ) -> Result<Secret, PersonaError> {
        let mut cache = self.cache.lock().await;
        if let Some(token) = cache.get(persona) {
            return Ok(token.clone());
        }
        let url = ks.tokens_url();
        let fail = |reason: String| PersonaError::Keystone {
            persona: persona.to_owned(),
            url: strip_credentials(&url),
            reason,
        };
        let resp = self
            .http
            .post(&url)
            .json(&ks.body())
            .send()
            .await
            .map_err(|e| fail(crate::client::error_chain(&e)))?;
        let status = resp.status();
        if status.as_u16() != 201 && status.as_u16() != 200 {
            return Err(fail(format!("HTTP {status}")));
        }
        let token = resp
            .headers()
            .get("x-subject-token")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| fail("no X-Subject-Token header in the answer".to_owned()))?;
        let token = Secret::new(token);
        cache.insert(persona.to_owned(), token.clone());
        Ok(token)
    }
}

// ---------------------------------------------------------------- files

/// One entry of a personas file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PersonaEntry {
    name: Spanned<String>,
    #[serde(default)]
    anonymous: bool,
    noauth2: Option<String>,
    roles: Option<Vec<String>>,
    identity: Option<Identity>,
    token_env: Option<String>,
    token_file: Option<PathBuf>,
    keystone: Option<KeystoneEntry>,
    cloud: Option<String>,
    clouds_file: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PersonasFile {
    personas: Vec<PersonaEntry>,
}

/// Keystone password settings, as in a personas file or clouds.yaml `auth`.
#[derive(Debug, Default, Deserialize)]
struct KeystoneEntry {
    auth_url: Option<String>,
    username: Option<String>,
    user_id: Option<String>,
    user_domain_name: Option<String>,
    user_domain_id: Option<String>,
    password: Option<String>,
    password_env: Option<String>,
    password_file: Option<PathBuf>,
    project_name: Option<String>,
    project_id: Option<String>,
    project_domain_name: Option<String>,
    project_domain_id: Option<String>,
    // clouds.yaml: shared domain for user and project.
    domain_name: Option<String>,
    domain_id: Option<String>,
    // clouds.yaml `auth_type: token`.
    token: Option<String>,
}

impl KeystoneEntry {
    fn password(&self, persona: &str) -> Result<Option<Secret>, PersonaError> {
        if let Some(p) = &self.password {
            return Ok(Some(Secret::new(p.as_str())));
        }
        if let Some(var) = &self.password_env {
            return std::env::var(var)
                .map(|v| Some(Secret::new(v)))
                .map_err(|_| PersonaError::EnvVar {
                    persona: persona.to_owned(),
                    var: var.clone(),
                });
        }
        if let Some(path) = &self.password_file {
            return std::fs::read_to_string(path)
                .map(|v| Some(Secret::new(v.trim_end_matches(['\r', '\n']))))
                .map_err(|e| PersonaError::Read {
                    path: path.clone(),
                    reason: e.to_string(),
                });
        }
        Ok(None)
    }

    /// Why the settings cannot authenticate, or the password flow.
    fn into_password(self, persona: &str) -> Result<KeystonePassword, String> {
        let password = self
            .password(persona)
            .map_err(|e| e.to_string())?
            .ok_or("keystone needs password, password_env or password_file")?;
        let auth_url = self.auth_url.ok_or("keystone needs auth_url")?;
        if self.username.is_none() && self.user_id.is_none() {
            return Err("keystone needs username or user_id".to_owned());
        }
        Ok(KeystonePassword {
            auth_url,
            username: self.username,
            user_id: self.user_id,
            user_domain_name: self.user_domain_name.or_else(|| self.domain_name.clone()),
            user_domain_id: self.user_domain_id.or_else(|| self.domain_id.clone()),
            password,
            project_name: self.project_name,
            project_id: self.project_id,
            project_domain_name: self.project_domain_name.or(self.domain_name),
            project_domain_id: self.project_domain_id.or(self.domain_id),
        })
    }
}

/// Location and message of a YAML error, without the source snippet the
/// parser can render (the snippet could show a password on that line).
fn yaml_error(path: &Path, e: &serde_saphyr::Error) -> PersonaError {
    let (message, line, column) = crate::input_file::yaml_error_parts(e);
    PersonaError::File {
        path: path.to_owned(),
        line,
        column,
        message,
    }
}

/// Parses a personas file (`path` is for messages). Unknown fields, a
/// missing or doubled credential, and unreadable token sources are errors
/// at file:line.
///
/// ```yaml
/// personas:
///   - name: ops
///     noauth2: admin            # noauth2 token; `roles: [..]` adds X-Roles
///   - name: proxy-user
///     identity: {user_id: u1, project_id: p1, roles: [reader]}
///   - name: ci
///     token_env: CI_TOKEN       # or token_file: /path
///   - name: real
///     keystone: {auth_url: https://id/v3, username: u, password_env: PW,
///                user_domain_name: Default, project_name: p,
///                project_domain_name: Default}
///   - name: from-cloud
///     cloud: mycloud            # clouds_file: /path (else the usual places)
///   - name: nobody
///     anonymous: true
/// ```
pub fn parse_personas(path: &Path, text: &str) -> Result<Vec<Persona>, PersonaError> {
    let file: PersonasFile = serde_saphyr::from_str(text).map_err(|e| yaml_error(path, &e))?;
    let mut out: Vec<Persona> = Vec::new();
    for entry in file.personas {
        let at = |message: String| PersonaError::File {
            path: path.to_owned(),
            line: entry.name.referenced.line(),
            column: entry.name.referenced.column(),
            message,
        };
        let name = entry.name.value.trim().to_owned();
        if name.is_empty() {
            return Err(at("persona name is empty".to_owned()));
        }
        if out.iter().any(|p| p.name == name) {
            return Err(at(format!("persona {name:?} is defined twice")));
        }
        let kinds = [
            entry.anonymous,
            entry.noauth2.is_some(),
            entry.identity.is_some(),
            entry.token_env.is_some(),
            entry.token_file.is_some(),
            entry.keystone.is_some(),
            entry.cloud.is_some(),
        ]
        .iter()
        .filter(|k| **k)
        .count();
        if kinds != 1 {
            return Err(at(format!(
                "persona {name:?}: give exactly one of anonymous, noauth2, identity, \
                 token_env, token_file, keystone, cloud (found {kinds})"
            )));
        }
        if entry.roles.is_some() && entry.noauth2.is_none() {
            return Err(at(format!(
                "persona {name:?}: roles goes with noauth2 (identity has its own roles)"
            )));
        }
        if entry.clouds_file.is_some() && entry.cloud.is_none() {
            return Err(at(format!("persona {name:?}: clouds_file goes with cloud")));
        }
        let persona = if entry.anonymous {
            Persona::new(&name, Credential::None)
        } else if let Some(token) = entry.noauth2 {
            if token.trim().is_empty() {
                return Err(at(format!("persona {name:?}: noauth2 token is empty")));
            }
            Persona::new(
                &name,
                Credential::Noauth2 {
                    token: Secret::new(token.trim()),
                    roles: entry.roles,
                },
            )
        } else if let Some(id) = entry.identity {
            Persona::new(&name, Credential::Identity(id))
        } else if let Some(var) = entry.token_env {
            Persona::token_from_env(&name, &var).map_err(|e| at(e.to_string()))?
        } else if let Some(file) = entry.token_file {
            Persona::token_from_file(&name, &file).map_err(|e| at(e.to_string()))?
        } else if let Some(ks) = entry.keystone {
            let ks = ks
                .into_password(&name)
                .map_err(|m| at(format!("persona {name:?}: {m}")))?;
            Persona::new(&name, Credential::Keystone(Box::new(ks)))
        } else if let Some(cloud) = entry.cloud {
            let file = match entry.clouds_file {
                Some(f) => f,
                None => find_clouds_yaml().map_err(|e| at(e.to_string()))?,
            };
            load_cloud_persona(&name, &file, &cloud).map_err(|e| at(e.to_string()))?
        } else {
            // Unreachable: exactly one kind was counted above.
            return Err(at(format!("persona {name:?}: no credential")));
        };
        out.push(persona);
    }
    Ok(out)
}

/// Reads and parses a personas file.
pub fn load_personas(path: &Path) -> Result<Vec<Persona>, PersonaError> {
    let text = std::fs::read_to_string(path).map_err(|e| PersonaError::Read {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    parse_personas(path, &text)
}

#[derive(Debug, Deserialize)]
struct CloudsFile {
    clouds: HashMap<String, CloudEntry>,
}

// clouds.yaml carries many settings the scanner does not use (region,
// interface, identity_api_version, ...): unknown fields are accepted here.
#[derive(Debug, Deserialize)]
struct CloudEntry {
    #[serde(default)]
    auth: KeystoneEntry,
    auth_type: Option<String>,
}

/// A persona named `name` from cloud `cloud` of a clouds.yaml text (`path`
/// is for messages). `auth_type` password (the default) or token / v3token.
pub fn parse_cloud_persona(
    name: &str,
    path: &Path,
    text: &str,
    cloud: &str,
) -> Result<Persona, PersonaError> {
    let file: CloudsFile = serde_saphyr::from_str(text).map_err(|e| yaml_error(path, &e))?;
    let Some(entry) = file
        .clouds
        .into_iter()
        .find_map(|(k, v)| (k == cloud).then_some(v))
    else {
        return Err(PersonaError::NoCloud {
            path: path.to_owned(),
            cloud: cloud.to_owned(),
        });
    };
    let bad = |message: String| PersonaError::File {
        path: path.to_owned(),
        line: 0,
        column: 0,
        message: format!("cloud {cloud:?}: {message}"),
    };
    match entry.auth_type.as_deref() {
        None | Some("password" | "v3password") => {
            let ks = entry.auth.into_password(name).map_err(bad)?;
            Ok(Persona::new(name, Credential::Keystone(Box::new(ks))))
        }
        Some("token" | "v3token" | "admin_token") => {
            let token = entry
                .auth
                .token
                .filter(|t| !t.trim().is_empty())
                .ok_or_else(|| bad("auth_type token needs auth.token".to_owned()))?;
            Ok(Persona::new(
                name,
                Credential::Token(Secret::new(token.trim())),
            ))
        }
        Some(other) => Err(bad(format!(
            "auth_type {other:?} is not supported (password or token)"
        ))),
    }
}

/// Reads a clouds.yaml and builds a persona from one of its clouds.
pub fn load_cloud_persona(name: &str, path: &Path, cloud: &str) -> Result<Persona, PersonaError> {
    let text = std::fs::read_to_string(path).map_err(|e| PersonaError::Read {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    parse_cloud_persona(name, path, &text, cloud)
}

/// The clouds.yaml openstacksdk would use: `$OS_CLIENT_CONFIG_FILE`, then
/// `./clouds.yaml`, `~/.config/openstack/clouds.yaml`,
/// `/etc/openstack/clouds.yaml`.
pub fn find_clouds_yaml() -> Result<PathBuf, PersonaError> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Ok(p) = std::env::var("OS_CLIENT_CONFIG_FILE") {
        candidates.push(PathBuf::from(p));
    }
    candidates.push(PathBuf::from("clouds.yaml"));
    if let Ok(home) = std::env::var("HOME") {
        candidates.push(Path::new(&home).join(".config/openstack/clouds.yaml"));
    }
    candidates.push(PathBuf::from("/etc/openstack/clouds.yaml"));
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| {
            PersonaError::NoCloudsFile(
                candidates
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        })
}
