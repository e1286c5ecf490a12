//! The client's pages, reached by the private link of a treatment (no
//! account: the link is the credential, and it is never logged): the
//! check-in form, the decision, and the course so far.
//!
//! The form (`checkin_form.rs`) is built from the check-in format's
//! vocabularies and read back into a typed check-in; a wrong answer is
//! shown next to its field with what was typed kept, and nothing is
//! stored.

use aftercare_core::Timestamp;
use aftercare_store::secret::{Secret, hash_text};
use aftercare_store::{CourseRecord, Millis};
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use maud::{Markup, html};

use crate::api::treatments::LINK_PREFIX;
use crate::metrics::DecisionSource;
use crate::observe::WriteHandedOver;
use crate::state::AppState;
use crate::web::answer::{Audience, DecisionView, Reported, decision_block};
use crate::web::chart;
use crate::web::checkin_form::{SoFar, checkin_fields, read_checkin};
use crate::web::error::WebError;
use crate::web::form::{FieldErrors, FormData, anonymous_csrf, field_id};
use crate::web::layout::{PageResponse, page};
use crate::web::questions::is_warning_sign;
use crate::web::reach::Reach;
use crate::web::session::secure_cookies;
use crate::web::words;

/// The hash of a client link from the path, or "not found" for text that
/// cannot be one.
fn link_hash(token: &str) -> Result<String, WebError> {
    let plausible = token.starts_with(LINK_PREFIX)
        && token.len() <= 128
        && token
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_'));
    if plausible {
        Ok(hash_text(token))
    } else {
        Err(WebError::NotFound("link"))
    }
}

/// An instant as a check-in time.
pub(crate) fn timestamp(millis: Millis) -> Timestamp {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    Timestamp::new(at)
}

/// A time for people: `2026-11-20 15:00 UTC`.
pub(crate) fn when(millis: Millis) -> String {
    let at = timestamp(millis).get();
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    at.format(&format).unwrap_or_default()
}

/// The check-in page: the treatment, the form, and the errors if any.
fn checkin_page(
    token: &str,
    record: &CourseRecord,
    csrf: &str,
    submission: &str,
    form: &FormData,
    errors: &FieldErrors,
) -> Markup {
    let treatment = &record.treatment.details;
    page(
        "How are you feeling?",
        None,
        &html! {
            h1 { "How are you feeling after your treatment?" }
            p { (words::modality(treatment.modality)) ", " (when(aftercare_store::millis_of(treatment.at))) ". "
                "Your answers go to your therapist. This is decision support, not a diagnosis." }
            @if !errors.is_empty() {
                div class="errors" role="alert" {
                    p { strong { "Some answers need a change:" } }
                    ul { @for (field, message) in errors.iter() { li { a href={ "#" (field_id(field)) } { (message) } } } }
                }
            }
            form method="post" action={ "/c/" (token) } {
                input type="hidden" name="csrf_token" value=(csrf);
                input type="hidden" name="submission" value=(submission);
                (checkin_fields(form, errors, &SoFar::of(&record.course(), &levels(record))))
                p { button type="submit" { "Send my check-in" } }
            }
            @if !record.checkins.is_empty() {
                p { a href={ "/c/" (token) "/course" } { "See your check-ins so far" } }
            }
        },
    )
}

/// The levels of a course's decisions, oldest first.
fn levels(record: &CourseRecord) -> Vec<aftercare_core::Level> {
    record.answered_levels()
}

