//! Any UTF-8 text into the guideline parser: it must refuse or accept,
//! never panic. An accepted guideline triages a fixed small course.

#![no_main]

use std::sync::LazyLock;

use aftercare_core::{Course, Guideline, triage};
use libfuzzer_sys::fuzz_target;

/// A course that touches most condition kinds: several symptoms over
/// three check-ins, one-sided and worsening, with context set.
const COURSE: &str = r#"{
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
                  {"kind": "headache", "severity": "none"}],
     "context": {"hydration": "low", "sleep_hours": 5, "stress": "high", "caffeine_cups": 4,
                 "new_medication": true, "strenuous_exercise": false, "anticoagulants": true}}
  ]
}"#;

static FIXED: LazyLock<Course> =
    LazyLock::new(|| Course::from_json(COURSE).expect("the fixed course is valid"));

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(guideline) = Guideline::from_toml(text) else {
        return;
    };
    let decision = triage(&guideline, &FIXED);
    let _ = decision.to_json();
});
