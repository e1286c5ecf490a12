//! The questions of a check-in, shared by the client's check-in page and
//! the self-check: drawn from the check-in format's vocabularies and the
//! question table (`questions.rs`), and read back into a typed
//! [`Checkin`].
//!
//! What a person enters is never dropped (safety property 6): any detail
//! given for a symptom means they have it, with or without the "I have
//! this" tick. "It has gone" (or severity `none`) keeps only that.
//!
//! This file asks the questions; reading the answers back is in `read`.

mod read;
#[cfg(test)]
mod tests;

use aftercare_core::vocabulary::{
    Frequency, Hydration, Interference, Severity, Side, Stress, SymptomKind,
};
use aftercare_core::{Context, Course, Level, Symptom};
use maud::{Markup, html};

use crate::web::form::{FieldErrors, FormData, error_line, field_id};
use crate::web::questions::{self, Question, WARNING_SIGNS, asks, is_warning_sign};
use crate::web::words;

pub(crate) use read::read_checkin;

/// What the course so far changes about the questions.
#[derive(Debug, Default)]
pub(crate) struct SoFar {
    /// Kinds present when last mentioned: the form offers "it has gone".
    reported: Vec<SymptomKind>,
    /// Whether an earlier answer was `see_doctor` or above: the form asks
    /// whether a clinician has seen the person since.
    ask_seen_by_clinician: bool,
    /// What was said last about each kind in `reported`, to fill its
    /// questions in again when it is still there or better.
    last_said: Vec<Symptom>,
    /// The background answers of the latest check-in, to fill in the
    /// medicine and pregnancy answers again, to be confirmed.
    last_context: Option<Context>,
}

impl SoFar {
    /// From a course and the levels its check-ins were given.
    pub(crate) fn of(course: &Course, levels: &[Level]) -> SoFar {
        let mut reported = Vec::new();
        let mut last_said = Vec::new();
        for kind in SymptomKind::ALL {
            let last = course
                .checkins
                .iter()
                .rev()
                .find_map(|checkin| checkin.symptoms.iter().find(|s| s.kind == *kind));
            if let Some(last) = last.filter(|last| last.is_present()) {
                reported.push(*kind);
                last_said.push(last.clone());
            }
        }
        SoFar {
            reported,
            ask_seen_by_clinician: levels.iter().any(|level| *level >= Level::SeeDoctor),
            last_said,
            last_context: course
                .checkins
                .last()
                .map(|checkin| checkin.context.clone()),
        }
    }

    /// Whether `kind` was present when last mentioned.
    pub(crate) fn reported(&self, kind: SymptomKind) -> bool {
        self.reported.contains(&kind)
    }

    /// The kinds present when last mentioned, in the format's order.
    pub(crate) fn reported_kinds(&self) -> &[SymptomKind] {
        &self.reported
    }

    /// Whether the form asks if a clinician has seen the person since.
    pub(crate) fn asks_seen_by_clinician(&self) -> bool {
        self.ask_seen_by_clinician
    }

    /// What was said last about `kind`, as the form's fields.
    pub(crate) fn last_fields(&self, kind: SymptomKind) -> Vec<(String, String)> {
        self.last_said
            .iter()
            .find(|symptom| symptom.kind == kind)
            .map(symptom_as_fields)
            .unwrap_or_default()
    }

    /// The medicine and pregnancy answers of the latest check-in, as the
    /// form's fields, for the person to confirm.
    pub(crate) fn confirm_fields(&self) -> Vec<(String, String)> {
        let Some(context) = &self.last_context else {
            return Vec::new();
        };
        [
            ("new_medication", context.new_medication),
            ("pregnant", context.pregnant),
            ("anticoagulants", context.anticoagulants),
        ]
        .into_iter()
        .filter(|(_, answer)| *answer == Some(true))
        .map(|(name, _)| (name.to_owned(), "yes".to_owned()))
        .collect()
    }
}

