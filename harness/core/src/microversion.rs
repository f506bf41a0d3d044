//! Placement microversions (`OpenStack-API-Version: placement X.Y`).
//!
//! Every request schema and behaviour in the core is chosen by microversion,
//! so the parsed version is a small copyable value compared by number, never
//! by string (`1.10` is later than `1.9`).

use std::fmt;

/// A Placement API microversion `major.minor`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Microversion {
    /// Always 1 for Placement.
    pub major: u16,
    /// 0 to 39 for Placement 16.0.0.
    pub minor: u16,
}

impl Microversion {
    /// The oldest microversion Placement serves.
    pub const MIN: Microversion = Microversion::new(1, 0);
    /// The newest microversion of Placement 16.0.0 (2026.x series).
    pub const MAX: Microversion = Microversion::new(1, 39);

    /// Makes `major.minor`.
    pub const fn new(major: u16, minor: u16) -> Self {
        Microversion { major, minor }
    }

    /// Makes `1.minor`, the only major Placement has.
    pub const fn v1(minor: u16) -> Self {
        Microversion { major: 1, minor }
    }

    /// Whether this version is `at_least` or later.
    pub fn at_least(self, other: Microversion) -> bool {
        self >= other
    }

    /// Every microversion from [`Self::MIN`] to [`Self::MAX`].
    pub fn all() -> impl Iterator<Item = Microversion> {
        (Self::MIN.minor..=Self::MAX.minor).map(Microversion::v1)
    }

    /// Parses `X.Y` strictly: decimal digits without sign, white space,
    /// underscores or leading zeros, each part at most 5 digits.
    pub fn parse(text: &str) -> Result<Self, MicroversionError> {
        let (major, minor) = text.split_once('.').ok_or(MicroversionError::Syntax)?;
        Ok(Microversion::new(parse_part(major)?, parse_part(minor)?))
    }

    /// Parses the value of an `OpenStack-API-Version` header for the
    /// `placement` service: `placement X.Y` or `placement latest`.
    pub fn parse_header(value: &str) -> Result<Self, MicroversionError> {
        let rest = value
            .strip_prefix("placement ")
            .ok_or(MicroversionError::Syntax)?;
        if rest == "latest" {
            return Ok(Self::MAX);
        }
        let version = Self::parse(rest)?;
        if version < Self::MIN || version > Self::MAX {
            return Err(MicroversionError::Unsupported(version));
        }
        Ok(version)
    }
}

fn parse_part(part: &str) -> Result<u16, MicroversionError> {
    let ok = !part.is_empty()
        && part.len() <= 5
        && part.bytes().all(|b| b.is_ascii_digit())
        && !(part.len() > 1 && part.starts_with('0'));
    if !ok {
        return Err(MicroversionError::Syntax);
    }
    part.parse().map_err(|_| MicroversionError::Syntax)
}

impl fmt::Display for Microversion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl fmt::Debug for Microversion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Microversion({self})")
    }
}

/// Why a microversion was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum MicroversionError {
    /// Not of the form `placement X.Y` / `X.Y`.
    #[error("must be 'placement X.Y' or 'placement latest'")]
    Syntax,
    /// Well formed, but outside [`Microversion::MIN`]..=[`Microversion::MAX`].
    #[error("version {0} is not supported; versions 1.0 to 1.39 are")]
    Unsupported(Microversion),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_parse() {
        assert_eq!(Microversion::parse("1.39"), Ok(Microversion::v1(39)));
        assert!(Microversion::v1(10) > Microversion::v1(9));
        for bad in [
            "", "1", "1.", ".1", "01.1", "1.01", "1.1_0", "+1.1", " 1.1", "1.1 ", "1.1.1",
            "1.999999", "1,1",
        ] {
            assert_eq!(
                Microversion::parse(bad),
                Err(MicroversionError::Syntax),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn header() {
        assert_eq!(
            Microversion::parse_header("placement latest"),
            Ok(Microversion::MAX)
        );
        assert_eq!(
            Microversion::parse_header("placement 1.0"),
            Ok(Microversion::MIN)
        );
        assert_eq!(
            Microversion::parse_header("placement 1.40"),
            Err(MicroversionError::Unsupported(Microversion::v1(40)))
        );
        assert_eq!(
            Microversion::parse_header("compute 2.1"),
            Err(MicroversionError::Syntax)
        );
        assert_eq!(
            Microversion::parse_header("placement 1.0, placement 1.2"),
            Err(MicroversionError::Syntax)
        );
        assert_eq!(Microversion::all().count(), 40);
    }
}
