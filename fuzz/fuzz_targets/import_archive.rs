//! Any bytes into the import-archive reader (`aftercare import`): it must
//! refuse or accept, never panic, and an accepted archive must survive a
//! JSON round trip.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../archive_checks.rs"]
mod archive_checks;

fuzz_target!(|data: &[u8]| {
    archive_checks::check_archive(data);
});
