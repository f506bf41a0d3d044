//! Where the checked-in corpus lives and which of its files are inputs;
//! shared by the replay test and the throughput example so both read the
//! same files.

use std::fs;
use std::path::{Path, PathBuf};

/// `corpus/` at the repository root.
pub fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../corpus")
}

/// The input files directly inside `dir`, sorted; `.gitkeep` and other dot
/// files only keep empty folders in git.
pub fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(|p| {
            !p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'))
        })
        .collect();
    files.sort();
    files
}

/// A target's seeds, then its regressions.
pub fn seeds_and_regressions(target: &str) -> Vec<PathBuf> {
    let dir = corpus_root().join(target);
    let mut files = inputs(&dir);
    files.extend(inputs(&dir.join("regressions")));
    files
}
