//! The generators and oracles of the in-process fuzz targets over
//! `placement-core`, as ordinary library functions, apart from the core so
//! that the core carries no fuzz code (as wasmtime's `crates/fuzzing`).
//!
//! Each cargo-fuzz target in `fuzz/fuzz_targets/` is a few lines that call one
//! function here and panic on its `Err`. The same functions replay every file
//! of `corpus/<target>/` (and its `regressions/`) under `cargo test`, so a
//! crash found at night becomes an ordinary failing test in the morning.
//!
//! A function returns `Err` only for a broken property of the core; a
//! rejected input is the expected answer to most fuzz inputs and is `Ok`.

use std::fmt;

pub mod ops;

use crate::ops::{self as generate, OpSequence};
use placement_core::body::{self, BodyKind, ConsumerAllocations, ConsumerGeneration, WriteRequest};
use placement_core::candidates::{self, InventoryUse, ProviderInfo, ProviderTable};
use placement_core::ids::Uuid;
use placement_core::ids::{self, PlacementUuidRule, Spelling};
use placement_core::inventory::{Inventory, MAX_INT};
use placement_core::microversion::Microversion;
use placement_core::names::{self, PlacementNamePattern};
use placement_core::query::CandidatesQuery;

/// A property of the core that an input broke.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OracleFailure {
    /// The target whose check failed.
    pub target: &'static str,
    /// What property failed, with the values involved.
    pub what: String,
}

impl fmt::Display for OracleFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.target, self.what)
    }
}

impl std::error::Error for OracleFailure {}

/// The outcome of one fuzz input.
pub type Verdict = Result<(), OracleFailure>;

/// A fuzz target: its name (also its corpus folder) and its check.
pub struct Target {
    /// The cargo-fuzz target name and `corpus/` folder name.
    pub name: &'static str,
    /// Runs one input.
    pub run: fn(&[u8]) -> Verdict,
    /// For targets whose input is a JSON document after a few selector
    /// bytes: how many bytes come first. Benchmarks run `json_parse_only`
    /// on exactly those JSON payloads to state the cost of validation.
    pub json_after: Option<usize>,
}

/// Every in-process target, in the order benchmarks print them.
pub const TARGETS: &[Target] = &[
    Target {
        name: "empty",
        run: empty,
        json_after: None,
    },
    Target {
        name: "json_parse_only",
        run: json_parse_only,
        json_after: None,
    },
    Target {
        name: "uuid_parse",
        run: uuid_parse,
        json_after: None,
    },
    Target {
        name: "names_parse",
        run: names_parse,
        json_after: None,
    },
    Target {
        name: "allocation_body",
        run: allocation_body,
        json_after: Some(1),
    },
    Target {
        name: "write_body",
        run: write_body,
        json_after: Some(2),
    },
    Target {
        name: "candidates_query",
        run: candidates_query,
        json_after: None,
    },
    Target {
        name: "state_ops",
        run: state_ops,
        json_after: None,
    },
    Target {
        name: "list_query",
        run: list_query,
        json_after: None,
    },
    Target {
        name: "microversion_header",
        run: microversion_header,
        json_after: None,
    },
];

/// The target called `name`.
pub fn target(name: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|t| t.name == name)
}

fn fail(target: &'static str, what: impl Into<String>) -> Verdict {
    Err(OracleFailure {
        target,
        what: what.into(),
    })
}

/// The longest rejection sentence any input may produce: a sentence names a
/// place and a problem with at most a few excerpts, whatever the input size.
pub const MAX_MESSAGE_CHARS: usize = 400;

/// Checks a client-facing message: bounded, printable ASCII only (excerpts
/// escape everything else), and free of the words that betray internals.
pub fn check_message(target: &'static str, message: &str) -> Verdict {
    // Printable ASCII first: then bytes are characters and the length check
    // needs no counting. The function runs on every rejected fuzz input, so
    // it allocates nothing unless the message is bad.
    if let Some(c) = message.chars().find(|c| !(' '..='~').contains(c)) {
        return fail(
            target,
            format!("message has raw character {c:?}: {message}"),
        );
    }
    if message.len() > MAX_MESSAGE_CHARS {
        return fail(
            target,
            format!("message of {} characters: {message:.80}...", message.len()),
        );
    }
    // Excerpts are quoted, so text outside quotes is ours: it must not name
    // Rust types or schemas.
    for ours in message.split('\'').step_by(2) {
        for word in [
            "schema", "Value", "String", "Option", "serde", "panicked", "{", "}",
        ] {
            if ours.contains(word) {
                return fail(target, format!("message mentions {word:?}: {message}"));
            }
        }
    }
    Ok(())
}

/// Baseline: does nothing, so benchmarks can state the fuzzer's own cost.
pub fn empty(_data: &[u8]) -> Verdict {
    Ok(())
}

/// Baseline: parses JSON and nothing more, so JSON targets can state their overhead.
pub fn json_parse_only(data: &[u8]) -> Verdict {
    let _ = std::hint::black_box(serde_json::from_slice::<serde_json::Value>(data));
    Ok(())
}

/// UUID syntax: the core's parse, its canonical form, the known spellings and
/// the predicted Placement rules agree with each other.
pub fn uuid_parse(data: &[u8]) -> Verdict {
    const T: &str = "uuid_parse";
    let Ok(text) = std::str::from_utf8(data) else {
        return Ok(());
    };
    let parsed = ids::parse_uuid(text);
    let classified = ids::classify(text);
    match parsed {
        Ok(uuid) => {
            let canonical = uuid.to_string();
            if !canonical.eq_ignore_ascii_case(text) {
                return fail(
                    T,
                    format!("{text:?} parsed to {canonical}, not the same digits"),
                );
            }
            if ids::parse_uuid(&canonical) != Ok(uuid) {
                return fail(T, format!("canonical form {canonical} does not parse back"));
            }
            match classified {
                Some((u, Spelling::Canonical | Spelling::UpperCase | Spelling::MixedCase))
                    if u == uuid => {}
                other => return fail(T, format!("{text:?} parses but classifies as {other:?}")),
            }
            // Whatever the core takes, every one of Placement's checks takes too:
            // the core is never the looser side.
            for rule in PlacementUuidRule::ALL {
                if !rule.accepts(text) {
                    return fail(
                        T,
                        format!("{text:?} parses in the core but Placement's {rule:?} refuses it"),
                    );
                }
            }
            for spelling in Spelling::ALL {
                let written = spelling.write(uuid);
                // Case spellings are told apart by the letters present, and a
                // UUID with fewer than two letters cannot show both cases.
                let letters = canonical.bytes().filter(u8::is_ascii_alphabetic).count();
                let expected = match (spelling, letters) {
                    (Spelling::UpperCase | Spelling::MixedCase, 0) => Spelling::Canonical,
                    (Spelling::MixedCase, 1) => Spelling::UpperCase,
                    _ => spelling,
                };
                if ids::classify(&written) != Some((uuid, expected)) {
                    return fail(
                        T,
                        format!("{spelling} spelling {written:?} does not classify back"),
                    );
                }
            }
        }
        Err(err) => {
            if let Some((u, spelling)) = classified {
                let hyphenated = matches!(
                    spelling,
                    Spelling::Canonical | Spelling::UpperCase | Spelling::MixedCase
                );
                if hyphenated || err != ids::UuidSyntaxError::NonCanonical(spelling) {
                    return fail(
                        T,
                        format!("{text:?} classifies as {spelling} {u} but parse says {err}"),
                    );
                }
            }
            check_message(T, &format!("uuid: {err}"))?;
            for rule in PlacementUuidRule::ALL {
                let _ = rule.accepts(text);
            }
        }
    }
    Ok(())
}

