//! Allocation bodies of one consumer (`PUT /allocations/{consumer_uuid}`)
//! and of several (`POST /allocations`, the reshaper's `allocations`), at
//! every step of `schemas/allocation.py`:
//!
//! - 1.0: `allocations` is a list of `{resource_provider: {uuid}, resources}`;
//! - 1.8: `project_id` and `user_id` are required;
//! - 1.12: `allocations` is an object keyed by provider UUID;
//! - 1.13: `POST /allocations`, where a consumer's allocations may be empty;
//! - 1.28: `consumer_generation` (integer or null) is required, and empty
//!   allocations on PUT mean "delete";
//! - 1.34: optional `mappings` of request group suffixes to providers;
//! - 1.38: `consumer_type` is required.

use serde_json::{Map, Value};

use crate::error::{Excerpt, JsonKind, Problem, Rejection};
use crate::ids::Uuid;
use crate::inventory::MAX_INT;
use crate::microversion::Microversion;
use crate::names::{ConsumerType, ExternalId, ResourceClass};

use super::walk::{self, At, Field};

/// What a body says about the consumer's generation (1.28).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsumerGeneration {
    /// Before 1.28 the field does not exist and Placement does not check.
    NotSent,
    /// `null`: the client expects the consumer not to exist yet.
    New,
    /// The generation the client last saw.
    Expected(i64),
}

/// One provider's part of a consumer's allocations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderAllocation {
    /// The provider.
    pub provider: Uuid,
    /// The provider generation a 1.12+ body may carry; Placement ignores it.
    pub generation: Option<i64>,
    /// Amounts by resource class, each in 1..=[`MAX_INT`], in key order.
    pub resources: Vec<(ResourceClass, u32)>,
}

/// Everything a body says about one consumer's allocations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsumerAllocations {
    /// By provider, each provider once; empty means "remove the consumer's
    /// allocations" (PUT from 1.28, POST and reshaper always).
    pub allocations: Vec<ProviderAllocation>,
    /// Required from 1.8.
    pub project_id: Option<ExternalId>,
    /// Required from 1.8.
    pub user_id: Option<ExternalId>,
    /// Required from 1.28.
    pub consumer_generation: ConsumerGeneration,
    /// Request group suffix to providers (1.34, optional); the unsuffixed
    /// group is the empty suffix.
    pub mappings: Vec<(String, Vec<Uuid>)>,
    /// Required from 1.38.
    pub consumer_type: Option<ConsumerType>,
}

impl ConsumerAllocations {
    /// Whether the body asks to remove all of the consumer's allocations.
    pub fn is_removal(&self) -> bool {
        self.allocations.is_empty()
    }
}

/// `POST /allocations`: allocations of several consumers at once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManageAllocations {
    /// By consumer, each consumer once, in key order.
    pub consumers: Vec<(Uuid, ConsumerAllocations)>,
}

const DICT_FORM: Microversion = Microversion::v1(12);
const GENERATION: Microversion = Microversion::v1(28);
const CONSUMER_TYPE: Microversion = Microversion::v1(38);
const OWNER: Microversion = Microversion::v1(8);

const FIELDS: [Field; 6] = [
    Field::always("allocations"),
    Field::since("project_id", 8, "1.8"),
    Field::since("user_id", 8, "1.8"),
    Field::since("consumer_generation", 28, "1.28"),
    Field::since("mappings", 34, "1.34"),
    Field::since("consumer_type", 38, "1.38"),
];

/// Longest request group suffix (`GROUP_PAT_1_33`).
const MAX_SUFFIX_CHARS: usize = 64;

/// Which route the consumer's body belongs to, for the empty-allocations rule.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    /// `PUT /allocations/{consumer_uuid}`: empty only from 1.28.
    Put,
    /// `POST /allocations` and the reshaper: empty always allowed.
    Post,
}

pub(crate) fn put(mv: Microversion, value: &Value) -> Result<ConsumerAllocations, Rejection> {
    consumer(mv, value, Route::Put, &At::ROOT)
}

pub(crate) fn post(mv: Microversion, value: &Value) -> Result<ManageAllocations, Rejection> {
    let at = At::ROOT;
    let map = walk::object(value, &at)?;
    if map.is_empty() {
        return Err(at.reject(Problem::TooShort { min: 1 }));
    }
    consumers(mv, map, &at).map(|consumers| ManageAllocations { consumers })
}

