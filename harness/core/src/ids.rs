//! UUIDs as the core accepts them, and the other spellings Placement accepts.
//!
//! The core accepts exactly one syntax: 8-4-4-4-12 hexadecimal digits with
//! dashes, in either case, and stores the lower-case canonical form that
//! Placement itself generates. Real Placement is looser, and in three
//! different ways depending on where the UUID appears ([`PlacementUuidRule`]);
//! those rules are modelled here so that the harness can predict which
//! malformed or non-canonical spellings a real server will take, and flag the
//! inconsistencies (written upper-case, not found lower-case) that follow.

use std::fmt;

use crate::python;

/// A UUID in the core: a parsed value, compared as a value, shown canonically.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Uuid(uuid::Uuid);

impl Uuid {
    /// The UUID with this 128-bit value.
    pub fn from_u128(value: u128) -> Self {
        Uuid(uuid::Uuid::from_u128(value))
    }

    /// The 128-bit value.
    pub fn as_u128(&self) -> u128 {
        self.0.as_u128()
    }

    /// Parses the core's one accepted syntax (see [`parse_uuid`]).
    pub fn parse(text: &str) -> Result<Self, UuidSyntaxError> {
        parse_uuid(text)
    }
}

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.hyphenated())
    }
}

impl fmt::Debug for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Uuid({})", self.0.hyphenated())
    }
}

/// Why a string is not a UUID in the core's syntax. The messages never quote
/// the input; callers add an [`Excerpt`](crate::error::Excerpt) where useful.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum UuidSyntaxError {
    /// The empty string.
    #[error("is empty")]
    Empty,
    /// Not 36 characters long.
    #[error("has {0} characters, not 36")]
    WrongLength(usize),
    /// A character that is not a hexadecimal digit where one must be.
    #[error("has a character that is not a hexadecimal digit at position {0}")]
    NotHex(usize),
    /// The dashes are not at positions 9, 14, 19 and 24.
    #[error("does not have its dashes in the 8-4-4-4-12 places")]
    MisplacedDash,
    /// A spelling that some of Placement's checks accept but the core does not.
    #[error("is written in the {0} spelling; write it as 8-4-4-4-12 hexadecimal digits")]
    NonCanonical(Spelling),
}

const DASH_POSITIONS: [usize; 4] = [8, 13, 18, 23];

/// Parses a UUID written as 8-4-4-4-12 hexadecimal digits, either case.
///
/// Nothing else is accepted: no braces, no `urn:uuid:`, no missing or extra
/// dashes, no white space, no trailing newline.
pub fn parse_uuid(text: &str) -> Result<Uuid, UuidSyntaxError> {
    if text.is_empty() {
        return Err(UuidSyntaxError::Empty);
    }
    if text.len() == 36 && text.is_ascii() {
        return parse_hyphenated(text);
    }
    if let Some((_, spelling)) = classify(text) {
        return Err(UuidSyntaxError::NonCanonical(spelling));
    }
    let chars = text.chars().count();
    if chars == 36 {
        // Right length in characters, but some are not ASCII (look-alike
        // digits or dashes): point at the first one.
        let position = text.chars().position(|c| !c.is_ascii()).unwrap_or(0);
        return Err(UuidSyntaxError::NotHex(position + 1));
    }
    Err(UuidSyntaxError::WrongLength(chars))
}

/// The strict 8-4-4-4-12 parse of a 36-byte ASCII string. Never calls
/// [`classify`], which calls it: the two used to recurse without end on
/// 36-byte strings with non-ASCII characters.
fn parse_hyphenated(text: &str) -> Result<Uuid, UuidSyntaxError> {
    let bytes = text.as_bytes();
    let mut value: u128 = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if DASH_POSITIONS.contains(&i) {
            if b != b'-' {
                return Err(UuidSyntaxError::MisplacedDash);
            }
            continue;
        }
        let digit = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            b'-' => return Err(UuidSyntaxError::MisplacedDash),
            _ => return Err(UuidSyntaxError::NotHex(i + 1)),
        };
        value = (value << 4) | u128::from(digit);
    }
    Ok(Uuid::from_u128(value))
}

/// How a UUID is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Spelling {
    /// `6ba7b810-9dad-11d1-80b4-00c04fd430c8`: what Placement generates and stores.
    Canonical,
    /// 8-4-4-4-12 in upper case.
    UpperCase,
    /// 8-4-4-4-12 with both cases.
    MixedCase,
    /// 32 hexadecimal digits, no dashes.
    Dashless,
    /// `{...}` around a hyphenated or dashless UUID.
    Braced,
    /// `urn:uuid:` before a hyphenated UUID.
    Urn,
}

impl fmt::Display for Spelling {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Spelling::Canonical => "canonical",
            Spelling::UpperCase => "upper-case",
            Spelling::MixedCase => "mixed-case",
            Spelling::Dashless => "dashless",
            Spelling::Braced => "braced",
            Spelling::Urn => "urn:uuid:",
        })
    }
}

