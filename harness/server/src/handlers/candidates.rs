//! `GET /allocation_candidates` (1.10+, `handlers/allocation_candidate.py`)
//! over the core's engine.
//!
//! The engine stops at a work budget
//! ([`MAX_COMBINATIONS`](placement_core::candidates::MAX_COMBINATIONS)):
//! Placement has none, so one broad request can occupy it for minutes. Over
//! budget the server answers 400, not 503: the outcome depends only on the
//! request and the data, so retrying cannot help (which a 503 would
//! promise), and the client can act on it by narrowing the request. It does
//! not return the partial answer, which would look complete.

use placement_core::Microversion;
use placement_core::candidates::{
    Budget, Candidates, MAX_COMBINATIONS, allocation_candidates_within,
};
use placement_core::names::TraitName;
use placement_core::query::CandidatesQuery;
use serde_json::{Map, Value, json};

use super::Call;
use crate::render;
use crate::reply::{Answer, ApiError, Reply};

/// `GET /allocation_candidates`.
pub(super) fn list(call: &Call<'_>) -> Answer {
    call.since(10)?;
    call.accepts_json()?;
    call.allow("placement:allocation_candidates:list")?;
    let query = CandidatesQuery::parse_with(
        call.mv,
        call.query,
        call.app.config.behaviour.in_tree_spaces(),
    )
    .map_err(|r| call.invalid_query(&r))?;
    let found = {
        let state = call.app.read();
        allocation_candidates_within(&*state, &query, Budget::default()).map_err(ApiError::from)?
    };
    if found.truncated {
        return Err(ApiError::bad_request(format!(
            "The request matches more than {MAX_COMBINATIONS} combinations of providers; \
             narrow it (more specific groups, in_tree, member_of or required traits)."
        )));
    }
    Ok(Reply::json(render_candidates(&found, call.mv)))
}

fn render_candidates(found: &Candidates, mv: Microversion) -> Value {
    let dict_form = mv.at_least(Microversion::v1(12));
    let requests: Vec<Value> = found
        .allocation_requests
        .iter()
        .map(|req| {
            let allocations = if dict_form {
                let m: Map<String, Value> = req
                    .allocations
                    .iter()
                    .map(|(u, r)| (u.to_string(), json!({ "resources": r_json(r) })))
                    .collect();
                Value::Object(m)
            } else {
                Value::Array(
                    req.allocations
                        .iter()
                        .map(|(u, r)| {
                            json!({"resource_provider": {"uuid": u.to_string()}, "resources": r_json(r)})
                        })
                        .collect(),
                )
            };
            let mut out = Map::new();
            out.insert("allocations".into(), allocations);
            if mv.at_least(Microversion::v1(34)) {
                let mappings: Map<String, Value> = req
                    .mappings
                    .iter()
                    .map(|(s, us)| {
                        let list: Vec<String> = us.iter().map(ToString::to_string).collect();
                        (s.as_str().to_owned(), json!(list))
                    })
                    .collect();
                out.insert("mappings".into(), Value::Object(mappings));
            }
            Value::Object(out)
        })
        .collect();
    let all_classes = mv.at_least(Microversion::v1(27));
    let summaries: Map<String, Value> = found
        .provider_summaries
        .iter()
        .map(|(uuid, s)| {
            let resources: Map<String, Value> = s
                .resources
                .iter()
                .filter(|(rc, _)| all_classes || found.requested_classes.contains(*rc))
                .map(|(rc, r)| {
                    (
                        rc.as_str().to_owned(),
                        json!({"capacity": render::wide(r.capacity), "used": r.used}),
                    )
                })
                .collect();
            let mut out = Map::new();
            out.insert("resources".into(), Value::Object(resources));
            if mv.at_least(Microversion::v1(17)) {
                let traits: Vec<&str> = s.traits.iter().map(TraitName::as_str).collect();
                out.insert("traits".into(), json!(traits));
            }
            if mv.at_least(Microversion::v1(29)) {
                out.insert(
                    "parent_provider_uuid".into(),
                    s.parent.map_or(Value::Null, |p| json!(p.to_string())),
                );
                out.insert("root_provider_uuid".into(), json!(s.root.to_string()));
            }
            (uuid.to_string(), Value::Object(out))
        })
        .collect();
    json!({"allocation_requests": requests, "provider_summaries": summaries})
}

fn r_json<T: serde::Serialize>(
    resources: &std::collections::BTreeMap<placement_core::names::ResourceClass, T>,
) -> Value {
    let m: Map<String, Value> = resources
        .iter()
        .map(|(rc, n)| (rc.as_str().to_owned(), json!(n)))
        .collect();
    Value::Object(m)
}
