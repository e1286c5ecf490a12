//! Where planning stood at the start of the planner's last complete pass,
//! so that the next pass reads what came after it instead of every course
//! of the planning window.

use sqlx::Row;

use crate::model::Millis;
use crate::{Store, StoreError};

/// The newest treatment and the newest check-in when a planning pass began.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlanningMark {
    /// The newest treatment's record time (`created_at`), if there is one.
    pub newest_treatment: Option<Millis>,
    /// The newest check-in's id, if there is one. Check-in ids are UUIDv7:
    /// their text sorts by the millisecond they were made in.
    pub newest_checkin: Option<String>,
}

impl PlanningMark {
    /// The earliest record time a treatment new since the mark can have:
    /// `slack` before the newest one, for treatments stamped before the
    /// mark was read and committed after it.
    pub fn treatments_from(&self, slack: Millis) -> Option<Millis> {
        self.newest_treatment.map(|at| at - slack)
    }

    /// The lowest id a check-in stored since the mark can have: the start
    /// of the millisecond `slack` before the newest one's. `None` when the
    /// newest id tells no time (not a UUIDv7): then nothing can be left
    /// out. With no check-in at the mark, every check-in is new.
    pub fn checkins_from(&self, slack: Millis) -> Option<String> {
        let Some(newest) = self.newest_checkin.as_deref() else {
            return Some(String::new());
        };
        let (seconds, nanos) = uuid::Uuid::parse_str(newest)
            .ok()?
            .get_timestamp()?
            .to_unix();
        let millis = i64::try_from(seconds).ok()? * 1000 + i64::from(nanos / 1_000_000);
        Some(id_prefix_at(millis.saturating_sub(slack).max(0)))
    }
}

/// The first 13 characters of a UUIDv7 made at `millis`: every id made at
/// that millisecond or later sorts at or after it, every earlier one
/// before.
fn id_prefix_at(millis: Millis) -> String {
    format!("{:08x}-{:04x}", millis >> 16, millis & 0xffff)
}

impl Store {
    /// Where planning stands now: read at the start of a planning pass,
    /// it becomes the next pass's starting point once this one is done.
    /// Both are one step down an index.
    pub async fn planning_mark(&self) -> Result<PlanningMark, StoreError> {
        let row = sqlx::query(
            "SELECT (SELECT MAX(created_at) FROM treatments) AS newest_treatment, \
             (SELECT MAX(id) FROM checkins) AS newest_checkin",
        )
        .fetch_one(self.pool())
        .await?;
        Ok(PlanningMark {
            newest_treatment: row.try_get("newest_treatment")?,
            newest_checkin: row.try_get("newest_checkin")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bound_sorts_between_ids_made_before_and_after_it() {
        let at = |millis: u64| {
            uuid::Uuid::new_v7(uuid::Timestamp::from_unix(
                uuid::NoContext,
                millis / 1000,
                u32::try_from(millis % 1000).expect("under a thousand") * 1_000_000,
            ))
            .to_string()
        };
        let newest = at(1_764_590_400_123);
        let mark = PlanningMark {
            newest_treatment: None,
            newest_checkin: Some(newest.clone()),
        };
        let from = mark.checkins_from(5_000).expect("a bound");
        assert!(at(1_764_590_395_123) >= from, "made exactly at the bound");
        assert!(at(1_764_590_395_122) < from, "made a millisecond before");
        assert!(newest >= from);
        assert_eq!(mark.checkins_from(0).expect("a bound"), newest[..13]);
    }

    #[test]
    fn with_no_checkin_at_the_mark_every_checkin_is_new_and_a_foreign_id_bounds_nothing() {
        assert_eq!(
            PlanningMark::default().checkins_from(5_000).as_deref(),
            Some("")
        );
        assert_eq!(PlanningMark::default().treatments_from(5_000), None);
        let foreign = PlanningMark {
            newest_treatment: Some(10_000),
            newest_checkin: Some("not-an-id".into()),
        };
        assert_eq!(foreign.checkins_from(5_000), None);
        assert_eq!(foreign.treatments_from(5_000), Some(5_000));
    }
}
