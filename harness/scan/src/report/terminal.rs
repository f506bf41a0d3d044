//! The `terminal` report: a plain-text table of finding counts by check and
//! severity, with how many answers each check judged (a check with 0
//! findings and 0 judged was not checked) and how many issues the findings
//! are, then what the run could not do, then the issues worst first, each
//! with one instance, or all of them and a reproducer when verbose, for a
//! person reading a CI log.

use std::fmt::Write as _;

use crate::finding::{CheckId, Severity};
use crate::report::Report;

/// Renders the report in full (what `--report terminal:PATH` writes).
pub fn render(report: &Report) -> String {
    render_with(report, true)
}

/// Renders the summary table and the issues; `verbose` lists every
/// instance of each issue with its reproducer, otherwise one.
pub fn render_with(report: &Report, verbose: bool) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "placement-harness {}: {} against {} ({}), {} requests, {} issues ({} findings)",
        report.tool.version,
        report.run_id,
        report.target.url,
        report.target.profile,
        report.requests,
        report.issues.len(),
        report.findings.len()
    );
    let _ = write!(s, "\n{:<20} {:>8}", "check", "judged");
    for sev in Severity::ALL {
        let _ = write!(s, " {:>8}", sev.as_str());
    }
    let _ = writeln!(s, " {:>8} {:>8}", "total", "issues");
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
        let issues = report.issues.iter().filter(|i| i.check == check).count();
        let _ = writeln!(s, " {total:>8} {issues:>8}");
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
    if !report.claims.is_empty() {
        let _ = writeln!(s, "\nclaims:");
        for c in &report.claims {
            let why = match c.verdict {
                crate::claim::Verdict::Confirmed => c.issues.join(", "),
                crate::claim::Verdict::Untestable => c
                    .steps
                    .iter()
                    .filter_map(|st| st.reason.as_deref())
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
                _ => {
                    let held = c.steps.iter().filter(|st| st.outcome == "held").count();
                    format!("{held} of {} steps held", c.steps.len())
                }
            };
            let _ = writeln!(s, "  {:<10} {:<12} {why}", c.claim, c.verdict.as_str());
        }
    }
    // One line per issue, newlines from titles and evidence flattened: a
    // CI log reader greps it.
    let flat = |t: &str| t.replace(['\n', '\r'], " ");
    for issue in &report.issues {
        let mut marks = Vec::new();
        if let Some(st) = issue.status {
            marks.push(st.as_str().to_owned());
        }
        if let Some(sup) = &issue.suppressed {
            marks.push(format!(
                "suppressed until {} by {}: {}",
                sup.expires,
                sup.by,
                flat(&sup.reason)
            ));
        }
        let marks = if marks.is_empty() {
            String::new()
        } else {
            format!(" ({})", marks.join("; "))
        };
        let _ = writeln!(
            s,
            "\n{:<8} {} {} [{}; {} instance{}]{marks}",
            issue.severity.as_str(),
            issue.id,
            flat(&issue.title),
            issue.cwe,
            issue.instances.len(),
            if issue.instances.len() == 1 { "" } else { "s" }
        );
        let shown = if verbose { issue.instances.len() } else { 1 };
        for i in issue.instances.iter().take(shown) {
            let input = if i.input.is_empty() {
                String::new()
            } else {
                format!(" [{}]", i.input)
            };
            let _ = writeln!(
                s,
                "  {:<8} {} {} as {}{input}: {} ({} {})",
                i.severity.as_str(),
                i.method,
                i.route,
                i.persona,
                flat(&i.evidence),
                i.check,
                i.finding_id
            );
        }
        if issue.instances.is_empty() {
            continue;
        }
        if verbose {
            if let Some(source) = &issue.source {
                let _ = writeln!(s, "  source: {source}");
            }
            let _ = writeln!(s, "  fix: {}", issue.fix);
            let _ = writeln!(s, "  reproduce: {}", flat(&issue.reproducer));
        } else if issue.instances.len() > 1 {
            let _ = writeln!(s, "  ... {} more with --verbose", issue.instances.len() - 1);
        }
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

    #[test]
    fn every_instance_and_a_reproducer_only_when_verbose() {
        let report = fixture::report();
        let many = report
            .issues
            .iter()
            .find(|i| i.instances.len() > 1)
            .expect("an issue with several instances in the fixture");
        let (short, long) = (render_with(&report, false), render_with(&report, true));
        for i in &many.instances {
            assert!(long.contains(&i.finding_id), "{}", i.finding_id);
        }
        let shown = many
            .instances
            .iter()
            .filter(|i| short.contains(&i.finding_id))
            .count();
        assert_eq!(shown, 1);
        assert!(short.contains("more with --verbose"));
        assert!(long.contains("reproduce: curl") && !short.contains("reproduce:"));
        for issue in &report.issues {
            assert!(short.contains(&issue.id), "{}", issue.id);
        }
    }
}
