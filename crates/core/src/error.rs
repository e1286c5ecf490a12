//! Errors of the core: bad input and bad guideline files. Both say where
//! the problem is and what was expected, so a person can fix it.

use std::fmt;

/// Input that does not follow the check-in format.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}: expected {expected}", self.display_path())]
pub struct InputError {
    /// Path of the offending field, e.g. `checkins[0].symptoms[1].severity`;
    /// empty when the whole document is at fault.
    pub path: String,
    /// What was expected there, in words.
    pub expected: String,
}

impl InputError {
    /// An error at `path`.
    pub fn new(path: impl Into<String>, expected: impl Into<String>) -> Self {
        InputError {
            path: path.into(),
            expected: expected.into(),
        }
    }

    /// The path, or `(document)` for the whole input.
    pub fn display_path(&self) -> &str {
        if self.path.is_empty() {
            "(document)"
        } else {
            &self.path
        }
    }

    /// Turns a serde error with its path into an input error.
    pub(crate) fn from_json(error: &serde_path_to_error::Error<serde_json::Error>) -> Self {
        let inner = error.inner();
        let mut message = inner.to_string();
        // serde_json appends the position; the field path already says where.
        let position = format!(" at line {} column {}", inner.line(), inner.column());
        if let Some(stripped) = message.strip_suffix(&position) {
            message.truncate(stripped.len());
        }
        let path = path_text(error.path());
        from_serde_message(path, &message)
    }
}

/// Renders a serde path as `a.b[0].c`, empty for the root.
pub(crate) fn path_text(path: &serde_path_to_error::Path) -> String {
    let text = path.to_string();
    if text == "." { String::new() } else { text }
}

/// Rewrites serde's messages so that a missing field is named in the path
/// and every message reads as "what was expected".
pub(crate) fn from_serde_message(path: String, message: &str) -> InputError {
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
    {
        let path = if path.is_empty() {
            field.to_owned()
        } else {
            format!("{path}.{field}")
        };
        return InputError::new(path, "a value: this field is required");
    }
    if let Some(rest) = message.strip_prefix("unknown field `") {
        // "unknown field `x`, expected one of `a`, `b`" (the path already ends in x).
        if let Some((field, known)) = rest.split_once("`, ") {
            let path = if path.is_empty() || path.ends_with(field) {
                if path.is_empty() {
                    field.to_owned()
                } else {
                    path
                }
            } else {
                format!("{path}.{field}")
            };
            let known = known.strip_prefix("expected ").unwrap_or(known);
            let known = known.strip_prefix("one of ").unwrap_or(known);
            return InputError::new(
                path,
                format!("a known field ({known}); `{field}` is not one"),
            );
        }
    }
    if message.starts_with("EOF while parsing") || message.starts_with("trailing characters") {
        return InputError::new(path, format!("well-formed JSON ({message})"));
    }
    let expected = match message.split_once(", expected ") {
        Some((got, expected)) => format!("{expected} ({got})"),
        None => message.to_owned(),
    };
    InputError::new(path, expected)
}

/// A guideline file that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct GuidelineError {
    /// The rule at fault, when the problem is inside one.
    pub rule: Option<String>,
    /// Where in the file: 1-based line and column.
    pub position: Option<(usize, usize)>,
    /// Path of the setting inside the file, e.g. `rule[3].when.all[0].symptom`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for GuidelineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some((line, column)) = self.position {
            write!(f, "line {line}, column {column}: ")?;
        }
        if let Some(rule) = &self.rule {
            write!(f, "rule `{rule}`: ")?;
        }
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}
