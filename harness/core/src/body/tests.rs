//! Every route at every schema step, and Placement's quirks, each with the
//! Placement 16.0.0 file it comes from.

use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::error::{Excerpt, JsonKind, Location, Problem};
use crate::ids::{Spelling, Uuid};
use crate::inventory::MAX_INT;

const RP: &str = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
const RP2: &str = "6ba7b811-9dad-11d1-80b4-00c04fd430c8";
const CONSUMER: &str = "c0ffee00-2222-3333-4444-55555555abcd";

fn mv(minor: u16) -> Microversion {
    Microversion::v1(minor)
}

fn ok(kind: BodyKind, minor: u16, body: serde_json::Value) -> WriteRequest {
    let bytes = serde_json::to_vec(&body).unwrap();
    match parse(kind, mv(minor), &bytes) {
        Ok(request) => {
            assert_eq!(request.kind(), kind);
            // Compared with the value read back from the bytes: serde_json's
            // default float reading may differ from the literal by one ulp.
            let reread: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(parse_value(kind, mv(minor), &reread), Ok(request.clone()));
            request
        }
        Err(e) => panic!("{kind} at 1.{minor} refused {body}: {e}"),
    }
}

fn err(kind: BodyKind, minor: u16, body: serde_json::Value) -> Rejection {
    let bytes = serde_json::to_vec(&body).unwrap();
    match parse(kind, mv(minor), &bytes) {
        Ok(request) => panic!("{kind} at 1.{minor} accepted {body}: {request:?}"),
        Err(e) => {
            assert_eq!(parse_value(kind, mv(minor), &body), Err(e.clone()));
            assert!(
                placement_fuzzing::check_message("body", &e.to_string()).is_ok(),
                "{e}"
            );
            e
        }
    }
}

fn at(rejection: &Rejection) -> String {
    match &rejection.location {
        Location::Body(path) => path.to_string(),
        other => panic!("not a body location: {other}"),
    }
}

fn uuid(text: &str) -> Uuid {
    Uuid::parse(text).unwrap()
}

fn canonical_uuid_problem(got: &str) -> Problem {
    Problem::Syntax {
        what: walk::CANONICAL_UUID,
        got: Excerpt::of(got),
    }
}

// ---- routes and versions -------------------------------------------------

#[test]
fn routes_before_their_version_refuse_the_body() {
    let e = parse(BodyKind::ManageAllocations, mv(12), b"{}").unwrap_err();
    assert_eq!(e.problem, Problem::NeedsMicroversion("1.13"));
    let e = parse(BodyKind::Reshape, mv(29), b"{}").unwrap_err();
    assert_eq!(e.problem, Problem::NeedsMicroversion("1.30"));
    // handlers/resource_class.py: from 1.7 the PUT reads no body at all.
    let e = parse(
        BodyKind::UpdateResourceClass,
        mv(7),
        br#"{"name": "CUSTOM_A"}"#,
    )
    .unwrap_err();
    assert!(matches!(e.problem, Problem::Rule(_)));
}

#[test]
fn every_route_takes_a_minimal_body_at_every_version() {
    for kind in BodyKind::ALL {
        for version in Microversion::all() {
            if !kind.reads_body(version) {
                continue;
            }
            let body = minimal(kind, version.minor);
            ok(kind, version.minor, body);
        }
    }
}

/// The smallest body each route accepts at `1.minor`.
fn minimal(kind: BodyKind, minor: u16) -> serde_json::Value {
    match kind {
        BodyKind::CreateProvider | BodyKind::UpdateProvider => json!({"name": "rp"}),
        BodyKind::CreateInventory => json!({"resource_class": "VCPU", "total": 1}),
        BodyKind::ReplaceInventories => {
            json!({"resource_provider_generation": 0, "inventories": {}})
        }
        BodyKind::UpdateInventory => json!({"resource_provider_generation": 0, "total": 1}),
        BodyKind::ReplaceConsumerAllocations => consumer_body(minor, false),
        BodyKind::ManageAllocations => json!({ CONSUMER: consumer_body(minor, false) }),
        BodyKind::ReplaceAggregates if minor < 19 => json!([]),
        BodyKind::ReplaceAggregates => {
            json!({"aggregates": [], "resource_provider_generation": 0})
        }
        BodyKind::ReplaceProviderTraits => {
            json!({"traits": [], "resource_provider_generation": 0})
        }
        BodyKind::CreateResourceClass | BodyKind::UpdateResourceClass => {
            json!({"name": "CUSTOM_GOLD"})
        }
        BodyKind::Reshape => json!({
            "inventories": {RP: {"resource_provider_generation": 0, "inventories": {}}},
            "allocations": {},
        }),
    }
}

/// A consumer's allocations with every field `1.minor` requires.
fn consumer_body(minor: u16, empty: bool) -> serde_json::Value {
    let mut body = if minor < 12 {
        json!({"allocations": [
            {"resource_provider": {"uuid": RP}, "resources": {"VCPU": 1}}
        ]})
    } else if empty {
        json!({"allocations": {}})
    } else {
        json!({"allocations": {RP: {"resources": {"VCPU": 1}}}})
    };
    if minor >= 8 {
        body["project_id"] = json!("p");
        body["user_id"] = json!("u");
    }
    if minor >= 28 {
        body["consumer_generation"] = json!(null);
    }
    if minor >= 38 {
        body["consumer_type"] = json!("INSTANCE");
    }
    body
}

