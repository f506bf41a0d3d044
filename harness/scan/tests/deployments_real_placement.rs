//! The default scan against real Placement 16.0.0 as deployments run it:
//! on PostgreSQL and on MariaDB (each server started by
//! `scripts/placement-up --db` as a process of its own on loopback), with
//! noauth2 and behind a real Keystone (`--auth keystone`), full of another
//! project's data, without `--disposable-target`.
//!
//! "Someone else" (plain requests outside the harness) makes providers
//! with inventories of standard and custom classes, traits, aggregates and
//! allocations of two consumers of another project. A digest of everything
//! an admin can read (`placement-harness digest`) is taken before the scan
//! and compared after it: the scan must change none of it and leave none of
//! its own objects, also when it is killed with SIGKILL halfway and
//! `placement-harness cleanup` (with the run's auth options) finishes the
//! job from its journal.

// A test binary: a failed setup must fail the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use common::FreshPlacement;

fn scratch(tag: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("deployments")
        .join(format!("{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Requests as the operator (the admin: noauth2's `admin` token, or a
/// Keystone token of the cloud admin), outside the harness, one at a time
/// on a runtime of its own.
struct Operator {
    rt: tokio::runtime::Runtime,
    http: reqwest::Client,
    url: String,
    token: String,
}

impl Operator {
    fn new(url: &str) -> Self {
        Operator {
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            url: url.trim_end_matches('/').to_owned(),
            token: "admin".to_owned(),
        }
    }

    /// The operator of a Placement behind the Keystone that
    /// `scripts/placement-up --auth keystone` set up in `state_dir`.
    fn keystone(url: &str, state_dir: &Path) -> Self {
        let mut op = Operator::new(url);
        let ks = std::fs::read_to_string(state_dir.join("keystone/keystone.url")).unwrap();
        let password =
            std::fs::read_to_string(state_dir.join("keystone/secrets/admin.password")).unwrap();
        let body = json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": "admin", "domain": {"name": "Default"}, "password": password.trim_end()}}},
            "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}}}});
        let req = op
            .http
            .post(format!(
                "{}/v3/auth/tokens",
                ks.trim().trim_end_matches('/')
            ))
            .json(&body);
        op.token = op.rt.block_on(async {
            let resp = req.send().await.unwrap();
            assert_eq!(resp.status().as_u16(), 201, "Keystone refused the admin");
            resp.headers()["x-subject-token"]
                .to_str()
                .unwrap()
                .to_owned()
        });
        op
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.call_at("1.39", method, path, body)
    }

    fn call_at(
        &self,
        version: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.url))
            .header("x-auth-token", &self.token)
            .header("openstack-api-version", format!("placement {version}"));
        if let Some(b) = body {
            req = req.json(&b);
        }
        self.rt.block_on(async {
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            let text = resp.text().await.unwrap();
            (status, serde_json::from_str(&text).unwrap_or(Value::Null))
        })
    }

    fn ok(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let (status, v) = self.call(method, path, body);
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {v}"
        );
        v
    }
}

const RP: [(&str, &str); 2] = [
    (
        "7d0c3a52-5f0e-4b7a-9c1e-0a0000000001",
        "other-project-compute-1",
    ),
    (
        "7d0c3a52-5f0e-4b7a-9c1e-0a0000000002",
        "other-project-compute-2",
    ),
];
const CONSUMERS: [&str; 2] = [
    "7d0c3a52-5f0e-4b7a-9c1e-0b0000000001",
    "7d0c3a52-5f0e-4b7a-9c1e-0b0000000002",
];
const AGGREGATE: &str = "7d0c3a52-5f0e-4b7a-9c1e-0c0000000001";

