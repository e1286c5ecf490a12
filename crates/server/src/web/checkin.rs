//! The client's pages, reached by the private link of a treatment (no
//! account: the link is the credential, and it is never logged): the
//! check-in form, the decision, and the course so far.
//!
//! The form is built from the check-in format's vocabularies and read
//! back into a typed [`Checkin`]; a wrong answer is shown next to its
//! field with what was typed kept, and nothing is stored.

use crate::observe::WriteHandedOver;
use aftercare_core::course::{CaffeineCups, SleepHours};
use aftercare_core::vocabulary::{
    Frequency, Hydration, Interference, Region, Severity, Side, Stress, SymptomKind,
};
use aftercare_core::{Checkin, Context, Level, Symptom, Timestamp};
use aftercare_store::secret::{Secret, hash_text};
use aftercare_store::{CourseRecord, Millis};
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use maud::{Markup, html};
use serde::Deserialize;

use crate::api::treatments::LINK_PREFIX;
use crate::metrics::DecisionSource;
use crate::state::AppState;
use crate::web::chart;
use crate::web::error::WebError;
use crate::web::form::{FieldErrors, FormData, anonymous_csrf, error_line, field_id};
use crate::web::layout::{PageResponse, page};
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

/// A stored decision as the pages read it.
#[derive(Debug, Deserialize)]
pub(crate) struct DecisionView {
    /// The level.
    pub(crate) level: Level,
    /// One sentence for the person.
    pub(crate) summary: String,
    /// Every rule that fired.
    #[serde(default)]
    pub(crate) reasons: Vec<ReasonView>,
    /// What to do.
    #[serde(default)]
    pub(crate) advice: Vec<String>,
    /// Hours until the next check-in.
    pub(crate) next_checkin_hours: Option<u32>,
    /// That this is decision support.
    #[serde(default)]
    pub(crate) disclaimer: String,
}

/// A rule that fired.
#[derive(Debug, Deserialize)]
pub(crate) struct ReasonView {
    /// Rule id.
    pub(crate) rule: String,
    /// The rule's level.
    pub(crate) level: Level,
    /// Why, in plain words.
    pub(crate) why: String,
    /// Guidance ids.
    #[serde(default)]
    pub(crate) sources: Vec<String>,
}

impl DecisionView {
    /// Reads a decision's JSON; `None` if it cannot be read.
    pub(crate) fn parse(json: &str) -> Option<DecisionView> {
        serde_json::from_str(json).ok()
    }
}

/// The decision, level heading first; for an emergency, the instruction to
/// call the emergency number comes before anything else.
pub(crate) fn decision_block(decision: &DecisionView, heading_level: u8) -> Markup {
    let heading = decision.level.heading();
    html! {
        section id="decision" class="decision" data-level=(decision.level.as_str()) aria-labelledby="decision-heading" {
            @match heading_level {
                0 | 1 => { h1 id="decision-heading" { (heading) } }
                2 => { h2 id="decision-heading" { (heading) } }
                _ => { h3 id="decision-heading" { (heading) } }
            }
            @if decision.level == Level::Emergency {
                p class="emergency-call" { "Call your local emergency number now. Do not wait for a reply from your therapist." }
            }
            p class="lead" { (decision.summary) }
            @if !decision.reasons.is_empty() {
                (subheading(heading_level, "Why"))
                ul { @for reason in &decision.reasons { li { (reason.why) } } }
            }
            @if !decision.advice.is_empty() {
                (subheading(heading_level, "What to do"))
                ul { @for advice in &decision.advice { li { (advice) } } }
            }
            p {
                @match decision.next_checkin_hours {
                    Some(hours) => { "Next check-in: in " (hours) " hours, or sooner if anything changes." }
                    None => { "No further check-in is needed unless something changes." }
                }
            }
            @if !decision.disclaimer.is_empty() { p class="muted" { (decision.disclaimer) } }
        }
    }
}

/// A heading one level below `level` (h2 to h6).
fn subheading(level: u8, text: &str) -> Markup {
    match level {
        0 | 1 => html! { h2 { (text) } },
        2 => html! { h3 { (text) } },
        3 => html! { h4 { (text) } },
        4 => html! { h5 { (text) } },
        _ => html! { h6 { (text) } },
    }
}

