//! The form-body fuzzing corpus (`fuzz/corpus/form_body`) as a regression
//! suite on the stable toolchain: every file goes through the same check
//! as the cargo-fuzz target, and the hand-made seeds are read or refused
//! as they were made to be.

#![allow(missing_docs)]

use std::path::{Path, PathBuf};

#[path = "../../../fuzz/form_checks.rs"]
mod form_checks;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/form_body")
}

#[test]
fn form_corpus_never_panics_and_accepted_forms_are_valid() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("the form corpus")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    assert!(
        files.len() >= 10,
        "only {} files in the corpus",
        files.len()
    );
    for path in &files {
        let bytes = std::fs::read(path).expect("a corpus file");
        let outcome = std::panic::catch_unwind(|| form_checks::check_form(&bytes));
        assert!(
            outcome.is_ok(),
            "{} panicked (see the message above)",
            path.display()
        );
    }
}

#[test]
fn the_seeds_are_read_or_refused_as_made() {
    for (file, accepted) in [
        ("checkin_empty", true),
        ("checkin_twitching", true),
        ("checkin_chest_pain", true),
        ("checkin_swelling", true),
        ("checkin_bad_values", false),
        ("checkin_fainting_details_only", true),
        ("checkin_warning_signs", true),
        ("checkin_details_without_tick", true),
        ("checkin_gone_drops_details", true),
        ("checkin_seen_by_clinician", true),
        ("checkin_bad_yes_no", false),
        ("treatment_new_regions", true),
        ("treatment_ok", true),
        ("treatment_bad", false),
        ("selfcheck_ok", true),
        ("selfcheck_bad", false),
        ("checkin_steps_unticked_details", true),
        ("checkin_steps_refused_pages", true),
    ] {
        let bytes = std::fs::read(corpus_dir().join(file)).expect("a seed");
        assert_eq!(form_checks::check_form(&bytes), accepted, "{file}");
    }
}

/// The check-in seeds of format 1.1, read as the check-in format says:
/// any detail means the symptom is present, gone keeps only that.
#[test]
fn the_format_1_1_seeds_read_as_the_format_says() {
    let read = |file: &str| {
        let bytes = std::fs::read(corpus_dir().join(file)).expect("a seed");
        let checkin = aftercare_server::web::fuzzing::checkin_form(&bytes[1..], 1_795_608_000_000)
            .unwrap_or_else(|errors| panic!("{file}: {errors:?}"));
        serde_json::to_value(&checkin).expect("check-in JSON")
    };
    let fainting = read("checkin_fainting_details_only");
    assert_eq!(
        fainting["symptoms"],
        serde_json::json!([{ "kind": "fainting", "frequency": "rarely", "while_lying_down": true,
            "while_exercising": true, "seizure": true, "injured": true }])
    );
    let gone = read("checkin_gone_drops_details");
    assert_eq!(
        gone["symptoms"],
        serde_json::json!([
            { "kind": "soreness", "severity": "none" },
            { "kind": "fever", "severity": "none" }
        ])
    );
    let unticked = read("checkin_details_without_tick");
    let kinds: Vec<&str> = unticked["symptoms"]
        .as_array()
        .expect("symptoms")
        .iter()
        .map(|symptom| symptom["kind"].as_str().expect("a kind"))
        .collect();
    assert_eq!(
        kinds,
        [
            "bruising",
            "headache",
            "numbness_tingling",
            "swelling",
            "skin_reaction",
            "joint_pain"
        ]
    );
    let seen = read("checkin_seen_by_clinician");
    assert_eq!(
        seen["context"],
        serde_json::json!({ "pregnant": false, "anticoagulants": true, "seen_by_clinician": true })
    );
    let signs = read("checkin_warning_signs");
    assert_eq!(signs["symptoms"].as_array().map(Vec::len), Some(7));
}

/// The check-in entered one page at a time: answers on a symptom's page
/// count though it was never ticked, "better" keeps what was said
/// last time filled in, "gone" keeps only that, and a page with a wrong
/// answer changes nothing.
#[test]
fn the_step_seeds_read_as_the_pages_were_answered() {
    let read = |file: &str| {
        let bytes = std::fs::read(corpus_dir().join(file)).expect("a seed");
        let (_, read) =
            aftercare_server::web::fuzzing::checkin_steps(&bytes[1..], 1_795_608_000_000);
        let checkin = read.unwrap_or_else(|errors| panic!("{file}: {errors:?}"));
        serde_json::to_value(&checkin).expect("check-in JSON")
    };
    let unticked = read("checkin_steps_unticked_details");
    assert_eq!(
        unticked["symptoms"],
        serde_json::json!([
            // Its page, sent with only "mild": the places filled in from
            // last time were unticked there.
            { "kind": "soreness", "severity": "mild" },
            { "kind": "bruising", "painful": true },
            { "kind": "headache", "sudden": false },
            { "kind": "fever", "severity": "none" }
        ])
    );
    assert_eq!(unticked["context"]["seen_by_clinician"], true);
    // Filled in from last time, and unticked on the background page.
    assert_eq!(
        unticked["context"]["anticoagulants"],
        serde_json::Value::Null
    );
    let refused = read("checkin_steps_refused_pages");
    assert_eq!(refused["symptoms"], serde_json::json!([]));
    assert_eq!(
        refused["context"],
        serde_json::json!({ "anticoagulants": true })
    );
}
