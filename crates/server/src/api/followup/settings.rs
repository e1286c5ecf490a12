//! The clinic's follow-up settings: how they are shown (never with the
//! webhook secret) and how new ones are read and checked.

use aftercare_store::secret::Secret;
use aftercare_store::{Channel, FollowupSettings};
use axum::Json as JsonResponse;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::check_plan;
use crate::api::records::Member;
use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::extract::Json;
use crate::openapi::responses;
use crate::state::AppState;

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
    #[schema(value_type = Option<String>, min_length = 16, max_length = 200)]
    webhook_secret: Option<Secret>,
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
        allow: &aftercare_delivery::WebhookAllow,
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
        let country = country_of(self.country, current, &mut errors);
        let webhook_url = self.webhook_url.filter(|url| !url.trim().is_empty());
        if let Some(url) = &webhook_url
            && !aftercare_delivery::webhook_url_allowed(url, allow)
        {
            errors.push(FieldError::new(
                "webhook_url",
                aftercare_delivery::WEBHOOK_URL_EXPECTED,
            ));
        }
        let webhook_secret = webhook_secret_of(
            webhook_url.as_deref(),
            self.webhook_secret,
            current,
            &mut errors,
        );
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

/// The webhook secret to keep: the one given (checked), the one stored when
/// the address stays the same, or none without an address.
fn webhook_secret_of(
    webhook_url: Option<&str>,
    given: Option<Secret>,
    current: &FollowupSettings,
    errors: &mut Vec<FieldError>,
) -> Option<Secret> {
    match (webhook_url, given) {
        (None, _) => None,
        (Some(_), Some(secret)) => {
            let text = secret.expose();
            let length = text.chars().count();
            if !(16..=200).contains(&length) || text.chars().any(char::is_control) {
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
    }
}

/// The country to keep: the one given (if this service knows its numbers),
/// none (null), or the stored one when left out.
fn country_of(
    given: Member<String>,
    current: &FollowupSettings,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    match given {
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
    }
}
