//! Times on the wire: the store keeps Unix milliseconds, the API speaks
//! RFC 3339 in UTC like the check-in format.

use aftercare_store::Millis;
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
