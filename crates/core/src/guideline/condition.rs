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
        if count >= 32 {
            BitSet(u32::MAX)
        } else {
            BitSet((1u32 << count) - 1)
        }
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

    /// The members of `self` that are not in `other`.
    #[must_use]
    pub const fn difference(self, other: BitSet) -> BitSet {
        BitSet(self.0 & !other.0)
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
    /// Every part is matched by a symptom of the last check-in, all in the
    /// same limb: one arm or one leg, on sides that overlap (an unstated
    /// side, or `both`, overlaps either).
    SameLimb(Vec<SymptomMatch>),
    /// Symptoms of one kind that match are on both sides: one entry with
    /// side `both` or unstated, or a `left` and a `right` entry.
    BothSides(SymptomMatch),
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
    /// Severity at least this; an unstated severity matches (the safer
    /// reading the floors of the guidance ask for).
    pub severity_at_least: Option<Severity>,
    /// Severity stated, and at least this (for rules about what a person
    /// said was strong, below the floors).
    pub stated_severity_at_least: Option<Severity>,
    /// Stated frequency at least this.
    pub frequency_at_least: Option<Frequency>,
    /// Stated interference at least this.
    pub interference_at_least: Option<Interference>,
    /// On one side only (`true`) or not (`false`); an unstated side
    /// matches either (the safer reading).
    pub one_sided: Option<bool>,
    /// Came on suddenly (`true`) or not (`false`); unstated matches either
    /// (the safer reading).
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
    /// In a region the treatment did not work on (`true` only): one of
    /// the symptom's regions (within `regions_any`, if given) is not among
    /// the treatment's regions. A symptom with no region given may be in
    /// an untreated one.
    pub untreated: Option<bool>,
    /// `fainting` answers: while lying down, while exercising, with a
    /// seizure, hurt in the fall (`true`/`false`; unstated counts as not).
    pub fainting: [Option<bool>; 4],
    /// The qualifiers above as integers and bits, made by [`SymptomMatch::compiled`].
    pub(crate) compiled: CompiledMatch,
}

/// A symptom match as integer comparisons and bit tests, so that matching
/// a symptom costs a handful of instructions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct CompiledMatch {
    /// Minimum answers as rank + 1 (0: no minimum). An unstated frequency
    /// or interference is 0; an unstated severity is above every rank
    /// (the safer reading).
    pub min_severity: u8,
    /// Like `min_severity`, against the stated severity (unstated is 0).
    pub min_stated_severity: u8,
    pub min_frequency: u8,
    pub min_interference: u8,
    /// [`SymptomFlags`] bits the symptom must have.
    pub required: u32,
    /// Regions, one of which the symptom must be in (all bits: no test).
    pub regions: BitSet,
    /// Whether one of those regions must be untreated.
    pub untreated: bool,
}

/// Bits of what may be true of a present symptom. A yes/no answer the
/// guidance reads the safer way when unstated (side, sudden) sets both of
/// its bits; the others count unstated as "no".
pub(crate) struct SymptomFlags;

impl SymptomFlags {
    // Each answer has two bits: "yes" here, and "no" the next bit up.
    pub const ONE_SIDED: u32 = 1;
    pub const SUDDEN: u32 = 1 << 2;
    pub const PAINFUL: u32 = 1 << 4;
    pub const WARM_OR_RED: u32 = 1 << 6;
    pub const WORSENING: u32 = 1 << 8;
    /// The four fainting answers, two bits each from here, in the order
    /// of [`SymptomMatch::fainting`].
    pub const FAINTING: u32 = 1 << 10;

    /// The bit for an answer that must be `wanted`, given its "yes" bit.
    pub const fn wanted(yes: u32, wanted: bool) -> u32 {
        if wanted { yes } else { yes << 1 }
    }

    /// The bits of an answer, given its "yes" bit and whether an unstated
    /// answer may be either.
    pub const fn of(yes: u32, answer: Option<bool>, unstated_is_either: bool) -> u32 {
        match answer {
            Some(true) => yes,
            None if unstated_is_either => yes | (yes << 1),
            Some(false) | None => yes << 1,
        }
    }
}

impl SymptomMatch {
    /// A match on these kinds with no qualifier.
    pub fn kinds(kinds: BitSet) -> Self {
        SymptomMatch {
            kinds,
            severity_at_least: None,
            stated_severity_at_least: None,
            frequency_at_least: None,
            interference_at_least: None,
            one_sided: None,
            sudden: None,
            painful: None,
            warm_or_red: None,
            regions_any: None,
            reported_for_hours_over: None,
            worsening: None,
            untreated: None,
            fainting: [None; 4],
            compiled: CompiledMatch {
                regions: BitSet::full(32),
                ..CompiledMatch::default()
            },
        }
    }

