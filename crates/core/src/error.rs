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
        from_serde_message(path_text(error.path()), &without_position(error.inner()))
    }
}

/// Parses one JSON document into `T`, strictly, naming the path of the
/// field at fault and what was expected there. Used for the check-in format
/// here and for every request body of the service.
pub fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, InputError> {
    // Tracking the path costs on every field; only a refused input needs
    // it, so it is parsed a second time to name the field.
    if let Ok(value) = serde_json::from_slice(bytes) {
        return Ok(value);
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Err(error) => Err(InputError::from_json(&error)),
        Ok(_) => match deserializer.end() {
            Err(error) => Err(InputError::new(
                "",
                format!("a single JSON document ({})", without_position(&error)),
            )),
            // Both parses read the same bytes the same way; should they
            // ever disagree, the input is still refused.
            Ok(()) => Err(InputError::new("", "a document in the expected format")),
        },
    }
}

/// serde_json's message without " at line L column C": the path says where.
fn without_position(error: &serde_json::Error) -> String {
    let mut message = error.to_string();
    let position = format!(" at line {} column {}", error.line(), error.column());
    if let Some(stripped) = message.strip_suffix(&position) {
        message.truncate(stripped.len());
    }
    message
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
            let path = if path.is_empty() || path == field || path.ends_with(&format!(".{field}")) {
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
    if message.starts_with("EOF while parsing")
        || message.starts_with("trailing characters")
        || message.starts_with("expected value")
        || message.starts_with("key must be a string")
    {
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
