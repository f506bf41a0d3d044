//! Baselines: an earlier run's JSON report, read back for its issues, so
//! that a run can say which of its issues are new, which known, and which
//! are fixed, and `--fail-on` can judge the new ones only. `diff` compares
//! two reports the same way.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::input_file::{FileError, line_of};
use crate::issue::{Issue, Status};
use crate::report::REPORT_VERSION;

/// The issues of an earlier report.
#[derive(Clone, Debug)]
pub struct Baseline {
    /// Where it was read from.
    pub path: PathBuf,
    /// The target it was taken against.
    pub url: String,
    /// Its profile.
    pub profile: String,
    /// Its issues (fixed ones included).
    pub issues: Vec<Issue>,
}

#[derive(Deserialize)]
struct Version {
    report_version: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetFile {
    url: String,
    profile: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // every key of a report is named so that an unknown one is refused
struct ReportFile {
    report_version: u32,
    tool: IgnoredAny,
    target: TargetFile,
    run_id: IgnoredAny,
    started_at: IgnoredAny,
    duration_ms: IgnoredAny,
    requests: IgnoredAny,
    issues: Vec<Issue>,
    findings: IgnoredAny,
    errors: IgnoredAny,
    #[serde(default)]
    claims: Option<IgnoredAny>,
    summary: IgnoredAny,
}

impl Baseline {
    /// Reads a JSON report written by `--report json:PATH`.
    pub fn load(path: &Path) -> Result<Self, FileError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| FileError::at(path, 1, format!("cannot read the baseline: {e}")))?;
        Self::parse(path, &text)
    }

    /// Parses a JSON report (`path` is for messages).
    pub fn parse(path: &Path, text: &str) -> Result<Self, FileError> {
        let json_error = |e: serde_json::Error| {
            FileError::at(
                path,
                u64::try_from(e.line()).unwrap_or(1),
                format!("not a placement-harness JSON report: {e}"),
            )
        };
        let version: Version = serde_json::from_str(text).map_err(json_error)?;
        if version.report_version.is_none() {
            return Err(FileError::at(
                path,
                1,
                format!(
                    "no report_version: not a placement-harness JSON report of version \
                     {REPORT_VERSION} (write one with --report json:PATH)"
                ),
            ));
        }
        let file: ReportFile = serde_json::from_str(text).map_err(json_error)?;
        if file.report_version != REPORT_VERSION {
            return Err(FileError::at(
                path,
                line_of(text, "\"report_version\""),
                format!(
                    "report_version {} is not {REPORT_VERSION}, the version this harness reads",
                    file.report_version
                ),
            ));
        }
        Ok(Baseline {
            path: path.to_owned(),
            url: file.target.url,
            profile: file.target.profile,
            issues: file.issues,
        })
    }

    /// A warning when the baseline was taken against another target or
    /// profile than this run's: its issues may not be comparable.
    pub fn mismatch(&self, url: &str, profile: &str) -> Option<String> {
        (self.url != url || self.profile != profile).then(|| {
            format!(
                "warning: the baseline {} is from {} (profile {}), this run is against {} \
                 (profile {}): new and fixed issues may only be the difference in target",
                self.path.display(),
                self.url,
                self.profile,
                url,
                profile
            )
        })
    }

    /// The baseline's issues still present when it was taken, by fingerprint.
    fn present(&self) -> BTreeMap<&str, &Issue> {
        self.issues
            .iter()
            .filter(|i| i.status != Some(Status::Fixed))
            .map(|i| (i.fingerprint.as_str(), i))
            .collect()
    }

    /// `issues` marked new or known against the baseline, followed by the
    /// baseline's issues that are not among them, marked fixed and listed
    /// without instances (their findings are not in this run).
    pub fn mark(&self, issues: &mut Vec<Issue>) {
        let before = self.present();
        let now: BTreeSet<String> = issues.iter().map(|i| i.fingerprint.clone()).collect();
        for issue in issues.iter_mut() {
            issue.status = Some(if before.contains_key(issue.fingerprint.as_str()) {
                Status::Known
            } else {
                Status::New
            });
        }
        for (fp, old) in before {
            if !now.contains(fp) {
                let mut fixed = old.clone();
                fixed.instances.clear();
                fixed.status = Some(Status::Fixed);
                fixed.suppressed = None;
                issues.push(fixed);
            }
        }
    }
}

/// How two reports' issues differ.
#[derive(Clone, Debug, Default)]
pub struct Diff<'a> {
    /// In the new report only.
    pub new: Vec<&'a Issue>,
    /// In the old report only.
    pub fixed: Vec<&'a Issue>,
    /// In both, with another severity or number of instances: (old, new).
    pub changed: Vec<(&'a Issue, &'a Issue)>,
    /// In both, unchanged.
    pub unchanged: usize,
}

/// Compares two reports' issues by fingerprint.
pub fn diff<'a>(old: &'a Baseline, new: &'a Baseline) -> Diff<'a> {
    let before = old.present();
    let after = new.present();
    let mut d = Diff::default();
    for (fp, n) in &after {
        match before.get(fp) {
            None => d.new.push(n),
            Some(o) if o.severity != n.severity || o.instances.len() != n.instances.len() => {
                d.changed.push((o, n));
            }
            Some(_) => d.unchanged += 1,
        }
    }
    d.fixed = before
        .iter()
        .filter(|(fp, _)| !after.contains_key(*fp))
        .map(|(_, o)| *o)
        .collect();
    let order = |a: &&Issue, b: &&Issue| b.severity.cmp(&a.severity).then(a.id.cmp(&b.id));
    d.new.sort_by(order);
    d.fixed.sort_by(order);
    d.changed.sort_by(|a, b| order(&a.1, &b.1));
    d
}

