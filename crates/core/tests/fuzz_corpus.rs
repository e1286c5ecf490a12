//! The fuzzing corpora as a regression suite on the stable toolchain.
//!
//! Every file in `fuzz/corpus/course_json` and `fuzz/corpus/guideline_toml`
//! (seeds, and any input that once crashed) goes through the same checks as
//! the cargo-fuzz targets in `fuzz/fuzz_targets`: the parsers may refuse an
//! input but never panic, an accepted course is triaged with the shipped
//! guideline and survives a JSON round trip, and an accepted guideline
//! triages a fixed course.

#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};

use aftercare_core::{Course, Guideline, triage};

/// Same course as `fuzz/fuzz_targets/guideline_toml.rs`.
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

/// The files of one corpus folder, sorted, with their contents.
fn corpus(name: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(name);
    let mut files: Vec<(PathBuf, Vec<u8>)> = fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .map(|path| {
            let bytes = fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect();
    files.sort();
    files
}

/// What `fuzz/fuzz_targets/course_json.rs` does with one input; whether
/// the course was accepted.
fn check_course(shipped: &Guideline, data: &[u8]) -> bool {
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

/// What `fuzz/fuzz_targets/guideline_toml.rs` does with one input; whether
/// the guideline was accepted.
fn check_guideline(course: &Course, data: &[u8]) -> bool {
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

/// Runs `check` on every file, naming the file if it panics.
fn run(files: &[(PathBuf, Vec<u8>)], check: impl Fn(&[u8]) -> bool) -> usize {
    let mut accepted = 0;
    for (path, bytes) in files {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(bytes)));
        let Ok(was_accepted) = outcome else {
            panic!("{} panicked (see the message above)", path.display());
        };
        accepted += usize::from(was_accepted);
    }
    accepted
}

#[test]
fn course_corpus_never_panics_and_round_trips() {
    let files = corpus("course_json");
    assert!(
        files.len() >= 5,
        "only {} files in the course corpus",
        files.len()
    );
    let shipped = Guideline::shipped();
    let accepted = run(&files, |data| check_course(&shipped, data));
    assert!(
        accepted >= 5,
        "only {accepted} of {} course inputs were accepted",
        files.len()
    );
    assert!(
        accepted < files.len(),
        "the course corpus has no refused input"
    );
}

#[test]
fn guideline_corpus_never_panics() {
    let files = corpus("guideline_toml");
    assert!(
        files.len() >= 5,
        "only {} files in the guideline corpus",
        files.len()
    );
    let course = Course::from_json(COURSE).unwrap();
    let accepted = run(&files, |data| check_guideline(&course, data));
    assert!(accepted >= 1, "no guideline input was accepted");
    assert!(
        accepted < files.len(),
        "the guideline corpus has no refused input"
    );
}