/// Name syntax: each kind's parse agrees with its alphabet and bounds, and the
/// core never accepts a name that real Placement's pattern would refuse.
pub fn names_parse(data: &[u8]) -> Verdict {
    const T: &str = "names_parse";
    let Some((&selector, rest)) = data.split_first() else {
        return Ok(());
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return Ok(());
    };
    let chars = text.chars().count();
    let token_ok = |t: &str| {
        !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    };
    let (kind, result, pattern) = match selector % 7 {
        0 => (
            "resource class",
            names::ResourceClass::parse(text).map(|_| ()),
            Some(PlacementNamePattern::Token),
        ),
        1 => (
            "custom resource class",
            names::ResourceClass::parse_custom(text).map(|_| ()),
            Some(PlacementNamePattern::Custom),
        ),
        2 => (
            "trait",
            names::TraitName::parse(text).map(|_| ()),
            Some(PlacementNamePattern::Token),
        ),
        3 => (
            "custom trait",
            names::TraitName::parse_custom(text).map(|_| ()),
            Some(PlacementNamePattern::Custom),
        ),
        4 => (
            "consumer type",
            names::ConsumerType::parse(text).map(|_| ()),
            Some(PlacementNamePattern::Token),
        ),
        5 => (
            "project or user id",
            names::ExternalId::parse(text).map(|_| ()),
            None,
        ),
        _ => (
            "provider name",
            names::ProviderName::parse(text).map(|_| ()),
            None,
        ),
    };
    match result {
        Ok(()) => {
            if text.ends_with('\n') || text.chars().any(char::is_control) {
                return fail(
                    T,
                    format!("{kind} {text:?} accepted with a control character"),
                );
            }
            if text.chars().any(names::is_invisible_format) {
                return fail(
                    T,
                    format!("{kind} {text:?} accepted with an invisible format character"),
                );
            }
            let max = if selector % 7 == 6 {
                names::PROVIDER_NAME_MAX_CHARS
            } else {
                names::NAME_MAX_CHARS
            };
            if chars == 0 || chars > max {
                return fail(T, format!("{kind} of {chars} characters accepted"));
            }
            if let Some(pattern) = pattern {
                if !token_ok(text) {
                    return fail(T, format!("{kind} {text:?} accepted outside A-Z, 0-9, _"));
                }
                if !names::placement_pattern_accepts(pattern, text) {
                    return fail(
                        T,
                        format!(
                            "{kind} {text:?} accepted by the core but not by Placement's pattern"
                        ),
                    );
                }
            }
        }
        Err(err) => check_message(T, &format!("{kind}: {err}"))?,
    }
    Ok(())
}

/// Reads an `allocation_body` input: the first byte is `2 * minor + post`
/// (modulo 80), so one byte picks `PUT /allocations/{uuid}` or `POST
/// /allocations` and the microversion 1.0 to 1.39; the rest is the body.
/// Seeds use the printable byte for each choice (see `corpus/allocation_body`).
pub fn split_allocation_input(data: &[u8]) -> Option<(BodyKind, Microversion, &[u8])> {
    let (&selector, body) = data.split_first()?;
    let choice = selector % 80;
    let kind = if choice % 2 == 1 {
        BodyKind::ManageAllocations
    } else {
        BodyKind::ReplaceConsumerAllocations
    };
    Some((kind, Microversion::v1(u16::from(choice / 2)), body))
}

/// Allocation bodies, `PUT /allocations/{uuid}` and `POST /allocations` at
/// every microversion: see [`check_body`].
pub fn allocation_body(data: &[u8]) -> Verdict {
    match split_allocation_input(data) {
        Some((kind, mv, body)) => check_body("allocation_body", kind, mv, body),
        None => Ok(()),
    }
}

/// Every write route's body at every microversion, the route and version
/// picked by the first two bytes ([`body::split_fuzz_input`]): see [`check_body`].
pub fn write_body(data: &[u8]) -> Verdict {
    match body::split_fuzz_input(data) {
        Some((kind, mv, body)) => check_body("write_body", kind, mv, body),
        None => Ok(()),
    }
}

/// What must hold of any body the core parses: a rejection is a clean sentence; an accepted request is
/// of the route asked for, only uses fields its microversion has, and keeps
/// every amount within Placement's 32-bit bounds.
pub fn check_body(target: &'static str, kind: BodyKind, mv: Microversion, bytes: &[u8]) -> Verdict {
    let request = match body::parse(kind, mv, bytes) {
        Err(rejection) => {
            if rejection.code != placement_core::ErrorCode::Undefined {
                return fail(
                    target,
                    format!("body rejection with a query code: {rejection:?}"),
                );
            }
            return check_message(target, &rejection.to_string());
        }
        Ok(request) => request,
    };
    if request.kind() != kind {
        return fail(
            target,
            format!("{kind:?} body parsed as {:?}", request.kind()),
        );
    }
    if !kind.reads_body(mv) {
        return fail(
            target,
            format!("{kind:?} accepted a body at {mv}, where it reads none"),
        );
    }
    match &request {
        WriteRequest::ReplaceConsumerAllocations(consumer) => check_consumer(target, mv, consumer),
        WriteRequest::ManageAllocations(manage) => manage
            .consumers
            .iter()
            .try_for_each(|(_, consumer)| check_consumer(target, mv, consumer)),
        WriteRequest::Reshape(reshape) => reshape
            .allocations
            .iter()
            .try_for_each(|(_, consumer)| check_consumer(target, mv, consumer)),
        _ => Ok(()),
    }
}

/// The microversion gates and bounds of one consumer's allocations
/// (schemas/allocation.py: 1.8 project and user, 1.28 consumer generation,
/// 1.34 mappings, 1.38 consumer type).
fn check_consumer(
    target: &'static str,
    mv: Microversion,
    consumer: &ConsumerAllocations,
) -> Verdict {
    let gates = [
        (consumer.project_id.is_some(), 8, "project_id"),
        (consumer.user_id.is_some(), 8, "user_id"),
        (
            consumer.consumer_generation != ConsumerGeneration::NotSent,
            28,
            "consumer_generation",
        ),
        (!consumer.mappings.is_empty(), 34, "mappings"),
        (consumer.consumer_type.is_some(), 38, "consumer_type"),
    ];
    for (present, since, field) in gates {
        if present && !mv.at_least(Microversion::v1(since)) {
            return fail(
                target,
                format!("{field} accepted at {mv}, before 1.{since}"),
            );
        }
    }
    for allocation in &consumer.allocations {
        if allocation.resources.is_empty() {
            return fail(
                target,
                format!("allocation on {} with no resources", allocation.provider),
            );
        }
        if let Some((class, amount)) = allocation
            .resources
            .iter()
            .find(|(_, amount)| *amount == 0 || *amount > MAX_INT)
        {
            return fail(
                target,
                format!("{} amount {amount} accepted", class.as_str()),
            );
        }
    }
    Ok(())
}

