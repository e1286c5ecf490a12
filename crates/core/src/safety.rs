//! The red-flag floors as executable probes: small courses that show each
//! red flag of the guidance, and a check that a guideline never answers one
//! below its floor. `aftercare guideline check` runs it on any guideline,
//! and the property tests grow the probes into many random courses.

use time::Duration;

use crate::course::{Checkin, Context, Course, Symptom, Timestamp, Treatment};
use crate::guideline::Guideline;
use crate::sources::{RED_FLAGS, RedFlag};
use crate::triage::triage;
use crate::vocabulary::{Level, Modality, Pressure, Region, Severity, Side, SymptomKind};

/// A course that shows one red flag.
#[derive(Clone, Debug)]
pub struct Probe {
    /// The red flag it shows.
    pub flag: &'static RedFlag,
    /// What the course is, in a few words.
    pub name: &'static str,
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
            (got < probe.flag.floor).then_some(FloorViolation {
                flag: probe.flag.id,
                probe: probe.name,
                floor: probe.flag.floor,
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

fn symptom(kind: SymptomKind) -> Symptom {
    Symptom::new(kind)
}

fn with(kind: SymptomKind, edit: impl FnOnce(&mut Symptom)) -> Symptom {
    let mut symptom = Symptom::new(kind);
    edit(&mut symptom);
    symptom
}

fn one_course(hours: i64, symptoms: Vec<Symptom>) -> Course {
    Course {
        treatment: probe_treatment(),
        checkins: vec![checkin_at(hours, symptoms)],
    }
}

fn flag(id: &str) -> &'static RedFlag {
    RED_FLAGS
        .iter()
        .find(|flag| flag.id == id)
        .unwrap_or_else(|| unreachable!("red flag {id} is listed"))
}

/// The probes: at least one for every red flag of the guidance.
pub fn probes() -> Vec<Probe> {
    use SymptomKind::{
        Breathlessness, Bruising, ChestPain, CoordinationLoss, Cramp, DarkUrine, Fainting, Fatigue,
        Fever, Headache, NumbnessTingling, Palpitations, Soreness, Swelling, Twitching, Weakness,
    };
    let sudden = |kind| with(kind, |s| s.sudden = Some(true));
    let left = |kind| {
        with(kind, |s| {
            s.side = Some(Side::Left);
            s.regions = vec![Region::Calves];
        })
    };
    let severe = |kind| with(kind, |s| s.severity = Some(Severity::Severe));
    let one = |id, name, hours, symptoms| Probe {
        flag: flag(id),
        name,
        course: one_course(hours, symptoms),
    };
    let worsening = |id, name, kind| Probe {
        flag: flag(id),
        name,
        course: Course {
            treatment: probe_treatment(),
            checkins: vec![
                checkin_at(24, vec![with(kind, |s| s.severity = Some(Severity::Mild))]),
                checkin_at(
                    50,
                    vec![with(kind, |s| s.severity = Some(Severity::Moderate))],
                ),
            ],
        },
    };
    vec![
        one(
            "R1",
            "chest pain a few hours after",
            3,
            vec![symptom(ChestPain)],
        ),
        one(
            "R1",
            "mild chest pain a week after",
            170,
            vec![with(ChestPain, |s| s.severity = Some(Severity::Mild))],
        ),
        one(
            "R2",
            "sudden breathlessness",
            6,
            vec![sudden(Breathlessness)],
        ),
        one(
            "R2",
            "breathlessness with one-sided calf swelling",
            30,
            vec![symptom(Breathlessness), left(Swelling)],
        ),
        one(
            "R3",
            "sudden weakness on one side",
            5,
            vec![with(Weakness, |s| {
                s.sudden = Some(true);
                s.side = Some(Side::Right);
                s.regions = vec![Region::Arms];
            })],
        ),
        one(
            "R3",
            "sudden numbness on one side of the face",
            20,
            vec![with(NumbnessTingling, |s| {
                s.sudden = Some(true);
                s.side = Some(Side::Left);
                s.regions = vec![Region::Face];
            })],
        ),
        one(
            "R4",
            "sudden very severe headache",
            10,
            vec![with(Headache, |s| {
                s.sudden = Some(true);
                s.severity = Some(Severity::VerySevere);
            })],
        ),
        one(
            "R5",
            "fainting with chest pain",
            2,
            vec![symptom(Fainting), symptom(ChestPain)],
        ),
        one(
            "R5",
            "fainting with breathlessness",
            2,
            vec![symptom(Fainting), symptom(Breathlessness)],
        ),
        one(
            "R5",
            "fainting with palpitations",
            2,
            vec![symptom(Fainting), symptom(Palpitations)],
        ),
        one("R6", "one-sided calf swelling", 48, vec![left(Swelling)]),
        one(
            "R6",
            "one-sided warm, red, sore calf",
            40,
            vec![with(Soreness, |s| {
                s.side = Some(Side::Right);
                s.regions = vec![Region::Calves];
                s.warm_or_red = Some(true);
            })],
        ),
        one(
            "R6",
            "one-sided warm cramping thigh",
            30,
            vec![with(Cramp, |s| {
                s.side = Some(Side::Left);
                s.regions = vec![Region::Thighs];
                s.warm_or_red = Some(true);
                s.painful = Some(true);
            })],
        ),
        one("R7", "dark urine", 20, vec![symptom(DarkUrine)]),
        one(
            "R7",
            "dark urine with severe soreness",
            20,
            vec![symptom(DarkUrine), severe(Soreness)],
        ),
        one("R8", "breathlessness", 12, vec![symptom(Breathlessness)]),
        one("R9", "one-sided weakness", 30, vec![left(Weakness)]),
        one(
            "R10",
            "twitching with weakness",
            24,
            vec![symptom(Twitching), symptom(Weakness)],
        ),
        one(
            "R10",
            "twitching with loss of coordination",
            24,
            vec![symptom(Twitching), symptom(CoordinationLoss)],
        ),
        one(
            "R11",
            "twitching past two weeks",
            340,
            vec![with(Twitching, |s| s.severity = Some(Severity::Mild))],
        ),
        one(
            "R12",
            "twitching past a week",
            170,
            vec![with(Twitching, |s| s.severity = Some(Severity::Mild))],
        ),
        one(
            "R13",
            "painful twitching past 72 hours",
            80,
            vec![with(Twitching, |s| s.painful = Some(true))],
        ),
        one(
            "R14",
            "numbness past 72 hours",
            80,
            vec![symptom(NumbnessTingling)],
        ),
        one("R15", "fever", 30, vec![symptom(Fever)]),
        one("R16", "a single faint", 1, vec![symptom(Fainting)]),
        one("R17", "severe soreness", 20, vec![severe(Soreness)]),
        worsening("R17", "soreness worse after 48 hours", Soreness),
        one("R18", "severe bruising", 24, vec![severe(Bruising)]),
        Probe {
            flag: flag("R18"),
            name: "bruising while taking anticoagulants",
            course: Course {
                treatment: probe_treatment(),
                checkins: vec![Checkin {
                    context: Context {
                        anticoagulants: Some(true),
                        ..Context::default()
                    },
                    ..checkin_at(
                        24,
                        vec![with(Bruising, |s| s.severity = Some(Severity::Mild))],
                    )
                }],
            },
        },
        worsening("R19", "tiredness worse after 48 hours", Fatigue),
        worsening("R19", "twitching worse after 48 hours", Twitching),
    ]
}
