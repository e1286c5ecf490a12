//! Any bytes into the web app's form readers (the client's check-in, the
//! therapist's treatment record, the self-check): each must read the form
//! or refuse it naming the fields, never panic.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../form_checks.rs"]
mod form_checks;

fuzz_target!(|data: &[u8]| {
    form_checks::check_form(data);
});