#[test]
fn additional_properties_are_refused_everywhere_placement_sets_false() {
    // Every schema in schemas/*.py that sets additionalProperties: False.
    let kinds_and_minors = [
        (BodyKind::CreateProvider, 39),
        (BodyKind::UpdateProvider, 39),
        (BodyKind::CreateInventory, 39),
        (BodyKind::ReplaceInventories, 39),
        (BodyKind::UpdateInventory, 39),
        (BodyKind::ReplaceConsumerAllocations, 0),
        (BodyKind::ReplaceConsumerAllocations, 39),
        (BodyKind::ManageAllocations, 39),
        (BodyKind::ReplaceAggregates, 19),
        (BodyKind::ReplaceProviderTraits, 39),
        (BodyKind::CreateResourceClass, 39),
        (BodyKind::UpdateResourceClass, 6),
        (BodyKind::Reshape, 39),
    ];
    for (kind, minor) in kinds_and_minors {
        let mut body = minimal(kind, minor);
        if kind == BodyKind::ManageAllocations {
            body[CONSUMER]["extra"] = json!(1);
        } else {
            body["extra"] = json!(1);
        }
        let e = err(kind, minor, body);
        assert_eq!(e.problem, Problem::NotAllowed, "{kind}");
        assert!(at(&e).ends_with("'extra'"), "{kind}: {e}");
    }
}

// ---- resource providers (schemas/resource_provider.py) -------------------

#[test]
fn provider_create_takes_a_canonical_uuid_in_either_case() {
    let upper = RP.to_uppercase();
    let WriteRequest::CreateProvider(p) = ok(
        BodyKind::CreateProvider,
        0,
        json!({"name": "n", "uuid": upper}),
    ) else {
        unreachable!()
    };
    assert_eq!(p.uuid, Some(uuid(RP)));
    assert_eq!(p.parent, ParentField::Absent);
    // oslo is_uuid_like takes these (util.py _validate_uuid_format); the core does not.
    for spelling in [Spelling::Dashless, Spelling::Braced, Spelling::Urn] {
        let text = spelling.write(uuid(RP));
        let e = err(
            BodyKind::CreateProvider,
            0,
            json!({"name": "n", "uuid": text}),
        );
        assert_eq!(e.problem, canonical_uuid_problem(&text));
        assert_eq!(at(&e), "uuid");
        assert!(e.to_string().contains("canonical UUID"));
    }
}

#[test]
fn provider_names_are_at_most_200_characters() {
    ok(
        BodyKind::CreateProvider,
        0,
        json!({"name": "é".repeat(200)}),
    );
    let e = err(
        BodyKind::CreateProvider,
        0,
        json!({"name": "n".repeat(201)}),
    );
    assert_eq!(e.problem, Problem::TooLong { max: 200 });
    let e = err(BodyKind::UpdateProvider, 0, json!({}));
    assert_eq!((at(&e).as_str(), e.problem), ("name", Problem::Missing));
    let e = err(BodyKind::CreateProvider, 0, json!({"name": 1}));
    assert_eq!(e.problem, Problem::WrongKind(JsonKind::String));
    // The schema has no minLength; the core wants a name to be one.
    let e = err(BodyKind::CreateProvider, 0, json!({"name": ""}));
    assert_eq!(e.problem, Problem::TooShort { min: 1 });
}

#[test]
fn parent_provider_uuid_arrives_at_1_14_and_may_be_null() {
    let e = err(
        BodyKind::CreateProvider,
        13,
        json!({"name": "n", "parent_provider_uuid": RP}),
    );
    assert_eq!(e.problem, Problem::NeedsMicroversion("1.14"));
    let WriteRequest::CreateProvider(p) = ok(
        BodyKind::CreateProvider,
        14,
        json!({"name": "n", "parent_provider_uuid": null}),
    ) else {
        unreachable!()
    };
    assert_eq!(p.parent, ParentField::Root);
    let WriteRequest::UpdateProvider(p) = ok(
        BodyKind::UpdateProvider,
        37,
        json!({"name": "n", "parent_provider_uuid": RP}),
    ) else {
        unreachable!()
    };
    assert_eq!(p.parent, ParentField::Parent(uuid(RP)));
    let e = err(
        BodyKind::UpdateProvider,
        14,
        json!({"name": "n", "parent_provider_uuid": 7}),
    );
    assert_eq!(e.problem, Problem::WrongKind(JsonKind::StringOrNull));
    // PUT_RESOURCE_PROVIDER_SCHEMA pops 'uuid'.
    let e = err(
        BodyKind::UpdateProvider,
        39,
        json!({"name": "n", "uuid": RP}),
    );
    assert_eq!(e.problem, Problem::NotAllowed);
}

// ---- inventories (schemas/inventory.py, handlers/inventory.py) ----------

#[test]
fn inventory_defaults_are_placements() {
    let WriteRequest::CreateInventory(c) = ok(
        BodyKind::CreateInventory,
        0,
        json!({"resource_class": "DISK_GB", "total": 10}),
    ) else {
        unreachable!()
    };
    assert_eq!(c.resource_class.as_str(), "DISK_GB");
    assert_eq!(c.inventory, Inventory::with_total(10).unwrap());
    assert_eq!(c.resource_provider_generation, None);
    // POST_INVENTORY_SCHEMA keeps resource_provider_generation as optional.
    let WriteRequest::CreateInventory(c) = ok(
        BodyKind::CreateInventory,
        0,
        json!({"resource_class": "VCPU", "total": 10, "resource_provider_generation": 3,
               "reserved": 1, "min_unit": 2, "max_unit": 4, "step_size": 2,
               "allocation_ratio": 16}),
    ) else {
        unreachable!()
    };
    assert_eq!(c.inventory, Inventory::new(10, 1, 2, 4, 2, 16.0).unwrap());
    assert_eq!(c.resource_provider_generation, Some(3));
}

use crate::inventory::Inventory;

