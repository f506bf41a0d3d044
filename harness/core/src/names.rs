//! Names and external identifiers: resource classes, traits, consumer types,
//! provider names, project and user ids.
//!
//! Placement checks these with anchored regular expressions evaluated by
//! Python's `re.search`, where `$` also matches before a final newline, so
//! `"CUSTOM_FOO\n"` passes its pattern. The core's rules are exact: a name is
//! its characters and nothing else. [`placement_pattern_accepts`] predicts the
//! real server's looser answer so the harness can tell the two apart.

use std::fmt;

use crate::python;

/// One list, two forms: the constant, and a `match` over its literals that
/// the compiler turns into length and word comparisons, with no call to
/// memcmp (the state model asks for every inventory it checks, and a fuzzer
/// intercepts every memcmp).
macro_rules! standard_resource_classes {
    ($(#[$doc:meta])* $($name:literal),* $(,)?) => {
        $(#[$doc])*
        pub const STANDARD_RESOURCE_CLASSES: &[&str] = &[$($name),*];

        fn is_standard_resource_class(text: &str) -> bool {
            matches!(text, $($name)|*)
        }
    };
}

standard_resource_classes!(
    /// The standard resource classes of os-resource-classes 1.1.0 (Placement 16.0.0).
    "VCPU",
    "MEMORY_MB",
    "DISK_GB",
    "PCI_DEVICE",
    "SRIOV_NET_VF",
    "NUMA_SOCKET",
    "NUMA_CORE",
    "NUMA_THREAD",
    "NUMA_MEMORY_MB",
    "IPV4_ADDRESS",
    "VGPU",
    "VGPU_DISPLAY_HEAD",
    "NET_BW_EGR_KILOBIT_PER_SEC",
    "NET_BW_IGR_KILOBIT_PER_SEC",
    "PCPU",
    "MEM_ENCRYPTION_CONTEXT",
    "FPGA",
    "PGPU",
    "NET_PACKET_RATE_KILOPACKET_PER_SEC",
    "NET_PACKET_RATE_EGR_KILOPACKET_PER_SEC",
    "NET_PACKET_RATE_IGR_KILOPACKET_PER_SEC",
);

/// Names ordered by length, then text, for [`contains_by_length`].
fn by_length(names: impl Iterator<Item = &'static str>) -> Vec<&'static str> {
    let mut sorted: Vec<&'static str> = names.collect();
    sorted.sort_unstable_by_key(|name| (name.len(), *name));
    sorted
}

/// A binary search of a [`by_length`] list: it compares lengths, and reads
/// the text only of names as long as `name`. The state model asks whether
/// a trait is standard for every trait it checks.
fn contains_by_length(sorted: &[&str], name: &str) -> bool {
    sorted
        .binary_search_by(|probe| (probe.len(), *probe).cmp(&(name.len(), name)))
        .is_ok()
}

fn standard_traits_by_length() -> &'static [&'static str] {
    static TRAITS: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    TRAITS.get_or_init(|| by_length(standard_traits()))
}

const STANDARD_TRAITS_TEXT: &str = include_str!("names/standard_traits.txt");

/// The standard traits of os-traits 3.9.0 (Placement 16.0.0), sorted.
pub fn standard_traits() -> impl Iterator<Item = &'static str> {
    sorted_standard_traits().iter().copied()
}

/// The list once split into lines, in the file's (alphabetical) order.
fn sorted_standard_traits() -> &'static [&'static str] {
    static TRAITS: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    TRAITS.get_or_init(|| STANDARD_TRAITS_TEXT.lines().collect())
}

/// Prefix that marks a user-defined resource class or trait.
pub const CUSTOM_PREFIX: &str = "CUSTOM_";

/// Longest resource class, trait, consumer type, project or user id, in characters.
pub const NAME_MAX_CHARS: usize = 255;

/// Longest resource provider name, in characters.
pub const PROVIDER_NAME_MAX_CHARS: usize = 200;

