//! `GET /resource_providers/{uuid}/usages` and `GET /usages`
//! (`handlers/usage.py`).

use std::collections::BTreeSet;

use placement_core::names::ConsumerType;
use placement_core::query::decode::decode_pairs;
use placement_core::query::{ConsumerTypeFilter, UsagesQuery};
use placement_core::state::store::UsageFilter;
use serde_json::{Map, Value, json};

use super::{Call, no_provider, path_uuid};
use crate::render;
use crate::reply::{Answer, Reply};

/// `GET /resource_providers/{uuid}/usages`.
pub(super) fn provider(call: &Call<'_>, raw: &str) -> Answer {
    call.accepts_json()?;
    call.allow("placement:resource_providers:usages")?;
    let uuid = path_uuid(raw, "resource provider uuid")?;
    let state = call.app.read();
    let p = state.provider(uuid).ok_or_else(|| no_provider(uuid))?;
    Ok(Reply::json(render::provider_usages(&state, p)))
}

/// `GET /usages` (1.9+). The policy target is the project asked about,
/// read before the query is validated, as Placement does (its last value).
pub(super) fn total(call: &Call<'_>) -> Answer {
    call.since(9)?;
    call.accepts_json()?;
    let asked = decode_pairs(call.query)
        .ok()
        .and_then(|pairs| pairs.into_iter().rev().find(|(k, _)| k == "project_id"))
        .map(|(_, v)| v);
    // Without a project_id the target's is Python's None, which no
    // caller's project equals; "" stands for it (no project id is empty).
    call.app.policy.enforce(
        "placement:usages",
        call.who,
        Some(asked.as_deref().unwrap_or("")),
    )?;
    let query = UsagesQuery::parse(call.mv, call.query).map_err(|r| call.invalid_query(&r))?;
    let state = call.app.read();
    let base = UsageFilter {
        project: &query.project_id,
        user: query.user_id.as_ref(),
        consumer_type: None,
    };
    if !call.mv.at_least(placement_core::Microversion::v1(38)) {
        let sums = state.usages_by(&base);
        return Ok(Reply::json(
            json!({"usages": render::amounts(sums.iter().map(|(k, v)| (k, *v)))}),
        ));
    }
    let group = |key: String,
                 consumer_type: Option<Option<&ConsumerType>>,
                 out: &mut Map<String, Value>| {
        let filter = UsageFilter {
            consumer_type,
            ..base.clone()
        };
        let sums = state.usages_by(&filter);
        if sums.is_empty() {
            return;
        }
        let mut entry: Map<String, Value> = sums
            .iter()
            .map(|(rc, n)| (rc.as_str().to_owned(), json!(n)))
            .collect();
        entry.insert(
            "consumer_count".into(),
            json!(state.consumer_count_by(&filter)),
        );
        out.insert(key, Value::Object(entry));
    };
    let mut out = Map::new();
    match &query.consumer_type {
        Some(ConsumerTypeFilter::All) => {
            let filter = base.clone();
            let sums = state.usages_by(&filter);
            if !sums.is_empty() {
                let mut entry: Map<String, Value> = sums
                    .iter()
                    .map(|(rc, n)| (rc.as_str().to_owned(), json!(n)))
                    .collect();
                entry.insert(
                    "consumer_count".into(),
                    json!(state.consumer_count_by(&filter)),
                );
                out.insert("all".into(), Value::Object(entry));
            }
        }
        Some(ConsumerTypeFilter::Unknown) => group("unknown".into(), Some(None), &mut out),
        Some(ConsumerTypeFilter::Named(t)) => group(t.as_str().to_owned(), Some(Some(t)), &mut out),
        None => {
            let types: BTreeSet<Option<ConsumerType>> = state
                .consumers()
                .filter(|c| c.project() == &query.project_id)
                .map(|c| c.consumer_type().cloned())
                .collect();
            for t in &types {
                // Consumers without a type are reported as `unknown`,
                // as Placement does (checked against 16.0.0).
                let key = t
                    .as_ref()
                    .map_or("unknown".to_owned(), |t| t.as_str().to_owned());
                group(key, Some(t.as_ref()), &mut out);
            }
        }
    }
    Ok(Reply::json(json!({ "usages": out })))
}
