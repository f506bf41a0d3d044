//! `placement-harness scan` end to end against a fresh real Placement
//! 16.0.0 (`scripts/placement-up`): the findings it really has are
//! reported with their check ids, the JSON report carries them, the exit
//! code is 1, and two runs in a row write byte-identical snapshots.
//!
//! Fails, saying how to set it up, when the venv (`.placement/venv`) is
//! missing (`scripts/test` installs it).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

mod common;
use common::{FreshPlacement, repo, require_venv};

/// Every server here is a fresh one the test started and throws away, so
/// scans may write to objects they did not create (`--disposable-target`);
/// their journals stay under the test's own folder.
fn fresh_target_args() -> Vec<String> {
    let journals = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("scan-journals");
    vec![
        "--disposable-target".to_owned(),
        "--journal-dir".to_owned(),
        journals.display().to_string(),
    ]
}

fn scan(args: &[&str]) -> (i32, String, String) {
    scan_with(args, &fresh_target_args())
}

fn scan_with(args: &[&str], extra: &[String]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_placement-harness"))
        .arg("scan")
        .args(args)
        .args(extra)
        .current_dir(repo())
        .output()
        .unwrap_or_else(|e| panic!("placement-harness: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn snap_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap_or(&p).display().to_string();
                out.insert(rel, std::fs::read(&p).unwrap_or_default());
            }
        }
    }
    out
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

fn findings<'a>(report: &'a Value, check: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .map(|a| a.iter().filter(|f| f["check"] == check).collect())
        .unwrap_or_default()
}

