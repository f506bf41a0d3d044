//! The state model: providers, inventories, consumers, allocations, traits,
//! aggregates and resource classes, and the operations that change them.
//!
//! [`State`] holds what a Placement database holds, in ordered maps so that
//! every iteration (and so every answer built from one) is deterministic.
//! [`State::apply`] runs one state-changing API call, already parsed into an
//! [`Op`], and answers what Placement 16.0.0 answers: a success status, or a
//! [`Failure`](crate::outcome::Failure) with Placement's status and error
//! code. Where Placement's behaviour is odd (it leaves a consumer behind after
//! some failed writes, it does not bump a provider's generation when
//! allocations leave it) the model does the same, so that it can serve as the
//! oracle for a real server; each oddity is named in [`quirks`] and allowed by
//! [`invariants::check_step`] with its reason.
//!
//! Files, one concept each: [`store`] (the state and its read side),
//! [`providers`], [`inventories`], [`consumers`], [`allocations`],
//! [`aggregates`], [`traits`], [`resource_classes`], [`ops`] (the operations
//! and their dispatch), [`request`] (from checked request bodies to operations), [`refusal`] (why an operation is refused),
//! [`invariants`]. The generator of random operation sequences is the
//! fuzzing crate's (`placement_fuzzing::ops`).

pub mod aggregates;
pub mod allocations;
pub mod consumers;
#[cfg(test)]
mod fixtures;
pub mod invariants;
pub mod inventories;
pub mod ops;
pub mod providers;
pub mod quirks;
pub mod refusal;
pub mod request;
pub mod resource_classes;
pub mod store;
pub mod traits;
mod view;

pub use allocations::{AllocationMap, ConsumerWrite, Resources};
pub use consumers::Consumer;
pub use invariants::Violation;
pub use ops::{Applied, Op, ParentUpdate, ReshapeInventory};
pub use providers::Provider;
pub use refusal::Refusal;
pub use store::{RefusedWrites, State};
