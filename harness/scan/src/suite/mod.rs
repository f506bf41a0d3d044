//! Gabbi-compatible YAML suites: parse them ([`model`]), fill in their
//! templates ([`substitute`]) and generators ([`generate`]), judge responses ([`check`]) and run them in
//! order over a [`Transport`](crate::transport::Transport) ([`run`]).
//!
//! The format is a superset of gabbi's so that Placement's own gabbi files
//! run here with the verdicts gabbi gives them; the extensions (`as`,
//! `each`, `expect`, ...) carry the security scan.

pub mod check;
pub mod command;
pub mod deliver;
pub mod expand;
pub mod fixture;
pub mod generate;
pub mod jsonpath;
pub mod model;
pub mod personas;
pub mod run;
pub mod substitute;
pub mod yaml;

pub use check::{Failure, Response, check_response};
pub use deliver::{Delivery, deliver};
pub use model::{Suite, SuiteError, Test, load_suite, parse_suite};
pub use run::{Outcome, Request, RunConfig, SuiteReport, TestResult, run_suite};
