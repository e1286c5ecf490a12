//! The guidance behind a decision in words a doctor can read: each fact
//! (`guidance:G0` … `G28`) and red-flag floor (`R1` … `R42`) a rule cites,
//! said plainly, so a summary never leaves a bare id that points nowhere.
//!
//! The facts are written in our own words from the post-treatment
//! guidance sheet (`../shared/guidance/post-treatment-guidance.md`, the
//! same ids); the floors take the finding and level that
//! [`aftercare_core::sources::RED_FLAGS`] holds for each.

use aftercare_core::sources::RED_FLAGS;

/// What each fact of the guidance says, for a clinician.
const FACTS: &[(&str, &str)] = &[
    (
        "G0",
        "Not established, so never claimed: that twitching after a treatment releases toxins or shows that the treatment worked.",
    ),
    (
        "G1",
        "Muscle twitching (fasciculation) is an involuntary contraction of muscle fibres; single twitches last seconds to minutes and are common and usually harmless.",
    ),
    (
        "G2",
        "Twitching is a common reaction after massage, more so after deep tissue work or work on knots.",
    ),
    (
        "G3",
        "Twitching after massage usually lasts from a few hours to several days, depending on the intensity, the muscles worked and the person.",
    ),
    (
        "G4",
        "Soreness or a bruised feeling after deep work is normal and passes: most unwanted effects start within 12 hours and last 36 hours or less; delayed-onset soreness peaks at 24 to 72 hours and settles within 5 to 7 days (up to 10).",
    ),
    (
        "G5",
        "Tiredness or sleepiness for a few hours after treatment is normal and passes within hours.",
    ),
    (
        "G6",
        "Dizziness or fainting after myofascial release is rare; it can come from a drop in blood pressure as the body relaxes.",
    ),
    (
        "G7",
        "Nausea after treatment is rare. After neck or head work, nausea with a moderate or worse headache needs same-day advice, and with dizziness, vomiting, vision change, speech trouble or unsteadiness it is an emergency.",
    ),
    (
        "G8",
        "A headache after treatment is rare. After neck work, a new moderate or worse headache with dizziness, unsteadiness, vomiting, vision change or speech trouble is an emergency warning sign; a severe headache alone needs a doctor.",
    ),
    (
        "G9",
        "Stress, anxiety, dehydration, poor sleep, too little or too much exercise, low magnesium, calcium or potassium, caffeine, alcohol and some medicines make twitching more likely.",
    ),
    (
        "G10",
        "Fluids and rest help prevent soreness and twitching after massage.",
    ),
    (
        "G11",
        "Twitching can also come from muscle strain, nerve damage, electrolyte imbalance, neuromuscular disease or over-working the muscle during treatment.",
    ),
    (
        "G12",
        "Twitching that does not settle, or that comes with weakness, loss of coordination or pain, needs a doctor's assessment.",
    ),
    (
        "G13",
        "Persistent, painful twitching needs medical attention.",
    ),
    (
        "G14",
        "Discomfort during and after treatment should be reported to the therapist so pressure and technique can be adjusted.",
    ),
    (
        "G15",
        "Public guidance (NHS): twitches are common and rarely serious; see a GP if one lasts more than 2 weeks, is in more than one place, the area is weak or stiff, or a medicine may be the cause.",
    ),
    (
        "G16",
        "Possible deep vein thrombosis: throbbing or cramping pain, swelling, warmth or redness in one leg (or an arm); clots after vigorous leg massage are reported and pregnancy raises the risk. With breathlessness or chest pain, possible pulmonary embolism: emergency.",
    ),
    (
        "G17",
        "Possible rhabdomyolysis, rare but reported after forceful or prolonged deep work: severe muscle pain or weakness, swelling, and dark tea- or cola-coloured urine; needs same-day care for the kidney risk.",
    ),
    (
        "G18",
        "Possible stroke: face drooping, arm weakness, speech problems, sudden one-sided weakness or numbness, a sudden very severe headache, or sudden loss of balance or coordination; emergency.",
    ),
    (
        "G19",
        "Fainting: a single faint with a clear cause and full recovery should be reported to a GP; it is an emergency with chest pain, palpitations or breathlessness, incomplete recovery, fainting while lying down or exercising, a seizure, or injury in the fall.",
    ),
    (
        "G20",
        "Deep pressure near a nerve can irritate it; numbness or tingling that lasts needs a doctor. Nerve injury after a single deep session is rare but reported.",
    ),
    (
        "G21",
        "Infection is not a massage reaction: fever needs a doctor; red, hot, painful skin appearing or lasting beyond 24 hours may be cellulitis (same day); with a temperature of 38 °C or more, dizziness, confusion or fast breathing, possible sepsis: emergency.",
    ),
    (
        "G22",
        "Possible anaphylaxis (e.g. to massage oils): swelling of the lips, mouth, tongue or throat, breathing difficulty, feeling faint, often with hives; emergency. A local rash where oil was applied is usually contact dermatitis.",
    ),
    (
        "G23",
        "Possible cauda equina syndrome: saddle numbness, numbness or weakness in both legs, or new bladder or bowel control problems, above all with back pain; emergency department at once.",
    ),
    (
        "G24",
        "Possible compartment syndrome: very severe pain in one limb, out of proportion, with swelling or tightness and numbness, tingling or weakness, hours after forceful or percussive work; emergency.",
    ),
    (
        "G25",
        "Possible vertebral artery dissection, rare but reported after neck massage: a new headache with neck pain, dizziness, nausea or vomiting, unsteadiness, double or blurred vision or speech trouble, hours to days later; emergency.",
    ),
    (
        "G26",
        "Possible meningitis: a very severe headache with high temperature and a stiff neck or rash, or with confusion, vision loss or sudden speech trouble, is an emergency; a severe headache with fever alone, limb numbness or weakness, or blurred vision needs same-day advice.",
    ),
    (
        "G27",
        "On anticoagulants: a bruise larger than about 5 cm or bruising without a clear cause needs prompt medical review; bruising or bleeding with dizziness or collapse needs urgent care.",
    ),
    (
        "G28",
        "Palpitations are usually harmless but need a doctor if they last or recur, and emergency care with chest pain, breathlessness, dizziness or fainting; sudden confusion, speech trouble or vision loss are stroke or sepsis signs.",
    ),
];

