//! Where a suite's data plugs into the scan: the [`Fixtures`] set up
//! before each suite (extra `$ENVIRON` variables and the ownership map the
//! tenant oracles judge against) and cleaned up at the end of the scan,
//! also after Ctrl-C. Requests themselves go through one
//! [`Transport`](crate::transport::Transport), guarded as for every command.

use std::collections::BTreeMap;
use std::future::Future;

use crate::suite::Suite;

/// What a suite's fixtures give the run.
#[derive(Clone, Debug, Default)]
pub struct FixtureSetup {
    /// Variables added to `$ENVIRON` (over APIFixture's).
    pub environ: BTreeMap<String, String>,
    /// Object UUID (lower-case, canonical) to the project that owns it;
    /// fills [`crate::oracle::Context::ownership`].
    pub ownership: BTreeMap<String, String>,
}

/// Why a suite's fixtures were not set up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SetupFailure {
    /// Not set up on purpose (`--read-only`: they create data): the
    /// suite's steps are skipped with this reason, and judge nothing.
    Skipped(String),
    /// Set-up failed: an error of the run.
    Failed(String),
}

impl std::fmt::Display for SetupFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SetupFailure::Skipped(m) | SetupFailure::Failed(m) => f.write_str(m),
        }
    }
}

impl From<String> for SetupFailure {
    fn from(message: String) -> Self {
        SetupFailure::Failed(message)
    }
}

/// Builds and removes what suites' fixtures need.
pub trait Fixtures: Sync {
    /// Sets up `suite`'s fixtures before its first step.
    fn setup(
        &self,
        suite: &Suite,
    ) -> impl Future<Output = Result<FixtureSetup, SetupFailure>> + Send;
    /// Removes everything the run created; called once at the end of the
    /// scan, also after Ctrl-C.
    fn cleanup(&self) -> impl Future<Output = Result<(), String>> + Send;
}

/// No fixture beyond APIFixture's variables (which the scan binds itself).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoFixtures;

impl Fixtures for NoFixtures {
    async fn setup(&self, _suite: &Suite) -> Result<FixtureSetup, SetupFailure> {
        Ok(FixtureSetup::default())
    }

    async fn cleanup(&self) -> Result<(), String> {
        Ok(())
    }
}
