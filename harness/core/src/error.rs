//! Typed rejections shared by every parser and validator in the core.
//!
//! A rejection says *where* (a field path in a body, a query parameter, a
//! path segment or a header) and *what* is wrong, in a sentence a client can
//! act on. It never carries a schema, a Rust type name, or more than a short,
//! escaped excerpt of the input: the server renders these sentences verbatim
//! as Placement error details, so anything here is what an attacker sees.

use std::fmt;

use crate::outcome::ErrorCode;

/// Longest excerpt of client input a rejection will ever quote, in characters.
pub const EXCERPT_MAX_CHARS: usize = 24;

/// Longest an excerpt may be once escaped, in characters. An escape takes up
/// to ten characters, so without this cap 24 input characters could become
/// 240 in a detail; with it, a detail quoting two excerpts stays short.
pub const EXCERPT_MAX_ESCAPED: usize = 48;

/// A short, escaped excerpt of client input, safe to put in an error detail.
///
/// Non-printable and non-ASCII characters are written as `\u{..}` escapes, so
/// an excerpt can carry neither markup-significant bytes in raw form nor BiDi
/// controls; input longer than [`EXCERPT_MAX_CHARS`] characters, or whose
/// escaped form would pass [`EXCERPT_MAX_ESCAPED`], is cut with `...`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Excerpt(String);

impl Excerpt {
    /// Makes the excerpt of `input`.
    pub fn of(input: &str) -> Self {
        let mut out = String::new();
        for (taken, c) in input.chars().enumerate() {
            let escaped = match c {
                // The quote is escaped too: Display wraps the excerpt in
                // quotes, and a bare one inside would let later text (an
                // escape's braces) look as if it stood outside them.
                ' '..='~' if !matches!(c, '<' | '>' | '&' | '"' | '\\' | '\'') => None,
                _ => Some(format!("\\u{{{:x}}}", c as u32)),
            };
            let width = escaped.as_ref().map_or(1, String::len);
            if taken == EXCERPT_MAX_CHARS || out.len() + width > EXCERPT_MAX_ESCAPED {
                out.push_str("...");
                break;
            }
            match escaped {
                Some(text) => out.push_str(&text),
                None => out.push(c),
            }
        }
        Excerpt(out)
    }

    /// The escaped text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Excerpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}'", self.0)
    }
}

impl fmt::Debug for Excerpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// One step of a path into a JSON body.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Segment {
    /// A fixed key that the API defines (`allocations`, `resources`, ...).
    Key(&'static str),
    /// A key chosen by the client (a provider UUID, a resource class), kept
    /// only as an excerpt.
    ClientKey(Excerpt),
    /// An array index.
    Index(usize),
}

/// Where in a JSON body a rejection applies, e.g. `allocations.'c0ffee..'.resources`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct FieldPath(Vec<Segment>);

impl FieldPath {
    /// The whole body.
    pub fn root() -> Self {
        FieldPath(Vec::new())
    }

    /// This path extended by a fixed key.
    pub fn key(&self, key: &'static str) -> Self {
        self.with(Segment::Key(key))
    }

    /// This path extended by a key the client chose.
    pub fn client_key(&self, key: &str) -> Self {
        self.with(Segment::ClientKey(Excerpt::of(key)))
    }

    /// This path extended by an array index.
    pub fn index(&self, index: usize) -> Self {
        self.with(Segment::Index(index))
    }

    /// The steps of the path, outermost first.
    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    fn with(&self, segment: Segment) -> Self {
        let mut segments = self.0.clone();
        segments.push(segment);
        FieldPath(segments)
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("the request body");
        }
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Index(n) => write!(f, "[{n}]")?,
                Segment::Key(k) if i == 0 => f.write_str(k)?,
                Segment::Key(k) => write!(f, ".{k}")?,
                Segment::ClientKey(k) if i == 0 => write!(f, "{k}")?,
                Segment::ClientKey(k) => write!(f, ".{k}")?,
            }
        }
        Ok(())
    }
}

/// Where a rejection applies.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Location {
    /// A field in the JSON request body.
    Body(FieldPath),
    /// A query string parameter, by name (an excerpt when the client made it up).
    Query(Excerpt),
    /// A path segment of the URL, by its role (`resource provider uuid`, ...).
    Path(&'static str),
    /// A request header, by name.
    Header(&'static str),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Body(path) => write!(f, "{path}"),
            Location::Query(name) => write!(f, "query parameter {name}"),
            Location::Path(role) => write!(f, "{role} in the URL"),
            Location::Header(name) => write!(f, "header {name}"),
        }
    }
}

/// The kind of JSON value a field must hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JsonKind {
    /// A JSON object.
    Object,
    /// A JSON array.
    Array,
    /// A JSON string.
    String,
    /// A JSON integer (no fraction, no exponent outside the integer range).
    Integer,
    /// Any finite JSON number.
    Number,
    /// A JSON integer or `null`.
    IntegerOrNull,
    /// A JSON string or `null`.
    StringOrNull,
}

impl fmt::Display for JsonKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JsonKind::Object => "an object",
            JsonKind::Array => "an array",
            JsonKind::String => "a string",
            JsonKind::Integer => "an integer",
            JsonKind::Number => "a number",
            JsonKind::IntegerOrNull => "an integer or null",
            JsonKind::StringOrNull => "a string or null",
        })
    }
}

