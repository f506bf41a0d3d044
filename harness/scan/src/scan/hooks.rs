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
/// are on it: an empty token is `Empty`, no credential header at all `None`.
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
