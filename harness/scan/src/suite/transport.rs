//! The real [`Transport`]: suite requests go out through the scanner's
//! [`Client`] (its concurrency bound, `--max-rps`, timeouts and body cap
//! apply to suites too), with a persona's credentials added by the
//! [`Authenticator`] when a test says `as: PERSONA`.
//!
//! A test without `as:` is sent exactly as written, which is what gabbi
//! does: Placement's gabbits put `x-auth-token: admin` (or `user`) in their
//! own `defaults`, and a test that sends its own auth header (or none, to
//! check the 401) must reach the server unchanged.
//!
//! Differences from gabbi that come from the client's rules: a body is read
//! up to the client's cap, a response that echoes a credential of eight
//! characters or more has it masked before any check sees it (the
//! exchange's redaction), and a redirect is followed only to the same
//! origin, at most [`MAX_REDIRECTS`] times.

use std::time::Duration;

use super::check::Response;
use super::run::{Request, Transport, TransportError};
use crate::client::Client;
use crate::exchange::{self, Header};
use crate::persona::{Authenticator, Persona};
use crate::target::Target;

/// Most redirects followed for one `redirects: true` test, so that a
/// redirect loop cannot turn one test into unbounded traffic.
pub const MAX_REDIRECTS: u32 = 10;

/// Sends suite requests to a [`Target`] over a [`Client`].
#[derive(Debug)]
pub struct ClientTransport {
    client: Client,
    target: Target,
    auth: Authenticator,
    personas: Vec<Persona>,
}

impl ClientTransport {
    /// A transport for `target` over `client`; `as: NAME` picks from
    /// `personas`.
    pub fn new(client: Client, target: Target, personas: Vec<Persona>) -> Self {
        let auth = Authenticator::new(&client);
        ClientTransport {
            client,
            target,
            auth,
            personas,
        }
    }

    /// The target requests go to.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The base URL relative test URLs are joined to.
    pub fn base_url(&self) -> String {
        self.target.base_url().as_str().to_owned()
    }

    async fn send_one(&self, request: &Request, url: &str) -> Result<Response, TransportError> {
        let mut out = exchange::Request {
            method: request.method.clone(),
            url: url.to_owned(),
            headers: request
                .headers
                .iter()
                .map(|(n, v)| Header::new(n, v))
                .collect(),
            // The client sends text bodies; a non-UTF-8 `<@file` body is
            // sent lossily (Placement's gabbits have none).
            body: (!request.body.is_empty())
                .then(|| String::from_utf8_lossy(&request.body).into_owned()),
            ..exchange::Request::default()
        };
        if let Some(name) = &request.persona {
            let persona = self
                .personas
                .iter()
                .find(|p| &p.name == name)
                .ok_or_else(|| {
                    let known: Vec<&str> = self.personas.iter().map(|p| p.name.as_str()).collect();
                    TransportError(format!(
                        "unknown persona {name:?} (known: {})",
                        known.join(", ")
                    ))
                })?;
            self.auth
                .apply(persona, &mut out)
                .await
                .map_err(|e| TransportError(e.to_string()))?;
        }
        let exchange = self
            .client
            .send(out)
            .await
            .map_err(|e| TransportError(e.to_string()))?;
        Ok(Response::of(&exchange))
    }
}

/// Whether `next` has the same scheme, host and port as `from`: redirects
/// elsewhere are not followed, since they would carry the test's
/// credentials to another server.
fn same_origin(from: &url::Url, next: &url::Url) -> bool {
    from.scheme() == next.scheme()
        && from.host_str() == next.host_str()
        && from.port_or_known_default() == next.port_or_known_default()
}

impl Transport for ClientTransport {
    async fn send(&self, request: Request) -> Result<Response, TransportError> {
        let mut url = request.url.clone();
        let mut response = self.send_one(&request, &url).await?;
        if !request.follow_redirects {
            return Ok(response);
        }
        // Bounded: at most MAX_REDIRECTS further requests, each under the
        // client's time limits.
        let mut hops = 0;
        let mut current = request.clone();
        while (300..400).contains(&response.status) && hops < MAX_REDIRECTS {
            let Some(location) = response.header("location").map(str::to_owned) else {
                break;
            };
            let from = url::Url::parse(&url).map_err(|e| TransportError(e.to_string()))?;
            let next = from.join(&location).map_err(|e| {
                TransportError(format!("redirect to {location:?} is not a URL: {e}"))
            })?;
            if !same_origin(&from, &next) {
                return Err(TransportError(format!(
                    "not following a redirect to another origin: {}",
                    crate::target::display_url(&next)
                )));
            }
            hops += 1;
            // As browsers and requests do: 303 (and 301/302 after a POST)
            // become a GET without a body.
            if response.status == 303
                || (matches!(response.status, 301 | 302) && current.method == "POST")
            {
                current.method = "GET".to_owned();
                current.body.clear();
            }
            url = next.to_string();
            response = self.send_one(&current, &url).await?;
        }
        Ok(response)
    }

    async fn sleep(&self, delay: Duration) {
        tokio::time::sleep(delay).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> url::Url {
        match url::Url::parse(s) {
            Ok(u) => u,
            Err(e) => panic!("{s}: {e}"),
        }
    }

    #[test]
    fn redirects_stay_on_the_same_origin() {
        let from = u("http://127.0.0.1:8778/placement/x");
        assert!(same_origin(&from, &u("http://127.0.0.1:8778/y")));
        assert!(!same_origin(&from, &u("http://127.0.0.1:8779/y")));
        assert!(!same_origin(&from, &u("https://127.0.0.1:8778/y")));
        assert!(!same_origin(&from, &u("http://evil.example:8778/y")));
        assert!(same_origin(&u("http://h/a"), &u("http://h:80/b")));
    }
}
