//! The clinic's team, for its owner: who can sign in, adding a therapist
//! with a first password to pass on to them (they must change it at their
//! first sign-in), deactivating and reactivating a therapist, making a
//! password reset link for one, and handing the clinic to another owner.
//! Every change is a POST with the session's form token; deactivating and
//! handing over ask for a confirmation first.

use aftercare_store::{Actor, PageRequest, Practitioner, PractitionerId, Role, StoreError};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use crate::state::AppState;
use crate::web::account::{check_current_password, issue_reset_link, refused_page};
use crate::web::error::WebError;
use crate::web::form::{FieldErrors, FormData, error_line, text_input};
use crate::web::layout::{PageResponse, page, see_other};
use crate::web::session::{MIN_PASSWORD_CHARS, Peer, Therapist, hash_password};
use crate::web::setup::{check_email, check_text};

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
                    li data-practitioner=(member.id) {
                        (member.name) " (" (member.email) ", " (member.role.as_str())
                        @if member.deactivated_at.is_some() { ", deactivated" }
                        ")"
                        @if member.role == Role::Therapist {
                            (member_actions(therapist, member))
                        }
                    }
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
    therapist.require_owner()?;
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
    therapist.require_owner()?;
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
        // The owner knows this password: the therapist must choose their own
        // at their first sign-in.
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
                    .set_first_password(&principal.clinic_id, &member.id, &hash)
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

/// The owner's buttons beside a therapist.
fn member_actions(therapist: &Therapist, member: &Practitioner) -> Markup {
    let csrf = &therapist.0.csrf_token;
    let base = format!("/team/{}", member.id);
    html! {
        div class="actions" {
            @if member.deactivated_at.is_some() {
                form method="post" action={ (base) "/reactivate" } class="inline" {
                    input type="hidden" name="csrf_token" value=(csrf);
                    button type="submit" class="secondary" { "Reactivate " (member.name) }
                }
            } @else {
                a class="button secondary" href={ (base) "/deactivate" } { "Deactivate " (member.name) }
                form method="post" action={ (base) "/reset-link" } class="inline" {
                    input type="hidden" name="csrf_token" value=(csrf);
                    button type="submit" class="secondary" { "Make a password reset link for " (member.name) }
                }
                a class="button secondary" href={ (base) "/transfer" } { "Hand the clinic to " (member.name) }
            }
        }
    }
}

/// A practitioner of the owner's clinic named in the path, or "not found";
/// refused (403) to anyone but the owner.
async fn member(
    state: &AppState,
    therapist: &Therapist,
    id: &str,
) -> Result<Practitioner, WebError> {
    therapist.require_owner()?;
    let id = PractitionerId::parse(id).ok_or(WebError::NotFound("practitioner"))?;
    Ok(state
        .store
        .practitioner(&therapist.0.principal.clinic_id, &id)
        .await?)
}

/// A confirmation box, its error and the buttons of a destructive form.
fn confirm_box(errors: &FieldErrors, text: &str) -> Markup {
    html! {
        label class="check" for="confirm" {
            input type="checkbox" id="confirm" name="confirm" value="yes"
                aria-invalid=[errors.get("confirm").map(|_| "true")]
                aria-describedby=[errors.get("confirm").map(|_| "confirm-error")];
            (text)
        }
        (error_line(errors, "confirm"))
    }
}

fn deactivate_page(therapist: &Therapist, member: &Practitioner, errors: &FieldErrors) -> Markup {
    page(
        &format!("Deactivate {}", member.name),
        Some(&therapist.nav()),
        &html! {
            h1 { "Deactivate " (member.name) "?" }
            p { (member.name) " is signed out everywhere at once, their API tokens stop working for good, and they cannot sign in until you reactivate the account. Their clients, treatments and alerts stay with the clinic." }
            form method="post" action={ "/team/" (member.id) "/deactivate" } {
                input type="hidden" name="csrf_token" value=(therapist.0.csrf_token);
                (confirm_box(errors, &format!("Yes, deactivate {}", member.name)))
                div class="actions" {
                    button type="submit" { "Deactivate" }
                    a class="button secondary" href="/team" { "Keep the account" }
                }
            }
        },
    )
}

/// `GET /team/{id}/deactivate`: asks the owner to confirm.
pub(crate) async fn deactivate_form(
    State(state): State<AppState>,
    therapist: Therapist,
    Path(id): Path<String>,
) -> Result<PageResponse, WebError> {
    let member = member(&state, &therapist, &id).await?;
    Ok(PageResponse::new(deactivate_page(
        &therapist,
        &member,
        &FieldErrors::default(),
    )))
}

/// `POST /team/{id}/deactivate`: once confirmed, deactivates the therapist;
/// their sessions and API tokens end in the same transaction.
pub(crate) async fn deactivate(
    State(state): State<AppState>,
    therapist: Therapist,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    therapist.check(&form)?;
    let member = member(&state, &therapist, &id).await?;
    if !form.has("confirm", "yes") {
        let mut errors = FieldErrors::default();
        errors.add(
            "confirm",
            "Tick the box to confirm, or go back to keep the account.",
        );
        return Ok(
            PageResponse::new(deactivate_page(&therapist, &member, &errors))
                .with_status(StatusCode::UNPROCESSABLE_ENTITY)
                .into_response(),
        );
    }
    set_active(&state, &therapist, &member, false).await
}

