//! Request bodies of every write route, by microversion.
//!
//! [`parse`] reads raw bytes through [`json::parse_body`]
//! and then checks them as Placement's JSON schemas and handler checks do at
//! the requested microversion, producing a typed [`WriteRequest`]: UUIDs as
//! [`Uuid`](crate::ids::Uuid)s, names as [`names`](crate::names) types,
//! inventories as [`Inventory`](crate::inventory::Inventory) records, amounts
//! bounded by what Placement can store.
//!
//! Where Placement is looser than its own storage or its handlers can bear
//! (unbounded allocation amounts, unchecked inventory keys, dashless and
//! braced UUIDs, repeated providers), the core refuses cleanly: it is the
//! engine of the reference server, which must be safe, and the harness
//! reasons about Placement's looser answers separately
//! ([`ids::classify`](crate::ids::classify),
//! [`PlacementUuidRule`](crate::ids::PlacementUuidRule)).
//!
//! Duplicate keys in a JSON object keep the last value, in serde_json as in
//! Python's `json` module, so both sides see the same object.

mod aggregates;
mod allocations;
mod inventories;
mod kind;
mod providers;
mod reshaper;
mod resource_classes;
mod traits;
mod walk;

#[cfg(test)]
mod tests;

use serde_json::Value;

use crate::error::{FieldPath, Problem, Rejection};
use crate::json;
use crate::microversion::Microversion;

pub use aggregates::ReplaceAggregates;
pub use allocations::{
    ConsumerAllocations, ConsumerGeneration, ManageAllocations, ProviderAllocation,
};
pub use inventories::{CreateInventory, ReplaceInventories, UpdateInventory};
pub use kind::BodyKind;
pub use providers::{CreateProvider, ParentField, UpdateProvider};
pub use reshaper::Reshape;
pub use resource_classes::ResourceClassBody;
pub use traits::ReplaceProviderTraits;

/// A checked, typed request body, one variant per [`BodyKind`].
#[derive(Clone, Debug, PartialEq)]
pub enum WriteRequest {
    /// `POST /resource_providers`.
    CreateProvider(CreateProvider),
    /// `PUT /resource_providers/{uuid}`.
    UpdateProvider(UpdateProvider),
    /// `POST /resource_providers/{uuid}/inventories`.
    CreateInventory(CreateInventory),
    /// `PUT /resource_providers/{uuid}/inventories`.
    ReplaceInventories(ReplaceInventories),
    /// `PUT /resource_providers/{uuid}/inventories/{resource_class}`.
    UpdateInventory(UpdateInventory),
    /// `PUT /allocations/{consumer_uuid}`.
    ReplaceConsumerAllocations(ConsumerAllocations),
    /// `POST /allocations`.
    ManageAllocations(ManageAllocations),
    /// `PUT /resource_providers/{uuid}/aggregates`.
    ReplaceAggregates(ReplaceAggregates),
    /// `PUT /resource_providers/{uuid}/traits`.
    ReplaceProviderTraits(ReplaceProviderTraits),
    /// `POST /resource_classes`.
    CreateResourceClass(ResourceClassBody),
    /// `PUT /resource_classes/{name}` up to 1.6 (a rename).
    UpdateResourceClass(ResourceClassBody),
    /// `POST /reshaper`.
    Reshape(Reshape),
}

impl WriteRequest {
    /// The route this request is for.
    pub fn kind(&self) -> BodyKind {
        match self {
            WriteRequest::CreateProvider(_) => BodyKind::CreateProvider,
            WriteRequest::UpdateProvider(_) => BodyKind::UpdateProvider,
            WriteRequest::CreateInventory(_) => BodyKind::CreateInventory,
            WriteRequest::ReplaceInventories(_) => BodyKind::ReplaceInventories,
            WriteRequest::UpdateInventory(_) => BodyKind::UpdateInventory,
            WriteRequest::ReplaceConsumerAllocations(_) => BodyKind::ReplaceConsumerAllocations,
            WriteRequest::ManageAllocations(_) => BodyKind::ManageAllocations,
            WriteRequest::ReplaceAggregates(_) => BodyKind::ReplaceAggregates,
            WriteRequest::ReplaceProviderTraits(_) => BodyKind::ReplaceProviderTraits,
            WriteRequest::CreateResourceClass(_) => BodyKind::CreateResourceClass,
            WriteRequest::UpdateResourceClass(_) => BodyKind::UpdateResourceClass,
            WriteRequest::Reshape(_) => BodyKind::Reshape,
        }
    }
}

