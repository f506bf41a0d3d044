//! A fuzz case: the steps of one episode, written with gabbi's
//! `$ENVIRON['NAME']` placeholders for the run's objects (APIFixture's
//! variable names), and the [`Env`] that binds them for one sending. The
//! same case replays on fresh objects by binding a fresh `Env`, which is
//! what shrinking does, and it is written as a gabbi file as it stands.

use std::collections::BTreeMap;

use serde_json::Value;

use super::rng::Rng;
use crate::exchange::Input;
use crate::persona::Persona;
use crate::run_id::RunId;
use crate::suite::fixture::persona_project_user;

/// APIFixture variables that hold provider UUIDs the fuzzer creates.
pub const PROVIDERS: &[(&str, &str)] = &[
    ("RP_UUID", "RP_NAME"),
    ("RP_UUID1", "RP_NAME1"),
    ("RP_UUID2", "RP_NAME2"),
];
/// APIFixture variables that hold consumer UUIDs.
pub const CONSUMERS: &[&str] = &["CONSUMER_UUID", "INSTANCE_UUID", "MIGRATION_UUID"];
/// APIFixture variables used as aggregate UUIDs.
pub const AGGREGATES: &[&str] = &["PARENT_PROVIDER_UUID", "ALT_PARENT_PROVIDER_UUID"];
/// The custom resource class the fuzzer makes.
pub const CLASS: &str = "CUSTOM_RES_CLASS";
/// The custom trait the fuzzer makes (APIFixture's second class name: it
/// fits the trait pattern too).
pub const TRAIT: &str = "CUSTOM_RES_CLASS1";

/// `$ENVIRON['NAME']`.
pub fn var(name: &str) -> String {
    format!("$ENVIRON['{name}']")
}

/// One request of a case.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// A short name, unique in the case (becomes the gabbi test name).
    pub name: String,
    /// Persona name.
    pub persona: String,
    /// HTTP method.
    pub method: String,
    /// Path and query below the base URL, with placeholders.
    pub path: String,
    /// Route template.
    pub route: String,
    /// `OpenStack-API-Version` value; `None` sends no header.
    pub microversion: Option<String>,
    /// JSON body, with placeholders in strings and keys.
    pub body: Option<Value>,
    /// What hostile input it carries.
    pub input: Input,
    /// Placeholder of the object the path names, for the tenant oracles.
    pub object: Option<String>,
    /// Sent at once with the step before it (racing writes).
    pub concurrent: bool,
}

/// The values of the placeholders for one sending of a case.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl Env {
    /// Fresh values: UUIDs and names carrying `run`'s id, drawn from `rng`;
    /// the tenants' project and user ids are those of `personas`'
    /// `tenant-a-member` and `tenant-b-member` (a Keystone persona's real
    /// ids), or the run's own when it has no such persona.
    pub fn fresh(run: RunId, rng: &mut Rng, personas: &[Persona]) -> Self {
        let mark = run.uuid();
        let mut uuid = || {
            let mut b = rng.bytes16();
            // Bytes 10..15 carry the run id (the rest of `mark` is random).
            for (slot, m) in b.iter_mut().zip(mark.as_bytes()).skip(10).take(5) {
                *slot = *m;
            }
            uuid::Builder::from_random_bytes(b)
                .into_uuid()
                .hyphenated()
                .to_string()
        };
        let mut vars = BTreeMap::new();
        for (u, n) in PROVIDERS {
            let id = uuid();
            vars.insert((*n).to_owned(), format!("fuzz-{id}"));
            vars.insert((*u).to_owned(), id);
        }
        for c in CONSUMERS.iter().chain(AGGREGATES) {
            vars.insert((*c).to_owned(), uuid());
        }
        let tag = rng.next_u64() % 0x1_0000_0000;
        vars.insert(CLASS.to_owned(), run.name(&format!("FUZZ_RC_{tag:08X}")));
        vars.insert(TRAIT.to_owned(), run.name(&format!("FUZZ_TRAIT_{tag:08X}")));
        let ids = |persona: &str, project: &str| {
            personas
                .iter()
                .find(|p| p.name == persona)
                .and_then(persona_project_user)
                .unwrap_or_else(|| (run.project_id(project), run.user_id(persona)))
        };
        let (project, user) = ids("tenant-a-member", "tenant-a");
        vars.insert("PROJECT_ID".to_owned(), project);
        vars.insert("USER_ID".to_owned(), user);
        let (project, user) = ids("tenant-b-member", "tenant-b");
        vars.insert("PROJECT_ID_ALT".to_owned(), project);
        vars.insert("USER_ID_ALT".to_owned(), user);
        Env { vars }
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// `text` with every `$ENVIRON['NAME']` this env binds replaced.
    pub fn substitute(&self, text: &str) -> String {
        if !text.contains("$ENVIRON['") {
            return text.to_owned();
        }
        let mut out = text.to_owned();
        for (k, v) in &self.vars {
            out = out.replace(&var(k), v);
        }
        out
    }

    /// `value` with placeholders replaced in every string and key.
    pub fn substitute_json(&self, value: &Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.substitute(s)),
            Value::Array(a) => Value::Array(a.iter().map(|v| self.substitute_json(v)).collect()),
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| (self.substitute(k), self.substitute_json(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}
