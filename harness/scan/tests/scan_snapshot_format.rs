//! Snapshot files are insta's own: insta itself reads a file the scan
//! wrote and accepts it, and `check` mode leaves `.snap.new` only on a
//! difference.

use std::path::PathBuf;

use placement_harness::exchange::{Exchange, Header, Request, Response};
use placement_harness::snapshot::{self, Redactor, SnapshotMode, SnapshotOutcome};

fn dir(tag: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("snapfmt-{tag}"));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn exchange(body: &str) -> Exchange {
    Exchange::new(
        Request {
            method: "GET".into(),
            url: "http://127.0.0.1:9/resource_providers/0e5b9a8c-2f4e-4c1a-9d7b-3a6f1e2d4c5b"
                .into(),
            persona: "admin".into(),
            headers: vec![Header::new("x-auth-token", "a-secret-token-value")],
            ..Request::default()
        },
        Response {
            status: 404,
            headers: vec![
                Header::new("content-type", "application/json"),
                Header::new("date", "Mon, 23 Nov 2026 13:31:47 GMT"),
                Header::new(
                    "x-openstack-request-id",
                    "req-11111111-2222-4333-8444-555555555555",
                ),
            ],
            body: body.as_bytes().to_vec(),
            ..Response::default()
        },
    )
}

fn content() -> String {
    let env = std::collections::BTreeMap::from([(
        "RP_UUID".to_owned(),
        "0e5b9a8c-2f4e-4c1a-9d7b-3a6f1e2d4c5b".to_owned(),
    )]);
    let r = Redactor::new(&env, "http://127.0.0.1:9");
    let ex = exchange(
        r#"{"errors": [{"status": 404, "detail": "No resource provider with uuid 0e5b9a8c-2f4e-4c1a-9d7b-3a6f1e2d4c5b found", "request_id": "req-11111111-2222-4333-8444-555555555555"}]}"#,
    );
    snapshot::render(&[("unknown provider [admin]", &ex)], &r)
}

#[test]
fn insta_accepts_a_file_the_scan_wrote() {
    let d = dir("insta");
    let path = snapshot::snapshot_path(
        &d,
        "openstack-placement-16.0.0",
        "smoke",
        "unknown provider",
    );
    let c = content();
    assert!(
        c.contains("[uuid:RP_UUID]") && c.contains("[request_id]"),
        "{c}"
    );
    assert!(!c.contains("a-secret-token-value"));
    // With the header a scan writes: what the snapshot describes.
    let out = snapshot::apply_described(
        &path,
        "smoke.yaml",
        "smoke__unknown-provider",
        Some(
            "profile lab-16.0.0-mariadb-keystone: a Placement serving microversions 1.0 to 1.39, --auth token",
        ),
        &c,
        SnapshotMode::Update,
    );
    assert!(
        matches!(out, Ok(Some(SnapshotOutcome::Written(_)))),
        "{out:?}"
    );
    let written = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        written.contains("\ndescription: \"profile lab-16.0.0-mariadb-keystone: "),
        "{written}"
    );
    let folder = path
        .parent()
        .unwrap_or_else(|| panic!("parent"))
        .to_path_buf();
    insta::with_settings!({
        snapshot_path => folder,
        prepend_module_to_snapshot => false,
    }, {
        insta::assert_snapshot!("smoke__unknown-provider", c);
    });
}

#[test]
fn check_mode_matches_or_leaves_snap_new() {
    let d = dir("check");
    let path = snapshot::snapshot_path(&d, "p", "s", "n");
    let new = path.with_extension("snap.new");
    let c = content();
    let missing = snapshot::apply(&path, "s.yaml", "s__n", &c, SnapshotMode::Check);
    assert!(
        matches!(missing, Ok(Some(SnapshotOutcome::Missing(_)))),
        "{missing:?}"
    );
    assert!(new.exists() && !path.exists());
    let written = snapshot::apply(&path, "s.yaml", "s__n", &c, SnapshotMode::Update);
    assert!(matches!(written, Ok(Some(SnapshotOutcome::Written(_)))));
    assert!(!new.exists(), "update removes the stale .snap.new");
    let first = std::fs::read(&path).unwrap_or_default();
    let same = snapshot::apply(&path, "s.yaml", "s__n", &c, SnapshotMode::Check);
    assert!(matches!(same, Ok(Some(SnapshotOutcome::Matched(_)))));
    assert!(!new.exists());
    let changed = snapshot::apply(&path, "s.yaml", "s__n", "other", SnapshotMode::Check);
    assert!(matches!(changed, Ok(Some(SnapshotOutcome::Changed(_)))));
    assert!(new.exists());
    assert_eq!(
        std::fs::read(&path).unwrap_or_default(),
        first,
        "check never rewrites .snap"
    );
    let off = snapshot::apply(&path, "s.yaml", "s__n", "x", SnapshotMode::Off);
    assert!(matches!(off, Ok(None)));
}
