//! The `terminal` report: a plain-text table of finding counts by check and
//! severity, then one line per finding, for a person reading a CI log.

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
    let _ = write!(s, "\n{:<20}", "check");
    for sev in Severity::ALL {
        let _ = write!(s, " {:>8}", sev.as_str());
    }
    let _ = writeln!(s, " {:>8}", "total");
    for check in CheckId::ALL {
        let _ = write!(s, "{:<20}", check.as_str());
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
