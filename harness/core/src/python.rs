//! Emulations of the Python behaviours that real Placement's input checks inherit.
//!
//! Placement validates with `jsonschema` (whose `pattern` uses `re.search`),
//! `uuid.UUID()` and `int()`. Those accept more than their authors probably
//! meant: `$` matches before a trailing newline, `int(x, 16)` takes Unicode
//! digits, whitespace, underscores and a `0x` prefix. The core itself never
//! accepts such input; these functions exist so that the harness can predict
//! what real Placement will do with a hostile value and report the difference
//! as what it is.

/// Unicode 14 code points whose decimal value is 0 in general category Nd;
/// each starts a run of ten digits. Python's `int()` accepts all of them.
const DECIMAL_ZEROS: &[u32] = &[
    0x30, 0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66, 0xce6, 0xd66,
    0xde6, 0xe50, 0xed0, 0xf20, 0x1040, 0x1090, 0x17e0, 0x1810, 0x1946, 0x19d0, 0x1a80, 0x1a90,
    0x1b50, 0x1bb0, 0x1c40, 0x1c50, 0xa620, 0xa8d0, 0xa900, 0xa9d0, 0xa9f0, 0xaa50, 0xabf0, 0xff10,
    0x104a0, 0x10d30, 0x11066, 0x110f0, 0x11136, 0x111d0, 0x112f0, 0x11450, 0x114d0, 0x11650,
    0x116c0, 0x11730, 0x118e0, 0x11950, 0x11c50, 0x11d50, 0x11da0, 0x16a60, 0x16ac0, 0x16b50,
    0x1d7ce, 0x1d7d8, 0x1d7e2, 0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e950, 0x1fbf0,
];

/// What Python's `str.isspace()` (and so `int()`'s stripping) counts as white space.
pub fn is_python_space(c: char) -> bool {
    matches!(
        c as u32,
        0x9..=0xd | 0x1c..=0x20 | 0x85 | 0xa0 | 0x1680 | 0x2000..=0x200a | 0x2028 | 0x2029 | 0x202f | 0x205f | 0x3000
    )
}

/// The value of `c` as a Python `int()` digit in base 16, if it is one.
fn hex_digit(c: char) -> Option<u32> {
    if let Some(d) = c.to_digit(16) {
        return Some(d);
    }
    let cp = c as u32;
    DECIMAL_ZEROS
        .iter()
        .find(|&&zero| cp >= zero && cp < zero + 10)
        .map(|&zero| cp - zero)
}

/// A Python integer of at most 128 bits of magnitude, with its sign kept
/// apart so that all of `-(2^128-1)..=2^128-1` fits (UUIDs use the top bit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PyInt {
    /// Whether the text had a minus sign (`-0` is zero with the flag set).
    pub negative: bool,
    /// The absolute value.
    pub magnitude: u128,
}

impl PyInt {
    /// The value as an `i128`, if it fits; for tests and small numbers.
    pub fn to_i128(self) -> Option<i128> {
        let m = i128::try_from(self.magnitude).ok()?;
        Some(if self.negative { -m } else { m })
    }
}

/// `int(text, 16)` as Python 3.11 evaluates it: `None` where Python raises
/// `ValueError`. Magnitudes above 128 bits also give `None`; callers only ask
/// about 32-digit strings.
pub fn int_base16(text: &str) -> Option<PyInt> {
    let trimmed = text.trim_matches(is_python_space);
    let (negative, rest) = match trimmed.chars().next()? {
        '+' => (false, &trimmed[1..]),
        '-' => (true, &trimmed[1..]),
        _ => (false, trimmed),
    };
    let rest = rest
        .strip_prefix("0x")
        .or_else(|| rest.strip_prefix("0X"))
        // After a base prefix Python allows one underscore before the digits.
        .map(|r| r.strip_prefix('_').unwrap_or(r))
        .unwrap_or(rest);
    let mut value: u128 = 0;
    let mut digits = 0usize;
    let mut last_was_underscore = false;
    for c in rest.chars() {
        if c == '_' {
            if digits == 0 || last_was_underscore {
                return None;
            }
            last_was_underscore = true;
            continue;
        }
        let d = hex_digit(c)?;
        value = value.checked_mul(16)?.checked_add(u128::from(d))?;
        digits += 1;
        last_was_underscore = false;
    }
    if digits == 0 || last_was_underscore {
        return None;
    }
    Some(PyInt {
        negative,
        magnitude: value,
    })
}

