//! The gabbi writer: a shrunk case as a YAML file that
//! `placement-harness run --disposable-target FILE` replays (APIFixture
//! variables for the run's objects; every step sent as its persona through
//! the harness's `as:`, so the replay authenticates however the run does,
//! `--auth token` included). The gabbit for Placement's own functional
//! tests is [`super::upstream`]'s.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::shrink::Shrunk;
use crate::exchange::InputKind;
use crate::finding::CheckId;
use crate::model::route_slug;

/// A YAML scalar: JSON's quoting is valid YAML.
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}

/// The statuses the last step should get for `check` not to fire, when a
/// status says it: a 5xx or a crash on hostile input is the finding, so
/// the test asks for a refusal (or success on valid input) and fails while
/// the bug is there. `None`: the check is not about the status; the test
/// asserts the status seen and names the check under `expect:`.
fn expected_status(check: CheckId, hostile: bool) -> Option<&'static str> {
    match check {
        CheckId::No5xx | CheckId::MalformedInput if hostile => Some("400 || 404 || 409"),
        CheckId::No5xx => Some("200 || 201 || 204 || 400 || 404 || 409"),
        _ => None,
    }
}

/// The file name: `<check>-<route slug>-<short cause fingerprint>.yaml`:
/// one file per root cause.
pub fn file_name(shrunk: &Shrunk, fingerprint: &str) -> String {
    let (method, route) = shrunk
        .steps
        .last()
        .map(|s| (s.method.as_str(), s.route.as_str()))
        .unwrap_or(("get", "/"));
    let short: String = fingerprint.chars().take(8).collect();
    format!(
        "{}-{}-{short}.yaml",
        shrunk.check.as_str(),
        route_slug(method, route)
    )
}

/// The YAML text of a shrunk case.
pub fn render(shrunk: &Shrunk, title: &str, seed: u64) -> String {
    let mut y = String::new();
    let _ = writeln!(
        y,
        "# Found by `placement-harness fuzz --seed {seed}`: {}.",
        shrunk.check.as_str()
    );
    let _ = writeln!(y, "# {}", title.replace('\n', " "));
    let _ = writeln!(
        y,
        "# Replay: placement-harness run --target URL --disposable-target THIS_FILE"
    );
    let _ = writeln!(y, "# (the last test fails while the bug is there).");
    if !shrunk.curl.is_empty() {
        let _ = writeln!(
            y,
            "# curl, as replayed while shrinking (set $TOKEN_<PERSONA>):"
        );
        for c in &shrunk.curl {
            for line in c.lines() {
                let _ = writeln!(y, "#   {line}");
            }
        }
    }
    y.push_str("fixtures:\n- APIFixture\n\ndefaults:\n  request_headers:\n    accept: application/json\n\ntests:\n");
    let n = shrunk.steps.len();
    for (i, step) in shrunk.steps.iter().enumerate() {
        let last = i + 1 == n;
        let _ = writeln!(y, "- name: {}", q(&format!("{:02} {}", i + 1, step.name)));
        if last {
            let _ = writeln!(
                y,
                "  desc: {}",
                q(&format!("{} ({})", title, shrunk.check.as_str()))
            );
        }
        let _ = writeln!(y, "  as: {}", q(&step.persona));
        let _ = writeln!(y, "  {}: {}", step.method, q(&step.path));
        let mut headers = Vec::new();
        if let Some(mv) = &step.microversion {
            headers.push(("openstack-api-version", mv.clone()));
        }
        if step.body.is_some() {
            headers.push(("content-type", "application/json".to_owned()));
        }
        if !headers.is_empty() {
            y.push_str("  request_headers:\n");
            for (k, v) in headers {
                let _ = writeln!(y, "    {k}: {}", q(&v));
            }
        }
        if let Some(body) = &step.body {
            let _ = writeln!(y, "  data: {}", body);
        }
        let seen = shrunk.statuses.get(i).copied().unwrap_or(200);
        let hostile = step.input.kind != InputKind::Valid;
        match (last, expected_status(shrunk.check, hostile)) {
            (true, Some(want)) => {
                let _ = writeln!(y, "  status: {want}");
            }
            (true, None) => {
                let _ = writeln!(y, "  status: {seen}");
                if shrunk.check == CheckId::SecurityHeaders {
                    // gabbi can say this one itself: the header is due.
                    let _ = writeln!(
                        y,
                        "  response_headers:\n    x-content-type-options: nosniff"
                    );
                }
                let _ = writeln!(y, "  expect: [{}]", shrunk.check.as_str());
            }
            (false, _) => {
                let _ = writeln!(y, "  status: {seen}");
            }
        }
        y.push('\n');
    }
    y
}

