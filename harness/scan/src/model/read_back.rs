//! Which reads show the effect of a write: for every write route of
//! Placement 1.39, the GETs whose answers say whether the state the write
//! asked for is in place, and what each answer must show for that.
//!
//! The `state_after_error` oracle uses this after a 5xx answer to a write
//! (a server that commits and then fails, or fails half-way through,
//! leaves the client retrying a write that already happened). It lives
//! here, beside the request model, because it is a property of the API's
//! surface (which read reflects which write), not of the oracle.
//!
//! A write is split into *parts*: one per object it sets (each resource
//! class of an inventory PUT, each consumer and provider of an allocation
//! write, ...), so that a write committed half-way shows as some parts in
//! place and others not.

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde_json::Value;

use crate::route::match_route;

/// Characters escaped in a path segment or query value built from a body
/// value (a provider name, a consumer key): everything but unreserved.
const COMPONENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'&')
    .add(b'+')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'=')
    .add(b';')
    .add(b':')
    .add(b'@')
    .add(b'[')
    .add(b']')
    .add(b'\\')
    .add(b'^')
    .add(b'|')
    .add(b'\'');

/// Most reads made for one write (a reshaper or a bulk allocation naming
/// hundreds of objects still costs a bounded number of requests).
pub const MAX_READS_PER_WRITE: usize = 16;

/// What a read must show for one part of a write to be in place.
#[derive(Clone, Debug, PartialEq)]
pub enum Expect {
    /// The object exists: the GET answers 2xx.
    Found,
    /// The object is gone: the GET answers 404.
    Gone,
    /// The JSON value at `pointer` (RFC 6901) has every member of `want`
    /// (an object) with an equal value; other members may differ.
    Has {
        /// Where in the read's body.
        pointer: String,
        /// The members the write set.
        want: Value,
    },
    /// The JSON value at `pointer` equals `want` (arrays compared as sets,
    /// numbers by value).
    Equals {
        /// Where in the read's body.
        pointer: String,
        /// The whole value the write set.
        want: Value,
    },
    /// The body has no value at `pointer` (a deleted member).
    Missing {
        /// Where in the read's body.
        pointer: String,
    },
    /// The array at `pointer` has an element with every member of `want`.
    Listed {
        /// Where in the read's body.
        pointer: String,
        /// The members the created element must have.
        want: Value,
    },
}

/// One GET and the parts of the write it shows.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadBack {
    /// The full URL to GET (same origin and prefix as the write).
    pub url: String,
    /// Its route template.
    pub route: String,
    /// What it must show, one entry per part of the write.
    pub parts: Vec<Expect>,
}

/// Whether `reads` can only tell that an object exists or is gone (a
/// create or delete by name): the state such a write asks for may well
/// have held before it, so only a read taken before the write tells "took
/// effect" from "was already so". Every other read compares contents the
/// write set, which a failed write leaves as they were.
pub fn needs_read_before(reads: &[ReadBack]) -> bool {
    !reads.is_empty()
        && reads.iter().all(|r| {
            r.parts
                .iter()
                .all(|p| matches!(p, Expect::Found | Expect::Gone))
        })
}

/// An RFC 6901 pointer of plain member names.
fn pointer(members: &[&str]) -> String {
    members
        .iter()
        .map(|m| format!("/{}", m.replace('~', "~0").replace('/', "~1")))
        .collect()
}

