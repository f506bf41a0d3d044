//! What grouping findings into issues costs, measured on a real report:
//! the findings of a JSON report are rebuilt (each with the cause its issue
//! names), copied `--times N` times under fresh ids, and grouped; the
//! figures go beside the scan's own duration. `scripts/report-quality`
//! runs it.
//!
//! ```sh
//! cargo run --release -p placement-harness --example issue_grouping -- report.json [--times 10]
//! ```

use std::collections::BTreeMap;
use std::time::Instant;

use placement_harness::cause::Cause;
use placement_harness::finding::{
    BodyExcerpt, CheckId, Finding, FindingRequest, FindingResponse, Severity,
};
use placement_harness::issue;
use serde_json::Value;

fn text(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_owned()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: issue_grouping REPORT.json [--times N]");
        std::process::exit(2);
    };
    let times: usize = match args.iter().position(|a| a == "--times") {
        Some(i) => match args.get(i + 1).and_then(|n| n.parse().ok()) {
            Some(n) if n > 0 => n,
            _ => {
                eprintln!("issue_grouping: --times needs a positive number");
                std::process::exit(2);
            }
        },
        None => 1,
    };
    let report: Value = match std::fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
    {
        Ok(v) => v,
        Err(e) => {
            eprintln!("issue_grouping: {path}: {e}");
            std::process::exit(2);
        }
    };
    let mut cause_of: BTreeMap<String, Cause> = BTreeMap::new();
    for i in report["issues"].as_array().into_iter().flatten() {
        for inst in i["instances"].as_array().into_iter().flatten() {
            let mut cause = Cause::new(text(i, "signature"), text(i, "title"));
            // An expectation that joined an oracle's issue: its own cause
            // is not in the report; it joins again by its CWE or status.
            if inst["check"] != i["check"] {
                cause.signature = format!("joined:{}", text(inst, "finding_id"));
                cause.status_only = true;
            }
            cause_of.insert(text(inst, "finding_id"), cause);
        }
    }
    let mut findings = Vec::new();
    for copy in 0..times {
        for f in report["findings"].as_array().into_iter().flatten() {
            let id = text(f, "id");
            let check = CheckId::try_from(text(f, "check")).unwrap_or(CheckId::No5xx);
            let severity =
                serde_json::from_value::<Severity>(f["severity"].clone()).unwrap_or(Severity::Info);
            findings.push(Finding {
                id: format!("{id}-{copy}"),
                check,
                cwe: text(f, "cwe"),
                severity,
                title: text(f, "title"),
                method: text(f, "method"),
                url: format!("{}#{copy}", text(f, "url")),
                route: text(f, "route"),
                persona: text(f, "persona"),
                input_class: String::new(),
                request: FindingRequest {
                    headers: BTreeMap::new(),
                    body: None,
                },
                response: FindingResponse {
                    status: u16::try_from(f["response"]["status"].as_u64().unwrap_or(0))
                        .unwrap_or(0),
                    headers: BTreeMap::new(),
                    body_excerpt: BodyExcerpt::new(b"", 0, false),
                },
                evidence: text(f, "evidence"),
                curl: text(f, "curl"),
                suite: f["suite"].as_str().map(str::to_owned),
                step: f["step"].as_str().map(str::to_owned),
                cause: cause_of.get(&id).cloned().unwrap_or_default(),
            });
        }
    }
    let runs = 5;
    let mut best = f64::INFINITY;
    let mut issues = 0;
    for _ in 0..runs {
        let started = Instant::now();
        let grouped = issue::group(&findings);
        best = best.min(started.elapsed().as_secs_f64());
        issues = grouped.len();
    }
    let scan_ms = report["duration_ms"].as_u64().unwrap_or(0);
    let ms = best * 1000.0;
    println!(
        "grouping: {} findings into {issues} issues in {ms:.2} ms (best of {runs}); \
         the scan took {scan_ms} ms: grouping adds {:.3}% of it{}",
        findings.len(),
        if scan_ms == 0 {
            0.0
        } else {
            ms / scan_ms as f64 * 100.0
        },
        if times > 1 {
            format!(" (findings copied {times} times)")
        } else {
            String::new()
        }
    );
}
