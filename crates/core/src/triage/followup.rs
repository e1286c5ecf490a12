//! When to ask for the next check-in.

use super::facts::Facts;
use crate::guideline::Followup;
use crate::vocabulary::Level;

/// Hours from the last check-in to the next one, or `None` when the course
/// can stop: nothing active and no red flag open (or only expected, fading
/// symptoms) once the
/// guideline's "clear after" time has passed.
///
/// While symptoms are active the wait is the shorter of the next planned
/// check-in and the level's active interval, so people are asked sooner
/// while something is going on and beyond the plan while it lasts.
pub(super) fn next_checkin_hours(
    followup: &Followup,
    level: Level,
    facts: &Facts,
    open_red_flags: bool,
) -> Option<u32> {
    let hours = facts.hours_since_treatment;
    let next_planned = followup
        .plan_hours
        .iter()
        .map(|&planned| f64::from(planned) - hours)
        .find(|&wait| wait > 0.0)
        .map(|wait| wait.ceil().max(1.0) as u32);
    let past_clear_time =
        facts.last.is_some() && hours >= f64::from(followup.stop_when_clear_after_hours);
    // An open red flag keeps the follow-up going until it is reported
    // gone or seen by a clinician.
    let active = !facts.present_kinds.is_empty() || open_red_flags;
    if !active {
        return if past_clear_time { None } else { next_planned };
    }
    if past_clear_time && level == Level::Expected && facts.all_fading() {
        return None;
    }
    let interval = followup.active_interval_hours[level.index()];
    Some(next_planned.map_or(interval, |wait| wait.min(interval)))
}
