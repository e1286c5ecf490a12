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
    ("G21", "infection, cellulitis and sepsis signs"),
    (
        "G22",
        "severe allergic reaction (anaphylaxis) and skin reactions",
    ),
    ("G23", "cauda equina syndrome"),
    ("G24", "compartment syndrome"),
    ("G25", "vertebral artery dissection after neck work"),
    (
        "G26",
        "severe headache with fever, stiff neck or rash (meningitis)",
    ),
    ("G27", "bruising and bleeding on blood thinners"),
    (
        "G28",
        "palpitations, and sudden confusion, speech or vision change",
    ),
];

/// A red flag of the guidance and the lowest level a guideline may give it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RedFlag {
    /// `R1` … `R42`.
    pub id: &'static str,
    /// The finding, in words.
    pub finding: &'static str,
    /// The floor.
    pub floor: Level,
}

/// The red-flag floors of the guidance, section E: the base floor of each
/// row (a row's "`emergency` when …" combinations are probed in
/// [`crate::safety::probes`] at their own level).
pub const RED_FLAGS: &[RedFlag] = &[
    red_flag("R1", "chest pain", Level::Emergency),
    red_flag(
        "R2",
        "sudden breathlessness, or breathlessness with one-sided leg swelling",
        Level::Emergency,
    ),
    red_flag(
        "R3",
        "sudden weakness or numbness on one side of the body or in the face",
        Level::Emergency,
    ),
    red_flag("R4", "sudden, severe headache", Level::Emergency),
    red_flag(
        "R5",
        "fainting with chest pain, breathlessness, palpitations, weakness, poor coordination, confusion or trouble speaking, or while lying down or exercising, with a fit, or hurt in the fall",
        Level::Emergency,
    ),
    red_flag(
        "R6",
        "one-sided swelling of a leg or an arm, or one-sided pain in a limb with warm or red skin (possible clot)",
        Level::Urgent,
    ),
    red_flag(
        "R7",
        "dark urine (possible muscle breakdown)",
        Level::Urgent,
    ),
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
    red_flag(
        "R15",
        "fever after treatment (urgent when getting worse)",
        Level::SeeDoctor,
    ),
    red_flag("R16", "fainting", Level::SeeDoctor),
    red_flag(
        "R17",
        "severe soreness, or soreness getting worse after 72 hours",
        Level::ContactTherapist,
    ),
    red_flag(
        "R18",
        "bruising larger than a palm",
        Level::ContactTherapist,
    ),
    red_flag(
        "R19",
        "any symptom getting worse after 48 hours (72 for soreness)",
        Level::ContactTherapist,
    ),
    red_flag("R20", "bruising while taking blood thinners", Level::Urgent),
    red_flag(
        "R21",
        "fever with warm, red skin or swelling (possible infection)",
        Level::Urgent,
    ),
    red_flag(
        "R22",
        "fever with confusion, fainting, severe breathlessness or very severe aching (possible sepsis)",
        Level::Emergency,
    ),
    red_flag(
        "R23",
        "face or throat swelling or a skin reaction with breathing trouble, fainting or dizziness (possible anaphylaxis)",
        Level::Emergency,
    ),
    red_flag(
        "R24",
        "swelling of the lips, tongue or throat",
        Level::Urgent,
    ),
    red_flag(
        "R25",
        "saddle numbness, bladder or bowel change, or numbness or weakness in both legs (possible cauda equina)",
        Level::Emergency,
    ),
    red_flag(
        "R26",
        "severe limb pain with swelling and numbness or weakness in the same limb (possible compartment syndrome)",
        Level::Emergency,
    ),
    red_flag(
        "R27",
        "after neck work, a headache with dizziness, vomiting, vision change, trouble speaking or poor coordination",
        Level::Emergency,
    ),
    red_flag(
        "R28",
        "severe headache with fever (emergency with a stiff neck, a rash or confusion)",
        Level::Urgent,
    ),
    red_flag(
        "R29",
        "severe headache with numbness or weakness in an arm or a leg",
        Level::Urgent,
    ),
    red_flag(
        "R30",
        "confusion, trouble speaking, or sudden vision change",
        Level::Emergency,
    ),
    red_flag(
        "R31",
        "palpitations (emergency with chest pain, breathlessness, dizziness or fainting)",
        Level::SeeDoctor,
    ),
    red_flag(
        "R32",
        "vision change that is not sudden, or frequent vomiting",
        Level::Urgent,
    ),
    red_flag(
        "R33",
        "twitching beyond 72 hours with a new medicine or in untreated places",
        Level::SeeDoctor,
    ),
    red_flag(
        "R34",
        "pregnancy with signs of a leg clot or breathlessness",
        Level::Urgent,
    ),
    red_flag(
        "R35",
        "severe soreness more than 7 days after the treatment",
        Level::SeeDoctor,
    ),
    red_flag(
        "R36",
        "warm, red swelling or a warm, red, painful skin reaction after 24 hours (possible cellulitis)",
        Level::Urgent,
    ),
    red_flag(
        "R37",
        "a skin reaction or face swelling with mild dizziness",
        Level::Urgent,
    ),
    red_flag(
        "R38",
        "a severe skin reaction, or one getting worse after 48 hours",
        Level::SeeDoctor,
    ),
    red_flag(
        "R39",
        "after neck work, a severe headache, or a headache with nausea",
        Level::SeeDoctor,
    ),
    red_flag("R40", "fever with dizziness", Level::Urgent),
    red_flag(
        "R41",
        "loss of coordination (emergency when sudden or with dizziness, vision change or headache)",
        Level::Urgent,
    ),
    red_flag(
        "R42",
        "severe headache with dizziness (emergency when either is sudden)",
        Level::Urgent,
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
