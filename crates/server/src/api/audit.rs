//! `GET /api/v1/audit`: who did and read what, for the clinic's owner.

use aftercare_store::AuditEvent;
use axum::Json as JsonResponse;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Owner;
use crate::error::ApiError;
use crate::extract::QueryParams;
use crate::openapi::responses;
use crate::pagination::{Page, PageParams};
use crate::state::AppState;
use crate::time_format::rfc3339;

/// One line of the audit trail.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AuditView {
    /// Id.
    id: String,
    /// Who: `practitioner:<id>`, `client_link:<treatment id>` or `system`.
    actor: String,
    /// What, e.g. `checkin.create`, `course.read`.
    action: String,
    /// On what, e.g. `treatment:<id>`.
    subject: String,
    /// When.
    #[schema(format = DateTime)]
    at: String,
    /// For a change, the names of the fields it touched (never their values).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fields: Vec<String>,
}

impl From<AuditEvent> for AuditView {
    fn from(event: AuditEvent) -> Self {
        AuditView {
            id: event.id.to_string(),
            actor: event.actor,
            action: event.action,
            subject: event.subject,
            at: rfc3339(event.at),
            fields: event.fields,
        }
    }
}

/// The clinic's audit trail, oldest first (owner only).
#[utoipa::path(
    get,
    path = "/api/v1/audit",
    tag = "audit",
    security(("bearer" = [])),
    params(PageParams),
    responses(
        (status = 200, description = "A page of audit events.", body = Page<AuditView>),
        (status = 401, response = responses::Unauthorized),
        (status = 403, response = responses::Forbidden),
        (status = 422, response = responses::Unprocessable),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn list_audit(
    State(state): State<AppState>,
    Owner(caller): Owner,
    mut query: QueryParams,
) -> Result<JsonResponse<Page<AuditView>>, ApiError> {
    let page = PageParams::take(&mut query)?;
    query.finish(&PageParams::NAMES)?;
    let found = state.store.list_audit(&caller.0.clinic_id, &page).await?;
    Ok(JsonResponse(Page::of(found, AuditView::from)))
}
