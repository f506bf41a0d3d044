//! Servers that misbehave on purpose, so that the harness can be tested
//! against every way a target can go wrong: bytes that are not HTTP,
//! resets, hangs, bodies that drip, never end or are huge, wrong content
//! types, HTML errors, redirects to another origin, and a server that dies
//! in the middle of a run.
//!
//! It exists apart from the harness because a scanner's promises ("ends
//! within `--timeout`, one clear line, exit 2, nothing lost") hold only if
//! they are tested against servers that break them on purpose; the tests
//! run it in-process ([`spawn`]), `scripts/bench-hostile` as its own
//! process (`placement-hostile`). It binds loopback addresses only.
//!
//! Until it has answered [`Config::after`] requests it behaves like a
//! minimal Placement (its version document at the root, a Placement-style
//! 404 elsewhere), or forwards to a real one ([`Config::upstream`]), so
//! that the misbehaviour can start mid-run, after the run has created
//! objects.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Placement 16.0.0's version document (what a healthy root answers).
pub const VERSION_DOCUMENT: &str = r#"{"versions": [{"id": "v1.0", "max_version": "1.39", "min_version": "1.0", "status": "CURRENT", "links": [{"rel": "self", "href": ""}]}]}"#;

/// Most bytes of a request head read before the request is answered.
const MAX_HEAD: usize = 64 * 1024;
/// Most bytes of a request body read (and thrown away).
const MAX_BODY: u64 = 64 * 1024 * 1024;
/// Size of the `oversized` answer's body.
pub const OVERSIZED_BYTES: u64 = 256 * 1024 * 1024;

/// How the server misbehaves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Behaves like a minimal Placement throughout (the control).
    Healthy,
    /// Answers with bytes that are not HTTP, then closes.
    Garbage,
    /// Closes the connection at once (a reset), answering nothing.
    Reset,
    /// Reads the request and never answers, keeping the connection open.
    Hang,
    /// Sends a 200 JSON head, then one body byte a second.
    Drip,
    /// Sends a 200 JSON head and a chunked body that never ends.
    Endless,
    /// Sends a 200 JSON answer of [`OVERSIZED_BYTES`] bytes.
    Oversized,
    /// The version document as `text/plain`.
    WrongType,
    /// The version document with no `Content-Type`.
    NoType,
    /// A 500 with an HTML page, as a front end's error page.
    HtmlError,
    /// A 302 to another origin (the URL given).
    Redirect(String),
    /// Stops listening and drops every connection (the process exits when
    /// run as `placement-hostile`).
    Dies,
}

impl Kind {
    /// Every kind's name, as `placement-hostile --kind` takes it.
    pub const NAMES: &'static [&'static str] = &[
        "healthy",
        "garbage",
        "reset",
        "hang",
        "drip",
        "endless",
        "oversized",
        "wrong-type",
        "no-type",
        "html-error",
        "redirect",
        "dies",
    ];

    /// The kind named `name`; `redirect` sends to `redirect_to`.
    pub fn parse(name: &str, redirect_to: &str) -> Option<Kind> {
        Some(match name {
            "healthy" => Kind::Healthy,
            "garbage" => Kind::Garbage,
            "reset" => Kind::Reset,
            "hang" => Kind::Hang,
            "drip" => Kind::Drip,
            "endless" => Kind::Endless,
            "oversized" => Kind::Oversized,
            "wrong-type" => Kind::WrongType,
            "no-type" => Kind::NoType,
            "html-error" => Kind::HtmlError,
            "redirect" => Kind::Redirect(redirect_to.to_owned()),
            "dies" => Kind::Dies,
            _ => return None,
        })
    }
}

/// A hostile server's set-up.
#[derive(Clone, Debug)]
pub struct Config {
    /// How it misbehaves.
    pub kind: Kind,
    /// Requests answered healthily before it starts misbehaving.
    pub after: u64,
    /// Where healthy requests are forwarded (`127.0.0.1:PORT` of a real
    /// or embedded Placement); `None`: the minimal Placement answers.
    pub upstream: Option<SocketAddr>,
    /// Print each request line read on stderr (the process's log).
    pub log: bool,
    /// Serve Placement under this path (`/placement`), as a front end that
    /// mounts it there does: the prefix is taken off before a request is
    /// answered or forwarded, and a path outside it gets the front end's
    /// own HTML 404.
    pub prefix: Option<String>,
}

