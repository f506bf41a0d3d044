//! `placement-harness digest` against the embedded server: a digest
//! written, compared unchanged (exit 0), and compared after someone made a
//! provider and a trait (exit 1, both named); an unreadable target or a
//! file that is no digest is exit 2.

// A test binary: a failed setup must fail the test loudly.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::path::PathBuf;

use placement_harness::cli::main_with;
use placement_harness::run_id::RunId;

fn digest(args: &[&str]) -> (u8, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut v = vec!["placement-harness".to_owned(), "digest".to_owned()];
    v.extend(args.iter().map(|s| (*s).to_owned()));
    let code = main_with(v, &mut out, &mut err);
    (
        code,
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
    )
}

#[test]
fn a_digest_tells_a_changed_placement_from_an_unchanged_one() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let personas = placement_harness::persona::default_personas(
        placement_harness::target::AuthMode::Noauth2,
        Some(RunId::generate()),
    );
    let server = rt
        .block_on(placement_refserver::spawn(
            placement_harness::serve::embedded_config(&personas),
            SocketAddr::from(([127, 0, 0, 1], 0)),
        ))
        .unwrap();
    let url = server.url();
    let dir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("digest-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("before.json");
    let file_s = file.to_str().unwrap();

    let (code, out, err) = digest(&["--target", &url, "--output", file_s]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("0 providers") && out.contains("sha256 "),
        "{out}"
    );
    let (code, out, _) = digest(&["--target", &url, "--compare", file_s]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("the same as"), "{out}");

    let http = reqwest::Client::new();
    rt.block_on(async {
        for (method, path, body) in [
            (
                "POST",
                "/resource_providers",
                Some(r#"{"name":"someone-else"}"#),
            ),
            ("PUT", "/traits/CUSTOM_SOMEONE_ELSE", None),
        ] {
            let mut r = http
                .request(method.parse().unwrap(), format!("{url}{path}"))
                .header("x-auth-token", "admin")
                .header("openstack-api-version", "placement 1.39")
                .header("content-type", "application/json");
            if let Some(b) = body {
                r = r.body(b);
            }
            assert!(r.send().await.unwrap().status().is_success());
        }
    });
    let (code, out, _) = digest(&["--target", &url, "--compare", file_s]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("provider added: ") && out.contains("\"someone-else\""),
        "{out}"
    );
    assert!(
        out.contains("traits: added \"CUSTOM_SOMEONE_ELSE\""),
        "{out}"
    );

    std::fs::write(&file, "not json").unwrap();
    let (code, _, err) = digest(&["--target", &url, "--compare", file_s]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--compare") && err.contains("not a digest"),
        "{err}"
    );
    let _ = rt.block_on(server.shutdown());
    let (code, _, err) = digest(&["--target", "http://127.0.0.1:9"]);
    assert_eq!(code, 2, "{err}");
}
