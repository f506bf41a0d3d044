//! Oracles: named, pure checks over recorded exchanges that yield findings.
//!
//! Single-exchange oracles are `fn check(&Exchange, &Context) -> Vec<Finding>`;
//! comparison oracles weigh several exchanges and take a slice. Every oracle
//! has a stable [`CheckId`] and a CWE. Documented
//! non-guarantees of Placement are written as explicit rules with their
//! reason inside each oracle, never by loosening a check.

use std::collections::{BTreeMap, BTreeSet};

use crate::exchange::{Exchange, InputKind};
use crate::finding::{CheckId, Finding, dedup};

pub mod auth_required;
pub mod error_envelope;
pub mod existence_leak;
pub mod identity_spoofing;
pub mod leak;
pub mod malformed_input;
pub mod no_5xx;
pub mod pairing;
pub mod policy;
pub mod reflection;
pub mod security_headers;
pub mod state_after_error;
pub mod tenant_isolation;
pub mod uuid_spelling;

/// Whether a persona may reach a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// The policy grants it: a 403 is a finding.
    Allow,
    /// The policy refuses it: a 2xx is a finding.
    Deny,
}

/// One line of the policy table: method and route template to access per persona.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PolicyRule {
    /// HTTP method, upper-case.
    pub method: String,
    /// Route template.
    pub route: String,
    /// Access per persona name; personas not listed are not judged.
    pub access: BTreeMap<String, Access>,
}

/// What the oracles know about the run beyond one exchange.
#[derive(Clone, Debug)]
pub struct Context {
    /// Routes that answer without credentials (Placement: only `/`).
    pub public_routes: BTreeSet<String>,
    /// The policy table.
    pub policy: Vec<PolicyRule>,
    /// The tenant (project) of each persona; personas without one own nothing.
    pub persona_tenant: BTreeMap<String, String>,
    /// Personas allowed to cross tenants (admin, service).
    pub privileged: BTreeSet<String>,
    /// The run's ownership map: object UUID (lower-case, canonical) to owning tenant.
    pub ownership: BTreeMap<String, String>,
    /// Longest echo of client input tolerated in a response.
    pub reflection_bound: usize,
    /// An error body larger than this many times the request is amplification.
    pub amplification_factor: usize,
    /// The target authenticates with Placement's noauth2, where every
    /// non-empty token names a user: no token is "garbage".
    pub tokens_name_users: bool,
}

impl Default for Context {
    fn default() -> Self {
        Context {
            public_routes: BTreeSet::from(["/".to_owned()]),
            policy: Vec::new(),
            persona_tenant: BTreeMap::new(),
            privileged: BTreeSet::from(["admin".to_owned(), "service".to_owned()]),
            ownership: BTreeMap::new(),
            reflection_bound: 256,
            amplification_factor: 10,
            tokens_name_users: false,
        }
    }
}

impl Context {
    /// The policy access for a persona on a method and route, if the table says.
    pub fn access(&self, method: &str, route: &str, persona: &str) -> Option<Access> {
        self.policy
            .iter()
            .find(|r| r.method.eq_ignore_ascii_case(method) && r.route == route)
            .and_then(|r| r.access.get(persona).copied())
    }
}

/// The question an oracle asks of an exchange: does it judge it at all?
type Judges = fn(&Exchange, &Context) -> bool;
/// The oracle's verdict on an exchange it judges.
type Check = fn(&Exchange, &Context) -> Vec<Finding>;

/// Every single-exchange oracle, in the order they run: its id, which
/// answers it judges, and its check (which judges only those).
pub const SINGLE: [(CheckId, Judges, Check); 9] = [
    (CheckId::No5xx, no_5xx::judges, no_5xx::check),
    (CheckId::NoInternalLeak, leak::judges, leak::check),
    (CheckId::Reflection, reflection::judges, reflection::check),
    (
        CheckId::ErrorEnvelope,
        error_envelope::judges,
        error_envelope::check,
    ),
    (
        CheckId::SecurityHeaders,
        security_headers::judges,
        security_headers::check,
    ),
    (
        CheckId::MalformedInput,
        malformed_input::judges,
        malformed_input::check,
    ),
    (
        CheckId::AuthRequired,
        auth_required::judges,
        auth_required::check,
    ),
    (CheckId::Policy, policy::judges, policy::check),
    (
        CheckId::TenantIsolation,
        tenant_isolation::judges,
        tenant_isolation::check,
    ),
];

