//! The `placement-harness` command line; everything but the process edge
//! lives in [`placement_harness::cli`].

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let code =
        placement_harness::cli::main_with(args, &mut std::io::stdout(), &mut std::io::stderr());
    ExitCode::from(code)
}
