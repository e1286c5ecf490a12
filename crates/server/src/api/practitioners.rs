//! `/api/v1/practitioners`: the clinic's accounts. Everyone in the clinic
//! can see them; only the owner adds them.

use aftercare_store::{Practitioner, PractitionerId, Role};
use axum::Json as JsonResponse;
use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::created;
use crate::auth::{Caller, Owner};
use crate::error::ApiError;
use crate::extract::{Json, PathParam, QueryParams};
use crate::input;
use crate::openapi::responses;
use crate::pagination::{Page, PageParams};
use crate::state::AppState;
use crate::time_format::rfc3339;

/// What a practitioner may do in their clinic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RoleName {
    /// Runs the clinic: adds practitioners, reads the audit trail.
    Owner,
    /// Treats clients.
    Therapist,
}

impl From<Role> for RoleName {
    fn from(role: Role) -> Self {
        match role {
            Role::Owner => RoleName::Owner,
            Role::Therapist => RoleName::Therapist,
        }
    }
}

impl From<RoleName> for Role {
    fn from(role: RoleName) -> Self {
        match role {
            RoleName::Owner => Role::Owner,
            RoleName::Therapist => Role::Therapist,
        }
    }
}

/// A practitioner account.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PractitionerView {
    /// Id.
    id: String,
    /// Email, unique across the installation.
    email: String,
    /// Display name.
    name: String,
    /// Role.
    role: RoleName,
    /// When the account was created.
    #[schema(format = DateTime)]
    created_at: String,
}

impl From<Practitioner> for PractitionerView {
    fn from(practitioner: Practitioner) -> Self {
        PractitionerView {
            id: practitioner.id.to_string(),
            email: practitioner.email,
            name: practitioner.name,
            role: practitioner.role.into(),
            created_at: rfc3339(practitioner.created_at),
        }
    }
}

/// A new practitioner. The patterns say what `input.rs` checks.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewPractitioner {
    /// Email; stored in lower case.
    #[schema(
        max_length = 254,
        pattern = "^[^@\\s\\u0000-\\u001F\\u007F-\\u009F]+@[^@\\s.\\u0000-\\u001F\\u007F-\\u009F][^@\\s\\u0000-\\u001F\\u007F-\\u009F]*\\.[^@\\s\\u0000-\\u001F\\u007F-\\u009F]*[^@\\s.\\u0000-\\u001F\\u007F-\\u009F]$"
    )]
    email: String,
    /// Display name: one line, 1 to 200 characters.
    #[schema(
        max_length = 200,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    name: String,
    /// Role.
    role: RoleName,
}

/// The clinic's practitioners, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/practitioners",
    tag = "practitioners",
    security(("bearer" = [])),
    params(PageParams),
    responses(
        (status = 200, description = "A page of practitioners.", body = Page<PractitionerView>),
        (status = 401, response = responses::Unauthorized),
        (status = 422, response = responses::Unprocessable),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn list_practitioners(
    State(state): State<AppState>,
    caller: Caller,
    mut query: QueryParams,
) -> Result<JsonResponse<Page<PractitionerView>>, ApiError> {
    let page = PageParams::take(&mut query)?;
    query.finish(&PageParams::NAMES)?;
    let found = state
        .store
        .list_practitioners(&caller.0.clinic_id, &page)
        .await?;
    Ok(JsonResponse(Page::of(found, PractitionerView::from)))
}

/// Adds a practitioner to the clinic (owner only).
#[utoipa::path(
    post,
    path = "/api/v1/practitioners",
    tag = "practitioners",
    security(("bearer" = [])),
    request_body = NewPractitioner,
    responses(
        (status = 201, description = "The new practitioner.", body = PractitionerView),
        (status = 400, response = responses::BadRequest),
        (status = 401, response = responses::Unauthorized),
        (status = 403, response = responses::Forbidden),
        (status = 409, response = responses::Conflict),
        (status = 413, response = responses::PayloadTooLarge),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::Unprocessable),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn create_practitioner(
    State(state): State<AppState>,
    Owner(caller): Owner,
    Json(new): Json<NewPractitioner>,
) -> Result<Response, ApiError> {
    let email = input::email("email", &new.email)?;
    let name = input::line("name", &new.name, 200)?;
    let practitioner = state
        .store
        .create_practitioner(
            &caller.0.clinic_id,
            &caller.actor(),
            &email,
            &name,
            new.role.into(),
            state.now(),
        )
        .await?;
    let location = format!("/api/v1/practitioners/{}", practitioner.id);
    Ok(created(&location, PractitionerView::from(practitioner)))
}

/// One practitioner of the clinic.
#[utoipa::path(
    get,
    path = "/api/v1/practitioners/{id}",
    tag = "practitioners",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Practitioner id.")),
    responses(
        (status = 200, description = "The practitioner.", body = PractitionerView),
        (status = 401, response = responses::Unauthorized),
        (status = 404, response = responses::NotFound),
        (status = 422, response = responses::Unprocessable),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn get_practitioner(
    State(state): State<AppState>,
    caller: Caller,
    id: PathParam,
) -> Result<JsonResponse<PractitionerView>, ApiError> {
    let id = id.id(PractitionerId::parse, "practitioner")?;
    let practitioner = state.store.practitioner(&caller.0.clinic_id, &id).await?;
    Ok(JsonResponse(practitioner.into()))
}
