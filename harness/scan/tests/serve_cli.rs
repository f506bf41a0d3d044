//! `placement-harness serve`: prints its URL (the real port for :0), answers
//! as the reference Placement, stops cleanly on SIGTERM, and refuses a bad
//! policy file with exit status 2 naming the rule.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_placement-harness")
}

#[tokio::test]
async fn serve_prints_its_url_answers_and_stops_on_sigterm() {
    let started = Instant::now();
    let mut child = Command::new(bin())
        .args(["serve", "--listen", "127.0.0.1:0", "--rbac", "legacy"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().to_owned();
    assert!(
        url.starts_with("http://127.0.0.1:") && !url.ends_with(":0"),
        "{url:?}"
    );
    let resp = reqwest::get(format!("{url}/")).await.unwrap();
    let ready = started.elapsed();
    assert_eq!(resp.status().as_u16(), 200);
    assert!(ready < Duration::from_secs(5), "ready after {ready:?}");
    let resp = reqwest::Client::new()
        .get(format!("{url}/resource_providers"))
        .header("x-auth-token", "admin")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    // SIGTERM to the child this test started, by its pid.
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
}

#[test]
fn a_bad_policy_file_is_a_usage_error_naming_the_rule() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let file = dir.join("serve-bad-policy.yaml");
    std::fs::write(
        &file,
        "\"placement:resource_providers:list\": \"role:admin or\"\n",
    )
    .unwrap();
    let out = Command::new(bin())
        .args(["serve", "--listen", "127.0.0.1:0", "--policy"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("placement:resource_providers:list"), "{err}");
    assert!(out.stdout.is_empty());
}
