//! Any UTF-8 text into the guideline parser: it must refuse or accept,
//! never panic. An accepted guideline triages a fixed small course.

#![no_main]

use std::sync::LazyLock;

use aftercare_core::Course;
use libfuzzer_sys::fuzz_target;

#[path = "../checks.rs"]
mod checks;

static FIXED: LazyLock<Course> = LazyLock::new(checks::fixed_course);

fuzz_target!(|data: &[u8]| {
    checks::check_guideline(&FIXED, data);
});
