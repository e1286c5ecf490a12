//! The check every form-body fuzzing input goes through, shared by the
//! cargo-fuzz target (`fuzz_targets/form_body.rs`) and the corpus
//! regression test on the stable toolchain
//! (`crates/server/tests/form_corpus.rs`).
//!
//! The first byte picks the form (check-in, record a treatment,
//! self-check, the check-in entered one page at a time); the rest is the
//! `application/x-www-form-urlencoded` body. A check-in read from either
//! check-in form holds every symptom a detail was given about, present
//! (safety property 6).

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
    match which % 4 {
        0 => {
            let read = fuzzing::checkin_form(body, NOW);
            if let Ok(checkin) = &read {
                every_detail_is_present(&fuzzing::form_fields(body), checkin);
            }
            accepted(read)
        }
        1 => accepted(fuzzing::treatment_form(body, NOW)),
        2 => accepted(fuzzing::selfcheck_form(body, NOW)),
        _ => {
            let (draft, read) = fuzzing::checkin_steps(body, NOW);
            if let Ok(checkin) = &read {
                every_detail_is_present(&draft, checkin);
            }
            accepted(read)
        }
    }
}

/// The per-symptom answers the check-in forms send, by suffix.
const DETAILS: [&str; 12] = [
    "severity",
    "frequency",
    "interference",
    "regions",
    "side",
    "painful",
    "sudden",
    "warm_or_red",
    "while_lying_down",
    "while_exercising",
    "seizure",
    "injured",
];

/// Safety property 6: any answer given about a symptom (a non-blank
/// detail field, without "it has gone") means it is in the check-in,
/// present, with or without its tick.
fn every_detail_is_present(fields: &[(String, String)], checkin: &aftercare_core::Checkin) {
    let first = |name: &str| {
        fields
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.trim())
    };
    for kind in aftercare_core::SymptomKind::ALL {
        let gone = first(&format!("{kind}.gone")) == Some("yes")
            || first(&format!("{kind}.severity")) == Some("none");
        if gone {
            continue;
        }
        let fainting_only = |suffix: &str| {
            matches!(
                suffix,
                "while_lying_down" | "while_exercising" | "seizure" | "injured"
            )
        };
        let said = fields.iter().any(|(name, value)| {
            name.strip_prefix(kind.as_str())
                .and_then(|rest| rest.strip_prefix('.'))
                .is_some_and(|suffix| {
                    DETAILS.contains(&suffix)
                        && (*kind == aftercare_core::SymptomKind::Fainting
                            || !fainting_only(suffix))
                        && !value.trim().is_empty()
                })
        });
        if said {
            assert!(
                checkin
                    .symptoms
                    .iter()
                    .any(|symptom| symptom.kind == *kind && symptom.is_present()),
                "a detail about {kind} was given, but it is not in the check-in: {fields:?}"
            );
        }
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