/// A labelled select of a vocabulary, with "not stated" first.
fn select<T: Copy>(
    name: &str,
    label: &str,
    all: &[T],
    wire: fn(T) -> &'static str,
    words: fn(T) -> &'static str,
    form: &FormData,
    errors: &FieldErrors,
) -> Markup {
    let id = field_id(name);
    let chosen = form.raw(name);
    let invalid = errors.get(name).is_some();
    html! {
        label for=(id) { (label) }
        select id=(id) name=(name) aria-invalid=[invalid.then_some("true")] aria-describedby=[invalid.then(|| format!("{id}-error"))] {
            option value="" { "Not stated" }
            @for value in all {
                option value=(wire(*value)) selected[chosen == wire(*value)] { (words(*value)) }
            }
        }
        (error_line(errors, name))
    }
}

/// A labelled yes/no checkbox.
fn checkbox(name: &str, label: &str, form: &FormData) -> Markup {
    let id = field_id(name);
    html! {
        label class="check" for=(id) {
            input type="checkbox" id=(id) name=(name) value="yes" checked[form.has(name, "yes")];
            (label)
        }
    }
}

/// A number answer kept as typed, so a mistake can be seen and fixed.
fn number(name: &str, label: &str, hint: &str, form: &FormData, errors: &FieldErrors) -> Markup {
    let id = field_id(name);
    let invalid = errors.get(name).is_some();
    html! {
        label for=(id) { (label) }
        p class="hint" id={ (id) "-hint" } { (hint) }
        input type="text" inputmode="decimal" id=(id) name=(name) value=(form.raw(name))
            aria-invalid=[invalid.then_some("true")]
            aria-describedby={ (id) "-hint" @if invalid { " " (id) "-error" } };
        (error_line(errors, name))
    }
}

/// The questions of a check-in: symptoms with PRO-CTCAE style answers,
/// where and on which side, then the context questions and a note.
pub(crate) fn checkin_fields(form: &FormData, errors: &FieldErrors) -> Markup {
    html! {
        p class="warning" { "Chest pain, sudden breathlessness, sudden weakness or numbness on one side of the body or face, or a sudden, very severe headache: call your local emergency number now, before anything else." }
        fieldset {
            legend { "What do you feel now?" }
            p class="hint" { "Tick each thing you feel and answer what you can. If you feel nothing unusual, tick nothing and send." }
            @for kind in SymptomKind::ALL {
                @let name = kind.as_str();
                @let ticked = form.has("symptom", name);
                @let open = ticked || errors.iter().any(|(field, _)| field.starts_with(&format!("{name}.")));
                details class="symptom" open[open] {
                    summary { (words::symptom(*kind)) }
                    label class="check" for={ "symptom-" (name) } {
                        input type="checkbox" id={ "symptom-" (name) } name="symptom" value=(name) checked[ticked];
                        "I have this: " (words::symptom(*kind))
                    }
                    (select(&format!("{name}.severity"), "How bad is it at its worst?", Severity::ALL, Severity::as_str, words::severity, form, errors))
                    (select(&format!("{name}.frequency"), "How often does it happen?", Frequency::ALL, Frequency::as_str, words::frequency, form, errors))
                    (select(&format!("{name}.interference"), "How much does it get in the way of daily activities?", Interference::ALL, Interference::as_str, words::interference, form, errors))
                    @if words::asks_regions(*kind) {
                        fieldset {
                            legend { "Where?" }
                            div class="grid" {
                                @for region in Region::ALL {
                                    @let field = format!("{name}.regions");
                                    label class="check" for={ (name) "-regions-" (region.as_str()) } {
                                        input type="checkbox" id={ (name) "-regions-" (region.as_str()) } name=(field) value=(region.as_str()) checked[form.has(&field, region.as_str())];
                                        (words::region(*region))
                                    }
                                }
                            }
                            (error_line(errors, &format!("{name}.regions")))
                        }
                        (select(&format!("{name}.side"), "Which side?", Side::ALL, Side::as_str, words::side, form, errors))
                        (checkbox(&format!("{name}.warm_or_red"), "The area is warm, red or discoloured", form))
                    }
                    (checkbox(&format!("{name}.painful"), "It hurts", form))
                    (checkbox(&format!("{name}.sudden"), "It came on suddenly", form))
                }
            }
        }
        fieldset {
            legend { "Since your treatment" }
            (select("hydration", "How much have you been drinking?", Hydration::ALL, Hydration::as_str, words::hydration, form, errors))
            (number("sleep_hours", "Hours slept last night", "A number from 0 to 24, for example 7.5.", form, errors))
            (select("stress", "Your stress level", Stress::ALL, Stress::as_str, words::stress, form, errors))
            (number("caffeine_cups", "Cups of coffee, tea or energy drinks today", "A number from 0 to 50.", form, errors))
            (checkbox("new_medication", "I started a new medicine recently", form))
            (checkbox("strenuous_exercise", "I did hard exercise since the treatment", form))
            (checkbox("pregnant", "I am pregnant", form))
            (checkbox("anticoagulants", "I take blood thinners", form))
        }
        label for="note" { "Anything else you want to say (optional)" }
        textarea id="note" name="note" maxlength="2000" { (form.raw("note")) }
        (error_line(errors, "note"))
    }
}

