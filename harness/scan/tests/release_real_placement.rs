//! An upgrade review, as an operator would do it: the same suites against
//! real Placement 15.0.0 (`scripts/placement-up --release 15.0.0`, a venv
//! of its own) and 16.0.0, and `placement-harness diff` of the two JSON
//! reports. The diff must run (exit 0 or 1) and say what it compared; the
//! verdicts are Placement's, not expected here.
//!
//! Fails, saying how to set it up, when the venv (`.placement/venv`) is
//! missing (`scripts/test` installs it); the 15.0.0 venv is made on first
//! use.

// A test binary: a failed setup must fail the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::{FreshPlacement, repo, require_venv};

fn harness(args: &[&OsStr]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_placement-harness"))
        .args(args)
        .current_dir(repo())
        .output()
        .unwrap_or_else(|e| panic!("placement-harness: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn scan(url: &str, report: &Path, journals: &Path) {
    let report_arg = format!("json:{}", report.display());
    let suite = repo().join("scenarios/smoke.yaml");
    let (code, out, err) = harness(&[
        OsStr::new("scan"),
        OsStr::new("--target"),
        OsStr::new(url),
        OsStr::new("--snapshots"),
        OsStr::new("off"),
        OsStr::new("--suite"),
        suite.as_os_str(),
        OsStr::new("--journal-dir"),
        journals.as_os_str(),
        OsStr::new("--report"),
        OsStr::new(&report_arg),
        OsStr::new("--quiet"),
    ]);
    assert!(
        matches!(code, 0 | 1),
        "scan of {url}: exit {code}\n{out}\n{err}"
    );
}

#[test]
fn an_upgrade_from_15_to_16_is_reviewed_by_diffing_two_scans() {
    require_venv();
    let tmp =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("release-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    let (old, new) = (tmp.join("15.0.0.json"), tmp.join("16.0.0.json"));
    {
        let server = FreshPlacement::start_with(
            "release-15",
            &[OsStr::new("--release"), OsStr::new("15.0.0")],
        );
        let opts = std::fs::read_to_string(server.state_dir.join("placement.opts")).unwrap();
        assert!(opts.contains("release=15.0.0"), "{opts}");
        scan(&server.url, &old, &tmp.join("journals"));
    }
    {
        let server = FreshPlacement::start("release-16");
        scan(&server.url, &new, &tmp.join("journals"));
    }
    let (code, out, err) = harness(&[OsStr::new("diff"), old.as_os_str(), new.as_os_str()]);
    assert!(matches!(code, 0 | 1), "diff: exit {code}\n{out}\n{err}");
    assert!(out.contains("new") && out.contains("fixed"), "{out}");
    // Both reports judged the same suite: a diff of nothing would pass.
    for path in [&old, &new] {
        let r: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert!(
            r["requests"].as_u64().unwrap_or(0) > 50,
            "{}: {}",
            path.display(),
            r["requests"]
        );
    }
}