/// Another project's data, made as an operator would.
fn populate(op: &Operator) {
    op.ok("PUT", "/traits/CUSTOM_OTHER_PROJECT_GOLD", None);
    op.ok("PUT", "/resource_classes/CUSTOM_OTHER_PROJECT_FPGA", None);
    for (uuid, name) in RP {
        op.ok(
            "POST",
            "/resource_providers",
            Some(json!({"uuid": uuid, "name": name})),
        );
        op.ok(
            "PUT",
            &format!("/resource_providers/{uuid}/inventories"),
            Some(json!({
                "resource_provider_generation": 0,
                "inventories": {
                    "VCPU": {"total": 32, "allocation_ratio": 4.0},
                    "MEMORY_MB": {"total": 65536, "reserved": 512},
                    "DISK_GB": {"total": 2000, "step_size": 10, "max_unit": 1000},
                    "CUSTOM_OTHER_PROJECT_FPGA": {"total": 2},
                },
            })),
        );
        op.ok(
            "PUT",
            &format!("/resource_providers/{uuid}/traits"),
            Some(json!({
                "resource_provider_generation": 1,
                "traits": ["HW_CPU_X86_AVX2", "CUSTOM_OTHER_PROJECT_GOLD"],
            })),
        );
        op.ok(
            "PUT",
            &format!("/resource_providers/{uuid}/aggregates"),
            Some(json!({"resource_provider_generation": 2, "aggregates": [AGGREGATE]})),
        );
    }
    for (consumer, (rp, _)) in CONSUMERS.iter().zip(RP) {
        op.ok(
            "PUT",
            &format!("/allocations/{consumer}"),
            Some(json!({
                "allocations": {rp: {"resources": {"VCPU": 4, "MEMORY_MB": 2048, "DISK_GB": 100}}},
                "project_id": "other-project",
                "user_id": "other-user",
                "consumer_generation": null,
                "consumer_type": "INSTANCE",
            })),
        );
    }
}

/// `placement-harness digest` of the deployment: written to `file`, or
/// compared with it (`compare`); returns the exit code and stdout.
fn digest(
    server: &FreshPlacement,
    keystone: bool,
    file: &Path,
    compare: bool,
) -> (Option<i32>, String) {
    let personas = server.state_dir.join("personas.yaml");
    let mut args = vec![
        "digest",
        "--target",
        &server.url,
        if compare { "--compare" } else { "--output" },
        file.to_str().unwrap(),
    ];
    if keystone {
        args.extend(["--auth", "token", "--personas", personas.to_str().unwrap()]);
    }
    let out = harness(&args, file.parent().unwrap());
    let stdout = text(&out.stdout);
    if !compare {
        assert_eq!(
            out.status.code(),
            Some(0),
            "{stdout}\n{}",
            text(&out.stderr)
        );
    }
    (out.status.code(), format!("{stdout}{}", text(&out.stderr)))
}

