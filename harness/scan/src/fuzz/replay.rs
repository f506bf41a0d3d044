//! Microversion replay: a sample of the fuzzer's requests (reads, and the
//! idempotent writes `PUT /traits/{name}` and `PUT /resource_classes/{name}`
//! of the run's own names) is sent again at every microversion 1.0 to
//! 1.39, and the answers of adjacent versions are compared: status, error
//! code and response shape (the set of top-level JSON keys, and the keys of
//! the first item of each top-level list when both versions have one). A
//! change at 1.n is allowed only where the documented history
//! ([`crate::model::history`]) lists n for the route; any other is a
//! `microversion_replay` finding (CWE-440, low), one per request at its
//! first unexplained version.
//!
//! The replayer is a [`Transport`] around the run's sender: the original
//! request goes through unchanged and its answer is what the fuzzer sees;
//! the replays go through the same sender (so `--max-rps` and the guard
//! apply) right after it. Replays are bounded: at most `max_requests`
//! requests are replayed in all (40 sends each), every `stride`-th
//! eligible one.

use std::collections::BTreeSet;
use std::sync::Mutex;

use serde_json::Value;

use super::differential::error_code;
use super::engine::SideFindings;
use crate::cause::Cause;
use crate::exchange::{self, Exchange, Header};
use crate::finding::{CheckId, Finding, Severity, finding_id};
use crate::model::history;
use crate::persona::Persona;
use crate::transport::Transport;

/// The newest minor version replayed.
pub const LATEST_MINOR: u16 = 39;

/// How much to replay.
#[derive(Clone, Copy, Debug)]
pub struct ReplayConfig {
    /// Most requests replayed (each at 40 versions); 0 turns replay off.
    pub max_requests: usize,
    /// Replay every `stride`-th eligible request (at least 1).
    pub stride: usize,
}

/// What an answer looks like for the comparison.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shape {
    /// HTTP status.
    pub status: u16,
    /// `errors[0].code`, if any.
    pub code: Option<String>,
    /// Top-level keys, and `list[].key` for the first item of each
    /// top-level list.
    pub keys: BTreeSet<String>,
    /// Top-level lists that were empty (their item keys are unknown).
    pub empty_lists: BTreeSet<String>,
}

impl Shape {
    /// The shape of `ex`'s answer.
    pub fn of(ex: &Exchange) -> Shape {
        let body: Value = serde_json::from_slice(&ex.response().body).unwrap_or(Value::Null);
        let mut keys = BTreeSet::new();
        let mut empty_lists = BTreeSet::new();
        if let Value::Object(map) = &body {
            for (k, v) in map {
                keys.insert(k.clone());
                if let Value::Array(items) = v {
                    match items.first() {
                        Some(Value::Object(first)) => {
                            keys.extend(first.keys().map(|s| format!("{k}[].{s}")));
                        }
                        Some(_) => {}
                        None => {
                            empty_lists.insert(k.clone());
                        }
                    }
                }
            }
        }
        Shape {
            status: ex.status(),
            code: error_code(&body),
            keys,
            empty_lists,
        }
    }

    /// What differs from `before`, in words; `None` when nothing does.
    /// Item keys of a list empty on either side are not compared.
    pub fn change_from(&self, before: &Shape) -> Option<String> {
        let mut out = Vec::new();
        if self.status != before.status {
            out.push(format!("status {} -> {}", before.status, self.status));
        }
        if self.code != before.code {
            out.push(format!(
                "code {} -> {}",
                before.code.as_deref().unwrap_or("-"),
                self.code.as_deref().unwrap_or("-")
            ));
        }
        let skip = |k: &String| {
            k.split_once("[].").is_some_and(|(list, _)| {
                self.empty_lists.contains(list) || before.empty_lists.contains(list)
            })
        };
        let gone: Vec<&String> = before
            .keys
            .difference(&self.keys)
            .filter(|k| !skip(k))
            .collect();
        let new: Vec<&String> = self
            .keys
            .difference(&before.keys)
            .filter(|k| !skip(k))
            .collect();
        if !gone.is_empty() {
            out.push(format!("keys gone {gone:?}"));
        }
        if !new.is_empty() {
            out.push(format!("keys new {new:?}"));
        }
        (!out.is_empty()).then(|| out.join("; "))
    }
}

/// Counts of the replay.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplayTally {
    /// Requests replayed.
    pub replayed: u64,
    /// Sends made for replays.
    pub sends: u64,
    /// Changes between adjacent versions the history lists.
    pub documented_changes: u64,
    /// Changes it does not list (findings).
    pub undocumented_changes: u64,
}

#[derive(Default)]
struct Inner {
    eligible_seen: usize,
    pending: Vec<Finding>,
    tally: ReplayTally,
}

