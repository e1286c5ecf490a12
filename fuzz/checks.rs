//! The checks every fuzzing input goes through, shared by the cargo-fuzz
//! targets (`fuzz_targets/`) and the corpus regression test that runs on
//! the stable toolchain (`crates/core/tests/fuzz_corpus.rs`).

// Each fuzz target uses only the check for its own parser.
#![allow(dead_code)]

use aftercare_core::{Course, Guideline, triage};

/// A course that touches most condition kinds: several symptoms over
/// three check-ins, one-sided and worsening, with context set, and the
/// additions of format 1.1 (the fainting answers, the saddle area, a
/// red flag left open, `seen_by_clinician`).
pub const COURSE: &str = r#"{
  "treatment": {"at": "2026-01-08T10:00:00Z", "modality": "deep_tissue", "pressure": "deep",
                "duration_min": 90, "regions": ["calves", "thighs"]},
  "checkins": [
    {"at": "2026-01-08T16:00:00Z",
     "symptoms": [{"kind": "soreness", "severity": "mild", "regions": ["calves"]}]},
    {"at": "2026-01-09T10:00:00Z",
     "symptoms": [{"kind": "soreness", "severity": "moderate", "regions": ["calves"], "side": "left"},
                  {"kind": "headache", "severity": "mild", "frequency": "rarely"}]},
    {"at": "2026-01-11T12:00:00Z",
     "symptoms": [{"kind": "soreness", "severity": "severe", "frequency": "frequently",
                   "interference": "quite_a_bit", "regions": ["calves"], "side": "left",
                   "painful": true, "warm_or_red": true},
                  {"kind": "twitching", "frequency": "occasionally", "sudden": false},
                  {"kind": "headache", "severity": "none"},
                  {"kind": "fainting", "frequency": "rarely", "while_lying_down": true,
                   "while_exercising": false, "seizure": false, "injured": true},
                  {"kind": "numbness_tingling", "regions": ["groin"], "side": "both", "sudden": true}],
     "context": {"hydration": "low", "sleep_hours": 5, "stress": "high", "caffeine_cups": 4,
                 "new_medication": true, "strenuous_exercise": false, "anticoagulants": true,
                 "seen_by_clinician": false}}
  ]
}"#;

/// The fixed course guideline inputs are tried on.
pub fn fixed_course() -> Course {
    Course::from_json(COURSE).expect("the fixed course is valid")
}

/// Any bytes into the course parser: refused or accepted, never a panic.
/// An accepted course is triaged with the shipped guideline, and its JSON
/// form parses back to the same course. Returns whether it was accepted.
pub fn check_course(shipped: &Guideline, data: &[u8]) -> bool {
    let Ok(course) = Course::from_json_bytes(data) else {
        return false;
    };
    let decision = triage(shipped, &course);
    let _ = decision.to_json();

    let json = course.to_json();
    let again = Course::from_json(&json).unwrap_or_else(|error| {
        panic!("a serialized course does not parse again: {error}\n{json}")
    });
    assert_eq!(
        course, again,
        "the course changed on a JSON round trip\n{json}"
    );
    true
}

/// Any bytes into the guideline parser: refused or accepted, never a
/// panic. An accepted guideline triages `course`. Returns whether it was
/// accepted.
pub fn check_guideline(course: &Course, data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    let Ok(guideline) = Guideline::from_toml(text) else {
        return false;
    };
    let decision = triage(&guideline, course);
    let _ = decision.to_json();
    true
}
