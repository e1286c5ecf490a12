//! Extractors that answer in our problem format when the request is wrong:
//! axum's own rejections are plain text, and an id that does not parse must
//! read as "not found", not as a bad request.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, FieldError};
use crate::input::parse_object;

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
            Ok(body) => Ok(JsonBody(body)),
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

#[cfg(test)]
mod tests {
    use super::*;

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
