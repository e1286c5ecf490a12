//! First run: with an empty database the service prints a one-time link
//! that creates the clinic and its owner. The link expires, works once,
//! and is stored only as a hash.

use aftercare_store::secret::Secret;
use aftercare_store::{Millis, StoreError};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use crate::state::AppState;
use crate::web::error::WebError;
use crate::web::form::{FieldErrors, FormData, anonymous_csrf, text_input};
use crate::web::layout::{PageResponse, page};
use crate::web::session::{MIN_PASSWORD_CHARS, hash_password, secure_cookies, start_session};

/// How long a setup link works.
const SETUP_LINK_MILLIS: Millis = 24 * 60 * 60 * 1000;
/// The prefix of setup link secrets.
const SETUP_PREFIX: &str = "acs_";

/// When the database has no clinic yet, makes a one-time setup link (valid
/// for a day) and returns its address; `None` when a clinic exists.
pub async fn first_run_setup_link(state: &AppState) -> Result<Option<String>, StoreError> {
    if !state.store.clinics().await?.is_empty() {
        return Ok(None);
    }
    let secret = Secret::generate(SETUP_PREFIX);
    let now = state.now();
    state
        .store
        .create_setup_link(&secret.hash(), now, now + SETUP_LINK_MILLIS)
        .await?;
    Ok(Some(format!(
        "{}/setup/{}",
        state.settings.public_url.trim_end_matches('/'),
        secret.expose()
    )))
}

/// The hash of a setup token from the path, or "not found".
fn token_hash(token: &str) -> Result<String, WebError> {
    super::path_token_hash(token, SETUP_PREFIX, "setup link")
}

fn setup_page(token: &str, csrf: &str, form: &FormData, errors: &FieldErrors) -> Markup {
    page(
        "Set up your clinic",
        None,
        &html! {
            h1 { "Set up your clinic" }
            p { "This link works once. It creates your clinic and your own account as its owner." }
            @if !errors.is_empty() {
                p class="error" role="alert" { "Some answers need a change: see below." }
            }
            form method="post" action={ "/setup/" (token) } {
                input type="hidden" name="csrf_token" value=(csrf);
                (text_input("text", "clinic_name", "Clinic name", form.raw("clinic_name"), errors, "organization"))
                (text_input("text", "name", "Your name", form.raw("name"), errors, "name"))
                (text_input("email", "email", "Your email (you sign in with it)", form.raw("email"), errors, "username"))
                (text_input("password", "password", "Password (at least 12 characters)", "", errors, "new-password"))
                p { button type="submit" { "Create the clinic" } }
            }
        },
    )
}

/// `GET /setup/{token}`.
pub(crate) async fn form(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<PageResponse, WebError> {
    let hash = token_hash(&token)?;
    if !state.store.setup_link_is_open(&hash, state.now()).await? {
        return Err(WebError::NotFound("setup link"));
    }
    let (csrf, set) = anonymous_csrf(&headers, secure_cookies(&state));
    Ok(PageResponse::new(setup_page(
        &token,
        &csrf,
        &FormData::default(),
        &FieldErrors::default(),
    ))
    .with_cookie(set))
}

/// A name-like field: required, at most `max` characters, no control characters.
pub(crate) fn check_text(
    form: &FormData,
    errors: &mut FieldErrors,
    field: &str,
    what: &str,
    max: usize,
) {
    match form.get(field) {
        None => errors.add(field, format!("Enter {what}.")),
        Some(text) if text.chars().count() > max => {
            errors.add(field, format!("Enter {what} of at most {max} characters."));
        }
        Some(text) if text.chars().any(char::is_control) => {
            errors.add(
                field,
                format!("Enter {what} on one line, without special characters."),
            );
        }
        Some(_) => {}
    }
}

/// An email address field; `required` or not.
pub(crate) fn check_email(form: &FormData, errors: &mut FieldErrors, field: &str, required: bool) {
    match form.get(field) {
        None if required => errors.add(field, "Enter an email address."),
        Some(email) if !crate::input::is_email(email) => {
            errors.add(field, "Enter an email address such as name@example.org.");
        }
        _ => {}
    }
}

/// `POST /setup/{token}`: creates the clinic and its owner, signs the
/// owner in, and uses up the link.
pub(crate) async fn submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, WebError> {
    let hash = token_hash(&token)?;
    form.check_cookie_csrf(&headers)?;
    let now = state.now();
    if !state.store.setup_link_is_open(&hash, now).await? {
        return Err(WebError::NotFound("setup link"));
    }
    let mut errors = FieldErrors::default();
    check_text(&form, &mut errors, "clinic_name", "the clinic's name", 200);
    check_text(&form, &mut errors, "name", "your name", 200);
    check_email(&form, &mut errors, "email", true);
    let password = form.raw("password");
    if password.chars().count() < MIN_PASSWORD_CHARS || password.len() > 1024 {
        errors.add(
            "password",
            format!("Choose a password of at least {MIN_PASSWORD_CHARS} characters."),
        );
    }
    if !errors.is_empty() {
        return Ok(
            PageResponse::new(setup_page(&token, form.raw("csrf_token"), &form, &errors))
                .with_status(StatusCode::UNPROCESSABLE_ENTITY)
                .into_response(),
        );
    }
    let password_hash = hash_password(&state, password.to_owned()).await?;
    let completed = state
        .store
        .complete_setup(
            &hash,
            form.get("clinic_name").unwrap_or_default(),
            form.get("name").unwrap_or_default(),
            form.get("email").unwrap_or_default(),
            &password_hash,
            now,
        )
        .await;
    let (_, owner) = match completed {
        Ok(done) => done,
        Err(StoreError::Conflict(_)) => {
            errors.add("email", "This email cannot be used; choose another.");
            return Ok(PageResponse::new(setup_page(
                &token,
                form.raw("csrf_token"),
                &form,
                &errors,
            ))
            .with_status(StatusCode::UNPROCESSABLE_ENTITY)
            .into_response());
        }
        Err(other) => return Err(other.into()),
    };
    tracing::info!("clinic set up through the first-run link");
    start_session(&state, &owner).await
}
