//! Placement's authorisation policy: its default rules, in the legacy and
//! secure RBAC modes, and operator overrides in oslo.policy's language.
//!
//! The defaults are those of `placement/policies/*.py` (16.0.0): every API
//! is `admin_or_service_api`, except `GET /usages`, which a reader of the
//! project asked about may call too, and `POST /reshaper`, which is the
//! service's alone. In legacy mode a rule with a deprecated `role:admin`
//! also passes for an admin, as oslo.policy does when
//! `enforce_new_defaults` is off.

pub mod rule;

use std::collections::BTreeMap;
use std::path::Path;

use axum::http::StatusCode;

use crate::config::Rbac;
use crate::identity::Identity;
use crate::reply::ApiError;

pub use rule::{Rule, RuleError};

/// The base rules: (name, check, whether it has the deprecated `role:admin`).
const BASE_RULES: [(&str, &str, bool); 5] = [
    ("admin_api", "role:admin", false),
    ("service_api", "role:service", true),
    ("admin_or_service_api", "role:admin or role:service", true),
    (
        "project_reader_api",
        "role:reader and project_id:%(project_id)s",
        true,
    ),
    (
        "admin_or_project_reader_or_service_api",
        "role:admin or rule:project_reader_api or role:service",
        true,
    ),
];

/// Every API rule Placement registers, with its default check.
pub const API_RULES: [(&str, &str); 33] = [
    (
        "placement:resource_providers:list",
        "rule:admin_or_service_api",
    ),
    (
        "placement:resource_providers:create",
        "rule:admin_or_service_api",
    ),
    (
        "placement:resource_providers:show",
        "rule:admin_or_service_api",
    ),
    (
        "placement:resource_providers:update",
        "rule:admin_or_service_api",
    ),
    (
        "placement:resource_providers:delete",
        "rule:admin_or_service_api",
    ),
    (
        "placement:resource_classes:list",
        "rule:admin_or_service_api",
    ),
    (
        "placement:resource_classes:create",
        "rule:admin_or_service_api",
    ),
    (
        "placement:resource_classes:show",
        "rule:admin_or_service_api",
    ),
    (
        "placement:resource_classes:update",
        "rule:admin_or_service_api",
    ),
    (
        "placement:resource_classes:delete",
        "rule:admin_or_service_api",
    ),
    (
        "placement:resource_providers:inventories:list",
        "rule:admin_or_service_api",
    ),
    (
        "placement:resource_providers:inventories:create",
        "rule:admin_or_service_api",
    ),
    (
        "placement:resource_providers:inventories:show",
        "rule:admin_or_service_api",
    ),
    (
        "placement:resource_providers:inventories:update",
        "rule:admin_or_service_api",
    ),
    (
        "placement:resource_providers:inventories:delete",
        "rule:admin_or_service_api",
    ),
    (
        "placement:resource_providers:aggregates:list",
        "rule:admin_or_service_api",
    ),
    (
        "placement:resource_providers:aggregates:update",
        "rule:admin_or_service_api",
    ),
    (
        "placement:resource_providers:usages",
        "rule:admin_or_service_api",
    ),
    (
        "placement:usages",
        "rule:admin_or_project_reader_or_service_api",
    ),
    ("placement:traits:list", "rule:admin_or_service_api"),
    ("placement:traits:show", "rule:admin_or_service_api"),
    ("placement:traits:update", "rule:admin_or_service_api"),
    ("placement:traits:delete", "rule:admin_or_service_api"),
    (
        "placement:resource_providers:traits:list",
        "rule:admin_or_service_api",
    ),
    (
        "placement:resource_providers:traits:update",
        "rule:admin_or_service_api",
    ),
    (
        "placement:resource_providers:traits:delete",
        "rule:admin_or_service_api",
    ),
    ("placement:allocations:manage", "rule:admin_or_service_api"),
    ("placement:allocations:list", "rule:admin_or_service_api"),
    ("placement:allocations:update", "rule:admin_or_service_api"),
    ("placement:allocations:delete", "rule:admin_or_service_api"),
    (
        "placement:resource_providers:allocations:list",
        "rule:admin_or_service_api",
    ),
    (
        "placement:allocation_candidates:list",
        "rule:admin_or_service_api",
    ),
    ("placement:reshaper:reshape", "rule:service_api"),
];

