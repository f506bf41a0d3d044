//! The one way a request leaves the harness: [`Transport`]. `run`'s
//! suites, their fixtures, `scan`, `fuzz` and `cleanup` all send through
//! it, so the guard ([`crate::guard::GuardedTransport`]), the differential
//! model and the test fakes wrap or replace one trait, and a rule added to
//! the wire (a bound, a redaction, a refusal) holds for every command.
//!
//! [`ClientTransport`] is the real one: the scanner's [`Client`] (its
//! concurrency bound, `--max-rps`, timeouts, body cap and redaction) with
//! a persona's credentials added by the [`Authenticator`].

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::client::Client;
use crate::exchange::{self, Exchange, Header};
use crate::persona::{Authenticator, Credential, Persona};

/// A request that got no response (refused, timed out, bad persona).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TransportError(pub String);

impl From<String> for TransportError {
    fn from(message: String) -> Self {
        TransportError(message)
    }
}

/// Sends one request and records it.
pub trait Transport: Sync {
    /// Sends `request` as `persona` (its credentials added to the headers
    /// the request does not set itself; `None`: exactly as written) and
    /// returns the redacted exchange.
    fn send(
        &self,
        request: exchange::Request,
        persona: Option<&Persona>,
    ) -> impl Future<Output = Result<Exchange, TransportError>> + Send;

    /// Why `request` must not be sent at all (`read-only`, an object the
    /// run does not own): the caller then reports it skipped with that
    /// reason, and nothing reaches the server.
    fn skip_reason(&self, request: &exchange::Request) -> Option<String> {
        let _ = request;
        None
    }

    /// Waits between `poll` attempts; fakes return at once.
    fn sleep(&self, delay: Duration) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(delay)
    }
}

/// A plain request: method, URL, headers and body, nothing the scanner's
/// oracles read (no route, input or group), as suites, fixtures and
/// cleanup send them.
pub fn plain_request(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> exchange::Request {
    exchange::Request {
        method: method.to_owned(),
        url: url.to_owned(),
        headers: headers.iter().map(|(n, v)| Header::new(n, v)).collect(),
        // The client sends text bodies; a non-UTF-8 `<@file` body is sent
        // lossily (Placement's gabbits have none).
        body: (!body.is_empty()).then(|| String::from_utf8_lossy(body).into_owned()),
        ..exchange::Request::default()
    }
}

/// The persona called `name` among `personas`, or an error that lists
/// the names there are.
pub fn find_persona<'p>(personas: &'p [Persona], name: &str) -> Result<&'p Persona, String> {
    personas.iter().find(|p| p.name == name).ok_or_else(|| {
        let known: Vec<&str> = personas.iter().map(|p| p.name.as_str()).collect();
        format!("unknown persona {name:?} (known: {})", known.join(", "))
    })
}

/// The real transport: the scanner's HTTP client and a persona
/// authenticator.
#[derive(Debug)]
pub struct ClientTransport {
    client: Client,
    auth: Arc<Authenticator>,
}

impl ClientTransport {
    /// A transport over `client` with an authenticator of its own.
    pub fn new(client: Client) -> Self {
        let auth = Arc::new(Authenticator::new(&client));
        ClientTransport { client, auth }
    }

    /// A transport over `client` sharing `auth`'s tokens: every transport
    /// of a run shares one, so each persona authenticates once.
    pub fn sharing(client: Client, auth: Arc<Authenticator>) -> Self {
        ClientTransport { client, auth }
    }

    /// The client requests go out through.
    pub fn client(&self) -> &Client {
        &self.client
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

/// Puts `persona`'s credentials on `request` (none for `None`: the request
/// goes as written) and says how it authenticates: what every transport
/// that answers as a server would (the real one, the differential model)
/// does before it sends.
pub async fn authenticate(
    auth: &Authenticator,
    request: &mut exchange::Request,
    persona: Option<&Persona>,
) -> Result<(), TransportError> {
    if let Some(p) = persona {
        auth.apply(p, request)
            .await
            .map_err(|e| TransportError(e.to_string()))?;
    }
    classify_credentials(request, persona);
    Ok(())
}

impl Transport for ClientTransport {
    async fn send(
        &self,
        mut request: exchange::Request,
        persona: Option<&Persona>,
    ) -> Result<Exchange, TransportError> {
        // Kept for a resend only where a token can be renewed: a copy of
        // every request (some carry 10 MB bodies) would cost the rest.
        let unsent = persona
            .filter(|p| matches!(p.credential, Credential::Keystone(_)))
            .map(|_| request.clone());
        authenticate(&self.auth, &mut request, persona).await?;
        let sent_token = request
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("x-auth-token"))
            .map(|h| h.value.clone());
        let exchange = self
            .client
            .send(request)
            .await
            .map_err(|e| TransportError(e.to_string()))?;
        // A Keystone token can be revoked or expire early: renew it once
        // and resend, so that one stale token does not turn the rest of
        // the run into 401s. A 401 the renewed token gets too stands.
        let (Some(p), Some(sent), Some(unsent), 401) =
            (persona, sent_token, unsent, exchange.response().status)
        else {
            return Ok(exchange);
        };
        let Some(token) = self.auth.renew_after_401(p, &sent).await else {
            return Ok(exchange);
        };
        let mut again = unsent;
        again
            .headers
            .retain(|h| !h.name.eq_ignore_ascii_case("x-auth-token"));
        again
            .headers
            .push(Header::new("x-auth-token", token.expose()));
        authenticate(&self.auth, &mut again, persona).await?;
        let retried = self
            .client
            .send(again)
            .await
            .map_err(|e| TransportError(e.to_string()))?;
        if retried.response().status == 401 {
            self.auth.renewal_did_not_help(p).await;
        }
        Ok(retried)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::Credentials;
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

    #[test]
    fn unknown_personas_are_named_with_the_known_ones() {
        let personas = [Persona::new("admin", Credential::None)];
        assert!(find_persona(&personas, "admin").is_ok());
        let e = find_persona(&personas, "root").err().unwrap_or_default();
        assert_eq!(e, r#"unknown persona "root" (known: admin)"#);
    }
}
