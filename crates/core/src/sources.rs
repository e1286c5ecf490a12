//! The facts and red-flag floors of the post-treatment guidance that rules
//! may cite (`shared/guidance/post-treatment-guidance.md`), and the floors
//! every guideline must keep.

use crate::vocabulary::Level;

/// Citable facts: `guidance:G<n>`, with a few words on what each says.
pub const FACTS: &[(&str, &str)] = &[
    ("G0", "claims the product must not make"),
    ("G1", "what twitching is"),
    ("G2", "twitching after massage is common"),
    ("G3", "post-massage twitching lasts hours to several days"),
    ("G4", "soreness and a bruised feeling are normal and pass"),
    ("G5", "tiredness for a few hours is normal"),
    ("G6", "dizziness or fainting is rare"),
    ("G7", "nausea is rare"),
    ("G8", "headache is rare"),
    ("G9", "what makes twitching more likely"),
    ("G10", "fluids and rest help"),
    ("G11", "other causes of twitching"),
    (
        "G12",
        "twitching that stays, or comes with weakness, needs a doctor",
    ),
    ("G13", "persistent painful twitching needs a doctor"),
    ("G14", "tell the therapist"),
    ("G15", "public guidance on twitches"),
    ("G16", "signs of a clot (DVT) and pulmonary embolism"),
    ("G17", "signs of muscle breakdown (rhabdomyolysis)"),
    (
        "G18",
        "signs of a stroke, and a sudden very severe headache",
    ),
    ("G19", "fainting"),
    ("G20", "irritated nerves: numbness and tingling"),
];

/// A red flag of the guidance and the lowest level a guideline may give it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RedFlag {
    /// `R1` … `R19`.
    pub id: &'static str,
    /// The finding, in words.
    pub finding: &'static str,
    /// The floor.
    pub floor: Level,
}

/// The red-flag floors of the guidance, section E.
pub const RED_FLAGS: &[RedFlag] = &[
    red_flag("R1", "chest pain", Level::Emergency),
    red_flag(
        "R2",
        "sudden breathlessness, or breathlessness with one-sided leg swelling",
        Level::Emergency,
    ),
    red_flag(
        "R3",
        "sudden weakness or numbness on one side of the body or face",
        Level::Emergency,
    ),
    red_flag("R4", "sudden, very severe headache", Level::Emergency),
    red_flag(
        "R5",
        "fainting with chest pain, breathlessness or palpitations",
        Level::Emergency,
    ),
    red_flag(
        "R6",
        "one-sided leg swelling, or one-sided leg pain with warmth or redness",
        Level::Urgent,
    ),
    red_flag("R7", "dark urine after treatment", Level::Urgent),
    red_flag("R8", "breathlessness, not sudden", Level::Urgent),
    red_flag("R9", "one-sided weakness, not sudden", Level::Urgent),
    red_flag(
        "R10",
        "twitching with weakness or loss of coordination",
        Level::SeeDoctor,
    ),
    red_flag(
        "R11",
        "twitching more than 14 days after the treatment",
        Level::SeeDoctor,
    ),
    red_flag(
        "R12",
        "twitching more than 7 days after the treatment",
        Level::ContactTherapist,
    ),
    red_flag("R13", "painful twitching beyond 72 hours", Level::SeeDoctor),
    red_flag(
        "R14",
        "numbness or tingling beyond 72 hours",
        Level::SeeDoctor,
    ),
    red_flag("R15", "fever after treatment", Level::SeeDoctor),
    red_flag("R16", "fainting", Level::ContactTherapist),
    red_flag(
        "R17",
        "severe soreness, or soreness getting worse after 48 hours",
        Level::ContactTherapist,
    ),
    red_flag(
        "R18",
        "extensive bruising, or bruising while taking anticoagulants",
        Level::ContactTherapist,
    ),
    red_flag(
        "R19",
        "any symptom getting worse after 48 hours",
        Level::ContactTherapist,
    ),
];

const fn red_flag(id: &'static str, finding: &'static str, floor: Level) -> RedFlag {
    RedFlag { id, finding, floor }
}

/// Whether `source` names a fact or floor of the guidance (`guidance:G3`,
/// `guidance:R6`).
pub fn is_known_source(source: &str) -> bool {
    source.strip_prefix("guidance:").is_some_and(|id| {
        FACTS.iter().any(|(fact, _)| *fact == id) || RED_FLAGS.iter().any(|flag| flag.id == id)
    })
}