fn encode(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

/// The object members of `v` without the ones named in `drop`.
fn members_without(v: &Value, drop: &[&str]) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !drop.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// `allocations` of an allocation write (dict form since 1.12, list form
/// before) as (provider UUID, resources) pairs.
fn allocation_parts(allocations: &Value) -> Vec<(String, Value)> {
    match allocations {
        Value::Object(m) => m
            .iter()
            .map(|(rp, a)| {
                (
                    rp.clone(),
                    a.get("resources").cloned().unwrap_or(Value::Null),
                )
            })
            .collect(),
        Value::Array(items) => items
            .iter()
            .filter_map(|a| {
                let rp = a.pointer("/resource_provider/uuid")?.as_str()?;
                Some((
                    rp.to_owned(),
                    a.get("resources").cloned().unwrap_or(Value::Null),
                ))
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The parts of one consumer's allocation write, shown by
/// `GET /allocations/{consumer}`: each provider's resources, or no
/// allocation at all when the write asked for none.
fn consumer_parts(allocations: &Value) -> Vec<Expect> {
    let pairs = allocation_parts(allocations);
    if pairs.is_empty() {
        return vec![Expect::Equals {
            pointer: "/allocations".to_owned(),
            want: Value::Object(serde_json::Map::new()),
        }];
    }
    pairs
        .into_iter()
        .map(|(rp, resources)| Expect::Equals {
            pointer: pointer(&["allocations", &rp, "resources"]),
            want: resources,
        })
        .collect()
}

/// Parses JSON text, taking a lone UTF-16 surrogate escape (`"\\ud800"`,
/// which Python's `json` reads and writes but RFC 8259 parsers refuse) as
/// U+FFFD. Write bodies and read-backs are parsed alike, so a name stored
/// with the surrogate still compares equal to the name the write sent.
pub fn parse_json_lossy(text: &str) -> Option<Value> {
    if let Ok(v) = serde_json::from_str(text) {
        return Some(v);
    }
    serde_json::from_str(&replace_lone_surrogates(text)).ok()
}

/// The value of a `\\uXXXX` escape starting at byte `i` of `s`.
fn escape_at(s: &str, i: usize) -> Option<u32> {
    let hex = s.get(i..i + 6)?.strip_prefix("\\u")?;
    u32::from_str_radix(hex, 16).ok()
}

fn replace_lone_surrogates(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while let Some(c) = text.get(i..).and_then(|rest| rest.chars().next()) {
        if c != '\\' {
            out.push(c);
            i += c.len_utf8();
            continue;
        }
        match escape_at(text, i) {
            Some(0xD800..=0xDBFF) => {
                let paired =
                    escape_at(text, i + 6).is_some_and(|lo| (0xDC00..=0xDFFF).contains(&lo));
                if paired {
                    out.push_str(text.get(i..i + 12).unwrap_or_default());
                    i += 12;
                } else {
                    out.push_str("\\ufffd");
                    i += 6;
                }
            }
            Some(0xDC00..=0xDFFF) => {
                out.push_str("\\ufffd");
                i += 6;
            }
            _ => {
                // Any other escape, `\\\\` included, is copied whole so that
                // its second character is not read as the start of one.
                let next = text.get(i + 1..).and_then(|r| r.chars().next());
                out.push('\\');
                if let Some(n) = next {
                    out.push(n);
                    i += n.len_utf8();
                }
                i += 1;
            }
        }
    }
    out
}

/// The reads that show whether a write took effect. `url` is the write's
/// full URL, `prefix` the path of the target's base URL, `body` the write's
/// body as sent. Empty for a read, a route outside Placement's, or a body
/// that names nothing to read back.
pub fn read_backs(method: &str, url: &str, prefix: &str, body: Option<&str>) -> Vec<ReadBack> {
    let method = method.to_ascii_uppercase();
    if matches!(method.as_str(), "GET" | "HEAD" | "OPTIONS") {
        return Vec::new();
    }
    let m = match_route(url, prefix);
    if !m.known {
        return Vec::new();
    }
    let Some(origin) = origin_and_prefix(url, prefix) else {
        return Vec::new();
    };
    let body: Value = body.and_then(parse_json_lossy).unwrap_or(Value::Null);
    let param = |name: &str| {
        m.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let read = |path: String, parts: Vec<Expect>| {
        let route = match_route(&path, "").template;
        ReadBack {
            url: format!("{origin}{path}"),
            route,
            parts,
        }
    };
    let rp = param("uuid");
    // The write's own path, without the base prefix: a read of the same URL.
    let full_path = crate::route::path_of(url);
    let own_path = full_path
        .strip_prefix(prefix.trim_end_matches('/'))
        .unwrap_or(full_path)
        .to_owned();
    let same = |parts: Vec<Expect>| vec![read(own_path.clone(), parts)];
    let mut out = match (method.as_str(), m.template.as_str()) {
        ("DELETE", "/resource_providers/{uuid}")
        | ("DELETE", "/resource_classes/{name}")
        | ("DELETE", "/traits/{name}") => same(vec![Expect::Gone]),
        // Before 1.7 a PUT of a class with a body renames it: the class
        // must then exist under its new name.
        ("PUT", "/resource_classes/{name}") => match body.get("name").and_then(Value::as_str) {
            Some(n) => vec![read(
                format!("/resource_classes/{}", encode(n)),
                vec![Expect::Found],
            )],
            None => same(vec![Expect::Found]),
        },
        ("PUT", "/traits/{name}") => same(vec![Expect::Found]),
        ("POST", "/resource_classes") => match body.get("name").and_then(Value::as_str) {
            Some(n) => vec![read(
                format!("/resource_classes/{}", encode(n)),
                vec![Expect::Found],
            )],
            None => Vec::new(),
        },
        ("PUT", "/resource_providers/{uuid}") => {
            let want = members_without(&body, &[]);
            match &want {
                Value::Object(w) if !w.is_empty() => same(vec![Expect::Has {
                    pointer: String::new(),
                    want,
                }]),
                _ => Vec::new(),
            }
        }
        ("POST", "/resource_providers") => match body.get("name").and_then(Value::as_str) {
            Some(n) => {
                let mut want = serde_json::Map::new();
                want.insert("name".to_owned(), Value::String(n.to_owned()));
                if let Some(u) = body.get("uuid") {
                    want.insert("uuid".to_owned(), u.clone());
                }
                vec![read(
                    format!("/resource_providers?name={}", encode(n)),
                    vec![Expect::Listed {
                        pointer: "/resource_providers".to_owned(),
                        want: Value::Object(want),
                    }],
                )]
            }
            None => Vec::new(),
        },
        ("PUT", "/resource_providers/{uuid}/inventories") => {
            let parts: Vec<Expect> = match body.get("inventories") {
                Some(Value::Object(inv)) if inv.is_empty() => vec![Expect::Equals {
                    pointer: "/inventories".to_owned(),
                    want: Value::Object(serde_json::Map::new()),
                }],
                Some(Value::Object(inv)) => inv
                    .iter()
                    .map(|(rc, fields)| Expect::Has {
                        pointer: pointer(&["inventories", rc]),
                        want: fields.clone(),
                    })
                    .collect(),
                _ => Vec::new(),
            };
            inventories(&read, &rp, parts)
        }
        ("POST", "/resource_providers/{uuid}/inventories") => {
            match body.get("resource_class").and_then(Value::as_str) {
                Some(rc) => inventories(
                    &read,
                    &rp,
                    vec![Expect::Has {
                        pointer: pointer(&["inventories", rc]),
                        want: members_without(
                            &body,
                            &["resource_class", "resource_provider_generation"],
                        ),
                    }],
                ),
                None => Vec::new(),
            }
        }
        ("PUT", "/resource_providers/{uuid}/inventories/{resource_class}") => {
            let rc = crate::guard::percent_decode(&param("resource_class"));
            inventories(
                &read,
                &rp,
                vec![Expect::Has {
                    pointer: pointer(&["inventories", &rc]),
                    want: members_without(&body, &["resource_provider_generation"]),
                }],
            )
        }
        ("DELETE", "/resource_providers/{uuid}/inventories/{resource_class}") => {
            let rc = crate::guard::percent_decode(&param("resource_class"));
            inventories(
                &read,
                &rp,
                vec![Expect::Missing {
                    pointer: pointer(&["inventories", &rc]),
                }],
            )
        }
        ("DELETE", "/resource_providers/{uuid}/inventories") => inventories(
            &read,
            &rp,
            vec![Expect::Equals {
                pointer: "/inventories".to_owned(),
                want: Value::Object(serde_json::Map::new()),
            }],
        ),
        ("PUT", "/resource_providers/{uuid}/traits") => match body.get("traits") {
            Some(t) => same(vec![Expect::Equals {
                pointer: "/traits".to_owned(),
                want: t.clone(),
            }]),
            None => Vec::new(),
        },
        ("DELETE", "/resource_providers/{uuid}/traits") => same(vec![Expect::Equals {
            pointer: "/traits".to_owned(),
            want: Value::Array(Vec::new()),
        }]),
        ("PUT", "/resource_providers/{uuid}/aggregates") => {
            // A bare list before 1.19, an object with `aggregates` since.
            let want = match &body {
                Value::Array(_) => Some(body.clone()),
                other => other.get("aggregates").cloned(),
            };
            match want {
                Some(want) => same(vec![Expect::Equals {
                    pointer: "/aggregates".to_owned(),
                    want,
                }]),
                None => Vec::new(),
            }
        }
        ("PUT", "/allocations/{consumer_uuid}") => match body.get("allocations") {
            Some(a) => same(consumer_parts(a)),
            None => Vec::new(),
        },
        ("DELETE", "/allocations/{consumer_uuid}") => same(vec![Expect::Equals {
            pointer: "/allocations".to_owned(),
            want: Value::Object(serde_json::Map::new()),
        }]),
        ("POST", "/allocations") => match &body {
            Value::Object(consumers) => consumers
                .iter()
                .map(|(c, v)| {
                    read(
                        format!("/allocations/{}", encode(c)),
                        consumer_parts(v.get("allocations").unwrap_or(&Value::Null)),
                    )
                })
                .collect(),
            _ => Vec::new(),
        },
        ("POST", "/reshaper") => {
            let mut reads = Vec::new();
            if let Some(Value::Object(providers)) = body.get("inventories") {
                for (rp, v) in providers {
                    let parts = match v.get("inventories") {
                        Some(Value::Object(inv)) if inv.is_empty() => vec![Expect::Equals {
                            pointer: "/inventories".to_owned(),
                            want: Value::Object(serde_json::Map::new()),
                        }],
                        Some(Value::Object(inv)) => inv
                            .iter()
                            .map(|(rc, fields)| Expect::Has {
                                pointer: pointer(&["inventories", rc]),
                                want: fields.clone(),
                            })
                            .collect(),
                        _ => Vec::new(),
                    };
                    reads.extend(inventories(&read, &encode(rp), parts));
                }
            }
            if let Some(Value::Object(consumers)) = body.get("allocations") {
                for (c, v) in consumers {
                    reads.push(read(
                        format!("/allocations/{}", encode(c)),
                        consumer_parts(v.get("allocations").unwrap_or(&Value::Null)),
                    ));
                }
            }
            reads
        }
        _ => Vec::new(),
    };
    out.retain(|r| !r.parts.is_empty());
    out.truncate(MAX_READS_PER_WRITE);
    out
}

/// `GET /resource_providers/{rp}/inventories` showing `parts`.
fn inventories<F>(read: &F, rp: &str, parts: Vec<Expect>) -> Vec<ReadBack>
where
    F: Fn(String, Vec<Expect>) -> ReadBack,
{
    if rp.is_empty() || parts.is_empty() {
        return Vec::new();
    }
    vec![read(format!("/resource_providers/{rp}/inventories"), parts)]
}

/// `scheme://host:port/prefix` of a write's URL; `None` for a URL that is
/// not absolute.
fn origin_and_prefix(url: &str, prefix: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let host = parsed.host_str()?;
    let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    Some(format!(
        "{}://{host}{port}{}",
        parsed.scheme(),
        prefix.trim_end_matches('/')
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const U: &str = "6d3c5b2e-8a1f-4f3e-9b0a-1c2d3e4f5a6b";
    const C: &str = "1e2f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b";

    fn rb(method: &str, path: &str, body: Value) -> Vec<ReadBack> {
        let b = body.to_string();
        read_backs(
            method,
            &format!("http://127.0.0.1:8080/placement{path}"),
            "/placement",
            Some(&b),
        )
    }

    #[test]
    fn provider_rename_reads_the_provider() {
        let r = rb(
            "PUT",
            &format!("/resource_providers/{U}"),
            json!({"name": "\u{2028} x"}),
        );
        assert_eq!(r.len(), 1);
        assert_eq!(
            r[0].url,
            format!("http://127.0.0.1:8080/placement/resource_providers/{U}")
        );
        assert_eq!(r[0].route, "/resource_providers/{uuid}");
        assert_eq!(
            r[0].parts,
            vec![Expect::Has {
                pointer: String::new(),
                want: json!({"name": "\u{2028} x"})
            }]
        );
    }

    #[test]
    fn inventory_put_is_one_part_per_class() {
        let r = rb(
            "PUT",
            &format!("/resource_providers/{U}/inventories"),
            json!({"resource_provider_generation": 0,
                   "inventories": {"VCPU": {"total": 4}, "a/b": 1}}),
        );
        assert_eq!(r.len(), 1);
        assert!(r[0].url.ends_with("/inventories"));
        assert_eq!(r[0].parts.len(), 2);
        assert!(r[0].parts.contains(&Expect::Has {
            pointer: "/inventories/a~1b".into(),
            want: json!(1)
        }));
    }

    #[test]
    fn bulk_allocations_read_every_consumer() {
        let r = rb(
            "POST",
            "/allocations",
            json!({C: {"allocations": {U: {"resources": {"VCPU": 1}}},
                        "project_id": "p", "user_id": "u", "consumer_generation": null},
                   "not/a uuid": {"allocations": {}}}),
        );
        assert_eq!(r.len(), 2);
        assert!(
            r.iter()
                .any(|x| x.url.ends_with("/allocations/not%2Fa%20uuid"))
        );
        let c = r.iter().find(|x| x.url.ends_with(C)).unwrap();
        assert_eq!(
            c.parts,
            vec![Expect::Equals {
                pointer: format!("/allocations/{U}/resources"),
                want: json!({"VCPU": 1})
            }]
        );
    }

    #[test]
    fn deletes_read_the_same_url_for_gone() {
        for path in [
            format!("/resource_providers/{U}"),
            "/traits/CUSTOM_X".to_owned(),
            "/resource_classes/CUSTOM_X".to_owned(),
        ] {
            let r = rb("DELETE", &path, Value::Null);
            assert_eq!(r.len(), 1, "{path}");
            assert_eq!(r[0].parts, vec![Expect::Gone]);
            assert!(r[0].url.ends_with(&path));
        }
        let r = rb("DELETE", &format!("/allocations/{C}"), Value::Null);
        assert_eq!(r[0].parts.len(), 1);
    }

    #[test]
    fn only_creates_and_deletes_by_name_need_a_read_before() {
        assert!(needs_read_before(&rb(
            "PUT",
            "/traits/CUSTOM_A",
            Value::Null
        )));
        assert!(needs_read_before(&rb(
            "DELETE",
            &format!("/resource_providers/{U}"),
            Value::Null
        )));
        assert!(!needs_read_before(&rb(
            "PUT",
            &format!("/resource_providers/{U}"),
            json!({"name": "n"})
        )));
        assert!(!needs_read_before(&[]));
    }

    #[test]
    fn a_class_rename_reads_the_new_name() {
        let r = rb(
            "PUT",
            "/resource_classes/CUSTOM_OLD",
            json!({"name": "CUSTOM_NEW"}),
        );
        assert!(r[0].url.ends_with("/resource_classes/CUSTOM_NEW"));
        let r = rb("PUT", "/resource_classes/CUSTOM_OLD", Value::Null);
        assert!(r[0].url.ends_with("/resource_classes/CUSTOM_OLD"));
    }

    #[test]
    fn create_reads_by_name_and_reads_are_bounded() {
        let r = rb("POST", "/resource_providers", json!({"name": "a b&c"}));
        assert_eq!(r.len(), 1);
        assert!(
            r[0].url.ends_with("/resource_providers?name=a%20b%26c"),
            "{}",
            r[0].url
        );
        let many: serde_json::Map<String, Value> = (0..100)
            .map(|i| (format!("c{i}"), json!({"allocations": {}})))
            .collect();
        assert_eq!(
            rb("POST", "/allocations", Value::Object(many)).len(),
            MAX_READS_PER_WRITE
        );
        assert!(rb("GET", "/traits", Value::Null).is_empty());
        assert!(rb("POST", "/nope", json!({})).is_empty());
        assert!(
            read_backs("PUT", "/traits/X", "", None).is_empty(),
            "relative URL"
        );
    }

    #[test]
    fn lone_surrogates_parse_as_replacement_characters() {
        assert_eq!(
            parse_json_lossy(r#"{"name": "\ud800 x"}"#),
            Some(json!({"name": "\u{fffd} x"}))
        );
        assert_eq!(
            parse_json_lossy(r#"["\udc00", "\ud83d\ude00", "\\ud800", "\u00e9"]"#),
            Some(json!(["\u{fffd}", "\u{1f600}", "\\ud800", "é"]))
        );
        assert_eq!(parse_json_lossy("{"), None);
        assert_eq!(parse_json_lossy(r#""\ud800"#), None);
    }

    #[test]
    fn reshaper_reads_providers_and_consumers() {
        let r = rb(
            "POST",
            "/reshaper",
            json!({"inventories": {U: {"resource_provider_generation": 1,
                                        "inventories": {"VCPU": {"total": 2}}}},
                   "allocations": {C: {"allocations": {U: {"resources": {"VCPU": 1}}}}}}),
        );
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].route, "/resource_providers/{uuid}/inventories");
        assert_eq!(r[1].route, "/allocations/{consumer_uuid}");
    }
}
