//! Extractors that answer in our problem format when the request is wrong:
//! axum's own rejections are plain text, and an id that does not parse must
//! read as "not found", not as a bad request.
//!
//! Outside text is checked here, once, before any handler runs: the JSON
//! body extractors refuse a control character in any string of the body,
//! and [`refuse_control_characters`], a layer the route table puts on every
//! route, refuses one in any path parameter or query parameter (the form
//! extractor of the web pages does the same for form fields).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, FieldError};
use crate::input::{PLAIN_TEXT, check_json_text, holds_refused, parse_object, printable_name};

/// A JSON object body parsed strictly into `T`.
#[derive(Debug)]
pub(crate) struct Json<T>(pub(crate) T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let JsonBody(body) = JsonBody::from_request(request, state).await?;
        parse_object(&body).map(Json)
    }
}

/// A body sent as JSON, read within the size limit but not parsed; for
/// handlers that hand the text to the core.
#[derive(Debug)]
pub(crate) struct JsonBody(pub(crate) Bytes);

impl<S> FromRequest<S> for JsonBody
where
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(request.headers().get(header::CONTENT_TYPE)) {
            return Err(ApiError::UnsupportedMediaType);
        }
        match Bytes::from_request(request, state).await {
            Ok(body) => {
                check_json_text(&body)?;
                Ok(JsonBody(body))
            }
            Err(rejection) => {
                let status = rejection.into_response().status();
                if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    Err(ApiError::PayloadTooLarge)
                } else {
                    Err(ApiError::Malformed(FieldError::new(
                        "",
                        "a complete request body",
                    )))
                }
            }
        }
    }
}

/// Whether a `Content-Type` names JSON: `application/json` or
/// `application/<something>+json`, parameters such as `charset` aside.
fn is_json(content_type: Option<&axum::http::HeaderValue>) -> bool {
    let Some(Ok(value)) = content_type.map(|value| value.to_str()) else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The one parameter of a path such as `/clients/{id}`, as text.
#[derive(Debug)]
pub(crate) struct PathParam(pub(crate) String);

impl PathParam {
    /// The parameter as an id, or "not found" when it is not one: an id
    /// that cannot exist is as absent as one that does not.
    pub(crate) fn id<T>(
        &self,
        parse: fn(&str) -> Option<T>,
        what: &'static str,
    ) -> Result<T, ApiError> {
        parse(&self.0).ok_or(ApiError::not_found(what))
    }
}

impl<S> FromRequestParts<S> for PathParam
where
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(param)| PathParam(param))
            .map_err(|_| ApiError::NoSuchRoute)
    }
}

/// The query string as name/value pairs, taken one by one by the handler;
/// names left over are refused, so a misspelt parameter is not ignored.
#[derive(Debug, Default)]
pub(crate) struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    /// The value of `name`, if given once; an error if given twice.
    pub(crate) fn take(&mut self, name: &str) -> Result<Option<String>, ApiError> {
        let mut values = Vec::new();
        self.0.retain(|(key, value)| {
            if key == name {
                values.push(value.clone());
                false
            } else {
                true
            }
        });
        match values.len() {
            0 => Ok(None),
            1 => Ok(values.pop()),
            _ => Err(ApiError::invalid(name, "a single value")),
        }
    }

    /// Refuses parameters that were not taken.
    pub(crate) fn finish(self, known: &[&str]) -> Result<(), ApiError> {
        if self.0.is_empty() {
            return Ok(());
        }
        let known = if known.is_empty() {
            "no parameters".to_owned()
        } else {
            known
                .iter()
                .map(|name| format!("`{name}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut unknown: Vec<FieldError> = Vec::new();
        for (name, _) in self.0 {
            if unknown.iter().all(|field| field.path != name) {
                unknown.push(FieldError::new(
                    name.clone(),
                    format!("a known parameter ({known}); `{name}` is not one"),
                ));
            }
        }
        Err(ApiError::Invalid(unknown))
    }
}

impl<S> FromRequestParts<S> for QueryParams
where
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map(|Query(pairs)| QueryParams(pairs))
            .map_err(|_| ApiError::invalid("", "a well-formed query string"))
    }
}

