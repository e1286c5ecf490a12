//! A client's record over time: correcting a client's or a treatment's
//! details (`PATCH`), erasing a client (`DELETE`, owner only), handing a
//! client their record (`GET /clients/{id}/export`), and how long the
//! clinic keeps closed courses (`/retention`). The work is done in
//! [`crate::usecases::records`], shared with the pages and the scheduler.

use aftercare_store::{ClientId, ClientRecord, Erased, RetentionSettings, TreatmentId, Update};
use axum::Json as JsonResponse;
use axum::extract::State;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use crate::api::alerts::AlertView;
use crate::api::clients::ClientView;
use crate::api::course::{CheckinView, DecisionView};
use crate::api::followup::FollowupView;
use crate::api::treatments::TreatmentView;
use crate::auth::{Caller, Owner};
use crate::error::ApiError;
use crate::extract::{Json, PathParam};
use crate::input;
use crate::openapi::format::TreatmentFormat;
use crate::openapi::responses;
use crate::state::AppState;
use crate::time_format::rfc3339;
use crate::usecases::records::{self, ClientEdit, KEEP_DAYS, TreatmentEdit};

/// A member of a JSON object that may be left out, `null`, or a value.
#[derive(Debug, Default)]
pub(crate) enum Member<T> {
    /// Left out: the field keeps its value.
    #[default]
    Absent,
    /// `null`.
    Null,
    /// A value.
    Value(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Member<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(deserializer)
            .map(|value| value.map_or(Member::Null, Member::Value))
    }
}

impl Member<String> {
    /// The update of a field that may be emptied, its value checked.
    fn update(
        self,
        check: impl FnOnce(&str) -> Result<String, ApiError>,
    ) -> Result<Update<String>, ApiError> {
        match self {
            Member::Absent => Ok(Update::Keep),
            Member::Null => Ok(Update::Set(None)),
            Member::Value(value) => check(&value).map(|value| Update::Set(Some(value))),
        }
    }
}

/// New details for a client; a member left out keeps its value.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClientPatch {
    /// Name: one line, 1 to 200 characters.
    #[serde(default)]
    #[schema(
        value_type = String,
        max_length = 200,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    name: Member<String>,
    /// Email for invitations, or `null` to remove it.
    #[serde(default)]
    #[schema(
        value_type = Option<String>,
        max_length = 254,
        pattern = r#"^[^@\s\u0000-\u001F\u007F-\u009F<>,;:"()\[\]\\]+@[^@\s.\u0000-\u001F\u007F-\u009F<>,;:"()\[\]\\]+(\.[^@\s.\u0000-\u001F\u007F-\u009F<>,;:"()\[\]\\]+)+$"#
    )]
    email: Member<String>,
    /// Phone: 3 to 20 digits, with spaces, dashes, dots, brackets and a
    /// leading `+`; or `null` to remove it.
    #[serde(default)]
    #[schema(value_type = Option<String>, max_length = 32, pattern = "^\\+?[ ().-]*([0-9][ ().-]*){6,20}$")]
    phone: Member<String>,
    /// Whether the client agrees to be followed up; agreeing again keeps
    /// the time of the first agreement.
    #[serde(default)]
    follow_up_consent: Option<bool>,
}

impl ClientPatch {
    /// The edit, checked as a new client is, or every field at fault.
    fn into_edit(self) -> Result<ClientEdit, ApiError> {
        let mut errors = Vec::new();
        let mut keep = |result: Result<Update<String>, ApiError>| match result {
            Ok(update) => update,
            Err(ApiError::Invalid(fields)) => {
                errors.extend(fields);
                Update::Keep
            }
            Err(other) => {
                errors.push(crate::error::FieldError::new("", other.to_string()));
                Update::Keep
            }
        };
        // A name cannot be emptied.
        let name_is_null = matches!(self.name, Member::Null);
        let name = match keep(self.name.update(|name| input::line("name", name, 200))) {
            Update::Set(Some(name)) => Some(name),
            _ => None,
        };
        let email = keep(self.email.update(|email| input::email("email", email)));
        let phone = keep(self.phone.update(|phone| input::phone("phone", phone)));
        if name_is_null {
            errors.insert(
                0,
                crate::error::FieldError::new("name", "text of 1 to 200 characters on one line"),
            );
        }
        if !errors.is_empty() {
            return Err(ApiError::Invalid(errors));
        }
        Ok(ClientEdit {
            name,
            email,
            phone,
            follow_up_consent: self.follow_up_consent,
        })
    }
}

/// New details for a treatment; a member left out keeps its value.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TreatmentPatch {
    /// What was done, in the check-in format, whole: the time must not be
    /// in the future nor after the course's first check-in.
    #[serde(default)]
    #[schema(value_type = TreatmentFormat)]
    treatment: Member<aftercare_core::Treatment>,
    /// Private notes, at most 10 000 characters; `null` or blank removes them.
    #[serde(default)]
    #[schema(
        value_type = Option<String>,
        max_length = 10000,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    notes: Member<String>,
}

