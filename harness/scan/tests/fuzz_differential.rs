//! The differential oracle end to end. Against the embedded server the
//! model is the server, so any divergence is a wiring bug: none may be
//! reported. Against a fresh real Placement 16.0.0, directed steps that
//! Placement is documented to take and the model refuses are reported
//! under their table entries (a UUID spelled without dashes, a provider
//! listed twice in a 1.0 allocation list), and a seeded, bounded fuzz run
//! prints what it found, unmatched divergences included; and every entry
//! of the divergence table must fire against real Placement, each proved
//! by one request, so that no entry excuses a difference Placement never
//! makes. `fuzz --differential` without `--target` runs against the
//! embedded server and prints the summary.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use placement_harness::cli::main_with;
use placement_harness::client::{Client, ClientConfig};
use placement_harness::exchange::{self, Header};
use placement_harness::finding::{CheckId, Finding, Severity};
use placement_harness::fuzz::differential::{Differential, Model, Tally, model_config};
use placement_harness::fuzz::engine::{FuzzConfig, FuzzOutcome, SideFindings, run_fuzz_with};
use placement_harness::persona::{Persona, default_personas};
use placement_harness::run_id::RunId;
use placement_harness::target::AuthMode;
use placement_harness::transport::{ClientTransport, Transport};

mod common;
use common::{FreshPlacement, require_venv};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn personas(run_id: RunId) -> Vec<Persona> {
    default_personas(AuthMode::Noauth2, Some(run_id))
}

fn client() -> Client {
    Client::new(ClientConfig {
        concurrency: 2,
        ..ClientConfig::default()
    })
    .unwrap()
}

/// A seeded, bounded differential fuzz run against `url`.
fn differential_fuzz(
    rt: &tokio::runtime::Runtime,
    url: &str,
    run_id: RunId,
    seed: u64,
    requests: u64,
) -> (FuzzOutcome, Tally) {
    let personas = personas(run_id);
    let client = client();
    let sender = ClientTransport::new(client.clone());
    let model = Model::new(
        model_config(),
        std::sync::Arc::new(placement_harness::persona::Authenticator::new(&client)),
    )
    .unwrap();
    let base = format!("{}/", url.trim_end_matches('/'));
    let diff = Differential::new(&sender, model, &base, &personas);
    let config = FuzzConfig {
        base_url: base.clone(),
        seed,
        run_id,
        personas: personas.clone(),
        max_requests: requests,
        max_duration: Duration::from_secs(240),
        actions_per_episode: 20,
        keep_exchanges: 5000,
        health: Default::default(),
    };
    let ctx = placement_harness::scan::context::oracle_context(&personas);
    let outcome = rt.block_on(run_fuzz_with(
        &diff,
        &config,
        ctx,
        &AtomicBool::new(false),
        &diff,
    ));
    (outcome, diff.tally())
}

fn differential(findings: &[Finding]) -> Vec<&Finding> {
    findings
        .iter()
        .filter(|f| f.check == CheckId::Differential)
        .collect()
}

#[test]
fn embedded_server_and_model_never_diverge() {
    let rt = runtime();
    let run_id = RunId::generate();
    let server = rt
        .block_on(placement_refserver::spawn(
            placement_harness::serve::embedded_config(&personas(run_id)),
            SocketAddr::from(([127, 0, 0, 1], 0)),
        ))
        .unwrap();
    let (outcome, tally) = differential_fuzz(&rt, &server.url(), run_id, 7, 1200);
    let _ = rt.block_on(server.shutdown());
    for line in tally.lines() {
        eprintln!("{line}");
    }
    assert_eq!(outcome.requests, 1200);
    // Every step reached both sides and writes were read back: the test
    // would pass vacuously otherwise.
    assert!(tally.compared >= 1200, "{tally:?}");
    assert!(tally.read_backs > 300, "{tally:?}");
    assert_eq!(tally.model_errors, 0, "{tally:?}");
    let diverged: Vec<String> = differential(&outcome.findings)
        .iter()
        .map(|f| format!("{} {} {}: {}", f.severity, f.method, f.url, f.evidence))
        .collect();
    assert!(diverged.is_empty(), "{diverged:#?}");
    assert!(
        tally.unmatched.is_empty() && tally.known.is_empty(),
        "{tally:?}"
    );
}

