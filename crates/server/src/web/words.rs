//! The words people read for the check-in format's values. The wire names
//! stay the form's values; these are only what is shown.

use aftercare_core::vocabulary::{
    Frequency, Hydration, Interference, Modality, Pressure, Region, Severity, Side, Stress,
    SymptomKind,
};

/// A symptom kind in plain words.
pub(crate) fn symptom(kind: SymptomKind) -> &'static str {
    match kind {
        SymptomKind::Twitching => "Muscle twitching",
        SymptomKind::Cramp => "Cramp",
        SymptomKind::Soreness => "Soreness or a bruised feeling",
        SymptomKind::Bruising => "Visible bruising",
        SymptomKind::Fatigue => "Tiredness",
        SymptomKind::Headache => "Headache",
        SymptomKind::Nausea => "Feeling sick (nausea)",
        SymptomKind::Dizziness => "Dizziness or light-headedness",
        SymptomKind::Fainting => "Fainting",
        SymptomKind::Weakness => "Muscle weakness",
        SymptomKind::CoordinationLoss => "Loss of coordination or balance",
        SymptomKind::NumbnessTingling => "Numbness or tingling",
        SymptomKind::Swelling => "Swelling",
        SymptomKind::DarkUrine => "Dark (tea- or cola-coloured) urine",
        SymptomKind::ChestPain => "Chest pain",
        SymptomKind::Breathlessness => "Short of breath",
        SymptomKind::SkinReaction => "Skin reaction (rash, itching, hives)",
        SymptomKind::JointPain => "Joint pain",
        SymptomKind::Fever => "Fever",
        SymptomKind::Palpitations => "Racing, pounding or irregular heartbeat",
        SymptomKind::SpeechDifficulty => "Trouble speaking or slurred speech",
        SymptomKind::Confusion => "Confused: not sure where or when you are, or others say you are not making sense",
        SymptomKind::VisionChange => "Blurred, double or lost vision",
        SymptomKind::Vomiting => "Being sick (vomiting)",
        SymptomKind::BladderBowelChange => "New trouble controlling or passing urine or stools, or numbness when wiping",
    }
}

/// Whether the form asks where a symptom is (a body-region picker).
pub(crate) fn asks_regions(kind: SymptomKind) -> bool {
    matches!(
        kind,
        SymptomKind::Twitching
            | SymptomKind::Soreness
            | SymptomKind::Swelling
            | SymptomKind::Cramp
            | SymptomKind::Bruising
            | SymptomKind::NumbnessTingling
            | SymptomKind::Weakness
            | SymptomKind::JointPain
    )
}

/// A severity answer.
pub(crate) fn severity(value: Severity) -> &'static str {
    match value {
        Severity::None => "None",
        Severity::Mild => "Mild",
        Severity::Moderate => "Moderate",
        Severity::Severe => "Severe",
        Severity::VerySevere => "Very severe",
    }
}

/// A frequency answer.
pub(crate) fn frequency(value: Frequency) -> &'static str {
    match value {
        Frequency::Never => "Never",
        Frequency::Rarely => "Rarely",
        Frequency::Occasionally => "Occasionally",
        Frequency::Frequently => "Frequently",
        Frequency::AlmostConstantly => "Almost constantly",
    }
}

/// An interference answer.
pub(crate) fn interference(value: Interference) -> &'static str {
    match value {
        Interference::NotAtAll => "Not at all",
        Interference::ALittleBit => "A little bit",
        Interference::Somewhat => "Somewhat",
        Interference::QuiteABit => "Quite a bit",
        Interference::VeryMuch => "Very much",
    }
}

/// A side answer.
pub(crate) fn side(value: Side) -> &'static str {
    match value {
        Side::Left => "Left side only",
        Side::Right => "Right side only",
        Side::Both => "Both sides",
    }
}

/// A body region.
pub(crate) fn region(value: Region) -> &'static str {
    match value {
        Region::Head => "Head",
        Region::Face => "Face",
        Region::Jaw => "Jaw",
        Region::MouthThroat => "Lips, tongue or throat",
        Region::Neck => "Neck",
        Region::Shoulders => "Shoulders",
        Region::UpperBack => "Upper back",
        Region::LowerBack => "Lower back",
        Region::Chest => "Chest",
        Region::Abdomen => "Belly",
        Region::Arms => "Upper arms",
        Region::Forearms => "Forearms",
        Region::Hands => "Hands",
        Region::Glutes => "Buttocks",
        Region::Hips => "Hips",
        Region::Groin => "Groin, genitals or inner thighs (the saddle area)",
        Region::Thighs => "Thighs (front)",
        Region::Hamstrings => "Back of the thighs",
        Region::Knees => "Knees",
        Region::Calves => "Calves",
        Region::Shins => "Shins",
        Region::Feet => "Feet",
        Region::WholeBody => "Whole body",
    }
}

/// A modality.
pub(crate) fn modality(value: Modality) -> &'static str {
    match value {
        Modality::Swedish => "Swedish (classic) massage",
        Modality::DeepTissue => "Deep tissue massage",
        Modality::MyofascialRelease => "Myofascial release",
        Modality::Sports => "Sports massage",
        Modality::TriggerPoint => "Trigger point therapy",
        Modality::HotStone => "Hot stone massage",
        Modality::Other => "Other manual therapy",
    }
}

/// A pressure.
pub(crate) fn pressure(value: Pressure) -> &'static str {
    match value {
        Pressure::Light => "Light",
        Pressure::Moderate => "Moderate",
        Pressure::Firm => "Firm",
        Pressure::Deep => "Deep",
    }
}

/// A hydration answer.
pub(crate) fn hydration(value: Hydration) -> &'static str {
    match value {
        Hydration::Good => "Drinking enough",
        Hydration::Low => "Drinking too little",
    }
}

/// A stress answer.
pub(crate) fn stress(value: Stress) -> &'static str {
    match value {
        Stress::Low => "Low",
        Stress::Moderate => "Moderate",
        Stress::High => "High",
    }
}
