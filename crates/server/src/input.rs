//! Outside JSON becomes typed values here, at the edge: strict serde types
//! (the core's, and the request types of `api`), with every error naming
//! the field by its path and saying what was expected, in the same words
//! the core uses for the check-in format.
//!
//! It also holds the one rule for every text that comes from outside
//! ([`is_refused`]): the JSON and form extractors and the route layer that
//! reads paths and query strings all apply it before a handler runs, so no
//! route can hand the stores a character they cannot keep.

use std::fmt::Write as _;

use aftercare_core::InputError;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{ApiError, FieldError};

/// Whether a character is refused in any text from outside: a control
/// character (U+0000 to U+001F, U+007F to U+009F) other than tab, line feed
/// and carriage return. PostgreSQL cannot keep NUL in text at all, and none
/// of the others belongs in a name, a note or an identifier; refusing them
/// everywhere keeps both stores able to keep whatever was accepted.
pub(crate) fn is_refused(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// Whether a text holds a refused character.
pub(crate) fn holds_refused(text: &str) -> bool {
    text.chars().any(is_refused)
}

/// What a text holding a refused character was expected to be.
pub(crate) const PLAIN_TEXT: &str =
    "text without control characters such as NUL (tabs and line breaks aside)";

/// A name sent from outside (of a field, a parameter, a JSON member) as it
/// can be shown: refused characters written as `\u{..}` escapes.
pub(crate) fn printable_name(name: &str) -> String {
    if !holds_refused(name) {
        return name.to_owned();
    }
    name.chars()
        .map(|c| {
            if is_refused(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// At most this many fields are named in one refusal of a JSON body.
const MAX_NAMED_FIELDS: usize = 20;

/// Refuses a JSON body with a refused character in any string or member
/// name, however deeply nested, naming each such field by its path
/// (`symptoms[0].kind`). A body that is not well-formed JSON passes here:
/// the parser that reads it says what is wrong.
pub(crate) fn check_json_text(body: &[u8]) -> Result<(), ApiError> {
    if !may_hold_refused(body) {
        return Ok(());
    }
    let Ok(document) = serde_json::from_slice::<Value>(body) else {
        return Ok(());
    };
    let mut found = Vec::new();
    find_refused(&document, &mut String::new(), &mut found);
    if found.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Invalid(found))
    }
}

/// Whether a JSON text may hold a refused character inside a string. Raw
/// bytes below 0x20 are not allowed in JSON strings (the parser refuses
/// them), so only an escape (`\u0000`), a raw DEL or a raw C1 character
/// (0xC2 0x80 to 0xC2 0x9F in UTF-8) can; most bodies have none of these
/// and are not read twice.
fn may_hold_refused(body: &[u8]) -> bool {
    body.windows(2).any(|pair| match pair {
        [b'\\', b'u'] => true,
        [0xC2, next] => (0x80..=0x9F).contains(next),
        _ => false,
    }) || body.contains(&0x7F)
}

/// Collects the paths of strings and member names holding refused text.
fn find_refused(value: &Value, path: &mut String, found: &mut Vec<FieldError>) {
    if found.len() >= MAX_NAMED_FIELDS {
        return;
    }
    match value {
        Value::String(text) if holds_refused(text) => {
            found.push(FieldError::new(path.clone(), PLAIN_TEXT));
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let length = path.len();
                let _ = write!(path, "[{index}]");
                find_refused(item, path, found);
                path.truncate(length);
            }
        }
        Value::Object(members) => {
            for (name, item) in members {
                let length = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&printable_name(name));
                if holds_refused(name) && found.len() < MAX_NAMED_FIELDS {
                    found.push(FieldError::new(
                        path.clone(),
                        "a member name without control characters",
                    ));
                }
                find_refused(item, path, found);
                path.truncate(length);
            }
        }
        _ => {}
    }
}

/// Parses one JSON document into `T` with the core's strict reading.
/// Syntax errors are `Malformed` (400), anything that does not fit the type
/// is `Invalid` (422) at its path.
pub(crate) fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    match aftercare_core::parse_json(body) {
        Ok(value) => Ok(value),
        // serde_json reports some type errors (an array where a name is
        // expected) as syntax errors, so syntax is judged on its own.
        Err(error) if is_well_formed(body) => Err(from_core(error)),
        Err(error) => Err(ApiError::Malformed(FieldError::new(
            error.path,
            error.expected,
        ))),
    }
}

/// Parses a request body that must be one JSON object into `T`.
pub(crate) fn parse_object<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    check_object(body)?;
    parse_json(body)
}

/// Refuses a well-formed body that is not a JSON object. serde reads a
/// struct from an array as readily as from an object (`["laptop"]` as
/// `{"label": "laptop"}`), which the documented format does not allow.
pub(crate) fn check_object(body: &[u8]) -> Result<(), ApiError> {
    check_well_formed(body)?;
    if body.trim_ascii_start().first() == Some(&b'{') {
        Ok(())
    } else {
        Err(ApiError::invalid("", "a JSON object"))
    }
}