/// What is wrong with the value at a [`Location`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum Problem {
    /// The body is not valid JSON (or uses a token JSON does not have, such as `NaN`).
    #[error("is not valid JSON (line {line}, column {column})")]
    InvalidJson {
        /// 1-based line of the first error.
        line: usize,
        /// 1-based column of the first error.
        column: usize,
    },
    /// The JSON nests deeper than the core accepts.
    #[error("nests deeper than {max} levels")]
    TooDeep {
        /// The deepest nesting accepted.
        max: usize,
    },
    /// A required field is absent.
    #[error("is required")]
    Missing,
    /// A field the API does not define at this microversion.
    #[error("is not allowed here")]
    NotAllowed,
    /// The value is of the wrong JSON kind.
    #[error("must be {0}")]
    WrongKind(JsonKind),
    /// An integer outside its documented bounds.
    #[error("must be an integer from {min} to {max}")]
    OutOfRange {
        /// Smallest accepted value.
        min: i64,
        /// Largest accepted value.
        max: i64,
    },
    /// A number that is not finite or is above a float bound.
    #[error("must be a finite number from {min} to {max}")]
    NumberOutOfRange {
        /// Smallest accepted value, as text.
        min: &'static str,
        /// Largest accepted value, as text.
        max: &'static str,
    },
    /// A string longer than allowed.
    #[error("must be at most {max} characters long")]
    TooLong {
        /// Longest accepted length in characters.
        max: usize,
    },
    /// An empty string, array or object where at least `min` items are needed.
    #[error("must have at least {min} item(s) or character(s)")]
    TooShort {
        /// Smallest accepted size.
        min: usize,
    },
    /// The same item appears twice where items must be unique.
    #[error("must not repeat {0}")]
    Duplicate(Excerpt),
    /// The value does not have the syntax of `what` (a UUID, a resource class name...).
    #[error("must be {what}; got {got}")]
    Syntax {
        /// What the value should be, as a noun phrase ("a UUID").
        what: &'static str,
        /// An excerpt of what was sent.
        got: Excerpt,
    },
    /// The value is not one of the accepted words.
    #[error("must be one of {accepted}; got {got}")]
    NotOneOf {
        /// The accepted values, as a phrase ("'none' or 'isolate'").
        accepted: &'static str,
        /// An excerpt of what was sent.
        got: Excerpt,
    },
    /// The parameter or field is only available from a later microversion.
    #[error("requires microversion {0} or later")]
    NeedsMicroversion(&'static str),
    /// A rule that spans several fields or parameters.
    #[error("{0}")]
    Rule(&'static str),
}

/// A rejected input: where and what. `Display` gives the sentence for clients.
#[derive(Clone, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{location}: {problem}")]
pub struct Rejection {
    /// Where the problem is.
    pub location: Location,
    /// What the problem is.
    pub problem: Problem,
    /// Placement's error code for it: [`ErrorCode::Undefined`] but for the
    /// query errors Placement gives a code of their own.
    pub code: ErrorCode,
}

impl Rejection {
    /// A rejection of a body field.
    pub fn body(path: FieldPath, problem: Problem) -> Self {
        Rejection {
            location: Location::Body(path),
            problem,
            code: ErrorCode::Undefined,
        }
    }

    /// A rejection of a query parameter.
    pub fn query(name: &str, problem: Problem) -> Self {
        Rejection {
            location: Location::Query(Excerpt::of(name)),
            problem,
            code: ErrorCode::Undefined,
        }
    }

    /// A rejection of a URL path segment.
    pub fn path(role: &'static str, problem: Problem) -> Self {
        Rejection {
            location: Location::Path(role),
            problem,
            code: ErrorCode::Undefined,
        }
    }

    /// The same rejection with Placement's error code `code`.
    pub fn with_code(mut self, code: ErrorCode) -> Self {
        self.code = code;
        self
    }

    /// A rejection of a request header.
    pub fn header(name: &'static str, problem: Problem) -> Self {
        Rejection {
            location: Location::Header(name),
            problem,
            code: ErrorCode::Undefined,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_escapes_and_cuts() {
        assert_eq!(Excerpt::of("abc").as_str(), "abc");
        assert_eq!(Excerpt::of("a\nb").as_str(), "a\\u{a}b");
        assert_eq!(Excerpt::of("<script>").as_str(), "\\u{3c}script\\u{3e}");
        assert_eq!(Excerpt::of("\u{202e}x").as_str(), "\\u{202e}x");
        assert_eq!(Excerpt::of("'\u{e000}").as_str(), "\\u{27}\\u{e000}");
        // Escapes count against the escaped cap, so non-ASCII input cannot
        // make an excerpt ten times longer than ASCII input.
        let wide = Excerpt::of(&"\u{fffd}".repeat(24));
        assert_eq!(wide.as_str(), format!("{}...", "\\u{fffd}".repeat(6)));
        assert!(wide.as_str().len() <= EXCERPT_MAX_ESCAPED + 3);
        let long = "x".repeat(10_000);
        assert_eq!(
            Excerpt::of(&long).as_str(),
            format!("{}...", "x".repeat(24))
        );
    }

    #[test]
    fn rejection_sentence_names_the_place() {
        let path = FieldPath::root()
            .key("allocations")
            .client_key("rp")
            .key("resources")
            .client_key("VCPU");
        let r = Rejection::body(
            path,
            Problem::OutOfRange {
                min: 1,
                max: 2_147_483_647,
            },
        );
        assert_eq!(
            r.to_string(),
            "allocations.'rp'.resources.'VCPU': must be an integer from 1 to 2147483647"
        );
        let r = Rejection::query(
            "limit",
            Problem::Syntax {
                what: "a positive integer",
                got: Excerpt::of("-1"),
            },
        );
        assert_eq!(
            r.to_string(),
            "query parameter 'limit': must be a positive integer; got '-1'"
        );
    }
}
