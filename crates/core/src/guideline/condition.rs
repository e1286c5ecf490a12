//! The condition language of guideline rules, in its checked, compiled form.

use crate::vocabulary::{
    Frequency, Hydration, Interference, Modality, Pressure, Region, Severity, Stress, SymptomKind,
};

/// A set of values of a small vocabulary, as bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct BitSet(u32);

impl BitSet {
    /// The empty set.
    pub const EMPTY: BitSet = BitSet(0);

    /// A set with every index below `count`.
    pub const fn full(count: usize) -> BitSet {
        BitSet(((1u64 << count) - 1) as u32)
    }

    /// Adds an index.
    pub fn insert(&mut self, index: usize) {
        self.0 |= 1 << index;
    }

    /// Whether an index is in the set.
    pub const fn contains(self, index: usize) -> bool {
        self.0 & (1 << index) != 0
    }

    /// Whether the two sets share a member.
    pub const fn intersects(self, other: BitSet) -> bool {
        self.0 & other.0 != 0
    }

    /// Both sets together.
    #[must_use]
    pub const fn union(self, other: BitSet) -> BitSet {
        BitSet(self.0 | other.0)
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The set of these indices.
    pub fn of(indices: impl IntoIterator<Item = usize>) -> BitSet {
        let mut set = BitSet::EMPTY;
        for index in indices {
            set.insert(index);
        }
        set
    }

    /// The indices in the set, smallest first.
    pub fn indices(self) -> impl Iterator<Item = usize> {
        (0..32).filter(move |&index| self.contains(index))
    }
}

/// When a rule fires.
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    /// Every part holds.
    All(Vec<Condition>),
    /// At least one part holds.
    Any(Vec<Condition>),
    /// The part does not hold.
    Not(Box<Condition>),
    /// A symptom in the last check-in matches.
    Symptom(SymptomMatch),
    /// The last check-in is within a window of hours after the treatment.
    HoursSinceTreatment(HoursWindow),
    /// The treatment was one of these modalities.
    Modality(BitSet),
    /// The treatment pressure was at least this.
    PressureAtLeast(Pressure),
    /// The treatment worked on at least one of these regions.
    TreatmentRegionsAny(BitSet),
    /// The treatment lasted longer than this many minutes.
    DurationOver(u16),
    /// A context answer of the last check-in matches.
    Context(ContextTest),
}

/// A window of hours since the treatment: `over < hours <= at_most`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HoursWindow {
    /// Strict lower bound.
    pub over: Option<f64>,
    /// Inclusive upper bound.
    pub at_most: Option<f64>,
}

impl HoursWindow {
    /// Whether `hours` is inside the window.
    pub fn contains(self, hours: f64) -> bool {
        self.over.is_none_or(|over| hours > over)
            && self.at_most.is_none_or(|at_most| hours <= at_most)
    }
}

/// What a symptom of the last check-in must be like. Every stated
/// qualifier must hold for the same symptom.
#[derive(Clone, Debug, PartialEq)]
pub struct SymptomMatch {
    /// The kinds that qualify (bits of [`SymptomKind::index`]).
    pub kinds: BitSet,
    /// Stated severity at least this.
    pub severity_at_least: Option<Severity>,
    /// Stated frequency at least this.
    pub frequency_at_least: Option<Frequency>,
    /// Stated interference at least this.
    pub interference_at_least: Option<Interference>,
    /// On one side only (`true`) or not (`false`).
    pub one_sided: Option<bool>,
    /// Came on suddenly (`true`) or not (`false`; unstated counts as not).
    pub sudden: Option<bool>,
    /// Painful (`true`) or not (`false`; unstated counts as not).
    pub painful: Option<bool>,
    /// Warm or red (`true`) or not (`false`; unstated counts as not).
    pub warm_or_red: Option<bool>,
    /// In at least one of these regions (`whole_body` matches any).
    pub regions_any: Option<BitSet>,
    /// Reported without a break for more than this many hours.
    pub reported_for_hours_over: Option<f64>,
    /// Worse than the same kind in the previous check-in (`true`) or not.
    pub worsening: Option<bool>,
}

