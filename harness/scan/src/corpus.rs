//! Named corpora of hostile inputs that `each: CORPUS` expands a step over.
//!
//! They come from a curated, checked-in set of files
//! (`harness/scan/corpora/uuid`, `harness/scan/corpora/names`, first taken
//! from the seeds of the fuzz targets `uuid_parse` and `names_parse`),
//! embedded at compile time by `build.rs` so that the binary works from any
//! directory. Fuzzing never writes there, so a scan's requests do not change
//! with what a local `cargo fuzz run` added to `corpus/`. Plus two lists
//! written here
//! (`integers/hostile`, `microversion/odd`). Each input's class is its seed
//! file's name (`36-dashes`), which goes into finding ids; its kind tells
//! the oracles what the input is, decided by the core's own parsers rather
//! than by the file name, so a seed that happens to be valid is not judged
//! as malformed.

use placement_core::ids;
use placement_core::names;

use crate::exchange::InputKind;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// The built-in suites (`scenarios/*.yaml`), by file name.
pub fn builtin_suites() -> &'static [(&'static str, &'static str)] {
    embedded::BUILTIN_SUITES
}

/// Where the built-in suites' snapshots are: beside the suites' sources
/// (`scenarios/snapshots` of the repository this binary was built from)
/// while that folder is there, whatever the working directory; else under
/// the state folder the journals use (`$XDG_STATE_HOME/placement-harness/
/// snapshots`), so that a scan from anywhere finds the same baseline.
pub fn builtin_snapshot_dir() -> Option<std::path::PathBuf> {
    let beside = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/snapshots");
    if beside.is_dir() {
        return Some(beside.canonicalize().unwrap_or(beside));
    }
    let runs = crate::journal::Journal::default_dir().ok()?;
    Some(runs.parent()?.join("snapshots"))
}

/// One input of a corpus.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorpusInput {
    /// Input class: the seed file's name, or a short name for built-in lists.
    pub class: String,
    /// The raw bytes.
    pub bytes: Vec<u8>,
    /// What the oracles should make of it.
    pub kind: InputKind,
    /// For `uuid/spellings`: the spelling this input shows, so that
    /// `$SPELL(VAR)` can write another UUID the same way.
    pub spelling: Option<ids::Spelling>,
}

impl CorpusInput {
    /// The input as text (invalid UTF-8 replaced), for `$INPUT` and `$INPUT_JSON`.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    /// The input percent-encoded for a path segment or a query value: every
    /// byte but RFC 3986's unreserved ones as `%XX`.
    pub fn url_encoded(&self) -> String {
        let mut out = String::with_capacity(self.bytes.len() * 3);
        for &b in &self.bytes {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }

    /// The input as a JSON string literal, quotes included.
    pub fn json_literal(&self) -> String {
        serde_json::Value::String(self.text()).to_string()
    }
}

/// A named corpus.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Corpus {
    /// Its name, as `each:` spells it.
    pub name: &'static str,
    /// One line on what it holds.
    pub description: &'static str,
    /// Its inputs, sorted by class.
    pub inputs: Vec<CorpusInput>,
}

/// The corpus names, in listing order.
pub const CORPUS_NAMES: &[&str] = &[
    "uuid/malformed",
    "uuid/spellings",
    "names/resource_class",
    "names/trait",
    "names/provider",
    "names/external_id",
    "names/consumer_type",
    "integers/hostile",
    "microversion/odd",
];

/// Values that break integer handling: bounds of 32- and 64-bit integers,
/// of IEEE doubles' exact range, and JSON values of the wrong type.
const HOSTILE_INTEGERS: &[(&str, &str)] = &[
    ("int32-max", "2147483647"),
    ("int32-max-plus-1", "2147483648"),
    ("2pow53", "9007199254740992"),
    ("2pow63", "9223372036854775808"),
    ("10pow30", "1000000000000000000000000000000"),
    ("minus-1", "-1"),
    ("zero", "0"),
    ("float", "1.5"),
    ("string-1", "\"1\""),
    ("true", "true"),
    ("null", "null"),
];

/// Microversion header values Placement must refuse or read one way only.
const ODD_MICROVERSIONS: &[(&str, &str)] = &[
    ("minor-1999", "placement 1.999"),
    ("below-1-0", "placement 0.9"),
    ("leading-zeros", "placement 1.0000039"),
    ("underscore", "placement 1.1_0"),
    ("two-services", "placement 1.1, placement 1.2"),
    ("other-service", "compute 2.1"),
    ("empty", ""),
    ("no-service", "1.10"),
    ("latest-upper", "placement LATEST"),
    ("negative", "placement -1.1"),
    ("plus", "placement +1.1"),
    ("space-in-number", "placement 1. 1"),
    ("huge-minor", "placement 1.99999999999999999999"),
];

