//! From a checked request body (plus the path's parameters) to an [`Op`].
//!
//! The body layer ([`crate::body`]) says what a client wrote; an [`Op`] says
//! what the state must do. The mapping between them is pure and total, so
//! it lives here rather than in the server: the reference server, and any
//! differential test that replays HTTP requests on a [`State`](super::State),
//! build the same operations from the same requests.
//!
//! Two choices are Placement's configuration rather than its code:
//! - before microversion 1.8 a consumer's project and user are
//!   `incomplete_consumer_project_id` / `incomplete_consumer_user_id`
//!   (`conf/placement.py`, both the nil UUID by default), which the caller
//!   passes as an [`IncompleteConsumer`];
//! - a generation the client sent that is no generation at all (negative, or
//!   past 32 bits) becomes [`UNMATCHABLE_GENERATION`]: Placement compares it
//!   and answers 409, and no provider or consumer generation of the state
//!   can reach it (they stop at 2^31 - 1).

use std::collections::BTreeMap;

use crate::body::{
    ConsumerAllocations, ConsumerGeneration, CreateInventory, CreateProvider, ManageAllocations,
    ParentField, ReplaceAggregates, ReplaceInventories, ReplaceProviderTraits, Reshape,
    UpdateInventory, UpdateProvider,
};
use crate::ids::Uuid;
use crate::microversion::Microversion;
use crate::names::{ExternalId, ResourceClass};

use super::allocations::{AllocationMap, ConsumerWrite};
use super::ops::{Op, ParentUpdate, ReshapeInventory};

/// What a generation outside `0..=u32::MAX` becomes: never equal to a stored one.
pub const UNMATCHABLE_GENERATION: u32 = u32::MAX;

/// Placement's default `incomplete_consumer_project_id` and `_user_id`.
pub const INCOMPLETE_CONSUMER_ID: &str = "00000000-0000-0000-0000-000000000000";

fn sent_generation(generation: i64) -> u32 {
    u32::try_from(generation).unwrap_or(UNMATCHABLE_GENERATION)
}

/// Who owns a consumer written before microversion 1.8, whose body cannot
/// say: Placement's `incomplete_consumer_project_id` and `_user_id`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncompleteConsumer {
    /// The project.
    pub project: ExternalId,
    /// The user.
    pub user: ExternalId,
}

impl IncompleteConsumer {
    /// Placement's defaults: [`INCOMPLETE_CONSUMER_ID`] for both.
    pub fn placement_default() -> Result<Self, crate::names::NameError> {
        Ok(IncompleteConsumer {
            project: ExternalId::parse(INCOMPLETE_CONSUMER_ID)?,
            user: ExternalId::parse(INCOMPLETE_CONSUMER_ID)?,
        })
    }
}

/// `POST /resource_providers`; `fresh_uuid` is used when the body has none.
pub fn create_provider(mv: Microversion, body: CreateProvider, fresh_uuid: Uuid) -> Op {
    let parent = match body.parent {
        ParentField::Parent(uuid) => Some(uuid),
        ParentField::Absent | ParentField::Root => None,
    };
    Op::CreateProvider {
        microversion: mv,
        uuid: body.uuid.unwrap_or(fresh_uuid),
        name: body.name,
        parent,
    }
}

/// `PUT /resource_providers/{uuid}`.
pub fn update_provider(mv: Microversion, uuid: Uuid, body: UpdateProvider) -> Op {
    let parent = match body.parent {
        ParentField::Absent => ParentUpdate::Keep,
        ParentField::Root => ParentUpdate::Set(None),
        ParentField::Parent(p) => ParentUpdate::Set(Some(p)),
    };
    Op::UpdateProvider {
        microversion: mv,
        uuid,
        name: body.name,
        parent,
    }
}

