//! `state_after_error` (CWE-460, improper cleanup on thrown exception):
//! after a 5xx answer to a write, did the write happen anyway?
//!
//! A client told "500" retries; if the server had committed the write (or
//! half of it) before failing, the retry applies it twice, or the caller
//! acts on a state it believes unchanged. So after every 5xx to a PUT,
//! POST, PATCH or DELETE the scan (and the HTTP fuzzer) reads back the
//! objects the write named, as [`crate::model::read_back`] maps them, and
//! this oracle weighs those reads.
//!
//! How "took effect" is decided: each read is compared with the state the
//! write *asked for* (the provider has the requested name, the inventory
//! of each requested class has the requested fields, the consumer holds
//! exactly the requested resources on each provider, a deleted object
//! answers 404). A write is split into parts (one per class, provider,
//! consumer); all parts in place is "took effect", some is "partly", none
//! is "not at all". This needs no read before most writes, so it costs
//! nothing on the writes that succeed: a write that sets contents (a name,
//! inventories, allocations, traits) and failed leaves the old contents,
//! which differ from the requested ones unless the write asked for no
//! change at all (a re-PUT of the same traits, then reported as taken
//! effect: harmless to a retrying client, and said in the evidence). Where
//! the read can only tell "exists" or "gone" (creates and deletes by name:
//! `PUT /traits/{name}`, `DELETE /resource_providers/{uuid}`), the state
//! asked for often held already, so the same reads are also taken just
//! before such a write ([`crate::model::read_back::needs_read_before`]),
//! and a part that was already in place does not count. Reads that
//! fail (transport error, guard refusal, a status other than 2xx or 404)
//! make a part unknown, never "not applied": without a read there is no
//! verdict, only the evidence of what was tried. A 404 proves absence only
//! when it is Placement saying that the object does not exist ([`absent`]):
//! the 404 of a path Placement does not route (a spelling it does not
//! know, a route before its microversion) or a front end's 404 page says
//! nothing about the object, and leaves the part unknown.
//!
//! Severity is high whenever any part took effect. When nothing did, no
//! finding is made, but the read-back's evidence is added to the write's
//! `no_5xx` finding so that a reviewer sees it was checked.

use serde_json::Value;

use crate::cause::Cause;
use crate::exchange::Exchange;
use crate::finding::{CheckId, Finding, Severity};
use crate::model::read_back::{Expect, ReadBack, parse_json_lossy};

/// One read made after a write's 5xx, and what it gave.
#[derive(Clone, Debug)]
pub struct Reading {
    /// The read and the parts it shows.
    pub read: ReadBack,
    /// The exchange, or why there is none (transport error, not sent).
    pub result: Result<Exchange, String>,
}

/// What the reads say about a write answered with a 5xx.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every part of the write is in place.
    TookEffect,
    /// Some parts are in place, others are not or could not be read.
    Partly {
        /// Parts in place.
        reached: usize,
        /// Parts in all.
        of: usize,
    },
    /// No part is in place and every part was read.
    NotAtAll,
    /// No part is known to be in place and some could not be read.
    Unknown,
}

/// Whether `ex` is a write answered with a 5xx: the exchanges this oracle
/// wants read-backs for.
pub fn applies(ex: &Exchange) -> bool {
    let method = ex.request().method.to_ascii_uppercase();
    matches!(method.as_str(), "PUT" | "POST" | "PATCH" | "DELETE")
        && (500..600).contains(&ex.status())
}

/// Numbers by value (`1` = `1.0`), arrays as multisets (traits and
/// aggregates have no order), objects member by member.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().all(|e| y.iter().any(|f| same(e, f)))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// Every member of `want` (an object) is in `got` with the same value;
/// `want` that is not an object must equal `got`.
fn has(got: &Value, want: &Value) -> bool {
    match want {
        Value::Object(w) => w
            .iter()
            .all(|(k, v)| got.get(k).is_some_and(|g| same(g, v))),
        other => same(got, other),
    }
}

/// webob's explanation of every 404, which Placement's error formatter
/// puts first in `detail`. The router (and the version handler, below a
/// route's first microversion) adds nothing to it; a handler that looked
/// the object up adds its own sentence.
const NOT_FOUND_EXPLANATION: &str = "The resource could not be found.";

