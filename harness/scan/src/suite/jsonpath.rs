//! Gabbi's JSONPath dialect (jsonpath-rw-ext) translated to RFC 9535 for
//! serde_json_path, with the two extensions Placement's gabbits use
//! (`` `len` `` and `` `sorted` ``) applied after the query.
//!
//! Translated: `$.a.b`, relative `a.b`, `..name`, `[0]`, `[*]`, `.*`,
//! `["key"]`/`['key']`, bare `[KEY]`, `.'quoted'`, slices, and filters
//! `[?field.path OP literal]` / `[?(...)]` with `=`, `==`, `!=`, `<`, `<=`,
//! `>`, `>=` or no operator (existence). Anything else (`&` in filters,
//! other backtick functions, `len` mid-path) is a clear [`PathError`],
//! never a silently different query.

use serde_json::Value;
use serde_json_path::JsonPath;

/// Why a gabbi JSONPath could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// The path uses syntax this translation does not support.
    #[error("JSONPath `{path}`: unsupported: {what}")]
    Unsupported {
        /// The gabbi path as written.
        path: String,
        /// What is not supported.
        what: String,
    },
    /// The translated path was refused by the RFC 9535 parser.
    #[error("JSONPath `{path}` (as RFC 9535 `{rfc}`): {message}")]
    Invalid {
        /// The gabbi path as written.
        path: String,
        /// Its translation.
        rfc: String,
        /// The parser's message.
        message: String,
    },
    /// The path matched nothing (gabbi fails the test the same way).
    #[error("JSONPath `{path}` failed to match on data: {data}")]
    NoMatch {
        /// The gabbi path as written.
        path: String,
        /// The data, cut to a readable length.
        data: String,
    },
}

/// The operation a trailing backtick extension applies to each match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Extension {
    Len,
    Sorted,
}

/// A parsed gabbi JSONPath.
#[derive(Debug, Clone)]
pub struct GabbiPath {
    source: String,
    rfc: String,
    query: JsonPath,
    extension: Option<Extension>,
}

impl GabbiPath {
    /// Parse a gabbi (jsonpath-rw-ext) path.
    pub fn parse(path: &str) -> Result<Self, PathError> {
        let (rfc, extension) = translate(path)?;
        let query = JsonPath::parse(&rfc).map_err(|e| PathError::Invalid {
            path: path.to_owned(),
            rfc: rfc.clone(),
            message: e.to_string(),
        })?;
        Ok(GabbiPath {
            source: path.to_owned(),
            rfc,
            query,
            extension,
        })
    }

    /// The RFC 9535 form of this path.
    pub fn rfc9535(&self) -> &str {
        &self.rfc
    }

    /// All matches, after the extension (a match `len` cannot measure is
    /// dropped, as jsonpath-rw-ext drops it).
    pub fn matches(&self, data: &Value) -> Vec<Value> {
        let found = self.query.query(data).all();
        match self.extension {
            None => found.into_iter().cloned().collect(),
            Some(Extension::Len) => found.into_iter().filter_map(length).collect(),
            Some(Extension::Sorted) => found.into_iter().map(sorted).collect(),
        }
    }

    /// Gabbi's `extract_json_path_value`: one match gives that value, more
    /// give the list of them, none is an error.
    pub fn extract(&self, data: &Value) -> Result<Value, PathError> {
        let mut found = self.matches(data);
        match found.len() {
            0 => Err(PathError::NoMatch {
                path: self.source.clone(),
                data: excerpt(data),
            }),
            1 => Ok(found.remove(0)),
            _ => Ok(Value::Array(found)),
        }
    }
}

fn excerpt(data: &Value) -> String {
    let text = data.to_string();
    if text.chars().count() > 300 {
        let cut: String = text.chars().take(300).collect();
        format!("{cut}...")
    } else {
        text
    }
}

fn length(v: &Value) -> Option<Value> {
    match v {
        Value::Array(a) => Some(Value::from(a.len())),
        Value::Object(o) => Some(Value::from(o.len())),
        Value::String(s) => Some(Value::from(s.chars().count())),
        _ => None,
    }
}