/// `POST /resource_providers/{uuid}/inventories`.
pub fn create_inventory(mv: Microversion, provider: Uuid, body: CreateInventory) -> Op {
    Op::CreateInventory {
        microversion: mv,
        provider,
        class: body.resource_class,
        generation: body.resource_provider_generation.map_or(0, sent_generation),
        inventory: body.inventory,
    }
}

/// `PUT /resource_providers/{uuid}/inventories/{class}`.
pub fn update_inventory(
    mv: Microversion,
    provider: Uuid,
    class: ResourceClass,
    body: UpdateInventory,
) -> Op {
    Op::UpdateInventory {
        microversion: mv,
        provider,
        class,
        generation: sent_generation(body.resource_provider_generation),
        inventory: body.inventory,
    }
}

/// `PUT /resource_providers/{uuid}/inventories`.
pub fn replace_inventories(mv: Microversion, provider: Uuid, body: ReplaceInventories) -> Op {
    Op::SetInventories {
        microversion: mv,
        provider,
        generation: sent_generation(body.resource_provider_generation),
        inventories: body.inventories.into_iter().collect(),
    }
}

/// `PUT /resource_providers/{uuid}/aggregates`.
pub fn replace_aggregates(provider: Uuid, body: ReplaceAggregates) -> Op {
    Op::SetAggregates {
        provider,
        aggregates: body.aggregates.into_iter().collect(),
        generation: body.resource_provider_generation.map(sent_generation),
    }
}

/// `PUT /resource_providers/{uuid}/traits`.
pub fn replace_provider_traits(provider: Uuid, body: ReplaceProviderTraits) -> Op {
    Op::SetTraits {
        provider,
        traits: body.traits.into_iter().collect(),
        generation: sent_generation(body.resource_provider_generation),
    }
}

/// One consumer's part of a `PUT /allocations/{c}`, `POST /allocations` or
/// reshape body, as the state writes it.
pub fn consumer_write(body: ConsumerAllocations, incomplete: &IncompleteConsumer) -> ConsumerWrite {
    let mut allocations = AllocationMap::new();
    for one in body.allocations {
        allocations
            .entry(one.provider)
            .or_default()
            .extend(one.resources);
    }
    ConsumerWrite {
        allocations,
        project: body
            .project_id
            .unwrap_or_else(|| incomplete.project.clone()),
        user: body.user_id.unwrap_or_else(|| incomplete.user.clone()),
        consumer_type: body.consumer_type,
        generation: match body.consumer_generation {
            ConsumerGeneration::Expected(g) => Some(sent_generation(g)),
            ConsumerGeneration::New | ConsumerGeneration::NotSent => None,
        },
    }
}

/// `PUT /allocations/{consumer}`.
pub fn put_allocations(
    mv: Microversion,
    consumer: Uuid,
    body: ConsumerAllocations,
    incomplete: &IncompleteConsumer,
) -> Op {
    Op::PutAllocations {
        microversion: mv,
        consumer,
        write: consumer_write(body, incomplete),
    }
}

/// `POST /allocations`.
pub fn post_allocations(
    mv: Microversion,
    body: ManageAllocations,
    incomplete: &IncompleteConsumer,
) -> Op {
    Op::PostAllocations {
        microversion: mv,
        writes: body
            .consumers
            .into_iter()
            .map(|(c, w)| (c, consumer_write(w, incomplete)))
            .collect(),
    }
}