/// A [`Transport`] that replays a sample of what it sends at every
/// microversion.
pub struct Replayer<'a, S> {
    inner: &'a S,
    config: ReplayConfig,
    run_mark: String,
    state: Mutex<Inner>,
}

impl<'a, S: Transport> Replayer<'a, S> {
    /// Replays through `inner`; `run_mark` (the run id) names the run's own
    /// traits and classes, the only writes replayed.
    pub fn new(inner: &'a S, config: ReplayConfig, run_mark: &str) -> Self {
        Replayer {
            inner,
            config,
            run_mark: run_mark.to_ascii_uppercase(),
            state: Mutex::new(Inner::default()),
        }
    }

    /// What was replayed so far.
    pub fn tally(&self) -> ReplayTally {
        self.state
            .lock()
            .map(|s| s.tally.clone())
            .unwrap_or_default()
    }

    fn eligible(&self, request: &exchange::Request, ex: &Exchange) -> bool {
        if ex.status() >= 500 {
            return false;
        }
        match request.method.as_str() {
            "GET" => true,
            "PUT" => {
                matches!(
                    request.route.as_str(),
                    "/traits/{name}" | "/resource_classes/{name}"
                ) && request.body.is_none()
                    && request.url.to_ascii_uppercase().contains(&self.run_mark)
                    && (200..300).contains(&ex.status())
            }
            _ => false,
        }
    }

    /// Whether this eligible request is one of the sample.
    fn take_turn(&self) -> bool {
        let Ok(mut s) = self.state.lock() else {
            return false;
        };
        if s.tally.replayed >= self.config.max_requests as u64 {
            return false;
        }
        s.eligible_seen += 1;
        if (s.eligible_seen - 1) % self.config.stride.max(1) != 0 {
            return false;
        }
        s.tally.replayed += 1;
        true
    }

    async fn replay(&self, request: &exchange::Request, persona: Option<&Persona>) {
        let mut previous: Option<(u16, Shape)> = None;
        for minor in 0..=LATEST_MINOR {
            let mut r = request.clone();
            r.headers
                .retain(|h| !h.name.eq_ignore_ascii_case("openstack-api-version"));
            r.headers.push(Header::new(
                "openstack-api-version",
                &format!("placement 1.{minor}"),
            ));
            r.step = Some(format!(
                "{} (replayed at 1.{minor})",
                request.step.as_deref().unwrap_or("request")
            ));
            if self.inner.skip_reason(&r).is_some() {
                return;
            }
            let sent = self.inner.send(r, persona).await;
            if let Ok(mut s) = self.state.lock() {
                s.tally.sends += 1;
            }
            let Ok(ex) = sent else { return };
            let shape = Shape::of(&ex);
            if let Some((_, before)) = &previous {
                if let Some(change) = shape.change_from(before) {
                    let allowed = history::change_points(&request.method, &request.route);
                    if allowed.contains(&minor) {
                        if let Ok(mut s) = self.state.lock() {
                            s.tally.documented_changes += 1;
                        }
                    } else {
                        let f = self.finding(&ex, minor, &change, &allowed);
                        if let Ok(mut s) = self.state.lock() {
                            s.tally.undocumented_changes += 1;
                            s.pending.push(f);
                        }
                        // One finding per request: later versions compare
                        // against an answer already known to be off.
                        return;
                    }
                }
            }
            previous = Some((minor, shape));
        }
    }

    fn finding(&self, ex: &Exchange, minor: u16, change: &str, allowed: &BTreeSet<u16>) -> Finding {
        let req = ex.request();
        let listed: Vec<String> = allowed.iter().map(|m| format!("1.{m}")).collect();
        let mut f = Finding::from_exchange(
            CheckId::MicroversionReplay,
            Severity::Low,
            format!(
                "Answer changes at 1.{minor} without a history entry: {} {}",
                req.method, req.route
            ),
            format!(
                "replayed from 1.0 to 1.{LATEST_MINOR}: between 1.{} and 1.{minor}: {change}; \
                 the history (rest_api_version_history.rst) lists changes for {} {} at [{}] only",
                minor.saturating_sub(1),
                req.method,
                req.route,
                listed.join(", ")
            ),
            ex,
        );
        f.input_class = format!("1.{minor}");
        f = f.because(Cause::new(
            format!("{} {}@1.{minor}", req.method, req.route),
            format!(
                "{} {} changes at 1.{minor} without a history entry",
                req.method, req.route
            ),
        ));
        f.id = finding_id(f.check, &f.method, &f.route, &f.persona, &f.input_class);
        f
    }
}

impl<S: Transport> Transport for Replayer<'_, S> {
    async fn send(
        &self,
        request: exchange::Request,
        persona: Option<&Persona>,
    ) -> Result<Exchange, crate::transport::TransportError> {
        let ex = self.inner.send(request.clone(), persona).await?;
        if self.config.max_requests > 0 && self.eligible(&request, &ex) && self.take_turn() {
            self.replay(&request, persona).await;
        }
        Ok(ex)
    }

    fn skip_reason(&self, request: &exchange::Request) -> Option<String> {
        self.inner.skip_reason(request)
    }
}