#[test]
fn inventory_fields_have_placements_bounds() {
    let base = |field: &str, value: serde_json::Value| {
        let mut body = json!({"resource_class": "VCPU", "total": 10});
        body[field] = value;
        body
    };
    for (field, min) in [
        ("total", 1),
        ("reserved", 0),
        ("min_unit", 1),
        ("max_unit", 1),
        ("step_size", 1),
    ] {
        let range = Problem::OutOfRange {
            min,
            max: i64::from(MAX_INT),
        };
        let e = err(BodyKind::CreateInventory, 0, base(field, json!(min - 1)));
        assert_eq!((at(&e), e.problem), (field.to_owned(), range.clone()));
        let e = err(
            BodyKind::CreateInventory,
            0,
            base(field, json!(u64::from(MAX_INT) + 1)),
        );
        assert_eq!(e.problem, range);
        // jsonschema's integer is a Python int: 1.0 and true are not integers.
        for not_int in [json!(1.0), json!(true), json!("1"), json!(null)] {
            let e = err(BodyKind::CreateInventory, 0, base(field, not_int));
            assert_eq!(e.problem, Problem::WrongKind(JsonKind::Integer));
        }
    }
    let e = err(BodyKind::CreateInventory, 0, json!({"total": 1}));
    assert_eq!(
        (at(&e).as_str(), e.problem),
        ("resource_class", Problem::Missing)
    );
    let e = err(
        BodyKind::CreateInventory,
        0,
        json!({"resource_class": "VCPU"}),
    );
    assert_eq!((at(&e).as_str(), e.problem), ("total", Problem::Missing));
    let e = err(
        BodyKind::CreateInventory,
        0,
        json!({"resource_class": "vcpu", "total": 1}),
    );
    assert!(matches!(e.problem, Problem::Syntax { .. }));
}

#[test]
fn allocation_ratio_has_a_maximum_and_no_minimum() {
    // schemas/inventory.py: "number", "maximum": SQL_SP_FLOAT_MAX, no minimum.
    for ratio in [
        json!(0),
        json!(0.0),
        json!(-1.5),
        json!(3.40282e38),
        json!(2),
    ] {
        // reserved 0 and a non-positive ratio give capacity <= 0, which the
        // handler refuses before 1.26 only when it is below 1; use 1.26 and total = reserved.
        let body = json!({"resource_class": "VCPU", "total": 1, "reserved": 1,
                          "allocation_ratio": ratio});
        ok(BodyKind::CreateInventory, 26, body);
    }
    let e = err(
        BodyKind::CreateInventory,
        0,
        json!({"resource_class": "VCPU", "total": 1, "allocation_ratio": 3.5e38}),
    );
    assert!(matches!(e.problem, Problem::NumberOutOfRange { .. }));
    let e = err(
        BodyKind::CreateInventory,
        0,
        json!({"resource_class": "VCPU", "total": 1, "allocation_ratio": "2"}),
    );
    assert_eq!(e.problem, Problem::WrongKind(JsonKind::Number));
}

#[test]
fn capacity_rule_changes_at_1_26() {
    // handlers/inventory.py _validate_inventory_capacity: capacity <= 0 is
    // refused before 1.26, capacity < 0 from 1.26.
    let full = json!({"resource_class": "VCPU", "total": 4, "reserved": 4});
    let e = err(BodyKind::CreateInventory, 25, full.clone());
    assert!(matches!(e.problem, Problem::Rule(_)));
    ok(BodyKind::CreateInventory, 26, full);
    let over = json!({"resource_provider_generation": 1, "total": 4, "reserved": 5});
    let e = err(BodyKind::UpdateInventory, 39, over);
    assert!(matches!(e.problem, Problem::Rule(_)));
    // int(1 * 0.5) == 0: no capacity before 1.26.
    let half = json!({"resource_provider_generation": 1, "total": 1, "allocation_ratio": 0.5});
    err(BodyKind::UpdateInventory, 25, half.clone());
    ok(BodyKind::UpdateInventory, 26, half);
    let e = err(
        BodyKind::ReplaceInventories,
        25,
        json!({"resource_provider_generation": 1,
               "inventories": {"VCPU": {"total": 2, "reserved": 2}}}),
    );
    assert_eq!(at(&e), "inventories.'VCPU'");
}

#[test]
fn resource_provider_generation_is_required_where_placement_requires_it() {
    let e = err(BodyKind::UpdateInventory, 0, json!({"total": 1}));
    assert_eq!(
        (at(&e).as_str(), e.problem),
        ("resource_provider_generation", Problem::Missing)
    );
    let e = err(BodyKind::ReplaceInventories, 0, json!({"inventories": {}}));
    assert_eq!(e.problem, Problem::Missing);
    let e = err(
        BodyKind::ReplaceInventories,
        0,
        json!({"resource_provider_generation": 0}),
    );
    assert_eq!(
        (at(&e).as_str(), e.problem),
        ("inventories", Problem::Missing)
    );
    let e = err(BodyKind::ReplaceProviderTraits, 6, json!({"traits": []}));
    assert_eq!(e.problem, Problem::Missing);
    let e = err(BodyKind::ReplaceAggregates, 19, json!({"aggregates": []}));
    assert_eq!(e.problem, Problem::Missing);
    // Generations are compared, never stored: any integer, even negative.
    ok(
        BodyKind::UpdateInventory,
        0,
        json!({"resource_provider_generation": -5, "total": 1}),
    );
    let e = err(
        BodyKind::UpdateInventory,
        0,
        json!({"resource_provider_generation": "0", "total": 1}),
    );
    assert_eq!(e.problem, Problem::WrongKind(JsonKind::Integer));
}

#[test]
fn replace_inventories_keys_must_be_resource_classes() {
    let WriteRequest::ReplaceInventories(r) = ok(
        BodyKind::ReplaceInventories,
        0,
        json!({"resource_provider_generation": 2, "inventories": {
            "VCPU": {"total": 8, "resource_provider_generation": 2},
            "CUSTOM_X": {"total": 1}}}),
    ) else {
        unreachable!()
    };
    assert_eq!(r.resource_provider_generation, 2);
    let classes: Vec<_> = r.inventories.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(classes, ["CUSTOM_X", "VCPU"]);
    // PUT_INVENTORY_SCHEMA has patternProperties without additionalProperties:
    // false, so Placement lets "vcpu" (and any value) reach
    // handlers/inventory.py _extract_inventories, which fails on non-objects.
    for key in ["vcpu", "", "VCPU\n", "a b"] {
        let e = err(
            BodyKind::ReplaceInventories,
            0,
            json!({"resource_provider_generation": 2, "inventories": {key: "x"}}),
        );
        assert!(matches!(e.problem, Problem::Syntax { .. }), "{key:?}");
        assert_eq!(at(&e), "inventories");
    }
    let e = err(
        BodyKind::ReplaceInventories,
        0,
        json!({"resource_provider_generation": 2, "inventories": {"VCPU": {"total": 1, "x": 1}}}),
    );
    assert_eq!(at(&e), "inventories.'VCPU'.'x'");
}