/// A server started by [`spawn`]; stopped when dropped.
#[derive(Debug)]
pub struct Running {
    /// Where it listens (loopback).
    pub addr: SocketAddr,
    requests: Arc<AtomicU64>,
    died: watch::Receiver<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests it has read so far (answered or not).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    /// Whether a `dies` server has died.
    pub fn has_died(&self) -> bool {
        *self.died.borrow()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts a hostile server on a free loopback port.
pub async fn spawn(config: Config) -> io::Result<Running> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let requests = Arc::new(AtomicU64::new(0));
    let (died_tx, died) = watch::channel(false);
    let task = tokio::spawn(serve(listener, config, Arc::clone(&requests), died_tx));
    Ok(Running {
        addr,
        requests,
        died,
        task,
    })
}

/// Accepts until a `dies` server dies; connections are aborted with it.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    requests: Arc<AtomicU64>,
    died: watch::Sender<bool>,
) {
    let config = Arc::new(config);
    let mut connections = JoinSet::new();
    let mut dying = died.subscribe();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let config = Arc::clone(&config);
                let requests = Arc::clone(&requests);
                let died = died.clone();
                connections.spawn(async move {
                    let _ = connection(stream, &config, &requests, &died).await;
                });
            }
            // Reaps finished connections so the set stays small.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            changed = dying.changed() => {
                if changed.is_err() || *dying.borrow() {
                    // Dropping the listener and the set closes every socket.
                    return;
                }
            }
        }
    }
}

async fn connection(
    mut stream: TcpStream,
    config: &Config,
    requests: &AtomicU64,
    died: &watch::Sender<bool>,
) -> io::Result<()> {
    let Some(mut request) = read_request(&mut stream).await? else {
        return Ok(());
    };
    let n = requests.fetch_add(1, Ordering::SeqCst) + 1;
    if config.log {
        eprintln!("{}", request.head.lines().next().unwrap_or_default());
    }
    if let Some(prefix) = &config.prefix {
        if !request.strip_prefix(prefix) {
            let page = "<html><head><title>404 Not Found</title></head>\
                        <body><h1>Not Found</h1><p>The requested URL was not found on this server.</p></body></html>";
            return answer(&mut stream, "404 Not Found", Some("text/html"), page, &[]).await;
        }
    }
    let path = request.path.as_str();
    if n <= config.after || config.kind == Kind::Healthy {
        return match config.upstream {
            Some(upstream) => forward(&mut stream, &request, upstream).await,
            None => healthy(&mut stream, path).await,
        };
    }
    match &config.kind {
        Kind::Healthy => healthy(&mut stream, path).await,
        Kind::Garbage => {
            stream
                .write_all(b"\x00\x01\x02 SSH-2.0-OpenSSH_9.6 not http at all\r\n\xff\xfe")
                .await?;
            stream.shutdown().await
        }
        Kind::Reset => {
            // Linger 0: close sends a reset instead of a clean FIN.
            let _ = stream.set_zero_linger();
            drop(stream);
            Ok(())
        }
        Kind::Hang => {
            // Keeps the socket until the client gives up; bounded by the
            // server's own life.
            let mut sink = [0u8; 1024];
            while stream.read(&mut sink).await? > 0 {}
            Ok(())
        }
        Kind::Drip => {
            stream
                .write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                      content-length: 100000\r\nconnection: close\r\n\r\n",
                )
                .await?;
            for _ in 0..100_000 {
                stream.write_all(b" ").await?;
                stream.flush().await?;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Ok(())
        }
        Kind::Endless => {
            stream
                .write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                      transfer-encoding: chunked\r\nconnection: close\r\n\r\n",
                )
                .await?;
            let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, " ".repeat(64 * 1024));
            // Ends when the client closes the connection.
            loop {
                stream.write_all(chunk.as_bytes()).await?;
            }
        }
        Kind::Oversized => {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                 content-length: {OVERSIZED_BYTES}\r\nconnection: close\r\n\r\n"
            );
            stream.write_all(head.as_bytes()).await?;
            let block = vec![b' '; 64 * 1024];
            let mut left = OVERSIZED_BYTES;
            while left > 0 {
                let n = left.min(block.len() as u64);
                stream
                    .write_all(&block[..usize::try_from(n).unwrap_or(block.len())])
                    .await?;
                left -= n;
            }
            Ok(())
        }
        Kind::WrongType => {
            answer(
                &mut stream,
                "200 OK",
                Some("text/plain"),
                VERSION_DOCUMENT,
                &[],
            )
            .await
        }
        Kind::NoType => answer(&mut stream, "200 OK", None, VERSION_DOCUMENT, &[]).await,
        Kind::HtmlError => {
            let page = "<html><head><title>500 Internal Server Error</title></head>\
                        <body><h1>Internal Server Error</h1><hr>nginx</body></html>";
            answer(
                &mut stream,
                "500 Internal Server Error",
                Some("text/html"),
                page,
                &[],
            )
            .await
        }
        Kind::Redirect(to) => {
            let location = format!("{}{}", to.trim_end_matches('/'), path);
            answer(
                &mut stream,
                "302 Found",
                Some("text/html"),
                "<html><body>moved</body></html>",
                &[("location", &location)],
            )
            .await
        }
        Kind::Dies => {
            let _ = died.send(true);
            Ok(())
        }
    }
}