/// A symptom as the fields the form would send for it (a "no" that only
/// a ticked box can say is left out: the box starts unticked).
fn symptom_as_fields(symptom: &Symptom) -> Vec<(String, String)> {
    let kind = symptom.kind.as_str();
    let mut fields = Vec::new();
    let mut put = |suffix: &str, value: &str| {
        fields.push((format!("{kind}.{suffix}"), value.to_owned()));
    };
    if let Some(value) = symptom.severity {
        put("severity", value.as_str());
    }
    if let Some(value) = symptom.frequency {
        put("frequency", value.as_str());
    }
    if let Some(value) = symptom.interference {
        put("interference", value.as_str());
    }
    for region in &symptom.regions {
        put("regions", region.as_str());
    }
    if let Some(value) = symptom.side {
        put("side", value.as_str());
    }
    if let Some(sudden) = symptom.sudden {
        put("sudden", if sudden { "yes" } else { "no" });
    }
    for (suffix, answer) in [
        ("painful", symptom.painful),
        ("warm_or_red", symptom.warm_or_red),
        ("while_lying_down", symptom.while_lying_down),
        ("while_exercising", symptom.while_exercising),
        ("seizure", symptom.seizure),
        ("injured", symptom.injured),
    ] {
        if answer == Some(true) {
            put(suffix, "yes");
        }
    }
    fields
}

/// The fainting-only answers: field suffix and the words of the box.
pub(crate) const FAINTING_ANSWERS: [(&str, &str); 4] = [
    (
        "while_lying_down",
        "I was lying down (on the treatment table counts)",
    ),
    ("while_exercising", "I was exercising"),
    ("seizure", "There was jerking or a fit"),
    ("injured", "I was hurt in the fall"),
];

/// A labelled select of a vocabulary, with "not stated" first.
pub(crate) fn select<T: Copy>(
    name: &str,
    label: &str,
    all: impl IntoIterator<Item = T>,
    wire: fn(T) -> &'static str,
    words: impl Fn(T) -> &'static str,
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
                option value=(wire(value)) selected[chosen == wire(value)] { (words(value)) }
            }
        }
        (error_line(errors, name))
    }
}

/// A labelled checkbox that says "yes" when ticked.
pub(crate) fn checkbox(name: &str, label: &str, form: &FormData) -> Markup {
    let id = field_id(name);
    html! {
        label class="check" for=(id) {
            input type="checkbox" id=(id) name=(name) value="yes" checked[form.has(name, "yes")];
            (label)
        }
    }
}

