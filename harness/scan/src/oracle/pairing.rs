//! Pairs a probing exchange with its baseline, for the oracles that judge a
//! request by comparison (`identity_spoofing`, `uuid_spelling`).
//!
//! A baseline is the `Valid` exchange of the same persona, method, route and
//! comparison group; the first one recorded wins, so the pairing does not
//! depend on how many times a suite repeats the baseline.

use std::collections::BTreeMap;

use crate::exchange::{Exchange, InputKind};

type Key = (String, String, String, Option<String>);

fn key(exchange: &Exchange) -> Key {
    let r = exchange.request();
    (
        r.persona.clone(),
        r.method.clone(),
        r.route.clone(),
        r.group.clone(),
    )
}

/// Every exchange of input kind `probe` that has a baseline, with the
/// baseline's status.
pub fn with_baseline(exchanges: &[Exchange], probe: InputKind) -> Vec<(&Exchange, u16)> {
    let mut baseline = BTreeMap::new();
    for ex in exchanges
        .iter()
        .filter(|e| e.request().input.kind == InputKind::Valid)
    {
        baseline.entry(key(ex)).or_insert(ex.status());
    }
    exchanges
        .iter()
        .filter(|e| e.request().input.kind == probe)
        .filter_map(|ex| baseline.get(&key(ex)).map(|&status| (ex, status)))
        .collect()
}