/// Why a string is not a valid name of its kind. Never quotes the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum NameError {
    /// The empty string.
    #[error("is empty")]
    Empty,
    /// Longer than the kind allows.
    #[error("is longer than {0} characters")]
    TooLong(usize),
    /// Ends in a line break (which Python's `$` would have let through).
    #[error("ends with a line break")]
    TrailingNewline,
    /// A character outside the kind's alphabet, at a 1-based position.
    #[error("has a character other than A-Z, 0-9 and _ at position {0}")]
    BadCharacter(usize),
    /// A control character, at a 1-based position.
    #[error("has a control character at position {0}")]
    ControlCharacter(usize),
    /// An invisible format character (Unicode category Cf: bidirectional
    /// overrides and isolates, zero-width characters, the byte order mark,
    /// ...) or a line or paragraph separator, at a 1-based position.
    #[error("has an invisible formatting character at position {0}")]
    FormatCharacter(usize),
    /// A user-defined name must start with `CUSTOM_` and have more after it.
    #[error("must start with CUSTOM_ followed by A-Z, 0-9 or _")]
    NotCustom,
}

/// Checks `text` against `^[A-Z0-9_]+$` exactly, with a length bound.
fn check_upper_token(text: &str, max: usize) -> Result<(), NameError> {
    if text.is_empty() {
        return Err(NameError::Empty);
    }
    if text.chars().count() > max {
        return Err(NameError::TooLong(max));
    }
    if text.ends_with('\n') {
        return Err(NameError::TrailingNewline);
    }
    match text
        .chars()
        .position(|c| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
    {
        Some(i) => Err(NameError::BadCharacter(i + 1)),
        None => Ok(()),
    }
}

fn check_custom(text: &str) -> Result<(), NameError> {
    check_upper_token(text, NAME_MAX_CHARS)?;
    match text.strip_prefix(CUSTOM_PREFIX) {
        Some(rest) if !rest.is_empty() => Ok(()),
        _ => Err(NameError::NotCustom),
    }
}

/// Whether `c` changes how the text around it is shown without being shown
/// itself: a name holding one displays as another name (U+202E reverses
/// what follows it; U+200B splits a word invisibly), in a console, a log or
/// a dashboard. Free-text names ([`ProviderName`], [`ExternalId`]) refuse it.
pub fn is_invisible_format(c: char) -> bool {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    matches!(
        c.general_category(),
        GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
    )
}

/// Free text with a length range, and no control characters or invisible
/// format characters.
fn check_free_text(text: &str, min: usize, max: usize) -> Result<(), NameError> {
    let len = text.chars().count();
    if len < min {
        return Err(NameError::Empty);
    }
    if len > max {
        return Err(NameError::TooLong(max));
    }
    if text.ends_with('\n') {
        return Err(NameError::TrailingNewline);
    }
    if let Some(i) = text.chars().position(char::is_control) {
        return Err(NameError::ControlCharacter(i + 1));
    }
    match text.chars().position(is_invisible_format) {
        Some(i) => Err(NameError::FormatCharacter(i + 1)),
        None => Ok(()),
    }
}

macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        // Shared text: names are cloned into every map of the state model,
        // and a clone should not allocate.
        #[derive(Clone, Eq)]
        pub struct $name(std::sync::Arc<str>);

        impl std::hash::Hash for $name {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                self.0.hash(state);
            }
        }

        // Clones of one name share their text, and the maps of the state
        // model compare names on every lookup: the same text answers
        // without reading it. Different names mostly differ in their first
        // byte, which answers before a call to memcmp (one that a fuzzer
        // intercepts and records, at many times its own cost).
        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                std::sync::Arc::ptr_eq(&self.0, &other.0)
                    || (self.0.len() == other.0.len()
                        && self.0.as_bytes().first() == other.0.as_bytes().first()
                        && self.0 == other.0)
            }
        }

        impl Ord for $name {
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                if std::sync::Arc::ptr_eq(&self.0, &other.0) {
                    return std::cmp::Ordering::Equal;
                }
                match (self.0.as_bytes().first(), other.0.as_bytes().first()) {
                    (Some(a), Some(b)) if a != b => a.cmp(b),
                    _ => self.0.cmp(&other.0),
                }
            }
        }

        impl PartialOrd for $name {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl $name {
            /// The name as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }
    };
}

name_type!(
    /// A resource class name: `^[A-Z0-9_]+$`, at most 255 characters.
    /// Whether it exists is the state's business, not the syntax's.
    ResourceClass
);

impl ResourceClass {
    /// Parses any syntactically valid resource class name.
    pub fn parse(text: &str) -> Result<Self, NameError> {
        check_upper_token(text, NAME_MAX_CHARS)?;
        Ok(ResourceClass(text.into()))
    }

    /// Parses a name for a new user-defined class: `CUSTOM_` and more.
    pub fn parse_custom(text: &str) -> Result<Self, NameError> {
        check_custom(text)?;
        Ok(ResourceClass(text.into()))
    }

