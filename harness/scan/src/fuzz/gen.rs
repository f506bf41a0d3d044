//! Generators: requests built from the [`crate::model`] with a seeded
//! [`Rng`]: valid values, values at and past the bounds, and invalid ones
//! (the scanner's [`crate::corpus`] inputs, wrong JSON kinds, missing and
//! extra keys, odd or too-old microversions, other personas), over the
//! objects of the episode the [`World`] knows.
//!
//! Every decision goes through [`Choices`], so the same generator (and the
//! same tables of values to try) serves two sources: the seeded [`Rng`] of
//! `placement-harness fuzz` and the fuzzer's bytes of the libFuzzer target
//! ([`crate::model::arbitrary`]).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use super::case::{AGGREGATES, CLASS, CONSUMERS, PROVIDERS, Step, TRAIT, var};
use super::rng::Rng;
use crate::corpus::{self, CorpusInput};
use crate::exchange::{Input, InputKind};
use crate::model::{MAX_MINOR, ObjectKind, Operation, QueryValue, Schema, Text};

/// Personas a request may be sent as besides `admin`.
pub const OTHER_PERSONAS: &[&str] = &[
    "service",
    "tenant-a-member",
    "tenant-a-reader",
    "tenant-a-admin",
    "tenant-b-member",
    "tenant-b-reader",
    "norole",
    "anonymous",
];

/// Standard classes every Placement has.
const CLASSES: &[&str] = &["VCPU", "MEMORY_MB", "DISK_GB"];
/// Standard traits every Placement has (os-traits).
const TRAITS: &[&str] = &[
    "HW_CPU_X86_AVX2",
    "COMPUTE_STATUS_DISABLED",
    "STORAGE_DISK_SSD",
];

/// Where the generator's decisions come from. The provided [`Choices::pick`]
/// calls [`Choices::below`] once, as [`Rng::pick`] does, so the seeded
/// stream (and what a seed sends) is the same through this trait.
pub trait Choices {
    /// A number in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize;

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: u32) -> bool;

    /// One element of `items`, or `None` when it is empty.
    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        let i = self.below(items.len());
        items.get(i)
    }
}

impl Choices for Rng {
    fn below(&mut self, n: usize) -> usize {
        Rng::below(self, n)
    }

    fn chance(&mut self, percent: u32) -> bool {
        Rng::chance(self, percent)
    }
}

/// How hostile one generated request is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Valid throughout.
    Valid,
    /// Values at and just past their bounds.
    Boundary,
    /// Wrong kinds, corpus inputs, missing and extra keys.
    Invalid,
}

/// What the generator knows of the episode's objects.
#[derive(Clone, Debug, Default)]
pub struct World {
    /// Providers created (placeholder variable names), in creation order.
    pub providers: Vec<&'static str>,
    /// Consumers that have (or had) allocations.
    pub consumers: Vec<&'static str>,
    /// Objects deleted (for use-after-delete).
    pub deleted: BTreeSet<&'static str>,
    /// Known generation per provider or consumer variable; absent: unknown
    /// (a GET is sent first); `Some(None)`: a consumer with no allocations.
    pub generations: BTreeMap<&'static str, Option<i64>>,
    /// Whether the run's custom class and trait exist.
    pub custom_made: bool,
}

impl World {
    fn provider<C: Choices + ?Sized>(&self, rng: &mut C) -> &'static str {
        rng.pick(&self.providers).copied().unwrap_or(PROVIDERS[0].0)
    }

    fn consumer<C: Choices + ?Sized>(&self, rng: &mut C) -> &'static str {
        if rng.chance(70) {
            rng.pick(&self.consumers).copied().unwrap_or(CONSUMERS[0])
        } else {
            rng.pick(CONSUMERS).copied().unwrap_or(CONSUMERS[0])
        }
    }
}

/// The generator's state while it builds one request.
struct Build<'a, C: ?Sized> {
    rng: &'a mut C,
    world: &'a World,
    mode: Mode,
    input: Option<Input>,
    /// The provider and consumer variables the body is about.
    provider: &'static str,
    consumer: &'static str,
}

