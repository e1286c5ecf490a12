//! Courses the check-in writer has just written, kept for its next group.
//!
//! Without it every check-in re-read and re-parsed all of its course's
//! earlier check-ins and triage walked them all again, so a long course
//! cost many times a short one. The writer keeps, per course, the
//! check-ins it knows, their idempotency keys and arrival times, and the
//! triage engine's [`CourseMemory`]; the next check-in on that course
//! reads none of them again and triage walks only the new one.
//!
//! An entry is trusted only while the course's check-in count in the
//! database (read under the group's lock) is the one the entry was kept
//! with, and the treatment's details are unchanged: check-ins are only
//! ever appended (erasure removes the whole course), so the count tells
//! whether another instance or another path has written to the course
//! since. Entries are taken out while a group uses them and put back only
//! after its commit, so nothing uncommitted is ever remembered.

use std::collections::HashMap;
use std::sync::Mutex;

use aftercare_core::{Checkin, CourseMemory, Treatment as TreatmentDetails};

use crate::model::Millis;

/// Courses kept at most; the least recently used go first.
const CAPACITY: usize = 2048;

/// One course as the writer last left it.
pub(crate) struct CachedCourse {
    /// The treatment's details it was triaged with.
    pub details: TreatmentDetails,
    /// Every check-in, in course order.
    pub checkins: Vec<Checkin>,
    /// Their idempotency keys.
    pub keys: Vec<Option<String>>,
    /// When each arrived.
    pub received: Vec<Millis>,
    /// What triage remembers of the course.
    pub memory: CourseMemory,
}

struct Entry {
    course: CachedCourse,
    /// When it was last put back, in puts.
    used: u64,
}

#[derive(Default)]
struct Entries {
    by_treatment: HashMap<String, Entry>,
    puts: u64,
}

/// The writer's courses, shared by every clone of a store.
#[derive(Default)]
pub(crate) struct CourseCache {
    entries: Mutex<Entries>,
}

impl std::fmt::Debug for CourseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CourseCache")
    }
}

impl CourseCache {
    /// Takes out the course kept for `treatment_id` if it still is the
    /// stored one: `count` check-ins and the same treatment details.
    pub(crate) fn take(
        &self,
        treatment_id: &str,
        count: i64,
        details: &TreatmentDetails,
    ) -> Option<CachedCourse> {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = entries.by_treatment.remove(treatment_id)?;
        let current = i64::try_from(entry.course.checkins.len()).ok() == Some(count)
            && entry.course.details == *details;
        current.then_some(entry.course)
    }

    /// Keeps courses as a committed group left them.
    pub(crate) fn put_back(&self, courses: impl IntoIterator<Item = (String, CachedCourse)>) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (treatment_id, course) in courses {
            entries.puts += 1;
            let used = entries.puts;
            entries
                .by_treatment
                .insert(treatment_id, Entry { course, used });
        }
        if entries.by_treatment.len() > CAPACITY {
            // Drop the least recently used quarter at once, so a full
            // cache sorts rarely.
            let mut uses: Vec<u64> = entries.by_treatment.values().map(|e| e.used).collect();
            let cut = uses.len() - CAPACITY * 3 / 4;
            let (_, &mut oldest_kept, _) = uses.select_nth_unstable(cut);
            entries
                .by_treatment
                .retain(|_, entry| entry.used >= oldest_kept);
        }
    }

    /// How many courses are kept (for tests).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .by_treatment
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::{CAPACITY, CachedCourse, CourseCache};

    fn course(checkins: usize) -> CachedCourse {
        let details: aftercare_core::Treatment =
            serde_json::from_str(r#"{"at":"2026-11-20T10:00:00Z","modality":"deep_tissue"}"#)
                .expect("a treatment");
        let checkin: aftercare_core::Checkin =
            serde_json::from_str(r#"{"at":"2026-11-20T20:00:00Z","symptoms":[]}"#)
                .expect("a check-in");
        CachedCourse {
            details,
            checkins: vec![checkin; checkins],
            keys: vec![None; checkins],
            received: vec![0; checkins],
            memory: aftercare_core::CourseMemory::default(),
        }
    }

    #[test]
    fn a_course_is_given_back_only_while_it_is_the_stored_one() {
        let cache = CourseCache::default();
        let kept = course(2);
        let details = kept.details.clone();
        cache.put_back([("t".to_owned(), kept)]);
        assert!(cache.take("t", 3, &details).is_none(), "another count");
        cache.put_back([("t".to_owned(), course(2))]);
        let mut corrected = details.clone();
        corrected.duration_min = serde_json::from_str("30").ok();
        assert!(
            cache.take("t", 2, &corrected).is_none(),
            "corrected details"
        );
        cache.put_back([("t".to_owned(), course(2))]);
        assert!(cache.take("t", 2, &details).is_some());
        assert!(
            cache.take("t", 2, &details).is_none(),
            "taken out while in use"
        );
    }

    #[test]
    fn a_full_cache_forgets_the_least_recently_used() {
        let cache = CourseCache::default();
        for n in 0..=CAPACITY {
            cache.put_back([(format!("t{n}"), course(1))]);
        }
        assert!(cache.len() <= CAPACITY);
        let details = course(1).details;
        assert!(cache.take("t0", 1, &details).is_none(), "the oldest went");
        assert!(cache.take(&format!("t{CAPACITY}"), 1, &details).is_some());
    }
}
