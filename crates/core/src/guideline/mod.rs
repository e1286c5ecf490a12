//! Guidelines: the triage rules as data.
//!
//! A guideline is a TOML file (`guidelines/post-treatment.toml` is shipped
//! inside the binary) with the texts for each level, the follow-up plan and
//! the rules. Loading checks everything once, so triage itself cannot fail.

pub mod condition;
mod parse;

use crate::error::GuidelineError;
use crate::vocabulary::{Level, SymptomKind};
pub use condition::{
    BitSet, Condition, ContextField, ContextFlag, ContextTest, HoursWindow, Prefilter, SymptomMatch,
};

/// The guideline shipped with Aftercare.
pub const SHIPPED_TOML: &str = include_str!("../../../../guidelines/post-treatment.toml");

/// A checked, ready-to-use guideline.
#[derive(Clone, Debug)]
pub struct Guideline {
    /// Stable name, e.g. `post-treatment`.
    pub id: String,
    /// Version; changes whenever a rule or text changes.
    pub version: String,
    /// A title for people.
    pub title: String,
    /// The "decision support, not a diagnosis" notice shown with every level.
    pub disclaimer: String,
    /// Summary and standing advice for each level, indexed by [`Level::index`].
    pub levels: [LevelText; 6],
    /// When to ask for the next check-in.
    pub followup: Followup,
    /// The rules, in file order.
    pub rules: Vec<Rule>,
    /// For each rule, the cheap facts it needs; checked before evaluating it.
    pub(crate) prefilters: Vec<Prefilter>,
    /// Rule positions, highest level first and in file order within a
    /// level: triage evaluates in this order, so its reasons come out
    /// already in the order a decision lists them.
    pub(crate) evaluation_order: Vec<usize>,
    /// For each rule, the symptom kinds it is about (for tools).
    pub(crate) required_kinds: Vec<Option<BitSet>>,
    /// A hash of the text it was read from: what a [`crate::triage::CourseMemory`]
    /// checks before it trusts the rule positions it keeps.
    pub(crate) source_hash: u64,
}

/// What a person is told at one level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LevelText {
    /// One plain sentence.
    pub summary: String,
    /// What to do, most important first.
    pub advice: Vec<String>,
}

/// The follow-up plan: when to ask for the next check-in.
#[derive(Clone, Debug, PartialEq)]
pub struct Followup {
    /// Planned check-ins, in hours after the treatment, ascending.
    pub plan_hours: Vec<u32>,
    /// Once a check-in this many hours after treatment reports nothing
    /// active, no further check-in is asked for.
    pub stop_when_clear_after_hours: u32,
    /// The longest wait while symptoms are active, per level.
    pub active_interval_hours: [u32; 6],
}

/// One rule: when it fires, how serious that is, why, and what to do.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// Stable id, e.g. `twitching.past_two_weeks`.
    pub id: String,
    /// The level the rule gives when it fires.
    pub level: Level,
    /// The condition.
    pub when: Condition,
    /// Plain-language explanation shown as the reason.
    pub why: String,
    /// What to do.
    pub advice: Vec<String>,
    /// Guidance ids the rule stands on, e.g. `guidance:G15`.
    pub sources: Vec<String>,
}

impl Guideline {
    /// Loads and checks a guideline from TOML text.
    pub fn from_toml(text: &str) -> Result<Guideline, GuidelineError> {
        use std::hash::{Hash as _, Hasher as _};
        let mut guideline = parse::parse(text)?;
        let mut hasher = std::hash::DefaultHasher::new();
        text.hash(&mut hasher);
        guideline.source_hash = hasher.finish();
        Ok(guideline)
    }

    /// The guideline shipped inside Aftercare.
    pub fn shipped() -> Guideline {
        Guideline::from_toml(SHIPPED_TOML)
            .unwrap_or_else(|error| panic!("the shipped guideline is invalid: {error}"))
    }

    /// The texts for a level.
    pub fn level_text(&self, level: Level) -> &LevelText {
        &self.levels[level.index()]
    }

    /// The rules that mention a symptom kind anywhere in their condition.
    pub fn rules_about(&self, kind: SymptomKind) -> impl Iterator<Item = &Rule> {
        self.rules
            .iter()
            .zip(&self.required_kinds)
            .filter(move |(_, kinds)| kinds.is_some_and(|k| k.contains(kind.index())))
            .map(|(rule, _)| rule)
    }
}
