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
use std::time::Instant;

use serde::Deserialize;

use crate::run_id::RunId;
use serde_saphyr::Spanned;
use tokio::sync::Mutex;

use crate::client::Client;
use crate::exchange::{Credentials, Header, Request, token_var};
use crate::keystone::{self, KeystoneAuth, Method, Scope, TokenFacts};
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
    /// Keystone v3 authentication (password or application credential);
    /// the token is fetched once, renewed before it expires, and cached by
    /// the [`Authenticator`].
    Keystone(Box<KeystoneAuth>),
}

/// A named identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Persona {
    /// Name, as in findings and in `$TOKEN_<PERSONA>`.
    pub name: String,
    /// How it authenticates.
    pub credential: Credential,
    /// What Keystone said of its token, once [`Authenticator::authenticate_all`]
    /// has fetched it: the roles, project and user the oracles judge by.
    pub facts: Option<TokenFacts>,
}

impl Persona {
    /// A persona with this name and credential.
    pub fn new(name: &str, credential: Credential) -> Self {
        Persona {
            name: name.to_owned(),
            credential,
            facts: None,
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
    /// Personas that could not authenticate before the run, one line each.
    #[error("{}", refused_lines(.0))]
    Refused(Vec<String>),
}

fn refused_lines(reasons: &[String]) -> String {
    match reasons {
        [one] => one.clone(),
        many => format!(
            "{} personas could not authenticate:\n  {}",
            many.len(),
            many.join("\n  ")
        ),
    }
}

/// Turns credentials into headers and holds Keystone tokens: fetched once
/// per persona (by [`Authenticator::authenticate_all`] before a run sends
/// anything), renewed before they expire and once after a 401, and never
/// asked for again once Keystone refused the persona.
#[derive(Debug)]
pub struct Authenticator {
    http: reqwest::Client,
    // Held across the fetch on purpose: two tasks asking for the same
    // persona's token must not both authenticate.
    cache: Mutex<HashMap<String, Slot>>,
}

/// A persona's place in the token cache.
#[derive(Debug)]
enum Slot {
    Ready {
        token: Secret,
        facts: Box<TokenFacts>,
        renew_at: Option<Instant>,
        // A renewal after a 401 that got a 401 again: Placement refuses
        // this persona's tokens, so another renewal would not help.
        renewal_useless: bool,
    },
    // Keystone said no: asking again risks locking the account.
    Refused(String),
}

impl Authenticator {
    /// An authenticator sending its Keystone requests with `client`'s
    /// connection settings (timeouts, CA, TLS verification, User-Agent).
    pub fn new(client: &Client) -> Self {
        Authenticator {
            http: client.http().clone(),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Authenticates every Keystone persona once and records what its
    /// token says in [`Persona::facts`]; the error lists every persona that
    /// could not authenticate, so one run shows them all.
    pub async fn authenticate_all(&self, personas: &mut [Persona]) -> Result<(), PersonaError> {
        let mut failed = Vec::new();
        for p in personas.iter_mut() {
            if let Credential::Keystone(ks) = &p.credential {
                match self.keystone_token(&p.name, ks).await {
                    Ok((_, facts)) => p.facts = Some(facts),
                    Err(e) => failed.push(e.to_string()),
                }
            }
        }
        if failed.is_empty() {
            Ok(())
        } else {
            Err(PersonaError::Refused(failed))
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
                let (token, _) = self.keystone_token(&persona.name, ks).await?;
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

    /// After Placement answered 401 to `sent` (the token a request went
    /// with): a new token for `persona` when `sent` is its current Keystone
    /// token and renewing has not already failed to help; `None` when the
    /// 401 is the answer to report (a token the suite wrote, a persona
    /// Placement refuses whatever its token).
    pub async fn renew_after_401(&self, persona: &Persona, sent: &str) -> Option<Secret> {
        let Credential::Keystone(ks) = &persona.credential else {
            return None;
        };
        {
            let mut cache = self.cache.lock().await;
            match cache.get_mut(&persona.name) {
                Some(Slot::Ready {
                    token,
                    renewal_useless,
                    ..
                }) => {
                    if *renewal_useless {
                        return None;
                    }
                    if token.expose() != sent {
                        // Renewed meanwhile: the new one is worth a try,
                        // unless the suite wrote `sent` itself.
                        return None;
                    }
                    cache.remove(&persona.name);
                }
                _ => return None,
            }
        }
        self.keystone_token(&persona.name, ks)
            .await
            .ok()
            .map(|(t, _)| t)
    }

    /// Records that a request sent with a token renewed after a 401 got a
    /// 401 again: no more renewals after a 401 for `persona`.
    pub async fn renewal_did_not_help(&self, persona: &Persona) {
        if let Some(Slot::Ready {
            renewal_useless, ..
        }) = self.cache.lock().await.get_mut(&persona.name)
        {
            *renewal_useless = true;
        }
    }

    async fn keystone_token(
        &self,
        persona: &str,
        ks: &KeystoneAuth,
    ) -> Result<(Secret, TokenFacts), PersonaError> {
        let url = ks.tokens_url();
        let fail = |reason: String| PersonaError::Keystone {
            persona: persona.to_owned(),
            url: strip_credentials(&url),
            reason,
        };
        let mut cache = self.cache.lock().await;
        let mut useless = false;
        match cache.get(persona) {
            Some(Slot::Ready {
                token,
                facts,
                renew_at,
                renewal_useless,
            }) => {
                if renew_at.is_none_or(|at| Instant::now() < at) {
                    return Ok((token.clone(), (**facts).clone()));
                }
                useless = *renewal_useless;
            }
            Some(Slot::Refused(reason)) => {
                return Err(fail(format!("{reason} (refused before: not asked again)")));
            }
            None => {}
        }
        let fetched = Instant::now();
        let resp = self
            .http
            .post(&url)
            .json(&ks.body())
            .send()
            .await
            .map_err(|e| fail(crate::client::error_chain(&e)))?;
        let status = resp.status();
        if status.is_client_error() {
            let reason = format!("HTTP {status}");
            cache.insert(persona.to_owned(), Slot::Refused(reason.clone()));
            return Err(fail(reason));
        }
        if status.as_u16() != 201 && status.as_u16() != 200 {
            return Err(fail(format!("HTTP {status}")));
        }
        let token = resp
            .headers()
            .get("x-subject-token")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(Secret::new)
            .ok_or_else(|| fail("no X-Subject-Token header in the answer".to_owned()))?;
        // A token body is small; a hostile server's endless one is cut.
        let body = crate::client::read_capped(resp, TOKEN_BODY_LIMIT)
            .await
            .map_err(fail)?;
        let facts = keystone::parse_token_facts(&body).map_err(fail)?;
        let renew_at = facts.lifetime.map(|l| fetched + keystone::renew_after(l));
        cache.insert(
            persona.to_owned(),
            Slot::Ready {
                token: token.clone(),
                facts: Box::new(facts.clone()),
                renew_at,
                renewal_useless: useless,
            },
        );
        Ok((token, facts))
    }
}

/// The most of a Keystone token answer read (a catalog included).
const TOKEN_BODY_LIMIT: usize = 4 << 20;

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
    // `default`: the file adds to (and may replace some of) the default
    // set for `--auth`, instead of replacing it.
    extends: Option<Spanned<String>>,
    personas: Vec<PersonaEntry>,
}

/// A parsed personas file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonaFile {
    /// Its personas, in order.
    pub personas: Vec<Persona>,
    /// `extends: default`: they add to the default set.
    pub extends_default: bool,
}

impl PersonaFile {
    /// The run's personas: the file's, after the `defaults` it does not
    /// redefine when it extends them.
    pub fn over(self, defaults: Vec<Persona>) -> Vec<Persona> {
        if !self.extends_default {
            return self.personas;
        }
        let mut out: Vec<Persona> = defaults
            .into_iter()
            .filter(|d| !self.personas.iter().any(|p| p.name == d.name))
            .collect();
        out.extend(self.personas);
        out
    }
}

/// Keystone settings, as in a personas file or clouds.yaml `auth`. An
/// unknown key is an error: a misspelt scope would silently give another
/// token.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeystoneEntry {
    auth_url: Option<String>,
    username: Option<String>,
    user_id: Option<String>,
    user_domain_name: Option<String>,
    user_domain_id: Option<String>,
    password: Option<String>,
    password_env: Option<String>,
    password_file: Option<PathBuf>,
    application_credential_id: Option<String>,
    application_credential_name: Option<String>,
    application_credential_secret: Option<String>,
    application_credential_secret_env: Option<String>,
    application_credential_secret_file: Option<PathBuf>,
    project_name: Option<String>,
    project_id: Option<String>,
    project_domain_name: Option<String>,
    project_domain_id: Option<String>,
    // `all`: a system-scoped token.
    system_scope: Option<String>,
    // clouds.yaml: shared domain for user and project.
    domain_name: Option<String>,
    domain_id: Option<String>,
    // clouds.yaml `auth_type: token`.
    token: Option<String>,
}

/// A secret given inline, by an environment variable's name, or in a file
/// (trailing newline dropped).
fn secret_from(
    persona: &str,
    inline: &Option<String>,
    env: &Option<String>,
    file: &Option<PathBuf>,
) -> Result<Option<Secret>, PersonaError> {
    if let Some(p) = inline {
        return Ok(Some(Secret::new(p.as_str())));
    }
    if let Some(var) = env {
        return std::env::var(var)
            .map(|v| Some(Secret::new(v)))
            .map_err(|_| PersonaError::EnvVar {
                persona: persona.to_owned(),
                var: var.clone(),
            });
    }
    if let Some(path) = file {
        return std::fs::read_to_string(path)
            .map(|v| Some(Secret::new(v.trim_end_matches(['\r', '\n']))))
            .map_err(|e| PersonaError::Read {
                path: path.clone(),
                reason: e.to_string(),
            });
    }
    Ok(None)
}

impl KeystoneEntry {
    /// Why the settings cannot authenticate, or how they do.
    fn into_auth(
        self,
        persona: &str,
        application_credential: bool,
    ) -> Result<KeystoneAuth, String> {
        let auth_url = self.auth_url.clone().ok_or("keystone needs auth_url")?;
        let password = secret_from(
            persona,
            &self.password,
            &self.password_env,
            &self.password_file,
        )
        .map_err(|e| e.to_string())?;
        let app_secret = secret_from(
            persona,
            &self.application_credential_secret,
            &self.application_credential_secret_env,
            &self.application_credential_secret_file,
        )
        .map_err(|e| e.to_string())?;
        let application_credential = application_credential
            || app_secret.is_some()
            || self.application_credential_id.is_some()
            || self.application_credential_name.is_some();
        let method = if application_credential {
            if password.is_some() {
                return Err("give a password or an application credential, not both".to_owned());
            }
            let secret = app_secret.ok_or(
                "an application credential needs application_credential_secret \
                 (or _secret_env, _secret_file)",
            )?;
            match (
                &self.application_credential_id,
                &self.application_credential_name,
            ) {
                (None, None) => {
                    return Err("an application credential needs application_credential_id \
                                or application_credential_name"
                        .to_owned());
                }
                (None, Some(_)) if self.username.is_none() && self.user_id.is_none() => {
                    return Err("application_credential_name needs username or user_id".to_owned());
                }
                _ => {}
            }
            if self.project_name.is_some()
                || self.project_id.is_some()
                || self.system_scope.is_some()
            {
                return Err("an application credential carries its own scope: \
                            leave out project and system_scope"
                    .to_owned());
            }
            Method::ApplicationCredential {
                id: self.application_credential_id,
                name: self.application_credential_name,
                secret,
            }
        } else {
            if self.username.is_none() && self.user_id.is_none() {
                return Err("keystone needs username or user_id".to_owned());
            }
            Method::Password(
                password.ok_or("keystone needs password, password_env or password_file")?,
            )
        };
        let scope = match self.system_scope.as_deref() {
            Some("all") if self.project_name.is_some() || self.project_id.is_some() => {
                return Err("system_scope and a project exclude each other".to_owned());
            }
            Some("all") => Scope::System,
            Some(other) => {
                return Err(format!("system_scope must be \"all\", not {other:?}"));
            }
            None if self.project_name.is_some() || self.project_id.is_some() => Scope::Project {
                id: self.project_id,
                name: self.project_name,
                domain_name: self.project_domain_name.or(self.domain_name.clone()),
                domain_id: self.project_domain_id.or(self.domain_id.clone()),
            },
            None => Scope::Unscoped,
        };
        Ok(KeystoneAuth {
            auth_url,
            username: self.username,
            user_id: self.user_id,
            user_domain_name: self.user_domain_name.or(self.domain_name),
            user_domain_id: self.user_domain_id.or(self.domain_id),
            method,
            scope,
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
    parse_persona_file(path, text).map(|f| f.personas)
}

/// Parses a personas file, with its `extends:`.
pub fn parse_persona_file(path: &Path, text: &str) -> Result<PersonaFile, PersonaError> {
    let file: PersonasFile = serde_saphyr::from_str(text).map_err(|e| yaml_error(path, &e))?;
    let extends_default = match &file.extends {
        None => false,
        Some(e) if e.value == "default" => true,
        Some(e) => {
            return Err(PersonaError::File {
                path: path.to_owned(),
                line: e.referenced.line(),
                column: e.referenced.column(),
                message: format!("extends must be \"default\", not {:?}", e.value),
            });
        }
    };
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
                .into_auth(&name, false)
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
    Ok(PersonaFile {
        personas: out,
        extends_default,
    })
}

/// Reads and parses a personas file.
pub fn load_personas(path: &Path) -> Result<PersonaFile, PersonaError> {
    let text = std::fs::read_to_string(path).map_err(|e| PersonaError::Read {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    parse_persona_file(path, &text)
}

#[derive(Debug, Deserialize)]
struct CloudsFile {
    clouds: HashMap<String, CloudEntry>,
}

// clouds.yaml carries many settings the scanner does not use (region,
// interface, identity_api_version, ...): unknown fields are accepted here,
// but not under `auth`, where one decides what token Keystone gives.
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
            let ks = entry.auth.into_auth(name, false).map_err(bad)?;
            Ok(Persona::new(name, Credential::Keystone(Box::new(ks))))
        }
        Some("v3applicationcredential" | "applicationcredential") => {
            let ks = entry.auth.into_auth(name, true).map_err(bad)?;
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
            "auth_type {other:?} is not supported (password, v3applicationcredential or token)"
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