/// Every single-exchange oracle over one exchange.
pub fn check_one(ex: &Exchange, ctx: &Context) -> Vec<Finding> {
    SINGLE
        .iter()
        .flat_map(|(_, _, check)| check(ex, ctx))
        .collect()
}

/// The single-exchange oracles that judge `ex`.
pub fn judged_by(ex: &Exchange, ctx: &Context) -> Vec<CheckId> {
    SINGLE
        .iter()
        .filter(|(_, judges, _)| judges(ex, ctx))
        .map(|(id, _, _)| *id)
        .collect()
}

/// The probes each comparison oracle compared with a baseline or twin, so
/// that a run can count what they judged.
pub fn compared<'a>(exchanges: &'a [Exchange], ctx: &Context) -> Vec<(CheckId, Vec<&'a Exchange>)> {
    let probes = |kind| {
        pairing::with_baseline(exchanges, kind)
            .into_iter()
            .map(|(ex, _)| ex)
            .collect()
    };
    vec![
        (
            CheckId::ExistenceLeak,
            existence_leak::twins(exchanges, ctx)
                .into_iter()
                .map(|(ex, _)| ex)
                .collect(),
        ),
        (
            CheckId::IdentitySpoofing,
            probes(InputKind::SpoofedIdentity),
        ),
        (CheckId::UuidSpelling, probes(InputKind::UuidSpelling)),
    ]
}

/// How many answers (or pairs of answers) each check judged in a run, so
/// that "0 findings" can be told from "not checked".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Judged(BTreeMap<CheckId, u64>);

impl Judged {
    /// Counts one more answer judged by `check`.
    pub fn add(&mut self, check: CheckId) {
        self.add_n(check, 1);
    }

    /// Counts `n` more answers judged by `check`.
    pub fn add_n(&mut self, check: CheckId, n: u64) {
        *self.0.entry(check).or_default() += n;
    }

    /// Answers judged by `check`.
    pub fn get(&self, check: CheckId) -> u64 {
        self.0.get(&check).copied().unwrap_or(0)
    }

    /// Every check by name, zero included.
    pub fn by_name(&self) -> BTreeMap<String, u64> {
        CheckId::ALL
            .iter()
            .map(|c| (c.as_str().to_owned(), self.get(*c)))
            .collect()
    }
}

/// What [`check_all`] judges over the same exchanges.
pub fn judged_all(exchanges: &[Exchange], ctx: &Context) -> Judged {
    let mut judged = Judged::default();
    for ex in exchanges {
        for check in judged_by(ex, ctx) {
            judged.add(check);
        }
    }
    for (check, probes) in compared(exchanges, ctx) {
        judged.add_n(check, u64::try_from(probes.len()).unwrap_or(u64::MAX));
    }
    judged
}

/// Every oracle, single and comparison, over a run's exchanges, de-duplicated.
pub fn check_all(exchanges: &[Exchange], ctx: &Context) -> Vec<Finding> {
    let mut out: Vec<Finding> = exchanges.iter().flat_map(|ex| check_one(ex, ctx)).collect();
    out.extend(check_comparisons(exchanges, ctx));
    dedup(out)
}

/// The comparison oracles only (existence_leak, identity_spoofing,
/// uuid_spelling), over every exchange of a run, not de-duplicated.
pub fn check_comparisons(exchanges: &[Exchange], ctx: &Context) -> Vec<Finding> {
    let mut out = existence_leak::check(exchanges, ctx);
    out.extend(identity_spoofing::check(exchanges, ctx));
    out.extend(uuid_spelling::check(exchanges, ctx));
    out
}

#[cfg(test)]
mod judged_tests {
    use super::*;

