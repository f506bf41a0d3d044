//! Shrinking: a failing case is replayed against the live target on fresh
//! objects (a fresh [`Env`] each time) and reduced while the same root
//! cause (check and cause signature) still shows on its last step: earlier steps dropped, query parameters
//! and body keys removed, the microversion lowered, the persona made
//! `admin`. Every attempt is a full replay, so attempts are bounded in
//! number and time.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::case::{CONSUMERS, Env, Step};
use super::engine::{FailingCase, SideFindings, cause_of, send_step, worth_a_case};
use super::r#gen::minor_of;
use super::rng::Rng;
use crate::exchange::Exchange;
use crate::finding::{CheckId, Finding};
use crate::model::{operation, surface};
use crate::oracle::{self, Context};
use crate::persona::Persona;
use crate::run_id::RunId;
use crate::transport::Transport;

/// Bounds and surroundings of shrinking.
#[derive(Clone, Debug)]
pub struct ShrinkConfig {
    /// Base URL of the target.
    pub base_url: String,
    /// Personas by name.
    pub personas: Vec<Persona>,
    /// The run (fresh objects carry its id).
    pub run_id: RunId,
    /// Most replays of one case.
    pub max_attempts: usize,
    /// Most time for one case.
    pub max_duration: Duration,
}

/// A shrunk case.
#[derive(Clone, Debug)]
pub struct Shrunk {
    /// The check that fires on the last step.
    pub check: CheckId,
    /// The steps left.
    pub steps: Vec<Step>,
    /// The statuses they got on the last successful replay.
    pub statuses: Vec<u16>,
    /// Whether the case reproduced at all when replayed in order.
    pub reproduced: bool,
    /// Replays made.
    pub attempts: usize,
    /// Requests sent while shrinking.
    pub requests: u64,
    /// curl lines of the last successful replay, one per step.
    pub curl: Vec<String>,
    /// The finding of the last successful replay.
    pub finding: Option<Finding>,
}

/// One replay: the statuses, the curl lines and the finding of `check` on
/// the last step, if it fired.
struct Replay {
    statuses: Vec<u16>,
    curl: Vec<String>,
    finding: Option<Finding>,
    requests: u64,
}

async fn replay<S: Transport>(
    sender: &S,
    side: &dyn SideFindings,
    cfg: &ShrinkConfig,
    ctx: &Context,
    steps: &[Step],
    case: &FailingCase,
    rng: &mut Rng,
) -> Replay {
    let env = Env::fresh(cfg.run_id, rng, &cfg.personas);
    let mut ctx = ctx.clone();
    for c in CONSUMERS {
        if let (Some(id), Some(p)) = (env.get(c), env.get("PROJECT_ID")) {
            ctx.ownership.insert(id.to_ascii_lowercase(), p.to_owned());
        }
    }
    let mut out = Replay {
        statuses: Vec::new(),
        curl: Vec::new(),
        finding: None,
        requests: 0,
    };
    let mut last: Option<Exchange> = None;
    let mut last_side = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let sent = send_step(
            sender,
            &cfg.personas,
            step,
            &env,
            &cfg.base_url,
            "fuzz shrink",
        )
        .await;
        match sent {
            Ok(Some(ex)) => {
                out.requests += 1;
                out.statuses.push(ex.status());
                out.curl.push(ex.curl());
                // Only the last step's side findings count.
                let side_found = side.take_findings();
                if i + 1 == steps.len() {
                    last = Some(ex);
                    last_side = side_found;
                }
            }
            // A step the guard refuses or the transport loses: the replay
            // is not the case any more.
            Ok(None) | Err(_) => return out,
        }
    }
    if let (Some(ex), Some(step)) = (last, steps.last()) {
        out.finding = oracle::check_one(&ex, &ctx)
            .into_iter()
            .chain(last_side)
            .find(|f| {
                f.check == case.check
                    && cause_of(f) == case.fingerprint
                    && f.route == step.route
                    && f.method == step.method
                    && worth_a_case(f)
            });
    }
    out
}

/// Candidate simplifications of `steps`, simplest first.
fn candidates(steps: &[Step]) -> Vec<Vec<Step>> {
    let mut out = Vec::new();
    let n = steps.len();
    for i in (0..n.saturating_sub(1)).rev() {
        let mut c = steps.to_vec();
        c.remove(i);
        out.push(c);
    }
    let Some(last) = steps.last() else { return out };
    let with_last = |s: Step| {
        let mut c = steps.to_vec();
        if let Some(l) = c.last_mut() {
            *l = s;
        }
        c
    };
    if last.persona != "admin" {
        let mut s = last.clone();
        s.persona = "admin".to_owned();
        out.push(with_last(s));
    }
    if let Some((path, query)) = last.path.split_once('?') {
        let params: Vec<&str> = query.split('&').collect();
        // A parameter the operation requires stays: without it the request
        // would be refused for that once the bug is fixed, and the case
        // would pass for the wrong reason (`limit` twice without
        // `resources=`).
        let required: Vec<&str> = operation(&surface(), &last.method, &last.route)
            .map(|op| {
                op.query
                    .iter()
                    .filter(|q| q.required)
                    .map(|q| q.name)
                    .collect()
            })
            .unwrap_or_default();
        let name = |p: &str| p.split('=').next().unwrap_or_default().to_owned();
        for i in 0..params.len() {
            let dropped = params.get(i).map(|p| name(p)).unwrap_or_default();
            let others = params
                .iter()
                .enumerate()
                .filter(|(j, p)| *j != i && name(p) == dropped)
                .count();
            if required.contains(&dropped.as_str()) && others == 0 {
                continue;
            }
            let kept: Vec<&str> = params
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, p)| *p)
                .collect();
            let mut s = last.clone();
            s.path = if kept.is_empty() {
                path.to_owned()
            } else {
                format!("{path}?{}", kept.join("&"))
            };
            out.push(with_last(s));
        }
    }
    if let Some(body) = &last.body {
        for pointer in key_pointers(body, "") {
            let mut b = body.clone();
            if remove_pointer(&mut b, &pointer) {
                let mut s = last.clone();
                s.body = Some(b);
                out.push(with_last(s));
            }
        }
    }
    if let (Some(minor), Some(op)) = (
        minor_of(last.microversion.as_deref()),
        operation(&surface(), &last.method, &last.route),
    ) {
        let mut lower = vec![op.from];
        if minor > op.from + 1 {
            lower.push(op.from + (minor - op.from) / 2);
        }
        for m in lower.into_iter().filter(|m| *m < minor) {
            let mut s = last.clone();
            s.microversion = Some(format!("placement 1.{m}"));
            out.push(with_last(s));
        }
    }
    out
}

