//! Clients and their treatments: the list, a client's page, and recording
//! a treatment (which makes the client's private link, shown once as a
//! copyable address and a QR code).

use aftercare_core::vocabulary::{Modality, Pressure, Region};
use aftercare_core::{Treatment as TreatmentDetails, course::DurationMinutes};
use aftercare_store::secret::Secret;
use aftercare_store::{
    Actor, ClientId, Millis, NewClient, NewTreatment, PageRequest, Treatment, millis_of,
};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use crate::api::treatments::LINK_PREFIX;
use crate::state::AppState;
use crate::web::checkin::{timestamp, when};
use crate::web::error::WebError;
use crate::web::form::{FieldErrors, FormData, error_line, set_cookie, text_input};
use crate::web::layout::{PageResponse, page, see_other};
use crate::web::session::{Therapist, secure_cookies};
use crate::web::setup::{check_email, check_text};
use crate::web::words;

/// The cookie that carries a just-made client link to the treatment page,
/// the only place it is ever shown.
pub(crate) const NEW_LINK_COOKIE: &str = "ac_new_link";

/// The most clients the list shows at once.
const CLIENT_LIST_LIMIT: u32 = 200;

fn clients_page(
    therapist: &Therapist,
    clients: &[aftercare_store::Client],
    form: &FormData,
    errors: &FieldErrors,
) -> Markup {
    page(
        "Clients",
        Some(&therapist.nav()),
        &html! {
            h1 { "Clients" }
            @if clients.is_empty() {
                p { "No clients yet. Add the first one below." }
            } @else {
                ul id="clients" {
                    @for client in clients {
                        li { a href={ "/clients/" (client.id) } { (client.name) } }
                    }
                }
            }
            h2 id="new-client" { "Add a client" }
            form method="post" action="/clients" {
                input type="hidden" name="csrf_token" value=(therapist.0.csrf_token);
                (text_input("text", "name", "Name", form.raw("name"), errors, "off"))
                (text_input("email", "email", "Email (optional)", form.raw("email"), errors, "off"))
                label class="check" for="follow_up_consent" {
                    input type="checkbox" id="follow_up_consent" name="follow_up_consent" value="yes" checked[form.has("follow_up_consent", "yes")];
                    "The client agrees to be followed up after treatments"
                }
                p { button type="submit" { "Add the client" } }
            }
        },
    )
}

/// `GET /clients`.
pub(crate) async fn list(
    State(state): State<AppState>,
    therapist: Therapist,
) -> Result<PageResponse, WebError> {
    let clients = state
        .store
        .list_clients(
            &therapist.0.principal.clinic_id,
            &PageRequest {
                limit: Some(CLIENT_LIST_LIMIT),
                after: None,
            },
        )
        .await?;
    Ok(PageResponse::new(clients_page(
        &therapist,
        &clients.items,
        &FormData::default(),
        &FieldErrors::default(),
    )))
}

/// `POST /clients`: adds a client, then shows their page.
pub(crate) async fn create(
    State(state): State<AppState>,
    therapist: Therapist,
    form: FormData,
) -> Result<Response, WebError> {
    therapist.check(&form)?;
    let mut errors = FieldErrors::default();
    check_text(&form, &mut errors, "name", "the client's name", 200);
    check_email(&form, &mut errors, "email", false);
    let principal = &therapist.0.principal;
    if !errors.is_empty() {
        let clients = state
            .store
            .list_clients(
                &principal.clinic_id,
                &PageRequest {
                    limit: Some(CLIENT_LIST_LIMIT),
                    after: None,
                },
            )
            .await?;
        return Ok(
            PageResponse::new(clients_page(&therapist, &clients.items, &form, &errors))
                .with_status(StatusCode::UNPROCESSABLE_ENTITY)
                .into_response(),
        );
    }
    let now = state.now();
    let client = state
        .store
        .create_client(
            &principal.clinic_id,
            &Actor::Practitioner(principal.practitioner_id.clone()),
            NewClient {
                name: form.get("name").unwrap_or_default().to_owned(),
                email: form.get("email").map(str::to_lowercase),
                phone: None,
                consent_at: form.has("follow_up_consent", "yes").then_some(now),
            },
            now,
        )
        .await?;
    Ok(see_other(&format!("/clients/{}", client.id), &[]))
}

/// A client id from the path; unknown text is "not found".
fn client_id(text: &str) -> Result<ClientId, WebError> {
    ClientId::parse(text).ok_or(WebError::NotFound("client"))
}

