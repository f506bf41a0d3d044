//! The one list of deliberate, documented divergences between the model
//! (placement-core behind the embedded server) and real Placement 16.0.0.
//!
//! The differential oracle ([`super::differential`]) sends every fuzz step to
//! both; where their answers differ, it looks here first. A difference that
//! an entry matches is reported as what it is: a known divergence with the
//! entry's id, the side that is wrong and the reason (severity info), never
//! hidden and never as a new bug. Everything else is a `differential`
//! finding. The entries are seeded from what the core's own documentation
//! says about where it is stricter than Placement (`harness/core/src/ids.rs`,
//! `json.rs`, `names.rs`, `query/candidates_query.rs`, `microversion.rs`).
//!
//! A matcher looks at the request and at both answers, and is as narrow as
//! the documented behaviour: "the model refused (400) a request that carries
//! a non-canonical UUID", not "anything with a UUID in it".

use std::sync::LazyLock;

use regex::Regex;

/// Which side of a divergence is wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WrongSide {
    /// Real Placement errs; the model is deliberately stricter or safer.
    Placement,
    /// Neither: the behaviour is not defined (e.g. which of two faults a
    /// request is refused for).
    Neither,
}

impl WrongSide {
    /// A word for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            WrongSide::Placement => "placement",
            WrongSide::Neither => "neither (undefined behaviour)",
        }
    }
}

/// One side's answer, as the comparison sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// `errors[0].code` of an error body (from microversion 1.23).
    pub code: Option<String>,
}

/// What differed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aspect {
    /// Status class or error code of the step itself.
    Outcome,
    /// The state of an object read back after the step.
    State,
}

/// A difference as the divergence table sees it.
#[derive(Clone, Debug)]
pub struct Observation<'a> {
    /// HTTP method of the step.
    pub method: &'a str,
    /// Route template of the step.
    pub route: &'a str,
    /// Path and query as sent (percent-encoded).
    pub path_and_query: &'a str,
    /// The `OpenStack-API-Version` header sent, if any.
    pub microversion_header: Option<&'a str>,
    /// The request body.
    pub body: Option<&'a str>,
    /// The step's name (stories name their racing writes).
    pub step: Option<&'a str>,
    /// The target's answer to the step.
    pub target: &'a Answer,
    /// The model's answer to the step.
    pub model: &'a Answer,
    /// What differed.
    pub aspect: Aspect,
    /// Which part of the state differed (`provider`, `inventories`,
    /// `usages`, `allocations`, `candidates`), or the outcome classes.
    pub what: &'a str,
}

/// One deliberate divergence.
#[derive(Clone, Copy)]
pub struct Divergence {
    /// Stable id, used in reports and finding ids.
    pub id: &'static str,
    /// Whether an observed difference is this one.
    pub matches: fn(&Observation<'_>) -> bool,
    /// The side that is wrong.
    pub wrong: WrongSide,
    /// Why the sides differ, in one sentence.
    pub reason: &'static str,
    /// Where Placement 16.0.0 behaves so (`file:line`).
    pub source: &'static str,
}

impl std::fmt::Debug for Divergence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Divergence")
            .field("id", &self.id)
            .field("wrong", &self.wrong)
            .finish()
    }
}