/// Sends `steps` (method, path, body) as admin at 1.39 through `diff` and
/// returns the side findings of the last one.
fn directed<S: Transport>(
    rt: &tokio::runtime::Runtime,
    diff: &Differential<'_, S>,
    base: &str,
    admin: &Persona,
    steps: &[(&str, String, Option<String>, &str)],
) -> Vec<Finding> {
    let mut last = Vec::new();
    for (method, path, body, route) in steps {
        let mut headers = vec![
            Header::new("accept", "application/json"),
            Header::new("openstack-api-version", "placement 1.39"),
        ];
        if body.is_some() {
            headers.push(Header::new("content-type", "application/json"));
        }
        let request = exchange::Request {
            method: (*method).to_owned(),
            url: format!("{base}{path}"),
            route: (*route).to_owned(),
            persona: "admin".to_owned(),
            headers,
            body: body.clone(),
            step: Some(format!("{method} {path}")),
            ..exchange::Request::default()
        };
        let ex = rt.block_on(diff.send(request, Some(admin))).unwrap();
        assert!(ex.status() < 500, "{method} {path}: {}", ex.status());
        last = diff.take_findings();
    }
    last
}

#[test]
fn real_placement_divergences_are_reported_under_their_entries() {
    require_venv();
    let placement = FreshPlacement::start("differential");
    let rt = runtime();
    let run_id = RunId::generate();
    let personas = personas(run_id);
    let admin = personas.iter().find(|p| p.name == "admin").unwrap().clone();
    let client = client();
    let sender = ClientTransport::new(client.clone());
    let model = Model::new(
        model_config(),
        std::sync::Arc::new(placement_harness::persona::Authenticator::new(&client)),
    )
    .unwrap();
    let base = placement.url.trim_end_matches('/').to_owned();
    let diff = Differential::new(&sender, model, &format!("{base}/"), &personas);
    let rp = run_id.uuid().to_string();
    let consumer = uuid::Uuid::new_v4();
    let provider = |name: &str, rp: &str| {
        (
            "POST",
            "/resource_providers".to_owned(),
            Some(format!(r#"{{"name": "{name}-{run_id}", "uuid": "{rp}"}}"#)),
            "/resource_providers",
        )
    };
    let inventory = |rp: &str| {
        (
            "PUT",
            format!("/resource_providers/{rp}/inventories"),
            Some(r#"{"resource_provider_generation": 0, "inventories": {"VCPU": {"total": 8}, "DISK_GB": {"total": 10}}}"#.to_owned()),
            "/resource_providers/{uuid}/inventories",
        )
    };
    // A consumer UUID without dashes: Placement's uuid.UUID() takes it and
    // stores the allocation; the model refuses it.
    let bare = consumer.simple().to_string();
    let body = format!(
        r#"{{"allocations": {{"{rp}": {{"resources": {{"VCPU": 1}}}}}}, "project_id": "p-{run_id}", "user_id": "u-{run_id}", "consumer_generation": null, "consumer_type": "INSTANCE"}}"#
    );
    let found = directed(
        &rt,
        &diff,
        &base,
        &admin,
        &[
            provider("diff", &rp),
            inventory(&rp),
            (
                "PUT",
                format!("/allocations/{bare}"),
                Some(body),
                "/allocations/{consumer_uuid}",
            ),
        ],
    );
    let known: Vec<&Finding> = found
        .iter()
        .filter(|f| f.severity == Severity::Info && f.input_class == "known:uuid-spelling")
        .collect();
    assert_eq!(known.len(), 1, "{found:#?}");
    assert!(
        known[0].evidence.contains("placement/util.py"),
        "{}",
        known[0].evidence
    );
    assert!(
        known[0].evidence.contains("target answered 204"),
        "{}",
        known[0].evidence
    );

    // Before 1.12, a provider listed twice loses all but its last item in
    // Placement (handlers/allocation.py:410); the model refuses the list.
    // Another provider: the divergence above marks `rp` as diverged (its
    // usages differ now), and steps naming it are no longer compared.
    let first_rp = rp.clone();
    let rp = run_id.uuid().to_string();
    let found = directed(
        &rt,
        &diff,
        &base,
        &admin,
        &[provider("diff2", &rp), inventory(&rp)],
    );
    assert!(found.is_empty(), "{found:#?}");
    let consumer2 = uuid::Uuid::new_v4();
    let twice = format!(
        r#"{{"allocations": [{{"resource_provider": {{"uuid": "{rp}"}}, "resources": {{"VCPU": 1}}}}, {{"resource_provider": {{"uuid": "{rp}"}}, "resources": {{"DISK_GB": 2}}}}]}}"#
    );
    let request = exchange::Request {
        method: "PUT".to_owned(),
        url: format!("{base}/allocations/{consumer2}"),
        route: "/allocations/{consumer_uuid}".to_owned(),
        persona: "admin".to_owned(),
        headers: vec![
            Header::new("accept", "application/json"),
            Header::new("content-type", "application/json"),
            Header::new("openstack-api-version", "placement 1.0"),
        ],
        body: Some(twice),
        ..exchange::Request::default()
    };
    let ex = rt.block_on(diff.send(request, Some(&admin))).unwrap();
    assert_eq!(ex.status(), 204);
    let found = diff.take_findings();
    assert!(
        found
            .iter()
            .any(|f| f.input_class == "known:provider-listed-twice" && f.severity == Severity::Info),
        "{found:#?}"
    );
    let tally = diff.tally();
    assert_eq!(tally.known.get("uuid-spelling"), Some(&1), "{tally:?}");
    assert_eq!(
        tally.known.get("provider-listed-twice"),
        Some(&1),
        "{tally:?}"
    );
    assert!(tally.unmatched.is_empty(), "{tally:?}");
    // Clean up what the directed steps made.
    for path in [
        format!("/allocations/{bare}"),
        format!("/allocations/{consumer2}"),
        format!("/resource_providers/{rp}"),
        format!("/resource_providers/{first_rp}"),
    ] {
        let request = exchange::Request {
            method: "DELETE".to_owned(),
            url: format!("{base}{path}"),
            persona: "admin".to_owned(),
            headers: vec![Header::new("openstack-api-version", "placement 1.39")],
            ..exchange::Request::default()
        };
        let _ = rt.block_on(sender.send(request, Some(&admin)));
    }

    // A seeded, bounded fuzz run: known divergences come under their
    // entries; unmatched ones are printed for the reader (each is a finding
    // with both answers, medium, check `differential`).
    let (outcome, tally) = differential_fuzz(&rt, &placement.url, RunId::generate(), 3, 400);
    for line in tally.lines() {
        eprintln!("{line}");
    }
    for f in differential(&outcome.findings) {
        if f.severity != Severity::Info {
            eprintln!("unmatched: {} {}\n  {}", f.method, f.url, f.evidence);
            assert_eq!(f.cwe, "CWE-436");
            assert_eq!(f.severity, Severity::Medium);
            assert!(f.curl.starts_with("curl "), "{}", f.curl);
        } else {
            assert!(f.input_class.starts_with("known:"), "{}", f.input_class);
        }
    }
    assert!(tally.compared > 300, "{tally:?}");
    assert!(!tally.known.is_empty(), "{tally:?}");
}

#[test]
fn fuzz_differential_without_target_uses_the_embedded_server() {
    let journals = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("fuzz-diff-journals-{}", std::process::id()));
    let mut out = Vec::new();
    let mut err = Vec::new();
    let args: Vec<String> = [
        "placement-harness",
        "fuzz",
        "--differential",
        "--requests",
        "120",
        "--seed",
        "5",
        "--quiet",
        "--no-shrink",
        "--journal-dir",
        journals.to_str().unwrap(),
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let code = main_with(args, &mut out, &mut err);
    let out = String::from_utf8_lossy(&out);
    let err = String::from_utf8_lossy(&err);
    assert!(code == 0 || code == 1, "{code}\n{out}\n{err}");
    assert!(out.contains("fuzz: 120 requests"), "{out}");
    assert!(
        out.contains("differential: ") && out.contains(" 0 unmatched, 0 known"),
        "{out}"
    );
}

#[test]
fn differential_with_keystone_tokens_is_a_usage_error() {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let args: Vec<String> = [
        "placement-harness",
        "fuzz",
        "--auth",
        "token",
        "--differential",
        "--requests",
        "5",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let code = main_with(args, &mut out, &mut err);
    let err = String::from_utf8_lossy(&err);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--differential needs --auth noauth2"), "{err}");
    assert!(
        out.is_empty(),
        "nothing started: {}",
        String::from_utf8_lossy(&out)
    );
}

/// One request sent through the differential oracle to prove one entry of
/// the divergence table: (entry id, method, path below the base URL, body,
/// route template, microversion header, as admin or without credentials).
struct Probe {
    entry: &'static str,
    method: &'static str,
    path: String,
    body: Option<String>,
    route: &'static str,
    version: &'static str,
    admin: bool,
}

/// Every entry of the divergence table fires against a fresh real
/// Placement 16.0.0: each has a request that Placement answers as the
/// entry says and the model answers otherwise, so no entry is kept that
/// matches nothing real (an entry this test cannot prove must go, or the
/// behaviour it documents is not Placement's).
#[test]
fn every_divergence_entry_fires_against_real_placement() {
    use placement_harness::fuzz::divergence::DIVERGENCES;
    require_venv();
    let placement = FreshPlacement::start("divergences");
    let rt = runtime();
    let run_id = RunId::generate();
    let personas = personas(run_id);
    let admin = personas.iter().find(|p| p.name == "admin").unwrap().clone();
    let client = client();
    let sender = ClientTransport::new(client.clone());
    let model = Model::new(
        model_config(),
        std::sync::Arc::new(placement_harness::persona::Authenticator::new(&client)),
    )
    .unwrap();
    let base = placement.url.trim_end_matches('/').to_owned();
    let diff = Differential::new(&sender, model, &format!("{base}/"), &personas);
    let send = |p: &Probe| {
        let mut headers = vec![
            Header::new("accept", "application/json"),
            Header::new("openstack-api-version", p.version),
        ];
        if p.body.is_some() {
            headers.push(Header::new("content-type", "application/json"));
        }
        let request = exchange::Request {
            method: p.method.to_owned(),
            url: format!("{base}{}", p.path),
            route: p.route.to_owned(),
            persona: if p.admin { "admin" } else { "anonymous" }.to_owned(),
            headers,
            body: p.body.clone(),
            step: Some(format!("{} {}", p.method, p.path)),
            ..exchange::Request::default()
        };
        let ex = rt
            .block_on(diff.send(request, p.admin.then_some(&admin)))
            .unwrap();
        (ex.status(), diff.take_findings())
    };
    // Providers with inventory, one per probe that allocates, so that a
    // divergence on one (whose copies are then no longer compared) leaves
    // the others comparable.
    let provider = |tag: &str| {
        let rp = uuid::Uuid::new_v4().to_string();
        for p in [
            Probe {
                entry: "",
                method: "POST",
                path: "/resource_providers".to_owned(),
                body: Some(format!(r#"{{"name": "{tag}-{run_id}", "uuid": "{rp}"}}"#)),
                route: "/resource_providers",
                version: "placement 1.39",
                admin: true,
            },
            Probe {
                entry: "",
                method: "PUT",
                path: format!("/resource_providers/{rp}/inventories"),
                body: Some(r#"{"resource_provider_generation": 0, "inventories": {"VCPU": {"total": 8}, "DISK_GB": {"total": 10}}}"#.to_owned()),
                route: "/resource_providers/{uuid}/inventories",
                version: "placement 1.39",
                admin: true,
            },
        ] {
            let (status, found) = send(&p);
            assert!(status < 300 && found.is_empty(), "{tag}: {status} {found:#?}");
        }
        rp
    };
    let allocation = |rp: &str, amount: u64| {
        format!(
            r#"{{"allocations": {{"{rp}": {{"resources": {{"VCPU": {amount}}}}}}}, "project_id": "p-{run_id}", "user_id": "u-{run_id}", "consumer_generation": null, "consumer_type": "INSTANCE"}}"#
        )
    };
    let v = "placement 1.39";
    let probe = |entry, method, path: String, body: Option<String>, route| Probe {
        entry,
        method,
        path,
        body,
        route,
        version: v,
        admin: true,
    };
    let (rp1, rp2, rp3, rp4) = (
        provider("spell"),
        provider("order"),
        provider("twice"),
        provider("badkey"),
    );
    let consumer = || uuid::Uuid::new_v4();
    let mut probes = vec![
        probe(
            "uuid-spelling",
            "PUT",
            format!("/allocations/{}", consumer().simple()),
            Some(allocation(&rp1, 1)),
            "/allocations/{consumer_uuid}",
        ),
        probe(
            "unvalidated-consumer-read",
            "GET",
            format!("/allocations/not-a-uuid-{run_id}"),
            None,
            "/allocations/{consumer_uuid}",
        ),
        probe(
            "amount-above-int32",
            "GET",
            "/allocation_candidates?resources=VCPU:3000000000".to_owned(),
            None,
            "/allocation_candidates",
        ),
        probe(
            "repeated-query-key",
            "GET",
            "/allocation_candidates?resources=VCPU:1&limit=1&limit=2".to_owned(),
            None,
            "/allocation_candidates",
        ),
        probe(
            "line-break-in-query",
            "GET",
            "/allocation_candidates?resources%0A=VCPU:1".to_owned(),
            None,
            "/allocation_candidates",
        ),
        probe(
            "control-characters",
            "POST",
            "/resource_providers".to_owned(),
            Some(format!(r#"{{"name": "ctl\u0001-{run_id}"}}"#)),
            "/resource_providers",
        ),
        probe(
            "inventory-key-not-a-class",
            "PUT",
            format!("/resource_providers/{rp4}/inventories"),
            Some(
                r#"{"resource_provider_generation": 99, "inventories": {"vcpu": {"total": 1}}}"#
                    .to_owned(),
            ),
            "/resource_providers/{uuid}/inventories",
        ),
        Probe {
            version: "placement 1.039",
            ..probe(
                "loose-microversion-header",
                "GET",
                "/resource_providers".to_owned(),
                None,
                "/resource_providers",
            )
        },
        probe(
            "strict-query-values",
            "GET",
            "/resource_providers?name=".to_owned(),
            None,
            "/resource_providers",
        ),
        Probe {
            admin: false,
            ..probe(
                "auth-error-without-code",
                "GET",
                "/resource_providers".to_owned(),
                None,
                "/resource_providers",
            )
        },
        Probe {
            version: "placement 1.0",
            ..probe(
                "provider-listed-twice",
                "PUT",
                format!("/allocations/{}", consumer()),
                Some(format!(
                    r#"{{"allocations": [{{"resource_provider": {{"uuid": "{rp3}"}}, "resources": {{"VCPU": 1}}}}, {{"resource_provider": {{"uuid": "{rp3}"}}, "resources": {{"DISK_GB": 2}}}}]}}"#
                )),
                "/allocations/{consumer_uuid}",
            )
        },
        probe(
            "request-line-too-long",
            "GET",
            format!("/resource_providers?name={}", "x".repeat(5000)),
            None,
            "/resource_providers",
        ),
        probe(
            "invisible-format-characters",
            "POST",
            "/resource_providers".to_owned(),
            Some(format!(r#"{{"name": "bidi\u202e-{run_id}"}}"#)),
            "/resource_providers",
        ),
        // Placement checks the generation before it looks the traits up
        // (handlers/trait.py): 409; the model refuses the unknown trait.
        probe(
            "check-order",
            "PUT",
            format!("/resource_providers/{rp2}/traits"),
            Some(format!(
                r#"{{"resource_provider_generation": 99, "traits": ["CUSTOM_NOT_MADE_{}"]}}"#,
                run_id.to_string().to_uppercase()
            )),
            "/resource_providers/{uuid}/traits",
        ),
    ];
    let mut fired = std::collections::BTreeSet::new();
    let mut report = Vec::new();
    for p in probes.drain(..) {
        let (status, found) = send(&p);
        let classes: Vec<&str> = found.iter().map(|f| f.input_class.as_str()).collect();
        let want = format!("known:{}", p.entry);
        if classes.contains(&want.as_str()) {
            fired.insert(p.entry);
        }
        report.push(format!(
            "{}: {} {} -> target {status}, found {classes:?}",
            p.entry,
            p.method,
            p.path.chars().take(80).collect::<String>()
        ));
    }
    for line in &report {
        eprintln!("{line}");
    }
    let never: Vec<&str> = DIVERGENCES
        .iter()
        .map(|d| d.id)
        .filter(|id| !fired.contains(id))
        .collect();
    assert!(
        never.is_empty(),
        "entries that did not fire against real Placement: {never:?}\n{}",
        report.join("\n")
    );
}
