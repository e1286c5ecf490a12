//! Therapist sign-in: argon2id password hashes, sessions kept on the server
//! (only a hash of the cookie's token is stored), a form token per session,
//! and slowing down repeated failures.

use std::sync::OnceLock;

use aftercare_store::secret::{Secret, hash_text};
use aftercare_store::{Millis, WebSession};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{FromRequestParts, State};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use crate::state::AppState;
use crate::web::error::WebError;
use crate::web::form::{FormData, anonymous_csrf, cookie, set_cookie};
use crate::web::layout::{Nav, PageResponse, page, see_other};

/// The session cookie.
pub(crate) const SESSION_COOKIE: &str = "ac_session";
/// How long a session lasts: a working day.
const SESSION_MILLIS: Millis = 12 * 60 * 60 * 1000;
/// The shortest password accepted at setup.
pub(crate) const MIN_PASSWORD_CHARS: usize = 12;

/// A signed-in therapist; pages that take one redirect to the login
/// without a live session, and to the change of password while the
/// practitioner still has the first password the owner chose.
#[derive(Clone, Debug)]
pub(crate) struct Therapist(pub(crate) WebSession);

/// Any live session, also one that must change its password first: for
/// the change of password itself and signing out.
#[derive(Clone, Debug)]
pub(crate) struct SignedIn(pub(crate) WebSession);

/// Where a practitioner with the owner's first password is sent.
pub(crate) const PASSWORD_CHANGE_PAGE: &str = "/account/password";

impl Therapist {
    /// The page header for this session.
    pub(crate) fn nav(&self) -> Nav<'_> {
        Nav {
            clinic_name: &self.0.clinic_name,
            csrf_token: &self.0.csrf_token,
            is_owner: self.0.principal.role == aftercare_store::Role::Owner,
        }
    }

    /// Refuses anyone but the clinic's owner (403).
    pub(crate) fn require_owner(&self) -> Result<(), WebError> {
        if self.0.principal.role == aftercare_store::Role::Owner {
            Ok(())
        } else {
            Err(WebError::Forbidden)
        }
    }

    /// Refuses a form of this session without its token.
    pub(crate) fn check(&self, form: &FormData) -> Result<(), WebError> {
        form.check_csrf(&self.0.csrf_token)
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let token = cookie(&parts.headers, SESSION_COOKIE).ok_or(WebError::LoginRequired)?;
        // A deactivated practitioner's session is not found: the store
        // deleted it, and its lookup refuses them besides.
        state
            .store
            .web_session(&hash_text(token), state.now())
            .await?
            .map(SignedIn)
            .ok_or(WebError::LoginRequired)
    }
}

impl FromRequestParts<AppState> for Therapist {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let SignedIn(session) = SignedIn::from_request_parts(parts, state).await?;
        if session.must_change_password {
            return Err(WebError::PasswordChangeRequired);
        }
        Ok(Therapist(session))
    }
}

/// Whether cookies must be `Secure`: when people reach the service over HTTPS.
pub(crate) fn secure_cookies(state: &AppState) -> bool {
    state.settings.public_url.starts_with("https://")
}

/// An argon2id hash (PHC string) of a password, for the command line (the
/// demo owner) and tests; it takes tens of milliseconds on purpose.
pub fn password_hash(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| format!("password hashing: {error}"))
}

/// [`password_hash`], made off the async threads, a few at a time.
pub(crate) async fn hash_password(state: &AppState, password: String) -> Result<String, WebError> {
    let _turn = state.password_turn().await;
    tokio::task::spawn_blocking(move || password_hash(&password).map_err(WebError::Internal))
        .await
        .map_err(|error| WebError::Internal(format!("password hashing task: {error}")))?
}

/// Whether `password` matches a stored hash, checked off the async
/// threads, a few at a time.
pub(crate) async fn verify_password(state: &AppState, password: String, hash: String) -> bool {
    let _turn = state.password_turn().await;
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false)
}

/// A hash to check unknown emails against, so that an unknown email takes
/// as long to refuse as a wrong password.
pub(crate) async fn decoy_hash(state: &AppState) -> String {
    static DECOY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DECOY.get() {
        return hash.clone();
    }
    let made = hash_password(state, Secret::generate("").expose().to_owned())
        .await
        .unwrap_or_default();
    DECOY.get_or_init(|| made).clone()
}