/// Whether a body is one well-formed JSON document.
fn is_well_formed(body: &[u8]) -> bool {
    serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok()
}

/// An input error (of the core, or ours) for a body known to be well-formed.
pub(crate) fn from_core(error: InputError) -> ApiError {
    // The core words a wrong type where a name is expected as a syntax
    // error; the document is well-formed, so say what was wanted.
    let expected = if error
        .expected
        .starts_with("well-formed JSON (expected value)")
    {
        EXPECTED_A_NAME.to_owned()
    } else {
        error.expected
    };
    ApiError::invalid(error.path, expected)
}

/// What a field of a closed vocabulary expects when it got another type.
const EXPECTED_A_NAME: &str = "one of the names the check-in format allows, as a string";

/// Checks that a body is one well-formed JSON document, without reading it
/// into a type; used before handing raw text to the core.
fn check_well_formed(body: &[u8]) -> Result<(), ApiError> {
    parse_json::<serde::de::IgnoredAny>(body).map(|_| ())
}

// The checks below are exactly what the `pattern`, `minLength` and
// `maxLength` of the request schemas say (`api/*.rs`), so that a client
// generated from the OpenAPI document is never refused for a value the
// document allows.

/// A required one-line text: at most `max` characters, at least one that
/// is not a space, no control characters; kept trimmed.
pub(crate) fn line(path: &str, value: &str, max: usize) -> Result<String, ApiError> {
    let fits = value.chars().count() <= max
        && value.chars().any(|c| !is_space(c))
        && !value.chars().any(char::is_control);
    if fits {
        Ok(value.trim().to_owned())
    } else {
        Err(ApiError::invalid(
            path,
            format!("text of 1 to {max} characters on one line"),
        ))
    }
}

/// An optional free text (newlines and tabs allowed) of at most `max`
/// characters; blank counts as absent.
pub(crate) fn optional_text(
    path: &str,
    value: Option<String>,
    max: usize,
) -> Result<Option<String>, ApiError> {
    let Some(value) = value else {
        return Ok(None);
    };
    if value.chars().count() > max || holds_refused(&value) {
        return Err(ApiError::invalid(
            path,
            format!("text of at most {max} characters"),
        ));
    }
    Ok(Some(value).filter(|text| text.chars().any(|c| !is_space(c))))
}

/// Whether a text is an email address: one `@` with text on both sides,
/// no spaces, control characters, angle brackets, commas, semicolons,
/// quotes, brackets or backslashes (which would let one "address" name
/// several recipients, or another one, in a mail header), and a domain
/// with a dot that neither starts nor ends it; at most 254 characters.
/// The API and the web forms both ask this.
pub(crate) fn is_email(value: &str) -> bool {
    let plain = |c: char| {
        !is_space(c)
            && !c.is_control()
            && !matches!(
                c,
                '<' | '>' | ',' | ';' | ':' | '"' | '(' | ')' | '[' | ']' | '\\'
            )
    };
    value.chars().count() <= 254
        && value.chars().all(plain)
        && value.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains("..")
        })
}

/// [`is_email`] as the regular expression the OpenAPI document gives for
/// every email field (written out in each `#[schema(pattern)]`, which takes
/// only a literal; a test holds them equal), so a client that validates
/// against the document refuses what the API refuses: a local part and a domain of dot-separated
/// labels, none with `@`, spaces, control characters or the header
/// characters `<>,;:"()[]\`. (The 254-character cap is `maxLength`.)
#[cfg(test)]
pub(crate) const EMAIL_PATTERN: &str = r#"^[^@\s\u0000-\u001F\u007F-\u009F<>,;:"()\[\]\\]+@[^@\s.\u0000-\u001F\u007F-\u009F<>,;:"()\[\]\\]+(\.[^@\s.\u0000-\u001F\u007F-\u009F<>,;:"()\[\]\\]+)+$"#;

/// An email address (see [`is_email`]).
pub(crate) fn email(path: &str, value: &str) -> Result<String, ApiError> {
    if is_email(value) {
        Ok(value.to_owned())
    } else {
        Err(ApiError::invalid(
            path,
            "an email address such as name@example.org",
        ))
    }
}

/// Whether a text is a phone number: 6 to 20 digits, with spaces,
/// dashes, dots and brackets between them and an optional leading `+`; at
/// most 32 characters. The API and the web forms both ask this.
pub(crate) fn is_phone(value: &str) -> bool {
    let digits = value.chars().filter(char::is_ascii_digit).count();
    let body = value.strip_prefix('+').unwrap_or(value);
    (6..=20).contains(&digits)
        && value.chars().count() <= 32
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')'))
}

/// A phone number (see [`is_phone`]).
pub(crate) fn phone(path: &str, value: &str) -> Result<String, ApiError> {
    if is_phone(value) {
        Ok(value.to_owned())
    } else {
        Err(ApiError::invalid(
            path,
            "a phone number such as +44 20 7946 0000",
        ))
    }
}