/// `POST /team/{id}/reactivate`: lets a deactivated therapist sign in again.
pub(crate) async fn reactivate(
    State(state): State<AppState>,
    therapist: Therapist,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    therapist.check(&form)?;
    let member = member(&state, &therapist, &id).await?;
    set_active(&state, &therapist, &member, true).await
}

async fn set_active(
    state: &AppState,
    therapist: &Therapist,
    member: &Practitioner,
    active: bool,
) -> Result<Response, WebError> {
    let principal = &therapist.0.principal;
    state
        .store
        .set_practitioner_active(
            &principal.clinic_id,
            &member.id,
            active,
            &Actor::Practitioner(principal.practitioner_id.clone()),
            state.now(),
        )
        .await?;
    Ok(see_other("/team", &[]))
}

/// `POST /team/{id}/reset-link`: makes a one-time reset link for a
/// therapist and shows it this once, for the owner to pass on.
pub(crate) async fn reset_link(
    State(state): State<AppState>,
    therapist: Therapist,
    Path(id): Path<String>,
    form: FormData,
) -> Result<PageResponse, WebError> {
    therapist.check(&form)?;
    let member = member(&state, &therapist, &id).await?;
    if member.deactivated_at.is_some() {
        return Err(WebError::Conflict(
            "Reactivate the account before making a reset link for it.".to_owned(),
        ));
    }
    let principal = &therapist.0.principal;
    let (url, _) = issue_reset_link(
        &state,
        &principal.clinic_id,
        &member.id,
        &Actor::Practitioner(principal.practitioner_id.clone()),
    )
    .await?;
    Ok(PageResponse::new(page(
        "Password reset link",
        Some(&therapist.nav()),
        &html! {
            h1 { "A reset link for " (member.name) }
            p { "Give this link to " (member.name) " yourself, in person or by a channel only they read. It is shown only now, works once, and ends in one hour or when a newer link is made." }
            p { code id="reset-link" { (url) } }
            p { a href="/team" { "Back to the team" } }
        },
    )))
}

fn transfer_page(therapist: &Therapist, member: &Practitioner, errors: &FieldErrors) -> Markup {
    page(
        &format!("Hand the clinic to {}", member.name),
        Some(&therapist.nav()),
        &html! {
            h1 { "Hand the clinic to " (member.name) "?" }
            p { (member.name) " becomes the clinic's owner and you become a therapist: you can no longer open the team page or the audit trail. Only the new owner can hand it back." }
            @if !errors.is_empty() { p class="error" role="alert" { "Some answers need a change: see below." } }
            form method="post" action={ "/team/" (member.id) "/transfer" } {
                input type="hidden" name="csrf_token" value=(therapist.0.csrf_token);
                (text_input("password", "current_password", "Your password", "", errors, "current-password"))
                (confirm_box(errors, &format!("Yes, make {} the owner", member.name)))
                div class="actions" {
                    button type="submit" { "Hand the clinic over" }
                    a class="button secondary" href="/team" { "Stay the owner" }
                }
            }
        },
    )
}

/// `GET /team/{id}/transfer`: asks the owner to confirm with their password.
pub(crate) async fn transfer_form(
    State(state): State<AppState>,
    therapist: Therapist,
    Path(id): Path<String>,
) -> Result<PageResponse, WebError> {
    let member = member(&state, &therapist, &id).await?;
    Ok(PageResponse::new(transfer_page(
        &therapist,
        &member,
        &FieldErrors::default(),
    )))
}

/// `POST /team/{id}/transfer`: with the owner's password and the box
/// ticked, swaps the roles of the owner and the therapist.
pub(crate) async fn transfer(
    State(state): State<AppState>,
    therapist: Therapist,
    Peer(peer): Peer,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    therapist.check(&form)?;
    let member = member(&state, &therapist, &id).await?;
    let principal = &therapist.0.principal;
    let mut errors = FieldErrors::default();
    if !form.has("confirm", "yes") {
        errors.add(
            "confirm",
            "Tick the box to confirm, or go back to stay the owner.",
        );
    }
    if errors.is_empty() {
        let right = check_current_password(&state, principal, form.raw("current_password"), peer)
            .await
            .map_err(refused_page)?;
        if right {
            state
                .store
                .transfer_ownership(
                    &principal.clinic_id,
                    &principal.practitioner_id,
                    &member.id,
                    state.now(),
                )
                .await?;
            tracing::info!("clinic handed to another owner");
            return Ok(see_other("/dashboard", &[]));
        }
        errors.add(
            "current_password",
            "That is not your password. Check it and try again.",
        );
    }
    Ok(
        PageResponse::new(transfer_page(&therapist, &member, &errors))
            .with_status(StatusCode::UNPROCESSABLE_ENTITY)
            .into_response(),
    )
}