/// One source a rule cites, in words.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct SourceWords {
    /// The id without its prefix, e.g. `G16` or `R6`.
    pub(crate) id: String,
    /// What it says: the fact, or the floor's finding and level.
    pub(crate) words: String,
    /// Whether the same document said it already (then the id is enough).
    pub(crate) said_before: bool,
}

/// A source such as `guidance:G16` or `guidance:R6` in words; an id the
/// guidance does not know keeps its name and says so.
pub(crate) fn source(source: &str) -> SourceWords {
    let id = source.strip_prefix("guidance:").unwrap_or(source);
    let words = if let Some((_, words)) = FACTS.iter().find(|(fact, _)| *fact == id) {
        (*words).to_owned()
    } else if let Some(flag) = RED_FLAGS.iter().find(|flag| flag.id == id) {
        format!(
            "Red flag: {}; never answered below {}.",
            capitalised(flag.finding),
            flag.floor.as_str()
        )
    } else {
        "Not a fact of the post-treatment guidance.".to_owned()
    };
    SourceWords {
        id: id.to_owned(),
        words,
        said_before: false,
    }
}

/// The sources of a reason in words, the red-flag floors first.
pub(crate) fn sources(sources: &[String]) -> Vec<SourceWords> {
    let mut words: Vec<SourceWords> = sources.iter().map(|s| source(s)).collect();
    words.sort_by_key(|words| !words.id.starts_with('R'));
    words
}

/// The first letter in capitals.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fact_and_floor_of_the_guidance_has_words() {
        for (id, _) in aftercare_core::sources::FACTS {
            let words = source(&format!("guidance:{id}"));
            assert_eq!(words.id, *id);
            assert!(
                FACTS.iter().any(|(fact, _)| fact == id),
                "fact {id} has no words for a doctor"
            );
            assert!(words.words.len() > 30, "{id}: {}", words.words);
        }
        assert_eq!(FACTS.len(), aftercare_core::sources::FACTS.len());
        for flag in RED_FLAGS {
            let words = source(&format!("guidance:{}", flag.id));
            assert!(words.words.starts_with("Red flag: "), "{}", words.words);
            assert!(words.words.contains(flag.floor.as_str()));
        }
    }

    #[test]
    fn an_unknown_source_keeps_its_name_and_says_so() {
        let words = source("nhs:something");
        assert_eq!(words.id, "nhs:something");
        assert!(words.words.starts_with("Not a fact"));
    }

    #[test]
    fn floors_come_before_facts() {
        let words = sources(&["guidance:G16".to_owned(), "guidance:R6".to_owned()]);
        assert_eq!(words[0].id, "R6");
        assert!(words[0].words.contains("clot"), "{}", words[0].words);
        assert!(words[1].words.contains("deep vein thrombosis"));
    }
}
