//! `/api/v1/treatments`: treatments given, each with the private link its
//! client follows up through.

use aftercare_store::{ClientId, PractitionerId, Treatment, TreatmentId};
use axum::Json as JsonResponse;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::course::CourseView;
use crate::api::created;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, PathParam, QueryParams};
use crate::input;
use crate::openapi::format::TreatmentFormat;
use crate::openapi::responses;
use crate::pagination::{Page, PageParams};
use crate::state::AppState;
use crate::time_format::rfc3339;
use crate::usecases::UseCaseError;
use crate::usecases::links::{self, Handover};
use crate::usecases::treatments::{TreatmentToRecord, record_treatment};

/// The prefix of client link secrets (its home is the links use case).
pub(crate) use crate::usecases::links::LINK_PREFIX;

/// A treatment.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TreatmentView {
    /// Id.
    id: String,
    /// The client treated.
    client_id: String,
    /// Who treated.
    practitioner_id: String,
    /// What was done, in the check-in format.
    #[schema(value_type = TreatmentFormat)]
    treatment: aftercare_core::Treatment,
    /// The therapist's private notes; never shown to the client.
    notes: Option<String>,
    /// When the client's link stops working.
    #[schema(format = DateTime)]
    link_expires_at: String,
    /// When it was recorded.
    #[schema(format = DateTime)]
    created_at: String,
}

impl From<Treatment> for TreatmentView {
    fn from(treatment: Treatment) -> Self {
        TreatmentView {
            id: treatment.id.to_string(),
            client_id: treatment.client_id.to_string(),
            practitioner_id: treatment.practitioner_id.to_string(),
            treatment: treatment.details,
            notes: treatment.notes,
            link_expires_at: rfc3339(treatment.link_expires_at),
            created_at: rfc3339(treatment.created_at),
        }
    }
}

/// The client's private link, shown once: only its hash is kept.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct LinkView {
    /// The secret; it is the client's only credential.
    token: String,
    /// The address to give the client.
    url: String,
    /// When it stops working.
    #[schema(format = DateTime)]
    expires_at: String,
}

/// A treatment just recorded, with its client link.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CreatedTreatment {
    /// The treatment.
    #[serde(flatten)]
    treatment: TreatmentView,
    /// The client's link.
    link: LinkView,
}

/// A new treatment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewTreatmentRequest {
    /// The client, of the caller's clinic.
    client_id: String,
    /// Who treated, of the caller's clinic; the caller by default.
    #[serde(default)]
    practitioner_id: Option<String>,
    /// What was done, in the check-in format.
    #[schema(value_type = TreatmentFormat)]
    treatment: aftercare_core::Treatment,
    /// Private notes, at most 10 000 characters; blank counts as none.
    #[serde(default)]
    #[schema(
        max_length = 10000,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    notes: Option<String>,
}

/// Which treatments to list.
#[derive(Debug, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct TreatmentFilter {
    /// Only this client's treatments.
    client_id: Option<String>,
}

