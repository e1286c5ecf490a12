//! The course page's buttons that put the client's private link in their
//! hands again: shown once on the course page, or sent by email or by text
//! message (the workflow is `usecases/links.rs`).

use axum::extract::{Path, State};
use axum::response::Response;

use crate::state::AppState;
use crate::usecases::links::{Handover, renew_link};
use crate::web::clients::NEW_LINK_COOKIE;
use crate::web::course::treatment_id;
use crate::web::error::WebError;
use crate::web::form::{FormData, set_cookie};
use crate::web::layout::see_other;
use crate::web::session::{Therapist, secure_cookies};

/// Runs one of the course page's link actions.
async fn act(
    state: &AppState,
    therapist: &Therapist,
    id: &str,
    form: &FormData,
    handover: Handover,
) -> Result<Response, WebError> {
    therapist.check(form)?;
    let id = treatment_id(id)?;
    let made = renew_link(state, &therapist.0.principal, &id, handover).await?;
    let location = format!("/treatments/{}", made.treatment.id);
    let notice = format!("{location}?sent={}", handover.as_str());
    if handover != Handover::Shown {
        return Ok(see_other(&notice, &[]));
    }
    // Shown on the course page for ten minutes, then never again: only
    // its hash is stored.
    let cookie = set_cookie(
        NEW_LINK_COOKIE,
        made.secret.expose(),
        600,
        secure_cookies(state),
    )
    .replace("Path=/", &format!("Path={location}"));
    Ok(see_other(&notice, &[cookie]))
}

/// `POST /treatments/{id}/link`: a new link, shown once.
pub(crate) async fn show(
    State(state): State<AppState>,
    therapist: Therapist,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    act(&state, &therapist, &id, &form, Handover::Shown).await
}

/// `POST /treatments/{id}/link/email`: a new link, emailed to the client.
pub(crate) async fn email(
    State(state): State<AppState>,
    therapist: Therapist,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    act(&state, &therapist, &id, &form, Handover::Email).await
}

/// `POST /treatments/{id}/link/sms`: a new link, sent to the client's
/// phone through the clinic's webhook.
pub(crate) async fn text_message(
    State(state): State<AppState>,
    therapist: Therapist,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    act(&state, &therapist, &id, &form, Handover::TextMessage).await
}
