//! Follow-up: the clinic's settings (plan, reminders, quiet hours, time
//! zone, country, escalation, webhook), one treatment's plan, and the
//! delivery log.

use aftercare_store::{
    Channel, FollowupRecord, FollowupSettings, MessageRecord, MessageStatus, TreatmentId,
};
use axum::Json as JsonResponse;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::records::Member;
use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::extract::{Json, PathParam, QueryParams};
use crate::openapi::responses;
use crate::pagination::{Page, PageParams};
use crate::state::AppState;
use crate::time_format::{rfc3339, rfc3339_opt};

/// The longest plan: 90 days after the treatment.
const MAX_PLAN_HOURS: u32 = 90 * 24;

/// A clinic's follow-up settings. The webhook secret is never shown.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FollowupSettingsView {
    /// Planned check-ins, hours after the treatment.
    plan_hours: Vec<u32>,
    /// Reminders after an unanswered invitation.
    reminder_count: u32,
    /// Minutes from the invitation to the first reminder, and between reminders.
    reminder_delay_minutes: u32,
    /// Hours an invitation stays open.
    invitation_expiry_hours: u32,
    /// No messages to clients from this local time…
    #[schema(example = "21:00")]
    quiet_from: String,
    /// …until this one; equal times mean no quiet time.
    #[schema(example = "08:00")]
    quiet_until: String,
    /// IANA time zone of the clinic and its clients.
    #[schema(example = "Europe/Berlin")]
    time_zone: String,
    /// The clinic's country (ISO 3166-1 alpha-2), which decides the
    /// emergency and medical help numbers clients are shown; `null` until set.
    #[schema(example = "DE")]
    country: Option<String>,
    /// Minutes after which an unacknowledged `see_doctor`-or-above alert
    /// goes to the clinic's owners too; `null` for never.
    escalation_minutes: Option<u32>,
    /// How clients are invited: `email` or `webhook`.
    #[schema(value_type = String, example = "email")]
    client_channel: Channel,
    /// Where webhooks go; shown to owners only.
    webhook_url: Option<String>,
    /// Whether a webhook signing secret is set.
    webhook_secret_set: bool,
}

impl From<FollowupSettings> for FollowupSettingsView {
    fn from(settings: FollowupSettings) -> Self {
        FollowupSettingsView {
            quiet_from: clock_time(settings.quiet_start_minute),
            quiet_until: clock_time(settings.quiet_end_minute),
            plan_hours: settings.plan_hours,
            reminder_count: settings.reminder_count,
            reminder_delay_minutes: settings.reminder_delay_minutes,
            invitation_expiry_hours: settings.invitation_expiry_hours,
            time_zone: settings.time_zone,
            country: settings.country,
            escalation_minutes: settings.escalation_minutes,
            client_channel: settings.client_channel,
            webhook_url: settings.webhook_url,
            webhook_secret_set: settings.webhook_secret.is_some(),
        }
    }
}

/// New follow-up settings; every field is required but the webhook's.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FollowupSettingsRequest {
    /// 1 to 20 check-in times, hours after the treatment, ascending, at most 2160.
    plan_hours: Vec<u32>,
    /// 0 to 5.
    reminder_count: u32,
    /// 15 to 1440.
    reminder_delay_minutes: u32,
    /// 1 to 168.
    invitation_expiry_hours: u32,
    /// `HH:MM`.
    quiet_from: String,
    /// `HH:MM`.
    quiet_until: String,
    /// An IANA time zone name.
    time_zone: String,
    /// An ISO 3166-1 alpha-2 code of a country whose numbers this service
    /// knows (`GET /api/v1/followup/settings` shows the one set), or
    /// `null` for none; kept when omitted.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "DE")]
    country: Member<String>,
    /// 5 to 10080, or `null` for no escalation.
    #[serde(default)]
    escalation_minutes: Option<u32>,
    /// `email` or `webhook` (which needs `webhook_url`).
    #[schema(value_type = String, example = "email")]
    client_channel: Channel,
    /// An `http://` or `https://` address on the public internet (or one
    /// the operator allows), or `null` for none.
    #[serde(default)]
    webhook_url: Option<String>,
    /// At least 16 characters; required with a new `webhook_url`, kept when omitted.
    #[serde(default)]
    #[schema(min_length = 16, max_length = 200)]
    webhook_secret: Option<String>,
}

