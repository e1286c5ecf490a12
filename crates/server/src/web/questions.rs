//! Which questions the check-in and self-check forms ask about each
//! symptom: only what the guidance can use and a person can answer, as
//! the design note on check-in questions lays out. Every answer maps to a
//! field of the check-in format.

use aftercare_core::vocabulary::{Region, SymptomKind};

/// A question the forms can ask about a symptom, beyond "I have this".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Question {
    /// How strong (or, for bruising, how large).
    Severity,
    /// How often (for fainting, how many times).
    Frequency,
    /// How much it gets in the way of daily activities.
    Interference,
    /// Where.
    Regions,
    /// Which side.
    Side,
    /// Does it hurt.
    Painful,
    /// Did it come on suddenly.
    Sudden,
    /// Is the skin over it warm or red.
    WarmOrRed,
    /// Lying down, exercising, a fit, hurt in the fall (fainting only).
    Fainting,
}

/// The questions asked about `kind`; empty when "I have this" says it all.
pub(crate) const fn questions(kind: SymptomKind) -> &'static [Question] {
    use Question::{
        Fainting, Frequency, Interference, Painful, Regions, Severity, Side, Sudden, WarmOrRed,
    };
    match kind {
        SymptomKind::Twitching => &[Regions, Side, Frequency, Severity, Painful, Interference],
        SymptomKind::Cramp => &[Regions, Side, Frequency, Severity, WarmOrRed],
        SymptomKind::Soreness => &[Regions, Side, Severity, Interference, WarmOrRed],
        SymptomKind::Bruising => &[Regions, Side, Severity, Painful],
        SymptomKind::Fatigue => &[Severity, Interference],
        SymptomKind::Headache => &[Severity, Sudden, Frequency],
        SymptomKind::Nausea => &[Severity, Frequency],
        SymptomKind::Vomiting => &[Frequency],
        SymptomKind::Dizziness => &[Severity, Frequency, Sudden],
        SymptomKind::Fainting => &[Frequency, Fainting],
        SymptomKind::Weakness => &[Regions, Side, Sudden, Severity],
        SymptomKind::CoordinationLoss | SymptomKind::ChestPain | SymptomKind::Breathlessness => {
            &[Sudden, Severity]
        }
        SymptomKind::NumbnessTingling => &[Regions, Side, Sudden, Frequency],
        SymptomKind::Swelling => &[Regions, Side, WarmOrRed, Painful, Severity],
        SymptomKind::SkinReaction => &[Regions, WarmOrRed, Painful, Severity],
        SymptomKind::JointPain => &[Regions, Side, WarmOrRed, Severity],
        SymptomKind::Fever => &[Severity],
        SymptomKind::Palpitations => &[Frequency, Sudden],
        SymptomKind::SpeechDifficulty | SymptomKind::VisionChange => &[Sudden],
        SymptomKind::DarkUrine | SymptomKind::Confusion | SymptomKind::BladderBowelChange => &[],
    }
}

/// Whether the forms ask `question` about `kind`.
pub(crate) fn asks(kind: SymptomKind, question: Question) -> bool {
    questions(kind).contains(&question)
}

/// The rarer warning signs, in the order the form asks them: one group of
/// their own, folded away until opened, so the form stays short for the
/// common case. Every other kind is asked in the main list.
pub(crate) const WARNING_SIGNS: &[SymptomKind] = &[
    SymptomKind::ChestPain,
    SymptomKind::Breathlessness,
    SymptomKind::Palpitations,
    SymptomKind::Fainting,
    SymptomKind::Confusion,
    SymptomKind::SpeechDifficulty,
    SymptomKind::VisionChange,
    SymptomKind::CoordinationLoss,
    SymptomKind::Vomiting,
    SymptomKind::DarkUrine,
    SymptomKind::BladderBowelChange,
];

/// Whether `kind` is one of the rarer warning signs.
pub(crate) fn is_warning_sign(kind: SymptomKind) -> bool {
    WARNING_SIGNS.contains(&kind)
}

/// The places offered for `kind`: the lips, tongue and throat only for
/// swelling, the saddle area only for numbness or tingling, where the
/// guidance reads them.
pub(crate) fn regions(kind: SymptomKind) -> impl Iterator<Item = Region> {
    Region::ALL
        .iter()
        .copied()
        .filter(move |region| match region {
            Region::MouthThroat => kind == SymptomKind::Swelling,
            Region::Groin => kind == SymptomKind::NumbnessTingling,
            _ => true,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_but_the_present_only_ones_asks_something() {
        for kind in SymptomKind::ALL {
            let present_only = matches!(
                kind,
                SymptomKind::DarkUrine | SymptomKind::Confusion | SymptomKind::BladderBowelChange
            );
            assert_eq!(questions(*kind).is_empty(), present_only, "{kind}");
        }
    }

    #[test]
    fn only_fainting_asks_the_fainting_questions() {
        for kind in SymptomKind::ALL {
            assert_eq!(
                asks(*kind, Question::Fainting),
                *kind == SymptomKind::Fainting,
                "{kind}"
            );
        }
    }

    #[test]
    fn swelling_offers_the_face_and_throat_and_numbness_the_saddle_area() {
        let swelling: Vec<Region> = regions(SymptomKind::Swelling).collect();
        assert!(swelling.contains(&Region::Face) && swelling.contains(&Region::MouthThroat));
        let numbness: Vec<Region> = regions(SymptomKind::NumbnessTingling).collect();
        assert!(numbness.contains(&Region::Groin));
        assert!(!regions(SymptomKind::Twitching).any(|r| r == Region::Groin));
    }
}
