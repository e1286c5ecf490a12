//! The clinic's team, for its owner: who can sign in, and adding a
//! therapist with a first password to pass on to them.

use aftercare_store::{Actor, PageRequest, Role, StoreError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use crate::state::AppState;
use crate::web::error::WebError;
use crate::web::form::{FieldErrors, FormData, text_input};
use crate::web::layout::{PageResponse, page, see_other};
use crate::web::session::{MIN_PASSWORD_CHARS, Therapist, hash_password};
use crate::web::setup::{check_email, check_text};

/// Refuses anyone but the clinic's owner.
fn require_owner(therapist: &Therapist) -> Result<(), WebError> {
    if therapist.0.principal.role == Role::Owner {
        Ok(())
    } else {
        Err(WebError::Forbidden)
    }
}

async fn team_page(
    state: &AppState,
    therapist: &Therapist,
    form: &FormData,
    errors: &FieldErrors,
) -> Result<Markup, WebError> {
    let team = state
        .store
        .list_practitioners(
            &therapist.0.principal.clinic_id,
            &PageRequest {
                limit: Some(200),
                after: None,
            },
        )
        .await?;
    Ok(page(
        "Team",
        Some(&therapist.nav()),
        &html! {
            h1 { "Team" }
            ul id="team" {
                @for member in &team.items {
                    li { (member.name) " (" (member.email) ", " (member.role.as_str()) ")" }
                }
            }
            h2 { "Add a therapist" }
            p { "Give them their email and this first password yourself; they sign in at /login." }
            @if !errors.is_empty() { p class="error" role="alert" { "Some answers need a change: see below." } }
            form method="post" action="/team" {
                input type="hidden" name="csrf_token" value=(therapist.0.csrf_token);
                (text_input("text", "name", "Name", form.raw("name"), errors, "off"))
                (text_input("email", "email", "Email", form.raw("email"), errors, "off"))
                (text_input("password", "password", "First password (at least 12 characters)", "", errors, "new-password"))
                p { button type="submit" { "Add the therapist" } }
            }
        },
    ))
}

/// `GET /team`: the owner's view of the team.
pub(crate) async fn list(
    State(state): State<AppState>,
    therapist: Therapist,
) -> Result<PageResponse, WebError> {
    require_owner(&therapist)?;
    let body = team_page(
        &state,
        &therapist,
        &FormData::default(),
        &FieldErrors::default(),
    )
    .await?;
    Ok(PageResponse::new(body))
}

/// `POST /team`: adds a therapist with a first password.
pub(crate) async fn add(
    State(state): State<AppState>,
    therapist: Therapist,
    form: FormData,
) -> Result<Response, WebError> {
    therapist.check(&form)?;
    require_owner(&therapist)?;
    let mut errors = FieldErrors::default();
    check_text(&form, &mut errors, "name", "their name", 200);
    check_email(&form, &mut errors, "email", true);
    let password = form.raw("password");
    if password.chars().count() < MIN_PASSWORD_CHARS || password.len() > 1024 {
        errors.add(
            "password",
            format!("Choose a password of at least {MIN_PASSWORD_CHARS} characters."),
        );
    }
    let principal = &therapist.0.principal;
    if errors.is_empty() {
        let hash = hash_password(&state, password.to_owned()).await?;
        let created = state
            .store
            .create_practitioner(
                &principal.clinic_id,
                &Actor::Practitioner(principal.practitioner_id.clone()),
                form.get("email").unwrap_or_default(),
                form.get("name").unwrap_or_default(),
                Role::Therapist,
                state.now(),
            )
            .await;
        match created {
            Ok(member) => {
                state
                    .store
                    .set_password_hash(&principal.clinic_id, &member.id, &hash)
                    .await?;
                return Ok(see_other("/team", &[]));
            }
            Err(StoreError::Conflict(_)) => {
                errors.add("email", "This email cannot be used; choose another.");
            }
            Err(other) => return Err(other.into()),
        }
    }
    let body = team_page(&state, &therapist, &form, &errors).await?;
    Ok(PageResponse::new(body)
        .with_status(StatusCode::UNPROCESSABLE_ENTITY)
        .into_response())
}
