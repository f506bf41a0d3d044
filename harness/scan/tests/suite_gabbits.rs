//! Conformance corpus: every gabbit file of the installed Placement parses
//! without error, and every JSONPath in it translates (templates aside).

use std::path::PathBuf;

use placement_harness::suite::jsonpath::GabbiPath;
use placement_harness::suite::model::{Data, Test, load_suite};
use placement_harness::suite::substitute::check_templates;
use serde_json::Value;

mod common;

/// Every string of a test that templates may appear in.
fn strings(t: &Test) -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => out.push(s.clone()),
            Value::Array(a) => a.iter().for_each(|i| walk(i, out)),
            Value::Object(o) => o.iter().for_each(|(k, i)| {
                out.push(k.clone());
                walk(i, out)
            }),
            _ => {}
        }
    }
    let mut out = vec![t.url.clone()];
    out.extend(t.request_headers.iter().map(|(_, v)| v.clone()));
    out.extend(t.response_headers.iter().map(|(_, v)| v.clone()));
    out.extend(t.response_strings.iter().cloned());
    out.extend(
        t.query_parameters
            .iter()
            .flat_map(|(_, v)| v.iter().cloned()),
    );
    for (k, v) in &t.response_json_paths {
        out.push(k.clone());
        walk(v, &mut out);
    }
    if let Some(Data::Value(v)) = &t.data {
        walk(v, &mut out);
    }
    out
}

/// Stand in for templates inside a JSONPath, as a run would fill them in.
fn fill_placeholders(path: &str) -> String {
    /// Length of `$NAME['arg']` at the start of `s` (the argument ends at
    /// the first matching quote followed by `]`, as gabbi reads it).
    fn template_len(s: &str, name: &str) -> Option<usize> {
        let rest = s.strip_prefix(name)?;
        let quote = rest.chars().nth(1)?;
        let close = format!("{quote}]");
        Some(name.len() + 2 + rest[2..].find(&close)? + 2)
    }
    let mut out = path.to_owned();
    for name in ["$HISTORY[", "$ENVIRON[", "$RESPONSE["] {
        let name = &name[..name.len() - 1];
        while let Some(i) = out.find(&format!("{name}[")) {
            let Some(mut len) = template_len(&out[i..], name) else {
                break;
            };
            if name == "$HISTORY" && out[i + len..].starts_with(".$") {
                len += 1 + template_len(&out[i + len + 1..], "$RESPONSE").unwrap_or(0);
            }
            out.replace_range(i..i + len, "x");
        }
    }
    out
}

/// Placement's gabbits inside the venv `scripts/placement-up` installs.
fn gabbits_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(".placement/venv/lib/python3.11/site-packages/placement/tests/functional/gabbits")
}

#[test]
fn every_gabbit_parses() {
    let dir = gabbits_dir();
    let read = std::fs::read_dir(&dir).unwrap_or_else(|e| {
        panic!(
            "no Placement gabbits at {}: {e}: {}",
            dir.display(),
            common::SET_UP
        )
    });
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
                    for text in strings(t) {
                        if let Err(e) = check_templates(&text) {
                            errors.push(format!("{}: test `{}`: {e}", file.display(), t.name));
                        }
                    }
                    for (path, _) in &t.response_json_paths {
                        paths += 1;
                        let path = fill_placeholders(path);
                        if let Err(e) = GabbiPath::parse(&path) {
                            errors.push(format!("{}: test `{}`: {e}", file.display(), t.name));
                        }
                    }
                }
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    println!(
        "{} gabbit files, {tests} tests, {paths} JSONPaths translate",
        files.len()
    );
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    assert!(!files.is_empty());
}
