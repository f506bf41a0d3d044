//! The options `run`, `scan` and `fuzz` share act alike in each command.
//! Here: `--read-only` in `fuzz`, against the embedded server, as `scan`
//! and `run` honour it in their own tests.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use placement_harness::cli::main_with;

fn harness(args: &[&str]) -> (u8, String, String) {
    let mut v = vec!["placement-harness".to_owned()];
    v.extend(args.iter().map(|s| (*s).to_owned()));
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = main_with(v, &mut out, &mut err);
    (
        code,
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
    )
}

/// The number before " not sent by the guard" in fuzz's summary line.
fn not_sent(out: &str) -> u64 {
    let at = out
        .find(" not sent by the guard")
        .unwrap_or_else(|| panic!("{out}"));
    let head = &out[..at];
    let start = head.rfind('(').unwrap_or_else(|| panic!("{out}")) + 1;
    head[start..]
        .parse()
        .unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// What `cleanup --list` says `dir`'s one journal holds.
fn journaled(dir: &Path) -> String {
    let d = dir.display().to_string();
    let (code, out, err) = harness(&["cleanup", "--list", "--journal-dir", &d]);
    assert_eq!(code, 0, "{err}");
    out
}

fn fuzz(tag: &str, extra: &[&str]) -> (PathBuf, String) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("shared-options-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let d = dir.display().to_string();
    let mut args = vec![
        "fuzz",
        "--seed",
        "3",
        "--max-requests",
        "150",
        "--max-time",
        "60s",
        "--no-shrink",
        "--quiet",
        "--keep",
        "--journal-dir",
        &d,
    ];
    args.extend_from_slice(extra);
    let (code, out, err) = harness(&args);
    assert!(code <= 1, "{code}: {out}\n{err}");
    (dir, out)
}

#[test]
fn fuzz_read_only_sends_no_write_and_journals_nothing() {
    let (dir, out) = fuzz("writes", &[]);
    assert!(
        !journaled(&dir).contains("nothing"),
        "a fuzz run that may write creates objects: {}",
        journaled(&dir)
    );
    let writes_refused = not_sent(&out);
    let (dir, out) = fuzz("read-only", &["--read-only"]);
    let listing = journaled(&dir);
    assert!(listing.contains("  nothing  "), "{listing}");
    assert!(
        not_sent(&out) > writes_refused,
        "--read-only must refuse the generated writes: {out}"
    );
}
