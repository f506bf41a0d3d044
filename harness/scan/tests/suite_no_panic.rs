//! Nothing in the suite library panics on hostile input: arbitrary suite
//! text, JSONPaths and templates give values or errors, and resource
//! bombs (deep nesting, alias expansion) are refused.

use std::collections::BTreeMap;
use std::path::Path;

use placement_harness::suite::jsonpath::GabbiPath;
use placement_harness::suite::model::parse_suite;
use placement_harness::suite::substitute::{Context, Recorded, check_templates, substitute_str};
use proptest::prelude::*;

/// Characters that matter to the three grammars, so that random strings
/// reach their corners rather than only their first error.
fn grammar_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("$".to_owned()),
            Just("$RESPONSE['".to_owned()),
            Just("$HISTORY[\"".to_owned()),
            Just("$ENVIRON['A']".to_owned()),
            Just("'] ".to_owned()),
            Just("[?".to_owned()),
            Just(".`len`".to_owned()),
            Just("..".to_owned()),
            Just("tests:\n- name: a\n  GET: /x\n".to_owned()),
            Just("  ".to_owned()),
            Just("\n".to_owned()),
            "[\\[\\]'\"`.:=<>?()*@ a-z0-9{},&|-]{0,4}",
            "\\PC{0,3}",
        ],
        0..12,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn no_panic(text in grammar_text()) {
        let _ = parse_suite(&text, Path::new("fuzz.yaml"));
        if let Ok(path) = GabbiPath::parse(&text) {
            let _ = path.extract(&serde_json::json!({"a": [1, {"b": "c"}], "len": 2}));
        }
        let _ = check_templates(&text);
        let environ = BTreeMap::from([("A".to_owned(), "x".to_owned())]);
        let prior = Recorded { url: "/p".to_owned(), headers: vec![], json: Some(serde_json::json!({"a": 1})) };
        let ctx = Context { environ: &environ, prior: Some(&prior), history: &[], current_url: None, scheme: "http", netloc: "h" };
        let _ = substitute_str(&text, &ctx);
    }
}

#[test]
fn deep_nesting_is_refused() {
    let deep = format!(
        "tests:\n- name: a\n  GET: /x\n  data: {}1{}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let e = parse_suite(&deep, Path::new("deep.yaml"));
    assert!(e.is_err());
}

#[test]
fn alias_bombs_are_refused() {
    let mut text = String::from("vars:\n  - &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let prev = i - 1;
        text.push_str(&format!("  - &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"));
    }
    text.push_str("tests: []\n");
    assert!(parse_suite(&text, Path::new("bomb.yaml")).is_err());
}
