//! Gabbi's templates: `$ENVIRON['X']`, `$RESPONSE['path']`,
//! `$HEADERS['name']`, `$LOCATION`, `$URL`, `$LAST_URL`, `$SCHEME`,
//! `$NETLOC`, and `$HISTORY['test name'].` before `$RESPONSE`,
//! `$HEADERS`, `$LOCATION` or `$URL`.
//!
//! Casting follows gabbi: a string that is exactly one `$RESPONSE[...]`
//! becomes the JSON value found (so `allocations: $RESPONSE['$.allocations']`
//! sends an object, not its text), one `$ENVIRON[...]` whose value is
//! `True`/`False` becomes a boolean; everything else is text. A `$` that
//! starts no template is left as it is (regexes end in `$`).

use std::collections::BTreeMap;

use serde_json::Value;

use super::jsonpath::{GabbiPath, PathError};

/// What one earlier test left behind for later templates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recorded {
    /// The test's URL after substitution, before query parameters (gabbi's
    /// `$URL` / `$LAST_URL`).
    pub url: String,
    /// Response headers (names compared case-insensitively).
    pub headers: Vec<(String, String)>,
    /// The response body, when it was JSON.
    pub json: Option<Value>,
}

impl Recorded {
    /// A response header's value, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Everything a template may refer to.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// `$ENVIRON` variables (fixtures bind them; never the process
    /// environment implicitly, so a suite cannot read a token by name).
    pub environ: &'a BTreeMap<String, String>,
    /// The test that ran before this one.
    pub prior: Option<&'a Recorded>,
    /// Earlier tests by name, for `$HISTORY`.
    pub history: &'a [(String, Recorded)],
    /// The current test's URL, for `$URL` in its expectations.
    pub current_url: Option<&'a str>,
    /// `$SCHEME` of the target.
    pub scheme: &'a str,
    /// `$NETLOC` of the target (host, port and any prefix).
    pub netloc: &'a str,
}

/// A template that could not be filled in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubstError {
    /// `$ENVIRON['X']` with no X.
    #[error("unable to replace $ENVIRON['{0}']: no such variable")]
    MissingEnviron(String),
    /// A template that needs an earlier test where there is none.
    #[error("unable to replace {0}: no prior test")]
    NoPrior(String),
    /// `$URL` in the request it would name.
    #[error("unable to replace $URL: the current URL is not known until the request is built")]
    NoUrlYet,
    /// `$HISTORY['x']` with no test named x before.
    #[error("unable to replace $HISTORY['{0}']: no earlier test with that name")]
    NoHistory(String),
    /// `$RESPONSE` on a response that was not JSON.
    #[error("unable to replace $RESPONSE['{0}']: the response was not JSON")]
    NotJson(String),
    /// `$LOCATION` / `$HEADERS` on a response without that header.
    #[error("unable to replace {template}: no `{header}` header in the response")]
    NoHeader {
        /// The template.
        template: String,
        /// The header.
        header: String,
    },
    /// A bad or unmatched JSONPath.
    #[error("unable to replace $RESPONSE: {0}")]
    Path(#[from] PathError),
    /// `$X['...` without its closing quote and bracket.
    #[error("unterminated template `{0}`")]
    Unterminated(String),
}

/// Where a response template reads from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    Prior,
    History(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Environ(String),
    Response(Source, String),
    Headers(Source, String),
    Location(Source),
    Url(Source),
    LastUrl,
    Scheme,
    Netloc,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Template(Token),
}

/// Whether `text` holds a template whose value comes from the suite's
/// environment or an earlier step (`$ENVIRON`, `$RESPONSE`, `$HEADERS`,
/// `$LOCATION`, `$URL`, `$LAST_URL`, `$HISTORY`); `$SCHEME` and `$NETLOC`
/// are the target's own. Text that does not parse counts as referring.
pub fn refers_to_earlier_steps(text: &str) -> bool {
    match tokenize(text) {
        Ok(pieces) => pieces.iter().any(
            |p| matches!(p, Piece::Template(t) if !matches!(t, Token::Scheme | Token::Netloc)),
        ),
        Err(_) => true,
    }
}

