//! The probes of the red flags whose floor is `urgent`.

use super::{
    Probes, answered_earlier, course, entry, gradual, left_calf, on_thinners, pregnant, sudden,
};
use crate::vocabulary::{Frequency, Level, Region, Severity, Side, SymptomKind};

/// Adds the probes of the red flags whose floor is `urgent`.
#[allow(clippy::too_many_lines)] // a table, one probe a few lines
pub(super) fn add(p: &mut Probes) {
    use Level::Emergency;
    use Region::{Arms, Calves, Face, Forearms, Hands, LowerBack, MouthThroat, Neck, Thighs};
    use Severity::{Mild, Moderate, Severe};
    use SymptomKind::{
        Breathlessness, Bruising, Confusion, CoordinationLoss, Cramp, DarkUrine, Dizziness, Fever,
        Headache, JointPain, NumbnessTingling, Palpitations, SkinReaction, Soreness,
        SpeechDifficulty, Swelling, VisionChange, Vomiting, Weakness,
    };

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
    p.add(
        "R20",
        "palm-sized bruise on blood thinners",
        None,
        course(24, &[entry(Bruising).severity(Moderate)], on_thinners()),
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
            on_thinners(),
        ),
    );
    p.add(
        "R20",
        "bruise on blood thinners said at an earlier check-in",
        None,
        answered_earlier(on_thinners(), 30, &[entry(Bruising).severity(Moderate)]),
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
        p.add("R34", name, None, course(30, &[finding], pregnant()));
    }
    p.add(
        "R34",
        "pregnancy said at an earlier check-in, one-sided calf swelling",
        None,
        answered_earlier(pregnant(), 30, &[left_calf(Swelling).severity(Mild)]),
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
            course(30, &findings, pregnant()),
        );
    }
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
}
