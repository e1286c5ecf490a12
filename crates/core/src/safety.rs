//! The red-flag floors as executable probes: small courses that show each
//! red flag of the guidance, and a check that a guideline never answers one
//! below its floor. `aftercare guideline check` runs it on any guideline,
//! and the property tests grow the probes into many random courses.

use time::Duration;

use crate::course::{Checkin, Context, Course, Symptom, Timestamp, Treatment};
use crate::guideline::Guideline;
use crate::sources::RedFlag;
use crate::triage::triage;
mod monotonic;
mod probes;

pub use monotonic::{MonotonicityViolation, check_monotonic};
pub use probes::probes;

use crate::vocabulary::{Level, Modality, Pressure, Region};

/// A course that shows one red flag.
#[derive(Clone, Debug)]
pub struct Probe {
    /// The red flag it shows.
    pub flag: &'static RedFlag,
    /// What the course is, in a few words.
    pub name: &'static str,
    /// The lowest level the course may get: the flag's floor, or higher
    /// for a combination the guidance raises ("`emergency` when …").
    pub floor: Level,
    /// The course.
    pub course: Course,
}

/// A probe answered below its floor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FloorViolation {
    /// The red flag id.
    pub flag: &'static str,
    /// The probe.
    pub probe: &'static str,
    /// The floor.
    pub floor: Level,
    /// What the guideline answered.
    pub got: Level,
}

impl std::fmt::Display for FloorViolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}): answered `{}`, below its floor `{}`",
            self.flag, self.probe, self.got, self.floor
        )
    }
}

/// Runs every probe; returns those answered below their floor.
pub fn check_floors(guideline: &Guideline) -> Vec<FloorViolation> {
    probes()
        .into_iter()
        .filter_map(|probe| {
            let got = triage(guideline, &probe.course).level;
            (got < probe.floor).then_some(FloorViolation {
                flag: probe.flag.id,
                probe: probe.name,
                floor: probe.floor,
                got,
            })
        })
        .collect()
}

/// The treatment every probe follows: firm deep tissue work on the legs
/// and back, at a fixed time.
pub fn probe_treatment() -> Treatment {
    Treatment {
        at: Timestamp::new(time::macros::datetime!(2026-11-20 15:00 UTC)),
        modality: Modality::DeepTissue,
        pressure: Some(Pressure::Firm),
        duration_min: None,
        regions: vec![Region::Calves, Region::LowerBack],
    }
}

/// A check-in `hours` after the probe treatment.
pub fn checkin_at(hours: i64, symptoms: Vec<Symptom>) -> Checkin {
    Checkin {
        at: Timestamp::new(probe_treatment().at.get() + Duration::hours(hours)),
        symptoms,
        context: Context::default(),
        note: None,
    }
}
