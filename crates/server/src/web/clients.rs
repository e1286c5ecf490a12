//! Clients and their treatments: the list, a client's page, and recording
//! a treatment (which makes the client's private link, shown once as a
//! copyable address and a QR code).

use aftercare_core::vocabulary::{Modality, Pressure, Region};
use aftercare_core::{Treatment as TreatmentDetails, course::DurationMinutes};
use aftercare_store::{Actor, AlertId, ClientId, Millis, NewClient, PageRequest, millis_of};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use crate::state::AppState;
use crate::time_format::{ClinicTime, LocalTimeError};
use crate::usecases::treatments::{TreatmentToRecord, link_expires_at, record_treatment};
use crate::web::error::WebError;
use crate::web::finding::finding_lines;
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
                (client_fields(form, errors))
                p { button type="submit" { "Add the client" } }
            }
        },
    )
}

/// The fields of a client, for adding one and for correcting one.
pub(crate) fn client_fields(form: &FormData, errors: &FieldErrors) -> Markup {
    html! {
        (text_input("text", "name", "Name", form.raw("name"), errors, "off"))
        (text_input("email", "email", "Email (optional)", form.raw("email"), errors, "off"))
        (text_input("tel", "phone", "Phone (optional, for text messages)", form.raw("phone"), errors, "off"))
        label class="check" for="follow_up_consent" {
            input type="checkbox" id="follow_up_consent" name="follow_up_consent" value="yes" checked[form.has("follow_up_consent", "yes")];
            "The client agrees to be followed up after treatments"
        }
    }
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
    let phone = check_phone(&form, &mut errors);
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
                phone,
                consent_at: form.has("follow_up_consent", "yes").then_some(now),
            },
            now,
        )
        .await?;
    Ok(see_other(&format!("/clients/{}", client.id), &[]))
}

/// Reads the optional `phone` field with the API's check
/// ([`crate::input::is_phone`]); says what is wrong otherwise.
pub(crate) fn check_phone(form: &FormData, errors: &mut FieldErrors) -> Option<String> {
    let phone = form.get("phone")?;
    if crate::input::is_phone(phone) {
        Some(phone.to_owned())
    } else {
        errors.add(
            "phone",
            "Enter a phone number of 6 to 20 digits, such as +44 20 7946 0000; \
             only digits, spaces, a leading +, dots, dashes and brackets.",
        );
        None
    }
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
    let clock = ClinicTime::of(&state.store, clinic).await?;
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
    let history = alert_history(&state, &therapist, &id, &clock).await?;
    Ok(PageResponse::new(page(
        &client.name,
        Some(&therapist.nav()),
        &html! {
            h1 { (client.name) }
            p {
                @if let Some(email) = &client.email { a href={ "mailto:" (email) } { (email) } br; }
                @if let Some(phone) = &client.phone { a href={ "tel:" (tel_target(phone)) } { (phone) } br; }
                @match client.consent_at {
                    Some(at) => { "Agreed to follow-up on " (clock.when(at)) "." }
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
                        li { a href={ "/treatments/" (treatment.id) } { (clock.when(millis_of(treatment.details.at))) ": " (words::modality(treatment.details.modality)) } }
                    }
                }
            }
            (history)
        },
    )))
}

/// The most alerts a client's page lists.
const ALERT_HISTORY_LIMIT: i64 = 200;

/// A phone number as a `tel:` link wants it: the digits and a leading `+`.
pub(crate) fn tel_target(phone: &str) -> String {
    phone
        .chars()
        .enumerate()
        .filter(|(at, c)| c.is_ascii_digit() || (*at == 0 && *c == '+'))
        .map(|(_, c)| c)
        .collect()
}

/// Every alert about a client, newest first: its level, what it was about
/// (in clinical words), when it was raised, and who acknowledged it and
/// when. The read is recorded in the audit trail: findings are health data.
async fn alert_history(
    state: &AppState,
    therapist: &Therapist,
    client: &ClientId,
    clock: &ClinicTime,
) -> Result<Markup, WebError> {
    let principal = &therapist.0.principal;
    let clinic = &principal.clinic_id;
    let alerts = state
        .store
        .client_alerts(clinic, client, ALERT_HISTORY_LIMIT)
        .await?;
    let ids: Vec<AlertId> = alerts.iter().map(|item| item.alert.id.clone()).collect();
    let findings = state.store.alert_findings(clinic, &ids).await?;
    if !alerts.is_empty() {
        state
            .store
            .record_audit(
                Some(clinic),
                &Actor::Practitioner(principal.practitioner_id.clone()),
                "alerts.read",
                &format!("client:{client}"),
                state.now(),
            )
            .await?;
    }
    Ok(html! {
        h2 id="alert-history-heading" { "Alert history" }
        @if alerts.is_empty() {
            p id="alert-history" { "No alerts about this client." }
        } @else {
            ol id="alert-history" class="alerts" aria-labelledby="alert-history-heading" {
                @for item in &alerts {
                    li class="alert" data-level=(item.alert.level.as_str()) {
                        span class="level" data-level=(item.alert.level.as_str()) { (item.alert.level.heading()) }
                        " "
                        a href={ "/treatments/" (item.alert.treatment_id) } { "Raised " (clock.when(item.alert.created_at)) }
                        @let lines = findings.iter().find(|found| found.alert_id == item.alert.id).map(finding_lines).unwrap_or_default();
                        @if !lines.is_empty() {
                            ul class="finding" { @for line in &lines { li { (line) } } }
                        }
                        p class="muted acknowledged" {
                            (acknowledged_line(item, clock))
                        }
                    }
                }
            }
        }
    })
}