/// One answer of a vocabulary: absent is `None`; anything not offered is
/// an error on the field.
fn pick<T: Copy>(
    form: &FormData,
    errors: &mut FieldErrors,
    name: &str,
    all: &[T],
    wire: fn(T) -> &'static str,
) -> Option<T> {
    let sent = form.get(name)?;
    let found = all.iter().copied().find(|value| wire(*value) == sent);
    if found.is_none() {
        errors.add(name, "Choose one of the answers offered.");
    }
    found
}

/// A yes/no checkbox: ticked is `Some(true)`, not ticked is not stated.
fn yes(form: &FormData, name: &str) -> Option<bool> {
    form.has(name, "yes").then_some(true)
}

/// A number within a range, or an error naming the range.
fn bounded<T>(
    form: &FormData,
    errors: &mut FieldErrors,
    name: &str,
    make: fn(f64) -> Option<T>,
    expected: &str,
) -> Option<T> {
    let text = form.get(name)?;
    let value = text
        .replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite());
    let made = value.and_then(make);
    if made.is_none() {
        errors.add(name, format!("Enter {expected}; you typed “{text}”."));
    }
    made
}

/// An instant as a check-in time.
pub(crate) fn timestamp(millis: Millis) -> Timestamp {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    Timestamp::new(at)
}

