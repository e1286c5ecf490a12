//! The triage engine: a course and a guideline in, a decision out.
//!
//! Pure and total: it reads no clock (time is the course's own), does no
//! I/O and cannot fail, because both inputs were checked when parsed.

mod facts;
mod flags;
mod followup;

use std::borrow::Cow;

use crate::course::Course;
use crate::decision::{Decision, Evidence, EvidenceList, GuidelineRef, Reason, TreatmentField};
use crate::guideline::{Condition, ContextFlag, ContextTest, Guideline, Rule, SymptomMatch};
use crate::vocabulary::{Level, Region};
use facts::{Facts, LastSymptom};
use flags::History;

/// Triages the last check-in of a course, using the earlier ones for how
/// long symptoms have lasted, whether they are getting worse, and which
/// red flags are still open (safety property 5).
pub fn triage<'g>(guideline: &'g Guideline, course: &Course) -> Decision<'g> {
    triage_remembering(guideline, course, &mut CourseMemory::default())
}

/// What triage keeps of a course from one check-in to the next: the red
/// flags opened and closed by its earlier check-ins. Carried from the
/// decision on a course's n-th check-in to the (n+1)-th, it lets triage
/// walk only the new check-in instead of the whole course again, so a
/// long course costs about what a short one does.
///
/// It belongs to one course whose check-ins are only ever appended, and
/// to one guideline (a memory made with another is set aside and the
/// course walked from its start).
#[derive(Clone, Default)]
pub struct CourseMemory {
    history: History,
    /// How many check-ins `history` has walked.
    walked: usize,
    /// The guideline it was made with.
    guideline: u64,
}

impl std::fmt::Debug for CourseMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CourseMemory")
            .field("walked", &self.walked)
            .finish_non_exhaustive()
    }
}

/// [`triage`], remembering in `memory` what the next triage of the same
/// course (grown by check-ins) can reuse. The decision is the same as
/// [`triage`]'s for the same course.
pub fn triage_remembering<'g>(
    guideline: &'g Guideline,
    course: &Course,
    memory: &mut CourseMemory,
) -> Decision<'g> {
    let last = course.checkins.len().checked_sub(1);
    let earlier = last.unwrap_or(0);
    if memory.guideline != guideline.source_hash || memory.walked > earlier {
        *memory = CourseMemory {
            guideline: guideline.source_hash,
            ..CourseMemory::default()
        };
    }
    for index in memory.walked..earlier {
        let history = &mut memory.history;
        history.close_by(guideline, course, index);
        let reasons = history.fresh_reasons(guideline, course, index, Level::SeeDoctor);
        history.open(index, &reasons, guideline);
    }
    memory.walked = earlier;
    // The last check-in changes the remembered flags only when it closes
    // some; only then is a copy needed (the memory must stay as of the
    // check-ins before it).
    let closed;
    let history = match last {
        Some(last) if History::may_close(&course.checkins[last]) => {
            let mut copy = memory.history.clone();
            copy.close_by(guideline, course, last);
            closed = copy;
            &closed
        }
        _ => &memory.history,
    };
    let mut reasons = if let Some(last) = last {
        history.fresh_reasons(guideline, course, last, Level::Expected)
    } else {
        let facts = Facts::at(course, None);
        let mut reasons = Vec::new();
        evaluate(guideline, course, &facts, Level::Expected, &mut reasons);
        reasons
    };
    let carried = last.map_or(0, |last| {
        history.carry(guideline, course, last, &mut reasons)
    });
    // Highest level first; equal levels keep their order: fresh reasons in
    // the guideline's order, then carried ones.
    reasons.sort_by_key(|reason| std::cmp::Reverse(reason.level));
    let level = reasons
        .first()
        .map_or(Level::Expected, |reason| reason.level);

    let text = guideline.level_text(level);
    let mut advice: Vec<&'g str> = Vec::with_capacity(12);
    advice.extend(text.advice.iter().map(String::as_str));
    // With an urgent or emergency decision, advice about milder findings
    // would only distract from what to do now.
    let advice_floor = if level >= Level::Urgent {
        Level::Urgent
    } else {
        Level::Expected
    };
    for reason in reasons.iter().filter(|reason| reason.level >= advice_floor) {
        for line in reason.advice {
            if !advice.contains(&line.as_str()) {
                advice.push(line);
            }
        }
    }

    let facts = Facts::of(course);
    Decision {
        level,
        summary: &text.summary,
        next_checkin_hours: followup::next_checkin_hours(
            &guideline.followup,
            level,
            &facts,
            carried > 0,
        ),
        reasons,
        advice,
        guideline: GuidelineRef {
            id: &guideline.id,
            version: &guideline.version,
        },
        disclaimer: &guideline.disclaimer,
    }
}

