//! Replays every checked-in corpus file through its fuzz target's check.
//!
//! `corpus/<target>/` holds the seeds we wrote and `corpus/<target>/regressions/`
//! the minimised inputs of crashes the fuzzer found; both must pass on every
//! `cargo test`. A corpus folder with no target, or a target with no seeds, is
//! a failure too: either would let a rename silently stop the replay.

use std::fs;

use placement_fuzzing as fuzz;

mod common;
use common::corpus::{corpus_root, inputs, seeds_and_regressions};

/// Fuzz targets over a running server, not the core.
const HTTP_TARGETS: &[&str] = &["http_placement"];

#[test]
fn every_corpus_folder_names_a_target() {
    let mut unknown = Vec::new();
    for entry in fs::read_dir(corpus_root()).expect("corpus/ exists at the repository root") {
        let entry = entry.expect("corpus/ is readable");
        if !entry.path().is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        // HTTP targets send requests to a server: their corpus is replayed
        // by the scan crate (harness/scan/tests/http_target.rs).
        if HTTP_TARGETS.contains(&name.as_str()) {
            continue;
        }
        if fuzz::target(&name).is_none() {
            unknown.push(name);
        }
    }
    assert!(
        unknown.is_empty(),
        "corpus folders without a fuzz target: {unknown:?}"
    );
}

#[test]
fn every_target_has_seeds_and_a_regressions_folder() {
    for target in fuzz::TARGETS {
        let dir = corpus_root().join(target.name);
        assert!(
            !inputs(&dir).is_empty(),
            "corpus/{} has no seed files",
            target.name
        );
        assert!(
            dir.join("regressions").is_dir(),
            "corpus/{}/regressions/ is missing",
            target.name
        );
    }
}

#[test]
fn every_corpus_file_passes_its_target() {
    let mut failures = Vec::new();
    let mut replayed = 0;
    for target in fuzz::TARGETS {
        for file in seeds_and_regressions(target.name) {
            let data = fs::read(&file).expect("corpus file is readable");
            replayed += 1;
            if let Err(failure) = (target.run)(&data) {
                failures.push(format!("{}: {failure}", file.display()));
            }
        }
    }
    assert!(replayed > 0, "no corpus file was replayed");
    assert!(
        failures.is_empty(),
        "{} of {replayed} corpus files fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Seeds that the core refuses one and all would leave the fuzzer mutating
/// only the rejection paths: each JSON and query corpus must hold inputs the
/// core accepts as well as inputs it refuses.
#[test]
fn body_and_query_seeds_reach_both_verdicts() {
    use placement_core::{body, query::CandidatesQuery};
    // Whether the core accepts a seed; `None` for a seed too short to split.
    type Accepts<'a> = &'a dyn Fn(&[u8]) -> Option<bool>;
    let count = |target: &str, accepts: Accepts| {
        let (mut yes, mut no) = (0, 0);
        for file in inputs(&corpus_root().join(target)) {
            let data = fs::read(&file).expect("corpus file is readable");
            match accepts(&data) {
                Some(true) => yes += 1,
                Some(false) => no += 1,
                None => {}
            }
        }
        (yes, no)
    };
    let checks: [(&str, Accepts); 3] = [
        ("allocation_body", &|d| {
            let (kind, mv, bytes) = fuzz::split_allocation_input(d)?;
            Some(body::parse(kind, mv, bytes).is_ok())
        }),
        ("write_body", &|d| {
            let (kind, mv, bytes) = body::split_fuzz_input(d)?;
            Some(body::parse(kind, mv, bytes).is_ok())
        }),
        ("candidates_query", &|d| {
            let (mv, raw) = fuzz::split_query_input(d)?;
            Some(CandidatesQuery::parse(mv, &raw).is_ok())
        }),
    ];
    for (target, accepts) in checks {
        let (accepted, refused) = count(target, accepts);
        assert!(
            accepted >= 5 && refused >= 5,
            "corpus/{target}: {accepted} seeds accepted, {refused} refused"
        );
    }
}
