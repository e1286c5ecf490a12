//! A course as the therapist sees it (with the timeline chart), and the
//! one-page doctor summary: the treatment, every check-in, the chart, the
//! decisions and the rules that fired.

use aftercare_store::secret::hash_text;
use aftercare_store::{Actor, CourseRecord, TreatmentId, millis_of};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use base64::Engine as _;
use maud::{Markup, html};

use crate::state::AppState;
use crate::web::answer::{Audience, DecisionView, Reported, decision_block, shown_order};
use crate::web::chart;
use crate::web::checkin::{course_table, when};
use crate::web::clients::NEW_LINK_COOKIE;
use crate::web::error::WebError;
use crate::web::form::cookie;
use crate::web::layout::{PageResponse, page};
use crate::web::reach::Reach;
use crate::web::session::Therapist;
use crate::web::words;

/// A treatment id from the path; unknown text is "not found".
pub(crate) fn treatment_id(text: &str) -> Result<TreatmentId, WebError> {
    TreatmentId::parse(text).ok_or(WebError::NotFound("treatment"))
}

/// Reads a course of the therapist's clinic (the read is audited).
pub(crate) async fn read_course(
    state: &AppState,
    therapist: &Therapist,
    id: &str,
) -> Result<(CourseRecord, aftercare_store::Client), WebError> {
    let id = treatment_id(id)?;
    let principal = &therapist.0.principal;
    let record = state
        .store
        .course(
            &principal.clinic_id,
            &id,
            &Actor::Practitioner(principal.practitioner_id.clone()),
            state.now(),
        )
        .await?;
    let client = state
        .store
        .client(&principal.clinic_id, &record.treatment.client_id)
        .await?;
    Ok((record, client))
}

/// The treatment in one line.
fn treatment_line(record: &CourseRecord) -> Markup {
    let details = &record.treatment.details;
    html! {
        (words::modality(details.modality))
        @if let Some(pressure) = details.pressure { ", " (words::pressure(pressure).to_lowercase()) " pressure" }
        @if let Some(minutes) = details.duration_min { ", " (minutes.get()) " minutes" }
        @if !details.regions.is_empty() { ", on: " (details.regions.iter().map(|r| words::region(*r)).collect::<Vec<_>>().join(", ")) }
        "; given " (when(millis_of(details.at))) "."
    }
}

/// The client link as an address, a QR code image and a note on expiry.
fn link_block(state: &AppState, token: &str, expires_at: i64) -> Markup {
    let url = state.settings.client_link_url(token);
    let qr = qrcode::QrCode::new(url.as_bytes()).ok().map(|code| {
        let svg = code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(192, 192)
            .build();
        format!(
            "data:image/svg+xml;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(svg)
        )
    });
    html! {
        section class="link" aria-labelledby="link-heading" {
            h2 id="link-heading" { "The client's private link" }
            p { "Give this link to the client now: it is shown only for a few minutes and never again. It works until " (when(expires_at)) "." }
            p id="client-link" class="link-box" { (url) }
            @if let Some(qr) = qr {
                img class="qr" src=(qr) alt="QR code of the client's private link" width="192" height="192";
            }
        }
    }
}

/// `GET /treatments/{id}`: the course with the timeline chart.
pub(crate) async fn course_view(
    State(state): State<AppState>,
    therapist: Therapist,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<PageResponse, WebError> {
    let (record, client) = read_course(&state, &therapist, &id).await?;
    // A link just made is shown if the cookie's secret is this treatment's.
    let new_link = match cookie(&headers, NEW_LINK_COOKIE) {
        Some(token) => {
            let stored = state
                .store
                .treatment_link_hash(&therapist.0.principal.clinic_id, &record.treatment.id)
                .await?;
            (stored == hash_text(token)).then(|| token.to_owned())
        }
        None => None,
    };
    let levels = record.answered_levels();
    let latest = record
        .decisions
        .last()
        .and_then(|d| DecisionView::parse(d.body.get()));
    let course = record.course();
    let reach = Reach::of(&state, &record.treatment.clinic_id, Some(&client)).await?;
    Ok(PageResponse::new(page(
        &format!("Course of {}", client.name),
        Some(&therapist.nav()),
        &html! {
            h1 { "Course of " a href={ "/clients/" (client.id) } { (client.name) } }
            p { (treatment_line(&record)) }
            @if let Some(token) = &new_link {
                (link_block(&state, token, record.treatment.link_expires_at))
            }
            @if let Some(notes) = &record.treatment.notes {
                p { strong { "Private notes: " } (notes) }
            }
            @if let Some(latest) = &latest {
                h2 { "Latest answer" }
                (decision_block(latest, 3, &Reported::course(&course), Audience::Therapist(reach)))
            }
            h2 { "Timeline" }
            (chart::timeline(&course, &levels))
            h2 { "Check-ins" }
            @if record.checkins.is_empty() { p { "No check-ins yet." } } @else { (course_table(&record)) }
            div class="actions" {
                a class="button secondary" href={ "/treatments/" (record.treatment.id) "/edit" } { "Correct the treatment" }
                a class="button secondary" href={ "/treatments/" (record.treatment.id) "/summary" } { "Doctor summary" }
                a class="button secondary" href={ "/treatments/" (record.treatment.id) "/summary.pdf" } { "Doctor summary (PDF)" }
            }
        },
    )))
}

/// `GET /treatments/{id}/summary`: one printable page for a doctor.
pub(crate) async fn summary(
    State(state): State<AppState>,
    therapist: Therapist,
    Path(id): Path<String>,
) -> Result<PageResponse, WebError> {
    let (record, client) = read_course(&state, &therapist, &id).await?;
    let levels = record.answered_levels();
    let course = record.course();
    let reported = Reported::course(&course);
    let decisions: Vec<_> = record
        .decisions
        .iter()
        .filter_map(|d| DecisionView::parse(d.body.get()).map(|view| (d, view)))
        .collect();
    Ok(PageResponse::new(page(
        &format!("Summary for {}", client.name),
        Some(&therapist.nav()),
        &html! {
            h1 { "After-treatment summary: " (client.name) }
            p { "Prepared by " (therapist.0.clinic_name) " on " (when(state.now())) ". "
                "Aftercare is decision support, not a diagnosis." }
            h2 { "Treatment" }
            p { (treatment_line(&record)) }
            h2 { "Symptoms over time" }
            (chart::timeline(&course, &levels))
            h2 { "Check-ins" }
            @if record.checkins.is_empty() { p { "No check-ins." } } @else { (course_table(&record)) }
            h2 { "Answers and the rules behind them" }
            @for (stored, view) in &decisions {
                div class="decision" data-level=(view.level.as_str()) {
                    p { strong { (view.level.heading()) } " (" (when(stored.created_at)) ", guideline " (stored.guideline_id) " " (stored.guideline_version) ")" }
                    @if view.reasons.is_empty() { p { "No rule fired." } }
                    ul {
                        @for reason in shown_order(&view.reasons, &reported) {
                            li data-carried=[reason.earlier.as_ref().map(|_| "earlier")]
                                data-held=[reason.assessed.as_ref().map(|_| "assessed")] {
                                code { (reason.rule) } " (" (reason.level.as_str())
                                @if let Some(label) = reason.clinical_label() { "; " strong { (label) } }
                                "): " (reason.why)
                                @if !reason.sources.is_empty() { " [" (reason.sources.join(", ")) "]" } }
                        }
                    }
                }
            }
            div class="actions" {
                a class="button" href={ "/treatments/" (record.treatment.id) "/summary.pdf" } { "Download as PDF" }
            }
        },
    )))
}