impl<C: Choices + ?Sized> Build<'_, C> {
    /// Whether to mutate here: each node of a hostile request is mutated
    /// with a small chance, and at least the first mutation is remembered
    /// as the request's input class.
    fn mutate_here(&mut self) -> bool {
        self.mode != Mode::Valid && self.rng.chance(12)
    }

    fn note(&mut self, kind: InputKind, class: &str, value: Option<String>) {
        if self.input.is_none() {
            self.input = Some(Input {
                kind,
                class: class.to_owned(),
                value,
            });
        }
    }

    /// Relabels the request's input as merely hostile when it is `value`
    /// and `valid_here` says the slot takes it.
    fn not_malformed_if(&mut self, value: &Value, valid_here: impl Fn(&str) -> bool) {
        let Some(text) = value.as_str() else { return };
        if let Some(input) = self.input.as_mut() {
            if input.kind == InputKind::MalformedName
                && input.value.as_deref() == Some(text)
                && valid_here(text)
            {
                input.kind = InputKind::Hostile;
            }
        }
    }

    fn corpus_input(&mut self, name: &str) -> Option<CorpusInput> {
        let c = corpus::corpus(name)?;
        self.rng.pick(&c.inputs).cloned()
    }

    /// A hostile string for a text slot: a corpus input of its kind.
    fn hostile_text(&mut self, t: Text) -> Value {
        let name = match t {
            Text::Uuid(_) => "uuid/malformed",
            Text::ResourceClass | Text::CustomName(ObjectKind::ResourceClass) => {
                "names/resource_class"
            }
            Text::TraitName | Text::CustomName(_) => "names/trait",
            Text::ProviderName => "names/provider",
            Text::ExternalId(_) => "names/external_id",
            Text::ConsumerType => "names/consumer_type",
            Text::GroupSuffix => "names/trait",
        };
        match self.corpus_input(name) {
            Some(input) => {
                let text = input.text();
                self.note(input.kind.clone(), &input.class, Some(text.clone()));
                Value::String(text)
            }
            None => Value::String(String::new()),
        }
    }

    /// A value of the wrong JSON kind.
    fn wrong_kind(&mut self) -> Value {
        let choices: [(&str, Value); 9] = [
            ("kind-string-1", json!("1")),
            ("kind-true", json!(true)),
            ("kind-null", Value::Null),
            ("kind-array", json!([])),
            ("kind-object", json!({})),
            ("kind-float", json!(1.5)),
            ("kind-2pow63", json!(9_223_372_036_854_775_808_u64)),
            ("kind-10pow30", json!(1e30)),
            ("kind-negative", json!(-1)),
        ];
        let i = self.rng.below(choices.len());
        let (class, v) = choices
            .get(i)
            .cloned()
            .unwrap_or(("kind-null", Value::Null));
        self.note(InputKind::Hostile, class, Some(v.to_string()));
        v
    }

    fn boundary_int(&mut self, min: Option<i64>, max: Option<i64>) -> Value {
        let lo = min.unwrap_or(0);
        let hi = max.unwrap_or(2_147_483_647);
        let choices = [
            ("int-min", lo),
            ("int-min-minus-1", lo.saturating_sub(1)),
            ("int-max", hi),
            ("int-max-plus-1", hi.saturating_add(1)),
            ("int-zero", 0),
        ];
        let i = self.rng.below(choices.len());
        let (class, v) = choices.get(i).copied().unwrap_or(("int-zero", 0));
        self.note(InputKind::Hostile, class, Some(v.to_string()));
        json!(v)
    }

    fn boundary_text(&mut self, t: Text) -> Value {
        let (min, max) = t.length();
        let (class, len) = match self.rng.below(3) {
            0 => ("text-max-length", max),
            1 => ("text-max-length-plus-1", max + 1),
            _ => ("text-below-min-length", min.saturating_sub(1)),
        };
        let base = match t {
            Text::ResourceClass | Text::CustomName(_) | Text::TraitName | Text::ConsumerType => {
                "CUSTOM_"
            }
            _ => "",
        };
        let mut s = base.to_owned();
        while s.len() < len {
            s.push('A');
        }
        s.truncate(len);
        self.note(InputKind::Hostile, class, Some(format!("{len} characters")));
        Value::String(s)
    }

    fn valid_text(&mut self, t: Text) -> String {
        match t {
            Text::ProviderName => var(provider_name(self.provider)),
            Text::Uuid(ObjectKind::Provider) => var(self.provider),
            Text::Uuid(ObjectKind::Consumer) => var(self.consumer),
            Text::Uuid(_) => var(self.rng.pick(AGGREGATES).copied().unwrap_or(AGGREGATES[0])),
            Text::ResourceClass => {
                if self.world.custom_made && self.rng.chance(20) {
                    var(CLASS)
                } else {
                    self.rng.pick(CLASSES).copied().unwrap_or("VCPU").to_owned()
                }
            }
            Text::CustomName(ObjectKind::Trait) | Text::TraitName if self.rng.chance(30) => {
                var(TRAIT)
            }
            Text::CustomName(_) => var(CLASS),
            Text::TraitName => self
                .rng
                .pick(TRAITS)
                .copied()
                .unwrap_or("HW_CPU_X86_AVX2")
                .to_owned(),
            Text::ExternalId(ObjectKind::User) => var("USER_ID"),
            Text::ExternalId(_) => var("PROJECT_ID"),
            Text::ConsumerType => if self.rng.chance(50) {
                "INSTANCE"
            } else {
                "MIGRATION"
            }
            .to_owned(),
            Text::GroupSuffix => "_G1".to_owned(),
        }
    }

    fn value(&mut self, schema: &Schema) -> Value {
        if self.mutate_here() {
            match (self.mode, schema) {
                (Mode::Boundary, Schema::Integer { min, max }) => {
                    return self.boundary_int(*min, *max);
                }
                (Mode::Boundary, Schema::Text(t)) => return self.boundary_text(*t),
                (Mode::Boundary, Schema::Number { .. }) => {
                    self.note(InputKind::Hostile, "number-past-float-max", None);
                    return json!(3.5e38);
                }
                (Mode::Invalid, Schema::Text(t)) if self.rng.chance(60) => {
                    return self.hostile_text(*t);
                }
                (Mode::Invalid, _) => return self.wrong_kind(),
                _ => {}
            }
        }
        match schema {
            Schema::Object { props } => {
                let mut m = Map::new();
                for p in props {
                    let keep = p.required || self.rng.chance(50);
                    if p.required && self.mode == Mode::Invalid && self.rng.chance(5) {
                        self.note(InputKind::Hostile, &format!("missing-{}", p.name), None);
                        continue;
                    }
                    if keep {
                        let v = self.value(&p.schema);
                        m.insert(p.name.to_owned(), v);
                    }
                }
                if self.mode == Mode::Invalid && self.rng.chance(5) {
                    self.note(InputKind::Hostile, "extra-key", None);
                    m.insert("fuzz_extra".to_owned(), json!(1));
                }
                Value::Object(m)
            }
            Schema::Map {
                key,
                value,
                min_props,
                ..
            } => {
                let n = if *min_props == 0 && self.rng.chance(20) {
                    0
                } else {
                    1 + self.rng.below(2)
                };
                let mut m = Map::new();
                for _ in 0..n {
                    let hostile_key = self.mode == Mode::Invalid && self.rng.chance(25);
                    let k = if hostile_key {
                        match self.hostile_text(*key) {
                            Value::String(s) => s,
                            other => other.to_string(),
                        }
                    } else {
                        self.valid_text(*key)
                    };
                    // A key outside the pattern escapes a map that is not
                    // closed (Placement's PUT inventories): its value is
                    // then never checked, so try a wrong kind there too.
                    let v = if hostile_key && self.rng.chance(50) {
                        self.wrong_kind()
                    } else {
                        self.value(value)
                    };
                    m.insert(k, v);
                }
                Value::Object(m)
            }
            Schema::Array {
                items, min_items, ..
            } => {
                let n = if *min_items == 0 && self.rng.chance(25) {
                    0
                } else {
                    1 + self.rng.below(2)
                };
                let mut seen = Vec::new();
                for _ in 0..n {
                    let v = self.value(items);
                    if !seen.contains(&v) {
                        seen.push(v);
                    }
                }
                Value::Array(seen)
            }
            Schema::Integer { min, max } => {
                let lo = min.unwrap_or(0).max(1);
                let hi = max.unwrap_or(16).min(lo + 15);
                let span = usize::try_from(hi - lo + 1).unwrap_or(1);
                json!(lo + i64::try_from(self.rng.below(span)).unwrap_or(0))
            }
            Schema::Number { .. } => json!(1.0),
            Schema::Text(t) => Value::String(self.valid_text(*t)),
            Schema::Generation(kind) => {
                let who = if *kind == ObjectKind::Consumer {
                    self.consumer
                } else {
                    self.provider
                };
                match self.world.generations.get(who) {
                    Some(Some(g)) => json!(g),
                    Some(None) => Value::Null,
                    None if *kind == ObjectKind::Consumer => Value::Null,
                    None => json!(0),
                }
            }
            Schema::Nullable(inner) => {
                if self.rng.chance(20) {
                    Value::Null
                } else {
                    self.value(inner)
                }
            }
        }
    }

    fn query_value(&mut self, v: QueryValue) -> String {
        if self.mutate_here() || (self.mode == Mode::Invalid && self.rng.chance(30)) {
            let hostile = match v {
                QueryValue::Uuid(_) | QueryValue::MemberOf => {
                    self.hostile_text(Text::Uuid(ObjectKind::Provider))
                }
                QueryValue::Resources => match self.rng.below(4) {
                    0 => {
                        self.note(InputKind::Hostile, "resources-amount-past-int", None);
                        json!("VCPU:99999999999999999999")
                    }
                    1 => {
                        self.note(InputKind::Hostile, "resources-no-amount", None);
                        json!("VCPU")
                    }
                    _ => self
                        .hostile_text(Text::ResourceClass)
                        .as_str()
                        .map(|s| json!(format!("{s}:1")))
                        .unwrap_or(Value::Null),
                },
                QueryValue::Traits => {
                    let v = self.hostile_text(Text::TraitName);
                    // `!NAME` (1.22) and `in:` (1.39) are the grammar of a
                    // trait filter, not a malformed trait name there.
                    self.not_malformed_if(&v, |t| t.starts_with('!') || t.starts_with("in:"));
                    v
                }
                QueryValue::ExternalId => self.hostile_text(Text::ExternalId(ObjectKind::Project)),
                QueryValue::ConsumerType => {
                    let v = self.hostile_text(Text::ConsumerType);
                    // `all` and `unknown` are the filter's own words (1.38).
                    self.not_malformed_if(&v, |t| t == "all" || t == "unknown");
                    v
                }
                _ => {
                    let words = [
                        "abc",
                        "-1",
                        "0",
                        "",
                        "1.5",
                        "99999999999999999999",
                        "true",
                        "in:",
                        "!",
                    ];
                    let w = self.rng.pick(&words).copied().unwrap_or("abc");
                    self.note(
                        InputKind::Hostile,
                        &format!("query-{w}"),
                        Some(w.to_owned()),
                    );
                    json!(w)
                }
            };
            return match hostile {
                Value::String(s) => s,
                other => other.to_string(),
            };
        }
        match v {
            QueryValue::Text => var(provider_name(self.provider)),
            QueryValue::Uuid(ObjectKind::Provider) => var(self.provider),
            QueryValue::Uuid(_) | QueryValue::MemberOf => {
                let a = var(self.rng.pick(AGGREGATES).copied().unwrap_or(AGGREGATES[0]));
                if self.rng.chance(30) {
                    format!("in:{a}")
                } else {
                    a
                }
            }
            QueryValue::Resources => {
                let c = self.rng.pick(CLASSES).copied().unwrap_or("VCPU");
                format!("{c}:{}", 1 + self.rng.below(4))
            }
            QueryValue::Traits => {
                let t = self.rng.pick(TRAITS).copied().unwrap_or("HW_CPU_X86_AVX2");
                if self.rng.chance(30) {
                    format!("!{t}")
                } else {
                    t.to_owned()
                }
            }
            QueryValue::Limit => (1 + self.rng.below(5)).to_string(),
            QueryValue::GroupPolicy => if self.rng.chance(50) {
                "none"
            } else {
                "isolate"
            }
            .to_owned(),
            QueryValue::ExternalId => var("PROJECT_ID"),
            QueryValue::ConsumerType => self
                .rng
                .pick(&["INSTANCE", "all", "unknown"])
                .copied()
                .unwrap_or("all")
                .to_owned(),
            QueryValue::TraitNameFilter => {
                if self.rng.chance(50) {
                    "startswith:HW_".to_owned()
                } else {
                    format!("in:{}", var(TRAIT))
                }
            }
            QueryValue::Bool => if self.rng.chance(50) { "true" } else { "false" }.to_owned(),
            QueryValue::Suffixes => "_G1".to_owned(),
        }
    }
}

