//! The doctor summary, a printable page (and the same as a PDF, see
//! `pdf.rs`): who the client is and who treated them, the treatment,
//! every check-in with every detail, background answer and note, the
//! chart, and every answer with, for each rule that fired, the finding in
//! clinical words and the guidance behind it in plain words. The most
//! serious answer comes first, so an emergency is never below the fold.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use aftercare_core::Level;
use aftercare_store::{Client, CourseRecord, Millis, Practitioner, StoreError, StoredDecision};
use axum::extract::{Path, State};
use maud::{Markup, html};

use crate::state::AppState;
use crate::time_format::ClinicTime;
use crate::web::answer::{DecisionView, ReasonView, Reported, shown_order};
use crate::web::chart;
use crate::web::checkin::course_table_in;
use crate::web::course::read_course;
use crate::web::error::WebError;
use crate::web::finding::evidence_words;
use crate::web::guidance::{self, SourceWords};
use crate::web::layout::{PageResponse, page};
use crate::web::session::Therapist;
use crate::web::words;

/// Everything a summary shows, read once for the page and the PDF.
pub(crate) struct Summary {
    /// The course.
    pub(crate) record: CourseRecord,
    /// The client.
    pub(crate) client: Client,
    /// The clinic's name.
    pub(crate) clinic: String,
    /// Who gave the treatment, if they are still on the team.
    pub(crate) therapist: Option<Practitioner>,
    /// When the summary was made.
    pub(crate) made_at: Millis,
    /// The clinic's clock: every time is shown in its zone.
    pub(crate) clock: ClinicTime,
}

/// Reads a summary of a course of the therapist's clinic (the course read
/// is audited).
pub(crate) async fn read_summary(
    state: &AppState,
    therapist: &Therapist,
    id: &str,
) -> Result<Summary, WebError> {
    let (record, client) = read_course(state, therapist, id).await?;
    let treated_by = match state
        .store
        .practitioner(
            &record.treatment.clinic_id,
            &record.treatment.practitioner_id,
        )
        .await
    {
        Ok(practitioner) => Some(practitioner),
        Err(StoreError::NotFound(_)) => None,
        Err(error) => return Err(error.into()),
    };
    let clock = ClinicTime::of(&state.store, &record.treatment.clinic_id).await?;
    Ok(Summary {
        record,
        client,
        clinic: therapist.0.clinic_name.clone(),
        therapist: treated_by,
        made_at: state.now(),
        clock,
    })
}

/// One answer of the course, as the summary lists it.
pub(crate) struct Answer<'a> {
    /// The stored decision.
    pub(crate) stored: &'a StoredDecision,
    /// Its body, read.
    pub(crate) view: DecisionView,
    /// The check-in it answered, counted from 1.
    pub(crate) checkin: Option<usize>,
    /// The clinic's clock.
    pub(crate) clock: &'a ClinicTime,
}

impl Summary {
    /// The treatment in one sentence.
    pub(crate) fn treatment(&self) -> String {
        let details = &self.record.treatment.details;
        let mut text = words::modality(details.modality).to_owned();
        if let Some(pressure) = details.pressure {
            let _ = write!(
                text,
                ", {} pressure",
                words::pressure(pressure).to_lowercase()
            );
        }
        if let Some(minutes) = details.duration_min {
            let _ = write!(text, ", {} minutes", minutes.get());
        }
        if !details.regions.is_empty() {
            let regions: Vec<&str> = details.regions.iter().map(|r| words::region(*r)).collect();
            let _ = write!(text, ", on: {}", regions.join(", "));
        }
        let _ = write!(
            text,
            "; given {}.",
            self.clock.when(aftercare_store::millis_of(details.at))
        );
        text
    }

    /// The client's details, as (label, value) pairs.
    pub(crate) fn client_lines(&self) -> Vec<(&'static str, String)> {
        let mut lines = vec![("Client", self.client.name.clone())];
        if let Some(email) = &self.client.email {
            lines.push(("Client's email", email.clone()));
        }
        if let Some(phone) = &self.client.phone {
            lines.push(("Client's phone", phone.clone()));
        }
        lines.push(("Clinic", self.clinic.clone()));
        match &self.therapist {
            Some(therapist) => {
                lines.push(("Therapist", therapist.name.clone()));
                lines.push(("Therapist's email", therapist.email.clone()));
            }
            None => lines.push(("Therapist", "no longer on the clinic's team".to_owned())),
        }
        lines
    }

    /// Every answer, the most serious first (an emergency before
    /// anything else), then in the order they were given.
    pub(crate) fn answers(&self) -> Vec<Answer<'_>> {
        let mut answers: Vec<Answer<'_>> = self
            .record
            .decisions
            .iter()
            .filter_map(|stored| {
                let view = DecisionView::parse(stored.body.get())?;
                let checkin = self
                    .record
                    .checkins
                    .iter()
                    .position(|checkin| checkin.id == stored.checkin_id)
                    .map(|index| index + 1);
                Some(Answer {
                    stored,
                    view,
                    checkin,
                    clock: &self.clock,
                })
            })
            .collect();
        answers.sort_by_key(|answer| {
            (
                std::cmp::Reverse(answer.view.level),
                answer.stored.created_at,
            )
        });
        answers
    }
}

impl Answer<'_> {
    /// When and on what the answer was given, e.g. `check-in 2, answered
    /// Sat 21 Nov 2026, 09:00 GMT; guideline post-treatment 2026.12.1`.
    pub(crate) fn context(&self) -> String {
        let checkin = self
            .checkin
            .map(|n| format!("check-in {n}, "))
            .unwrap_or_default();
        format!(
            "{checkin}answered {}; guideline {} {}",
            self.clock.when(self.stored.created_at),
            self.stored.guideline_id,
            self.stored.guideline_version
        )
    }
}

