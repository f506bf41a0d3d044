//! The libFuzzer HTTP target's library side (`http_target`): against the
//! embedded server it starts, sets up the run's objects and sends decoded
//! inputs that get both successes and refusals; against a server that
//! answers every GET with 500 an input fails (a 5xx on valid input is
//! medium) with the finding's check and
//! curl line only at or above the threshold, and the failing input is
//! written as a gabbi file that parses as a suite. Every checked-in seed
//! and regression of `corpus/http_placement/` decodes to the operation its
//! name says and passes against the embedded server.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use placement_harness::finding::Severity;
use placement_harness::fuzz::rng::Rng;
use placement_harness::http_target::{HttpTarget, InputError, TargetConfig};
use placement_harness::model::arbitrary::HttpRequest;
use placement_harness::model::surface;

fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("http-target-{name}-{}", std::process::id()))
}

fn start(url: Option<String>, threshold: Severity, dir: &Path) -> HttpTarget {
    HttpTarget::start(TargetConfig {
        url,
        threshold,
        gabbi_dir: Some(dir.join("found")),
        journal_dir: Some(dir.join("journal")),
        known_file: Some(dir.join("known")),
    })
    .expect("the target starts and its setup succeeds")
}

#[test]
fn embedded_target_sends_decoded_inputs_that_get_successes_and_refusals() {
    let dir = scratch("embedded");
    let t = start(None, Severity::Critical, &dir);
    assert!(t.base_url().starts_with("http://127.0.0.1:"));
    let mut rng = Rng::new(3);
    let (mut ok, mut refused, mut routes) = (0, 0, BTreeSet::new());
    for _ in 0..300 {
        let bytes: Vec<u8> = (0..64).map(|_| rng.next_u64().to_le_bytes()[0]).collect();
        match t.run(&bytes) {
            Ok(sent) => {
                routes.insert(format!("{} {}", sent.step.method, sent.step.route));
                match sent.status {
                    Some(200..=299) => ok += 1,
                    Some(400..=499) => refused += 1,
                    Some(s) => panic!("embedded server answered {s} to {:?}", sent.step),
                    None => {}
                }
            }
            Err(e) => panic!("no embedded finding is critical, yet: {e}"),
        }
    }
    assert!(ok > 50, "{ok} successes in 300 inputs");
    assert!(refused > 50, "{refused} refusals in 300 inputs");
    assert!(
        routes.len() > 25,
        "only {} operations reached",
        routes.len()
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// A loopback server answering 200 `{}` to writes and 500 to every GET,
/// one connection at a time, for at most `max` connections.
fn failing_gets(max: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let url = format!("http://{}/", listener.local_addr().expect("address"));
    std::thread::spawn(move || {
        for stream in listener.incoming().take(max) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
            let mut first = String::new();
            let _ = reader.read_line(&mut first);
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let (status, text) = if first.starts_with("GET ") {
                (
                    "500 Internal Server Error",
                    "{\"errors\": [{\"status\": 500}]}",
                )
            } else {
                ("200 OK", "{}")
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                text.len()
            );
        }
    });
    url
}

#[test]
fn a_5xx_fails_the_input_at_the_threshold_and_becomes_a_gabbi_file() {
    let dir = scratch("fivexx");
    // No bytes decode to the plainest request of the first operation: a GET.
    let t = start(Some(failing_gets(50)), Severity::Medium, &dir);
    let failure = match t.run(&[]) {
        Err(InputError::Failure(f)) => f,
        other => panic!("a 500 must fail the input: {other:?}"),
    };
    assert_eq!(failure.check, "no_5xx");
    assert_eq!(failure.severity, Severity::Medium);
    assert!(failure.curl.starts_with("curl "), "{}", failure.curl);
    let text = failure.to_string();
    assert!(
        text.contains("no_5xx") && text.contains(&failure.curl),
        "{text}"
    );
    let path = failure.gabbi.clone().expect("the gabbi file is written");
    let yaml = std::fs::read_to_string(&path).expect("read the gabbi file");
    assert!(yaml.starts_with("# Found by the libFuzzer target http_placement: no_5xx."));
    let suite = placement_harness::suite::parse_suite(&yaml, &path).expect("it parses as a suite");
    // Setup (5 steps) then the failing request, which asks for no 5xx.
    assert_eq!(suite.tests.len(), 6, "{yaml}");
    assert!(suite.tests.iter().all(|t| !t.status.is_empty()));
    assert!(
        suite
            .tests
            .last()
            .is_some_and(|t| t.status.iter().all(|s| *s < 500))
    );
    let _ = std::fs::remove_dir_all(&dir);

    // Below the threshold the same answer is only reported back.
    let dir = scratch("fivexx-critical");
    let t = start(Some(failing_gets(50)), Severity::High, &dir);
    let sent = t
        .run(&[])
        .expect("a 5xx on valid input is medium, not high");
    assert_eq!(sent.status, Some(500));
    assert!(sent.findings.iter().any(|f| f.check.as_str() == "no_5xx"));
    let _ = std::fs::remove_dir_all(dir);
}

/// The input files of `corpus/http_placement/` and its `regressions/`.
fn corpus_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../corpus/http_placement");
    let mut files = Vec::new();
    for dir in [root.clone(), root.join("regressions")] {
        let entries = std::fs::read_dir(&dir).expect("corpus/http_placement/ exists");
        for e in entries {
            let path = e.expect("readable corpus folder").path();
            let dot = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'));
            if path.is_file() && !dot {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_seed_names_its_operation_and_the_corpus_passes_on_the_embedded_server() {
    use arbitrary::{Arbitrary, Unstructured};
    let files = corpus_files();
    let mut covered = BTreeSet::new();
    for file in &files {
        let data = std::fs::read(file).expect("readable corpus file");
        let HttpRequest(step) =
            HttpRequest::arbitrary(&mut Unstructured::new(&data)).expect("every input decodes");
        let slug = placement_harness::model::route_slug(&step.method, &step.route);
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let in_regressions = file.parent().is_some_and(|p| p.ends_with("regressions"));
        if !in_regressions {
            assert_eq!(
                name.split('.').next(),
                Some(slug.as_str()),
                "{}",
                file.display()
            );
        }
        covered.insert(slug);
    }
    for op in surface() {
        assert!(covered.contains(&op.slug()), "no seed for {}", op.slug());
    }
    let dir = scratch("corpus");
    // The embedded server is held to the full standard: any finding fails.
    let t = start(None, Severity::Info, &dir);
    let mut failures = Vec::new();
    for file in &files {
        let data = std::fs::read(file).expect("readable corpus file");
        if let Err(e) = t.run(&data) {
            failures.push(format!("{}: {e}", file.display()));
        }
    }
    let _ = std::fs::remove_dir_all(dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
