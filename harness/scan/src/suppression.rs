//! Suppressions: issues a deployment has judged and accepted for a while,
//! each with its reason and an expiry date. A suppressed issue is listed
//! as suppressed, never dropped, and no longer fails the run; an expired
//! entry stops the run before it sends anything; an entry that matches no
//! issue of the run is warned about (the issue it named is fixed or its
//! fingerprint changed).
//!
//! ```yaml
//! version: 1
//! suppressions:
//!   - issue: security_headers-34b543c2   # or fingerprint: 34b543c21e59b351
//!     reason: our front-end proxy adds nosniff; scanned behind it in production
//!     expires: 2027-06-30
//!     route: /resource_providers/{uuid}  # optional: every instance on it
//!     persona: admin                     # optional: every instance as it
//! ```
//!
//! With `route` or `persona`, the entry suppresses an issue only when every
//! instance of it is on that route or as that persona: an issue also met
//! elsewhere stays open, so a narrow entry never hides a wider defect.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::finding::CheckId;
use crate::input_file::{FileError, is_date, yaml_error_parts};
use crate::issue::{Issue, Suppressed};

/// The file format version this harness reads.
pub const SUPPRESSIONS_VERSION: u32 = 1;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: Spanned<u32>,
    #[serde(default)]
    suppressions: Vec<EntryFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryFile {
    issue: Option<Spanned<String>>,
    fingerprint: Option<Spanned<String>>,
    reason: Option<Spanned<String>>,
    expires: Option<Spanned<String>>,
    route: Option<String>,
    persona: Option<String>,
}

/// One entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Its line in the file.
    pub line: u64,
    /// The issue id it names, if any.
    pub issue: Option<String>,
    /// The fingerprint it names, if any.
    pub fingerprint: Option<String>,
    /// Why the issue is accepted.
    pub reason: String,
    /// `YYYY-MM-DD`.
    pub expires: String,
    /// Only instances on this route.
    pub route: Option<String>,
    /// Only instances as this persona.
    pub persona: Option<String>,
}

impl Entry {
    fn matches(&self, issue: &Issue) -> bool {
        let named = self.issue.as_deref() == Some(issue.id.as_str())
            || self.fingerprint.as_deref() == Some(issue.fingerprint.as_str());
        named
            && !issue.instances.is_empty()
            && issue.instances.iter().all(|i| {
                self.route.as_deref().is_none_or(|r| r == i.route)
                    && self.persona.as_deref().is_none_or(|p| p == i.persona)
            })
    }
}

/// A suppressions file, checked.
#[derive(Clone, Debug)]
pub struct Suppressions {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its entries.
    pub entries: Vec<Entry>,
}

