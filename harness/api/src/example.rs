//! The simplest valid request of every operation, built from the model
//! alone: the model's own test feeds these to the core's parsers at every
//! microversion, so a model that describes something Placement would refuse
//! fails there, and the fuzzer starts each mutation from one of them.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{ObjectKind, Operation, QueryValue, Schema, Text};

/// The concrete values the run's objects are bound to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bindings {
    /// Object kind to the values of that kind, first is the default.
    pub objects: BTreeMap<ObjectKind, Vec<String>>,
    /// Current generation of providers and consumers by UUID (`None`: new
    /// consumer).
    pub generations: BTreeMap<String, Option<i64>>,
}

impl Bindings {
    /// Bindings with one value per kind, for tests and examples.
    pub fn sample() -> Self {
        let mut objects = BTreeMap::new();
        let mut put = |k: ObjectKind, v: &str| {
            objects.insert(k, vec![v.to_owned()]);
        };
        put(ObjectKind::Provider, "4e8e5957-649f-477b-9e5b-f1f75b21c03c");
        put(ObjectKind::Consumer, "6c5e1a3b-8e2d-4f7a-9b1c-2d3e4f5a6b7c");
        put(
            ObjectKind::Aggregate,
            "1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b",
        );
        put(ObjectKind::ResourceClass, "CUSTOM_FUZZ_SAMPLE");
        put(ObjectKind::Trait, "CUSTOM_FUZZ_TRAIT");
        put(ObjectKind::Project, "tenant-a");
        put(ObjectKind::User, "tenant-a-member");
        Bindings {
            objects,
            generations: BTreeMap::new(),
        }
    }

    /// The first value bound to `kind`, or a placeholder that names it.
    pub fn first(&self, kind: ObjectKind) -> String {
        self.objects
            .get(&kind)
            .and_then(|v| v.first())
            .cloned()
            .unwrap_or_else(|| format!("unbound-{kind:?}"))
    }

    /// The value a text slot takes in the example.
    pub fn text(&self, t: Text) -> String {
        match t {
            Text::ProviderName => format!("fuzz-{}", self.first(ObjectKind::Provider)),
            Text::Uuid(k) => self.first(k),
            Text::ResourceClass => "VCPU".to_owned(),
            Text::CustomName(k) => self.first(k),
            Text::TraitName => "HW_CPU_X86_AVX2".to_owned(),
            Text::ExternalId(k) => self.first(k),
            Text::ConsumerType => "INSTANCE".to_owned(),
            Text::GroupSuffix => "_G1".to_owned(),
        }
    }

    /// The generation to send for an object of `kind` (the first bound).
    pub fn generation(&self, kind: ObjectKind) -> Value {
        let id = self.first(kind);
        match (kind, self.generations.get(&id)) {
            (_, Some(Some(g))) => json!(g),
            (ObjectKind::Consumer, _) => Value::Null,
            _ => json!(0),
        }
    }
}

/// The example value of `schema`: every property present, one map entry,
/// one array item, each integer at its lower bound (or 1 without one).
pub fn example_value(schema: &Schema, b: &Bindings) -> Value {
    match schema {
        Schema::Object { props } => {
            let mut m = Map::new();
            for p in props {
                m.insert(p.name.to_owned(), example_value(&p.schema, b));
            }
            Value::Object(m)
        }
        Schema::Map { key, value, .. } => {
            let mut m = Map::new();
            m.insert(b.text(*key), example_value(value, b));
            Value::Object(m)
        }
        Schema::Array { items, .. } => Value::Array(vec![example_value(items, b)]),
        Schema::Integer { min, .. } => json!(min.unwrap_or(1)),
        Schema::Number { .. } => json!(1.0),
        Schema::Text(t) => Value::String(b.text(*t)),
        Schema::Generation(k) => b.generation(*k),
        Schema::Nullable(inner) => example_value(inner, b),
    }
}

/// The example body of `op` at `minor`, if it reads one then.
pub fn example_body(op: &Operation, minor: u16, b: &Bindings) -> Option<Value> {
    op.body_at(minor).map(|s| example_value(s, b))
}

/// The example value of a query parameter.
pub fn example_query_value(value: QueryValue, b: &Bindings) -> String {
    match value {
        QueryValue::Text => "fuzz".to_owned(),
        QueryValue::Uuid(k) => b.first(k),
        QueryValue::Resources => "VCPU:1".to_owned(),
        QueryValue::Traits => "HW_CPU_X86_AVX2".to_owned(),
        QueryValue::MemberOf => b.first(ObjectKind::Aggregate),
        QueryValue::Limit => "1".to_owned(),
        QueryValue::GroupPolicy => "none".to_owned(),
        QueryValue::ExternalId => b.first(ObjectKind::Project),
        QueryValue::ConsumerType => "INSTANCE".to_owned(),
        QueryValue::TraitNameFilter => "startswith:HW_".to_owned(),
        QueryValue::Bool => "true".to_owned(),
        QueryValue::Suffixes => "_G1".to_owned(),
    }
}

/// The example query string of `op` at `minor`: every parameter it reads,
/// except `same_subtree`, which needs suffixed groups to refer to.
pub fn example_query(op: &Operation, minor: u16, b: &Bindings) -> String {
    op.query_at(minor)
        .filter(|p| p.value != QueryValue::Suffixes)
        // group_policy is required only with several groups; `none` is
        // still accepted with one.
        .map(|p| {
            format!(
                "{}={}",
                p.name,
                percent_encoding::utf8_percent_encode(
                    &example_query_value(p.value, b),
                    percent_encoding::NON_ALPHANUMERIC
                )
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// `op.route` with each path parameter replaced by its example value.
pub fn fill_path(op: &Operation, b: &Bindings) -> String {
    let mut path = op.route.to_owned();
    for (name, t) in &op.path {
        let value = match t {
            Text::ResourceClass if op.route.starts_with("/resource_classes") => {
                b.first(ObjectKind::ResourceClass)
            }
            Text::TraitName => b.first(ObjectKind::Trait),
            other => b.text(*other),
        };
        path = path.replace(&format!("{{{name}}}"), &value);
    }
    path
}
