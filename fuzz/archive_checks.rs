//! The check every import-archive fuzzing input goes through, shared by
//! the cargo-fuzz target (`fuzz_targets/import_archive.rs`) and the corpus
//! regression test on the stable toolchain
//! (`crates/store/tests/archive_corpus.rs`).

use aftercare_store::ClinicArchive;

/// Any bytes as an archive: refused or accepted, never a panic. An
/// accepted archive writes back to JSON that reads as the same archive.
/// Returns whether it was accepted.
pub fn check_archive(data: &[u8]) -> bool {
    let Ok(archive) = ClinicArchive::parse(data) else {
        return false;
    };
    let written = serde_json::to_vec(&archive).expect("an archive writes as JSON");
    let read_back = ClinicArchive::parse(&written).expect("a written archive reads back");
    assert_eq!(read_back, archive, "an archive survives a round trip");
    true
}