fn harness(args: &[&str], state: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_placement-harness"))
        .args(args)
        .env("XDG_STATE_HOME", state)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A fresh Placement on `db` (behind Keystone with `keystone`) filled with
/// another project's data, and the digest of it taken in a scratch folder
/// of its own: the server, its tag, the folder and the digest's path.
fn populated(db: &str, keystone: bool, what: &str) -> (FreshPlacement, String, PathBuf, PathBuf) {
    common::require_venv();
    let auth = if keystone { "keystone" } else { "noauth2" };
    let tag = format!("{db}-{auth}-{what}");
    let mut options: Vec<&std::ffi::OsStr> = vec!["--db".as_ref(), db.as_ref()];
    if keystone {
        options.extend([
            std::ffi::OsStr::new("--auth"),
            std::ffi::OsStr::new("keystone"),
        ]);
    }
    let server = FreshPlacement::start_with(&tag, &options);
    let op = if keystone {
        Operator::keystone(&server.url, &server.state_dir)
    } else {
        Operator::new(&server.url)
    };
    populate(&op);
    let dir = scratch(&tag);
    let before = dir.join("before.json");
    digest(&server, keystone, &before, false);
    (server, tag, dir, before)
}

/// Starts Placement on `db` (behind Keystone with `keystone`), fills it
/// with another project's data, scans it with the built-in suites, and
/// checks that nothing changed. Returns the scan's JSON report.
fn scan_changes_nothing(db: &str, keystone: bool) -> Value {
    let (server, tag, dir, before) = populated(db, keystone, "scan");
    let report = dir.join("report.json");
    let journal = dir.join("journal");
    let report_arg = format!("json:{}", report.display());
    let personas = server.state_dir.join("personas.yaml");
    let mut args = vec![
        "scan",
        "--target",
        &server.url,
        "--snapshots",
        "off",
        "--quiet",
        "--journal-dir",
        journal.to_str().unwrap(),
        "--report",
        &report_arg,
    ];
    if keystone {
        args.extend(["--auth", "token", "--personas", personas.to_str().unwrap()]);
    }
    let out = harness(&args, &dir);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    // 0 or 1 (issues at or above --fail-on): the scan ran to its end.
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{db}: exit {:?}\n{stdout}\n{stderr}",
        out.status.code()
    );
    let (code, differences) = digest(&server, keystone, &before, true);
    assert_eq!(
        code,
        Some(0),
        "{tag}: the scan changed the deployment: {differences}\n{}\n{stderr}",
        stdout
            .lines()
            .filter(|l| l.contains("cleanup") || l.contains("left"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert!(
        report["requests"].as_u64().unwrap_or(0) > 1000,
        "{db}: {}",
        report["requests"]
    );
    report
}

#[test]
fn a_scan_of_a_populated_postgresql_placement_changes_nothing_and_leaves_nothing() {
    let report = scan_changes_nothing("postgresql", false);
    // The scan judged answers: its issues say what Placement on PostgreSQL
    // does with hostile values (a verdict is computed, none is expected).
    assert!(report["issues"].is_array(), "{report}");
}

#[test]
fn a_scan_of_a_populated_mariadb_placement_changes_nothing_and_leaves_nothing() {
    let report = scan_changes_nothing("mariadb", false);
    assert!(report["issues"].is_array(), "{report}");
}

/// Behind a real Keystone (30.0.0, fernet, with keystonemiddleware in
/// front of Placement), the personas are Keystone users whose roles come
/// from their tokens: `policy` judges their answers, and no tenant
/// isolation finding comes of `tenant-a-admin` (a cloud admin under
/// Placement's default policy, whatever its name says).
#[test]
fn a_keystone_scan_of_a_populated_mariadb_placement_judges_by_token_and_changes_nothing() {
    let report = scan_changes_nothing("mariadb", true);
    let judged = &report["summary"]["judged"];
    assert!(judged["policy"].as_u64().unwrap_or(0) > 1000, "{judged}");
    assert!(
        judged["tenant_isolation"].as_u64().unwrap_or(0) > 0,
        "{judged}"
    );
    assert!(
        judged["auth_required"].as_u64().unwrap_or(0) > 0,
        "{judged}"
    );
    let isolation: Vec<&Value> = report["issues"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["check"] == "tenant_isolation" || i["check"] == "policy")
        .collect();
    assert!(isolation.is_empty(), "{isolation:?}");
}

/// SIGKILL halfway through a scan of a populated Placement on `db` (behind
/// Keystone with `keystone`): the journal knows what the run made, and
/// `cleanup`, given the run's auth options, removes exactly that.
fn kill_9_then_cleanup(db: &str, keystone: bool) {
    let (server, tag, dir, before) = populated(db, keystone, "kill");
    let journals = dir.join("journal");
    let personas = server.state_dir.join("personas.yaml");
    let mut auth: Vec<&str> = Vec::new();
    if keystone {
        auth.extend(["--auth", "token", "--personas", personas.to_str().unwrap()]);
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_placement-harness"))
        .args([
            "scan",
            "--target",
            &server.url,
            "--snapshots",
            "off",
            "--quiet",
        ])
        .args(&auth)
        .arg("--journal-dir")
        .arg(&journals)
        .env("XDG_STATE_HOME", &dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the run has made objects (bounded), then kill it hard.
    let started = Instant::now();
    let journal = loop {
        let found = std::fs::read_dir(&journals)
            .ok()
            .and_then(|mut d| d.find_map(|e| e.ok()))
            .map(|e| e.path())
            .filter(|p| {
                std::fs::read_to_string(p)
                    .map(|t| t.matches("\"created\"").count() >= 5)
                    .unwrap_or(false)
            });
        if let Some(p) = found {
            break p;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "no journal");
        std::thread::sleep(Duration::from_millis(50));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    let run_id = journal.file_stem().unwrap().to_str().unwrap().to_owned();
    let mut args = vec![
        "cleanup",
        "--target",
        &server.url,
        "--run-id",
        &run_id,
        "--journal-dir",
        journals.to_str().unwrap(),
    ];
    args.extend(&auth);
    let out = harness(&args, &dir);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let (code, differences) = digest(&server, keystone, &before, true);
    assert_eq!(
        code,
        Some(0),
        "{tag}: after kill -9 and cleanup: {differences}"
    );
}

#[test]
fn after_kill_9_cleanup_leaves_a_populated_mariadb_placement_as_it_was() {
    kill_9_then_cleanup("mariadb", false);
}

#[test]
fn after_kill_9_cleanup_leaves_a_populated_postgresql_placement_behind_keystone_as_it_was() {
    kill_9_then_cleanup("postgresql", true);
}