fn clock_time(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

fn parse_clock_time(path: &str, text: &str) -> Result<u32, FieldError> {
    let wrong = || FieldError::new(path, "a time of day as HH:MM, e.g. 21:00");
    let (hours, minutes) = text.split_once(':').ok_or_else(wrong)?;
    if hours.len() != 2 || minutes.len() != 2 {
        return Err(wrong());
    }
    let hours: u32 = hours.parse().map_err(|_| wrong())?;
    let minutes: u32 = minutes.parse().map_err(|_| wrong())?;
    if hours > 23 || minutes > 59 {
        return Err(wrong());
    }
    Ok(hours * 60 + minutes)
}

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

fn within(path: &str, value: u32, low: u32, high: u32) -> Result<(), FieldError> {
    if (low..=high).contains(&value) {
        Ok(())
    } else {
        Err(FieldError::new(
            path,
            format!("a whole number from {low} to {high}"),
        ))
    }
}

impl FollowupSettingsRequest {
    /// The settings, or every field at fault. A secret left out keeps the
    /// one stored, unless the webhook address changes.
    fn into_settings(
        self,
        current: &FollowupSettings,
        allow: &crate::network::WebhookAllow,
    ) -> Result<FollowupSettings, ApiError> {
        let mut errors = Vec::new();
        let mut collect = |result: Result<(), FieldError>| {
            if let Err(error) = result {
                errors.push(error);
            }
        };
        collect(check_plan("plan_hours", &self.plan_hours));
        collect(within("reminder_count", self.reminder_count, 0, 5));
        collect(within(
            "reminder_delay_minutes",
            self.reminder_delay_minutes,
            15,
            1440,
        ));
        collect(within(
            "invitation_expiry_hours",
            self.invitation_expiry_hours,
            1,
            168,
        ));
        if let Some(minutes) = self.escalation_minutes {
            collect(within("escalation_minutes", minutes, 5, 10_080));
        }
        let quiet_start = parse_clock_time("quiet_from", &self.quiet_from);
        let quiet_end = parse_clock_time("quiet_until", &self.quiet_until);
        if jiff::tz::TimeZone::get(&self.time_zone).is_err() {
            errors.push(FieldError::new(
                "time_zone",
                "an IANA time zone name, e.g. Europe/Berlin or UTC",
            ));
        }
        let country = match self.country {
            Member::Absent => current.country.clone(),
            Member::Null => None,
            Member::Value(code) => {
                let known = aftercare_core::phone_numbers::numbers_for(&code);
                if known.is_none() {
                    errors.push(FieldError::new(
                        "country",
                        "an ISO 3166-1 alpha-2 code of a country this service knows the numbers of, e.g. GB, DE or US; or null",
                    ));
                }
                known.map(|country| country.code.to_owned())
            }
        };
        let webhook_url = self.webhook_url.filter(|url| !url.trim().is_empty());
        if let Some(url) = &webhook_url
            && !crate::delivery::webhook_url_allowed(url, allow)
        {
            errors.push(FieldError::new(
                "webhook_url",
                crate::delivery::WEBHOOK_URL_EXPECTED,
            ));
        }
        let webhook_secret = match (&webhook_url, self.webhook_secret) {
            (None, _) => None,
            (Some(_), Some(secret)) => {
                let length = secret.chars().count();
                if !(16..=200).contains(&length) || secret.chars().any(char::is_control) {
                    errors.push(FieldError::new(
                        "webhook_secret",
                        "16 to 200 characters without control characters",
                    ));
                }
                Some(secret)
            }
            (Some(url), None) if current.webhook_url.as_deref() == Some(url) => {
                current.webhook_secret.clone()
            }
            (Some(_), None) => {
                errors.push(FieldError::new(
                    "webhook_secret",
                    "a signing secret of 16 to 200 characters for the new webhook address",
                ));
                None
            }
        };
        if self.client_channel == Channel::Webhook && webhook_url.is_none() {
            errors.push(FieldError::new(
                "client_channel",
                "`email`, or `webhook` together with a webhook_url",
            ));
        }
        let (quiet_start, quiet_end) = match (quiet_start, quiet_end) {
            (Ok(start), Ok(end)) => (start, end),
            (start, end) => {
                errors.extend(start.err());
                errors.extend(end.err());
                (0, 0)
            }
        };
        if !errors.is_empty() {
            return Err(ApiError::Invalid(errors));
        }
        Ok(FollowupSettings {
            plan_hours: self.plan_hours,
            reminder_count: self.reminder_count,
            reminder_delay_minutes: self.reminder_delay_minutes,
            invitation_expiry_hours: self.invitation_expiry_hours,
            quiet_start_minute: quiet_start,
            quiet_end_minute: quiet_end,
            time_zone: self.time_zone,
            country,
            escalation_minutes: self.escalation_minutes,
            client_channel: self.client_channel,
            webhook_url,
            webhook_secret,
        })
    }
}

/// The clinic's follow-up settings.
#[utoipa::path(
    get,
    path = "/api/v1/followup/settings",
    tag = "follow-up",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The settings (the defaults until changed).", body = FollowupSettingsView),
        (status = 401, response = responses::Unauthorized),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn get_settings(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<JsonResponse<FollowupSettingsView>, ApiError> {
    let settings = state.store.followup_settings(&caller.0.clinic_id).await?;
    let mut view = FollowupSettingsView::from(settings);
    // Where the clinic's messages go is the owner's business: the
    // address may carry a token of the receiver.
    if !caller.is_owner() {
        view.webhook_url = None;
    }
    Ok(JsonResponse(view))
}

/// Replaces the clinic's follow-up settings (owners only). They apply to
/// plans started from now on; plans under way keep their check-in times.
#[utoipa::path(
    put,
    path = "/api/v1/followup/settings",
    tag = "follow-up",
    security(("bearer" = [])),
    request_body = FollowupSettingsRequest,
    responses(
        (status = 200, description = "The settings now in force.", body = FollowupSettingsView),
        (status = 400, response = responses::BadRequest),
        (status = 401, response = responses::Unauthorized),
        (status = 403, response = responses::Forbidden),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::Unprocessable),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn put_settings(
    State(state): State<AppState>,
    caller: Caller,
    Json(request): Json<FollowupSettingsRequest>,
) -> Result<JsonResponse<FollowupSettingsView>, ApiError> {
    caller.require_owner("Only the clinic's owner may change its follow-up settings.")?;
    let clinic = &caller.0.clinic_id;
    let current = state.store.followup_settings(clinic).await?;
    let settings = request.into_settings(&current, &state.settings.webhook_allow)?;
    state
        .store
        .put_followup_settings(clinic, &caller.actor(), &settings, state.now())
        .await?;
    Ok(JsonResponse(settings.into()))
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
