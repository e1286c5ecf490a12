//! The import-archive fuzzing corpus (`fuzz/corpus/import_archive`) as a
//! regression suite on the stable toolchain: every file goes through the
//! same check as the cargo-fuzz target, and the hand-made seeds are
//! refused for the reason they were made for.

#![allow(missing_docs)]

use std::path::{Path, PathBuf};

use aftercare_store::{ClinicArchive, StoreError};

#[path = "../../../fuzz/archive_checks.rs"]
mod archive_checks;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/import_archive")
}

#[test]
fn archive_corpus_never_panics_and_round_trips() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("the archive corpus")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    assert!(files.len() >= 5, "only {} files in the corpus", files.len());
    let mut accepted = 0;
    for path in &files {
        let bytes = std::fs::read(path).expect("a corpus file");
        let outcome = std::panic::catch_unwind(|| archive_checks::check_archive(&bytes));
        let Ok(was_accepted) = outcome else {
            panic!("{} panicked (see the message above)", path.display());
        };
        accepted += usize::from(was_accepted);
    }
    assert!(accepted >= 3, "the valid seeds are accepted ({accepted})");
}

#[test]
fn a_bad_archive_is_refused_naming_the_field() {
    for (file, path) in [
        ("wrong_format.json", "format"),
        ("two_clinics.json", "clinics"),
        ("unknown_level.json", "decisions[0].level"),
        ("unreadable_checkin_body.json", "checkins[0].body"),
        ("row_of_another_clinic.json", "clients[0].clinic_id"),
        ("not_json.txt", ""),
        (
            "token_of_someone_outside.json",
            "api_tokens[0].practitioner_id",
        ),
        ("decision_that_is_not_one.json", "decisions[0].body"),
    ] {
        let bytes = std::fs::read(corpus_dir().join(file)).expect("a seed");
        match ClinicArchive::parse(&bytes) {
            Err(StoreError::Invalid { path: got, .. }) => assert_eq!(got, path, "{file}"),
            other => panic!("{file}: expected a refusal at `{path}`, got {other:?}"),
        }
    }
}
