//! The `junit` report: one test suite per check, one failed test case per
//! issue (its instances in the description), a passing case for a check that judged answers and found
//! nothing, and a skipped one for a check that judged none, so CI
//! dashboards show which checks ran clean and which did not run.

use quick_junit::{NonSuccessKind, Report as JunitReport, TestCase, TestCaseStatus, TestSuite};

use crate::finding::CheckId;
use crate::report::{Report, ReportError};

/// Renders the report as JUnit XML.
pub fn render(report: &Report) -> Result<String, ReportError> {
    let mut junit = JunitReport::new(format!("{} {}", report.tool.name, report.run_id));
    for check in CheckId::ALL {
        let mut suite = TestSuite::new(check.as_str());
        let mut any = false;
        for issue in report.issues.iter().filter(|i| i.check == check) {
            any = true;
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            let instances: Vec<String> = issue
                .instances
                .iter()
                .map(|i| {
                    format!(
                        "[{}] {} {} as {}: {} ({})",
                        i.severity, i.method, i.route, i.persona, i.evidence, i.finding_id
                    )
                })
                .collect();
            status
                .set_message(format!(
                    "[{}] {} ({} instances)",
                    issue.severity,
                    issue.title,
                    issue.instances.len()
                ))
                .set_type(issue.cwe.clone())
                .set_description(format!(
                    "{}\n\nfix: {}\n\nreproduce:\n{}",
                    instances.join("\n"),
                    issue.fix,
                    issue.reproducer
                ));
            let mut case = TestCase::new(format!("{} [{}]", issue.title, issue.id), status);
            case.set_classname(format!("placement.{}", check.as_str()));
            suite.add_test_case(case);
        }
        if !any {
            // A check that judged nothing did not pass: it did not run.
            let status = if report.judged(check) == 0 {
                let mut status = TestCaseStatus::skipped();
                status.set_message("judged no answer in this run");
                status
            } else {
                TestCaseStatus::success()
            };
            let mut case = TestCase::new(check.as_str(), status);
            case.set_classname(format!("placement.{}", check.as_str()));
            suite.add_test_case(case);
        }
        junit.add_test_suite(suite);
    }
    Ok(junit.to_string()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    #[test]
    fn snapshot() {
        let xml = render(&fixture::report()).unwrap();
        assert!(xml.contains("<failure"));
        insta::assert_snapshot!(xml);
    }

    #[test]
    fn a_check_that_judged_nothing_is_skipped_not_passed() {
        let mut report = fixture::report();
        let clean = CheckId::ALL
            .into_iter()
            .find(|c| report.findings_of(*c).next().is_none())
            .expect("a check without findings in the fixture");
        let case_when_judged = |report: &mut Report, n: u64| {
            report.summary.judged.insert(clean.as_str().into(), n);
            let xml = render(report).unwrap();
            let name = format!("name=\"{}\"", clean.as_str());
            xml.split("<testcase ")
                .find(|c| c.starts_with(&name))
                .map(str::to_owned)
                .unwrap()
        };
        let case = case_when_judged(&mut report, 0);
        assert!(case.contains("<skipped"), "{case}");
        let case = case_when_judged(&mut report, 3);
        assert!(!case.contains("<skipped"), "{case}");
    }
}
