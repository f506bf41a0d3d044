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
        Some("scan") => {
            eprintln!(
                "placement-harness: `scan` is not built yet: the scanner and the embedded \
                 reference server land with issues 3 and 4. Today the repository offers the \
                 allocation core, its fuzz targets (scripts/fuzz-smoke) and a real Placement \
                 (scripts/placement-up); see README.md."
            );
            ExitCode::from(2)
        }
        Some(other) => {
            eprintln!("placement-harness: unknown command '{other}' (see --help)");
            ExitCode::from(2)
        }
    }
}
