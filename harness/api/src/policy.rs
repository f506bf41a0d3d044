//! Placement 16.0.0's policies and their defaults (`placement/policies/`):
//! every policy name an operation checks ([`crate::Operation::policy`]) and
//! the base rule it defaults to, and what each base rule grants a
//! project-scoped identity with given roles.
//!
//! `policies/base.py` defines the base rules; every policy defaults to
//! `rule:admin_or_service_api` except `placement:reshaper:reshape`
//! (`rule:service_api`) and `placement:usages`
//! (`rule:admin_or_project_reader_or_service_api`). Each base rule but
//! `admin_api` carries the deprecated `role:admin` rule, which oslo.policy
//! ORs in under legacy RBAC (`enforce_new_defaults = False`); 16.0.0
//! enforces the new defaults.

/// A base rule of `policies/base.py`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// `rule:admin_or_service_api`: `role:admin or role:service`.
    AdminOrService,
    /// `rule:service_api`: `role:service` (legacy: `or role:admin`).
    Service,
    /// `rule:admin_or_project_reader_or_service_api`: `role:admin or
    /// (role:reader and project_id:%(project_id)s) or role:service`.
    AdminOrProjectReaderOrService,
}

/// What a rule decides for an identity, as far as its roles tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Granted whatever else the request says.
    Allow,
    /// Refused whatever else the request says.
    Deny,
    /// Depends on what the roles do not tell: the project the request
    /// names (a reader's own usages), or the deployment's RBAC mode (an
    /// admin reshaping: refused under the new defaults, granted under
    /// legacy RBAC).
    Depends,
}

impl Rule {
    /// What this rule decides for a project-scoped identity with `roles`.
    pub fn decide(self, roles: &[String]) -> Decision {
        let has = |r: &str| roles.iter().any(|x| x == r);
        match self {
            Rule::AdminOrService if has("admin") || has("service") => Decision::Allow,
            Rule::AdminOrService => Decision::Deny,
            Rule::Service if has("service") => Decision::Allow,
            Rule::Service if has("admin") => Decision::Depends,
            Rule::Service => Decision::Deny,
            Rule::AdminOrProjectReaderOrService if has("admin") || has("service") => {
                Decision::Allow
            }
            Rule::AdminOrProjectReaderOrService if has("reader") => Decision::Depends,
            Rule::AdminOrProjectReaderOrService => Decision::Deny,
        }
    }
}

/// Every policy of Placement 16.0.0 with its default rule, one
/// `DocumentedRuleDefault` of `placement/policies/*.py` each.
pub const POLICIES: &[(&str, Rule)] = &[
    ("placement:resource_providers:list", Rule::AdminOrService),
    ("placement:resource_providers:create", Rule::AdminOrService),
    ("placement:resource_providers:show", Rule::AdminOrService),
    ("placement:resource_providers:update", Rule::AdminOrService),
    ("placement:resource_providers:delete", Rule::AdminOrService),
    ("placement:resource_classes:list", Rule::AdminOrService),
    ("placement:resource_classes:create", Rule::AdminOrService),
    ("placement:resource_classes:show", Rule::AdminOrService),
    ("placement:resource_classes:update", Rule::AdminOrService),
    ("placement:resource_classes:delete", Rule::AdminOrService),
    (
        "placement:resource_providers:inventories:list",
        Rule::AdminOrService,
    ),
    (
        "placement:resource_providers:inventories:create",
        Rule::AdminOrService,
    ),
    (
        "placement:resource_providers:inventories:show",
        Rule::AdminOrService,
    ),
    (
        "placement:resource_providers:inventories:update",
        Rule::AdminOrService,
    ),
    (
        "placement:resource_providers:inventories:delete",
        Rule::AdminOrService,
    ),
    (
        "placement:resource_providers:aggregates:list",
        Rule::AdminOrService,
    ),
    (
        "placement:resource_providers:aggregates:update",
        Rule::AdminOrService,
    ),
    ("placement:resource_providers:usages", Rule::AdminOrService),
    ("placement:usages", Rule::AdminOrProjectReaderOrService),
    ("placement:traits:list", Rule::AdminOrService),
    ("placement:traits:show", Rule::AdminOrService),
    ("placement:traits:update", Rule::AdminOrService),
    ("placement:traits:delete", Rule::AdminOrService),
    (
        "placement:resource_providers:traits:list",
        Rule::AdminOrService,
    ),
    (
        "placement:resource_providers:traits:update",
        Rule::AdminOrService,
    ),
    (
        "placement:resource_providers:traits:delete",
        Rule::AdminOrService,
    ),
    ("placement:allocations:manage", Rule::AdminOrService),
    ("placement:allocations:list", Rule::AdminOrService),
    ("placement:allocations:update", Rule::AdminOrService),
    ("placement:allocations:delete", Rule::AdminOrService),
    (
        "placement:resource_providers:allocations:list",
        Rule::AdminOrService,
    ),
    ("placement:allocation_candidates:list", Rule::AdminOrService),
    ("placement:reshaper:reshape", Rule::Service),
];

/// The default rule of policy `name`, if Placement has that policy.
pub fn default_rule(name: &str) -> Option<Rule> {
    POLICIES.iter().find(|(n, _)| *n == name).map(|(_, r)| *r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn roles(r: &[&str]) -> Vec<String> {
        r.iter().map(|s| (*s).to_owned()).collect()
    }

    /// The policies the operations check and the policies listed here are
    /// the same set: a policy added to an operation needs its default, and
    /// a default no operation checks is a stale entry.
    #[test]
    fn every_operation_policy_has_a_default_and_every_default_is_checked() {
        let checked: BTreeSet<&str> = crate::surface().iter().filter_map(|o| o.policy).collect();
        let listed: BTreeSet<&str> = POLICIES.iter().map(|(n, _)| *n).collect();
        assert_eq!(checked, listed);
        assert_eq!(listed.len(), POLICIES.len(), "a policy is listed twice");
    }

    #[test]
    fn base_rules_decide_as_policies_base_py_says() {
        use Decision::*;
        let table = [
            (&["admin"][..], [Allow, Depends, Allow]),
            (&["service"][..], [Allow, Allow, Allow]),
            (&["reader"][..], [Deny, Deny, Depends]),
            (&["member", "reader"][..], [Deny, Deny, Depends]),
            (&["member"][..], [Deny, Deny, Deny]),
            (&[][..], [Deny, Deny, Deny]),
        ];
        for (r, expected) in table {
            let got = [
                Rule::AdminOrService.decide(&roles(r)),
                Rule::Service.decide(&roles(r)),
                Rule::AdminOrProjectReaderOrService.decide(&roles(r)),
            ];
            assert_eq!(got, expected, "roles {r:?}");
        }
    }
}
