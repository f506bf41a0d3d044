//! The request model against the core's parsers: every operation is
//! described once and consistently, and every example request the model
//! builds is one Placement's rules (as the core implements them) accept at
//! every microversion the model says it is read at. (That the reference
//! server routes exactly the model's routes is the server's own test,
//! `routes_are_the_api_descriptions`.)

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use placement_harness::core::body;
use placement_harness::core::microversion::Microversion;
use placement_harness::core::query;
use placement_harness::model::{Bindings, MAX_MINOR, example_body, example_query, surface};

#[test]
fn every_operation_is_described_once_and_consistently() {
    let ops = surface();
    let mut seen = BTreeSet::new();
    for o in &ops {
        assert!(
            seen.insert((o.method, o.route)),
            "{} {} twice",
            o.method,
            o.route
        );
        assert!(o.from <= MAX_MINOR);
        for b in &o.bodies {
            assert!(
                b.from >= o.from && b.from <= b.to && b.to <= MAX_MINOR,
                "{} {}",
                o.method,
                o.route
            );
        }
        assert_eq!(
            o.policy.is_none(),
            o.route == "/",
            "{} {}",
            o.method,
            o.route
        );
    }
    assert_eq!(ops.len(), 36);
}

#[test]
fn every_example_body_parses_at_every_version_it_is_read() {
    let b = Bindings::sample();
    let mut checked = 0;
    for o in surface() {
        let Some(kind) = o.body_kind else {
            assert!(o.bodies.is_empty());
            continue;
        };
        assert_eq!(kind.method(), o.method);
        assert_eq!(kind.route(), o.route);
        assert_eq!(kind.min_version().minor, o.from, "{kind}");
        for minor in o.from..=MAX_MINOR {
            let mv = Microversion::v1(minor);
            let example = example_body(&o, minor, &b);
            assert_eq!(
                example.is_some(),
                kind.reads_body(mv),
                "{kind} at 1.{minor}"
            );
            let Some(value) = example else { continue };
            let bytes = serde_json::to_vec(&value).unwrap();
            if let Err(e) = body::parse(kind, mv, &bytes) {
                panic!("{kind} at 1.{minor}: {value} refused: {e}");
            }
            checked += 1;
        }
    }
    assert!(checked > 200, "{checked}");
}

#[test]
fn every_example_query_parses_at_every_version() {
    let b = Bindings::sample();
    for o in surface() {
        let Some(kind) = o.query_kind else { continue };
        for minor in o.from..=MAX_MINOR {
            let q = example_query(&o, minor, &b);
            if let Err(e) = query::parse(kind, Microversion::v1(minor), &q) {
                panic!("{} at 1.{minor}: {q:?} refused: {e}", o.route);
            }
            // A parameter from a later version is refused: the model's
            // `from` is not earlier than Placement's.
            for p in o
                .query
                .iter()
                .filter(|p| p.from > minor && p.from <= MAX_MINOR)
            {
                if p.name == "same_subtree" {
                    continue;
                }
                let extra = format!("{q}&{}=x", p.name);
                assert!(
                    query::parse(kind, Microversion::v1(minor), &extra).is_err(),
                    "{} at 1.{minor} took {} (model: from 1.{})",
                    o.route,
                    p.name,
                    p.from
                );
            }
        }
    }
}
