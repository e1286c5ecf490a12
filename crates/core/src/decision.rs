//! A triage decision, in the output shape of the check-in format.
//!
//! A decision borrows its texts from the guideline that made it, so that
//! triage allocates little; serializing it gives the public JSON, always
//! the same bytes for the same input.

use std::borrow::Cow;

use serde::{Serialize, Serializer};

use crate::course::Timestamp;
use crate::guideline::ContextField;
use crate::vocabulary::Level;

/// The answer for one course.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Decision<'g> {
    /// The highest level of any rule that fired; `expected` if none did.
    pub level: Level,
    /// One plain-language sentence for the person.
    pub summary: &'g str,
    /// Every rule that fired, highest level first.
    pub reasons: Vec<Reason<'g>>,
    /// What to do: the level's standing advice, then each reason's.
    pub advice: Vec<&'g str>,
    /// Hours until the next check-in, counted from the last check-in (or
    /// from the treatment when there is none); `null` when no further
    /// check-in is needed.
    pub next_checkin_hours: Option<u32>,
    /// The guideline that decided.
    pub guideline: GuidelineRef<'g>,
    /// That this is decision support, not a diagnosis.
    pub disclaimer: &'g str,
}

/// A rule that fired, with the evidence that made it fire.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Reason<'g> {
    /// The rule id.
    pub rule: &'g str,
    /// The rule's level.
    pub level: Level,
    /// Why, in plain words. For a red flag carried from an earlier
    /// check-in it says when that was reported.
    pub why: Cow<'g, str>,
    /// Paths into the course of what the rule matched (kept inline: most
    /// rules name one to three places, and triage should not allocate for them).
    pub evidence: EvidenceList,
    /// Guidance ids the rule stands on.
    pub sources: &'g [String],
    /// Set when this reason is a red flag reported at an earlier check-in
    /// and not yet resolved (safety property 5): it did not fire on the
    /// last check-in, raises no new alert, and its level may have eased
    /// with time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub earlier: Option<Earlier>,
    /// Set when a clinician has assessed this finding and it is reported
    /// again unchanged or milder: the rule's level is held at
    /// `see_doctor` (the exception to safety property 3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assessed: Option<Assessed>,
    /// The rule's advice; gathered into [`Decision::advice`], not repeated here.
    #[serde(skip)]
    pub advice: &'g [String],
}

/// Where a carried red flag was opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Earlier {
    /// Index of the check-in that reported it.
    pub checkin: usize,
    /// When that check-in was made.
    pub at: Timestamp,
    /// The level the rule gave then.
    pub level: Level,
}

/// The clinician's assessment a held reason refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Assessed {
    /// Index of the check-in that said a clinician had seen it.
    pub checkin: usize,
    /// The level the rule gives without the assessment.
    pub rule_level: Level,
}

/// The evidence of one reason.
pub type EvidenceList = smallvec::SmallVec<[Evidence; 4]>;

/// The guideline id and version that made a decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct GuidelineRef<'g> {
    /// Guideline id.
    pub id: &'g str,
    /// Guideline version.
    pub version: &'g str,
}

/// A place in the course that a rule matched, written as a path such as
/// `checkins[2].symptoms[0]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Evidence {
    /// The treatment's modality, pressure, duration or regions.
    Treatment(TreatmentField),
    /// The time of a check-in (for rules about time since the treatment).
    CheckinTime {
        /// Index of the check-in.
        checkin: usize,
    },
    /// A symptom of a check-in.
    Symptom {
        /// Index of the check-in.
        checkin: usize,
        /// Index of the symptom in that check-in.
        symptom: usize,
    },
    /// A context answer of a check-in.
    Context {
        /// Index of the check-in.
        checkin: usize,
        /// The field.
        field: ContextField,
    },
}

/// Treatment fields that rules can read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TreatmentField {
    /// `treatment.modality`.
    Modality,
    /// `treatment.pressure`.
    Pressure,
    /// `treatment.duration_min`.
    DurationMin,
    /// `treatment.regions`.
    Regions,
}

impl std::fmt::Display for Evidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Evidence::Treatment(field) => f.write_str(match field {
                TreatmentField::Modality => "treatment.modality",
                TreatmentField::Pressure => "treatment.pressure",
                TreatmentField::DurationMin => "treatment.duration_min",
                TreatmentField::Regions => "treatment.regions",
            }),
            Evidence::CheckinTime { checkin } => write!(f, "checkins[{checkin}].at"),
            Evidence::Symptom { checkin, symptom } => {
                write!(f, "checkins[{checkin}].symptoms[{symptom}]")
            }
            Evidence::Context { checkin, field } => {
                write!(f, "checkins[{checkin}].context.{}", field.as_str())
            }
        }
    }
}

impl Serialize for Evidence {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl Decision<'_> {
    /// The highest level of the reasons that fired on the last check-in
    /// itself (carried red flags left out): what decides whether this
    /// decision raises a new alert.
    pub fn fresh_level(&self) -> Level {
        self.reasons
            .iter()
            .filter(|reason| reason.earlier.is_none())
            .map(|reason| reason.level)
            .max()
            .unwrap_or(Level::Expected)
    }

    /// The reasons carried from earlier check-ins.
    pub fn carried(&self) -> impl Iterator<Item = &Reason<'_>> {
        self.reasons
            .iter()
            .filter(|reason| reason.earlier.is_some())
    }

    /// The decision as compact JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| unreachable!("a decision always serializes"))
    }

    /// The decision as indented JSON.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self)
            .unwrap_or_else(|_| unreachable!("a decision always serializes"))
    }
}