/// Reads a `candidates_query` input: the first byte picks the microversion
/// (1.0 to 1.39, modulo 40), the rest is the raw query string. Bytes that
/// are not UTF-8 are replaced, as a web framework that hands the handler a
/// string would.
pub fn split_query_input(data: &[u8]) -> Option<(Microversion, String)> {
    let (&selector, rest) = data.split_first()?;
    let minor = u16::from(selector) % (Microversion::MAX.minor + 1);
    Some((
        Microversion::v1(minor),
        String::from_utf8_lossy(rest).into_owned(),
    ))
}

/// `GET /allocation_candidates`: the query grammar at every microversion,
/// then the engine over a fixed store of nested trees and a sharing
/// provider. A rejection is a clean sentence with a query code or none; an
/// accepted query yields the same answer twice, and the answer keeps every
/// rule of [`candidates::verify()`](placement_core::candidates::verify()).
pub fn candidates_query(data: &[u8]) -> Verdict {
    const T: &str = "candidates_query";
    let Some((mv, raw)) = split_query_input(data) else {
        return Ok(());
    };
    let query = match CandidatesQuery::parse(mv, &raw) {
        Ok(query) => query,
        Err(rejection) => return check_message(T, &rejection.to_string()),
    };
    let Some(store) = candidates_store() else {
        return fail(T, "the fixed provider store does not build");
    };
    let snapshot = candidates::Snapshot::read(store);
    let Some(answer) = check_engine(T, store, &snapshot, &query)? else {
        return Ok(());
    };
    let budget = candidates::Budget::new(FUZZ_CANDIDATE_BUDGET);
    match candidates::allocation_candidates_within(store, &query, budget) {
        Ok(again) if again == answer => Ok(()),
        other => fail(T, format!("a second run answered differently: {other:?}")),
    }
}

/// Runs the engine on `view` (read into `snapshot`) with the fuzz budget
/// and holds the outcome to its rules: an answer keeps every rule of
/// [`candidates::verify()`](placement_core::candidates::verify()) (and is returned for further checks), a failure
/// is a 400 with a clean sentence.
fn check_engine(
    target: &'static str,
    view: &dyn candidates::ProviderView,
    snapshot: &candidates::Snapshot,
    query: &CandidatesQuery,
) -> Result<Option<candidates::Candidates>, OracleFailure> {
    // A small budget: the engine's rules hold at any budget, truncation is
    // exercised sooner, and no input costs the fuzzer more than a moment.
    let budget = candidates::Budget::new(FUZZ_CANDIDATE_BUDGET);
    match candidates::allocation_candidates_in(view, snapshot, query, budget) {
        Ok(answer) => {
            candidates::verify(view, query, &answer).or_else(|broken| fail(target, broken))?;
            Ok(Some(answer))
        }
        Err(failure) if failure.status == placement_core::Status::BadRequest => {
            check_message(target, &failure.detail)?;
            Ok(None)
        }
        Err(failure) => fail(target, format!("engine failed with {failure:?}")).map(|()| None),
    }
}

/// The work budget of one engine run in the fuzz targets.
const FUZZ_CANDIDATE_BUDGET: u64 = 256;

/// The store `candidates_query` searches: two compute trees (a root with
/// NUMA children and PF grandchildren, partly used; a flat root), a sharing
/// storage provider in the first tree's aggregate, standard and custom
/// classes and traits, and units that make step and max checks matter.
fn candidates_store() -> Option<&'static ProviderTable> {
    static STORE: std::sync::OnceLock<Option<ProviderTable>> = std::sync::OnceLock::new();
    STORE
        .get_or_init(|| {
            let rc = |n: &str| names::ResourceClass::parse(n).ok();
            let tr = |n: &str| names::TraitName::parse(n).ok();
            let inv = |total, used, step, max| {
                Some(InventoryUse {
                    inventory: Inventory::new(total, 0, 1, max, step, 1.0).ok()?,
                    used,
                })
            };
            let agg = Uuid::from_u128(0xa66);
            let mut providers = Vec::new();
            let node = |n: u128, parent: Option<u128>| {
                let mut p = ProviderInfo::new(Uuid::from_u128(n));
                p.parent = parent.map(Uuid::from_u128);
                p
            };
            let mut cn1 = node(1, None);
            cn1.inventories
                .insert(rc("DISK_GB")?, inv(100, 10, 1, 100)?);
            cn1.traits.insert(tr("HW_CPU_X86_AVX2")?);
            cn1.aggregates.insert(agg);
            providers.push(cn1);
            for (numa, pf, physnet) in
                [(11, 111, "CUSTOM_PHYSNET_A"), (12, 121, "CUSTOM_PHYSNET_B")]
            {
                let mut n = node(numa, Some(1));
                n.inventories
                    .insert(rc("VCPU")?, inv(4, numa as u64 - 11, 1, 4)?);
                n.inventories
                    .insert(rc("MEMORY_MB")?, inv(2048, 0, 256, 2048)?);
                n.traits.insert(tr("HW_NUMA_ROOT")?);
                providers.push(n);
                let mut p = node(pf, Some(numa));
                p.inventories.insert(rc("SRIOV_NET_VF")?, inv(8, 1, 1, 8)?);
                p.inventories
                    .insert(rc("CUSTOM_BANDWIDTH")?, inv(1000, 0, 100, 1000)?);
                p.traits.insert(tr(physnet)?);
                providers.push(p);
            }
            let mut cn2 = node(2, None);
            cn2.inventories.insert(rc("VCPU")?, inv(8, 0, 1, 8)?);
            cn2.inventories
                .insert(rc("MEMORY_MB")?, inv(4096, 4096, 1, 4096)?);
            cn2.traits.insert(tr("COMPUTE_STATUS_DISABLED")?);
            providers.push(cn2);
            let mut storage = node(3, None);
            storage
                .inventories
                .insert(rc("DISK_GB")?, inv(2000, 0, 10, 1000)?);
            storage.traits.insert(tr("MISC_SHARES_VIA_AGGREGATE")?);
            storage.aggregates.insert(agg);
            providers.push(storage);
            let mut table = ProviderTable::default();
            providers.into_iter().for_each(|p| table.insert(p));
            Some(table)
        })
        .as_ref()
}

/// The state model: an `arbitrary` sequence of operations over a small
/// universe of providers, consumers and classes, with every invariant of
/// [`state::invariants`](placement_core::state::invariants) checked after each step; then allocation
/// candidates over the state the sequence left must keep every rule of
/// [`candidates::verify()`](placement_core::candidates::verify()).
pub fn state_ops(data: &[u8]) -> Verdict {
    const T: &str = "state_ops";
    let sequence = OpSequence::from_bytes(data);
    let state = match generate::run_to_end(&sequence) {
        Ok((state, _)) => state,
        Err(violation) => return fail(T, format!("{violation}\n{sequence:?}")),
    };
    let snapshot = candidates::Snapshot::read(&state);
    for query in state_queries() {
        check_engine(T, &state, &snapshot, query).map_err(|failure| OracleFailure {
            what: format!("{}\n{sequence:?}", failure.what),
            ..failure
        })?;
    }
    check_read_side(T, &state).map_err(|failure| OracleFailure {
        what: format!("{}\n{sequence:?}", failure.what),
        ..failure
    })
}