/// Records a treatment and makes the client's private link.
///
/// The link works until the treatment time plus the configured lifetime
/// (30 days by default); its secret is in the answer and nowhere else.
#[utoipa::path(
    post,
    path = "/api/v1/treatments",
    tag = "treatments",
    security(("bearer" = [])),
    request_body = NewTreatmentRequest,
    responses(
        (status = 201, description = "The treatment and its client link.", body = CreatedTreatment),
        (status = 400, response = responses::BadRequest),
        (status = 401, response = responses::Unauthorized),
        (status = 404, response = responses::NotFound),
        (status = 413, response = responses::PayloadTooLarge),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::Unprocessable),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn create_treatment(
    State(state): State<AppState>,
    caller: Caller,
    Json(new): Json<NewTreatmentRequest>,
) -> Result<Response, ApiError> {
    let client_id = ClientId::parse(&new.client_id).ok_or(ApiError::NotFound {
        what: "client",
        path: Some("client_id".to_owned()),
    })?;
    let practitioner_id = match &new.practitioner_id {
        None => caller.0.practitioner_id.clone(),
        Some(text) => PractitionerId::parse(text).ok_or(ApiError::NotFound {
            what: "practitioner",
            path: Some("practitioner_id".to_owned()),
        })?,
    };
    let notes = input::optional_text("notes", new.notes, 10_000)?;
    let to_record = TreatmentToRecord {
        client_id,
        practitioner_id,
        details: new.treatment,
        notes,
    };
    let recorded = record_treatment(&state, &caller.0, to_record)
        .await
        .map_err(|refused| match refused {
            // Name the field that held the id that was not found.
            UseCaseError::Store(aftercare_store::StoreError::NotFound(
                what @ ("client" | "practitioner"),
            )) => ApiError::NotFound {
                what,
                path: Some(format!("{what}_id")),
            },
            other => other.into(),
        })?;
    let location = format!("/api/v1/treatments/{}", recorded.treatment.id);
    let link = LinkView {
        url: state.settings.client_link_url(recorded.link.expose()),
        token: recorded.link.expose().to_owned(),
        expires_at: rfc3339(recorded.treatment.link_expires_at),
    };
    Ok(created(
        &location,
        CreatedTreatment {
            treatment: recorded.treatment.into(),
            link,
        },
    ))
}

