//! placement-refserver: the embedded reference Placement API over placement-core.
//!
//! Filled in by the reference-server work; until then this crate only
//! re-exports the core so the dependency arrows are in place.

pub use placement_core as core;
