//! The scheduler's decisions, as pure functions of the settings, the
//! course's state and the time: when to invite, when to remind, when to
//! stop, when to retry. No I/O here, so every rule is tested directly.

use aftercare_store::{Channel, FollowupSettings, Millis, NewInvitation, NewMessage, PlanNext};
use jiff::Timestamp;
use jiff::tz::TimeZone;

const MINUTE: Millis = 60 * 1000;
const HOUR: Millis = 60 * MINUTE;

/// How to reach a client, if they can be reached.
pub(crate) fn client_route(
    settings: &FollowupSettings,
    email_enabled: bool,
    email: Option<&str>,
    phone: Option<&str>,
) -> Option<(Channel, Option<String>)> {
    let by_email = || {
        email
            .filter(|_| email_enabled)
            .map(|address| (Channel::Email, Some(address.to_owned())))
    };
    let by_webhook = || {
        settings
            .webhook_url
            .as_ref()
            .map(|_| (Channel::Webhook, phone.or(email).map(str::to_owned)))
    };
    match settings.client_channel {
        Channel::Email => by_email().or_else(by_webhook),
        Channel::Webhook => by_webhook().or_else(by_email),
    }
}

/// The first planned check-in after `after` (exclusive) that can still be
/// answered at `now`, as a time.
pub(crate) fn next_planned(
    settings: &FollowupSettings,
    plan_hours: &[u32],
    treatment_at: Millis,
    after: Millis,
    now: Millis,
) -> Option<Millis> {
    let expiry = i64::from(settings.invitation_expiry_hours) * HOUR;
    plan_hours
        .iter()
        .map(|&hours| treatment_at + i64::from(hours) * HOUR)
        .find(|&due| due > after && due + expiry > now)
}

/// The first time at or after `at` outside the clinic's quiet hours, in
/// its time zone. An unknown zone counts as UTC (settings are checked when
/// saved, so this only guards against a zone database change).
pub(crate) fn outside_quiet_hours(settings: &FollowupSettings, at: Millis) -> Millis {
    let (start, end) = (settings.quiet_start_minute, settings.quiet_end_minute);
    if start == end {
        return at;
    }
    let zone = TimeZone::get(&settings.time_zone).unwrap_or(TimeZone::UTC);
    let Ok(timestamp) = Timestamp::from_millisecond(at) else {
        return at;
    };
    let local = timestamp.to_zoned(zone.clone());
    let minute =
        u32::from(local.hour().unsigned_abs()) * 60 + u32::from(local.minute().unsigned_abs());
    let quiet = if start < end {
        minute >= start && minute < end
    } else {
        minute >= start || minute < end
    };
    if !quiet {
        return at;
    }
    // The quiet time ends today when it started yesterday evening (or
    // lies within today), else tomorrow morning.
    let ends_today = if start < end { true } else { minute < end };
    let date = if ends_today {
        local.date()
    } else {
        local.date().tomorrow().unwrap_or(local.date())
    };
    let end_hour = i8::try_from(end / 60).unwrap_or(0);
    let end_minute = i8::try_from(end % 60).unwrap_or(0);
    date.at(end_hour, end_minute, 0, 0)
        .to_zoned(zone)
        .map_or(at, |end| end.timestamp().as_millisecond())
        .max(at)
}

/// An invitation due at `due` (moved out of quiet hours), with its
/// reminders, each also moved out of quiet hours and dropped when it would
/// come after the invitation lapses.
pub(crate) fn invitation(
    settings: &FollowupSettings,
    due: Millis,
    channel: Channel,
    recipient: Option<&str>,
) -> NewInvitation {
    let due = outside_quiet_hours(settings, due);
    let expires_at = due + i64::from(settings.invitation_expiry_hours) * HOUR;
    let mut messages = vec![NewMessage {
        kind: aftercare_store::MessageKind::Invitation,
        channel,
        recipient: recipient.map(str::to_owned),
        high_priority: false,
        due_at: due,
        dedupe_key: "invitation".to_owned(),
    }];
    let delay = i64::from(settings.reminder_delay_minutes) * MINUTE;
    for number in 1..=settings.reminder_count {
        let at = outside_quiet_hours(settings, due + i64::from(number) * delay);
        if at >= expires_at {
            break;
        }
        messages.push(NewMessage {
            kind: aftercare_store::MessageKind::Reminder,
            channel,
            recipient: recipient.map(str::to_owned),
            high_priority: false,
            due_at: at,
            dedupe_key: format!("reminder:{number}"),
        });
    }
    NewInvitation {
        due_at: due,
        expires_at,
        messages,
    }
}

