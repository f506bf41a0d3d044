//! A YAML document as a tree of nodes that each remember their line, so
//! that every later complaint about a suite (unknown key, wrong type,
//! unknown verb) can name `file:line`, which serde's derive cannot do
//! once a value has been accepted.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// One YAML node and where it starts (1-based line and column; 0 when the
/// parser could not tell, e.g. through a merge key).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// 1-based line of the node.
    pub line: u64,
    /// 1-based column of the node.
    pub column: u64,
    /// What the node holds.
    pub value: NodeValue,
}

/// The value of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub enum NodeValue {
    /// `~`, `null` or nothing.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer that fits `i64`.
    Int(i64),
    /// An integer above `i64::MAX`.
    UInt(u64),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in document order (order matters: gabbi keeps it).
    Map(Vec<(Node, Node)>),
}

impl NodeValue {
    /// The YAML type name, for "expected X, got Y" messages.
    pub fn kind(&self) -> &'static str {
        match self {
            NodeValue::Null => "null",
            NodeValue::Bool(_) => "a boolean",
            NodeValue::Int(_) | NodeValue::UInt(_) => "an integer",
            NodeValue::Float(_) => "a float",
            NodeValue::Str(_) => "a string",
            NodeValue::Seq(_) => "a list",
            NodeValue::Map(_) => "a mapping",
        }
    }
}

impl Node {
    /// The node as JSON. Mapping keys that are not strings become their
    /// text, as Python's `json.dumps` does with ints and bools.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.value {
            NodeValue::Null => Value::Null,
            NodeValue::Bool(b) => Value::Bool(*b),
            NodeValue::Int(i) => Value::from(*i),
            NodeValue::UInt(u) => Value::from(*u),
            NodeValue::Float(f) => serde_json::Number::from_f64(*f)
                .map(Value::Number)
                // NaN and infinities have no JSON form; gabbi would send
                // Python's `NaN`, which is not JSON either: keep the text.
                .unwrap_or_else(|| Value::String(f.to_string())),
            NodeValue::Str(s) => Value::String(s.clone()),
            NodeValue::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeValue::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.scalar_text().unwrap_or_default(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// The text of a scalar (`"200"` for `200`, `"True"` for `true` as
    /// Python's `str` would give), `None` for lists and mappings.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            NodeValue::Null => Some("None".to_owned()),
            NodeValue::Bool(true) => Some("True".to_owned()),
            NodeValue::Bool(false) => Some("False".to_owned()),
            NodeValue::Int(i) => Some(i.to_string()),
            NodeValue::UInt(u) => Some(u.to_string()),
            NodeValue::Float(f) => Some(f.to_string()),
            NodeValue::Str(s) => Some(s.clone()),
            NodeValue::Seq(_) | NodeValue::Map(_) => None,
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<NodeValue>::deserialize(deserializer)?;
        Ok(Node {
            line: spanned.referenced.line(),
            column: spanned.referenced.column(),
            value: spanned.value,
        })
    }
}

impl<'de> Deserialize<'de> for NodeValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = NodeValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<NodeValue, E> {
        Ok(NodeValue::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<NodeValue, E> {
        Ok(NodeValue::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<NodeValue, D::Error> {
        NodeValue::deserialize(d)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<NodeValue, E> {
        Ok(NodeValue::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<NodeValue, E> {
        Ok(NodeValue::Int(v))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<NodeValue, E> {
        Ok(i64::try_from(v)
            .map(NodeValue::Int)
            .or_else(|_| u64::try_from(v).map(NodeValue::UInt))
            // Beyond u64: keep the digits rather than lose precision.
            .unwrap_or_else(|_| NodeValue::Str(v.to_string())))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<NodeValue, E> {
        Ok(i64::try_from(v).map_or(NodeValue::UInt(v), NodeValue::Int))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<NodeValue, E> {
        Ok(u64::try_from(v)
            .map(|u| i64::try_from(u).map_or(NodeValue::UInt(u), NodeValue::Int))
            .unwrap_or_else(|_| NodeValue::Str(v.to_string())))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<NodeValue, E> {
        Ok(NodeValue::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<NodeValue, E> {
        Ok(NodeValue::Str(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<NodeValue, E> {
        Ok(NodeValue::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<NodeValue, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(NodeValue::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NodeValue, A::Error> {
        let mut entries = Vec::new();
        while let Some((k, v)) = map.next_entry::<Node, Node>()? {
            entries.push((k, v));
        }
        Ok(NodeValue::Map(entries))
    }
}

/// Where parsing a YAML text failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// 1-based line, 0 when unknown.
    pub line: u64,
    /// The parser's message.
    pub message: String,
}

/// Parse a YAML text into a [`Node`] tree.
///
/// Booleans are only `true`/`false` (any case): YAML 1.1's `y`, `n`, `on`
/// and `off` stay strings, so a query value `y` is not sent as `True`.
pub fn parse(text: &str) -> Result<Node, YamlError> {
    let options = serde_saphyr::options! { strict_booleans: true };
    serde_saphyr::from_str_with_options::<Node>(text, options).map_err(|e| YamlError {
        line: e.location().map_or(0, |l| l.line()),
        // The parser's advice is for its API users, not suite authors.
        message: e
            .without_snippet()
            .to_string()
            .replace(", set DuplicateKeyPolicy in Options if acceptable", ""),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_values_keep_lines() {
        let n = parse("a: 1\nb:\n  - x\n  - {c: d}\n").unwrap();
        let NodeValue::Map(m) = &n.value else {
            panic!("{n:?}")
        };
        assert_eq!(m[0].0.line, 1);
        assert_eq!(m[1].0.line, 2);
        let NodeValue::Seq(s) = &m[1].1.value else {
            panic!()
        };
        assert_eq!(s[0].line, 3);
        assert_eq!(s[1].line, 4);
    }

    #[test]
    fn only_true_and_false_are_booleans() {
        let n = parse("[y, n, on, True, false]").unwrap();
        assert_eq!(
            n.to_json(),
            serde_json::json!(["y", "n", "on", true, false])
        );
    }

    #[test]
    fn anchors_resolve() {
        let n = parse("v: &a {x: 1}\nw: *a\n").unwrap();
        let NodeValue::Map(m) = &n.value else {
            panic!()
        };
        assert_eq!(m[0].1.to_json(), m[1].1.to_json());
    }

    #[test]
    fn broken_yaml_names_line() {
        let e = parse("a: 1\nb: [1, 2\nc: 3\n").unwrap_err();
        assert!(e.line >= 2, "{e:?}");
    }
}