    /// Whether this is one of [`STANDARD_RESOURCE_CLASSES`].
    pub fn is_standard(&self) -> bool {
        is_standard_resource_class(&self.0)
    }

    /// Whether this is a user-defined class: `CUSTOM_` and more, Placement's
    /// `^CUSTOM_[A-Z0-9_]+$` (`schemas/common.py`). A bare `CUSTOM_` is not
    /// one: Placement refuses to create it on every path.
    pub fn is_custom(&self) -> bool {
        check_custom(&self.0).is_ok()
    }
}

name_type!(
    /// A trait name: `^[A-Z0-9_]+$`, at most 255 characters.
    TraitName
);

impl TraitName {
    /// Parses any syntactically valid trait name.
    pub fn parse(text: &str) -> Result<Self, NameError> {
        check_upper_token(text, NAME_MAX_CHARS)?;
        Ok(TraitName(text.into()))
    }

    /// Parses a name for a new user-defined trait: `CUSTOM_` and more.
    pub fn parse_custom(text: &str) -> Result<Self, NameError> {
        check_custom(text)?;
        Ok(TraitName(text.into()))
    }

    /// Whether this is one of [`standard_traits`].
    pub fn is_standard(&self) -> bool {
        contains_by_length(standard_traits_by_length(), &self.0)
    }

    /// Whether this is a user-defined trait: `CUSTOM_` and more, Placement's
    /// `^CUSTOM_[A-Z0-9_]+$` (`schemas/common.py`).
    pub fn is_custom(&self) -> bool {
        check_custom(&self.0).is_ok()
    }
}

name_type!(
    /// A consumer type (microversion 1.38): `^[A-Z0-9_]+$`, at most 255 characters.
    ConsumerType
);

impl ConsumerType {
    /// Parses a consumer type.
    pub fn parse(text: &str) -> Result<Self, NameError> {
        check_upper_token(text, NAME_MAX_CHARS)?;
        Ok(ConsumerType(text.into()))
    }
}

name_type!(
    /// A project or user id as Keystone hands it to Placement: 1 to 255
    /// characters. Placement takes any characters; the core refuses control
    /// characters, invisible format characters and a trailing newline, which
    /// no Keystone id contains.
    ExternalId
);

impl ExternalId {
    /// Parses a project or user id.
    pub fn parse(text: &str) -> Result<Self, NameError> {
        check_free_text(text, 1, NAME_MAX_CHARS)?;
        Ok(ExternalId(text.into()))
    }
}

name_type!(
    /// A resource provider name: at most 200 characters, unique.
    /// Placement's schema sets no minimum; the core requires one character
    /// and refuses control characters and invisible format characters
    /// (bidirectional overrides, zero-width spaces), which no operator
    /// means to send and which make one name display as another.
    ProviderName
);

impl ProviderName {
    /// Parses a provider name.
    pub fn parse(text: &str) -> Result<Self, NameError> {
        check_free_text(text, 1, PROVIDER_NAME_MAX_CHARS)?;
        Ok(ProviderName(text.into()))
    }
}

/// The anchored patterns of Placement's schemas that take names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PlacementNamePattern {
    /// `^[A-Z0-9_]+$`: resource classes in bodies and inventories, consumer types.
    Token,
    /// `^CUSTOM_[A-Z0-9_]+$`: new resource classes and traits.
    Custom,
}