fn yaml_error(path: &Path, e: &serde_saphyr::Error) -> FileError {
    let (message, line, _) = yaml_error_parts(e);
    FileError::at(path, line, message)
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

impl Suppressions {
    /// Reads and checks a suppressions file against `today` (`YYYY-MM-DD`).
    pub fn load(path: &Path, today: &str) -> Result<Self, FileError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| FileError::at(path, 1, format!("cannot read the suppressions: {e}")))?;
        Self::parse(path, &text, today)
    }

    /// Parses and checks a suppressions file (`path` is for messages).
    pub fn parse(path: &Path, text: &str, today: &str) -> Result<Self, FileError> {
        let file: File = serde_saphyr::from_str(text).map_err(|e| yaml_error(path, &e))?;
        if file.version.value != SUPPRESSIONS_VERSION {
            return Err(FileError::at(
                path,
                file.version.referenced.line(),
                format!(
                    "version {} is not {SUPPRESSIONS_VERSION}, the version this harness reads",
                    file.version.value
                ),
            ));
        }
        let mut entries = Vec::new();
        for e in file.suppressions {
            let first = [&e.issue, &e.fingerprint, &e.reason, &e.expires]
                .into_iter()
                .flatten()
                .map(|s| s.referenced.line())
                .min()
                .unwrap_or(1);
            let at = |line: u64, m: String| FileError::at(path, line, m);
            if let Some(id) = &e.issue {
                let well_formed = id.value.rsplit_once('-').is_some_and(|(check, hex)| {
                    CheckId::try_from(check.to_owned()).is_ok() && is_hex(hex, 8)
                });
                if !well_formed {
                    return Err(at(
                        id.referenced.line(),
                        format!(
                            "issue {:?} is not an issue id (CHECK-xxxxxxxx, as reports list them)",
                            id.value
                        ),
                    ));
                }
            }
            if let Some(fp) = &e.fingerprint {
                if !is_hex(&fp.value, 16) {
                    return Err(at(
                        fp.referenced.line(),
                        format!("fingerprint {:?} is not 16 lower-case hex digits", fp.value),
                    ));
                }
            }
            if e.issue.is_none() && e.fingerprint.is_none() {
                return Err(at(
                    first,
                    "an entry names no issue: give issue or fingerprint".into(),
                ));
            }
            let reason = match &e.reason {
                Some(r) if !r.value.trim().is_empty() => r.value.trim().to_owned(),
                Some(r) => return Err(at(r.referenced.line(), "the reason is empty".into())),
                None => return Err(at(first, "an entry without a reason".into())),
            };
            let expires = match &e.expires {
                Some(d) if is_date(d.value.trim()) => {
                    let day = d.value.trim().to_owned();
                    if day.as_str() < today {
                        return Err(at(
                            d.referenced.line(),
                            format!(
                                "the suppression expired on {day}: judge the issue again, then \
                                 renew the entry or remove it"
                            ),
                        ));
                    }
                    day
                }
                Some(d) => {
                    return Err(at(
                        d.referenced.line(),
                        format!("expires {:?} is not a date YYYY-MM-DD", d.value),
                    ));
                }
                None => {
                    return Err(at(
                        first,
                        "an entry without an expiry date (expires: YYYY-MM-DD)".into(),
                    ));
                }
            };
            entries.push(Entry {
                line: first,
                issue: e.issue.map(|s| s.value),
                fingerprint: e.fingerprint.map(|s| s.value),
                reason,
                expires,
                route: e.route,
                persona: e.persona,
            });
        }
        Ok(Suppressions {
            path: path.to_owned(),
            entries,
        })
    }

    /// Marks the issues an entry covers as suppressed; returns a warning
    /// for each entry that covered none.
    pub fn apply(&self, issues: &mut [Issue]) -> Vec<String> {
        let mut used = vec![false; self.entries.len()];
        for issue in issues.iter_mut() {
            if let Some((n, e)) = self
                .entries
                .iter()
                .enumerate()
                .find(|(_, e)| e.matches(issue))
            {
                if let Some(u) = used.get_mut(n) {
                    *u = true;
                }
                issue.suppressed = Some(Suppressed {
                    reason: e.reason.clone(),
                    expires: e.expires.clone(),
                    by: format!("{}:{}", self.path.display(), e.line),
                });
            }
        }
        self.entries
            .iter()
            .zip(used)
            .filter(|(_, u)| !u)
            .map(|(e, _)| {
                format!(
                    "warning: {}:{}: the suppression of {} matches no issue of this run \
                     (fixed, or met elsewhere too)",
                    self.path.display(),
                    e.line,
                    e.issue
                        .as_deref()
                        .or(e.fingerprint.as_deref())
                        .unwrap_or("?")
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: &str = "2026-12-07";

    fn parse(text: &str) -> Result<Suppressions, String> {
        Suppressions::parse(Path::new("s.yaml"), text, TODAY).map_err(|e| e.to_string())
    }

    #[test]
    fn bad_files_name_their_line() {
        let cases = [
            ("version: 2\n", "s.yaml:1: version 2 is not 1"),
            (
                "version: 1\nsuppressions:\n  - issue: no_5xx-0123abcd\n    reason: r\n    expires: 2027-01-01\n    colour: red\n",
                "s.yaml:6:",
            ),
            (
                "version: 1\nsuppressions:\n  - issue: no_5xx-0123abcd\n    reason: r\n    expires: 2026-12-06\n",
                "s.yaml:5: the suppression expired on 2026-12-06",
            ),
            (
                "version: 1\nsuppressions:\n  - issue: no_5xx-0123abcd\n    reason: r\n    expires: 2027-02-30\n",
                "s.yaml:5: expires \"2027-02-30\" is not a date",
            ),
            (
                "version: 1\nsuppressions:\n  - issue: nothing-0123abcd\n    reason: r\n    expires: 2027-01-01\n",
                "s.yaml:3: issue \"nothing-0123abcd\" is not an issue id",
            ),
            (
                "version: 1\nsuppressions:\n  - fingerprint: 0123\n    reason: r\n    expires: 2027-01-01\n",
                "s.yaml:3: fingerprint",
            ),
            (
                "version: 1\nsuppressions:\n  - issue: no_5xx-0123abcd\n    expires: 2027-01-01\n",
                "s.yaml:3: an entry without a reason",
            ),
            (
                "version: 1\nsuppressions:\n  - issue: no_5xx-0123abcd\n    reason: '  '\n    expires: 2027-01-01\n",
                "s.yaml:4: the reason is empty",
            ),
            (
                "version: 1\nsuppressions:\n  - reason: r\n    expires: 2027-01-01\n",
                "s.yaml:3: an entry names no issue",
            ),
        ];
        for (text, want) in cases {
            let got = parse(text).expect_err(text);
            assert!(got.starts_with(want), "{text}\ngot: {got}\nwant: {want}");
        }
        // Expiring today is still in force.
        assert!(
            parse("version: 1\nsuppressions:\n  - issue: no_5xx-0123abcd\n    reason: r\n    expires: 2026-12-07\n")
                .is_ok()
        );
    }
}