/// A yes / no question, with "not sure" to take an answer back. Nothing
/// is chosen until the person chooses.
fn yes_no(
    name: &str,
    question: &str,
    hint: Option<&str>,
    form: &FormData,
    errors: &FieldErrors,
) -> Markup {
    let id = field_id(name);
    let sent = form.all(name).first().copied();
    let invalid = errors.get(name).is_some();
    html! {
        fieldset class="yes-no" id=(id) aria-describedby=[invalid.then(|| format!("{id}-error"))] {
            legend { (question) }
            @if let Some(hint) = hint { p class="hint" { (hint) } }
            div class="options" {
                @for (value, text, suffix) in [("yes", "Yes", "yes"), ("no", "No", "no"), ("", "Not sure", "unsure")] {
                    label class="check" for={ (id) "-" (suffix) } {
                        input type="radio" id={ (id) "-" (suffix) } name=(name) value=(value) checked[sent == Some(value)];
                        (text)
                    }
                }
            }
            (error_line(errors, name))
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

/// Whether the form carries any answer about `kind`, or an error on one.
fn touched(kind: SymptomKind, form: &FormData, errors: &FieldErrors) -> bool {
    let name = kind.as_str();
    let prefix = format!("{name}.");
    form.has("symptom", name)
        || errors.iter().any(|(field, _)| field.starts_with(&prefix))
        || detail_fields(kind)
            .iter()
            .any(|field| form.get(&format!("{name}.{field}")).is_some())
}

/// Every per-symptom field the reader takes, by suffix.
pub(crate) fn detail_fields(kind: SymptomKind) -> Vec<&'static str> {
    let mut fields = vec![
        "severity",
        "frequency",
        "interference",
        "regions",
        "side",
        "painful",
        "sudden",
        "warm_or_red",
        "gone",
    ];
    if kind == SymptomKind::Fainting {
        fields.extend(FAINTING_ANSWERS.iter().map(|(field, _)| *field));
    }
    fields
}

/// One symptom's fold: its name, what it means, "I have this", and the
/// questions the table asks about it.
fn symptom_fold(
    kind: SymptomKind,
    form: &FormData,
    errors: &FieldErrors,
    so_far: &SoFar,
) -> Markup {
    let name = kind.as_str();
    let field = |suffix: &str| format!("{name}.{suffix}");
    let open = touched(kind, form, errors) || so_far.reported(kind);
    html! {
        details class="symptom" open[open] {
            summary { (words::symptom(kind)) }
            @if let Some(hint) = words::symptom_hint(kind) { p class="hint" { (hint) } }
            label class="check" for={ "symptom-" (name) } {
                input type="checkbox" id={ "symptom-" (name) } name="symptom" value=(name) checked[form.has("symptom", name)];
                "I have this: " (words::symptom(kind))
            }
            @if so_far.reported(kind) || form.get(&field("gone")).is_some() {
                (checkbox(&field("gone"), "It has gone since my last check-in", form))
            }
            (symptom_questions(kind, form, errors))
            @if kind == SymptomKind::Fainting {
                p class="hint" { "Chest pain, shortness of breath or a racing heartbeat with it, or still not feeling fully yourself (weak, unsteady, confused, or finding it hard to speak): tick each of those as well." }
            }
        }
    }
}

/// The questions the table asks about `kind`, beyond "I have this" and
/// "it has gone": one symptom's fold of the one-page form, or its own
/// page in the step-by-step check-in.
pub(crate) fn symptom_questions(
    kind: SymptomKind,
    form: &FormData,
    errors: &FieldErrors,
) -> Markup {
    let name = kind.as_str();
    let asked = |question| asks(kind, question);
    let field = |suffix: &str| format!("{name}.{suffix}");
    html! {
        @if asked(Question::Severity) {
            (select(&field("severity"), severity_question(kind), severity_choices(kind, form), Severity::as_str, |value| words::severity_of(kind, value), form, errors))
        }
        @if asked(Question::Frequency) {
            (select(&field("frequency"), frequency_question(kind), Frequency::ALL.iter().copied(), Frequency::as_str, words::frequency, form, errors))
        }
        @if asked(Question::Interference) {
            (select(&field("interference"), "How much does it get in the way of daily activities?", Interference::ALL.iter().copied(), Interference::as_str, words::interference, form, errors))
        }
        @if asked(Question::Sudden) {
            (yes_no(&field("sudden"), sudden_question(kind), None, form, errors))
        }
        @if asked(Question::Regions) {
            fieldset {
                legend { "Where?" }
                div class="grid" {
                    @for region in questions::regions(kind) {
                        @let regions = field("regions");
                        label class="check" for={ (name) "-regions-" (region.as_str()) } {
                            input type="checkbox" id={ (name) "-regions-" (region.as_str()) } name=(regions) value=(region.as_str()) checked[form.has(&regions, region.as_str())];
                            (words::region(region))
                        }
                    }
                }
                (error_line(errors, &field("regions")))
            }
        }
        @if asked(Question::Side) {
            (select(&field("side"), "Which side?", Side::ALL.iter().copied(), Side::as_str, words::side, form, errors))
        }
        @if asked(Question::Painful) {
            (checkbox(&field("painful"), "It hurts", form))
        }
        @if asked(Question::WarmOrRed) {
            (checkbox(&field("warm_or_red"), "The skin over it is warm, red or darker than usual", form))
        }
        @if asked(Question::Fainting) {
            fieldset {
                legend { "When you fainted" }
                @for (answer, label) in FAINTING_ANSWERS {
                    (checkbox(&field(answer), label, form))
                }
            }
        }
    }
}

/// The severity steps offered: none is "it has gone", asked separately,
/// and shown here only when it was sent, so that it is not lost.
fn severity_choices(kind: SymptomKind, form: &FormData) -> Vec<Severity> {
    let sent_none = form.raw(&format!("{kind}.severity")) == Severity::None.as_str();
    Severity::ALL
        .iter()
        .copied()
        .filter(|value| *value != Severity::None || sent_none)
        .collect()
}

fn severity_question(kind: SymptomKind) -> &'static str {
    match kind {
        SymptomKind::Fever => "How bad is the fever?",
        SymptomKind::Bruising => "How large is the largest bruise?",
        _ => "How bad is it at its worst?",
    }
}

fn frequency_question(kind: SymptomKind) -> &'static str {
    match kind {
        SymptomKind::Fainting => "How often has it happened since the treatment?",
        SymptomKind::Vomiting => "How often are you being sick?",
        _ => "How often does it happen?",
    }
}