impl Spelling {
    /// Every spelling, canonical first.
    pub const ALL: [Spelling; 6] = [
        Spelling::Canonical,
        Spelling::UpperCase,
        Spelling::MixedCase,
        Spelling::Dashless,
        Spelling::Braced,
        Spelling::Urn,
    ];

    /// Writes `uuid` in this spelling (mixed case alternates per letter; a
    /// UUID with fewer than two letters cannot be written in mixed case, and
    /// one with none has no case at all).
    pub fn write(self, uuid: Uuid) -> String {
        let canonical = uuid.to_string();
        match self {
            Spelling::Canonical => canonical,
            Spelling::UpperCase => canonical.to_ascii_uppercase(),
            // Alternate per letter, not per character, so that any UUID
            // with two letters or more comes out with both cases.
            Spelling::MixedCase => {
                let mut letters = 0usize;
                canonical
                    .chars()
                    .map(|c| {
                        if !c.is_ascii_alphabetic() {
                            return c;
                        }
                        letters += 1;
                        if letters % 2 == 1 {
                            c.to_ascii_uppercase()
                        } else {
                            c
                        }
                    })
                    .collect()
            }
            Spelling::Dashless => canonical.replace('-', ""),
            Spelling::Braced => format!("{{{canonical}}}"),
            Spelling::Urn => format!("urn:uuid:{canonical}"),
        }
    }
}

/// Recognises the well-known spellings of a UUID; `None` for anything else.
pub fn classify(text: &str) -> Option<(Uuid, Spelling)> {
    if let Ok(uuid) = parse_hyphenated_any_case(text) {
        let has_upper = text.bytes().any(|b| b.is_ascii_uppercase());
        let has_lower = text.bytes().any(|b| b.is_ascii_lowercase());
        let spelling = match (has_upper, has_lower) {
            (true, true) => Spelling::MixedCase,
            (true, false) => Spelling::UpperCase,
            _ => Spelling::Canonical,
        };
        return Some((uuid, spelling));
    }
    if let Some(inner) = text.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
        return parse_hyphenated_any_case(inner)
            .or_else(|()| parse_dashless(inner))
            .ok()
            .map(|u| (u, Spelling::Braced));
    }
    if let Some(inner) = text.strip_prefix("urn:uuid:") {
        return parse_hyphenated_any_case(inner)
            .ok()
            .map(|u| (u, Spelling::Urn));
    }
    parse_dashless(text).ok().map(|u| (u, Spelling::Dashless))
}

fn parse_hyphenated_any_case(text: &str) -> Result<Uuid, ()> {
    if text.len() != 36 || !text.is_ascii() {
        return Err(());
    }
    parse_hyphenated(text).map_err(|_| ())
}

fn parse_dashless(text: &str) -> Result<Uuid, ()> {
    if text.len() != 32 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(());
    }
    u128::from_str_radix(text, 16)
        .map(Uuid::from_u128)
        .map_err(|_| ())
}

/// The three UUID checks real Placement applies, depending on where a UUID appears.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PlacementUuidRule {
    /// `"format": "uuid"` in a request body schema: Placement registers
    /// `oslo_utils.uuidutils.is_uuid_like`, which accepts any case, braces,
    /// `urn:`/`uuid:` anywhere and any number of dashes anywhere.
    BodyFormat,
    /// `"format": "uuid"` in a query string schema: validated with a fresh
    /// `jsonschema.FormatChecker()`, i.e. jsonschema's own check: whatever
    /// `uuid.UUID()` parses, with dashes at the 8-4-4-4-12 positions.
    QueryFormat,
    /// A `patternProperties` key `^[0-9a-fA-F-]{36}$` (allocation and
    /// reshaper bodies): 36 hex digits or dashes in any arrangement, and
    /// Python's `$` lets one trailing newline through.
    KeyPattern,
}

impl PlacementUuidRule {
    /// Every rule.
    pub const ALL: [PlacementUuidRule; 3] = [
        PlacementUuidRule::BodyFormat,
        PlacementUuidRule::QueryFormat,
        PlacementUuidRule::KeyPattern,
    ];

    /// Whether real Placement's check at such a place lets `text` through.
    pub fn accepts(self, text: &str) -> bool {
        match self {
            PlacementUuidRule::BodyFormat => is_uuid_like(text),
            PlacementUuidRule::QueryFormat => {
                python::uuid_from_hex(text).is_some() && {
                    let chars: Vec<char> = text.chars().collect();
                    DASH_POSITIONS.iter().all(|&p| chars.get(p) == Some(&'-'))
                }
            }
            PlacementUuidRule::KeyPattern => python::dollar_anchored(text, |t| {
                t.len() == 36 && t.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
            }),
        }
    }
}

