//! The oracle [`Context`] of a scan: each persona's tenant, who is
//! privileged, and the policy table of the target's RBAC mode.
//!
//! The policy table is derived from the API description: each operation's
//! policy ([`placement_api::Operation::policy`]), that policy's default
//! rule ([`placement_api::policy`]: admin or service everywhere, except
//! `GET /usages`, which a project reader may call for its own project,
//! and `POST /reshaper`, the service's) and what the rule decides for each
//! persona whose roles the scan knows (a Keystone persona's from its
//! token, once authenticated: privilege follows the roles, not the name);
//! personas with opaque tokens are not judged, nor are system- or
//! domain-scoped tokens (their fate hangs on `enforce_scope`), nor is a persona whose answer depends on what its roles do not
//! tell (a reader's usages: the project is in the query). The same table holds for the three RBAC
//! modes `scripts/placement-up --rbac` sets (default, `secure`: new
//! defaults with project scope, `legacy`: the deprecated `role:admin` rules
//! OR'd in): every persona here is project-scoped and the deprecated rules
//! grant admin only. A deployment's own policy file is not modelled.
//!
//! One rule differs between the modes: `POST /reshaper` is
//! `rule:service_api` (`placement/policies/reshaper.py`), which is
//! `role:service` under the new defaults (16.0.0's default, since
//! oslo.policy 6 enforces them) and `role:service or role:admin` under
//! legacy RBAC. The scan cannot see the target's mode, so an admin without
//! the service role is not judged there: a 403 (default, secure) and a pass
//! (legacy) are both Placement's policy.

use placement_api::policy::{Decision, default_rule};

use crate::oracle::{Access, Context, PolicyRule};
use crate::persona::{Credential, Persona};

/// What the scan knows of a persona's identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Known {
    /// Its project, when known.
    pub project: Option<String>,
    /// Its roles, when known.
    pub roles: Option<Vec<String>>,
    /// Its token is scoped to a project (or it is anonymous). Placement's
    /// rules are for project scope; how a system- or domain-scoped token
    /// fares depends on `enforce_scope`, which the scan cannot see.
    pub project_scoped: bool,
}

/// The project and roles a persona presents: what Keystone said of its
/// token, or what its credential says.
pub fn known(persona: &Persona) -> Known {
    if let Some(f) = &persona.facts {
        return Known {
            project: f.project_id().map(str::to_owned),
            roles: Some(f.roles.clone()),
            project_scoped: f.project_id().is_some(),
        };
    }
    let k = |project: Option<String>, roles: Option<Vec<String>>| Known {
        project,
        roles,
        project_scoped: true,
    };
    match &persona.credential {
        Credential::None => k(None, Some(Vec::new())),
        Credential::Noauth2 { token, roles } => {
            let token = token.expose();
            // noauth2: `admin` alone is the admin user with the admin role;
            // `user:project` names the project after the colon.
            let project = token.split_once(':').map(|(_, p)| p.to_owned());
            let roles = match roles {
                Some(r) => r.clone(),
                None if token == "admin" => vec!["admin".to_owned()],
                None => Vec::new(),
            };
            k(
                project.or_else(|| (token == "admin").then(|| "admin".to_owned())),
                Some(roles),
            )
        }
        Credential::Identity(id) => k(Some(id.project_id.clone()), Some(id.roles.clone())),
        // Not authenticated yet, or an opaque token.
        Credential::Token(_) | Credential::Keystone(_) => k(None, None),
    }
}

