//! The scanner's HTTP client: every request the scanner sends to a Placement
//! server goes through [`Client::send`], which turns it into a redacted
//! [`Exchange`].
//!
//! It exists to hold the traffic rules in one place (docs/DESIGN.md, "Rules of
//! the house"): a bounded number of requests in flight, `--max-rps` honoured
//! across all tasks, a cap on how much of a body is read, time limits on
//! connecting and on the whole exchange, and retries only where a retry
//! cannot change server state twice (idempotent methods, connection errors).
//! TLS is rustls: no OpenSSL on any machine.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Mutex, Semaphore};

use crate::exchange::{Exchange, Header, Request, Response};
use crate::target::strip_credentials;

/// Default cap on a response body: 8 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// Most retries allowed whatever the configuration says, so that a typo in
/// `--retries` cannot turn into a flood against a dead server.
pub const MAX_RETRIES: u32 = 5;

/// First retry backoff; doubled on each further retry.
const BACKOFF: Duration = Duration::from_millis(50);

/// Requests in a row without an HTTP answer after which the target counts
/// as lost: every later request fails at once instead of waiting out its
/// own timeout (a hung or dead server would otherwise hold a scan for
/// requests x `--timeout`, and its cleanup as long again).
pub const LOST_AFTER: u32 = 5;

/// How the client behaves on the wire.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Time limit for the TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Time limit for one attempt: connect, send, and read the whole body.
    pub total_timeout: Duration,
    /// Bytes of a response body kept; the rest is not read.
    pub max_body_bytes: usize,
    /// Requests in flight at once (at least 1).
    pub concurrency: usize,
    /// Requests started per second across all tasks; `None` for no limit.
    pub max_rps: Option<f64>,
    /// Retries of an idempotent request after a connection error (at most
    /// [`MAX_RETRIES`]).
    pub retries: u32,
    /// A PEM bundle of extra trusted CA certificates (`--cacert`).
    pub cacert: Option<PathBuf>,
    /// Accept any server certificate (`--insecure`).
    pub insecure: bool,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            connect_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(30),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            concurrency: 8,
            max_rps: None,
            retries: 2,
            cacert: None,
            insecure: false,
        }
    }
}

