//! One description of Placement 1.39's HTTP API: routes and methods, what
//! each path parameter names, query parameters and bodies per
//! microversion, the policy each operation checks and that policy's
//! default rule. Everything that needs to know the API derives it from
//! here, so that they cannot drift apart: the reference server's router
//! (which path is which route, the methods of each), the scanner's route
//! templates and policy table, the HTTP fuzzer's generator, the OpenAPI
//! export and the model's own checks.
//!
//! The data ([`surface`], [`policy`]) was written by reading Placement
//! 16.0.0's `handler.py` (routes), `handlers/*.py` (`version_handler`
//! ranges), `schemas/*.py` (bodies and query schemas) and `policies/*.py`
//! (policy names and defaults); `rest_api_version_history.rst` says when
//! each changed ([`history`]).

mod example;
pub mod history;
pub mod policy;
pub mod route;
mod surface;

pub use example::{Bindings, example_body, example_query, fill_path};
pub use surface::surface;

/// [`surface`] ordered by route (in `handler.py`'s order), then by method
/// as GET, POST, PUT, DELETE: the order the fuzzers decode an operation
/// index in. It does not depend on the order a route declares its methods
/// in, so putting a route's methods in its `Allow` order does not change
/// which operation a checked-in input or a seed names.
pub fn decoding_order() -> Vec<Operation> {
    let routes = route::routes();
    let rank = |op: &Operation| {
        let method = ["GET", "POST", "PUT", "DELETE"]
            .iter()
            .position(|m| *m == op.method)
            .unwrap_or(usize::MAX);
        (routes.iter().position(|r| *r == op.route), method)
    };
    let mut ops = surface();
    ops.sort_by_key(rank);
    ops
}

/// [`surface`], built once: for readers on a hot path (the reference
/// server asks for a route's methods on every request).
pub fn operations() -> &'static [Operation] {
    static OPS: std::sync::OnceLock<Vec<Operation>> = std::sync::OnceLock::new();
    OPS.get_or_init(surface)
}

use placement_core::body::BodyKind;
use placement_core::query::QueryKind;

/// The newest minor version the model describes (1.39).
pub const MAX_MINOR: u16 = 39;

/// What kind of object a value names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectKind {
    /// A resource provider (by UUID).
    Provider,
    /// A consumer (by UUID).
    Consumer,
    /// A resource class (by name).
    ResourceClass,
    /// A trait (by name).
    Trait,
    /// An aggregate (by UUID; aggregates exist only as provider members).
    Aggregate,
    /// A project (external id).
    Project,
    /// A user (external id).
    User,
}

/// What a string slot holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Text {
    /// A provider name, 1..=200 characters.
    ProviderName,
    /// A UUID naming an object of this kind.
    Uuid(ObjectKind),
    /// The name of an existing resource class (standard or the run's custom).
    ResourceClass,
    /// A new custom name `CUSTOM_[A-Z0-9_]+` for a class or trait.
    CustomName(ObjectKind),
    /// The name of an existing trait.
    TraitName,
    /// A project or user id, 1..=255 characters.
    ExternalId(ObjectKind),
    /// A consumer type `[A-Z0-9_]+`, 1..=255 characters.
    ConsumerType,
    /// A request group suffix (`[a-zA-Z0-9_-]{1,64}`, 1.33).
    GroupSuffix,
}

impl Text {
    /// The JSON Schema `pattern` Placement checks, if any.
    pub fn pattern(self) -> Option<&'static str> {
        match self {
            Text::Uuid(_) => Some("^[0-9a-fA-F-]{36}$"),
            Text::ResourceClass | Text::TraitName | Text::ConsumerType => Some("^[A-Z0-9_]+$"),
            Text::CustomName(_) => Some("^CUSTOM_[A-Z0-9_]+$"),
            Text::GroupSuffix => Some("^[a-zA-Z0-9_-]{1,64}$"),
            Text::ProviderName | Text::ExternalId(_) => None,
        }
    }

    /// Length bounds `(min, max)` Placement checks.
    pub fn length(self) -> (usize, usize) {
        match self {
            Text::ProviderName => (1, 200),
            Text::Uuid(_) => (36, 36),
            Text::GroupSuffix => (1, 64),
            _ => (1, 255),
        }
    }
}