fn provider_name(uuid_var: &str) -> &'static str {
    PROVIDERS
        .iter()
        .find(|(u, _)| *u == uuid_var)
        .map(|(_, n)| *n)
        .unwrap_or(PROVIDERS[0].1)
}

/// Percent-encodes a query value, leaving placeholders and the
/// characters Placement's grammars use readable.
fn encode(value: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'_')
        .remove(b'-')
        .remove(b'.')
        .remove(b':')
        .remove(b',')
        .remove(b'!')
        .remove(b'$')
        .remove(b'[')
        .remove(b']')
        .remove(b'\'');
    percent_encoding::utf8_percent_encode(value, KEEP).to_string()
}

/// The microversion to send for `op`: mostly one it serves (half the time
/// the newest), sometimes one before it exists, an odd header from the
/// corpus, or none.
fn microversion<C: Choices + ?Sized>(
    op: &Operation,
    rng: &mut C,
    mode: Mode,
) -> (Option<String>, Option<Input>) {
    let roll = rng.below(100);
    if mode != Mode::Valid && roll < 6 {
        if let Some(c) = corpus::corpus("microversion/odd") {
            if let Some(i) = rng.pick(&c.inputs) {
                let text = i.text();
                let input = Input {
                    kind: InputKind::Hostile,
                    class: format!("microversion-{}", i.class),
                    value: Some(text.clone()),
                };
                return (Some(text), Some(input));
            }
        }
    }
    if mode != Mode::Valid && roll < 10 && op.from > 0 {
        let minor = u16::try_from(rng.below(usize::from(op.from))).unwrap_or(0);
        return (Some(format!("placement 1.{minor}")), None);
    }
    if roll < 12 {
        return (None, None);
    }
    let minor = if rng.chance(50) {
        MAX_MINOR
    } else {
        op.from + u16::try_from(rng.below(usize::from(MAX_MINOR - op.from) + 1)).unwrap_or(0)
    };
    (Some(format!("placement 1.{minor}")), None)
}

