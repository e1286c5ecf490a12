//! A practitioner's own account: changing the password (the current one
//! is required, and every other session ends), the change forced at the
//! first sign-in when the owner chose the first password, and the
//! "forgot password" pages with their one-time reset links.
//!
//! A reset link is random (256 bits), kept only as a hash, works once and
//! for [`RESET_LINK_MILLIS`], and ends when a newer link is made or the
//! password changes. With an SMTP server it is emailed; without one the
//! clinic's owner makes it on the team page (or through the API) and
//! passes it on. The "forgot password" page answers the same whatever
//! email is typed, so it tells no one who has an account.

use aftercare_store::secret::{Secret, hash_text};
use aftercare_store::{Actor, ClinicId, Millis, PractitionerId, Principal, StoreError};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use crate::state::AppState;
use crate::throttle::Refused;
use crate::web::error::WebError;
use crate::web::form::{FieldErrors, FormData, anonymous_csrf, cookie, text_input};
use crate::web::layout::{PageResponse, page, see_other};
use crate::web::session::{
    MIN_PASSWORD_CHARS, Peer, SESSION_COOKIE, SignedIn, decoy_hash, hash_password, secure_cookies,
    verify_password,
};
use crate::web::setup::check_email;

/// How long a reset link works: an hour.
pub(crate) const RESET_LINK_MILLIS: Millis = 60 * 60 * 1000;
/// The prefix of reset link secrets.
const RESET_PREFIX: &str = "acr_";
/// The longest password accepted, in bytes (argon2 takes any length; this
/// keeps hashing cheap).
const MAX_PASSWORD_BYTES: usize = 1024;

/// What the password rules say about a new password, if it breaks them.
pub(crate) fn new_password_problem(password: &str) -> Option<String> {
    (password.chars().count() < MIN_PASSWORD_CHARS || password.len() > MAX_PASSWORD_BYTES)
        .then(|| format!("Choose a password of at least {MIN_PASSWORD_CHARS} characters."))
}

/// Makes a reset link for an active practitioner of the clinic and
/// answers its address and when it ends. The address is the secret: shown
/// once or emailed, never stored or logged.
pub(crate) async fn issue_reset_link(
    state: &AppState,
    clinic: &ClinicId,
    id: &PractitionerId,
    actor: &Actor,
) -> Result<(String, Millis), StoreError> {
    let secret = Secret::generate(RESET_PREFIX);
    let now = state.now();
    let expires_at = now + RESET_LINK_MILLIS;
    state
        .store
        .create_password_reset(clinic, id, &secret.hash(), actor, now, expires_at)
        .await?;
    let url = format!(
        "{}/reset/{}",
        state.settings.public_url.trim_end_matches('/'),
        secret.expose()
    );
    Ok((url, expires_at))
}

/// Checks the signed-in practitioner's current password, counted by the
/// sign-in limits of their email (and of the address it came from), so a
/// stolen session cannot be used to guess it. `Ok(false)`: wrong.
pub(crate) async fn check_current_password(
    state: &AppState,
    principal: &Principal,
    password: &str,
    peer: Option<std::net::IpAddr>,
) -> Result<bool, Refused> {
    let me = state
        .store
        .practitioner(&principal.clinic_id, &principal.practitioner_id)
        .await?;
    let now = state.now();
    let attempt = crate::throttle::admit_sign_in(state, &me.email, peer, now).await?;
    let stored = state
        .store
        .password_hash_of(&principal.clinic_id, &principal.practitioner_id)
        .await?;
    let right = if let Some(hash) = stored {
        verify_password(state, password.to_owned(), hash).await
    } else {
        let _ = verify_password(state, password.to_owned(), decoy_hash(state).await).await;
        false
    };
    if right {
        attempt.succeeded(state).await?;
    }
    Ok(right)
}

/// A refusal of the limits as a page error.
pub(crate) fn refused_page(refused: Refused) -> WebError {
    match refused {
        Refused::Wait(seconds) => WebError::TooManyAttempts(seconds),
        Refused::Store(error) => error.into(),
    }
}

fn password_page(session: &SignedIn, errors: &FieldErrors) -> Markup {
    let forced = session.0.must_change_password;
    let nav = crate::web::layout::Nav {
        clinic_name: &session.0.clinic_name,
        csrf_token: &session.0.csrf_token,
        is_owner: session.0.principal.role == aftercare_store::Role::Owner,
    };
    page(
        "Change your password",
        (!forced).then_some(&nav),
        &html! {
            h1 { @if forced { "Choose your own password" } @else { "Change your password" } }
            @if forced {
                p id="must-change" { "Your clinic's owner chose your first password. Choose one only you know before you go on." }
            } @else {
                p { "When you change it, you stay signed in here and every other sign-in ends." }
            }
            @if !errors.is_empty() { p class="error" role="alert" { "Some answers need a change: see below." } }
            form method="post" action="/account/password" {
                input type="hidden" name="csrf_token" value=(session.0.csrf_token);
                (text_input("password", "current_password", "Current password", "", errors, "current-password"))
                (text_input("password", "new_password", &format!("New password (at least {MIN_PASSWORD_CHARS} characters)"), "", errors, "new-password"))
                p { button type="submit" { "Change the password" } }
            }
            @if forced {
                form method="post" action="/logout" {
                    input type="hidden" name="csrf_token" value=(session.0.csrf_token);
                    p { button type="submit" class="link" { "Sign out" } }
                }
            }
        },
    )
}