/// Spaces as the schemas' `\s` has them: Unicode white space and the BOM.
fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

#[cfg(test)]
mod tests {
    use super::*;
    use aftercare_core::Checkin;

    fn error_of<T: DeserializeOwned + std::fmt::Debug>(body: &str) -> ApiError {
        match parse_json::<T>(body.as_bytes()) {
            Ok(value) => panic!("expected an error, got {value:?}"),
            Err(error) => error,
        }
    }

    fn only_field(error: &ApiError) -> &FieldError {
        match error {
            ApiError::Invalid(fields) if fields.len() == 1 => &fields[0],
            ApiError::Malformed(field) => field,
            other => panic!("expected one field error, got {other:?}"),
        }
    }

    #[test]
    fn a_wrong_severity_is_named_by_its_path_inside_the_checkin() {
        let error = error_of::<Checkin>(
            r#"{"at":"2026-11-21T09:00:00Z","symptoms":[{"kind":"cramp","severity":"awful"}]}"#,
        );
        let field = only_field(&error);
        assert!(matches!(error, ApiError::Invalid(_)));
        assert_eq!(field.path, "symptoms[0].severity");
        assert!(field.expected.contains("mild"), "{}", field.expected);
    }

    #[test]
    fn a_missing_field_is_named_in_the_path() {
        let error = error_of::<Checkin>(r#"{"at":"2026-11-21T09:00:00Z"}"#);
        assert_eq!(only_field(&error).path, "symptoms");
    }

    #[test]
    fn an_unknown_field_is_named_once() {
        let error = error_of::<Checkin>(
            r#"{"at":"2026-11-21T09:00:00Z","symptoms":[],"context":{"mood":"ok"}}"#,
        );
        assert_eq!(only_field(&error).path, "context.mood");
    }

    #[test]
    fn emails_and_phones_are_checked_for_shape_only() {
        assert!(email("email", "Ann@Clinic.example").is_ok());
        assert!(email("email", " ann@clinic.example").is_err());
        assert!(email("email", "ann@localhost").is_err());
        assert!(email("email", "ann smith@clinic.example").is_err());
        assert!(email("email", "a@b@c.d").is_err());
        assert!(email("email", "x>,<y@evil.example").is_err());
        assert!(email("email", "ann@clinic..example").is_err());
        assert!(email("email", "ann.o'neil+aftercare@clinic.example").is_ok());
        assert!(phone("phone", "+44 (20) 7946-0000").is_ok());
        assert!(phone("phone", "call me").is_err());
        assert!(line("name", "  ", 10).is_err());
        assert!(line("name", "Ann\nSmith", 10).is_err());
        assert_eq!(
            optional_text("notes", Some(" ".to_owned()), 10).ok(),
            Some(None)
        );
    }

    #[test]
    fn the_documented_email_pattern_agrees_with_the_check() {
        let pattern = regex::Regex::new(EMAIL_PATTERN).expect("the pattern compiles");
        for text in [
            "Ann@Clinic.example",
            "ann.o'neil+aftercare@clinic.example",
            "ann@sub.clinic.example",
            "a@b@c.d",
            "x>,<y@evil.example",
            "ann@clinic..example",
            "ann@.clinic.example",
            "ann@clinic.example.",
            "ann@localhost",
            "ann smith@clinic.example",
            "ann\u{7}@clinic.example",
            "\"ann\"@clinic.example",
            "ann@[127.0.0.1]",
            "ann;bob@clinic.example",
            "@clinic.example",
            "ann@",
        ] {
            assert_eq!(pattern.is_match(text), is_email(text), "{text:?}");
        }
    }

    #[test]
    fn every_email_field_of_the_openapi_document_has_the_checked_pattern() {
        use utoipa::OpenApi as _;
        let document = serde_json::to_value(crate::openapi::ApiDoc::openapi()).expect("JSON");
        let mut found = 0;
        let mut stack = vec![&document];
        while let Some(value) = stack.pop() {
            // Request fields carry a pattern; views of stored data do not.
            if let Some(pattern) = value.pointer("/properties/email/pattern") {
                found += 1;
                assert_eq!(pattern.as_str(), Some(EMAIL_PATTERN));
            }
            match value {
                serde_json::Value::Object(map) => stack.extend(map.values()),
                serde_json::Value::Array(items) => stack.extend(items),
                _ => {}
            }
        }
        assert!(found >= 3, "{found} email fields");
    }

    #[test]
    fn broken_json_is_malformed_not_invalid() {
        assert!(matches!(
            error_of::<Checkin>(r#"{"at": "#),
            ApiError::Malformed(_)
        ));
        assert!(matches!(
            error_of::<Checkin>(r#"{"at":"2026-11-21T09:00:00Z","symptoms":[]} x"#),
            ApiError::Malformed(_)
        ));
    }
}