/// The minor version a header value asks for (`None` header: 1.0).
pub fn minor_of(header: Option<&str>) -> Option<u16> {
    match header {
        None => Some(0),
        Some("placement latest") => Some(MAX_MINOR),
        Some(h) => h.strip_prefix("placement 1.")?.parse().ok(),
    }
}

/// A path parameter's value: mostly the episode's object, sometimes one
/// that does not exist, a malformed one or a non-canonical spelling.
fn path_value<C: Choices + ?Sized>(
    b: &mut Build<'_, C>,
    t: Text,
    route: &str,
) -> (String, Option<String>) {
    let hostile = b.mode != Mode::Valid && b.rng.chance(35);
    match t {
        Text::Uuid(kind) => {
            let v = if kind == ObjectKind::Consumer {
                b.consumer
            } else {
                b.provider
            };
            if hostile {
                if b.rng.chance(50) {
                    let s = b.hostile_text(t);
                    return (s.as_str().unwrap_or("").to_owned(), None);
                }
                // Another of the run's UUIDs the episode never created.
                let other = if kind == ObjectKind::Consumer {
                    CONSUMERS[2]
                } else {
                    PROVIDERS[2].0
                };
                b.note(InputKind::Nonexistent, "nonexistent-uuid", None);
                return (var(other), Some(var(other)));
            }
            (var(v), Some(var(v)))
        }
        _ => {
            if hostile {
                let s = b.hostile_text(t);
                return (s.as_str().unwrap_or("").to_owned(), None);
            }
            let v = if route.starts_with("/resource_classes") {
                var(CLASS)
            } else if route.starts_with("/traits") {
                var(TRAIT)
            } else {
                b.valid_text(Text::ResourceClass)
            };
            (v, None)
        }
    }
}

