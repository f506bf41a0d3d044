//! `resources=RC:AMOUNT,...`: the amounts a request group asks for.
//!
//! Placement (`util.normalize_resources_qs_param`) splits on `,` and `:`,
//! keeps the class name as sent and converts the amount with Python's
//! `int()`, which strips Unicode white space and takes a sign, underscores
//! (`1_0`) and non-ASCII digits, and has no upper bound (a 5000-digit amount
//! becomes a `ValueError` 400; a 20-digit one is accepted and simply never
//! fits). A class named twice keeps the last amount.
//!
//! The core's rule, and where it differs:
//! - an amount is ASCII digits only, 1 to [`MAX_INT`] (Placement's 32-bit
//!   column); no sign, underscore, fraction, exponent or foreign digit;
//! - spaces (` `, which is also what a `+` decodes to) around the amount are
//!   accepted, because Placement's own gabbits send `DISK_GB:10 ` and a space
//!   cannot change the number; any other white space (`%0A`, `%09`, NBSP...)
//!   is refused, so a trailing line break never sneaks through;
//! - leading zeros (`007`) are accepted, as Placement does: the value is unambiguous;
//! - the class name must have resource-class syntax (Placement would answer
//!   the same 400 later, as an unknown class);
//! - a class named twice in one value is refused instead of silently
//!   keeping the last amount.

use std::collections::BTreeMap;

use crate::error::Rejection;
use crate::error::{Excerpt, Problem};
use crate::inventory::MAX_INT;
use crate::names::ResourceClass;

use super::params::{bad_value, refused};

/// Amounts by resource class, as one `resources` parameter asks for them.
pub type Amounts = BTreeMap<ResourceClass, u32>;

/// Longest amount, in digits, the core looks at (leading zeros included).
const MAX_AMOUNT_DIGITS: usize = 32;

/// Parses the value of the parameter `key` (`resources`, `resources1`, ...).
pub fn parse_resources(key: &str, value: &str) -> Result<Amounts, Rejection> {
    if value.trim_matches(' ').is_empty() {
        return Err(refused(key, Problem::TooShort { min: 1 }));
    }
    let mut amounts = Amounts::new();
    for item in value.split(',') {
        let (class, amount) = split_item(item).ok_or_else(|| {
            refused(
                key,
                Problem::Syntax {
                    what: "a list of RESOURCE_CLASS:AMOUNT",
                    got: Excerpt::of(item),
                },
            )
        })?;
        let class = ResourceClass::parse(class).map_err(|_| {
            refused(
                key,
                Problem::Syntax {
                    what: "a resource class name",
                    got: Excerpt::of(class),
                },
            )
        })?;
        let amount = parse_amount(key, amount)?;
        if amounts.insert(class.clone(), amount).is_some() {
            // Placement keeps the last amount (`util.py:294`): the core is
            // stricter, hence the core's own code.
            return Err(bad_value(
                key,
                Problem::Duplicate(Excerpt::of(class.as_str())),
            ));
        }
    }
    Ok(amounts)
}

fn split_item(item: &str) -> Option<(&str, &str)> {
    let (class, amount) = item.split_once(':')?;
    if amount.contains(':') {
        return None;
    }
    Some((class, amount))
}

/// Longest digit string Python's `int()` reads (`sys.int_info.default_max_str_digits`).
const PYTHON_MAX_STR_DIGITS: usize = 4300;

