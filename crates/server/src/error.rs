//! The one error type of the HTTP layer and its RFC 9457 problem answers.
//!
//! Handlers and extractors return `Result<_, ApiError>` and never build an
//! error response by hand. The request id is added, and internal errors are
//! logged, once, by the `observe` middleware, which sees every response.

use aftercare_core::InputError;
use aftercare_store::StoreError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The media type of every error answer.
pub(crate) const PROBLEM_JSON: &str = "application/problem+json";

/// Seconds a client should wait before retrying when the service is busy.
const RETRY_AFTER_SECONDS: &str = "5";

/// Why a request was not answered with success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not well-formed JSON or could not be read.
    #[error("malformed request body: {}", display_fields(std::slice::from_ref(.0)))]
    Malformed(FieldError),
    /// The input is well-formed but does not fit: each field is named with
    /// what was expected there.
    #[error("invalid input: {}", display_fields(.0))]
    Invalid(Vec<FieldError>),
    /// No API token, or one that is unknown or revoked.
    #[error("authentication required")]
    Unauthenticated,
    /// The caller may not do this.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// Nothing with that id (or token) in the caller's clinic; said the same
    /// way whether it exists elsewhere or not at all.
    #[error("{what} not found")]
    NotFound {
        /// What was looked for, e.g. `client`.
        what: &'static str,
        /// The request field that held the id, when it came in a body or query.
        path: Option<String>,
    },
    /// No route has this path.
    #[error("no such route")]
    NoSuchRoute,
    /// The route exists but not with this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The request conflicts with what is stored.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The client's link has expired.
    #[error("the link has expired")]
    LinkExpired,
    /// The course holds as many check-ins as it may.
    #[error("the course is full")]
    CourseFull {
        /// The cap.
        limit: u32,
    },
    /// The link has had as many check-ins as it may this hour.
    #[error("too many check-ins")]
    TooManyCheckins {
        /// The cap.
        limit: u32,
        /// Seconds until one more is accepted.
        retry_after_secs: u64,
    },
    /// Too many password attempts: try again after this many seconds.
    #[error("too many password attempts")]
    TooManyAttempts {
        /// Seconds to wait.
        retry_after_secs: u64,
    },
    /// The body is not sent as JSON.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// The body is larger than the service accepts.
    #[error("request body too large")]
    PayloadTooLarge,
    /// The request took longer than the service allows.
    #[error("request timed out")]
    Timeout,
    /// The database cannot be reached right now.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// A fault of the service; the detail is logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

/// One field of the input that is wrong, and what was expected there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    /// Path of the field relative to the posted document, e.g.
    /// `symptoms[0].severity`; empty when the whole document is at fault.
    pub path: String,
    /// What was expected there, in words.
    pub expected: String,
}

impl FieldError {
    /// A field error at `path`.
    pub fn new(path: impl Into<String>, expected: impl Into<String>) -> FieldError {
        FieldError {
            path: path.into(),
            expected: expected.into(),
        }
    }
}

/// An RFC 9457 problem document, the body of every error answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem, e.g. `urn:aftercare:problem:not-found`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What happened, for a person.
    pub detail: String,
    /// The field at fault (the first one, for input errors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// For input errors: every field at fault and what was expected.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The id of the request, also sent as `x-request-id`; quote it when
    /// reporting a problem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// What the `observe` middleware logs for a response that is the service's
/// own fault; never shown to the caller.
#[derive(Clone, Debug)]
pub(crate) struct ServerFault {
    /// The error, with its context.
    pub(crate) detail: String,
    /// Whether it is worth an `error` (a bug) rather than a `warn` (the
    /// database is away, a request was too slow).
    pub(crate) is_bug: bool,
}

impl ApiError {
    /// A `NotFound` for an id in the path.
    pub(crate) fn not_found(what: &'static str) -> ApiError {
        ApiError::NotFound { what, path: None }
    }

