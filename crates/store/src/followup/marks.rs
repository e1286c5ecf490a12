//! When the planner's last complete pass began, so that the next pass
//! reads what came after it instead of every course of the planning
//! window.

use crate::model::Millis;
use crate::now_millis;

/// When a planning pass began, on each of the two clocks that stamp what
/// it looks for. It is the pass's own start, not the newest row it finds:
/// a row stamped in the future (imported, or from an instance whose clock
/// runs ahead) must not move the next pass's starting point past rows
/// stamped now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanningMark {
    /// The service's clock, which stamps a treatment's record time
    /// (`created_at`); tests drive it by hand.
    pub service_time: Millis,
    /// The machine's clock, which stamps check-in ids: UUIDv7, whose text
    /// sorts by the millisecond they were made in.
    pub machine_time: Millis,
}

impl PlanningMark {
    /// A pass beginning now, at `service_time` on the service's clock.
    pub fn now(service_time: Millis) -> PlanningMark {
        PlanningMark {
            service_time,
            machine_time: now_millis(),
        }
    }

    /// The earliest record time of a treatment the next pass must read:
    /// `slack` before the mark, for treatments stamped before it and
    /// committed after it.
    pub fn treatments_from(&self, slack: Millis) -> Millis {
        self.service_time - slack
    }

    /// The lowest check-in id the next pass must read: the start of the
    /// millisecond `slack` before the mark.
    pub fn checkins_from(&self, slack: Millis) -> String {
        id_prefix_at((self.machine_time - slack).max(0))
    }
}

/// The first 13 characters of a UUIDv7 made at `millis`: every id made at
/// that millisecond or later sorts at or after it, every earlier one
/// before.
fn id_prefix_at(millis: Millis) -> String {
    format!("{:08x}-{:04x}", millis >> 16, millis & 0xffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id_made_at(millis: u64) -> String {
        uuid::Uuid::new_v7(uuid::Timestamp::from_unix(
            uuid::NoContext,
            millis / 1000,
            u32::try_from(millis % 1000).expect("under a thousand") * 1_000_000,
        ))
        .to_string()
    }

    #[test]
    fn the_bound_sorts_between_ids_made_before_and_after_it() {
        let mark = PlanningMark {
            service_time: 0,
            machine_time: 1_764_590_400_123,
        };
        let from = mark.checkins_from(5_000);
        assert!(
            id_made_at(1_764_590_395_123) >= from,
            "made exactly at the bound"
        );
        assert!(
            id_made_at(1_764_590_395_122) < from,
            "made a millisecond before"
        );
        assert!(id_made_at(1_764_590_400_123) >= from);
        assert_eq!(mark.checkins_from(0), id_made_at(1_764_590_400_123)[..13]);
    }

    #[test]
    fn a_mark_taken_now_bounds_the_ids_made_after_it_and_not_those_long_before() {
        let before = uuid::Uuid::now_v7().to_string();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let mark = PlanningMark::now(42);
        let after = uuid::Uuid::now_v7().to_string();
        let from = mark.checkins_from(10);
        assert!(before < from && after >= from, "{before} {from} {after}");
        assert_eq!(mark.treatments_from(2), 40);
    }
}
