//! A client's record in the web app: correcting a client's details and a
//! treatment, erasing a client (the owner, after a confirmation page),
//! downloading a client's data, and erasing a self-check diary from its
//! own page. The work is done in [`crate::usecases::records`], as for the API.

use aftercare_core::vocabulary::Pressure;
use aftercare_store::{Client, ClientId, PageRequest, StoreError, Treatment, Update};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use crate::api::records::ClientRecordView;
use crate::state::AppState;
use crate::time_format::ClinicTime;
use crate::usecases::records::{self, ClientEdit, TreatmentEdit};
use crate::web::clients::{read_treatment, treatment_fields, when_label};
use crate::web::course::treatment_id;
use crate::web::error::WebError;
use crate::web::form::{FieldErrors, FormData, anonymous_csrf, error_line, text_input};
use crate::web::layout::{PageResponse, page, see_other};
use crate::web::selfcheck::diary_hash;
use crate::web::session::{Therapist, secure_cookies};
use crate::web::setup::{check_email, check_text};

/// A client id from the path; unknown text is "not found".
fn client_id(text: &str) -> Result<ClientId, WebError> {
    ClientId::parse(text).ok_or(WebError::NotFound("client"))
}

/// A form's fields as if they had been posted, to show stored values.
fn prefilled(fields: &[(&str, &str)]) -> FormData {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    FormData::parse(body.as_bytes())
}

/// The box listing what is wrong, each linked to its field.
fn errors_box(errors: &FieldErrors) -> Markup {
    html! {
        @if !errors.is_empty() {
            div class="errors" role="alert" {
                p { strong { "Some answers need a change:" } }
                ul { @for (field, message) in errors.iter() { li { a href={ "#" (field) } { (message) } } } }
            }
        }
    }
}

fn client_page(
    therapist: &Therapist,
    client: &Client,
    form: &FormData,
    errors: &FieldErrors,
) -> Markup {
    page(
        &format!("Edit {}", client.name),
        Some(&therapist.nav()),
        &html! {
            h1 { "Edit the details of " (client.name) }
            (errors_box(errors))
            form method="post" action={ "/clients/" (client.id) "/edit" } {
                input type="hidden" name="csrf_token" value=(therapist.0.csrf_token);
                (crate::web::clients::client_fields(form, errors))
                p { button type="submit" { "Save the details" } }
            }
            p { a href={ "/clients/" (client.id) } { "Back to " (client.name) } }
        },
    )
}

/// `GET /clients/{id}/edit`: the client's details, to correct.
pub(crate) async fn client_form(
    State(state): State<AppState>,
    therapist: Therapist,
    Path(id): Path<String>,
) -> Result<PageResponse, WebError> {
    let id = client_id(&id)?;
    let client = state
        .store
        .client(&therapist.0.principal.clinic_id, &id)
        .await?;
    let consent = if client.consent_at.is_some() {
        "yes"
    } else {
        ""
    };
    let form = prefilled(&[
        ("name", client.name.as_str()),
        ("email", client.email.as_deref().unwrap_or_default()),
        ("phone", client.phone.as_deref().unwrap_or_default()),
        ("follow_up_consent", consent),
    ]);
    Ok(PageResponse::new(client_page(
        &therapist,
        &client,
        &form,
        &FieldErrors::default(),
    )))
}

/// `POST /clients/{id}/edit`: saves the details (checked as when the
/// client was added), then shows the client.
pub(crate) async fn client_save(
    State(state): State<AppState>,
    therapist: Therapist,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    therapist.check(&form)?;
    let id = client_id(&id)?;
    let principal = &therapist.0.principal;
    let client = state.store.client(&principal.clinic_id, &id).await?;
    let mut errors = FieldErrors::default();
    check_text(&form, &mut errors, "name", "the client's name", 200);
    check_email(&form, &mut errors, "email", false);
    let phone = crate::web::clients::check_phone(&form, &mut errors);
    if !errors.is_empty() {
        return Ok(
            PageResponse::new(client_page(&therapist, &client, &form, &errors))
                .with_status(StatusCode::UNPROCESSABLE_ENTITY)
                .into_response(),
        );
    }
    let edit = ClientEdit {
        name: form.get("name").map(str::to_owned),
        email: Update::Set(form.get("email").map(str::to_lowercase)),
        phone: Update::Set(phone),
        follow_up_consent: Some(form.has("follow_up_consent", "yes")),
    };
    records::correct_client(&state, principal, &id, edit).await?;
    Ok(see_other(&format!("/clients/{id}"), &[]))
}

