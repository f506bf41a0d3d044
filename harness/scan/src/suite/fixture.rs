//! Gabbi fixtures as built-in setup routines.
//!
//! `APIFixture` (Placement's `placement/tests/functional/fixtures/
//! gabbits.py`) binds the `$ENVIRON` variables its gabbits read to fresh
//! values for every suite file. Placement's own fixture also gives each
//! file an empty database; against a running server that cannot be done,
//! so fresh UUIDs and names are what keep one file's objects apart from
//! another's (and from an earlier run's). Under a run id
//! ([`suite_environ_in`]) those UUIDs and names carry the run id, so that
//! the guard lets the suite write to them and no deployment object can be
//! named by accident.
//!
//! Fixtures that create data do it over the API here, through the run's
//! [`Transport`] (so every object is journaled and cleaned up), as the
//! run's admin persona ([`setup_fixtures`]):
//!
//! - `AllocationFixture`: Placement's, rebuilt from its Python: a provider
//!   `RP_UUID` with `DISK_GB` 2048 (step 10, min 10, max 1000) and `VCPU`
//!   10, consumers `CONSUMER_0` (DISK_GB 1000) and `CONSUMER_ID` (VCPU 6)
//!   of `USER_ID`, and `ALT_CONSUMER_ID` (DISK_GB 20, VCPU 1) of
//!   `ALT_USER_ID`, all in `PROJECT_ID`; `ALT_RP_UUID`/`ALT_RP_NAME` name a
//!   provider that is not created.
//! - `TwoTenantFixture` (ours): for tenant a and tenant b, a provider with
//!   VCPU, MEMORY_MB and DISK_GB and two consumers whose allocations are
//!   made (microversion 1.28) under the tenant's project and user, taken
//!   from the `tenant-a-member`/`tenant-b-member` personas. It binds
//!   `TENANT_A_RP_UUID`, `TENANT_A_RP_NAME`, `TENANT_A_CONSUMER_UUID`,
//!   `TENANT_A_CONSUMER2_UUID`, `TENANT_A_PROJECT_ID`, `TENANT_A_USER_ID`
//!   and the same for `TENANT_B_`, and returns which project owns each
//!   consumer and provider, for the `tenant_isolation` oracle.
//!
//! Other data fixtures of Placement (`SharedStorageFixture`,
//! `NUMAAggregateFixture`, ...) are not provided; [`unsupported_fixtures`]
//! names them so that the runner can say so.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::check::Response;
use crate::persona::{Credential, Persona};
use crate::run_id::RunId;
use crate::transport::{Transport, find_persona, plain_request};

/// Fixture names provided here.
pub const SUPPORTED_FIXTURES: &[&str] = &["APIFixture", "AllocationFixture", "TwoTenantFixture"];

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

/// [`suite_environ`] inside a run's namespace: the same variables, with
/// UUIDs that carry the run id ([`RunId::uuid`]) and resource class names
/// `CUSTOM_IRON_NFV_PH<HEX>` (still `CUSTOM_`, as the gabbits need).
pub fn suite_environ_in(
    process: impl IntoIterator<Item = (String, String)>,
    run_id: RunId,
) -> BTreeMap<String, String> {
    let mut env = suite_environ(process);
    for name in UUID_VARS {
        env.insert((*name).to_owned(), run_id.uuid_string());
    }
    for (name, value) in FIXED_VARS {
        env.insert((*name).to_owned(), run_id.name(value));
    }
    env
}

/// What the fixtures of a suite bound and created.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FixtureData {
    /// `$ENVIRON` for the suite.
    pub environ: BTreeMap<String, String>,
    /// Consumer or provider UUID -> the project that owns it.
    pub ownership: BTreeMap<String, String>,
}

/// A fixture that could not set up its data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FixtureError {
    /// A setup request failed.
    #[error("fixture {fixture}: {method} {path} failed: {status}")]
    Request {
        /// The fixture.
        fixture: String,
        /// The method.
        method: String,
        /// The path below the base URL.
        path: String,
        /// The status and Placement's detail, or the transport error.
        status: String,
    },
    /// The transport will not send writes (`--read-only`).
    #[error(
        "fixture {fixture} needs to create data and the run is {reason}: its data is not set up"
    )]
    Skipped {
        /// The fixture.
        fixture: String,
        /// The transport's reason (`read-only`).
        reason: String,
    },
}

/// Where fixtures send their requests, and as whom.
#[derive(Debug, Clone)]
pub struct FixtureContext<'a> {
    /// Base URL paths are joined to.
    pub base_url: &'a str,
    /// The run whose namespace the data lives in.
    pub run_id: RunId,
    /// The run's personas (tenant projects come from them).
    pub personas: &'a [Persona],
    /// The persona that creates the data (`None`: `x-auth-token: admin`,
    /// as Placement's gabbits send under noauth2).
    pub admin: Option<&'a str>,
}

