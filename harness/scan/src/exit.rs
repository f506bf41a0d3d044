//! The exit codes every command shares.

/// Nothing failed: every test passed, no finding at or above `--fail-on`,
/// snapshots matched, nothing left behind.
pub const EXIT_OK: u8 = 0;
/// A test failed, findings at or above `--fail-on`, a snapshot mismatch,
/// or objects left behind.
pub const EXIT_FAILED: u8 = 1;
/// Usage, suite or target error, or work that could not be done (clap's
/// own usage errors exit 2 as well).
pub const EXIT_USAGE: u8 = 2;
/// Interrupted by Ctrl-C (reports are still written).
pub const EXIT_INTERRUPTED: u8 = 130;
