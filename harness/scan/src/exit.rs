//! The exit codes every command shares.

/// Nothing failed: every test passed, no issue at or above `--fail-on`,
/// snapshots matched, nothing left behind.
pub const EXIT_OK: u8 = 0;
/// A test failed, issues at or above `--fail-on`, a snapshot mismatch,
/// or objects left behind.
pub const EXIT_FAILED: u8 = 1;
/// Usage, suite or target error, or work that could not be done (clap's
/// own usage errors exit 2 as well).
pub const EXIT_USAGE: u8 = 2;
/// Interrupted by Ctrl-C (reports are still written).
pub const EXIT_INTERRUPTED: u8 = 130;

/// The exit code of a command's result: its own code, or, for an error
/// that stopped it, the error printed as `placement-harness COMMAND: ...`
/// and [`EXIT_USAGE`].
pub fn or_usage<E: std::fmt::Display>(
    command: &str,
    result: Result<u8, E>,
    err: &mut dyn std::io::Write,
) -> u8 {
    result.unwrap_or_else(|e| {
        let _ = writeln!(err, "placement-harness {command}: {e}");
        EXIT_USAGE
    })
}

/// [`EXIT_OK`] when a command's work left nothing failed, else
/// [`EXIT_FAILED`].
pub fn passed(ok: bool) -> u8 {
    if ok { EXIT_OK } else { EXIT_FAILED }
}