/// The clinic's treatments, oldest first, optionally of one client.
#[utoipa::path(
    get,
    path = "/api/v1/treatments",
    tag = "treatments",
    security(("bearer" = [])),
    params(TreatmentFilter, PageParams),
    responses(
        (status = 200, description = "A page of treatments.", body = Page<TreatmentView>),
        (status = 401, response = responses::Unauthorized),
        (status = 404, response = responses::NotFound),
        (status = 422, response = responses::Unprocessable),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn list_treatments(
    State(state): State<AppState>,
    caller: Caller,
    mut query: QueryParams,
) -> Result<JsonResponse<Page<TreatmentView>>, ApiError> {
    let filter = TreatmentFilter {
        client_id: query.take("client_id")?,
    };
    let page = PageParams::take(&mut query)?;
    query.finish(&["client_id", "limit", "after"])?;
    let clinic = &caller.0.clinic_id;
    let client_id = match &filter.client_id {
        None => None,
        Some(text) => {
            let not_found = || ApiError::NotFound {
                what: "client",
                path: Some("client_id".to_owned()),
            };
            let id = ClientId::parse(text).ok_or_else(not_found)?;
            // An unknown client is "not found", not an empty list, so a
            // typo is noticed; other clinics' clients are unknown here.
            state
                .store
                .client(clinic, &id)
                .await
                .map_err(|error| match error {
                    aftercare_store::StoreError::NotFound(_) => not_found(),
                    other => other.into(),
                })?;
            Some(id)
        }
    };
    let found = state
        .store
        .list_treatments(clinic, client_id.as_ref(), &page)
        .await?;
    Ok(JsonResponse(Page::of(found, TreatmentView::from)))
}

/// One treatment of the clinic.
#[utoipa::path(
    get,
    path = "/api/v1/treatments/{id}",
    tag = "treatments",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Treatment id.")),
    responses(
        (status = 200, description = "The treatment.", body = TreatmentView),
        (status = 401, response = responses::Unauthorized),
        (status = 404, response = responses::NotFound),
        (status = 422, response = responses::Unprocessable),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn get_treatment(
    State(state): State<AppState>,
    caller: Caller,
    id: PathParam,
) -> Result<JsonResponse<TreatmentView>, ApiError> {
    let id = id.id(TreatmentId::parse, "treatment")?;
    let treatment = state.store.treatment(&caller.0.clinic_id, &id).await?;
    Ok(JsonResponse(treatment.into()))
}

/// A treatment with its check-ins and decisions; the read is recorded in
/// the audit trail.
#[utoipa::path(
    get,
    path = "/api/v1/treatments/{id}/course",
    tag = "treatments",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Treatment id.")),
    responses(
        (status = 200, description = "The course.", body = CourseView),
        (status = 401, response = responses::Unauthorized),
        (status = 404, response = responses::NotFound),
        (status = 422, response = responses::Unprocessable),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn get_course(
    State(state): State<AppState>,
    caller: Caller,
    id: PathParam,
) -> Result<JsonResponse<CourseView>, ApiError> {
    let id = id.id(TreatmentId::parse, "treatment")?;
    let record = state
        .store
        .course(&caller.0.clinic_id, &id, &caller.actor(), state.now())
        .await?;
    Ok(JsonResponse(record.into()))
}

/// A new client link sent to the client: how, and until when it works.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SentLinkView {
    /// `email`, or `sms` (a text message through the clinic's webhook).
    sent_by: String,
    /// When the new link stops working (the old one already has).
    #[schema(format = DateTime)]
    expires_at: String,
}

/// Makes the treatment's client link anew; the old link stops working at
/// once. The new link keeps the old one's expiry and is in the answer and
/// nowhere else.
#[utoipa::path(
    post,
    path = "/api/v1/treatments/{id}/link",
    tag = "treatments",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Treatment id.")),
    responses(
        (status = 201, description = "The new link.", body = LinkView),
        (status = 401, response = responses::Unauthorized),
        (status = 404, response = responses::NotFound),
        (status = 410, response = responses::Gone),
        (status = 422, response = responses::Unprocessable),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn renew_link(
    State(state): State<AppState>,
    caller: Caller,
    id: PathParam,
) -> Result<Response, ApiError> {
    let id = id.id(TreatmentId::parse, "treatment")?;
    let made = links::renew_link(&state, &caller.0, &id, Handover::Shown).await?;
    let link = LinkView {
        url: state.settings.client_link_url(made.secret.expose()),
        token: made.secret.expose().to_owned(),
        expires_at: rfc3339(made.expires_at),
    };
    Ok(created(&format!("/api/v1/treatments/{id}"), link))
}

/// Sends the client a new link by email (the old link stops working at
/// once). The email is queued and sent by the scheduler; 409 when no
/// email can go (no SMTP server, no address, or no consent to follow-up).
#[utoipa::path(
    post,
    path = "/api/v1/treatments/{id}/link/email",
    tag = "treatments",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Treatment id.")),
    responses(
        (status = 202, description = "Queued.", body = SentLinkView),
        (status = 401, response = responses::Unauthorized),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
        (status = 410, response = responses::Gone),
        (status = 422, response = responses::Unprocessable),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn email_link(
    State(state): State<AppState>,
    caller: Caller,
    id: PathParam,
) -> Result<Response, ApiError> {
    send_link(&state, &caller, id, Handover::Email).await
}

/// Sends the client a new link by text message through the clinic's
/// webhook (event kind `link.sms`, with the phone number in `to`); the old
/// link stops working at once. 409 when no text message can go (no
/// webhook, no phone number, or no consent to follow-up).
#[utoipa::path(
    post,
    path = "/api/v1/treatments/{id}/link/sms",
    tag = "treatments",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Treatment id.")),
    responses(
        (status = 202, description = "Queued.", body = SentLinkView),
        (status = 401, response = responses::Unauthorized),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
        (status = 410, response = responses::Gone),
        (status = 422, response = responses::Unprocessable),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn text_link(
    State(state): State<AppState>,
    caller: Caller,
    id: PathParam,
) -> Result<Response, ApiError> {
    send_link(&state, &caller, id, Handover::TextMessage).await
}

/// A new link, queued for the client by `handover`.
async fn send_link(
    state: &AppState,
    caller: &Caller,
    id: PathParam,
    handover: Handover,
) -> Result<Response, ApiError> {
    let id = id.id(TreatmentId::parse, "treatment")?;
    let made = links::renew_link(state, &caller.0, &id, handover).await?;
    let view = SentLinkView {
        sent_by: handover.as_str().to_owned(),
        expires_at: rfc3339(made.expires_at),
    };
    Ok((axum::http::StatusCode::ACCEPTED, JsonResponse(view)).into_response())
}
