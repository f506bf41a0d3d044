//! Conformance corpus: every gabbit file of the installed Placement parses
//! without error, and every JSONPath in it translates (templates aside).

use std::path::PathBuf;

use placement_harness::suite::jsonpath::GabbiPath;
use placement_harness::suite::model::load_suite;

fn gabbits_dir() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let rel = ".placement/venv/lib/python3.11/site-packages/placement/tests/functional/gabbits";
    // The worktree's own .placement first, then the main checkout's.
    [
        manifest.join("../..").join(rel),
        PathBuf::from("/work/main").join(rel),
    ]
    .into_iter()
    .find(|p| p.is_dir())
    .unwrap_or_default()
}

#[test]
fn every_gabbit_parses() {
    let dir = gabbits_dir();
    let Ok(read) = std::fs::read_dir(&dir) else {
        eprintln!("note: no Placement gabbits found (run scripts/placement-up); skipped");
        return;
    };
    let mut files: Vec<PathBuf> = read
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    let mut tests = 0;
    let mut paths = 0;
    let mut errors = Vec::new();
    for file in &files {
        match load_suite(file) {
            Ok(suite) => {
                tests += suite.tests.len();
                for t in &suite.tests {
                    for (path, _) in &t.response_json_paths {
                        // Templates are filled in at run time; a path with
                        // one cannot be translated before.
                        if path.contains("$ENVIRON")
                            || path.contains("$HISTORY")
                            || path.contains("$RESPONSE")
                        {
                            continue;
                        }
                        paths += 1;
                        if let Err(e) = GabbiPath::parse(path) {
                            errors.push(format!("{}: test `{}`: {e}", file.display(), t.name));
                        }
                    }
                }
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    println!(
        "{} gabbit files, {tests} tests, {paths} template-free JSONPaths parse",
        files.len()
    );
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    assert!(!files.is_empty());
}
