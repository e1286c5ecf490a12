//! What a change of guideline does to decisions: the same course triaged
//! under two guidelines, one decision per check-in, with the rules behind
//! each difference. `aftercare guideline impact` reports it before a clinic
//! switches guideline.

use std::collections::BTreeMap;

use crate::course::Course;
use crate::decision::Decision;
use crate::guideline::Guideline;
use crate::triage::triage;
use crate::vocabulary::Level;

/// Which way a decision's level moved from the old guideline to the new.
/// Ordered so that sorting puts downgrades first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    /// The new guideline gives a lower level.
    Down,
    /// The new guideline gives a higher level.
    Up,
    /// Both give the same level.
    Same,
}

impl Direction {
    /// The direction's name in reports: `down`, `up` or `same`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Direction::Down => "down",
            Direction::Up => "up",
            Direction::Same => "same",
        }
    }
}

/// A rule that fired on one side only, with the highest level it gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fired {
    /// The rule id.
    pub rule: String,
    /// The highest level its reasons gave in that decision.
    pub level: Level,
}

/// A rule that fired on both sides, at a different level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Relevelled {
    /// The rule id.
    pub rule: String,
    /// Its level under the old guideline.
    pub old: Level,
    /// Its level under the new guideline.
    pub new: Level,
}

/// One decision of a course made under both guidelines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replayed {
    /// Index of the check-in the decision answered; `None` for a course
    /// without check-ins, which is decided on its treatment alone.
    pub checkin: Option<usize>,
    /// The level under the old guideline.
    pub old: Level,
    /// The level under the new guideline.
    pub new: Level,
    /// Rules that fired under the new guideline only, highest level first.
    pub added: Vec<Fired>,
    /// Rules that fired under the old guideline only, highest level first.
    pub removed: Vec<Fired>,
    /// Rules that fired under both at different levels, highest old level first.
    pub relevelled: Vec<Relevelled>,
}

impl Replayed {
    /// Which way the level moved.
    pub fn direction(&self) -> Direction {
        match self.new.cmp(&self.old) {
            std::cmp::Ordering::Less => Direction::Down,
            std::cmp::Ordering::Greater => Direction::Up,
            std::cmp::Ordering::Equal => Direction::Same,
        }
    }

    /// Whether the two decisions rest on different rules or rule levels.
    pub fn rules_differ(&self) -> bool {
        !(self.added.is_empty() && self.removed.is_empty() && self.relevelled.is_empty())
    }
}

/// Triages every decision point of `course` under both guidelines: the
/// course cut after each check-in in turn, as the service decided it when
/// that check-in arrived; a course without check-ins has one decision
/// point, the treatment alone.
pub fn replay(old: &Guideline, new: &Guideline, course: &Course) -> Vec<Replayed> {
    if course.checkins.is_empty() {
        return vec![compare(&triage(old, course), &triage(new, course), None)];
    }
    let mut prefix = Course {
        treatment: course.treatment.clone(),
        checkins: Vec::with_capacity(course.checkins.len()),
    };
    course
        .checkins
        .iter()
        .enumerate()
        .map(|(index, checkin)| {
            prefix.checkins.push(checkin.clone());
            compare(&triage(old, &prefix), &triage(new, &prefix), Some(index))
        })
        .collect()
}

