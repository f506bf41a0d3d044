//! The places where the run's safety machinery plugs into the scan: the
//! [`Sender`] every request goes through (wrap it to journal what the run
//! creates or to refuse writes under `--read-only`), and the [`Fixtures`]
//! set up before each suite (extra `$ENVIRON` variables and the ownership
//! map the tenant oracles judge against) and cleaned up at the end of the
//! scan, also after Ctrl-C.

use std::collections::BTreeMap;
use std::future::Future;

use crate::client::Client;
use crate::exchange::{self, Exchange};
use crate::persona::{Authenticator, Credential, Persona};
use crate::suite::Suite;

/// Sends one scan request and records it.
pub trait Sender: Sync {
    /// Sends `request` as `persona` (its credentials added to the headers
    /// the request does not set itself) and returns the redacted exchange.
    fn send(
        &self,
        request: exchange::Request,
        persona: Option<&Persona>,
    ) -> impl Future<Output = Result<Exchange, String>> + Send;

    /// Why `request` must not be sent at all (`read-only`, an object the
    /// run does not own): the request is then counted as skipped with that
    /// reason, and nothing reaches the server.
    fn skip_reason(&self, request: &exchange::Request) -> Option<String> {
        let _ = request;
        None
    }
}

/// The plain sender: the scanner's HTTP client and a persona authenticator.
#[derive(Debug)]
pub struct ClientSender {
    client: Client,
    auth: Authenticator,
}

impl ClientSender {
    /// A sender over `client`.
    pub fn new(client: Client) -> Self {
        let auth = Authenticator::new(&client);
        ClientSender { client, auth }
    }
}

/// How a request authenticates, judged from its headers once the persona's
/// are on it: an empty token is `Empty`; a token sent as a persona that
/// has no credentials (`anonymous`) was written by the suite and is
/// `Garbage`; no credential header at all is `None`.
pub fn classify_credentials(request: &mut exchange::Request, persona: Option<&Persona>) {
    let token = request
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("x-auth-token"))
        .map(|h| h.value.clone());
    let identity = request
        .headers
        .iter()
        .any(|h| h.name.eq_ignore_ascii_case("x-identity-status"));
    request.credentials = match (token, persona.map(|p| &p.credential)) {
        (Some(t), _) if t.trim().is_empty() => exchange::Credentials::Empty,
        (Some(_), Some(Credential::None)) => exchange::Credentials::Garbage,
        (Some(_), _) => exchange::Credentials::Valid,
        (None, Some(Credential::None)) => exchange::Credentials::None,
        (None, _) if identity => exchange::Credentials::Valid,
        (None, _) => exchange::Credentials::None,
    };
}

impl Sender for ClientSender {
    async fn send(
        &self,
        mut request: exchange::Request,
        persona: Option<&Persona>,
    ) -> Result<Exchange, String> {
        if let Some(p) = persona {
            self.auth
                .apply(p, &mut request)
                .await
                .map_err(|e| e.to_string())?;
        }
        classify_credentials(&mut request, persona);
        self.client.send(request).await.map_err(|e| e.to_string())
    }
}

/// What a suite's fixtures give the run.
#[derive(Clone, Debug, Default)]
pub struct FixtureSetup {
    /// Variables added to `$ENVIRON` (over APIFixture's).
    pub environ: BTreeMap<String, String>,
    /// Object UUID (lower-case, canonical) to the project that owns it;
    /// fills [`crate::oracle::Context::ownership`].
    pub ownership: BTreeMap<String, String>,
}

/// Builds and removes what suites' fixtures need.
pub trait Fixtures: Sync {
    /// Sets up `suite`'s fixtures before its first step.
    fn setup(&self, suite: &Suite) -> impl Future<Output = Result<FixtureSetup, String>> + Send;
    /// Removes everything the run created; called once at the end of the
    /// scan, also after Ctrl-C.
    fn cleanup(&self) -> impl Future<Output = Result<(), String>> + Send;
}

/// No fixture beyond APIFixture's variables (which the scan binds itself).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoFixtures;

impl Fixtures for NoFixtures {
    async fn setup(&self, _suite: &Suite) -> Result<FixtureSetup, String> {
        Ok(FixtureSetup::default())
    }

    async fn cleanup(&self) -> Result<(), String> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::{Credentials, Header};
    use crate::persona::Secret;

    fn creds(headers: &[(&str, &str)], persona: Option<Credential>) -> Credentials {
        let mut r = exchange::Request {
            headers: headers.iter().map(|(n, v)| Header::new(n, v)).collect(),
            ..exchange::Request::default()
        };
        let p = persona.map(|c| Persona::new("p", c));
        classify_credentials(&mut r, p.as_ref());
        r.credentials
    }

    #[test]
    fn credentials_kinds() {
        let token = Credential::Token(Secret::new("t0ken-value"));
        assert_eq!(
            creds(&[("x-auth-token", "x")], Some(token)),
            Credentials::Valid
        );
        assert_eq!(creds(&[("X-Auth-Token", " ")], None), Credentials::Empty);
        assert_eq!(
            creds(&[("x-auth-token", "made-up")], Some(Credential::None)),
            Credentials::Garbage
        );
        assert_eq!(creds(&[], Some(Credential::None)), Credentials::None);
        assert_eq!(creds(&[], None), Credentials::None);
        assert_eq!(
            creds(&[("x-identity-status", "Confirmed")], None),
            Credentials::Valid
        );
    }
}
