//! The probes of the red flags whose floor is `emergency`.

use super::{Probes, after_neck_work, course, entry, gradual, left_calf, sudden};
use crate::course::Context;
use crate::vocabulary::{Frequency, Region, Severity, Side, SymptomKind};

/// Adds the probes of the red flags whose floor is `emergency`.
#[allow(clippy::too_many_lines)] // a table, one probe a few lines
pub(super) fn add(p: &mut Probes) {
    use Region::{
        Arms, Calves, Face, Forearms, Glutes, Groin, Hands, LowerBack, MouthThroat, Thighs,
    };
    use Severity::{Mild, Moderate, Severe, VerySevere};
    use SymptomKind::{
        BladderBowelChange, Breathlessness, ChestPain, Confusion, CoordinationLoss, Cramp,
        Dizziness, Fainting, Fever, Headache, NumbnessTingling, Palpitations, SkinReaction,
        Soreness, SpeechDifficulty, Swelling, VisionChange, Vomiting, Weakness,
    };

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
    p.one("R30", "confusion", 10, &[entry(Confusion)]);
    p.one("R30", "trouble speaking", 10, &[gradual(SpeechDifficulty)]);
    p.one(
        "R30",
        "sudden change in vision",
        10,
        &[sudden(VisionChange)],
    );
}
