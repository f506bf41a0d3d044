//! The upstream gabbit: a shrunk case written for Placement's own
//! functional tests (`placement/tests/functional/gabbits/`, loaded by
//! `test_api.py` with `APIFixture`), so that a Placement developer can drop
//! it in as it is. Unlike the harness replay it asks for the exact answer
//! Placement should give and checks its body, puts the shared headers under
//! `defaults`, names the last test after the bug, names invisible and
//! non-ASCII characters in `desc`, and takes a file name `<area>-<what>.yaml` without
//! `_` (stestr groups tests by the file name's words).
//!
//! Only cases whose right answer is known are written: a 5xx or a
//! malformed value accepted, both to be refused with 400, as the admin
//! persona (`APIFixture` authenticates `x-auth-token: admin` only).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::shrink::Shrunk;
use crate::exchange::InputKind;
use crate::finding::CheckId;

/// Why a case has no upstream gabbit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotUpstream {
    /// The check does not say what Placement should answer instead.
    #[error("{0} does not say which answer Placement should give")]
    NoRightAnswer(CheckId),
    /// A step is sent as a persona APIFixture cannot be.
    #[error("a step is sent as {0}, which APIFixture cannot authenticate")]
    Persona(String),
}

/// A YAML scalar: JSON's quoting is valid YAML.
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}

/// Lower-case words of `s`, letters and digits only, joined by `-`, at
/// most `max` of them.
fn words(s: &str, max: usize) -> String {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty() && !w.chars().all(|c| c.is_ascii_digit()) && *w != "N")
        .take(max)
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}

/// The area: the route's last segment that is not a placeholder.
fn area(route: &str) -> String {
    let seg = route
        .split('/')
        .rev()
        .find(|s| !s.is_empty() && !s.starts_with('{'))
        .unwrap_or("root");
    words(seg, 3)
}

/// What is wrong, in a few words.
fn what(shrunk: &Shrunk) -> String {
    let sig = shrunk
        .finding
        .as_ref()
        .map(|f| f.cause.signature.clone())
        .unwrap_or_default();
    let last = shrunk.steps.last();
    match shrunk.check {
        CheckId::No5xx => {
            let e = sig.strip_prefix("exception:").unwrap_or("");
            let w = words(e, 5);
            if w.is_empty() {
                "500".to_owned()
            } else {
                format!("500-{w}")
            }
        }
        _ => {
            let class = last.map(|s| s.input.class.as_str()).unwrap_or("");
            let w = words(class, 4);
            if w.is_empty() {
                "malformed-accepted".to_owned()
            } else {
                format!("{w}-accepted")
            }
        }
    }
}

/// The file name: `<area>-<what>.yaml`, no `_`.
pub fn file_name(shrunk: &Shrunk) -> String {
    let route = shrunk.steps.last().map_or("/", |s| s.route.as_str());
    format!("{}-{}.yaml", area(route), what(shrunk))
}