/// One generated request for `op` in the `world`.
pub fn request<C: Choices + ?Sized>(
    op: &Operation,
    rng: &mut C,
    world: &World,
    name: String,
) -> Step {
    let mode = match rng.below(100) {
        0..=39 => Mode::Valid,
        40..=64 => Mode::Boundary,
        _ => Mode::Invalid,
    };
    let persona = if rng.chance(80) {
        "admin".to_owned()
    } else {
        rng.pick(OTHER_PERSONAS)
            .copied()
            .unwrap_or("admin")
            .to_owned()
    };
    let (microversion, mv_input) = microversion(op, rng, mode);
    let minor = minor_of(microversion.as_deref()).unwrap_or(MAX_MINOR);
    let provider = world.provider(rng);
    let consumer = world.consumer(rng);
    let mut b = Build {
        rng,
        world,
        mode,
        input: mv_input,
        provider,
        consumer,
    };
    let mut path = op.route.to_owned();
    let mut object = None;
    for (pname, t) in &op.path {
        let (v, obj) = path_value(&mut b, *t, op.route);
        if obj.is_some() {
            object = obj;
        }
        path = path.replace(&format!("{{{pname}}}"), &encode_path(&v));
    }
    if matches!(op.method, "GET" | "DELETE") {
        // Reading or deleting a class or trait by a name in the token
        // grammar (`GOLD`, `CUSTOM_`) looks up an object that cannot exist:
        // Placement answers 404 naming it, and its own tests want that
        // name in the message. Such a name is missing, not malformed.
        let token = |t: &str| {
            !t.is_empty()
                && t.bytes()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_')
        };
        if let Some(input) = b.input.as_mut() {
            if input.kind == InputKind::MalformedName && input.value.as_deref().is_some_and(token) {
                input.kind = InputKind::Nonexistent;
            }
        }
    }
    let mut query: Vec<String> = Vec::new();
    for p in op.query_at(minor.min(MAX_MINOR)) {
        if p.value == QueryValue::Suffixes && !b.rng.chance(10) {
            continue;
        }
        if !(p.required || b.rng.chance(40)) {
            continue;
        }
        let name = match p.grouped_from {
            Some(g) if minor >= g && b.rng.chance(20) => format!("{}_G1", p.name),
            _ => p.name.to_owned(),
        };
        if b.mode == Mode::Invalid && b.rng.chance(30) {
            // A repeated parameter whose first value is hostile: Placement's
            // schema reads one copy and its handler may read the other.
            let bad = b.query_value(QueryValue::Text);
            b.note(InputKind::Hostile, "repeated-parameter", Some(bad.clone()));
            query.push(format!("{name}={}", encode(&bad)));
        }
        let v = b.query_value(p.value);
        query.push(format!("{name}={}", encode(&v)));
    }
    if b.mode == Mode::Invalid && !op.query.is_empty() && b.rng.chance(8) {
        b.note(InputKind::Hostile, "unknown-parameter", None);
        query.push("fuzz_unknown=1".to_owned());
    }
    if !query.is_empty() {
        path = format!("{path}?{}", query.join("&"));
    }
    let body = match op.body_at(minor) {
        Some(schema) => Some(b.value(schema)),
        None if b.mode == Mode::Invalid => op.bodies.last().map(|v| {
            // A body where this version reads none: whatever is in it is
            // not input the server judges (PUT /resource_classes/{name}
            // from 1.7 ignores it), so accepting it is no malformed_input.
            b.note(InputKind::Hostile, "body-not-read", None);
            b.value(&v.schema)
        }),
        None => None,
    };
    let input = sent_or_dropped(b.input.take().unwrap_or_default(), &path, body.as_ref());
    Step {
        name,
        persona,
        method: op.method.to_owned(),
        path,
        route: op.route.to_owned(),
        microversion,
        body,
        input,
        object,
        concurrent: false,
    }
}

