//! Splitting and decoding a raw query string the way Placement's WSGI stack does.
//!
//! Placement reads parameters through webob's `Request.GET`, which (16.0.0,
//! webob 1.8) splits on both `&` and `;`, drops empty pairs, turns `+` into a
//! space *before* percent-decoding (so `%2B` is a literal `+`), decodes `%XX`
//! with `unquote_to_bytes` (a `%` not followed by two hex digits stays as it
//! is), treats a pair without `=` as a key with an empty value, and decodes
//! the bytes as strict UTF-8. The core follows all of that, because a
//! different split would make the core and a real server disagree about which
//! parameters a request even has. Decoded text is not trimmed here: what a
//! line break (`%0A`) or a space does is each parameter's business.

use crate::error::{Excerpt, Problem, Rejection};
use crate::outcome::ErrorCode;

/// Longest raw query string the core decodes, in bytes. Far above anything a
/// real client sends; it bounds the work a fuzzer can ask for.
pub const MAX_QUERY_BYTES: usize = 64 * 1024;

/// Most parameters the core accepts in one query string.
pub const MAX_PAIRS: usize = 256;

/// Decodes `raw` (the undecoded text after `?`) into `(key, value)` pairs, in order.
pub fn decode_pairs(raw: &str) -> Result<Vec<(String, String)>, Rejection> {
    if raw.len() > MAX_QUERY_BYTES {
        return Err(Rejection::query(
            "query string",
            Problem::TooLong {
                max: MAX_QUERY_BYTES,
            },
        )
        .with_code(ErrorCode::QueryBadValue));
    }
    let mut pairs = Vec::new();
    for piece in raw.split(['&', ';']).filter(|p| !p.is_empty()) {
        if pairs.len() == MAX_PAIRS {
            return Err(Rejection::query(
                "query string",
                Problem::Rule("has more parameters than the core accepts (256)"),
            )
            .with_code(ErrorCode::QueryBadValue));
        }
        let (key, value) = piece.split_once('=').unwrap_or((piece, ""));
        let key = decode_component(key).map_err(|()| not_utf8(key))?;
        let value = decode_component(value).map_err(|()| not_utf8(&key))?;
        pairs.push((key, value));
    }
    Ok(pairs)
}

/// Placement catches webob's `UnicodeDecodeError` in `validate_query_params`
/// (`util.py:212`) and answers a bare 400: the undefined code.
fn not_utf8(name: &str) -> Rejection {
    Rejection::query(
        name,
        Problem::Syntax {
            what: "percent-encoded UTF-8",
            got: Excerpt::of(name),
        },
    )
}

/// `+` to space, then `%XX` to the byte, then strict UTF-8.
fn decode_component(text: &str) -> Result<String, ()> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => match (
                bytes.get(i + 1).and_then(|c| hex_value(*c)),
                bytes.get(i + 2).and_then(|c| hex_value(*c)),
            ) {
                (Some(high), Some(low)) => {
                    out.push(high * 16 + low);
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    i += 1;
                }
            },
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| ())
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(raw: &str) -> Vec<(String, String)> {
        decode_pairs(raw).unwrap()
    }

    fn p(k: &str, v: &str) -> (String, String) {
        (k.to_owned(), v.to_owned())
    }

    // webob/compat.py parse_qsl_text: `&` and `;` both split, empty pairs vanish.
    #[test]
    fn splits_like_webob() {
        assert_eq!(
            pairs("a=1;b=2&&c"),
            vec![p("a", "1"), p("b", "2"), p("c", "")]
        );
        assert_eq!(pairs(""), vec![]);
        assert_eq!(pairs("a==b"), vec![p("a", "=b")]);
    }

    #[test]
    fn plus_is_space_but_encoded_plus_is_plus() {
        assert_eq!(pairs("r=VCPU:+1"), vec![p("r", "VCPU: 1")]);
        assert_eq!(pairs("r=VCPU:%2B1"), vec![p("r", "VCPU:+1")]);
    }

    #[test]
    fn percent_decoding_keeps_broken_escapes() {
        assert_eq!(pairs("a=%0A%zz%4"), vec![p("a", "\n%zz%4")]);
        assert_eq!(pairs("a%0A=1"), vec![p("a\n", "1")]);
        assert_eq!(pairs("a=%C3%A9"), vec![p("a", "é")]);
    }

    #[test]
    fn invalid_utf8_is_rejected() {
        // util.py:212: UnicodeDecodeError -> bare HTTPBadRequest.
        let r = decode_pairs("a=%FF").unwrap_err();
        assert_eq!(r.code, ErrorCode::Undefined);
        assert!(decode_pairs("%C3=1").is_err());
    }

    #[test]
    fn bounded() {
        assert!(decode_pairs(&"a=1&".repeat(300)).is_err());
        assert!(decode_pairs(&"x".repeat(MAX_QUERY_BYTES + 1)).is_err());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(raw in ".{0,200}") {
            let _ = decode_pairs(&raw);
        }
    }
}
