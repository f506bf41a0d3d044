//! `GET /usages` (microversion 1.9): a project's (and optionally a user's)
//! total usage, by consumer type from 1.38.
//!
//! From `schemas/usage.py`: `project_id` is required, `project_id` and
//! `user_id` are 1 to 255 characters, `consumer_type` (1.38) matches
//! `CONSUMER_TYPE_GET_PATTERN`, `^[A-Z0-9_]+$|^all|^unknown$`.
//!
//! That pattern's second branch lacks its `$`: Placement's schema takes any
//! value that *starts* with `all` (`allfoo`, `all\n`, `all<script>`) and
//! the usage query then filters on a consumer type nobody can create
//! (`schemas/common.py:24`). The core takes exactly `all`, `unknown` or a
//! consumer type name. A repeated parameter, which Placement reads as its
//! last value, is refused.

use crate::error::{Excerpt, Problem, Rejection};
use crate::microversion::Microversion;
use crate::names::{ConsumerType, ExternalId};

use super::params::{KeyVerdict, Params, bad_value, refused};

/// Which consumers' usage to count (microversion 1.38).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ConsumerTypeFilter {
    /// `all`: every consumer, grouped by type.
    All,
    /// `unknown`: consumers without a type.
    Unknown,
    /// Consumers of one type.
    Named(ConsumerType),
}

/// A parsed `GET /usages` query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsagesQuery {
    /// `project_id` (required).
    pub project_id: ExternalId,
    /// `user_id`.
    pub user_id: Option<ExternalId>,
    /// `consumer_type` (microversion 1.38).
    pub consumer_type: Option<ConsumerTypeFilter>,
}

fn external_id(key: &str, value: &str) -> Result<ExternalId, Rejection> {
    ExternalId::parse(value).map_err(|_| {
        refused(
            key,
            Problem::Syntax {
                what: "an id of 1 to 255 characters without control characters",
                got: Excerpt::of(value),
            },
        )
    })
}

impl UsagesQuery {
    /// Parses the raw query string of `GET /usages` at `version`.
    pub fn parse(version: Microversion, raw_query: &str) -> Result<Self, Rejection> {
        if !version.at_least(Microversion::v1(9)) {
            return Err(Rejection::path(
                "usages route",
                Problem::NeedsMicroversion("1.9"),
            ));
        }
        let params = Params::decode(raw_query)?;
        params.check_keys(|key| match key {
            "project_id" | "user_id" => KeyVerdict::Known,
            "consumer_type" => KeyVerdict::since(version, Microversion::v1(38), "1.38"),
            _ => KeyVerdict::Unknown,
        })?;
        let project_id = params
            .single("project_id")?
            .ok_or_else(|| Rejection::query("project_id", Problem::Missing))?;
        let project_id = external_id("project_id", project_id)?;
        let user_id = match params.single("user_id")? {
            Some(value) => Some(external_id("user_id", value)?),
            None => None,
        };
        let consumer_type = match params.single("consumer_type")? {
            None => None,
            Some("all") => Some(ConsumerTypeFilter::All),
            Some("unknown") => Some(ConsumerTypeFilter::Unknown),
            // CONSUMER_TYPE_GET_PATTERN's unanchored `^all` lets Placement
            // take any value starting with `all` (schemas/common.py:24): the
            // core is stricter there, under its own code; every other value
            // the pattern refuses is Placement's bare 400 (util.py:212).
            Some(value) if value.starts_with("all") => {
                return Err(bad_value(
                    "consumer_type",
                    Problem::NotOneOf {
                        accepted: "'all', 'unknown' or a consumer type name",
                        got: Excerpt::of(value),
                    },
                ));
            }
            Some(value) => Some(ConsumerTypeFilter::Named(
                ConsumerType::parse(value).map_err(|_| {
                    refused(
                        "consumer_type",
                        Problem::Syntax {
                            what: "'all', 'unknown' or a consumer type name",
                            got: Excerpt::of(value),
                        },
                    )
                })?,
            )),
        };
        Ok(UsagesQuery {
            project_id,
            user_id,
            consumer_type,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(minor: u16, raw: &str) -> Result<UsagesQuery, Rejection> {
        UsagesQuery::parse(Microversion::v1(minor), raw)
    }

    // gabbits/usage.yaml: project_id is required.
    #[test]
    fn project_required() {
        assert_eq!(parse(9, "").unwrap_err().problem, Problem::Missing);
        assert_eq!(parse(9, "user_id=u").unwrap_err().problem, Problem::Missing);
        let q = parse(9, "project_id=p&user_id=u").unwrap();
        assert_eq!(q.project_id.as_str(), "p");
        assert!(parse(8, "project_id=p").is_err());
    }

    #[test]
    fn lengths() {
        assert!(parse(9, "project_id=").is_err());
        assert!(parse(9, &format!("project_id={}", "p".repeat(255))).is_ok());
        assert!(parse(9, &format!("project_id={}", "p".repeat(256))).is_err());
    }

    // gabbits/usage-consumer-type.yaml; schemas/common.py CONSUMER_TYPE_GET_PATTERN.
    #[test]
    fn consumer_type() {
        assert!(parse(37, "project_id=p&consumer_type=all").is_err());
        let q = parse(38, "project_id=p&consumer_type=all").unwrap();
        assert_eq!(q.consumer_type, Some(ConsumerTypeFilter::All));
        let q = parse(38, "project_id=p&consumer_type=unknown").unwrap();
        assert_eq!(q.consumer_type, Some(ConsumerTypeFilter::Unknown));
        let q = parse(38, "project_id=p&consumer_type=INSTANCE").unwrap();
        assert!(matches!(
            q.consumer_type,
            Some(ConsumerTypeFilter::Named(_))
        ));
        // Placement's unanchored `^all` takes these; the core does not.
        for bad in ["allfoo", "all%0A", "INSTANCE%0A", "instance", ""] {
            assert!(
                parse(38, &format!("project_id=p&consumer_type={bad}")).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn repeats_and_unknown_keys() {
        assert!(parse(9, "project_id=a&project_id=b").is_err());
        assert!(parse(9, "project_id=a&limit=1").is_err());
    }
}
