//! A decision as text for a person reading a terminal.

use std::fmt::Write as _;

use aftercare_core::{Decision, Level};

/// The level first, then the summary, what to do, why, and the next
/// check-in. An emergency shows its call to action before anything else.
pub fn decision_for_people(decision: &Decision<'_>) -> String {
    let mut out = String::new();
    let heading = decision.level.heading();
    let _ = writeln!(out, "{}", heading.to_uppercase());
    let _ = writeln!(out, "{}", decision.summary);
    if !decision.advice.is_empty() {
        let _ = writeln!(out, "\nWhat to do:");
        for line in &decision.advice {
            let _ = writeln!(out, "  - {line}");
        }
    }
    if !decision.reasons.is_empty() {
        let _ = writeln!(out, "\nWhy:");
        for reason in &decision.reasons {
            let _ = writeln!(out, "  - {} [{}]", reason.why, reason.level);
            let evidence: Vec<String> = reason.evidence.iter().map(ToString::to_string).collect();
            let _ = writeln!(
                out,
                "    rule {}; from {}; sources {}",
                reason.rule,
                evidence.join(", "),
                reason.sources.join(", ")
            );
        }
    }
    let _ = writeln!(out);
    match decision.next_checkin_hours {
        Some(1) => {
            let _ = writeln!(out, "Next check-in: in 1 hour.");
        }
        Some(hours) => {
            let _ = writeln!(out, "Next check-in: in {hours} hours.");
        }
        None if decision.level == Level::Expected => {
            let _ = writeln!(out, "Next check-in: none needed; follow-up can end here.");
        }
        None => {
            let _ = writeln!(out, "Next check-in: none scheduled.");
        }
    }
    let _ = writeln!(
        out,
        "\n{} (guideline {} {})",
        decision.disclaimer, decision.guideline.id, decision.guideline.version
    );
    out
}
