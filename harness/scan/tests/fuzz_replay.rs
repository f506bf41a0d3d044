//! `fuzz --replay`: a sample of the fuzzer's requests replayed at every
//! microversion 1.0 to 1.39. Against the embedded server no change falls
//! outside the documented history; against a fresh real Placement 16.0.0
//! the run replays what it was asked to and prints what it found.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use placement_harness::cli::main_with;
use serde_json::Value;

mod common;
use common::{FreshPlacement, require_venv};

fn fuzz(extra: &[&str], tag: &str) -> (u8, String, String, Value) {
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("fuzz-replay-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let report = work.join("fuzz.json");
    let mut args: Vec<String> = [
        "placement-harness",
        "fuzz",
        "--seed",
        "11",
        "--requests",
        "300",
        "--time",
        "240s",
        "--replay",
        "25",
        "--no-shrink",
        "--quiet",
        "--journal-dir",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    args.push(work.join("journals").to_string_lossy().into_owned());
    args.push("--report".to_owned());
    args.push(format!("json:{}", report.display()));
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = main_with(args, &mut out, &mut err);
    let json: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    (
        code,
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
        json,
    )
}

fn replay_findings(report: &Value) -> Vec<&Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == "microversion_replay")
        .collect()
}

#[test]
fn embedded_answers_change_only_where_the_history_says() {
    let (code, out, err, report) = fuzz(&[], "embedded");
    assert!(code == 0 || code == 1, "{code}\n{out}\n{err}");
    assert!(
        out.contains("microversion replay: 25 requests replayed at 1.0..1.39 (1000 sends)"),
        "{out}"
    );
    assert!(out.contains(", 0 undocumented"), "{out}");
    // Not vacuous: the replays did see the documented changes (1.23's
    // error codes, routes appearing at their first version, ...).
    let documented: u64 = out
        .lines()
        .find(|l| l.starts_with("microversion replay:"))
        .and_then(|l| l.split(", ").nth(1))
        .and_then(|p| p.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(documented > 0, "{out}");
    let found = replay_findings(&report);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn real_placement_replay_reports_what_it_finds() {
    require_venv();
    let server = FreshPlacement::start("replay");
    let (code, out, err, report) = fuzz(&["--target", &server.url], "real");
    assert!(code == 0 || code == 1, "{code}\n{out}\n{err}");
    let line = out
        .lines()
        .find(|l| l.starts_with("microversion replay:"))
        .unwrap_or_else(|| panic!("{out}"));
    eprintln!("{line}");
    assert!(line.contains("25 requests replayed"), "{line}");
    for f in replay_findings(&report) {
        eprintln!("{}\n  {}\n  {}", f["title"], f["evidence"], f["curl"]);
        assert_eq!(f["cwe"], "CWE-440");
    }
}
