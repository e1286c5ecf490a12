//! `/api/v1/practitioners`: the clinic's accounts. Everyone in the clinic
//! can see them; only the owner adds them, deactivates and reactivates a
//! therapist, makes a password reset link for one, and hands the clinic to
//! another owner. A practitioner changes their own password here too.
//!
//! An account made here has no password: the owner makes a reset link and
//! passes it on, and the person chooses their own password with it.

use aftercare_store::{Practitioner, PractitionerId, Role};
use axum::Json as JsonResponse;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
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
    /// Whether the account can sign in; a deactivated one cannot, and its
    /// sessions and tokens ended when it was deactivated.
    active: bool,
    /// Whether the practitioner must replace a first password the owner
    /// chose before their sessions and tokens open anything.
    must_change_password: bool,
}

impl From<Practitioner> for PractitionerView {
    fn from(practitioner: Practitioner) -> Self {
        PractitionerView {
            id: practitioner.id.to_string(),
            email: practitioner.email,
            name: practitioner.name,
            role: practitioner.role.into(),
            created_at: rfc3339(practitioner.created_at),
            active: practitioner.deactivated_at.is_none(),
            must_change_password: practitioner.must_change_password,
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
        pattern = r#"^[^@\s\u0000-\u001F\u007F-\u009F<>,;:"()\[\]\\]+@[^@\s.\u0000-\u001F\u007F-\u009F<>,;:"()\[\]\\]+(\.[^@\s.\u0000-\u001F\u007F-\u009F<>,;:"()\[\]\\]+)+$"#
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

/// The address a request came from, for the limits on password attempts.
pub(crate) struct Peer(Option<std::net::IpAddr>);

impl FromRequestParts<AppState> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Peer(crate::auth::client_address(parts, state)))
    }
}

/// Checks the caller's own password, counted by the sign-in limits.
async fn check_password(
    state: &AppState,
    caller: &Caller,
    password: &str,
    peer: &Peer,
    path: &str,
) -> Result<(), ApiError> {
    let right = crate::web::check_current_password(state, &caller.0, password, peer.0)
        .await
        .map_err(|refused| match refused {
            crate::throttle::Refused::Wait(retry_after_secs) => {
                ApiError::TooManyAttempts { retry_after_secs }
            }
            crate::throttle::Refused::Store(error) => error.into(),
        })?;
    if right {
        Ok(())
    } else {
        Err(ApiError::invalid(path, "your current password"))
    }
}

/// Deactivates a therapist of the clinic (owner only): their sessions end
/// and their API tokens are revoked at once; they cannot sign in until
/// reactivated. Their clients, treatments and alerts stay with the clinic.
#[utoipa::path(
    post,
    path = "/api/v1/practitioners/{id}/deactivate",
    tag = "practitioners",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Practitioner id.")),
    responses(
        (status = 200, description = "The deactivated practitioner.", body = PractitionerView),
        (status = 401, response = responses::Unauthorized),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
        (status = 422, response = responses::Unprocessable),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn deactivate_practitioner(
    State(state): State<AppState>,
    Owner(caller): Owner,
    id: PathParam,
) -> Result<JsonResponse<PractitionerView>, ApiError> {
    set_active(&state, &caller, id, false).await
}

/// Reactivates a therapist of the clinic (owner only): they can sign in
/// again; their old API tokens stay revoked.
#[utoipa::path(
    post,
    path = "/api/v1/practitioners/{id}/reactivate",
    tag = "practitioners",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Practitioner id.")),
    responses(
        (status = 200, description = "The reactivated practitioner.", body = PractitionerView),
        (status = 401, response = responses::Unauthorized),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
        (status = 422, response = responses::Unprocessable),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn reactivate_practitioner(
    State(state): State<AppState>,
    Owner(caller): Owner,
    id: PathParam,
) -> Result<JsonResponse<PractitionerView>, ApiError> {
    set_active(&state, &caller, id, true).await
}

async fn set_active(
    state: &AppState,
    caller: &Caller,
    id: PathParam,
    active: bool,
) -> Result<JsonResponse<PractitionerView>, ApiError> {
    let id = id.id(PractitionerId::parse, "practitioner")?;
    let updated = state
        .store
        .set_practitioner_active(
            &caller.0.clinic_id,
            &id,
            active,
            &caller.actor(),
            state.now(),
        )
        .await?;
    Ok(JsonResponse(updated.into()))
}

/// A one-time password reset link, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ResetLink {
    /// The link to pass on to the practitioner: it works once, until
    /// `expires_at` or until a newer link is made or the password changes.
    url: String,
    /// When it stops working.
    #[schema(format = DateTime)]
    expires_at: String,
}

/// Makes a one-time password reset link for an active practitioner of
/// the clinic (owner only); earlier links of theirs stop working.
#[utoipa::path(
    post,
    path = "/api/v1/practitioners/{id}/reset-link",
    tag = "practitioners",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Practitioner id.")),
    responses(
        (status = 201, description = "The link, shown this once.", body = ResetLink),
        (status = 401, response = responses::Unauthorized),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 422, response = responses::Unprocessable),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn create_reset_link(
    State(state): State<AppState>,
    Owner(caller): Owner,
    id: PathParam,
) -> Result<Response, ApiError> {
    let id = id.id(PractitionerId::parse, "practitioner")?;
    let (url, expires_at) =
        crate::web::issue_reset_link(&state, &caller.0.clinic_id, &id, &caller.actor()).await?;
    let body = ResetLink {
        url,
        expires_at: rfc3339(expires_at),
    };
    Ok((StatusCode::CREATED, JsonResponse(body)).into_response())
}

/// Handing the clinic over, confirmed with the owner's password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OwnershipTransfer {
    /// The owner's current password.
    current_password: String,
}