#[test]
fn scan_reports_real_placement_findings_and_stable_snapshots() {
    require_venv();
    let server = FreshPlacement::start("findings");
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("scan-real-out-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let (snaps1, snaps2) = (tmp.join("snaps1"), tmp.join("snaps2"));
    let report = tmp.join("report.json");
    let sarif = tmp.join("report.sarif");
    let _ = std::fs::create_dir_all(&tmp);
    let common = |snaps: &Path, mode: &str| -> Vec<String> {
        [
            "--target",
            &server.url,
            "--suite",
            "scenarios/smoke.yaml",
            "--suite",
            "scenarios/proof/placement-16-findings.yaml",
            "--profile",
            "openstack-placement-16.0.0",
            "--snapshot-dir",
            &s(snaps),
            "--snapshots",
            mode,
        ]
        .iter()
        .map(|x| (*x).to_owned())
        .collect()
    };
    let mut args = common(&snaps1, "update");
    args.extend([
        "--report".to_owned(),
        format!("json:{}", s(&report)),
        "--report".to_owned(),
        format!("sarif:{}", s(&sarif)),
        "--max-rps".to_owned(),
        "200".to_owned(),
    ]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, err) = scan(&refs);
    assert_eq!(code, 1, "findings exit 1\n{out}\n{err}");
    assert!(!err.contains("could not run"), "{err}");

    let text = std::fs::read_to_string(&report).unwrap_or_else(|e| panic!("report: {e}"));
    assert!(
        !text.contains("tenant-b-member:tenant-b"),
        "a noauth2 token leaked"
    );
    let r: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r["target"]["profile"], "openstack-placement-16.0.0");
    assert!(r["requests"].as_u64().unwrap_or(0) > 50);

    // 1. A 5xx: `limit` twice on /allocation_candidates reaches int().
    let five = findings(&r, "no_5xx");
    assert!(
        five.iter().any(|f| f["route"] == "/allocation_candidates"
            && f["response"]["status"] == 500
            && f["curl"]
                .as_str()
                .is_some_and(|c| c.contains("$TOKEN_ADMIN"))),
        "{five:#?}"
    );
    // 2. A JSON schema dumped in a 400.
    let leaks = findings(&r, "no_internal_leak");
    assert!(
        leaks.iter().any(|f| f["route"] == "/resource_providers"
            && f["method"] == "GET"
            && f["response"]["status"] == 400
            && f["evidence"]
                .as_str()
                .is_some_and(|e| e.contains("JSON-schema"))),
        "{leaks:#?}"
    );
    // 3. noauth2 obeys a client's X-Roles: a tenant member becomes admin.
    let spoof = findings(&r, "identity_spoofing");
    assert!(
        spoof.iter().any(|f| f["persona"] == "tenant-b-member"
            && f["severity"] == "critical"
            && f["route"] == "/resource_providers"
            && f["response"]["status"] == 200
            && f["request"]["headers"]["x-roles"] == "admin"
            && f["request"]["headers"]["x-auth-token"] == "<redacted>"),
        "{spoof:#?}"
    );
    // 4. Malformed consumer keys taken by POST /allocations.
    let malformed = findings(&r, "malformed_input");
    for class in ["[36-dashes]", "[trailing-newline]"] {
        assert!(
            malformed.iter().any(|f| f["route"] == "/allocations"
                && f["method"] == "POST"
                && f["severity"] == "high"
                && f["response"]["status"] == 204
                && f["step"].as_str().is_some_and(|s| s.ends_with(class))),
            "{class}: {malformed:#?}"
        );
    }
    // noauth2 takes even an empty token as a user: 403, not 401
    // (placement/auth.py). A made-up token is a user by definition under
    // noauth2, so its 403 is not reported.
    let auth = findings(&r, "auth_required");
    assert!(
        auth.iter().any(|f| f["route"] == "/resource_providers"
            && f["response"]["status"] == 403
            && f["evidence"]
                .as_str()
                .is_some_and(|e| e.contains("an empty token"))),
        "{auth:#?}"
    );
    assert!(
        !auth
            .iter()
            .any(|f| f["request"]["headers"]["x-auth-token"] == "not-a-real-token"),
        "{auth:#?}"
    );
    // The step's own claim gives an `expectation` finding with its CWE.
    let expectation = findings(&r, "expectation");
    assert!(
        expectation.iter().any(|f| f["cwe"] == "CWE-290"
            && f["evidence"]
                .as_str()
                .is_some_and(|e| e.starts_with("claim identity-headers-are-server-set"))),
        "{expectation:#?}"
    );
    // `expect: ["!policy"]` kept policy off the spoofing step.
    assert!(findings(&r, "policy").iter().all(|f| {
        f["step"]
            .as_str()
            .is_none_or(|s| !s.contains("claiming admin"))
    }));
    let sarif_text = std::fs::read_to_string(&sarif).unwrap_or_default();
    assert!(sarif_text.contains("\"2.1.0\"") && sarif_text.contains("identity_spoofing"));

    // Issues: every finding is an instance of exactly one, and one root
    // cause met on many routes is one issue.
    let issues = r["issues"].as_array().cloned().unwrap_or_default();
    let all = r["findings"].as_array().cloned().unwrap_or_default();
    let mut covered: Vec<&str> = issues
        .iter()
        .flat_map(|i| i["instances"].as_array().into_iter().flatten())
        .filter_map(|i| i["finding_id"].as_str())
        .collect();
    covered.sort_unstable();
    let mut ids: Vec<&str> = all.iter().filter_map(|f| f["id"].as_str()).collect();
    ids.sort_unstable();
    assert_eq!(covered, ids, "every finding in exactly one issue");
    assert!(
        issues.len() * 4 < all.len(),
        "{} issues for {} findings",
        issues.len(),
        all.len()
    );
    let of = |signature: &str| -> Vec<&Value> {
        issues
            .iter()
            .filter(|i| {
                i["signature"]
                    .as_str()
                    .is_some_and(|s| s.starts_with(signature))
            })
            .collect()
    };
    let nosniff = of("missing:x-content-type-options");
    assert_eq!(nosniff.len(), 1, "{nosniff:#?}");
    let nosniff_findings = all
        .iter()
        .filter(|f| f["evidence"] == "no X-Content-Type-Options: nosniff")
        .count();
    assert_eq!(
        nosniff[0]["instances"].as_array().map(Vec::len),
        Some(nosniff_findings)
    );
    assert!(nosniff_findings > 20, "{nosniff_findings}");
    assert_eq!(of("banner:Server: gunicorn").len(), 1);
    let int_500 = of("exception:invalid literal for int() with base N");
    assert_eq!(int_500.len(), 1, "{int_500:#?}");
    assert_eq!(int_500[0]["check"], "no_5xx");
    // The spoofing step's expectation restates identity_spoofing's finding
    // about the same answer: it is an instance of that issue.
    let claim = expectation
        .iter()
        .find(|f| f["cwe"] == "CWE-290")
        .and_then(|f| f["id"].as_str())
        .unwrap_or_default();
    let home = issues
        .iter()
        .find(|i| {
            i["instances"]
                .as_array()
                .is_some_and(|v| v.iter().any(|x| x["finding_id"] == claim))
        })
        .map(|i| i["check"].clone());
    assert_eq!(home, Some(Value::from("identity_spoofing")), "{claim}");
    let results = serde_json::from_str::<Value>(&sarif_text)
        .ok()
        .and_then(|v| v["runs"][0]["results"].as_array().map(Vec::len));
    assert_eq!(results, Some(issues.len()), "one SARIF result per issue");

    // Snapshots: a second run writes the same bytes; `check` then matches.
    let first = snap_files(&snaps1);
    assert!(first.len() >= 4, "{:?}", first.keys());
    assert!(
        first
            .keys()
            .all(|k| k.starts_with("openstack-placement-16.0.0/"))
    );
    // The second run, against the first as its baseline: every issue is
    // known, so nothing fails it, and `diff` finds nothing new.
    let report2 = tmp.join("report2.json");
    let mut args = common(&snaps2, "update");
    args.extend([
        "--baseline".to_owned(),
        s(&report),
        "--report".to_owned(),
        format!("json:{}", s(&report2)),
    ]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, err) = scan(&refs);
    let r2: Value = serde_json::from_str(&std::fs::read_to_string(&report2).unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    let new: Vec<&Value> = r2["issues"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|i| i["status"] != "known")
        .collect();
    assert!(new.is_empty(), "{new:#?}");
    assert_eq!(r2["summary"]["issues_by_status"]["known"], issues.len());
    assert_eq!(code, 0, "only known issues: exit 0\n{out}\n{err}");
    assert!(out.contains("no new issue at or above low"), "{out}");
    let diffed = Command::new(env!("CARGO_BIN_EXE_placement-harness"))
        .args(["diff", &s(&report), &s(&report2)])
        .output()
        .unwrap_or_else(|e| panic!("placement-harness diff: {e}"));
    let (code, out, err) = (
        diffed.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&diffed.stdout).into_owned(),
        String::from_utf8_lossy(&diffed.stderr).into_owned(),
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.starts_with("new: 0\nfixed: 0\n"), "{out}");
    let second = snap_files(&snaps2);
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &first {
        assert_eq!(
            Some(bytes),
            second.get(name),
            "{name} differs between two runs:\n{}\n----\n{}",
            String::from_utf8_lossy(bytes),
            String::from_utf8_lossy(second.get(name).map(Vec::as_slice).unwrap_or_default())
        );
    }
    // The third, with the nosniff issue suppressed: listed as such, and an
    // entry for an issue this run does not have is warned about.
    let suppressions = tmp.join("suppressions.yaml");
    let report3 = tmp.join("report3.json");
    let nosniff_id = nosniff[0]["id"].as_str().unwrap_or_default().to_owned();
    std::fs::write(
        &suppressions,
        format!(
            "version: 1\nsuppressions:\n  - issue: {nosniff_id}\n    reason: the proxy adds it\n    \
             expires: 2099-12-31\n  - fingerprint: 00000000000000ff\n    reason: gone\n    \
             expires: 2099-12-31\n"
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut args = common(&snaps1, "check");
    args.extend([
        "--suppressions".to_owned(),
        s(&suppressions),
        "--report".to_owned(),
        format!("json:{}", s(&report3)),
    ]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (_, out, err) = scan(&refs);
    assert!(out.contains("snapshot ok"), "{out}\n{err}");
    assert!(
        err.contains(&format!(
            "warning: {}:6: the suppression of 00000000000000ff matches no issue",
            s(&suppressions)
        )),
        "{err}"
    );
    let r3: Value = serde_json::from_str(&std::fs::read_to_string(&report3).unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    let suppressed: Vec<&Value> = r3["issues"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|i| i["suppressed"].is_object())
        .collect();
    assert_eq!(suppressed.len(), 1, "{suppressed:#?}");
    assert_eq!(suppressed[0]["id"], nosniff_id.as_str());
    assert_eq!(suppressed[0]["suppressed"]["reason"], "the proxy adds it");
    assert!(out.contains("suppressed until 2099-12-31"), "{out}");
    assert!(
        !out.contains("snapshot CHANGED") && !out.contains("snapshot missing"),
        "{out}"
    );
    assert_eq!(snap_files(&snaps1), first, "check must not write anything");

    // The committed snapshots of the built-in smoke suite (beside it, in
    // scenarios/snapshots/openstack-placement-16.0.0) match this server.
    let (_, out, err) = scan(&[
        "--target",
        &server.url,
        "--suite",
        "scenarios/smoke.yaml",
        "--profile",
        "openstack-placement-16.0.0",
        "--snapshots",
        "check",
    ]);
    assert_eq!(
        out.matches("snapshot ok: scenarios/snapshots/openstack-placement-16.0.0/")
            .count(),
        2,
        "{out}\n{err}"
    );
    assert!(
        !out.contains("snapshot CHANGED") && !out.contains("snapshot missing"),
        "{out}"
    );
}

#[test]
fn a_changed_snapshot_fails_check_with_snap_new_and_fail_on_is_honoured() {
    require_venv();
    let server = FreshPlacement::start("check");
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("scan-real-check-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let only_root = tmp.join("root.yaml");
    let _ = std::fs::create_dir_all(&tmp);
    let _ = std::fs::write(
        &only_root,
        "tests:\n- name: version document\n  as: anonymous\n  GET: /\n  snapshot: true\n",
    );
    let base = [
        "--target",
        &server.url,
        "--suite",
        &s(&only_root),
        "--profile",
        "p",
        "--snapshot-dir",
        &s(&tmp),
        "--fail-on",
        "critical",
    ];
    // No critical finding on `/`: exit 0 once the snapshot exists.
    let mut args = base.to_vec();
    args.extend(["--snapshots", "update"]);
    let (code, out, err) = scan(&args);
    assert_eq!(code, 0, "{out}\n{err}");
    let snap = tmp.join("p/root__version-document.snap");
    let stored = std::fs::read_to_string(&snap).unwrap_or_default();
    assert!(stored.contains("\"max_version\": \"1.39\""), "{stored}");
    let _ = std::fs::write(&snap, stored.replace("1.39", "1.40"));
    let mut args = base.to_vec();
    args.extend(["--snapshots", "check"]);
    let (code, out, _) = scan(&args);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("snapshot CHANGED"), "{out}");
    let new =
        std::fs::read_to_string(tmp.join("p/root__version-document.snap.new")).unwrap_or_default();
    assert!(new.contains("\"max_version\": \"1.39\""), "{new}");
}

#[test]
fn ctrl_c_stops_sending_writes_the_report_and_exits_130() {
    require_venv();
    let server = FreshPlacement::start("sigint");
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("scan-real-sigint-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let _ = std::fs::create_dir_all(&tmp);
    let report = tmp.join("r.json");
    // 4 requests a second over the smoke suite's ~58: about 15 s if not stopped.
    let child = Command::new(env!("CARGO_BIN_EXE_placement-harness"))
        .args([
            "scan",
            "--target",
            &server.url,
            "--suite",
            "scenarios/smoke.yaml",
        ])
        .args(["--snapshots", "off", "--max-rps", "4", "--quiet"])
        .args(fresh_target_args())
        .arg("--report")
        .arg(format!("json:{}", s(&report)))
        .current_dir(repo())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn: {e}"));
    std::thread::sleep(std::time::Duration::from_secs(3));
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .map(|s| s.success());
    assert_eq!(killed.ok(), Some(true));
    let out = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("wait: {e}"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap_or_default())
        .unwrap_or_else(|e| panic!("report after Ctrl-C: {e}"));
    let sent = r["requests"].as_u64().unwrap_or(0);
    assert!(sent > 0 && sent < 40, "{sent} requests");
}

/// Without `--disposable-target` the guard is strict: the proof suite's
/// malformed consumer keys name no object of this run, so those writes are
/// skipped, unsent, and said so; everything the run created is journaled
/// and removed at the end.
#[test]
fn strict_ownership_skips_foreign_writes_and_cleans_up() {
    require_venv();
    let server = FreshPlacement::start("strict");
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("scan-real-strict-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let _ = std::fs::create_dir_all(&tmp);
    let report = tmp.join("r.json");
    let journals = tmp.join("journals");
    let (code, out, err) = scan_with(
        &[
            "--target",
            &server.url,
            "--suite",
            "scenarios/proof/placement-16-findings.yaml",
            "--snapshots",
            "off",
            "--report",
            &format!("json:{}", s(&report)),
        ],
        &["--journal-dir".to_owned(), s(&journals)],
    );
    assert_eq!(code, 1, "findings remain\n{out}\n{err}");
    assert!(
        out.contains("not sent: an object this run does not own"),
        "{out}"
    );
    let text = std::fs::read_to_string(&report).unwrap_or_else(|e| panic!("report: {e}"));
    let r: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let malformed_posts = findings(&r, "malformed_input")
        .into_iter()
        .filter(|f| f["route"] == "/allocations" && f["method"] == "POST")
        .count();
    assert_eq!(malformed_posts, 0, "a refused write was sent");
    // The other findings do not need foreign writes.
    assert!(!findings(&r, "no_5xx").is_empty());
    // The journal is retired once cleanup left nothing.
    let left: Vec<_> = std::fs::read_dir(&journals)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(
        left.iter()
            .all(|p| p.extension().is_none_or(|x| x != "jsonl")),
        "journal not retired: {left:?}\n{out}"
    );
}

/// The verdict of every seed-review claim is computed from a scan of real
/// Placement 16.0.0 (default policy), and the table in docs/RESULTS.md says
/// the same: the table cannot drift from what the harness finds.
#[test]
fn seed_claim_verdicts_are_computed_and_match_the_results_table() {
    require_venv();
    let server = FreshPlacement::start("claims");
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("scan-claims-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&tmp);
    let report = tmp.join("report.json");
    let (code, out, err) = scan(&[
        "--target",
        &server.url,
        "--suite",
        "scenarios/seed_claims.yaml",
        "--snapshots",
        "off",
        "--report",
        &format!("json:{}", s(&report)),
    ]);
    assert_eq!(code, 1, "confirmed claims are issues\n{out}\n{err}");
    assert!(out.contains("\nclaims:\n"), "{out}");
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    let computed: BTreeMap<String, String> = r["claims"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            (
                c["claim"].as_str().unwrap_or_default().to_owned(),
                c["verdict"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    // Every confirmed claim names the issues that confirm it.
    for c in r["claims"].as_array().into_iter().flatten() {
        let issues = c["issues"].as_array().map_or(0, Vec::len);
        assert_eq!(c["verdict"] == "confirmed", issues > 0, "{c:#}");
    }
    let results = std::fs::read_to_string(repo().join("docs/RESULTS.md")).unwrap_or_default();
    let table = results
        .split("| claim | verdict | evidence |")
        .nth(1)
        .unwrap_or_default();
    let mut documented: BTreeMap<String, String> = BTreeMap::new();
    for row in table.lines().skip(2).take_while(|l| l.starts_with('|')) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let (Some(claims), Some(verdict)) = (cells.get(1), cells.get(2)) else {
            continue;
        };
        // "refuted by default, confirmed under ..." is the default policy's
        // verdict first; "not testable over HTTP" is untestable.
        let verdict = if verdict.starts_with("not testable") {
            "untestable"
        } else {
            verdict.split([' ', ',']).next().unwrap_or_default()
        };
        for id in claims.split(", ") {
            let id = id.split(' ').next().unwrap_or_default();
            documented.insert(id.to_owned(), verdict.to_owned());
        }
    }
    assert_eq!(documented, computed, "docs/RESULTS.md against the run");
    assert_eq!(computed.len(), 13, "{computed:?}");
}