/// `GET /clients/{id}`.
pub(crate) async fn show(
    State(state): State<AppState>,
    therapist: Therapist,
    Path(id): Path<String>,
) -> Result<PageResponse, WebError> {
    let id = client_id(&id)?;
    let clinic = &therapist.0.principal.clinic_id;
    let client = state.store.client(clinic, &id).await?;
    let treatments = state
        .store
        .list_treatments(
            clinic,
            Some(&id),
            &PageRequest {
                limit: Some(200),
                after: None,
            },
        )
        .await?;
    Ok(PageResponse::new(page(
        &client.name,
        Some(&therapist.nav()),
        &html! {
            h1 { (client.name) }
            p {
                @if let Some(email) = &client.email { (email) br; }
                @match client.consent_at {
                    Some(at) => { "Agreed to follow-up on " (when(at)) "." }
                    None => { "Has not agreed to follow-up." }
                }
            }
            div class="actions" {
                a class="button" href={ "/clients/" (client.id) "/treatments/new" } { "Record a treatment" }
                a class="button secondary" href={ "/clients/" (client.id) "/edit" } { "Edit details" }
                a class="button secondary" href={ "/clients/" (client.id) "/export" } { "Download their data" }
                @if therapist.0.principal.role == aftercare_store::Role::Owner {
                    a class="button secondary" href={ "/clients/" (client.id) "/erase" } { "Erase this client" }
                }
            }
            h2 { "Treatments" }
            @if treatments.items.is_empty() {
                p { "No treatments yet." }
            } @else {
                ul id="treatments" {
                    @for treatment in treatments.items.iter().rev() {
                        li { a href={ "/treatments/" (treatment.id) } { (when(millis_of(treatment.details.at))) ": " (words::modality(treatment.details.modality)) } }
                    }
                }
            }
        },
    )))
}

/// `datetime-local` text for an instant (UTC).
fn local_input(millis: Millis) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    timestamp(millis).get().format(&format).unwrap_or_default()
}

/// The details of a treatment (kind, pressure, length, regions, notes),
/// shared by the form that records one and the form that corrects one so
/// both ask the same questions the same way.
pub(crate) fn treatment_fields(form: &FormData, errors: &FieldErrors) -> Markup {
    html! {
        label for="modality" { "Kind of treatment" }
        select id="modality" name="modality" {
            @for value in Modality::ALL {
                option value=(value.as_str()) selected[form.raw("modality") == value.as_str()] { (words::modality(*value)) }
            }
        }
        (error_line(errors, "modality"))
        label for="pressure" { "Pressure" }
        select id="pressure" name="pressure" {
            option value="" { "Not recorded" }
            @for value in Pressure::ALL {
                option value=(value.as_str()) selected[form.raw("pressure") == value.as_str()] { (words::pressure(*value)) }
            }
        }
        (error_line(errors, "pressure"))
        (text_input("number", "duration_min", "Length in minutes (optional)", form.raw("duration_min"), errors, "off"))
        fieldset {
            legend { "Regions worked on" }
            div class="grid" {
                @for region in Region::ALL {
                    label class="check" for={ "regions-" (region.as_str()) } {
                        input type="checkbox" id={ "regions-" (region.as_str()) } name="regions" value=(region.as_str()) checked[form.has("regions", region.as_str())];
                        (words::region(*region))
                    }
                }
            }
            (error_line(errors, "regions"))
        }
        label for="notes" { "Private notes (never shown to the client)" }
        textarea id="notes" name="notes" maxlength="10000" { (form.raw("notes")) }
        (error_line(errors, "notes"))
    }
}

fn treatment_page(
    therapist: &Therapist,
    client: &aftercare_store::Client,
    form: &FormData,
    errors: &FieldErrors,
    default_at: &str,
) -> Markup {
    let at = if form.raw("at").is_empty() {
        default_at
    } else {
        form.raw("at")
    };
    html! {
        h1 { "Record a treatment for " (client.name) }
        @if !errors.is_empty() { p class="error" role="alert" { "Some answers need a change: see below." } }
        form method="post" action={ "/clients/" (client.id) "/treatments" } {
            input type="hidden" name="csrf_token" value=(therapist.0.csrf_token);
            (text_input("datetime-local", "at", "When (UTC)", at, errors, "off"))
            (treatment_fields(form, errors))
            p { button type="submit" { "Record the treatment" } }
        }
    }
}

/// `GET /clients/{id}/treatments/new`.
pub(crate) async fn new_treatment_form(
    State(state): State<AppState>,
    therapist: Therapist,
    Path(id): Path<String>,
) -> Result<PageResponse, WebError> {
    let id = client_id(&id)?;
    let client = state
        .store
        .client(&therapist.0.principal.clinic_id, &id)
        .await?;
    let body = treatment_page(
        &therapist,
        &client,
        &FormData::default(),
        &FieldErrors::default(),
        &local_input(state.now()),
    );
    Ok(PageResponse::new(page(
        "Record a treatment",
        Some(&therapist.nav()),
        &body,
    )))
}

