//! Times on the wire and on pages: the store keeps Unix milliseconds, the
//! API speaks RFC 3339 in UTC like the check-in format, and pages show and
//! read times in the clinic's time zone ([`ClinicTime`]).

use aftercare_store::{ClinicId, Millis, Store, StoreError};
use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Unix milliseconds as an RFC 3339 UTC timestamp.
pub(crate) fn rfc3339(millis: Millis) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .ok()
        .and_then(|at| at.format(&Rfc3339).ok())
        // Only reachable for times beyond year 9999, which the store never holds.
        .unwrap_or_else(|| millis.to_string())
}

/// Optional Unix milliseconds as an optional RFC 3339 timestamp.
pub(crate) fn rfc3339_opt(millis: Option<Millis>) -> Option<String> {
    millis.map(rfc3339)
}

/// A clinic's clock: the IANA time zone its pages show times in and read
/// the times people type in. Every time shown carries the zone's
/// abbreviation or offset at that instant (`GMT`, `BST`, `+03`), so a
/// time on either side of a clock change reads right.
#[derive(Clone, Debug)]
pub(crate) struct ClinicTime {
    zone: TimeZone,
    name: String,
}

/// Why a typed local time could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LocalTimeError {
    /// Not a date and time such as `2026-11-20T15:00`.
    Unreadable,
    /// The clocks went forward over it: that time never happened here.
    Skipped,
}

impl ClinicTime {
    /// Coordinated Universal Time, for pages that belong to no clinic.
    pub(crate) fn utc() -> ClinicTime {
        ClinicTime {
            zone: TimeZone::UTC,
            name: "UTC".to_owned(),
        }
    }

    /// The zone of this IANA name; UTC for a name the time zone database
    /// does not know (the settings are checked when they are saved, so
    /// only a database edited by hand holds one).
    pub(crate) fn named(name: &str) -> ClinicTime {
        match TimeZone::get(name) {
            Ok(zone) => ClinicTime {
                zone,
                name: name.to_owned(),
            },
            Err(_) => ClinicTime::utc(),
        }
    }

    /// The clock of a clinic, from its follow-up settings.
    pub(crate) async fn of(store: &Store, clinic: &ClinicId) -> Result<ClinicTime, StoreError> {
        Ok(ClinicTime::named(
            &store.followup_settings(clinic).await?.time_zone,
        ))
    }

    /// The zone's IANA name, e.g. `Europe/London`.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// A time for people: `Mon 30 Nov 2026, 14:05 GMT`.
    pub(crate) fn when(&self, millis: Millis) -> String {
        jiff::Timestamp::from_millisecond(millis).map_or_else(
            // Only reachable for times the store never holds.
            |_| rfc3339(millis),
            |at| {
                at.to_zoned(self.zone.clone())
                    .strftime("%a %-d %b %Y, %H:%M %Z")
                    .to_string()
            },
        )
    }

    /// The date here, e.g. `2026-11-30` (for file names).
    pub(crate) fn day(&self, millis: Millis) -> String {
        jiff::Timestamp::from_millisecond(millis)
            .map(|at| at.to_zoned(self.zone.clone()))
            .map(|at| at.strftime("%Y-%m-%d").to_string())
            .unwrap_or_default()
    }

    /// The text of a `datetime-local` input for an instant: the wall
    /// clock time here, e.g. `2026-11-30T14:05`.
    pub(crate) fn input(&self, millis: Millis) -> String {
        jiff::Timestamp::from_millisecond(millis)
            .map(|at| at.to_zoned(self.zone.clone()))
            .map(|at| at.strftime("%Y-%m-%dT%H:%M").to_string())
            .unwrap_or_default()
    }

    /// Reads a wall clock time typed here (`2026-11-20T15:00`, seconds
    /// ignored). A time the clocks skipped (the hour lost when summer
    /// time starts) is refused, since it is a slip; a time that happened
    /// twice (the hour repeated when it ends) is taken as the first, the
    /// earlier instant (jiff's "compatible" choice).
    pub(crate) fn read_input(&self, text: &str) -> Result<Millis, LocalTimeError> {
        let text = text.trim();
        let text = text.get(..16).unwrap_or(text);
        if text.len() != 16 || text.as_bytes().get(10) != Some(&b'T') {
            return Err(LocalTimeError::Unreadable);
        }
        let civil: DateTime = text.parse().map_err(|_| LocalTimeError::Unreadable)?;
        let ambiguous = self.zone.to_ambiguous_timestamp(civil);
        if matches!(ambiguous.offset(), AmbiguousOffset::Gap { .. }) {
            return Err(LocalTimeError::Skipped);
        }
        ambiguous
            .compatible()
            .map(jiff::Timestamp::as_millisecond)
            .map_err(|_| LocalTimeError::Unreadable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-07-01T09:00:00Z.
    const SUMMER_NINE_UTC: Millis = 1_782_896_400_000;

    #[test]
    fn a_summer_time_in_london_is_an_hour_ahead_of_utc() {
        let london = ClinicTime::named("Europe/London");
        assert_eq!(london.read_input("2026-07-01T10:00"), Ok(SUMMER_NINE_UTC));
        assert_eq!(london.input(SUMMER_NINE_UTC), "2026-07-01T10:00");
        assert_eq!(london.when(SUMMER_NINE_UTC), "Wed 1 Jul 2026, 10:00 BST");
        assert_eq!(
            ClinicTime::utc().when(SUMMER_NINE_UTC),
            "Wed 1 Jul 2026, 09:00 UTC"
        );
    }

    #[test]
    fn a_skipped_time_is_refused_and_a_repeated_one_is_the_first() {
        let london = ClinicTime::named("Europe/London");
        // 29 March 2026: 01:00 GMT becomes 02:00 BST.
        assert_eq!(
            london.read_input("2026-03-29T01:30"),
            Err(LocalTimeError::Skipped)
        );
        // 25 October 2026: 02:00 BST becomes 01:00 GMT; 01:30 happens twice.
        let first = london.read_input("2026-10-25T01:30").expect("a time");
        assert_eq!(rfc3339(first), "2026-10-25T00:30:00Z");
        assert_eq!(london.when(first), "Sun 25 Oct 2026, 01:30 BST");
    }

    #[test]
    fn unreadable_times_and_unknown_zones_do_not_panic() {
        let london = ClinicTime::named("Europe/London");
        for text in [
            "",
            "2026-07-01",
            "2026-13-01T10:00",
            "2026-07-01 10:00",
            "yesterday",
            "2026-07-01T10:0é",
        ] {
            assert_eq!(
                london.read_input(text),
                Err(LocalTimeError::Unreadable),
                "{text}"
            );
        }
        assert_eq!(ClinicTime::named("Mars/Olympus").name(), "UTC");
        assert_eq!(london.when(Millis::MAX), rfc3339(Millis::MAX));
    }
}