/// The table: the first entry that matches names a difference.
pub static DIVERGENCES: &[Divergence] = &[
    Divergence {
        id: "uuid-spelling",
        matches: noncanonical_uuid,
        wrong: WrongSide::Placement,
        reason: "Placement takes any spelling uuid.UUID() reads (no dashes, dashes anywhere, \
                 braces, urn:uuid:); the core takes only 8-4-4-4-12 and refuses the rest with 400",
        source: "placement/util.py:41 (is_uuid_like), placement/handlers/allocation.py:399",
    },
    Divergence {
        id: "unvalidated-consumer-read",
        matches: unvalidated_consumer_read,
        wrong: WrongSide::Placement,
        reason: "GET /allocations/{consumer_uuid} never validates the id and answers 200 with \
                 no allocations for any string; the core refuses a malformed UUID in a path \
                 with 400",
        source: "placement/handlers/allocation.py:266",
    },
    Divergence {
        id: "amount-above-int32",
        matches: amount_above_int32,
        wrong: WrongSide::Placement,
        reason: "Placement reads the amounts of a `resources` query parameter with int() and \
                 no upper bound, and answers as if nothing had that capacity; the core refuses \
                 an amount above 2^31-1 (what an inventory can hold) with \
                 placement.query.bad_value",
        source: "placement/util.py:277 (normalize_resources_qs_param: amount = int(amount))",
    },
    Divergence {
        id: "repeated-query-key",
        matches: repeated_query_key,
        wrong: WrongSide::Placement,
        reason: "Placement keeps the first or last of a repeated single-valued parameter (and \
                 validates another one); the core refuses the repeat with 400",
        source: "placement/lib.py:408 (limit), :416 (group_policy)",
    },
    Divergence {
        id: "line-break-in-query",
        matches: line_break_in_query,
        wrong: WrongSide::Placement,
        reason: "Placement's key and value patterns end in `$`, which lets a trailing line \
                 break (%0A) through; the core refuses it",
        source: "placement/lib.py:32 (_QS_KEY_PATTERN)",
    },
    Divergence {
        id: "control-characters",
        matches: control_characters,
        wrong: WrongSide::Placement,
        reason: "Placement stores names and ids with control characters; the core refuses them \
                 with 400",
        source: "placement/schemas/resource_provider.py (name: any string), placement/handlers/allocation.py (project_id, user_id)",
    },
    Divergence {
        id: "inventory-key-not-a-class",
        matches: inventory_key_not_a_class,
        wrong: WrongSide::Placement,
        reason: "the core refuses inventory and resource keys that are not resource class \
                 names before it looks at anything else; Placement reaches other checks first",
        source: "placement/schemas/inventory.py:67 (RC_PATTERN)",
    },
    Divergence {
        id: "loose-microversion-header",
        matches: loose_microversion_header,
        wrong: WrongSide::Placement,
        reason: "microversion_parse takes spellings the core's strict Microversion::parse_header \
                 refuses (white space, leading zeros, signs, extra services)",
        source: "placement/microversion.py:165 (microversion_parse.parse_version_string)",
    },
    Divergence {
        id: "strict-query-values",
        matches: strict_query_values,
        wrong: WrongSide::Placement,
        reason: "Placement takes query values that say nothing or something unknown (an empty \
                 name, `in:` with no names, an unknown operator) and answers as if unfiltered; \
                 the core refuses them with placement.query.bad_value",
        source: "placement/handlers/trait.py:162 (unknown operators ignored), \
                 placement/handlers/resource_provider.py:208 (filters taken as given)",
    },
    Divergence {
        id: "auth-error-without-code",
        matches: auth_error_without_code,
        wrong: WrongSide::Placement,
        reason: "Placement's auth middleware answers 401 before the error formatter runs, \
                 so its body carries no `code`; the model's 401 uses the error envelope",
        source: "placement/auth.py:47, :84 (webob.exc.HTTPUnauthorized)",
    },
    Divergence {
        id: "provider-listed-twice",
        matches: provider_listed_twice,
        wrong: WrongSide::Placement,
        reason: "before 1.12 Placement turns the allocation list into a dict keyed by provider, \
                 so a provider listed twice silently loses all but its last item; the core \
                 refuses the repetition (harness/core/src/body/allocations.rs)",
        source: "placement/handlers/allocation.py:410",
    },
    Divergence {
        id: "request-line-too-long",
        matches: request_line_too_long,
        wrong: WrongSide::Neither,
        reason: "the WSGI server in front of Placement (gunicorn under scripts/placement-up, \
                 limit_request_line 4094) answers 414 before Placement sees the request; the \
                 model has no request-line limit",
        source: "gunicorn/http/message.py (limit_request_line), not Placement",
    },
    Divergence {
        id: "invisible-format-characters",
        matches: invisible_format_characters,
        wrong: WrongSide::Placement,
        reason: "Placement takes names and ids with invisible format characters (BiDi \
                 overrides, zero-width characters, U+FEFF, line separators); the reference \
                 server refuses them",
        source: "placement/schemas/resource_provider.py (name: any string)",
    },
    Divergence {
        id: "check-order",
        matches: check_order,
        wrong: WrongSide::Neither,
        reason: "a request with two faults, a malformed body or query and a missing or \
                 changed object, is refused for the one each side checks first: 400 on one \
                 side, 404 or 409 on the other",
        source: "placement/handlers/* (schema validation before lookups)",
    },
];

