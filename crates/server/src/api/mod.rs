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
pub(crate) mod tokens;
pub(crate) mod treatments;
pub(crate) mod triage;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};

use crate::state::AppState;

/// Every `/api/v1` route but the OpenAPI document.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/triage", post(triage::triage))
        .route("/api/v1/clinic", get(clinic::get_clinic))
        .route(
            "/api/v1/practitioners",
            get(practitioners::list_practitioners).post(practitioners::create_practitioner),
        )
        .route(
            "/api/v1/practitioners/{id}",
            get(practitioners::get_practitioner),
        )
        .route(
            "/api/v1/tokens",
            get(tokens::list_tokens).post(tokens::create_token),
        )
        .route("/api/v1/tokens/{id}", delete(tokens::revoke_token))
        .route(
            "/api/v1/clients",
            get(clients::list_clients).post(clients::create_client),
        )
        .route("/api/v1/clients/{id}", get(clients::get_client))
        .route(
            "/api/v1/treatments",
            get(treatments::list_treatments).post(treatments::create_treatment),
        )
        .route("/api/v1/treatments/{id}", get(treatments::get_treatment))
        .route(
            "/api/v1/treatments/{id}/course",
            get(treatments::get_course),
        )
        .route("/api/v1/links/{token}/course", get(links::get_link_course))
        .route(
            "/api/v1/links/{token}/checkins",
            post(links::submit_checkin),
        )
        .route("/api/v1/alerts", get(alerts::list_alerts))
        .route(
            "/api/v1/alerts/{id}/acknowledge",
            post(alerts::acknowledge_alert),
        )
        .route("/api/v1/audit", get(audit::list_audit))
        .route(
            "/api/v1/followup/settings",
            get(followup::get_settings).put(followup::put_settings),
        )
        .route(
            "/api/v1/treatments/{id}/followup",
            get(followup::get_followup).put(followup::put_plan),
        )
        .route(
            "/api/v1/treatments/{id}/followup/close",
            post(followup::close_followup),
        )
        .route("/api/v1/deliveries", get(followup::list_deliveries))
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
