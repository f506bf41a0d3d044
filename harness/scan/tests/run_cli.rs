//! `placement-harness run` as a process: exit codes, error messages and the
//! summary line, against a tiny fake server on 127.0.0.1.

use std::path::PathBuf;
use std::process::{Command, Output};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn harness(args: &[&str]) -> Output {
    // Journals go to the test's scratch folder, not the user's state dir.
    let state = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("run-cli-state");
    match Command::new(env!("CARGO_BIN_EXE_placement-harness"))
        .args(args)
        .env("XDG_STATE_HOME", state)
        .output()
    {
        Ok(o) => o,
        Err(e) => panic!("placement-harness: {e}"),
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A suite file in the test's scratch folder under `target/` (Cargo's
/// `CARGO_TARGET_TMPDIR`), so runs leave nothing behind in the system's /tmp.
fn suite_file(name: &str, body: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("run-cli");
    if let Err(e) = std::fs::create_dir_all(&dir) {
        panic!("{}: {e}", dir.display());
    }
    let path = dir.join(name);
    if let Err(e) = std::fs::write(&path, body) {
        panic!("{}: {e}", path.display());
    }
    path
}

#[test]
fn parse_errors_exit_2_naming_the_option() {
    for (args, option) in [
        (&["run", "--max-rps", "fast", "x.yaml"][..], "--max-rps"),
        (&["run", "--concurrency", "lots", "x.yaml"], "--concurrency"),
        (&["run", "--timeout", "0", "x.yaml"], "--timeout"),
        (&["run", "--nope", "x.yaml"], "--nope"),
        (&["frobnicate"], "frobnicate"),
    ] {
        let out = harness(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = text(&out.stderr);
        assert!(err.contains(option), "{args:?}: {err}");
    }
}

#[test]
fn unknown_file_exits_2_with_the_path() {
    let out = harness(&[
        "run",
        "--target",
        "http://127.0.0.1:9",
        "/nonexistent/suite-xyz.yaml",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("/nonexistent/suite-xyz.yaml"), "{err}");
}

#[test]
fn bad_key_exits_2_with_file_and_line() {
    let path = suite_file(
        "bad-key.yaml",
        "tests:\n- name: one\n  GET: /\n  response_json_path:\n    $.a: 1\n",
    );
    let shown = path.display().to_string();
    let out = harness(&["run", "--target", "http://127.0.0.1:9", &shown]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains(&format!("{shown}:4")), "{err}");
    assert!(err.contains("response_json_path"), "{err}");
}

#[test]
fn unreachable_target_exits_2() {
    let path = suite_file("one.yaml", "tests:\n- name: one\n  GET: /\n");
    let out = harness(&[
        "run",
        "--timeout",
        "2",
        "--target",
        "http://127.0.0.1:9",
        &path.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("not reachable"), "{:?}", out);
}

/// `path token` of every request the fake server saw.
type Seen = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

/// Answers `GET /ok` with 200 JSON, anything else with 404, and records
/// the X-Auth-Token each request carried. Bounded to 64 connections.
async fn fake_server() -> (String, Seen, tokio::task::JoinHandle<()>) {
    let listener = match TcpListener::bind("127.0.0.1:0").await {
        Ok(l) => l,
        Err(e) => panic!("bind: {e}"),
    };
    let addr = match listener.local_addr() {
        Ok(a) => a,
        Err(e) => panic!("{e}"),
    };
    let seen = Seen::default();
    let tokens = seen.clone();
    let handle = tokio::spawn(async move {
        for _ in 0..64 {
            let Ok((mut sock, _)) = listener.accept().await else {
                break;
            };
            let mut buf = vec![0u8; 16 * 1024];
            let mut len = 0;
            // Bounded by the buffer size: read until the end of headers.
            while len < buf.len() {
                match sock.read(&mut buf[len..]).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => len += n,
                }
                if buf[..len].windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
            let req = String::from_utf8_lossy(&buf[..len]).into_owned();
            let path = req.split(' ').nth(1).unwrap_or("").to_owned();
            let token = req
                .lines()
                .find_map(|l| {
                    let (n, v) = l.split_once(':')?;
                    n.eq_ignore_ascii_case("x-auth-token")
                        .then(|| v.trim().to_owned())
                })
                .unwrap_or_default();
            if let Ok(mut t) = tokens.lock() {
                t.push(format!("{path} {token}"));
            }
            let route = path.split('?').next().unwrap_or("");
            let (status, body) = if route == "/" {
                // The target check reads Placement's version document.
                ("200 OK", placement_hostile::VERSION_DOCUMENT)
            } else if route == "/ok" {
                ("200 OK", "{\"a\": 1}")
            } else {
                ("404 Not Found", "{\"errors\": []}")
            };
            let location = if route == "/go" {
                "location: /ok\r\n"
            } else {
                ""
            };
            let (status, body) = if route == "/go" {
                ("302 Found", "{}")
            } else {
                (status, body)
            };
            let resp = format!(
                "HTTP/1.1 {status}\r\n{location}content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = sock.write_all(resp.as_bytes()).await;
            let _ = sock.shutdown().await;
        }
    });
    (format!("http://{addr}"), seen, handle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_test_exits_1_with_the_summary() {
    let (url, seen, server) = fake_server().await;
    let path = suite_file(
        "pass-fail.yaml",
        "tests:\n\
         - name: passes\n  GET: /ok?t=1\n  request_headers:\n    x-auth-token: admin\n\
         \x20 response_json_paths:\n    $.a: 1\n\
         - name: fails\n  GET: /missing\n  status: 200\n\
         - name: as a persona\n  as: tenant-a-reader\n  GET: /ok?t=3\n\
         - name: skipped\n  skip: not today\n  GET: /ok\n",
    );
    let shown = path.display().to_string();
    let out = tokio::task::spawn_blocking(move || {
        harness(&["run", "--max-rps", "50", "--target", &url, &shown])
    })
    .await;
    let out = match out {
        Ok(o) => o,
        Err(e) => panic!("{e}"),
    };
    server.abort();
    let seen = seen.lock().map(|s| s.clone()).unwrap_or_default();
    // Without `as:` the test's own header goes out as written; with it,
    // the persona's noauth2 token.
    assert!(seen.contains(&"/ok?t=1 admin".to_owned()), "{seen:?}");
    assert!(seen.contains(&"/missing ".to_owned()), "{seen:?}");
    // The default personas' users and projects carry the run id.
    assert!(
        seen.iter()
            .any(|s| s.starts_with("/ok?t=3 tenant-a-reader-ph") && s.contains(":tenant-a-ph")),
        "{seen:?}"
    );
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    assert!(stdout.contains(" passes ... ok"), "{stdout}");
    assert!(stdout.contains(" fails ... FAIL"), "{stdout}");
    assert!(stdout.contains("status: expected 200, got 404"), "{stdout}");
    assert!(stdout.contains(" skipped ... skip: not today"), "{stdout}");
    assert_eq!(
        stdout.lines().last(),
        Some("2 passed, 1 failed, 1 skipped"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_followed_when_asked_and_unknown_personas_stop_the_run_unsent() {
    let (url, seen, server) = fake_server().await;
    // Personas are checked before anything is sent, every missing one
    // named with its step.
    let path = suite_file(
        "nobody.yaml",
        "tests:\n\
         - name: fine\n  GET: /ok\n\
         - name: nobody\n  as: nobody\n  GET: /ok\n\
         - name: ghost\n  as_each: {ghost: 200}\n  GET: /ok\n",
    );
    let shown = path.display().to_string();
    let u = url.clone();
    let out = tokio::task::spawn_blocking(move || harness(&["run", "--target", &u, &shown]))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("the suites send as 2 persona(s) the run does not have"),
        "{stderr}"
    );
    assert!(
        stderr.contains("  nobody: ") && stderr.contains("nobody.yaml:4"),
        "{stderr}"
    );
    assert!(stderr.contains("  ghost: "), "{stderr}");
    assert!(seen.lock().unwrap().is_empty(), "nothing sent");

    let path = suite_file(
        "redirects.yaml",
        "tests:\n\
         - name: not followed\n  GET: /go\n  status: 302\n\
         - name: followed\n  GET: /go\n  redirects: true\n  response_json_paths:\n    $.a: 1\n\
         - name: not there\n  GET: /missing\n",
    );
    let shown = path.display().to_string();
    let out =
        tokio::task::spawn_blocking(move || harness(&["run", "--target", &url, &shown])).await;
    let out = match out {
        Ok(o) => o,
        Err(e) => panic!("{e}"),
    };
    server.abort();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains(" not followed ... ok"), "{stdout}");
    assert!(stdout.contains(" followed ... ok"), "{stdout}");
    assert!(stdout.contains(" not there ... FAIL"), "{stdout}");
    assert_eq!(
        stdout.lines().last(),
        Some("2 passed, 1 failed"),
        "{stdout}"
    );
}

/// `--max-requests` bounds `run` as it bounds `scan` and `fuzz`: the tests
/// past the bound are not sent and fail saying why, the cleanup still
/// runs, and the run exits 2 naming the bound.
#[test]
fn max_requests_stops_a_run_and_names_the_bound() {
    let suite = suite_file(
        "bounded.yaml",
        "tests:\n\
         - name: root 1\n  GET: /\n  status: 200\n\
         - name: root 2\n  GET: /\n  status: 200\n\
         - name: root 3\n  GET: /\n  status: 200\n\
         - name: root 4\n  GET: /\n  status: 200\n",
    );
    let path = suite.display().to_string();
    let out = harness(&["run", "--max-requests", "3", &path]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    // The target check before the run is not one of the run's requests.
    assert!(stdout.contains("root 3 ... ok"), "{stdout}");
    assert!(stdout.contains("root 4 ... FAIL"), "{stdout}");
    assert!(stdout.contains("--max-requests 3 is reached"), "{stdout}");
    assert!(stdout.contains("3 passed, 1 failed"), "{stdout}");
    assert!(
        stderr.contains("stopped early: --max-requests was reached before the last test"),
        "{stderr}"
    );
    let out = harness(&["run", "--max-requests", "100", &path]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}