    /// An input error at one field.
    pub(crate) fn invalid(path: impl Into<String>, expected: impl Into<String>) -> ApiError {
        ApiError::Invalid(vec![FieldError::new(path, expected)])
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Malformed(_) => StatusCode::BAD_REQUEST,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthenticated => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound { .. } | ApiError::NoSuchRoute => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) | ApiError::CourseFull { .. } => StatusCode::CONFLICT,
            ApiError::TooManyCheckins { .. } | ApiError::TooManyAttempts { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ApiError::LinkExpired => StatusCode::GONE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Timeout | ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem document for this error, without the request id.
    pub fn problem(&self) -> Problem {
        let (slug, title) = self.kind();
        let mut problem = Problem {
            problem_type: format!("urn:aftercare:problem:{slug}"),
            title: title.to_owned(),
            status: self.status().as_u16(),
            detail: self.detail(),
            path: None,
            errors: Vec::new(),
            request_id: None,
        };
        match self {
            ApiError::Malformed(field) => {
                problem.path = Some(field.path.clone());
                problem.errors = vec![field.clone()];
            }
            ApiError::Invalid(fields) => {
                problem.path = fields.first().map(|field| field.path.clone());
                problem.errors.clone_from(fields);
            }
            ApiError::NotFound { path, .. } => problem.path.clone_from(path),
            _ => {}
        }
        problem
    }

    /// The problem type's slug and title.
    fn kind(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::Malformed(_) => ("malformed-json", "Malformed JSON"),
            ApiError::Invalid(_) => ("invalid-input", "Invalid input"),
            ApiError::Unauthenticated => ("unauthenticated", "Authentication required"),
            ApiError::Forbidden(_) => ("forbidden", "Forbidden"),
            ApiError::NotFound { .. } => ("not-found", "Not found"),
            ApiError::NoSuchRoute => ("no-such-route", "No such route"),
            ApiError::MethodNotAllowed => ("method-not-allowed", "Method not allowed"),
            ApiError::Conflict(_) => ("conflict", "Conflict"),
            ApiError::LinkExpired => ("link-expired", "Link expired"),
            ApiError::CourseFull { .. } => ("course-full", "No more check-ins for this course"),
            ApiError::TooManyCheckins { .. } => ("too-many-checkins", "Too many check-ins"),
            ApiError::TooManyAttempts { .. } => ("too-many-attempts", "Too many attempts"),
            ApiError::UnsupportedMediaType => ("unsupported-media-type", "Unsupported media type"),
            ApiError::PayloadTooLarge => ("payload-too-large", "Request body too large"),
            ApiError::Timeout => ("timeout", "Request timed out"),
            ApiError::Unavailable(_) => ("unavailable", "Service unavailable"),
            ApiError::Internal(_) => ("internal", "Internal error"),
        }
    }

    /// What happened, in words for the caller; never internal details.
    fn detail(&self) -> String {
        match self {
            ApiError::Malformed(field) => format!(
                "The request body is not well-formed JSON: expected {}.",
                field.expected
            ),
            ApiError::Invalid(fields) => match fields.as_slice() {
                [field] => format!(
                    "{}: expected {}.",
                    display_path(&field.path),
                    field.expected
                ),
                _ => format!("{} fields do not fit; see `errors`.", fields.len()),
            },
            ApiError::Unauthenticated => {
                "Send a valid API token as `Authorization: Bearer <token>`; \
                 the token is missing, unknown or revoked."
                    .to_owned()
            }
            ApiError::Forbidden(why) => (*why).to_owned(),
            ApiError::NotFound { what, .. } => {
                format!("No {what} with that id here.")
            }
            ApiError::NoSuchRoute => "There is nothing at this address.".to_owned(),
            ApiError::MethodNotAllowed => "This address does not answer to this method.".to_owned(),
            ApiError::Conflict(why) => why.clone(),
            ApiError::LinkExpired => {
                "This link has expired. Ask your therapist for a new one.".to_owned()
            }
            ApiError::CourseFull { limit } => format!(
                "This follow-up has reached its limit of {limit} check-ins. \
                 If you still have symptoms, contact your therapist directly."
            ),
            ApiError::TooManyCheckins { limit, .. } => format!(
                "This link accepts up to {limit} check-ins an hour; try again later. \
                 If you feel unwell now, do not wait: contact your therapist or a doctor."
            ),
            ApiError::TooManyAttempts { retry_after_secs } => format!(
                "Too many password attempts failed; try again in {retry_after_secs} seconds."
            ),
            ApiError::UnsupportedMediaType => {
                "Send the body as JSON, with `Content-Type: application/json`.".to_owned()
            }
            ApiError::PayloadTooLarge => {
                "The request body is larger than the service accepts.".to_owned()
            }
            ApiError::Timeout => "The request took too long and was stopped; try again.".to_owned(),
            ApiError::Unavailable(_) => {
                "The service cannot reach its database right now; try again shortly.".to_owned()
            }
            ApiError::Internal(_) => "Something went wrong on our side. It has been logged; \
                 if it keeps happening, quote the request id to your administrator."
                .to_owned(),
        }
    }