/// `POST /reshaper`.
pub fn reshape(mv: Microversion, body: Reshape, incomplete: &IncompleteConsumer) -> Op {
    let inventories: BTreeMap<Uuid, ReshapeInventory> = body
        .inventories
        .into_iter()
        .map(|(uuid, inv)| {
            (
                uuid,
                ReshapeInventory {
                    generation: sent_generation(inv.resource_provider_generation),
                    inventories: inv.inventories.into_iter().collect(),
                },
            )
        })
        .collect();
    Op::Reshape {
        microversion: mv,
        inventories,
        allocations: body
            .allocations
            .into_iter()
            .map(|(c, w)| (c, consumer_write(w, incomplete)))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::{BodyKind, WriteRequest, parse};
    use crate::outcome::{ErrorCode, Status};
    use crate::state::State;

    fn u(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn inc() -> IncompleteConsumer {
        IncompleteConsumer::placement_default().unwrap()
    }

    fn body(kind: BodyKind, minor: u16, text: &str) -> WriteRequest {
        parse(kind, Microversion::v1(minor), text.as_bytes()).unwrap()
    }

    #[test]
    fn provider_inventory_and_allocation_requests_become_ops_the_state_accepts() {
        let mut s = State::new();
        let WriteRequest::CreateProvider(p) = body(BodyKind::CreateProvider, 39, r#"{"name":"a"}"#)
        else {
            panic!("kind")
        };
        let op = create_provider(Microversion::v1(39), p, u(1));
        assert_eq!(s.apply(&op).unwrap().status, Status::Ok);
        let WriteRequest::ReplaceInventories(i) = body(
            BodyKind::ReplaceInventories,
            39,
            r#"{"resource_provider_generation":0,"inventories":{"VCPU":{"total":4}}}"#,
        ) else {
            panic!("kind")
        };
        s.apply(&replace_inventories(Microversion::v1(39), u(1), i))
            .unwrap();
        let text = format!(
            r#"{{"allocations":{{"{}":{{"resources":{{"VCPU":2}}}}}},"project_id":"p","user_id":"u","consumer_generation":null,"consumer_type":"INSTANCE"}}"#,
            u(1)
        );
        let WriteRequest::ReplaceConsumerAllocations(a) =
            body(BodyKind::ReplaceConsumerAllocations, 39, &text)
        else {
            panic!("kind")
        };
        s.apply(&put_allocations(Microversion::v1(39), u(9), a, &inc()))
            .unwrap();
        assert_eq!(s.usage(u(1), &ResourceClass::parse("VCPU").unwrap()), 2);
        assert_eq!(s.consumer(u(9)).unwrap().generation(), 1);
    }

    #[test]
    fn impossible_generations_conflict_instead_of_wrapping() {
        let mut s = State::new();
        let WriteRequest::CreateProvider(p) = body(BodyKind::CreateProvider, 39, r#"{"name":"a"}"#)
        else {
            panic!("kind")
        };
        s.apply(&create_provider(Microversion::v1(39), p, u(1)))
            .unwrap();
        let mut checked = 0;
        for sent in ["-1", "4294967296"] {
            let text = format!(r#"{{"resource_provider_generation":{sent},"inventories":{{}}}}"#);
            let kind = BodyKind::ReplaceInventories;
            let Ok(WriteRequest::ReplaceInventories(i)) =
                parse(kind, Microversion::v1(39), text.as_bytes())
            else {
                // The body layer may refuse it outright, which is as safe.
                continue;
            };
            let e = s
                .apply(&replace_inventories(Microversion::v1(39), u(1), i))
                .unwrap_err();
            assert_eq!(
                (e.status, e.code),
                (Status::Conflict, ErrorCode::ConcurrentUpdate)
            );
            checked += 1;
        }
        assert!(
            checked > 0,
            "the body layer refused every impossible generation"
        );
    }

    #[test]
    fn old_microversions_write_the_incomplete_consumer() {
        let text = format!(
            r#"{{"allocations":[{{"resource_provider":{{"uuid":"{}"}},"resources":{{"VCPU":1}}}}]}}"#,
            u(1)
        );
        let WriteRequest::ReplaceConsumerAllocations(a) =
            body(BodyKind::ReplaceConsumerAllocations, 0, &text)
        else {
            panic!("kind")
        };
        let w = consumer_write(a, &inc());
        assert_eq!(w.project.as_str(), INCOMPLETE_CONSUMER_ID);
        assert_eq!(w.user.as_str(), INCOMPLETE_CONSUMER_ID);
        assert_eq!(w.generation, None);
    }
}