/// Placement's version document at the root; elsewhere the 404 that
/// Placement gives a path it does not route.
async fn healthy(stream: &mut TcpStream, path: &str) -> io::Result<()> {
    if path.split('?').next() == Some("/") {
        return answer(
            stream,
            "200 OK",
            Some("application/json"),
            VERSION_DOCUMENT,
            &[],
        )
        .await;
    }
    let body = r#"{"errors": [{"status": 404, "title": "Not Found", "detail": "The resource could not be found.\n\n   ", "request_id": "req-00000000-0000-0000-0000-000000000000"}]}"#;
    answer(stream, "404 Not Found", Some("application/json"), body, &[]).await
}

async fn answer(
    stream: &mut TcpStream,
    status: &str,
    ctype: Option<&str>,
    body: &str,
    extra: &[(&str, &str)],
) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {status}\r\n");
    if let Some(c) = ctype {
        head.push_str(&format!("content-type: {c}\r\n"));
    }
    for (name, value) in extra {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    ));
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown().await
}

/// One request as read: its head (request line and headers), body and path.
#[derive(Debug)]
struct RawRequest {
    head: String,
    body: Vec<u8>,
    path: String,
}

impl RawRequest {
    /// Takes `prefix` off the request's path (in its request line too);
    /// false when the path is not under it.
    fn strip_prefix(&mut self, prefix: &str) -> bool {
        let prefix = prefix.trim_end_matches('/');
        let Some(rest) = self.path.strip_prefix(prefix) else {
            return false;
        };
        let rest = match rest.chars().next() {
            None => "/".to_owned(),
            Some('/') => rest.to_owned(),
            Some('?') => format!("/{rest}"),
            Some(_) => return false,
        };
        let line_end = self.head.find("\r\n").unwrap_or(self.head.len());
        let line = self.head[..line_end].replacen(&self.path, &rest, 1);
        self.head.replace_range(..line_end, &line);
        self.path = rest;
        true
    }
}

/// Sends `request` to `upstream` with `connection: close` and copies the
/// answer back until the upstream closes.
async fn forward(
    stream: &mut TcpStream,
    request: &RawRequest,
    upstream: SocketAddr,
) -> io::Result<()> {
    let mut up = TcpStream::connect(upstream).await?;
    let mut head = String::new();
    for (i, line) in request.head.split("\r\n").enumerate() {
        let connection = line
            .split_once(':')
            .is_some_and(|(n, _)| n.trim().eq_ignore_ascii_case("connection"));
        if line.is_empty() || (i > 0 && connection) {
            continue;
        }
        head.push_str(line);
        head.push_str("\r\n");
    }
    head.push_str("connection: close\r\n\r\n");
    up.write_all(head.as_bytes()).await?;
    up.write_all(&request.body).await?;
    tokio::io::copy(&mut up, stream).await?;
    stream.shutdown().await
}

/// Reads one request head and body (at most [`MAX_BODY`] bytes of it), or
/// `None` when the client closed first.
async fn read_request(stream: &mut TcpStream) -> io::Result<Option<RawRequest>> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    let end = loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(None);
        }
        head.extend_from_slice(&buf[..n]);
        if let Some(at) = find(&head, b"\r\n\r\n") {
            break at + 4;
        }
        if head.len() > MAX_HEAD {
            return Ok(None);
        }
    };
    let text = String::from_utf8_lossy(&head[..end]).into_owned();
    let path = text
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("/")
        .to_owned();
    let length: u64 = text
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    let mut body = head.split_off(end);
    let want = usize::try_from(length.min(MAX_BODY)).unwrap_or(0);
    while body.len() < want {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buf[..n]);
    }
    body.truncate(want);
    Ok(Some(RawRequest {
        head: text,
        body,
        path,
    }))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::RawRequest;

    fn request(path: &str) -> RawRequest {
        RawRequest {
            head: format!("GET {path} HTTP/1.1\r\nhost: x\r\n\r\n"),
            body: Vec::new(),
            path: path.to_owned(),
        }
    }

    #[test]
    fn a_prefix_comes_off_the_path_and_the_request_line() {
        for (path, want) in [
            ("/placement", "/"),
            ("/placement/", "/"),
            ("/placement?x=1", "/?x=1"),
            (
                "/placement/resource_providers?name=a",
                "/resource_providers?name=a",
            ),
        ] {
            let mut r = request(path);
            assert!(r.strip_prefix("/placement/"), "{path}");
            assert_eq!(r.path, want);
            assert!(
                r.head.starts_with(&format!("GET {want} HTTP/1.1\r\n")),
                "{}",
                r.head
            );
        }
        for path in [
            "/",
            "/placementx",
            "/resource_providers",
            "/other/placement",
        ] {
            assert!(!request(path).strip_prefix("/placement"), "{path}");
        }
    }
}
