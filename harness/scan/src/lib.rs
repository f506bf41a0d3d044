//! placement-harness: scenario engine, oracles, snapshots, findings, reports
//! and the HTTP fuzzer, behind the `placement-harness` binary.
//!
//! Today: the recorded [`exchange`] model (where redaction happens),
//! [`finding`]s, the [`oracle`]s that judge exchanges, the [`report`]
//! writers, gabbi-compatible [`suite`]s, and the HTTP [`client`] with its
//! [`target`] and [`persona`]s; the [`cli`] runs suites against a target
//! (`placement-harness run`) and scans it (`placement-harness scan`: the
//! [`scan`] engine over suites [`suite::expand`]ed with [`corpus`] inputs,
//! [`route`] templates, [`snapshot`]s and a [`progress`] bar).

pub use placement_api::route;
pub use placement_core as core;

pub mod baseline;
pub mod cause;
pub mod claim;
pub mod cleanup;
pub mod cli;
pub mod client;
pub mod corpus;
pub mod digest;
pub mod exchange;
pub mod exit;
pub mod finding;
pub mod fuzz;
pub mod guard;
pub mod http_target;
pub mod input_file;
pub mod issue;
pub mod journal;
pub mod keystone;
pub mod model;
pub mod openapi;
pub mod options;
pub mod oracle;
pub mod persona;
pub mod persona_check;
pub mod progress;
pub mod report;
pub mod run_id;
pub mod scan;
pub mod serve;
pub mod session;
pub mod snapshot;
pub mod suite;
pub mod suppression;
pub mod target;
pub mod target_check;
pub mod transport;
