//! placement-harness: scenario engine, oracles, snapshots, findings, reports
//! and the HTTP fuzzer, behind the `placement-harness` binary.
//!
//! Today: the pure library parts the scanner uses, with no network: the
//! recorded [`exchange`] model (where redaction happens), [`finding`]s, the
//! [`oracle`]s that judge exchanges, and the [`report`] writers.

pub use placement_core as core;

pub mod client;
pub mod exchange;
pub mod finding;
pub mod oracle;
pub mod persona;
pub mod report;
pub mod target;
