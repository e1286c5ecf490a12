//! `/api/v1/links/{token}/…`: what a client reaches with their private
//! link. There is no account: the token is the credential, so it is never
//! logged (the request log names the route pattern only).

use crate::observe::WriteHandedOver;
use aftercare_core::Checkin;
use axum::Extension;
use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use utoipa::IntoParams;

use crate::api::course::{LinkCourseView, SubmittedView};
use crate::error::ApiError;
use crate::extract::{JsonBody, PathParam};
use crate::input::parse_object;
use crate::openapi::format::CheckinFormat;
use crate::openapi::responses;
use crate::state::AppState;
use crate::usecases;
use crate::usecases::checkin::CheckinSubmission;
use crate::usecases::links::LinkToken;

/// The header that makes a check-in submission safe to retry.
const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

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
    let link = LinkToken::parse(&token.0)?;
    let record = state.store.course_by_link(link.hash(), state.now()).await?;
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
    let link = LinkToken::parse(&token.0)?;
    let key = IdempotencyKey::from_headers(&headers)?;
    let checkin: Checkin = parse_object(&body)?;
    let submission = CheckinSubmission {
        link: &link,
        key: key.key.as_ref(),
        checkin,
    };
    let handed_over = handed_over
        .as_ref()
        .map(|Extension(handed_over)| handed_over);
    let submitted = usecases::checkin::submit_checkin(&state, submission, handed_over).await?;
    let status = if submitted.replayed {
        StatusCode::OK
    } else {
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
        nullable = false,
        value_type = Option<String>
    )]
    key: Option<usecases::checkin::IdempotencyKey>,
}

impl IdempotencyKey {
    /// The header, if sent; refused unless it is short, visible ASCII.
    fn from_headers(headers: &HeaderMap) -> Result<IdempotencyKey, ApiError> {
        let key = headers
            .get(&IDEMPOTENCY_KEY)
            .map(|value| usecases::checkin::IdempotencyKey::parse(value.as_bytes()))
            .transpose()?;
        Ok(IdempotencyKey { key })
    }
}
