//! The `terminal` report: a plain-text table of finding counts by check and
//! severity, with how many answers each check judged (a check with 0
//! findings and 0 judged was not checked), then what the run could not do,
//! then one line per finding, for a person reading a CI log.

use std::fmt::Write as _;

use crate::finding::{CheckId, Severity};
use crate::report::Report;

/// Renders the summary table.
pub fn render(report: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "placement-harness {}: {} against {} ({}), {} requests, {} findings",
        report.tool.version,
        report.run_id,
        report.target.url,
        report.target.profile,
        report.requests,
        report.findings.len()
    );
    let _ = write!(s, "\n{:<20} {:>8}", "check", "judged");
    for sev in Severity::ALL {
        let _ = write!(s, " {:>8}", sev.as_str());
    }
    let _ = writeln!(s, " {:>8}", "total");
    for check in CheckId::ALL {
        let judged = report
            .summary
            .judged
            .get(check.as_str())
            .copied()
            .unwrap_or(0);
        let _ = write!(s, "{:<20} {judged:>8}", check.as_str());
        let mut total = 0;
        for sev in Severity::ALL {
            let n = report
                .findings_of(check)
                .filter(|f| f.severity == sev)
                .count();
            total += n;
            let _ = write!(
                s,
                " {:>8}",
                if n == 0 {
                    "-".to_owned()
                } else {
                    n.to_string()
                }
            );
        }
        let _ = writeln!(s, " {total:>8}");
    }
    if !report.errors.is_empty() {
        let counts: Vec<String> = report
            .summary
            .errors
            .iter()
            .map(|(kind, n)| format!("{n} {kind}"))
            .collect();
        let _ = writeln!(s, "\nnot done: {}", counts.join(", "));
        for e in &report.errors {
            let _ = writeln!(
                s,
                "  {:<8} {}: {}",
                e.kind,
                e.place,
                e.message.replace(['\n', '\r'], " ")
            );
        }
    }
    if !report.findings.is_empty() {
        let _ = writeln!(s);
    }
    for f in &report.findings {
        let _ = writeln!(
            s,
            "{:<8} {:<18} {} {} as {}: {} [{}]",
            f.severity.as_str(),
            f.check.as_str(),
            f.method,
            f.route,
            f.persona,
            // One line per finding: newlines from evidence would break it.
            f.evidence.replace(['\n', '\r'], " "),
            f.id
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    #[test]
    fn snapshot() {
        let out = render(&fixture::report());
        assert!(out.contains("no_5xx"));
        insta::assert_snapshot!(out);
    }
}