/// The read side of a state the operations left, as `GET
/// /resource_providers` and `GET /usages` would read it: a few fixed
/// provider filters plus `in_tree` of every provider and `member_of` of
/// every aggregate in use, and every usage filter the consumers make
/// possible (each project, alone and with each of its users, by every
/// consumer type, `unknown` and `all`). Each answer must agree with the one
/// built from the records themselves.
fn check_read_side(target: &'static str, state: &placement_core::state::State) -> Verdict {
    use placement_core::query::{ConsumerTypeFilter, MemberOf, ProviderQuery, UsagesQuery};
    use std::collections::BTreeSet;
    let mut provider_queries: Vec<ProviderQuery> = state_provider_queries().to_vec();
    let aggregates: BTreeSet<Uuid> = state
        .providers()
        .flat_map(|p| p.aggregates().iter().copied())
        .collect();
    for aggregate in aggregates {
        provider_queries.push(ProviderQuery {
            member_of: MemberOf {
                any_of: vec![BTreeSet::from([aggregate])],
                forbidden: BTreeSet::new(),
            },
            ..ProviderQuery::default()
        });
    }
    for p in state.providers() {
        provider_queries.push(ProviderQuery {
            in_tree: Some(p.uuid()),
            ..ProviderQuery::default()
        });
    }
    for q in &provider_queries {
        check_provider_listing(target, state, q)?;
    }
    let mut types = vec![
        None,
        Some(ConsumerTypeFilter::All),
        Some(ConsumerTypeFilter::Unknown),
    ];
    let named: BTreeSet<_> = state
        .consumers()
        .filter_map(|c| c.consumer_type())
        .collect();
    types.extend(
        named
            .into_iter()
            .map(|t| Some(ConsumerTypeFilter::Named(t.clone()))),
    );
    let projects: BTreeSet<_> = state.consumers().map(|c| c.project()).collect();
    for project in projects {
        let users: BTreeSet<_> = state
            .consumers()
            .filter(|c| c.project() == project)
            .map(|c| Some(c.user()))
            .chain([None])
            .collect();
        for user in users {
            for consumer_type in &types {
                let q = UsagesQuery {
                    project_id: project.clone(),
                    user_id: user.cloned(),
                    consumer_type: consumer_type.clone(),
                };
                check_usages_answer(target, state, &q)?;
            }
        }
    }
    Ok(())
}

/// Provider listings asked of every state `state_ops` reaches, in the
/// generator's classes and traits.
fn state_provider_queries() -> &'static [placement_core::query::ProviderQuery] {
    static QUERIES: std::sync::OnceLock<Vec<placement_core::query::ProviderQuery>> =
        std::sync::OnceLock::new();
    QUERIES.get_or_init(|| {
        [
            "",
            "name=rp-b",
            "resources=VCPU:1",
            "resources=VCPU:2,MEMORY_MB:256",
            "resources=CUSTOM_GOLD:1,DISK_GB:10",
            "required=CUSTOM_FAST,!CUSTOM_SLOW",
            "required=in:HW_CPU_X86_AVX,CUSTOM_SLOW",
        ]
        .iter()
        .filter_map(|raw| placement_core::query::ProviderQuery::parse(Microversion::MAX, raw).ok())
        .collect()
    })
}

/// Candidate queries asked of every state `state_ops` reaches: one
/// provider, a spread over a tree, granular groups kept apart, traits.
fn state_queries() -> &'static [CandidatesQuery] {
    static QUERIES: std::sync::OnceLock<Vec<CandidatesQuery>> = std::sync::OnceLock::new();
    QUERIES.get_or_init(|| {
        [
            "resources=VCPU:1",
            "resources=VCPU:2,MEMORY_MB:256,DISK_GB:10",
            "resources1=VCPU:1&resources2=VCPU:1&group_policy=isolate",
            "resources=CUSTOM_GOLD:1&required=CUSTOM_FAST,!CUSTOM_SLOW",
        ]
        .iter()
        .filter_map(|raw| CandidatesQuery::parse(Microversion::MAX, raw).ok())
        .collect()
    })
}

/// The list routes `list_query` parses, picked by the first byte modulo 3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListRoute {
    /// `GET /resource_providers`.
    Providers,
    /// `GET /usages`.
    Usages,
    /// `GET /traits`.
    Traits,
}

/// Reads a `list_query` input: the first byte `b` picks the route
/// (`b % 3`: providers, usages, traits) and the microversion (`1.(b / 3 %
/// 40)`); the rest is the raw query string, non-UTF-8 bytes replaced as in
/// [`split_query_input`]. Printable first bytes: `u` `v` `w` are the three
/// routes at 1.39, `r` `s` `t` at 1.38, `x` `y` `z` at 1.0, and `3m + r`
/// for minors 11 to 39.
pub fn split_list_input(data: &[u8]) -> Option<(ListRoute, Microversion, String)> {
    let (&selector, rest) = data.split_first()?;
    let route = match selector % 3 {
        0 => ListRoute::Providers,
        1 => ListRoute::Usages,
        _ => ListRoute::Traits,
    };
    let minor = u16::from(selector / 3) % (Microversion::MAX.minor + 1);
    Some((
        route,
        Microversion::v1(minor),
        String::from_utf8_lossy(rest).into_owned(),
    ))
}

/// `GET /resource_providers`, `/usages` and `/traits`: each query grammar at
/// every microversion. Parsing is deterministic; a rejection is a clean 400
/// with a query code or none; an accepted query only holds fields its
/// microversion has, within Placement's bounds. Provider and usage queries
/// are then answered from a fixed [`State`](placement_core::state::State) in two
/// independent ways (the store's indexes and readers, and each record's own
/// fields), which must agree.
pub fn list_query(data: &[u8]) -> Verdict {
    const T: &str = "list_query";
    let Some((route, mv, raw)) = split_list_input(data) else {
        return Ok(());
    };
    let kind = match route {
        ListRoute::Providers => placement_core::query::QueryKind::ResourceProviders,
        ListRoute::Usages => placement_core::query::QueryKind::Usages,
        ListRoute::Traits => placement_core::query::QueryKind::Traits,
    };
    let parsed = placement_core::query::parse(kind, mv, &raw);
    if placement_core::query::parse(kind, mv, &raw) != parsed {
        return fail(T, format!("{kind:?} at {mv}: two parses of {raw:?} differ"));
    }
    let query = match parsed {
        Ok(query) => query,
        Err(rejection) => return check_list_rejection(rejection),
    };
    let Some(state) = list_state() else {
        return fail(T, "the fixed list state does not build");
    };
    match query {
        placement_core::query::Query::ResourceProviders(q) => {
            check_provider_query_fields(mv, &q)?;
            check_provider_listing(T, state, &q)
        }
        placement_core::query::Query::Usages(q) => {
            check_usages_query_fields(mv, &q)?;
            check_usages_answer(T, state, &q)
        }
        placement_core::query::Query::Traits(q) => check_traits_query_fields(mv, &q),
        placement_core::query::Query::AllocationCandidates(_) => fail(
            T,
            format!("{kind:?} parsed as an allocation candidates query"),
        ),
    }
}

