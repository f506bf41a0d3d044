//! `tenant_isolation` (CWE-639): a persona of one tenant never gets a 2xx on
//! an object (consumer, provider) the run's ownership map gives to another
//! tenant. Admin and service personas are privileged and not judged.

use crate::cause::Cause;
use crate::exchange::Exchange;
use crate::finding::{CheckId, Finding, Severity};
use crate::oracle::Context;

/// Requests by an unprivileged persona naming an object whose owner the
/// run knows.
pub fn judges(ex: &Exchange, ctx: &Context) -> bool {
    let req = ex.request();
    !ctx.privileged.contains(&req.persona)
        && req
            .object
            .as_deref()
            .is_some_and(|o| ctx.ownership.contains_key(&o.to_ascii_lowercase()))
}

/// Reports a 2xx on another tenant's object.
pub fn check(ex: &Exchange, ctx: &Context) -> Vec<Finding> {
    if !judges(ex, ctx) || !(200..300).contains(&ex.status()) {
        return Vec::new();
    }
    let req = ex.request();
    let Some(object) = req.object.as_deref() else {
        return Vec::new();
    };
    let Some(owner) = ctx.ownership.get(&object.to_ascii_lowercase()) else {
        return Vec::new();
    };
    // A persona without a tenant (anonymous, norole) owns nothing, so any
    // owned object is foreign to it.
    if ctx.persona_tenant.get(&req.persona) == Some(owner) {
        return Vec::new();
    }
    vec![
        Finding::from_exchange(
            CheckId::TenantIsolation,
            Severity::Critical,
            format!(
                "{} reaches another tenant's object via {} {}",
                req.persona, req.method, req.route
            ),
            format!(
                "{object} belongs to {owner}; {} answered {}",
                req.persona,
                ex.status()
            ),
            ex,
        )
        .because(Cause::new(
            format!("{} {}", req.method, req.route),
            format!(
                "{} {} answers another tenant's object",
                req.method, req.route
            ),
        )),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oracle::testutil::*;

    const OBJ: &str = "7d2e3a1c-3d7b-4a4b-9a53-2b8e1d5f6c10";

    fn ctx() -> Context {
        Context {
            persona_tenant: [
                ("tenant-a reader".to_owned(), "tenant-a".to_owned()),
                ("tenant-b reader".to_owned(), "tenant-b".to_owned()),
            ]
            .into(),
            ownership: [(OBJ.to_owned(), "tenant-a".to_owned())].into(),
            ..Context::default()
        }
    }

    #[test]
    fn other_tenant_reading_trips() {
        let e = ex("GET", "/allocations/{consumer_uuid}", 200, "{}")
            .persona("tenant-b reader")
            .object(OBJ)
            .build();
        assert_eq!(check(&e, &ctx())[0].severity, Severity::Critical);
    }

    #[test]
    fn owner_admin_and_refusal_pass() {
        let own = ex("GET", "/allocations/{consumer_uuid}", 200, "{}")
            .persona("tenant-a reader")
            .object(OBJ)
            .build();
        assert!(check(&own, &ctx()).is_empty());
        let admin = ex("GET", "/allocations/{consumer_uuid}", 200, "{}")
            .object(OBJ)
            .build();
        assert!(check(&admin, &ctx()).is_empty());
        let refused = ex("GET", "/allocations/{consumer_uuid}", 403, "{}")
            .persona("tenant-b reader")
            .object(OBJ)
            .build();
        assert!(check(&refused, &ctx()).is_empty());
    }
}
