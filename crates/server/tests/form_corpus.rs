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
        ("treatment_ok", true),
        ("treatment_bad", false),
        ("selfcheck_ok", true),
        ("selfcheck_bad", false),
    ] {
        let bytes = std::fs::read(corpus_dir().join(file)).expect("a seed");
        assert_eq!(form_checks::check_form(&bytes), accepted, "{file}");
    }
}
