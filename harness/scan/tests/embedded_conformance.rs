//! Conformance of the embedded reference server, in CI without Python:
//! every APIFixture-only gabbit file of the installed openstack-placement
//! runs under `placement-harness run` against a fresh `placement-harness
//! serve` per file, and every failing test must be a deliberate difference
//! (`harness/server/conformance-deliberate.txt`, with its reason) or one of
//! the few that real Placement fails in the same run too (below). The full
//! side-by-side table is `scripts/conformance-refserver`'s job.
//!
//! Needs the gabbits of the venv that `scripts/placement-up` builds
//! (`scripts/test` runs it); fails without them, saying so.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

mod common;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn gabbits_dir() -> PathBuf {
    repo().join(".placement/venv/lib/python3.11/site-packages/placement/tests/functional/gabbits")
}

/// Tests that fail against real Placement in the same run, so are no
/// difference: (file, test, why).
const SHARED_FAILURES: &[(&str, &str, &str)] = &[
    (
        "basic-http.yaml",
        "bad content length not int",
        "hyper will not send an invalid Content-Length; see run_real_placement.rs",
    ),
    (
        "allocations-1-12.yaml",
        "put empty allocations",
        "the expected string is a /regex/, which gabbi's response_strings reads literally",
    ),
    (
        "allocations-bug-1714072.yaml",
        "fail with empty resources",
        "the expected string is a /regex/, read literally",
    ),
    (
        "allocations-bug-1714072.yaml",
        "fail with empty resources dictish",
        "the expected string is a /regex/, read literally",
    ),
];

fn api_fixture_only(path: &Path) -> bool {
    let text = std::fs::read_to_string(path).unwrap();
    let mut fixtures = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with("fixtures:") {
            inside = true;
        } else if inside {
            match line.trim_start().strip_prefix("- ") {
                Some(name) if line.starts_with(' ') || line.starts_with('-') => {
                    fixtures.push(name.trim().to_owned())
                }
                _ => break,
            }
        }
    }
    fixtures == ["APIFixture"]
}

fn deliberate() -> BTreeSet<(String, String)> {
    let text =
        std::fs::read_to_string(repo().join("harness/server/conformance-deliberate.txt")).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut parts = l.splitn(3, '\t');
            let file = parts.next().unwrap().to_owned();
            let test = parts.next().unwrap().to_owned();
            assert!(
                parts.next().is_some_and(|r| !r.trim().is_empty()),
                "no reason: {l}"
            );
            (file, test)
        })
        .collect()
}

