//! The therapist's dashboard: open alerts, most serious first, then oldest
//! first, each naming what it is about and with an acknowledge button.
//! When no message can go out (no SMTP server and no clinic webhook), the
//! page says so first: this page is then the only way to hear of them.

use aftercare_store::{AlertId, AlertRecord};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::{Markup, html};

use crate::state::AppState;
use crate::time_format::ClinicTime;
use crate::web::clients::{acknowledged_line, tel_target};
use crate::web::error::WebError;
use crate::web::finding::finding_lines;
use crate::web::form::FormData;
use crate::web::layout::{PageResponse, page, see_other};
use crate::web::reach::Reach;
use crate::web::session::Therapist;

/// The most alerts one page lists, so that the page stays light; the
/// most urgent come first, the rest on the next pages.
const PAGE_SIZE: i64 = 100;

/// Which page of alerts: `?from=N` skips the first N.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct Paging {
    /// How many alerts to skip.
    #[serde(default)]
    from: Option<String>,
}

/// How many acknowledged alerts the dashboard shows, latest first; every
/// alert stays in its client's alert history.
const ACKNOWLEDGED_SHOWN: i64 = 10;

/// How to reach the client an alert is about: phone and email as links.
fn contact_line(contact: &AlertRecord) -> Markup {
    html! {
        p class="contact" {
            @if let Some(phone) = &contact.client_phone {
                "Phone " a href={ "tel:" (tel_target(phone)) } { (phone) }
                @if contact.client_email.is_some() { " · " }
            }
            @if let Some(email) = &contact.client_email {
                "Email " a href={ "mailto:" (email) } { (email) }
            }
            @if contact.client_phone.is_none() && contact.client_email.is_none() {
                "No phone or email on record."
            }
        }
    }
}

/// `GET /dashboard`.
pub(crate) async fn dashboard(
    State(state): State<AppState>,
    therapist: Therapist,
    Query(paging): Query<Paging>,
) -> Result<PageResponse, WebError> {
    let clinic = &therapist.0.principal.clinic_id;
    let from = paging
        .from
        .as_deref()
        .and_then(|text| text.parse::<i64>().ok())
        .unwrap_or(0)
        .max(0);
    let open = state.store.count_open_alerts(clinic).await?;
    // Past the last alert is the last page (and no sum below overflows).
    let from = from.min(open);
    let alerts = state
        .store
        .dashboard_alerts(clinic, PAGE_SIZE, from)
        .await?;
    let ids: Vec<AlertId> = alerts.iter().map(|item| item.alert.id.clone()).collect();
    let acknowledged = state
        .store
        .acknowledged_alerts(clinic, ACKNOWLEDGED_SHOWN)
        .await?;
    let mut all_ids = ids.clone();
    all_ids.extend(acknowledged.iter().map(|item| item.alert.id.clone()));
    let findings = state.store.alert_findings(clinic, &all_ids).await?;
    let contacts = state.store.alert_records(clinic, &ids).await?;
    let finding_of = |id: &AlertId| {
        findings
            .iter()
            .find(|found| &found.alert_id == id)
            .map(finding_lines)
            .unwrap_or_default()
    };
    let reach = Reach::of(&state, clinic, None).await?;
    let clock = ClinicTime::of(&state.store, clinic).await?;
    let csrf = &therapist.0.csrf_token;
    Ok(PageResponse::new(page(
        "Alerts",
        Some(&therapist.nav()),
        &html! {
            h1 { "Open alerts" }
            @if !reach.therapist { (no_delivery_warning()) }
            p class="muted" { "Signed in as " (therapist.0.practitioner_name) ". " (open) " open; most serious first, then oldest first." }
            @if alerts.is_empty() {
                p id="no-alerts" { "No open alerts. Every check-in that needs your attention appears here." }
            } @else {
                ol class="alerts" {
                    @for item in &alerts {
                        li class="alert" data-level=(item.alert.level.as_str()) {
                            div {
                                span class="level" data-level=(item.alert.level.as_str()) { (item.alert.level.heading()) }
                                " "
                                a href={ "/clients/" (item.client_id) } { (item.client_name) }
                                @let lines = finding_of(&item.alert.id);
                                @if !lines.is_empty() {
                                    ul class="finding" { @for line in &lines { li { (line) } } }
                                }
                                @if let Some(contact) = contacts.iter().find(|found| found.alert.id == item.alert.id) {
                                    (contact_line(contact))
                                }
                                span class="muted" { "Raised " (clock.when(item.alert.created_at)) "; treated " (clock.when(item.treated_at)) ". " }
                                a href={ "/treatments/" (item.alert.treatment_id) } { "Open the course" }
                            }
                            form method="post" action={ "/alerts/" (item.alert.id) "/acknowledge" } {
                                input type="hidden" name="csrf_token" value=(csrf);
                                button type="submit" { "Acknowledge" }
                            }
                        }
                    }
                }
            }
            @if !acknowledged.is_empty() {
                h2 id="acknowledged-heading" { "Recently acknowledged" }
                ol id="acknowledged" aria-labelledby="acknowledged-heading" {
                    @for item in &acknowledged {
                        // Not `.alert[data-level]`: those are the open alerts.
                        li class="acknowledged" {
                            div {
                                strong { (item.alert.level.heading()) }
                                " "
                                a href={ "/clients/" (item.client_id) } { (item.client_name) }
                                @let lines = finding_of(&item.alert.id);
                                @if !lines.is_empty() {
                                    ul class="finding" { @for line in &lines { li { (line) } } }
                                }
                                span class="muted acknowledged" { (acknowledged_line(item, &clock)) ". " }
                                a href={ "/treatments/" (item.alert.treatment_id) } { "Open the course" }
                            }
                        }
                    }
                }
            }
            (dashboard_actions(from, open))
        },
    )))
}

/// `POST /alerts/{id}/acknowledge`: marks the alert seen by this therapist.
pub(crate) async fn acknowledge(
    State(state): State<AppState>,
    therapist: Therapist,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, WebError> {
    therapist.check(&form)?;
    let id = AlertId::parse(&id).ok_or(WebError::NotFound("alert"))?;
    let principal = &therapist.0.principal;
    state
        .store
        .acknowledge_alert(
            &principal.clinic_id,
            &id,
            &principal.practitioner_id,
            state.now(),
        )
        .await?;
    Ok(see_other("/dashboard", &[]))
}

/// Said when no message can leave the service: the dashboard is then the
/// only place alerts appear.
fn no_delivery_warning() -> Markup {
    html! {
        section id="no-delivery" class="warning" aria-labelledby="no-delivery-heading" {
            h2 id="no-delivery-heading" { "No reminder or alert message can go out" }
            p { "This service has no email (SMTP) server set up and your clinic has no webhook. "
                "So clients get no reminders to check in, and nobody is told when a check-in needs attention. "
                "Look at this page yourself, often: every alert appears here and nowhere else." }
        }
    }
}

/// Links to the pages of alerts around this one (`from` of `open`), and to
/// the clients.
fn dashboard_actions(from: i64, open: i64) -> Markup {
    html! {
        div class="actions" {
            @if from > 0 {
                a class="button secondary" href={ "/dashboard?from=" ((from - PAGE_SIZE).max(0)) } { "More urgent alerts" }
            }
            @if from + PAGE_SIZE < open {
                a class="button secondary" href={ "/dashboard?from=" (from + PAGE_SIZE) } { "Next alerts" }
            }
            a class="button secondary" href="/clients" { "Clients and treatments" }
        }
    }
}
