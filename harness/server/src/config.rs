//! How a server is run: auth mode, RBAC defaults, a policy file, limits.

use std::collections::BTreeMap;

/// How callers are identified (see [`crate::identity`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AuthMode {
    /// Placement's `noauth2`: the token is `user[:project]`, `admin` is admin.
    #[default]
    NoAuth2,
    /// Identity headers set by a fronting keystone auth_token proxy.
    KeystoneHeaders,
}

/// Which of Placement's default policies apply.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Rbac {
    /// oslo.policy's `enforce_new_defaults = True`: the new rules alone.
    #[default]
    Secure,
    /// The deprecated rules too: every rule with a deprecated `role:admin`
    /// also lets an admin through (`new or role:admin`).
    Legacy,
}

/// Where Placement 16.0.0 errs, whether the server errs with it.
///
/// The core models Placement, quirks included; the server is a safe
/// Placement by default and the faithful one when it is the oracle a real
/// Placement is compared against (`fuzz --differential`) or when a test
/// wants Placement's answers (`serve --behaviour placement`). Each
/// difference is one of the core's switches, so the two modes differ in
/// exactly these places:
///
/// - a refused allocation write (`PUT`/`POST /allocations`,
///   `POST /reshaper`) that created consumers before finding a provider
///   missing: [`RefusedWrites`](placement_core::state::RefusedWrites);
/// - spaces around the UUID of `in_tree`/`in_treeN` in
///   `GET /allocation_candidates`:
///   [`InTreeSpaces`](placement_core::query::InTreeSpaces);
/// - a JSON body that gives a key twice: refused (`strict_json`), or read
///   by the core, which keeps the last value as Python's `json` does.
///
/// Control and invisible format characters in names and error wording
/// are refused or worded the safe way in both modes: the core has no
/// switch for them yet, and the differential divergence table names them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Behaviour {
    /// Safer than Placement where it errs: atomic allocation writes,
    /// `in_tree` values with spaces refused, duplicate JSON keys refused.
    #[default]
    Safe,
    /// Placement 16.0.0's answers where it errs: consumers left behind by
    /// a refused write, `in_tree` values stripped, the last of a
    /// duplicate JSON key kept.
    Placement,
}

impl Behaviour {
    /// What a refused allocation write leaves.
    pub fn refused_writes(self) -> placement_core::state::RefusedWrites {
        use placement_core::state::RefusedWrites;
        match self {
            Behaviour::Safe => RefusedWrites::ChangeNothing,
            Behaviour::Placement => RefusedWrites::LeaveGhostConsumers,
        }
    }

    /// Whether a JSON body that gives a key twice is refused.
    pub fn refuses_duplicate_keys(self) -> bool {
        self == Behaviour::Safe
    }

    /// How `in_tree` values with spaces are read.
    pub fn in_tree_spaces(self) -> placement_core::query::InTreeSpaces {
        use placement_core::query::InTreeSpaces;
        match self {
            Behaviour::Safe => InTreeSpaces::Refused,
            Behaviour::Placement => InTreeSpaces::Stripped,
        }
    }
}

/// Everything a server is configured with.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// How callers are identified.
    pub auth: AuthMode,
    /// In `noauth2` mode, whether `X-Roles` and `OpenStack-System-Scope`
    /// from the client are believed, as Placement's middleware does.
    pub trust_identity_headers: bool,
    /// Default policy set.
    pub rbac: Rbac,
    /// Rules that replace defaults, by name, in oslo.policy's language.
    pub policy_overrides: BTreeMap<String, String>,
    /// Largest request body read, in bytes; more is a 413.
    pub max_body_bytes: usize,
    /// In `noauth2` mode, the roles this deployment assigns to each user
    /// (by the user part of the token), as Keystone would: the server, not
    /// the client, says who holds which role. A user not listed has no
    /// roles (`admin` is an admin, as in Placement). Client `X-Roles` still
    /// count only with `trust_identity_headers`.
    pub noauth2_roles: BTreeMap<String, Vec<String>>,
    /// Safe, or Placement's where it errs.
    pub behaviour: Behaviour,
}

/// The default request body limit: far above any real Placement request
/// (a reshape of a big host is tens of kilobytes).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1 << 20;

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            auth: AuthMode::NoAuth2,
            trust_identity_headers: false,
            rbac: Rbac::Secure,
            policy_overrides: BTreeMap::new(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            noauth2_roles: BTreeMap::new(),
            behaviour: Behaviour::Safe,
        }
    }
}
