//! The run id: the mark every object a run creates carries, so that the
//! harness can tell its own objects from a deployment's and never touch
//! the latter.
//!
//! A run id is `ph` and ten lower-case hex digits (40 random bits from the
//! UUID generator's random source). Every name the run makes embeds it
//! (`CUSTOM_<BASE>_PH0123ABCDEF`, `tenant-a-ph0123abcdef`), and every UUID
//! the run makes carries its 40 bits in bytes 10..15 (the first ten hex
//! digits of the last group), so that consumer and provider UUIDs, which
//! Placement requires to be UUIDs, are marked too. The mark is a label, not
//! a proof: anyone can mint a UUID with it. The guard therefore trusts it
//! only where a collision is harmless (see `guard.rs`), and the journal is
//! what cleanup deletes.

use std::fmt;

/// Prefix of every run id.
const PREFIX: &str = "ph";
/// Hex digits after the prefix.
const HEX_DIGITS: usize = 10;
/// Bytes of randomness (two hex digits each).
const BYTES: usize = HEX_DIGITS / 2;
/// Longest provider name Placement accepts.
const PROVIDER_NAME_MAX: usize = 200;
/// Longest resource class, trait, project or user id Placement accepts.
const NAME_MAX: usize = 255;

/// A run's id: `ph` + ten lower-case hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RunId([u8; BYTES]);

/// Why a string is not a run id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{input:?} is not a run id (expected `ph` and 10 lower-case hex digits, e.g. ph0a1b2c3d4e)"
)]
pub struct RunIdError {
    /// The text given (cut to 64 characters).
    pub input: String,
}

impl RunId {
    /// A fresh run id from the operating system's random source (through
    /// the v4 UUID generator, which already depends on it).
    pub fn generate() -> RunId {
        let random = uuid::Uuid::new_v4();
        let bytes = random.as_bytes();
        let mut out = [0u8; BYTES];
        // Bytes 0..5 of a v4 UUID are all random (the version and variant
        // bits sit in bytes 6 and 8).
        for (o, b) in out.iter_mut().zip(bytes.iter()) {
            *o = *b;
        }
        RunId(out)
    }

    /// Parses the exact form [`RunId::as_str`] prints; nothing else (no
    /// upper case, no whitespace), so that a typo in `--run-id` never
    /// matches a different run's journal.
    pub fn parse(text: &str) -> Result<RunId, RunIdError> {
        let err = || RunIdError {
            input: text.chars().take(64).collect(),
        };
        let hex = text.strip_prefix(PREFIX).ok_or_else(err)?;
        if hex.len() != HEX_DIGITS
            || !hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(err());
        }
        let mut out = [0u8; BYTES];
        for (i, o) in out.iter_mut().enumerate() {
            let pair = hex.get(2 * i..2 * i + 2).ok_or_else(err)?;
            *o = u8::from_str_radix(pair, 16).map_err(|_| err())?;
        }
        Ok(RunId(out))
    }

    /// `ph` + ten lower-case hex digits.
    pub fn as_str(&self) -> String {
        let mut s = String::with_capacity(PREFIX.len() + HEX_DIGITS);
        s.push_str(PREFIX);
        for b in self.0 {
            s.push_str(&format!("{b:02x}"));
        }
        s
    }

    /// A name for a resource class, trait or provider made by this run:
    /// `CUSTOM_<BASE>_PH<HEX>`, with `base` upper-cased and every character
    /// outside `[A-Z0-9_]` made `_`, cut so that the whole is at most 200
    /// characters. Valid for Placement's `^CUSTOM_[A-Z0-9_]+$` (new classes
    /// and traits) and as a provider name.
    pub fn name(&self, base: &str) -> String {
        let tag = self.as_str().to_ascii_uppercase();
        let room = PROVIDER_NAME_MAX - "CUSTOM_".len() - 1 - tag.len();
        let base: String = base
            .trim_start_matches("CUSTOM_")
            .chars()
            .map(|c| {
                let c = c.to_ascii_uppercase();
                if c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .take(room)
            .collect();
        if base.is_empty() {
            format!("CUSTOM_{tag}")
        } else {
            format!("CUSTOM_{base}_{tag}")
        }
    }

    /// A project id for this run: `<base>-ph<hex>` (at most 255 characters).
    pub fn project_id(&self, base: &str) -> String {
        self.external_id(base)
    }

    /// A user id for this run: `<base>-ph<hex>` (at most 255 characters).
    pub fn user_id(&self, base: &str) -> String {
        self.external_id(base)
    }

    fn external_id(&self, base: &str) -> String {
        let tag = self.as_str();
        let room = NAME_MAX - 1 - tag.len();
        let base: String = base
            .chars()
            .filter(|c| !c.is_control())
            .take(room)
            .collect();
        if base.is_empty() {
            tag
        } else {
            format!("{base}-{tag}")
        }
    }

    /// A fresh random UUID (version 4) carrying this run's 40 bits in
    /// bytes 10..15: the first ten hex digits of its last group are the
    /// run id's.
    pub fn uuid(&self) -> uuid::Uuid {
        let mut bytes = *uuid::Uuid::new_v4().as_bytes();
        for (slot, b) in bytes.iter_mut().skip(10).zip(self.0) {
            *slot = b;
        }
        uuid::Uuid::from_bytes(bytes)
    }

    /// [`RunId::uuid`], hyphenated lower-case as Placement prints UUIDs.
    pub fn uuid_string(&self) -> String {
        self.uuid().hyphenated().to_string()
    }

    /// Whether `name_or_id` carries this run's mark: it contains the run id
    /// (in any case, as names upper-case it), or it is a UUID in any
    /// spelling Placement accepts whose bytes 10..15 are the run's.
    pub fn owns(&self, name_or_id: &str) -> bool {
        let tag = self.as_str();
        if name_or_id.to_ascii_lowercase().contains(&tag) {
            return true;
        }
        match uuid::Uuid::try_parse(name_or_id.trim()) {
            Ok(u) => u.as_bytes().get(10..15) == Some(&self.0[..]),
            Err(_) => false,
        }
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str())
    }
}