// ---- allocations (schemas/allocation.py) ---------------------------------

fn put(minor: u16, body: serde_json::Value) -> ConsumerAllocations {
    match ok(BodyKind::ReplaceConsumerAllocations, minor, body) {
        WriteRequest::ReplaceConsumerAllocations(c) => c,
        other => panic!("{other:?}"),
    }
}

#[test]
fn allocations_1_0_are_a_list() {
    let c = put(0, consumer_body(0, false));
    assert_eq!(c.allocations.len(), 1);
    assert_eq!(c.allocations[0].provider, uuid(RP));
    assert_eq!(c.allocations[0].resources[0].0.as_str(), "VCPU");
    assert_eq!(c.allocations[0].resources[0].1, 1);
    assert_eq!(c.project_id, None);
    assert_eq!(c.consumer_generation, ConsumerGeneration::NotSent);
    // minItems: 1.
    let e = err(
        BodyKind::ReplaceConsumerAllocations,
        0,
        json!({"allocations": []}),
    );
    assert_eq!(e.problem, Problem::TooShort { min: 1 });
    // The dict form is 1.12's.
    let e = err(
        BodyKind::ReplaceConsumerAllocations,
        11,
        consumer_body(12, false),
    );
    assert_eq!(e.problem, Problem::WrongKind(JsonKind::Array));
    let e = err(
        BodyKind::ReplaceConsumerAllocations,
        0,
        json!({"allocations": [{"resource_provider": {"uuid": RP, "name": "x"},
                                "resources": {"VCPU": 1}}]}),
    );
    assert_eq!(at(&e), "allocations[0].resource_provider.'name'");
    let e = err(
        BodyKind::ReplaceConsumerAllocations,
        0,
        json!({"allocations": [{"resources": {"VCPU": 1}}]}),
    );
    assert_eq!(at(&e), "allocations[0].resource_provider");
}

#[test]
fn a_provider_listed_twice_is_refused() {
    // handlers/allocation.py builds a dict from the 1.0 list: the first item
    // for a provider is silently dropped. The core refuses the repetition,
    // also when the same UUID is written in two cases (dict form).
    let item = json!({"resource_provider": {"uuid": RP}, "resources": {"VCPU": 1}});
    let upper = json!({"resource_provider": {"uuid": RP.to_uppercase()}, "resources": {"VCPU": 2}});
    let e = err(
        BodyKind::ReplaceConsumerAllocations,
        0,
        json!({"allocations": [item, upper]}),
    );
    assert_eq!(e.problem, Problem::Duplicate(Excerpt::of(RP)));
    let mut body = consumer_body(12, false);
    body["allocations"][RP.to_uppercase()] = json!({"resources": {"VCPU": 1}});
    let e = err(BodyKind::ReplaceConsumerAllocations, 12, body);
    assert_eq!(e.problem, Problem::Duplicate(Excerpt::of(RP)));
}

#[test]
fn project_and_user_arrive_at_1_8() {
    let mut body = consumer_body(0, false);
    body["project_id"] = json!("p");
    let e = err(BodyKind::ReplaceConsumerAllocations, 7, body);
    assert_eq!(e.problem, Problem::NeedsMicroversion("1.8"));
    let c = put(8, consumer_body(8, false));
    assert_eq!(c.project_id.unwrap().as_str(), "p");
    assert_eq!(c.user_id.unwrap().as_str(), "u");
    for field in ["project_id", "user_id"] {
        let mut body = consumer_body(8, false);
        body.as_object_mut().unwrap().remove(field);
        let e = err(BodyKind::ReplaceConsumerAllocations, 8, body);
        assert_eq!((at(&e), e.problem), (field.to_owned(), Problem::Missing));
        let mut body = consumer_body(12, false);
        body[field] = json!("");
        let e = err(BodyKind::ReplaceConsumerAllocations, 12, body);
        assert_eq!(e.problem, Problem::TooShort { min: 1 });
        let mut body = consumer_body(12, false);
        body[field] = json!("x".repeat(256));
        let e = err(BodyKind::ReplaceConsumerAllocations, 12, body);
        assert_eq!(e.problem, Problem::TooLong { max: 255 });
    }
}

#[test]
fn allocations_1_12_are_keyed_by_provider() {
    let mut body = consumer_body(12, false);
    body["allocations"][RP2.to_uppercase()] =
        json!({"generation": 7, "resources": {"DISK_GB": 5, "CUSTOM_X": 2}});
    let c = put(12, body);
    assert_eq!(c.allocations.len(), 2);
    let second = c
        .allocations
        .iter()
        .find(|a| a.provider == uuid(RP2))
        .unwrap();
    assert_eq!(second.generation, Some(7));
    assert_eq!(second.resources.len(), 2);
    // minProperties: 1 until 1.28.
    let e = err(
        BodyKind::ReplaceConsumerAllocations,
        27,
        consumer_body(27, true),
    );
    assert_eq!(e.problem, Problem::TooShort { min: 1 });
    // UUID_PATTERN ^[0-9a-fA-F-]{36}$ takes 36 dashes; the core wants a UUID.
    let dashes = "-".repeat(36);
    let e = err(
        BodyKind::ReplaceConsumerAllocations,
        12,
        json!({"project_id": "p", "user_id": "u",
               "allocations": {dashes.clone(): {"resources": {"VCPU": 1}}}}),
    );
    assert_eq!(e.problem, canonical_uuid_problem(&dashes));
    assert_eq!(at(&e), "allocations");
    let e = err(
        BodyKind::ReplaceConsumerAllocations,
        12,
        json!({"project_id": "p", "user_id": "u",
               "allocations": {RP: {"resources": {"VCPU": 1}, "traits": []}}}),
    );
    assert_eq!(e.problem, Problem::NotAllowed);
    let e = err(
        BodyKind::ReplaceConsumerAllocations,
        12,
        json!({"project_id": "p", "user_id": "u", "allocations": {RP: {}}}),
    );
    assert_eq!(e.problem, Problem::Missing);
}

