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

use aftercare_core::Guideline;

#[path = "../../../fuzz/checks.rs"]
mod checks;

use checks::{check_course, check_guideline, fixed_course};

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
    let course = fixed_course();
    let accepted = run(&files, |data| check_guideline(&course, data));
    assert!(accepted >= 1, "no guideline input was accepted");
    assert!(
        accepted < files.len(),
        "the guideline corpus has no refused input"
    );
}