/// Read `['arg']` or `["arg"]` at the start of `rest`: gabbi's
/// `\[(['"])(.+?)\1\]`, so the argument ends at the first quote that is
/// followed by `]`.
fn bracket_arg(rest: &str) -> Option<(String, usize)> {
    let mut chars = rest.char_indices();
    if chars.next()?.1 != '[' {
        return None;
    }
    let (_, q) = chars.next()?;
    if q != '\'' && q != '"' {
        return None;
    }
    let body = &rest[2..];
    let close = format!("{q}]");
    let end = body.find(&close)?;
    if end == 0 {
        return None;
    }
    Some((body[..end].to_owned(), 2 + end + 2))
}

/// A response-reading template at the start of `rest`, for `source`.
fn source_token(rest: &str, source: Source) -> Result<Option<(Token, usize)>, SubstError> {
    for (name, with_arg) in [
        ("$RESPONSE", true),
        ("$HEADERS", true),
        ("$LOCATION", false),
        ("$URL", false),
    ] {
        let Some(after) = rest.strip_prefix(name) else {
            continue;
        };
        if !with_arg {
            let token = if name == "$LOCATION" {
                Token::Location(source)
            } else {
                Token::Url(source)
            };
            return Ok(Some((token, name.len())));
        }
        let Some((arg, used)) = bracket_arg(after) else {
            return Err(SubstError::Unterminated(rest.chars().take(40).collect()));
        };
        let token = if name == "$RESPONSE" {
            Token::Response(source, arg)
        } else {
            Token::Headers(source, arg)
        };
        return Ok(Some((token, name.len() + used)));
    }
    Ok(None)
}

fn tokenize(text: &str) -> Result<Vec<Piece>, SubstError> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let found: Option<(Token, usize)> = if !rest.starts_with('$') {
            None
        } else if let Some(after) = rest.strip_prefix("$ENVIRON") {
            let (arg, used) = bracket_arg(after)
                .ok_or_else(|| SubstError::Unterminated(rest.chars().take(40).collect()))?;
            Some((Token::Environ(arg), "$ENVIRON".len() + used))
        } else if let Some(after) = rest.strip_prefix("$HISTORY") {
            let (name, used) = bracket_arg(after)
                .ok_or_else(|| SubstError::Unterminated(rest.chars().take(40).collect()))?;
            let head = "$HISTORY".len() + used;
            let tail = text[i + head..]
                .strip_prefix('.')
                .ok_or_else(|| SubstError::Unterminated(rest.chars().take(40).collect()))?;
            let (token, used) = source_token(tail, Source::History(name))?
                .ok_or_else(|| SubstError::Unterminated(rest.chars().take(40).collect()))?;
            Some((token, head + 1 + used))
        } else if rest.starts_with("$LAST_URL") {
            Some((Token::LastUrl, "$LAST_URL".len()))
        } else if rest.starts_with("$SCHEME") {
            Some((Token::Scheme, "$SCHEME".len()))
        } else if rest.starts_with("$NETLOC") {
            Some((Token::Netloc, "$NETLOC".len()))
        } else {
            source_token(rest, Source::Prior)?
        };
        match found {
            Some((token, used)) => {
                if !literal.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut literal)));
                }
                pieces.push(Piece::Template(token));
                i += used;
            }
            None => {
                let c = rest.chars().next().unwrap_or('$');
                literal.push(c);
                i += c.len_utf8();
            }
        }
    }
    if !literal.is_empty() {
        pieces.push(Piece::Text(literal));
    }
    Ok(pieces)
}

