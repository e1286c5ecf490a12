//! Reading a sent check-in form back into a typed [`Checkin`], keeping
//! every detail a person entered.

use aftercare_core::course::{CaffeineCups, SleepHours};
use aftercare_core::vocabulary::{
    Frequency, Hydration, Interference, Region, Severity, Side, Stress, SymptomKind,
};
use aftercare_core::{Checkin, Context, Symptom};
use aftercare_store::Millis;

use crate::web::checkin::timestamp;
use crate::web::form::{FieldErrors, FormData};

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

/// A yes/no answer: a ticked box or "yes" is `Some(true)`, "no" is
/// `Some(false)`, nothing (or "not sure") is not stated.
fn yes_or_no(form: &FormData, errors: &mut FieldErrors, name: &str) -> Option<bool> {
    match form.get(name)? {
        "yes" => Some(true),
        "no" => Some(false),
        _ => {
            errors.add(name, "Choose yes or no.");
            None
        }
    }
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

/// Reads one symptom's answers: `None` when nothing at all was said about
/// it. Every field is read whatever the table asks, so that nothing sent
/// is lost.
fn read_symptom(form: &FormData, errors: &mut FieldErrors, kind: SymptomKind) -> Option<Symptom> {
    let name = kind.as_str();
    let field = |suffix: &str| format!("{name}.{suffix}");
    let severity = pick(
        form,
        errors,
        &field("severity"),
        Severity::ALL,
        Severity::as_str,
    );
    let gone = yes_or_no(form, errors, &field("gone")) == Some(true);
    let mut symptom = Symptom {
        severity,
        frequency: pick(
            form,
            errors,
            &field("frequency"),
            Frequency::ALL,
            Frequency::as_str,
        ),
        interference: pick(
            form,
            errors,
            &field("interference"),
            Interference::ALL,
            Interference::as_str,
        ),
        side: pick(form, errors, &field("side"), Side::ALL, Side::as_str),
        painful: yes_or_no(form, errors, &field("painful")),
        sudden: yes_or_no(form, errors, &field("sudden")),
        warm_or_red: yes_or_no(form, errors, &field("warm_or_red")),
        ..Symptom::new(kind)
    };
    for sent in form.all(&field("regions")) {
        match Region::ALL.iter().find(|region| region.as_str() == sent) {
            Some(region) if !symptom.regions.contains(region) => symptom.regions.push(*region),
            Some(_) => {}
            None => errors.add(field("regions"), "Tick only the places offered."),
        }
    }
    if kind == SymptomKind::Fainting {
        symptom.while_lying_down = yes_or_no(form, errors, &field("while_lying_down"));
        symptom.while_exercising = yes_or_no(form, errors, &field("while_exercising"));
        symptom.seizure = yes_or_no(form, errors, &field("seizure"));
        symptom.injured = yes_or_no(form, errors, &field("injured"));
    }
    if gone || severity == Some(Severity::None) {
        // Gone is gone, whatever else the entry says.
        return Some(Symptom {
            severity: Some(Severity::None),
            ..Symptom::new(kind)
        });
    }
    let detail = symptom != Symptom::new(kind);
    (form.has("symptom", name) || detail).then_some(symptom)
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
    let symptoms = SymptomKind::ALL
        .iter()
        .filter_map(|kind| read_symptom(form, &mut errors, *kind))
        .collect();
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
        new_medication: yes_or_no(form, &mut errors, "new_medication"),
        strenuous_exercise: yes_or_no(form, &mut errors, "strenuous_exercise"),
        pregnant: yes_or_no(form, &mut errors, "pregnant"),
        anticoagulants: yes_or_no(form, &mut errors, "anticoagulants"),
        seen_by_clinician: yes_or_no(form, &mut errors, "seen_by_clinician"),
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
