//! placement-harness: scenario engine, oracles, snapshots, findings, reports
//! and the HTTP fuzzer, behind the `placement-harness` binary.
//!
//! Filled in by the scanner work; the library exists so that `fuzz/` can
//! depend on it for HTTP targets.

pub use placement_core as core;