/// The shape of a JSON value Placement accepts.
#[derive(Clone, Debug, PartialEq)]
pub enum Schema {
    /// An object with named properties; no others allowed.
    Object {
        /// Its properties.
        props: Vec<Prop>,
    },
    /// An object whose keys are all of one kind (`patternProperties`).
    Map {
        /// What each key is.
        key: Text,
        /// Every value's shape.
        value: Box<Schema>,
        /// Fewest keys.
        min_props: usize,
        /// Whether keys outside the pattern are refused
        /// (`additionalProperties: false`); Placement forgets this in the
        /// inventories of `PUT .../inventories`.
        closed: bool,
    },
    /// An array.
    Array {
        /// Every item's shape.
        items: Box<Schema>,
        /// Fewest items.
        min_items: usize,
        /// Whether items must differ.
        unique: bool,
    },
    /// An integer within bounds.
    Integer {
        /// Smallest value.
        min: Option<i64>,
        /// Largest value.
        max: Option<i64>,
    },
    /// A number at most `max`.
    Number {
        /// Largest value.
        max: f64,
    },
    /// A string.
    Text(Text),
    /// The current generation of an object named elsewhere in the request
    /// (an integer; for consumers `null` when the consumer is new).
    Generation(ObjectKind),
    /// The value or `null`.
    Nullable(Box<Schema>),
}

/// One property of an [`Schema::Object`].
#[derive(Clone, Debug, PartialEq)]
pub struct Prop {
    /// Its name.
    pub name: &'static str,
    /// Its shape.
    pub schema: Schema,
    /// Whether it must be present.
    pub required: bool,
}

/// A body shape and the microversions it holds for.
#[derive(Clone, Debug, PartialEq)]
pub struct BodyVersion {
    /// First minor version.
    pub from: u16,
    /// Last minor version.
    pub to: u16,
    /// The shape.
    pub schema: Schema,
}

/// What a query parameter's value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueryValue {
    /// Free text (provider name).
    Text,
    /// A UUID naming an object.
    Uuid(ObjectKind),
    /// `CLASS:N,CLASS:N`.
    Resources,
    /// Trait names, comma-separated, `!` to forbid (1.22), `in:` (1.39).
    Traits,
    /// Aggregate UUIDs, `in:` prefixed lists (1.3/1.24).
    MemberOf,
    /// A positive integer.
    Limit,
    /// `none` or `isolate`.
    GroupPolicy,
    /// A project or user id.
    ExternalId,
    /// A consumer type filter (`all`, `unknown`, or a type).
    ConsumerType,
    /// `startswith:X` or `in:A,B`.
    TraitNameFilter,
    /// `true` or `false`.
    Bool,
    /// Request group suffixes, comma-separated (`same_subtree`).
    Suffixes,
}

/// A query parameter of an operation.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryParam {
    /// Its name (without a group suffix).
    pub name: &'static str,
    /// First minor version that reads it.
    pub from: u16,
    /// Its value.
    pub value: QueryValue,
    /// Whether the request needs it.
    pub required: bool,
    /// From which minor version it may carry a group suffix.
    pub grouped_from: Option<u16>,
}

/// One operation: a method on a route.
#[derive(Clone, Debug, PartialEq)]
pub struct Operation {
    /// HTTP method.
    pub method: &'static str,
    /// Route template, as [`route::routes`] lists it.
    pub route: &'static str,
    /// First minor version that serves it (404 or 405 before).
    pub from: u16,
    /// What each path parameter names, in path order.
    pub path: Vec<(&'static str, Text)>,
    /// Query parameters.
    pub query: Vec<QueryParam>,
    /// Bodies by microversion; empty when no body is read.
    pub bodies: Vec<BodyVersion>,
    /// The oslo.policy rule name checked (`None`: public).
    pub policy: Option<&'static str>,
    /// The core's name of the body, when it reads one.
    pub body_kind: Option<BodyKind>,
    /// The core's name of the query grammar, when it has one.
    pub query_kind: Option<QueryKind>,
    /// The status of success.
    pub success: u16,
}

impl Operation {
    /// The body read at minor version `minor`, if any.
    pub fn body_at(&self, minor: u16) -> Option<&Schema> {
        self.bodies
            .iter()
            .find(|b| b.from <= minor && minor <= b.to)
            .map(|b| &b.schema)
    }

    /// The query parameters read at minor version `minor`.
    pub fn query_at(&self, minor: u16) -> impl Iterator<Item = &QueryParam> {
        self.query.iter().filter(move |q| q.from <= minor)
    }

    /// Whether the operation exists at minor version `minor`.
    pub fn serves(&self, minor: u16) -> bool {
        self.from <= minor && minor <= MAX_MINOR
    }

    /// Whether it changes state.
    pub fn writes(&self) -> bool {
        !matches!(self.method, "GET" | "HEAD")
    }

    /// A short slug of method and route for file names:
    /// `put-resource-providers-uuid-inventories`.
    pub fn slug(&self) -> String {
        route_slug(self.method, self.route)
    }
}

/// `method` and `route` as a file-name slug.
pub fn route_slug(method: &str, route: &str) -> String {
    let mut s = method.to_ascii_lowercase();
    for c in route.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('-') {
            s.push('-');
        }
    }
    s.trim_end_matches('-').to_owned()
}

/// The operation for `method` on `route`, if the model has it.
pub fn operation<'a>(ops: &'a [Operation], method: &str, route: &str) -> Option<&'a Operation> {
    ops.iter()
        .find(|o| o.method.eq_ignore_ascii_case(method) && o.route == route)
}