/// JSON pointers of every object key in `v`, outermost first.
fn key_pointers(v: &Value, at: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Value::Object(m) = v {
        for (k, child) in m {
            let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
            out.push(p.clone());
            out.extend(key_pointers(child, &p));
        }
    }
    out
}

fn remove_pointer(v: &mut Value, pointer: &str) -> bool {
    let Some((parent, key)) = pointer.rsplit_once('/') else {
        return false;
    };
    let key = key.replace("~1", "/").replace("~0", "~");
    match v.pointer_mut(parent) {
        Some(Value::Object(m)) => m.remove(&key).is_some(),
        _ => false,
    }
}

/// Shrinks `case` against the live target.
pub async fn shrink<S: Transport>(
    sender: &S,
    cfg: &ShrinkConfig,
    ctx: &Context,
    case: &FailingCase,
    rng: &mut Rng,
    stop: &AtomicBool,
) -> Shrunk {
    shrink_with(sender, &(), cfg, ctx, case, rng, stop).await
}

/// [`shrink`] with the side findings of `side` (the differential oracle)
/// counted as the check firing.
pub async fn shrink_with<S: Transport>(
    sender: &S,
    side: &dyn SideFindings,
    cfg: &ShrinkConfig,
    ctx: &Context,
    case: &FailingCase,
    rng: &mut Rng,
    stop: &AtomicBool,
) -> Shrunk {
    let started = Instant::now();
    let mut current = case.steps.clone();
    let mut out = Shrunk {
        check: case.check,
        steps: current.clone(),
        statuses: case.statuses.clone(),
        reproduced: false,
        attempts: 0,
        requests: 0,
        curl: Vec::new(),
        finding: None,
    };
    let first = replay(sender, side, cfg, ctx, &current, case, rng).await;
    out.attempts = 1;
    out.requests = first.requests;
    let Some(finding) = first.finding else {
        return out;
    };
    out.reproduced = true;
    out.statuses = first.statuses;
    out.curl = first.curl;
    out.finding = Some(finding);
    'outer: loop {
        let mut improved = false;
        for cand in candidates(&current) {
            if out.attempts >= cfg.max_attempts
                || started.elapsed() >= cfg.max_duration
                || stop.load(Ordering::SeqCst)
            {
                break 'outer;
            }
            out.attempts += 1;
            let r = replay(sender, side, cfg, ctx, &cand, case, rng).await;
            out.requests += r.requests;
            if let Some(f) = r.finding {
                current = cand;
                out.statuses = r.statuses;
                out.curl = r.curl;
                out.finding = Some(f);
                improved = true;
                break;
            }
        }
        if !improved {
            break;
        }
    }
    out.steps = current;
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::r#gen::fixed;
    use serde_json::json;

    #[test]
    fn candidates_drop_steps_keys_params_and_versions() {
        let a = fixed(
            "a",
            "POST",
            "/resource_providers".into(),
            "/resource_providers",
            Some(json!({"name": "x"})),
        );
        let mut b = fixed(
            "b",
            "GET",
            "/allocation_candidates?resources=VCPU:1&limit=abc&limit=1".into(),
            "/allocation_candidates",
            None,
        );
        b.persona = "tenant-b-member".into();
        let c = candidates(&[a.clone(), b.clone()]);
        assert_eq!(c[0], vec![b.clone()]);
        assert!(
            c.iter()
                .any(|s| s.last().is_some_and(|l| l.persona == "admin"))
        );
        assert!(c.iter().any(|s| {
            s.last()
                .is_some_and(|l| l.path == "/allocation_candidates?resources=VCPU:1&limit=1")
        }));
        assert!(c.iter().any(|s| {
            s.last()
                .is_some_and(|l| l.microversion.as_deref() == Some("placement 1.10"))
        }));
        let d = candidates(&[a]);
        assert!(d.iter().any(|s| s[0].body == Some(json!({}))));
        // `resources` is required: no candidate drops it, so the shrunk
        // case still means something once `limit` is fixed.
        assert!(c.iter().all(|s| {
            s.last()
                .is_none_or(|l| l.route != b.route || l.path.contains("resources=VCPU:1"))
        }));
        let mut twice = b.clone();
        twice.path = "/allocation_candidates?resources=VCPU:1&resources=VCPU:2".into();
        assert!(
            candidates(&[twice]).iter().any(|s| s
                .last()
                .is_some_and(|l| l.path == "/allocation_candidates?resources=VCPU:2")),
            "one of two may go"
        );
    }
}
