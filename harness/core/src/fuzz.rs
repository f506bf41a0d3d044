//! The checks behind the fuzz targets, as ordinary library functions.
//!
//! Each cargo-fuzz target in `fuzz/fuzz_targets/` is a few lines that call one
//! function here and panic on its `Err`. The same functions replay every file
//! of `corpus/<target>/` (and its `regressions/`) under `cargo test`, so a
//! crash found at night becomes an ordinary failing test in the morning.
//!
//! A function returns `Err` only for a broken property of the core; a
//! rejected input is the expected answer to most fuzz inputs and is `Ok`.

use std::fmt;

use crate::body::{self, BodyKind, ConsumerAllocations, ConsumerGeneration, WriteRequest};
use crate::candidates::{self, InventoryUse, ProviderInfo, ProviderTable};
use crate::ids::Uuid;
use crate::ids::{self, PlacementUuidRule, Spelling};
use crate::inventory::{Inventory, MAX_INT};
use crate::microversion::Microversion;
use crate::names::{self, PlacementNamePattern};
use crate::query::CandidatesQuery;
use crate::state::generate::{self, OpSequence};

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
            if rejection.code != crate::ErrorCode::Undefined {
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
/// rule of [`candidates::verify`].
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
    let Some(answer) = check_engine(T, store, &query)? else {
        return Ok(());
    };
    let budget = candidates::Budget::new(FUZZ_CANDIDATE_BUDGET);
    match candidates::allocation_candidates_within(store, &query, budget) {
        Ok(again) if again == answer => Ok(()),
        other => fail(T, format!("a second run answered differently: {other:?}")),
    }
}

/// Runs the engine on `view` with the fuzz budget and holds the outcome to
/// its rules: an answer keeps every rule of [`candidates::verify`] (and is
/// returned for further checks), a failure is a 400 with a clean sentence.
fn check_engine(
    target: &'static str,
    view: &dyn candidates::ProviderView,
    query: &CandidatesQuery,
) -> Result<Option<candidates::Candidates>, OracleFailure> {
    // A small budget: the engine's rules hold at any budget, truncation is
    // exercised sooner, and no input costs the fuzzer more than a moment.
    let budget = candidates::Budget::new(FUZZ_CANDIDATE_BUDGET);
    match candidates::allocation_candidates_within(view, query, budget) {
        Ok(answer) => {
            candidates::verify(view, query, &answer).or_else(|broken| fail(target, broken))?;
            Ok(Some(answer))
        }
        Err(failure) if failure.status == crate::Status::BadRequest => {
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
/// [`state::invariants`] checked after each step; then allocation
/// candidates over the state the sequence left must keep every rule of
/// [`candidates::verify`].
pub fn state_ops(data: &[u8]) -> Verdict {
    const T: &str = "state_ops";
    let sequence = OpSequence::from_bytes(data);
    let state = match generate::run_to_end(&sequence) {
        Ok((state, _)) => state,
        Err(violation) => return fail(T, format!("{violation}\n{sequence:?}")),
    };
    for query in state_queries() {
        check_engine(T, &state, query).map_err(|failure| OracleFailure {
            what: format!("{}\n{sequence:?}", failure.what),
            ..failure
        })?;
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_queries_all_parse() {
        assert_eq!(state_queries().len(), 4);
    }

    #[test]
    fn every_target_accepts_empty_and_junk_input() {
        for t in TARGETS {
            for input in [&b""[..], b"\0", b"\xff\xfe", b"{}", b"[[[[", b"\x01VCPU\n"] {
                assert_eq!((t.run)(input), Ok(()), "{} on {input:?}", t.name);
            }
        }
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