/// `oslo_utils.uuidutils.is_uuid_like`: `str(uuid.UUID(v))` without dashes
/// equals `v` with `urn:`, `uuid:`, outer braces and every dash removed, lower-cased.
fn is_uuid_like(text: &str) -> bool {
    let Some(value) = python::uuid_from_hex(text) else {
        return false;
    };
    let formatted = text
        .replace("urn:", "")
        .replace("uuid:", "")
        .trim_matches(|c| c == '{' || c == '}')
        .replace('-', "")
        .to_lowercase();
    formatted == format!("{value:032x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const CANON: &str = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";

    /// Found by `uuid_parse` (corpus/uuid_parse/regressions/
    /// stack-overflow-36-bytes-non-ascii). `parse_uuid` sent every input that
    /// was not 36 ASCII bytes to `classify`, and `classify` tried the strict
    /// parse on any 36-byte input through `parse_uuid` again: a string of 36
    /// bytes with a multi-byte character bounced between the two until the
    /// stack ran out. The strict parse now lives in a function that never
    /// classifies.
    #[test]
    fn thirty_six_bytes_with_non_ascii_is_refused_not_recursed() {
        let text = "ffff\u{1}\0\u{202e}c0ffeefff-ffff-ffffffffffff";
        assert_eq!(text.len(), 36);
        assert_eq!(parse_uuid(text), Err(UuidSyntaxError::WrongLength(34)));
        assert_eq!(classify(text), None);
        let lookalike = CANON.replacen('6', "\u{ff16}", 1);
        assert_eq!(parse_uuid(&lookalike), Err(UuidSyntaxError::NotHex(1)));
    }

    #[test]
    fn placement_rules_take_uuids_with_the_top_bit_set() {
        // Half of all random UUIDs start with 8..f; an i128 intermediate
        // once made every one of them look invalid to the BodyFormat rule.
        for text in [
            "c0ffee00-1234-4abc-8def-0123456789ab",
            "ffffffff-ffff-ffff-ffff-ffffffffffff",
            "{C0FFEE00-1234-4ABC-8DEF-0123456789AB}",
        ] {
            assert!(PlacementUuidRule::BodyFormat.accepts(text), "{text}");
        }
        assert!(PlacementUuidRule::QueryFormat.accepts("ffffffff-ffff-ffff-ffff-ffffffffffff"));
    }

    #[test]
    fn core_accepts_hyphenated_either_case_only() {
        let u = parse_uuid(CANON).unwrap();
        assert_eq!(u.to_string(), CANON);
        assert_eq!(parse_uuid(&CANON.to_uppercase()).unwrap(), u);
        assert_eq!(parse_uuid(""), Err(UuidSyntaxError::Empty));
        assert_eq!(
            parse_uuid(&format!("{CANON}\n")),
            Err(UuidSyntaxError::WrongLength(37))
        );
        assert_eq!(
            parse_uuid(&"-".repeat(36)),
            Err(UuidSyntaxError::MisplacedDash)
        );
        assert_eq!(
            parse_uuid("6ba7b810-9dad-11d1-80b4-00c04fd430cg"),
            Err(UuidSyntaxError::NotHex(36))
        );
        assert_eq!(
            parse_uuid(&format!("{{{CANON}}}")),
            Err(UuidSyntaxError::NonCanonical(Spelling::Braced))
        );
        // Full-width digits are not ASCII: never a UUID here.
        let fullwidth = CANON.replacen('6', "\u{ff16}", 1);
        assert!(parse_uuid(&fullwidth).is_err());
    }

    #[test]
    fn every_spelling_round_trips_through_classify() {
        let u = parse_uuid(CANON).unwrap();
        for spelling in Spelling::ALL {
            assert_eq!(
                classify(&spelling.write(u)),
                Some((u, spelling)),
                "{spelling}"
            );
        }
    }

    #[test]
    fn placement_rules_differ_as_documented() {
        use PlacementUuidRule::*;
        let u = parse_uuid(CANON).unwrap();
        let upper = Spelling::UpperCase.write(u);
        let braced = Spelling::Braced.write(u);
        let urn = Spelling::Urn.write(u);
        let dashless = Spelling::Dashless.write(u);
        let dashes = "-".repeat(36);
        let newline = format!("{CANON}\n");
        let fullwidth = CANON.replacen('6', "\u{ff16}", 1);

        for rule in PlacementUuidRule::ALL {
            assert!(rule.accepts(CANON), "{rule:?}");
            assert!(rule.accepts(&upper), "{rule:?}");
            assert!(!rule.accepts(""), "{rule:?}");
        }
        assert!(
            BodyFormat.accepts(&braced)
                && BodyFormat.accepts(&urn)
                && BodyFormat.accepts(&dashless)
        );
        assert!(
            !QueryFormat.accepts(&braced)
                && !QueryFormat.accepts(&urn)
                && !QueryFormat.accepts(&dashless)
        );
        assert!(!KeyPattern.accepts(&braced) && !KeyPattern.accepts(&dashless));
        // The 36-dash key and the trailing newline pass only the key pattern.
        assert!(KeyPattern.accepts(&dashes) && !BodyFormat.accepts(&dashes));
        assert!(KeyPattern.accepts(&newline) && !BodyFormat.accepts(&newline));
        // Full-width digits pass Python's int(), so jsonschema's own check takes them.
        assert!(QueryFormat.accepts(&fullwidth) && !BodyFormat.accepts(&fullwidth));
    }
}