/// What the 1.7+ `PUT /resource_classes/{name}` says when handed a body to
/// check: it has none to read.
const NO_BODY_FROM_1_7: &str = "is not read by this route from microversion 1.7";

/// Parses and checks the body of `kind` at microversion `mv`.
///
/// A microversion at which the route does not read a body (see
/// [`BodyKind::reads_body`]) is refused before the bytes are looked at.
pub fn parse(kind: BodyKind, mv: Microversion, bytes: &[u8]) -> Result<WriteRequest, Rejection> {
    check_version(kind, mv)?;
    let value = json::parse_body(bytes)?;
    parse_checked(kind, mv, &value)
}

/// [`parse`] for a caller that already holds the JSON value. The value's
/// depth is checked as [`json::parse_body`] would.
pub fn parse_value(
    kind: BodyKind,
    mv: Microversion,
    value: &Value,
) -> Result<WriteRequest, Rejection> {
    check_version(kind, mv)?;
    if json::depth(value) > json::MAX_DEPTH {
        return Err(Rejection::body(
            FieldPath::root(),
            Problem::TooDeep {
                max: json::MAX_DEPTH,
            },
        ));
    }
    parse_checked(kind, mv, value)
}

/// Splits a fuzz input into a route, a microversion and a body: the first
/// byte picks the kind (modulo the number of kinds), the second the minor
/// version (modulo 40), the rest is the body. `None` for inputs under two
/// bytes. Every split names a real route and a served microversion, so a
/// fuzzer spends its time in the checks rather than in version refusals
/// (which it still reaches through the minor versions a route lacks).
pub fn split_fuzz_input(data: &[u8]) -> Option<(BodyKind, Microversion, &[u8])> {
    let (&kind_byte, rest) = data.split_first()?;
    let (&minor_byte, body) = rest.split_first()?;
    let kind = BodyKind::ALL
        .get(usize::from(kind_byte) % BodyKind::ALL.len())
        .copied()?;
    let minor = u16::from(minor_byte) % (Microversion::MAX.minor + 1);
    Some((kind, Microversion::v1(minor), body))
}

fn check_version(kind: BodyKind, mv: Microversion) -> Result<(), Rejection> {
    if kind.reads_body(mv) {
        return Ok(());
    }
    let problem = if kind == BodyKind::UpdateResourceClass && mv.at_least(Microversion::v1(7)) {
        Problem::Rule(NO_BODY_FROM_1_7)
    } else {
        Problem::NeedsMicroversion(kind.min_version_text())
    };
    Err(Rejection::body(FieldPath::root(), problem))
}

fn parse_checked(
    kind: BodyKind,
    mv: Microversion,
    value: &Value,
) -> Result<WriteRequest, Rejection> {
    Ok(match kind {
        BodyKind::CreateProvider => WriteRequest::CreateProvider(providers::create(mv, value)?),
        BodyKind::UpdateProvider => WriteRequest::UpdateProvider(providers::update(mv, value)?),
        BodyKind::CreateInventory => WriteRequest::CreateInventory(inventories::create(mv, value)?),
        BodyKind::ReplaceInventories => {
            WriteRequest::ReplaceInventories(inventories::replace(mv, value)?)
        }
        BodyKind::UpdateInventory => WriteRequest::UpdateInventory(inventories::update(mv, value)?),
        BodyKind::ReplaceConsumerAllocations => {
            WriteRequest::ReplaceConsumerAllocations(allocations::put(mv, value)?)
        }
        BodyKind::ManageAllocations => {
            WriteRequest::ManageAllocations(allocations::post(mv, value)?)
        }
        BodyKind::ReplaceAggregates => {
            WriteRequest::ReplaceAggregates(aggregates::replace(mv, value)?)
        }
        BodyKind::ReplaceProviderTraits => {
            WriteRequest::ReplaceProviderTraits(traits::replace(mv, value)?)
        }
        BodyKind::CreateResourceClass => {
            WriteRequest::CreateResourceClass(resource_classes::name(mv, value)?)
        }
        BodyKind::UpdateResourceClass => {
            WriteRequest::UpdateResourceClass(resource_classes::name(mv, value)?)
        }
        BodyKind::Reshape => WriteRequest::Reshape(reshaper::reshape(mv, value)?),
    })
}