/// Reads the check-in form into a check-in made at `now`, or says what
/// is wrong with which field.
pub(crate) fn read_checkin(form: &FormData, now: Millis) -> Result<Checkin, FieldErrors> {
    let mut errors = FieldErrors::default();
    for sent in form.all("symptom") {
        if !SymptomKind::ALL.iter().any(|kind| kind.as_str() == sent) {
            errors.add("symptom", "Tick only the symptoms offered.");
        }
    }
    let mut symptoms = Vec::new();
    for kind in SymptomKind::ALL {
        let name = kind.as_str();
        let severity = pick(
            form,
            &mut errors,
            &format!("{name}.severity"),
            Severity::ALL,
            Severity::as_str,
        );
        let frequency = pick(
            form,
            &mut errors,
            &format!("{name}.frequency"),
            Frequency::ALL,
            Frequency::as_str,
        );
        let interference = pick(
            form,
            &mut errors,
            &format!("{name}.interference"),
            Interference::ALL,
            Interference::as_str,
        );
        let side = pick(
            form,
            &mut errors,
            &format!("{name}.side"),
            Side::ALL,
            Side::as_str,
        );
        let mut regions = Vec::new();
        for sent in form.all(&format!("{name}.regions")) {
            match Region::ALL.iter().find(|region| region.as_str() == sent) {
                Some(region) if !regions.contains(region) => regions.push(*region),
                Some(_) => {}
                None => errors.add(format!("{name}.regions"), "Tick only the places offered."),
            }
        }
        // Answers given without the tick still count: a person who says how
        // bad something is has it.
        let answered = severity.is_some() || frequency.is_some() || interference.is_some();
        if form.has("symptom", name) || answered {
            symptoms.push(Symptom {
                kind: *kind,
                severity,
                frequency,
                interference,
                regions,
                side,
                painful: yes(form, &format!("{name}.painful")),
                sudden: yes(form, &format!("{name}.sudden")),
                warm_or_red: yes(form, &format!("{name}.warm_or_red")),
                ..Symptom::new(*kind)
            });
        }
    }
    let context = Context {
        hydration: pick(
            form,
            &mut errors,
            "hydration",
            Hydration::ALL,
            Hydration::as_str,
        ),
        sleep_hours: bounded(
            form,
            &mut errors,
            "sleep_hours",
            SleepHours::new,
            "a number of hours from 0 to 24",
        ),
        stress: pick(form, &mut errors, "stress", Stress::ALL, Stress::as_str),
        caffeine_cups: bounded(
            form,
            &mut errors,
            "caffeine_cups",
            CaffeineCups::new,
            "a number of cups from 0 to 50",
        ),
        new_medication: yes(form, "new_medication"),
        strenuous_exercise: yes(form, "strenuous_exercise"),
        pregnant: yes(form, "pregnant"),
        anticoagulants: yes(form, "anticoagulants"),
        seen_by_clinician: yes(form, "seen_by_clinician"),
    };
    let note = form.get("note").map(str::to_owned);
    if note
        .as_ref()
        .is_some_and(|text| text.chars().count() > 2000)
    {
        errors.add("note", "Keep the note to 2000 characters or fewer.");
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Checkin {
        at: timestamp(now),
        symptoms,
        context,
        note,
    })
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
                (checkin_fields(form, errors))
                p { button type="submit" { "Send my check-in" } }
            }
            @if !record.checkins.is_empty() {
                p { a href={ "/c/" (token) "/course" } { "See your check-ins so far" } }
            }
        },
    )
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
        Some(key) => state.store.decision_for_resend(&hash, key).await?,
        None => None,
    };
    let body = if let Some(body) = earlier {
        body
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
        submitted.decision.body.get().to_owned()
    };
    let decision = DecisionView::parse(&body)
        .ok_or_else(|| WebError::Internal("a stored decision could not be read".to_owned()))?;
    Ok(PageResponse::new(page(
        decision.level.heading(),
        None,
        &html! {
            (decision_block(&decision, 1))
            p class="muted" { "Your therapist can see this check-in." }
            div class="actions" {
                a class="button secondary" href={ "/c/" (token) "/course" } { "See your check-ins so far" }
                a class="button secondary" href={ "/c/" (token) } { "Send another check-in" }
            }
        },
    )))
}

/// The check-ins of a course with their decisions, newest last.
pub(crate) fn course_table(record: &CourseRecord) -> Markup {
    let treated = record.treatment.details.at;
    html! {
        table {
            thead { tr { th scope="col" { "When" } th scope="col" { "What was reported" } th scope="col" { "Answer" } } }
            tbody {
                @for checkin in &record.checkins {
                    @let decision = record.decisions.iter().find(|d| d.checkin_id == checkin.id);
                    tr {
                        td { (when(aftercare_store::millis_of(checkin.checkin.at))) br; span class="muted" { (format!("{:.0}", checkin.checkin.at.hours_since(treated))) " h after" } }
                        td {
                            @if checkin.checkin.symptoms.is_empty() { "Nothing to report" }
                            ul {
                                @for symptom in &checkin.checkin.symptoms {
                                    li {
                                        (words::symptom(symptom.kind))
                                        @if let Some(severity) = symptom.severity { ": " (words::severity(severity).to_lowercase()) }
                                        @if let Some(side) = symptom.side { ", " (words::side(side).to_lowercase()) }
                                        @if !symptom.regions.is_empty() {
                                            " (" (symptom.regions.iter().map(|r| words::region(*r)).collect::<Vec<_>>().join(", ")) ")"
                                        }
                                    }
                                }
                            }
                        }
                        td { @if let Some(decision) = decision { span class="level" data-level=(decision.level.as_str()) { (decision.level.heading()) } } }
                    }
                }
            }
        }
    }
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
    Ok(PageResponse::new(page(
        "Your check-ins",
        None,
        &html! {
            @if let Some(latest) = &latest {
                (decision_block(latest, 1))
                h2 { "Your check-ins so far" }
            } @else {
                h1 { "Your check-ins so far" }
                p { "No check-ins yet." }
            }
            (chart::timeline(&record.course(), &record.decisions.iter().map(|d| d.level).collect::<Vec<_>>()))
            (course_table(&record))
            p { a class="button" href={ "/c/" (token) } { "Send a check-in" } }
        },
    )))
}
