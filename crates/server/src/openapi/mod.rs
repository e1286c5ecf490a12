//! The OpenAPI 3.1 document, generated from the handlers' annotations and
//! the types they answer with, served at `/api/v1/openapi.json`.

pub(crate) mod format;
pub(crate) mod responses;

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api;

/// The API's OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Aftercare API",
        description = "Follow people up after a massage: clients report symptoms through a private link, \
                       a triage engine decides one of six levels, therapists get alerts. \
                       Decision support, not a diagnosis. Errors are RFC 9457 problem documents."
    ),
    paths(
        api::triage::triage,
        api::clinic::get_clinic,
        api::practitioners::list_practitioners,
        api::practitioners::create_practitioner,
        api::practitioners::get_practitioner,
        api::practitioners::deactivate_practitioner,
        api::practitioners::reactivate_practitioner,
        api::practitioners::create_reset_link,
        api::practitioners::transfer_ownership,
        api::practitioners::change_password,
        api::tokens::create_token,
        api::tokens::list_tokens,
        api::tokens::revoke_token,
        api::clients::list_clients,
        api::clients::create_client,
        api::clients::get_client,
        api::records::update_client,
        api::records::erase_client,
        api::records::export_client,
        api::treatments::create_treatment,
        api::treatments::list_treatments,
        api::treatments::get_treatment,
        api::treatments::get_course,
        api::treatments::renew_link,
        api::treatments::email_link,
        api::treatments::text_link,
        api::records::correct_treatment,
        api::links::get_link_course,
        api::links::submit_checkin,
        api::alerts::list_alerts,
        api::alerts::acknowledge_alert,
        api::audit::list_audit,
        api::followup::get_settings,
        api::followup::put_settings,
        api::followup::get_followup,
        api::followup::put_plan,
        api::followup::close_followup,
        api::followup::list_deliveries,
        api::records::get_retention,
        api::records::put_retention,
        document,
        crate::health::healthz,
        crate::health::readyz,
        crate::metrics::render,
    ),
    components(
        schemas(
            crate::error::Problem,
            crate::error::FieldError,
            format::CourseFormat,
            format::TreatmentFormat,
            format::CheckinFormat,
            format::DecisionFormat,
            format::LevelFormat,
            api::alerts::AlertState,
        ),
        responses(
            responses::BadRequest,
            responses::Unauthorized,
            responses::Forbidden,
            responses::NotFound,
            responses::Conflict,
            responses::Gone,
            responses::PayloadTooLarge,
            responses::UnsupportedMediaType,
            responses::Unprocessable,
            responses::TooManyRequests,
            responses::Unavailable,
        ),
    ),
    modifiers(&BearerToken),
    tags(
        (name = "triage", description = "The triage engine, stateless."),
        (name = "clinic", description = "The caller's clinic."),
        (name = "practitioners", description = "The clinic's accounts."),
        (name = "tokens", description = "API tokens."),
        (name = "clients", description = "The people a clinic treats."),
        (name = "treatments", description = "Treatments and their courses."),
        (name = "client links", description = "What a client reaches with their private link; the token is the credential."),
        (name = "alerts", description = "Decisions the therapist must hear about."),
        (name = "audit", description = "The audit trail."),
        (name = "follow-up", description = "Invitations, reminders and alert messages: the clinic's settings, a treatment's plan, the delivery log."),
        (name = "operations", description = "Health, readiness, metrics and this document."),
    )
)]
pub struct ApiDoc;

/// Declares the `bearer` security scheme the handlers name.
struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A practitioner's API token (`act_…`), made with `POST /api/v1/tokens` \
                         or the command line.",
                    ))
                    .build(),
            ),
        );
    }
}

/// This document.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API.", content_type = "application/json", body = Object))
)]
pub(crate) async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
