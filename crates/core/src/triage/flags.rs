//! Red flags that silence does not forget (safety property 5 of
//! `triage-levels.md`).
//!
//! A rule at `see_doctor` or above that fires on a check-in opens a flag.
//! Every later decision carries each open flag as a reason: at its own
//! level for a day, then at most `urgent` until a week has passed, then
//! `see_doctor`. A flag closes only when a later check-in reports one of
//! its symptoms gone (severity `none`) and the rule no longer fires on it
//! together with the flag's symptoms whose kind it does not report gone
//! (a symptom reported again, better or with answers left out, still
//! counts as it was reported), or says that a clinician has seen the
//! person since. After such an assessment the
//! same finding, reported again unchanged or milder, is held at
//! `see_doctor`; a worse value or a new companion symptom brings back the
//! rule's own level.

use std::borrow::Cow;

use super::facts::Facts;
use super::{evaluate, fires};
use crate::course::{Checkin, Course, Symptom};
use crate::decision::{Assessed, Earlier, Evidence, Reason};
use crate::guideline::Guideline;
use crate::vocabulary::{Level, Side};

/// How long a carried flag keeps its own level, then at most `urgent`.
const OWN_LEVEL_HOURS: f64 = 24.0;
const AT_MOST_URGENT_HOURS: f64 = 7.0 * 24.0;

/// A red flag opened at an earlier check-in.
#[derive(Clone)]
struct Flag {
    /// Position of the rule in the guideline.
    rule: usize,
    /// The check-in that opened it.
    opened: usize,
    /// The level the rule gave then.
    level: Level,
    /// Its evidence (paths into the opening check-in and earlier).
    evidence: crate::decision::EvidenceList,
}

/// A finding a clinician has seen: the rule and the symptoms it stood on.
#[derive(Clone)]
struct AssessedFinding {
    rule: usize,
    /// The check-in where the person said a clinician had seen them.
    assessed_at: usize,
    /// The symptoms (check-in, position) the rule matched when it opened.
    symptoms: Vec<(usize, usize)>,
}

/// The red flags of a course, walked check-in by check-in.
#[derive(Clone, Default)]
pub(super) struct History {
    open: Vec<Flag>,
    assessed: Vec<AssessedFinding>,
}

impl History {
    /// Whether a check-in can close any flag: it says a clinician has seen
    /// the person, or reports a symptom gone.
    pub fn may_close(checkin: &Checkin) -> bool {
        checkin.context.seen_by_clinician == Some(true)
            || !checkin.symptoms.iter().all(Symptom::is_present)
    }

    /// Closes what check-in `index` closes: every flag opened before it
    /// when it says a clinician has seen the person, and each flag whose
    /// symptom it reports gone.
    pub fn close_by(&mut self, guideline: &Guideline, course: &Course, index: usize) {
        let checkin = &course.checkins[index];
        if checkin.context.seen_by_clinician == Some(true) {
            for flag in self.open.drain(..) {
                self.assessed.push(AssessedFinding {
                    rule: flag.rule,
                    assessed_at: index,
                    symptoms: symptom_places(&flag.evidence),
                });
            }
            return;
        }
        // Only a check-in that reports something gone can close a flag
        // (the common case, with many flags open, skips them all).
        if !History::may_close(checkin) {
            return;
        }
        self.open
            .retain(|flag| !reported_gone(guideline, course, flag, index));
    }

