//! Follow-up: the clinic's settings (plan, reminders, quiet hours, time
//! zone, country, escalation, webhook), one treatment's plan, and the
//! delivery log. The settings have their own file below this one.

mod settings;

use aftercare_store::{FollowupRecord, MessageRecord, MessageStatus, TreatmentId};
use axum::Json as JsonResponse;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::extract::{Json, PathParam, QueryParams};
use crate::openapi::responses;
use crate::pagination::{Page, PageParams};
use crate::state::AppState;
use crate::time_format::{rfc3339, rfc3339_opt};

// The routes and the OpenAPI document name the settings' handlers here.
pub(crate) use settings::{__path_get_settings, __path_put_settings, get_settings, put_settings};

/// The longest plan: 90 days after the treatment.
const MAX_PLAN_HOURS: u32 = 90 * 24;

fn check_plan(path: &str, hours: &[u32]) -> Result<(), FieldError> {
    let ascending = hours.windows(2).all(|pair| pair[0] < pair[1]);
    let in_range = hours.iter().all(|&h| (1..=MAX_PLAN_HOURS).contains(&h));
    if hours.is_empty() || hours.len() > 20 || !ascending || !in_range {
        return Err(FieldError::new(
            path,
            "1 to 20 whole hours after the treatment, ascending, each from 1 to 2160",
        ));
    }
    Ok(())
}

/// A message of the outbox, without its recipient or content.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MessageView {
    /// Id; also the `Message-ID` of the email and the
    /// `Aftercare-Message-Id` header of the webhook.
    id: String,
    /// The treatment it is about.
    treatment_id: String,
    /// `invitation`, `reminder`, `alert`, `escalation` or `missed_checkin`.
    kind: String,
    /// `email` or `webhook`.
    channel: String,
    /// Urgent and emergency alerts.
    high_priority: bool,
    /// `queued`, `sent`, `failed` or `cancelled`.
    status: String,
    /// When it is (or was) due.
    #[schema(format = DateTime)]
    due_at: String,
    /// Attempts made.
    attempts: i64,
    /// When it was delivered.
    #[schema(format = DateTime)]
    sent_at: Option<String>,
    /// Why the last attempt failed, or why it was cancelled.
    last_error: Option<String>,
}

impl From<MessageRecord> for MessageView {
    fn from(message: MessageRecord) -> Self {
        MessageView {
            id: message.id.to_string(),
            treatment_id: message.treatment_id.to_string(),
            kind: message.kind.as_str().to_owned(),
            channel: message.channel.as_str().to_owned(),
            high_priority: message.high_priority,
            status: message.status.as_str().to_owned(),
            due_at: rfc3339(message.due_at),
            attempts: message.attempts,
            sent_at: rfc3339_opt(message.sent_at),
            last_error: message.last_error,
        }
    }
}

/// An invitation to check in.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct InvitationView {
    /// Id.
    id: String,
    /// When it is (or was) sent.
    #[schema(format = DateTime)]
    due_at: String,
    /// When it lapses unanswered.
    #[schema(format = DateTime)]
    expires_at: String,
    /// `open`, `answered`, `expired` or `cancelled`.
    state: String,
}

/// A treatment's follow-up.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FollowupView {
    /// Check-in times, hours after the treatment.
    plan_hours: Vec<u32>,
    /// Whether a therapist set this treatment's plan.
    overridden: bool,
    /// When the follow-up ended.
    #[schema(format = DateTime)]
    closed_at: Option<String>,
    /// Why: `clear` (nothing left to follow), `plan_complete`,
    /// `unanswered`, `no_consent`, `no_channel` or `therapist`.
    closed_reason: Option<String>,
    /// Invitations, oldest first.
    invitations: Vec<InvitationView>,
    /// Messages, by due time.
    messages: Vec<MessageView>,
}

impl From<FollowupRecord> for FollowupView {
    fn from(record: FollowupRecord) -> Self {
        FollowupView {
            plan_hours: record.plan_hours,
            overridden: record.overridden,
            closed_at: rfc3339_opt(record.closed_at),
            closed_reason: record.closed_reason,
            invitations: record
                .invitations
                .into_iter()
                .map(|invitation| InvitationView {
                    id: invitation.id.to_string(),
                    due_at: rfc3339(invitation.due_at),
                    expires_at: rfc3339(invitation.expires_at),
                    state: invitation.state,
                })
                .collect(),
            messages: record.messages.into_iter().map(MessageView::from).collect(),
        }
    }
}

/// A treatment's own plan.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TreatmentPlanRequest {
    /// 1 to 20 check-in times, hours after the treatment, ascending, at most 2160.
    #[schema(schema_with = plan_hours_schema)]
    plan_hours: Vec<u32>,
}