impl<S: Transport> SideFindings for Replayer<'_, S> {
    fn take_findings(&self) -> Vec<Finding> {
        self.state
            .lock()
            .map(|mut s| std::mem::take(&mut s.pending))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::Response;

    /// A server whose `GET /traits` grows a key at 1.30 (no history entry)
    /// and whose `GET /usages` changes at 1.38 (documented).
    struct Drifting;

    impl Transport for Drifting {
        async fn send(
            &self,
            request: exchange::Request,
            _persona: Option<&Persona>,
        ) -> Result<Exchange, crate::transport::TransportError> {
            let minor: u16 = request
                .headers
                .iter()
                .find(|h| h.name == "openstack-api-version")
                .and_then(|h| h.value.rsplit('.').next())
                .and_then(|m| m.parse().ok())
                .unwrap_or(0);
            let body = match request.route.as_str() {
                "/traits" if minor >= 30 => r#"{"traits": [], "extra": 1}"#,
                "/usages" if minor >= 38 => r#"{"usages": {"INSTANCE": {}}}"#,
                _ => r#"{"traits": [], "usages": {}}"#,
            };
            Ok(ex_for(request, 200, body))
        }
    }

    fn ex_for(request: exchange::Request, status: u16, body: &str) -> Exchange {
        Exchange::new(
            request,
            Response {
                status,
                body: body.as_bytes().to_vec(),
                ..Response::default()
            },
        )
    }

    fn get(route: &str) -> exchange::Request {
        exchange::Request {
            method: "GET".to_owned(),
            url: format!("http://127.0.0.1:9{route}"),
            route: route.to_owned(),
            persona: "admin".to_owned(),
            ..exchange::Request::default()
        }
    }

    #[test]
    fn undocumented_changes_are_findings_documented_ones_are_not() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let inner = Drifting;
        let r = Replayer::new(
            &inner,
            ReplayConfig {
                max_requests: 10,
                stride: 1,
            },
            "ph0123456789",
        );
        rt.block_on(async {
            let _ = r.send(get("/traits"), None).await;
            let _ = r.send(get("/usages"), None).await;
        });
        let found = r.take_findings();
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].check, CheckId::MicroversionReplay);
        assert_eq!(found[0].route, "/traits");
        assert!(
            found[0].evidence.contains("between 1.29 and 1.30"),
            "{}",
            found[0].evidence
        );
        let t = r.tally();
        assert_eq!(t.replayed, 2);
        assert_eq!(t.sends, 31 + 40);
        assert_eq!(t.documented_changes, 1);
        assert_eq!(t.undocumented_changes, 1);
    }

    #[test]
    fn replays_are_bounded_and_spread() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let inner = Drifting;
        let r = Replayer::new(
            &inner,
            ReplayConfig {
                max_requests: 2,
                stride: 3,
            },
            "ph0123456789",
        );
        rt.block_on(async {
            for _ in 0..20 {
                let _ = r.send(get("/usages"), None).await;
            }
        });
        let t = r.tally();
        assert_eq!(t.replayed, 2);
        assert_eq!(t.sends, 80);
    }

    fn ex(status: u16, body: &str) -> Exchange {
        Exchange::new(
            exchange::Request::default(),
            Response {
                status,
                body: body.as_bytes().to_vec(),
                ..Response::default()
            },
        )
    }

    #[test]
    fn shapes_compare_status_code_and_keys() {
        let a = Shape::of(&ex(
            200,
            r#"{"resource_providers": [{"uuid": "x", "generation": 1}]}"#,
        ));
        let b = Shape::of(&ex(
            200,
            r#"{"resource_providers": [{"uuid": "y", "generation": 2, "root_provider_uuid": "y"}]}"#,
        ));
        assert_eq!(a.change_from(&a), None);
        let c = b.change_from(&a).unwrap();
        assert!(c.contains("resource_providers[].root_provider_uuid"), "{c}");
        let empty = Shape::of(&ex(200, r#"{"resource_providers": []}"#));
        assert_eq!(empty.change_from(&a), None);
        let e1 = Shape::of(&ex(400, r#"{"errors": [{"status": 400}]}"#));
        let e2 = Shape::of(&ex(
            400,
            r#"{"errors": [{"status": 400, "code": "placement.undefined_code"}]}"#,
        ));
        assert!(
            e2.change_from(&e1)
                .unwrap()
                .contains("code - -> placement.undefined_code")
        );
        let nf = Shape::of(&ex(404, r#"{"errors": [{"status": 404}]}"#));
        assert!(nf.change_from(&e1).unwrap().contains("status 400 -> 404"));
    }
}