/// What went wrong sending a request. Messages name the method and URL
/// (credentials removed) and never a header value.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// `--cacert` could not be read.
    #[error("--cacert {path}: {source}")]
    CaCertRead {
        /// The file given.
        path: PathBuf,
        /// Why it could not be read.
        source: std::io::Error,
    },
    /// `--cacert` is not a PEM certificate bundle.
    #[error("--cacert {path}: not a PEM certificate bundle: {reason}")]
    CaCertParse {
        /// The file given.
        path: PathBuf,
        /// Why it was refused.
        reason: String,
    },
    /// A configuration value is out of range.
    #[error("{option}: {reason}")]
    Config {
        /// The option at fault.
        option: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The HTTP client could not be built.
    #[error("building the HTTP client: {0}")]
    Build(String),
    /// The request's URL does not parse or is not http(s).
    #[error("invalid request URL {url}: {reason}")]
    Url {
        /// The URL (credentials removed).
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// The method is not a valid HTTP token.
    #[error("invalid HTTP method {0:?}")]
    Method(String),
    /// A header name or value cannot be sent; the value is never shown.
    #[error("{method} {url}: header {name:?} has an invalid name or value")]
    Header {
        /// Method.
        method: String,
        /// URL (credentials removed).
        url: String,
        /// Header name.
        name: String,
    },
    /// The connection could not be made, after all retries.
    #[error("{method} {url}: connection failed after {attempts} attempt(s): {reason}")]
    Connect {
        /// Method.
        method: String,
        /// URL (credentials removed).
        url: String,
        /// Attempts made.
        attempts: u32,
        /// Cause.
        reason: String,
    },
    /// The exchange took longer than `total_timeout`.
    #[error("{method} {url}: timed out after {after:?}")]
    Timeout {
        /// Method.
        method: String,
        /// URL (credentials removed).
        url: String,
        /// The limit that fired.
        after: Duration,
    },
    /// Any other transport failure (reset mid-body, bad HTTP, ...).
    #[error("{method} {url}: {reason}")]
    Transport {
        /// Method.
        method: String,
        /// URL (credentials removed).
        url: String,
        /// Cause.
        reason: String,
    },
    /// The client was shut down while the request waited for a slot.
    #[error("the HTTP client was closed")]
    Closed,
    /// The target stopped answering; nothing more is sent to it.
    #[error("{method} {url}: not sent: {why}")]
    TargetLost {
        /// Method.
        method: String,
        /// URL (credentials removed).
        url: String,
        /// What [`TargetHealth::lost`] says.
        why: String,
    },
    /// The run's time bound (`--max-time`) passed before or while the
    /// request was sent.
    #[error("{method} {url}: cut by the run's time bound")]
    Deadline {
        /// Method.
        method: String,
        /// URL (credentials removed).
        url: String,
    },
    /// The run's request bound (`--max-requests`) was reached before the
    /// request was sent.
    #[error("{method} {url}: not sent: the run's --max-requests {max} is reached")]
    Budget {
        /// Method.
        method: String,
        /// URL (credentials removed).
        url: String,
        /// The bound.
        max: u64,
    },
}

/// A bound on the requests a clone and its own clones send together (a
/// run's `--max-requests`), and whether any request was refused by it or
/// by the clone's deadline.
#[derive(Debug, Default)]
struct Bounds {
    max_requests: Option<u64>,
    sent: std::sync::atomic::AtomicU64,
    refused: std::sync::Mutex<Option<&'static str>>,
}

impl Bounds {
    fn refuse(&self, why: &'static str) {
        if let Ok(mut r) = self.refused.lock() {
            r.get_or_insert(why);
        }
    }
}

/// Whether the target still answers, shared by every clone of a client.
#[derive(Debug, Default)]
pub struct TargetHealth {
    failures_in_a_row: std::sync::atomic::AtomicU32,
    lost: std::sync::OnceLock<String>,
}

impl TargetHealth {
    /// Why the target counts as lost, once [`LOST_AFTER`] requests in a row
    /// got no HTTP answer; `None` while it answers.
    pub fn lost(&self) -> Option<&str> {
        self.lost.get().map(String::as_str)
    }

    fn answered(&self) {
        self.failures_in_a_row
            .store(0, std::sync::atomic::Ordering::SeqCst);
    }

    fn failed(&self, error: &ClientError) {
        let n = self
            .failures_in_a_row
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1;
        if n >= LOST_AFTER {
            let _ = self.lost.set(format!(
                "the target stopped answering ({n} requests in a row got no HTTP answer; the \
                 last: {error})"
            ));
        }
    }
}

/// Spaces request starts `interval` apart across every task that shares it.
/// Each caller reserves the next free slot under a lock and sleeps until it
/// outside the lock, so waiting costs no CPU and no caller starves.
#[derive(Debug)]
struct RateLimiter {
    interval: Duration,
    next: Mutex<Option<Instant>>,
}

impl RateLimiter {
    fn new(max_rps: f64) -> Option<Self> {
        if !(max_rps.is_finite() && max_rps > 0.0) {
            return None;
        }
        Some(RateLimiter {
            interval: Duration::from_secs_f64(1.0 / max_rps),
            next: Mutex::new(None),
        })
    }

    async fn acquire(&self) {
        let slot = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let slot = match *next {
                Some(n) if n > now => n,
                _ => now,
            };
            *next = Some(slot + self.interval);
            slot
        };
        tokio::time::sleep_until(tokio::time::Instant::from_std(slot)).await;
    }
}

/// The scanner's HTTP client. Cheap to clone; clones share the concurrency
/// bound and the rate limit.
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    config: Arc<ClientConfig>,
    slots: Arc<Semaphore>,
    rate: Option<Arc<RateLimiter>>,
    health: Arc<TargetHealth>,
    /// Of this clone only: no request outlives it.
    deadline: Option<Instant>,
    /// Of this clone (and the clones made from it) only.
    bounds: Arc<Bounds>,
}

impl Client {
    /// Builds a client; fails on an unreadable `--cacert` or out-of-range
    /// values.
    pub fn new(config: ClientConfig) -> Result<Self, ClientError> {
        if config.concurrency == 0 {
            return Err(ClientError::Config {
                option: "--concurrency",
                reason: "must be at least 1".to_owned(),
            });
        }
        let rate = match config.max_rps {
            None => None,
            Some(rps) => Some(Arc::new(RateLimiter::new(rps).ok_or_else(|| {
                ClientError::Config {
                    option: "--max-rps",
                    reason: format!("{rps} is not a positive number"),
                }
            })?)),
        };
        let mut builder = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(config.connect_timeout)
            .timeout(config.total_timeout)
            // A scanner must see a 3xx as the server sent it, and a redirect
            // could carry a persona's token to another host.
            .redirect(reqwest::redirect::Policy::none())
            .tls_danger_accept_invalid_certs(config.insecure);
        if let Some(path) = &config.cacert {
            let pem = std::fs::read(path).map_err(|source| ClientError::CaCertRead {
                path: path.clone(),
                source,
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                ClientError::CaCertParse {
                    path: path.clone(),
                    reason: error_chain(&e),
                }
            })?;
            if certs.is_empty() {
                return Err(ClientError::CaCertParse {
                    path: path.clone(),
                    reason: "no certificate found".to_owned(),
                });
            }
            builder = builder.tls_certs_merge(certs);
        }
        let http = builder
            .build()
            .map_err(|e| ClientError::Build(error_chain(&e)))?;
        Ok(Client {
            http,
            slots: Arc::new(Semaphore::new(config.concurrency)),
            config: Arc::new(config),
            rate,
            health: Arc::default(),
            deadline: None,
            bounds: Arc::default(),
        })
    }

