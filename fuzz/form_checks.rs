//! The check every form-body fuzzing input goes through, shared by the
//! cargo-fuzz target (`fuzz_targets/form_body.rs`) and the corpus
//! regression test on the stable toolchain
//! (`crates/server/tests/form_corpus.rs`).
//!
//! The first byte picks the form (check-in, record a treatment,
//! self-check); the rest is the `application/x-www-form-urlencoded` body.

use aftercare_server::web::fuzzing::{self, Errors};

/// 2026-11-25T12:00:00Z, the "now" the forms are read at.
const NOW: i64 = 1_795_608_000_000;

/// Any bytes as a form: read or refused with named fields, never a panic.
/// What a form accepts is a valid value of the check-in format (it writes
/// to JSON that the strict reader takes back unchanged). Returns whether
/// the form was accepted.
pub fn check_form(data: &[u8]) -> bool {
    let Some((&which, body)) = data.split_first() else {
        return false;
    };
    match which % 3 {
        0 => accepted(fuzzing::checkin_form(body, NOW)),
        1 => accepted(fuzzing::treatment_form(body, NOW)),
        _ => accepted(fuzzing::selfcheck_form(body, NOW)),
    }
}

fn accepted<T>(outcome: Result<T, Errors>) -> bool
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    match outcome {
        Ok(value) => {
            let written = serde_json::to_vec(&value).expect("an accepted form writes as JSON");
            let read_back: T = aftercare_core::parse_json(&written)
                .expect("what a form accepts is valid in the check-in format");
            assert_eq!(read_back, value, "an accepted form survives a round trip");
            true
        }
        Err(errors) => {
            assert!(!errors.is_empty(), "a refusal says what is wrong");
            for (field, message) in &errors {
                assert!(!field.is_empty(), "every error names its field");
                assert!(!message.is_empty(), "every error says what is expected");
            }
            false
        }
    }
}
