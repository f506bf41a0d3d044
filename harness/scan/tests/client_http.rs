//! The HTTP client against a tiny HTTP server on 127.0.0.1:0 started in each
//! test: time limits, the body cap, retries, `--max-rps` and the concurrency
//! bound. Every test sends a handful of requests and finishes in well under
//! two seconds.

// A test binary: a failed setup must fail the test loudly.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use placement_harness::client::{Client, ClientConfig, ClientError};
use placement_harness::exchange::{Header, Request};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Default)]
struct Stats {
    hits: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    starts: Mutex<Vec<Instant>>,
    last_request: Mutex<String>,
}

/// Starts the server; paths: `/ok`, `/big` (64 KiB), `/slow` (answers
/// after 2 s), `/hold` (answers after 50 ms, counting requests in flight),
/// `/status/NNN`.
async fn server() -> (String, Arc<Stats>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stats = Arc::new(Stats::default());
    let s = stats.clone();
    tokio::spawn(async move {
        // Ends with the test's runtime.
        while let Ok((sock, _)) = listener.accept().await {
            tokio::spawn(handle(sock, s.clone()));
        }
    });
    (format!("http://{addr}"), stats)
}

async fn handle(mut sock: TcpStream, stats: Arc<Stats>) {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 4096];
    // Read the head (bounded: a test request is small).
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 65536 {
        match sock.read(&mut tmp).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&tmp[..n]),
        }
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
    stats.hits.fetch_add(1, Ordering::SeqCst);
    stats.starts.lock().unwrap().push(Instant::now());
    *stats.last_request.lock().unwrap() = head;
    let (status, body): (u16, Vec<u8>) = match path.as_str() {
        "/big" => (200, vec![b'x'; 64 * 1024]),
        "/slow" => {
            tokio::time::sleep(Duration::from_secs(2)).await;
            (200, b"late".to_vec())
        }
        "/hold" => {
            let now = stats.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            stats.max_in_flight.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(50)).await;
            stats.in_flight.fetch_sub(1, Ordering::SeqCst);
            (200, b"held".to_vec())
        }
        p if p.starts_with("/status/") => (p[8..].parse().unwrap_or(500), b"{}".to_vec()),
        _ => (200, b"hello".to_vec()),
    };
    let head = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = sock.write_all(head.as_bytes()).await;
    let _ = sock.write_all(&body).await;
    let _ = sock.shutdown().await;
}

fn get(url: String) -> Request {
    Request {
        method: "GET".into(),
        url,
        persona: "admin".into(),
        ..Request::default()
    }
}

fn client(config: ClientConfig) -> Client {
    Client::new(config).unwrap()
}

#[tokio::test]
async fn records_status_headers_body_and_elapsed() {
    let (base, _) = server().await;
    let c = client(ClientConfig::default());
    let ex = c.send(get(format!("{base}/status/404"))).await.unwrap();
    assert_eq!(ex.status(), 404);
    assert_eq!(ex.response_header("content-type"), Some("text/plain"));
    assert_eq!(ex.body_text(), "{}");
    assert!(!ex.response().truncated);
    assert!(ex.response().elapsed > Duration::ZERO);
}

#[tokio::test]
async fn credential_headers_are_sent_but_recorded_redacted() {
    let (base, stats) = server().await;
    let c = client(ClientConfig::default());
    let mut req = get(format!("{base}/ok"));
    req.headers
        .push(Header::new("X-Auth-Token", "sekrit-token-value"));
    let ex = c.send(req).await.unwrap();
    let seen = stats.last_request.lock().unwrap().to_ascii_lowercase();
    assert!(seen.contains("x-auth-token: sekrit-token-value"), "{seen}");
    assert_eq!(ex.request_header("x-auth-token"), Some("<redacted>"));
    assert!(!format!("{ex:?}").contains("sekrit"));
}

#[tokio::test]
async fn every_request_names_the_scanner_in_its_user_agent() {
    let (base, stats) = server().await;
    let c = client(ClientConfig::default());
    c.send(get(format!("{base}/ok"))).await.unwrap();
    let seen = stats.last_request.lock().unwrap().to_ascii_lowercase();
    let want = format!(
        "user-agent: placement-harness/{}",
        env!("CARGO_PKG_VERSION")
    );
    assert!(seen.contains(&want), "{seen}");
    // A suite that sets its own keeps it.
    let mut req = get(format!("{base}/ok"));
    req.headers.push(Header::new("User-Agent", "curl/8"));
    c.send(req).await.unwrap();
    let seen = stats.last_request.lock().unwrap().to_ascii_lowercase();
    assert!(seen.contains("user-agent: curl/8"), "{seen}");
    assert!(!seen.contains("placement-harness/"), "{seen}");
}