/// The schema of a treatment's `plan_hours`, with the bounds `check_plan`
/// applies, so generated plans are mostly ones it accepts (that the hours
/// ascend cannot be said in JSON Schema).
fn plan_hours_schema() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    let hour = ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(1))
        .maximum(Some(MAX_PLAN_HOURS));
    ArrayBuilder::new()
        .items(hour)
        .min_items(Some(1))
        .max_items(Some(20))
        .description(Some(
            "1 to 20 check-in times, hours after the treatment, ascending, at most 2160.",
        ))
        .build()
}

/// A treatment's follow-up: plan, invitations and messages.
#[utoipa::path(
    get,
    path = "/api/v1/treatments/{id}/followup",
    tag = "follow-up",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Treatment id.")),
    responses(
        (status = 200, description = "The follow-up.", body = FollowupView),
        (status = 401, response = responses::Unauthorized),
        (status = 404, response = responses::NotFound),
        (status = 422, response = responses::Unprocessable),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn get_followup(
    State(state): State<AppState>,
    caller: Caller,
    id: PathParam,
) -> Result<JsonResponse<FollowupView>, ApiError> {
    let id = id.id(TreatmentId::parse, "treatment")?;
    let record = state.store.followup(&caller.0.clinic_id, &id).await?;
    Ok(JsonResponse(record.into()))
}

/// Sets this treatment's check-in times. An invitation not yet answered
/// is replaced by one from the new plan.
#[utoipa::path(
    put,
    path = "/api/v1/treatments/{id}/followup",
    tag = "follow-up",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Treatment id.")),
    request_body = TreatmentPlanRequest,
    responses(
        (status = 200, description = "The follow-up.", body = FollowupView),
        (status = 400, response = responses::BadRequest),
        (status = 401, response = responses::Unauthorized),
        (status = 404, response = responses::NotFound),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::Unprocessable),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn put_plan(
    State(state): State<AppState>,
    caller: Caller,
    id: PathParam,
    Json(request): Json<TreatmentPlanRequest>,
) -> Result<JsonResponse<FollowupView>, ApiError> {
    let id = id.id(TreatmentId::parse, "treatment")?;
    check_plan("plan_hours", &request.plan_hours)
        .map_err(|error| ApiError::Invalid(vec![error]))?;
    let clinic = &caller.0.clinic_id;
    state
        .store
        .set_treatment_plan(
            clinic,
            &caller.actor(),
            &id,
            &request.plan_hours,
            state.now(),
        )
        .await?;
    state.wake_scheduler();
    let record = state.store.followup(clinic, &id).await?;
    Ok(JsonResponse(record.into()))
}

/// Closes this treatment's follow-up: no more invitations.
#[utoipa::path(
    post,
    path = "/api/v1/treatments/{id}/followup/close",
    tag = "follow-up",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Treatment id.")),
    responses(
        (status = 200, description = "The follow-up, closed.", body = FollowupView),
        (status = 401, response = responses::Unauthorized),
        (status = 404, response = responses::NotFound),
        (status = 422, response = responses::Unprocessable),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn close_followup(
    State(state): State<AppState>,
    caller: Caller,
    id: PathParam,
) -> Result<JsonResponse<FollowupView>, ApiError> {
    let id = id.id(TreatmentId::parse, "treatment")?;
    let clinic = &caller.0.clinic_id;
    state
        .store
        .close_followup(clinic, &caller.actor(), &id, state.now())
        .await?;
    let record = state.store.followup(clinic, &id).await?;
    Ok(JsonResponse(record.into()))
}

/// Which messages to list.
#[derive(Debug, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct DeliveryFilter {
    /// Only messages in this state: `queued`, `sent`, `failed` or `cancelled`.
    status: Option<String>,
}

/// The clinic's messages, newest first: what was sent, what is waiting,
/// and what failed (with the reason).
#[utoipa::path(
    get,
    path = "/api/v1/deliveries",
    tag = "follow-up",
    security(("bearer" = [])),
    params(DeliveryFilter, PageParams),
    responses(
        (status = 200, description = "A page of messages.", body = Page<MessageView>),
        (status = 401, response = responses::Unauthorized),
        (status = 422, response = responses::Unprocessable),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn list_deliveries(
    State(state): State<AppState>,
    caller: Caller,
    mut query: QueryParams,
) -> Result<JsonResponse<Page<MessageView>>, ApiError> {
    let filter = DeliveryFilter {
        status: query.take("status")?,
    };
    let status = filter
        .status
        .map(|text| {
            MessageStatus::parse(&text).ok_or_else(|| {
                ApiError::invalid("status", "`queued`, `sent`, `failed` or `cancelled`")
            })
        })
        .transpose()?;
    let page = PageParams::take(&mut query)?;
    query.finish(&["status", "limit", "after"])?;
    let found = state
        .store
        .list_messages(&caller.0.clinic_id, status, &page)
        .await?;
    Ok(JsonResponse(Page::of(found, MessageView::from)))
}