#[test]
fn amounts_are_from_1_to_max_int() {
    let with = |amount: serde_json::Value| {
        json!({"project_id": "p", "user_id": "u",
               "allocations": {RP: {"resources": {"VCPU": amount}}}})
    };
    let c = put(12, with(json!(MAX_INT)));
    assert_eq!(c.allocations[0].resources[0].1, MAX_INT);
    let range = Problem::OutOfRange {
        min: 1,
        max: i64::from(MAX_INT),
    };
    // schemas/allocation.py: "minimum": 1 and no maximum at all.
    for bad in [
        json!(0),
        json!(-1),
        json!(u64::from(MAX_INT) + 1),
        json!(u64::MAX),
    ] {
        let e = err(BodyKind::ReplaceConsumerAllocations, 12, with(bad));
        assert_eq!(e.problem, range);
        assert_eq!(
            at(&e),
            format!("allocations.{}.resources.'VCPU'", Excerpt::of(RP))
        );
    }
    for bad in [json!(1.5), json!(1.0), json!("1"), json!(false)] {
        let e = err(BodyKind::ReplaceConsumerAllocations, 12, with(bad));
        assert_eq!(e.problem, Problem::WrongKind(JsonKind::Integer));
    }
    let e = err(
        BodyKind::ReplaceConsumerAllocations,
        12,
        json!({"project_id": "p", "user_id": "u", "allocations": {RP: {"resources": {}}}}),
    );
    assert_eq!(e.problem, Problem::TooShort { min: 1 });
    let e = err(
        BodyKind::ReplaceConsumerAllocations,
        12,
        json!({"project_id": "p", "user_id": "u",
               "allocations": {RP: {"resources": {"vcpu": 1}}}}),
    );
    assert!(matches!(e.problem, Problem::Syntax { .. }));
    assert_eq!(at(&e), format!("allocations.{}.resources", Excerpt::of(RP)));
}

#[test]
fn consumer_generation_arrives_at_1_28_and_allows_deleting() {
    let mut body = consumer_body(27, false);
    body["consumer_generation"] = json!(1);
    let e = err(BodyKind::ReplaceConsumerAllocations, 27, body);
    assert_eq!(e.problem, Problem::NeedsMicroversion("1.28"));
    // Required from 1.28; null means "new consumer".
    let c = put(28, consumer_body(28, false));
    assert_eq!(c.consumer_generation, ConsumerGeneration::New);
    let mut body = consumer_body(28, true);
    body["consumer_generation"] = json!(3);
    let c = put(28, body);
    assert!(c.is_removal());
    assert_eq!(c.consumer_generation, ConsumerGeneration::Expected(3));
    let mut body = consumer_body(28, false);
    body.as_object_mut().unwrap().remove("consumer_generation");
    let e = err(BodyKind::ReplaceConsumerAllocations, 28, body);
    assert_eq!(e.problem, Problem::Missing);
    let mut body = consumer_body(28, false);
    body["consumer_generation"] = json!("1");
    let e = err(BodyKind::ReplaceConsumerAllocations, 28, body);
    assert_eq!(e.problem, Problem::WrongKind(JsonKind::IntegerOrNull));
}

#[test]
fn mappings_arrive_at_1_34() {
    let mut body = consumer_body(33, false);
    body["mappings"] = json!({"": [RP]});
    let e = err(BodyKind::ReplaceConsumerAllocations, 33, body);
    assert_eq!(e.problem, Problem::NeedsMicroversion("1.34"));
    let mut body = consumer_body(34, false);
    body["mappings"] = json!({"": [RP], "_COMPUTE-1": [RP, RP2]});
    let c = put(34, body);
    assert_eq!(c.mappings.len(), 2);
    assert_eq!(c.mappings[1].1, vec![uuid(RP), uuid(RP2)]);
    for (mappings, problem_is_syntax) in [
        (json!({}), false),
        (json!({"g": []}), false),
        (json!({"g": ["nope"]}), true),
        (json!({"g": RP}), false),
        // Unanchored and open in Placement (GROUP_PAT_1_33 in schemas/common.py):
        // "!" and 65-character keys pass there.
        (json!({"!": [RP]}), true),
        (json!({"a".repeat(65): [RP]}), true),
    ] {
        let mut body = consumer_body(34, false);
        body["mappings"] = mappings.clone();
        let e = err(BodyKind::ReplaceConsumerAllocations, 34, body);
        assert_eq!(
            matches!(e.problem, Problem::Syntax { .. }),
            problem_is_syntax,
            "{mappings}: {e}"
        );
    }
}

#[test]
fn consumer_type_arrives_at_1_38() {
    let mut body = consumer_body(37, false);
    body["consumer_type"] = json!("INSTANCE");
    let e = err(BodyKind::ReplaceConsumerAllocations, 37, body);
    assert_eq!(e.problem, Problem::NeedsMicroversion("1.38"));
    let c = put(38, consumer_body(38, false));
    assert_eq!(c.consumer_type.unwrap().as_str(), "INSTANCE");
    let mut body = consumer_body(38, false);
    body.as_object_mut().unwrap().remove("consumer_type");
    let e = err(BodyKind::ReplaceConsumerAllocations, 38, body);
    assert_eq!(e.problem, Problem::Missing);
    // CONSUMER_TYPE_PATTERN ^[A-Z0-9_]+$ (Python's $ would take "X\n").
    for bad in ["instance", "INSTANCE\n", ""] {
        let mut body = consumer_body(38, false);
        body["consumer_type"] = json!(bad);
        err(BodyKind::ReplaceConsumerAllocations, 38, body);
    }
}

