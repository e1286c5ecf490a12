//! The JSON API under `/api/v1`: one file per resource, each handler
//! readable top to bottom.

pub(crate) mod alerts;
pub(crate) mod audit;
pub(crate) mod clients;
pub(crate) mod clinic;
pub(crate) mod course;
pub(crate) mod followup;
pub(crate) mod links;
pub(crate) mod practitioners;
pub(crate) mod records;
pub(crate) mod tokens;
pub(crate) mod treatments;
pub(crate) mod triage;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::routes::{Access, RouteTable};

/// Every `/api/v1` route but the OpenAPI document, added to `table`.
pub(crate) fn routes(table: RouteTable) -> RouteTable {
    care_routes(clinic_routes(table))
}

/// Triage, the clinic, its team and its clients.
fn clinic_routes(table: RouteTable) -> RouteTable {
    table
        .post("/api/v1/triage", Access::Clinic, triage::triage)
        .get("/api/v1/clinic", Access::Clinic, clinic::get_clinic)
        .get(
            "/api/v1/practitioners",
            Access::Clinic,
            practitioners::list_practitioners,
        )
        .post(
            "/api/v1/practitioners",
            Access::Clinic,
            practitioners::create_practitioner,
        )
        .get(
            "/api/v1/practitioners/{id}",
            Access::Clinic,
            practitioners::get_practitioner,
        )
        .post(
            "/api/v1/practitioners/{id}/deactivate",
            Access::Clinic,
            practitioners::deactivate_practitioner,
        )
        .post(
            "/api/v1/practitioners/{id}/reactivate",
            Access::Clinic,
            practitioners::reactivate_practitioner,
        )
        .post(
            "/api/v1/practitioners/{id}/reset-link",
            Access::Clinic,
            practitioners::create_reset_link,
        )
        .post(
            "/api/v1/practitioners/{id}/ownership",
            Access::Clinic,
            practitioners::transfer_ownership,
        )
        .post(
            "/api/v1/practitioners/{id}/password",
            Access::Clinic,
            practitioners::change_password,
        )
        .get("/api/v1/tokens", Access::Clinic, tokens::list_tokens)
        .post("/api/v1/tokens", Access::Clinic, tokens::create_token)
        .delete("/api/v1/tokens/{id}", Access::Clinic, tokens::revoke_token)
        .get("/api/v1/clients", Access::Clinic, clients::list_clients)
        .post("/api/v1/clients", Access::Clinic, clients::create_client)
        .get("/api/v1/clients/{id}", Access::Clinic, clients::get_client)
        .patch(
            "/api/v1/clients/{id}",
            Access::Clinic,
            records::update_client,
        )
        .delete(
            "/api/v1/clients/{id}",
            Access::Clinic,
            records::erase_client,
        )
        .get(
            "/api/v1/clients/{id}/export",
            Access::Clinic,
            records::export_client,
        )
        .get(
            "/api/v1/treatments",
            Access::Clinic,
            treatments::list_treatments,
        )
}

/// Treatments, client links, follow-up, alerts and records.
fn care_routes(table: RouteTable) -> RouteTable {
    table
        .post(
            "/api/v1/treatments",
            Access::Clinic,
            treatments::create_treatment,
        )
        .get(
            "/api/v1/treatments/{id}",
            Access::Clinic,
            treatments::get_treatment,
        )
        .patch(
            "/api/v1/treatments/{id}",
            Access::Clinic,
            records::correct_treatment,
        )
        .get(
            "/api/v1/treatments/{id}/course",
            Access::Clinic,
            treatments::get_course,
        )
        .post(
            "/api/v1/treatments/{id}/link",
            Access::Clinic,
            treatments::renew_link,
        )
        .post(
            "/api/v1/treatments/{id}/link/email",
            Access::Clinic,
            treatments::email_link,
        )
        .post(
            "/api/v1/treatments/{id}/link/sms",
            Access::Clinic,
            treatments::text_link,
        )
        .get(
            "/api/v1/links/{token}/course",
            Access::ClientLink,
            links::get_link_course,
        )
        .post(
            "/api/v1/links/{token}/checkins",
            Access::ClientLink,
            links::submit_checkin,
        )
        .get("/api/v1/alerts", Access::Clinic, alerts::list_alerts)
        .post(
            "/api/v1/alerts/{id}/acknowledge",
            Access::Clinic,
            alerts::acknowledge_alert,
        )
        .get("/api/v1/audit", Access::Clinic, audit::list_audit)
        .get(
            "/api/v1/followup/settings",
            Access::Clinic,
            followup::get_settings,
        )
        .put(
            "/api/v1/followup/settings",
            Access::Clinic,
            followup::put_settings,
        )
        .get(
            "/api/v1/treatments/{id}/followup",
            Access::Clinic,
            followup::get_followup,
        )
        .put(
            "/api/v1/treatments/{id}/followup",
            Access::Clinic,
            followup::put_plan,
        )
        .post(
            "/api/v1/treatments/{id}/followup/close",
            Access::Clinic,
            followup::close_followup,
        )
        .get(
            "/api/v1/deliveries",
            Access::Clinic,
            followup::list_deliveries,
        )
        .get("/api/v1/retention", Access::Clinic, records::get_retention)
        .put("/api/v1/retention", Access::Clinic, records::put_retention)
}

/// JSON text made elsewhere (the engine's decision), sent as it is.
pub(crate) fn raw_json(status: StatusCode, json: String) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        json,
    )
        .into_response()
}

/// A 201 answer with the new resource and where it lives.
pub(crate) fn created<T: serde::Serialize>(location: &str, body: T) -> Response {
    let mut response = (StatusCode::CREATED, axum::Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

impl From<crate::usecases::UseCaseError> for crate::error::ApiError {
    fn from(refused: crate::usecases::UseCaseError) -> Self {
        use crate::error::ApiError;
        use crate::usecases::UseCaseError;
        match refused {
            UseCaseError::Store(error) => error.into(),
            UseCaseError::NotFound(what) => ApiError::not_found(what),
            UseCaseError::Invalid { path, expected } => ApiError::invalid(path, expected),
            UseCaseError::LinkLifetimeOver => ApiError::LinkExpired,
            UseCaseError::NoRoute(why) => {
                ApiError::Conflict(format!("no message can carry the link: {why}"))
            }
        }
    }
}
