//! The one error type of the pages: each answer is a calm HTML page, or a
//! redirect to the login for a page that needs a session.

use aftercare_store::StoreError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;

use crate::error::ServerFault;
use crate::web::layout::{self, PageResponse};

/// Why a page could not be shown.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WebError {
    /// The page needs a signed-in therapist.
    #[error("sign-in required")]
    LoginRequired,
    /// The practitioner must replace the first password the owner chose
    /// before any other page opens.
    #[error("password change required")]
    PasswordChangeRequired,
    /// A form came without the token of its page (or with a wrong one).
    #[error("form token missing or wrong")]
    BadCsrf,
    /// Only the clinic's owner may open this.
    #[error("owner only")]
    Forbidden,
    /// Nothing with that id in the therapist's clinic, or no such link.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The link has expired.
    #[error("link expired")]
    Expired,
    /// Too many failed logins: try again after this many seconds.
    #[error("too many attempts")]
    TooManyAttempts(u64),
    /// The request conflicts with what is stored.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The link has taken as many check-ins as it may in an hour.
    #[error("too many check-ins")]
    TooManyCheckins(u64),
    /// The course takes no more check-ins.
    #[error("course full")]
    CourseFull,
    /// One address has started as many self-check diaries as it may in an
    /// hour: try again after this many seconds.
    #[error("too many self-checks")]
    TooManyDiaries(u64),
    /// What was sent does not fit what is stored (e.g. a time before the
    /// last check-in).
    #[error("invalid: {0}")]
    Invalid(String),
    /// A form field, path or query parameter holds a control character
    /// (see `input::is_refused`); named so the person can find it.
    #[error("refused text in {field}")]
    RefusedText {
        /// The field or parameter, as sent.
        field: String,
    },
    /// The database cannot be reached.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A fault of the service; logged, never shown.
    #[error("internal: {0}")]
    Internal(String),
}

impl From<StoreError> for WebError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(what) => WebError::NotFound(what),
            StoreError::LinkExpired => WebError::Expired,
            StoreError::Conflict(why) => WebError::Conflict(why),
            StoreError::Unavailable(why) => WebError::Unavailable(why),
            StoreError::TooManyCheckins {
                retry_after_secs, ..
            } => WebError::TooManyCheckins(retry_after_secs),
            StoreError::CourseFull { .. } => WebError::CourseFull,
            StoreError::Invalid { expected, .. } => WebError::Invalid(expected),
            other => WebError::Internal(format!("store: {other}")),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, title, text) = match self.page_words() {
            Ok(words) => words,
            Err(redirect) => return redirect.into_response(),
        };
        let body = layout::page(
            title,
            None,
            &html! {
                h1 { (title) }
                p { (text) }
                p { a href="/" { "Back to the start" } }
            },
        );
        let mut response = PageResponse::new(body).with_status(status).into_response();
        match &self {
            WebError::TooManyAttempts(seconds)
            | WebError::TooManyCheckins(seconds)
            | WebError::TooManyDiaries(seconds) => {
                if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
                    response.headers_mut().insert(header::RETRY_AFTER, value);
                }
            }
            WebError::Internal(detail) => {
                response.extensions_mut().insert(ServerFault {
                    detail: detail.clone(),
                    is_bug: true,
                });
            }
            WebError::Unavailable(detail) => {
                response.extensions_mut().insert(ServerFault {
                    detail: detail.clone(),
                    is_bug: false,
                });
            }
            _ => {}
        }
        response
    }
}

/// The page that refuses a path or query parameter holding a control
/// character, for the route layer that checks every page's address.
pub(crate) fn refused_text_page(field: String) -> Response {
    WebError::RefusedText { field }.into_response()
}

impl WebError {
    /// The page's status, heading and text; a redirect instead when the
    /// answer is another page (sign in, change the password).
    fn page_words(&self) -> Result<(StatusCode, &'static str, String), Redirect> {
        Ok(match self {
            WebError::LoginRequired => return Err(Redirect::to("/login")),
            WebError::PasswordChangeRequired => {
                return Err(Redirect::to(crate::web::session::PASSWORD_CHANGE_PAGE));
            }
            WebError::BadCsrf => (
                StatusCode::FORBIDDEN,
                "This form has expired",
                "The form was sent without its security token, or with an old one. \
                 Go back, reload the page and send it again."
                    .to_owned(),
            ),
            WebError::Forbidden => (
                StatusCode::FORBIDDEN,
                "For the clinic's owner",
                "Only the clinic's owner can open this page.".to_owned(),
            ),
            WebError::NotFound(_) => (
                StatusCode::NOT_FOUND,
                "Not found",
                "There is nothing here. Check the address, or ask whoever gave it to you."
                    .to_owned(),
            ),
            WebError::Expired => (
                StatusCode::GONE,
                "This link has expired",
                "Ask your therapist for a new link.".to_owned(),
            ),
            WebError::TooManyAttempts(_) => (
                StatusCode::TOO_MANY_REQUESTS,
                "Too many attempts",
                "Too many sign-in attempts failed. Wait a few minutes, then try again.".to_owned(),
            ),
            WebError::Conflict(why) => (StatusCode::CONFLICT, "Not saved", why.clone()),
            WebError::TooManyCheckins(_) => (
                StatusCode::TOO_MANY_REQUESTS,
                "Not saved: many check-ins this hour",
                "This link has taken as many check-ins as it can in one hour. Try again a \
                 little later. If you feel unwell now, do not wait: contact a doctor, or call \
                 your local emergency number in an emergency."
                    .to_owned(),
            ),
            WebError::TooManyDiaries(_) => (
                StatusCode::TOO_MANY_REQUESTS,
                "Not started: many self-checks from here",
                "Many self-checks were started from this connection in the last hour, so a new \
                 one cannot start yet. Try again later, or keep using a diary link you already \
                 have. If you feel unwell now, do not wait: contact a doctor, or call your local \
                 emergency number in an emergency."
                    .to_owned(),
            ),
            WebError::CourseFull => (
                StatusCode::CONFLICT,
                "Not saved: this course is full",
                "This follow-up has taken all the check-ins it can keep. If you feel unwell \
                 now, contact a doctor, or call your local emergency number in an emergency."
                    .to_owned(),
            ),
            WebError::Invalid(expected) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "Not saved",
                format!("This check-in could not be saved: expected {expected}."),
            ),
            WebError::RefusedText { field } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "Not sent",
                format!(
                    "“{field}” holds a control character (such as NUL) that cannot be \
                     kept. Remove it and try again."
                ),
            ),
            WebError::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Please try again shortly",
                "The service cannot reach its database right now.".to_owned(),
            ),
            WebError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "Something went wrong on our side. It has been logged.".to_owned(),
            ),
        })
    }
}