/// The next step of a plan after the latest check-in: stop when the
/// engine says no further check-in is needed, else the sooner of the
/// engine's next check-in and the plan's next one.
pub(crate) fn after_checkin(
    settings: &FollowupSettings,
    plan_hours: &[u32],
    treatment_at: Millis,
    checkin_at: Millis,
    engine_next_hours: Option<u32>,
    now: Millis,
) -> Option<Millis> {
    let engine_due = checkin_at + i64::from(engine_next_hours?) * HOUR;
    let planned = next_planned(settings, plan_hours, treatment_at, checkin_at, now);
    Some(planned.map_or(engine_due, |planned| planned.min(engine_due)))
}

/// When to try a failed message again: 30 s doubling per attempt, at most
/// an hour, spread by up to a fifth either way so that many retries do not
/// hit a receiver at the same instant.
pub(crate) fn retry_at(now: Millis, attempts: i64, jitter: f64) -> Millis {
    let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    let base = (30_000_i64.saturating_mul(1_i64 << exponent)).min(HOUR);
    let spread = (base as f64 * 0.2 * jitter.clamp(-1.0, 1.0)) as i64;
    now + base + spread
}

/// Messages for practitioners (an alert, an escalation, a missed
/// check-in): one email to each address when email is on, and one webhook
/// when the clinic has one. Never held back by quiet hours.
pub(crate) fn practitioner_messages(
    settings: &FollowupSettings,
    email_enabled: bool,
    kind: aftercare_store::MessageKind,
    emails: &[String],
    high_priority: bool,
    key: &str,
    due: Millis,
) -> Vec<NewMessage> {
    let mut messages = Vec::new();
    if email_enabled {
        for (number, address) in emails.iter().enumerate() {
            messages.push(NewMessage {
                kind,
                channel: Channel::Email,
                recipient: Some(address.clone()),
                high_priority,
                due_at: due,
                dedupe_key: format!("{key}:email:{number}"),
            });
        }
    }
    if settings.webhook_url.is_some() {
        messages.push(NewMessage {
            kind,
            channel: Channel::Webhook,
            recipient: None,
            high_priority,
            due_at: due,
            dedupe_key: format!("{key}:webhook"),
        });
    }
    messages
}

