//! `GET /api/v1/clinic`: the caller's clinic.

use aftercare_store::Clinic;
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::openapi::responses;
use crate::state::AppState;
use crate::time_format::rfc3339;

/// A clinic.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ClinicView {
    /// Id.
    id: String,
    /// Name.
    name: String,
    /// When it was created.
    #[schema(format = DateTime)]
    created_at: String,
}

impl From<Clinic> for ClinicView {
    fn from(clinic: Clinic) -> Self {
        ClinicView {
            id: clinic.id.to_string(),
            name: clinic.name,
            created_at: rfc3339(clinic.created_at),
        }
    }
}

/// The caller's clinic.
#[utoipa::path(
    get,
    path = "/api/v1/clinic",
    tag = "clinic",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The clinic.", body = ClinicView),
        (status = 401, response = responses::Unauthorized),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn get_clinic(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<ClinicView>, ApiError> {
    let clinic = state.store.clinic(&caller.0.clinic_id).await?;
    Ok(Json(clinic.into()))
}