    /// What to log for the service's own faults.
    fn fault(&self) -> Option<ServerFault> {
        match self {
            ApiError::Internal(detail) => Some(ServerFault {
                detail: detail.clone(),
                is_bug: true,
            }),
            ApiError::Unavailable(detail) => Some(ServerFault {
                detail: detail.clone(),
                is_bug: false,
            }),
            ApiError::Timeout => Some(ServerFault {
                detail: "the request took longer than the configured timeout".to_owned(),
                is_bug: false,
            }),
            _ => None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = self.problem();
        let mut response = problem_response(&problem);
        *response.status_mut() = self.status();
        let headers = response.headers_mut();
        match self {
            ApiError::Unauthenticated => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::Timeout | ApiError::Unavailable(_) => {
                headers.insert(
                    header::RETRY_AFTER,
                    HeaderValue::from_static(RETRY_AFTER_SECONDS),
                );
            }
            ApiError::TooManyCheckins {
                retry_after_secs, ..
            }
            | ApiError::TooManyAttempts { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            }
            _ => {}
        }
        if let Some(fault) = self.fault() {
            response.extensions_mut().insert(fault);
        }
        // Kept so the `observe` middleware can add the request id.
        response.extensions_mut().insert(problem);
        response
    }
}

/// A problem document as a response body, with its media type; the status
/// is taken from the document.
pub(crate) fn problem_response(problem: &Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(problem).unwrap_or_default();
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON))],
        body,
    )
        .into_response()
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(what) => ApiError::not_found(what),
            StoreError::Conflict(why) => ApiError::Conflict(why),
            StoreError::LinkExpired => ApiError::LinkExpired,
            StoreError::Invalid { path, expected } => ApiError::invalid(path, expected),
            StoreError::Unavailable(why) => ApiError::Unavailable(why),
            StoreError::CourseFull { limit } => ApiError::CourseFull { limit },
            StoreError::TooManyCheckins {
                limit,
                retry_after_secs,
            } => ApiError::TooManyCheckins {
                limit,
                retry_after_secs,
            },
            // Outside text is checked at the edge, so a value the database
            // refuses got past that check: the service's fault, logged as
            // a bug with the request id, and never "try again later".
            other @ (StoreError::Refused(_)
            | StoreError::Config(_)
            | StoreError::Migration(_)
            | StoreError::Database(_)
            | StoreError::Corrupt(_)) => ApiError::Internal(format!("store: {other}")),
        }
    }
}

impl From<InputError> for ApiError {
    fn from(error: InputError) -> Self {
        ApiError::Invalid(vec![FieldError::new(error.path, error.expected)])
    }
}

/// A path for a sentence: the whole document when empty.
fn display_path(path: &str) -> &str {
    if path.is_empty() { "(document)" } else { path }
}

/// Field errors joined for logs and `Display`.
fn display_fields(fields: &[FieldError]) -> String {
    fields
        .iter()
        .map(|field| format!("{}: expected {}", display_path(&field.path), field.expected))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_unreachable_database_is_answered_503() {
        let unavailable = ApiError::from(StoreError::Unavailable("connection refused".to_owned()));
        assert_eq!(unavailable.status(), StatusCode::SERVICE_UNAVAILABLE);
        let refused = ApiError::from(StoreError::Refused(
            "invalid byte sequence for encoding \"UTF8\": 0x00".to_owned(),
        ));
        assert_eq!(refused.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let response = refused.into_response();
        assert!(response.headers().get(header::RETRY_AFTER).is_none());
        let fault = response.extensions().get::<ServerFault>().expect("logged");
        assert!(fault.is_bug, "logged as a fault of the service");
    }
}