/// Which route a [`refuse_control_characters`] layer guards: its path
/// pattern, and whether it answers with pages or problem documents.
#[derive(Clone, Copy, Debug)]
pub(crate) struct GuardedRoute {
    /// The pattern, e.g. `/api/v1/clients/{id}`, which names the parameters.
    pub(crate) pattern: &'static str,
    /// A web page: a refusal is a page, not a problem document.
    pub(crate) is_page: bool,
}

/// Refuses a request whose path parameters or query parameters hold a
/// character no store may be given (see [`crate::input::is_refused`]),
/// naming the parameter. Every route of the route table runs behind it, so
/// a new route is covered however its handler reads the path and query.
pub(crate) async fn refuse_control_characters(
    State(route): State<GuardedRoute>,
    request: Request,
    next: Next,
) -> Response {
    match refused_uri_field(route.pattern, request.uri()) {
        None => next.run(request).await,
        Some(field) if route.is_page => crate::web::refused_text_page(field),
        Some(field) => ApiError::invalid(field, PLAIN_TEXT).into_response(),
    }
}

/// The first path or query parameter of `uri` that holds a refused
/// character, by name.
fn refused_uri_field(pattern: &str, uri: &axum::http::Uri) -> Option<String> {
    // The router matched the pattern, so the segments line up one to one;
    // only `{name}` segments carry outside text.
    let path = pattern
        .split('/')
        .zip(uri.path().split('/'))
        .find_map(|(expected, sent)| {
            let name = expected.strip_prefix('{')?.strip_suffix('}')?;
            holds_refused(&percent_decoded(sent)).then(|| name.trim_start_matches('*').to_owned())
        });
    if path.is_some() {
        return path;
    }
    let query = uri.query()?;
    form_urlencoded::parse(query.as_bytes())
        .find(|(name, value)| holds_refused(name) || holds_refused(value))
        .map(|(name, _)| printable_name(&name))
}

/// A path segment with its `%XX` escapes decoded; bytes that are not UTF-8
/// become U+FFFD (the path extractors refuse those themselves).
fn percent_decoded(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escaped = (bytes[index] == b'%')
            .then(|| bytes.get(index + 1..index + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        if let Some(byte) = escaped {
            decoded.push(byte);
            index += 3;
        } else {
            decoded.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(pattern: &str, uri: &'static str) -> Option<String> {
        refused_uri_field(pattern, &axum::http::Uri::from_static(uri))
    }

    #[test]
    fn a_control_character_in_a_path_or_query_parameter_is_named() {
        let clients = "/api/v1/clients/{id}";
        assert_eq!(
            refused(clients, "/api/v1/clients/a%00b"),
            Some("id".to_owned())
        );
        assert_eq!(
            refused(clients, "/api/v1/clients/%C2%85"),
            Some("id".to_owned())
        );
        assert_eq!(refused(clients, "/api/v1/clients/%0a"), None);
        assert_eq!(refused(clients, "/api/v1/clients/%FF"), None);
        let list = "/api/v1/clients";
        assert_eq!(
            refused(list, "/api/v1/clients?limit=2&after=%C3%99%00"),
            Some("after".to_owned())
        );
        assert_eq!(
            refused(list, "/api/v1/clients?after=abc%7F"),
            Some("after".to_owned())
        );
        assert_eq!(
            refused(list, "/api/v1/clients?a%01=1"),
            Some("a\\u{1}".to_owned())
        );
        assert_eq!(
            refused(list, "/api/v1/clients?after=%E2%82%AC&limit=5"),
            None
        );
    }

    #[test]
    fn json_media_types_are_recognised() {
        let json = |text: &'static str| is_json(Some(&axum::http::HeaderValue::from_static(text)));
        assert!(json("application/json"));
        assert!(json("Application/JSON; charset=utf-8"));
        assert!(json("application/merge-patch+json"));
        assert!(!json("text/plain"));
        assert!(!json("application/jsonp"));
        assert!(!is_json(None));
    }
}