fn erase_page(
    therapist: &Therapist,
    client: &Client,
    treatments: usize,
    errors: &FieldErrors,
) -> Markup {
    page(
        &format!("Erase {}", client.name),
        Some(&therapist.nav()),
        &html! {
            h1 { "Erase " (client.name) "?" }
            p { "This erases the client and everything about them, for good: "
                @if treatments == 1 { "their treatment" } @else { "their " (treatments) " treatments" }
                ", every check-in and answer, alerts, follow-up plans, messages and their links. "
                "It cannot be undone. The audit trail keeps only that a client was erased, by you, and when." }
            p { "To give the client their data first, "
                a href={ "/clients/" (client.id) "/export" } { "download it" } "." }
            form method="post" action={ "/clients/" (client.id) "/erase" } {
                input type="hidden" name="csrf_token" value=(therapist.0.csrf_token);
                label class="check" for="confirm" {
                    input type="checkbox" id="confirm" name="confirm" value="yes"
                        aria-invalid=[errors.get("confirm").map(|_| "true")]
                        aria-describedby=[errors.get("confirm").map(|_| "confirm-error")];
                    "Yes, erase " (client.name) " and all their records"
                }
                (error_line(errors, "confirm"))
                div class="actions" {
                    button type="submit" { "Erase for good" }
                    a class="button secondary" href={ "/clients/" (client.id) } { "Keep the client" }
                }
            }
        },
    )
}

/// How many treatments a client has, for the confirmation page.
async fn treatment_count(
    state: &AppState,
    therapist: &Therapist,
    client: &ClientId,
) -> Result<usize, WebError> {
    Ok(state
        .store
        .list_treatments(
            &therapist.0.principal.clinic_id,
            Some(client),
            &PageRequest {
                limit: Some(200),
                after: None,
            },
        )
        .await?
        .items
        .len())
}

/// `GET /clients/{id}/erase`: asks the owner to confirm.
pub(crate) async fn erase_form(
    State(state): State<AppState>,
    therapist: Therapist,
    Path(id): Path<String>,
) -> Result<PageResponse, WebError> {
    therapist.require_owner()?;
    let id = client_id(&id)?;
    let client = state
        .store
        .client(&therapist.0.principal.clinic_id, &id)
        .await?;
    let treatments = treatment_count(&state, &therapist, &id).await?;
    Ok(PageResponse::new(erase_page(
        &therapist,
        &client,
        treatments,
        &FieldErrors::default(),
    )))
}

/// `POST /clients/{id}/erase`: erases the client once confirmed, then
/// shows the list of clients.
pub(crate) async fn erase(
    State(state): State<AppState>,
    therapist: Therapist,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    therapist.check(&form)?;
    therapist.require_owner()?;
    let id = client_id(&id)?;
    let principal = &therapist.0.principal;
    let client = state.store.client(&principal.clinic_id, &id).await?;
    if !form.has("confirm", "yes") {
        let mut errors = FieldErrors::default();
        errors.add(
            "confirm",
            "Tick the box to confirm, or go back to keep the client.",
        );
        let treatments = treatment_count(&state, &therapist, &id).await?;
        return Ok(
            PageResponse::new(erase_page(&therapist, &client, treatments, &errors))
                .with_status(StatusCode::UNPROCESSABLE_ENTITY)
                .into_response(),
        );
    }
    records::erase_client(&state, principal, &id).await?;
    Ok(see_other("/clients", &[]))
}

/// `GET /clients/{id}/export`: the client's record as a JSON file to give
/// them; the read is recorded in the audit trail.
pub(crate) async fn export(
    State(state): State<AppState>,
    therapist: Therapist,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = client_id(&id)?;
    let record = records::client_record(&state, &therapist.0.principal, &id).await?;
    let view = ClientRecordView::new(record, state.now());
    let body = serde_json::to_vec_pretty(&view)
        .map_err(|error| WebError::Internal(format!("a client record as JSON: {error}")))?;
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!(
        "attachment; filename=\"aftercare-client-{id}.json\""
    )) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

fn treatment_page(
    therapist: &Therapist,
    treatment: &Treatment,
    form: &FormData,
    errors: &FieldErrors,
    clock: &ClinicTime,
) -> Markup {
    page(
        "Correct a treatment",
        Some(&therapist.nav()),
        &html! {
            h1 { "Correct the treatment of " (clock.when(aftercare_store::millis_of(treatment.details.at))) }
            p { "Change what was mistyped. If the client has checked in, their course is answered again with the "
                "current guideline; earlier answers stay as they were." }
            (errors_box(errors))
            form method="post" action={ "/treatments/" (treatment.id) "/edit" } {
                input type="hidden" name="csrf_token" value=(therapist.0.csrf_token);
                (text_input("datetime-local", "at", &when_label(clock), form.raw("at"), errors, "off"))
                (treatment_fields(form, errors))
                div class="actions" {
                    button type="submit" { "Save the correction" }
                    a class="button secondary" href={ "/treatments/" (treatment.id) } { "Back to the course" }
                }
            }
        },
    )
}

