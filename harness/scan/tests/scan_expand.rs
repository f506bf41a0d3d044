//! Expansion and corpora: what one suite step becomes before anything is
//! sent, and the embedded corpora it draws from.

use std::collections::BTreeMap;
use std::path::Path;

use placement_harness::core::ids;
use placement_harness::corpus::{self, CORPUS_NAMES};
use placement_harness::exchange::InputKind;
use placement_harness::finding::CheckId;
use placement_harness::suite::expand::{concrete_test, expand_suite, fill_input};
use placement_harness::suite::model::Data;
use placement_harness::suite::parse_suite;

fn personas() -> Vec<String> {
    ["admin", "tenant-b-member", "anonymous"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
}

fn classes(name: &str) -> Vec<String> {
    match corpus::corpus(name) {
        Some(c) => c.inputs.iter().map(|i| i.class.clone()).collect(),
        None => panic!("no corpus {name}"),
    }
}

#[test]
fn every_named_corpus_exists_and_is_not_empty() {
    for name in CORPUS_NAMES {
        let c = corpus::corpus(name).unwrap_or_else(|| panic!("{name}"));
        assert!(!c.inputs.is_empty(), "{name} is empty");
    }
    assert!(corpus::corpus("uuid/nope").is_none());
}

#[test]
fn malformed_uuids_are_no_uuid_and_spellings_are_non_canonical() {
    let malformed = corpus::corpus("uuid/malformed").unwrap_or_else(|| panic!("corpus"));
    for i in &malformed.inputs {
        let parsed = std::str::from_utf8(&i.bytes).ok().and_then(ids::classify);
        assert!(parsed.is_none(), "{} parses as a UUID", i.class);
        assert_eq!(i.kind, InputKind::MalformedUuid);
    }
    let names = classes("uuid/malformed");
    for c in ["36-dashes", "trailing-newline", "empty", "sql-fragment"] {
        assert!(names.iter().any(|n| n == c), "{c} missing from {names:?}");
    }
    assert!(!names.iter().any(|n| n == "canonical"));
    let spellings = corpus::corpus("uuid/spellings").unwrap_or_else(|| panic!("corpus"));
    for i in &spellings.inputs {
        let text = String::from_utf8_lossy(&i.bytes);
        match ids::classify(&text) {
            Some((_, s)) => assert_ne!(s, ids::Spelling::Canonical, "{}", i.class),
            None => panic!("{} is no spelling", i.class),
        }
    }
    let names = classes("uuid/spellings");
    for c in ["upper-case", "dashless", "braced", "urn-uuid"] {
        assert!(names.iter().any(|n| n == c), "{c} missing from {names:?}");
    }
}

#[test]
fn name_corpora_split_by_prefix_and_judge_validity() {
    let rc = corpus::corpus("names/resource_class").unwrap_or_else(|| panic!("corpus"));
    assert!(
        rc.inputs
            .iter()
            .all(|i| i.class.starts_with("rc-") || i.class.starts_with("custom-rc-"))
    );
    let kind = |class: &str| {
        rc.inputs
            .iter()
            .find(|i| i.class == class)
            .map(|i| i.kind.clone())
    };
    // The selector byte is gone and validity is the core's verdict.
    assert_eq!(kind("rc-standard-vcpu"), Some(InputKind::Valid));
    assert_eq!(kind("rc-trailing-newline"), Some(InputKind::MalformedName));
    assert_eq!(kind("rc-sql"), Some(InputKind::MalformedName));
    let sql = rc.inputs.iter().find(|i| i.class == "rc-sql");
    assert_eq!(sql.map(|i| i.text()), Some("CUSTOM_X' OR 1=1--".to_owned()));
    assert!(classes("names/trait").iter().all(|c| c.contains("trait-")));
    assert!(
        classes("names/provider")
            .iter()
            .all(|c| c.starts_with("provider-name-"))
    );
    assert!(
        classes("names/external_id")
            .iter()
            .all(|c| c.starts_with("external-id-"))
    );
    assert!(
        classes("names/consumer_type")
            .iter()
            .all(|c| c.starts_with("consumer-type-"))
    );
}

#[test]
fn built_in_lists() {
    let ints = corpus::corpus("integers/hostile").unwrap_or_else(|| panic!("corpus"));
    let values: Vec<String> = ints.inputs.iter().map(|i| i.text()).collect();
    for v in [
        "2147483647",
        "2147483648",
        "9007199254740992",
        "9223372036854775808",
        "1000000000000000000000000000000",
        "-1",
        "0",
        "1.5",
        "\"1\"",
        "true",
        "null",
    ] {
        assert!(values.iter().any(|x| x == v), "{v} missing");
    }
    let mv: Vec<String> = corpus::corpus("microversion/odd")
        .unwrap_or_else(|| panic!("corpus"))
        .inputs
        .iter()
        .map(|i| i.text())
        .collect();
    for v in [
        "placement 1.999",
        "placement 0.9",
        "placement 1.0000039",
        "placement 1.1_0",
        "placement 1.1, placement 1.2",
        "compute 2.1",
        "",
    ] {
        assert!(mv.iter().any(|x| x == v), "{v:?} missing");
    }
}

#[test]
fn input_encodings() {
    let c = corpus::corpus("uuid/malformed").unwrap_or_else(|| panic!("corpus"));
    let nl = c
        .inputs
        .iter()
        .find(|i| i.class == "trailing-newline")
        .unwrap_or_else(|| panic!("trailing-newline"));
    assert!(nl.text().ends_with('\n'));
    assert!(nl.url_encoded().ends_with("%0A"));
    assert!(nl.json_literal().ends_with("\\n\""));
    let filled = fill_input("/a/$INPUT_URL?x=$INPUT_JSON&y=$INPUT", nl);
    assert_eq!(
        filled,
        format!(
            "/a/{}?x={}&y={}",
            nl.url_encoded(),
            nl.json_literal(),
            nl.text()
        )
    );
}

const SUITE: &str = "\
defaults:
  request_headers:
    openstack-api-version: placement 1.39
tests:
- name: plain
  GET: /
- name: probe
  GET: /resource_providers/$INPUT_URL
  request_headers:
    x-note: $INPUT
  data:
    $INPUT: {name: $INPUT_JSON}
  each: integers/hostile
  as_each:
    admin: 200 || 404
    tenant-b-member: 403
  expect: [malformed_input, \"!no_5xx\"]
  severity: high
- name: opted out
  GET: /
  as: anonymous
  expect: [\"!no_internal_leak\"]
";

#[test]
fn as_each_times_each_in_order_with_names_and_statuses() {
    let suite = parse_suite(SUITE, Path::new("s.yaml")).unwrap_or_else(|e| panic!("{e}"));
    let steps = expand_suite(&suite, &personas()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(steps.len(), 3);
    assert_eq!(steps[0].expansions.len(), 1);
    assert_eq!(steps[0].expansions[0].name, "plain");
    assert_eq!(steps[0].expansions[0].persona, None);
    let probe = &steps[1];
    assert_eq!(probe.expansions.len(), 2 * 11);
    assert_eq!(probe.expansions[0].name, "probe [admin] [int32-max]");
    assert_eq!(probe.expansions[0].status, vec![200, 404]);
    assert_eq!(
        probe.expansions[11].name,
        "probe [tenant-b-member] [int32-max]"
    );
    assert_eq!(probe.expansions[11].status, vec![403]);
    assert!(probe.oracles.enabled(CheckId::MalformedInput));
    assert!(!probe.oracles.enabled(CheckId::No5xx));
    assert!(!probe.oracles.enabled(CheckId::Policy));
    assert!(steps[2].oracles.enabled(CheckId::Policy));
    assert!(!steps[2].oracles.enabled(CheckId::NoInternalLeak));

    let (t, input) = concrete_test(&probe.test, &probe.expansions[8], &Default::default());
    assert_eq!(input.map(|i| i.class), Some("string-1".to_owned()));
    assert_eq!(t.name, "probe [admin] [string-1]");
    assert_eq!(t.url, "/resource_providers/%221%22");
    assert!(
        t.request_headers
            .iter()
            .any(|(n, v)| n == "x-note" && v == "\"1\"")
    );
    match &t.data {
        Some(Data::Value(v)) => {
            assert_eq!(v, &serde_json::json!({"\"1\"": {"name": "\"\\\"1\\\"\""}}))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(t.security.as_persona.as_deref(), Some("admin"));
    assert_eq!(t.status, vec![200, 404]);
}

fn error_of(text: &str) -> String {
    let suite = parse_suite(text, Path::new("dir/bad.yaml")).unwrap_or_else(|e| panic!("{e}"));
    match expand_suite(&suite, &personas()) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn unknown_persona_corpus_oracle_or_severity_name_file_and_line() {
    let e = error_of("tests:\n- name: a\n  GET: /\n- name: b\n  GET: /\n  as: mallory\n");
    assert!(e.starts_with("dir/bad.yaml:4:"), "{e}");
    assert!(e.contains("unknown persona \"mallory\""), "{e}");
    let e = error_of("tests:\n- name: a\n  GET: /\n  as_each: {admin: 200, eve: 403}\n");
    assert!(
        e.starts_with("dir/bad.yaml:2:") && e.contains("\"eve\""),
        "{e}"
    );
    let e = error_of("tests:\n- name: a\n  GET: /\n  each: uuid/everything\n");
    assert!(e.contains("unknown corpus \"uuid/everything\""), "{e}");
    assert!(e.contains("uuid/malformed"), "{e}");
    let e = error_of("tests:\n- name: a\n  GET: /\n  expect: [\"!no_6xx\"]\n");
    assert!(e.contains("unknown oracle \"no_6xx\""), "{e}");
    // Severities are checked by the parser already.
    let e = parse_suite(
        "tests:\n- name: a\n  GET: /\n  severity: dire\n",
        Path::new("b.yaml"),
    );
    assert!(
        matches!(e, Err(ref err) if err.to_string().starts_with("b.yaml:4:")),
        "{e:?}"
    );
}

#[test]
fn spell_writes_a_real_uuid_in_each_spelling() {
    let text = "tests:\n- name: spelled\n  GET: /resource_providers/$SPELL(RP_UUID)\n  \
                as: admin\n  each: uuid/spellings\n  data: {uuid: $SPELL(RP_UUID), raw: $INPUT}\n";
    let suite = parse_suite(text, Path::new("s.yaml")).unwrap_or_else(|e| panic!("{e}"));
    let steps = expand_suite(&suite, &personas()).unwrap_or_else(|e| panic!("{e}"));
    let env = BTreeMap::from([(
        "RP_UUID".to_owned(),
        "0e5b9a8c-2f4e-4c1a-9d7b-3a6f1e2d4c5b".to_owned(),
    )]);
    let step = &steps[0];
    let mut seen = Vec::new();
    for e in &step.expansions {
        let (t, input) = concrete_test(&step.test, e, &env);
        let input = input.unwrap_or_else(|| panic!("input"));
        let spelled = input.text();
        let path = t.url.trim_start_matches("/resource_providers/");
        assert_eq!(path, spelled, "{}", e.name);
        match ids::classify(&spelled) {
            Some((uuid, s)) => {
                assert_eq!(uuid.to_string(), "0e5b9a8c-2f4e-4c1a-9d7b-3a6f1e2d4c5b");
                assert_ne!(s, ids::Spelling::Canonical);
                seen.push(s);
            }
            None => panic!("{spelled}"),
        }
        match &t.data {
            Some(Data::Value(v)) => {
                assert_eq!(v["uuid"], serde_json::Value::String(spelled.clone()));
                assert_eq!(v["raw"], serde_json::Value::String(spelled.clone()));
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(seen.contains(&ids::Spelling::UpperCase) && seen.contains(&ids::Spelling::Urn));
    // Outside uuid/spellings, and with an unknown variable, it stays as written.
    let (out, first) = placement_harness::suite::expand::fill_spell(
        "/x/$SPELL(NOPE)/$SPELL(RP_UUID)",
        ids::Spelling::Braced,
        &env,
    );
    assert_eq!(
        out,
        "/x/$SPELL(NOPE)/{0e5b9a8c-2f4e-4c1a-9d7b-3a6f1e2d4c5b}"
    );
    assert_eq!(
        first.as_deref(),
        Some("{0e5b9a8c-2f4e-4c1a-9d7b-3a6f1e2d4c5b}")
    );
}

/// The UUID corpora are exactly the checked-in files under
/// `harness/scan/corpora/uuid` (a canonical UUID there is no hostile input
/// and is left out), not the fuzz target's `corpus/uuid_parse`, which
/// libFuzzer grows with every local run.
#[test]
fn uuid_corpora_are_the_scanners_own_checked_in_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpora")
        .join("uuid");
    let mut on_disk = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        let name = path.file_name().and_then(|n| n.to_str()).map(str::to_owned);
        if let (true, Some(name)) = (path.is_file(), name) {
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{e}"));
            on_disk.insert(name, bytes);
        }
    }
    let mut embedded = BTreeMap::new();
    for name in ["uuid/malformed", "uuid/spellings"] {
        for input in corpus::corpus(name)
            .unwrap_or_else(|| panic!("{name}"))
            .inputs
        {
            assert_eq!(
                on_disk.get(&input.class),
                Some(&input.bytes),
                "{name} input {} is not the file of that name under {}",
                input.class,
                dir.display()
            );
            embedded.insert(input.class, input.bytes);
        }
    }
    for (name, bytes) in &on_disk {
        let canonical = std::str::from_utf8(bytes)
            .ok()
            .and_then(ids::classify)
            .is_some_and(|(_, s)| s == ids::Spelling::Canonical);
        assert!(
            canonical || embedded.contains_key(name),
            "{} holds {name}, which no UUID corpus embeds",
            dir.display()
        );
    }
}
