//! Safety property 1 on the probes, for any guideline: more evidence in
//! the last check-in of a red-flag probe never gives a lower level. The
//! property tests check it on random courses for the shipped guideline;
//! this is the part that runs wherever a guideline is loaded, so that a
//! clinic's own rules (a `not`, or `warm_or_red = false`, above
//! `expected`) cannot quietly let an added symptom lower a decision.

use crate::course::{Course, Symptom};
use crate::guideline::Guideline;
use crate::triage::triage;
use crate::vocabulary::{Frequency, Interference, Level, Severity, SymptomKind};

use super::probes;

/// A change that added evidence to a probe and lowered its level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonotonicityViolation {
    /// The probe.
    pub probe: &'static str,
    /// What was added to its last check-in.
    pub change: String,
    /// The level before.
    pub before: Level,
    /// The level after.
    pub after: Level,
}

impl std::fmt::Display for MonotonicityViolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} lowered the level from `{}` to `{}`",
            self.probe, self.change, self.before, self.after
        )
    }
}

/// For every probe: each symptom kind added to its last check-in, and for
/// each symptom there a higher severity (when one is stated), frequency or
/// interference, or `painful`, `warm_or_red` or a fainting answer stated
/// yes. Returns the changes that lowered the level.
pub fn check_monotonic(guideline: &Guideline) -> Vec<MonotonicityViolation> {
    let mut violations = Vec::new();
    for probe in probes() {
        // The probe, and its last check-in alone: a red flag opened by an
        // earlier check-in is carried, and would hide what the rules do
        // with the last one.
        let mut courses = vec![probe.course.clone()];
        if probe.course.checkins.len() > 1 {
            let mut alone = probe.course.clone();
            alone.checkins.drain(..alone.checkins.len() - 1);
            courses.push(alone);
        }
        for course in &courses {
            let before = triage(guideline, course).level;
            for (change, more) in more_evidence(course) {
                let after = triage(guideline, &more).level;
                if after < before {
                    violations.push(MonotonicityViolation {
                        probe: probe.name,
                        change,
                        before,
                        after,
                    });
                }
            }
        }
    }
    violations
}

/// The course with one piece of evidence more in its last check-in, each
/// named.
fn more_evidence(course: &Course) -> Vec<(String, Course)> {
    let Some(last) = course.checkins.last() else {
        return Vec::new();
    };
    let mut changed = Vec::new();
    let mut with = |change: String, edit: &dyn Fn(&mut Vec<Symptom>)| {
        let mut course = course.clone();
        if let Some(last) = course.checkins.last_mut() {
            edit(&mut last.symptoms);
        }
        changed.push((change, course));
    };
    for &kind in SymptomKind::ALL {
        with(format!("adding `{}`", kind.as_str()), &|symptoms| {
            symptoms.push(Symptom::new(kind));
        });
    }
    for (index, symptom) in last.symptoms.iter().enumerate() {
        let name = symptom.kind.as_str();
        if let Some(now) = symptom.severity {
            for &to in Severity::ALL.iter().filter(|&&to| to > now) {
                with(format!("`{name}` severity `{}`", to.as_str()), &|s| {
                    s[index].severity = Some(to);
                });
            }
        }
        for &to in Frequency::ALL[1..]
            .iter()
            .filter(|&&to| symptom.frequency.is_none_or(|now| to > now))
        {
            with(format!("`{name}` frequency `{}`", to.as_str()), &|s| {
                s[index].frequency = Some(to);
            });
        }
        for &to in Interference::ALL[1..]
            .iter()
            .filter(|&&to| symptom.interference.is_none_or(|now| to > now))
        {
            with(format!("`{name}` interference `{}`", to.as_str()), &|s| {
                s[index].interference = Some(to);
            });
        }
        with(format!("`{name}` painful"), &|s| {
            s[index].painful = Some(true);
        });
        with(format!("`{name}` warm or red"), &|s| {
            s[index].warm_or_red = Some(true);
        });
        if symptom.kind == SymptomKind::Fainting {
            for (answer, _) in symptom.fainting_answers() {
                with(format!("`{name}` {answer}"), &|s| {
                    let fainting = &mut s[index];
                    let field = match answer {
                        "while_lying_down" => &mut fainting.while_lying_down,
                        "while_exercising" => &mut fainting.while_exercising,
                        "seizure" => &mut fainting.seizure,
                        _ => &mut fainting.injured,
                    };
                    *field = Some(true);
                });
            }
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_that_stops_firing_on_more_evidence_is_found() {
        // A rule that gives `emergency` to anything but tiredness: adding
        // tiredness to a probe below `emergency` lowers its decision.
        let text = crate::guideline::SHIPPED_TOML.to_owned()
            + r#"
[[rule]]
id = "emergency.anything_but_tiredness"
level = "emergency"
sources = ["guidance:G4"]
why = "probe"
when.all = [{ symptom = "any" }, { not = { symptom = "fatigue" } }]
"#;
        let guideline = Guideline::from_toml(&text).expect("a guideline");
        let violations = check_monotonic(&guideline);
        assert!(
            violations.iter().any(|v| v.change == "adding `fatigue`"
                && v.before == Level::Emergency
                && v.after < Level::Emergency),
            "{violations:?}"
        );
        assert!(
            violations.iter().all(|v| v.change == "adding `fatigue`"),
            "only tiredness lowers anything: {violations:?}"
        );
    }
}