/// `GET /account/password`: the change of one's own password (also the
/// only page open while the owner's first password must be changed).
pub(crate) async fn password_form(session: SignedIn) -> PageResponse {
    PageResponse::new(password_page(&session, &FieldErrors::default()))
}

/// `POST /account/password`: changes the password after checking the
/// current one; every other session of the practitioner ends.
pub(crate) async fn change_password(
    State(state): State<AppState>,
    session: SignedIn,
    Peer(peer): Peer,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, WebError> {
    form.check_csrf(&session.0.csrf_token)?;
    let principal = &session.0.principal;
    let mut errors = FieldErrors::default();
    let new_password = form.raw("new_password");
    if let Some(problem) = new_password_problem(new_password) {
        errors.add("new_password", problem);
    } else if new_password == form.raw("current_password") {
        errors.add(
            "new_password",
            "Choose a new password, not the one you have now.",
        );
    }
    if errors.is_empty() {
        let right = check_current_password(&state, principal, form.raw("current_password"), peer)
            .await
            .map_err(refused_page)?;
        if right {
            let hash = hash_password(&state, new_password.to_owned()).await?;
            let current = cookie(&headers, SESSION_COOKIE).map(hash_text);
            state
                .store
                .change_password(
                    &principal.clinic_id,
                    &principal.practitioner_id,
                    &hash,
                    current.as_deref(),
                    state.now(),
                )
                .await?;
            tracing::info!("password changed");
            return Ok(see_other("/dashboard", &[]));
        }
        errors.add(
            "current_password",
            "That is not your current password. Check it and try again.",
        );
    }
    Ok(PageResponse::new(password_page(&session, &errors))
        .with_status(StatusCode::UNPROCESSABLE_ENTITY)
        .into_response())
}

/// What the "forgot password" page says after any email is sent.
const ON_ITS_WAY: &str = "If an account exists for that email, a link to choose a new password \
     is on its way. It works once, for one hour. If nothing arrives, ask your clinic's owner.";

fn forgot_page(state: &AppState, csrf: &str, form: &FormData, errors: &FieldErrors) -> Markup {
    let email = state.settings.smtp.is_some();
    page(
        "Forgot your password?",
        None,
        &html! {
            h1 { "Forgot your password?" }
            @if email {
                p { "Enter the email you sign in with. We will send a link to choose a new password." }
                @if !errors.is_empty() { p class="error" role="alert" { "Some answers need a change: see below." } }
                form method="post" action="/forgot-password" {
                    input type="hidden" name="csrf_token" value=(csrf);
                    (text_input("email", "email", "Email", form.raw("email"), errors, "username"))
                    p { button type="submit" { "Send the link" } }
                }
            } @else {
                p id="ask-owner" { "This service sends no email. Ask your clinic's owner for a reset link: they can make one on the team page." }
            }
            p { a href="/login" { "Back to sign-in" } }
        },
    )
}

/// `GET /forgot-password`.
pub(crate) async fn forgot_form(State(state): State<AppState>, headers: HeaderMap) -> PageResponse {
    let (csrf, set) = anonymous_csrf(&headers, secure_cookies(&state));
    PageResponse::new(forgot_page(
        &state,
        &csrf,
        &FormData::default(),
        &FieldErrors::default(),
    ))
    .with_cookie(set)
}

/// `POST /forgot-password`: answers the same for every well-formed email;
/// when the email is an active account's and SMTP is set, a reset link is
/// emailed. The lookup and the email happen after the answer, so how long
/// it takes tells nothing either.
pub(crate) async fn forgot(
    State(state): State<AppState>,
    Peer(peer): Peer,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, WebError> {
    form.check_cookie_csrf(&headers)?;
    let csrf = form.raw("csrf_token");
    let Some(smtp) = state.settings.smtp.clone() else {
        return Ok(
            PageResponse::new(forgot_page(&state, csrf, &form, &FieldErrors::default()))
                .into_response(),
        );
    };
    let mut errors = FieldErrors::default();
    check_email(&form, &mut errors, "email", true);
    if !errors.is_empty() {
        return Ok(PageResponse::new(forgot_page(&state, csrf, &form, &errors))
            .with_status(StatusCode::UNPROCESSABLE_ENTITY)
            .into_response());
    }
    let email = form.get("email").unwrap_or_default().to_lowercase();
    let send = crate::throttle::admit_reset_request(&state, &email, peer, state.now())
        .await
        .map_err(refused_page)?;
    if send {
        tokio::spawn(email_reset_link(state.clone(), smtp, email));
    }
    Ok(page_with_text(
        "Check your email",
        &html! { p id="on-its-way" { (ON_ITS_WAY) } p { a href="/login" { "Back to sign-in" } } },
    )
    .into_response())
}

/// Emails a reset link to `email` if it is an active account's; logs
/// only that it happened, never the address or the link.
async fn email_reset_link(state: AppState, smtp: aftercare_delivery::SmtpSettings, email: String) {
    let found = match state.store.practitioner_by_email(&email).await {
        Ok(found) => found,
        Err(error) => {
            tracing::warn!(%error, "password reset: looking the account up failed");
            return;
        }
    };
    let Some((practitioner, _)) = found.filter(|(p, _)| p.deactivated_at.is_none()) else {
        return;
    };
    let actor = Actor::Practitioner(practitioner.id.clone());
    let (url, _) =
        match issue_reset_link(&state, &practitioner.clinic_id, &practitioner.id, &actor).await {
            Ok(link) => link,
            Err(error) => {
                tracing::warn!(%error, "password reset: making the link failed");
                return;
            }
        };
    let body = format!(
        "Hello {name},\n\nSomeone asked to choose a new password for your Aftercare account. \
         If it was you, open this link within the hour:\n\n{url}\n\nIt works once. If you did \
         not ask, you can ignore this email: your password stays as it is.\n",
        name = practitioner.name
    );
    match aftercare_delivery::send_email_now(
        &smtp,
        &practitioner.email,
        "Choose a new Aftercare password",
        body,
    )
    .await
    {
        Ok(()) => tracing::info!("password reset link emailed"),
        Err(error) => tracing::warn!(%error, "password reset link not emailed"),
    }
}

fn page_with_text(title: &str, content: &Markup) -> PageResponse {
    PageResponse::new(page(title, None, &html! { h1 { (title) } (content) }))
}

/// The hash of a reset token from the path, or "not found".
fn reset_hash(token: &str) -> Result<String, WebError> {
    super::path_token_hash(token, RESET_PREFIX, "reset link")
}

fn reset_page(token: &str, csrf: &str, name: &str, errors: &FieldErrors) -> Markup {
    page(
        "Choose a new password",
        None,
        &html! {
            h1 { "Choose a new password" }
            p { "For " (name) ". This link works once. Choosing a password ends every sign-in of this account." }
            @if !errors.is_empty() { p class="error" role="alert" { "Some answers need a change: see below." } }
            form method="post" action={ "/reset/" (token) } {
                input type="hidden" name="csrf_token" value=(csrf);
                (text_input("password", "new_password", &format!("New password (at least {MIN_PASSWORD_CHARS} characters)"), "", errors, "new-password"))
                p { button type="submit" { "Set the password" } }
            }
        },
    )
}

/// `GET /reset/{token}`: the form of a reset link that can still be used.
pub(crate) async fn reset_form(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<PageResponse, WebError> {
    let hash = reset_hash(&token)?;
    let holder = state
        .store
        .password_reset_holder(&hash, state.now())
        .await?
        .ok_or(WebError::NotFound("reset link"))?;
    let (csrf, set) = anonymous_csrf(&headers, secure_cookies(&state));
    Ok(PageResponse::new(reset_page(
        &token,
        &csrf,
        &holder.name,
        &FieldErrors::default(),
    ))
    .with_cookie(set))
}

/// `POST /reset/{token}`: sets the new password, ends every session of
/// the account and uses the link up.
pub(crate) async fn reset(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, WebError> {
    let hash = reset_hash(&token)?;
    form.check_cookie_csrf(&headers)?;
    let holder = state
        .store
        .password_reset_holder(&hash, state.now())
        .await?
        .ok_or(WebError::NotFound("reset link"))?;
    let password = form.raw("new_password");
    if let Some(problem) = new_password_problem(password) {
        let mut errors = FieldErrors::default();
        errors.add("new_password", problem);
        return Ok(PageResponse::new(reset_page(
            &token,
            form.raw("csrf_token"),
            &holder.name,
            &errors,
        ))
        .with_status(StatusCode::UNPROCESSABLE_ENTITY)
        .into_response());
    }
    let password_hash = hash_password(&state, password.to_owned()).await?;
    state
        .store
        .reset_password(&hash, &password_hash, state.now())
        .await?;
    tracing::info!("password reset through a link");
    Ok(page_with_text(
        "Password changed",
        &html! {
            p id="reset-done" { "Your new password is set, and every earlier sign-in has ended." }
            p { a href="/login" { "Sign in" } }
        },
    )
    .into_response())
}
