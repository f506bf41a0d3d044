//! oslo.policy's rule language, parsed and evaluated.
//!
//! Grammar (as `oslo_policy/_parser.py` reads it): `or` binds loosest, then
//! `and`, then `not`; parentheses group; `@` always passes, `!` never; a
//! check is `kind:match`, where `role:R` passes when the caller has role R
//! (any case), `rule:NAME` evaluates another rule, and any other kind
//! compares the caller's credential `kind` with `match`, in which
//! `%(name)s` is first replaced by the target's `name` (a missing target
//! value fails the check, as oslo's KeyError does). An empty rule passes.
//! Unlike oslo, which turns a rule it cannot parse into "never", the parser
//! refuses it, so a typo in a policy file stops the server at start-up.

use std::collections::BTreeMap;

/// A parsed rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rule {
    /// `@` (and the empty rule).
    Always,
    /// `!`.
    Never,
    /// `role:R`.
    Role(String),
    /// `rule:NAME`.
    Named(String),
    /// `kind:match`, compared with the credentials.
    Generic {
        /// The credential's name.
        kind: String,
        /// The expected value, possibly with `%(name)s` substitutions.
        expected: String,
    },
    /// `not R`.
    Not(Box<Rule>),
    /// `A and B and ...`.
    All(Vec<Rule>),
    /// `A or B or ...`.
    Any(Vec<Rule>),
}

/// Why a rule string cannot be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// A token that is neither a keyword, a parenthesis nor `kind:match`.
    #[error(
        "token {token:?} at word {index} is not a check (kind:match), @, !, and, or, not or a parenthesis"
    )]
    BadToken {
        /// The token.
        token: String,
        /// Its position among the tokens, from 1.
        index: usize,
    },
    /// The rule ends where a check is needed, or a parenthesis is unbalanced.
    #[error("the rule is incomplete or its parentheses do not balance")]
    Incomplete,
    /// Text after a complete rule.
    #[error("unexpected {token:?} after a complete rule")]
    Trailing {
        /// The first extra token.
        token: String,
    },
    /// Parentheses nested past [`MAX_NESTING`].
    #[error("parentheses nest deeper than {MAX_NESTING}")]
    TooDeep,
}

/// Deepest parenthesis nesting a rule may have.
pub const MAX_NESTING: usize = 32;

fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in text.split_whitespace() {
        let mut word = word;
        while let Some(rest) = word.strip_prefix('(') {
            out.push("(".to_owned());
            word = rest;
        }
        let mut closing = 0;
        while let Some(rest) = word.strip_suffix(')') {
            closing += 1;
            word = rest;
        }
        if !word.is_empty() {
            out.push(word.to_owned());
        }
        out.extend(std::iter::repeat_n(")".to_owned(), closing));
    }
    out
}

struct Parser {
    tokens: Vec<String>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.at).map(String::as_str)
    }

    fn next(&mut self) -> Option<String> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn or(&mut self, depth: usize) -> Result<Rule, RuleError> {
        let mut parts = vec![self.and(depth)?];
        while self.peek().is_some_and(|t| t.eq_ignore_ascii_case("or")) {
            self.at += 1;
            parts.push(self.and(depth)?);
        }
        Ok(if parts.len() == 1 {
            parts.pop().unwrap_or(Rule::Never)
        } else {
            Rule::Any(parts)
        })
    }

    fn and(&mut self, depth: usize) -> Result<Rule, RuleError> {
        let mut parts = vec![self.not(depth)?];
        while self.peek().is_some_and(|t| t.eq_ignore_ascii_case("and")) {
            self.at += 1;
            parts.push(self.not(depth)?);
        }
        Ok(if parts.len() == 1 {
            parts.pop().unwrap_or(Rule::Never)
        } else {
            Rule::All(parts)
        })
    }

    fn not(&mut self, depth: usize) -> Result<Rule, RuleError> {
        if self.peek().is_some_and(|t| t.eq_ignore_ascii_case("not")) {
            self.at += 1;
            return Ok(Rule::Not(Box::new(self.not(depth)?)));
        }
        self.atom(depth)
    }

    fn atom(&mut self, depth: usize) -> Result<Rule, RuleError> {
        let index = self.at + 1;
        let token = self.next().ok_or(RuleError::Incomplete)?;
        match token.as_str() {
            "(" => {
                if depth >= MAX_NESTING {
                    return Err(RuleError::TooDeep);
                }
                let inner = self.or(depth + 1)?;
                match self.next().as_deref() {
                    Some(")") => Ok(inner),
                    _ => Err(RuleError::Incomplete),
                }
            }
            "@" => Ok(Rule::Always),
            "!" => Ok(Rule::Never),
            _ => {
                let (kind, expected) = token
                    .split_once(':')
                    .filter(|(k, _)| !k.is_empty())
                    .ok_or_else(|| RuleError::BadToken {
                        token: token.clone(),
                        index,
                    })?;
                Ok(match kind {
                    "role" => Rule::Role(expected.to_ascii_lowercase()),
                    "rule" => Rule::Named(expected.to_owned()),
                    _ => Rule::Generic {
                        kind: kind.to_owned(),
                        expected: expected.trim_matches(['\'', '"']).to_owned(),
                    },
                })
            }
        }
    }
}

impl Rule {
    /// Parses a rule string.
    pub fn parse(text: &str) -> Result<Rule, RuleError> {
        let mut parser = Parser {
            tokens: tokens(text),
            at: 0,
        };
        if parser.tokens.is_empty() {
            return Ok(Rule::Always);
        }
        let rule = parser.or(0)?;
        match parser.next() {
            None => Ok(rule),
            Some(token) => Err(RuleError::Trailing { token }),
        }
    }
}

