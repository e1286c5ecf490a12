//! The closed vocabularies of the check-in format: modalities, regions,
//! symptom kinds and the PRO-CTCAE style answer scales.
//!
//! Every name is the snake_case spelling used on the wire
//! (`shared/spec/checkin-format.md`); the order of the scales is the order
//! of seriousness, so `Ord` compares them the way the rules need.

use serde::{Deserialize, Serialize};

/// Declares a closed, snake_case, serde-backed enum with a stable list of
/// all its values (used for bit sets, error messages and test generators).
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire name of this value.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire),+
                }
            }

            /// The value of a wire name; `None` for any other text. The
            /// one parser of wire names outside serde (database columns,
            /// form fields).
            pub fn from_wire(text: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|value| value.as_str() == text)
            }

            /// Position of this value in [`Self::ALL`]; used as a bit index.
            pub const fn index(self) -> usize {
                self as usize
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary! {
    /// The kind of manual therapy given.
    Modality {
        /// Swedish (classic) massage.
        Swedish => "swedish",
        /// Deep tissue massage.
        DeepTissue => "deep_tissue",
        /// Myofascial release.
        MyofascialRelease => "myofascial_release",
        /// Sports massage.
        Sports => "sports",
        /// Trigger point therapy.
        TriggerPoint => "trigger_point",
        /// Hot stone massage.
        HotStone => "hot_stone",
        /// Anything else.
        Other => "other",
    }
}

vocabulary! {
    /// How much pressure the therapist used, lightest first.
    Pressure {
        /// Light pressure.
        Light => "light",
        /// Moderate pressure.
        Moderate => "moderate",
        /// Firm pressure.
        Firm => "firm",
        /// Deep pressure.
        Deep => "deep",
    }
}

vocabulary! {
    /// A body region, for the treatment and for symptoms.
    Region {
        /// Head.
        Head => "head",
        /// Face.
        Face => "face",
        /// Jaw.
        Jaw => "jaw",
        /// Lips, tongue and throat (format 1.1).
        MouthThroat => "mouth_throat",
        /// Neck.
        Neck => "neck",
        /// Shoulders.
        Shoulders => "shoulders",
        /// Upper back.
        UpperBack => "upper_back",
        /// Lower back.
        LowerBack => "lower_back",
        /// Chest.
        Chest => "chest",
        /// Abdomen.
        Abdomen => "abdomen",
        /// Upper arms.
        Arms => "arms",
        /// Forearms.
        Forearms => "forearms",
        /// Hands.
        Hands => "hands",
        /// Glutes.
        Glutes => "glutes",
        /// Hips.
        Hips => "hips",
        /// The "saddle" area: the inner side of the buttocks, the genitals
        /// and the inner thighs (format 1.1).
        Groin => "groin",
        /// Thighs (front).
        Thighs => "thighs",
        /// Hamstrings.
        Hamstrings => "hamstrings",
        /// Knees.
        Knees => "knees",
        /// Calves.
        Calves => "calves",
        /// Shins.
        Shins => "shins",
        /// Feet.
        Feet => "feet",
        /// The whole body.
        WholeBody => "whole_body",
    }
}

vocabulary! {
    /// What a person reports feeling.
    SymptomKind {
        /// Muscle twitching (fasciculation).
        Twitching => "twitching",
        /// Muscle cramp.
        Cramp => "cramp",
        /// Soreness or a bruised feeling.
        Soreness => "soreness",
        /// Visible bruising.
        Bruising => "bruising",
        /// Tiredness.
        Fatigue => "fatigue",
        /// Headache.
        Headache => "headache",
        /// Nausea.
        Nausea => "nausea",
        /// Dizziness or light-headedness.
        Dizziness => "dizziness",
        /// Fainting.
        Fainting => "fainting",
        /// Muscle weakness.
        Weakness => "weakness",
        /// Loss of coordination.
        CoordinationLoss => "coordination_loss",
        /// Numbness or tingling.
        NumbnessTingling => "numbness_tingling",
        /// Swelling.
        Swelling => "swelling",
        /// Dark (tea- or cola-coloured) urine.
        DarkUrine => "dark_urine",
        /// Chest pain.
        ChestPain => "chest_pain",
        /// Breathlessness.
        Breathlessness => "breathlessness",
        /// A skin reaction (rash, itching, hives).
        SkinReaction => "skin_reaction",
        /// Joint pain.
        JointPain => "joint_pain",
        /// Fever.
        Fever => "fever",
        /// A racing, pounding or irregular heartbeat (format 1.1).
        Palpitations => "palpitations",
        /// Trouble speaking or slurred speech (format 1.1).
        SpeechDifficulty => "speech_difficulty",
        /// Not knowing where or when one is, or not making sense to others
        /// (format 1.1).
        Confusion => "confusion",
        /// Blurred, double or lost vision (format 1.1).
        VisionChange => "vision_change",
        /// Being sick (format 1.1).
        Vomiting => "vomiting",
        /// New trouble holding or passing urine or stools, or numbness when
        /// wiping (format 1.1).
        BladderBowelChange => "bladder_bowel_change",
    }
}

vocabulary! {
    /// How bad a symptom is (PRO-CTCAE severity), mildest first.
    Severity {
        /// None.
        None => "none",
        /// Mild.
        Mild => "mild",
        /// Moderate.
        Moderate => "moderate",
        /// Severe.
        Severe => "severe",
        /// Very severe.
        VerySevere => "very_severe",
    }
}

vocabulary! {
    /// How often a symptom happens (PRO-CTCAE frequency), rarest first.
    Frequency {
        /// Never.
        Never => "never",
        /// Rarely.
        Rarely => "rarely",
        /// Occasionally.
        Occasionally => "occasionally",
        /// Frequently.
        Frequently => "frequently",
        /// Almost constantly.
        AlmostConstantly => "almost_constantly",
    }
}

vocabulary! {
    /// How much a symptom gets in the way of daily activities (PRO-CTCAE
    /// interference), least first.
    Interference {
        /// Not at all.
        NotAtAll => "not_at_all",
        /// A little bit.
        ALittleBit => "a_little_bit",
        /// Somewhat.
        Somewhat => "somewhat",
        /// Quite a bit.
        QuiteABit => "quite_a_bit",
        /// Very much.
        VeryMuch => "very_much",
    }
}

vocabulary! {
    /// Which side of the body a symptom is on.
    Side {
        /// Left side only.
        Left => "left",
        /// Right side only.
        Right => "right",
        /// Both sides.
        Both => "both",
    }
}

vocabulary! {
    /// How well hydrated the person has been.
    Hydration {
        /// Drinking enough.
        Good => "good",
        /// Drinking too little.
        Low => "low",
    }
}

vocabulary! {
    /// The person's stress level.
    Stress {
        /// Low stress.
        Low => "low",
        /// Moderate stress.
        Moderate => "moderate",
        /// High stress.
        High => "high",
    }
}

vocabulary! {
    /// The six triage levels, least serious first (`shared/spec/triage-levels.md`).
    Level {
        /// A normal, self-limiting reaction to the treatment.
        Expected => "expected",
        /// Not worrying, but something specific helps.
        SelfCare => "self_care",
        /// The therapist should know.
        ContactTherapist => "contact_therapist",
        /// Needs a medical opinion, not urgently.
        SeeDoctor => "see_doctor",
        /// Needs medical care today.
        Urgent => "urgent",
        /// Possible life-threatening problem: call the emergency number now.
        Emergency => "emergency",
    }
}

impl Level {
    /// A short heading for people, used first on every screen that shows
    /// the level.
    pub const fn heading(self) -> &'static str {
        match self {
            Level::Expected => "Expected reaction",
            Level::SelfCare => "Self-care",
            Level::ContactTherapist => "Tell your therapist",
            Level::SeeDoctor => "See a doctor in the next few days",
            Level::Urgent => "Urgent: get medical care today",
            Level::Emergency => "Emergency: call your local emergency number now",
        }
    }

    /// Whether a decision at this level raises an alert for the therapist.
    pub const fn alerts_therapist(self) -> bool {
        matches!(
            self,
            Level::ContactTherapist | Level::SeeDoctor | Level::Urgent | Level::Emergency
        )
    }

    /// Whether an alert at this level is high priority.
    pub const fn is_high_priority(self) -> bool {
        matches!(self, Level::Urgent | Level::Emergency)
    }
}

