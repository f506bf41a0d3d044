//! The equivalent of Placement's gabbi `APIFixture`
//! (`placement/tests/functional/fixtures/gabbits.py`): the `$ENVIRON`
//! variables its gabbits read, bound to fresh values for every suite file.
//!
//! Placement's own fixture also gives each file an empty database; against
//! a running server that cannot be done, so fresh UUIDs and names are what
//! keep one file's objects apart from another's (and from an earlier run's).
//! Only the variables are provided: fixtures that create data
//! (`AllocationFixture`, `SharedStorageFixture`, ...) are not implemented,
//! and [`unsupported_fixtures`] names them so that the runner can say so.

use std::collections::BTreeMap;

/// Fixture names whose only effect (besides an empty database) is the
/// variables bound here.
pub const SUPPORTED_FIXTURES: &[&str] = &["APIFixture"];

/// Variables that APIFixture binds to a fresh UUID.
const UUID_VARS: &[&str] = &[
    "RP_UUID",
    "RP_NAME",
    "RP_UUID1",
    "RP_NAME1",
    "RP_UUID2",
    "RP_NAME2",
    "PROJECT_ID",
    "ADMIN_PROJECT_ID",
    "SERVICE_PROJECT_ID",
    "USER_ID",
    "PROJECT_ID_ALT",
    "USER_ID_ALT",
    "INSTANCE_UUID",
    "MIGRATION_UUID",
    "CONSUMER_UUID",
    "PARENT_PROVIDER_UUID",
    "ALT_PARENT_PROVIDER_UUID",
];

/// Variables that APIFixture binds to fixed resource class names.
const FIXED_VARS: &[(&str, &str)] = &[
    ("CUSTOM_RES_CLASS", "CUSTOM_IRON_NFV"),
    ("CUSTOM_RES_CLASS1", "CUSTOM_IRON_NFV1"),
    ("CUSTOM_RES_CLASS2", "CUSTOM_IRON_NFV2"),
];

/// `$ENVIRON` for one suite file: the process environment (as gabbi reads
/// `os.environ`), then APIFixture's variables over it, as the fixture's
/// assignments to `os.environ` override what was there.
pub fn suite_environ(
    process: impl IntoIterator<Item = (String, String)>,
) -> BTreeMap<String, String> {
    let mut env: BTreeMap<String, String> = process.into_iter().collect();
    for name in UUID_VARS {
        env.insert(
            (*name).to_owned(),
            uuid::Uuid::new_v4().hyphenated().to_string(),
        );
    }
    for (name, value) in FIXED_VARS {
        env.insert((*name).to_owned(), (*value).to_owned());
    }
    env
}

/// The fixtures of a suite that this runner does not provide.
pub fn unsupported_fixtures(fixtures: &[String]) -> Vec<&str> {
    fixtures
        .iter()
        .map(String::as_str)
        .filter(|f| !SUPPORTED_FIXTURES.contains(f))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_values_per_call_and_fixture_wins_over_process() {
        let a = suite_environ([("RP_UUID".to_owned(), "x".to_owned())]);
        let b = suite_environ([("HOME".to_owned(), "/h".to_owned())]);
        assert_ne!(a.get("RP_UUID"), Some(&"x".to_owned()));
        assert_ne!(a.get("RP_UUID"), b.get("RP_UUID"));
        assert_eq!(b.get("HOME").map(String::as_str), Some("/h"));
        assert_eq!(
            a.get("CUSTOM_RES_CLASS").map(String::as_str),
            Some("CUSTOM_IRON_NFV")
        );
        let rp = a.get("RP_UUID").cloned().unwrap_or_default();
        assert!(uuid::Uuid::parse_str(&rp).is_ok(), "{rp}");
    }

    #[test]
    fn names_unsupported_fixtures() {
        let f = vec!["APIFixture".to_owned(), "AllocationFixture".to_owned()];
        assert_eq!(unsupported_fixtures(&f), vec!["AllocationFixture"]);
    }
}