impl SymptomMatch {
    /// A match on these kinds with no qualifier.
    pub fn kinds(kinds: BitSet) -> Self {
        SymptomMatch {
            kinds,
            severity_at_least: None,
            frequency_at_least: None,
            interference_at_least: None,
            one_sided: None,
            sudden: None,
            painful: None,
            warm_or_red: None,
            regions_any: None,
            reported_for_hours_over: None,
            worsening: None,
        }
    }

    /// The symptom kinds this match can be satisfied by.
    pub fn kind_list(&self) -> impl Iterator<Item = SymptomKind> + '_ {
        self.kinds.indices().map(|index| SymptomKind::ALL[index])
    }
}

/// A test on one context answer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ContextTest {
    /// Hydration is this.
    Hydration(Hydration),
    /// Stress is this.
    Stress(Stress),
    /// Slept fewer hours than this.
    SleepHoursBelow(f64),
    /// Had at least this many caffeinated drinks.
    CaffeineCupsAtLeast(f64),
    /// A yes/no answer is this.
    Flag(ContextFlag, bool),
}

/// The yes/no context answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContextFlag {
    /// `new_medication`.
    NewMedication,
    /// `strenuous_exercise`.
    StrenuousExercise,
    /// `pregnant`.
    Pregnant,
    /// `anticoagulants`.
    Anticoagulants,
}

/// The context fields, for evidence paths and the guideline language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContextField {
    /// `hydration`.
    Hydration,
    /// `sleep_hours`.
    SleepHours,
    /// `stress`.
    Stress,
    /// `caffeine_cups`.
    CaffeineCups,
    /// `new_medication`.
    NewMedication,
    /// `strenuous_exercise`.
    StrenuousExercise,
    /// `pregnant`.
    Pregnant,
    /// `anticoagulants`.
    Anticoagulants,
}

impl ContextField {
    /// Every field, in format order.
    pub const ALL: &'static [ContextField] = &[
        ContextField::Hydration,
        ContextField::SleepHours,
        ContextField::Stress,
        ContextField::CaffeineCups,
        ContextField::NewMedication,
        ContextField::StrenuousExercise,
        ContextField::Pregnant,
        ContextField::Anticoagulants,
    ];

    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ContextField::Hydration => "hydration",
            ContextField::SleepHours => "sleep_hours",
            ContextField::Stress => "stress",
            ContextField::CaffeineCups => "caffeine_cups",
            ContextField::NewMedication => "new_medication",
            ContextField::StrenuousExercise => "strenuous_exercise",
            ContextField::Pregnant => "pregnant",
            ContextField::Anticoagulants => "anticoagulants",
        }
    }
}

impl ContextTest {
    /// The field this test reads.
    pub const fn field(self) -> ContextField {
        match self {
            ContextTest::Hydration(_) => ContextField::Hydration,
            ContextTest::Stress(_) => ContextField::Stress,
            ContextTest::SleepHoursBelow(_) => ContextField::SleepHours,
            ContextTest::CaffeineCupsAtLeast(_) => ContextField::CaffeineCups,
            ContextTest::Flag(flag, _) => match flag {
                ContextFlag::NewMedication => ContextField::NewMedication,
                ContextFlag::StrenuousExercise => ContextField::StrenuousExercise,
                ContextFlag::Pregnant => ContextField::Pregnant,
                ContextFlag::Anticoagulants => ContextField::Anticoagulants,
            },
        }
    }
}

impl Condition {
    /// The symptom kinds of which at least one must be present in the last
    /// check-in for this condition to hold, or `None` if it can hold
    /// without any. The engine skips a rule whose kinds are all absent.
    pub fn required_kinds(&self) -> Option<BitSet> {
        match self {
            Condition::Symptom(matcher) => Some(matcher.kinds),
            // One required part is enough to require its kinds.
            Condition::All(parts) => parts.iter().find_map(Condition::required_kinds),
            // Every alternative must require something for the whole to.
            Condition::Any(parts) => parts
                .iter()
                .map(Condition::required_kinds)
                .try_fold(BitSet::EMPTY, |set, kinds| kinds.map(|k| set.union(k))),
            _ => None,
        }
    }
}

/// Region sets used by rules, handy in tests and tools.
pub fn region_set(regions: &[Region]) -> BitSet {
    BitSet::of(regions.iter().map(|region| region.index()))
}

/// Modality sets, handy in tests and tools.
pub fn modality_set(modalities: &[Modality]) -> BitSet {
    BitSet::of(modalities.iter().map(|modality| modality.index()))
}
