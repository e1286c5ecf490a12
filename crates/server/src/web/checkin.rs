//! The client's pages, reached by the private link of a treatment (no
//! account: the link is the credential, and it is never logged): the
//! check-in form, the decision, and the course so far.
//!
//! The form (`checkin_form.rs`) is built from the check-in format's
//! vocabularies and read back into a typed check-in; a wrong answer is
//! shown next to its field with what was typed kept, and nothing is
//! stored.

use aftercare_core::Timestamp;
use aftercare_store::DraftKind;
use aftercare_store::{CourseRecord, Millis};
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use crate::observe::WriteHandedOver;
use crate::state::AppState;
use crate::time_format::ClinicTime;
use crate::usecases::checkin::{CheckinSubmission, IdempotencyKey, submit_checkin};
use crate::usecases::links::LinkToken;
use crate::web::answer::{Audience, DecisionView, Reported, decision_block};
use crate::web::chart;
use crate::web::checkin_flow::{Flow, Step};
use crate::web::checkin_form::{SoFar, checkin_fields, read_checkin};
use crate::web::error::WebError;
use crate::web::form::{FieldErrors, FormData, anonymous_csrf, field_id};
use crate::web::layout::{PageResponse, page, see_other};
use crate::web::questions::is_warning_sign;
use crate::web::reach::Reach;
use crate::web::session::secure_cookies;
use crate::web::words;

/// An instant as a check-in time.
pub(crate) fn timestamp(millis: Millis) -> Timestamp {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    Timestamp::new(at)
}

/// A time for people in UTC, `Fri 20 Nov 2026, 15:00 UTC`, for pages of
/// no clinic; a clinic's pages use its [`ClinicTime`](crate::time_format::ClinicTime).
pub(crate) fn when(millis: Millis) -> String {
    crate::time_format::ClinicTime::utc().when(millis)
}

