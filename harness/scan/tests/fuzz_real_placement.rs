//! `placement-harness fuzz` against a fresh real Placement 16.0.0: with a
//! fixed seed and request bound it reaches the 500 of a repeated `limit`
//! on `GET /allocation_candidates` (the handler calls `int()` on a value
//! the schema never saw), shrinks the case against the server, writes it
//! as a gabbi file, and `placement-harness run` replays that file with the
//! same failure. Everything the run made is cleaned up. Fails, saying how
//! to set it up, without `.placement/venv`.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Command;

use placement_harness::cli::main_with;
use serde_json::Value;

mod common;
use common::{FreshPlacement, repo, require_venv};

fn harness(args: &[&str]) -> (u8, String, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut all = vec!["placement-harness".to_owned()];
    all.extend(args.iter().map(|s| (*s).to_owned()));
    let code = main_with(all, &mut out, &mut err);
    (
        code,
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
    )
}

#[test]
fn fuzz_option_errors_are_usage_errors() {
    // Without --target, fuzz runs against the embedded server
    // (tests/fuzz_differential.rs).
    let (code, _, err) = harness(&["fuzz", "--target", "http://127.0.0.1:9", "--max-time", "2d"]);
    assert_eq!(code, 2);
    assert!(err.contains("--max-time"), "{err}");
}

#[test]
fn seeded_fuzz_finds_the_repeated_limit_500_and_the_gabbi_file_replays_it() {
    require_venv();
    let server = FreshPlacement::start("limit");
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("fuzz-real-work-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let journals = work.join("journals");
    let tracked = std::fs::read_dir(repo().join("scenarios/found"))
        .map(|d| d.count())
        .unwrap_or(0);
    let report = work.join("fuzz.json");
    let (code, out, err) = harness(&[
        "fuzz",
        "--target",
        &server.url,
        "--seed",
        "1",
        "--requests",
        "600",
        "--time",
        "300s",
        "--shrink-cases",
        "1",
        "--shrink-attempts",
        "30",
        "--journal-dir",
        journals.to_str().unwrap(),
        "--report",
        &format!("json:{}", report.display()),
        "--quiet",
    ]);
    assert_eq!(code, 1, "findings expected\n{out}\n{err}");
    assert!(out.contains("first 5xx after"), "{out}");
    assert!(
        out.contains(" 0 failed"),
        "cleanup must remove everything: {out}\n{err}"
    );
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    // Without --found-dir the cases go beside the run's journal, never into
    // the tracked scenarios/found.
    let found = journals
        .join("found")
        .join(json["run_id"].as_str().unwrap_or_default());
    assert!(out.contains(&found.display().to_string()), "{out}");
    assert_eq!(
        std::fs::read_dir(repo().join("scenarios/found"))
            .map(|d| d.count())
            .unwrap_or(0),
        tracked
    );
    let crash = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "no_5xx" && f["route"] == "/allocation_candidates")
        .unwrap_or_else(|| panic!("no 500 on /allocation_candidates in the report\n{out}"));
    assert_eq!(crash["response"]["status"], 500);
    assert!(
        crash["curl"]
            .as_str()
            .unwrap()
            .contains("allocation_candidates")
    );
    // The shrunk case: the crashing request alone, with both limits.
    let files: Vec<PathBuf> = std::fs::read_dir(&found)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("no_5xx-get-allocation-candidates-")
        })
        .collect();
    assert_eq!(files.len(), 1, "{out}");
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert_eq!(
        text.matches("\n- name:").count(),
        1,
        "shrunk to one request:\n{text}"
    );
    let get = text
        .lines()
        .find(|l| l.trim_start().starts_with("GET:"))
        .unwrap();
    assert!(get.matches("limit=").count() >= 2, "{get}");
    assert!(text.contains("status: 400 || 404 || 409"), "{text}");
    assert!(text.contains("# Replay: placement-harness run"));
    // Replayed by `run`, the file fails with the same 500.
    let (code, out, err) = harness(&[
        "run",
        "--target",
        &server.url,
        "--disposable-target",
        "--journal-dir",
        journals.to_str().unwrap(),
        files[0].to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("FAIL") && out.contains("500"), "{out}");

    // The upstream gabbit beside it loads in Placement's own functional
    // tests (test_api.py's loader, APIFixture, wsgi-intercept) and fails
    // there for the reason it names: the 500 where a 400 is due.
    let upstream: Vec<PathBuf> = std::fs::read_dir(found.join("upstream"))
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    assert_eq!(upstream.len(), 1, "{out}");
    let name = upstream[0]
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    assert!(
        name.starts_with("allocation-candidates-500-") && !name.contains('_'),
        "{name}"
    );
    let text = std::fs::read_to_string(&upstream[0]).unwrap_or_default();
    assert!(text.contains("is refused with 400, not a 500"), "{text}");
    let (ran, output) = placement_functional(&upstream[0]);
    assert!(ran, "{output}");
    assert!(output.contains("Ran 1 test"), "{output}");
    assert!(output.contains("FAILED (failures=1)"), "{output}");
    assert!(
        output.contains("'500' not found in ['400']"),
        "fails for the 500: {output}"
    );
    let _ = std::fs::remove_dir_all(&work);
}

