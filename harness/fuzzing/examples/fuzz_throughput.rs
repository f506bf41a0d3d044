//! Throughput of each fuzz check with libFuzzer taken out: every target's
//! library function runs in a loop over its checked-in corpus for a fixed
//! time, and the JSON targets are compared with `json_parse_only` on exactly
//! the same JSON payloads. `scripts/bench-fuzz` prints this table next to the
//! libFuzzer one, whose figures also carry the fuzzer's own per-input cost.
//!
//! Usage: cargo run --release -p placement-fuzzing --example fuzz_throughput -- [--seconds N] [--target NAME]...

use std::process::ExitCode;
use std::time::{Duration, Instant};
use std::{env, fs};

use placement_fuzzing::{self as fuzz, Target};

#[path = "../tests/common/corpus.rs"]
mod corpus;

fn corpus_files(target: &str) -> Vec<Vec<u8>> {
    corpus::seeds_and_regressions(target)
        .iter()
        .filter_map(|p| fs::read(p).ok())
        .collect()
}

/// Calls `run` over `inputs` round-robin for `budget`; returns calls per second.
fn measure(run: fn(&[u8]) -> fuzz::Verdict, inputs: &[Vec<u8>], budget: Duration) -> f64 {
    if inputs.is_empty() {
        return 0.0;
    }
    let start = Instant::now();
    let mut calls: u64 = 0;
    loop {
        for input in inputs {
            let _ = std::hint::black_box(run(std::hint::black_box(input)));
            calls += 1;
        }
        let elapsed = start.elapsed();
        if elapsed >= budget {
            return calls as f64 / elapsed.as_secs_f64();
        }
    }
}

/// The measuring time and the targets asked for (none: all of them).
fn parse_args() -> Result<(u64, Vec<String>), String> {
    let mut args = env::args().skip(1);
    let mut seconds = 3;
    let mut only = Vec::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--target" => {
                let name = args.next().ok_or("--target needs a target name")?;
                if !fuzz::TARGETS.iter().any(|t| t.name == name) {
                    return Err(format!("--target: no fuzz target is named {name:?}"));
                }
                only.push(name);
            }
            "--seconds" => {
                let value = args.next().ok_or("--seconds needs a value")?;
                seconds = value
                    .parse()
                    .ok()
                    .filter(|&s| s > 0)
                    .ok_or_else(|| format!("--seconds: {value:?} is not a positive integer"))?;
            }
            other => {
                return Err(format!(
                    "unknown argument {other:?}; usage: [--seconds N] [--target NAME]..."
                ));
            }
        }
    }
    Ok((seconds, only))
}

fn main() -> ExitCode {
    let (seconds, only) = match parse_args() {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("fuzz_throughput: {message}");
            return ExitCode::from(2);
        }
    };
    let budget = Duration::from_secs(seconds);
    let wanted = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    let empty_rate = if wanted("empty") {
        measure(fuzz::empty, &corpus_files("empty"), budget)
    } else {
        0.0
    };
    println!(
        "{:<18} {:>8} {:>14} {:>10} {:>18}",
        "target", "inputs", "calls/s", "ns/call", "x json_parse_only"
    );
    for Target {
        name,
        run,
        json_after,
    } in fuzz::TARGETS.iter().filter(|t| wanted(t.name))
    {
        let inputs = corpus_files(name);
        let rate = if *name == "empty" {
            empty_rate
        } else {
            measure(*run, &inputs, budget)
        };
        let vs_json = match json_after {
            Some(offset) => {
                let payloads: Vec<Vec<u8>> = inputs
                    .iter()
                    .map(|i| i.get(*offset..).unwrap_or_default().to_vec())
                    .collect();
                let json_rate = measure(fuzz::json_parse_only, &payloads, budget);
                format!("{:.3}", rate / json_rate)
            }
            None => "-".to_string(),
        };
        println!(
            "{:<18} {:>8} {:>14.0} {:>10.0} {:>18}",
            name,
            inputs.len(),
            rate,
            1e9 / rate,
            vs_json
        );
    }
    ExitCode::SUCCESS
}