/// An object keyed by consumer UUID (also the reshaper's `allocations`).
pub(crate) fn consumers(
    mv: Microversion,
    map: &Map<String, Value>,
    at: &At,
) -> Result<Vec<(Uuid, ConsumerAllocations)>, Rejection> {
    let mut out: Vec<(Uuid, ConsumerAllocations)> = Vec::with_capacity(map.len());
    for (key, v) in map {
        let uuid = walk::uuid_key(key, at)?;
        let here = at.client_key(key);
        out.push((uuid, consumer(mv, v, Route::Post, &here)?));
    }
    if let Some(uuid) = walk::first_duplicate(&out, |(u, _)| *u) {
        return Err(at.reject(duplicate(uuid)));
    }
    Ok(out)
}

/// The same UUID written twice (in two cases, or twice in a 1.0 list).
pub(crate) fn duplicate(uuid: Uuid) -> Problem {
    Problem::Duplicate(Excerpt::of(&uuid.to_string()))
}

fn consumer(
    mv: Microversion,
    value: &Value,
    route: Route,
    at: &At,
) -> Result<ConsumerAllocations, Rejection> {
    let map = walk::object(value, at)?;
    walk::only_fields(map, &FIELDS, mv, at)?;
    let allocations_at = at.key("allocations");
    let raw = walk::required(map, "allocations", at)?;
    let allocations = if mv.at_least(DICT_FORM) {
        by_provider(walk::object(raw, &allocations_at)?, &allocations_at)?
    } else {
        listed(walk::array(raw, &allocations_at)?, &allocations_at)?
    };
    let may_be_empty = route == Route::Post || mv.at_least(GENERATION);
    if allocations.is_empty() && !may_be_empty {
        return Err(allocations_at.reject(Problem::TooShort { min: 1 }));
    }
    let (project_id, user_id) = if mv.at_least(OWNER) {
        (
            Some(external_id(map, "project_id", at)?),
            Some(external_id(map, "user_id", at)?),
        )
    } else {
        (None, None)
    };
    let consumer_generation = if mv.at_least(GENERATION) {
        let here = at.key("consumer_generation");
        let raw = walk::required(map, "consumer_generation", at)?;
        match raw {
            Value::Null => ConsumerGeneration::New,
            Value::Number(_) => ConsumerGeneration::Expected(walk::generation(raw, &here)?),
            _ => return Err(here.reject(Problem::WrongKind(JsonKind::IntegerOrNull))),
        }
    } else {
        ConsumerGeneration::NotSent
    };
    let mappings = match map.get("mappings") {
        Some(v) => mappings(v, &at.key("mappings"))?,
        None => Vec::new(),
    };
    let consumer_type = if mv.at_least(CONSUMER_TYPE) {
        let here = at.key("consumer_type");
        let text = walk::string(walk::required(map, "consumer_type", at)?, &here)?;
        Some(ConsumerType::parse(text).map_err(|e| {
            here.reject(walk::name_problem(e, "a consumer type (A-Z, 0-9, _)", text))
        })?)
    } else {
        None
    };
    Ok(ConsumerAllocations {
        allocations,
        project_id,
        user_id,
        consumer_generation,
        mappings,
        consumer_type,
    })
}

fn external_id(
    map: &Map<String, Value>,
    name: &'static str,
    at: &At,
) -> Result<ExternalId, Rejection> {
    let here = at.key(name);
    let text = walk::string(walk::required(map, name, at)?, &here)?;
    ExternalId::parse(text).map_err(|e| {
        here.reject(walk::name_problem(
            e,
            "an id without control characters",
            text,
        ))
    })
}