/// Evaluates the rules at `min_level` or above on the check-in `facts` are
/// about, highest level first, and appends a reason for each that fires.
fn evaluate<'g>(
    guideline: &'g Guideline,
    course: &Course,
    facts: &Facts,
    min_level: Level,
    reasons: &mut Vec<Reason<'g>>,
) {
    let mut evidence = Scratch::new();
    let has_checkin = facts.last.is_some();
    for &index in &guideline.evaluation_order {
        let (rule, prefilter) = (&guideline.rules[index], &guideline.prefilters[index]);
        if rule.level < min_level {
            break;
        }
        if !prefilter.admits(
            facts.present_kinds,
            facts.hours_since_treatment,
            has_checkin,
        ) {
            continue;
        }
        evidence.clear();
        if holds(&rule.when, course, facts, &mut evidence) {
            if evidence.len() > 1 {
                evidence.sort_unstable();
                evidence.dedup();
            }
            reasons.push(Reason {
                rule: &rule.id,
                level: rule.level,
                why: Cow::Borrowed(&rule.why),
                evidence: EvidenceList::from_slice(&evidence),
                sources: &rule.sources,
                earlier: None,
                assessed: None,
                advice: &rule.advice,
            });
        }
    }
}

/// Whether one rule fires on a course as of its last check-in.
fn fires(rule: &Rule, course: &Course) -> bool {
    let facts = Facts::of(course);
    let mut evidence = Scratch::new();
    holds(&rule.when, course, &facts, &mut evidence)
}

/// Evidence gathered while evaluating one rule (reused across rules; on
/// the stack, since a rule names a handful of places).
type Scratch = smallvec::SmallVec<[Evidence; 16]>;

/// Whether a condition holds; pushes what it matched onto `evidence`.
/// On `false`, whatever it pushed is taken back.
fn holds(condition: &Condition, course: &Course, facts: &Facts, evidence: &mut Scratch) -> bool {
    let mark = evidence.len();
    let result = match condition {
        Condition::All(parts) => parts
            .iter()
            .all(|part| holds(part, course, facts, evidence)),
        Condition::Any(parts) => {
            // Every alternative is tried so that all matching evidence is named.
            let mut any = false;
            for part in parts {
                any |= holds(part, course, facts, evidence);
            }
            any
        }
        Condition::Not(part) => {
            let inner = holds(part, course, facts, evidence);
            evidence.truncate(mark);
            !inner
        }
        Condition::Symptom(matcher) => symptom_holds(matcher, facts, evidence),
        Condition::SameLimb(parts) => same_limb_holds(parts, facts, evidence),
        Condition::BothSides(matcher) => both_sides_holds(matcher, facts, evidence),
        Condition::HoursSinceTreatment(window) => {
            let inside = facts.last.is_some() && window.contains(facts.hours_since_treatment);
            if inside {
                evidence.extend(facts.last.map(|checkin| Evidence::CheckinTime { checkin }));
            }
            inside
        }
        Condition::Modality(set) => {
            let matched = set.contains(course.treatment.modality.index());
            treatment_evidence(matched, TreatmentField::Modality, evidence)
        }
        Condition::PressureAtLeast(at_least) => {
            let matched = course
                .treatment
                .pressure
                .is_some_and(|pressure| pressure >= *at_least);
            treatment_evidence(matched, TreatmentField::Pressure, evidence)
        }
        Condition::TreatmentRegionsAny(set) => {
            let matched = course
                .treatment
                .regions
                .iter()
                .any(|region| *region == Region::WholeBody || set.contains(region.index()));
            treatment_evidence(matched, TreatmentField::Regions, evidence)
        }
        Condition::DurationOver(minutes) => {
            let matched = course
                .treatment
                .duration_min
                .is_some_and(|duration| duration.get() > *minutes);
            treatment_evidence(matched, TreatmentField::DurationMin, evidence)
        }
        Condition::Context(test) => context_holds(*test, course, facts, evidence),
    };
    if !result {
        evidence.truncate(mark);
    }
    result
}

fn treatment_evidence(matched: bool, field: TreatmentField, evidence: &mut Scratch) -> bool {
    if matched {
        evidence.push(Evidence::Treatment(field));
    }
    matched
}

