//! Every command that sends traffic takes `--cacert FILE` and `--insecure`
//! (issue 3, "Client"), and a CA bundle that cannot be read is a usage
//! error (exit 2) naming the option, before anything is sent.

use std::process::Command;

fn harness(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_placement-harness"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap_or_else(|e| panic!("placement-harness: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn traffic_commands_take_cacert_and_insecure() {
    for command in ["scan", "run", "fuzz", "cleanup"] {
        let out = Command::new(env!("CARGO_BIN_EXE_placement-harness"))
            .args([command, "--help"])
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(
            help.contains("--cacert <FILE>") && help.contains("--insecure"),
            "{command} --help:\n{help}"
        );
    }
}

#[test]
fn an_unreadable_ca_bundle_is_a_usage_error() {
    let missing = "/nonexistent/placement-harness-ca.pem";
    for args in [
        vec![
            "scan",
            "--target",
            "https://127.0.0.1:9",
            "--snapshots",
            "off",
        ],
        vec![
            "run",
            "--target",
            "https://127.0.0.1:9",
            "../../scenarios/smoke.yaml",
        ],
        vec!["fuzz", "--target", "https://127.0.0.1:9", "--requests", "1"],
    ] {
        let mut args = args.clone();
        args.extend(["--cacert", missing]);
        let (code, err) = harness(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains("--cacert") && err.contains(missing),
            "{args:?}: {err}"
        );
    }
}