/// Whether `ex` is Placement saying the object it names does not exist: a
/// 404 in Placement's error envelope whose detail carries the handler's
/// own sentence ("No resource provider with uuid ... found", "No such
/// trait(s): ...") after webob's explanation, not the explanation alone.
pub fn absent(ex: &Exchange) -> bool {
    if ex.status() != 404 {
        return false;
    }
    let Ok(body) = serde_json::from_slice::<Value>(&ex.response().body) else {
        return false;
    };
    let detail = body
        .pointer("/errors/0/detail")
        .and_then(Value::as_str)
        .unwrap_or("");
    let own = detail
        .trim_start()
        .strip_prefix(NOT_FOUND_EXPLANATION)
        .unwrap_or(detail);
    !own.trim().is_empty()
}

/// Whether one part is in place per the read: `None` when the read does
/// not tell (failed, refused, an unexpected status or body, a 404 that
/// does not prove the object absent).
pub fn part_in_place(expect: &Expect, read: &Result<Exchange, String>) -> Option<bool> {
    let ex = read.as_ref().ok()?;
    let status = ex.status();
    let ok = (200..300).contains(&status);
    let gone = absent(ex);
    match expect {
        Expect::Found if ok => Some(true),
        Expect::Found if gone => Some(false),
        Expect::Gone if gone => Some(true),
        Expect::Gone if ok => Some(false),
        Expect::Found | Expect::Gone => None,
        // The object the part lives in is gone: the part is not in place.
        Expect::Has { .. } | Expect::Equals { .. } | Expect::Listed { .. } if gone => Some(false),
        _ if status == 404 => None,
        _ if !ok => None,
        Expect::Has { pointer, want } => {
            let body = parse_json_lossy(&String::from_utf8_lossy(&ex.response().body))?;
            Some(body.pointer(pointer).is_some_and(|got| has(got, want)))
        }
        Expect::Equals { pointer, want } => {
            let body = parse_json_lossy(&String::from_utf8_lossy(&ex.response().body))?;
            Some(body.pointer(pointer).is_some_and(|got| same(got, want)))
        }
        Expect::Missing { pointer } => {
            let body = parse_json_lossy(&String::from_utf8_lossy(&ex.response().body))?;
            Some(body.pointer(pointer).is_none())
        }
        Expect::Listed { pointer, want } => {
            let body = parse_json_lossy(&String::from_utf8_lossy(&ex.response().body))?;
            let items = body.pointer(pointer)?.as_array()?;
            Some(items.iter().any(|item| has(item, want)))
        }
    }
}

/// Whether one part is in place after the write and was not before: a
/// part the read before the write (same reads, same order) already showed
/// in place did not change.
fn part_changed(
    before: Option<&[Reading]>,
    i: usize,
    j: usize,
    part: &Expect,
    after: &Reading,
) -> Option<bool> {
    let now = part_in_place(part, &after.result)?;
    let held = before
        .and_then(|b| b.get(i))
        .and_then(|r| part_in_place(r.read.parts.get(j)?, &r.result));
    Some(now && held != Some(true))
}

/// The verdict over every part of every reading; `None` when there was
/// nothing to read. `before`, when given, are the same reads taken before
/// the write.
pub fn judge(before: Option<&[Reading]>, readings: &[Reading]) -> Option<Verdict> {
    let mut reached = 0;
    let mut unknown = 0;
    let mut of = 0;
    for (i, r) in readings.iter().enumerate() {
        for (j, part) in r.read.parts.iter().enumerate() {
            of += 1;
            match part_changed(before, i, j, part, r) {
                Some(true) => reached += 1,
                Some(false) => {}
                None => unknown += 1,
            }
        }
    }
    Some(match (of, reached, unknown) {
        (0, _, _) => return None,
        (_, 0, 0) => Verdict::NotAtAll,
        (_, 0, _) => Verdict::Unknown,
        (of, r, 0) if r == of => Verdict::TookEffect,
        (of, reached, _) => Verdict::Partly { reached, of },
    })
}

/// What the reads showed, one line per read with its curl reproducer;
/// the reads before the write first, when there were any.
pub fn evidence(before: Option<&[Reading]>, readings: &[Reading]) -> String {
    let mut lines = Vec::new();
    if let Some(b) = before {
        let seen = evidence(None, b).replace("read-back GET", "read before the write GET");
        if !seen.is_empty() {
            lines.push(seen);
        }
    }
    for r in readings {
        let parts: Vec<&str> = r
            .read
            .parts
            .iter()
            .map(|p| match part_in_place(p, &r.result) {
                Some(true) => "in place",
                Some(false) => "not in place",
                None => "unknown",
            })
            .collect();
        let line = match &r.result {
            Ok(ex) => format!(
                "read-back GET {} -> {}: {} ({})",
                r.read.url,
                ex.status(),
                parts.join(", "),
                ex.curl()
            ),
            Err(e) => format!("read-back GET {} failed: {e}", r.read.url),
        };
        lines.push(line);
    }
    lines.join("; ")
}

