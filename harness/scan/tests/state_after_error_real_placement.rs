//! `state_after_error` against a fresh real Placement 16.0.0: the 5xx
//! answers to writes that Placement really gives (a lone surrogate in a
//! provider's new name or in an allocation's project, `PUT
//! .../inventories` with a non-class key mapped to a number) are each followed by a read-back through the scan's
//! sender, and the oracle's verdict is whatever those reads show.
//!
//! What they show on 16.0.0: neither write took effect. The rename fails
//! inside the database transaction (oslo.db's `DBInvalidUnicodeParameter`
//! on binding the name: `oslo_db/exception.py:203`), which is rolled back;
//! the inventory PUT fails in `handlers/inventory.py:71`
//! (`inventory_data.update(1)`) before any database work; a lone surrogate
//! in an allocation's `project_id` fails the same way as the rename, when
//! the project row is written, before the consumer is made. So the scan must
//! report no `state_after_error` finding, and the `no_5xx` finding of each
//! write must carry the read-back that shows it. Were Placement to commit
//! either write before failing, the read-back would show the requested
//! state and this test would fail.
//!
//! Fails, saying how to set it up, when the venv is missing (`scripts/test`
//! installs it).

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

mod common;
use common::{FreshPlacement, repo, require_venv};

const SUITE: &str = r#"
fixtures:
- APIFixture

defaults:
  request_headers:
    accept: application/json
    content-type: application/json
    openstack-api-version: placement 1.39

tests:
- name: set up a provider
  POST: /resource_providers
  as: admin
  data:
    name: $ENVIRON['RP_NAME']
    uuid: $ENVIRON['RP_UUID']
  status: 200

- name: a lone surrogate in the new name
  PUT: /resource_providers/$ENVIRON['RP_UUID']
  as: admin
  data: '{"name": "\ud800 $ENVIRON[''RP_NAME'']"}'
  status: 500

- name: a non-class key in the inventories
  PUT: /resource_providers/$ENVIRON['RP_UUID']/inventories
  as: admin
  data: '{"resource_provider_generation": 0, "inventories": {"VCPU": {"total": 4}, "lower": 1}}'
  status: 500

- name: set up its inventory
  PUT: /resource_providers/$ENVIRON['RP_UUID']/inventories
  as: admin
  data:
    resource_provider_generation: 0
    inventories:
      VCPU:
        total: 8
  status: 200

- name: a lone surrogate in the consumer's project
  PUT: /allocations/$ENVIRON['CONSUMER_UUID']
  as: admin
  data: '{"allocations": {"$ENVIRON[''RP_UUID'']": {"resources": {"VCPU": 1}}}, "project_id": "\ud800", "user_id": "$ENVIRON[''USER_ID'']", "consumer_generation": null, "consumer_type": "INSTANCE"}'
  status: 500
"#;

#[test]
fn real_placement_5xx_writes_are_read_back_and_did_not_take_effect() {
    require_venv();
    let server = FreshPlacement::start("state-after-error");
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("state-after-error");
    std::fs::create_dir_all(&dir).unwrap();
    let suite = dir.join("writes_after_error.yaml");
    std::fs::write(&suite, SUITE).unwrap();
    let report = dir.join("report.json");
    let out = Command::new(env!("CARGO_BIN_EXE_placement-harness"))
        .arg("scan")
        .args(["--target", &server.url, "--suite"])
        .arg(&suite)
        .args([
            "--profile",
            "openstack-placement-16.0.0",
            "--snapshots",
            "off",
        ])
        .args(["--quiet", "--disposable-target", "--journal-dir"])
        .arg(dir.join("journals"))
        .arg("--report")
        .arg(format!("json:{}", report.display()))
        .current_dir(repo())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "findings expected: {stderr}");
    let report: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert!(
        findings.iter().all(|f| f["check"] != "state_after_error"),
        "Placement 16.0.0 commits neither write: {findings:#?}"
    );
    // Two set-ups, three writes, one read-back each.
    assert!(report["requests"].as_u64().unwrap() >= 8, "{report}");
    for (route, read) in [
        ("/resource_providers/{uuid}", "/resource_providers/"),
        (
            "/resource_providers/{uuid}/inventories",
            "/inventories -> 200: not in place",
        ),
        ("/allocations/{consumer_uuid}", "/allocations/"),
    ] {
        let f = findings
            .iter()
            .find(|f| f["check"] == "no_5xx" && f["method"] == "PUT" && f["route"] == route)
            .unwrap_or_else(|| panic!("no no_5xx finding on PUT {route}: {findings:#?}"));
        assert_eq!(f["response"]["status"], 500);
        let evidence = f["evidence"].as_str().unwrap();
        assert!(
            evidence.contains("nothing of the write took effect")
                && evidence.contains("read-back GET ")
                && evidence.contains(read)
                && evidence.contains("curl ")
                && !evidence.contains("unknown"),
            "{evidence}"
        );
        assert!(!evidence.contains("x-auth-token: admin"), "{evidence}");
    }
}