fn context_holds(
    test: ContextTest,
    course: &Course,
    facts: &Facts,
    evidence: &mut Scratch,
) -> bool {
    let Some(last) = facts.last else {
        return false;
    };
    let mut checkin = last;
    let context = &course.checkins[last].context;
    let matched = match test {
        ContextTest::Hydration(wanted) => context.hydration == Some(wanted),
        ContextTest::Stress(wanted) => context.stress == Some(wanted),
        ContextTest::SleepHoursBelow(hours) => {
            context.sleep_hours.is_some_and(|slept| slept.get() < hours)
        }
        ContextTest::CaffeineCupsAtLeast(cups) => {
            context.caffeine_cups.is_some_and(|had| had.get() >= cups)
        }
        ContextTest::Flag(flag, wanted) => {
            let answer_in = |index: usize| {
                let context = &course.checkins[index].context;
                match flag {
                    ContextFlag::NewMedication => context.new_medication,
                    ContextFlag::StrenuousExercise => context.strenuous_exercise,
                    ContextFlag::Pregnant => context.pregnant,
                    ContextFlag::Anticoagulants => context.anticoagulants,
                }
            };
            // Medicines and pregnancy last: when the last check-in does not
            // say, the most recent answer in the course still holds.
            let lasting = !matches!(flag, ContextFlag::StrenuousExercise);
            let answered = if lasting {
                (0..=last).rev().find(|&index| answer_in(index).is_some())
            } else {
                Some(last).filter(|&index| answer_in(index).is_some())
            };
            if let Some(index) = answered {
                checkin = index;
            }
            // An unanswered question counts as "no".
            answered.and_then(answer_in).unwrap_or(false) == wanted
        }
    };
    if matched {
        evidence.push(Evidence::Context {
            checkin,
            field: test.field(),
        });
    }
    matched
}

/// Whether a present symptom of the last check-in matches every stated
/// qualifier (all but `reported_for_hours_over`, which needs the course).
fn matches(matcher: &SymptomMatch, symptom: &LastSymptom) -> bool {
    let compiled = &matcher.compiled;
    matcher.kinds.contains(symptom.symptom.kind.index())
        && symptom.severity >= compiled.min_severity
        && symptom.stated_severity >= compiled.min_stated_severity
        && symptom.frequency >= compiled.min_frequency
        && symptom.interference >= compiled.min_interference
        && symptom.flags & compiled.required == compiled.required
        && symptom.regions.intersects(compiled.regions)
        && (!compiled.untreated || symptom.untreated.intersects(compiled.regions))
}

/// Whether some present symptom of the last check-in matches every stated
/// qualifier. Names every matching symptom as evidence, and for a match on
/// duration also the check-in where the unbroken run began.
fn symptom_holds(matcher: &SymptomMatch, facts: &Facts, evidence: &mut Scratch) -> bool {
    let Some(checkin) = facts.last else {
        return false;
    };
    let mut matched = false;
    for (index, symptom) in facts.last_symptoms.iter().enumerate() {
        let Some(symptom) = symptom else { continue };
        let kind = symptom.symptom.kind;
        let ok = matches(matcher, symptom)
            && matcher
                .reported_for_hours_over
                .is_none_or(|hours| facts.reported_for_hours(kind) > hours);
        if ok {
            matched = true;
            evidence.push(Evidence::Symptom {
                checkin,
                symptom: index,
            });
            if matcher.reported_for_hours_over.is_some() {
                evidence.extend(facts.run_start(kind));
            }
        }
    }
    matched
}

/// Whether every part is matched by symptoms that share a limb; names the
/// matching symptoms in the shared limbs.
fn same_limb_holds(parts: &[SymptomMatch], facts: &Facts, evidence: &mut Scratch) -> bool {
    let Some(checkin) = facts.last else {
        return false;
    };
    let present = || {
        facts
            .last_symptoms
            .iter()
            .enumerate()
            .filter_map(|(index, symptom)| symptom.as_ref().map(|symptom| (index, symptom)))
    };
    let mut shared = u8::MAX;
    for part in parts {
        shared &= present()
            .filter(|(_, symptom)| matches(part, symptom))
            .fold(0, |limbs, (_, symptom)| limbs | symptom.limbs);
        if shared == 0 {
            return false;
        }
    }
    for (index, symptom) in present() {
        if symptom.limbs & shared != 0 && parts.iter().any(|part| matches(part, symptom)) {
            evidence.push(Evidence::Symptom {
                checkin,
                symptom: index,
            });
        }
    }
    true
}

/// Whether symptoms of one kind that match are on both sides: one entry
/// with side `both` or unstated, or a `left` and a `right` entry.
fn both_sides_holds(matcher: &SymptomMatch, facts: &Facts, evidence: &mut Scratch) -> bool {
    use crate::vocabulary::Side;
    let Some(checkin) = facts.last else {
        return false;
    };
    let mut matched = false;
    for kind in matcher.kind_list() {
        let (mut left, mut right, mut both) = (false, false, false);
        let mark = evidence.len();
        for (index, symptom) in facts.last_symptoms.iter().enumerate() {
            let Some(symptom) = symptom else { continue };
            if symptom.symptom.kind != kind || !matches(matcher, symptom) {
                continue;
            }
            match symptom.symptom.side {
                Some(Side::Left) => left = true,
                Some(Side::Right) => right = true,
                Some(Side::Both) | None => both = true,
            }
            evidence.push(Evidence::Symptom {
                checkin,
                symptom: index,
            });
        }
        if both || (left && right) {
            matched = true;
        } else {
            evidence.truncate(mark);
        }
    }
    matched
}