impl Diff<'_> {
    /// The text `diff` prints.
    pub fn render(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let line = |s: &mut String, i: &Issue| {
            let _ = writeln!(
                s,
                "  {:<8} {} {} ({} instance{})",
                i.severity.as_str(),
                i.id,
                i.title.replace(['\n', '\r'], " "),
                i.instances.len(),
                if i.instances.len() == 1 { "" } else { "s" }
            );
        };
        let _ = writeln!(s, "new: {}", self.new.len());
        for i in &self.new {
            line(&mut s, i);
        }
        let _ = writeln!(s, "fixed: {}", self.fixed.len());
        for i in &self.fixed {
            line(&mut s, i);
        }
        let _ = writeln!(s, "changed: {}", self.changed.len());
        for (o, n) in &self.changed {
            let _ = writeln!(
                s,
                "  {} -> {} {} {} ({} -> {} instances)",
                o.severity.as_str(),
                n.severity.as_str(),
                n.id,
                n.title.replace(['\n', '\r'], " "),
                o.instances.len(),
                n.instances.len()
            );
        }
        let _ = writeln!(s, "unchanged: {}", self.unchanged);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Severity;
    use crate::report::{fixture, json};

    fn as_baseline(report: &crate::report::Report) -> Baseline {
        let text = json::render(report).unwrap_or_default();
        Baseline::parse(Path::new("old.json"), &text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_report_reads_back_as_its_issues() {
        let report = fixture::report();
        let b = as_baseline(&report);
        assert_eq!(b.issues, report.issues);
        assert_eq!(b.profile, "openstack-placement-16.0.0");
        assert!(
            b.mismatch(&report.target.url, &report.target.profile)
                .is_none()
        );
        let w = b.mismatch("http://other", "openstack-placement-15.0.0");
        assert!(w.is_some_and(|w| w.contains("http://other")));
    }

    #[test]
    fn a_bad_baseline_names_its_line() {
        let good = json::render(&fixture::report()).unwrap_or_default();
        let cases = [
            (
                "{\n\"a\": ",
                "old.json:2: not a placement-harness JSON report",
            ),
            ("{\"tool\": {}}", "old.json:1: no report_version"),
            (
                &*good.replacen("\"report_version\": 1", "\"report_version\": 7", 1),
                "old.json:2: report_version 7 is not 1",
            ),
            (
                &*good.replacen("\"tool\"", "\"colour\": 1,\n  \"tool\"", 1),
                "old.json:3: not a placement-harness JSON report: unknown field `colour`",
            ),
            (
                &*good.replacen("\"check\": \"auth_required\"", "\"check\": \"nothing\"", 1),
                "unknown check \"nothing\"",
            ),
        ];
        for (text, want) in cases {
            let got = Baseline::parse(Path::new("old.json"), text)
                .map(|_| String::new())
                .unwrap_or_else(|e| e.to_string());
            assert!(got.contains(want), "got: {got}\nwant: {want}");
        }
    }

    #[test]
    fn issues_are_new_known_or_fixed() {
        let report = fixture::report();
        let mut old = as_baseline(&report);
        let gone = old.issues.remove(0);
        let mut extra = old.issues[0].clone();
        extra.fingerprint = "00000000000000ff".into();
        extra.id = "no_5xx-00000000".into();
        old.issues.push(extra);
        let mut issues = report.issues.clone();
        old.mark(&mut issues);
        let status = |fp: &str| {
            issues
                .iter()
                .find(|i| i.fingerprint == fp)
                .and_then(|i| i.status)
        };
        assert_eq!(status(&gone.fingerprint), Some(Status::New));
        assert_eq!(status(&report.issues[1].fingerprint), Some(Status::Known));
        assert_eq!(status("00000000000000ff"), Some(Status::Fixed));
        let fixed = issues.iter().find(|i| i.status == Some(Status::Fixed));
        assert!(fixed.is_some_and(|i| i.instances.is_empty()));
        assert_eq!(issues.len(), report.issues.len() + 1);
    }

    #[test]
    fn diff_names_new_fixed_and_changed() {
        let report = fixture::report();
        let old = as_baseline(&report);
        let mut new = old.clone();
        let fixed = new.issues.remove(0);
        new.issues[0].severity = Severity::Critical;
        let d = diff(&old, &new);
        assert!(d.new.is_empty());
        assert_eq!(d.fixed.len(), 1);
        assert_eq!(d.fixed[0].fingerprint, fixed.fingerprint);
        assert_eq!(d.changed.len(), 1);
        assert_eq!(d.unchanged, report.issues.len() - 2);
        let text = d.render();
        assert!(
            text.contains("fixed: 1") && text.contains(&fixed.id),
            "{text}"
        );
        assert!(text.contains("-> critical"), "{text}");
        let back = diff(&new, &old);
        assert_eq!(back.new.len(), 1);
    }
}