/// Whether real Placement's `re.search` on this pattern lets `text` through
/// (ignoring length limits, which its schemas check separately).
pub fn placement_pattern_accepts(pattern: PlacementNamePattern, text: &str) -> bool {
    python::dollar_anchored(text, |t| match pattern {
        PlacementNamePattern::Token => check_upper_token(t, usize::MAX).is_ok(),
        PlacementNamePattern::Custom => check_custom(t).is_ok(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_classes() {
        assert!(ResourceClass::parse("VCPU").unwrap().is_standard());
        assert!(ResourceClass::parse("CUSTOM_GOLD").unwrap().is_custom());
        // `CUSTOM_` is a class name but not a custom one (^CUSTOM_[A-Z0-9_]+$).
        let bare = ResourceClass::parse("CUSTOM_").unwrap();
        assert!(!bare.is_custom() && !bare.is_standard());
        assert!(!TraitName::parse("CUSTOM_").unwrap().is_custom());
        assert!(TraitName::parse("CUSTOM__").unwrap().is_custom());
        assert_eq!(ResourceClass::parse(""), Err(NameError::Empty));
        assert_eq!(
            ResourceClass::parse("VCPU\n"),
            Err(NameError::TrailingNewline)
        );
        assert_eq!(
            ResourceClass::parse("vcpu"),
            Err(NameError::BadCharacter(1))
        );
        assert_eq!(
            ResourceClass::parse_custom("CUSTOM_"),
            Err(NameError::NotCustom)
        );
        assert_eq!(
            ResourceClass::parse_custom("GOLD"),
            Err(NameError::NotCustom)
        );
        assert_eq!(
            ResourceClass::parse(&"A".repeat(256)),
            Err(NameError::TooLong(255))
        );
    }

    #[test]
    fn standard_traits_are_valid_names() {
        let traits: Vec<_> = standard_traits().collect();
        assert!(traits.len() > 300);
        // standard_traits() promises the sorted list.
        assert!(traits.windows(2).all(|w| w[0] < w[1]), "not sorted");
        for t in traits {
            assert!(TraitName::parse(t).unwrap().is_standard(), "{t}");
        }
        assert!(!TraitName::parse("CUSTOM_X").unwrap().is_standard());
    }

    #[test]
    fn standard_classes_are_found_by_length_then_text() {
        for name in STANDARD_RESOURCE_CLASSES {
            assert!(ResourceClass::parse(name).unwrap().is_standard(), "{name}");
        }
        for name in ["VCPUS", "VCP", "DISK_MB", "CUSTOM_VCPU", "PCPU_", "A"] {
            assert!(!ResourceClass::parse(name).unwrap().is_standard(), "{name}");
        }
    }

    #[test]
    fn names_order_and_compare_as_their_text() {
        let texts = [
            "A",
            "AB",
            "B",
            "VCPU",
            "VCPU_X",
            "V",
            "CUSTOM_GOLD",
            "CUSTOM_SILVER",
            "CUSTOM_G",
        ];
        for a in texts {
            for b in texts {
                let (x, y) = (
                    ResourceClass::parse(a).unwrap(),
                    ResourceClass::parse(b).unwrap(),
                );
                assert_eq!(x.cmp(&y), a.cmp(b), "{a} {b}");
                assert_eq!(x == y, a == b, "{a} {b}");
                assert_eq!(x.clone().cmp(&x), std::cmp::Ordering::Equal);
            }
        }
    }

    #[test]
    fn free_text_ids() {
        assert!(ExternalId::parse("project-a").is_ok());
        assert!(ExternalId::parse("été").is_ok());
        assert_eq!(ExternalId::parse(""), Err(NameError::Empty));
        assert_eq!(
            ExternalId::parse("a\0b"),
            Err(NameError::ControlCharacter(2))
        );
        assert_eq!(
            ProviderName::parse(&"n".repeat(201)),
            Err(NameError::TooLong(200))
        );
        assert!(ProviderName::parse(&"é".repeat(200)).is_ok());
    }

    #[test]
    fn invisible_format_characters_are_refused_in_free_text() {
        for c in [
            '\u{202a}',
            '\u{202e}',
            '\u{2066}',
            '\u{2069}',
            '\u{200b}',
            '\u{200f}',
            '\u{feff}',
            '\u{00ad}',
            '\u{2060}',
            '\u{e0001}',
            '\u{2028}',
            '\u{2029}',
        ] {
            let name = format!("ab{c}cd");
            assert_eq!(
                ProviderName::parse(&name),
                Err(NameError::FormatCharacter(3)),
                "{:04x}",
                u32::from(c)
            );
            assert!(ExternalId::parse(&name).is_err());
        }
        // Visible letters outside ASCII, and marks, stay allowed.
        assert!(ProviderName::parse("Zürich-東京-עברית-नमस्ते").is_ok());
    }

    #[test]
    fn placement_patterns_let_a_trailing_newline_through() {
        use PlacementNamePattern::*;
        assert!(placement_pattern_accepts(Custom, "CUSTOM_FOO\n"));
        assert!(ResourceClass::parse_custom("CUSTOM_FOO\n").is_err());
        assert!(placement_pattern_accepts(Token, "VCPU\n"));
        assert!(!placement_pattern_accepts(Token, "VCPU\n\n"));
        assert!(!placement_pattern_accepts(Custom, "CUSTOM_"));
    }
}