/// A refused list query is a 400 whose code is a query code or the
/// undefined one, round-trips through its string, and reads cleanly.
fn check_list_rejection(rejection: placement_core::error::Rejection) -> Verdict {
    const T: &str = "list_query";
    use placement_core::outcome::{ErrorCode, Failure, Status};
    let failure = Failure::from(rejection);
    if failure.status != Status::BadRequest || failure.status.code() != 400 {
        return fail(T, format!("query rejection is not a 400: {failure:?}"));
    }
    let query_code = matches!(
        failure.code,
        ErrorCode::Undefined
            | ErrorCode::QueryDuplicateKey
            | ErrorCode::QueryBadValue
            | ErrorCode::QueryMissingValue
    );
    if !query_code || ErrorCode::from_code_str(failure.code.as_str()) != Some(failure.code) {
        return fail(T, format!("query rejection with code {}", failure.code));
    }
    check_message(T, &failure.detail)
}

/// The microversion gates and bounds of an accepted `GET
/// /resource_providers` query (`schemas/resource_provider.py`).
fn check_provider_query_fields(
    mv: Microversion,
    q: &placement_core::query::ProviderQuery,
) -> Verdict {
    const T: &str = "list_query";
    let any_of_traits = q.required.all_of.iter().any(|set| set.len() > 1);
    let gates = [
        (!q.member_of.is_empty(), 3, "member_of"),
        (q.member_of.any_of.len() > 1, 24, "a repeated member_of"),
        (!q.member_of.forbidden.is_empty(), 32, "member_of=!"),
        (!q.resources.is_empty(), 4, "resources"),
        (q.in_tree.is_some(), 14, "in_tree"),
        (!q.required.is_empty(), 18, "required"),
        (!q.required.forbidden.is_empty(), 22, "required=!"),
        (any_of_traits, 39, "required=in:"),
    ];
    for (present, since, field) in gates {
        if present && !mv.at_least(Microversion::v1(since)) {
            return fail(
                T,
                format!("providers: {field} accepted at {mv}, before 1.{since}"),
            );
        }
    }
    if let Some(name) = &q.name {
        let chars = name.as_str().chars().count();
        if chars == 0
            || chars > names::PROVIDER_NAME_MAX_CHARS
            || name.as_str().chars().any(char::is_control)
        {
            return fail(T, format!("providers: name {:?} accepted", name.as_str()));
        }
    }
    if let Some((class, amount)) = q
        .resources
        .iter()
        .find(|(_, amount)| **amount == 0 || **amount > MAX_INT)
    {
        return fail(
            T,
            format!("providers: {} amount {amount} accepted", class.as_str()),
        );
    }
    if q.required
        .all_of
        .iter()
        .any(std::collections::BTreeSet::is_empty)
    {
        return fail(T, "providers: an empty required trait set accepted");
    }
    if q.required.conflict().is_some() {
        return fail(
            T,
            "providers: required and forbidden the same trait accepted",
        );
    }
    Ok(())
}

/// The bounds of an accepted `GET /usages` query (`schemas/usage.py`).
fn check_usages_query_fields(mv: Microversion, q: &placement_core::query::UsagesQuery) -> Verdict {
    const T: &str = "list_query";
    if !mv.at_least(Microversion::v1(9)) {
        return fail(T, format!("usages: query accepted at {mv}, before 1.9"));
    }
    if q.consumer_type.is_some() && !mv.at_least(Microversion::v1(38)) {
        return fail(
            T,
            format!("usages: consumer_type accepted at {mv}, before 1.38"),
        );
    }
    for (field, id) in [
        ("project_id", Some(&q.project_id)),
        ("user_id", q.user_id.as_ref()),
    ] {
        let Some(id) = id else { continue };
        let chars = id.as_str().chars().count();
        if chars == 0 || chars > names::NAME_MAX_CHARS || id.as_str().chars().any(char::is_control)
        {
            return fail(T, format!("usages: {field} {:?} accepted", id.as_str()));
        }
    }
    Ok(())
}

/// The bounds of an accepted `GET /traits` query (`schemas/trait.py`): a
/// literal prefix of trait-name characters, or a non-empty list of names.
fn check_traits_query_fields(mv: Microversion, q: &placement_core::query::TraitsQuery) -> Verdict {
    use placement_core::query::TraitNameFilter;
    const T: &str = "list_query";
    if !mv.at_least(Microversion::v1(6)) {
        return fail(T, format!("traits: query accepted at {mv}, before 1.6"));
    }
    match &q.name {
        Some(TraitNameFilter::StartsWith(prefix)) => {
            let literal = prefix.len() <= names::NAME_MAX_CHARS
                && prefix
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
            if !literal {
                return fail(T, format!("traits: prefix {prefix:?} accepted"));
            }
        }
        Some(TraitNameFilter::In(set)) if set.is_empty() => {
            return fail(T, "traits: name=in: with no names accepted");
        }
        _ => {}
    }
    Ok(())
}

/// Answers a provider query from the store's indexes and readers: the
/// candidate set starts from the most selective lookup (`provider` by
/// UUID, `provider_by_name`, the `tree` of `in_tree`'s root, the
/// `aggregate_members` of each `member_of` set) and is narrowed by usage
/// and trait readers. [`provider_matches`] is the other way round.
fn provider_listing(
    state: &placement_core::state::State,
    q: &placement_core::query::ProviderQuery,
) -> Vec<Uuid> {
    // Sorted lists rather than sets: the providers come in UUID order and
    // are only ever removed, and `state_ops` asks a dozen listings of every
    // state it reaches.
    let mut listed: Vec<Uuid> = state.providers().map(|p| p.uuid()).collect();
    if let Some(uuid) = q.uuid {
        listed.retain(|u| state.provider(uuid).is_some_and(|p| p.uuid() == *u));
    }
    if let Some(name) = &q.name {
        let named = state.provider_by_name(name.as_str()).map(|p| p.uuid());
        listed.retain(|u| Some(*u) == named);
    }
    if let Some(anchor) = q.in_tree {
        let root = state.provider(anchor).map(|p| p.root());
        listed.retain(|u| root.is_some_and(|r| state.tree(r).any(|p| p.uuid() == *u)));
    }
    for any in &q.member_of.any_of {
        listed.retain(|u| {
            any.iter()
                .any(|agg| state.aggregate_members(*agg).any(|p| p.uuid() == *u))
        });
    }
    for agg in &q.member_of.forbidden {
        listed.retain(|u| !state.aggregate_members(*agg).any(|p| p.uuid() == *u));
    }
    for (class, amount) in &q.resources {
        listed.retain(|u| {
            state
                .inventories(*u)
                .and_then(|invs| invs.get(class))
                .is_some_and(|inv| {
                    inv.check_units(u64::from(*amount)).is_ok()
                        && inv.fits(state.usage(*u, class) + u64::from(*amount))
                })
        });
    }
    listed.retain(|u| {
        state
            .provider(*u)
            .is_some_and(|p| q.required.holds(p.traits()))
    });
    listed
}

