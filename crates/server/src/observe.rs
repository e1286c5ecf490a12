//! Middleware every request passes through: its id, its time limit, and
//! one log line and metric per request. Logs name the route *pattern*,
//! never the URI (client links carry their secret in the path), and never
//! bodies, tokens, names or emails.

use std::any::Any;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument as _;

use crate::error::{ApiError, Problem, ServerFault};
use crate::state::AppState;

/// The header that carries the request id both ways.
pub(crate) const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of a request: the caller's `x-request-id` if it is a sensible
/// one, else a new UUID.
#[derive(Clone, Debug)]
pub(crate) struct RequestId(pub(crate) String);

/// Gives every request an id, and every response the same id.
pub(crate) async fn request_id(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|text| is_sensible_id(text))
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
    request.extensions_mut().insert(RequestId(id.clone()));
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(X_REQUEST_ID, value);
    }
    response
}

/// Short, and only characters that are safe in a log line.
fn is_sensible_id(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.'))
}

/// Logs and counts each request by its route pattern; adds the request id
/// to problem answers, and logs the service's own faults once.
pub(crate) async fn observe(
    State(state): State<AppState>,
    matched: Option<MatchedPath>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let route = matched.map_or_else(|| "(unmatched)".to_owned(), |path| path.as_str().to_owned());
    let method = request.method().clone();
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .map(|id| id.0.clone())
        .unwrap_or_default();

    // Everything logged while answering carries the request's id and route.
    // A stored check-in records its level and whether it raised an alert
    // here (`usecases/checkin.rs`), so it is told by the one "answered" line.
    let span = tracing::info_span!(
        "request",
        %method,
        %route,
        request_id,
        level = tracing::field::Empty,
        alert = tracing::field::Empty
    );
    let mut response = next.run(request).instrument(span.clone()).await;
    let _entered = span.enter();

    let status = response.status();
    if let Some(fault) = response.extensions_mut().remove::<ServerFault>() {
        if fault.is_bug {
            tracing::error!(error = %fault.detail, "internal error");
        } else {
            tracing::warn!(error = %fault.detail, "service unavailable");
        }
    }
    if let Some(mut problem) = response.extensions_mut().remove::<Problem>() {
        problem.request_id = Some(request_id.clone());
        response = with_problem_body(response, &problem);
    }
    let took = started.elapsed();
    state
        .metrics
        .record_request(method.as_str(), &route, status.as_u16(), took);
    tracing::info!(
        status = status.as_u16(),
        took_ms = took.as_secs_f64() * 1000.0,
        "answered"
    );
    response
}

/// The same response with `problem` as its body.
fn with_problem_body(response: Response, problem: &Problem) -> Response {
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = serde_json::to_vec(problem).unwrap_or_default();
    Response::from_parts(parts, Body::from(body))
}

/// Answers 503 when a request takes longer than the settings allow. The
/// handler's future is dropped, which rolls back an open transaction —
/// unless the handler has handed a check-in to the store: then the write
/// may already be committing, and a 503 for a stored check-in would tell
/// the person it was lost. Such a request is answered with its outcome,
/// which the store's own time limits (lock and connection waits) bound.
pub(crate) async fn time_limit(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let handed_over = WriteHandedOver::default();
    request.extensions_mut().insert(handed_over.clone());
    let run = next.run(request);
    tokio::pin!(run);
    tokio::select! {
        response = &mut run => response,
        () = tokio::time::sleep(state.settings.request_timeout) => {
            if handed_over.is_set() {
                run.await
            } else {
                ApiError::Timeout.into_response()
            }
        }
    }
}

/// Set by a handler once its write is in the store's hands (see
/// [`time_limit`]).
#[derive(Clone, Debug, Default)]
pub(crate) struct WriteHandedOver(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl WriteHandedOver {
    /// From here on the request is answered with the write's outcome.
    pub(crate) fn set(&self) {
        self.0.store(true, std::sync::atomic::Ordering::Release);
    }

    fn is_set(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Acquire)
    }
}

/// Turns a panic in a handler into a calm 500; the panic is logged by
/// `observe` as an internal error.
#[expect(
    clippy::needless_pass_by_value,
    reason = "the signature CatchPanicLayer asks for"
)]
pub(crate) fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    ApiError::Internal(format!("a handler panicked: {message}")).into_response()
}

/// The answer for a path no route has.
pub(crate) async fn no_such_route() -> ApiError {
    ApiError::NoSuchRoute
}

/// The answer for a known path with a method it does not serve.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
