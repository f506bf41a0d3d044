//! `GET /resource_providers`: filters by name, uuid, aggregates, capacity,
//! tree and traits.
//!
//! From `schemas/resource_provider.py` (`GET_RPS_SCHEMA_1_*`) and
//! `handlers/resource_provider.py` `list_resource_providers`: `name` and
//! `uuid` from 1.0, `member_of` from 1.3 (repeatable from 1.24, `!` from
//! 1.32), `resources` from 1.4, `in_tree` from 1.14, `required` from 1.18
//! (`!` from 1.22, `in:` and repeats from 1.39).
//!
//! Placement reads a repeated `name`, `uuid`, `in_tree` or `resources` as
//! its last value; the core refuses the repeat (`duplicate_key`). Placement
//! takes any string as `name`; the core takes a provider name (1 to 200
//! characters, no control characters), which is all a provider can be called.

use std::collections::BTreeMap;

use crate::error::{Excerpt, Problem, Rejection};
use crate::ids::{Uuid, parse_uuid};
use crate::microversion::Microversion;
use crate::names::{ProviderName, ResourceClass};

use super::member_of::MemberOf;
use super::params::{KeyVerdict, Params, bad_value, duplicate, refused};
use super::resources::parse_resources;
use super::traits::{TraitExpr, TraitSyntax};

/// A parsed `GET /resource_providers` query; every filter is optional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProviderQuery {
    /// `name`: the exact provider name.
    pub name: Option<ProviderName>,
    /// `uuid`: one provider.
    pub uuid: Option<Uuid>,
    /// `member_of`: aggregate filter.
    pub member_of: MemberOf,
    /// `resources`: providers with room for these amounts.
    pub resources: BTreeMap<ResourceClass, u32>,
    /// `in_tree`: providers in the tree of this provider.
    pub in_tree: Option<Uuid>,
    /// `required`: trait filter.
    pub required: TraitExpr,
}

fn verdict(key: &str, version: Microversion) -> KeyVerdict {
    match key {
        "name" | "uuid" => KeyVerdict::Known,
        "member_of" => KeyVerdict::since(version, Microversion::v1(3), "1.3"),
        "resources" => KeyVerdict::since(version, Microversion::v1(4), "1.4"),
        "in_tree" => KeyVerdict::since(version, Microversion::v1(14), "1.14"),
        "required" => KeyVerdict::since(version, Microversion::v1(18), "1.18"),
        _ => KeyVerdict::Unknown,
    }
}

/// `uuid` (`format: uuid`, `util.py:41`) and `in_tree`
/// (`util.py:571`) are refused by Placement with a bare 400.
fn uuid_param(key: &str, value: &str) -> Result<Uuid, Rejection> {
    parse_uuid(value).map_err(|_| {
        refused(
            key,
            Problem::Syntax {
                what: "a UUID",
                got: Excerpt::of(value),
            },
        )
    })
}

impl ProviderQuery {
    /// Parses the raw query string of `GET /resource_providers` at `version`.
    pub fn parse(version: Microversion, raw_query: &str) -> Result<Self, Rejection> {
        let params = Params::decode(raw_query)?;
        params.check_keys(|key| verdict(key, version))?;
        let mut query = ProviderQuery::default();
        if let Some(value) = params.single("name")? {
            // Placement takes any string (`schemas/resource_provider.py:60`):
            // the core is stricter, under its own code.
            query.name = Some(ProviderName::parse(value).map_err(|_| {
                bad_value(
                    "name",
                    Problem::Syntax {
                        what: "a provider name",
                        got: Excerpt::of(value),
                    },
                )
            })?);
        }
        if let Some(value) = params.single("uuid")? {
            query.uuid = Some(uuid_param("uuid", value)?);
        }
        if let Some(value) = params.single("in_tree")? {
            query.in_tree = Some(uuid_param("in_tree", value)?);
        }
        if let Some(value) = params.single("resources")? {
            query.resources = parse_resources("resources", value)?;
        }
        query.member_of = MemberOf::parse_all("member_of", params.all("member_of"), version)?;
        let syntax = TraitSyntax {
            forbidden: version.at_least(Microversion::v1(22)),
            any_of: version.at_least(Microversion::v1(39)),
        };
        if !syntax.any_of && params.all("required").nth(1).is_some() {
            return Err(duplicate("required"));
        }
        for value in params.all("required") {
            query
                .required
                .extend(TraitExpr::parse("required", value, syntax)?);
        }
        query.required.all_of.sort();
        query.required.all_of.dedup();
        // Placement lists no provider for a conflict (it does not check
        // one on this route): the core is stricter, under its own code.
        if query.required.conflict().is_some() {
            return Err(bad_value(
                "required",
                Problem::Rule("requires and forbids the same trait"),
            ));
        }
        Ok(query)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::ErrorCode;

    const U: &str = "11111111-1111-1111-1111-111111111111";

    fn parse(minor: u16, raw: &str) -> Result<ProviderQuery, Rejection> {
        ProviderQuery::parse(Microversion::v1(minor), raw)
    }

    #[test]
    fn empty_is_everything() {
        assert_eq!(parse(0, "").unwrap(), ProviderQuery::default());
    }

    // schemas/resource_provider.py GET_RPS_SCHEMA_1_*.
    #[test]
    fn parameters_by_microversion() {
        assert!(parse(0, &format!("uuid={U}&name=cn1")).is_ok());
        assert!(parse(2, &format!("member_of={U}")).is_err());
        assert!(parse(3, &format!("member_of={U}")).is_ok());
        assert!(parse(3, "resources=VCPU:1").is_err());
        assert!(parse(4, "resources=VCPU:1").is_ok());
        assert!(parse(13, &format!("in_tree={U}")).is_err());
        assert!(parse(14, &format!("in_tree={U}")).is_ok());
        assert!(parse(17, "required=CUSTOM_A").is_err());
        assert!(parse(18, "required=CUSTOM_A").is_ok());
        assert!(parse(21, "required=!CUSTOM_A").is_err());
        assert!(parse(22, "required=!CUSTOM_A").is_ok());
        assert_eq!(
            parse(39, "limit=1").unwrap_err().problem,
            Problem::NotAllowed
        );
    }

    #[test]
    fn bad_values() {
        assert!(parse(0, "uuid=nope").is_err());
        assert!(parse(0, &format!("uuid={U}%0A")).is_err());
        assert!(parse(0, "name=").is_err());
        assert!(parse(0, "name=a%0Ab").is_err());
        assert!(parse(14, "in_tree=").is_err());
        assert!(parse(22, "required=CUSTOM_A,!CUSTOM_A").is_err());
    }

    #[test]
    fn repeats() {
        assert_eq!(
            parse(0, "name=a&name=b").unwrap_err().code,
            ErrorCode::QueryDuplicateKey
        );
        assert_eq!(
            parse(38, "required=CUSTOM_A&required=CUSTOM_B")
                .unwrap_err()
                .code,
            ErrorCode::QueryDuplicateKey
        );
        let q = parse(39, "required=CUSTOM_A&required=CUSTOM_B").unwrap();
        assert_eq!(q.required.all_of.len(), 2);
    }
}
