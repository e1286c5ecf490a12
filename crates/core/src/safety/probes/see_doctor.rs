//! The probes of the red flags whose floor is `see_doctor`.

use super::{Probes, after_neck_work, course, entry, getting_worse, gradual};
use crate::course::Context;
use crate::vocabulary::{Frequency, Level, Region, Severity, Side, SymptomKind};

/// Adds the probes of the red flags whose floor is `see_doctor`.
#[allow(clippy::too_many_lines)] // a table, one probe a few lines
pub(super) fn add(p: &mut Probes) {
    use Level::{Emergency, Urgent};
    use Region::{Arms, Calves};
    use Severity::{Mild, Moderate, Severe};
    use SymptomKind::{
        Breathlessness, ChestPain, CoordinationLoss, Dizziness, Fainting, Fever, Headache, Nausea,
        NumbnessTingling, Palpitations, SkinReaction, Soreness, Twitching, Weakness,
    };

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
    p.one(
        "R35",
        "severe soreness after a week",
        170,
        &[entry(Soreness).severity(Severe).regions(&[Calves])],
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
}