/// Why a policy cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// A rule's text does not parse.
    #[error("policy rule {name:?}: {source}")]
    Rule {
        /// The rule's name.
        name: String,
        /// Why.
        source: RuleError,
    },
    /// The policy file cannot be read.
    #[error("policy file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The policy file is neither a JSON nor a YAML map of strings.
    #[error("policy file {path}: not a map of rule names to rule strings: {reason}")]
    Format {
        /// The file.
        path: String,
        /// The parser's message.
        reason: String,
    },
}

/// The rules in force.
#[derive(Clone, Debug)]
pub struct Policy {
    rules: BTreeMap<String, Rule>,
    /// oslo.policy's `enforce_scope` (on by default, in both modes): every
    /// Placement rule has `scope_types=['project']`, so a system-scoped
    /// token is refused whatever its roles.
    enforce_scope: bool,
}

impl Policy {
    /// The defaults of `rbac`, with `overrides` replacing rules by name.
    pub fn new(rbac: Rbac, overrides: &BTreeMap<String, String>) -> Result<Self, PolicyError> {
        let parse = |name: &str, text: &str| {
            Rule::parse(text).map_err(|source| PolicyError::Rule {
                name: name.to_owned(),
                source,
            })
        };
        let mut rules = BTreeMap::new();
        for (name, check, deprecated_admin) in BASE_RULES {
            let text = if deprecated_admin && rbac == Rbac::Legacy {
                format!("({check}) or role:admin")
            } else {
                check.to_owned()
            };
            rules.insert(name.to_owned(), parse(name, &text)?);
        }
        for (name, check) in API_RULES {
            rules.insert(name.to_owned(), parse(name, check)?);
        }
        for (name, text) in overrides {
            rules.insert(name.clone(), parse(name, text)?);
        }
        Ok(Policy {
            rules,
            enforce_scope: true,
        })
    }

    /// Whether `identity` may do `action` on a target of `target_project`
    /// (the caller's own project when `None`, as Placement's default target).
    pub fn allows(&self, action: &str, identity: &Identity, target_project: Option<&str>) -> bool {
        if self.enforce_scope && identity.system_scope {
            return false;
        }
        let mut credentials = BTreeMap::new();
        if let Some(p) = &identity.project_id {
            credentials.insert("project_id", p.clone());
        }
        if let Some(u) = &identity.user_id {
            credentials.insert("user_id", u.clone());
        }
        let mut target = BTreeMap::new();
        match target_project {
            Some(p) => {
                target.insert("project_id", p.to_owned());
            }
            None => {
                if let Some(p) = &identity.project_id {
                    target.insert("project_id", p.clone());
                }
                if let Some(u) = &identity.user_id {
                    target.insert("user_id", u.clone());
                }
            }
        }
        let ctx = rule::Context {
            roles: &identity.roles,
            credentials: &credentials,
            target: &target,
            rules: &self.rules,
        };
        // An action without a rule is refused: a new route must name its rule.
        self.rules.get(action).is_some_and(|r| r.holds(&ctx))
    }

    /// [`Self::allows`] as Placement's 403.
    pub fn enforce(
        &self,
        action: &str,
        identity: &Identity,
        target_project: Option<&str>,
    ) -> Result<(), ApiError> {
        if self.allows(action, identity, target_project) {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!("Policy does not allow {action} to be performed."),
            ))
        }
    }
}

