//! Every suite in `scenarios/` against both profiles, snapshots checked:
//! the embedded server (started by the scan itself) and a fresh real
//! Placement 16.0.0. Each snapshot a suite takes must match the committed
//! one in `scenarios/snapshots/<profile>/` byte for byte (a changed server
//! answer is a reviewed change, never accepted here), and every step is
//! reached (no suite silently skipped).
//!
//! The real-Placement half fails, saying how to set it up, when the venv is
//! missing (`scripts/test` installs it).

use std::path::PathBuf;
use std::process::Command;

mod common;
use common::{FreshPlacement, repo, require_venv};

fn scan_all(extra: &[&str], tag: &str) -> (i32, String, String) {
    let journals = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("snapshots-{tag}"));
    let out = Command::new(env!("CARGO_BIN_EXE_placement-harness"))
        .args([
            "scan",
            "--suite",
            "scenarios/",
            "--snapshots",
            "check",
            "--quiet",
        ])
        .arg("--journal-dir")
        .arg(&journals)
        .args(extra)
        .current_dir(repo())
        .output()
        .unwrap_or_else(|e| panic!("placement-harness: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_snapshots_match(code: i32, out: &str, err: &str) {
    assert!(
        !out.contains("snapshot CHANGED") && !out.contains("snapshot missing"),
        "snapshots differ (review the .snap.new files with `cargo insta review`):\n{out}"
    );
    assert!(!err.contains("could not run"), "{err}");
    assert!(!out.contains("not sent"), "a step was skipped:\n{out}");
    assert_every_step_reached(out);
    // Findings exit 1; 2 would be a suite or target error.
    assert!(code == 0 || code == 1, "exit {code}\n{out}\n{err}");
}

/// Every suite file in `scenarios/` has a `reach` line saying that every
/// step was answered but those skipped on purpose, each with a reason.
fn assert_every_step_reached(out: &str) {
    let mut suites: Vec<String> = std::fs::read_dir(repo().join("scenarios"))
        .unwrap_or_else(|e| panic!("scenarios/: {e}"))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    suites.sort();
    let mut reached = Vec::new();
    for line in out.lines().filter(|l| l.starts_with("reach ")) {
        let (suite, counts) = line
            .strip_prefix("reach ")
            .and_then(|l| l.split_once(": "))
            .unwrap_or_else(|| panic!("unreadable reach line {line:?}"));
        assert!(
            counts.ends_with(", 0 missed"),
            "{suite}: a step was not answered: {counts}\n{out}"
        );
        let answered: usize = counts
            .split(' ')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("unreadable counts {counts:?}"));
        assert!(answered > 0, "{suite}: no step answered\n{out}");
        if let Some(name) = std::path::Path::new(suite).file_name() {
            reached.push(name.to_string_lossy().into_owned());
        }
    }
    reached.sort();
    assert_eq!(reached, suites, "every suite reports its reach\n{out}");
    for line in out.lines().filter(|l| l.starts_with("  skipped ")) {
        let reason = line.rsplit(": ").next().unwrap_or_default();
        assert!(
            reason.len() > 20 && reason != "skip: true",
            "a step skipped on purpose must say why: {line}"
        );
    }
}

#[test]
fn every_suite_matches_its_embedded_snapshots() {
    let (code, out, err) = scan_all(&[], "embedded");
    assert!(out.contains("(embedded)"), "{out}");
    assert_snapshots_match(code, &out, &err);
}

#[test]
fn every_suite_matches_its_openstack_placement_snapshots() {
    require_venv();
    let server = FreshPlacement::start("snapshots");
    let report = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("snapshots-real-report.json");
    let report_arg = format!("json:{}", report.display());
    let (code, out, err) = scan_all(
        &[
            "--target",
            &server.url,
            "--profile",
            "openstack-placement-16.0.0",
            "--disposable-target",
            "--report",
            &report_arg,
        ],
        "real",
    );
    assert_snapshots_match(code, &out, &err);
    assert_eq!(code, 1, "real Placement 16.0.0 has findings\n{out}");
    // Before microversion 1.19 the aggregates body is a bare list, checked
    // only by oslo's is_uuid_like (placement/util.py), which strips braces,
    // `urn:uuid:` and every dash: Placement stores these strings verbatim.
    let text = std::fs::read_to_string(&report).unwrap_or_default();
    let json: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", report.display()));
    let stored: Vec<&str> = json["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|f| {
                    f["check"] == "malformed_input"
                        && f["severity"] == "high"
                        && f["response"]["status"] == 200
                })
                .filter_map(|f| f["step"].as_str())
                .filter(|s| s.starts_with("set a malformed aggregate in the 1.1 list form"))
                .collect()
        })
        .unwrap_or_default();
    for class in ["[braced-unclosed]", "[double-dash]", "[urn-dashless]"] {
        assert!(
            stored.iter().any(|s| s.ends_with(class)),
            "{class} not reported as stored: {stored:?}"
        );
    }
}
