//! `placement-harness scan` at the edges: usage, suite and target errors
//! exit 2 naming what is wrong, before any request; `--list-corpora` and
//! `--help` work without a server.

use std::path::PathBuf;

use placement_harness::cli::main_with;

fn run(args: &[&str]) -> (u8, String, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut v = vec!["placement-harness".to_owned(), "scan".to_owned()];
    v.extend(args.iter().map(|s| (*s).to_owned()));
    let code = main_with(v, &mut out, &mut err);
    (
        code,
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
    )
}

fn suite(name: &str, text: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("scan_cli");
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(name);
    if let Err(e) = std::fs::write(&path, text) {
        panic!("{}: {e}", path.display());
    }
    path
}

fn s(p: &std::path::Path) -> String {
    p.display().to_string()
}

#[test]
fn help_has_examples_and_every_option() {
    let (code, out, _) = run(&["--help"]);
    assert_eq!(code, 0);
    for want in [
        "Example",
        "--target",
        "--auth",
        "--suite",
        "--personas",
        "--profile",
        "--snapshots",
        "--report",
        "--fail-on",
        "--max-rps",
        "--concurrency",
        "--timeout",
        "--insecure",
        "--cacert",
        "--quiet",
        "--list-corpora",
        "--verbose",
        "--baseline",
        "--suppressions",
    ] {
        assert!(out.contains(want), "{want} missing from help:\n{out}");
    }
}

#[test]
fn list_corpora_prints_names_and_sizes() {
    let (code, out, _) = run(&["--list-corpora"]);
    assert_eq!(code, 0);
    let line = out
        .lines()
        .find(|l| l.starts_with("uuid/malformed "))
        .unwrap_or_else(|| panic!("{out}"));
    let size: usize = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(size >= 20, "{line}");
    assert!(out.contains("microversion/odd"));
    assert!(out.contains("names/consumer_type"));
}

