//! The scan's snapshots are insta's own files, as far as `cargo insta
//! review` is concerned, without needing cargo-insta here:
//!
//! - every committed `.snap` (and any `.snap.new` a scan left) under
//!   `scenarios/snapshots/` is read by insta's own parser
//!   (`insta::Snapshot::from_file`, what cargo-insta loads), with the
//!   suite file as `source` and `<suite>__<step>` as `expression`, and
//!   insta's view of its contents is exactly what the scan compares;
//! - a `.snap.new` the scan writes in `check` mode, saved the way
//!   `cargo insta accept` saves it (`Snapshot::save` on the `.snap` path),
//!   gives the byte-identical file `--snapshots update` writes, which the
//!   next `check` then matches.
//!
//! This file is a test target of `harness/scan` whose source lives here,
//! in `scenarios/snapshots/`, because cargo-insta finds pending snapshots
//! only in the folders of the workspace's targets (see
//! `harness/scan/Cargo.toml`).

use std::path::{Path, PathBuf};

use placement_harness::snapshot::{self, SnapshotMode, SnapshotOutcome, stored_content};

fn snapshot_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        if path.is_dir() {
            snapshot_files(&path, out);
        } else if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(".snap") || n.ends_with(".snap.new"))
        {
            out.push(path);
        }
    }
}

/// Insta's normalised view of a snapshot file's contents.
fn insta_contents(path: &Path) -> (insta::Snapshot, String) {
    let snap = insta::Snapshot::from_file(path)
        .unwrap_or_else(|e| panic!("insta cannot read {}: {e}", path.display()));
    let text = snap
        .contents()
        .as_text()
        .unwrap_or_else(|| panic!("{} is not a text snapshot", path.display()))
        .to_string();
    (snap, text)
}

#[test]
fn every_scan_snapshot_is_read_by_insta_as_the_scan_reads_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/snapshots");
    let mut files = Vec::new();
    snapshot_files(&root, &mut files);
    assert!(files.len() > 30, "only {} snapshot files", files.len());
    for path in files {
        let (snap, contents) = insta_contents(&path);
        let source = snap.metadata().source().unwrap_or_default();
        assert!(
            source.ends_with(".yaml") && !source.contains('/'),
            "{}: source {source:?}",
            path.display()
        );
        let stem = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.split(".snap").next())
            .unwrap_or_default();
        assert_eq!(
            snap.metadata().expression(),
            Some(stem),
            "{}",
            path.display()
        );
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            stored_content(&text).as_deref(),
            Some(contents.as_str()),
            "{}: insta and the scan read different contents",
            path.display()
        );
    }
}

#[test]
fn accepting_a_snap_new_as_cargo_insta_does_gives_what_update_writes() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("insta-accept");
    let _ = std::fs::remove_dir_all(&dir);
    let path = snapshot::snapshot_path(&dir, "embedded", "smoke", "list providers");
    let (source, expression) = ("smoke.yaml", "smoke__list-providers");
    let old = "== list providers [admin]\nstatus: 200\nbody:\n{\n  \"resource_providers\": []\n}";
    let new = "== list providers [admin]\nstatus: 200\nbody:\n{\n  \"resource_providers\": [\n    \"[uuid:1]\"\n  ]\n}";
    let written = snapshot::apply(&path, source, expression, old, SnapshotMode::Update);
    assert!(
        matches!(written, Ok(Some(SnapshotOutcome::Written(_)))),
        "{written:?}"
    );
    let changed = snapshot::apply(&path, source, expression, new, SnapshotMode::Check);
    let Ok(Some(SnapshotOutcome::Changed(pending))) = changed else {
        panic!("{changed:?}");
    };
    assert_eq!(pending, path.with_extension("snap.new"));
    // What cargo-insta shows as old and new.
    assert_eq!(insta_contents(&path).1, old);
    let (pending_snap, pending_contents) = insta_contents(&pending);
    assert_eq!(pending_contents, new);
    // `cargo insta accept`: the pending snapshot saved over the old one,
    // the `.snap.new` removed.
    pending_snap
        .save(&path)
        .unwrap_or_else(|e| panic!("insta cannot save {}: {e}", path.display()));
    std::fs::remove_file(&pending).unwrap_or_else(|e| panic!("{e}"));
    let accepted = std::fs::read(&path).unwrap_or_default();
    let matched = snapshot::apply(&path, source, expression, new, SnapshotMode::Check);
    assert!(
        matches!(matched, Ok(Some(SnapshotOutcome::Matched(_)))),
        "{matched:?}"
    );
    assert!(!pending.exists());
    snapshot::apply(&path, source, expression, new, SnapshotMode::Update)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        String::from_utf8_lossy(&accepted),
        String::from_utf8_lossy(&std::fs::read(&path).unwrap_or_default()),
        "accepted with insta and written by --snapshots update differ"
    );
}