impl Context<'_> {
    fn source(&self, source: &Source, template: &str) -> Result<&Recorded, SubstError> {
        match source {
            Source::Prior => self
                .prior
                .ok_or_else(|| SubstError::NoPrior(template.to_owned())),
            Source::History(name) => self
                .history
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, r)| r)
                .ok_or_else(|| SubstError::NoHistory(name.clone())),
        }
    }

    /// The value of one template, typed.
    fn resolve(&self, token: &Token) -> Result<Value, SubstError> {
        Ok(match token {
            Token::Environ(name) => {
                let v = self
                    .environ
                    .get(name)
                    .ok_or_else(|| SubstError::MissingEnviron(name.clone()))?;
                Value::String(v.clone())
            }
            Token::Response(source, path) => {
                let rec = self.source(source, "$RESPONSE")?;
                let json = rec
                    .json
                    .as_ref()
                    .ok_or_else(|| SubstError::NotJson(path.clone()))?;
                GabbiPath::parse(path)?.extract(json)?
            }
            Token::Headers(source, name) => {
                let rec = self.source(source, "$HEADERS")?;
                Value::String(
                    rec.header(name)
                        .ok_or_else(|| SubstError::NoHeader {
                            template: format!("$HEADERS['{name}']"),
                            header: name.clone(),
                        })?
                        .to_owned(),
                )
            }
            Token::Location(source) => {
                let rec = self.source(source, "$LOCATION")?;
                Value::String(
                    rec.header("location")
                        .ok_or_else(|| SubstError::NoHeader {
                            template: "$LOCATION".to_owned(),
                            header: "location".to_owned(),
                        })?
                        .to_owned(),
                )
            }
            Token::Url(Source::Prior) => match self.current_url {
                Some(u) => Value::String(u.to_owned()),
                // While the request itself is built there is no URL yet.
                None => return Err(SubstError::NoUrlYet),
            },
            Token::Url(source) => Value::String(self.source(source, "$URL")?.url.clone()),
            Token::LastUrl => Value::String(self.source(&Source::Prior, "$LAST_URL")?.url.clone()),
            Token::Scheme => Value::String(self.scheme.to_owned()),
            Token::Netloc => Value::String(self.netloc.to_owned()),
        })
    }

    fn fill(&self, text: &str, escape: bool) -> Result<String, SubstError> {
        let mut out = String::with_capacity(text.len());
        for piece in tokenize(text)? {
            match piece {
                Piece::Text(t) => out.push_str(&t),
                Piece::Template(token) => {
                    let value = python_str(&self.resolve(&token)?);
                    if escape {
                        out.push_str(&regex::escape(&value));
                    } else {
                        out.push_str(&value);
                    }
                }
            }
        }
        Ok(out)
    }
}

/// Python's `str()` of a JSON value, as gabbi inserts values into text;
/// lists and objects are written as JSON (Python would write its repr).
pub fn python_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Null => "None".to_owned(),
        other => other.to_string(),
    }
}

/// Check that every template in `text` is well formed, without filling
/// any in (to refuse a broken suite before it runs).
pub fn check_templates(text: &str) -> Result<(), SubstError> {
    tokenize(text).map(drop)
}

/// Fill every template in `text`, as text.
pub fn substitute_str(text: &str, ctx: &Context<'_>) -> Result<String, SubstError> {
    ctx.fill(text, false)
}

/// Fill every template in a `/regex/` body, regex-escaping what is
/// inserted (gabbi's `escape_regex`).
pub fn substitute_regex(text: &str, ctx: &Context<'_>) -> Result<String, SubstError> {
    ctx.fill(text, true)
}