/// 1.0 to 1.11: `[{"resource_provider": {"uuid": ..}, "resources": {..}}]`.
///
/// Placement turns the list into a dict keyed by the provider UUID string,
/// so a provider listed twice silently loses all but its last item; the
/// core refuses the repetition instead.
fn listed(items: &[Value], at: &At) -> Result<Vec<ProviderAllocation>, Rejection> {
    const ITEM_FIELDS: [Field; 2] = [
        Field::always("resource_provider"),
        Field::always("resources"),
    ];
    const PROVIDER_FIELDS: [Field; 1] = [Field::always("uuid")];
    let mut out: Vec<ProviderAllocation> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let here = at.index(i);
        let map = walk::object(item, &here)?;
        walk::only_fields(map, &ITEM_FIELDS, Microversion::MIN, &here)?;
        let rp_at = here.key("resource_provider");
        let rp = walk::object(walk::required(map, "resource_provider", &here)?, &rp_at)?;
        walk::only_fields(rp, &PROVIDER_FIELDS, Microversion::MIN, &rp_at)?;
        let uuid_at = rp_at.key("uuid");
        let provider = walk::uuid(
            walk::string(walk::required(rp, "uuid", &rp_at)?, &uuid_at)?,
            &uuid_at,
        )?;
        let resources = resources(
            walk::required(map, "resources", &here)?,
            &here.key("resources"),
        )?;
        out.push(ProviderAllocation {
            provider,
            generation: None,
            resources,
        });
    }
    if let Some(uuid) = walk::first_duplicate(&out, |a| a.provider) {
        return Err(at.reject(duplicate(uuid)));
    }
    Ok(out)
}

/// 1.12 on: `{"<provider uuid>": {"generation": n?, "resources": {..}}}`.
fn by_provider(map: &Map<String, Value>, at: &At) -> Result<Vec<ProviderAllocation>, Rejection> {
    const FIELDS: [Field; 2] = [Field::always("generation"), Field::always("resources")];
    let mut out: Vec<ProviderAllocation> = Vec::with_capacity(map.len());
    for (key, v) in map {
        let provider = walk::uuid_key(key, at)?;
        let here = at.client_key(key);
        let entry = walk::object(v, &here)?;
        walk::only_fields(entry, &FIELDS, Microversion::MIN, &here)?;
        let generation = match entry.get("generation") {
            Some(g) => Some(walk::generation(g, &here.key("generation"))?),
            None => None,
        };
        let resources = resources(
            walk::required(entry, "resources", &here)?,
            &here.key("resources"),
        )?;
        out.push(ProviderAllocation {
            provider,
            generation,
            resources,
        });
    }
    if let Some(uuid) = walk::first_duplicate(&out, |a| a.provider) {
        return Err(at.reject(duplicate(uuid)));
    }
    Ok(out)
}

/// `{"<resource class>": amount}`, at least one, amounts at least 1. The
/// schema sets no maximum; the core bounds amounts by what Placement can store.
fn resources(value: &Value, at: &At) -> Result<Vec<(ResourceClass, u32)>, Rejection> {
    let map = walk::object(value, at)?;
    if map.is_empty() {
        return Err(at.reject(Problem::TooShort { min: 1 }));
    }
    let mut out = Vec::with_capacity(map.len());
    for (key, v) in map {
        let class = ResourceClass::parse(key)
            .map_err(|_| at.reject(walk::key_problem("keyed by resource class names", key)))?;
        let amount = walk::integer(v, 1, i64::from(MAX_INT), &at.client_key(key))?;
        let amount = u32::try_from(amount).map_err(|_| {
            at.client_key(key).reject(Problem::OutOfRange {
                min: 1,
                max: i64::from(MAX_INT),
            })
        })?;
        out.push((class, amount));
    }
    Ok(out)
}

/// `mappings_schema`: at least one suffix, each to at least one provider.
///
/// Placement's key pattern `[a-zA-Z0-9_-]{1,64}` is not anchored and the
/// object has no `additionalProperties: false`, so in Placement any key
/// holding one such character passes and other keys (such as `"!"`) are
/// not checked at all. The core takes the empty suffix (the unsuffixed
/// group, as allocation candidates return it) and whole suffixes only.
fn mappings(value: &Value, at: &At) -> Result<Vec<(String, Vec<Uuid>)>, Rejection> {
    let map = walk::object(value, at)?;
    if map.is_empty() {
        return Err(at.reject(Problem::TooShort { min: 1 }));
    }
    let mut out = Vec::with_capacity(map.len());
    for (key, v) in map {
        let ok = key.len() <= MAX_SUFFIX_CHARS
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !ok {
            return Err(at.reject(walk::key_problem(
                "keyed by group suffixes (up to 64 of A-Z, a-z, 0-9, _ and -)",
                key,
            )));
        }
        let here = at.client_key(key);
        let items = walk::array(v, &here)?;
        if items.is_empty() {
            return Err(here.reject(Problem::TooShort { min: 1 }));
        }
        let mut providers = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let item_at = here.index(i);
            providers.push(walk::uuid(walk::string(item, &item_at)?, &item_at)?);
        }
        out.push((key.clone(), providers));
    }
    Ok(out)
}