/// Compares two decisions on the same course: their levels, and the rules
/// that fired on one side only or at another level.
pub fn compare(old: &Decision<'_>, new: &Decision<'_>, checkin: Option<usize>) -> Replayed {
    let old_rules = fired(old);
    let new_rules = fired(new);
    let only = |this: &BTreeMap<&str, Level>, other: &BTreeMap<&str, Level>| {
        let mut only: Vec<Fired> = this
            .iter()
            .filter(|(rule, _)| !other.contains_key(*rule))
            .map(|(rule, level)| Fired {
                rule: (*rule).to_owned(),
                level: *level,
            })
            .collect();
        only.sort_by(|a, b| b.level.cmp(&a.level).then_with(|| a.rule.cmp(&b.rule)));
        only
    };
    let mut relevelled: Vec<Relevelled> = old_rules
        .iter()
        .filter_map(|(rule, old_level)| {
            let new_level = new_rules.get(rule)?;
            (new_level != old_level).then(|| Relevelled {
                rule: (*rule).to_owned(),
                old: *old_level,
                new: *new_level,
            })
        })
        .collect();
    relevelled.sort_by(|a, b| b.old.cmp(&a.old).then_with(|| a.rule.cmp(&b.rule)));
    Replayed {
        checkin,
        old: old.level,
        new: new.level,
        added: only(&new_rules, &old_rules),
        removed: only(&old_rules, &new_rules),
        relevelled,
    }
}

/// Each rule of a decision with the highest level its reasons gave (a rule
/// may fire afresh and be carried from an earlier check-in as well).
fn fired<'d>(decision: &'d Decision<'_>) -> BTreeMap<&'d str, Level> {
    let mut rules = BTreeMap::new();
    for reason in &decision.reasons {
        let level = rules.entry(reason.rule).or_insert(reason.level);
        *level = (*level).max(reason.level);
    }
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lowered(rule: &str, from: &str, to: &str) -> Guideline {
        let text = crate::guideline::SHIPPED_TOML.replacen(
            &format!("id = \"{rule}\"\nlevel = \"{from}\""),
            &format!("id = \"{rule}\"\nlevel = \"{to}\""),
            1,
        );
        assert_ne!(text, crate::guideline::SHIPPED_TOML, "{rule} is shipped");
        Guideline::from_toml(&text).expect("still a valid guideline")
    }

    fn chest_pain_course() -> Course {
        Course::from_json(
            r#"{"treatment":{"at":"2026-11-20T15:00:00Z","modality":"deep_tissue"},
                "checkins":[{"at":"2026-11-20T18:00:00Z","symptoms":[]},
                            {"at":"2026-11-21T09:00:00Z","symptoms":[{"kind":"chest_pain"}]}]}"#,
        )
        .expect("a valid course")
    }

    #[test]
    fn the_same_guideline_changes_nothing() {
        let shipped = Guideline::shipped();
        let replayed = replay(&shipped, &shipped, &chest_pain_course());
        assert_eq!(replayed.len(), 2, "one decision per check-in");
        assert!(
            replayed
                .iter()
                .all(|r| r.direction() == Direction::Same && !r.rules_differ())
        );
    }

    #[test]
    fn a_lowered_rule_is_a_downgrade_at_the_checkin_it_fires_on() {
        let shipped = Guideline::shipped();
        let lower = lowered("emergency.chest_pain", "emergency", "self_care");
        let replayed = replay(&shipped, &lower, &chest_pain_course());
        assert_eq!(replayed[0].direction(), Direction::Same);
        let second = &replayed[1];
        assert_eq!(second.checkin, Some(1));
        assert_eq!(second.direction(), Direction::Down);
        assert_eq!(
            (second.old, second.new),
            (Level::Emergency, Level::SelfCare)
        );
        assert!(
            second
                .relevelled
                .iter()
                .any(|r| r.rule == "emergency.chest_pain"
                    && r.old == Level::Emergency
                    && r.new == Level::SelfCare)
        );
    }

    #[test]
    fn a_course_without_checkins_is_one_decision() {
        let shipped = Guideline::shipped();
        let course = Course {
            checkins: Vec::new(),
            ..chest_pain_course()
        };
        let replayed = replay(&shipped, &shipped, &course);
        assert_eq!(replayed.len(), 1);
        assert_eq!(replayed[0].checkin, None);
    }

    #[test]
    fn downgrades_sort_before_upgrades() {
        let mut directions = vec![Direction::Same, Direction::Up, Direction::Down];
        directions.sort();
        assert_eq!(
            directions,
            [Direction::Down, Direction::Up, Direction::Same]
        );
    }
}