impl TreatmentPatch {
    /// The edit, checked as a new treatment is.
    fn into_edit(self) -> Result<TreatmentEdit, ApiError> {
        let details = match self.treatment {
            Member::Absent => None,
            Member::Null => {
                return Err(ApiError::invalid(
                    "treatment",
                    "a treatment in the check-in format",
                ));
            }
            Member::Value(details) => Some(details),
        };
        let notes = match self.notes {
            Member::Absent => Update::Keep,
            Member::Null => Update::Set(None),
            Member::Value(notes) => {
                Update::Set(input::optional_text("notes", Some(notes), 10_000)?)
            }
        };
        Ok(TreatmentEdit { details, notes })
    }
}

/// What an erasure removed: counts only.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ErasedView {
    /// Clients.
    clients: u64,
    /// Treatments.
    treatments: u64,
    /// Check-ins.
    checkins: u64,
    /// Decisions.
    decisions: u64,
    /// Alerts.
    alerts: u64,
    /// Follow-up plans.
    plans: u64,
    /// Invitations.
    invitations: u64,
    /// Messages.
    messages: u64,
    /// Lines of the delivery log.
    delivery_log: u64,
    /// Audit events that named an erased record and now name only its kind.
    audit_events_redacted: u64,
}

impl From<Erased> for ErasedView {
    fn from(erased: Erased) -> Self {
        ErasedView {
            clients: erased.clients,
            treatments: erased.treatments,
            checkins: erased.checkins,
            decisions: erased.decisions,
            alerts: erased.alerts,
            plans: erased.plans,
            invitations: erased.invitations,
            messages: erased.messages,
            delivery_log: erased.delivery_log,
            audit_events_redacted: erased.audit_events_redacted,
        }
    }
}

/// One course of a client with everything kept about it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ClientCourseView {
    /// The treatment, with the therapist's notes.
    treatment: TreatmentView,
    /// The check-ins, oldest first.
    checkins: Vec<CheckinView>,
    /// The decisions, oldest first: one per check-in, and one more after
    /// each correction of the treatment.
    decisions: Vec<DecisionView>,
    /// The alerts the course raised.
    alerts: Vec<AlertView>,
    /// Its follow-up: plan, invitations, messages.
    followup: FollowupView,
}

/// Everything the clinic keeps about one client, for them to take away.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ClientRecordView {
    /// When this document was made.
    #[schema(format = DateTime)]
    exported_at: String,
    /// The client.
    client: ClientView,
    /// Their courses, oldest first.
    courses: Vec<ClientCourseView>,
}

impl ClientRecordView {
    /// The view of a record made at `now`.
    pub(crate) fn new(record: ClientRecord, now: aftercare_store::Millis) -> ClientRecordView {
        ClientRecordView {
            exported_at: rfc3339(now),
            client: record.client.into(),
            courses: record
                .courses
                .into_iter()
                .map(|course| ClientCourseView {
                    treatment: course.course.treatment.into(),
                    checkins: course
                        .course
                        .checkins
                        .into_iter()
                        .map(CheckinView::from)
                        .collect(),
                    decisions: course
                        .course
                        .decisions
                        .into_iter()
                        .map(DecisionView::from)
                        .collect(),
                    alerts: course.alerts.into_iter().map(AlertView::from).collect(),
                    followup: course.followup.into(),
                })
                .collect(),
        }
    }
}

/// How long the clinic keeps closed courses.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RetentionView {
    /// Days a course is kept after it closed (its client link expired and
    /// its follow-up ended); then the scheduler erases it, and its client
    /// once they have no course left.
    keep_days: u32,
    /// The period a clinic keeps when it has not set one: eight years,
    /// a margin over the seven years professional bodies and insurers of
    /// therapists commonly ask records of adults to be kept.
    default_keep_days: u32,
}

impl From<RetentionSettings> for RetentionView {
    fn from(settings: RetentionSettings) -> Self {
        RetentionView {
            keep_days: settings.keep_days,
            default_keep_days: aftercare_store::DEFAULT_KEEP_DAYS,
        }
    }
}

/// A new retention period.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RetentionRequest {
    /// Days to keep a closed course: 30 to 36500.
    #[schema(minimum = 30, maximum = 36500)]
    keep_days: u32,
}

/// Corrects a client's details.
///
/// Each value is checked as when the client was added; only fields whose
/// value changes are written, and the audit trail names them (never their
/// values).
#[utoipa::path(
    patch,
    path = "/api/v1/clients/{id}",
    tag = "clients",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Client id.")),
    request_body(content = ClientPatch, content_type = "application/json"),
    responses(
        (status = 200, description = "The client as corrected.", body = ClientView),
        (status = 400, response = responses::BadRequest),
        (status = 401, response = responses::Unauthorized),
        (status = 404, response = responses::NotFound),
        (status = 413, response = responses::PayloadTooLarge),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::Unprocessable),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn update_client(
    State(state): State<AppState>,
    caller: Caller,
    id: PathParam,
    Json(patch): Json<ClientPatch>,
) -> Result<JsonResponse<ClientView>, ApiError> {
    let id = id.id(ClientId::parse, "client")?;
    let edit = patch.into_edit()?;
    let client = records::correct_client(&state, &caller.0, &id, edit).await?;
    Ok(JsonResponse(client.into()))
}