/// Whether one provider passes every filter of `q`, judged from its own
/// record (name, root, aggregates, traits) and its usage list.
fn provider_matches(
    state: &placement_core::state::State,
    p: &placement_core::state::Provider,
    q: &placement_core::query::ProviderQuery,
) -> bool {
    let in_tree = q.in_tree.is_none_or(|anchor| {
        state
            .providers()
            .any(|other| other.uuid() == anchor && other.root() == p.root())
    });
    let resources = q.resources.iter().all(|(class, amount)| {
        let used: u64 = state
            .usages(p.uuid())
            .filter(|(rc, _)| *rc == class)
            .map(|(_, used)| used)
            .sum();
        p.inventory(class).is_some_and(|inv| {
            u64::from(*amount) >= u64::from(inv.min_unit())
                && *amount <= inv.max_unit()
                && *amount % inv.step_size() == 0
                && (used + u64::from(*amount)) as f64 <= inv.capacity()
        })
    });
    q.uuid.is_none_or(|u| u == p.uuid())
        && q.name.as_ref().is_none_or(|n| n == p.name())
        && in_tree
        && q.member_of.required_hold(p.aggregates())
        && q.member_of.forbidden_hold(p.aggregates())
        && resources
        && q.required.holds(p.traits())
}

/// The listing the server serves ([`State::providers_matching`]) is the
/// one the store's readers give, which is exactly the providers whose own
/// records pass every filter; the empty query lists everyone.
///
/// [`State::providers_matching`]: placement_core::state::State::providers_matching
fn check_provider_listing(
    target: &'static str,
    state: &placement_core::state::State,
    q: &placement_core::query::ProviderQuery,
) -> Verdict {
    let listed = provider_listing(state, q);
    if !state
        .providers_matching(q)
        .map(|p| p.uuid())
        .eq(listed.iter().copied())
    {
        let served: std::collections::BTreeSet<Uuid> =
            state.providers_matching(q).map(|p| p.uuid()).collect();
        let listed: std::collections::BTreeSet<Uuid> = listed.iter().copied().collect();
        return fail(
            target,
            format!(
                "providers: the served listing {served:?} is not the readers' {listed:?} \
                 for {q:?}"
            ),
        );
    }
    for p in state.providers() {
        let matches = provider_matches(state, p, q);
        if matches != listed.contains(&p.uuid()) {
            return fail(
                target,
                format!(
                    "providers: {} ({}) is {} by the readers but {} its own record for {q:?}",
                    p.name().as_str(),
                    p.uuid(),
                    if matches { "not listed" } else { "listed" },
                    if matches { "matches" } else { "does not match" },
                ),
            );
        }
    }
    if *q == placement_core::query::ProviderQuery::default()
        && listed.len() != state.providers().count()
    {
        return fail(
            target,
            "providers: the empty query does not list every provider",
        );
    }
    Ok(())
}

/// Answers a usage query with the store's `usages_by` and
/// `consumer_count_by`, and again from each consumer record and its
/// allocations; the two must agree, and no class sums to more than the
/// providers' usages of it. `consumer_type=all` must also be the sum of
/// every type's answer, `unknown` included.
fn check_usages_answer(
    target: &'static str,
    state: &placement_core::state::State,
    q: &placement_core::query::UsagesQuery,
) -> Verdict {
    use placement_core::query::ConsumerTypeFilter;
    use placement_core::state::store::UsageFilter;
    use std::collections::{BTreeMap, BTreeSet};
    let type_filter = match &q.consumer_type {
        None | Some(ConsumerTypeFilter::All) => None,
        Some(ConsumerTypeFilter::Unknown) => Some(None),
        Some(ConsumerTypeFilter::Named(t)) => Some(Some(t)),
    };
    let filter = UsageFilter {
        project: &q.project_id,
        user: q.user_id.as_ref(),
        consumer_type: type_filter,
    };
    let recount = |filter: &UsageFilter<'_>| {
        let mut sums: BTreeMap<names::ResourceClass, u64> = BTreeMap::new();
        let mut count = 0u64;
        for consumer in state.consumers() {
            let selected = consumer.project() == filter.project
                && filter.user.is_none_or(|u| u == consumer.user())
                && filter
                    .consumer_type
                    .is_none_or(|t| t == consumer.consumer_type());
            let Some(allocations) = state.consumer_allocations(consumer.uuid()) else {
                continue;
            };
            if !selected || state.consumer(consumer.uuid()) != Some(consumer) {
                continue;
            }
            count += 1;
            for (class, amount) in allocations.values().flatten() {
                *sums.entry(class.clone()).or_insert(0) += u64::from(*amount);
            }
        }
        (sums, count)
    };
    let answer = (state.usages_by(&filter), state.consumer_count_by(&filter));
    let again = recount(&filter);
    if answer != again {
        return fail(
            target,
            format!(
                "usages: the store answers {answer:?}, the consumer records {again:?}, for {q:?}"
            ),
        );
    }
    for (class, sum) in &answer.0 {
        let on_providers: u64 = state
            .providers()
            .map(|p| state.usage(p.uuid(), class))
            .sum();
        if *sum > on_providers {
            return fail(
                target,
                format!(
                    "usages: {} sums to {sum}, providers hold {on_providers}",
                    class.as_str()
                ),
            );
        }
    }
    if q.consumer_type == Some(ConsumerTypeFilter::All) {
        let types: BTreeSet<Option<&names::ConsumerType>> =
            state.consumers().map(|c| c.consumer_type()).collect();
        let mut by_type: BTreeMap<names::ResourceClass, u64> = BTreeMap::new();
        let mut count = 0;
        for t in types {
            let one = UsageFilter {
                consumer_type: Some(t),
                ..filter.clone()
            };
            count += state.consumer_count_by(&one);
            for (class, sum) in state.usages_by(&one) {
                *by_type.entry(class).or_insert(0) += sum;
            }
        }
        if (by_type.clone(), count) != answer {
            return fail(
                target,
                format!(
                    "usages: all is {answer:?} but its types add up to {:?}",
                    (by_type, count)
                ),
            );
        }
    }
    Ok(())
}

/// The state `list_query` lists from: a compute tree (root `cn1` with child
/// `numa0`), a flat `cn2`, a sharing `storage`; two aggregates; standard and
/// custom traits and classes; consumers of two projects, of a type, of none
/// (written at 1.37) and one left without allocations
/// (`Quirk::GhostConsumerFromEmptyAllocations`), so that every usage filter
/// has something to select and something to leave out.
fn list_state() -> Option<&'static placement_core::state::State> {
    static STATE: std::sync::OnceLock<Option<placement_core::state::State>> =
        std::sync::OnceLock::new();
    STATE.get_or_init(build_list_state).as_ref()
}

/// total, reserved, min_unit, max_unit, step_size, allocation_ratio.
type InventoryFields = (u32, u32, u32, u32, u32, f64);

/// consumer, project, user, type, microversion, (provider, class, amount)s.
type ListConsumer<'a> = (
    u128,
    &'a str,
    &'a str,
    Option<&'a str>,
    u16,
    &'a [(u128, &'a str, u32)],
);