    /// A clone whose requests all end by `deadline` (a run's `--max-time`):
    /// later ones are not sent, one in flight is cut. Other clones (the
    /// cleanup's) keep their own time.
    pub fn with_deadline(&self, deadline: Instant) -> Client {
        Client {
            deadline: Some(deadline),
            ..self.clone()
        }
    }

    /// A clone that sends `max` requests at most, together with the clones
    /// made from it (a run's `--max-requests`); later ones are not sent.
    /// Other clones (the cleanup's) keep their own count.
    pub fn with_max_requests(&self, max: u64) -> Client {
        Client {
            bounds: Arc::new(Bounds {
                max_requests: Some(max),
                ..Bounds::default()
            }),
            ..self.clone()
        }
    }

    /// Which bound refused a request of this clone, if one did:
    /// `"--max-requests"` or `"--max-time"`.
    pub fn bound_reached(&self) -> Option<&'static str> {
        self.bounds.refused.lock().ok().and_then(|r| *r)
    }

    /// Whether the target still answers (shared by all clones).
    pub fn health(&self) -> &Arc<TargetHealth> {
        &self.health
    }

    /// The configuration in force.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The underlying reqwest client, for calls whose answers must not be
    /// recorded as exchanges (fetching a Keystone token: its response header
    /// is the secret itself).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Sends a request and records it with its response as a redacted
    /// [`Exchange`]. Waits for a concurrency slot and a rate slot first.
    /// Retries only idempotent methods, only after connection errors, never
    /// after an HTTP status.
    pub async fn send(&self, request: Request) -> Result<Exchange, ClientError> {
        let method_name = if request.method.is_empty() {
            "GET".to_owned()
        } else {
            request.method.to_ascii_uppercase()
        };
        let shown_url = strip_credentials(&request.url);
        let method = reqwest::Method::from_bytes(method_name.as_bytes())
            .map_err(|_| ClientError::Method(method_name.clone()))?;
        let url = reqwest::Url::parse(&request.url).map_err(|e| ClientError::Url {
            url: shown_url.clone(),
            reason: e.to_string(),
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ClientError::Url {
                url: shown_url,
                reason: format!("scheme {:?} is not http or https", url.scheme()),
            });
        }
        let mut headers = reqwest::header::HeaderMap::new();
        for h in &request.headers {
            let bad = || ClientError::Header {
                method: method_name.clone(),
                url: shown_url.clone(),
                name: h.name.clone(),
            };
            let name =
                reqwest::header::HeaderName::from_bytes(h.name.as_bytes()).map_err(|_| bad())?;
            let value = reqwest::header::HeaderValue::from_str(&h.value).map_err(|_| bad())?;
            headers.append(name, value);
        }
        let idempotent = matches!(
            method_name.as_str(),
            "GET" | "HEAD" | "PUT" | "DELETE" | "OPTIONS"
        );
        let retries = if idempotent {
            self.config.retries.min(MAX_RETRIES)
        } else {
            0
        };

        let _permit = self
            .slots
            .acquire()
            .await
            .map_err(|_| ClientError::Closed)?;
        let outcome = self
            .attempts(
                &request,
                method,
                url,
                headers,
                retries,
                &method_name,
                &shown_url,
            )
            .await;
        match outcome {
            Ok(response) => {
                self.health.answered();
                Ok(Exchange::new(request, response))
            }
            Err(e) => {
                if matches!(
                    e,
                    ClientError::Connect { .. }
                        | ClientError::Timeout { .. }
                        | ClientError::Transport { .. }
                ) {
                    self.health.failed(&e);
                }
                Err(e)
            }
        }
    }

    /// The attempts of one request (retries after connection errors),
    /// each within the time left.
    #[allow(clippy::too_many_arguments)]
    async fn attempts(
        &self,
        request: &Request,
        method: reqwest::Method,
        url: reqwest::Url,
        headers: reqwest::header::HeaderMap,
        retries: u32,
        method_name: &str,
        shown_url: &str,
    ) -> Result<Response, ClientError> {
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            if let Some(why) = self.health.lost() {
                return Err(ClientError::TargetLost {
                    method: method_name.to_owned(),
                    url: shown_url.to_owned(),
                    why: why.to_owned(),
                });
            }
            if let Some(rate) = &self.rate {
                rate.acquire().await;
            }
            let Some(limit) = self.time_left() else {
                self.bounds.refuse("--max-time");
                return Err(ClientError::Deadline {
                    method: method_name.to_owned(),
                    url: shown_url.to_owned(),
                });
            };
            // A retry after a connection error is the same request.
            if let (Some(max), 1) = (self.bounds.max_requests, attempt) {
                let sent = self
                    .bounds
                    .sent
                    .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if sent >= max {
                    self.bounds.refuse("--max-requests");
                    return Err(ClientError::Budget {
                        method: method_name.to_owned(),
                        url: shown_url.to_owned(),
                        max,
                    });
                }
            }
            let mut builder = self
                .http
                .request(method.clone(), url.clone())
                .headers(headers.clone())
                .timeout(limit);
            if let Some(body) = &request.body {
                builder = builder.body(body.clone());
            }
            let started = Instant::now();
            let sent = match builder.send().await {
                Ok(resp) => self.read(resp, started, method_name, shown_url).await,
                Err(e) if e.is_connect() && attempt <= retries => {
                    // Bounded: at most MAX_RETRIES + 1 attempts, each with
                    // its own time limits.
                    let backoff = BACKOFF.saturating_mul(1 << (attempt - 1).min(4));
                    tokio::time::sleep(backoff).await;
                    continue;
                }
                Err(e) => Err(self.classify(e, attempt, method_name, shown_url)),
            };
            return match sent {
                Err(ClientError::Timeout { .. }) if limit < self.config.total_timeout => {
                    self.bounds.refuse("--max-time");
                    Err(ClientError::Deadline {
                        method: method_name.to_owned(),
                        url: shown_url.to_owned(),
                    })
                }
                other => other,
            };
        }
    }

    /// The time one attempt may take: `total_timeout`, or less when the
    /// clone's deadline is nearer; `None` once the deadline has passed.
    fn time_left(&self) -> Option<Duration> {
        let Some(deadline) = self.deadline else {
            return Some(self.config.total_timeout);
        };
        let left = deadline.checked_duration_since(Instant::now())?;
        (!left.is_zero()).then(|| left.min(self.config.total_timeout))
    }

    /// Reads status, headers and up to `max_body_bytes` of the body, chunk by
    /// chunk, stopping at the cap.
    async fn read(
        &self,
        mut resp: reqwest::Response,
        started: Instant,
        method: &str,
        url: &str,
    ) -> Result<Response, ClientError> {
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(n, v)| Header::new(n.as_str(), &String::from_utf8_lossy(v.as_bytes())))
            .collect();
        let cap = self.config.max_body_bytes;
        let mut body = Vec::new();
        let mut truncated = false;
        // Bounded by the cap (each chunk adds bytes or ends the loop) and by
        // the client's total timeout, which covers body reads.
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    let room = cap.saturating_sub(body.len());
                    if chunk.len() > room {
                        body.extend_from_slice(&chunk[..room]);
                        truncated = true;
                        break;
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Err(self.classify(e, 1, method, url)),
            }
        }
        Ok(Response {
            status,
            headers,
            body,
            truncated,
            elapsed: started.elapsed(),
        })
    }

    fn classify(&self, e: reqwest::Error, attempts: u32, method: &str, url: &str) -> ClientError {
        if e.is_timeout() && !e.is_connect() {
            ClientError::Timeout {
                method: method.to_owned(),
                url: url.to_owned(),
                after: self.config.total_timeout,
            }
        } else if e.is_connect() {
            ClientError::Connect {
                method: method.to_owned(),
                url: url.to_owned(),
                attempts,
                reason: error_chain(&e),
            }
        } else {
            ClientError::Transport {
                method: method.to_owned(),
                url: url.to_owned(),
                reason: error_chain(&e),
            }
        }
    }
}

/// Up to `cap` bytes of `resp`'s body; more is an error (an answer that
/// big is no answer the caller can use).
pub(crate) async fn read_capped(
    mut resp: reqwest::Response,
    cap: usize,
) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| error_chain(&e))? {
        if body.len() + chunk.len() > cap {
            return Err(format!("the answer is larger than {cap} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// What every request says it comes from, so that operators can tell the
/// scanner's traffic apart in their logs.
pub const USER_AGENT: &str = concat!("placement-harness/", env!("CARGO_PKG_VERSION"));

/// The causes of an error, joined with `: `, without the URL reqwest adds
/// (ours, credentials removed, is already in the message).
pub(crate) fn error_chain(e: &reqwest::Error) -> String {
    let mut out = String::new();
    let mut cur: Option<&dyn std::error::Error> = std::error::Error::source(e);
    // Bounded: error chains are short, but a cyclic one must not hang us.
    for _ in 0..8 {
        let Some(err) = cur else { break };
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&err.to_string());
        cur = err.source();
    }
    if out.is_empty() {
        if e.is_timeout() {
            out.push_str("timed out");
        } else if e.is_connect() {
            out.push_str("connection error");
        } else {
            out.push_str("transport error");
        }
    }
    out
}