/// `GET /c/{link}`: the check-in form.
pub(crate) async fn form(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<PageResponse, WebError> {
    let hash = link_hash(&token)?;
    let record = state.store.course_by_link(&hash, state.now()).await?;
    let (csrf, set) = anonymous_csrf(&headers, secure_cookies(&state));
    let submission = Secret::generate("").expose().to_owned();
    Ok(PageResponse::new(checkin_page(
        &token,
        &record,
        &csrf,
        &submission,
        &FormData::default(),
        &FieldErrors::default(),
    ))
    .with_cookie(set))
}

/// `POST /c/{link}`: stores the check-in and shows the decision. The
/// form's one-time `submission` value makes a resend (reload, double tap)
/// show the first answer instead of storing twice.
pub(crate) async fn submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    handed_over: Option<Extension<WriteHandedOver>>,
    form: FormData,
) -> Result<PageResponse, WebError> {
    let hash = link_hash(&token)?;
    form.check_cookie_csrf(&headers)?;
    let now = state.now();
    let submission = form
        .get("submission")
        .filter(|key| key.len() <= 128 && key.bytes().all(|byte| byte.is_ascii_graphic()));
    let checkin = match read_checkin(&form, now) {
        Ok(checkin) => checkin,
        Err(errors) => {
            let record = state.store.course_by_link(&hash, now).await?;
            let submission =
                submission.map_or_else(|| Secret::generate("").expose().to_owned(), str::to_owned);
            return Ok(PageResponse::new(checkin_page(
                &token,
                &record,
                form.raw("csrf_token"),
                &submission,
                &form,
                &errors,
            ))
            .with_status(StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    // A form sent again answers with what the first sending got; the
    // check-in's time differs, so the store would see another check-in.
    let earlier = match submission {
        Some(key) => state.store.decision_for_resend(&hash, key, now).await?,
        None => None,
    };
    let (body, stored) = if let Some(body) = earlier {
        (body, None)
    } else {
        let queued = state
            .store
            .queue_checkin(&hash, submission, checkin, &state.guideline, now)
            .await?;
        // Answered with the outcome once queued (see `time_limit`).
        if let Some(Extension(handed_over)) = handed_over {
            handed_over.set();
        }
        let submitted = queued.outcome().await?;
        if !submitted.replayed {
            // Alerts go out at once, not at the scheduler's next tick.
            state.wake_scheduler();
            state.metrics.record_checkin();
            state
                .metrics
                .record_decision(submitted.decision.level, DecisionSource::Checkin);
            tracing::info!(level = %submitted.decision.level, alert = submitted.alert.is_some(), "check-in stored from the web form");
        }
        (
            submitted.decision.body.get().to_owned(),
            Some(submitted.checkin),
        )
    };
    let decision = DecisionView::parse(&body)
        .ok_or_else(|| WebError::Internal("a stored decision could not be read".to_owned()))?;
    // The check-in just stored tells which reasons stand on a warning sign.
    let reported = stored.as_ref().map_or_else(Reported::default, |stored| {
        Reported::checkin(
            usize::try_from(stored.seq).unwrap_or(usize::MAX),
            &stored.checkin,
        )
    });
    let reach = link_reach(&state, &hash).await?;
    Ok(PageResponse::new(page(
        decision.level.heading(),
        None,
        &html! {
            (decision_block(&decision, 1, &reported, Audience::Client(reach)))
            p class="muted" { "Your therapist can see this check-in." }
            div class="actions" {
                a class="button secondary" href={ "/c/" (token) "/course" } { "See your check-ins so far" }
                a class="button secondary" href={ "/c/" (token) } { "Send another check-in" }
            }
        },
    )))
}

/// Who a message can reach about the treatment a link names.
async fn link_reach(state: &AppState, hash: &str) -> Result<Reach, WebError> {
    let treatment = state.store.treatment_of_link(hash).await?;
    let client = state
        .store
        .client(&treatment.clinic_id, &treatment.client_id)
        .await?;
    Reach::of(state, &treatment.clinic_id, Some(&client)).await
}

/// The check-ins of a course with their decisions, newest last. Each
/// check-in lists everything entered (every symptom with every detail,
/// warning signs first, then the background answers and the note); an answer that
/// carries an earlier report or holds a finding after a clinician's
/// assessment says so.
pub(crate) fn course_table(record: &CourseRecord) -> Markup {
    let treated = record.treatment.details.at;
    html! {
        table {
            thead { tr { th scope="col" { "When" } th scope="col" { "What was reported" } th scope="col" { "Answer" } } }
            tbody {
                @for checkin in &record.checkins {
                    @let decision = record.decisions.iter().find(|d| d.checkin_id == checkin.id);
                    @let view = decision.and_then(|d| DecisionView::parse(d.body.get()));
                    tr {
                        td { (when(aftercare_store::millis_of(checkin.checkin.at))) br; span class="muted" { (format!("{:.0}", checkin.checkin.at.hours_since(treated))) " h after" } }
                        @let background = words::background(&checkin.checkin.context);
                        @let note = words::note(&checkin.checkin);
                        td {
                            @if checkin.checkin.symptoms.is_empty() {
                                @if background.is_empty() && note.is_none() { "Nothing to report" } @else { "No symptoms reported" }
                            } @else {
                                ul class="symptoms" {
                                    @for symptom in warning_signs_first(&checkin.checkin.symptoms) {
                                        li { (words::described(symptom)) }
                                    }
                                }
                            }
                            @if !background.is_empty() {
                                p class="background" { strong { "Background: " } (background.join("; ")) "." }
                            }
                            @if let Some(note) = note {
                                p class="note" { strong { "Note: " } (note) }
                            }
                        }
                        td {
                            @if let Some(decision) = decision {
                                span class="level" data-level=(decision.level.as_str()) { (decision.level.heading()) }
                            }
                            @if let Some(view) = &view {
                                @if view.carries_earlier() { br; span class="muted" { "Includes an earlier report still open" } }
                                @if view.holds_assessed() { br; span class="muted" { "Holds a finding a clinician has seen" } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The symptoms of a check-in with the warning signs first, otherwise in
/// the order reported.
pub(crate) fn warning_signs_first(
    symptoms: &[aftercare_core::Symptom],
) -> Vec<&aftercare_core::Symptom> {
    let mut ordered: Vec<_> = symptoms.iter().collect();
    ordered.sort_by_key(|symptom| !is_warning_sign(symptom.kind));
    ordered
}

/// `GET /c/{link}/course`: the person's course so far.
pub(crate) async fn course(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<PageResponse, WebError> {
    let hash = link_hash(&token)?;
    let record = state.store.course_by_link(&hash, state.now()).await?;
    let latest = record
        .decisions
        .last()
        .and_then(|decision| DecisionView::parse(decision.body.get()));
    let course = record.course();
    let reach = link_reach(&state, &hash).await?;
    Ok(PageResponse::new(page(
        "Your check-ins",
        None,
        &html! {
            @if let Some(latest) = &latest {
                (decision_block(latest, 1, &Reported::course(&course), Audience::Client(reach)))
                h2 { "Your check-ins so far" }
            } @else {
                h1 { "Your check-ins so far" }
                p { "No check-ins yet." }
            }
            (chart::timeline(&course, &levels(&record)))
            (course_table(&record))
            p { a class="button" href={ "/c/" (token) } { "Send a check-in" } }
        },
    )))
}