/// The request's input label, if its value is really in the request. A
/// malformed value can be generated and then not sent (a map entry that a
/// later key replaces, an optional member left out); judging the request by
/// it would call a correct 2xx "malformed input accepted".
fn sent_or_dropped(input: Input, path: &str, body: Option<&Value>) -> Input {
    let judged = matches!(
        input.kind,
        InputKind::MalformedName | InputKind::MalformedUuid | InputKind::UuidSpelling
    );
    let Some(value) = input.value.as_deref().filter(|_| judged) else {
        return input;
    };
    if value.is_empty() {
        // Every text contains "": look for an empty segment, query value
        // or JSON string instead.
        let (route, query) = path.split_once('?').unwrap_or((path, ""));
        let in_path = route.contains("//")
            || route.ends_with('/')
            || query.split('&').any(|kv| kv.ends_with('='));
        let in_body = body.is_some_and(|b| b.to_string().contains("\"\""));
        return if in_path || in_body {
            input
        } else {
            Input::default()
        };
    }
    let in_path =
        path.contains(value) || path.contains(&encode_path(value)) || path.contains(&encode(value));
    let in_body = body.is_some_and(|b| {
        let quoted = Value::String(value.to_owned()).to_string();
        let inner = quoted
            .strip_prefix('"')
            .and_then(|q| q.strip_suffix('"'))
            .unwrap_or(&quoted);
        b.to_string().contains(inner)
    });
    if in_path || in_body {
        input
    } else {
        Input::default()
    }
}

