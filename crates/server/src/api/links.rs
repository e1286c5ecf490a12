//! `/api/v1/links/{token}/…`: what a client reaches with their private
//! link. There is no account: the token is the credential, so it is never
//! logged (the request log names the route pattern only).

use crate::observe::WriteHandedOver;
use aftercare_core::Checkin;
use aftercare_store::secret::Secret;
use axum::Extension;
use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use utoipa::IntoParams;

use crate::api::course::{LinkCourseView, SubmittedView};
use crate::api::treatments::LINK_PREFIX;
use crate::error::ApiError;
use crate::extract::{JsonBody, PathParam};
use crate::input::parse_object;
use crate::metrics::DecisionSource;
use crate::openapi::format::CheckinFormat;
use crate::openapi::responses;
use crate::state::AppState;

/// The header that makes a check-in submission safe to retry.
const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// The hash of a link token, or "not found" for text that cannot be one.
fn link_hash(token: &PathParam) -> Result<String, ApiError> {
    let text = token.0.as_str();
    let plausible = text.starts_with(LINK_PREFIX)
        && text.len() <= 128
        && text
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_'));
    if plausible {
        Ok(Secret::from_text(text).hash())
    } else {
        Err(ApiError::not_found("link"))
    }
}

/// The course a link opens: the treatment, the client's check-ins and the
/// answers. The read is recorded in the audit trail.
#[utoipa::path(
    get,
    path = "/api/v1/links/{token}/course",
    tag = "client links",
    params(("token" = String, Path, description = "The client's link token.")),
    responses(
        (status = 200, description = "The course.", body = LinkCourseView),
        (status = 404, response = responses::NotFound),
        (status = 422, response = responses::Unprocessable),
        (status = 410, response = responses::Gone),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn get_link_course(
    State(state): State<AppState>,
    token: PathParam,
) -> Result<JsonResponse<LinkCourseView>, ApiError> {
    let hash = link_hash(&token)?;
    let record = state.store.course_by_link(&hash, state.now()).await?;
    Ok(JsonResponse(record.into()))
}

/// Sends a check-in; the course is triaged and the decision answered.
///
/// With an `Idempotency-Key`, a retry of the same check-in answers the
/// first result with 200 and stores nothing; another check-in with a key
/// already used is a conflict (409), as is one more check-in than a course
/// accepts in all (`course-full`). More check-ins in an hour than a link
/// accepts are refused with 429 and `Retry-After`. A decision at `contact_therapist` or
/// above raises an alert for the therapist.
#[utoipa::path(
    post,
    path = "/api/v1/links/{token}/checkins",
    tag = "client links",
    params(
        ("token" = String, Path, description = "The client's link token."),
        IdempotencyKey,
    ),
    request_body(content = CheckinFormat, content_type = "application/json"),
    responses(
        (status = 201, description = "Stored; the decision.", body = SubmittedView),
        (status = 200, description = "A retry with the same Idempotency-Key: the first result; nothing stored.", body = SubmittedView),
        (status = 400, response = responses::BadRequest),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
        (status = 410, response = responses::Gone),
        (status = 413, response = responses::PayloadTooLarge),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::Unprocessable),
        (status = 429, response = responses::TooManyRequests),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn submit_checkin(
    State(state): State<AppState>,
    token: PathParam,
    headers: HeaderMap,
    handed_over: Option<Extension<WriteHandedOver>>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let hash = link_hash(&token)?;
    let key = IdempotencyKey::from_headers(&headers)?;
    let checkin: Checkin = parse_object(&body)?;
    // Grouped with check-ins arriving at the same moment into one
    // transaction; answered once that transaction has committed. Once
    // queued it may be written at any moment, so from then on the answer
    // is its outcome, even past the request time limit.
    let queued = state
        .store
        .queue_checkin(
            &hash,
            key.key.as_deref(),
            checkin,
            &state.guideline,
            state.now(),
        )
        .await?;
    if let Some(Extension(handed_over)) = handed_over {
        handed_over.set();
    }
    let submitted = queued.outcome().await?;
    let status = if submitted.replayed {
        StatusCode::OK
    } else {
        state.wake_scheduler();
        state.metrics.record_checkin();
        state
            .metrics
            .record_decision(submitted.decision.level, DecisionSource::Checkin);
        tracing::info!(
            level = %submitted.decision.level,
            alert = submitted.alert.is_some(),
            "check-in stored"
        );
        StatusCode::CREATED
    };
    let view = SubmittedView::new(submitted.checkin, submitted.decision);
    Ok((status, JsonResponse(view)).into_response())
}

/// The `Idempotency-Key` header.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
struct IdempotencyKey {
    /// Any unique text of 1 to 128 visible ASCII characters, the same for
    /// every retry of one check-in.
    #[param(
        rename = "Idempotency-Key",
        min_length = 1,
        max_length = 128,
        nullable = false
    )]
    key: Option<String>,
}

impl IdempotencyKey {
    /// The header, if sent; refused unless it is short, visible ASCII.
    fn from_headers(headers: &HeaderMap) -> Result<IdempotencyKey, ApiError> {
        let Some(value) = headers.get(&IDEMPOTENCY_KEY) else {
            return Ok(IdempotencyKey { key: None });
        };
        let refused = || ApiError::invalid("Idempotency-Key", "1 to 128 visible ASCII characters");
        let text = value.to_str().map_err(|_| refused())?;
        if text.is_empty() || text.len() > 128 || !text.bytes().all(|byte| byte.is_ascii_graphic())
        {
            return Err(refused());
        }
        Ok(IdempotencyKey {
            key: Some(text.to_owned()),
        })
    }
}