/// Whether Placement reads `text` as an amount of at least 1
/// (`util.py:278` Python `int()`, then `util.py:285`): surrounding white
/// space, one sign, digits of any script with single `_` between them, at
/// most 4300 digits. Close to `int()`, not exact (`char::is_numeric` is a
/// little wider than Python's decimal digits); it only picks a code.
fn placement_takes_amount(text: &str) -> bool {
    let t = text.trim_matches(char::is_whitespace);
    let (negative, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let well_formed = !body.is_empty()
        && !body.starts_with('_')
        && !body.ends_with('_')
        && !body.contains("__")
        && body.chars().all(|c| c == '_' || c.is_numeric())
        && body.chars().filter(|c| *c != '_').count() <= PYTHON_MAX_STR_DIGITS;
    well_formed && !negative && body.chars().any(|c| c != '_' && c != '0')
}

/// An amount: optional spaces, ASCII digits, optional spaces; 1..=MAX_INT.
///
/// An amount Placement refuses too (not a number, below 1) gets its bare
/// 400's undefined code (`util.py:278`, `:285`); one Placement takes (a
/// sign, `_`, other digits or white space, above 2^31-1) gets the core's
/// own `bad_value`.
pub fn parse_amount(key: &str, text: &str) -> Result<u32, Rejection> {
    let digits = text.trim_matches(' ');
    let refuse = |problem: Problem| {
        if placement_takes_amount(text) {
            bad_value(key, problem)
        } else {
            refused(key, problem)
        }
    };
    let syntax = || {
        refuse(Problem::Syntax {
            what: "a positive whole number of ASCII digits",
            got: Excerpt::of(text),
        })
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(syntax());
    }
    let out_of_range = || {
        refuse(Problem::OutOfRange {
            min: 1,
            max: i64::from(MAX_INT),
        })
    };
    let significant = digits.trim_start_matches('0');
    if digits.len() > MAX_AMOUNT_DIGITS || significant.len() > 10 {
        return Err(out_of_range());
    }
    let value: u64 = if significant.is_empty() {
        0
    } else {
        significant.parse().map_err(|_| syntax())?
    };
    match u32::try_from(value) {
        Ok(v) if (1..=MAX_INT).contains(&v) => Ok(v),
        _ => Err(out_of_range()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(value: &str) -> Vec<(String, u32)> {
        parse_resources("resources", value)
            .unwrap()
            .into_iter()
            .map(|(k, v)| (k.as_str().to_owned(), v))
            .collect()
    }

    fn err(value: &str) -> String {
        parse_resources("resources", value).unwrap_err().to_string()
    }

    #[test]
    fn well_formed() {
        assert_eq!(
            ok("VCPU:1,MEMORY_MB:1024"),
            vec![("MEMORY_MB".to_owned(), 1024), ("VCPU".to_owned(), 1)]
        );
        assert_eq!(ok("VCPU:2147483647"), vec![("VCPU".to_owned(), MAX_INT)]);
        assert_eq!(ok("VCPU:007"), vec![("VCPU".to_owned(), 7)]);
    }

    // gabbits/allocation-candidates.yaml sends `DISK_GB:10 ` (a decoded `+`).
    #[test]
    fn spaces_around_amount_accepted() {
        assert_eq!(ok("DISK_GB:10 "), vec![("DISK_GB".to_owned(), 10)]);
        assert_eq!(ok("DISK_GB: 10"), vec![("DISK_GB".to_owned(), 10)]);
    }

    #[test]
    fn other_white_space_refused() {
        // Python's int() strips these; the core does not.
        for bad in ["VCPU:1\n", "VCPU:1\t", "VCPU:\u{a0}1", "VCPU:1\r"] {
            assert!(parse_resources("resources", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn amounts_out_of_range() {
        for bad in [
            "VCPU:0",
            "VCPU:000",
            "VCPU:2147483648",
            "VCPU:4294967296",
            "VCPU:99999999999999999999999",
        ] {
            assert!(err(bad).contains("from 1 to 2147483647"), "{bad}");
        }
        let huge = format!("VCPU:{}", "9".repeat(5000));
        assert!(parse_resources("resources", &huge).is_err());
    }

    // util.py normalize_resources_qs_param: int() would take all of these.
    #[test]
    fn no_sign_underscore_float_or_foreign_digits() {
        for bad in [
            "VCPU:+1",
            "VCPU:-1",
            "VCPU:1_0",
            "VCPU:1.0",
            "VCPU:1e3",
            "VCPU:\u{661}",
            "VCPU:0x10",
            "VCPU:",
        ] {
            assert!(err(bad).contains("ASCII digits"), "{bad}");
        }
    }

    #[test]
    fn shape_errors() {
        for bad in ["", " ", "VCPU", "VCPU:1,", ",VCPU:1", "VCPU:1:2", "VCPU=1"] {
            assert!(parse_resources("resources", bad).is_err(), "{bad:?}");
        }
        assert!(err("vcpu:1").contains("resource class"));
        assert!(err(" VCPU:1").contains("resource class"));
        assert!(err("VCPU:1,VCPU:2").contains("must not repeat"));
    }

    proptest::proptest! {
        #[test]
        fn amounts_round_trip(n in 1u32..=MAX_INT) {
            proptest::prop_assert_eq!(parse_amount("r", &n.to_string()).unwrap(), n);
        }

        #[test]
        fn never_panics(value in ".{0,64}") {
            let _ = parse_resources("resources", &value);
        }
    }
}
