//! The `sarif` report: SARIF 2.1.0 as GitHub code scanning accepts it. One
//! rule per check, related to its CWE in a `CWE` taxonomy and tagged
//! `external/cwe/cwe-N` with a `security-severity`; one result per issue
//! (root cause), located at the suite file of its first instance (or
//! `placement-api` when none) and at its route as a logical location, its
//! instances as related locations, with the issue's fingerprint as partial
//! fingerprint so that code scanning keeps one alert across runs.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;
use serde_sarif::sarif;

use crate::finding::{CheckId, Severity};
use crate::report::{Report, ReportError};

/// The version of the CWE list the taxonomy names.
const CWE_VERSION: &str = "4.14";

fn level(sev: Severity) -> sarif::ResultLevel {
    match sev {
        Severity::Critical | Severity::High => sarif::ResultLevel::Error,
        Severity::Medium => sarif::ResultLevel::Warning,
        Severity::Low | Severity::Info => sarif::ResultLevel::Note,
    }
}

/// The SARIF level as its JSON string (what `defaultConfiguration` holds).
fn level_name(sev: Severity) -> &'static str {
    match level(sev) {
        sarif::ResultLevel::Error => "error",
        sarif::ResultLevel::Warning => "warning",
        _ => "note",
    }
}

/// GitHub's `security-severity` score for a severity (its bands: >= 9.0
/// critical, 7.0 high, 4.0 medium, 0.1 low).
fn score(sev: Severity) -> &'static str {
    match sev {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

fn text(s: impl Into<String>) -> sarif::MultiformatMessageString {
    sarif::MultiformatMessageString::builder()
        .text(s.into())
        .build()
}

/// Renders the report as SARIF 2.1.0.
pub fn render(report: &Report) -> Result<String, ReportError> {
    // CWEs per check: the default one plus any an oracle reported instead.
    let mut cwes: BTreeMap<CheckId, BTreeSet<u32>> = BTreeMap::new();
    for check in CheckId::ALL {
        cwes.entry(check).or_default().insert(check.cwe());
    }
    for f in &report.findings {
        if let Some(n) = f.cwe_number() {
            cwes.entry(f.check).or_default().insert(n);
        }
    }
    let all_cwes: BTreeSet<u32> = cwes.values().flatten().copied().collect();

    let rules: Vec<sarif::ReportingDescriptor> = CheckId::ALL
        .iter()
        .map(|&check| {
            let worst = report.findings_of(check).map(|f| f.severity).max();
            let mut tags = vec!["security".to_owned()];
            let mut relationships = Vec::new();
            for n in cwes.get(&check).into_iter().flatten() {
                tags.push(format!("external/cwe/cwe-{n}"));
                relationships.push(
                    sarif::ReportingDescriptorRelationship::builder()
                        .target(
                            sarif::ReportingDescriptorReference::builder()
                                .id(n.to_string())
                                .tool_component(
                                    sarif::ToolComponentReference::builder().name("CWE").build(),
                                )
                                .build(),
                        )
                        .kinds(vec!["superset".to_owned()])
                        .build(),
                );
            }
            let mut extra = BTreeMap::new();
            // Rules without findings still need a score; medium is neutral.
            extra.insert(
                "security-severity".to_owned(),
                json!(score(worst.unwrap_or(Severity::Medium))),
            );
            sarif::ReportingDescriptor::builder()
                .id(check.as_str())
                .name(check.as_str())
                .short_description(text(check.description()))
                .full_description(text(format!(
                    "{} (CWE-{}).",
                    check.description(),
                    check.cwe()
                )))
                .help(text(format!(
                    "{}. Each result carries a curl reproducer in its message.",
                    check.description()
                )))
                .default_configuration(
                    sarif::ReportingConfiguration::builder()
                        .level(json!(level_name(worst.unwrap_or(Severity::Medium))))
                        .build(),
                )
                .properties(
                    sarif::PropertyBag::builder()
                        .tags(tags)
                        .additional_properties(extra)
                        .build(),
                )
                .relationships(relationships)
                .build()
        })
        .collect();

    let taxa: Vec<sarif::ReportingDescriptor> = all_cwes
        .iter()
        .map(|n| {
            sarif::ReportingDescriptor::builder()
                .id(n.to_string())
                .help_uri(format!("https://cwe.mitre.org/data/definitions/{n}.html"))
                .build()
        })
        .collect();
    let cwe_taxonomy = sarif::ToolComponent::builder()
        .name("CWE")
        .organization("MITRE")
        .version(CWE_VERSION)
        .information_uri("https://cwe.mitre.org/")
        .is_comprehensive(false)
        .taxa(taxa)
        .build();

    // One result per issue, so that code scanning keeps one alert per root
    // cause across nights (its fingerprint); the instances are its related
    // locations.
    let results: Vec<sarif::Result> = report
        .issues
        .iter()
        .map(|issue| {
            let rule_index = CheckId::ALL
                .iter()
                .position(|c| *c == issue.check)
                .unwrap_or(0);
            let first = issue.instances.first();
            let uri = first
                .and_then(|i| i.suite.clone())
                .unwrap_or_else(|| "placement-api".to_owned());
            let logical = |i: &crate::issue::Instance| {
                sarif::LogicalLocation::builder()
                    .fully_qualified_name(format!("{} {}", i.method, i.route))
                    .kind("function")
                    .build()
            };
            let location = sarif::Location::builder()
                .physical_location(
                    sarif::PhysicalLocation::builder()
                        .artifact_location(sarif::ArtifactLocation::builder().uri(uri).build())
                        .region(sarif::Region::builder().start_line(1).build())
                        .build(),
                )
                .logical_locations(first.map(logical).into_iter().collect::<Vec<_>>())
                .build();
            let related: Vec<sarif::Location> = issue
                .instances
                .iter()
                .enumerate()
                .map(|(n, i)| {
                    sarif::Location::builder()
                        .id(i64::try_from(n).unwrap_or(i64::MAX))
                        .logical_locations(vec![logical(i)])
                        .message(
                            sarif::Message::builder()
                                .text(format!(
                                    "[{}] {} {} as {}: {} ({})",
                                    i.severity,
                                    i.method,
                                    i.route,
                                    i.persona,
                                    i.evidence,
                                    i.finding_id
                                ))
                                .build(),
                        )
                        .build()
                })
                .collect();
            let mut extra = BTreeMap::new();
            extra.insert("issue".to_owned(), json!(issue.id));
            extra.insert("instances".to_owned(), json!(issue.instances.len()));
            extra.insert("curl".to_owned(), json!(issue.reproducer));
            extra.insert("security-severity".to_owned(), json!(score(issue.severity)));
            if let Some(source) = &issue.source {
                extra.insert("source".to_owned(), json!(source));
            }
            let taxa_refs: Vec<sarif::ReportingDescriptorReference> = issue
                .cwe
                .strip_prefix("CWE-")
                .and_then(|n| n.parse::<u32>().ok())
                .map(|n| {
                    sarif::ReportingDescriptorReference::builder()
                        .id(n.to_string())
                        .tool_component(
                            sarif::ToolComponentReference::builder().name("CWE").build(),
                        )
                        .build()
                })
                .into_iter()
                .collect();
            sarif::Result::builder()
                .rule_id(issue.check.as_str())
                .rule_index(i64::try_from(rule_index).unwrap_or(0))
                .level(level(issue.severity))
                .message(
                    sarif::Message::builder()
                        .text(format!(
                            "[{}] {} ({} instance{})\n\nFix: {}\n\nReproduce:\n{}",
                            issue.severity,
                            issue.title,
                            issue.instances.len(),
                            if issue.instances.len() == 1 { "" } else { "s" },
                            issue.fix,
                            issue.reproducer
                        ))
                        .build(),
                )
                .locations(vec![location])
                .related_locations(related)
                .partial_fingerprints(BTreeMap::from([(
                    "placementHarnessIssue/v1".to_owned(),
                    issue.fingerprint.clone(),
                )]))
                .taxa(taxa_refs)
                .properties(
                    sarif::PropertyBag::builder()
                        .additional_properties(extra)
                        .build(),
                )
                .build()
        })
        .collect();

    let driver = sarif::ToolComponent::builder()
        .name(report.tool.name.clone())
        .version(report.tool.version.clone())
        .semantic_version(report.tool.version.clone())
        .information_uri("https://example.invalid/placement-harness")
        .rules(rules)
        .supported_taxonomies(vec![
            sarif::ToolComponentReference::builder().name("CWE").build(),
        ])
        .build();
    // What the run judged and what it could not do belong to the
    // invocation: a viewer then shows an incomplete run as one.
    let notifications: Vec<sarif::Notification> = report
        .errors
        .iter()
        .map(|e| {
            sarif::Notification::builder()
                .level(json!("error"))
                .message(
                    sarif::Message::builder()
                        .text(format!("{} {}: {}", e.kind, e.place, e.message))
                        .build(),
                )
                .build()
        })
        .collect();
    let invocation = sarif::Invocation::builder()
        .execution_successful(report.errors.is_empty())
        .tool_execution_notifications(notifications)
        .properties(
            sarif::PropertyBag::builder()
                .additional_properties(BTreeMap::from([(
                    "judged".to_owned(),
                    json!(report.summary.judged),
                )]))
                .build(),
        )
        .build();
    let run = sarif::Run::builder()
        .tool(sarif::Tool::builder().driver(driver).build())
        .invocations(vec![invocation])
        .taxonomies(vec![cwe_taxonomy])
        .results(results)
        .automation_details(
            sarif::RunAutomationDetails::builder()
                .id(format!("placement-harness/{}/", report.target.profile))
                .build(),
        )
        .build();
    let doc = sarif::Sarif::builder()
        .version(json!("2.1.0"))
        .schema(sarif::SCHEMA_URL)
        .runs(vec![run])
        .build();
    let mut s = serde_json::to_string_pretty(&doc)?;
    s.push('\n');
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    #[test]
    fn snapshot_and_shape() {
        let out = render(&fixture::report()).unwrap();
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["version"], "2.1.0");
        let run = &v["runs"][0];
        assert_eq!(run["taxonomies"][0]["name"], "CWE");
        let results = run["results"].as_array().unwrap();
        let report = fixture::report();
        assert_eq!(results.len(), report.issues.len(), "one result per issue");
        let related: usize = results
            .iter()
            .map(|r| r["relatedLocations"].as_array().unwrap().len())
            .sum();
        assert_eq!(
            related,
            report.findings.len(),
            "every finding a related location"
        );
        for r in results {
            assert!(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].is_string());
            assert!(r["partialFingerprints"]["placementHarnessIssue/v1"].is_string());
            assert!(!r["relatedLocations"].as_array().unwrap().is_empty());
            let idx = r["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(run["tool"]["driver"]["rules"][idx]["id"], r["ruleId"]);
        }
        assert_eq!(run["invocations"][0]["executionSuccessful"], true);
        assert_eq!(run["invocations"][0]["properties"]["judged"]["no_5xx"], 4);
        insta::assert_snapshot!(out);
    }

    #[test]
    fn errors_make_the_invocation_unsuccessful() {
        let report = fixture::report().with_errors(vec![crate::report::RunError {
            kind: "step",
            place: "a.yaml:3 read".into(),
            message: "timed out".into(),
        }]);
        let v: serde_json::Value = serde_json::from_str(&render(&report).unwrap()).unwrap();
        let inv = &v["runs"][0]["invocations"][0];
        assert_eq!(inv["executionSuccessful"], false);
        assert_eq!(
            inv["toolExecutionNotifications"][0]["message"]["text"],
            "step a.yaml:3 read: timed out"
        );
    }
}
