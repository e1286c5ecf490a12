//! The red-flag probes as a table: one or more small courses for every
//! floor of the guidance, and one for each combination a floor raises.
//! This file holds the builders; the table itself is split by the floor
//! of its flags, one file per level.

mod contact_therapist;
mod emergency;
mod see_doctor;
mod urgent;

use super::{Probe, checkin_at, probe_treatment};
use crate::course::{Checkin, Context, Course, Symptom};
use crate::sources::{RED_FLAGS, RedFlag};
use crate::vocabulary::{Frequency, Level, Region, Severity, Side, SymptomKind};

/// A symptom entry, built up answer by answer.
#[derive(Clone)]
struct Entry(Symptom);

impl Entry {
    fn severity(mut self, severity: Severity) -> Self {
        self.0.severity = Some(severity);
        self
    }
    fn frequency(mut self, frequency: Frequency) -> Self {
        self.0.frequency = Some(frequency);
        self
    }
    fn side(mut self, side: Side) -> Self {
        self.0.side = Some(side);
        self
    }
    fn regions(mut self, regions: &[Region]) -> Self {
        self.0.regions = regions.to_vec();
        self
    }
    fn sudden(mut self, sudden: bool) -> Self {
        self.0.sudden = Some(sudden);
        self
    }
    fn painful(mut self) -> Self {
        self.0.painful = Some(true);
        self
    }
    fn warm(mut self) -> Self {
        self.0.warm_or_red = Some(true);
        self
    }
    fn edit(mut self, edit: impl FnOnce(&mut Symptom)) -> Self {
        edit(&mut self.0);
        self
    }
}

fn entry(kind: SymptomKind) -> Entry {
    Entry(Symptom::new(kind))
}

fn flag(id: &str) -> &'static RedFlag {
    RED_FLAGS
        .iter()
        .find(|flag| flag.id == id)
        .unwrap_or_else(|| unreachable!("red flag {id} is listed"))
}

/// Probes under construction.
struct Probes(Vec<Probe>);

impl Probes {
    /// A probe at the flag's floor, or at `floor` for a raised combination.
    fn add(&mut self, id: &str, name: &'static str, floor: Option<Level>, course: Course) {
        let flag = flag(id);
        self.0.push(Probe {
            flag,
            name,
            floor: floor.unwrap_or(flag.floor),
            course,
        });
    }

    /// One check-in `hours` after the probe treatment.
    fn one(&mut self, id: &str, name: &'static str, hours: i64, symptoms: &[Entry]) {
        self.add(id, name, None, course(hours, symptoms, Context::default()));
    }

    /// Like [`Probes::one`], at a level above the flag's floor.
    fn raised(
        &mut self,
        id: &str,
        name: &'static str,
        floor: Level,
        hours: i64,
        symptoms: &[Entry],
    ) {
        self.add(
            id,
            name,
            Some(floor),
            course(hours, symptoms, Context::default()),
        );
    }
}

fn course(hours: i64, symptoms: &[Entry], context: Context) -> Course {
    Course {
        treatment: probe_treatment(),
        checkins: vec![Checkin {
            context,
            ..checkin_at(hours, symptoms.iter().map(|e| e.0.clone()).collect())
        }],
    }
}

/// A course after work on the neck and shoulders.
fn after_neck_work(hours: i64, symptoms: &[Entry]) -> Course {
    let mut course = course(hours, symptoms, Context::default());
    course.treatment.regions = vec![Region::Neck, Region::Shoulders];
    course
}

/// The same kind reported mild, then moderate `hours` after the treatment.
fn getting_worse(kind: SymptomKind, first: i64, hours: i64) -> Course {
    Course {
        treatment: probe_treatment(),
        checkins: vec![
            checkin_at(first, vec![entry(kind).severity(Severity::Mild).0]),
            checkin_at(hours, vec![entry(kind).severity(Severity::Moderate).0]),
        ],
    }
}

/// A context answer given at an earlier check-in, carried to the last.
fn answered_earlier(context: Context, hours: i64, symptoms: &[Entry]) -> Course {
    Course {
        treatment: probe_treatment(),
        checkins: vec![
            Checkin {
                context,
                ..checkin_at(1, Vec::new())
            },
            checkin_at(hours, symptoms.iter().map(|e| e.0.clone()).collect()),
        ],
    }
}

/// A symptom on the left calf.
fn left_calf(kind: SymptomKind) -> Entry {
    entry(kind).side(Side::Left).regions(&[Region::Calves])
}

/// A symptom that began suddenly.
fn sudden(kind: SymptomKind) -> Entry {
    entry(kind).sudden(true)
}

/// A symptom that came on gradually.
fn gradual(kind: SymptomKind) -> Entry {
    entry(kind).sudden(false)
}

/// The client is pregnant.
fn pregnant() -> Context {
    Context {
        pregnant: Some(true),
        ..Context::default()
    }
}

/// The client takes blood thinners.
fn on_thinners() -> Context {
    Context {
        anticoagulants: Some(true),
        ..Context::default()
    }
}

/// The probes: at least one for every red flag of the guidance, and one
/// for each combination a row raises.
pub fn probes() -> Vec<Probe> {
    let mut p = Probes(Vec::new());
    emergency::add(&mut p);
    urgent::add(&mut p);
    see_doctor::add(&mut p);
    contact_therapist::add(&mut p);
    // The table is kept by floor, but readers (the safety case lists each
    // flag's probes in turn) get them in the guidance's order of flags, as
    // before; the sort is stable, so each flag's probes keep their order.
    p.0.sort_by_key(|probe| RED_FLAGS.iter().position(|flag| flag.id == probe.flag.id));
    p.0
}
