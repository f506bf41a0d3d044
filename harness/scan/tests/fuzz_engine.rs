//! The fuzz engine over a fake server: the same seed (and the same
//! answers) sends the same requests, another seed does not; bounds hold;
//! generated requests are not all refused; the oracles judge every
//! response; a crash is kept as a case ending in the crashing step.

#![allow(clippy::unwrap_used)]

use std::sync::Mutex;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use placement_harness::exchange::{self, Exchange, Header, Response};
use placement_harness::finding::CheckId;
use placement_harness::fuzz::engine::{FuzzConfig, FuzzOutcome, run_fuzz};
use placement_harness::fuzz::r#gen::{World, request};
use placement_harness::fuzz::rng::Rng;
use placement_harness::model::surface;
use placement_harness::persona::{Persona, default_personas};
use placement_harness::run_id::RunId;
use placement_harness::target::AuthMode;
use placement_harness::transport::Transport;
use proptest::prelude::*;

/// A deterministic fake Placement: 400 for bodies with a `fuzz_extra` key,
/// 500 for a repeated `limit`, 404 for unknown providers, else 200 with a
/// generation; it records what it was sent.
#[derive(Default)]
struct Fake {
    sent: Mutex<Vec<String>>,
}

impl Transport for Fake {
    async fn send(
        &self,
        request: exchange::Request,
        _persona: Option<&Persona>,
    ) -> Result<Exchange, placement_harness::transport::TransportError> {
        if let Ok(mut s) = self.sent.lock() {
            s.push(format!(
                "{} {} {}",
                request.method,
                request.url,
                request.body.clone().unwrap_or_default()
            ));
        }
        let status = if request.url.matches("limit=").count() > 1 {
            500
        } else if request
            .body
            .as_deref()
            .is_some_and(|b| b.contains("fuzz_extra"))
        {
            400
        } else {
            200
        };
        let body = if status == 200 {
            r#"{"generation": 1, "resource_provider_generation": 1}"#.to_owned()
        } else {
            format!(
                r#"{{"errors": [{{"status": {status}, "title": "x", "detail": "d", "code": "placement.undefined_code"}}]}}"#
            )
        };
        Ok(Exchange::new(
            request,
            Response {
                status,
                headers: vec![
                    Header::new("content-type", "application/json"),
                    Header::new("x-content-type-options", "nosniff"),
                ],
                body: body.into_bytes(),
                ..Response::default()
            },
        ))
    }
}

fn config(seed: u64, requests: u64) -> FuzzConfig {
    let run_id = RunId::parse("ph0123456789").unwrap();
    FuzzConfig {
        base_url: "http://127.0.0.1:9/".into(),
        seed,
        run_id,
        personas: default_personas(AuthMode::Noauth2, Some(run_id)),
        max_requests: requests,
        max_duration: Duration::from_secs(60),
        actions_per_episode: 10,
        keep_exchanges: 1000,
        health: Default::default(),
    }
}

fn fuzz(seed: u64, requests: u64) -> (FuzzOutcome, Vec<String>) {
    let fake = Fake::default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let cfg = config(seed, requests);
    let ctx = placement_harness::scan::context::oracle_context(&cfg.personas);
    let out = rt.block_on(run_fuzz(&fake, &cfg, ctx, &AtomicBool::new(false)));
    (out, fake.sent.into_inner().unwrap())
}

#[test]
fn same_seed_same_requests_other_seed_other_requests() {
    let (a, sent_a) = fuzz(42, 400);
    let (b, sent_b) = fuzz(42, 400);
    let (_, sent_c) = fuzz(43, 400);
    assert_eq!(sent_a.len(), 400);
    assert_eq!(a.requests, 400);
    let first_difference = sent_a.iter().zip(&sent_b).position(|(x, y)| x != y);
    assert_eq!(
        first_difference,
        None,
        "{:?}",
        first_difference.map(|i| (&sent_a[i], &sent_b[i]))
    );
    assert!(a.trace == b.trace);
    assert!(sent_a != sent_c);
    // Every object the fuzzer names carries the run id.
    assert!(
        sent_a
            .iter()
            .any(|s| s.contains("23456789") || s.contains("ph0123456789"))
    );
}

#[test]
fn bounds_hold_and_a_crash_becomes_a_case() {
    let (out, sent) = fuzz(7, 3000);
    assert!(sent.len() <= 3000);
    assert!(out.stopped.contains("--requests"), "{}", out.stopped);
    let crash = out
        .cases
        .iter()
        .find(|c| c.check == CheckId::No5xx)
        .expect("a repeated limit in 3000 requests");
    let last = crash.steps.last().unwrap();
    assert!(last.path.matches("limit=").count() > 1, "{}", last.path);
    assert_eq!(*crash.statuses.last().unwrap(), 500);
    // Cases are ordered crashes first.
    assert_eq!(out.cases[0].check, CheckId::No5xx);
    assert!(out.findings.iter().any(|f| f.check == CheckId::No5xx));
    assert!(out.first_5xx.is_some());
}

#[test]
fn generated_requests_cover_the_surface() {
    let ops = surface();
    let mut rng = Rng::new(1);
    let world = World::default();
    let mut routes = std::collections::BTreeSet::new();
    let mut hostile = 0;
    for op in &ops {
        for i in 0..50 {
            let s = request(op, &mut rng, &world, format!("t{i}"));
            assert_eq!(s.route, op.route);
            assert_eq!(s.method, op.method);
            if s.input.kind != exchange::InputKind::Valid {
                hostile += 1;
            }
            routes.insert(s.route.clone());
        }
    }
    assert_eq!(routes.len(), 18);
    let total = ops.len() * 50;
    // Neither all valid nor all hostile.
    assert!(
        hostile > total / 10 && hostile < total * 9 / 10,
        "{hostile} of {total}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Any seed and operation give a request whose path keeps to the
    /// route's shape and whose body is JSON with placeholders only of the
    /// run's objects.
    #[test]
    fn any_seed_gives_a_well_formed_step(seed in any::<u64>(), which in 0usize..36) {
        let ops = surface();
        let op = &ops[which % ops.len()];
        let mut rng = Rng::new(seed);
        let s = request(op, &mut rng, &World::default(), "p".into());
        let fixed = op.route.split('/').filter(|p| !p.starts_with('{')).count();
        let path = s.path.split('?').next().unwrap_or("");
        prop_assert_eq!(path.split('/').count(), op.route.split('/').count(), "{}", s.path);
        prop_assert!(fixed >= 1);
        if let Some(b) = &s.body {
            let text = b.to_string();
            for placeholder in text.match_indices("$ENVIRON['") {
                let rest = &text[placeholder.0 + 10..];
                let name = &rest[..rest.find('\'').unwrap_or(0)];
                prop_assert!(name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'), "{}", name);
            }
        }
    }
}
