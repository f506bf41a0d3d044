//! The `junit` report: one test suite per check, one failed test case per
//! finding, and a passing case for a check with none, so CI dashboards show
//! which checks ran clean.

use quick_junit::{NonSuccessKind, Report as JunitReport, TestCase, TestCaseStatus, TestSuite};

use crate::finding::CheckId;
use crate::report::{Report, ReportError};

/// Renders the report as JUnit XML.
pub fn render(report: &Report) -> Result<String, ReportError> {
    let mut junit = JunitReport::new(format!("{} {}", report.tool.name, report.run_id));
    for check in CheckId::ALL {
        let mut suite = TestSuite::new(check.as_str());
        let mut any = false;
        for f in report.findings_of(check) {
            any = true;
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status
                .set_message(format!("[{}] {}", f.severity, f.title))
                .set_type(f.cwe.clone())
                .set_description(format!("{}\n\nreproduce:\n{}", f.evidence, f.curl));
            let mut case = TestCase::new(
                format!("{} {} as {} [{}]", f.method, f.route, f.persona, f.id),
                status,
            );
            case.set_classname(format!("placement.{}", check.as_str()));
            suite.add_test_case(case);
        }
        if !any {
            let mut case = TestCase::new(check.as_str(), TestCaseStatus::success());
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
}