/// Reads a policy file: a JSON object or a YAML map of rule names to rule strings.
pub fn load_file(path: &Path) -> Result<BTreeMap<String, String>, PolicyError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Read {
        path: shown.clone(),
        source,
    })?;
    if text.trim_start().starts_with('{') {
        return serde_json::from_str(&text).map_err(|e| PolicyError::Format {
            path: shown,
            reason: e.to_string(),
        });
    }
    serde_saphyr::from_str(&text).map_err(|e| PolicyError::Format {
        path: shown,
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(roles: &[&str], project: &str) -> Identity {
        Identity {
            user_id: Some("u".into()),
            project_id: Some(project.into()),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            system_scope: false,
        }
    }

    #[test]
    fn secure_defaults() {
        let p = Policy::new(Rbac::Secure, &BTreeMap::new()).unwrap();
        assert!(p.allows(
            "placement:resource_providers:list",
            &who(&["admin"], "a"),
            None
        ));
        assert!(p.allows(
            "placement:resource_providers:list",
            &who(&["service"], "a"),
            None
        ));
        assert!(!p.allows(
            "placement:resource_providers:list",
            &who(&["reader"], "a"),
            None
        ));
        assert!(!p.allows("placement:resource_providers:list", &who(&[], "a"), None));
        assert!(p.allows("placement:usages", &who(&["reader"], "a"), Some("a")));
        assert!(!p.allows("placement:usages", &who(&["reader"], "a"), Some("b")));
        assert!(p.allows("placement:reshaper:reshape", &who(&["service"], "a"), None));
        assert!(!p.allows("placement:reshaper:reshape", &who(&["admin"], "a"), None));
        assert!(!p.allows("placement:no_such_rule", &who(&["admin"], "a"), None));
    }

    #[test]
    fn system_scoped_tokens_are_refused_in_both_modes() {
        for rbac in [Rbac::Secure, Rbac::Legacy] {
            let p = Policy::new(rbac, &BTreeMap::new()).unwrap();
            let mut system_admin = who(&["admin"], "a");
            system_admin.project_id = None;
            system_admin.system_scope = true;
            assert!(!p.allows("placement:resource_providers:list", &system_admin, None));
        }
    }

    #[test]
    fn legacy_lets_admin_through_deprecated_rules() {
        let p = Policy::new(Rbac::Legacy, &BTreeMap::new()).unwrap();
        assert!(p.allows("placement:reshaper:reshape", &who(&["admin"], "a"), None));
        assert!(p.allows("placement:usages", &who(&["admin"], "a"), Some("b")));
        assert!(!p.allows("placement:usages", &who(&["reader"], "a"), Some("b")));
    }

    #[test]
    fn overrides_replace_rules_and_bad_ones_are_named() {
        let overrides = BTreeMap::from([(
            "placement:resource_providers:list".to_owned(),
            "role:reader and not role:banned".to_owned(),
        )]);
        let p = Policy::new(Rbac::Secure, &overrides).unwrap();
        assert!(p.allows(
            "placement:resource_providers:list",
            &who(&["reader"], "a"),
            None
        ));
        assert!(!p.allows(
            "placement:resource_providers:list",
            &who(&["reader", "banned"], "a"),
            None
        ));
        let bad = BTreeMap::from([("x".to_owned(), "role:a or".to_owned())]);
        let e = Policy::new(Rbac::Secure, &bad).unwrap_err();
        assert!(e.to_string().contains("\"x\""), "{e}");
    }

    #[test]
    fn policy_files_in_yaml_and_json() {
        let dir = std::env::temp_dir();
        let yaml = dir.join(format!("refserver-policy-{}.yaml", std::process::id()));
        let json = dir.join(format!("refserver-policy-{}.json", std::process::id()));
        std::fs::write(&yaml, "\"placement:usages\": \"@\"\n# a comment\n").unwrap();
        std::fs::write(&json, r#"{"placement:usages": "!"}"#).unwrap();
        let from_yaml = load_file(&yaml).unwrap();
        let from_json = load_file(&json).unwrap();
        let _ = std::fs::remove_file(&yaml);
        let _ = std::fs::remove_file(&json);
        let open = Policy::new(Rbac::Secure, &from_yaml).unwrap();
        assert!(open.allows("placement:usages", &who(&[], "a"), Some("b")));
        let shut = Policy::new(Rbac::Secure, &from_json).unwrap();
        assert!(!shut.allows("placement:usages", &who(&["admin"], "a"), Some("a")));
        let missing = load_file(&dir.join("no-such-policy-file.yaml")).unwrap_err();
        assert!(
            missing.to_string().contains("no-such-policy-file.yaml"),
            "{missing}"
        );
    }
}
