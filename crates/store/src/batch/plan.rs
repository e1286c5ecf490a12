//! Group planning shared by the sqlx writer and [`crate::sqlite_writer`]:
//! what a group knows about each course, and the pure checks and triage
//! that decide what a group writes and answers.

use std::collections::HashMap;

use aftercare_core::{Course, CourseMemory, Guideline, triage_remembering};

use super::{Answers, KeptCourses, Submission};
use crate::StoreError;
use crate::course_cache::{CachedCourse, CourseCache};
use crate::model::{
    Alert, AlertId, CheckinId, Millis, StoredCheckin, StoredDecision, Submitted, Treatment,
    TreatmentId,
};
use crate::queries::{
    HOUR_MILLIS, check_checkin_time, check_course_cap, check_hourly_cap, new_decision,
};

/// What the group transaction knows about one course.
pub(crate) struct CourseState {
    treatment: Treatment,
    course: Course,
    /// Stored and newly written check-ins with their idempotency keys, by
    /// position, for replays.
    keys: Vec<Option<String>>,
    /// When each check-in arrived, by position, for the hourly cap.
    received: Vec<Millis>,
    /// What triage remembers of the course (see [`CourseMemory`]).
    memory: CourseMemory,
    /// Check-ins this group adds.
    added: usize,
}

/// A check-in this group will insert, with what goes with it.
pub(crate) struct Written {
    pub checkin: StoredCheckin,
    pub decision: StoredDecision,
    pub alert: Option<Alert>,
    pub clinic_id: String,
    pub body: String,
    pub idempotency_key: Option<String>,
}

/// Where a submission's answer comes from.
pub(crate) enum Outcome {
    Failed(StoreError),
    /// A replay of a check-in stored before this group, still to be read.
    Earlier(TreatmentId, i64),
    /// A replay of a check-in stored before this group, read.
    Replay(Box<Submitted>),
    /// The n-th entry of `written`.
    Written(usize, bool),
}

/// A course as a group reads it: its treatment, link and check-in count.
pub(crate) struct CourseRow {
    pub treatment: Treatment,
    pub link_hash: String,
    pub checkin_count: i64,
}

/// What a group plans to write and answer, before any of it is written.
pub(crate) struct Plan {
    pub courses: HashMap<String, CourseState>,
    pub outcomes: Vec<Outcome>,
    pub written: Vec<Written>,
}

impl Plan {
    /// How many check-ins each grown course gains: its counter's increment.
    pub(crate) fn grown(&self) -> Vec<(&TreatmentId, i64)> {
        self.courses
            .values()
            .filter(|state| state.added > 0)
            .map(|state| (&state.treatment.id, seq_of(state.added)))
            .collect()
    }

    /// One answer per submission, in order, once the plan is written; and
    /// the courses as the group leaves them, for the writer's cache once
    /// the group has committed.
    pub(crate) fn answers(self) -> (Answers, KeptCourses) {
        let kept = self
            .courses
            .into_values()
            .map(|state| {
                (
                    state.treatment.id.as_str().to_owned(),
                    CachedCourse {
                        details: state.course.treatment,
                        checkins: state.course.checkins,
                        keys: state.keys,
                        received: state.received,
                        memory: state.memory,
                    },
                )
            })
            .collect();
        let written = self.written;
        let answers = self
            .outcomes
            .into_iter()
            .map(|outcome| match outcome {
                Outcome::Failed(error) => Err(error),
                Outcome::Earlier(..) => Err(StoreError::Corrupt(
                    "a replayed check-in was not read back".into(),
                )),
                Outcome::Replay(submitted) => Ok(*submitted),
                Outcome::Written(index, replayed) => {
                    let entry = &written[index];
                    Ok(Submitted {
                        checkin: entry.checkin.clone(),
                        decision: entry.decision.clone(),
                        alert: entry.alert.clone(),
                        replayed,
                    })
                }
            })
            .collect();
        (answers, kept)
    }
}

/// The courses a group's submissions name, by link hash, each as the
/// writer's cache kept it when it still is the stored course; and the ids
/// of the others with earlier check-ins to read.
pub(crate) fn course_states(
    rows: Vec<CourseRow>,
    cache: &CourseCache,
) -> (HashMap<String, CourseState>, Vec<String>) {
    let mut courses = HashMap::with_capacity(rows.len());
    let mut with_history = Vec::new();
    for row in rows {
        let id = row.treatment.id.as_str();
        let cached = (row.checkin_count > 0)
            .then(|| cache.take(id, row.checkin_count, &row.treatment.details))
            .flatten();
        if cached.is_none() && row.checkin_count > 0 {
            with_history.push(id.to_owned());
        }
        let cached = cached.unwrap_or_else(|| CachedCourse {
            details: row.treatment.details.clone(),
            checkins: Vec::new(),
            keys: Vec::new(),
            received: Vec::new(),
            memory: CourseMemory::default(),
        });
        courses.insert(
            row.link_hash,
            CourseState {
                course: Course {
                    treatment: cached.details,
                    checkins: cached.checkins,
                },
                treatment: row.treatment,
                keys: cached.keys,
                received: cached.received,
                memory: cached.memory,
                added: 0,
            },
        );
    }
    (courses, with_history)
}