/// What a rule is evaluated against.
pub struct Context<'a> {
    /// The caller's roles, lower-cased.
    pub roles: &'a [String],
    /// The caller's other credentials (`project_id`, `user_id`).
    pub credentials: &'a BTreeMap<&'static str, String>,
    /// The target's values (`project_id`, `user_id`).
    pub target: &'a BTreeMap<&'static str, String>,
    /// Every named rule, for `rule:` checks.
    pub rules: &'a BTreeMap<String, Rule>,
}

/// How deep `rule:` references may go (a cycle stops here and fails).
pub const MAX_REFERENCE_DEPTH: usize = 16;

fn substitute(expected: &str, target: &BTreeMap<&'static str, String>) -> Option<String> {
    let mut out = String::new();
    let mut rest = expected;
    while let Some(start) = rest.find("%(") {
        out.push_str(rest.get(..start)?);
        let after = rest.get(start + 2..)?;
        let end = after.find(")s")?;
        let name = after.get(..end)?;
        out.push_str(target.get(name)?);
        rest = after.get(end + 2..)?;
    }
    out.push_str(rest);
    Some(out)
}

impl Rule {
    /// Whether the rule passes.
    pub fn holds(&self, ctx: &Context<'_>) -> bool {
        self.holds_at(ctx, 0)
    }

    fn holds_at(&self, ctx: &Context<'_>, depth: usize) -> bool {
        match self {
            Rule::Always => true,
            Rule::Never => false,
            Rule::Role(role) => ctx.roles.iter().any(|r| r == role),
            Rule::Named(name) => {
                depth < MAX_REFERENCE_DEPTH
                    && ctx
                        .rules
                        .get(name)
                        .is_some_and(|r| r.holds_at(ctx, depth + 1))
            }
            Rule::Generic { kind, expected } => {
                let Some(wanted) = substitute(expected, ctx.target) else {
                    return false;
                };
                match kind.as_str() {
                    "is_admin" => {
                        let is_admin = ctx.roles.iter().any(|r| r == "admin");
                        wanted.eq_ignore_ascii_case(if is_admin { "true" } else { "false" })
                    }
                    _ => ctx.credentials.get(kind.as_str()) == Some(&wanted),
                }
            }
            Rule::Not(inner) => !inner.holds_at(ctx, depth),
            Rule::All(parts) => parts.iter().all(|p| p.holds_at(ctx, depth)),
            Rule::Any(parts) => parts.iter().any(|p| p.holds_at(ctx, depth)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(rule: &str, roles: &[&str], project: &str, target_project: &str) -> bool {
        let roles: Vec<String> = roles.iter().map(|r| (*r).to_owned()).collect();
        let credentials = BTreeMap::from([("project_id", project.to_owned())]);
        let target = BTreeMap::from([("project_id", target_project.to_owned())]);
        let rules = BTreeMap::from([
            ("admin".to_owned(), Rule::parse("role:admin").unwrap()),
            ("loop".to_owned(), Rule::parse("rule:loop").unwrap()),
        ]);
        Rule::parse(rule).unwrap().holds(&Context {
            roles: &roles,
            credentials: &credentials,
            target: &target,
            rules: &rules,
        })
    }

    #[test]
    fn grammar_and_precedence() {
        assert!(eval("", &[], "p", "p"));
        assert!(eval("@", &[], "p", "p"));
        assert!(!eval("!", &["admin"], "p", "p"));
        assert!(eval("role:ADMIN", &["admin"], "p", "p"));
        assert!(eval("rule:admin", &["admin"], "p", "p"));
        assert!(!eval("rule:missing", &["admin"], "p", "p"));
        assert!(!eval("rule:loop", &["admin"], "p", "p"));
        // and binds tighter than or.
        assert!(eval("role:a or role:b and role:c", &["a"], "p", "p"));
        assert!(!eval("(role:a or role:b) and role:c", &["a"], "p", "p"));
        assert!(eval("not role:a", &[], "p", "p"));
        assert!(!eval("not (role:a or role:b)", &["b"], "p", "p"));
        assert!(eval(
            "role:reader and project_id:%(project_id)s",
            &["reader"],
            "p",
            "p"
        ));
        assert!(!eval(
            "role:reader and project_id:%(project_id)s",
            &["reader"],
            "p",
            "q"
        ));
        assert!(!eval("project_id:%(missing)s", &[], "p", "p"));
        assert!(eval("is_admin:True", &["admin"], "p", "p"));
        assert!(eval("((role:a))", &["a"], "p", "p"));
    }

    #[test]
    fn refusals_name_the_problem() {
        assert_eq!(Rule::parse("role:a or"), Err(RuleError::Incomplete));
        assert_eq!(Rule::parse("(role:a"), Err(RuleError::Incomplete));
        assert!(matches!(
            Rule::parse("role:a role:b"),
            Err(RuleError::Trailing { .. })
        ));
        assert!(matches!(
            Rule::parse("admin"),
            Err(RuleError::BadToken { index: 1, .. })
        ));
        let deep = format!("{}role:a{}", "(".repeat(40), ")".repeat(40));
        assert_eq!(Rule::parse(&deep), Err(RuleError::TooDeep));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(text in "[()@! a-z:%_]{0,80}") {
            if let Ok(rule) = Rule::parse(&text) {
                let _ = eval_rule(&rule);
            }
        }
    }

    fn eval_rule(rule: &Rule) -> bool {
        let credentials = BTreeMap::new();
        let target = BTreeMap::new();
        let rules = BTreeMap::new();
        rule.holds(&Context {
            roles: &[],
            credentials: &credentials,
            target: &target,
            rules: &rules,
        })
    }
}
