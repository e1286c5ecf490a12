//! What an alert is about, in words a therapist can act on: each reason
//! that raised it, in brief, after the symptoms it stands on with every
//! detail the client gave, e.g. `Swelling: left side only, warm or red,
//! hurts (Calves) — …`. Shown on the dashboard and in the alert API.

use aftercare_core::Level;
use aftercare_store::AlertFinding;

use crate::web::answer::{DecisionView, ReasonView, Reported, shown_order};
use crate::web::words;

/// The finding of an alert, one line per reason, most serious first:
/// the reasons at `contact_therapist` or above (all of them if none is).
pub(crate) fn finding_lines(found: &AlertFinding) -> Vec<String> {
    let Some(view) = DecisionView::parse(&found.decision) else {
        return Vec::new();
    };
    let reported = Reported::checkins(
        found
            .checkins
            .iter()
            .map(|stored| {
                (
                    usize::try_from(stored.seq).unwrap_or(usize::MAX),
                    &stored.checkin,
                )
            })
            .collect(),
    );
    let ordered = shown_order(&view.reasons, &reported);
    let serious = ordered
        .iter()
        .any(|reason| reason.level >= Level::ContactTherapist);
    ordered
        .into_iter()
        .filter(|reason| !serious || reason.level >= Level::ContactTherapist)
        .map(|reason| {
            let symptoms = evidence_words(reason, &reported);
            // The guideline speaks to the client; this is read by the therapist.
            let why = in_brief(&reason.why).replace("your therapist", "the therapist");
            if symptoms.is_empty() {
                why
            } else {
                format!("{} — {why}", symptoms.join("; "))
            }
        })
        .collect()
}

/// The symptoms a reason stands on, each once, with every detail the
/// client gave about it, e.g. `Swelling: left side only, warm or red,
/// hurts (Calves)`: the finding in clinical words.
pub(crate) fn evidence_words(reason: &ReasonView, reported: &Reported<'_>) -> Vec<String> {
    let mut symptoms: Vec<String> = Vec::new();
    for path in &reason.evidence {
        if let Some(symptom) = reported.symptom(path) {
            let text = words::described(symptom);
            if !symptoms.contains(&text) {
                symptoms.push(text);
            }
        }
    }
    symptoms
}

/// A reason's first clause, as a sentence.
fn in_brief(why: &str) -> String {
    let end = [". ", "; "]
        .iter()
        .filter_map(|mark| why.find(mark))
        .min()
        .unwrap_or(why.len());
    let brief = why[..end].trim_end_matches('.').trim();
    format!("{brief}.")
}

#[cfg(test)]
mod tests {
    use super::in_brief;

    #[test]
    fn a_reason_in_brief_is_its_first_clause() {
        assert_eq!(
            in_brief("Swelling on one side is worth a look; see a doctor today. More."),
            "Swelling on one side is worth a look."
        );
        assert_eq!(in_brief("Plain."), "Plain.");
    }
}
