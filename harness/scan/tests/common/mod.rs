//! Shared by the integration tests that need a real Placement 16.0.0: the
//! repository root, the venv check, and a fresh server of the test's own.
//!
//! Each test crate includes this module and uses part of it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// What a test that needs the real Placement says when it is not there:
/// such a test fails rather than pass without doing its work.
pub const SET_UP: &str =
    "run the tests with scripts/test, which installs and starts the pinned Placement";

/// Checks that `.placement/venv` (the pinned Placement 16.0.0) exists and
/// fails the test saying how to set it up when it does not.
pub fn require_venv() {
    let venv = repo().join(".placement/venv/bin/python");
    assert!(venv.exists(), "{} is missing: {SET_UP}", venv.display());
}

/// `PLACEMENT_URL`, the real Placement that `scripts/test` starts; fails
/// the test saying how to set it up when it is not set.
pub fn placement_url() -> String {
    match std::env::var("PLACEMENT_URL") {
        Ok(url) if !url.trim().is_empty() => url.trim().to_owned(),
        _ => panic!("PLACEMENT_URL is not set: {SET_UP}"),
    }
}

/// A Placement of its own on a free loopback port (fresh sqlite database),
/// stopped on drop by `scripts/placement-down`, which stops only its pid.
pub struct FreshPlacement {
    pub state_dir: PathBuf,
    pub url: String,
}

impl FreshPlacement {
    pub fn start(tag: &str) -> FreshPlacement {
        Self::start_with(tag, &[])
    }

    /// Like [`FreshPlacement::start`], with more `scripts/placement-up`
    /// options (`--policy FILE`, `--rbac MODE`).
    pub fn start_with(tag: &str, options: &[&std::ffi::OsStr]) -> FreshPlacement {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("no free port: {e}"));
        let state_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("real-placement-{}-{tag}", std::process::id()));
        let out = Command::new(repo().join("scripts/placement-up"))
            .arg("--port")
            .arg(port.to_string())
            .arg("--state-dir")
            .arg(&state_dir)
            .args(options)
            .current_dir(repo())
            .output()
            .unwrap_or_else(|e| panic!("scripts/placement-up: {e}"));
        assert!(
            out.status.success(),
            "scripts/placement-up failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let url = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        assert!(
            url.starts_with("http://127.0.0.1:") || url.starts_with("https://127.0.0.1:"),
            "{url}"
        );
        FreshPlacement { state_dir, url }
    }
}

impl Drop for FreshPlacement {
    fn drop(&mut self) {
        let _ = Command::new(repo().join("scripts/placement-down"))
            .arg("--state-dir")
            .arg(&self.state_dir)
            .current_dir(repo())
            .output();
    }
}