    /// The reasons that fire on check-in `index` itself at `min_level` or
    /// above, with a finding a clinician has seen held at `see_doctor`.
    pub fn fresh_reasons<'g>(
        &self,
        guideline: &'g Guideline,
        course: &Course,
        index: usize,
        min_level: Level,
    ) -> Vec<Reason<'g>> {
        let facts = Facts::at(course, Some(index));
        let mut reasons = Vec::with_capacity(8);
        evaluate(guideline, course, &facts, min_level, &mut reasons);
        for reason in &mut reasons {
            if reason.level <= Level::SeeDoctor {
                continue;
            }
            let Some(rule) = rule_position(guideline, reason.rule) else {
                continue;
            };
            let now = symptom_places(&reason.evidence);
            let seen = self.assessed.iter().find(|finding| {
                finding.rule == rule
                    && finding.assessed_at <= index
                    && no_worse(course, &now, &finding.symptoms)
            });
            if let Some(finding) = seen {
                reason.assessed = Some(Assessed {
                    checkin: finding.assessed_at,
                    rule_level: reason.level,
                });
                reason.level = Level::SeeDoctor;
                reason.why = Cow::Owned(format!(
                    "A clinician has seen this already (you said so on {}). While it stays the same or eases, a doctor's review in the next few days is enough; if it gets worse or something new appears, get care sooner. {}",
                    date(&course.checkins[finding.assessed_at]),
                    reason.why
                ));
            }
        }
        reasons.sort_by_key(|reason| std::cmp::Reverse(reason.level));
        reasons
    }

    /// Opens a flag for each reason at `see_doctor` or above.
    pub fn open(&mut self, index: usize, reasons: &[Reason<'_>], guideline: &Guideline) {
        for reason in reasons.iter().filter(|r| r.level >= Level::SeeDoctor) {
            if let Some(rule) = rule_position(guideline, reason.rule) {
                self.open.push(Flag {
                    rule,
                    opened: index,
                    level: reason.level,
                    evidence: reason.evidence.clone(),
                });
            }
        }
    }

    /// Adds a carried reason for each flag still open before check-in
    /// `last` whose rule did not fire on `last` itself (the most recent
    /// flag of each rule). Returns how many were carried.
    pub fn carry<'g>(
        &self,
        guideline: &'g Guideline,
        course: &Course,
        last: usize,
        reasons: &mut Vec<Reason<'g>>,
    ) -> usize {
        let mut carried = 0;
        // Of the open flags of one rule, the one that gives the highest
        // level now (the most recent among equals) is carried, unless the
        // rule fired on `last` itself at that level or above.
        let carried_level = |flag: &Flag| {
            let hours = course.checkins[last]
                .at
                .hours_since(course.checkins[flag.opened].at);
            if hours <= OWN_LEVEL_HOURS {
                flag.level
            } else if hours <= AT_MOST_URGENT_HOURS {
                flag.level.min(Level::Urgent)
            } else {
                flag.level.min(Level::SeeDoctor)
            }
        };
        // Each flag's level now, once; then the best flag of each rule in
        // one pass (a long course can hold a flag per check-in).
        let levels: Vec<Level> = self.open.iter().map(carried_level).collect();
        let mut best: Vec<(usize, Level, usize)> = Vec::new();
        for (position, flag) in self.open.iter().enumerate() {
            if flag.opened >= last {
                continue;
            }
            let level = levels[position];
            match best.iter_mut().find(|(rule, ..)| *rule == flag.rule) {
                Some(entry) => {
                    let (_, best_level, best_position) = *entry;
                    if (level, flag.opened) > (best_level, self.open[best_position].opened) {
                        *entry = (flag.rule, level, position);
                    }
                }
                None => best.push((flag.rule, level, position)),
            }
        }
        for (position, flag) in self.open.iter().enumerate() {
            let is_best = best
                .iter()
                .any(|&(rule, _, at)| rule == flag.rule && at == position);
            if !is_best {
                continue;
            }
            let rule = &guideline.rules[flag.rule];
            let level = levels[position];
            let fired_now = reasons
                .iter()
                .any(|r| r.rule == rule.id && r.earlier.is_none() && r.level >= level);
            if fired_now {
                continue;
            }
            let opened = &course.checkins[flag.opened];
            reasons.push(Reason {
                rule: &rule.id,
                level,
                why: Cow::Owned(format!(
                    "Reported on {} and not yet reported gone or seen by a clinician: {}",
                    date(opened),
                    rule.why
                )),
                evidence: flag.evidence.clone(),
                sources: &rule.sources,
                earlier: Some(Earlier {
                    checkin: flag.opened,
                    at: opened.at,
                    level: flag.level,
                }),
                assessed: None,
                advice: &rule.advice,
            });
            carried += 1;
        }
        carried
    }
}

fn rule_position(guideline: &Guideline, id: &str) -> Option<usize> {
    guideline.rules.iter().position(|rule| rule.id == id)
}

/// The symptoms named in some evidence, as (check-in, position).
fn symptom_places(evidence: &[Evidence]) -> Vec<(usize, usize)> {
    evidence
        .iter()
        .filter_map(|place| match place {
            Evidence::Symptom { checkin, symptom } => Some((*checkin, *symptom)),
            _ => None,
        })
        .collect()
}