/// Percent-encodes what a path segment cannot carry, leaving placeholders.
fn encode_path(value: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'#')
        .add(b'<')
        .add(b'>')
        .add(b'?')
        .add(b'`')
        .add(b'{')
        .add(b'}')
        .add(b'/')
        .add(b'%');
    percent_encoding::utf8_percent_encode(value, SEGMENT).to_string()
}

/// A fixed valid step (setup and story steps), as admin at 1.39.
pub fn fixed(name: &str, method: &str, path: String, route: &str, body: Option<Value>) -> Step {
    Step {
        name: name.to_owned(),
        persona: "admin".to_owned(),
        method: method.to_owned(),
        path,
        route: route.to_owned(),
        microversion: Some(format!("placement 1.{MAX_MINOR}")),
        body,
        input: Input::default(),
        object: None,
        concurrent: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::rng::Rng;
    use crate::model::{arbitrary::setup_world, surface};

    #[test]
    fn a_body_the_version_does_not_read_is_not_judged_as_malformed_input() {
        // From 1.7, PUT /resource_classes/{name} reads no body; a malformed
        // name sent in one must not be labelled malformed input (accepting
        // it is right), while a body the version reads still may be.
        let ops = surface();
        let Some(op) = ops
            .iter()
            .find(|o| o.method == "PUT" && o.route == "/resource_classes/{name}")
        else {
            panic!("PUT /resource_classes/{{name}} is in the model");
        };
        let world = setup_world();
        let mut rng = Rng::new(3);
        let (mut unread_bodies, mut labelled_by_read_body) = (0, 0);
        for i in 0..4000 {
            let step = request(op, &mut rng, &world, format!("s{i}"));
            let Some(minor) = minor_of(step.microversion.as_deref()) else {
                continue;
            };
            let malformed = matches!(
                step.input.kind,
                InputKind::MalformedName | InputKind::MalformedUuid
            );
            if step.body.is_some() && minor >= 7 {
                unread_bodies += 1;
                // Path values come first and the first label wins: a
                // malformed label here must be the path's own.
                assert!(
                    !malformed || !step.path.contains(&var(CLASS)),
                    "step {i} at 1.{minor}: {:?} labelled from a body the version ignores",
                    step.input
                );
            }
            if step.body.is_some() && minor < 7 && malformed {
                labelled_by_read_body += 1;
            }
        }
        assert!(unread_bodies > 0, "the generator never sent an unread body");
        assert!(
            labelled_by_read_body > 0,
            "bodies that are read are still judged"
        );
    }
    #[test]
    fn a_label_whose_value_was_not_sent_is_dropped() {
        let label = |v: &str| Input {
            kind: InputKind::MalformedUuid,
            class: "sql-fragment".to_owned(),
            value: Some(v.to_owned()),
        };
        let body = json!({"c0ffee00' OR '1'='1": {"allocations": {}}});
        let kept = sent_or_dropped(label("c0ffee00' OR '1'='1"), "/allocations", Some(&body));
        assert_eq!(kept.kind, InputKind::MalformedUuid);
        let in_path = sent_or_dropped(label("a b"), "/resource_providers/a%20b", None);
        assert_eq!(in_path.kind, InputKind::MalformedUuid);
        let quoted = sent_or_dropped(label("x\n"), "/allocations", Some(&json!({"k": "x\n"})));
        assert_eq!(quoted.kind, InputKind::MalformedUuid);
        let lost = sent_or_dropped(
            label("c0ffee00' OR '1'='1"),
            "/allocations",
            Some(&json!({})),
        );
        assert_eq!(lost.kind, InputKind::Valid);
    }
}
