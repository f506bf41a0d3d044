//! The `json` report: docs/DESIGN.md's Findings JSON, pretty-printed.

use crate::report::{Report, ReportError};

/// Renders the report as Findings JSON.
pub fn render(report: &Report) -> Result<String, ReportError> {
    let mut s = serde_json::to_string_pretty(report)?;
    s.push('\n');
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    #[test]
    fn snapshot() {
        let r = fixture::report();
        // The run's clock fields are redacted so the snapshot only changes
        // when what the findings say changes.
        insta::assert_json_snapshot!(r, {
            ".started_at" => "[started_at]",
            ".duration_ms" => "[duration_ms]",
        });
        let parsed: serde_json::Value = serde_json::from_str(&render(&r).unwrap()).unwrap();
        for key in [
            "tool",
            "target",
            "run_id",
            "started_at",
            "duration_ms",
            "requests",
            "findings",
            "summary",
        ] {
            assert!(parsed.get(key).is_some(), "{key}");
        }
        for key in [
            "id", "check", "cwe", "severity", "title", "method", "url", "route", "persona",
            "request", "response", "evidence", "curl", "suite", "step",
        ] {
            assert!(parsed["findings"][0].get(key).is_some(), "{key}");
        }
    }
}