/// Judges the reads made after `write`'s 5xx and folds the verdict into
/// the write's own findings: a `state_after_error` finding (high) when any
/// part took effect; otherwise the read-back evidence appended to the
/// write's `no_5xx` finding. `findings` are the write's findings from the
/// single-exchange oracles.
pub fn fold(
    write: &Exchange,
    before: Option<&[Reading]>,
    readings: &[Reading],
    mut findings: Vec<Finding>,
) -> Vec<Finding> {
    if !applies(write) {
        return findings;
    }
    let Some(verdict) = judge(before, readings) else {
        return findings;
    };
    let req = write.request();
    let seen = evidence(before, readings);
    let caveat = if before.is_some() {
        "it was not so before the write"
    } else {
        "a requested state that already held before the write reads the same"
    };
    let took = match verdict {
        Verdict::TookEffect => Some("took effect anyway".to_owned()),
        Verdict::Partly { reached, of } => {
            Some(format!("partly took effect ({reached} of {of} parts)"))
        }
        Verdict::NotAtAll | Verdict::Unknown => None,
    };
    match took {
        Some(what) => findings.push(
            Finding::from_exchange(
                CheckId::StateAfterError,
                Severity::High,
                format!(
                    "{} {} answered {} but {what}",
                    req.method,
                    req.route,
                    write.status()
                ),
                format!(
                    "the write answered {} and {what}: a client retrying it applies it twice \
                 ({caveat}); {seen}",
                    write.status()
                ),
                write,
            )
            .because(Cause::new(
                format!("{} {}", req.method, req.route),
                format!(
                    "{} {} takes effect although it answers {}",
                    req.method,
                    req.route,
                    write.status()
                ),
            )),
        ),
        None => {
            let said = if verdict == Verdict::NotAtAll {
                "nothing of the write took effect"
            } else {
                "whether the write took effect is unknown"
            };
            for f in findings.iter_mut().filter(|f| f.check == CheckId::No5xx) {
                f.evidence = format!("{}; {said}: {seen}", f.evidence);
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::read_back::read_backs;
    use crate::oracle::testutil::*;
    use crate::oracle::{Context, check_one};

    const U: &str = "978d1e92-3bd8-4c08-ae87-1f12f83e6593";
    const C: &str = "1e2f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b";
    const ERR_500: &str = r#"{"errors": [{"status": 500, "title": "Internal Server Error", "detail": "The server has either erred or is incapable of performing the requested operation.\n\n Invalid Parameter: Encoding directive wasn't provided.  ", "code": "placement.undefined_code", "request_id": "req-36f1a0ce-1198-44c0-a128-0d7e1bee9547"}]}"#;

    fn write(method: &str, path: &str, body: &str) -> Exchange {
        let mut e = ex(method, path, 500, ERR_500);
        e.req.body = Some(body.to_owned());
        e.build()
    }

    /// The reads the mapping names for `w`, answered with `answers`
    /// (status and body) in order; `None` for a read that failed.
    fn readings(w: &Exchange, answers: &[Option<(u16, &str)>]) -> Vec<Reading> {
        let r = w.request();
        read_backs(&r.method, &r.url, "", r.body.as_deref())
            .into_iter()
            .zip(answers)
            .map(|(read, answer)| {
                let result = match answer {
                    Some((status, body)) => Ok(ex("GET", &read.route, *status, body).build()),
                    None => Err("connection refused".to_owned()),
                };
                Reading { read, result }
            })
            .collect()
    }

    fn rename() -> Exchange {
        // Captured from Placement 16.0.0: a lone surrogate in the new name.
        write(
            "PUT",
            &format!("/resource_providers/{U}"),
            r#"{"name": "\ud800 x"}"#,
        )
    }

    #[test]
    fn rename_not_committed_adds_evidence_to_no_5xx() {
        let w = rename();
        let before = format!(r#"{{"uuid": "{U}", "name": "insta-probe", "generation": 0}}"#);
        let r = readings(&w, &[Some((200, &before))]);
        assert_eq!(judge(None, &r), Some(Verdict::NotAtAll));
        let out = fold(&w, None, &r, check_one(&w, &Context::default()));
        assert!(out.iter().all(|f| f.check != CheckId::StateAfterError));
        let no5xx = out.iter().find(|f| f.check == CheckId::No5xx).unwrap();
        assert!(
            no5xx.evidence.contains("nothing of the write took effect")
                && no5xx
                    .evidence
                    .contains("read-back GET http://127.0.0.1:46527/resource_providers/")
                && no5xx.evidence.contains("curl "),
            "{}",
            no5xx.evidence
        );
    }

    #[test]
    fn rename_committed_is_a_high_finding() {
        let w = write(
            "PUT",
            &format!("/resource_providers/{U}"),
            r#"{"name": "renamed", "parent_provider_uuid": null}"#,
        );
        let after = format!(
            r#"{{"uuid": "{U}", "name": "renamed", "generation": 1, "parent_provider_uuid": null}}"#
        );
        let r = readings(&w, &[Some((200, &after))]);
        assert_eq!(judge(None, &r), Some(Verdict::TookEffect));
        let out = fold(&w, None, &r, Vec::new());
        assert_eq!(out.len(), 1);
        let f = &out[0];
        assert_eq!(f.check, CheckId::StateAfterError);
        assert_eq!(f.severity, Severity::High);
        assert_eq!(f.cwe, "CWE-460");
        assert_eq!(f.method, "PUT");
        assert!(f.evidence.contains("-> 200: in place"), "{}", f.evidence);
    }

    #[test]
    fn rename_to_a_lone_surrogate_committed_is_seen() {
        // Python's json writes the stored surrogate back as `\ud800`.
        let w = rename();
        let after = format!(r#"{{"uuid": "{U}", "name": "\ud800 x", "generation": 1}}"#);
        let r = readings(&w, &[Some((200, &after))]);
        assert_eq!(judge(None, &r), Some(Verdict::TookEffect));
    }

    #[test]
    fn bulk_allocation_half_committed_is_partly() {
        let body = format!(
            r#"{{"{C}": {{"allocations": {{"{U}": {{"resources": {{"VCPU": 1}}}}}}}},
                "2e2f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b": {{"allocations": {{"{U}": {{"resources": {{"DISK_GB": 2}}}}}}}}}}"#
        );
        let w = write("POST", "/allocations", &body);
        let first = format!(
            r#"{{"allocations": {{"{U}": {{"generation": 3, "resources": {{"VCPU": 1.0}}}}}}}}"#
        );
        let r = readings(
            &w,
            &[Some((200, &first)), Some((200, r#"{"allocations": {}}"#))],
        );
        assert_eq!(judge(None, &r), Some(Verdict::Partly { reached: 1, of: 2 }));
        let out = fold(&w, None, &r, Vec::new());
        assert_eq!(out.len(), 1);
        assert!(out[0].title.contains("partly took effect (1 of 2 parts)"));
        assert_eq!(out[0].severity, Severity::High);
    }

    #[test]
    fn failed_read_back_is_unknown_and_no_finding() {
        let w = rename();
        let r = readings(&w, &[None]);
        assert_eq!(judge(None, &r), Some(Verdict::Unknown));
        let out = fold(&w, None, &r, check_one(&w, &Context::default()));
        assert!(out.iter().all(|f| f.check != CheckId::StateAfterError));
        let no5xx = out.iter().find(|f| f.check == CheckId::No5xx).unwrap();
        assert!(no5xx.evidence.contains("unknown"));
        assert!(no5xx.evidence.contains("failed: connection refused"));
        // A 503 on the read is no answer either.
        let r = readings(&w, &[Some((503, ""))]);
        assert_eq!(judge(None, &r), Some(Verdict::Unknown));
    }

    #[test]
    fn inventory_with_non_class_key_not_committed() {
        // Placement 16.0.0, handlers/inventory.py:71: `update(1)` raises
        // TypeError before any database write.
        let w = write(
            "PUT",
            &format!("/resource_providers/{U}/inventories"),
            r#"{"resource_provider_generation": 0, "inventories": {"VCPU": {"total": 4}, "lower": 1}}"#,
        );
        let r = readings(
            &w,
            &[Some((
                200,
                r#"{"resource_provider_generation": 0, "inventories": {}}"#,
            ))],
        );
        assert_eq!(judge(None, &r), Some(Verdict::NotAtAll));
        let full = r#"{"resource_provider_generation": 1, "inventories": {"VCPU": {"total": 4, "reserved": 0, "allocation_ratio": 1.0}}}"#;
        let r = readings(&w, &[Some((200, full))]);
        assert_eq!(judge(None, &r), Some(Verdict::Partly { reached: 1, of: 2 }));
    }

    #[test]
    fn deletes_and_sets() {
        let w = write("DELETE", &format!("/resource_providers/{U}"), "");
        assert_eq!(
            judge(None, &readings(&w, &[Some((404, NO_PROVIDER))])),
            Some(Verdict::TookEffect)
        );
        assert_eq!(
            judge(None, &readings(&w, &[Some((200, "{}"))])),
            Some(Verdict::NotAtAll)
        );
        let w = write(
            "PUT",
            &format!("/resource_providers/{U}/traits"),
            r#"{"traits": ["B", "A"], "resource_provider_generation": 0}"#,
        );
        let got = r#"{"traits": ["A", "B"], "resource_provider_generation": 1}"#;
        assert_eq!(
            judge(None, &readings(&w, &[Some((200, got))])),
            Some(Verdict::TookEffect)
        );
        let got = r#"{"traits": ["A"], "resource_provider_generation": 1}"#;
        assert_eq!(
            judge(None, &readings(&w, &[Some((200, got))])),
            Some(Verdict::NotAtAll)
        );
    }

    #[test]
    fn a_create_whose_object_existed_before_did_not_take_effect() {
        let w = write("PUT", "/traits/CUSTOM_A", "");
        let before = readings(&w, &[Some((204, ""))]);
        let after = readings(&w, &[Some((204, ""))]);
        assert_eq!(judge(Some(&before), &after), Some(Verdict::NotAtAll));
        let out = fold(
            &w,
            Some(&before),
            &after,
            check_one(&w, &Context::default()),
        );
        assert!(out.iter().all(|f| f.check != CheckId::StateAfterError));
        let before = readings(&w, &[Some((404, NO_TRAIT))]);
        assert_eq!(judge(Some(&before), &after), Some(Verdict::TookEffect));
        let out = fold(&w, Some(&before), &after, Vec::new());
        assert!(out[0].evidence.contains("it was not so before the write"));
        assert!(out[0].evidence.contains("read before the write GET "));
        // A failed read before leaves the after-read to judge alone.
        let before = readings(&w, &[None]);
        assert_eq!(judge(Some(&before), &after), Some(Verdict::TookEffect));
    }

    /// Placement 16.0.0's answers (captured): a provider that does not
    /// exist, a trait that does not exist, and a path it does not route.
    const NO_PROVIDER: &str = r#"{"errors": [{"status": 404, "title": "Not Found", "detail": "The resource could not be found.\n\n No resource provider with uuid 7d2e3a1c-3d7b-4a4b-9a53-2b8e1d5f6c10 found  ", "request_id": "req-6b3c6c0e-9d3c-4f57-8c1f-5d0c6d2e8a11", "code": "placement.undefined_code"}]}"#;
    const NO_TRAIT: &str = r#"{"errors": [{"status": 404, "title": "Not Found", "detail": "The resource could not be found.\n\n No such trait(s): CUSTOM_A  ", "request_id": "req-0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f", "code": "placement.undefined_code"}]}"#;
    const UNROUTED: &str = r#"{"errors": [{"status": 404, "title": "Not Found", "detail": "The resource could not be found.\n\n   ", "request_id": "req-1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"}]}"#;

    #[test]
    fn only_placements_own_404_proves_absence() {
        // The read-back of a create that took effect, asked with a spelling
        // Placement does not route: its 404 says nothing of the object.
        let w = write("PUT", "/traits/CUSTOM_A", "");
        let before = readings(&w, &[Some((404, NO_TRAIT))]);
        for unproven in [
            UNROUTED,
            "<html><body>404 Not Found</body></html>",
            "{}",
            "",
        ] {
            let after = readings(&w, &[Some((404, unproven))]);
            assert_eq!(
                judge(Some(&before), &after),
                Some(Verdict::Unknown),
                "{unproven}"
            );
        }
        let after = readings(&w, &[Some((404, NO_TRAIT))]);
        assert_eq!(judge(Some(&before), &after), Some(Verdict::NotAtAll));
        let d = write("DELETE", &format!("/resource_providers/{U}"), "");
        assert_eq!(
            judge(None, &readings(&d, &[Some((404, UNROUTED))])),
            Some(Verdict::Unknown)
        );
    }

    #[test]
    fn only_5xx_writes_are_judged() {
        let mut e = ex("GET", &format!("/resource_providers/{U}"), 500, ERR_500);
        e.req.body = None;
        let get = e.build();
        assert!(!applies(&get));
        assert!(!applies(&ex("PUT", "/traits/CUSTOM_A", 400, "{}").build()));
        assert!(applies(&rename()));
        let w = ex("PUT", "/traits/CUSTOM_A", 201, "").build();
        assert!(fold(&w, None, &readings(&w, &[Some((200, ""))]), Vec::new()).is_empty());
        // No mapping for the route: nothing to judge, findings untouched.
        let w = write("POST", "/nope", "{}");
        assert_eq!(judge(None, &readings(&w, &[])), None);
    }
}
