//! A course as the therapist sees it (with the timeline chart); the
//! doctor summary made from it is in `summary.rs`.

use aftercare_store::secret::hash_text;
use aftercare_store::{Actor, CourseRecord, TreatmentId, millis_of};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use base64::Engine as _;
use maud::{Markup, html};

use crate::state::AppState;
use crate::time_format::ClinicTime;
use crate::usecases::links::{Handover, LinkRoutes};
use crate::web::answer::{Audience, DecisionView, Reported, decision_block};
use crate::web::chart;
use crate::web::checkin::course_table_in;
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
fn treatment_line(record: &CourseRecord, clock: &ClinicTime) -> Markup {
    let details = &record.treatment.details;
    html! {
        (words::modality(details.modality))
        @if let Some(pressure) = details.pressure { ", " (words::pressure(pressure).to_lowercase()) " pressure" }
        @if let Some(minutes) = details.duration_min { ", " (minutes.get()) " minutes" }
        @if !details.regions.is_empty() { ", on: " (details.regions.iter().map(|r| words::region(*r)).collect::<Vec<_>>().join(", ")) }
        "; given " (clock.when(millis_of(details.at))) "."
    }
}

/// How long until `at`, in words ("in 29 days", "in 5 hours").
fn time_left(now: i64, at: i64) -> String {
    const HOUR: i64 = 3_600_000;
    let left = at - now;
    if left < HOUR {
        "in less than an hour".to_owned()
    } else if left < 48 * HOUR {
        format!("in {} hours", left / HOUR)
    } else {
        format!("in {} days", left / (24 * HOUR))
    }
}

/// The QR code of an address, as an image source.
fn qr_image(url: &str) -> Option<String> {
    qrcode::QrCode::new(url.as_bytes()).ok().map(|code| {
        let svg = code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(192, 192)
            .build();
        format!(
            "data:image/svg+xml;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(svg)
        )
    })
}

/// What the course page says about the client's link.
struct LinkSection<'a> {
    /// A link just made, to show once.
    token: Option<&'a str>,
    /// The action just taken (`?sent=`).
    done: Option<Handover>,
    /// Which messages can carry a new link.
    routes: &'a LinkRoutes,
}

/// The client's link: a warning when phones cannot open it, the link just
/// made (as selectable text and a QR code, no script needed), when it
/// stops working, and the actions that put a new one in the client's
/// hands (each makes a new link; the old one stops working at once).
fn link_block(
    state: &AppState,
    therapist: &Therapist,
    record: &CourseRecord,
    section: &LinkSection<'_>,
    clock: &ClinicTime,
) -> Markup {
    let treatment = &record.treatment;
    let now = state.now();
    let expires_at = treatment.link_expires_at;
    let expired = expires_at <= now;
    let csrf = &therapist.0.csrf_token;
    let action = |rest: &str| format!("/treatments/{}/link{rest}", treatment.id);
    html! {
        section class="link" aria-labelledby="link-heading" {
            h2 id="link-heading" { "The client's private link" }
            @if state.settings.public_url_is_loopback() {
                div id="loopback-warning" class="warning" role="note" {
                    p { strong { "Phones cannot open this link." } " The service's public address is "
                        code { (state.settings.public_url) } ", this computer's own (loopback) address, so the link and its QR code work only on this computer. "
                        "Ask whoever runs the service to set " code { "--public-url" } " to the address people reach it at." }
                }
            }
            @match section.done {
                Some(Handover::Email) => {
                    p class="notice" role="status" { "A new link is on its way to the client by email. The earlier link no longer works." }
                }
                Some(Handover::TextMessage) => {
                    p class="notice" role="status" { "A new link is on its way to the client's phone by text message. The earlier link no longer works." }
                }
                _ => {}
            }
            @if let Some(token) = section.token {
                @let url = state.settings.client_link_url(token);
                p { "Give this link to the client now: it is shown here for ten minutes and never again."
                    @if section.done == Some(Handover::Shown) { " The earlier link no longer works." } }
                p { code id="client-link" class="link-box" { (url) } }
                p class="muted" { "Select the text and copy it: one click or tap selects the whole link (on a phone or tablet, then press and hold to copy). Or let the client scan the QR code with their phone's camera." }
                @if let Some(qr) = qr_image(&url) {
                    img class="qr" src=(qr) alt="QR code of the client's private link" width="192" height="192";
                }
            } @else if !expired {
                p { "Only a fingerprint of the link is kept, so it cannot be shown again. "
                    "Each button below makes a new link; the earlier one stops working at once." }
            }
            @if expired {
                p { "The link stopped working on " (clock.when(expires_at)) ", at the end of its lifetime; no new link can be made for this treatment." }
            } @else {
                p { "The link works until " (clock.when(expires_at)) " (" (time_left(now, expires_at)) ")." }
                div class="actions" id="link-actions" {
                    @if section.routes.email.is_ok() {
                        form method="post" action=(action("/email")) {
                            input type="hidden" name="csrf_token" value=(csrf);
                            button type="submit" class="secondary" { "Send a new link by email" }
                        }
                    }
                    @if section.routes.text.is_ok() {
                        form method="post" action=(action("/sms")) {
                            input type="hidden" name="csrf_token" value=(csrf);
                            button type="submit" class="secondary" { "Send a new link by text message" }
                        }
                    }
                    form method="post" action=(action("")) {
                        input type="hidden" name="csrf_token" value=(csrf);
                        button type="submit" class="secondary" { "Make a new link" }
                    }
                }
                @if let Err(why) = &section.routes.email {
                    p class="muted" id="no-link-email" { "No email can carry the link: " (why) "." }
                }
                @if let Err(why) = &section.routes.text {
                    p class="muted" id="no-link-text" { "No text message can carry the link: " (why) "." }
                }
                @if section.routes.email.is_err() && section.routes.text.is_err() {
                    p id="link-by-hand" { "So give the client the link yourself: make a new link and copy it, or let them scan its QR code." }
                }
            }
        }
    }
}

/// What the course page was sent back with after a link action.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct LinkNotice {
    /// `email` or `sms` after sending a new link; `shown` after making one.
    #[serde(default)]
    sent: Option<String>,
}

/// `GET /treatments/{id}`: the course with the timeline chart.
pub(crate) async fn course_view(
    State(state): State<AppState>,
    therapist: Therapist,
    Path(id): Path<String>,
    Query(notice): Query<LinkNotice>,
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
    let clock = ClinicTime::of(&state.store, &record.treatment.clinic_id).await?;
    let routes = LinkRoutes::of(&state, &client).await?;
    let link = LinkSection {
        token: new_link.as_deref(),
        done: notice.sent.as_deref().and_then(Handover::parse),
        routes: &routes,
    };
    Ok(PageResponse::new(page(
        &format!("Course of {}", client.name),
        Some(&therapist.nav()),
        &html! {
            h1 { "Course of " a href={ "/clients/" (client.id) } { (client.name) } }
            p { (treatment_line(&record, &clock)) }
            (link_block(&state, &therapist, &record, &link, &clock))
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
            @if record.checkins.is_empty() { p { "No check-ins yet." } } @else { (course_table_in(&record, &clock)) }
            div class="actions" {
                a class="button secondary" href={ "/treatments/" (record.treatment.id) "/edit" } { "Correct the treatment" }
                a class="button secondary" href={ "/treatments/" (record.treatment.id) "/summary" } { "Doctor summary" }
                a class="button secondary" href={ "/treatments/" (record.treatment.id) "/summary.pdf" } { "Doctor summary (PDF)" }
            }
        },
    )))
}
