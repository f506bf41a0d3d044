//! Errors in the files a run reads besides suites (a baseline report, a
//! suppressions file): one line, `file:line: message`, so that an editor
//! jumps to it.

use std::path::{Path, PathBuf};

/// A file that cannot be used, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}: {message}", path.display())]
pub struct FileError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line (1 when the whole file is at fault).
    pub line: u64,
    /// What is wrong.
    pub message: String,
}

impl FileError {
    /// An error at `line` of `path`.
    pub fn at(path: &Path, line: u64, message: impl Into<String>) -> Self {
        FileError {
            path: path.to_owned(),
            line: line.max(1),
            message: message.into(),
        }
    }
}

/// A YAML error's message and 1-based line and column (0 when unknown),
/// without the source snippet the parser can render: the snippet could
/// show a secret on that line.
pub fn yaml_error_parts(e: &serde_saphyr::Error) -> (String, u64, u64) {
    let message = match e {
        serde_saphyr::Error::WithSnippet { error, .. } => error.to_string(),
        other => other.to_string(),
    };
    let (line, column) = e
        .location()
        .map(|l| (l.line(), l.column()))
        .unwrap_or((0, 0));
    (message, line, column)
}

/// The 1-based line of the first occurrence of `needle` in `text` (1 when
/// it is not there).
pub fn line_of(text: &str, needle: &str) -> u64 {
    text.find(needle)
        .map(|at| text[..at].matches('\n').count() + 1)
        .and_then(|n| u64::try_from(n).ok())
        .unwrap_or(1)
}

/// Whether `s` is a calendar date `YYYY-MM-DD`.
pub fn is_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    let num = |p: &str, len: usize| {
        (p.len() == len && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse::<u32>().ok())
            .flatten()
    };
    let (Some(y), Some(m), Some(d)) = (num(y, 4), num(m, 2), num(d, 2)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_lines() {
        assert!(is_date("2027-02-28") && is_date("2028-02-29"));
        for bad in [
            "2027-02-29",
            "2027-13-01",
            "2027-1-01",
            "27-01-01",
            "tomorrow",
            "",
        ] {
            assert!(!is_date(bad), "{bad}");
        }
        assert_eq!(line_of("a\nb\nc", "c"), 3);
        assert_eq!(line_of("a", "z"), 1);
        let e = FileError::at(Path::new("s.yaml"), 0, "bad");
        assert_eq!(e.to_string(), "s.yaml:1: bad");
    }
}