/// The oracle context for `personas` under Placement's default policy.
pub fn oracle_context(personas: &[Persona]) -> Context {
    let mut ctx = Context::default();
    ctx.privileged.clear();
    // The personas the table judges, with their roles.
    let mut judged: Vec<(String, Vec<String>)> = Vec::new();
    for p in personas {
        let k = known(p);
        if let Some(project) = &k.project {
            ctx.persona_tenant.insert(p.name.clone(), project.clone());
        }
        let Some(roles) = k.roles else {
            // Opaque token: privileged only if named so, never judged.
            if p.name == "admin" || p.name == "service" {
                ctx.privileged.insert(p.name.clone());
            }
            continue;
        };
        if matches!(p.credential, Credential::None) {
            continue;
        }
        if roles.iter().any(|r| r == "admin" || r == "service") {
            ctx.privileged.insert(p.name.clone());
        }
        if k.project_scoped {
            judged.push((p.name.clone(), roles));
        }
    }
    // A method a route lacks answers 405 before any policy is checked, so
    // only the operations the API has get a row.
    for op in placement_api::operations() {
        let Some(rule) = op.policy.and_then(default_rule) else {
            continue;
        };
        let access = judged
            .iter()
            .filter_map(|(name, roles)| match rule.decide(roles) {
                Decision::Allow => Some((name.clone(), Access::Allow)),
                Decision::Deny => Some((name.clone(), Access::Deny)),
                Decision::Depends => None,
            })
            .collect();
        ctx.policy.push(PolicyRule {
            method: op.method.to_owned(),
            route: op.route.to_owned(),
            access,
        });
    }
    ctx
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persona::default_personas;
    use crate::target::AuthMode;

    #[test]
    fn default_personas_under_noauth2() {
        let ctx = oracle_context(&default_personas(AuthMode::Noauth2, None));
        assert!(ctx.privileged.contains("admin"));
        assert!(ctx.privileged.contains("service"));
        assert!(ctx.privileged.contains("tenant-a-admin"));
        assert!(!ctx.privileged.contains("tenant-b-member"));
        assert_eq!(
            ctx.persona_tenant
                .get("tenant-b-member")
                .map(String::as_str),
            Some("tenant-b")
        );
        assert_eq!(
            ctx.access("GET", "/resource_providers", "tenant-b-member"),
            Some(Access::Deny)
        );
        assert_eq!(
            ctx.access("GET", "/resource_providers", "service"),
            Some(Access::Allow)
        );
        assert_eq!(ctx.access("GET", "/usages", "tenant-a-reader"), None);
        assert_eq!(ctx.access("GET", "/usages", "norole"), Some(Access::Deny));
        assert_eq!(ctx.access("GET", "/", "norole"), None);
        assert_eq!(ctx.access("GET", "/traits", "anonymous"), None);
        // Reshaping is the service's; admin's access depends on the RBAC mode.
        assert_eq!(
            ctx.access("POST", "/reshaper", "service"),
            Some(Access::Allow)
        );
        assert_eq!(ctx.access("POST", "/reshaper", "admin"), None);
        assert_eq!(ctx.access("POST", "/reshaper", "tenant-a-admin"), None);
        assert_eq!(
            ctx.access("POST", "/reshaper", "tenant-b-member"),
            Some(Access::Deny)
        );
    }

    fn keystone_persona(name: &str, scope: crate::keystone::TokenScope, roles: &[&str]) -> Persona {
        use crate::keystone::{KeystoneAuth, Method, Scope, TokenFacts};
        let mut p = Persona::new(
            name,
            Credential::Keystone(Box::new(KeystoneAuth {
                auth_url: "http://k".into(),
                username: Some(name.into()),
                user_id: None,
                user_domain_name: None,
                user_domain_id: None,
                method: Method::Password(crate::persona::Secret::new("x")),
                scope: Scope::Unscoped,
            })),
        );
        p.facts = Some(TokenFacts {
            user_id: format!("u-{name}"),
            user_name: name.into(),
            user_domain_id: "default".into(),
            scope,
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            lifetime: None,
        });
        p
    }

    #[test]
    fn keystone_personas_are_judged_by_their_token_not_their_name() {
        use crate::keystone::TokenScope;
        let project = |id: &str| TokenScope::Project {
            id: id.into(),
            name: id.into(),
            domain_id: "default".into(),
        };
        let personas = [
            // Named like a tenant's admin, and a cloud admin by its roles.
            keystone_persona(
                "tenant-a-admin",
                project("4a1f"),
                &["admin", "member", "reader"],
            ),
            // Named "admin" without the role: not privileged.
            keystone_persona("admin", project("9c2e"), &["reader"]),
            keystone_persona("system-admin", TokenScope::System, &["admin"]),
        ];
        let ctx = oracle_context(&personas);
        assert!(ctx.privileged.contains("tenant-a-admin"));
        assert!(!ctx.privileged.contains("admin"));
        assert_eq!(
            ctx.persona_tenant.get("tenant-a-admin").map(String::as_str),
            Some("4a1f")
        );
        assert_eq!(
            ctx.access("GET", "/resource_providers", "admin"),
            Some(Access::Deny)
        );
        assert_eq!(
            ctx.access("GET", "/resource_providers", "tenant-a-admin"),
            Some(Access::Allow)
        );
        // System scope: privileged, but its access hangs on enforce_scope.
        assert!(ctx.privileged.contains("system-admin"));
        assert!(!ctx.persona_tenant.contains_key("system-admin"));
        assert_eq!(
            ctx.access("GET", "/resource_providers", "system-admin"),
            None
        );
    }
}
