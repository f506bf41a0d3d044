//! The run's safety machinery plugged into the scan: the [`Guard`] on every
//! request the scan sends ([`GuardedSender`]), and the data fixtures, set up
//! through the same guard and removed from the journal at the end of the
//! scan, also after Ctrl-C ([`ScanFixtures`]).
//!
//! It exists so that `scan` keeps the same promises as `run` against a real
//! deployment: every object it creates carries the run id and is journaled
//! before the response is judged; under strict ownership a step naming an
//! object the run did not create is skipped, not sent; `--read-only`
//! sends GETs only.

use std::sync::{Arc, Mutex};

use super::hooks::{FixtureSetup, Fixtures, Sender};
use crate::cleanup::{CleanupConfig, CleanupReport, cleanup};
use crate::exchange::{self, Exchange};
use crate::guard::{Guard, GuardedTransport};
use crate::persona::Persona;
use crate::run_id::RunId;
use crate::suite::fixture::{FixtureContext, setup_fixtures, unsupported_fixtures};
use crate::suite::{ClientTransport, Request, Response, Suite};
use crate::target_check::ApiVersions;

/// The suite-level view of a scan request, which is what the guard judges.
fn suite_request(request: &exchange::Request) -> Request {
    Request {
        method: request.method.clone(),
        url: request.url.clone(),
        headers: exchange::header_pairs(&request.headers),
        body: request.body.clone().unwrap_or_default().into_bytes(),
        follow_redirects: false,
        persona: Some(request.persona.clone()),
    }
}

/// A [`Sender`] that applies the run's [`Guard`]: refused requests are
/// skipped before sending, and what a write created is journaled before
/// its exchange is handed back.
#[derive(Debug)]
pub struct GuardedSender<S> {
    inner: S,
    guard: Guard,
    versions: Option<ApiVersions>,
}

impl<S: Sender> GuardedSender<S> {
    /// Guards `inner` with `guard`.
    pub fn new(inner: S, guard: Guard) -> Self {
        GuardedSender {
            inner,
            guard,
            versions: None,
        }
    }

    /// Also skips requests that ask for a microversion outside `versions`
    /// (the target check's range), unless that header is the input the
    /// request probes with.
    pub fn with_versions(mut self, versions: ApiVersions) -> Self {
        self.versions = Some(versions);
        self
    }

    fn refusal(&self, request: &exchange::Request, judged: &Request) -> Option<String> {
        self.guard
            .refusal(judged)
            .or_else(|| self.version_refusal(request))
    }

    fn version_refusal(&self, request: &exchange::Request) -> Option<String> {
        let versions = self.versions?;
        let value = exchange::find_header(&request.headers, "openstack-api-version")?;
        // A step that sends an odd version on purpose asks how the target
        // refuses it.
        if request.input.value.as_deref() == Some(value) {
            return None;
        }
        versions.refusal(value)
    }
}

impl<S: Sender> Sender for GuardedSender<S> {
    fn skip_reason(&self, request: &exchange::Request) -> Option<String> {
        self.refusal(request, &suite_request(request))
            .or_else(|| self.inner.skip_reason(request))
    }

    async fn send(
        &self,
        request: exchange::Request,
        persona: Option<&Persona>,
    ) -> Result<Exchange, String> {
        // Checked again here, not only in `skip_reason`: a caller that
        // forgot to ask must still not reach the server.
        let judged = suite_request(&request);
        if let Some(why) = self.refusal(&request, &judged) {
            return Err(format!("not sent: {why}"));
        }
        let exchange = self.inner.send(request, persona).await?;
        let response = Response::of(&exchange);
        self.guard.note(&judged, &response).map_err(|e| {
            format!(
                "{} {} succeeded ({}) but what it created could not be journaled, so \
                 cleanup will not know it: {e}",
                judged.method, judged.url, response.status
            )
        })?;
        Ok(exchange)
    }
}

/// The data fixtures of the scan's suites, created through a guarded
/// transport that journals into the run's journal, and the cleanup of
/// everything the journal lists at the end.
#[derive(Debug)]
pub struct ScanFixtures {
    transport: GuardedTransport<ClientTransport>,
    base_url: String,
    run_id: RunId,
    personas: Vec<Persona>,
    admin: Option<String>,
    keep: bool,
    report: Mutex<Option<CleanupReport>>,
}

impl ScanFixtures {
    /// Fixtures sent over `transport`, for the run `run_id` against
    /// `base_url`; with `keep`, nothing is removed at the end.
    pub fn new(
        transport: GuardedTransport<ClientTransport>,
        base_url: &str,
        run_id: RunId,
        personas: Vec<Persona>,
        keep: bool,
    ) -> Self {
        let admin = personas
            .iter()
            .any(|p| p.name == "admin")
            .then(|| "admin".to_owned());
        ScanFixtures {
            transport,
            base_url: base_url.to_owned(),
            run_id,
            personas,
            admin,
            keep,
            report: Mutex::new(None),
        }
    }

    /// The run's journal.
    pub fn journal(&self) -> &Arc<crate::journal::Journal> {
        self.transport.journal()
    }

    /// The cleanup report, once the scan has ended (`None` with `keep`).
    pub fn take_report(&self) -> Option<CleanupReport> {
        self.report.lock().ok().and_then(|mut r| r.take())
    }
}

impl Fixtures for ScanFixtures {
    async fn setup(&self, suite: &Suite) -> Result<FixtureSetup, String> {
        let missing = unsupported_fixtures(&suite.fixtures);
        if !missing.is_empty() {
            return Err(format!(
                "fixtures this harness does not provide: {} (provided: APIFixture, \
                 AllocationFixture, TwoTenantFixture)",
                missing.join(", ")
            ));
        }
        let cx = FixtureContext {
            base_url: &self.base_url,
            run_id: self.run_id,
            personas: &self.personas,
            admin: self.admin.as_deref(),
        };
        let data = setup_fixtures(&suite.fixtures, &self.transport, &cx)
            .await
            .map_err(|e| e.to_string())?;
        Ok(FixtureSetup {
            environ: data.environ,
            ownership: data.ownership,
        })
    }

    async fn cleanup(&self) -> Result<(), String> {
        if self.keep {
            return Ok(());
        }
        let config = CleanupConfig::new(&self.base_url, self.admin.as_deref());
        let report = cleanup(self.transport.inner(), self.transport.journal(), &config).await;
        let clean = report.is_clean();
        if let Ok(mut slot) = self.report.lock() {
            *slot = Some(report);
        }
        if clean {
            Ok(())
        } else {
            Err(format!("run {} left objects behind", self.run_id))
        }
    }
}
