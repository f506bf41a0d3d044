//! The guard with a fake transport that counts what reaches it.

use std::path::PathBuf;
use std::sync::Mutex;

use super::*;
use crate::suite::run::RunConfig;
use crate::suite::{Suite, parse_suite, run_suite};

/// What reached the fake: the request as sent and the persona it was sent
/// as (in the suite runner's shape, which the assertions read easily).
pub(crate) type Seen = crate::suite::Request;

type Reply = Box<dyn Fn(&Seen) -> exchange::Response + Send + Sync>;

/// A transport that answers with `reply` and remembers every request.
pub(crate) struct Fake {
    pub sent: Mutex<Vec<Seen>>,
    reply: Reply,
}

impl Fake {
    pub fn new(reply: impl Fn(&Seen) -> exchange::Response + Send + Sync + 'static) -> Fake {
        Fake {
            sent: Mutex::new(Vec::new()),
            reply: Box::new(reply),
        }
    }

    pub fn count(&self) -> usize {
        self.sent.lock().map(|s| s.len()).unwrap_or(usize::MAX)
    }
}

impl Transport for Fake {
    async fn send(
        &self,
        request: Request,
        persona: Option<&Persona>,
    ) -> Result<Exchange, TransportError> {
        let seen = Seen {
            method: request.method.clone(),
            url: request.url.clone(),
            headers: exchange::header_pairs(&request.headers),
            body: request.body.clone().unwrap_or_default().into_bytes(),
            follow_redirects: false,
            persona: persona.map(|p| p.name.clone()),
        };
        let r = (self.reply)(&seen);
        if let Ok(mut s) = self.sent.lock() {
            s.push(seen);
        }
        Ok(Exchange::new(request, r))
    }
    async fn sleep(&self, _: Duration) {}
}

/// Sending without a persona, as the tests here do.
pub(crate) trait AsWritten {
    fn send_as_written(
        &self,
        request: Request,
    ) -> impl std::future::Future<Output = Result<Exchange, TransportError>>;
}

impl<T: Transport> AsWritten for T {
    fn send_as_written(
        &self,
        request: Request,
    ) -> impl std::future::Future<Output = Result<Exchange, TransportError>> {
        self.send(request, None)
    }
}

pub(crate) fn resp(status: u16, headers: &[(&str, &str)], body: &str) -> exchange::Response {
    exchange::Response {
        status,
        headers: headers
            .iter()
            .map(|(n, v)| exchange::Header::new(n, v))
            .collect(),
        body: body.as_bytes().to_vec(),
        ..exchange::Response::default()
    }
}

pub(crate) fn req(method: &str, path: &str, body: &str) -> Request {
    crate::transport::plain_request(
        method,
        &format!("http://127.0.0.1:1/placement{path}"),
        &[],
        body.as_bytes(),
    )
}

pub(crate) fn journal(tag: &str) -> Arc<Journal> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/tmp/guard-tests")
        .join(format!("{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    match Journal::create(&dir, RunId::generate(), "http://127.0.0.1:1/placement") {
        Ok(j) => Arc::new(j),
        Err(e) => panic!("{e}"),
    }
}

fn guard(fake: Fake, tag: &str, read_only: bool, ownership: Ownership) -> GuardedTransport<Fake> {
    GuardedTransport::new(fake, journal(tag), "/placement", read_only, ownership)
}

fn block<F: std::future::Future>(f: F) -> F::Output {
    match tokio::runtime::Builder::new_current_thread().build() {
        Ok(rt) => rt.block_on(f),
        Err(e) => panic!("{e}"),
    }
}

fn suite(yaml: &str) -> Suite {
    match parse_suite(yaml, std::path::Path::new("t.yaml")) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn read_only_skips_writes_without_sending_them() {
    let g = guard(
        Fake::new(|_| resp(200, &[], "")),
        "ro",
        true,
        Ownership::Strict,
    );
    let s = suite(
        "tests:\n- name: list\n  GET: /placement/resource_providers\n\
         - name: make\n  POST: /placement/resource_providers\n  data: {name: x}\n  status: 201\n\
         - name: drop\n  DELETE: /placement/traits/CUSTOM_X\n  status: 204\n",
    );
    let report = block(run_suite(&s, &g, &RunConfig::new("http://127.0.0.1:1")));
    let outcomes: Vec<_> = report.results.iter().map(|r| r.outcome.clone()).collect();
    assert_eq!(
        outcomes,
        vec![
            crate::suite::Outcome::Passed,
            crate::suite::Outcome::Skipped(READ_ONLY.to_owned()),
            crate::suite::Outcome::Skipped(READ_ONLY.to_owned()),
        ]
    );
    assert_eq!(g.inner().count(), 1, "only the GET reached the server");
    // Sent directly, a write is refused, not sent.
    for m in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        let e = block(g.send_as_written(req(m, "/resource_providers", "{}"))).err();
        assert!(
            e.map(|e| e.0.contains(READ_ONLY)).unwrap_or(false),
            "{m} not refused"
        );
    }
    assert!(block(g.send_as_written(req("HEAD", "/", ""))).is_ok());
    assert_eq!(g.inner().count(), 2);
}