    /// A check never finds anything in an answer it does not judge: every
    /// finding of the report fixture's exchanges is counted as judged.
    #[test]
    fn findings_come_only_from_judged_answers() {
        let report = crate::report::fixture::report();
        assert!(!report.findings.is_empty());
        for f in &report.findings {
            let judged = report.summary.judged.get(f.check.as_str()).copied();
            assert!(
                judged.is_some_and(|n| n > 0),
                "{} found but not judged",
                f.check
            );
        }
        // And the single-exchange checks judge only where their scope says.
        let plain = testutil::ex("GET", "/traits", 200, r#"{"traits": []}"#).build();
        let ctx = Context::default();
        let by = judged_by(&plain, &ctx);
        assert!(by.contains(&CheckId::No5xx) && by.contains(&CheckId::SecurityHeaders));
        assert!(!by.contains(&CheckId::MalformedInput), "{by:?}");
        assert!(!by.contains(&CheckId::AuthRequired), "{by:?}");
        assert!(!by.contains(&CheckId::ErrorEnvelope), "{by:?}");
    }
}

/// Test helpers: exchanges from the captured Placement fixtures.
#[cfg(test)]
pub(crate) mod testutil {
    use crate::exchange::{Credentials, Exchange, Header, Input, InputKind, Request, Response};

    /// A captured fixture: (headers file, body file) under tests/fixtures.
    pub fn fixture(name: &str) -> (u16, Vec<Header>, Vec<u8>) {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/");
        let heads = std::fs::read_to_string(format!("{dir}{name}.headers")).unwrap();
        let body = std::fs::read(format!("{dir}{name}.body")).unwrap();
        let mut lines = heads.lines();
        let status: u16 = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| Header::new(n.trim(), v.trim()))
            .collect();
        (status, headers, body)
    }

    /// A builder for test exchanges.
    #[derive(Clone)]
    pub struct Ex {
        pub req: Request,
        pub resp: Response,
    }

    pub fn ex(method: &str, route: &str, status: u16, body: &str) -> Ex {
        Ex {
            req: Request {
                method: method.into(),
                url: format!("http://127.0.0.1:46527{route}"),
                route: route.into(),
                persona: "admin".into(),
                headers: vec![
                    Header::new("x-auth-token", "admin"),
                    Header::new("openstack-api-version", "placement 1.39"),
                ],
                ..Request::default()
            },
            resp: Response {
                status,
                headers: vec![
                    Header::new("content-type", "application/json"),
                    Header::new("x-content-type-options", "nosniff"),
                ],
                body: body.as_bytes().to_vec(),
                ..Response::default()
            },
        }
    }

    pub fn from_fixture(method: &str, route: &str, name: &str) -> Ex {
        let (status, headers, body) = fixture(name);
        let mut e = ex(method, route, status, "");
        e.resp.headers = headers;
        e.resp.body = body;
        e
    }

    impl Ex {
        pub fn persona(mut self, p: &str) -> Self {
            self.req.persona = p.into();
            self
        }
        pub fn input(mut self, kind: InputKind, class: &str, value: Option<&str>) -> Self {
            self.req.input = Input {
                kind,
                class: class.into(),
                value: value.map(str::to_owned),
            };
            self
        }
        pub fn creds(mut self, c: Credentials) -> Self {
            self.req.credentials = c;
            if c != Credentials::Valid {
                self.req.headers.retain(|h| h.name != "x-auth-token");
            }
            self
        }
        pub fn object(mut self, o: &str) -> Self {
            self.req.object = Some(o.into());
            self
        }
        pub fn req_header(mut self, n: &str, v: &str) -> Self {
            self.req.headers.retain(|h| !h.name.eq_ignore_ascii_case(n));
            self.req.headers.push(Header::new(n, v));
            self
        }
        pub fn resp_header(mut self, n: &str, v: &str) -> Self {
            self.resp
                .headers
                .retain(|h| !h.name.eq_ignore_ascii_case(n));
            self.resp.headers.push(Header::new(n, v));
            self
        }
        pub fn build(self) -> Exchange {
            Exchange::new(self.req, self.resp)
        }
    }
}