/// Adds earlier check-ins (in course order) to their courses.
pub(crate) fn add_history(
    courses: &mut HashMap<String, CourseState>,
    earlier: Vec<(StoredCheckin, Option<String>)>,
) -> Result<(), StoreError> {
    let by_id: HashMap<String, String> = courses
        .iter()
        .map(|(hash, state)| (state.treatment.id.as_str().to_owned(), hash.clone()))
        .collect();
    for (stored, key) in earlier {
        let state = by_id
            .get(stored.treatment_id.as_str())
            .and_then(|hash| courses.get_mut(hash))
            .ok_or_else(|| StoreError::Corrupt("check-in of an unknown course".into()))?;
        state.course.checkins.push(stored.checkin);
        state.received.push(stored.received_at);
        state.keys.push(key);
    }
    Ok(())
}

/// Checks and triages every submission against its course as the group
/// leaves it. Pure: what it decides is written by the caller.
pub(crate) fn plan_group(
    limits: crate::CheckinLimits,
    mut courses: HashMap<String, CourseState>,
    submissions: &[&Submission],
    guideline: &Guideline,
) -> Result<Plan, StoreError> {
    let mut written: Vec<Written> = Vec::with_capacity(submissions.len());
    let mut outcomes: Vec<Outcome> = Vec::with_capacity(submissions.len());
    for submission in submissions {
        let outcome = match courses.get_mut(&submission.link_hash) {
            None => Outcome::Failed(StoreError::NotFound("link")),
            Some(state) => plan_one(limits, state, submission, guideline, &mut written)?,
        };
        outcomes.push(outcome);
    }
    Ok(Plan {
        courses,
        outcomes,
        written,
    })
}

/// Checks and triages one submission against its course as this group
/// has left it; adds what to write to `written`.
fn plan_one(
    limits: crate::CheckinLimits,
    state: &mut CourseState,
    submission: &Submission,
    guideline: &Guideline,
    written: &mut Vec<Written>,
) -> Result<Outcome, StoreError> {
    let now = submission.now;
    if state.treatment.link_expires_at <= now {
        return Ok(Outcome::Failed(StoreError::LinkExpired));
    }
    if let Some(key) = &submission.idempotency_key
        && let Some(position) = state.keys.iter().position(|k| k.as_ref() == Some(key))
    {
        let stored_before = state.keys.len() - state.added;
        if state.course.checkins[position] != submission.checkin {
            return Ok(Outcome::Failed(StoreError::Conflict(
                "this Idempotency-Key was used for a different check-in".to_owned(),
            )));
        }
        if position >= stored_before {
            // Written earlier in this very group.
            let index = written
                .iter()
                .position(|w| {
                    w.checkin.treatment_id == state.treatment.id
                        && w.checkin.seq == seq_of(position)
                })
                .ok_or_else(|| StoreError::Corrupt("lost a grouped check-in".into()))?;
            return Ok(Outcome::Written(index, true));
        }
        return Ok(Outcome::Earlier(
            state.treatment.id.clone(),
            seq_of(position),
        ));
    }
    // The same caps as one-by-one submission, counted from the course
    // as this group has left it.
    let earlier = state.course.checkins.len();
    let hour_ago = now - HOUR_MILLIS;
    let recent: Vec<Millis> = state
        .received
        .iter()
        .copied()
        .filter(|&at| at > hour_ago)
        .collect();
    if let Err(error) = check_course_cap(limits, seq_of(earlier)).and_then(|()| {
        check_hourly_cap(
            limits,
            seq_of(recent.len()),
            recent.iter().copied().min(),
            now,
        )
    }) {
        return Ok(Outcome::Failed(error));
    }
    if let Err(error) = check_checkin_time(
        &submission.checkin,
        &state.course.treatment,
        state.course.checkins.last(),
        now,
    ) {
        return Ok(Outcome::Failed(error));
    }
    let body = serde_json::to_string(&submission.checkin)
        .map_err(|error| StoreError::Corrupt(error.to_string()))?;
    let seq = seq_of(state.course.checkins.len());
    state.course.checkins.push(submission.checkin.clone());
    let decision = triage_remembering(guideline, &state.course, &mut state.memory);
    let checkin = StoredCheckin {
        id: CheckinId::generate(),
        treatment_id: state.treatment.id.clone(),
        seq,
        checkin: submission.checkin.clone(),
        received_at: now,
    };
    let stored_decision = new_decision(&checkin, &decision, guideline, now)?;
    // Only what fired on this check-in alerts: a red flag carried from an
    // earlier one was alerted when it was reported (safety property 5).
    let fresh = decision.fresh_level();
    let alert = fresh.alerts_therapist().then(|| Alert {
        id: AlertId::generate(),
        clinic_id: state.treatment.clinic_id.clone(),
        treatment_id: state.treatment.id.clone(),
        decision_id: stored_decision.id.clone(),
        practitioner_id: state.treatment.practitioner_id.clone(),
        level: fresh,
        created_at: now,
        acknowledged_at: None,
        acknowledged_by: None,
    });
    state.keys.push(submission.idempotency_key.clone());
    state.received.push(now);
    state.added += 1;
    written.push(Written {
        checkin,
        decision: stored_decision,
        alert,
        clinic_id: state.treatment.clinic_id.as_str().to_owned(),
        body,
        idempotency_key: submission.idempotency_key.clone(),
    });
    Ok(Outcome::Written(written.len() - 1, false))
}

/// A position in a course as the database stores it.
fn seq_of(position: usize) -> i64 {
    i64::try_from(position).unwrap_or(i64::MAX)
}