fn sorted(v: &Value) -> Value {
    match v {
        Value::Array(a) => {
            let mut items = a.clone();
            items.sort_by(json_order);
            Value::Array(items)
        }
        // jsonpath-rw-ext sorts a dict's keys.
        Value::Object(o) => {
            let mut keys: Vec<Value> = o.keys().map(|k| Value::String(k.clone())).collect();
            keys.sort_by(json_order);
            Value::Array(keys)
        }
        other => other.clone(),
    }
}

/// A total order over JSON values: by type first, then by value.
fn json_order(a: &Value, b: &Value) -> std::cmp::Ordering {
    fn rank(v: &Value) -> u8 {
        match v {
            Value::Null => 0,
            Value::Bool(_) => 1,
            Value::Number(_) => 2,
            Value::String(_) => 3,
            Value::Array(_) => 4,
            Value::Object(_) => 5,
        }
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
            x.total_cmp(&y)
        }
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => rank(a)
            .cmp(&rank(b))
            .then_with(|| a.to_string().cmp(&b.to_string())),
    }
}

fn unsupported(path: &str, what: impl Into<String>) -> PathError {
    PathError::Unsupported {
        path: path.to_owned(),
        what: what.into(),
    }
}

/// A member name as an RFC 9535 double-quoted string.
fn quote(name: &str) -> String {
    // JSON string escaping is valid RFC 9535 string-literal escaping.
    serde_json::Value::String(name.to_owned()).to_string()
}

/// Read a quoted string starting at `chars[i]` (the quote); returns the
/// content and the index after the closing quote.
fn read_quoted(path: &str, chars: &[char], i: usize) -> Result<(String, usize), PathError> {
    let q = chars[i];
    let mut j = i + 1;
    let mut out = String::new();
    while j < chars.len() {
        if chars[j] == q {
            return Ok((out, j + 1));
        }
        out.push(chars[j]);
        j += 1;
    }
    Err(unsupported(path, format!("unterminated {q}quote{q}")))
}

/// Index of the `]` closing the bracket opened at `chars[i]`, skipping
/// quoted text and nested brackets.
fn closing_bracket(chars: &[char], i: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for (j, &c) in chars.iter().enumerate().skip(i) {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' => quote = Some(c),
                '[' => depth += 1,
                ']' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Some(j);
                    }
                }
                _ => {}
            },
        }
    }
    None
}

fn is_name_char(c: char) -> bool {
    !matches!(c, '.' | '[' | ']' | '`' | '\'' | '"' | '(' | ')' | ' ')
}

fn translate(path: &str) -> Result<(String, Option<Extension>), PathError> {
    let chars: Vec<char> = path.trim().chars().collect();
    let mut out = String::from("$");
    let mut i = 0;
    if chars.first() == Some(&'$') {
        i = 1;
    } else if chars.first().is_some_and(|c| is_name_char(*c)) {
        // A relative path (`uuid`, `links[...]`) is rooted at the document.
        let start = i;
        while i < chars.len() && is_name_char(chars[i]) {
            i += 1;
        }
        let name: String = chars[start..i].iter().collect();
        if name == "*" {
            out.push_str("[*]");
        } else {
            out.push_str(&format!("[{}]", quote(&name)));
        }
    }
    let mut extension = None;
    while i < chars.len() {
        if extension.is_some() {
            return Err(unsupported(path, "`len`/`sorted` anywhere but at the end"));
        }
        match chars[i] {
            '.' => {
                let descendant = chars.get(i + 1) == Some(&'.');
                i += if descendant { 2 } else { 1 };
                let prefix = if descendant { ".." } else { "" };
                match chars.get(i) {
                    Some('`') => {
                        let end = chars[i + 1..]
                            .iter()
                            .position(|c| *c == '`')
                            .map(|p| i + 1 + p)
                            .ok_or_else(|| unsupported(path, "unterminated backtick"))?;
                        let name: String = chars[i + 1..end].iter().collect();
                        if descendant {
                            return Err(unsupported(path, "`..` before a backtick function"));
                        }
                        extension = Some(match name.as_str() {
                            "len" => Extension::Len,
                            "sorted" => Extension::Sorted,
                            other => {
                                return Err(unsupported(path, format!("function `{other}`")));
                            }
                        });
                        i = end + 1;
                    }
                    Some('\'') | Some('"') => {
                        let (name, next) = read_quoted(path, &chars, i)?;
                        out.push_str(&format!("{prefix}[{}]", quote(&name)));
                        i = next;
                    }
                    Some('*') => {
                        out.push_str(&format!("{prefix}[*]"));
                        i += 1;
                    }
                    Some('[') if descendant => out.push_str(".."),
                    // jsonpath-rw reads `a.['b']` as `a['b']`.
                    Some('[') => {}
                    Some(c) if is_name_char(*c) => {
                        let start = i;
                        while i < chars.len() && is_name_char(chars[i]) {
                            i += 1;
                        }
                        let name: String = chars[start..i].iter().collect();
                        out.push_str(&format!("{prefix}[{}]", quote(&name)));
                    }
                    _ => return Err(unsupported(path, format!("nothing after `.` at {i}"))),
                }
            }
            '[' => {
                let end =
                    closing_bracket(&chars, i).ok_or_else(|| unsupported(path, "unclosed `[`"))?;
                let inner: String = chars[i + 1..end].iter().collect();
                out.push_str(&bracket(path, inner.trim())?);
                i = end + 1;
            }
            c => return Err(unsupported(path, format!("`{c}` at {i}"))),
        }
    }
    Ok((out, extension))
}