#[test]
fn post_allocations_are_keyed_by_consumer_and_may_be_empty() {
    // DELETABLE_ALLOCATIONS: minProperties 0 for each consumer from 1.13.
    let body = json!({CONSUMER: consumer_body(13, true), RP: consumer_body(13, false)});
    let WriteRequest::ManageAllocations(m) = ok(BodyKind::ManageAllocations, 13, body) else {
        unreachable!()
    };
    assert_eq!(m.consumers.len(), 2);
    let (_, first) = m
        .consumers
        .iter()
        .find(|(u, _)| *u == uuid(CONSUMER))
        .unwrap();
    assert!(first.is_removal());
    assert_eq!(first.consumer_generation, ConsumerGeneration::NotSent);
    // POST_ALLOCATIONS_V1_13 minProperties: 1.
    let e = err(BodyKind::ManageAllocations, 13, json!({}));
    assert_eq!(e.problem, Problem::TooShort { min: 1 });
    // REQUIRED_GENERATION_ALLOCS_POST from 1.28.
    let e = err(
        BodyKind::ManageAllocations,
        28,
        json!({CONSUMER: consumer_body(27, false)}),
    );
    assert_eq!(e.problem, Problem::Missing);
    assert_eq!(
        at(&e),
        format!("{}.consumer_generation", Excerpt::of(CONSUMER))
    );
    ok(
        BodyKind::ManageAllocations,
        38,
        json!({CONSUMER: consumer_body(38, true)}),
    );
    let e = err(
        BodyKind::ManageAllocations,
        13,
        json!({"not-a-uuid": consumer_body(13, false)}),
    );
    assert_eq!(e.problem, canonical_uuid_problem("not-a-uuid"));
    let mut twice = json!({CONSUMER: consumer_body(13, false)});
    twice[CONSUMER.to_uppercase()] = consumer_body(13, false);
    let e = err(BodyKind::ManageAllocations, 13, twice);
    assert_eq!(e.problem, Problem::Duplicate(Excerpt::of(CONSUMER)));
}

// ---- aggregates, traits, resource classes --------------------------------

#[test]
fn aggregates_are_a_list_then_an_object_at_1_19() {
    let WriteRequest::ReplaceAggregates(a) = ok(
        BodyKind::ReplaceAggregates,
        1,
        json!([RP, RP2.to_uppercase()]),
    ) else {
        unreachable!()
    };
    assert_eq!(a.aggregates, vec![uuid(RP), uuid(RP2)]);
    assert_eq!(a.resource_provider_generation, None);
    let e = err(
        BodyKind::ReplaceAggregates,
        18,
        minimal(BodyKind::ReplaceAggregates, 19),
    );
    assert_eq!(e.problem, Problem::WrongKind(JsonKind::Array));
    let e = err(BodyKind::ReplaceAggregates, 19, json!([RP]));
    assert_eq!(e.problem, Problem::WrongKind(JsonKind::Object));
    let WriteRequest::ReplaceAggregates(a) = ok(
        BodyKind::ReplaceAggregates,
        19,
        json!({"aggregates": [RP], "resource_provider_generation": 4}),
    ) else {
        unreachable!()
    };
    assert_eq!(a.resource_provider_generation, Some(4));
    // uniqueItems: true (schemas/aggregate.py); by value in the core.
    for twice in [json!([RP, RP]), json!([RP, RP.to_uppercase()])] {
        let e = err(BodyKind::ReplaceAggregates, 1, twice);
        assert_eq!(e.problem, Problem::Duplicate(Excerpt::of(RP)));
    }
    let braced = Spelling::Braced.write(uuid(RP));
    let e = err(BodyKind::ReplaceAggregates, 1, json!([braced]));
    assert_eq!(at(&e), "[0]");
}

#[test]
fn traits_may_repeat_and_are_merged() {
    // schemas/trait.py SET_TRAITS_FOR_RP_SCHEMA has no uniqueItems and
    // handlers/trait.py works on set(traits).
    let WriteRequest::ReplaceProviderTraits(t) = ok(
        BodyKind::ReplaceProviderTraits,
        6,
        json!({"traits": ["HW_CPU_X86_AVX", "CUSTOM_A", "HW_CPU_X86_AVX"],
               "resource_provider_generation": 0}),
    ) else {
        unreachable!()
    };
    let names: Vec<_> = t.traits.iter().map(|t| t.as_str()).collect();
    assert_eq!(names, ["CUSTOM_A", "HW_CPU_X86_AVX"]);
    let e = err(
        BodyKind::ReplaceProviderTraits,
        6,
        json!({"traits": ["ok", ""], "resource_provider_generation": 0}),
    );
    assert_eq!(at(&e), "traits[0]");
    let e = err(
        BodyKind::ReplaceProviderTraits,
        6,
        json!({"traits": [""], "resource_provider_generation": 0}),
    );
    assert_eq!(e.problem, Problem::TooShort { min: 1 });
    let e = err(
        BodyKind::ReplaceProviderTraits,
        6,
        json!({"traits": ["A".repeat(256)], "resource_provider_generation": 0}),
    );
    assert_eq!(e.problem, Problem::TooLong { max: 255 });
}

#[test]
fn resource_class_bodies_want_custom_names() {
    for kind in [BodyKind::CreateResourceClass, BodyKind::UpdateResourceClass] {
        let (WriteRequest::CreateResourceClass(c) | WriteRequest::UpdateResourceClass(c)) =
            ok(kind, 2, json!({"name": "CUSTOM_GOLD"}))
        else {
            unreachable!()
        };
        assert_eq!(c.name.as_str(), "CUSTOM_GOLD");
        // CUSTOM_RC_PATTERN ^CUSTOM_[A-Z0-9_]+$, maxLength 255.
        for bad in ["VCPU", "CUSTOM_", "custom_gold", "CUSTOM_GOLD\n"] {
            let e = err(kind, 2, json!({"name": bad}));
            assert!(matches!(e.problem, Problem::Syntax { .. }), "{bad:?}");
        }
        let e = err(
            kind,
            2,
            json!({"name": format!("CUSTOM_{}", "A".repeat(249))}),
        );
        assert_eq!(e.problem, Problem::TooLong { max: 255 });
        let e = err(kind, 2, json!({}));
        assert_eq!(e.problem, Problem::Missing);
    }
}