#[test]
fn strict_refuses_objects_the_run_does_not_own_before_sending() {
    let g = guard(
        Fake::new(|r| {
            if r.method == "POST" && r.url.ends_with("/resource_providers") {
                let at = format!("/placement/resource_providers/{}", uuid::Uuid::new_v4());
                resp(201, &[("location", &at)], "")
            } else {
                resp(204, &[], "")
            }
        }),
        "own",
        false,
        Ownership::Strict,
    );
    let run = g.journal().run_id();
    let foreign = uuid::Uuid::new_v4().to_string();
    let mine = run.uuid_string();
    let refused = [
        req("DELETE", &format!("/resource_providers/{foreign}"), ""),
        req(
            "PUT",
            &format!("/resource_providers/{foreign}"),
            r#"{"name":"x"}"#,
        ),
        req(
            "PUT",
            &format!("/resource_providers/{foreign}/inventories"),
            "{}",
        ),
        req(
            "POST",
            &format!("/resource_providers/{foreign}/inventories"),
            "{}",
        ),
        req(
            "DELETE",
            &format!("/resource_providers/{}/traits", foreign.to_uppercase()),
            "",
        ),
        req("DELETE", &format!("/allocations/{foreign}"), ""),
        req(
            "PUT",
            &format!("/allocations/{foreign}"),
            r#"{"allocations":{}}"#,
        ),
        req("DELETE", "/traits/CUSTOM_OPERATOR", ""),
        req("PUT", "/resource_classes/CUSTOM_OPERATOR", ""),
        req("DELETE", "/resource_classes/CUSTOM_OPERATOR", ""),
        req("DELETE", "/resource_providers/not-a-uuid", ""),
        // Our consumer, but allocated from someone else's provider.
        req(
            "PUT",
            &format!("/allocations/{mine}"),
            &format!(r#"{{"allocations":{{"{foreign}":{{"resources":{{"VCPU":1}}}}}}}}"#),
        ),
        req(
            "PUT",
            &format!("/allocations/{mine}"),
            &format!(
                r#"{{"allocations":[{{"resource_provider":{{"uuid":"{foreign}"}},"resources":{{"VCPU":1}}}}]}}"#
            ),
        ),
        req(
            "POST",
            "/allocations",
            &format!(r#"{{"{foreign}":{{"allocations":{{}}}}}}"#),
        ),
        req(
            "POST",
            "/resource_providers",
            &format!(r#"{{"name":"n","parent_provider_uuid":"{foreign}"}}"#),
        ),
        req(
            "POST",
            "/reshaper",
            &format!(r#"{{"inventories":{{"{foreign}":{{}}}},"allocations":{{}}}}"#),
        ),
        // Our provider into someone else's aggregate, in both body forms.
        req(
            "PUT",
            &format!("/resource_providers/{mine}/aggregates"),
            &format!(r#"{{"aggregates":["{foreign}"],"resource_provider_generation":0}}"#),
        ),
        req(
            "PUT",
            &format!("/resource_providers/{mine}/aggregates"),
            &format!(r#"["{foreign}"]"#),
        ),
        // A foreign UUID in a spelling Python reads as the same UUID.
        req("DELETE", &format!("/resource_providers/{{{foreign}}}"), ""),
    ];
    for r in refused {
        let what = format!("{} {}", r.method, r.url);
        match block(g.send_as_written(r)) {
            Err(e) => assert!(e.0.contains("refused before sending"), "{what}: {e}"),
            Ok(_) => panic!("{what} was sent"),
        }
    }
    assert_eq!(g.inner().count(), 0, "nothing refused reached the server");

    let allowed = [
        req("DELETE", &format!("/resource_providers/{mine}"), ""),
        req(
            "DELETE",
            &format!(
                "/resource_providers/{}",
                mine.to_uppercase().replace('-', "")
            ),
            "",
        ),
        req(
            "DELETE",
            &format!("/resource_providers/urn:uuid:{mine}"),
            "",
        ),
        req(
            "DELETE",
            &format!("/resource_providers/{run}-not-a-uuid"),
            "",
        ),
        req("PUT", &format!("/traits/{}", run.name("t")), ""),
        req("PUT", &format!("/resource_classes/{}", run.name("c")), ""),
        req(
            "PUT",
            &format!("/allocations/{}", run.uuid_string()),
            &format!(r#"{{"allocations":{{"{mine}":{{"resources":{{"VCPU":1}}}}}}}}"#),
        ),
        req("POST", "/resource_providers", r#"{"name":"anything"}"#),
        req(
            "PUT",
            &format!("/resource_providers/{mine}/aggregates"),
            &format!(
                r#"{{"aggregates":["{}"],"resource_provider_generation":0}}"#,
                run.uuid()
            ),
        ),
        req("POST", "/resource_classes", r#"{"name":"CUSTOM_X"}"#),
        req("POST", "/allocations", "not json: the server refuses it"),
    ];
    let n = allowed.len();
    for r in allowed {
        let what = format!("{} {}", r.method, r.url);
        if let Err(e) = block(g.send_as_written(r)) {
            panic!("{what}: {e}");
        }
    }
    assert_eq!(g.inner().count(), n);
}

/// A redirect is a new request the guard judges again: a strict write
/// redirected to someone else's object is not followed (the 3xx is the
/// answer the test sees), one redirected to the run's own object is.
#[test]
fn a_redirected_write_is_judged_again_at_its_new_target() {
    let run_of = |j: &Arc<Journal>| j.run_id();
    let j = journal("redirect");
    let mine = run_of(&j).uuid_string();
    let foreign = uuid::Uuid::new_v4().to_string();
    let to = |uuid: &str| format!("/placement/resource_providers/{uuid}");
    let (to_foreign, to_mine) = (to(&foreign), to(&mine));
    let fake = Fake::new(move |r| {
        if r.url.ends_with("/old-foreign") {
            resp(307, &[("location", &to_foreign)], "")
        } else if r.url.ends_with("/old-mine") {
            resp(307, &[("location", &to_mine)], "")
        } else {
            resp(204, &[], "")
        }
    });
    let g = GuardedTransport::new(fake, j, "/placement", false, Ownership::Strict);
    let marked = |what: &str| format!("{}-{what}", run_of(g.journal()).name("rp"));
    let s = suite(&format!(
        "tests:\n- name: foreign\n  DELETE: /placement/resource_providers/{}/old-foreign\n  \
         redirects: true\n  status: 204\n\
         - name: mine\n  DELETE: /placement/resource_providers/{}/old-mine\n  \
         redirects: true\n  status: 204\n",
        marked("a"),
        marked("b"),
    ));
    let report = block(run_suite(&s, &g, &RunConfig::new("http://127.0.0.1:1")));
    let sent: Vec<String> = g
        .inner()
        .sent
        .lock()
        .map(|s| s.iter().map(|r| r.url.clone()).collect())
        .unwrap_or_default();
    assert!(
        !sent.iter().any(|u| u.contains(&foreign)),
        "the redirect to a foreign provider was followed: {sent:?}"
    );
    assert!(
        sent.iter().any(|u| u.ends_with(&mine)),
        "the redirect to the run's own provider was not followed: {sent:?}"
    );
    let outcomes: Vec<_> = report.results.iter().map(|r| r.outcome.clone()).collect();
    assert!(
        matches!(&outcomes[0], crate::suite::Outcome::Failed(f) if f.iter().any(|m| m.contains("refused before sending"))),
        "{outcomes:?}"
    );
    assert_eq!(outcomes[1], crate::suite::Outcome::Passed);
}

#[test]
fn created_objects_become_ours_and_disposable_allows_anything() {
    let foreign = uuid::Uuid::new_v4().to_string();
    let f2 = foreign.clone();
    let g = guard(
        Fake::new(move |r| {
            if r.method == "POST" {
                resp(
                    201,
                    &[("Location", &format!("/placement/resource_providers/{f2}"))],
                    "",
                )
            } else {
                resp(204, &[], "")
            }
        }),
        "created",
        false,
        Ownership::Strict,
    );
    // A provider the run created with an unmarked UUID is the run's.
    assert!(
        block(g.send_as_written(req("POST", "/resource_providers", r#"{"name":"x"}"#))).is_ok()
    );
    assert!(
        block(g.send_as_written(req("DELETE", &format!("/resource_providers/{foreign}"), "")))
            .is_ok()
    );

    let d = guard(
        Fake::new(|_| resp(204, &[], "")),
        "disposable",
        false,
        Ownership::DisposableTarget,
    );
    assert!(block(d.send_as_written(req("DELETE", "/traits/CUSTOM_OPERATOR", ""))).is_ok());
    assert!(
        block(d.send_as_written(req("DELETE", &format!("/resource_providers/{foreign}"), "")))
            .is_ok()
    );
    assert_eq!(d.inner().count(), 2);
}

#[test]
fn records_from_location_bodies_and_statuses() {
    let run_uuid = uuid::Uuid::new_v4().to_string();
    let body_uuid = uuid::Uuid::new_v4().to_string();
    let (a, b) = (run_uuid.clone(), body_uuid.clone());
    let g = guard(
        Fake::new(move |r| match (r.method.as_str(), r.url.as_str()) {
            _ if r.body == b"bad" => resp(400, &[], ""),
            ("POST", u)
                if u.ends_with("/resource_providers") && r.body.starts_with(b"{\"name\":\"old") =>
            {
                resp(
                    201,
                    &[(
                        "location",
                        &format!("http://127.0.0.1:1/placement/resource_providers/{a}"),
                    )],
                    "",
                )
            }
            ("POST", u) if u.ends_with("/resource_providers") => resp(
                200,
                &[("content-type", "application/json")],
                &format!(r#"{{"uuid":"{b}","name":"new"}}"#),
            ),
            ("PUT", u) if u.contains("CUSTOM_EXISTS") => resp(204, &[], ""),
            ("PUT", u) if u.contains("/traits/") || u.contains("/resource_classes/") => {
                resp(201, &[], "")
            }
            ("PUT", u) if u.contains("/allocations/") => resp(204, &[], ""),
            ("POST", u) if u.ends_with("/allocations") => resp(204, &[], ""),
            _ => resp(400, &[], ""),
        }),
        "record",
        false,
        Ownership::DisposableTarget,
    );
    let run = g.journal().run_id();
    let c1 = run.uuid_string();
    let c2 = run.uuid_string();
    let c3 = run.uuid_string();
    for r in [
        req("POST", "/resource_providers", r#"{"name":"old"}"#),
        req(
            "POST",
            "/resource_providers",
            &format!(r#"{{"name":"new","parent_provider_uuid":"{run_uuid}"}}"#),
        ),
        req("PUT", "/traits/CUSTOM_NEW", ""),
        req("PUT", "/traits/CUSTOM_EXISTS", ""),
        req("PUT", "/resource_classes/CUSTOM_NEW", ""),
        req(
            "PUT",
            &format!("/allocations/{c1}"),
            r#"{"allocations":{}}"#,
        ),
        req(
            "POST",
            "/allocations",
            &format!(r#"{{"{c2}":{{"allocations":{{}}}},"{c3}":{{"allocations":{{}}}}}}"#),
        ),
        // Failed writes create nothing.
        req("PUT", "/traits/x", "bad"),
        req("DELETE", "/resource_classes/CUSTOM_NEW", ""),
    ] {
        let _ = block(g.send_as_written(r));
    }
    let mut got: Vec<(ObjectKind, String, Option<String>)> = g
        .journal()
        .entries()
        .into_iter()
        .map(|e| (e.kind, e.id, e.parent))
        .collect();
    // POST /allocations records its consumers in the body's key order.
    got.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut consumers = [c1, c2, c3];
    consumers.sort();
    let [c1, c2, c3] = consumers;
    let mut providers = [
        (run_uuid.clone(), None),
        (body_uuid.clone(), Some(run_uuid.clone())),
    ];
    providers.sort();
    let [(p1, pp1), (p2, pp2)] = providers;
    assert_eq!(
        got,
        vec![
            (ObjectKind::Consumer, c1, None),
            (ObjectKind::Consumer, c2, None),
            (ObjectKind::Consumer, c3, None),
            (ObjectKind::Provider, p1, pp1),
            (ObjectKind::Provider, p2, pp2),
            (ObjectKind::Trait, "CUSTOM_NEW".to_owned(), None),
            (ObjectKind::ResourceClass, "CUSTOM_NEW".to_owned(), None),
        ]
    );
    // Written to disk as it went, not at the end.
    let reread = Journal::open_existing(
        g.journal()
            .path()
            .parent()
            .unwrap_or(std::path::Path::new(".")),
        run,
    )
    .map(|j| j.entries().len());
    assert_eq!(reread.ok(), Some(7));
}

/// PUT /allocations/{consumer} canonicalises the path with Python's
/// uuid.UUID, so a spelling such as `{UUID` (one brace) makes the canonical
/// consumer; the journal must name that one, or cleanup asks for an id
/// Placement refuses (400) and reports the run unclean.
#[test]
fn a_spelled_consumer_path_is_journaled_as_placement_stores_it() {
    let g = guard(
        Fake::new(|_| resp(204, &[], "")),
        "spelled-consumer",
        false,
        Ownership::DisposableTarget,
    );
    let canonical = uuid::Uuid::new_v4().hyphenated().to_string();
    let spellings = [
        format!("%7B{canonical}"),
        canonical.to_ascii_uppercase(),
        canonical.replace('-', ""),
    ];
    for s in &spellings {
        let _ = block(g.send_as_written(req(
            "PUT",
            &format!("/allocations/{s}"),
            r#"{"allocations":{}}"#,
        )));
    }
    // Not a UUID to Python either: kept as written.
    let _ = block(g.send_as_written(req(
        "PUT",
        "/allocations/not-a-uuid",
        r#"{"allocations":{}}"#,
    )));
    let ids: Vec<String> = g.journal().entries().into_iter().map(|e| e.id).collect();
    assert!(
        ids.iter().filter(|i| **i == canonical).count() >= 1,
        "{ids:?}"
    );
    assert!(
        ids.iter().all(|i| *i == canonical || i == "not-a-uuid"),
        "{ids:?}"
    );
}

#[test]
fn python_uuid_spellings() {
    let u = uuid::Uuid::new_v4();
    let h = u.hyphenated().to_string();
    for s in [
        h.clone(),
        h.to_uppercase(),
        h.replace('-', ""),
        format!("{{{h}}}"),
        format!("urn:uuid:{h}"),
        format!("{}-{}", &h[..3], h[3..].replace('-', "")),
    ] {
        assert_eq!(python_uuid(&s), Some(u), "{s}");
    }
    assert_eq!(python_uuid("x"), None);
    assert_eq!(python_uuid(&h[1..]), None);
}

/// A write answered 5xx may still have taken effect (a backend that
/// commits before the handler fails): what it names of the run's own is
/// journaled, so that cleanup tries it; a 4xx is a refusal and journals
/// nothing, and a 5xx naming someone else's object journals nothing
/// either.
#[test]
fn a_5xx_write_journals_what_it_names_of_the_runs_own() {
    let g = guard(
        Fake::new(|r| {
            if r.body == b"refused" {
                resp(400, &[], "")
            } else {
                resp(500, &[], "")
            }
        }),
        "5xx",
        false,
        Ownership::DisposableTarget,
    );
    let run = g.journal().run_id();
    let provider = run.uuid_string();
    let consumer = run.uuid_string();
    let trait_name = format!("CUSTOM_T_{}", run.to_string().to_ascii_uppercase());
    let class = format!("CUSTOM_RC_{}", run.to_string().to_ascii_uppercase());
    let foreign = uuid::Uuid::new_v4().to_string();
    for r in [
        req(
            "POST",
            "/resource_providers",
            &format!(r#"{{"name":"p","uuid":"{provider}"}}"#),
        ),
        req(
            "PUT",
            &format!("/allocations/{consumer}"),
            r#"{"allocations":{}}"#,
        ),
        req("PUT", &format!("/traits/{trait_name}"), ""),
        req(
            "POST",
            "/resource_classes",
            &format!(r#"{{"name":"{class}"}}"#),
        ),
        // Someone else's (allowed on a disposable target): not the run's.
        req(
            "POST",
            "/resource_providers",
            &format!(r#"{{"name":"q","uuid":"{foreign}"}}"#),
        ),
        // No uuid: nothing to find again, and no error either.
        req("POST", "/resource_providers", r#"{"name":"r"}"#),
        // Refused: nothing was made, but the run's own name was journaled
        // before sending (a kill before the answer must not lose it);
        // cleanup's DELETE then finds it gone.
        req(
            "PUT",
            &format!("/traits/CUSTOM_NO_{}", run.to_string().to_ascii_uppercase()),
            "refused",
        ),
    ] {
        let sent = block(g.send_as_written(r));
        assert!(sent.is_ok(), "{sent:?}");
    }
    let mut got: Vec<(ObjectKind, String)> = g
        .journal()
        .entries()
        .into_iter()
        .map(|e| (e.kind, e.id))
        .collect();
    got.sort();
    let mut want = vec![
        (ObjectKind::Consumer, consumer),
        (ObjectKind::Provider, provider),
        (ObjectKind::Trait, trait_name),
        (
            ObjectKind::Trait,
            format!("CUSTOM_NO_{}", run.to_string().to_ascii_uppercase()),
        ),
        (ObjectKind::ResourceClass, class),
    ];
    want.sort();
    assert_eq!(got, want);
}

/// Writes whose effect no cleanup could undo never reach a deployment: a
/// class name Placement stores with its trailing newline (its router
/// drops the newline, so nothing can delete it), and consumer types other
/// than Nova's (Placement has no API that removes one). A disposable
/// target gets them; the cleanup then names what is left, exactly.
#[test]
fn writes_no_cleanup_could_undo_are_not_sent_to_a_deployment() {
    let g = guard(
        Fake::new(|_| resp(201, &[], "")),
        "undoable",
        false,
        Ownership::Strict,
    );
    let run = g.journal().run_id();
    let consumer = run.uuid_string();
    let v = |version: &str, r: Request| {
        let mut r = r;
        r.headers.push(exchange::Header::new(
            "openstack-api-version",
            &format!("placement {version}"),
        ));
        r
    };
    let alloc = |t: &str| {
        format!(
            r#"{{"allocations":{{}},"project_id":"p","user_id":"u","consumer_generation":null,"consumer_type":{t}}}"#
        )
    };
    let refused = [
        req("POST", "/resource_classes", r#"{"name":"CUSTOM_SSD\n"}"#),
        v(
            "1.38",
            req(
                "PUT",
                &format!("/allocations/{consumer}"),
                &alloc(r#""ALLFOO""#),
            ),
        ),
        v(
            "latest",
            req(
                "PUT",
                &format!("/allocations/{consumer}"),
                &alloc(r#""INSTANCE\n""#),
            ),
        ),
        v(
            "1.39",
            req(
                "POST",
                "/allocations",
                &format!(r#"{{"{consumer}":{}}}"#, alloc(r#""BACKUP""#)),
            ),
        ),
    ];
    for r in refused {
        let what = format!("{} {} {:?}", r.method, r.url, r.body);
        let reason = g
            .guard()
            .refusal(&r)
            .unwrap_or_else(|| panic!("{what}: sent"));
        assert!(
            reason.contains("which no cleanup could remove"),
            "{what}: {reason}"
        );
    }
    let allowed = [
        req("POST", "/resource_classes", r#"{"name":"CUSTOM_SSD"}"#),
        // Placement refuses these with 400: nothing is made.
        req("POST", "/resource_classes", r#"{"name":"custom_ssd"}"#),
        v(
            "1.38",
            req(
                "PUT",
                &format!("/allocations/{consumer}"),
                &alloc(r#""lower""#),
            ),
        ),
        v(
            "1.38",
            req(
                "PUT",
                &format!("/allocations/{consumer}"),
                &alloc(r#""INSTANCE""#),
            ),
        ),
        // Before 1.38 the key is refused by the schema.
        v(
            "1.36",
            req(
                "PUT",
                &format!("/allocations/{consumer}"),
                &alloc(r#""ALLFOO""#),
            ),
        ),
    ];
    for r in allowed {
        let what = format!("{} {} {:?}", r.method, r.url, r.body);
        assert_eq!(g.guard().refusal(&r), None, "{what}");
    }

    // A disposable target gets the write; cleanup says what is left.
    let d = guard(
        Fake::new(|_| resp(201, &[], "")),
        "undoable-disposable",
        false,
        Ownership::DisposableTarget,
    );
    block(d.send_as_written(req(
        "POST",
        "/resource_classes",
        r#"{"name":"CUSTOM_SSD\n"}"#,
    )))
    .unwrap_or_else(|e| panic!("{e}"));
    let config = crate::cleanup::CleanupConfig::new("http://127.0.0.1:1/placement", None);
    let report = block(crate::cleanup::cleanup(d.inner(), d.journal(), &config));
    assert!(!report.is_clean());
    let text = report.render();
    assert!(
        text.contains(r#"left: resource_class "CUSTOM_SSD\n""#)
            && text.contains("trailing newline"),
        "{text}"
    );
    // No DELETE was sent for it: it would have reached CUSTOM_SSD.
    assert_eq!(d.inner().count(), 1);
}