/// Runs `file` against a fresh `serve --listen 127.0.0.1:0 <serve_args>`.
fn run_against(file: &Path, serve_args: &[&str]) -> String {
    let bin = env!("CARGO_BIN_EXE_placement-harness");
    let mut server = Command::new(bin)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(serve_args)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut url = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    let out = Command::new(bin)
        // A server started for this file and thrown away: Placement's
        // gabbits write fixed names, which strict ownership would refuse.
        .args([
            "run",
            "--timeout",
            "30",
            "--disposable-target",
            "--target",
            url.trim(),
        ])
        .arg("--journal-dir")
        .arg(concat!(
            env!("CARGO_TARGET_TMPDIR"),
            "/conformance-journals"
        ))
        .arg(file)
        .output()
        .unwrap();
    let _ = server.kill();
    let _ = server.wait();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.is_empty(), "{}: {stderr}", file.display());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn every_failure_on_the_embedded_server_is_deliberate_or_shared() {
    let dir = gabbits_dir();
    assert!(
        dir.is_dir(),
        "no Placement gabbits at {}: {}",
        dir.display(),
        common::SET_UP
    );
    let deliberate = deliberate();
    let shared: BTreeSet<(String, String)> = SHARED_FAILURES
        .iter()
        .map(|(f, t, _)| ((*f).to_owned(), (*t).to_owned()))
        .collect();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml") && api_fixture_only(p))
        .collect();
    files.sort();
    assert!(
        files.len() >= 30,
        "only {} APIFixture-only files",
        files.len()
    );
    // Both behaviours: the faithful one differs only where no gabbit of
    // Placement looks (consumers left by a refused write, in_tree spaces),
    // so it is held to the same list.
    for behaviour in ["safe", "placement"] {
        let (mut passed, mut unexplained) = (0, Vec::new());
        for file in &files {
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            let stdout = run_against(file, &["--behaviour", behaviour]);
            for line in stdout.lines() {
                if line.ends_with(" ... ok") || line.ends_with(" ... xfail") {
                    passed += 1;
                }
                let Some(test) = line.strip_suffix(" ... FAIL") else {
                    continue;
                };
                let test = test.split_once(' ').map_or(test, |(_, t)| t).to_owned();
                let key = (name.clone(), test);
                if !deliberate.contains(&key) && !shared.contains(&key) {
                    unexplained.push(format!("{} / {}", key.0, key.1));
                }
            }
        }
        assert!(
            unexplained.is_empty(),
            "--behaviour {behaviour}: unexplained failures: {unexplained:#?}"
        );
        // CONFORMANCE.md, 2026-11: 484 tests pass (485 before the APIFixture
        // names carried the run id, which a 24-character excerpt cuts).
        assert!(
            passed >= 484,
            "--behaviour {behaviour}: only {passed} tests passed"
        );
        eprintln!("--behaviour {behaviour}: {passed} APIFixture tests passed");
    }
}

/// The RBAC and policy gabbits pass the roles and projects as identity
/// headers (`x-roles`, `x-project-id`, `openstack-system-scope`), which
/// Placement's noauth2 believes; the server believes them only with
/// `--trust-identity-headers`, and then every test of the secure and legacy
/// RBAC files passes, and of the OpenPolicyFixture files with every rule
/// set to `@` (as that fixture does).
#[test]
fn rbac_and_policy_gabbits_pass_with_trusted_identity_headers() {
    let dir = gabbits_dir();
    assert!(
        dir.is_dir(),
        "no Placement gabbits at {}: {}",
        dir.display(),
        common::SET_UP
    );
    let open_policy = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("open-policy.yaml");
    let rules: String = placement_refserver::policy::API_RULES
        .iter()
        .map(|(name, _)| *name)
        .chain([
            "service_api",
            "admin_or_service_api",
            "project_reader_api",
            "admin_or_project_reader_or_service_api",
        ])
        .map(|name| format!("\"{name}\": \"@\"\n"))
        .collect();
    std::fs::write(&open_policy, rules).unwrap();
    let open = open_policy.to_string_lossy().into_owned();
    let modes: [(&str, Vec<&str>); 3] = [
        (
            "-secure-rbac.yaml",
            vec!["--trust-identity-headers", "--rbac", "secure"],
        ),
        (
            "-legacy-rbac.yaml",
            vec!["--trust-identity-headers", "--rbac", "legacy"],
        ),
        (
            "-policy.yaml",
            vec![
                "--trust-identity-headers",
                "--rbac",
                "legacy",
                "--policy",
                &open,
            ],
        ),
    ];
    let mut passed = 0;
    let mut failed = Vec::new();
    for (suffix, args) in &modes {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(suffix))
            .collect();
        files.sort();
        assert!(files.len() >= 9, "{suffix}: only {} files", files.len());
        for file in files {
            let stdout = run_against(&file, args);
            for line in stdout.lines() {
                if line.ends_with(" ... ok") || line.ends_with(" ... xfail") {
                    passed += 1;
                } else if line.ends_with(" ... FAIL") {
                    failed.push(line.to_owned());
                }
            }
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
    // 2026-11: 268 secure, 146 legacy and 41 open-policy tests.
    assert!(passed >= 455, "only {passed} passed");
}