    /// This match with its compiled form filled in from the qualifiers.
    #[must_use]
    pub fn compiled(mut self) -> Self {
        let rank = |value: Option<u8>| value.map_or(0, |v| v + 1);
        let mut required = 0;
        let fainting_bits = (0..4).map(|index| SymptomFlags::FAINTING << (2 * index));
        for (wanted, bit) in [
            (self.one_sided, SymptomFlags::ONE_SIDED),
            (self.sudden, SymptomFlags::SUDDEN),
            (self.painful, SymptomFlags::PAINFUL),
            (self.warm_or_red, SymptomFlags::WARM_OR_RED),
            (self.worsening, SymptomFlags::WORSENING),
        ]
        .into_iter()
        .chain(self.fainting.into_iter().zip(fainting_bits))
        {
            if let Some(wanted) = wanted {
                required |= SymptomFlags::wanted(bit, wanted);
            }
        }
        self.compiled = CompiledMatch {
            min_severity: rank(self.severity_at_least.map(|v| v as u8)),
            min_stated_severity: rank(self.stated_severity_at_least.map(|v| v as u8)),
            min_frequency: rank(self.frequency_at_least.map(|v| v as u8)),
            min_interference: rank(self.interference_at_least.map(|v| v as u8)),
            required,
            regions: self.regions_any.unwrap_or(BitSet::full(32)),
            untreated: self.untreated == Some(true),
        };
        self
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
    /// `seen_by_clinician` (read by the engine for safety property 5, not
    /// by rules).
    SeenByClinician,
}

impl ContextField {
    /// The fields rules may test, in format order.
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
            ContextField::SeenByClinician => "seen_by_clinician",
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

/// Cheap facts a rule's condition needs, checked before evaluating it:
/// the triage of a course skips most rules in a few instructions.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Prefilter {
    /// Each set must share a kind with the kinds present in the last
    /// check-in (unused slots are empty and ignored).
    kinds: [BitSet; 4],
    /// How many of `kinds` are in use.
    kinds_used: u8,
    /// The last check-in must be more than this many hours after the treatment.
    hours_over: Option<f64>,
}

impl Prefilter {
    /// Works out the prefilter of a condition.
    pub fn of(condition: &Condition) -> Prefilter {
        let mut prefilter = Prefilter {
            hours_over: condition.min_hours_over(),
            ..Prefilter::default()
        };
        let mut used = 0;
        condition.each_required_kind_set(&mut |kinds| {
            if let Some(slot) = prefilter.kinds.get_mut(used) {
                *slot = kinds;
                used += 1;
            }
        });
        prefilter.kinds_used = used as u8;
        prefilter
    }

    /// Whether a rule with this prefilter may fire.
    #[inline]
    pub fn admits(&self, present: BitSet, hours: f64, has_checkin: bool) -> bool {
        self.kinds[..usize::from(self.kinds_used)]
            .iter()
            .all(|kinds| kinds.intersects(present))
            && self
                .hours_over
                .is_none_or(|over| has_checkin && hours > over)
    }
}

impl Condition {
    /// Calls `found` with every set of kinds of which one must be present
    /// for the condition to hold.
    fn each_required_kind_set(&self, found: &mut impl FnMut(BitSet)) {
        match self {
            Condition::All(parts) => {
                for part in parts {
                    part.each_required_kind_set(found);
                }
            }
            Condition::SameLimb(parts) => {
                for part in parts {
                    found(part.kinds);
                }
            }
            other => {
                if let Some(kinds) = other.required_kinds() {
                    found(kinds);
                }
            }
        }
    }

    /// The largest lower bound on hours since the treatment that the
    /// condition needs, if any.
    fn min_hours_over(&self) -> Option<f64> {
        match self {
            Condition::HoursSinceTreatment(window) => window.over,
            Condition::All(parts) => parts
                .iter()
                .filter_map(Condition::min_hours_over)
                .reduce(f64::max),
            Condition::Any(parts) => parts
                .iter()
                .map(Condition::min_hours_over)
                .try_fold(f64::INFINITY, |low, over| over.map(|o| low.min(o))),
            _ => None,
        }
    }

    /// The symptom kinds of which at least one must be present in the last
    /// check-in for this condition to hold, or `None` if it can hold
    /// without any. The engine skips a rule whose kinds are all absent.
    pub fn required_kinds(&self) -> Option<BitSet> {
        match self {
            Condition::Symptom(matcher) | Condition::BothSides(matcher) => Some(matcher.kinds),
            Condition::SameLimb(parts) => parts.first().map(|part| part.kinds),
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