fn bracket(path: &str, inner: &str) -> Result<String, PathError> {
    if let Some(filter) = inner.strip_prefix('?') {
        return Ok(format!("[?{}]", self::filter(path, filter.trim())?));
    }
    if inner == "*" {
        return Ok("[*]".to_owned());
    }
    let is_index = |s: &str| {
        let s = s.trim();
        s.is_empty()
            || s.strip_prefix('-')
                .unwrap_or(s)
                .chars()
                .all(|c| c.is_ascii_digit())
    };
    if !inner.is_empty() && inner.split(':').count() <= 3 && inner.split(':').all(is_index) {
        return Ok(format!("[{inner}]"));
    }
    let chars: Vec<char> = inner.chars().collect();
    if matches!(chars.first(), Some('\'') | Some('"')) {
        let (name, next) = read_quoted(path, &chars, 0)?;
        if next != chars.len() {
            return Err(unsupported(path, format!("`[{inner}]`")));
        }
        return Ok(format!("[{}]", quote(&name)));
    }
    if inner.contains(',') {
        return Err(unsupported(path, format!("union `[{inner}]`")));
    }
    // jsonpath-rw reads a bare word in brackets as a member name.
    Ok(format!("[{}]", quote(inner)))
}

/// Translate a jsonpath-rw-ext filter body (`rel = "self"`,
/// `(a.'b'.c<=1)`) to an RFC 9535 logical expression.
fn filter(path: &str, body: &str) -> Result<String, PathError> {
    let body = body
        .strip_prefix('(')
        .and_then(|b| b.strip_suffix(')'))
        .unwrap_or(body)
        .trim();
    let chars: Vec<char> = body.chars().collect();
    // Left side: a relative path of names, possibly quoted.
    let mut lhs = String::from("@");
    let mut i = 0;
    if chars.first() == Some(&'@') {
        i = 1;
        if chars.get(1) == Some(&'.') {
            i = 2;
        }
    }
    loop {
        match chars.get(i) {
            Some('\'') | Some('"') => {
                let (name, next) = read_quoted(path, &chars, i)?;
                lhs.push_str(&format!("[{}]", quote(&name)));
                i = next;
            }
            Some(c) if is_name_char(*c) && !"=!<>&|".contains(*c) => {
                let start = i;
                while i < chars.len() && is_name_char(chars[i]) && !"=!<>&|".contains(chars[i]) {
                    i += 1;
                }
                let name: String = chars[start..i].iter().collect();
                lhs.push_str(&format!("[{}]", quote(&name)));
            }
            _ => return Err(unsupported(path, format!("filter `{body}`"))),
        }
        if chars.get(i) == Some(&'.') {
            i += 1;
        } else {
            break;
        }
    }
    let rest: String = chars[i..].iter().collect();
    let rest = rest.trim();
    if rest.is_empty() {
        return Ok(lhs);
    }
    let ops = ["==", "!=", "<=", ">=", "=", "<", ">"];
    let Some(op) = ops.iter().find(|op| rest.starts_with(**op)) else {
        return Err(unsupported(path, format!("filter `{body}`")));
    };
    let literal = rest[op.len()..].trim();
    let rfc_op = if *op == "=" { "==" } else { op };
    let lit_chars: Vec<char> = literal.chars().collect();
    let rhs = if matches!(lit_chars.first(), Some('\'') | Some('"')) {
        let (text, next) = read_quoted(path, &lit_chars, 0)?;
        if next != lit_chars.len() {
            return Err(unsupported(path, format!("filter `{body}`")));
        }
        quote(&text)
    } else if literal.parse::<f64>().is_ok() || matches!(literal, "true" | "false" | "null") {
        literal.to_owned()
    } else {
        return Err(unsupported(path, format!("filter value `{literal}`")));
    };
    Ok(format!("{lhs} {rfc_op} {rhs}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rfc(p: &str) -> String {
        GabbiPath::parse(p).unwrap().rfc9535().to_owned()
    }

    #[test]
    fn translations() {
        assert_eq!(rfc("$.foo[0].bar"), r#"$["foo"][0]["bar"]"#);
        assert_eq!(rfc("uuid"), r#"$["uuid"]"#);
        assert_eq!(rfc("$.a.['b-c'].d"), r#"$["a"]["b-c"]["d"]"#);
        assert_eq!(rfc("$.a..b"), r#"$["a"]..["b"]"#);
        assert_eq!(
            rfc("$.r[DISK_GB][capacity]"),
            r#"$["r"]["DISK_GB"]["capacity"]"#
        );
        assert_eq!(
            rfc(r#"$.links[?rel = "self"].href"#),
            r#"$["links"][?@["rel"] == "self"]["href"]"#
        );
        assert_eq!(
            rfc(r#"$.a[?(b.'x-y'.c<=1)]..d"#),
            r#"$["a"][?@["b"]["x-y"]["c"] <= 1]..["d"]"#
        );
        assert_eq!(
            rfc(r#"links[?rel = "inventories"].href"#),
            r#"$["links"][?@["rel"] == "inventories"]["href"]"#
        );
    }

    #[test]
    fn extract_rules() {
        let data = json!({"a": [1, 2], "b": {"c": 3}, "links": [{"rel": "self", "href": "/x"}, {"rel": "up", "href": "/"}]});
        assert_eq!(
            GabbiPath::parse("$.b.c").unwrap().extract(&data).unwrap(),
            json!(3)
        );
        assert_eq!(
            GabbiPath::parse("$.a[*]").unwrap().extract(&data).unwrap(),
            json!([1, 2])
        );
        assert_eq!(
            GabbiPath::parse("$.a.`len`")
                .unwrap()
                .extract(&data)
                .unwrap(),
            json!(2)
        );
        assert_eq!(
            GabbiPath::parse("$.`len`").unwrap().extract(&data).unwrap(),
            json!(3)
        );
        assert_eq!(
            GabbiPath::parse(r#"$.links[?rel = "self"].href"#)
                .unwrap()
                .extract(&data)
                .unwrap(),
            json!("/x")
        );
        assert_eq!(
            GabbiPath::parse("$.b.`sorted`")
                .unwrap()
                .extract(&data)
                .unwrap(),
            json!(["c"])
        );
        assert!(matches!(
            GabbiPath::parse("$.zz").unwrap().extract(&data),
            Err(PathError::NoMatch { .. })
        ));
    }

    #[test]
    fn unsupported_is_an_error() {
        assert!(matches!(
            GabbiPath::parse("$.a.`len`.b"),
            Err(PathError::Unsupported { .. })
        ));
        assert!(matches!(
            GabbiPath::parse("$.a.`foo`"),
            Err(PathError::Unsupported { .. })
        ));
        assert!(matches!(
            GabbiPath::parse("$.a[?b=1 & c=2]"),
            Err(PathError::Unsupported { .. })
        ));
        assert!(GabbiPath::parse("$.a[").is_err());
    }
}