/// The corpus called `name`, or `None`.
pub fn corpus(name: &str) -> Option<Corpus> {
    let description = match name {
        "uuid/malformed" => "UUID-like inputs that are no UUID in any spelling",
        "uuid/spellings" => "inputs that spell a UUID non-canonically",
        "names/resource_class" => "hostile names for resource classes (rc-, custom-rc-)",
        "names/trait" => "hostile names for traits (trait-, custom-trait-)",
        "names/provider" => "hostile names for provider names (provider-name-)",
        "names/external_id" => "hostile names for project and user ids (external-id-)",
        "names/consumer_type" => "hostile names for consumer types (consumer-type-)",
        "integers/hostile" => "integer bounds and wrongly typed JSON values",
        "microversion/odd" => "odd OpenStack-API-Version header values",
        _ => return None,
    };
    let name = CORPUS_NAMES.iter().copied().find(|n| *n == name)?;
    let inputs = match name {
        "uuid/malformed" => uuid_inputs(false),
        "uuid/spellings" => uuid_inputs(true),
        "integers/hostile" => fixed(HOSTILE_INTEGERS),
        "microversion/odd" => fixed(ODD_MICROVERSIONS),
        _ => name_inputs(name),
    };
    Some(Corpus {
        name,
        description,
        inputs,
    })
}

/// Every corpus, in listing order.
pub fn all() -> Vec<Corpus> {
    CORPUS_NAMES.iter().filter_map(|n| corpus(n)).collect()
}

fn fixed(list: &[(&str, &str)]) -> Vec<CorpusInput> {
    list.iter()
        .map(|(class, value)| CorpusInput {
            class: (*class).to_owned(),
            bytes: value.as_bytes().to_vec(),
            kind: InputKind::Hostile,
            spelling: None,
        })
        .collect()
}

fn uuid_inputs(spellings: bool) -> Vec<CorpusInput> {
    embedded::UUID_SEEDS
        .iter()
        .filter_map(|(class, bytes)| {
            let parsed = std::str::from_utf8(bytes).ok().and_then(ids::classify);
            let keep = match parsed {
                None => !spellings,
                Some((_, spelling)) => spellings && spelling != ids::Spelling::Canonical,
            };
            keep.then(|| CorpusInput {
                class: (*class).to_owned(),
                bytes: bytes.to_vec(),
                kind: if spellings {
                    InputKind::UuidSpelling
                } else {
                    InputKind::MalformedUuid
                },
                spelling: parsed.map(|(_, s)| s),
            })
        })
        .collect()
}

/// File name prefixes of the files under `corpora/names`, per corpus.
fn name_prefixes(corpus: &str) -> &'static [&'static str] {
    match corpus {
        "names/resource_class" => &["rc-", "custom-rc-"],
        "names/trait" => &["trait-", "custom-trait-"],
        "names/provider" => &["provider-name-"],
        "names/external_id" => &["external-id-"],
        "names/consumer_type" => &["consumer-type-"],
        _ => &[],
    }
}

/// Whether the core accepts a names_parse seed's text for its selector
/// (the fuzz target's meaning: `selector % 7` picks the kind of name).
fn name_is_valid(selector: u8, text: &str) -> bool {
    match selector % 7 {
        0 => names::ResourceClass::parse(text).is_ok(),
        1 => names::ResourceClass::parse_custom(text).is_ok(),
        2 => names::TraitName::parse(text).is_ok(),
        3 => names::TraitName::parse_custom(text).is_ok(),
        4 => names::ConsumerType::parse(text).is_ok(),
        5 => names::ExternalId::parse(text).is_ok(),
        _ => names::ProviderName::parse(text).is_ok(),
    }
}

fn name_inputs(corpus: &str) -> Vec<CorpusInput> {
    let prefixes = name_prefixes(corpus);
    embedded::NAME_SEEDS
        .iter()
        .filter(|(class, _)| prefixes.iter().any(|p| class.starts_with(p)))
        .filter_map(|(class, bytes)| {
            let (&selector, rest) = bytes.split_first()?;
            let valid = std::str::from_utf8(rest).is_ok_and(|t| name_is_valid(selector, t));
            Some(CorpusInput {
                class: (*class).to_owned(),
                bytes: rest.to_vec(),
                kind: if valid {
                    InputKind::Valid
                } else {
                    InputKind::MalformedName
                },
                spelling: None,
            })
        })
        .collect()
}