fn symptom_at(course: &Course, (checkin, position): (usize, usize)) -> &Symptom {
    &course.checkins[checkin].symptoms[position]
}

/// The date of a check-in in its own offset, e.g. `21 November 2026`.
fn date(checkin: &Checkin) -> String {
    let at = checkin.at.get();
    format!("{} {} {}", at.day(), at.month(), at.year())
}

/// Whether check-in `index` reports the kind of one of the flag's
/// symptoms gone and the rule no longer fires on it together with the
/// flag's symptoms whose kind it does not report gone.
fn reported_gone(guideline: &Guideline, course: &Course, flag: &Flag, index: usize) -> bool {
    let checkin = &course.checkins[index];
    let flagged: Vec<&Symptom> = symptom_places(&flag.evidence)
        .into_iter()
        .map(|place| symptom_at(course, place))
        .collect();
    let gone = checkin
        .symptoms
        .iter()
        .any(|s| !s.is_present() && flagged.iter().any(|f| f.kind == s.kind));
    if !gone {
        return false;
    }
    // A flagged symptom stands unless this check-in reports its kind gone
    // and not also present (an entry with severity `none` is gone whatever
    // else it says, so "gone" is by kind): "better" is not gone, and an
    // entry of the same kind that leaves an answer unstated (warm,
    // painful, how often) says nothing about that answer. Adding a present
    // symptom can therefore never close a flag (safety property 1).
    let mut together = checkin.clone();
    for symptom in flagged {
        let of_kind = || checkin.symptoms.iter().filter(|s| s.kind == symptom.kind);
        let reported_gone =
            of_kind().any(|s| !s.is_present()) && !of_kind().any(Symptom::is_present);
        if !reported_gone {
            together.symptoms.push(symptom.clone());
        }
    }
    let mut checkins = course.checkins[..index].to_vec();
    checkins.push(together);
    let course = Course {
        treatment: course.treatment.clone(),
        checkins,
    };
    !fires(&guideline.rules[flag.rule], &course)
}

/// Whether the symptoms a rule matches now are the assessed ones again,
/// unchanged or milder: every one of a kind that was assessed, in the same
/// place, with no answer higher and no warning sign that was absent then.
fn no_worse(course: &Course, now: &[(usize, usize)], assessed: &[(usize, usize)]) -> bool {
    now.iter().all(|&place| {
        let symptom = symptom_at(course, place);
        assessed.iter().any(|&then| {
            let before = symptom_at(course, then);
            before.kind == symptom.kind && !worse(symptom, before)
        })
    })
}

fn worse(now: &Symptom, before: &Symptom) -> bool {
    // Unstated severity reads as the highest, unstated frequency and
    // interference as the lowest, as the rules read them.
    let severity = |s: &Symptom| s.severity.map_or(u8::MAX, |v| v as u8);
    let higher = |now: Option<u8>, before: Option<u8>| now.unwrap_or(0) > before.unwrap_or(0);
    let maybe = |answer: Option<bool>, unstated: bool| answer.unwrap_or(unstated);
    let newly = |now: bool, before: bool| now && !before;
    let one_sided = |s: &Symptom| s.side.map(|side| side != Side::Both);
    severity(now) > severity(before)
        || higher(
            now.frequency.map(|v| v as u8),
            before.frequency.map(|v| v as u8),
        )
        || higher(
            now.interference.map(|v| v as u8),
            before.interference.map(|v| v as u8),
        )
        || newly(maybe(now.sudden, true), maybe(before.sudden, true))
        || newly(maybe(now.painful, false), maybe(before.painful, false))
        || newly(
            maybe(now.warm_or_red, false),
            maybe(before.warm_or_red, false),
        )
        || newly(maybe(one_sided(now), true), maybe(one_sided(before), true))
        || (before.side.is_some_and(|side| side != Side::Both) && now.side != before.side)
        || (!before.regions.is_empty()
            && !before
                .regions
                .contains(&crate::vocabulary::Region::WholeBody)
            && (now.regions.is_empty()
                || now
                    .regions
                    .iter()
                    .any(|region| !before.regions.contains(region))))
        || now
            .fainting_answers()
            .into_iter()
            .zip(before.fainting_answers())
            .any(|((_, now), (_, before))| newly(maybe(now, false), maybe(before, false)))
}