/// Erases a client and everything about them (owner only).
///
/// In one transaction: the client, their treatments, check-ins, decisions,
/// alerts, follow-up plans, invitations, messages, delivery-log lines and
/// the hashes of their links. The audit trail keeps that an erasure
/// happened, by whom and when; events that named the erased records name
/// only their kind. Answers with counts only.
#[utoipa::path(
    delete,
    path = "/api/v1/clients/{id}",
    tag = "clients",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Client id.")),
    responses(
        (status = 200, description = "What was erased, counted.", body = ErasedView),
        (status = 401, response = responses::Unauthorized),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 422, response = responses::Unprocessable),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn erase_client(
    State(state): State<AppState>,
    Owner(caller): Owner,
    id: PathParam,
) -> Result<JsonResponse<ErasedView>, ApiError> {
    let id = id.id(ClientId::parse, "client")?;
    let erased = records::erase_client(&state, &caller.0, &id).await?;
    Ok(JsonResponse(erased.into()))
}

/// Everything the clinic keeps about one client, as one document for
/// them (a subject access request); the read is recorded in the audit
/// trail.
#[utoipa::path(
    get,
    path = "/api/v1/clients/{id}/export",
    tag = "clients",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Client id.")),
    responses(
        (status = 200, description = "The client's record.", body = ClientRecordView),
        (status = 401, response = responses::Unauthorized),
        (status = 404, response = responses::NotFound),
        (status = 422, response = responses::Unprocessable),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn export_client(
    State(state): State<AppState>,
    caller: Caller,
    id: PathParam,
) -> Result<JsonResponse<ClientRecordView>, ApiError> {
    let id = id.id(ClientId::parse, "client")?;
    let record = records::client_record(&state, &caller.0, &id).await?;
    Ok(JsonResponse(ClientRecordView::new(record, state.now())))
}

/// Corrects a treatment: what was done (time, modality, pressure,
/// length, regions) and the private notes.
///
/// The treatment is checked as when it was recorded; its time must not
/// be after the course's first check-in. When what was done changes and
/// the course has check-ins, the course is triaged again with the current
/// guideline: a new decision answers the latest check-in, earlier
/// decisions stay as they were, and the therapist is alerted when the new
/// answer needs them more than the last one did. The audit trail names
/// the fields that changed, never their values.
#[utoipa::path(
    patch,
    path = "/api/v1/treatments/{id}",
    tag = "treatments",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Treatment id.")),
    request_body(content = TreatmentPatch, content_type = "application/json"),
    responses(
        (status = 200, description = "The treatment as corrected.", body = TreatmentView),
        (status = 400, response = responses::BadRequest),
        (status = 401, response = responses::Unauthorized),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
        (status = 413, response = responses::PayloadTooLarge),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::Unprocessable),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn correct_treatment(
    State(state): State<AppState>,
    caller: Caller,
    id: PathParam,
    Json(patch): Json<TreatmentPatch>,
) -> Result<JsonResponse<TreatmentView>, ApiError> {
    let id = id.id(TreatmentId::parse, "treatment")?;
    let edit = patch.into_edit()?;
    let treatment = records::correct_treatment(&state, &caller.0, &id, edit).await?;
    Ok(JsonResponse(treatment.into()))
}

/// How long the clinic keeps closed courses.
#[utoipa::path(
    get,
    path = "/api/v1/retention",
    tag = "clinic",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The retention period.", body = RetentionView),
        (status = 401, response = responses::Unauthorized),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn get_retention(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<JsonResponse<RetentionView>, ApiError> {
    let settings = state.store.retention_settings(&caller.0.clinic_id).await?;
    Ok(JsonResponse(settings.into()))
}

/// Sets how long the clinic keeps closed courses (owner only).
///
/// A course closes when its client's link has expired and its follow-up
/// has ended; this many days later the scheduler erases it, as an
/// erasure of its client would, and the client once they have no course
/// left.
#[utoipa::path(
    put,
    path = "/api/v1/retention",
    tag = "clinic",
    security(("bearer" = [])),
    request_body = RetentionRequest,
    responses(
        (status = 200, description = "The retention period now.", body = RetentionView),
        (status = 400, response = responses::BadRequest),
        (status = 401, response = responses::Unauthorized),
        (status = 403, response = responses::Forbidden),
        (status = 413, response = responses::PayloadTooLarge),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::Unprocessable),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn put_retention(
    State(state): State<AppState>,
    Owner(caller): Owner,
    Json(request): Json<RetentionRequest>,
) -> Result<JsonResponse<RetentionView>, ApiError> {
    if !KEEP_DAYS.contains(&request.keep_days) {
        return Err(ApiError::invalid(
            "keep_days",
            format!(
                "a whole number of days from {} to {}",
                KEEP_DAYS.start(),
                KEEP_DAYS.end()
            ),
        ));
    }
    let settings = RetentionSettings {
        keep_days: request.keep_days,
    };
    records::set_retention(&state, &caller.0, settings).await?;
    Ok(JsonResponse(settings.into()))
}
