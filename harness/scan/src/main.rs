//! The `placement-harness` command line.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None | Some("--help" | "-h" | "help") => {
            println!(
                "placement-harness {}\n\nA fuzzing and security test harness for the OpenStack Placement API.\n\n\
                 The scanner (`scan`, `run`, `serve`, `fuzz`) is not built yet; see README.md.",
                env!("CARGO_PKG_VERSION")
            );
            ExitCode::SUCCESS
        }
        Some("--version" | "-V") => {
            println!("placement-harness {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("placement-harness: unknown command '{other}' (see --help)");
            ExitCode::from(2)
        }
    }
}
