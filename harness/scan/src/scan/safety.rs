//! The scan's data fixtures ([`ScanFixtures`]): set up through the run's
//! guarded transport, the one every scan request goes through, and removed
//! from the journal at the end of the scan, also after Ctrl-C.
//!
//! It exists so that `scan` keeps the same promises as `run` against a real
//! deployment: every object it creates carries the run id and is journaled
//! before the response is judged; under strict ownership a step naming an
//! object the run did not create is skipped, not sent; `--read-only`
//! sends GETs only.

use std::sync::{Arc, Mutex};

use super::hooks::{FixtureSetup, Fixtures, SetupFailure};
use crate::cleanup::{CleanupConfig, CleanupReport, cleanup};
use crate::guard::GuardedTransport;
use crate::persona::Persona;
use crate::run_id::RunId;
use crate::suite::Suite;
use crate::suite::fixture::{FixtureContext, FixtureError, setup_fixtures, unsupported_fixtures};
use crate::transport::ClientTransport;

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
    async fn setup(&self, suite: &Suite) -> Result<FixtureSetup, SetupFailure> {
        let missing = unsupported_fixtures(&suite.fixtures);
        if !missing.is_empty() {
            return Err(SetupFailure::Failed(format!(
                "fixtures this harness does not provide: {} (provided: APIFixture, \
                 AllocationFixture, TwoTenantFixture)",
                missing.join(", ")
            )));
        }
        let cx = FixtureContext {
            base_url: &self.base_url,
            run_id: self.run_id,
            personas: &self.personas,
            admin: self.admin.as_deref(),
        };
        let data = setup_fixtures(&suite.fixtures, &self.transport, &cx)
            .await
            .map_err(|e| match e {
                FixtureError::Skipped { .. } => SetupFailure::Skipped(e.to_string()),
                other => SetupFailure::Failed(other.to_string()),
            })?;
        Ok(FixtureSetup {
            environ: data.environ,
            ownership: data.ownership,
        })
    }

    async fn cleanup(&self) -> Result<(), String> {
        if self.keep {
            return Ok(());
        }
        let admin = self
            .personas
            .iter()
            .find(|p| Some(&p.name) == self.admin.as_ref());
        let config = CleanupConfig::new(&self.base_url, admin);
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
