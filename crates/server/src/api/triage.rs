//! `POST /api/v1/triage`: the engine as a service. Nothing is stored.

use aftercare_core::Course;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::api::raw_json;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::input::{check_object, from_core};
use crate::metrics::DecisionSource;
use crate::openapi::format::{CourseFormat, DecisionFormat};
use crate::openapi::responses;
use crate::state::AppState;

/// Triage a course without storing anything.
///
/// The body is a course in the check-in format; the answer is the decision
/// for its last check-in, exactly as the CLI's `aftercare triage --json`
/// gives it.
#[utoipa::path(
    post,
    path = "/api/v1/triage",
    tag = "triage",
    security(("bearer" = [])),
    request_body(content = CourseFormat, content_type = "application/json"),
    responses(
        (status = 200, description = "The decision.", body = DecisionFormat),
        (status = 400, response = responses::BadRequest),
        (status = 401, response = responses::Unauthorized),
        (status = 413, response = responses::PayloadTooLarge),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::Unprocessable),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn triage(
    State(state): State<AppState>,
    _caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    check_object(&body)?;
    let course = Course::from_json_bytes(&body).map_err(from_core)?;
    let decision = aftercare_core::triage(&state.guideline, &course);
    state
        .metrics
        .record_decision(decision.level, DecisionSource::Triage);
    Ok(raw_json(StatusCode::OK, decision.to_json()))
}
