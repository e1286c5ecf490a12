//! Any bytes into the course parser: it must refuse or accept, never panic.
//! An accepted course is triaged with the shipped guideline, and its JSON
//! form must parse back to the same course.

#![no_main]

use std::sync::LazyLock;

use aftercare_core::Guideline;
use libfuzzer_sys::fuzz_target;

#[path = "../checks.rs"]
mod checks;

static SHIPPED: LazyLock<Guideline> = LazyLock::new(Guideline::shipped);

fuzz_target!(|data: &[u8]| {
    checks::check_course(&SHIPPED, data);
});