/// The check-in page: the treatment, the form, and the errors if any.
fn checkin_page(
    token: &str,
    record: &CourseRecord,
    csrf: &str,
    submission: &str,
    form: &FormData,
    errors: &FieldErrors,
    clock: &ClinicTime,
) -> Markup {
    let treatment = &record.treatment.details;
    page(
        "How are you feeling?",
        None,
        &html! {
            h1 { "How are you feeling after your treatment?" }
            p { (words::modality(treatment.modality)) ", " (clock.when(aftercare_store::millis_of(treatment.at))) ". "
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

/// Which page of the check-in a GET asks for: `?step=` names it (the
/// first page when absent) and `then=check` comes back to "check your
/// answers" after it.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct StepQuery {
    step: Option<String>,
    then: Option<String>,
}

impl StepQuery {
    /// Whether a page is named.
    pub(crate) fn names_step(&self) -> bool {
        self.step.is_some()
    }

    /// Whether the page comes back to "check your answers".
    pub(crate) fn then_check(&self) -> bool {
        self.then.as_deref() == Some("check")
    }

    /// The page asked for, the first when none; "not found" for a page
    /// this check-in does not have.
    pub(crate) fn step(&self, flow: &Flow<'_>) -> Result<Step, WebError> {
        match &self.step {
            None => Ok(flow.first()),
            Some(name) => Step::parse(name)
                .filter(|step| flow.offers(*step))
                .ok_or(WebError::NotFound("page")),
        }
    }
}

/// The pages of a check-in on a client link.
fn client_flow<'a>(
    token: &str,
    record: &CourseRecord,
    so_far: &'a SoFar,
    now: Millis,
    clock: &ClinicTime,
) -> Flow<'a> {
    let treatment = &record.treatment.details;
    Flow {
        base: format!("/c/{token}"),
        so_far,
        asks_treatment: false,
        about: html! {
            "Your " (words::modality(treatment.modality).to_lowercase()) ", "
            (clock.when(aftercare_store::millis_of(treatment.at))) ". Your answers go to your therapist."
        },
        send: "Send my check-in",
        now,
        footer: html! {
            @if !record.checkins.is_empty() {
                p { a href={ "/c/" (token) "/course" } { "See your check-ins so far" } }
            }
        },
    }
}

/// The draft of a check-in kept under `key`, if any.
pub(crate) async fn load_draft(
    state: &AppState,
    key: &str,
    now: Millis,
) -> Result<Option<FormData>, WebError> {
    Ok(state
        .store
        .checkin_draft(key, now)
        .await?
        .map(|answers| FormData::parse(answers.as_bytes())))
}

/// `GET /c/{link}`: a page of the check-in (`?step=`), the first when
/// none is named.
pub(crate) async fn form(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(query): Query<StepQuery>,
    headers: HeaderMap,
) -> Result<PageResponse, WebError> {
    let link = LinkToken::parse(&token)?;
    let now = state.now();
    let record = state.store.course_by_link(link.hash(), now).await?;
    let so_far = SoFar::of(&record.course(), &levels(&record));
    let clock = ClinicTime::of(&state.store, &record.treatment.clinic_id).await?;
    let flow = client_flow(&token, &record, &so_far, now, &clock);
    let step = query.step(&flow)?;
    let draft = load_draft(&state, link.hash(), now)
        .await?
        .unwrap_or_else(|| flow.start_draft());
    let (csrf, set) = anonymous_csrf(&headers, secure_cookies(&state));
    let submission = draft.raw("submission").to_owned();
    let hidden: &[(&str, &str)] = if step == Step::Check {
        &[("submission", &submission)]
    } else {
        &[]
    };
    let markup = flow.page(
        step,
        &draft,
        &FieldErrors::default(),
        &csrf,
        query.then_check(),
        hidden,
    );
    Ok(PageResponse::new(markup).with_cookie(set))
}

/// `POST /c/{link}`: with a `step` field, one page of the check-in (its
/// answers kept in the draft, then the next page; on `step=check`, the
/// draft is sent). Without, the whole check-in in one form, as the
/// one-page form sends it. Either way the check-in is read by the one
/// reader, stored, and answered with the decision. A one-time
/// `submission` value makes a resend (reload, double tap) show the first
/// answer instead of storing twice.
pub(crate) async fn submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    handed_over: Option<Extension<WriteHandedOver>>,
    form: FormData,
) -> Result<Response, WebError> {
    let link = LinkToken::parse(&token)?;
    form.check_cookie_csrf(&headers)?;
    let handed_over = handed_over
        .as_ref()
        .map(|Extension(handed_over)| handed_over);
    if let Some(step) = form.get("step") {
        let step = step.to_owned();
        return step_submit(&state, &token, &link, handed_over, &form, &step).await;
    }
    let now = state.now();
    let submission = plausible_submission(&form);
    let checkin = match read_checkin(&form, now) {
        Ok(checkin) => checkin,
        Err(errors) => {
            let record = state.store.course_by_link(link.hash(), now).await?;
            let clock = ClinicTime::of(&state.store, &record.treatment.clinic_id).await?;
            let submission = submission.unwrap_or_else(IdempotencyKey::fresh);
            return Ok(PageResponse::new(checkin_page(
                &token,
                &record,
                form.raw("csrf_token"),
                submission.as_str(),
                &form,
                &errors,
                &clock,
            ))
            .with_status(StatusCode::UNPROCESSABLE_ENTITY)
            .into_response());
        }
    };
    Ok(answer(
        &state,
        &token,
        &link,
        submission.as_ref(),
        Some(checkin),
        handed_over,
    )
    .await?
    .into_response())
}

/// The one-time submission value of a form, if it is one we could have
/// made; any other is as if none were sent.
fn plausible_submission(form: &FormData) -> Option<IdempotencyKey> {
    form.get("submission")
        .and_then(|key| IdempotencyKey::parse(key.as_bytes()).ok())
}