/// The first entry that matches `obs`.
pub fn classify(obs: &Observation<'_>) -> Option<&'static Divergence> {
    DIVERGENCES.iter().find(|d| (d.matches)(obs))
}

/// The entry with this id.
pub fn by_id(id: &str) -> Option<&'static Divergence> {
    DIVERGENCES.iter().find(|d| d.id == id)
}

/// The model refused with 400 where the target did not, or refused under
/// another code.
fn model_refused(obs: &Observation<'_>) -> bool {
    obs.aspect == Aspect::Outcome
        && obs.model.status == 400
        && (obs.target.status != 400 || obs.model.code != obs.target.code)
}

/// The model refused with 400 what the target took (answered 2xx, or
/// looked it up and answered 404): the shape of every "Placement takes
/// it, the core refuses it" entry.
fn model_refused_what_target_took(obs: &Observation<'_>) -> bool {
    obs.aspect == Aspect::Outcome
        && obs.model.status == 400
        && (obs.target.status / 100 == 2 || obs.target.status == 404)
}

fn percent_decoded(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

static UUID_LIKE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:urn:)?(?:uuid:)?\{?[0-9a-f][0-9a-f-]{30,}[0-9a-f]\}?").ok()
});
static CANONICAL: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i)^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$").ok()
});

/// Whether `text` holds a spelling Python's `uuid.UUID` reads that is not
/// the canonical 8-4-4-4-12.
pub fn has_noncanonical_uuid(text: &str) -> bool {
    let (Some(like), Some(canonical)) = (UUID_LIKE.as_ref(), CANONICAL.as_ref()) else {
        return false;
    };
    like.find_iter(text).any(|m| {
        let t = m.as_str();
        if canonical.is_match(t) {
            return false;
        }
        let lower = t.to_ascii_lowercase();
        let bare = lower.trim_start_matches("urn:").trim_start_matches("uuid:");
        let bare = bare.strip_prefix('{').unwrap_or(bare);
        let bare = bare.strip_suffix('}').unwrap_or(bare);
        let hex: String = bare.chars().filter(|c| *c != '-').collect();
        hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit())
    })
}

fn noncanonical_uuid(obs: &Observation<'_>) -> bool {
    model_refused_what_target_took(obs)
        && (has_noncanonical_uuid(&percent_decoded(obs.path_and_query))
            || obs.body.is_some_and(has_noncanonical_uuid))
}

fn unvalidated_consumer_read(obs: &Observation<'_>) -> bool {
    let Some(id) = obs
        .path_and_query
        .strip_prefix("/allocations/")
        .map(|rest| rest.split('?').next().unwrap_or(rest))
    else {
        return false;
    };
    obs.method == "GET"
        && obs.route == "/allocations/{consumer_uuid}"
        && placement_core::ids::Uuid::parse(&percent_decoded(id)).is_err()
        && obs.target.status == 200
        && model_refused(obs)
}

/// A `resources` or `resourcesN` query amount above 2^31-1 on a listing
/// that Placement answered (2xx) and the model refused (400).
fn amount_above_int32(obs: &Observation<'_>) -> bool {
    let big = query_pairs(obs.path_and_query).iter().any(|(k, v)| {
        k.starts_with("resources")
            && v.split(',').any(|rt| {
                rt.rsplit_once(':').is_some_and(|(_, amount)| {
                    let amount = amount.trim();
                    // Digits past u128 are above the bound too.
                    !amount.is_empty()
                        && amount.bytes().all(|b| b.is_ascii_digit())
                        && amount.parse::<u128>().map_or(true, |n| n > 0x7FFF_FFFF)
                })
            })
    });
    big && obs.aspect == Aspect::Outcome
        && obs.method == "GET"
        && obs.target.status / 100 == 2
        && obs.model.status == 400
}

fn query_keys(path_and_query: &str) -> Vec<String> {
    let Some((_, q)) = path_and_query.split_once('?') else {
        return Vec::new();
    };
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| percent_decoded(p.split_once('=').map_or(p, |(k, _)| k)))
        .collect()
}

