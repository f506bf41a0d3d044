//! A digest of a Placement: everything an admin can read of it (providers
//! with their inventories, traits, aggregates and allocations, the traits,
//! the resource classes) in one canonical form, with its SHA-256.
//!
//! It exists so that "the scan changed nothing and left nothing" is a
//! verdict anyone can compute on their own deployment: a digest before,
//! one after, compared. `placement-harness digest` prints one, the
//! deployment tests and `scripts/scan-deployments` compare two. It only
//! reads (`GET`), at microversion 1.39.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};

use crate::persona::Persona;
use crate::transport::{Transport, plain_request};

/// The microversion every read of the digest is made at.
const VERSION: &str = "placement 1.39";

/// What was read, canonical (lists sorted, links dropped).
#[derive(Clone, Debug, PartialEq)]
pub struct Digest {
    /// The state, as JSON.
    pub state: Value,
}

impl Digest {
    /// SHA-256 of the canonical JSON, in hex.
    pub fn sha256(&self) -> String {
        let bytes = serde_json::to_vec(&self.state).unwrap_or_default();
        Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// How many of each thing the digest holds, by name.
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        let providers = self.state["providers"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let sum = |f: &dyn Fn(&Value) -> usize| providers.iter().map(f).sum::<usize>();
        let len = |v: &Value| v.as_object().map_or(0, Map::len);
        BTreeMap::from([
            ("providers", providers.len()),
            ("inventories", sum(&|p| len(&p["inventories"]))),
            (
                "provider traits",
                sum(&|p| p["traits"].as_array().map_or(0, Vec::len)),
            ),
            (
                "aggregates",
                sum(&|p| p["aggregates"].as_array().map_or(0, Vec::len)),
            ),
            ("allocations", sum(&|p| len(&p["allocations"]))),
            (
                "traits",
                self.state["traits"].as_array().map_or(0, Vec::len),
            ),
            (
                "resource classes",
                self.state["resource_classes"]
                    .as_array()
                    .map_or(0, Vec::len),
            ),
        ])
    }

    /// One line per thing that differs from `before`: providers, traits
    /// and classes added or removed, by name, and providers changed.
    pub fn differences(&self, before: &Digest) -> Vec<String> {
        let mut out = Vec::new();
        let names = |d: &Digest, key: &str| -> Vec<String> {
            d.state[key]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        for key in ["traits", "resource_classes"] {
            let (b, a) = (names(before, key), names(self, key));
            for n in a.iter().filter(|n| !b.contains(n)) {
                out.push(format!("{key}: added {n:?}"));
            }
            for n in b.iter().filter(|n| !a.contains(n)) {
                out.push(format!("{key}: removed {n:?}"));
            }
        }
        let providers = |d: &Digest| -> BTreeMap<String, Value> {
            d.state["providers"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| (p["uuid"].as_str().unwrap_or("").to_owned(), p.clone()))
                .collect()
        };
        let (b, a) = (providers(before), providers(self));
        for (uuid, p) in &a {
            match b.get(uuid) {
                None => out.push(format!(
                    "provider added: {uuid} {:?}",
                    p["name"].as_str().unwrap_or("")
                )),
                Some(old) if old != p => {
                    let changed: Vec<&str> = [
                        "name",
                        "generation",
                        "parent",
                        "inventories",
                        "traits",
                        "aggregates",
                        "allocations",
                    ]
                    .into_iter()
                    .filter(|k| old[*k] != p[*k])
                    .collect();
                    out.push(format!("provider changed: {uuid} ({})", changed.join(", ")));
                }
                Some(_) => {}
            }
        }
        for (uuid, p) in &b {
            if !a.contains_key(uuid) {
                out.push(format!(
                    "provider removed: {uuid} {:?}",
                    p["name"].as_str().unwrap_or("")
                ));
            }
        }
        out
    }
}

/// Reads the digest of the Placement at `base_url` as `persona` (an admin:
/// a reader of fewer providers gets a digest of what it can see), at most
/// `max_requests` requests; the error names the read that failed.
pub async fn take<T: Transport + ?Sized>(
    transport: &T,
    base_url: &str,
    persona: Option<&Persona>,
    max_requests: usize,
) -> Result<Digest, String> {
    let mut left = max_requests;
    let base = base_url.trim_end_matches('/');
    let mut get = async |path: &str| -> Result<Value, String> {
        if left == 0 {
            return Err(format!(
                "more than {max_requests} requests needed (--max-requests)"
            ));
        }
        left -= 1;
        let headers = [
            ("openstack-api-version".to_owned(), VERSION.to_owned()),
            ("accept".to_owned(), "application/json".to_owned()),
        ];
        let request = plain_request("GET", &format!("{base}{path}"), &headers, &[]);
        let exchange = transport
            .send(request, persona)
            .await
            .map_err(|e| format!("GET {path}: {e}"))?;
        let status = exchange.status();
        if status != 200 {
            return Err(format!("GET {path}: {status}"));
        }
        serde_json::from_slice(&exchange.response().body)
            .map_err(|e| format!("GET {path}: the answer is no JSON ({e})"))
    };
    let mut listed = get("/resource_providers").await?["resource_providers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    listed.sort_by_key(|p| p["uuid"].as_str().unwrap_or("").to_owned());
    let mut providers = Vec::with_capacity(listed.len());
    for p in &listed {
        let uuid = p["uuid"].as_str().unwrap_or("");
        let mut sub = Map::new();
        for what in ["inventories", "traits", "aggregates", "allocations"] {
            let v = get(&format!("/resource_providers/{uuid}/{what}")).await?;
            let v = match what {
                "inventories" | "allocations" => v.get(what).cloned().unwrap_or(Value::Null),
                _ => sorted(v.get(what)),
            };
            sub.insert(what.to_owned(), v);
        }
        let mut entry = json!({
            "uuid": uuid,
            "name": p["name"],
            "generation": p["generation"],
            "parent": p["parent_provider_uuid"],
            "root": p["root_provider_uuid"],
        });
        if let Value::Object(e) = &mut entry {
            e.extend(sub);
        }
        providers.push(entry);
    }
    let traits = sorted(get("/traits").await?.get("traits"));
    let classes: Vec<Value> = get("/resource_classes").await?["resource_classes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("name").cloned())
        .collect();
    Ok(Digest {
        state: json!({
            "providers": providers,
            "traits": traits,
            "resource_classes": sorted(Some(&Value::Array(classes))),
        }),
    })
}

/// A JSON list of strings, sorted; anything else as it is.
fn sorted(v: Option<&Value>) -> Value {
    match v {
        Some(Value::Array(a)) => {
            let mut a = a.clone();
            a.sort_by_key(|x| {
                x.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| x.to_string())
            });
            Value::Array(a)
        }
        Some(other) => other.clone(),
        None => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(state: Value) -> Digest {
        Digest { state }
    }

    #[test]
    fn differences_name_what_changed() {
        let p = |name: &str, generation: u64| json!({"uuid": format!("u-{name}"), "name": name, "generation": generation});
        let before = digest(
            json!({"providers": [p("a", 1)], "traits": ["CUSTOM_X"], "resource_classes": []}),
        );
        let after = digest(json!({"providers": [p("a", 2), p("b", 0)], "traits": [],
                                  "resource_classes": ["CUSTOM_SSD\n"]}));
        let d = after.differences(&before);
        assert!(
            d.contains(&"traits: removed \"CUSTOM_X\"".to_owned()),
            "{d:?}"
        );
        assert!(
            d.contains(&"resource_classes: added \"CUSTOM_SSD\\n\"".to_owned()),
            "{d:?}"
        );
        assert!(
            d.contains(&"provider changed: u-a (generation)".to_owned()),
            "{d:?}"
        );
        assert!(d.contains(&"provider added: u-b \"b\"".to_owned()), "{d:?}");
        assert!(before.differences(&before).is_empty());
        assert_ne!(before.sha256(), after.sha256());
        assert_eq!(before.sha256().len(), 64);
        assert_eq!(after.counts()["providers"], 2);
    }
}
