//! Causes: what a finding is an instance of. An oracle names the cause of
//! each finding it reports with a signature built from the check's own
//! notion of a root cause (the exception with the run's values taken out,
//! the missing header, the authentication rule, the input class and where
//! the input went, ...), never from message text with ids in it, so that
//! the same defect met on a thousand routes, personas and inputs is one
//! issue (see [`crate::issue`]) and keeps its fingerprint from run to run.

use serde::Serialize;

/// The root cause of a finding.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Cause {
    /// Run-independent: no UUID, request id, number or quoted value the run
    /// chose; with the check, it is the fingerprint.
    pub signature: String,
    /// What is wrong, in words: the title.
    pub title: String,
    /// Where in Placement the defect is, when the oracle knows.
    pub source: Option<String>,
    /// For a suite step's own expectation: every unmet expectation was
    /// about the status, so an oracle that judges statuses said the same.
    pub status_only: bool,
}

impl Cause {
    /// A cause with its signature and title.
    pub fn new(signature: impl Into<String>, title: impl Into<String>) -> Self {
        Cause {
            signature: signature.into(),
            title: title.into(),
            source: None,
            status_only: false,
        }
    }

    /// The same cause, located in Placement's source.
    pub fn at(mut self, source: impl Into<String>) -> Self {
        self.source = Some(source.into());
        self
    }
}

/// The longest text a signature keeps of a message: enough to tell two
/// exceptions apart, short enough to read as a title.
const SIGNATURE_TEXT_LIMIT: usize = 160;

/// `text` with what varies from run to run replaced: UUIDs by `{uuid}`,
/// `req-` request ids by `{request_id}`, quoted values by `'…'`, numbers by
/// `N`, runs of white space by one space; cut at a character boundary.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(SIGNATURE_TEXT_LIMIT * 2));
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut last_space = true;
    while i < chars.len() && out.chars().count() < SIGNATURE_TEXT_LIMIT {
        let c = chars.get(i).copied().unwrap_or(' ');
        if let Some(len) = uuid_at(&chars, i) {
            let request_id = i >= 4 && chars.get(i - 4..i) == Some(&['r', 'e', 'q', '-'][..]);
            if request_id {
                out.truncate(out.len() - 4);
                out.push_str("{request_id}");
            } else {
                out.push_str("{uuid}");
            }
            i += len;
            last_space = false;
            continue;
        }
        if c == '\'' || c == '"' {
            // A quoted value: skip to its closing quote on the same line.
            let close = chars.get(i + 1..).and_then(|rest| {
                rest.iter()
                    .take_while(|&&d| d != '\n')
                    .position(|&d| d == c)
            });
            if let Some(n) = close {
                out.push(c);
                out.push('…');
                out.push(c);
                i += n + 2;
                last_space = false;
                continue;
            }
        }
        if c.is_ascii_digit() {
            while chars
                .get(i)
                .is_some_and(|d| d.is_ascii_digit() || *d == '.')
            {
                i += 1;
            }
            out.push('N');
            last_space = false;
            continue;
        }
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
        } else {
            out.push(c);
            last_space = false;
        }
        i += 1;
    }
    out.trim_end().to_owned()
}

/// The length of a UUID spelled at `chars[i..]` (hyphenated or 32 hex
/// digits), if one starts there and is not part of a longer word.
fn uuid_at(chars: &[char], i: usize) -> Option<usize> {
    if i > 0 && chars.get(i - 1).is_some_and(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let hex = |k: usize| chars.get(k).is_some_and(char::is_ascii_hexdigit);
    let groups = [8, 4, 4, 4, 12];
    let mut k = i;
    for (n, g) in groups.iter().enumerate() {
        if !(k..k + g).all(hex) {
            break;
        }
        k += g;
        if n == groups.len() - 1 {
            return (!chars.get(k).is_some_and(char::is_ascii_alphanumeric)).then_some(k - i);
        }
        if chars.get(k) == Some(&'-') {
            k += 1;
        }
    }
    ((i..i + 32).all(hex) && !chars.get(i + 32).is_some_and(char::is_ascii_alphanumeric))
        .then_some(32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_values_are_taken_out() {
        // Real Placement 16.0.0 500 details.
        assert_eq!(
            normalize("invalid literal for int() with base 10: 'abc'  "),
            "invalid literal for int() with base N: '…'"
        );
        assert_eq!(
            normalize(
                "No resource provider with uuid 3c4f3a1e-5b7d-4f6a-9e2b-0c1d2e3f4a5b found; \
                 req-785302be-d05f-43f9-8cb9-209feca7b424"
            ),
            "No resource provider with uuid {uuid} found; {request_id}"
        );
        assert_eq!(
            normalize("consumer 3c4f3a1e5b7d4f6a9e2b0c1d2e3f4a5b\n\n  has   12 allocations"),
            "consumer {uuid} has N allocations"
        );
        // Hex inside a word is not a UUID; an unclosed quote is kept.
        assert_eq!(
            normalize("x3c4f3a1e5b7d4f6a9e2b0c1d2e3f4a5b"),
            "xNcNfNaNeNbNdNfNaNeNbNcNdNeNfNaNb"
        );
        assert_eq!(normalize("it's"), "it's");
    }

    #[test]
    fn signatures_are_bounded() {
        let long = "é".repeat(10_000);
        assert_eq!(normalize(&long).chars().count(), SIGNATURE_TEXT_LIMIT);
    }
}
