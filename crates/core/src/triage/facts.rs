//! What the rules read about a course, worked out once per triage.

use crate::course::{Course, Symptom};
use crate::decision::Evidence;
use crate::guideline::BitSet;
use crate::guideline::condition::SymptomFlags;
use crate::vocabulary::{Region, Side, SymptomKind};

const KINDS: usize = SymptomKind::ALL.len();

/// Facts about the course as of its last check-in.
pub(super) struct Facts<'c> {
    /// Index of the last check-in, if any.
    pub last: Option<usize>,
    /// Hours from the treatment to the last check-in (0 without check-ins).
    pub hours_since_treatment: f64,
    /// Kinds present in the last check-in.
    pub present_kinds: BitSet,
    /// The last check-in's symptoms, `None` where reported absent.
    pub last_symptoms: smallvec::SmallVec<[Option<LastSymptom<'c>>; 8]>,
    course: &'c Course,
}

/// A present symptom of the last check-in with what the course says of it.
pub(super) struct LastSymptom<'c> {
    pub symptom: &'c Symptom,
    /// Lower than that earlier peak in some stated answer, and higher in none.
    pub fading: bool,
    /// Answers as rank + 1, to compare with compiled matches: an unstated
    /// frequency or interference is 0, an unstated severity is above
    /// every rank (the safer reading of the guidance).
    pub severity: u8,
    /// The severity as stated (0: unstated).
    pub stated_severity: u8,
    pub frequency: u8,
    pub interference: u8,
    /// [`SymptomFlags`] bits; `WORSENING`: some answer is higher than the
    /// highest for the same kind in the most recent earlier check-in that
    /// mentions it (comparing only answers stated in both).
    pub flags: u32,
    /// Regions it is in; every bit when no place was given or the whole
    /// body (it may be anywhere).
    pub regions: BitSet,
    /// Of those, the regions the treatment did not work on.
    pub untreated: BitSet,
    /// The limbs it may be in ([`Limbs`] bits).
    pub limbs: u8,
}

/// Bits of the four limbs, for "all in the same limb".
pub(super) struct Limbs;

impl Limbs {
    pub const LEFT_LEG: u8 = 1;
    pub const RIGHT_LEG: u8 = 2;
    pub const LEFT_ARM: u8 = 4;
    pub const RIGHT_ARM: u8 = 8;

    /// The limbs a symptom in `regions` on `side` may be in. An unstated
    /// side, or `both`, may be either side.
    fn of(regions: BitSet, side: Option<Side>) -> u8 {
        let legs = regions.intersects(crate::guideline::condition::region_set(Region::LEGS));
        let arms = regions.intersects(crate::guideline::condition::region_set(Region::ARMS));
        let (left, right) = match side {
            Some(Side::Left) => (true, false),
            Some(Side::Right) => (false, true),
            Some(Side::Both) | None => (true, true),
        };
        let mut limbs = 0;
        for (yes, bit) in [
            (legs && left, Limbs::LEFT_LEG),
            (legs && right, Limbs::RIGHT_LEG),
            (arms && left, Limbs::LEFT_ARM),
            (arms && right, Limbs::RIGHT_ARM),
        ] {
            if yes {
                limbs |= bit;
            }
        }
        limbs
    }
}

/// The highest stated answers for one kind in one check-in.
#[derive(Clone, Copy, Default)]
struct Peak {
    severity: Option<u8>,
    frequency: Option<u8>,
    interference: Option<u8>,
}

impl Peak {
    fn raise(&mut self, symptom: &Symptom) {
        fn max(current: Option<u8>, new: Option<u8>) -> Option<u8> {
            match (current, new) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            }
        }
        if !symptom.is_present() {
            // Reported absent: it was at zero, whatever else the entry says
            // (`severity: none` with `frequency: almost_constantly` must not
            // hide a symptom that is now there almost constantly).
            self.severity = max(self.severity, Some(0));
            self.frequency = max(self.frequency, Some(0));
            return;
        }
        self.severity = max(self.severity, symptom.severity.map(|v| v as u8));
        self.frequency = max(self.frequency, symptom.frequency.map(|v| v as u8));
        self.interference = max(self.interference, symptom.interference.map(|v| v as u8));
    }

    fn undercut_by(self, symptom: &Symptom) -> bool {
        let lower = |before: Option<u8>, now: Option<u8>| matches!((before, now), (Some(b), Some(n)) if n < b);
        lower(self.severity, symptom.severity.map(|v| v as u8))
            || lower(self.frequency, symptom.frequency.map(|v| v as u8))
            || lower(self.interference, symptom.interference.map(|v| v as u8))
    }

    fn exceeded_by(self, symptom: &Symptom) -> bool {
        let higher = |before: Option<u8>, now: Option<u8>| matches!((before, now), (Some(b), Some(n)) if n > b);
        // An unstated severity now may be the highest (the safer reading),
        // so it is worse than any stated one below the top, and than "gone".
        let top = crate::vocabulary::Severity::VerySevere as u8;
        let severity_now = Some(symptom.severity.map_or(top, |v| v as u8));
        higher(self.severity, severity_now)
            || higher(self.frequency, symptom.frequency.map(|v| v as u8))
            || higher(self.interference, symptom.interference.map(|v| v as u8))
    }
}

