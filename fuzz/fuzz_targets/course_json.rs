//! Any bytes into the course parser: it must refuse or accept, never panic.
//! An accepted course is triaged with the shipped guideline, and its JSON
//! form must parse back to the same course.

#![no_main]

use std::sync::LazyLock;

use aftercare_core::{Course, Guideline, triage};
use libfuzzer_sys::fuzz_target;

static SHIPPED: LazyLock<Guideline> = LazyLock::new(Guideline::shipped);

fuzz_target!(|data: &[u8]| {
    let Ok(course) = Course::from_json_bytes(data) else {
        return;
    };
    let decision = triage(&SHIPPED, &course);
    let _ = decision.to_json();

    let json = course.to_json();
    let again = Course::from_json(&json).unwrap_or_else(|error| {
        panic!("a serialized course does not parse again: {error}\n{json}")
    });
    assert_eq!(
        course, again,
        "the course changed on a JSON round trip\n{json}"
    );
});
