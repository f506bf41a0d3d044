//! The gabbi writer: a shrunk case as a YAML file that
//! `placement-harness run --disposable-target FILE` replays and that reads
//! like one of Placement's own gabbits (APIFixture variables for the run's
//! objects, `x-auth-token: admin` for the admin persona; other personas
//! through the harness's `as:` extension).

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

/// The file name: `<check>-<route slug>-<short finding id>.yaml`.
pub fn file_name(shrunk: &Shrunk, finding_id: &str) -> String {
    let (method, route) = shrunk
        .steps
        .last()
        .map(|s| (s.method.as_str(), s.route.as_str()))
        .unwrap_or(("get", "/"));
    let short: String = finding_id.chars().take(8).collect();
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
        if step.persona != "admin" {
            let _ = writeln!(y, "  as: {}", q(&step.persona));
        }
        let _ = writeln!(y, "  {}: {}", step.method, q(&step.path));
        let mut headers = Vec::new();
        if step.persona == "admin" {
            headers.push(("x-auth-token", "admin".to_owned()));
        }
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
    finding_id: &str,
    title: &str,
    seed: u64,
) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(file_name(shrunk, finding_id));
    std::fs::write(&path, render(shrunk, title, seed))?;
    Ok(path)
}