#[test]
fn usage_errors_exit_2_naming_the_option() {
    for (args, want) in [
        (&["--report", "pdf:x.pdf"][..], "--report"),
        (&["--report", "json"], "--report"),
        (&["--fail-on", "severe"], "--fail-on"),
        (&["--snapshots", "maybe"], "--snapshots"),
        (&["--max-rps", "0"], "--max-rps"),
        (&["--auth", "basic"], "--auth"),
    ] {
        let (code, _, err) = run(args);
        assert_eq!(code, 2, "{args:?}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

#[test]
fn no_target_scans_the_embedded_server_and_a_target_needs_a_profile() {
    let ok = suite("ok.yaml", "tests:\n- name: a\n  GET: /\n  as: admin\n");
    // Without --target: the embedded server, profile `embedded`.
    let journals = concat!(env!("CARGO_TARGET_TMPDIR"), "/scan-cli-journals");
    let (code, out, err) = run(&[
        "--suite",
        &s(&ok),
        "--snapshots",
        "off",
        "--journal-dir",
        journals,
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("(embedded)"), "{out}");
    // Port 1 on loopback: nothing is sent before the profile check fails.
    let (code, _, err) = run(&["--suite", &s(&ok), "--target", "http://127.0.0.1:1"]);
    assert_eq!(code, 2);
    assert!(err.contains("--profile"), "{err}");
    let (code, _, err) = run(&[
        "--suite",
        &s(&ok),
        "--target",
        "http://127.0.0.1:1",
        "--snapshots",
        "off",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("not reachable"), "{err}");
}

#[test]
fn suite_errors_exit_2_with_file_and_line_before_the_target_is_tried() {
    let bad = suite(
        "bad-persona.yaml",
        "tests:\n- name: a\n  GET: /\n  as: admin\n- name: b\n  GET: /\n  as: mallory\n",
    );
    let (code, _, err) = run(&["--suite", &s(&bad), "--target", "http://127.0.0.1:1"]);
    assert_eq!(code, 2);
    assert!(err.contains(&format!("  mallory: {}:5", s(&bad))), "{err}");
    let bad = suite(
        "bad-corpus.yaml",
        "tests:\n- name: a\n  GET: /\n  each: nope\n",
    );
    let (code, _, err) = run(&["--suite", &s(&bad), "--target", "http://127.0.0.1:1"]);
    assert_eq!(code, 2);
    assert!(
        err.contains(":2:") && err.contains("unknown corpus"),
        "{err}"
    );
    let (code, _, err) = run(&["--suite", "/nonexistent/x.yaml"]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/x.yaml"), "{err}");
}

#[test]
fn a_suite_folder_is_every_yaml_in_it_sorted() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("scan_cli_folder");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(
        dir.join("b.yaml"),
        "tests:\n- name: a\n  GET: /\n  as: zed\n",
    );
    let _ = std::fs::write(
        dir.join("a.yaml"),
        "tests:\n- name: a\n  GET: /\n  as: yan\n",
    );
    let _ = std::fs::write(dir.join("notes.txt"), "not a suite");
    let (code, _, err) = run(&["--suite", &s(&dir)]);
    assert_eq!(code, 2);
    // Both files were read (notes.txt was not), every missing persona named.
    assert!(err.contains("  yan: ") && err.contains("a.yaml:2"), "{err}");
    assert!(err.contains("  zed: ") && err.contains("b.yaml:2"), "{err}");
    assert!(!err.contains("notes.txt"), "{err}");
}

/// The gaps the built-in suites find in the embedded server today: none
/// (issue 4: "a scan of it in its default configuration must report
/// nothing"). The four it had (a UUID with spaces in `in_tree`, a BiDi
/// override in a provider name, duplicate JSON keys, an empty consumer left
/// by a refused allocation write) are closed and tested in
/// `harness/server/tests/safe_where_placement_errs.rs`. The list stays and
/// the comparison stays exact: any finding fails this test, and a gap that
/// comes back has to be listed here, in the open.
const KNOWN_EMBEDDED_GAPS: &[(&str, &str)] = &[];

#[test]
fn built_in_suites_scan_the_embedded_server_and_find_nothing() {
    // No --suite and no --target: every built-in suite against the
    // embedded server, the README's first command.
    let tmp = concat!(env!("CARGO_TARGET_TMPDIR"), "/scan-cli-default");
    let _ = std::fs::create_dir_all(tmp);
    let report = format!("{tmp}/report.json");
    let (code, out, err) = run(&[
        "--snapshots",
        "off",
        "--quiet",
        "--journal-dir",
        tmp,
        "--report",
        &format!("json:{report}"),
    ]);
    let text = std::fs::read_to_string(&report).unwrap_or_else(|e| panic!("{e}\n{out}\n{err}"));
    let r: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    assert!(r["requests"].as_u64().unwrap_or(0) > 2000, "{out}");
    let mut found: Vec<(String, String)> = r["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    let step = f["step"].as_str().unwrap_or_default();
                    // `seed_claims` steps carry the claim id first.
                    (
                        f["check"].as_str().unwrap_or_default().to_owned(),
                        step.to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    let mut known: Vec<(String, String)> = KNOWN_EMBEDDED_GAPS
        .iter()
        .map(|(c, s)| ((*c).to_owned(), (*s).to_owned()))
        .collect();
    known.sort();
    assert_eq!(found, known, "{out}");
    let expected_code = if known.is_empty() { 0 } else { 1 };
    assert_eq!(code, expected_code, "no findings exit 0, findings 1\n{err}");
    // Reach: every step of every suite answered or skipped on purpose with
    // its reason; none missed, no run error.
    let reach: Vec<&str> = out.lines().filter(|l| l.starts_with("reach ")).collect();
    assert_eq!(reach.len(), 8, "one reach line per built-in suite\n{out}");
    for line in &reach {
        assert!(line.ends_with(", 0 missed"), "{line}");
    }
    for line in out.lines().filter(|l| l.starts_with("  skipped ")) {
        let reason = line.split(": ").nth(2).unwrap_or_default();
        assert!(
            !reason.trim().is_empty(),
            "a skip without its reason: {line}"
        );
    }
    assert_eq!(r["errors"].as_array().map(Vec::len), Some(0), "{text:.400}");
    // Every check that applies to the built-in suites judged answers, so
    // the 0 findings above are checked, not unchecked.
    for check in [
        "no_5xx",
        "no_internal_leak",
        "reflection",
        "error_envelope",
        "security_headers",
        "malformed_input",
        "auth_required",
        "policy",
        "tenant_isolation",
        "existence_leak",
        "identity_spoofing",
        "uuid_spelling",
        "expectation",
    ] {
        let n = r["summary"]["judged"][check].as_u64().unwrap_or(0);
        assert!(n > 0, "{check} judged nothing");
    }
}

/// A baseline or suppressions file that cannot be used stops the run
/// before it starts anything: one line, file:line, exit 2; `diff` the same.
#[test]
fn bad_baselines_and_suppressions_exit_2_with_file_and_line() {
    let expired = suite(
        "expired.yaml",
        "version: 1\nsuppressions:\n  - issue: no_5xx-0123abcd\n    reason: r\n    expires: 2020-01-01\n",
    );
    let unknown = suite("unknown.yaml", "version: 1\nsupressions: []\n");
    let not_a_report = suite("old.json", "{\"findings\": []}\n");
    // No --target: each would scan the embedded server, had it started.
    for (option, path, want) in [
        (
            "--suppressions",
            &expired,
            "expired.yaml:5: the suppression expired on 2020-01-01",
        ),
        ("--suppressions", &unknown, "unknown.yaml:2:"),
        ("--baseline", &not_a_report, "old.json:1: no report_version"),
    ] {
        let (code, out, err) = run(&[option, &s(path), "--suite", "scenarios/smoke.yaml"]);
        assert_eq!(code, 2, "{option}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(want), "{option}: {err}");
        assert!(!out.contains("run id"), "nothing started: {out}");
    }
    let mut out = Vec::new();
    let mut err = Vec::new();
    let args = [
        "placement-harness",
        "diff",
        &s(&not_a_report),
        &s(&not_a_report),
    ];
    let code = main_with(
        args.iter().map(|a| (*a).to_owned()).collect(),
        &mut out,
        &mut err,
    );
    assert_eq!(code, 2);
    assert!(String::from_utf8_lossy(&err).contains("old.json:1: no report_version"));
}

/// `--read-only` reports nothing it did not test: the suites whose
/// fixtures create data are skipped with that reason, the steps after a
/// write that was not sent and that name what it would have made are
/// skipped too, and the scan of the built-in suites exits 0 with no
/// finding (before, the skipped set-up was an error, exit 2, and the reads
/// of objects never made gave expectation findings).
#[test]
fn read_only_skips_what_needs_writes_and_reports_nothing_it_did_not_test() {
    let (code, out, err) = run(&["--read-only", "--snapshots", "off", "--quiet"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains(", 0 issues (0 findings)"), "{out}");
    assert!(
        out.contains(
            "reach scenarios/cross_tenant.yaml: 0 of 37 steps answered, 37 skipped on purpose"
        ),
        "{out}"
    );
    assert!(out.contains("request(s) not sent: read-only"), "{out}");
    assert!(!out.contains("not done:"), "{out}");
}

/// The first scan of a profile with no snapshots records its baseline and
/// says so (exit 0), the next compares with it; once the profile has a
/// baseline, a snapshot missing from it is a mismatch again (exit 1).
#[test]
fn a_profile_without_snapshots_records_its_baseline_and_says_so() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("scan_cli_fresh_profile_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let args = [
        "--snapshot-dir",
        &s(&dir),
        "--profile",
        "lab-16.0.0-sqlite-noauth2",
        "--quiet",
    ];
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("profile \"lab-16.0.0-sqlite-noauth2\" had no snapshots: recorded "),
        "{out}"
    );
    let profile = dir.join("lab-16.0.0-sqlite-noauth2");
    let snaps: Vec<PathBuf> = std::fs::read_dir(&profile)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(!snaps.is_empty());
    assert!(
        snaps
            .iter()
            .all(|p| p.extension().is_some_and(|x| x == "snap")),
        "{snaps:?}"
    );

    let (code, out, _) = run(&args);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("had no snapshots"), "{out}");

    std::fs::remove_file(&snaps[0]).unwrap();
    let (code, out, _) = run(&args);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("snapshot missing, new one in"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The built-in suites' snapshots are found beside their sources (the
/// repository's `scenarios/snapshots`), not in the working directory: this
/// test runs in `harness/scan/`, where there is no `scenarios/`, and the
/// committed `embedded` baseline still matches.
#[test]
fn built_in_suites_find_their_snapshots_whatever_the_working_directory() {
    assert!(!std::path::Path::new("scenarios").exists());
    let tmp = concat!(env!("CARGO_TARGET_TMPDIR"), "/scan-cli-builtin-snaps");
    let (code, out, err) = run(&["--journal-dir", tmp]);
    assert_eq!(code, 0, "{out}\n{err}");
    let ok = out
        .lines()
        .filter(|l| l.starts_with("snapshot ok: ") && l.contains("scenarios/snapshots/embedded/"))
        .count();
    assert!(ok >= 10, "{out}");
    assert!(!out.contains("had no snapshots"), "{out}");
    assert!(
        !std::path::Path::new("scenarios").exists(),
        "nothing written here"
    );
}