/// The first step of a plan: close it when the client did not consent or
/// cannot be reached, else invite at the first planned time still open.
pub(crate) fn first_step(
    settings: &FollowupSettings,
    plan_hours: &[u32],
    route: Option<(Channel, Option<String>)>,
    consented: bool,
    treatment_at: Millis,
    now: Millis,
) -> PlanNext {
    if !consented {
        return PlanNext::Close("no_consent");
    }
    let Some((channel, recipient)) = route else {
        return PlanNext::Close("no_channel");
    };
    match next_planned(settings, plan_hours, treatment_at, Millis::MIN, now) {
        Some(due) => PlanNext::Invite(invitation(
            settings,
            due.max(now),
            channel,
            recipient.as_deref(),
        )),
        None => PlanNext::Close("plan_complete"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Millis {
        text.parse::<Timestamp>()
            .expect("a timestamp")
            .as_millisecond()
    }

    fn settings_in(zone: &str) -> FollowupSettings {
        FollowupSettings {
            time_zone: zone.to_owned(),
            ..FollowupSettings::default()
        }
    }

    #[test]
    fn a_message_due_at_night_waits_for_the_morning_in_the_clinics_zone() {
        // 23:30 in Berlin (winter, UTC+1) is 22:30 UTC; the quiet time ends at
        // 08:00 Berlin, 07:00 UTC, the next day.
        let settings = settings_in("Europe/Berlin");
        assert_eq!(
            outside_quiet_hours(&settings, at("2026-01-10T22:30:00Z")),
            at("2026-01-11T07:00:00Z")
        );
        // 05:00 Berlin is 04:00 UTC: the same morning.
        assert_eq!(
            outside_quiet_hours(&settings, at("2026-01-11T04:00:00Z")),
            at("2026-01-11T07:00:00Z")
        );
    }

    #[test]
    fn a_message_due_in_the_day_is_not_moved() {
        let settings = settings_in("Europe/Berlin");
        let noon = at("2026-01-10T11:00:00Z");
        assert_eq!(outside_quiet_hours(&settings, noon), noon);
        // 20:59 Berlin is still allowed; 21:00 is not.
        let evening = at("2026-01-10T19:59:00Z");
        assert_eq!(outside_quiet_hours(&settings, evening), evening);
        assert_ne!(
            outside_quiet_hours(&settings, at("2026-01-10T20:00:00Z")),
            at("2026-01-10T20:00:00Z")
        );
    }

    #[test]
    fn equal_start_and_end_means_no_quiet_time() {
        let settings = FollowupSettings {
            quiet_start_minute: 0,
            quiet_end_minute: 0,
            ..FollowupSettings::default()
        };
        let night = at("2026-01-10T02:00:00Z");
        assert_eq!(outside_quiet_hours(&settings, night), night);
    }

    #[test]
    fn a_daytime_quiet_window_ends_the_same_day() {
        let settings = FollowupSettings {
            quiet_start_minute: 12 * 60,
            quiet_end_minute: 14 * 60,
            ..FollowupSettings::default()
        };
        assert_eq!(
            outside_quiet_hours(&settings, at("2026-01-10T12:30:00Z")),
            at("2026-01-10T14:00:00Z")
        );
    }

    #[test]
    fn reminders_that_would_come_after_the_invitation_lapses_are_dropped() {
        let settings = FollowupSettings {
            quiet_start_minute: 0,
            quiet_end_minute: 0,
            reminder_count: 3,
            reminder_delay_minutes: 10 * 60,
            invitation_expiry_hours: 24,
            ..FollowupSettings::default()
        };
        let made = invitation(&settings, 0, Channel::Email, None);
        // At 10 h and 20 h; 30 h is past the 24 h expiry.
        let times: Vec<Millis> = made.messages.iter().map(|m| m.due_at).collect();
        assert_eq!(times, vec![0, 10 * HOUR, 20 * HOUR]);
    }

    #[test]
    fn the_engines_sooner_check_in_wins_over_the_plan() {
        let settings = FollowupSettings::default();
        let plan = [6, 24, 72, 168];
        // Check-in at 30 h, engine asks again in 12 h: 42 h, before 72 h.
        assert_eq!(
            after_checkin(&settings, &plan, 0, 30 * HOUR, Some(12), 30 * HOUR),
            Some(42 * HOUR)
        );
        // Engine asks in 48 h: the plan's 72 h comes first.
        assert_eq!(
            after_checkin(&settings, &plan, 0, 30 * HOUR, Some(48), 30 * HOUR),
            Some(72 * HOUR)
        );
        // Engine says no further check-in: stop.
        assert_eq!(
            after_checkin(&settings, &plan, 0, 80 * HOUR, None, 80 * HOUR),
            None
        );
        // Past the plan's end, while something is active: the engine's time.
        assert_eq!(
            after_checkin(&settings, &plan, 0, 170 * HOUR, Some(24), 170 * HOUR),
            Some(194 * HOUR)
        );
    }

    #[test]
    fn a_planned_check_in_that_has_lapsed_is_skipped() {
        let settings = FollowupSettings::default();
        let plan = [6, 24, 72, 168];
        // Planned late: at 40 h the 24 h invitation (lapsing at 48 h) still
        // counts; at 50 h it does not.
        assert_eq!(
            next_planned(&settings, &plan, 0, 0, 40 * HOUR),
            Some(24 * HOUR)
        );
        assert_eq!(
            next_planned(&settings, &plan, 0, 0, 50 * HOUR),
            Some(72 * HOUR)
        );
        assert_eq!(next_planned(&settings, &plan, 0, 0, 200 * HOUR), None);
    }

    #[test]
    fn retries_back_off_and_stay_within_an_hour() {
        assert_eq!(retry_at(0, 1, 0.0), 30_000);
        assert_eq!(retry_at(0, 2, 0.0), 60_000);
        assert_eq!(retry_at(0, 30, 0.0), HOUR);
        let spread = retry_at(0, 1, 1.0);
        assert_eq!(spread, 36_000);
    }
}