/// One page of the step-by-step check-in, posted.
async fn step_submit(
    state: &AppState,
    token: &str,
    link: &LinkToken,
    handed_over: Option<&WriteHandedOver>,
    form: &FormData,
    step: &str,
) -> Result<Response, WebError> {
    let hash = link.hash();
    let now = state.now();
    // An unknown or expired link opens no page.
    let record = state.store.course_by_link(hash, now).await?;
    let so_far = SoFar::of(&record.course(), &levels(&record));
    let clock = ClinicTime::of(&state.store, &record.treatment.clinic_id).await?;
    let flow = client_flow(token, &record, &so_far, now, &clock);
    let step = Step::parse(step)
        .filter(|step| flow.offers(*step))
        .ok_or(WebError::NotFound("page"))?;
    let then_check = form.get("then") == Some("check");
    let stored = load_draft(state, hash, now).await?;
    if step == Step::Check {
        let sent = plausible_submission(form);
        let Some(draft) = stored else {
            // Sent already (a reload of the answer): the first answer.
            if let Some(key) = sent
                && state
                    .store
                    .decision_for_resend(hash, key.as_str(), now)
                    .await?
                    .is_some()
            {
                return Ok(answer(state, token, link, Some(&key), None, handed_over)
                    .await?
                    .into_response());
            }
            return Ok(see_other(&flow.url(flow.first(), false), &[]));
        };
        return match read_checkin(&draft, now) {
            Ok(checkin) => {
                let key = plausible_submission(&draft).unwrap_or_else(IdempotencyKey::fresh);
                let page =
                    answer(state, token, link, Some(&key), Some(checkin), handed_over).await?;
                state.store.delete_checkin_draft(hash).await?;
                Ok(page.into_response())
            }
            Err(errors) => {
                let submission = draft.raw("submission").to_owned();
                Ok(PageResponse::new(flow.page(
                    step,
                    &draft,
                    &errors,
                    form.raw("csrf_token"),
                    false,
                    &[("submission", &submission)],
                ))
                .with_status(StatusCode::UNPROCESSABLE_ENTITY)
                .into_response())
            }
        };
    }
    let draft = stored.unwrap_or_else(|| flow.start_draft());
    let mut merged = match flow.merge_checked(step, &draft, form, then_check) {
        Ok(merged) => merged,
        Err(page) => return Ok(page.into_response()),
    };
    if merged.get("submission").is_none() {
        merged = FormData::from_fields(
            merged
                .fields()
                .iter()
                .cloned()
                .chain([(
                    "submission".to_owned(),
                    IdempotencyKey::fresh().as_str().to_owned(),
                )])
                .collect(),
        );
    }
    state
        .store
        .save_checkin_draft(
            hash,
            DraftKind::ClientLink,
            &merged.encode(),
            now,
            record.treatment.link_expires_at,
        )
        .await?;
    Ok(see_other(&flow.next(&merged, step, then_check), &[]))
}

/// Stores `checkin` (unless this submission was stored already) and
/// shows the decision; with no check-in, shows the decision the
/// submission got.
async fn answer(
    state: &AppState,
    token: &str,
    link: &LinkToken,
    submission: Option<&IdempotencyKey>,
    checkin: Option<aftercare_core::Checkin>,
    handed_over: Option<&WriteHandedOver>,
) -> Result<PageResponse, WebError> {
    let now = state.now();
    // A form sent again answers with what the first sending got; the
    // check-in's time differs, so the store would see another check-in.
    let earlier = match submission {
        Some(key) => {
            state
                .store
                .decision_for_resend(link.hash(), key.as_str(), now)
                .await?
        }
        None => None,
    };
    let (body, stored) = if let Some(body) = earlier {
        (body, None)
    } else {
        let checkin = checkin.ok_or(WebError::NotFound("check-in"))?;
        let submission = CheckinSubmission {
            link,
            key: submission,
            checkin,
        };
        let submitted = submit_checkin(state, submission, handed_over).await?;
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
    let reach = link_reach(state, link.hash()).await?;
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

/// The check-ins of a course with their decisions, newest last, the times
/// in the clinic's zone. Each check-in lists everything entered (every
/// symptom with every detail, warning signs first, then the background
/// answers and the note); an answer that carries an earlier report or
/// holds a finding after a clinician's assessment says so.
pub(crate) fn course_table_in(record: &CourseRecord, clock: &ClinicTime) -> Markup {
    let treated = record.treatment.details.at;
    html! {
        table {
            thead { tr { th scope="col" { "When" } th scope="col" { "What was reported" } th scope="col" { "Answer" } } }
            tbody {
                @for checkin in &record.checkins {
                    @let decision = record.decisions.iter().find(|d| d.checkin_id == checkin.id);
                    @let view = decision.and_then(|d| DecisionView::parse(d.body.get()));
                    tr {
                        td { (clock.when(aftercare_store::millis_of(checkin.checkin.at))) br; span class="muted" { (format!("{:.0}", checkin.checkin.at.hours_since(treated))) " h after" } }
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
    let link = LinkToken::parse(&token)?;
    let record = state.store.course_by_link(link.hash(), state.now()).await?;
    let latest = record
        .decisions
        .last()
        .and_then(|decision| DecisionView::parse(decision.body.get()));
    let course = record.course();
    let reach = link_reach(&state, link.hash()).await?;
    let clock = ClinicTime::of(&state.store, &record.treatment.clinic_id).await?;
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
            (course_table_in(&record, &clock))
            p { a class="button" href={ "/c/" (token) } { "Send a check-in" } }
        },
    )))
}