fn sudden_question(kind: SymptomKind) -> &'static str {
    match kind {
        SymptomKind::Headache => {
            "Did it come on suddenly, at its worst within minutes (the worst headache you have had)?"
        }
        _ => "Did it come on suddenly?",
    }
}

/// The questions of a check-in: the rarer warning signs in one fold of
/// their own (one line while closed), the common symptoms, then the
/// background questions and a note.
pub(crate) fn checkin_fields(form: &FormData, errors: &FieldErrors, so_far: &SoFar) -> Markup {
    let common = SymptomKind::ALL
        .iter()
        .copied()
        .filter(|k| !is_warning_sign(*k));
    let signs = WARNING_SIGNS;
    let signs_open = signs
        .iter()
        .any(|kind| touched(*kind, form, errors) || so_far.reported(*kind));
    html! {
        p class="warning" { "Chest pain, sudden breathlessness, sudden weakness or numbness on one side of the body or face, or a sudden, very severe headache: call your local emergency number now, before anything else." }
        fieldset {
            legend { "What do you feel now?" }
            p class="hint" { "Open each thing you feel, tick it and answer what you can. If you feel nothing unusual, tick nothing and send." }
            details class="signs" open[signs_open] {
                summary {
                    span { strong { "Warning signs" } " — open this if you have any of them:" }
                    span class="hint" { "chest pain, shortness of breath, a racing heartbeat, fainting, confusion, trouble speaking or seeing, loss of balance, being sick, dark urine, new bladder or bowel trouble" }
                }
                @for kind in signs { (symptom_fold(*kind, form, errors, so_far)) }
            }
            @for kind in common { (symptom_fold(kind, form, errors, so_far)) }
        }
        fieldset {
            legend { "Since your treatment" }
            (background_fields(form, errors, so_far))
        }
        (note_field(form, errors))
    }
}

/// The fields of the background questions.
pub(crate) const BACKGROUND_FIELDS: [&str; 9] = [
    "hydration",
    "sleep_hours",
    "stress",
    "caffeine_cups",
    "new_medication",
    "strenuous_exercise",
    "pregnant",
    "anticoagulants",
    "seen_by_clinician",
];

/// The background questions, asked once per check-in after the
/// symptoms; whether a clinician has seen the person only after an
/// answer at `see_doctor` or above, never pre-filled.
pub(crate) fn background_fields(form: &FormData, errors: &FieldErrors, so_far: &SoFar) -> Markup {
    html! {
        @if so_far.ask_seen_by_clinician {
            (yes_no("seen_by_clinician", "Has a doctor, nurse or urgent-care service seen you about it since?", Some("About what you reported at an earlier check-in, since your last check-in."), form, errors))
        }
        (select("hydration", "How much have you been drinking?", Hydration::ALL.iter().copied(), Hydration::as_str, words::hydration, form, errors))
        (number("sleep_hours", "Hours slept last night", "A number from 0 to 24, for example 7.5.", form, errors))
        (select("stress", "Your stress level", Stress::ALL.iter().copied(), Stress::as_str, words::stress, form, errors))
        (number("caffeine_cups", "Cups of coffee, tea or energy drinks today", "A number from 0 to 50.", form, errors))
        (checkbox("new_medication", "I started a new medicine recently", form))
        (checkbox("strenuous_exercise", "I did hard exercise since the treatment", form))
        (checkbox("pregnant", "I am pregnant", form))
        (checkbox("anticoagulants", "I take blood thinners", form))
    }
}

/// The note, free text.
pub(crate) fn note_field(form: &FormData, errors: &FieldErrors) -> Markup {
    html! {
        label for="note" { "Anything else you want to say (optional)" }
        textarea id="note" name="note" maxlength="2000" { (form.raw("note")) }
        (error_line(errors, "note"))
    }
}