/// Runs one gabbit file with Placement 16.0.0's own functional-test loader
/// (placement.tests.functional.test_api.load_tests over a folder holding
/// only that file) in .placement/venv; returns whether the loader ran and
/// its output.
fn placement_functional(file: &std::path::Path) -> (bool, String) {
    let python = repo().join(".placement/venv/bin/python");
    let dir = file.with_extension("gabbits");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    std::fs::copy(file, dir.join(file.file_name().unwrap_or_default()))
        .unwrap_or_else(|e| panic!("{e}"));
    let script = "import sys, unittest\n\
        from placement.tests.functional import test_api\n\
        test_api.TESTS_DIR = sys.argv[1]\n\
        suite = test_api.load_tests(unittest.defaultTestLoader, None, None)\n\
        unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)\n";
    let out = Command::new(&python)
        .args(["-c", script])
        .arg(&dir)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (scripts/placement-up installs Placement's functional-test \
                 dependencies into it)",
                python.display()
            )
        });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (!text.contains("ModuleNotFoundError"), text)
}

/// Every crash kept in `scenarios/found/` still crashes real Placement
/// 16.0.0: its file fails under `run` on a fresh server, on its last test,
/// with a 5xx. A file that starts passing means Placement fixed the bug
/// (or the file rotted): either way it must be looked at.
#[test]
fn kept_crashes_in_scenarios_found_still_fail() {
    require_venv();
    let dir = repo().join("scenarios/found");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "scenarios/found holds no gabbi file");
    let server = FreshPlacement::start("found");
    let journals = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("fuzz-found-journals-{}", std::process::id()));
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with("no_5xx-"),
            "{name}: only crashes are kept here"
        );
        let (code, out, err) = harness(&[
            "run",
            "--target",
            &server.url,
            "--disposable-target",
            "--journal-dir",
            journals.to_str().unwrap(),
            f.to_str().unwrap(),
        ]);
        assert_eq!(code, 1, "{name} no longer fails:\n{out}\n{err}");
        let fail = out
            .lines()
            .find(|l| l.ends_with("FAIL"))
            .unwrap_or_else(|| panic!("{out}"));
        let tests = std::fs::read_to_string(f)
            .unwrap()
            .matches("\n- name:")
            .count();
        assert!(
            fail.contains(&format!("{tests:02} ")),
            "{name}: not the last test failed: {fail}"
        );
        assert!(out.contains("50"), "{name}: no 5xx in\n{out}");
    }
}

/// Ctrl-C (SIGINT) while fuzzing: the run stops, deletes everything its
/// journal lists, retires the journal (`.jsonl.done`) and exits 130.
#[test]
fn ctrl_c_stops_cleans_up_and_exits_130() {
    require_venv();
    let server = FreshPlacement::start("sigint");
    let journals = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("fuzz-sigint-journals-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&journals);
    let child = Command::new(env!("CARGO_BIN_EXE_placement-harness"))
        .args([
            "fuzz",
            "--target",
            &server.url,
            "--time",
            "120s",
            "--seed",
            "3",
            "--no-shrink",
            "--quiet",
            "--journal-dir",
        ])
        .arg(&journals)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait (bounded) until the journal records created objects, then SIGINT.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let journaled = std::fs::read_dir(&journals)
            .ok()
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| std::fs::read_to_string(e.path()).is_ok_and(|t| t.lines().count() > 20));
        if journaled || std::time::Instant::now() > deadline {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(130),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("interrupted"), "{stdout}");
    assert!(stdout.contains(" 0 failed"), "{stdout}");
    let names: Vec<String> = std::fs::read_dir(&journals)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| n.ends_with(".jsonl.done")),
        "{names:?}"
    );
    assert_eq!(names.len(), 1);
    // Nothing of the run is left: no provider named fuzz-... remains.
    let (code, out, _) = harness(&[
        "run",
        "--target",
        &server.url,
        "--disposable-target",
        "--journal-dir",
        journals.to_str().unwrap(),
        &write_probe(&journals),
    ]);
    assert_eq!(code, 0, "{out}");
}

/// A one-test suite asserting that no provider is left on the server.
fn write_probe(dir: &std::path::Path) -> String {
    let path = dir.join("no-providers-left.yaml");
    std::fs::write(
        &path,
        "tests:\n- name: no provider left\n  GET: /resource_providers\n  request_headers:\n    x-auth-token: admin\n  response_json_paths:\n    $.resource_providers.`len`: 0\n",
    )
    .unwrap();
    path.display().to_string()
}
