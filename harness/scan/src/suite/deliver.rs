//! Sending one test's request as gabbi does: same-origin redirects when
//! the test says `redirects: true`, `poll` attempts until its expectations
//! hold, each answer checked against the test. `run` and `scan` both send
//! every test this way, so a suite means the same under either command.
//!
//! Differences from gabbi that come from running against real
//! deployments: a redirect is followed only to the same origin (another
//! one would receive the test's credentials), at most [`MAX_REDIRECTS`]
//! times, and each hop goes through the transport's own refusal (the
//! guard judges the object a redirected write would reach); polls are
//! capped by the run.

use std::time::Duration;

use super::check::{Failure, Response, check_response};
use super::model::Test;
use super::substitute::Context;
use crate::exchange::{self, Exchange};
use crate::persona::Persona;
use crate::transport::Transport;

/// Most redirects followed for one `redirects: true` test, so that a
/// redirect loop cannot turn one test into unbounded traffic.
pub const MAX_REDIRECTS: u32 = 10;

/// What sending one test took and got.
#[derive(Debug, Default)]
pub struct Delivery {
    /// Poll attempts made (1 without `poll`; 0 when nothing was sent).
    pub attempts: u32,
    /// Requests sent, redirect hops and poll attempts included.
    pub requests: u32,
    /// Responses before the final one: redirect hops and poll attempts
    /// that did not hold.
    pub earlier: Vec<Exchange>,
    /// The final response and the test's expectations it failed.
    pub last: Option<(Exchange, Vec<Failure>)>,
    /// A request that got no response, as `METHOD URL: why`.
    pub error: Option<String>,
    /// Why the transport would not send the test at all.
    pub skipped: Option<String>,
    /// Why a redirect was not followed (another origin, not a URL): the
    /// 3xx is then the final response.
    pub unfollowed: Option<String>,
}

/// Where a 3xx response sends the client: `Ok(None)` when it is no
/// redirect, `Err(why)` when it is one that must not be followed.
fn redirect_target(ex: &Exchange) -> Result<Option<url::Url>, String> {
    if !(300..400).contains(&ex.status()) {
        return Ok(None);
    }
    let Some(location) = ex.response_header("location") else {
        return Ok(None);
    };
    let from = url::Url::parse(&ex.request().url).map_err(|e| e.to_string())?;
    let next = from
        .join(location)
        .map_err(|e| format!("redirect to {location:?} is not a URL: {e}"))?;
    let same = from.scheme() == next.scheme()
        && from.host_str() == next.host_str()
        && from.port_or_known_default() == next.port_or_known_default();
    if same {
        Ok(Some(next))
    } else {
        Err(format!(
            "not following a redirect to another origin: {}",
            crate::target::display_url(&next)
        ))
    }
}

/// Sends `test` over `transport` as `persona`: `request(None)` builds the
/// request (again for each poll attempt, since the transport consumes
/// it), `request(Some(url))` the same request sent to a redirect's `url`
/// (rebuilt rather than copied from the exchange, whose credentials are
/// masked). `ctx` fills the templates of the test's expectations.
pub async fn deliver<T: Transport + ?Sized>(
    transport: &T,
    test: &Test,
    follow_redirects: bool,
    persona: Option<&Persona>,
    request: impl Fn(Option<&str>) -> exchange::Request,
    ctx: &Context<'_>,
    max_poll: u32,
) -> Delivery {
    let (count, delay) = match test.poll {
        Some(poll) => (poll.count.clamp(1, max_poll.max(1)), poll.delay),
        None => (1, Duration::ZERO),
    };
    let mut sent = Delivery::default();
    for attempt in 1..=count {
        let first = request(None);
        if let Some(why) = transport.skip_reason(&first) {
            sent.skipped = Some(why);
            return sent;
        }
        let what = format!("{} {}", first.method, first.url);
        sent.attempts = attempt;
        sent.requests += 1;
        let mut exchange = match transport.send(first, persona).await {
            Ok(ex) => ex,
            Err(e) => {
                sent.error = Some(format!("{what}: {e}"));
                return sent;
            }
        };
        if follow_redirects {
            let mut hops = 0;
            // Once a hop became a GET (303, or 301/302 after a POST) it
            // stays one, as browsers and requests do.
            let mut as_get = false;
            while hops < MAX_REDIRECTS {
                let next = match redirect_target(&exchange) {
                    Ok(Some(next)) => next,
                    Ok(None) => break,
                    Err(why) => {
                        sent.unfollowed = Some(why);
                        break;
                    }
                };
                hops += 1;
                let status = exchange.status();
                let previous = exchange.request().method.as_str();
                as_get |= status == 303 || (matches!(status, 301 | 302) && previous == "POST");
                let mut hop = request(Some(next.as_str()));
                if as_get {
                    hop.method = "GET".to_owned();
                    hop.body = None;
                }
                // The hop names another object than the one checked: the
                // 3xx stays the final answer.
                if transport.skip_reason(&hop).is_some() {
                    break;
                }
                sent.earlier.push(exchange);
                sent.requests += 1;
                exchange = match transport.send(hop, persona).await {
                    Ok(ex) => ex,
                    Err(e) => {
                        sent.error = Some(format!("following a redirect: {e}"));
                        return sent;
                    }
                };
            }
        }
        let failures = check_response(test, &test.status, &Response::of(&exchange), ctx);
        if failures.is_empty() || attempt >= count {
            sent.last = Some((exchange, failures));
            return sent;
        }
        sent.earlier.push(exchange);
        transport.sleep(delay).await;
    }
    sent
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::Header;

    fn answer(from: &str, status: u16, location: &str) -> Exchange {
        Exchange::new(
            exchange::Request {
                method: "GET".to_owned(),
                url: from.to_owned(),
                ..exchange::Request::default()
            },
            exchange::Response {
                status,
                headers: vec![Header::new("location", location)],
                ..exchange::Response::default()
            },
        )
    }

    fn target(from: &str, location: &str) -> Result<Option<String>, String> {
        redirect_target(&answer(from, 302, location)).map(|u| u.map(String::from))
    }

    #[test]
    fn redirects_stay_on_the_same_origin() {
        let from = "http://127.0.0.1:8778/placement/x";
        assert_eq!(
            target(from, "/y"),
            Ok(Some("http://127.0.0.1:8778/y".to_owned()))
        );
        assert_eq!(
            target(from, "z"),
            Ok(Some("http://127.0.0.1:8778/placement/z".to_owned()))
        );
        assert!(target(from, "http://127.0.0.1:8779/y").is_err());
        assert!(target(from, "https://127.0.0.1:8778/y").is_err());
        assert!(target(from, "http://evil.example:8778/y").is_err());
        assert_eq!(
            target("http://h/a", "http://h:80/b"),
            Ok(Some("http://h/b".to_owned()))
        );
        assert_eq!(
            redirect_target(&answer(from, 200, "/y")).map(|u| u.is_some()),
            Ok(false),
            "only a 3xx redirects"
        );
    }
}