/// `GET /treatments/{id}/edit`: the treatment as recorded, to correct.
pub(crate) async fn treatment_form(
    State(state): State<AppState>,
    therapist: Therapist,
    Path(id): Path<String>,
) -> Result<PageResponse, WebError> {
    let id = treatment_id(&id)?;
    let clinic = &therapist.0.principal.clinic_id;
    let treatment = state.store.treatment(clinic, &id).await?;
    let clock = ClinicTime::of(&state.store, clinic).await?;
    let details = &treatment.details;
    let at = clock.input(aftercare_store::millis_of(details.at));
    let duration = details
        .duration_min
        .map(|minutes| minutes.get().to_string())
        .unwrap_or_default();
    let mut fields = vec![
        ("at", at.as_str()),
        ("modality", details.modality.as_str()),
        ("pressure", details.pressure.map_or("", Pressure::as_str)),
        ("duration_min", duration.as_str()),
        ("notes", treatment.notes.as_deref().unwrap_or_default()),
    ];
    fields.extend(
        details
            .regions
            .iter()
            .map(|region| ("regions", region.as_str())),
    );
    let form = prefilled(&fields);
    Ok(PageResponse::new(treatment_page(
        &therapist,
        &treatment,
        &form,
        &FieldErrors::default(),
        &clock,
    )))
}

/// `POST /treatments/{id}/edit`: saves the correction (checked as when
/// the treatment was recorded; the time also not after the first
/// check-in), then shows the course.
pub(crate) async fn treatment_save(
    State(state): State<AppState>,
    therapist: Therapist,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    therapist.check(&form)?;
    let id = treatment_id(&id)?;
    let principal = &therapist.0.principal;
    let treatment = state.store.treatment(&principal.clinic_id, &id).await?;
    let clock = ClinicTime::of(&state.store, &principal.clinic_id).await?;
    let refused = |errors: FieldErrors| {
        PageResponse::new(treatment_page(
            &therapist, &treatment, &form, &errors, &clock,
        ))
        .with_status(StatusCode::UNPROCESSABLE_ENTITY)
        .into_response()
    };
    // The link's lifetime bounds the time of a new treatment only: a
    // correction keeps the link as it is, however old the treatment.
    let (details, notes) = match read_treatment(&form, state.now(), u32::MAX, &clock) {
        Ok(read) => read,
        Err(errors) => return Ok(refused(errors)),
    };
    let edit = TreatmentEdit {
        details: Some(details),
        notes: Update::Set(notes),
    };
    match records::correct_treatment(&state, principal, &id, edit).await {
        Ok(_) => Ok(see_other(&format!("/treatments/{id}"), &[])),
        Err(StoreError::Invalid { expected, .. }) => {
            let mut errors = FieldErrors::default();
            errors.add("at", format!("Enter {expected}."));
            Ok(refused(errors))
        }
        Err(other) => Err(other.into()),
    }
}

fn diary_erase_page(token: &str, csrf: &str, errors: &FieldErrors) -> Markup {
    page(
        "Erase your diary",
        None,
        &html! {
            h1 { "Erase your self-check diary?" }
            p { "This erases the diary and every check-in in it, for good. Its link stops working. "
                "Nobody else can see the diary either way." }
            form method="post" action={ "/self-check/d/" (token) "/erase" } {
                input type="hidden" name="csrf_token" value=(csrf);
                label class="check" for="confirm" {
                    input type="checkbox" id="confirm" name="confirm" value="yes"
                        aria-invalid=[errors.get("confirm").map(|_| "true")]
                        aria-describedby=[errors.get("confirm").map(|_| "confirm-error")];
                    "Yes, erase my diary"
                }
                (error_line(errors, "confirm"))
                div class="actions" {
                    button type="submit" { "Erase my diary" }
                    a class="button secondary" href={ "/self-check/d/" (token) } { "Keep it" }
                }
            }
        },
    )
}

/// `GET /self-check/d/{link}/erase`: asks the diary's holder to confirm.
pub(crate) async fn diary_erase_form(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<PageResponse, WebError> {
    let hash = diary_hash(&token)?;
    state.store.diary(&hash, state.now()).await?;
    let (csrf, set) = anonymous_csrf(&headers, secure_cookies(&state));
    Ok(
        PageResponse::new(diary_erase_page(&token, &csrf, &FieldErrors::default()))
            .with_cookie(set),
    )
}

/// `POST /self-check/d/{link}/erase`: erases the diary once confirmed.
pub(crate) async fn diary_erase(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    form: FormData,
) -> Result<PageResponse, WebError> {
    let hash = diary_hash(&token)?;
    form.check_cookie_csrf(&headers)?;
    state.store.diary(&hash, state.now()).await?;
    if !form.has("confirm", "yes") {
        let mut errors = FieldErrors::default();
        errors.add(
            "confirm",
            "Tick the box to confirm, or go back to keep the diary.",
        );
        return Ok(
            PageResponse::new(diary_erase_page(&token, form.raw("csrf_token"), &errors))
                .with_status(StatusCode::UNPROCESSABLE_ENTITY),
        );
    }
    state.store.erase_diary(&hash).await?;
    Ok(PageResponse::new(page(
        "Diary erased",
        None,
        &html! {
            h1 { "Your diary is erased" }
            p { "Its check-ins are gone and its link no longer works." }
            p { a class="button" href="/self-check" { "Start a new self-check" } }
        },
    )))
}
