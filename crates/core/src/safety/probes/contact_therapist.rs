//! The probes of the red flags whose floor is `contact_therapist`.

use super::{Probes, entry, getting_worse};
use crate::vocabulary::{Region, Severity, SymptomKind};

/// Adds the probes of the red flags whose floor is `contact_therapist`.
pub(super) fn add(p: &mut Probes) {
    use Region::Calves;
    use Severity::{Mild, Severe};
    use SymptomKind::{Bruising, Fatigue, Soreness, Twitching};

    p.one(
        "R12",
        "twitching past a week",
        170,
        &[entry(Twitching).severity(Mild).regions(&[Calves])],
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
}