fn repeated_query_key(obs: &Observation<'_>) -> bool {
    let keys = query_keys(obs.path_and_query);
    let repeated = keys
        .iter()
        .enumerate()
        .any(|(i, k)| keys.iter().skip(i + 1).any(|o| o == k));
    repeated && model_refused(obs)
}

fn line_break_in_query(obs: &Observation<'_>) -> bool {
    let q = obs
        .path_and_query
        .split_once('?')
        .map_or("", |(_, q)| q)
        .to_ascii_lowercase();
    (q.contains("%0a") || q.contains("%0d")) && model_refused_what_target_took(obs)
}

fn control_characters(obs: &Observation<'_>) -> bool {
    let decoded = percent_decoded(obs.path_and_query);
    let in_url = decoded.chars().any(|c| c.is_control());
    let in_body = obs.body.is_some_and(|b| {
        let lower = b.to_ascii_lowercase();
        lower.contains("\\u00") && (0..0x20).any(|c| lower.contains(&format!("\\u{c:04x}")))
            || lower.contains("\\n")
            || lower.contains("\\t")
            || lower.contains("\\r")
    });
    (in_url || in_body) && model_refused_what_target_took(obs)
}

fn inventory_key_not_a_class(obs: &Observation<'_>) -> bool {
    static KEY: LazyLock<Option<Regex>> =
        LazyLock::new(|| Regex::new(r#""([^"]*)"\s*:\s*\{"#).ok());
    let Some(body) = obs.body else { return false };
    let bad_class = KEY.as_ref().is_some_and(|re| {
        re.captures_iter(body).any(|c| {
            c.get(1).is_some_and(|k| {
                let k = k.as_str();
                k.chars()
                    .any(|ch| !(ch.is_ascii_uppercase() || ch.is_ascii_digit() || ch == '_'))
                    && !["inventories", "allocations", "resources", "mappings"].contains(&k)
                    && !has_uuid_shape(k)
            })
        })
    });
    bad_class && obs.model.status == 400 && obs.target.status / 100 == 4
}

fn has_uuid_shape(k: &str) -> bool {
    let hex: String = k.chars().filter(|c| *c != '-').collect();
    hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit())
        || k.starts_with("$ENVIRON")
        || k.starts_with('$')
}

fn loose_microversion_header(obs: &Observation<'_>) -> bool {
    let Some(h) = obs.microversion_header else {
        return false;
    };
    if placement_core::microversion::Microversion::parse_header(h).is_ok() {
        return false;
    }
    // The model refused the header (400, or 406 for a version it cannot
    // read as one it serves) and Placement read it: its answer is another.
    obs.aspect == Aspect::Outcome
        && matches!(obs.model.status, 400 | 406)
        && obs.target.status != obs.model.status
}

fn query_pairs(path_and_query: &str) -> Vec<(String, String)> {
    let Some((_, q)) = path_and_query.split_once('?') else {
        return Vec::new();
    };
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decoded(k), percent_decoded(v))
        })
        .collect()
}

fn strict_query_values(obs: &Observation<'_>) -> bool {
    let vague = query_pairs(obs.path_and_query).iter().any(|(k, v)| {
        v.is_empty()
            || v.ends_with(':')
            || v.ends_with(',')
            || v.contains(",,")
            || k == "name"
                && obs.route == "/traits"
                && !(v.starts_with("in:") || v.starts_with("startswith:"))
    });
    vague
        && obs.aspect == Aspect::Outcome
        && obs.method == "GET"
        && obs.target.status / 100 == 2
        && obs.model.status == 400
        // No code before 1.23.
        && matches!(
            obs.model.code.as_deref(),
            Some("placement.query.bad_value") | None
        )
}

fn provider_listed_twice(obs: &Observation<'_>) -> bool {
    let Some(body) = obs.body else { return false };
    let Ok(v) = serde_json::from_str::<serde_json::Value>(body) else {
        return false;
    };
    let Some(items) = v.get("allocations").and_then(serde_json::Value::as_array) else {
        return false;
    };
    let uuids: Vec<String> = items
        .iter()
        .filter_map(|i| i.pointer("/resource_provider/uuid"))
        .filter_map(serde_json::Value::as_str)
        .map(str::to_ascii_lowercase)
        .collect();
    let twice = uuids
        .iter()
        .enumerate()
        .any(|(i, u)| uuids.iter().skip(i + 1).any(|o| o == u));
    twice
        && obs.aspect == Aspect::Outcome
        && obs.model.status == 400
        && obs.target.status / 100 == 2
}