/// Hands the clinic to an active therapist (owner only, with the owner's
/// password): the two swap roles in one transaction. Wrong passwords
/// count towards the sign-in limits of the owner's email.
#[utoipa::path(
    post,
    path = "/api/v1/practitioners/{id}/ownership",
    tag = "practitioners",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The therapist who becomes the owner.")),
    request_body = OwnershipTransfer,
    responses(
        (status = 200, description = "The new owner.", body = PractitionerView),
        (status = 400, response = responses::BadRequest),
        (status = 401, response = responses::Unauthorized),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::Unprocessable),
        (status = 429, description = "Too many wrong passwords; wait `Retry-After` seconds.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn transfer_ownership(
    State(state): State<AppState>,
    Owner(caller): Owner,
    peer: Peer,
    id: PathParam,
    Json(transfer): Json<OwnershipTransfer>,
) -> Result<JsonResponse<PractitionerView>, ApiError> {
    let id = id.id(PractitionerId::parse, "practitioner")?;
    // Unknown ids are refused before a password is checked.
    state.store.practitioner(&caller.0.clinic_id, &id).await?;
    check_password(
        &state,
        &caller,
        &transfer.current_password,
        &peer,
        "current_password",
    )
    .await?;
    state
        .store
        .transfer_ownership(
            &caller.0.clinic_id,
            &caller.0.practitioner_id,
            &id,
            state.now(),
        )
        .await?;
    let owner = state.store.practitioner(&caller.0.clinic_id, &id).await?;
    Ok(JsonResponse(owner.into()))
}

/// A change of one's own password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasswordChange {
    /// The current password.
    current_password: String,
    /// The new one: at least 12 characters, at most 1024 bytes.
    #[schema(min_length = 12)]
    new_password: String,
}

/// Changes the caller's own password (`id` must be the caller's): the
/// current one is required and counted by the sign-in limits; every web
/// session of the account ends. API tokens stay: revoke them separately.
#[utoipa::path(
    post,
    path = "/api/v1/practitioners/{id}/password",
    tag = "practitioners",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The caller's own practitioner id.")),
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed; every web session of the account has ended."),
        (status = 400, response = responses::BadRequest),
        (status = 401, response = responses::Unauthorized),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::Unprocessable),
        (status = 429, description = "Too many wrong passwords; wait `Retry-After` seconds.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    peer: Peer,
    id: PathParam,
    Json(change): Json<PasswordChange>,
) -> Result<Response, ApiError> {
    let id = id.id(PractitionerId::parse, "practitioner")?;
    // Another practitioner's password is theirs alone: the owner makes a
    // reset link instead.
    if id != caller.0.practitioner_id {
        state.store.practitioner(&caller.0.clinic_id, &id).await?;
        return Err(ApiError::Forbidden(
            "Only the practitioner can change their own password; the owner can make a reset link.",
        ));
    }
    if let Some(problem) = crate::web::new_password_problem(&change.new_password) {
        return Err(ApiError::invalid("new_password", problem));
    }
    check_password(
        &state,
        &caller,
        &change.current_password,
        &peer,
        "current_password",
    )
    .await?;
    let hash = crate::web::password_hash_off_thread(&state, change.new_password)
        .await
        .map_err(ApiError::Internal)?;
    state
        .store
        .change_password(&caller.0.clinic_id, &id, &hash, None, state.now())
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
