//! The red-flag probes as a table: one or more small courses for every
//! floor of the guidance, and one for each combination a floor raises.

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

/// The probes: at least one for every red flag of the guidance, and one
/// for each combination a row raises.
#[allow(clippy::too_many_lines)] // a table, one probe a few lines
pub fn probes() -> Vec<Probe> {
    use Level::{Emergency, Urgent};
    use Region::{
        Arms, Calves, Face, Forearms, Glutes, Groin, Hands, LowerBack, MouthThroat, Neck, Thighs,
    };
    use Severity::{Mild, Moderate, Severe, VerySevere};
    use SymptomKind::{
        BladderBowelChange, Breathlessness, Bruising, ChestPain, Confusion, CoordinationLoss,
        Cramp, DarkUrine, Dizziness, Fainting, Fatigue, Fever, Headache, JointPain, Nausea,
        NumbnessTingling, Palpitations, SkinReaction, Soreness, SpeechDifficulty, Swelling,
        Twitching, VisionChange, Vomiting, Weakness,
    };
    let left_calf = |kind| entry(kind).side(Side::Left).regions(&[Calves]);
    let sudden = |kind| entry(kind).sudden(true);
    let gradual = |kind| entry(kind).sudden(false);
    let pregnant = Context {
        pregnant: Some(true),
        ..Context::default()
    };
    let on_thinners = Context {
        anticoagulants: Some(true),
        ..Context::default()
    };
    let mut p = Probes(Vec::new());

    p.one("R1", "chest pain a few hours after", 3, &[entry(ChestPain)]);
    p.one(
        "R1",
        "mild chest pain a week after",
        170,
        &[entry(ChestPain).severity(Mild).sudden(false)],
    );
    p.one("R2", "sudden breathlessness", 6, &[sudden(Breathlessness)]);
    p.one(
        "R2",
        "breathlessness with one-sided calf swelling",
        30,
        &[gradual(Breathlessness).severity(Mild), left_calf(Swelling)],
    );
    p.one(
        "R3",
        "sudden weakness on one side",
        5,
        &[sudden(Weakness).side(Side::Right).regions(&[Arms])],
    );
    p.one(
        "R3",
        "sudden numbness on one side of the face",
        20,
        &[sudden(NumbnessTingling).side(Side::Left).regions(&[Face])],
    );
    p.one(
        "R3",
        "sudden numbness in the face, both sides",
        20,
        &[sudden(NumbnessTingling).side(Side::Both).regions(&[Face])],
    );
    p.one(
        "R4",
        "sudden very severe headache",
        10,
        &[sudden(Headache).severity(VerySevere)],
    );
    p.one(
        "R4",
        "sudden severe headache",
        10,
        &[sudden(Headache).severity(Severe)],
    );
    for (name, companion) in [
        ("fainting with chest pain", ChestPain),
        ("fainting with breathlessness", Breathlessness),
        ("fainting with palpitations", Palpitations),
        ("fainting with weakness", Weakness),
        ("fainting with loss of coordination", CoordinationLoss),
        ("fainting with confusion", Confusion),
        ("fainting with trouble speaking", SpeechDifficulty),
    ] {
        p.one(
            "R5",
            name,
            2,
            &[
                entry(Fainting),
                entry(companion).severity(Mild).sudden(false),
            ],
        );
    }
    p.one(
        "R5",
        "fainting on the treatment table",
        0,
        &[entry(Fainting).edit(|s| s.while_lying_down = Some(true))],
    );
    p.one(
        "R5",
        "fainting while exercising",
        20,
        &[entry(Fainting).edit(|s| s.while_exercising = Some(true))],
    );
    p.one(
        "R5",
        "fainting with a fit",
        4,
        &[entry(Fainting).edit(|s| s.seizure = Some(true))],
    );
    p.one(
        "R5",
        "fainting and hurt in the fall",
        4,
        &[entry(Fainting).edit(|s| s.injured = Some(true))],
    );

    p.one(
        "R6",
        "one-sided calf swelling",
        48,
        &[left_calf(Swelling).severity(Mild)],
    );
    p.one(
        "R6",
        "one-sided forearm swelling",
        3,
        &[entry(Swelling)
            .side(Side::Right)
            .regions(&[Forearms])
            .severity(Mild)],
    );
    p.one(
        "R6",
        "one-sided warm, red, sore calf",
        40,
        &[entry(Soreness)
            .side(Side::Right)
            .regions(&[Calves])
            .warm()
            .severity(Mild)],
    );
    p.one(
        "R6",
        "one-sided warm cramping thigh",
        30,
        &[entry(Cramp)
            .side(Side::Left)
            .regions(&[Thighs])
            .warm()
            .painful()
            .severity(Mild)],
    );
    p.one(
        "R6",
        "sore arm that was not treated, warm skin on it",
        5,
        &[
            entry(Soreness)
                .side(Side::Left)
                .regions(&[Arms])
                .severity(Mild),
            entry(SkinReaction)
                .side(Side::Left)
                .regions(&[Arms])
                .warm()
                .severity(Mild),
        ],
    );
    p.one("R7", "dark urine", 20, &[entry(DarkUrine)]);
    p.one(
        "R7",
        "dark urine with severe soreness",
        20,
        &[entry(DarkUrine), entry(Soreness).severity(Severe)],
    );
    p.one(
        "R8",
        "breathlessness, not sudden",
        12,
        &[gradual(Breathlessness).severity(Mild)],
    );
    p.one(
        "R9",
        "one-sided weakness, not sudden",
        30,
        &[gradual(Weakness)
            .side(Side::Left)
            .regions(&[Calves])
            .severity(Mild)],
    );
    p.one(
        "R10",
        "twitching with weakness",
        24,
        &[
            entry(Twitching).severity(Mild),
            gradual(Weakness).side(Side::Both).severity(Mild),
        ],
    );
    p.one(
        "R10",
        "twitching with loss of coordination",
        24,
        &[
            entry(Twitching).severity(Mild),
            gradual(CoordinationLoss).severity(Mild),
        ],
    );
    p.one(
        "R11",
        "twitching past two weeks",
        340,
        &[entry(Twitching).severity(Mild).regions(&[Calves])],
    );
    p.one(
        "R12",
        "twitching past a week",
        170,
        &[entry(Twitching).severity(Mild).regions(&[Calves])],
    );
    p.one(
        "R13",
        "painful twitching past 72 hours",
        80,
        &[entry(Twitching).painful().severity(Mild).regions(&[Calves])],
    );
    p.one(
        "R14",
        "numbness past 72 hours",
        80,
        &[entry(NumbnessTingling)
            .side(Side::Both)
            .regions(&[Calves])
            .sudden(false)],
    );
    p.one("R15", "fever", 30, &[entry(Fever).severity(Mild)]);
    p.add(
        "R15",
        "fever getting worse",
        Some(Urgent),
        getting_worse(Fever, 10, 20),
    );
    p.one(
        "R16",
        "a single faint",
        1,
        &[entry(Fainting).frequency(Frequency::Rarely)],
    );
    p.one(
        "R17",
        "severe soreness",
        20,
        &[entry(Soreness).severity(Severe)],
    );
    p.add(
        "R17",
        "soreness worse after 72 hours",
        None,
        getting_worse(Soreness, 48, 80),
    );
    p.one(
        "R18",
        "bruising larger than a palm",
        24,
        &[entry(Bruising).severity(Severe)],
    );
    p.add(
        "R19",
        "tiredness worse after 48 hours",
        None,
        getting_worse(Fatigue, 24, 50),
    );
    p.add(
        "R19",
        "twitching worse after 48 hours",
        None,
        getting_worse(Twitching, 24, 50),
    );
    p.add(
        "R19",
        "soreness worse after 72 hours",
        None,
        getting_worse(Soreness, 24, 74),
    );

    p.add(
        "R20",
        "palm-sized bruise on blood thinners",
        None,
        course(
            24,
            &[entry(Bruising).severity(Moderate)],
            on_thinners.clone(),
        ),
    );
    p.add(
        "R20",
        "small bruise on blood thinners with dizziness",
        None,
        course(
            24,
            &[
                entry(Bruising).severity(Mild),
                gradual(Dizziness).severity(Mild),
            ],
            on_thinners.clone(),
        ),
    );
    p.add(
        "R20",
        "bruise on blood thinners said at an earlier check-in",
        None,
        answered_earlier(
            on_thinners.clone(),
            30,
            &[entry(Bruising).severity(Moderate)],
        ),
    );
    p.one(
        "R21",
        "fever with a warm rash",
        20,
        &[
            entry(Fever).severity(Mild),
            entry(SkinReaction).warm().severity(Mild),
        ],
    );
    p.one(
        "R21",
        "fever with warm swelling",
        20,
        &[
            entry(Fever).severity(Mild),
            entry(Swelling)
                .warm()
                .side(Side::Both)
                .regions(&[LowerBack])
                .severity(Mild),
        ],
    );
    p.raised(
        "R21",
        "38 °C fever with a warm rash",
        Emergency,
        20,
        &[
            entry(Fever).severity(Severe),
            entry(SkinReaction).warm().severity(Mild),
        ],
    );
    p.raised(
        "R21",
        "fever with a warm rash and dizziness",
        Emergency,
        20,
        &[
            entry(Fever).severity(Mild),
            entry(SkinReaction).warm().severity(Mild),
            gradual(Dizziness).severity(Mild),
        ],
    );
    for (name, companion) in [
        ("fever with confusion", entry(Confusion)),
        ("fever with fainting", entry(Fainting)),
        (
            "fever with severe breathlessness",
            gradual(Breathlessness).severity(Severe),
        ),
        (
            "fever with very severe aching",
            entry(Soreness).severity(VerySevere),
        ),
    ] {
        p.one("R22", name, 30, &[entry(Fever).severity(Mild), companion]);
    }
    p.one(
        "R22",
        "38 °C fever with dizziness",
        30,
        &[
            entry(Fever).severity(Severe),
            gradual(Dizziness).severity(Mild),
        ],
    );
    p.one(
        "R23",
        "swollen face with breathlessness",
        2,
        &[
            entry(Swelling).regions(&[Face]).severity(Mild),
            gradual(Breathlessness).severity(Mild),
        ],
    );
    p.one(
        "R23",
        "a rash with fainting",
        2,
        &[entry(SkinReaction).severity(Mild), entry(Fainting)],
    );
    p.one(
        "R23",
        "a rash with sudden dizziness",
        2,
        &[
            entry(SkinReaction).severity(Mild),
            sudden(Dizziness).severity(Mild),
        ],
    );
    p.one(
        "R23",
        "swollen lips with marked dizziness",
        2,
        &[
            entry(Swelling).regions(&[MouthThroat]).severity(Mild),
            gradual(Dizziness).severity(Moderate),
        ],
    );
    p.one(
        "R24",
        "mildly swollen lips",
        2,
        &[entry(Swelling).regions(&[MouthThroat]).severity(Mild)],
    );
    p.raised(
        "R24",
        "moderately swollen throat",
        Emergency,
        2,
        &[entry(Swelling).regions(&[MouthThroat]).severity(Moderate)],
    );
    p.raised(
        "R24",
        "swollen lips with trouble speaking",
        Emergency,
        2,
        &[
            entry(Swelling).regions(&[MouthThroat]).severity(Mild),
            gradual(SpeechDifficulty),
        ],
    );
    p.raised(
        "R24",
        "swollen lips with mild dizziness",
        Emergency,
        2,
        &[
            entry(Swelling).regions(&[MouthThroat]).severity(Mild),
            gradual(Dizziness).severity(Mild),
        ],
    );
    p.one(
        "R25",
        "numbness in the saddle area",
        20,
        &[gradual(NumbnessTingling).regions(&[Groin]).side(Side::Both)],
    );
    p.one(
        "R25",
        "new bladder or bowel trouble",
        20,
        &[entry(BladderBowelChange)],
    );
    p.one(
        "R25",
        "numbness in both buttocks after back work",
        20,
        &[gradual(NumbnessTingling)
            .regions(&[Glutes])
            .side(Side::Both)],
    );
    p.one(
        "R25",
        "numbness in the left and the right thigh after back work",
        20,
        &[
            gradual(NumbnessTingling)
                .regions(&[Thighs])
                .side(Side::Left),
            gradual(NumbnessTingling)
                .regions(&[Thighs])
                .side(Side::Right),
        ],
    );
    p.one(
        "R25",
        "weakness in both legs after back work",
        20,
        &[gradual(Weakness)
            .regions(&[Calves])
            .side(Side::Both)
            .severity(Mild)],
    );
    {
        let mut course = course(
            20,
            &[
                entry(Soreness)
                    .regions(&[LowerBack])
                    .side(Side::Both)
                    .severity(Mild),
                gradual(NumbnessTingling)
                    .regions(&[Calves])
                    .side(Side::Both),
            ],
            Context::default(),
        );
        course.treatment.regions = vec![Region::Shoulders];
        p.add(
            "R25",
            "low back pain with numbness in both legs",
            None,
            course,
        );
    }
    p.one(
        "R26",
        "severe calf pain, swelling and numbness in the same leg",
        8,
        &[
            left_calf(Soreness).severity(Severe),
            left_calf(Swelling).severity(Mild),
            gradual(NumbnessTingling)
                .side(Side::Left)
                .regions(&[Calves]),
        ],
    );
    p.one(
        "R26",
        "severe forearm cramp, swelling and weakness in the same arm",
        8,
        &[
            entry(Cramp)
                .side(Side::Right)
                .regions(&[Forearms])
                .severity(Severe),
            entry(Swelling)
                .side(Side::Right)
                .regions(&[Forearms])
                .severity(Mild),
            gradual(Weakness)
                .side(Side::Right)
                .regions(&[Hands])
                .severity(Mild),
        ],
    );
    for (name, companion) in [
        (
            "headache and dizziness after neck work",
            gradual(Dizziness).severity(Mild),
        ),
        (
            "headache and vomiting after neck work",
            entry(Vomiting).frequency(Frequency::Rarely),
        ),
        (
            "headache and blurred vision after neck work",
            gradual(VisionChange),
        ),
        (
            "headache and trouble speaking after neck work",
            gradual(SpeechDifficulty),
        ),
        (
            "headache and unsteadiness after neck work",
            gradual(CoordinationLoss).severity(Mild),
        ),
    ] {
        p.add(
            "R27",
            name,
            None,
            after_neck_work(20, &[gradual(Headache).severity(Moderate), companion]),
        );
    }
    p.one(
        "R28",
        "severe headache with fever",
        30,
        &[
            gradual(Headache).severity(Severe),
            entry(Fever).severity(Mild),
        ],
    );
    p.raised(
        "R28",
        "severe headache, fever and a stiff neck",
        Emergency,
        30,
        &[
            gradual(Headache).severity(Severe),
            entry(Fever).severity(Mild),
            entry(Soreness)
                .regions(&[Neck])
                .side(Side::Both)
                .severity(Mild),
        ],
    );
    p.raised(
        "R28",
        "severe headache, fever and a rash",
        Emergency,
        30,
        &[
            gradual(Headache).severity(Severe),
            entry(Fever).severity(Mild),
            entry(SkinReaction).severity(Mild),
        ],
    );
    p.raised(
        "R28",
        "severe headache, fever and confusion",
        Emergency,
        30,
        &[
            gradual(Headache).severity(Severe),
            entry(Fever).severity(Mild),
            entry(Confusion),
        ],
    );
    p.one(
        "R29",
        "severe headache with numb hands",
        30,
        &[
            gradual(Headache).severity(Severe),
            gradual(NumbnessTingling).regions(&[Hands]).side(Side::Both),
        ],
    );
    p.one(
        "R29",
        "severe headache with weak thighs",
        30,
        &[
            gradual(Headache).severity(Severe),
            gradual(Weakness)
                .regions(&[Thighs])
                .side(Side::Both)
                .severity(Mild),
        ],
    );
    p.one("R30", "confusion", 10, &[entry(Confusion)]);
    p.one("R30", "trouble speaking", 10, &[gradual(SpeechDifficulty)]);
    p.one(
        "R30",
        "sudden change in vision",
        10,
        &[sudden(VisionChange)],
    );
    p.one(
        "R31",
        "palpitations",
        10,
        &[gradual(Palpitations).frequency(Frequency::Rarely)],
    );
    for (name, companion) in [
        ("palpitations with chest pain", entry(ChestPain)),
        (
            "palpitations with breathlessness",
            gradual(Breathlessness).severity(Mild),
        ),
        (
            "palpitations with dizziness",
            gradual(Dizziness).severity(Mild),
        ),
        ("palpitations with fainting", entry(Fainting)),
    ] {
        p.raised(
            "R31",
            name,
            Emergency,
            10,
            &[
                gradual(Palpitations).frequency(Frequency::Rarely),
                companion,
            ],
        );
    }
    p.one(
        "R32",
        "vision change, not sudden",
        10,
        &[gradual(VisionChange)],
    );
    p.one(
        "R32",
        "frequent vomiting",
        10,
        &[entry(Vomiting).frequency(Frequency::Frequently)],
    );
    p.add(
        "R33",
        "twitching past 72 hours with a new medicine",
        None,
        course(
            80,
            &[entry(Twitching).severity(Mild).regions(&[Calves])],
            Context {
                new_medication: Some(true),
                ..Context::default()
            },
        ),
    );
    p.one(
        "R33",
        "twitching past 72 hours in an untreated arm",
        80,
        &[entry(Twitching).severity(Mild).regions(&[Arms])],
    );
    for (name, finding) in [
        (
            "pregnant, with one-sided calf swelling",
            left_calf(Swelling).severity(Mild),
        ),
        (
            "pregnant, with one-sided thigh soreness",
            entry(Soreness)
                .side(Side::Right)
                .regions(&[Thighs])
                .severity(Mild),
        ),
        (
            "pregnant, with one-sided knee pain",
            entry(JointPain)
                .side(Side::Left)
                .regions(&[Region::Knees])
                .severity(Mild),
        ),
        (
            "pregnant, with frequent cramp in one calf",
            left_calf(Cramp)
                .frequency(Frequency::Frequently)
                .severity(Mild),
        ),
        (
            "pregnant, mildly breathless",
            gradual(Breathlessness).severity(Mild),
        ),
    ] {
        p.add("R34", name, None, course(30, &[finding], pregnant.clone()));
    }
    p.add(
        "R34",
        "pregnancy said at an earlier check-in, one-sided calf swelling",
        None,
        answered_earlier(pregnant.clone(), 30, &[left_calf(Swelling).severity(Mild)]),
    );
    for (name, findings) in [
        (
            "pregnant, suddenly breathless",
            vec![sudden(Breathlessness).severity(Mild)],
        ),
        (
            "pregnant, severely breathless",
            vec![gradual(Breathlessness).severity(Severe)],
        ),
        (
            "pregnant, breathless with palpitations",
            vec![
                gradual(Breathlessness).severity(Mild),
                gradual(Palpitations),
            ],
        ),
        (
            "pregnant, breathless and dizzy",
            vec![
                gradual(Breathlessness).severity(Mild),
                gradual(Dizziness).severity(Mild),
            ],
        ),
        (
            "pregnant, breathless with one-sided calf soreness",
            vec![
                gradual(Breathlessness).severity(Mild),
                left_calf(Soreness).severity(Mild),
            ],
        ),
    ] {
        p.add(
            "R34",
            name,
            Some(Emergency),
            course(30, &findings, pregnant.clone()),
        );
    }
    p.one(
        "R35",
        "severe soreness after a week",
        170,
        &[entry(Soreness).severity(Severe).regions(&[Calves])],
    );
    p.one(
        "R36",
        "warm swelling after a day",
        30,
        &[entry(Swelling)
            .warm()
            .side(Side::Both)
            .regions(&[LowerBack])
            .severity(Mild)],
    );
    p.one(
        "R36",
        "warm, painful rash after a day",
        30,
        &[entry(SkinReaction).warm().painful().severity(Mild)],
    );
    p.one(
        "R37",
        "a rash with mild dizziness",
        3,
        &[
            entry(SkinReaction).severity(Mild),
            gradual(Dizziness).severity(Mild),
        ],
    );
    p.one(
        "R37",
        "a swollen face with mild dizziness",
        3,
        &[
            entry(Swelling).regions(&[Face]).severity(Mild),
            gradual(Dizziness).severity(Mild),
        ],
    );
    p.one(
        "R38",
        "severe skin reaction",
        5,
        &[entry(SkinReaction).severity(Severe)],
    );
    p.add(
        "R38",
        "skin reaction worse after 48 hours",
        None,
        getting_worse(SkinReaction, 24, 50),
    );
    p.add(
        "R39",
        "severe headache after neck work",
        None,
        after_neck_work(20, &[gradual(Headache).severity(Severe)]),
    );
    p.add(
        "R39",
        "headache and nausea after neck work",
        Some(Urgent),
        after_neck_work(
            20,
            &[
                gradual(Headache).severity(Moderate),
                entry(Nausea).severity(Mild),
            ],
        ),
    );
    p.one(
        "R40",
        "fever with dizziness",
        30,
        &[
            entry(Fever).severity(Mild),
            gradual(Dizziness).severity(Mild),
        ],
    );
    p.one(
        "R41",
        "loss of coordination, not sudden",
        10,
        &[gradual(CoordinationLoss).severity(Mild)],
    );
    p.raised(
        "R41",
        "sudden loss of coordination",
        Emergency,
        10,
        &[sudden(CoordinationLoss).severity(Mild)],
    );
    p.raised(
        "R41",
        "loss of coordination with marked dizziness",
        Emergency,
        10,
        &[
            gradual(CoordinationLoss).severity(Mild),
            gradual(Dizziness).severity(Moderate),
        ],
    );
    p.raised(
        "R41",
        "loss of coordination with blurred vision",
        Emergency,
        10,
        &[
            gradual(CoordinationLoss).severity(Mild),
            gradual(VisionChange),
        ],
    );
    p.raised(
        "R41",
        "loss of coordination with a headache",
        Emergency,
        10,
        &[
            gradual(CoordinationLoss).severity(Mild),
            gradual(Headache).severity(Moderate),
        ],
    );
    p.one(
        "R42",
        "severe headache with marked dizziness",
        10,
        &[
            gradual(Headache).severity(Severe),
            gradual(Dizziness).severity(Moderate),
        ],
    );
    p.raised(
        "R42",
        "severe headache with sudden dizziness",
        Emergency,
        10,
        &[
            gradual(Headache).severity(Severe),
            sudden(Dizziness).severity(Moderate),
        ],
    );
    p.raised(
        "R42",
        "sudden severe headache with dizziness",
        Emergency,
        10,
        &[
            sudden(Headache).severity(Severe),
            gradual(Dizziness).severity(Moderate),
        ],
    );
    p.0
}
