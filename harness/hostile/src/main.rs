//! `placement-hostile`: one hostile server as its own process, for
//! `scripts/bench-hostile`. Prints its base URL on stdout, then serves
//! until killed (a `dies` server exits by itself when it dies).

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use clap::Parser;
use placement_hostile::{Config, Kind, serve};

/// A server that misbehaves on purpose (loopback only).
#[derive(Debug, Parser)]
#[command(name = "placement-hostile", version)]
struct Args {
    /// How it misbehaves: healthy, garbage, reset, hang, drip, endless,
    /// oversized, wrong-type, no-type, html-error, redirect or dies.
    #[arg(long, value_name = "KIND")]
    kind: String,
    /// Requests answered as a minimal Placement first.
    #[arg(long, value_name = "N", default_value_t = 0)]
    after: u64,
    /// Where `redirect` sends the client.
    #[arg(long, value_name = "URL", default_value = "http://127.0.0.2:9/")]
    redirect_to: String,
    /// Forward healthy requests to this Placement (`127.0.0.1:PORT`).
    #[arg(long, value_name = "ADDR")]
    upstream: Option<SocketAddr>,
    /// Print each request line on stderr.
    #[arg(long)]
    log: bool,
    /// Serve Placement under this path prefix (`/placement`).
    #[arg(long, value_name = "PATH")]
    prefix: Option<String>,
    /// Address to listen on (loopback only; port 0 picks a free one).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    listen: SocketAddr,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let Some(kind) = Kind::parse(&args.kind, &args.redirect_to) else {
        eprintln!(
            "placement-hostile: --kind {:?}: expected one of {}",
            args.kind,
            Kind::NAMES.join(", ")
        );
        return ExitCode::from(2);
    };
    if args.upstream.is_some_and(|u| !u.ip().is_loopback()) {
        eprintln!("placement-hostile: --upstream: loopback addresses only");
        return ExitCode::from(2);
    }
    if !args.listen.ip().is_loopback() {
        eprintln!(
            "placement-hostile: --listen {}: loopback addresses only",
            args.listen
        );
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("placement-hostile: starting the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(async {
        let listener = match tokio::net::TcpListener::bind(args.listen).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("placement-hostile: --listen {}: {e}", args.listen);
                return ExitCode::from(2);
            }
        };
        let addr = listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        let mut out = std::io::stdout();
        let _ = writeln!(out, "http://{addr}");
        let _ = out.flush();
        let (died, _) = tokio::sync::watch::channel(false);
        let config = Config {
            kind,
            after: args.after,
            upstream: args.upstream,
            log: args.log,
            prefix: args.prefix.clone(),
        };
        serve(listener, config, Arc::new(AtomicU64::new(0)), died).await;
        ExitCode::SUCCESS
    })
}
