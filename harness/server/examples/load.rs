//! A small closed-loop load generator for `scripts/bench-server`: N workers
//! send one kind of request to a loopback Placement for a bounded time and
//! count, and it prints `req/s p50_ms p99_ms errors` on one line.
//!
//! Usage: `load URL MIX [--seconds S] [--concurrency N] [--max-requests M]
//! [--max-rps R]`, where MIX is `version`, `providers`, `alloc-read`,
//! `alloc-write` or `candidates`. The provider and consumer it reads and
//! writes come from `--provider UUID --consumer UUID`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let url = args.get(1).ok_or("usage: load URL MIX [options]")?.clone();
    let mix = args.get(2).ok_or("usage: load URL MIX [options]")?.clone();
    let host = url::Url::parse(&url)?.host_str().unwrap_or("").to_owned();
    if !matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]") {
        return Err(format!("{url}: loopback targets only").into());
    }
    let seconds: f64 = arg(&args, "--seconds").map_or(Ok(5.0), |s| s.parse())?;
    let concurrency: usize = arg(&args, "--concurrency").map_or(Ok(8), |s| s.parse())?;
    let max_requests: u64 = arg(&args, "--max-requests").map_or(Ok(1_000_000), |s| s.parse())?;
    let max_rps: f64 = arg(&args, "--max-rps").map_or(Ok(0.0), |s| s.parse())?;
    let provider = arg(&args, "--provider").unwrap_or_default();
    let consumer = arg(&args, "--consumer").unwrap_or_default();
    if !(0.0..=600.0).contains(&seconds) || concurrency == 0 || concurrency > 256 {
        return Err("--seconds must be in 0..=600 and --concurrency in 1..=256".into());
    }
    let client = reqwest::Client::new();
    let sent = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(seconds);
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let (client, url, mix) = (client.clone(), url.clone(), mix.clone());
        let (provider, consumer) = (provider.clone(), consumer.clone());
        let (sent, errors) = (sent.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let n = sent.fetch_add(1, Ordering::Relaxed);
                if n >= max_requests || Instant::now() >= deadline {
                    break;
                }
                if max_rps > 0.0 {
                    let due = start + Duration::from_secs_f64(n as f64 / max_rps);
                    tokio::time::sleep_until(due.into()).await;
                }
                let req = match mix.as_str() {
                    "version" => client.get(format!("{url}/")),
                    "providers" => client.get(format!("{url}/resource_providers")),
                    "alloc-read" => client.get(format!("{url}/allocations/{consumer}")),
                    "alloc-write" => {
                        // Microversion 1.27: no consumer generation, so every
                        // write replaces the last one whatever the order.
                        let amount = 1 + (n + worker as u64) % 2;
                        let body = format!(
                            r#"{{"allocations":{{"{provider}":{{"resources":{{"VCPU":{amount}}}}}}},"project_id":"p","user_id":"u"}}"#
                        );
                        client
                            .put(format!("{url}/allocations/{consumer}"))
                            .header("content-type", "application/json")
                            .header("openstack-api-version", "placement 1.27")
                            .body(body)
                    }
                    "candidates" => client
                        .get(format!("{url}/allocation_candidates?resources=VCPU:1"))
                        .header("openstack-api-version", "placement 1.39"),
                    other => {
                        eprintln!("unknown mix {other}");
                        errors.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                };
                let t0 = Instant::now();
                let ok = match req.header("x-auth-token", "admin").send().await {
                    Ok(r) => {
                        let good = r.status().is_success();
                        let _ = r.bytes().await;
                        good
                    }
                    Err(_) => false,
                };
                latencies.push(t0.elapsed());
                if !ok {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await?);
    }
    let elapsed = start.elapsed().as_secs_f64();
    all.sort_unstable();
    let pick = |q: f64| {
        let i = ((all.len() as f64 - 1.0) * q).round() as usize;
        all.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "{:.1} {:.2} {:.2} {}",
        all.len() as f64 / elapsed,
        pick(0.50),
        pick(0.99),
        errors.load(Ordering::Relaxed)
    );
    Ok(())
}
