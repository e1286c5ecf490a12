//! Posted forms, cookies, and the form tokens that keep other sites from
//! posting forms in someone's name.

use aftercare_store::secret::Secret;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, header};

use crate::input::{holds_refused, printable_name};
use crate::web::error::WebError;

/// The cookie that carries the form token of pages without a session.
pub(crate) const CSRF_COOKIE: &str = "ac_csrf";

/// An `application/x-www-form-urlencoded` body, fields in the order sent
/// (a field may repeat: checkboxes).
#[derive(Debug, Default)]
pub(crate) struct FormData(Vec<(String, String)>);

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = WebError;

    async fn from_request(request: Request, state: &S) -> Result<Self, WebError> {
        // Anything but a form (a cross-site `text/plain` post, say) is
        // refused like a missing token: it cannot be one of our forms.
        let is_form = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(WebError::BadCsrf);
        }
        let body = Bytes::from_request(request, state).await.map_err(|_| {
            WebError::Conflict("the form could not be read; send it again".to_owned())
        })?;
        let form = FormData::parse(&body);
        // Checked here, once, for every form of every page, before any
        // handler (or store) sees a field.
        match form.refused_field() {
            Some(field) => Err(WebError::RefusedText { field }),
            None => Ok(form),
        }
    }
}

impl FormData {
    /// Reads an `application/x-www-form-urlencoded` body.
    pub(crate) fn parse(body: &[u8]) -> FormData {
        FormData(
            form_urlencoded::parse(body)
                .map(|(name, value)| (name.into_owned(), value.into_owned()))
                .collect(),
        )
    }

    /// A form of these fields, in this order.
    pub(crate) fn from_fields(fields: Vec<(String, String)>) -> FormData {
        FormData(fields)
    }

    /// Every field, in the order sent.
    pub(crate) fn fields(&self) -> &[(String, String)] {
        &self.0
    }

    /// The form as an `application/x-www-form-urlencoded` body, which
    /// [`FormData::parse`] reads back field for field.
    pub(crate) fn encode(&self) -> String {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&self.0)
            .finish()
    }

    /// The name of the first field whose name or value holds a control
    /// character no store may be given (see `input::is_refused`).
    pub(crate) fn refused_field(&self) -> Option<String> {
        self.0
            .iter()
            .find(|(name, value)| holds_refused(name) || holds_refused(value))
            .map(|(name, _)| printable_name(name))
    }

    /// The first value of a field, trimmed; `None` when absent or blank.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.trim())
            .filter(|value| !value.is_empty())
    }

    /// The first value of a field as sent, or empty.
    pub(crate) fn raw(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(field, _)| field == name)
            .map_or("", |(_, value)| value.as_str())
    }

    /// Every value of a field.
    pub(crate) fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(field, _)| field == name)
            .map(|(_, value)| value.as_str())
            .collect()
    }

    /// Whether a checkbox with this name and value was ticked.
    pub(crate) fn has(&self, name: &str, value: &str) -> bool {
        self.0
            .iter()
            .any(|(field, sent)| field == name && sent == value)
    }

    /// Refuses the form unless its `csrf_token` equals `expected`.
    pub(crate) fn check_csrf(&self, expected: &str) -> Result<(), WebError> {
        let sent = self.raw("csrf_token");
        if expected.is_empty() || !same_text(sent, expected) {
            return Err(WebError::BadCsrf);
        }
        Ok(())
    }

    /// Refuses a form of a page without a session unless its token equals
    /// the `ac_csrf` cookie.
    pub(crate) fn check_cookie_csrf(&self, headers: &HeaderMap) -> Result<(), WebError> {
        let cookie = cookie(headers, CSRF_COOKIE).ok_or(WebError::BadCsrf)?;
        self.check_csrf(cookie)
    }
}

/// Compares two texts in time that depends only on their lengths.
fn same_text(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |differ, (x, y)| differ | (x ^ y))
            == 0
}

/// A cookie's value, if sent.
pub(crate) fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
        .filter(|value| plausible_token(value))
}

/// Only short URL-safe tokens are ever set by us.
fn plausible_token(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 128
        && value
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_'))
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, path `/`, Secure when the
/// service is reached over HTTPS; `max_age` in seconds (0 deletes it).
pub(crate) fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

/// The form token of a page without a session: the one in the cookie, or
/// a new one with the cookie to set.
pub(crate) fn anonymous_csrf(headers: &HeaderMap, secure: bool) -> (String, Option<String>) {
    if let Some(token) = cookie(headers, CSRF_COOKIE) {
        return (token.to_owned(), None);
    }
    let token = Secret::generate("").expose().to_owned();
    let set = set_cookie(CSRF_COOKIE, &token, 60 * 60 * 24, secure);
    (token, Some(set))
}

/// What is wrong with the fields of a posted form, by field name; shown
/// next to each field.
#[derive(Debug, Default)]
pub(crate) struct FieldErrors(Vec<(String, String)>);

impl FieldErrors {
    /// Notes that `field` is wrong and what was expected.
    pub(crate) fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push((field.into(), message.into()));
    }

    /// What is wrong with `field`, if anything.
    pub(crate) fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, message)| message.as_str())
    }

    /// Whether every field is right.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every error, in the order found.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0
            .iter()
            .map(|(field, message)| (field.as_str(), message.as_str()))
    }
}

/// The element id of a field: its name with `.` as `-`.
pub(crate) fn field_id(name: &str) -> String {
    name.replace('.', "-")
}

/// The error line of a field, placed right after it, if it has one.
pub(crate) fn error_line(errors: &FieldErrors, name: &str) -> maud::Markup {
    maud::html! {
        @if let Some(message) = errors.get(name) {
            p class="error" id={ (field_id(name)) "-error" } { (message) }
        }
    }
}

/// A labelled text-like input that keeps what was typed and shows its error.
pub(crate) fn text_input(
    kind: &str,
    name: &str,
    label: &str,
    value: &str,
    errors: &FieldErrors,
    attributes: &str,
) -> maud::Markup {
    let id = field_id(name);
    let invalid = errors.get(name).is_some();
    maud::html! {
        label for=(id) { (label) }
        input type=(kind) id=(id) name=(name) value=(value)
            autocomplete=(attributes)
            aria-invalid=[invalid.then_some("true")]
            aria-describedby=[invalid.then(|| format!("{id}-error"))];
        (error_line(errors, name))
    }
}