// ---- reshaper (schemas/reshaper.py) --------------------------------------

#[test]
fn reshaper_takes_inventories_and_allocations() {
    let body = json!({
        "inventories": {
            RP: {"resource_provider_generation": 1,
                 "inventories": {"VCPU": {"total": 4, "reserved": 4}}},
        },
        "allocations": {CONSUMER: consumer_body(30, false)},
    });
    // The reshaper skips the handlers' capacity check: reserved == total
    // passes even at 1.30 (handlers/reshaper.py has no _validate_inventory_capacity).
    let WriteRequest::Reshape(r) = ok(BodyKind::Reshape, 30, body) else {
        unreachable!()
    };
    assert_eq!(r.inventories[0].0, uuid(RP));
    assert_eq!(r.inventories[0].1.resource_provider_generation, 1);
    assert_eq!(
        r.allocations[0].1.consumer_generation,
        ConsumerGeneration::New
    );
    // "minProperties": 1 on inventories.
    let e = err(
        BodyKind::Reshape,
        30,
        json!({"inventories": {}, "allocations": {}}),
    );
    assert_eq!(e.problem, Problem::TooShort { min: 1 });
    // PUT_INVENTORY_SCHEMA per provider: generation required.
    let e = err(
        BodyKind::Reshape,
        30,
        json!({"inventories": {RP: {"inventories": {}}}, "allocations": {}}),
    );
    assert_eq!(
        at(&e),
        format!(
            "inventories.{}.resource_provider_generation",
            Excerpt::of(RP)
        )
    );
    // Allocations follow POST_ALLOCATIONS_V1_28: consumer_generation required.
    let e = err(
        BodyKind::Reshape,
        30,
        json!({"inventories": {RP: {"resource_provider_generation": 1, "inventories": {}}},
               "allocations": {CONSUMER: consumer_body(27, false)}}),
    );
    assert_eq!(e.problem, Problem::Missing);
    for field in ["inventories", "allocations"] {
        let mut body = minimal(BodyKind::Reshape, 30);
        body.as_object_mut().unwrap().remove(field);
        let e = err(BodyKind::Reshape, 30, body);
        assert_eq!((at(&e), e.problem), (field.to_owned(), Problem::Missing));
    }
}

#[test]
fn reshaper_allocations_gain_mappings_at_1_34_and_consumer_type_at_1_38() {
    let body = |minor: u16, extra: Option<(&str, serde_json::Value)>| {
        let mut consumer = consumer_body(minor, true);
        if let Some((k, v)) = extra {
            consumer[k] = v;
        }
        json!({"inventories": {RP: {"resource_provider_generation": 1, "inventories": {}}},
               "allocations": {CONSUMER: consumer}})
    };
    let e = err(
        BodyKind::Reshape,
        33,
        body(33, Some(("mappings", json!({"": [RP]})))),
    );
    assert_eq!(e.problem, Problem::NeedsMicroversion("1.34"));
    ok(
        BodyKind::Reshape,
        34,
        body(34, Some(("mappings", json!({"": [RP]})))),
    );
    let e = err(
        BodyKind::Reshape,
        37,
        body(37, Some(("consumer_type", json!("X")))),
    );
    assert_eq!(e.problem, Problem::NeedsMicroversion("1.38"));
    let mut missing_type = body(38, None);
    missing_type["allocations"][CONSUMER]
        .as_object_mut()
        .unwrap()
        .remove("consumer_type");
    let e = err(BodyKind::Reshape, 38, missing_type);
    assert_eq!(e.problem, Problem::Missing);
}

// ---- JSON ---------------------------------------------------------------

#[test]
fn duplicate_keys_keep_the_last_value_as_python_does() {
    // Python: json.loads('{"a": 1, "a": 2}') == {"a": 2} (the object_pairs
    // are fed to dict() in order); serde_json's map insert keeps the last too.
    let bytes = br#"{"name": "first", "name": "second"}"#;
    let Ok(WriteRequest::CreateProvider(p)) = parse(BodyKind::CreateProvider, mv(0), bytes) else {
        panic!()
    };
    assert_eq!(p.name.as_str(), "second");
    // A bad first value is forgotten, a bad last value is not.
    let bytes = br#"{"name": 1, "name": "ok"}"#;
    assert!(parse(BodyKind::CreateProvider, mv(0), bytes).is_ok());
    let bytes = br#"{"name": "ok", "name": 1}"#;
    assert!(parse(BodyKind::CreateProvider, mv(0), bytes).is_err());
}

#[test]
fn json_problems_come_from_parse_body() {
    for bytes in [&b""[..], b"{", b"{\"name\": NaN}", b"[1,]"] {
        let e = parse(BodyKind::CreateProvider, mv(0), bytes).unwrap_err();
        assert!(matches!(e.problem, Problem::InvalidJson { .. }));
    }
    let deep = format!("{}{}", "[".repeat(40), "]".repeat(40));
    let e = parse(BodyKind::ReplaceAggregates, mv(1), deep.as_bytes()).unwrap_err();
    assert!(matches!(e.problem, Problem::TooDeep { .. }));
    let value: serde_json::Value = serde_json::from_str(&deep).unwrap();
    let e = parse_value(BodyKind::ReplaceAggregates, mv(1), &value).unwrap_err();
    assert!(matches!(e.problem, Problem::TooDeep { .. }));
    let e = parse(BodyKind::CreateProvider, mv(0), b"[]").unwrap_err();
    assert_eq!(e.problem, Problem::WrongKind(JsonKind::Object));
}

#[test]
fn messages_never_echo_more_than_an_excerpt() {
    let long = "\u{202e}<script>".repeat(1000);
    let bodies = [
        json!({long.clone(): 1}),
        json!({"name": long.clone()}),
        json!({"inventories": {long.clone(): {}}, "allocations": {}}),
        json!({"allocations": {RP: {"resources": {long.clone(): 1}}}, "project_id": "p",
               "user_id": "u", "consumer_generation": null, "consumer_type": "X"}),
    ];
    for kind in BodyKind::ALL {
        for body in &bodies {
            if let Err(e) = parse_value(kind, Microversion::MAX, body) {
                let text = e.to_string();
                assert!(
                    placement_fuzzing::check_message("body", &text).is_ok(),
                    "{text}"
                );
                assert!(!text.contains("<script>"), "{text}");
            }
        }
    }
}