impl fmt::Debug for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RunId({})", self.as_str())
    }
}

impl std::str::FromStr for RunId {
    type Err = RunIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RunId::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use placement_core::names::{
        ExternalId, PlacementNamePattern, ProviderName, ResourceClass, TraitName,
        placement_pattern_accepts,
    };

    fn id(s: &str) -> RunId {
        match RunId::parse(s) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn generate_roundtrips_and_differs() {
        let a = RunId::generate();
        let b = RunId::generate();
        assert_ne!(a, b, "40 random bits twice alike");
        assert_eq!(RunId::parse(&a.as_str()), Ok(a));
        assert_eq!(a.as_str().len(), 12);
        assert!(a.as_str().starts_with("ph"));
    }

    #[test]
    fn parse_is_strict() {
        assert_eq!(id("ph0123456789").as_str(), "ph0123456789");
        assert_eq!(id("phabcdefabcd").to_string(), "phabcdefabcd");
        for bad in [
            "",
            "ph",
            "ph012345678",
            "ph01234567890",
            "PH0123456789",
            "ph0123456789 ",
            " ph0123456789",
            "ph012345678g",
            "phABCDEF0123",
            "xx0123456789",
            "ph+123456789",
            "ph０123456789",
        ] {
            let e = RunId::parse(bad).err();
            assert!(e.is_some(), "{bad:?} accepted");
        }
        let long = "x".repeat(500);
        let e = RunId::parse(&long)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.len() < 200, "{e}");
    }

    #[test]
    fn names_are_valid_for_placement() {
        let r = id("ph00ff11ee22");
        for base in ["", "x", "rp one", "CUSTOM_ALREADY", "ä-ö", &"y".repeat(400)] {
            let n = r.name(base);
            assert!(n.len() <= 200, "{n}");
            assert!(
                placement_pattern_accepts(PlacementNamePattern::Custom, &n),
                "{n}"
            );
            assert!(ResourceClass::parse_custom(&n).is_ok(), "{n}");
            assert!(TraitName::parse_custom(&n).is_ok(), "{n}");
            assert!(ProviderName::parse(&n).is_ok(), "{n}");
            assert!(r.owns(&n), "{n}");
            let p = r.project_id(base);
            let u = r.user_id(base);
            assert!(ExternalId::parse(&p).is_ok() && p.len() <= 255, "{p}");
            assert!(ExternalId::parse(&u).is_ok() && u.len() <= 255, "{u}");
            assert!(r.owns(&p) && r.owns(&u));
        }
        assert_eq!(r.name("disk"), "CUSTOM_DISK_PH00FF11EE22");
        assert_eq!(r.project_id("tenant-a"), "tenant-a-ph00ff11ee22");
    }

    #[test]
    fn owns_marked_uuids_in_any_spelling_and_nothing_else() {
        let r = id("ph00ff11ee22");
        let other = id("ph00ff11ee23");
        let u = r.uuid();
        assert_eq!(u.get_version_num(), 4);
        assert!(
            u.hyphenated()
                .to_string()
                .ends_with(&format!("00ff11ee22{}", &u.simple().to_string()[30..]))
        );
        for spelling in [
            u.hyphenated().to_string(),
            u.simple().to_string(),
            u.hyphenated().to_string().to_uppercase(),
            u.braced().to_string(),
            u.urn().to_string(),
        ] {
            assert!(r.owns(&spelling), "{spelling}");
            assert!(!other.owns(&spelling), "{spelling}");
        }
        assert_ne!(r.uuid(), r.uuid());
        assert!(!r.owns(&uuid::Uuid::new_v4().to_string()));
        assert!(!r.owns("tenant-a"));
        assert!(!r.owns("CUSTOM_PH00FF11EE2"));
        assert!(!r.owns(""));
        assert!(other.owns(&other.name("x")) && !r.owns(&other.name("x")));
    }
}
