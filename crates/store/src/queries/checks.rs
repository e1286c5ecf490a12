//! The checks a check-in must pass before it is stored: its time, and the
//! caps per course and per link per hour.

use aftercare_core::Checkin;

use crate::model::Millis;
use crate::{CheckinLimits, StoreError, millis_of};

/// One hour in milliseconds, the window of the per-link check-in cap.
pub(crate) const HOUR_MILLIS: i64 = 60 * 60 * 1000;

/// Refuses a check-in time in the future (beyond a little clock skew),
/// before the treatment, or before the course's last check-in.
pub(crate) fn check_checkin_time(
    checkin: &Checkin,
    treatment: &aftercare_core::Treatment,
    last: Option<&Checkin>,
    now: Millis,
) -> Result<(), StoreError> {
    if millis_of(checkin.at) > now + crate::MAX_CLOCK_SKEW_MILLIS {
        return Err(StoreError::Invalid {
            path: "at".to_owned(),
            expected: "a time that is not in the future".to_owned(),
        });
    }
    if checkin.at < treatment.at {
        return Err(StoreError::Invalid {
            path: "at".to_owned(),
            expected: format!("a time at or after the treatment ({})", treatment.at),
        });
    }
    if let Some(last) = last
        && checkin.at < last.at
    {
        return Err(StoreError::Invalid {
            path: "at".to_owned(),
            expected: format!("a time at or after the previous check-in ({})", last.at),
        });
    }
    Ok(())
}

/// Refuses a check-in when the course already holds as many as it may.
pub(crate) fn check_course_cap(
    limits: CheckinLimits,
    earlier_count: i64,
) -> Result<(), StoreError> {
    if earlier_count >= i64::from(limits.per_course) {
        return Err(StoreError::CourseFull {
            limit: limits.per_course,
        });
    }
    Ok(())
}

/// Refuses a check-in when the link received `recent` check-ins in the
/// last hour, the oldest of them at `oldest`, and that is the cap.
pub(crate) fn check_hourly_cap(
    limits: CheckinLimits,
    recent: i64,
    oldest: Option<Millis>,
    now: Millis,
) -> Result<(), StoreError> {
    if recent < i64::from(limits.per_link_per_hour) {
        return Ok(());
    }
    // One more is accepted once the oldest check-in of the hour leaves it.
    let wait_millis = oldest.map_or(HOUR_MILLIS, |oldest| oldest + HOUR_MILLIS - now);
    Err(StoreError::TooManyCheckins {
        limit: limits.per_link_per_hour,
        retry_after_secs: u64::try_from(wait_millis.max(1_000))
            .unwrap_or(3_600_000)
            .div_ceil(1_000),
    })
}
