//! `placement-harness scan` over HTTPS against a fresh real Placement
//! 16.0.0 started by `scripts/placement-up --tls` (gunicorn with a server
//! certificate for 127.0.0.1 from a throw-away CA, the CA's certificate in
//! `STATE/ca.pem`): with `--cacert STATE/ca.pem` the smoke suite is sent
//! and answered; without it the server's certificate is not trusted and
//! the scan stops with exit 2 on a line saying so, before any finding.
//!
//! Fails, saying how to set it up, when the venv (`.placement/venv`) is
//! missing (`scripts/test` installs it).

// A test binary: a failed setup must fail the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::{FreshPlacement, repo, require_venv};

fn scan(url: &str, cacert: Option<&Path>, journals: &Path) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_placement-harness"));
    cmd.arg("scan").arg("--target").arg(url);
    if let Some(ca) = cacert {
        cmd.arg("--cacert").arg(ca);
    }
    let out = cmd
        .arg("--snapshots")
        .arg("off")
        .arg("--suite")
        .arg(repo().join("scenarios/smoke.yaml"))
        .arg("--journal-dir")
        .arg(journals)
        .arg("--quiet")
        .current_dir(repo())
        .output()
        .unwrap_or_else(|e| panic!("placement-harness: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_scan_over_https_trusts_the_placement_up_ca_and_only_it() {
    require_venv();
    let server = FreshPlacement::start_with("tls", &[OsStr::new("--tls")]);
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );

    let ca = server.state_dir.join("ca.pem");
    let pem = std::fs::read_to_string(&ca).unwrap_or_else(|e| panic!("{}: {e}", ca.display()));
    assert!(pem.contains("-----BEGIN CERTIFICATE-----"), "{pem}");
    assert!(!pem.contains("PRIVATE KEY"), "ca.pem holds a key:\n{pem}");

    // The server's key, in the temporary folder placement-up recorded, is
    // for its owner only; the CA's key is gone once it has signed.
    let tmp = PathBuf::from(
        std::fs::read_to_string(server.state_dir.join("placement.tmpdir"))
            .unwrap()
            .trim(),
    );
    let key = tmp.join("tls/server.key");
    let mode = std::fs::metadata(&key)
        .unwrap_or_else(|e| panic!("{}: {e}", key.display()))
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o777,
        0o600,
        "{} has mode {:o}",
        key.display(),
        mode & 0o777
    );
    assert!(!tmp.join("tls/ca.key").exists(), "the CA's key was kept");

    let journals = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("tls-journals-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&journals);

    let (code, stdout, stderr) = scan(&server.url, Some(&ca), &journals);
    assert!(
        code == 0 || code == 1,
        "scan with --cacert exited {code}\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stdout.contains("requests") && stdout.contains(&server.url),
        "no requests answered over HTTPS\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stdout.contains("8 of 8 steps answered"),
        "the smoke suite was not answered in full\nstdout:\n{stdout}"
    );

    let (code, stdout, stderr) = scan(&server.url, None, &journals);
    assert_eq!(
        code, 2,
        "scan without --cacert\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stderr.to_lowercase().contains("certificate"),
        "no word of the untrusted certificate:\n{stderr}"
    );
    assert!(
        !stdout.contains("requests"),
        "a scan went ahead without trusting the server\n{stdout}"
    );

    // placement-down takes the CA certificate and the temporary folder
    // (with the server's key) away with the server.
    let state_dir = server.state_dir.clone();
    drop(server);
    assert!(!state_dir.join("ca.pem").exists(), "ca.pem left behind");
    assert!(!tmp.exists(), "{} left behind", tmp.display());
    let _ = std::fs::remove_dir_all(&journals);
}