impl<'c> Facts<'c> {
    /// Facts as of the course's last check-in.
    pub fn of(course: &'c Course) -> Facts<'c> {
        Facts::at(course, course.checkins.len().checked_sub(1))
    }

    /// Facts as of check-in `last` (the later ones ignored), or of the
    /// treatment alone with `None`.
    pub fn at(course: &'c Course, last: Option<usize>) -> Facts<'c> {
        let Some((last_index, last)) = last.map(|index| (index, &course.checkins[index])) else {
            return Facts {
                last: None,
                hours_since_treatment: 0.0,
                present_kinds: BitSet::EMPTY,
                last_symptoms: smallvec::SmallVec::new(),
                course,
            };
        };
        // For each kind, the answers of the most recent earlier check-in
        // that mentions it (present, or answered `none`/`never`): an empty
        // check-in in between says nothing about how bad it was, so a
        // symptom that comes back worse still counts as getting worse.
        let mut previous_peaks: [Option<Peak>; KINDS] = [None; KINDS];
        let mut settled = BitSet::EMPTY;
        // Only the kinds of the last check-in need a peak: once each is
        // settled the rest of a long course has nothing more to say.
        let wanted = BitSet::of(last.symptoms.iter().map(|s| s.kind.index()));
        for earlier in course.checkins[..last_index].iter().rev() {
            if wanted.difference(settled).is_empty() {
                break;
            }
            let mut mentioned = BitSet::EMPTY;
            for symptom in &earlier.symptoms {
                let kind = symptom.kind.index();
                if settled.contains(kind) {
                    continue;
                }
                mentioned.insert(kind);
                previous_peaks[kind]
                    .get_or_insert_with(Peak::default)
                    .raise(symptom);
            }
            settled = settled.union(mentioned);
        }
        let treated = if course.treatment.regions.contains(&Region::WholeBody) {
            BitSet::full(32)
        } else {
            BitSet::of(course.treatment.regions.iter().map(|r| r.index()))
        };
        let mut present_kinds = BitSet::EMPTY;
        let last_symptoms = last
            .symptoms
            .iter()
            .map(|symptom| {
                symptom.is_present().then(|| {
                    present_kinds.insert(symptom.kind.index());
                    let peak = previous_peaks[symptom.kind.index()];
                    let worsening = peak.is_some_and(|peak| peak.exceeded_by(symptom));
                    let rank = |value: Option<u8>| value.map_or(0, |v| v + 1);
                    let one_sided = symptom.side.map(|side| side != Side::Both);
                    let mut flags = SymptomFlags::of(SymptomFlags::ONE_SIDED, one_sided, true)
                        | SymptomFlags::of(SymptomFlags::SUDDEN, symptom.sudden, true)
                        | SymptomFlags::of(SymptomFlags::PAINFUL, symptom.painful, false)
                        | SymptomFlags::of(SymptomFlags::WARM_OR_RED, symptom.warm_or_red, false)
                        | SymptomFlags::of(SymptomFlags::WORSENING, Some(worsening), false);
                    for (index, (_, answer)) in symptom.fainting_answers().into_iter().enumerate() {
                        flags |=
                            SymptomFlags::of(SymptomFlags::FAINTING << (2 * index), answer, false);
                    }
                    let anywhere =
                        symptom.regions.is_empty() || symptom.regions.contains(&Region::WholeBody);
                    let regions = if anywhere {
                        BitSet::full(32)
                    } else {
                        BitSet::of(symptom.regions.iter().map(|r| r.index()))
                    };
                    LastSymptom {
                        symptom,
                        fading: !worsening && peak.is_some_and(|peak| peak.undercut_by(symptom)),
                        severity: symptom.severity.map_or(u8::MAX, |v| v as u8 + 1),
                        stated_severity: rank(symptom.severity.map(|v| v as u8)),
                        frequency: rank(symptom.frequency.map(|v| v as u8)),
                        interference: rank(symptom.interference.map(|v| v as u8)),
                        flags,
                        regions,
                        untreated: regions.difference(treated),
                        limbs: Limbs::of(regions, symptom.side),
                    }
                })
            })
            .collect();
        Facts {
            last: Some(last_index),
            hours_since_treatment: last.at.hours_since(course.treatment.at),
            present_kinds,
            last_symptoms,
            course,
        }
    }

    /// Whether every present symptom of the last check-in is fading.
    pub fn all_fading(&self) -> bool {
        self.last_symptoms
            .iter()
            .flatten()
            .all(|symptom| symptom.fading)
    }

    /// Index of the first check-in of the unbroken run of check-ins, ending
    /// with the last, in which `kind` is present.
    fn run_start_index(&self, kind: SymptomKind) -> Option<usize> {
        let last = self.last?;
        if !self.present_kinds.contains(kind.index()) {
            return None;
        }
        let has = |index: usize| {
            self.course.checkins[index]
                .symptoms
                .iter()
                .any(|s| s.kind == kind && s.is_present())
        };
        let mut start = last;
        while start > 0 && has(start - 1) {
            start -= 1;
        }
        Some(start)
    }

    /// Hours between the first and the last check-in of that run; 0 when
    /// the symptom is new in the last check-in or absent.
    pub fn reported_for_hours(&self, kind: SymptomKind) -> f64 {
        match (self.run_start_index(kind), self.last) {
            (Some(start), Some(last)) => self.course.checkins[last]
                .at
                .hours_since(self.course.checkins[start].at),
            _ => 0.0,
        }
    }

    /// Evidence for where that run began.
    pub fn run_start(&self, kind: SymptomKind) -> Option<Evidence> {
        let start = self.run_start_index(kind)?;
        let symptom = self.course.checkins[start]
            .symptoms
            .iter()
            .position(|s| s.kind == kind && s.is_present())?;
        Some(Evidence::Symptom {
            checkin: start,
            symptom,
        })
    }
}
