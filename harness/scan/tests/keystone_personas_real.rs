//! Keystone personas against a real Keystone 30.0.0 (`scripts/placement-up
//! --auth keystone`: fernet, a user per persona made through Keystone's
//! API, keystonemiddleware in front of Placement): `personas check` states
//! for each what its token says, not what its name suggests, including a
//! system-scoped admin, an unscoped user without roles and an application
//! credential; a wrong password is refused once, with exit 2, naming the
//! persona and never the password.

// A test binary: a failed setup must fail the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::ffi::OsStr;
use std::process::Command;

mod common;
use common::{FreshPlacement, repo, require_venv};

fn check(personas: &std::path::Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_placement-harness"))
        .args(["personas", "check", "--auth", "token", "--personas"])
        .arg(personas)
        .current_dir(repo())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn line<'a>(out: &'a str, persona: &str) -> &'a str {
    out.lines()
        .find(|l| l.starts_with(&format!("{persona}: ")))
        .unwrap_or_else(|| panic!("no line for {persona}:\n{out}"))
}

#[test]
fn personas_are_what_their_keystone_tokens_say() {
    require_venv();
    let server = FreshPlacement::start_with(
        "keystone-personas",
        &[OsStr::new("--auth"), OsStr::new("keystone")],
    );
    let personas = server.state_dir.join("personas.yaml");
    let (code, out, err) = check(&personas);
    assert_eq!(code, 0, "{out}\n{err}");
    let a_admin = line(&out, "tenant-a-admin");
    assert!(
        a_admin.contains("project tenant-a (")
            && a_admin.contains("admin")
            && a_admin.contains("(privileged)"),
        "{a_admin}"
    );
    let a_reader = line(&out, "tenant-a-reader");
    assert!(
        a_reader.contains("roles reader;") && !a_reader.contains("privileged"),
        "{a_reader}"
    );
    assert!(line(&out, "norole").contains("unscoped, no roles"), "{out}");
    assert!(
        line(&out, "system-admin").contains("system all, roles admin"),
        "{out}"
    );
    let app = line(&out, "tenant-a-member-appcred");
    assert!(
        app.contains("Keystone application credential: user tenant-a-member")
            && app.contains("project tenant-a (")
            && app.contains("member"),
        "{app}"
    );
    // The same project id for every tenant-a persona: the real one.
    let project = |l: &str| {
        l.split("project tenant-a (")
            .nth(1)
            .and_then(|r| r.split(',').next())
            .map(str::to_owned)
    };
    assert_eq!(project(a_admin), project(a_reader));
    assert_eq!(project(a_admin), project(app));
    for secret in std::fs::read_dir(server.state_dir.join("keystone/secrets"))
        .unwrap()
        .flatten()
    {
        let value = std::fs::read_to_string(secret.path()).unwrap();
        assert!(
            !out.contains(value.trim()) && !err.contains(value.trim()),
            "a secret was printed"
        );
    }

    // A wrong password: one refusal, exit 2, the persona named.
    let wrong = server.state_dir.join("wrong.yaml");
    let text = std::fs::read_to_string(&personas).unwrap();
    let ks = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("auth_url: "))
        .unwrap()
        .trim_matches('"')
        .to_owned();
    std::fs::write(
        &wrong,
        format!("personas:\n  - name: tenant-a-reader\n    keystone: {{auth_url: \"{ks}\", username: tenant-a-reader, password: hunter2-not-it, user_domain_name: Default, project_name: tenant-a, project_domain_name: Default}}\n"),
    )
    .unwrap();
    let (code, out, err) = check(&wrong);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(
        err.contains("persona tenant-a-reader: Keystone authentication at") && err.contains("401"),
        "{err}"
    );
    assert!(!format!("{out}{err}").contains("hunter2"));
}
