//! `scenarios/cross_tenant.yaml` against a fresh real Placement 16.0.0
//! started with the operator policy file `scenarios/policy/project-readers.yaml`
//! (project readers may read allocations, usages and providers), as the
//! third pass of `scripts/scan-real-placement` runs it.
//!
//! Placement's handlers check those rules without a target, so the rule's
//! `project_id:%(project_id)s` compares the caller's project with itself:
//! tenant B's reader gets tenant A's consumer and provider, and the
//! `probe: foreign|missing` pairs show that B can tell A's objects from
//! missing ones. This test asserts that the scan reports exactly that bug
//! (and that `/usages`, whose handler passes a target, stays refused), and
//! that the profile's committed snapshots still match.

use std::path::PathBuf;
use std::process::Command;

mod common;
use common::{FreshPlacement, repo, require_venv};

const PROFILE: &str = "openstack-placement-16.0.0-project-readers";

fn findings<'a>(report: &'a serde_json::Value, check: &str) -> Vec<&'a serde_json::Value> {
    report["findings"]
        .as_array()
        .map(|a| a.iter().filter(|f| f["check"] == check).collect())
        .unwrap_or_default()
}

fn has(list: &[&serde_json::Value], persona: &str, route: &str) -> bool {
    list.iter()
        .any(|f| f["persona"] == persona && f["method"] == "GET" && f["route"] == route)
}

#[test]
fn tenant_b_reads_tenant_a_and_tells_its_objects_from_missing_ones() {
    require_venv();
    let policy = repo().join("scenarios/policy/project-readers.yaml");
    let server = FreshPlacement::start_with(
        "project-readers",
        &["--policy".as_ref(), policy.as_os_str()],
    );
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cross-tenant-project-readers");
    let _ = std::fs::remove_dir_all(&tmp);
    let report_path = tmp.join("report.json");
    let out = Command::new(env!("CARGO_BIN_EXE_placement-harness"))
        .args(["scan", "--target", &server.url, "--profile", PROFILE])
        .args(["--disposable-target", "--auth", "noauth2", "--quiet"])
        .args([
            "--suite",
            "scenarios/cross_tenant.yaml",
            "--snapshots",
            "check",
        ])
        .arg("--report")
        .arg(format!("json:{}", report_path.display()))
        .arg("--journal-dir")
        .arg(tmp.join("journal"))
        .current_dir(repo())
        .output()
        .unwrap_or_else(|e| panic!("placement-harness: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "findings exit 1\n{stdout}\n{stderr}"
    );
    assert!(
        !stdout.contains("snapshot CHANGED") && !stdout.contains("snapshot missing"),
        "{stdout}"
    );
    assert!(
        stdout.contains("reach scenarios/cross_tenant.yaml: 37 of 37 steps answered")
            && stdout.contains(", 0 missed"),
        "{stdout}"
    );
    let text = std::fs::read_to_string(&report_path).unwrap_or_default();
    let report: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("report.json: {e}"));

    let leaks = findings(&report, "existence_leak");
    let isolation = findings(&report, "tenant_isolation");
    for persona in ["tenant-b-reader", "tenant-b-member"] {
        // A's consumer: 200 with its allocations; a missing one: 200 and
        // `{"allocations": {}}`.
        assert!(
            has(&leaks, persona, "/allocations/{consumer_uuid}"),
            "{leaks:#?}"
        );
        assert!(
            has(&isolation, persona, "/allocations/{consumer_uuid}"),
            "{isolation:#?}"
        );
        // A's provider: 200; a missing one: 404.
        for route in [
            "/resource_providers/{uuid}",
            "/resource_providers/{uuid}/allocations",
            "/resource_providers/{uuid}/usages",
        ] {
            assert!(has(&leaks, persona, route), "{route}: {leaks:#?}");
        }
    }
    assert!(
        leaks
            .iter()
            .any(|f| f["route"] == "/allocations/{consumer_uuid}"
                && f["evidence"] == "same status 200 but the bodies differ beyond ids"),
        "{leaks:#?}"
    );
    // /usages passes a target to the policy (handlers/usage.py), so the
    // rule holds there: refused for A's project and for a missing one alike.
    assert!(
        !leaks
            .iter()
            .chain(&isolation)
            .any(|f| f["route"] == "/usages"),
        "{leaks:#?} {isolation:#?}"
    );
    // Privileged personas are not judged by either oracle.
    assert!(
        !leaks
            .iter()
            .chain(&isolation)
            .any(|f| f["persona"] == "service" || f["persona"] == "tenant-a-admin"),
        "{leaks:#?}"
    );
    // The suite leaves `policy` out (its table is Placement's default one).
    assert!(findings(&report, "policy").is_empty());
}