fn build_list_state() -> Option<placement_core::state::State> {
    use placement_core::state::{AllocationMap, ConsumerWrite, Op, State};
    use std::collections::{BTreeMap, BTreeSet};
    let rc = |n: &str| names::ResourceClass::parse(n).ok();
    let tr = |n: &str| names::TraitName::parse(n).ok();
    let id = |n: &str| names::ExternalId::parse(n).ok();
    let u = Uuid::from_u128;
    let mv = Microversion::MAX;
    let mut state = State::new();
    let apply = |state: &mut State, op: Op| state.apply(&op).ok().map(|_| ());
    apply(
        &mut state,
        Op::EnsureTrait {
            name: tr("CUSTOM_FAST")?,
        },
    )?;
    apply(
        &mut state,
        Op::CreateResourceClass {
            name: rc("CUSTOM_GOLD")?,
        },
    )?;
    for (n, name, parent) in [
        (1, "cn1", None),
        (11, "numa0", Some(u(1))),
        (2, "cn2", None),
        (3, "storage", None),
    ] {
        let name = names::ProviderName::parse(name).ok()?;
        apply(
            &mut state,
            Op::CreateProvider {
                microversion: mv,
                uuid: u(n),
                name,
                parent,
            },
        )?;
    }
    let generation = |state: &State, n: u128| state.provider(u(n)).map(|p| p.generation());
    let inventories: [(u128, &[(&str, InventoryFields)]); 4] = [
        (1, &[("DISK_GB", (100, 0, 1, 100, 1, 1.0))]),
        (
            11,
            &[
                ("VCPU", (4, 0, 1, 4, 1, 2.0)),
                ("MEMORY_MB", (2048, 512, 256, 2048, 256, 1.0)),
            ],
        ),
        (
            2,
            &[
                ("VCPU", (8, 0, 1, 8, 1, 1.0)),
                ("CUSTOM_GOLD", (5, 0, 1, 5, 1, 1.0)),
            ],
        ),
        (3, &[("DISK_GB", (2000, 0, 10, 1000, 10, 1.0))]),
    ];
    for (n, list) in inventories {
        let mut map = BTreeMap::new();
        for (class, (total, reserved, min, max, step, ratio)) in list {
            map.insert(
                rc(class)?,
                Inventory::new(*total, *reserved, *min, *max, *step, *ratio).ok()?,
            );
        }
        let generation = generation(&state, n)?;
        apply(
            &mut state,
            Op::SetInventories {
                microversion: mv,
                provider: u(n),
                generation,
                inventories: map,
            },
        )?;
    }
    let traits: [(u128, &[&str]); 3] = [
        (1, &["HW_CPU_X86_AVX2"]),
        (11, &["HW_NUMA_ROOT", "CUSTOM_FAST"]),
        (2, &["COMPUTE_STATUS_DISABLED", "HW_CPU_X86_AVX2"]),
    ];
    for (n, list) in traits {
        let traits = list
            .iter()
            .map(|t| tr(t))
            .collect::<Option<BTreeSet<_>>>()?;
        let generation = generation(&state, n)?;
        apply(
            &mut state,
            Op::SetTraits {
                provider: u(n),
                traits,
                generation,
            },
        )?;
    }
    for (n, aggs) in [(1, vec![0xa1]), (3, vec![0xa1, 0xa2]), (2, vec![0xa2])] {
        let generation = generation(&state, n);
        let aggregates = aggs.into_iter().map(u).collect();
        apply(
            &mut state,
            Op::SetAggregates {
                provider: u(n),
                aggregates,
                generation,
            },
        )?;
    }
    let writes: [ListConsumer; 4] = [
        (
            0xc1,
            "p1",
            "u1",
            Some("INSTANCE"),
            39,
            &[(11, "VCPU", 2), (1, "DISK_GB", 10)],
        ),
        (
            0xc2,
            "p1",
            "u2",
            None,
            37,
            &[(2, "VCPU", 4), (2, "CUSTOM_GOLD", 1)],
        ),
        (
            0xc3,
            "p2",
            "u1",
            Some("MIGRATION"),
            39,
            &[(3, "DISK_GB", 500), (11, "MEMORY_MB", 512)],
        ),
        (0xc4, "p1", "u1", Some("INSTANCE"), 39, &[]),
    ];
    for (consumer, project, user, consumer_type, minor, allocations) in writes {
        let mut map = AllocationMap::new();
        for (p, class, amount) in allocations {
            map.entry(u(*p)).or_default().insert(rc(class)?, *amount);
        }
        let consumer_type = match consumer_type {
            Some(t) => Some(names::ConsumerType::parse(t).ok()?),
            None => None,
        };
        let write = ConsumerWrite {
            allocations: map,
            project: id(project)?,
            user: id(user)?,
            consumer_type,
            generation: None,
        };
        apply(
            &mut state,
            Op::PutAllocations {
                microversion: Microversion::v1(minor),
                consumer: u(consumer),
                write,
            },
        )?;
    }
    Some(state)
}

