//! The words people read for the check-in format's values. The wire names
//! stay the form's values; these are only what is shown.

use aftercare_core::vocabulary::{
    Frequency, Hydration, Interference, Modality, Pressure, Region, Severity, Side, Stress,
    SymptomKind,
};
use aftercare_core::{Checkin, Context, Symptom};

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
        SymptomKind::Confusion => "Confusion",
        SymptomKind::VisionChange => "Blurred, double or lost vision",
        SymptomKind::Vomiting => "Being sick (vomiting)",
        SymptomKind::BladderBowelChange => "New bladder or bowel trouble",
    }
}

/// What a symptom means, where its name alone could be read more than
/// one way (the check-in format's "what some answers mean").
pub(crate) fn symptom_hint(kind: SymptomKind) -> Option<&'static str> {
    Some(match kind {
        SymptomKind::ChestPain => {
            "Pain, pressure or tightness inside the chest. Sore chest muscles where they were worked are soreness."
        }
        SymptomKind::Breathlessness => "New, or worse than your usual.",
        SymptomKind::Fainting => "Passing out, even for a moment.",
        SymptomKind::Confusion => {
            "Not knowing where or when you are, or others say you are not making sense. Feeling foggy or spaced out is tiredness."
        }
        SymptomKind::BladderBowelChange => {
            "New loss of bladder or bowel control, new difficulty starting or stopping urine, or numbness when wiping. Constipation or loose stools alone are not this."
        }
        SymptomKind::Fever => "Warmth from hot stones is not fever.",
        SymptomKind::Bruising => {
            "A mark you can see. A bruised feeling without a mark is soreness."
        }
        _ => return None,
    })
}

/// A reported symptom with everything the person said about it, e.g.
/// `Fainting: rarely, while lying down, hurt in the fall`. A symptom
/// reported gone says only that.
pub(crate) fn described(symptom: &Symptom) -> String {
    let name = self::symptom(symptom.kind);
    if !symptom.is_present() {
        return format!("{name}: gone");
    }
    let mut parts: Vec<String> = Vec::new();
    if let Some(value) = symptom.severity {
        parts.push(severity_of(symptom.kind, value).to_lowercase());
    }
    if let Some(value) = symptom.frequency {
        parts.push(frequency(value).to_lowercase());
    }
    if let Some(value) = symptom.interference {
        parts.push(format!(
            "gets in the way: {}",
            interference(value).to_lowercase()
        ));
    }
    if let Some(value) = symptom.side {
        parts.push(side(value).to_lowercase());
    }
    let answers = [
        (symptom.sudden, "came on suddenly", "not sudden"),
        (symptom.painful, "hurts", "does not hurt"),
        (symptom.warm_or_red, "warm or red", "not warm or red"),
        (
            symptom.while_lying_down,
            "while lying down",
            "not while lying down",
        ),
        (
            symptom.while_exercising,
            "while exercising",
            "not while exercising",
        ),
        (
            symptom.seizure,
            "with jerking or a fit",
            "no jerking or fit",
        ),
        (symptom.injured, "hurt in the fall", "not hurt in the fall"),
    ];
    for (answer, yes, no) in answers {
        match answer {
            Some(true) => parts.push(yes.to_owned()),
            Some(false) => parts.push(no.to_owned()),
            None => {}
        }
    }
    let mut text = name.to_owned();
    if !parts.is_empty() {
        text.push_str(": ");
        text.push_str(&parts.join(", "));
    }
    if !symptom.regions.is_empty() {
        let regions: Vec<&str> = symptom.regions.iter().map(|r| region(*r)).collect();
        text.push_str(" (");
        text.push_str(&regions.join(", "));
        text.push(')');
    }
    text
}

/// Every background (context) answer of a check-in, one line each, in
/// the form's order, e.g. `Takes blood thinners`.
pub(crate) fn background(context: &Context) -> Vec<String> {
    let mut lines = Vec::new();
    let yes_no = |answer: Option<bool>, yes: &str, no: &str| {
        answer.map(|answer| if answer { yes } else { no }.to_owned())
    };
    lines.extend(yes_no(
        context.seen_by_clinician,
        "Seen by a doctor, nurse or urgent care since the last check-in",
        "Not seen by a doctor, nurse or urgent care since the last check-in",
    ));
    lines.extend(context.hydration.map(|value| hydration(value).to_owned()));
    lines.extend(
        context
            .sleep_hours
            .map(|hours| format!("Slept {} hours last night", hours.get())),
    );
    lines.extend(
        context
            .stress
            .map(|value| format!("Stress: {}", stress(value).to_lowercase())),
    );
    lines.extend(
        context
            .caffeine_cups
            .map(|cups| format!("{} caffeinated drinks today", cups.get())),
    );
    lines.extend(yes_no(
        context.new_medication,
        "Started a new medicine recently",
        "No new medicine",
    ));
    lines.extend(yes_no(
        context.strenuous_exercise,
        "Did hard exercise since the treatment",
        "No hard exercise since the treatment",
    ));
    lines.extend(yes_no(context.pregnant, "Pregnant", "Not pregnant"));
    lines.extend(yes_no(
        context.anticoagulants,
        "Takes blood thinners",
        "Does not take blood thinners",
    ));
    lines
}

/// The person's own note, if they wrote one.
pub(crate) fn note(checkin: &Checkin) -> Option<&str> {
    checkin
        .note
        .as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty())
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

/// A severity answer for one kind: fever and bruising have scales of
/// their own (the check-in format says what each step means for them).
pub(crate) fn severity_of(kind: SymptomKind, value: Severity) -> &'static str {
    match (kind, value) {
        (SymptomKind::Fever, Severity::Mild) => "Feeling feverish",
        (SymptomKind::Fever, Severity::Moderate) => "Hot and shivery",
        (SymptomKind::Fever, Severity::Severe) => "Measured 38 °C or more",
        (SymptomKind::Fever, Severity::VerySevere) => "Shaking that cannot be stopped",
        (SymptomKind::Bruising, Severity::Mild) => "Up to the size of a coin",
        (SymptomKind::Bruising, Severity::Moderate) => "Up to the size of a palm",
        (SymptomKind::Bruising, Severity::Severe) => "Larger than a palm",
        (SymptomKind::Bruising, Severity::VerySevere) => "Most of a limb or of the back",
        (_, value) => severity(value),
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