/// Writes the case into `dir` (created if needed); returns the path.
pub fn write(
    dir: &Path,
    shrunk: &Shrunk,
    fingerprint: &str,
    title: &str,
    seed: u64,
) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(file_name(shrunk, fingerprint));
    std::fs::write(&path, render(shrunk, title, seed))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::Input;
    use crate::fuzz::r#gen::fixed;
    use serde_json::json;

    fn shrunk(check: CheckId, hostile: bool) -> Shrunk {
        let setup = fixed(
            "create provider",
            "POST",
            "/resource_providers".into(),
            "/resource_providers",
            Some(json!({"name": "$ENVIRON['RP_NAME']", "uuid": "$ENVIRON['RP_UUID']"})),
        );
        let mut last = fixed(
            "fuzz 1 GET /allocation_candidates",
            "GET",
            "/allocation_candidates?limit=abc&limit=1".into(),
            "/allocation_candidates",
            None,
        );
        last.persona = "tenant-b-member".into();
        if hostile {
            last.input = Input {
                kind: InputKind::Hostile,
                class: "repeated-parameter".into(),
                value: Some("abc".into()),
            };
        }
        Shrunk {
            check,
            steps: vec![setup, last],
            statuses: vec![200, 500],
            reproduced: true,
            attempts: 3,
            requests: 6,
            curl: vec!["curl -sS -X 'GET' -- 'http://127.0.0.1:1/allocation_candidates'".into()],
            finding: None,
        }
    }

    #[test]
    fn crash_file_asks_for_a_refusal_and_reads_as_a_gabbit() {
        let y = render(
            &shrunk(CheckId::No5xx, true),
            "GET /allocation_candidates answers 500",
            7,
        );
        assert!(y.starts_with("# Found by `placement-harness fuzz --seed 7`: no_5xx."));
        assert!(y.contains("fixtures:\n- APIFixture\n"));
        assert!(y.contains(
            "- name: \"01 create provider\"\n  as: \"admin\"\n  POST: \"/resource_providers\"\n"
        ));
        // No token in the file: the replay authenticates as its run does.
        assert!(!y.contains("x-auth-token"));
        assert!(y.contains("  data: {\"name\":\"$ENVIRON['RP_NAME']\",\"uuid\":\"$ENVIRON['RP_UUID']\"}\n  status: 200\n"));
        assert!(y.contains(
            "  as: \"tenant-b-member\"\n  GET: \"/allocation_candidates?limit=abc&limit=1\"\n"
        ));
        assert!(y.trim_end().ends_with("status: 400 || 404 || 409"));
        assert!(y.contains("#   curl -sS"));
        // The file parses as a suite.
        let suite = crate::suite::parse_suite(&y, std::path::Path::new("found.yaml")).unwrap();
        assert_eq!(suite.tests.len(), 2);
        assert_eq!(suite.tests[1].status, vec![400, 404, 409]);
    }

    #[test]
    fn other_checks_keep_the_status_seen_and_name_the_check() {
        let y = render(&shrunk(CheckId::SecurityHeaders, false), "no nosniff", 1);
        assert!(y.contains("  status: 500\n  response_headers:\n    x-content-type-options: nosniff\n  expect: [security_headers]\n"));
        let y = render(&shrunk(CheckId::No5xx, false), "500", 1);
        assert!(
            y.trim_end()
                .ends_with("status: 200 || 201 || 204 || 400 || 404 || 409")
        );
        let name = file_name(&shrunk(CheckId::No5xx, true), "0a43e41a99");
        assert_eq!(name, "no_5xx-get-allocation-candidates-0a43e41a.yaml");
    }
}