/// "Acknowledged by <name> at <time>", or "Not acknowledged yet".
pub(crate) fn acknowledged_line(item: &aftercare_store::AlertRecord, clock: &ClinicTime) -> String {
    match (item.alert.acknowledged_at, &item.acknowledged_by_name) {
        (Some(at), Some(name)) => format!("Acknowledged by {name} at {}", clock.when(at)),
        (Some(at), None) => format!("Acknowledged at {}", clock.when(at)),
        (None, _) => "Not acknowledged yet".to_owned(),
    }
}

/// The label of the treatment time, naming the zone it is typed in.
pub(crate) fn when_label(clock: &ClinicTime) -> String {
    format!("When ({} time)", clock.name())
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
    clock: &ClinicTime,
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
            (text_input("datetime-local", "at", &when_label(clock), at, errors, "off"))
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
    let clinic = &therapist.0.principal.clinic_id;
    let client = state.store.client(clinic, &id).await?;
    let clock = ClinicTime::of(&state.store, clinic).await?;
    let body = treatment_page(
        &therapist,
        &client,
        &FormData::default(),
        &FieldErrors::default(),
        &clock,
        &clock.input(state.now()),
    );
    Ok(PageResponse::new(page(
        "Record a treatment",
        Some(&therapist.nav()),
        &body,
    )))
}

/// An instant as a treatment time (UTC); `None` beyond the years a
/// timestamp holds.
fn instant(millis: Millis) -> Option<aftercare_core::Timestamp> {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .ok()
        .map(aftercare_core::Timestamp::new)
}

/// Reads the treatment form, or says what is wrong with which field. The
/// time is read in the clinic's zone (see [`ClinicTime::read_input`]).
pub(crate) fn read_treatment(
    form: &FormData,
    now: Millis,
    lifetime_days: u32,
    clock: &ClinicTime,
) -> Result<(TreatmentDetails, Option<String>), FieldErrors> {
    let mut errors = FieldErrors::default();
    let at = match form.get("at").map(|text| clock.read_input(text)) {
        None => Some(now),
        Some(Ok(millis)) => Some(millis),
        Some(Err(LocalTimeError::Unreadable)) => {
            errors.add("at", "Enter a date and time such as 2026-11-20T15:00.");
            None
        }
        Some(Err(LocalTimeError::Skipped)) => {
            errors.add(
                "at",
                format!(
                    "That time did not happen in {}: the clocks went forward then. Enter the time as the clock showed it.",
                    clock.name()
                ),
            );
            None
        }
    };
    let at = at.and_then(|millis| {
        let at = instant(millis);
        if at.is_none() {
            errors.add("at", "Enter a date and time such as 2026-11-20T15:00.");
        }
        at
    });
    if let Some(at) = at {
        let millis = millis_of(at);
        if millis > now + aftercare_store::MAX_CLOCK_SKEW_MILLIS {
            errors.add("at", "Enter a time that is not in the future: record a treatment once it has been given.");
        } else if link_expires_at(millis, lifetime_days) <= now {
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
            let found = Pressure::from_wire(text);
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
    let clock = ClinicTime::of(&state.store, &principal.clinic_id).await?;
    let read = read_treatment(&form, now, state.settings.link_lifetime_days, &clock);
    let (details, notes) = match read {
        Ok(read) => read,
        Err(errors) => {
            let body = treatment_page(
                &therapist,
                &client,
                &form,
                &errors,
                &clock,
                &clock.input(now),
            );
            return Ok(PageResponse::new(page(
                "Record a treatment",
                Some(&therapist.nav()),
                &body,
            ))
            .with_status(StatusCode::UNPROCESSABLE_ENTITY)
            .into_response());
        }
    };
    let recorded = record_treatment(
        &state,
        principal,
        TreatmentToRecord {
            client_id: id,
            practitioner_id: principal.practitioner_id.clone(),
            details,
            notes,
        },
    )
    .await?;
    let location = format!("/treatments/{}", recorded.treatment.id);
    // The link is shown on the treatment's page for ten minutes, then
    // never again: only its hash is stored.
    let cookie = set_cookie(
        NEW_LINK_COOKIE,
        recorded.link.expose(),
        600,
        secure_cookies(&state),
    )
    .replace("Path=/", &format!("Path={location}"));
    Ok(see_other(&location, &[cookie]))
}