/// Fill templates through a JSON value (keys too), keeping the type of a
/// string that is exactly one `$RESPONSE` (or a `True`/`False` `$ENVIRON`).
pub fn substitute_value(value: &Value, ctx: &Context<'_>) -> Result<Value, SubstError> {
    Ok(match value {
        Value::String(s) => {
            if !s.contains('$') {
                return Ok(value.clone());
            }
            let pieces = tokenize(s)?;
            match pieces.as_slice() {
                [Piece::Template(t @ Token::Response(..))] => ctx.resolve(t)?,
                [Piece::Template(t @ Token::Environ(_))] => match ctx.resolve(t)? {
                    Value::String(v) if v == "True" => Value::Bool(true),
                    Value::String(v) if v == "False" => Value::Bool(false),
                    other => other,
                },
                _ => Value::String(ctx.fill(s, false)?),
            }
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| substitute_value(i, ctx))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((substitute_str(k, ctx)?, substitute_value(v, ctx)?)))
                .collect::<Result<_, SubstError>>()?,
        ),
        other => other.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn with<R>(f: impl FnOnce(&Context<'_>) -> R) -> R {
        let environ = BTreeMap::from([
            ("RP_UUID".to_owned(), "abc".to_owned()),
            ("FLAG".to_owned(), "True".to_owned()),
        ]);
        let prior = Recorded {
            url: "/resource_providers/abc".to_owned(),
            headers: vec![("Location".to_owned(), "http://h/rp/1".to_owned())],
            json: Some(
                json!({"generation": 3, "links": [{"rel": "self", "href": "/rp/1"}], "a": {"b": [1]}}),
            ),
        };
        let history = vec![(
            "make it".to_owned(),
            Recorded {
                url: "/made".to_owned(),
                headers: vec![],
                json: Some(json!({"uuid": "u-1"})),
            },
        )];
        let ctx = Context {
            environ: &environ,
            prior: Some(&prior),
            history: &history,
            current_url: Some("/now"),
            scheme: "http",
            netloc: "127.0.0.1:8000",
        };
        f(&ctx)
    }

    #[test]
    fn text_templates() {
        with(|c| {
            let s = |t: &str| substitute_str(t, c).unwrap();
            assert_eq!(s("/rp/$ENVIRON['RP_UUID']/x"), "/rp/abc/x");
            assert_eq!(s("g=$RESPONSE['$.generation']"), "g=3");
            assert_eq!(s(r#"$RESPONSE['links[?rel = "self"].href']"#), "/rp/1");
            assert_eq!(s("$LOCATION"), "http://h/rp/1");
            assert_eq!(s("$HEADERS['location']"), "http://h/rp/1");
            assert_eq!(
                s("$LAST_URL/inventories"),
                "/resource_providers/abc/inventories"
            );
            assert_eq!(s("$HISTORY['make it'].$RESPONSE['$.uuid']"), "u-1");
            assert_eq!(s("$HISTORY[\"make it\"].$URL"), "/made");
            assert_eq!(s("$SCHEME://$NETLOC$URL"), "http://127.0.0.1:8000/now");
            assert_eq!(s("/^a$/"), "/^a$/");
        });
    }

    #[test]
    fn casting_keeps_types() {
        with(|c| {
            let v = |j: Value| substitute_value(&j, c).unwrap();
            assert_eq!(v(json!("$RESPONSE['$.generation']")), json!(3));
            assert_eq!(v(json!("$RESPONSE['$.a']")), json!({"b": [1]}));
            assert_eq!(v(json!("$ENVIRON['FLAG']")), json!(true));
            assert_eq!(v(json!("$ENVIRON['RP_UUID']")), json!("abc"));
            assert_eq!(
                v(json!({"$ENVIRON['RP_UUID']": ["x$RESPONSE['$.generation']"]})),
                json!({"abc": ["x3"]})
            );
        });
    }

    #[test]
    fn regex_escaping() {
        with(|c| {
            assert_eq!(
                substitute_regex("^$HISTORY['make it'].$URL.x$", c).unwrap(),
                "^/made.x$"
            );
            assert_eq!(
                substitute_regex("$SCHEME://$NETLOC", c).unwrap(),
                r"http://127\.0\.0\.1:8000"
            );
        });
    }

    #[test]
    fn errors() {
        with(|c| {
            assert_eq!(
                substitute_str("$ENVIRON['NOPE']", c),
                Err(SubstError::MissingEnviron("NOPE".to_owned()))
            );
            assert!(matches!(
                substitute_str("$HISTORY['x'].$URL", c),
                Err(SubstError::NoHistory(_))
            ));
            assert!(matches!(
                substitute_str("$RESPONSE['$.zz']", c),
                Err(SubstError::Path(_))
            ));
            assert!(matches!(
                substitute_str("$RESPONSE['$.zz", c),
                Err(SubstError::Unterminated(_))
            ));
        });
        let environ = BTreeMap::new();
        let ctx = Context {
            environ: &environ,
            prior: None,
            history: &[],
            current_url: None,
            scheme: "http",
            netloc: "h",
        };
        assert!(matches!(
            substitute_str("$LOCATION", &ctx),
            Err(SubstError::NoPrior(_))
        ));
    }

    #[test]
    fn which_templates_refer_to_earlier_steps() {
        for text in [
            "/resource_providers/$ENVIRON['RP_UUID']",
            "$RESPONSE['$.uuid']",
            "$LOCATION",
            "$HISTORY['make it'].$RESPONSE['$.uuid']",
            "$LAST_URL",
        ] {
            assert!(refers_to_earlier_steps(text), "{text}");
        }
        for text in ["/resource_providers", "$SCHEME://$NETLOC/traits"] {
            assert!(!refers_to_earlier_steps(text), "{text}");
        }
    }
}