#[tokio::test]
async fn total_timeout_fires() {
    let (base, _) = server().await;
    let c = client(ClientConfig {
        total_timeout: Duration::from_millis(200),
        ..ClientConfig::default()
    });
    let started = Instant::now();
    let err = c.send(get(format!("{base}/slow"))).await.unwrap_err();
    assert!(matches!(err, ClientError::Timeout { .. }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(err.to_string().contains("/slow"), "{err}");
}

#[tokio::test]
async fn body_cap_cuts_and_marks_truncated() {
    let (base, _) = server().await;
    let c = client(ClientConfig {
        max_body_bytes: 1000,
        ..ClientConfig::default()
    });
    let ex = c.send(get(format!("{base}/big"))).await.unwrap();
    assert_eq!(ex.response().body.len(), 1000);
    assert!(ex.response().truncated);
    let ex = c.send(get(format!("{base}/ok"))).await.unwrap();
    assert!(!ex.response().truncated);
}

/// A port nothing listens on: bound, then released.
async fn refused_url() -> String {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}/x")
}

#[tokio::test]
async fn retries_refused_get_but_not_post() {
    let url = refused_url().await;
    let c = client(ClientConfig {
        retries: 2,
        ..ClientConfig::default()
    });
    let err = c.send(get(url.clone())).await.unwrap_err();
    assert!(
        matches!(err, ClientError::Connect { attempts: 3, .. }),
        "{err}"
    );
    let mut post = get(url);
    post.method = "POST".into();
    post.body = Some("{}".into());
    let err = c.send(post).await.unwrap_err();
    assert!(
        matches!(err, ClientError::Connect { attempts: 1, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn never_retries_on_an_http_status() {
    let (base, stats) = server().await;
    let c = client(ClientConfig {
        retries: 3,
        ..ClientConfig::default()
    });
    let ex = c.send(get(format!("{base}/status/503"))).await.unwrap();
    assert_eq!(ex.status(), 503);
    assert_eq!(stats.hits.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn max_rps_spaces_requests_across_tasks() {
    let (base, stats) = server().await;
    // 50 rps: 10 requests need at least 9 intervals of 20 ms.
    let c = client(ClientConfig {
        max_rps: Some(50.0),
        concurrency: 10,
        ..ClientConfig::default()
    });
    let started = Instant::now();
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let c = c.clone();
            let url = format!("{base}/ok");
            tokio::spawn(async move { c.send(get(url)).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(175), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
    let mut starts = stats.starts.lock().unwrap().clone();
    starts.sort();
    let span = starts[starts.len() - 1] - starts[0];
    assert!(span >= Duration::from_millis(170), "{span:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrency_bound_holds() {
    let (base, stats) = server().await;
    let c = client(ClientConfig {
        concurrency: 3,
        ..ClientConfig::default()
    });
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let c = c.clone();
            let url = format!("{base}/hold");
            tokio::spawn(async move { c.send(get(url)).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let max = stats.max_in_flight.load(Ordering::SeqCst);
    assert!((1..=3).contains(&max), "{max} in flight");
}

#[tokio::test]
async fn bad_inputs_are_typed_errors_without_secrets() {
    let c = client(ClientConfig::default());
    let err = c.send(get("ftp://127.0.0.1/x".into())).await.unwrap_err();
    assert!(matches!(err, ClientError::Url { .. }), "{err}");
    let mut req = get("http://127.0.0.1:1/x".into());
    req.method = "GE T".into();
    assert!(matches!(
        c.send(req).await.unwrap_err(),
        ClientError::Method(_)
    ));
    let mut req = get("http://127.0.0.1:1/x".into());
    req.headers
        .push(Header::new("x-auth-token", "hunter2-secret\nInjected: 1"));
    let err = c.send(req).await.unwrap_err();
    assert!(matches!(err, ClientError::Header { .. }), "{err}");
    assert!(!err.to_string().contains("hunter2"), "{err}");
    assert!(!format!("{err:?}").contains("hunter2"), "{err:?}");
    let err = c
        .send(get("http://user:hunter2pw@127.0.0.1:1/x".into()))
        .await
        .unwrap_err();
    assert!(!err.to_string().contains("hunter2pw"), "{err}");
    assert!(
        Client::new(ClientConfig {
            concurrency: 0,
            ..ClientConfig::default()
        })
        .is_err()
    );
    assert!(
        Client::new(ClientConfig {
            max_rps: Some(f64::NAN),
            ..ClientConfig::default()
        })
        .is_err()
    );
    let err = Client::new(ClientConfig {
        cacert: Some("/nonexistent/ca.pem".into()),
        ..ClientConfig::default()
    })
    .unwrap_err();
    assert!(err.to_string().starts_with("--cacert"), "{err}");
}