fn request_line_too_long(obs: &Observation<'_>) -> bool {
    obs.aspect == Aspect::Outcome
        && obs.target.status == 414
        && obs.target.code.is_none()
        && obs.path_and_query.len() > 4000
}

/// Unicode format characters and separators a name should not hide.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

fn invisible_format_characters(obs: &Observation<'_>) -> bool {
    fn any_string(v: &serde_json::Value, f: &dyn Fn(&str) -> bool) -> bool {
        match v {
            serde_json::Value::String(s) => f(s),
            serde_json::Value::Array(a) => a.iter().any(|x| any_string(x, f)),
            serde_json::Value::Object(m) => m.iter().any(|(k, x)| f(k) || any_string(x, f)),
            _ => false,
        }
    }
    let hidden = |s: &str| s.chars().any(is_invisible);
    let in_body = obs
        .body
        .and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok())
        .is_some_and(|v| any_string(&v, &hidden));
    (in_body || hidden(&percent_decoded(obs.path_and_query))) && model_refused_what_target_took(obs)
}

fn auth_error_without_code(obs: &Observation<'_>) -> bool {
    obs.aspect == Aspect::Outcome
        && obs.target.status == 401
        && obs.model.status == 401
        && obs.target.code.is_none()
}

/// Two faults, one of the body or query (400) and one of the object's
/// state (404: it is missing; 409: its generation is stale): one side
/// validates first, the other looks the object up first. Both refuse, so
/// the codes differ (the classes do not). Any other pair of refusals is a
/// finding.
fn check_order(obs: &Observation<'_>) -> bool {
    let pair = (obs.model.status, obs.target.status);
    obs.aspect == Aspect::Outcome && matches!(pair, (400, 404 | 409) | (404 | 409, 400))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs<'a>(
        path: &'a str,
        body: Option<&'a str>,
        t: &'a Answer,
        m: &'a Answer,
    ) -> Observation<'a> {
        Observation {
            method: "PUT",
            route: "/allocations/{consumer_uuid}",
            path_and_query: path,
            microversion_header: Some("placement 1.39"),
            body,
            step: None,
            target: t,
            model: m,
            aspect: Aspect::Outcome,
            what: "",
        }
    }

    fn a(status: u16, code: Option<&str>) -> Answer {
        Answer {
            status,
            code: code.map(str::to_owned),
        }
    }

    #[test]
    fn noncanonical_uuids() {
        assert!(has_noncanonical_uuid(
            "/allocations/0123456789abcdef0123456789abcdef"
        ));
        assert!(has_noncanonical_uuid(
            "{01234567-89ab-cdef-0123-456789abcdef}"
        ));
        assert!(has_noncanonical_uuid(
            "0123-456789ab-cdef-0123-456789abcdef"
        ));
        assert!(has_noncanonical_uuid(
            "urn:uuid:01234567-89ab-cdef-0123-456789abcdef"
        ));
        assert!(!has_noncanonical_uuid(
            "/allocations/01234567-89ab-cdef-0123-456789abcdef"
        ));
        assert!(!has_noncanonical_uuid(
            "/allocations/01234567-89AB-cdef-0123-456789abcdef"
        ));
        assert!(!has_noncanonical_uuid("/resource_providers"));
    }

    #[test]
    fn uuid_entry_matches_only_a_model_refusal() {
        let t = a(204, None);
        let m = a(400, Some("placement.undefined_code"));
        let path = "/allocations/0123456789abcdef0123456789abcdef";
        assert_eq!(
            classify(&obs(path, None, &t, &m)).map(|d| d.id),
            Some("uuid-spelling")
        );
        // The other way round (Placement refuses, the model takes) is no
        // documented divergence.
        assert!(classify(&obs(path, None, &m, &t)).is_none());
    }

    #[test]
    fn repeated_keys_and_line_breaks() {
        let t = a(200, None);
        let m = a(400, Some("placement.query.duplicate_key"));
        let o = obs("/allocation_candidates?limit=1&limit=2", None, &t, &m);
        assert_eq!(classify(&o).map(|d| d.id), Some("repeated-query-key"));
        let o = obs("/resource_providers?member_of%0A=x", None, &t, &m);
        assert_eq!(classify(&o).map(|d| d.id), Some("line-break-in-query"));
        let o = obs("/resource_providers?name=x", None, &t, &m);
        assert!(classify(&o).is_none());
    }

    #[test]
    fn query_amounts() {
        let t = a(200, None);
        let m = a(400, Some("placement.query.bad_value"));
        let mut o = obs(
            "/allocation_candidates?resources=VCPU:3000000000",
            None,
            &t,
            &m,
        );
        o.method = "GET";
        o.route = "/allocation_candidates";
        assert_eq!(classify(&o).map(|d| d.id), Some("amount-above-int32"));
        o.path_and_query = "/resource_providers?resources1=VCPU:1,DISK_GB:99999999999999999999999";
        assert_eq!(classify(&o).map(|d| d.id), Some("amount-above-int32"));
        o.path_and_query = "/allocation_candidates?resources=VCPU:2147483647";
        assert!(classify(&o).is_none());
        // Not a resources amount.
        o.path_and_query = "/allocation_candidates?resources=VCPU:1&limit=99999999999";
        assert!(classify(&o).is_none());
    }

    #[test]
    fn headers() {
        let t = a(200, None);
        let m = a(400, Some("placement.undefined_code"));
        let mut o = obs("/", None, &t, &m);
        o.microversion_header = Some("placement  1.039");
        assert_eq!(
            classify(&o).map(|d| d.id),
            Some("loose-microversion-header")
        );
        o.microversion_header = Some("placement 1.39");
        assert!(classify(&o).is_none());
    }

    /// Each matcher is as narrow as the behaviour it documents.
    #[test]
    fn matchers_keep_to_what_they_document() {
        let m = a(400, Some("placement.undefined_code"));
        // A 5xx to big amounts or to NaN is Placement crashing on input: a
        // finding, never a known divergence.
        let t = a(500, None);
        let o = obs(
            "/allocations/01234567-89ab-cdef-0123-456789abcdef",
            Some(
                r#"{"allocations": {"01234567-89ab-cdef-0123-456789abcdef": {"resources": {"VCPU": 9999999999}}}}"#,
            ),
            &t,
            &m,
        );
        assert!(classify(&o).is_none());
        let o = obs(
            "/resource_providers/01234567-89ab-cdef-0123-456789abcdef/inventories/VCPU",
            Some(r#"{"total": 8, "allocation_ratio": NaN}"#),
            &t,
            &m,
        );
        assert!(classify(&o).is_none());
        // A loose header the target refused the same way is no divergence.
        let mut o = obs("/", None, &m, &m);
        o.microversion_header = Some("placement  1.039");
        assert!(classify(&o).is_none());
        // Two refusals: 400 against 404 or 409 is an order of checks; any
        // other pair is not.
        for (model, target, known) in [
            (400, 404, true),
            (404, 400, true),
            (400, 409, true),
            (409, 400, true),
            (400, 405, false),
            (400, 415, false),
            (404, 409, false),
        ] {
            let (m, t) = (a(model, None), a(target, None));
            let o = obs("/resource_providers/x/traits", Some("{}"), &t, &m);
            assert_eq!(
                classify(&o).is_some_and(|d| d.id == "check-order"),
                known,
                "model {model}, target {target}"
            );
        }
    }

    #[test]
    fn vague_query_values_and_auth_bodies() {
        let t = a(200, None);
        let m = a(400, Some("placement.query.bad_value"));
        let mut o = obs("/traits?name=in:", None, &t, &m);
        o.method = "GET";
        o.route = "/traits";
        assert_eq!(classify(&o).map(|d| d.id), Some("strict-query-values"));
        o.path_and_query = "/traits?name=in:CUSTOM_A";
        assert!(classify(&o).is_none());
        let t = a(401, None);
        let m = a(401, Some("placement.undefined_code"));
        let o = obs("/resource_providers", None, &t, &m);
        assert_eq!(classify(&o).map(|d| d.id), Some("auth-error-without-code"));
        let t = a(401, Some("placement.undefined_code"));
        let m = a(401, None);
        assert!(classify(&obs("/resource_providers", None, &t, &m)).is_none());
    }

    #[test]
    fn provider_twice_in_a_list() {
        let t = a(204, None);
        let m = a(400, None);
        let body = r#"{"allocations": [
            {"resource_provider": {"uuid": "fcd6fbb2-6eec-4660-9060-84b0ff50ea24"}, "resources": {"VCPU": 1}},
            {"resource_provider": {"uuid": "FCD6FBB2-6eec-4660-9060-84b0ff50ea24"}, "resources": {"DISK_GB": 1}}]}"#;
        let o = obs(
            "/allocations/fe76bc47-3e1b-41ab-8f5e-84b0ff50ea90",
            Some(body),
            &t,
            &m,
        );
        assert_eq!(classify(&o).map(|d| d.id), Some("provider-listed-twice"));
        let once = r#"{"allocations": [
            {"resource_provider": {"uuid": "fcd6fbb2-6eec-4660-9060-84b0ff50ea24"}, "resources": {"VCPU": 1}}]}"#;
        let o = obs(
            "/allocations/fe76bc47-3e1b-41ab-8f5e-84b0ff50ea90",
            Some(once),
            &t,
            &m,
        );
        assert!(classify(&o).is_none());
    }

    #[test]
    fn reference_server_deliberate_differences() {
        let t = a(200, None);
        let m = a(400, Some("placement.undefined_code"));
        let o = obs(
            "/resource_providers",
            Some(r#"{"name": "a\u202eb"}"#),
            &t,
            &m,
        );
        assert_eq!(
            classify(&o).map(|d| d.id),
            Some("invisible-format-characters")
        );
        // The model runs Placement's behaviour for in_tree spaces, for the
        // consumers a refused write leaves and for duplicate JSON keys
        // (`Behaviour::Placement`), so a difference there is no known
        // divergence but a finding.
        let o = obs(
            "/resource_providers",
            Some(r#"{"name": "x", "name": "y"}"#),
            &t,
            &m,
        );
        assert!(classify(&o).is_none());
        let o = obs("/allocation_candidates?in_tree=%20abc", None, &t, &m);
        assert!(classify(&o).is_none());
        let t = a(400, None);
        let m = a(400, None);
        let mut o = obs(
            "/allocations/fe76bc47-3e1b-41ab-8f5e-84b0ff50ea90",
            None,
            &t,
            &m,
        );
        o.aspect = Aspect::State;
        o.what = "allocations";
        assert!(classify(&o).is_none());
    }

    #[test]
    fn unvalidated_consumer_reads() {
        let t = a(200, None);
        let m = a(400, None);
        let mut o = obs(
            "/allocations/c0ffee00-1234-4abc-8def-0123456789a",
            None,
            &t,
            &m,
        );
        o.method = "GET";
        assert_eq!(
            classify(&o).map(|d| d.id),
            Some("unvalidated-consumer-read")
        );
        o.path_and_query = "/allocations/c0ffee00-1234-4abc-8def-0123456789ab";
        assert!(classify(&o).is_none());
    }

    #[test]
    fn two_refusals_under_other_codes_are_not_a_taken_spelling() {
        // Both refuse; only the code differs: not "Placement takes it".
        let t = a(400, Some("placement.undefined_code"));
        let m = a(400, Some("placement.query.bad_value"));
        let o = obs(
            "/resource_providers?in_tree=%20c0ffee00-1234-4abc-8def-0123",
            None,
            &t,
            &m,
        );
        assert!(classify(&o).is_none());
        let o = obs(
            "/allocations/0123456789abcdef0123456789abcdef",
            None,
            &t,
            &m,
        );
        assert!(classify(&o).is_none());
    }

    #[test]
    fn a_crash_is_never_a_known_divergence_by_itself() {
        let t = a(500, None);
        let m = a(200, None);
        assert!(classify(&obs("/resource_providers", None, &t, &m)).is_none());
    }

    #[test]
    fn ids_are_unique_and_sourced() {
        for (i, d) in DIVERGENCES.iter().enumerate() {
            assert!(!d.source.is_empty() && !d.reason.is_empty());
            assert!(
                DIVERGENCES.iter().skip(i + 1).all(|o| o.id != d.id),
                "{}",
                d.id
            );
            assert_eq!(by_id(d.id).map(|x| x.id), Some(d.id));
        }
    }
}
