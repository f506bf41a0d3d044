//! A broken suite is refused with `file:line` and what is wrong: bad YAML,
//! unknown keys, wrong types, unknown verbs, unreadable files.

// A test binary: an unexpected result must fail loudly.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use placement_harness::suite::model::{SuiteError, load_suite, parse_suite};

fn error(text: &str) -> String {
    match parse_suite(text, Path::new("scenarios/broken.yaml")) {
        Ok(s) => panic!("accepted: {s:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn broken_yaml() {
    let e = error("tests:\n- name: a\n  GET: /x\n  data: {a: [1, 2}\n");
    assert!(
        e.starts_with("scenarios/broken.yaml:4: invalid YAML: "),
        "{e}"
    );
    let e = error("tests:\n- name: a\n\tGET: /x\n");
    assert!(e.starts_with("scenarios/broken.yaml:"), "{e}");
    assert!(!e.starts_with("scenarios/broken.yaml:0:"), "{e}");
    let e = error("tests:\n- name: a\n  GET: /x\n  GET: /y\n");
    assert!(
        e.starts_with("scenarios/broken.yaml:4: invalid YAML: "),
        "duplicate key: {e}"
    );
}

#[test]
fn unknown_keys() {
    assert_eq!(
        error("tests:\n- name: a\n  GET: /x\n  respnse_strings: [x]\n"),
        "scenarios/broken.yaml:4: unknown key `respnse_strings` in a test"
    );
    assert_eq!(
        error("defaults:\n  stauts: 200\ntests: []\n"),
        "scenarios/broken.yaml:2: unknown key `stauts` in defaults"
    );
    assert_eq!(
        error("tests:\n- name: a\n  GET: /x\n  poll: {count: 2, wait: 1}\n"),
        "scenarios/broken.yaml:4: unknown key `wait` in poll"
    );
    assert!(
        error("tests:\n- name: a\n  FETCH: /x\n")
            .starts_with("scenarios/broken.yaml:3: unknown verb `FETCH` (known: GET, HEAD")
    );
}

#[test]
fn bad_types() {
    assert_eq!(
        error("tests:\n- name: a\n  GET: /x\n  request_headers: [accept]\n"),
        "scenarios/broken.yaml:4: `request_headers` must be a mapping of strings, got a list"
    );
    assert_eq!(
        error("tests:\n- name: a\n  GET: /x\n  status: [200]\n"),
        "scenarios/broken.yaml:4: `status` must be a status or \"200 || 204\", got a list"
    );
    assert_eq!(
        error("tests:\n- name: a\n  GET: /x\n  status: 200 or 204\n"),
        "scenarios/broken.yaml:4: `status`: `200 or 204` is not an HTTP status"
    );
    assert_eq!(
        error("tests:\n- name: a\n  GET: /x\n  poll:\n    count: -1\n"),
        "scenarios/broken.yaml:5: `poll.count` must be a positive integer, got an integer"
    );
    assert_eq!(
        error("tests:\n- name: a\n  GET: /x\n  as_each: [admin]\n"),
        "scenarios/broken.yaml:4: `as_each` must be a mapping of persona to status, got a list"
    );
    assert_eq!(
        error("tests: 3\n"),
        "scenarios/broken.yaml:1: `tests` must be a list of tests, got an integer"
    );
    assert!(error("- a\n").starts_with("scenarios/broken.yaml:1: `suite` must be a mapping"));
}

#[test]
fn unreadable_file() {
    let e = load_suite(Path::new("/nonexistent/suite.yaml")).unwrap_err();
    assert!(matches!(e, SuiteError::Io { .. }));
    assert!(
        e.to_string()
            .starts_with("/nonexistent/suite.yaml: cannot read: "),
        "{e}"
    );
}