/// `OpenStack-API-Version` header values: the core accepts exactly
/// `placement latest` and `placement X.Y` with canonical numbers within
/// 1.0 to 1.39; a well-formed version outside the range is `Unsupported`,
/// never a syntax error; an accepted version renders back to a value that
/// parses to itself; every refusal reads cleanly.
///
/// Real Placement reads the header with `microversion_parse`, which is
/// looser on purpose or by accident: the service name in any case, several
/// comma-separated services (the last `placement` wins), white space around
/// parts, Python `int()` digits (`placement 1.05` is 1.5, `placement 1.1_0`
/// is 1.10), and no `placement` entry at all means 1.0 rather than an error
/// (checked against 16.0.0, 2026-11). The core refuses all of these; this
/// target holds the core to its own strict contract, and predicting
/// Placement's looser reading is the scanner's job, not this check's.
pub fn microversion_header(data: &[u8]) -> Verdict {
    use placement_core::microversion::MicroversionError;
    const T: &str = "microversion_header";
    // A header value that is not UTF-8 never reaches the parser: the
    // server's header reader refuses it first.
    let Ok(value) = std::str::from_utf8(data) else {
        return Ok(());
    };
    let parsed = Microversion::parse_header(value);
    if Microversion::parse_header(value) != parsed {
        return fail(T, format!("two parses of {value:?} differ"));
    }
    // The canonical reading, from std's integer parser and Display alone.
    let canonical = value.strip_prefix("placement ").and_then(|rest| {
        let (major, minor) = rest.split_once('.')?;
        let major: u16 = major
            .parse()
            .ok()
            .filter(|m: &u16| m.to_string() == major)?;
        let minor: u16 = minor
            .parse()
            .ok()
            .filter(|m: &u16| m.to_string() == minor)?;
        Some(Microversion::new(major, minor))
    });
    let in_range = |v: Microversion| Microversion::MIN <= v && v <= Microversion::MAX;
    match parsed {
        Ok(v) => {
            let latest = value == "placement latest" && v == Microversion::MAX;
            if !in_range(v) || !(latest || canonical == Some(v)) {
                return fail(T, format!("{value:?} accepted as {v}"));
            }
            let rendered = format!("placement {v}");
            if Microversion::parse_header(&rendered) != Ok(v)
                || Microversion::parse(&v.to_string()) != Ok(v)
            {
                return fail(T, format!("{v} does not parse back from {rendered:?}"));
            }
        }
        Err(MicroversionError::Unsupported(v)) => {
            if in_range(v) || canonical != Some(v) {
                return fail(T, format!("{value:?} refused as unsupported {v}"));
            }
        }
        Err(MicroversionError::Syntax) => {
            if value == "placement latest" || canonical.is_some() {
                return fail(T, format!("{value:?} refused as malformed"));
            }
        }
    }
    if let Err(err) = parsed {
        check_message(T, &format!("OpenStack-API-Version: {err}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_queries_all_parse() {
        assert_eq!(state_queries().len(), 4);
        assert_eq!(state_provider_queries().len(), 7);
    }

    #[test]
    fn every_target_accepts_empty_and_junk_input() {
        for t in TARGETS {
            for input in [&b""[..], b"\0", b"\xff\xfe", b"{}", b"[[[[", b"\x01VCPU\n"] {
                assert_eq!((t.run)(input), Ok(()), "{} on {input:?}", t.name);
            }
        }
    }

    fn listed(raw: &str) -> Vec<String> {
        let state = list_state().expect("the list state builds");
        let query = placement_core::query::ProviderQuery::parse(Microversion::MAX, raw).expect(raw);
        provider_listing(state, &query)
            .into_iter()
            .filter_map(|u| state.provider(u).map(|p| p.name().as_str().to_owned()))
            .collect()
    }

    // The fixed state is what its comment says, so the listing checks have
    // something to keep and something to drop for every filter.
    #[test]
    fn list_state_answers_provider_filters() {
        assert_eq!(listed("").len(), 4);
        assert_eq!(listed("name=cn2"), ["cn2"]);
        // numa0: (4 - 0) * 2.0 - 2 used = 6 free but max_unit 4; cn2: 8 - 4 used = 4.
        assert_eq!(listed("resources=VCPU:4"), ["cn2", "numa0"]);
        assert_eq!(listed("resources=VCPU:5"), Vec::<String>::new());
        // storage has step 10 and max 1000; cn1 has 90 free.
        assert_eq!(listed("resources=DISK_GB:20"), ["cn1", "storage"]);
        assert!(listed("resources=DISK_GB:15").contains(&"cn1".to_owned()));
        assert_eq!(listed("resources=DISK_GB:1010"), Vec::<String>::new());
        // numa0: 2048 - 512 reserved - 512 used = 1024.
        assert_eq!(listed("resources=MEMORY_MB:1024"), ["numa0"]);
        assert_eq!(listed("resources=MEMORY_MB:1280"), Vec::<String>::new());
        let tree = format!("in_tree={}", Uuid::from_u128(11));
        assert_eq!(listed(&tree), ["cn1", "numa0"]);
        let a2 = Uuid::from_u128(0xa2);
        assert_eq!(listed(&format!("member_of={a2}")), ["cn2", "storage"]);
        assert_eq!(listed(&format!("member_of=!{a2}")), ["cn1", "numa0"]);
        assert_eq!(
            listed("required=HW_CPU_X86_AVX2,!COMPUTE_STATUS_DISABLED"),
            ["cn1"]
        );
    }

    #[test]
    fn list_state_answers_usage_filters() {
        use placement_core::state::store::UsageFilter;
        let state = list_state().expect("the list state builds");
        // Four consumer records; the one left without allocations counts nowhere.
        assert_eq!(state.consumers().count(), 4);
        let p1 = names::ExternalId::parse("p1").unwrap();
        let all = UsageFilter {
            project: &p1,
            user: None,
            consumer_type: None,
        };
        assert_eq!(state.consumer_count_by(&all), 2);
        let vcpu = names::ResourceClass::parse("VCPU").unwrap();
        assert_eq!(state.usages_by(&all).get(&vcpu), Some(&6));
        let unknown = UsageFilter {
            consumer_type: Some(None),
            ..all.clone()
        };
        assert_eq!(state.usages_by(&unknown).get(&vcpu), Some(&4));
    }

    #[test]
    fn list_split_reads_route_and_microversion() {
        let split = |b: u8| split_list_input(&[b]).map(|(r, v, _)| (r, v));
        assert_eq!(split(b'u'), Some((ListRoute::Providers, Microversion::MAX)));
        assert_eq!(split(b'v'), Some((ListRoute::Usages, Microversion::MAX)));
        assert_eq!(split(b'w'), Some((ListRoute::Traits, Microversion::MAX)));
        assert_eq!(split(b's'), Some((ListRoute::Usages, Microversion::v1(38))));
        assert_eq!(split(b'x'), Some((ListRoute::Providers, Microversion::MIN)));
        assert_eq!(
            split(255),
            Some((ListRoute::Providers, Microversion::v1(5)))
        );
        assert_eq!(split_list_input(b""), None);
    }

    // The header oracle's own reading must not be looser or stricter than
    // the parser on the values whose verdict the brief fixes.
    #[test]
    fn header_verdicts() {
        use placement_core::microversion::MicroversionError;
        for (value, expected) in [
            ("placement latest", Ok(Microversion::MAX)),
            ("placement 1.10", Ok(Microversion::v1(10))),
            (
                "placement 1.65535",
                Err(MicroversionError::Unsupported(Microversion::v1(65535))),
            ),
            ("placement 1.65536", Err(MicroversionError::Syntax)),
            ("Placement 1.5", Err(MicroversionError::Syntax)),
            ("placement 1.5\n", Err(MicroversionError::Syntax)),
        ] {
            assert_eq!(Microversion::parse_header(value), expected, "{value:?}");
            assert_eq!(microversion_header(value.as_bytes()), Ok(()), "{value:?}");
        }
    }

    /// The seed files of one target (regressions left out).
    fn seeds(target: &str) -> Vec<Vec<u8>> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../corpus")
            .join(target);
        std::fs::read_dir(&dir)
            .expect("the corpus folder exists")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .map(|p| std::fs::read(p).expect("a seed is readable"))
            .collect()
    }

    // Seeds that are all refused (or all accepted) leave the fuzzer one side
    // of each grammar to mutate: every route needs both.
    #[test]
    fn list_and_header_seeds_reach_both_verdicts() {
        use placement_core::query::{self, QueryKind};
        for (route, kind) in [
            (ListRoute::Providers, QueryKind::ResourceProviders),
            (ListRoute::Usages, QueryKind::Usages),
            (ListRoute::Traits, QueryKind::Traits),
        ] {
            let verdicts: Vec<bool> = seeds("list_query")
                .iter()
                .filter_map(|d| split_list_input(d))
                .filter(|(r, _, _)| *r == route)
                .map(|(_, mv, raw)| query::parse(kind, mv, &raw).is_ok())
                .collect();
            let accepted = verdicts.iter().filter(|ok| **ok).count();
            assert!(
                accepted >= 3 && verdicts.len() - accepted >= 3,
                "{route:?}: {accepted} of {} seeds accepted",
                verdicts.len()
            );
        }
        let verdicts: Vec<_> = seeds("microversion_header")
            .iter()
            .filter_map(|d| std::str::from_utf8(d).ok())
            .map(Microversion::parse_header)
            .collect();
        assert!(verdicts.iter().filter(|v| v.is_ok()).count() >= 3);
        assert!(verdicts.iter().filter(|v| v.is_err()).count() >= 3);
    }

    #[test]
    fn message_check_catches_leaks() {
        assert!(check_message("t", "x: must be a UUID; got 'abc'").is_ok());
        assert!(check_message("t", "x: got '{\"a\"'").is_ok());
        assert!(check_message("t", "Failed validating in schema {'type': 'object'}").is_err());
        assert!(check_message("t", "invalid type: Value::String").is_err());
        assert!(check_message("t", "caf\u{e9}").is_err());
        assert!(check_message("t", &"x".repeat(401)).is_err());
    }
}
