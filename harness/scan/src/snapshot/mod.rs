//! Snapshots of what a server reveals: the responses of a step marked
//! `snapshot: true|NAME`, redacted to stable placeholders ([`redact`]) and
//! stored in insta's own `.snap` format under
//! `<dir>/<profile>/<suite stem>__<step slug or NAME>.snap`, so that
//! `cargo insta review` and `cargo insta accept` work on the `.snap.new`
//! files a mismatch leaves, and `placement-harness scan --snapshots
//! check|update` works without cargo.

use std::path::{Path, PathBuf};

use crate::exchange::Exchange;

pub mod redact;

pub use redact::{Numbering, Redactor};

/// Response headers a snapshot keeps: what a reviewer should see change.
pub const SNAPSHOT_HEADERS: &[&str] = &[
    "content-type",
    "location",
    "openstack-api-version",
    "vary",
    "allow",
    "cache-control",
    "last-modified",
    "x-content-type-options",
    "www-authenticate",
];

/// What `--snapshots` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SnapshotMode {
    /// Compare; a difference or a missing file writes `.snap.new`.
    #[default]
    Check,
    /// Write `.snap`, remove a stale `.snap.new`.
    Update,
    /// Neither compare nor write.
    Off,
}

impl std::str::FromStr for SnapshotMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "check" => Ok(SnapshotMode::Check),
            "update" => Ok(SnapshotMode::Update),
            "off" => Ok(SnapshotMode::Off),
            other => Err(format!("{other:?} is not one of check, update, off")),
        }
    }
}

/// What happened to one snapshot file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SnapshotOutcome {
    /// The stored snapshot matched.
    Matched(PathBuf),
    /// Written or rewritten (`update`).
    Written(PathBuf),
    /// Written under `check` because its profile had no snapshots at all
    /// when the run began: the first scan of a deployment records the
    /// baseline the next ones compare with.
    Recorded(PathBuf),
    /// No stored snapshot: the new one is in the `.snap.new` path.
    Missing(PathBuf),
    /// The stored snapshot differs: the new one is in the `.snap.new` path.
    Changed(PathBuf),
}

impl SnapshotOutcome {
    /// Whether this fails a `check` run.
    pub fn is_mismatch(&self) -> bool {
        matches!(
            self,
            SnapshotOutcome::Missing(_) | SnapshotOutcome::Changed(_)
        )
    }
}

/// A snapshot file could not be read or written.
#[derive(Debug, thiserror::Error)]
#[error("snapshot {path}: {reason}")]
pub struct SnapshotError {
    /// The file.
    pub path: String,
    /// The OS error.
    pub reason: String,
}

/// A file-name-safe slug: lower-case ASCII letters, digits and `-`, at most
/// 80 characters; `snapshot` when nothing is left.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.len() >= 80 {
            break;
        }
    }
    let out = out.trim_end_matches('-').to_owned();
    if out.is_empty() {
        "snapshot".to_owned()
    } else {
        out
    }
}

/// A profile name as a folder name: ASCII letters, digits, `.`, `_` and
/// `-` kept (`openstack-placement-16.0.0`), anything else as `-`, never
/// starting with a dot (no `..`, no hidden folder).
pub fn profile_dir(profile: &str) -> String {
    let out: String = profile
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let out = out.trim_start_matches('.').to_owned();
    if out.is_empty() {
        "default".to_owned()
    } else {
        out
    }
}

/// The `.snap` path of a step's snapshot.
pub fn snapshot_path(dir: &Path, profile: &str, suite_stem: &str, name: &str) -> PathBuf {
    dir.join(profile_dir(profile))
        .join(format!("{}__{}.snap", slug(suite_stem), slug(name)))
}

/// Renders one step's exchanges (in expansion order) as snapshot content.
/// `names` are the expansion names, one per exchange.
pub fn render(exchanges: &[(&str, &Exchange)], redactor: &Redactor) -> String {
    let mut numbering = Numbering::default();
    let mut out = String::new();
    for (i, (name, ex)) in exchanges.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let req = ex.request();
        let path = redactor.text(&req.url, &mut numbering);
        let path = path.strip_prefix("[base_url]").unwrap_or(&path).to_owned();
        out.push_str(&format!("== {}\n", redactor.text(name, &mut numbering)));
        out.push_str(&format!(
            "request: {} {path} as {}\n",
            req.method, req.persona
        ));
        out.push_str(&format!("status: {}\n", ex.status()));
        for header in SNAPSHOT_HEADERS {
            if let Some(v) = ex.response_header(header) {
                let v = if *header == "last-modified" {
                    "[date]".to_owned()
                } else {
                    redactor.text(v, &mut numbering)
                };
                out.push_str(&format!("{header}: {v}\n"));
            }
        }
        let body = &ex.response().body;
        if body.is_empty() {
            out.push_str("body: (empty)\n");
            continue;
        }
        out.push_str("body:\n");
        match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(v) => {
                let v = redactor.json(&v, &mut numbering);
                let text = serde_json::to_string_pretty(&v).unwrap_or_default();
                out.push_str(&text);
            }
            Err(_) => out.push_str(redactor.text(&ex.body_text(), &mut numbering).trim_end()),
        }
        if ex.response().truncated {
            out.push_str("\n(body cut at the read limit)");
        }
        out.push('\n');
    }
    out
}