// ---- properties ---------------------------------------------------------

#[test]
fn fuzz_inputs_split_into_every_route_and_version() {
    assert_eq!(split_fuzz_input(b""), None);
    assert_eq!(split_fuzz_input(b"\x00"), None);
    let (kind, version, body) = split_fuzz_input(b"\x05\x27{}").unwrap();
    assert_eq!(
        (kind, version, body),
        (BodyKind::ReplaceConsumerAllocations, mv(39), &b"{}"[..])
    );
    for byte in 0..=255u8 {
        let (kind, version, _) = split_fuzz_input(&[byte, byte]).unwrap();
        assert_eq!(kind, BodyKind::ALL[usize::from(byte) % 12]);
        assert!(version <= Microversion::MAX);
    }
}

/// The words no client-facing sentence may contain outside quotes.
fn message_is_clean(text: &str) -> Result<(), String> {
    if text.chars().count() > 400 {
        return Err(format!("{} characters", text.chars().count()));
    }
    if !text.chars().all(|c| (' '..='~').contains(&c)) {
        return Err("not printable ASCII".into());
    }
    let ours: String = text.split('\'').step_by(2).collect();
    for word in ["{", "}", "schema", "Value", "String", "Option", "serde"] {
        if ours.contains(word) {
            return Err(format!("contains {word:?}"));
        }
    }
    Ok(())
}

/// JSON values built from the words Placement bodies use, so that the
/// walk gets past the first check often.
fn placement_like() -> impl Strategy<Value = serde_json::Value> {
    let key = prop_oneof![
        Just("allocations".to_owned()),
        Just("resources".to_owned()),
        Just("inventories".to_owned()),
        Just("resource_provider_generation".to_owned()),
        Just("total".to_owned()),
        Just("name".to_owned()),
        Just("project_id".to_owned()),
        Just("user_id".to_owned()),
        Just("consumer_generation".to_owned()),
        Just("consumer_type".to_owned()),
        Just("mappings".to_owned()),
        Just("traits".to_owned()),
        Just("aggregates".to_owned()),
        Just("VCPU".to_owned()),
        Just(RP.to_owned()),
        Just(RP.to_uppercase()),
        ".{0,40}",
    ];
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        (-3i64..3).prop_map(serde_json::Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(serde_json::Value::from),
        Just(serde_json::Value::from(RP)),
        Just(serde_json::Value::from("CUSTOM_A")),
        ".{0,40}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(6, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            prop::collection::vec((key.clone(), inner), 0..5)
                .prop_map(|pairs| serde_json::Value::Object(pairs.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn parse_never_panics_and_speaks_plainly(
        bytes in prop::collection::vec(any::<u8>(), 0..512),
        kind in prop::sample::select(BodyKind::ALL.to_vec()),
        minor in 0u16..=40,
    ) {
        if let Err(e) = parse(kind, mv(minor), &bytes) {
            prop_assert!(message_is_clean(&e.to_string()).is_ok(), "{}", e);
        }
    }

    #[test]
    fn structured_bodies_never_panic_and_speak_plainly(
        value in placement_like(),
        kind in prop::sample::select(BodyKind::ALL.to_vec()),
        minor in 0u16..=39,
    ) {
        let bytes = serde_json::to_vec(&value).unwrap();
        let by_bytes = parse(kind, mv(minor), &bytes);
        if let Err(e) = &by_bytes {
            let text = e.to_string();
            prop_assert!(message_is_clean(&text).is_ok(), "{}: {}", text, message_is_clean(&text).unwrap_err());
        }
        let reread: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        prop_assert_eq!(by_bytes, parse_value(kind, mv(minor), &reread));
    }
}

#[test]
fn the_longest_sentences_stay_within_400_characters() {
    // Excerpts escape each non-ASCII character as up to ten characters, so
    // the deepest paths with the widest excerpt are the worst cases.
    let wide = "\u{10ffff}".repeat(30);
    let consumer = |extra: serde_json::Value| {
        let mut c = consumer_body(39, true);
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    };
    let reshape = |inventories: serde_json::Value, allocations: serde_json::Value| json!({"inventories": inventories, "allocations": allocations});
    let good_inventories = json!({RP: {"resource_provider_generation": 1, "inventories": {}}});
    let worst = [
        reshape(
            good_inventories.clone(),
            json!({CONSUMER: consumer(json!({"allocations": {RP: {"resources": {wide.clone(): 1}}}}))}),
        ),
        reshape(
            good_inventories.clone(),
            json!({CONSUMER: consumer(json!({"mappings": {wide.clone(): [RP]}}))}),
        ),
        reshape(
            good_inventories.clone(),
            json!({CONSUMER: consumer(json!({"mappings": {"a".repeat(64): [wide.clone()]}}))}),
        ),
        reshape(
            good_inventories.clone(),
            json!({CONSUMER: consumer(json!({"allocations": {RP: {"resources": {"VCPU": 1}, wide.clone(): 1}}}))}),
        ),
        reshape(
            json!({RP: {"resource_provider_generation": 1,
                        "inventories": {"A".repeat(255): {"total": 1, wide.clone(): 1}}}}),
            json!({}),
        ),
        reshape(json!({wide.clone(): {}}), json!({})),
        reshape(
            good_inventories,
            json!({CONSUMER: consumer(json!({"consumer_type": wide.clone()}))}),
        ),
    ];
    for body in worst {
        let e = err(BodyKind::Reshape, 39, body);
        let text = e.to_string();
        assert!(
            text.chars().count() <= 400,
            "{} characters: {text}",
            text.len()
        );
        assert_eq!(message_is_clean(&text), Ok(()), "{text}");
    }
}