/// Reads the treatment form, or says what is wrong with which field.
pub(crate) fn read_treatment(
    form: &FormData,
    now: Millis,
    lifetime_days: u32,
) -> Result<(TreatmentDetails, Option<String>), FieldErrors> {
    let mut errors = FieldErrors::default();
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let at = match form.get("at") {
        None => Some(timestamp(now)),
        Some(text) => {
            let text = text.get(..16).unwrap_or(text);
            if let Ok(at) = time::PrimitiveDateTime::parse(text, &format) {
                Some(aftercare_core::Timestamp::new(at.assume_utc()))
            } else {
                errors.add("at", "Enter a date and time such as 2026-11-20T15:00.");
                None
            }
        }
    };
    if let Some(at) = at {
        let millis = millis_of(at);
        if millis > now + aftercare_store::MAX_CLOCK_SKEW_MILLIS {
            errors.add("at", "Enter a time that is not in the future: record a treatment once it has been given.");
        } else if millis + i64::from(lifetime_days) * 86_400_000 <= now {
            errors.add("at", format!("Enter a time within the last {lifetime_days} days, so that the client's link still works."));
        }
    }
    let modality = Modality::ALL
        .iter()
        .copied()
        .find(|m| m.as_str() == form.raw("modality"));
    if modality.is_none() {
        errors.add("modality", "Choose one of the kinds of treatment offered.");
    }
    let pressure = match form.get("pressure") {
        None => None,
        Some(text) => {
            let found = Pressure::ALL.iter().copied().find(|p| p.as_str() == text);
            if found.is_none() {
                errors.add("pressure", "Choose one of the pressures offered.");
            }
            found
        }
    };
    let duration_min = match form.get("duration_min") {
        None => None,
        Some(text) => {
            let found = text.parse::<u16>().ok().and_then(DurationMinutes::new);
            if found.is_none() {
                errors.add(
                    "duration_min",
                    format!("Enter whole minutes from 1 to 480; you typed “{text}”."),
                );
            }
            found
        }
    };
    let mut regions = Vec::new();
    for sent in form.all("regions") {
        match Region::ALL.iter().find(|region| region.as_str() == sent) {
            Some(region) if !regions.contains(region) => regions.push(*region),
            Some(_) => {}
            None => errors.add("regions", "Tick only the regions offered."),
        }
    }
    let notes = form.get("notes").map(str::to_owned);
    if notes.as_ref().is_some_and(|n| n.chars().count() > 10_000) {
        errors.add("notes", "Keep the notes to 10 000 characters or fewer.");
    }
    match (at, modality) {
        (Some(at), Some(modality)) if errors.is_empty() => Ok((
            TreatmentDetails {
                at,
                modality,
                pressure,
                duration_min,
                regions,
            },
            notes,
        )),
        _ => Err(errors),
    }
}

/// `POST /clients/{id}/treatments`: records the treatment and its client
/// link, then shows the treatment with the link (once).
pub(crate) async fn create_treatment(
    State(state): State<AppState>,
    therapist: Therapist,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    therapist.check(&form)?;
    let id = client_id(&id)?;
    let principal = &therapist.0.principal;
    let client = state.store.client(&principal.clinic_id, &id).await?;
    let now = state.now();
    let (details, notes) = match read_treatment(&form, now, state.settings.link_lifetime_days) {
        Ok(read) => read,
        Err(errors) => {
            let body = treatment_page(&therapist, &client, &form, &errors, &local_input(now));
            return Ok(PageResponse::new(page(
                "Record a treatment",
                Some(&therapist.nav()),
                &body,
            ))
            .with_status(StatusCode::UNPROCESSABLE_ENTITY)
            .into_response());
        }
    };
    let secret = Secret::generate(LINK_PREFIX);
    let expires_at = millis_of(details.at)
        .saturating_add(i64::from(state.settings.link_lifetime_days) * 86_400_000);
    let treatment: Treatment = state
        .store
        .create_treatment(
            &principal.clinic_id,
            &Actor::Practitioner(principal.practitioner_id.clone()),
            NewTreatment {
                client_id: id,
                practitioner_id: principal.practitioner_id.clone(),
                details,
                notes,
                link_hash: secret.hash(),
                link_expires_at: expires_at,
            },
            now,
        )
        .await?;
    // The first invitation is planned at once, not at the next tick.
    state.wake_scheduler();
    let location = format!("/treatments/{}", treatment.id);
    // The link is shown on the treatment's page for ten minutes, then
    // never again: only its hash is stored.
    let cookie = set_cookie(
        NEW_LINK_COOKIE,
        secret.expose(),
        600,
        secure_cookies(&state),
    )
    .replace("Path=/", &format!("Path={location}"));
    Ok(see_other(&location, &[cookie]))
}
