//! Cleanup order, 404 tolerance, retries and bounds, with a fake server.

use std::sync::Mutex;

use super::*;
use crate::guard::tests::{Fake, journal, resp};

fn block<F: Future>(f: F) -> F::Output {
    match tokio::runtime::Builder::new_current_thread().build() {
        Ok(rt) => rt.block_on(f),
        Err(e) => panic!("{e}"),
    }
}

fn e(kind: ObjectKind, id: &str, path: &str, parent: Option<&str>) -> Entry {
    Entry::new(kind, id, path).with_parent(parent)
}

fn paths(fake: &Fake) -> Vec<String> {
    fake.sent
        .lock()
        .map(|s| {
            s.iter()
                .map(|r| r.url.trim_start_matches("http://h/p").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn deletes_in_a_safe_order_and_tolerates_404() {
    let j = journal("cleanup-order");
    for entry in [
        e(
            ObjectKind::ResourceClass,
            "CUSTOM_C",
            "/resource_classes/CUSTOM_C",
            None,
        ),
        e(
            ObjectKind::Provider,
            "root",
            "/resource_providers/root",
            None,
        ),
        e(ObjectKind::Trait, "CUSTOM_T", "/traits/CUSTOM_T", None),
        e(
            ObjectKind::Provider,
            "child",
            "/resource_providers/child",
            Some("root"),
        ),
        e(
            ObjectKind::Inventory,
            "root",
            "/resource_providers/root/inventories",
            Some("root"),
        ),
        e(
            ObjectKind::Provider,
            "grandchild",
            "/resource_providers/grandchild",
            Some("child"),
        ),
        e(
            ObjectKind::Consumer,
            "c1000000-0000-4000-8000-000000000001",
            "/allocations/c1000000-0000-4000-8000-000000000001",
            None,
        ),
        e(
            ObjectKind::Inventory,
            "foreign",
            "/resource_providers/foreign/inventories",
            Some("foreign"),
        ),
        e(
            ObjectKind::Consumer,
            "c2000000-0000-4000-8000-000000000002",
            "/allocations/c2000000-0000-4000-8000-000000000002",
            None,
        ),
    ] {
        assert!(j.record(entry).is_ok());
    }
    let fake = Fake::new(|r| {
        if r.url.ends_with("/c2000000-0000-4000-8000-000000000002") || r.url.ends_with("CUSTOM_T") {
            resp(404, &[], "")
        } else {
            resp(204, &[], "")
        }
    });
    let report = block(cleanup(
        &fake,
        &j,
        &CleanupConfig::new(
            "http://h/p/",
            Some(&Persona::new("admin", crate::persona::Credential::None)),
        ),
    ));
    assert_eq!(
        paths(&fake),
        vec![
            "/allocations/c1000000-0000-4000-8000-000000000001",
            "/allocations/c2000000-0000-4000-8000-000000000002",
            "/resource_providers/foreign/inventories",
            "/resource_providers/grandchild",
            "/resource_providers/child",
            "/resource_providers/root",
            "/traits/CUSTOM_T",
            "/resource_classes/CUSTOM_C",
        ]
    );
    assert!(report.is_clean(), "{}", report.render());
    assert_eq!(report.removed.len(), 6);
    assert_eq!(report.already_gone.len(), 2);
    assert_eq!(report.with_provider.len(), 1);
    let sent = fake.sent.lock().map(|s| s.clone()).unwrap_or_default();
    assert!(sent.iter().all(|r| {
        r.method == "DELETE"
            && r.persona.as_deref() == Some("admin")
            && r.headers
                .iter()
                .any(|(n, v)| n == "openstack-api-version" && v == "placement latest")
    }));
}

#[test]
fn conflict_is_retried_and_failures_are_reported_with_status_and_reason() {
    let j = journal("cleanup-fail");
    for entry in [
        e(ObjectKind::Provider, "a", "/resource_providers/a", None),
        e(ObjectKind::Provider, "b", "/resource_providers/b", None),
        e(
            ObjectKind::ResourceClass,
            "CUSTOM_USED",
            "/resource_classes/CUSTOM_USED",
            None,
        ),
    ] {
        assert!(j.record(entry).is_ok());
    }
    // a is refused once (as if b, re-parented under it, were still there).
    let a_tries = Mutex::new(0);
    let fake = Fake::new(move |r| {
        if r.url.ends_with("/a") {
            let mut n = a_tries.lock().unwrap_or_else(|p| p.into_inner());
            *n += 1;
            if *n == 1 {
                return resp(409, &[], "");
            }
            resp(204, &[], "")
        } else if r.url.ends_with("CUSTOM_USED") {
            resp(
                409,
                &[("content-type", "application/json")],
                r#"{"errors":[{"status":409,"detail":"Error in use:\n\n class in use"}]}"#,
            )
        } else {
            resp(204, &[], "")
        }
    });
    let report = block(cleanup(&fake, &j, &CleanupConfig::new("http://h/p", None)));
    assert_eq!(
        paths(&fake),
        vec![
            "/resource_providers/a",
            "/resource_providers/b",
            "/resource_providers/a",
            "/resource_classes/CUSTOM_USED",
        ]
    );
    assert!(!report.is_clean());
    assert_eq!(report.failed.len(), 1);
    let f = report.failed.first().cloned();
    assert_eq!(f.as_ref().and_then(|f| f.status), Some(409));
    assert_eq!(
        f.map(|f| f.reason),
        Some("Error in use: class in use".to_owned())
    );
    assert!(report.render().contains("left: resource_class CUSTOM_USED"));
}

#[test]
fn bounded_in_count_and_time() {
    let j = journal("cleanup-bound");
    for i in 0..5 {
        let entry = e(
            ObjectKind::Consumer,
            &format!("c{i}"),
            &format!("/allocations/c{i}"),
            None,
        );
        assert!(j.record(entry).is_ok());
    }
    let fake = Fake::new(|_| resp(204, &[], ""));
    let mut config = CleanupConfig::new("http://h/p", None);
    config.max_objects = 2;
    let report = block(cleanup(&fake, &j, &config));
    assert_eq!(fake.count(), 2);
    assert_eq!(report.not_tried.len(), 3);
    assert!(!report.is_clean());
    config.max_objects = 100;
    config.deadline = Duration::ZERO;
    let report = block(cleanup(&fake, &j, &config));
    assert_eq!(fake.count(), 2, "no time left, nothing sent");
    assert_eq!(report.not_tried.len(), 5);
}

#[test]
fn run_with_cleanup_cleans_after_the_work() {
    let j = journal("cleanup-run");
    assert!(
        j.record(e(ObjectKind::Consumer, "c", "/allocations/c", None))
            .is_ok()
    );
    let fake = Fake::new(|_| resp(204, &[], ""));
    let config = CleanupConfig::new("http://h/p", None);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    let Ok(rt) = rt else { panic!("runtime") };
    let (finished, report) = rt.block_on(run_with_cleanup(async { 7 }, &fake, &j, &config));
    assert!(matches!(finished, Finished::Completed(7)));
    assert_eq!(report.removed.len(), 1);
}

/// A consumer id Placement wrongly accepted (trailing newline, a literal
/// `%`) is deleted at its escaped path: unescaped, a URL parser drops the
/// newline and the DELETE would hit (and "find gone") another consumer.
#[test]
fn journaled_ids_with_control_characters_are_escaped_in_the_path() {
    assert_eq!(
        super::encode_path("/allocations/c0ffee00-1234-4abc-8def-0123456789ab\n"),
        "/allocations/c0ffee00-1234-4abc-8def-0123456789ab%0A"
    );
    assert_eq!(
        super::encode_path("/allocations/c0ffee00%2D1234 x"),
        "/allocations/c0ffee00%252D1234%20x"
    );
    assert_eq!(
        super::encode_path("/resource_providers/9a1b/inventories"),
        "/resource_providers/9a1b/inventories"
    );
}

/// A consumer whose journaled id is not a canonical UUID is cleared by name
/// in a `POST /allocations` body (where Placement accepted it), never by a
/// path that Python's `$` or a URL parser could bend to another consumer.
#[test]
fn consumers_with_non_canonical_ids_are_cleared_by_post() {
    let j = journal("cleanup-post-clear");
    let odd = "c0ffee00-1234-4abc-8def-0123456789ab\n";
    assert!(
        j.record(e(
            ObjectKind::Consumer,
            odd,
            &format!("/allocations/{odd}"),
            None
        ))
        .is_ok()
    );
    let fake = Fake::new(|_| resp(204, &[], ""));
    let report = block(cleanup(&fake, &j, &CleanupConfig::new("http://h/p", None)));
    assert_eq!(paths(&fake), vec!["/allocations"]);
    let sent: Vec<crate::guard::tests::Seen> =
        fake.sent.lock().map(|s| s.clone()).unwrap_or_default();
    let Some(req) = sent.first() else {
        panic!("nothing sent")
    };
    assert_eq!(req.method, "POST");
    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
    assert_eq!(body[odd]["allocations"], serde_json::json!({}));
    assert_eq!(report.removed.len(), 1);
}

/// Found by the MariaDB deployment test: Placement 16.0.0 on MariaDB
/// stores the consumer of `PUT /allocations/<uuid>%0A` cut to its
/// VARCHAR(36), the canonical UUID, so clearing `<uuid>\n` by name answers
/// 404 ("No such consumer(s)"); the canonical id's DELETE reaches it.
#[test]
fn a_consumer_the_database_cut_to_its_canonical_uuid_is_deleted_by_it() {
    let j = journal("cleanup-cut-consumer");
    let canonical = "c0ffee00-1234-4abc-8def-0123456789ab";
    let odd = format!("{canonical}\n");
    assert!(
        j.record(e(
            ObjectKind::Consumer,
            &odd,
            &format!("/allocations/{odd}"),
            None
        ))
        .is_ok()
    );
    let fake = Fake::new(|r| {
        if r.method == "POST" {
            resp(
                404,
                &[],
                r#"{"errors": [{"detail": "No such consumer(s)"}]}"#,
            )
        } else {
            resp(204, &[], "")
        }
    });
    let report = block(cleanup(&fake, &j, &CleanupConfig::new("http://h/p", None)));
    assert_eq!(
        paths(&fake),
        vec![
            "/allocations".to_owned(),
            format!("/allocations/{canonical}")
        ]
    );
    assert!(report.is_clean(), "{}", report.render());
    assert_eq!(report.removed.len(), 1);
}

/// Found by the PostgreSQL run of scripts/scan-deployments: there the
/// write of consumer `<uuid>\n` fails (VARCHAR(36) refuses 37 characters,
/// 500) and made nothing, the clear's POST fails the same way, and the
/// canonical UUID's DELETE is a 404: nothing is left, and cleanup says so.
#[test]
fn a_consumer_the_database_refused_is_gone_not_left() {
    let j = journal("cleanup-refused-consumer");
    let canonical = "c0ffee00-1234-4abc-8def-0123456789ab";
    let odd = format!("{canonical}\n");
    assert!(
        j.record(e(
            ObjectKind::Consumer,
            &odd,
            &format!("/allocations/{odd}"),
            None
        ))
        .is_ok()
    );
    let fake = Fake::new(|r| {
        if r.method == "POST" {
            resp(
                500,
                &[],
                r#"{"errors": [{"detail": "value too long for type character varying(36)"}]}"#,
            )
        } else {
            resp(404, &[], "")
        }
    });
    let report = block(cleanup(&fake, &j, &CleanupConfig::new("http://h/p", None)));
    assert!(report.is_clean(), "{}", report.render());
    assert_eq!(report.already_gone.len(), 1);
    // A clear refused for another reason (400) with nothing at the
    // canonical id is still reported: the odd id may be there.
    let j = journal("cleanup-refused-consumer-400");
    assert!(
        j.record(e(
            ObjectKind::Consumer,
            &odd,
            &format!("/allocations/{odd}"),
            None
        ))
        .is_ok()
    );
    let fake = Fake::new(|r| {
        if r.method == "POST" {
            resp(400, &[], "{}")
        } else {
            resp(404, &[], "")
        }
    });
    let report = block(cleanup(&fake, &j, &CleanupConfig::new("http://h/p", None)));
    assert!(!report.is_clean(), "{}", report.render());
}