/// A rule that fired, in words a doctor can use.
pub(crate) struct ReasonWords {
    /// The rule's level.
    pub(crate) level: Level,
    /// The rule's id, shown small.
    pub(crate) rule: String,
    /// Whether it is carried or held, with the levels.
    pub(crate) label: Option<String>,
    /// What was reported that the rule stands on, in clinical words.
    pub(crate) finding: Vec<String>,
    /// Why the guideline answers so.
    pub(crate) why: String,
    /// The guidance behind it.
    pub(crate) sources: Vec<SourceWords>,
}

/// The reasons of an answer in words, in the order they are shown; a
/// guidance source already in `said` is marked as said before (and added
/// otherwise), so a document words each fact once.
pub(crate) fn reasons(
    view: &DecisionView,
    reported: &Reported<'_>,
    said: &mut BTreeSet<String>,
) -> Vec<ReasonWords> {
    let mut reasons: Vec<ReasonWords> = shown_order(&view.reasons, reported)
        .into_iter()
        .map(|reason: &ReasonView| ReasonWords {
            level: reason.level,
            rule: reason.rule.clone(),
            label: reason.clinical_label(),
            finding: evidence_words(reason, reported),
            // The guideline speaks to the client; a doctor reads this.
            why: reason
                .why
                .replace("your therapist", "the therapist")
                .replace("Your therapist", "The therapist"),
            sources: guidance::sources(&reason.sources),
        })
        .collect();
    for source in reasons.iter_mut().flat_map(|reason| &mut reason.sources) {
        source.said_before = !said.insert(source.id.clone());
    }
    reasons
}

/// What the client was told at an answer's level.
pub(crate) fn told(level: Level) -> Option<&'static str> {
    match level {
        Level::Emergency => Some("The client was told to call their local emergency number now."),
        Level::Urgent => Some("The client was told to get medical care today."),
        Level::SeeDoctor => Some("The client was told to see a doctor in the next few days."),
        _ => None,
    }
}

/// One answer with its reasons.
fn answer_block(answer: &Answer<'_>, reasons: &[ReasonWords], heading: u8) -> Markup {
    let level = answer.view.level;
    html! {
        section class="decision summary-answer" data-level=(level.as_str()) {
            @if heading == 2 {
                h2 { "Most serious answer: " (level.heading()) }
            } @else {
                h3 { (level.heading()) }
            }
            p { span class="level" data-level=(level.as_str()) { (level.as_str()) } " " (answer.context()) }
            @if let Some(told) = told(level) {
                p { strong { (told) } }
            }
            @if reasons.is_empty() { p { "No rule fired." } }
            ul class="reasons" {
                @for reason in reasons {
                    li data-level=(reason.level.as_str()) {
                        strong { (chart::level_name(reason.level)) }
                        @if let Some(label) = &reason.label { " (" (label) ")" }
                        ": "
                        @if reason.finding.is_empty() {
                            (reason.why)
                        } @else {
                            strong { (reason.finding.join("; ")) } ". " (reason.why)
                        }
                        @if !reason.sources.is_empty() {
                            ul class="sources" {
                                @for source in &reason.sources {
                                    @if source.said_before {
                                        li { "Guidance " (source.id) ", as above." }
                                    } @else {
                                        li { (source.words) " " small class="muted" { "(guidance " (source.id) ")" } }
                                    }
                                }
                            }
                        }
                        " " small class="muted" { "rule " code { (reason.rule) } }
                    }
                }
            }
        }
    }
}

/// `GET /treatments/{id}/summary`: the printable summary for a doctor.
pub(crate) async fn summary(
    State(state): State<AppState>,
    therapist: Therapist,
    Path(id): Path<String>,
) -> Result<PageResponse, WebError> {
    let summary = read_summary(&state, &therapist, &id).await?;
    let record = &summary.record;
    let levels = record.answered_levels();
    let course = record.course();
    let reported = Reported::course(&course);
    let answers = summary.answers();
    let mut said = BTreeSet::new();
    let worded: Vec<Vec<ReasonWords>> = answers
        .iter()
        .map(|answer| reasons(&answer.view, &reported, &mut said))
        .collect();
    Ok(PageResponse::new(page(
        &format!("Summary for {}", summary.client.name),
        Some(&therapist.nav()),
        &html! {
            h1 { "After-treatment summary: " (summary.client.name) }
            p { "Made by " (summary.clinic) " with Aftercare on " (summary.clock.when(summary.made_at)) ". "
                "Aftercare is decision support, not a diagnosis." }
            @if let Some(first) = answers.first() {
                (answer_block(first, &worded[0], 2))
            }
            h2 { "Client, clinic and therapist" }
            dl class="facts" {
                @for (label, value) in summary.client_lines() {
                    dt { (label) } dd { (value) }
                }
            }
            h2 { "Treatment" }
            p { (summary.treatment()) }
            // The treatment's notes are the therapist's private notes,
            // promised never to be shown to the client; this summary goes
            // to the doctor in the client's hands, so they stay out.
            h2 { "Symptoms over time" }
            (chart::timeline(&course, &levels))
            h2 { "Check-ins" }
            @if record.checkins.is_empty() { p { "No check-ins." } } @else { (course_table_in(record, &summary.clock)) }
            @if answers.is_empty() {
                h2 { "Answers" }
                p { "No answers yet." }
            } @else if answers.len() > 1 {
                h2 { "Every other answer, most serious first" }
                @for (answer, reasons) in answers.iter().zip(&worded).skip(1) {
                    (answer_block(answer, reasons, 3))
                }
            }
            div class="actions" {
                a class="button" href={ "/treatments/" (record.treatment.id) "/summary.pdf" } { "Download as PDF" }
            }
        },
    )))
}