/// The microversion setup requests use: allocations with project and user
/// (1.8), dict form (1.12), consumer generations (1.28), and no consumer
/// type, which the Python fixture does not set either.
const SETUP_MICROVERSION: &str = "placement 1.28";

struct Setup<'a, 'b, T: ?Sized> {
    fixture: &'static str,
    transport: &'a T,
    cx: &'a FixtureContext<'b>,
}

impl<T: Transport + ?Sized> Setup<'_, '_, T> {
    async fn send(&self, method: &str, path: &str, body: Value) -> Result<Value, FixtureError> {
        let mut headers = vec![
            ("content-type".to_owned(), "application/json".to_owned()),
            ("accept".to_owned(), "application/json".to_owned()),
            (
                "openstack-api-version".to_owned(),
                SETUP_MICROVERSION.to_owned(),
            ),
        ];
        if self.cx.admin.is_none() {
            headers.push(("x-auth-token".to_owned(), "admin".to_owned()));
        }
        let url = format!("{}{path}", self.cx.base_url.trim_end_matches('/'));
        let request = plain_request(method, &url, &headers, body.to_string().as_bytes());
        if let Some(reason) = self.transport.skip_reason(&request) {
            return Err(FixtureError::Skipped {
                fixture: self.fixture.to_owned(),
                reason,
            });
        }
        let fail = |status: String| FixtureError::Request {
            fixture: self.fixture.to_owned(),
            method: method.to_owned(),
            path: path.to_owned(),
            status,
        };
        let persona = match self.cx.admin {
            Some(name) => Some(find_persona(self.cx.personas, name).map_err(&fail)?),
            None => None,
        };
        let exchange = self
            .transport
            .send(request, persona)
            .await
            .map_err(|e| fail(e.0))?;
        let response = Response::of(&exchange);
        if !(200..300).contains(&response.status) {
            let detail = response
                .json()
                .ok()
                .flatten()
                .and_then(|v| {
                    v.pointer("/errors/0/detail")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .unwrap_or_default();
            let detail = detail.split_whitespace().collect::<Vec<_>>().join(" ");
            return Err(fail(
                format!("{} {detail}", response.status).trim().to_owned(),
            ));
        }
        Ok(response.json().ok().flatten().unwrap_or(Value::Null))
    }

    /// A provider with `inventories`, one class per request in name order,
    /// as the Python fixture adds them: each bumps the provider generation,
    /// which Placement's gabbits then check.
    async fn provider(
        &self,
        uuid: &str,
        name: &str,
        inventories: Value,
    ) -> Result<(), FixtureError> {
        let made = self
            .send(
                "POST",
                "/resource_providers",
                json!({ "uuid": uuid, "name": name }),
            )
            .await?;
        let mut generation = made.get("generation").and_then(Value::as_u64).unwrap_or(0);
        let Value::Object(by_class) = inventories else {
            return Ok(());
        };
        for (class, fields) in by_class {
            let mut body = json!({
                "resource_class": class,
                "resource_provider_generation": generation,
            });
            if let (Value::Object(b), Value::Object(f)) = (&mut body, fields) {
                b.extend(f);
            }
            let added = self
                .send(
                    "POST",
                    &format!("/resource_providers/{uuid}/inventories"),
                    body,
                )
                .await?;
            generation = added
                .get("resource_provider_generation")
                .and_then(Value::as_u64)
                .unwrap_or(generation + 1);
        }
        Ok(())
    }

    /// A new consumer's allocations against one provider.
    async fn allocate(
        &self,
        consumer: &str,
        rp: &str,
        resources: Value,
        project: &str,
        user: &str,
    ) -> Result<(), FixtureError> {
        self.send(
            "PUT",
            &format!("/allocations/{consumer}"),
            json!({
                "allocations": { rp: { "resources": resources } },
                "project_id": project,
                "user_id": user,
                "consumer_generation": null,
            }),
        )
        .await?;
        Ok(())
    }
}

/// A persona's project and user ids: what Keystone said of its token, or
/// what its credential says.
pub fn persona_project_user(persona: &Persona) -> Option<(String, String)> {
    if let Some(f) = &persona.facts {
        return Some((f.project_id()?.to_owned(), f.user_id.clone()));
    }
    match &persona.credential {
        Credential::Noauth2 { token, .. } => {
            let (user, project) = token.expose().split_once(':')?;
            Some((project.to_owned(), user.to_owned()))
        }
        Credential::Identity(id) => Some((id.project_id.clone(), id.user_id.clone())),
        Credential::Keystone(ks) => Some((ks.project_id()?.to_owned(), ks.user_id.clone()?)),
        _ => None,
    }
}

async fn allocation_fixture<T: Transport + ?Sized>(
    s: &Setup<'_, '_, T>,
    env: &mut BTreeMap<String, String>,
) -> Result<(), FixtureError> {
    let run = s.cx.run_id;
    let var = |env: &BTreeMap<String, String>, k: &str| {
        env.get(k).cloned().unwrap_or_else(|| run.uuid_string())
    };
    let alt_user = run.uuid_string();
    env.insert("ALT_USER_ID".to_owned(), alt_user.clone());
    let (project, user) = (var(env, "PROJECT_ID"), var(env, "USER_ID"));
    let (rp, rp_name) = (var(env, "RP_UUID"), var(env, "RP_NAME"));
    s.provider(
        &rp,
        &rp_name,
        json!({
            "DISK_GB": { "total": 2048, "step_size": 10, "min_unit": 10, "max_unit": 1000 },
            "VCPU": { "total": 10, "max_unit": 10 },
        }),
    )
    .await?;
    let consumer0 = run.uuid_string();
    s.allocate(&consumer0, &rp, json!({ "DISK_GB": 1000 }), &project, &user)
        .await?;
    env.insert("CONSUMER_0".to_owned(), consumer0);
    let consumer = run.uuid_string();
    s.allocate(&consumer, &rp, json!({ "VCPU": 6 }), &project, &user)
        .await?;
    env.insert("CONSUMER_ID".to_owned(), consumer);
    let alt = run.uuid_string();
    s.allocate(
        &alt,
        &rp,
        json!({ "DISK_GB": 20, "VCPU": 1 }),
        &project,
        &alt_user,
    )
    .await?;
    env.insert("ALT_CONSUMER_ID".to_owned(), alt);
    env.insert("ALT_RP_UUID".to_owned(), run.uuid_string());
    env.insert("ALT_RP_NAME".to_owned(), run.uuid_string());
    Ok(())
}

async fn two_tenant_fixture<T: Transport + ?Sized>(
    s: &Setup<'_, '_, T>,
    data: &mut FixtureData,
) -> Result<(), FixtureError> {
    let run = s.cx.run_id;
    for tenant in ["a", "b"] {
        let persona = format!("tenant-{tenant}-member");
        let (project, user) =
            s.cx.personas
                .iter()
                .find(|p| p.name == persona)
                .and_then(persona_project_user)
                .unwrap_or_else(|| {
                    (
                        run.project_id(&format!("tenant-{tenant}")),
                        run.user_id(&persona),
                    )
                });
        let up = tenant.to_ascii_uppercase();
        let rp = run.uuid_string();
        // One scan sets this fixture up once per suite under the same run
        // id, and provider names are unique in Placement: the provider's own
        // UUID keeps two setups apart, and it is text that snapshot
        // redaction replaces (random text in a name would not be).
        let rp_name = format!("{}-{rp}", run.name(&format!("tenant_{tenant}_rp")));
        s.provider(
            &rp,
            &rp_name,
            json!({
                "VCPU": { "total": 8 },
                "MEMORY_MB": { "total": 4096 },
                "DISK_GB": { "total": 100 },
            }),
        )
        .await?;
        let c1 = run.uuid_string();
        s.allocate(
            &c1,
            &rp,
            json!({ "VCPU": 1, "MEMORY_MB": 512 }),
            &project,
            &user,
        )
        .await?;
        let c2 = run.uuid_string();
        s.allocate(&c2, &rp, json!({ "DISK_GB": 10 }), &project, &user)
            .await?;
        for (k, v) in [
            ("RP_UUID", &rp),
            ("RP_NAME", &rp_name),
            ("CONSUMER_UUID", &c1),
            ("CONSUMER2_UUID", &c2),
            ("PROJECT_ID", &project),
            ("USER_ID", &user),
        ] {
            data.environ.insert(format!("TENANT_{up}_{k}"), v.clone());
        }
        for id in [rp, c1, c2] {
            data.ownership.insert(id, project.clone());
        }
    }
    Ok(())
}

/// Binds the APIFixture variables (inside the run's namespace, over the
/// process environment) and sets up the data fixtures among `names`, in
/// order, over `transport`. Unknown names are ignored here
/// ([`unsupported_fixtures`] reports them).
pub async fn setup_fixtures<T: Transport + ?Sized>(
    names: &[String],
    transport: &T,
    cx: &FixtureContext<'_>,
) -> Result<FixtureData, FixtureError> {
    let mut data = FixtureData {
        environ: suite_environ_in(std::env::vars(), cx.run_id),
        ownership: BTreeMap::new(),
    };
    for name in names {
        match name.as_str() {
            "AllocationFixture" => {
                let s = Setup {
                    fixture: "AllocationFixture",
                    transport,
                    cx,
                };
                allocation_fixture(&s, &mut data.environ).await?;
            }
            "TwoTenantFixture" => {
                let s = Setup {
                    fixture: "TwoTenantFixture",
                    transport,
                    cx,
                };
                two_tenant_fixture(&s, &mut data).await?;
            }
            _ => {}
        }
    }
    Ok(data)
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
mod setup_tests;

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
        let f = vec![
            "APIFixture".to_owned(),
            "AllocationFixture".to_owned(),
            "SharedStorageFixture".to_owned(),
        ];
        assert_eq!(unsupported_fixtures(&f), vec!["SharedStorageFixture"]);
    }
}