/// The login form, with what was typed and an error, if any.
fn login_page(csrf: &str, email: &str, error: Option<&str>) -> Markup {
    page(
        "Sign in",
        None,
        &html! {
            h1 { "Therapist sign-in" }
            @if let Some(error) = error {
                p class="error" id="login-error" role="alert" { (error) }
            }
            form method="post" action="/login" {
                input type="hidden" name="csrf_token" value=(csrf);
                label for="email" { "Email" }
                input type="email" id="email" name="email" autocomplete="username" required value=(email);
                label for="password" { "Password" }
                input type="password" id="password" name="password" autocomplete="current-password" required;
                p { button type="submit" { "Sign in" } }
            }
            p { a href="/forgot-password" { "Forgot your password?" } }
        },
    )
}

/// `GET /login`.
pub(crate) async fn login_form(State(state): State<AppState>, headers: HeaderMap) -> PageResponse {
    let (csrf, set) = anonymous_csrf(&headers, secure_cookies(&state));
    PageResponse::new(login_page(&csrf, "", None)).with_cookie(set)
}

/// The address a request came from, when the service knows it: the
/// client's behind a trusted proxy (see `auth::client_address`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Peer(pub(crate) Option<std::net::IpAddr>);

impl FromRequestParts<AppState> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Peer(crate::auth::client_address(parts, state)))
    }
}

/// `POST /login`: starts a session, or says the email or password is
/// wrong without saying which. After repeated failures for an email each
/// attempt waits longer, and many from one address are refused for a
/// while: both answer 429 (see `throttle`).
pub(crate) async fn login(
    State(state): State<AppState>,
    Peer(peer): Peer,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, WebError> {
    form.check_cookie_csrf(&headers)?;
    let now = state.now();
    let email = form.get("email").unwrap_or_default().to_lowercase();
    let password = form.raw("password").to_owned();
    // Counted before the password is checked, so attempts sent side by
    // side cannot all pass the limit.
    let attempt = crate::throttle::admit_sign_in(&state, &email, peer, now)
        .await
        .map_err(|refused| match refused {
            crate::throttle::Refused::Wait(seconds) => WebError::TooManyAttempts(seconds),
            crate::throttle::Refused::Store(error) => error.into(),
        })?;
    let found = if email.is_empty() {
        None
    } else {
        state.store.practitioner_by_email(&email).await?
    };
    let accepted = if let Some((_, Some(hash))) = &found {
        verify_password(&state, password, hash.clone()).await
    } else {
        let _ = verify_password(&state, password, decoy_hash(&state).await).await;
        false
    };
    // A deactivated account is refused like a wrong password: the answer
    // says nothing of which accounts exist or were turned off.
    let Some((practitioner, _)) =
        found.filter(|(practitioner, _)| accepted && practitioner.deactivated_at.is_none())
    else {
        // The attempt stays recorded as a failure.
        tracing::info!("login refused");
        let csrf = form.raw("csrf_token");
        return Ok(PageResponse::new(login_page(
            csrf,
            &email,
            Some("That email and password do not match an account. Check both and try again."),
        ))
        .with_status(StatusCode::UNAUTHORIZED)
        .into_response());
    };
    attempt.succeeded(&state).await?;
    tracing::info!("login accepted");
    start_session(&state, &practitioner).await
}

/// `POST /logout`: ends the session on the server and clears the cookie.
pub(crate) async fn logout(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, WebError> {
    form.check_csrf(&session.csrf_token)?;
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        state.store.end_web_session(&hash_text(token)).await?;
    }
    let clear = set_cookie(SESSION_COOKIE, "", 0, secure_cookies(&state));
    Ok(see_other("/login", &[clear]))
}

/// Starts a session for a practitioner and sends them to the dashboard,
/// or to the change of password while theirs is the owner's first one.
pub(crate) async fn start_session(
    state: &AppState,
    practitioner: &aftercare_store::Practitioner,
) -> Result<Response, WebError> {
    let now = state.now();
    let token = Secret::generate("acw_");
    let csrf = Secret::generate("").expose().to_owned();
    let principal = aftercare_store::Principal {
        clinic_id: practitioner.clinic_id.clone(),
        practitioner_id: practitioner.id.clone(),
        role: practitioner.role,
    };
    state
        .store
        .create_web_session(&principal, &token.hash(), &csrf, now, now + SESSION_MILLIS)
        .await?;
    let cookie = set_cookie(
        SESSION_COOKIE,
        token.expose(),
        SESSION_MILLIS / 1000,
        secure_cookies(state),
    );
    let next = if practitioner.must_change_password {
        PASSWORD_CHANGE_PAGE
    } else {
        "/dashboard"
    };
    Ok(see_other(next, &[cookie]))
}
