//! placement-core: a pure-Rust model of OpenStack Placement's allocation semantics.
//!
//! No IO, no async, no HTTP types. The same code is the engine of the
//! embedded reference server, the oracle of differential tests against a real
//! Placement, and the subject of the in-process fuzz targets, whose checks
//! live in the `placement-fuzzing` crate.
//!
//! Modules, from the outside in:
//! - [`ids`], [`names`], [`microversion`]: the syntax of identifiers, names and versions;
//! - [`json`], [`body`]: request bodies of every write route, by microversion;
//! - [`query`]: the query grammar of the list and search routes;
//! - [`inventory`]: one inventory record and the capacity rule;
//! - [`state`]: providers, inventories, consumers, allocations and their operations;
//! - [`candidates`]: allocation candidates over the state;
//! - [`error`], [`outcome`]: typed rejections and Placement's outcomes;
//! - [`python`]: what real Placement's Python validation accepts, for prediction.

pub mod body;
pub mod candidates;
pub mod error;
pub mod ids;
pub mod inventory;
pub mod json;
pub mod microversion;
pub mod names;
pub mod outcome;
pub mod python;
pub mod query;
pub mod state;

pub use error::{Excerpt, FieldPath, Location, Problem, Rejection};
pub use ids::Uuid;
pub use inventory::Inventory;
pub use microversion::Microversion;
pub use outcome::{ErrorCode, Failure, Status};