/// The whole `.snap` file: insta's metadata header, then the content.
/// `source` and `expression` are kept to file-name characters so that they
/// are plain YAML scalars, written exactly as insta writes them.
pub fn insta_file(source: &str, expression: &str, content: &str) -> String {
    insta_file_described(source, expression, None, content)
}

/// [`insta_file`] with a `description:` in the header: what the snapshot
/// describes (the profile, the target's microversions, the auth mode), so
/// that a reviewer of a diff sees which deployment answered. The content
/// alone is compared: a new description is no mismatch.
pub fn insta_file_described(
    source: &str,
    expression: &str,
    description: Option<&str>,
    content: &str,
) -> String {
    let description = description
        // A JSON string is a YAML scalar, quotes and all.
        .map(|d| format!("description: {}\n", serde_json::Value::from(d)))
        .unwrap_or_default();
    format!(
        "---\nsource: {}\n{description}expression: {}\n---\n{}\n",
        plain(source),
        plain(expression),
        content.trim_end()
    )
}

fn plain(s: &str) -> String {
    let out: String = s
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'))
        .collect();
    if out.is_empty() {
        "snapshot".to_owned()
    } else {
        out
    }
}

/// The content of a stored `.snap` file (after the metadata), normalised
/// as insta compares it: trailing whitespace trimmed, CRLF as LF.
pub fn stored_content(file_text: &str) -> Option<String> {
    let rest = file_text.strip_prefix("---\n")?;
    let end = rest.find("\n---\n")?;
    let content = rest.get(end + 5..)?;
    Some(content.trim_end().replace("\r\n", "\n"))
}

fn io(path: &Path, e: std::io::Error) -> SnapshotError {
    SnapshotError {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// Compares or writes one snapshot as `mode` says. `Off` returns `None`.
pub fn apply(
    path: &Path,
    source: &str,
    expression: &str,
    content: &str,
    mode: SnapshotMode,
) -> Result<Option<SnapshotOutcome>, SnapshotError> {
    apply_described(path, source, expression, None, content, mode)
}

/// [`apply`], writing `description` into the header of the files it writes.
pub fn apply_described(
    path: &Path,
    source: &str,
    expression: &str,
    description: Option<&str>,
    content: &str,
    mode: SnapshotMode,
) -> Result<Option<SnapshotOutcome>, SnapshotError> {
    let new_path = path.with_extension("snap.new");
    let file = insta_file_described(source, expression, description, content);
    match mode {
        SnapshotMode::Off => Ok(None),
        SnapshotMode::Update => {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
            }
            std::fs::write(path, &file).map_err(|e| io(path, e))?;
            if new_path.exists() {
                std::fs::remove_file(&new_path).map_err(|e| io(&new_path, e))?;
            }
            Ok(Some(SnapshotOutcome::Written(path.to_path_buf())))
        }
        SnapshotMode::Check => {
            let stored = match std::fs::read_to_string(path) {
                Ok(text) => Some(text),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(io(path, e)),
            };
            let wanted = content.trim_end().replace("\r\n", "\n");
            if let Some(stored) = &stored {
                if stored_content(stored).as_deref() == Some(wanted.as_str()) {
                    if new_path.exists() {
                        std::fs::remove_file(&new_path).map_err(|e| io(&new_path, e))?;
                    }
                    return Ok(Some(SnapshotOutcome::Matched(path.to_path_buf())));
                }
            }
            if let Some(parent) = new_path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
            }
            std::fs::write(&new_path, &file).map_err(|e| io(&new_path, e))?;
            Ok(Some(if stored.is_some() {
                SnapshotOutcome::Changed(new_path)
            } else {
                SnapshotOutcome::Missing(new_path)
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_paths() {
        assert_eq!(
            slug("GET a provider [tenant-b-member]"),
            "get-a-provider-tenant-b-member"
        );
        assert_eq!(slug("../../etc"), "etc");
        assert_eq!(slug("!!!"), "snapshot");
        assert_eq!(
            profile_dir("openstack-placement-16.0.0"),
            "openstack-placement-16.0.0"
        );
        assert_eq!(profile_dir("../x"), "-x");
        assert_eq!(
            snapshot_path(Path::new("s"), "embedded", "smoke", "x y"),
            Path::new("s/embedded/smoke__x-y.snap")
        );
    }

    #[test]
    fn file_round_trips() {
        let f = insta_file("smoke.yaml", "smoke__x", "a\n---\nb\n\n");
        assert_eq!(
            f,
            "---\nsource: smoke.yaml\nexpression: smoke__x\n---\na\n---\nb\n"
        );
        assert_eq!(stored_content(&f).as_deref(), Some("a\n---\nb"));
    }
}