/// The characters of `text` a reader cannot see or cannot tell from ASCII:
/// controls, format characters (BiDi, zero-width) and every other
/// non-ASCII character (a Cyrillic `О` in `CUSTOM_GОLD`), each as `U+XXXX`.
fn unusual(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text
        .chars()
        .filter(|c| c.is_control() || !c.is_ascii())
        .map(|c| format!("U+{:04X}", c as u32))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The upstream gabbit's text, or why there is none.
pub fn render(shrunk: &Shrunk, title: &str, seed: u64) -> Result<String, NotUpstream> {
    let Some(last) = shrunk.steps.last() else {
        return Err(NotUpstream::NoRightAnswer(shrunk.check));
    };
    let hostile = last.input.kind != InputKind::Valid;
    let right = match shrunk.check {
        CheckId::No5xx if hostile => "refused with 400, not a 500",
        CheckId::MalformedInput if hostile => "refused with 400",
        other => return Err(NotUpstream::NoRightAnswer(other)),
    };
    if let Some(s) = shrunk.steps.iter().find(|s| s.persona != "admin") {
        return Err(NotUpstream::Persona(s.persona.clone()));
    }
    let microversions: Vec<&str> = shrunk
        .steps
        .iter()
        .filter_map(|s| s.microversion.as_deref())
        .collect();
    let shared_mv = microversions
        .first()
        .filter(|m| {
            microversions.iter().all(|x| x == *m) && microversions.len() == shrunk.steps.len()
        })
        .copied();
    let any_body = shrunk.steps.iter().any(|s| s.body.is_some());
    let mut y = String::new();
    let _ = writeln!(y, "# {}", title.replace('\n', " "));
    let _ = writeln!(
        y,
        "# Found by `placement-harness fuzz --seed {seed}` ({}); drop this file into",
        shrunk.check.as_str()
    );
    let _ = writeln!(
        y,
        "# placement/tests/functional/gabbits/: the last test fails until it is fixed."
    );
    y.push_str("\nfixtures:\n- APIFixture\n\ndefaults:\n  request_headers:\n    x-auth-token: admin\n    accept: application/json\n");
    if any_body {
        y.push_str("    content-type: application/json\n");
    }
    if let Some(mv) = shared_mv {
        let _ = writeln!(y, "    openstack-api-version: {}", q(mv));
    }
    y.push_str("\ntests:\n");
    let n = shrunk.steps.len();
    for (i, step) in shrunk.steps.iter().enumerate() {
        let is_last = i + 1 == n;
        let name = if is_last {
            format!(
                "{} {} with {} is {right}",
                step.method, step.route, step.input.class
            )
        } else {
            step.name.clone()
        };
        let _ = writeln!(y, "\n- name: {}", q(&name));
        let body = step.body.as_ref().map(ToString::to_string);
        let hidden = unusual(&format!("{}{}", step.path, body.as_deref().unwrap_or("")));
        if is_last {
            let mut desc = format!("{title} ({})", shrunk.check.as_str());
            if !hidden.is_empty() {
                let _ = write!(
                    desc,
                    "; the request carries {} (invisible or not ASCII)",
                    hidden.join(", ")
                );
            }
            let _ = writeln!(y, "  desc: {}", q(&desc));
        } else if !hidden.is_empty() {
            let _ = writeln!(
                y,
                "  desc: {}",
                q(&format!("carries {}", hidden.join(", ")))
            );
        }
        let _ = writeln!(y, "  {}: {}", step.method, q(&step.path));
        if shared_mv.is_none() {
            if let Some(mv) = &step.microversion {
                let _ = writeln!(
                    y,
                    "  request_headers:\n    openstack-api-version: {}",
                    q(mv)
                );
            }
        }
        if let Some(b) = &body {
            let _ = writeln!(y, "  data: {b}");
        }
        if is_last {
            y.push_str("  status: 400\n  response_json_paths:\n    $.errors[0].status: 400\n");
        } else {
            let seen = shrunk.statuses.get(i).copied().unwrap_or(200);
            let _ = writeln!(y, "  status: {seen}");
        }
    }
    Ok(y)
}

/// Writes the upstream gabbit into `dir/upstream/` (created if needed).
pub fn write(dir: &Path, shrunk: &Shrunk, title: &str, seed: u64) -> Result<PathBuf, String> {
    let text = render(shrunk, title, seed).map_err(|e| e.to_string())?;
    let up = dir.join("upstream");
    std::fs::create_dir_all(&up).map_err(|e| format!("{}: {e}", up.display()))?;
    // Two causes whose words agree keep two files.
    let name = file_name(shrunk);
    let stem = name.trim_end_matches(".yaml");
    let mut path = up.join(&name);
    let mut n = 2;
    while path.exists() {
        path = up.join(format!("{stem}-{n}.yaml"));
        n += 1;
    }
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cause::Cause;
    use crate::exchange::Input;
    use crate::finding::{Finding, Severity};
    use crate::fuzz::r#gen::fixed;
    use crate::oracle::testutil::ex;

    fn limit_case(persona: &str) -> Shrunk {
        let mut last = fixed(
            "fuzz 1 GET /allocation_candidates",
            "GET",
            "/allocation_candidates?resources=VCPU:1&limit=abc&limit=1\u{202E}\u{41E}".into(),
            "/allocation_candidates",
            None,
        );
        last.persona = persona.into();
        last.microversion = Some("placement 1.39".into());
        last.input = Input {
            kind: InputKind::Hostile,
            class: "repeated-parameter".into(),
            value: Some("abc".into()),
        };
        let f = Finding::from_exchange(
            CheckId::No5xx,
            Severity::Medium,
            "t",
            "e",
            &ex("GET", "/allocation_candidates", 500, "{}").build(),
        )
        .because(Cause::new(
            "exception:invalid literal for int() with base N: '…'",
            "t",
        ));
        Shrunk {
            check: CheckId::No5xx,
            steps: vec![last],
            statuses: vec![500],
            reproduced: true,
            attempts: 1,
            requests: 1,
            curl: Vec::new(),
            finding: Some(f),
        }
    }

    #[test]
    fn a_500_asks_for_the_400_placement_should_give() {
        let case = limit_case("admin");
        assert_eq!(
            file_name(&case),
            "allocation-candidates-500-invalid-literal-for-int-with.yaml"
        );
        assert!(!file_name(&case).contains('_'));
        let y = render(&case, "Placement answers 500", 3).unwrap();
        assert!(y.contains("defaults:\n  request_headers:\n    x-auth-token: admin\n"));
        assert!(y.contains("    openstack-api-version: \"placement 1.39\"\n"));
        assert!(y.contains(
            "- name: \"GET /allocation_candidates with repeated-parameter is refused with 400, not a 500\""
        ));
        assert!(y.contains("the request carries U+041E, U+202E"), "{y}");
        assert!(
            y.trim_end()
                .ends_with("status: 400\n  response_json_paths:\n    $.errors[0].status: 400")
        );
        // gabbi-compatible: the harness reads it as a suite.
        let suite = crate::suite::parse_suite(&y, Path::new("up.yaml")).unwrap();
        assert_eq!(suite.tests.len(), 1);
        assert_eq!(suite.tests[0].status, vec![400]);
    }

    #[test]
    fn no_upstream_gabbit_without_a_known_right_answer() {
        assert_eq!(
            render(&limit_case("tenant-b-member"), "t", 1),
            Err(NotUpstream::Persona("tenant-b-member".into()))
        );
        let mut headers = limit_case("admin");
        headers.check = CheckId::SecurityHeaders;
        assert!(matches!(
            render(&headers, "t", 1),
            Err(NotUpstream::NoRightAnswer(CheckId::SecurityHeaders))
        ));
    }
}