/// `uuid.UUID(text)` as Python 3.11 evaluates it: the 128-bit value, or
/// `None` where Python raises `ValueError`.
pub fn uuid_from_hex(text: &str) -> Option<u128> {
    // Without a colon nothing is removed but braces at the ends and dashes,
    // so the digit count is known without building the string: most inputs
    // stop here, allocation-free.
    if !text.contains(':') {
        let digits = text
            .trim_matches(|c| c == '{' || c == '}')
            .chars()
            .filter(|&c| c != '-')
            .count();
        if digits != 32 {
            return None;
        }
    }
    let hex = text.replace("urn:", "").replace("uuid:", "");
    let hex = hex.trim_matches(|c| c == '{' || c == '}').replace('-', "");
    if hex.chars().count() != 32 {
        return None;
    }
    let value = int_base16(&hex)?;
    // UUID() rejects values outside 0..2^128 after int() succeeds; `-0` is 0.
    if value.negative && value.magnitude != 0 {
        return None;
    }
    Some(value.magnitude)
}

/// Whether Python's `re.search("^X$", text)` finds a match, given whether
/// `body` matches `X` exactly: `$` also matches before one final `\n`.
pub fn dollar_anchored(text: &str, body: impl Fn(&str) -> bool) -> bool {
    body(text) || text.strip_suffix('\n').is_some_and(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_base16_follows_python() {
        assert_eq!(int_base16("ff").and_then(PyInt::to_i128), Some(255));
        assert_eq!(int_base16(" ff\n").and_then(PyInt::to_i128), Some(255));
        assert_eq!(int_base16("0xff").and_then(PyInt::to_i128), Some(255));
        assert_eq!(int_base16("0x_ff").and_then(PyInt::to_i128), Some(255));
        assert_eq!(int_base16("f_f").and_then(PyInt::to_i128), Some(255));
        assert_eq!(int_base16("-1").and_then(PyInt::to_i128), Some(-1));
        assert_eq!(
            int_base16("\u{ff11}\u{ff10}").and_then(PyInt::to_i128),
            Some(16)
        ); // full-width "10"
        assert_eq!(int_base16("f__f"), None);
        assert_eq!(int_base16("_ff"), None);
        assert_eq!(int_base16("ff_"), None);
        assert_eq!(int_base16(""), None);
        assert_eq!(int_base16("0x"), None);
        assert_eq!(int_base16("g"), None);
        assert_eq!(int_base16("\u{ff41}"), None); // full-width 'a' is not a digit
    }

    #[test]
    fn uuid_from_hex_follows_python() {
        let v = 0x1234_5678_9abc_def0_1234_5678_9abc_def0u128;
        assert_eq!(
            uuid_from_hex("12345678-9abc-def0-1234-56789abcdef0"),
            Some(v)
        );
        assert_eq!(
            uuid_from_hex("{12345678-9abc-def0-1234-56789abcdef0}"),
            Some(v)
        );
        assert_eq!(
            uuid_from_hex("urn:uuid:12345678-9abc-def0-1234-56789abcdef0"),
            Some(v)
        );
        assert_eq!(uuid_from_hex("123456789abcdef0123456789abcdef0"), Some(v));
        assert_eq!(uuid_from_hex("1-2-3456789abcdef0123456789abcdef0"), Some(v));
        assert_eq!(uuid_from_hex("------------------------------------"), None);
        assert_eq!(uuid_from_hex("12345678-9abc-def0-1234-56789abcdef"), None);
        assert_eq!(uuid_from_hex("-2345678-9abc-def0-1234-56789abcdef0"), None);
        // The top bit is set in half of all UUIDs: the value must not overflow.
        assert_eq!(uuid_from_hex(&"f".repeat(32)), Some(u128::MAX));
        assert_eq!(
            uuid_from_hex("c0ffee00-1234-4abc-8def-0123456789ab"),
            Some(0xc0ffee00_1234_4abc_8def_0123456789ab)
        );
    }

    #[test]
    fn dollar_accepts_one_trailing_newline() {
        let upper = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_uppercase());
        assert!(dollar_anchored("ABC", upper));
        assert!(dollar_anchored("ABC\n", upper));
        assert!(!dollar_anchored("ABC\n\n", upper));
        assert!(!dollar_anchored("ABC\r\n", upper));
    }
}