impl Region {
    /// Regions that belong to the legs, where one-sided swelling or warm,
    /// painful skin can be a sign of a clot (guidance G16).
    pub const LEGS: &'static [Region] = &[
        Region::Hips,
        Region::Thighs,
        Region::Hamstrings,
        Region::Knees,
        Region::Calves,
        Region::Shins,
        Region::Feet,
    ];

    /// Regions that belong to the arms, where one-sided swelling can be a
    /// sign of a clot as well (guidance G16).
    pub const ARMS: &'static [Region] = &[Region::Arms, Region::Forearms, Region::Hands];

    /// Regions whose treatment counts as neck work (guidance G25): the
    /// head, the neck and the parts worked together with it.
    pub const NECK_WORK: &'static [Region] = &[
        Region::Head,
        Region::Neck,
        Region::Shoulders,
        Region::UpperBack,
        Region::WholeBody,
    ];
}

/// Joins the wire names of a vocabulary for an error message: `a, b or c`.
pub(crate) fn one_of(names: impl IntoIterator<Item = &'static str>) -> String {
    let names: Vec<&str> = names.into_iter().collect();
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => format!("`{last}`"),
        Some((last, rest)) => {
            let head: Vec<String> = rest.iter().map(|n| format!("`{n}`")).collect();
            format!("{} or `{last}`", head.join(", "))
        }
    }
}
