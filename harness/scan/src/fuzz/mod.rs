//! The HTTP fuzzer (`placement-harness fuzz`): requests and stateful
//! sequences generated from the [`crate::model`], sent through the scan's
//! guarded sender, judged by every oracle, failing cases shrunk and written
//! as gabbi files.

pub mod case;
pub mod command;
pub mod differential;
pub mod divergence;
pub mod engine;
pub mod gabbi;
pub mod r#gen;
pub mod replay;
pub mod rng;
pub mod shrink;
pub mod upstream;
