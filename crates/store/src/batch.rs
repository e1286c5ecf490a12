//! Group commit for check-ins.
//!
//! Under load most of a check-in's cost is not the triage but the database
//! round trips around it: begin, lock the course, read it, four inserts,
//! commit. [`CheckinBatcher`] queues the submissions that arrive while the
//! previous group is being written and stores the whole group in one
//! transaction with one statement per table, so the cost per check-in falls
//! as load rises, and a lone check-in still goes straight through.
//!
//! The planning (caps, idempotency, triage) is shared; the reads and writes
//! around it are done here through sqlx (PostgreSQL, in-memory SQLite) and
//! in [`crate::sqlite_writer`] on a SQLite file.
//!
//! Nothing changes for the caller: [`Store::submit_checkin_shared`] answers
//! only after the transaction holding its check-in has committed. When a
//! group's transaction fails (a unique key taken by another instance, a
//! deadlock, a full disk) nothing of the group was stored and each of its
//! submissions is retried alone, so one bad submission cannot sink the
//! others and each caller gets its own answer.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aftercare_core::{Checkin, Course, CourseMemory, Guideline, triage_remembering};
use sqlx::Row;
use tokio::sync::{mpsc, oneshot};

use crate::course_cache::{CachedCourse, CourseCache};
use crate::model::{
    Actor, Alert, AlertId, AuditId, CheckinId, Millis, StoredCheckin, StoredDecision, Submitted,
    Treatment, TreatmentId,
};
use crate::queries::{
    ALERT_COLUMNS, CHECKIN_COLUMNS, DECISION_COLUMNS, HOUR_MILLIS, TREATMENT_COLUMNS, alert,
    check_checkin_time, check_course_cap, check_hourly_cap, new_decision, stored_checkin,
    stored_decision, treatment,
};
use crate::{Store, StoreError, millis_of};

/// The most submissions written in one transaction: large enough to carry
/// a busy service, small enough to keep every statement's parameter count
/// far below both databases' limits.
const MAX_GROUP: usize = 64;

/// Submissions that may wait for the writer; more wait for room in the
/// queue, which pushes back on the callers instead of growing memory.
const QUEUE_LENGTH: usize = 1024;

/// One check-in waiting to be stored.
pub(crate) struct Submission {
    pub link_hash: String,
    pub idempotency_key: Option<String>,
    pub checkin: Checkin,
    pub guideline: Arc<Guideline>,
    pub now: Millis,
}

struct Job {
    submission: Submission,
    reply: oneshot::Sender<Result<Submitted, StoreError>>,
}

/// The queue in front of the writer task.
#[derive(Clone, Debug)]
pub(crate) struct CheckinBatcher {
    queue: mpsc::Sender<Job>,
    /// Check-ins answered from a group of two or more.
    grouped: Arc<AtomicU64>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Job")
    }
}

impl CheckinBatcher {
    /// Starts the writer task over `store` (a store without a batcher of
    /// its own, so the task does not keep its own queue open). The task
    /// ends when the last sender is dropped.
    pub(crate) fn start(store: Store) -> CheckinBatcher {
        let (queue, mut jobs) = mpsc::channel::<Job>(QUEUE_LENGTH);
        let grouped = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&grouped);
        tokio::spawn(async move {
            while let Some(first) = jobs.recv().await {
                let mut group = vec![first];
                while group.len() < MAX_GROUP {
                    match jobs.try_recv() {
                        Ok(job) => group.push(job),
                        Err(_) => break,
                    }
                }
                // Each group in a task of its own: a panic while writing
                // one answers that group as unavailable (its reply
                // senders are dropped) instead of stopping all check-ins.
                let writer = store.clone();
                let counter = Arc::clone(&counter);
                let written =
                    tokio::spawn(async move { writer.write_group(group, &counter).await }).await;
                if written.is_err() {
                    tracing::error!("writing a group of check-ins failed with a panic");
                }
            }
        });
        CheckinBatcher { queue, grouped }
    }

    /// Queues a submission (waiting for room in the queue); the receiver
    /// gets its answer.
    async fn enqueue(
        &self,
        submission: Submission,
    ) -> Result<oneshot::Receiver<Result<Submitted, StoreError>>, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Job { submission, reply })
            .await
            .map_err(|_| StoreError::Unavailable("the check-in writer has stopped".to_owned()))?;
        Ok(answer)
    }
}

/// A check-in in the writer's queue: from here on it may be written at any
/// moment, whether or not anyone waits for the answer.
#[derive(Debug)]
pub struct QueuedCheckin(oneshot::Receiver<Result<Submitted, StoreError>>);

impl QueuedCheckin {
    /// Waits for the check-in's transaction and answers with its outcome.
    pub async fn outcome(self) -> Result<Submitted, StoreError> {
        self.0
            .await
            .map_err(|_| StoreError::Unavailable("the check-in writer has stopped".to_owned()))?
    }
}

/// One answer per submission of a group, in order.
pub(crate) type Answers = Vec<Result<Submitted, StoreError>>;

/// Courses as a group left them, by treatment id, for the writer's cache.
pub(crate) type KeptCourses = Vec<(String, CachedCourse)>;

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

/// Why a group was not stored as a whole.
pub(crate) enum GroupFailure {
    /// Before the commit: nothing of the group is stored.
    NothingStored(StoreError),
    /// The commit itself failed: the group may or may not be stored.
    AtCommit(StoreError),
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

impl Store {
    /// Stores a check-in like [`Store::submit_checkin`], grouped with the
    /// others arriving at the same time into one transaction. Answers
    /// after the commit.
    pub async fn submit_checkin_shared(
        &self,
        link_hash: &str,
        idempotency_key: Option<&str>,
        checkin: Checkin,
        guideline: &Arc<Guideline>,
        now: Millis,
    ) -> Result<Submitted, StoreError> {
        self.queue_checkin(link_hash, idempotency_key, checkin, guideline, now)
            .await?
            .outcome()
            .await
    }

    /// Hands a check-in to the writer: [`Store::submit_checkin_shared`] in
    /// two steps, for a caller that must know when the write is out of its
    /// hands (the service then answers with the outcome, never a time-out).
    pub async fn queue_checkin(
        &self,
        link_hash: &str,
        idempotency_key: Option<&str>,
        checkin: Checkin,
        guideline: &Arc<Guideline>,
        now: Millis,
    ) -> Result<QueuedCheckin, StoreError> {
        let submission = Submission {
            link_hash: link_hash.to_owned(),
            idempotency_key: idempotency_key.map(str::to_owned),
            checkin,
            guideline: Arc::clone(guideline),
            now,
        };
        let batcher = self
            .batcher
            .as_ref()
            .ok_or_else(|| StoreError::Unavailable("the check-in writer has stopped".to_owned()))?;
        Ok(QueuedCheckin(batcher.enqueue(submission).await?))
    }

    /// How many check-ins this store has written as part of a group of
    /// two or more since it was opened (for metrics and tests).
    pub fn grouped_checkins(&self) -> u64 {
        self.batcher
            .as_ref()
            .map_or(0, |batcher| batcher.grouped.load(Ordering::Relaxed))
    }

    /// Writes one submission as a group of its own: what a group that
    /// failed as a whole falls back to, so one bad submission cannot sink
    /// the others.
    async fn submit_alone(&self, submission: Submission) -> Result<Submitted, StoreError> {
        let guideline = Arc::clone(&submission.guideline);
        let (_, stored) = self.store_group(vec![submission], &guideline).await;
        match stored {
            Ok(mut answers) => answers.pop().unwrap_or_else(|| {
                Err(StoreError::Corrupt(
                    "a group of one gave no answer".to_owned(),
                ))
            }),
            Err(GroupFailure::NothingStored(error)) => Err(error),
            Err(GroupFailure::AtCommit(error)) => Err(StoreError::Unavailable(format!(
                "the check-in may not have been stored ({error}); send it again"
            ))),
        }
    }

    /// Writes one group; answers every job.
    async fn write_group(&self, group: Vec<Job>, grouped: &AtomicU64) {
        // A group shares one guideline; a new guideline (a reload) starts
        // a new group.
        let mut rest = group;
        while !rest.is_empty() {
            let first = Arc::clone(&rest[0].submission.guideline);
            let split = rest
                .iter()
                .position(|job| !Arc::ptr_eq(&job.submission.guideline, &first))
                .unwrap_or(rest.len());
            let tail = rest.split_off(split);
            self.write_same_guideline(rest, &first, grouped).await;
            rest = tail;
        }
    }

    async fn write_same_guideline(
        &self,
        group: Vec<Job>,
        guideline: &Arc<Guideline>,
        grouped: &AtomicU64,
    ) {
        let size = group.len();
        let (submissions, replies): (Vec<Submission>, Vec<_>) = group
            .into_iter()
            .map(|job| (job.submission, job.reply))
            .unzip();
        let (submissions, stored) = self.store_group(submissions, guideline).await;
        match stored {
            Ok(answers) => {
                if size > 1 {
                    grouped.fetch_add(size as u64, Ordering::Relaxed);
                }
                for (reply, answer) in replies.into_iter().zip(answers) {
                    // A caller that gave up (timed out) no longer listens.
                    let _ = reply.send(answer);
                }
            }
            Err(GroupFailure::NothingStored(error)) => {
                tracing::debug!(%error, size, "group write failed; storing one by one");
                for (submission, reply) in submissions.into_iter().zip(replies) {
                    let answer = self.submit_alone(submission).await;
                    let _ = reply.send(answer);
                }
            }
            // A commit that failed may still have happened (a connection
            // lost after the server committed): retrying could store the
            // check-ins twice. The callers hear "try again"; a retry with
            // its Idempotency-Key then finds what was stored, if anything.
            Err(GroupFailure::AtCommit(error)) => {
                tracing::warn!(%error, size, "group commit failed");
                for reply in replies {
                    let _ = reply.send(Err(StoreError::Unavailable(format!(
                        "the check-in may not have been stored ({error}); send it again"
                    ))));
                }
            }
        }
    }

    /// Stores `submissions` in one transaction, on SQLite through the
    /// writer's own connection; gives the submissions back for a retry
    /// one by one.
    async fn store_group(
        &self,
        submissions: Vec<Submission>,
        guideline: &Arc<Guideline>,
    ) -> (
        Vec<Submission>,
        Result<Vec<Result<Submitted, StoreError>>, GroupFailure>,
    ) {
        let Some(writer) = self.sqlite_writer.clone() else {
            let borrowed: Vec<&Submission> = submissions.iter().collect();
            let stored = self.store_group_sqlx(&borrowed, guideline).await;
            return (submissions, stored);
        };
        let _writer = self.writer().await;
        let guideline = Arc::clone(guideline);
        let limits = self.checkin_limits;
        let cache = Arc::clone(&self.course_cache);
        let joined = tokio::task::spawn_blocking(move || {
            let borrowed: Vec<&Submission> = submissions.iter().collect();
            let stored = writer.store_group(&borrowed, &guideline, limits, &cache);
            (submissions, stored)
        })
        .await;
        joined.unwrap_or_else(|_| {
            tracing::error!("writing a group of check-ins failed with a panic");
            (
                Vec::new(),
                Err(GroupFailure::AtCommit(StoreError::Unavailable(
                    "the check-in writer failed".to_owned(),
                ))),
            )
        })
    }

    /// Stores `submissions` in one sqlx transaction. `Ok` holds one answer
    /// per submission, in order.
    async fn store_group_sqlx(
        &self,
        submissions: &[&Submission],
        guideline: &Guideline,
    ) -> Result<Vec<Result<Submitted, StoreError>>, GroupFailure> {
        let _writer = self.writer().await;
        let mut tx = self
            .pool()
            .begin()
            .await
            .map_err(|error| GroupFailure::NothingStored(error.into()))?;
        match self.store_group_in(&mut tx, submissions, guideline).await {
            Ok((answers, kept)) => {
                tx.commit()
                    .await
                    .map_err(|error| GroupFailure::AtCommit(error.into()))?;
                self.course_cache.put_back(kept);
                Ok(answers)
            }
            Err(error) => {
                // At once: SQLite's write lock is held until the rollback.
                let _ = tx.rollback().await;
                Err(GroupFailure::NothingStored(error))
            }
        }
    }

    async fn store_group_in(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        submissions: &[&Submission],
        guideline: &Guideline,
    ) -> Result<(Answers, KeptCourses), StoreError> {
        // Lock the courses first (a no-op write takes SQLite's write lock
        // and PostgreSQL's row locks) so nobody adds a check-in between our
        // read and our write.
        let mut hashes: Vec<&str> = submissions.iter().map(|s| s.link_hash.as_str()).collect();
        hashes.sort_unstable();
        hashes.dedup();
        let sql = format!(
            "UPDATE treatments SET checkin_count = checkin_count WHERE link_hash IN ({}) \
             RETURNING {TREATMENT_COLUMNS}, link_hash, checkin_count",
            placeholders(1, hashes.len())
        );
        let mut query = sqlx::query(&sql);
        for hash in &hashes {
            query = query.bind((*hash).to_owned());
        }
        let rows = query
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|row| {
                Ok(CourseRow {
                    treatment: treatment(row)?,
                    link_hash: row.try_get("link_hash")?,
                    checkin_count: row.try_get("checkin_count")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let (mut courses, with_history) = course_states(rows, &self.course_cache);
        if !with_history.is_empty() {
            let sql = format!(
                "SELECT {CHECKIN_COLUMNS}, idempotency_key FROM checkins WHERE treatment_id IN ({}) \
                 ORDER BY treatment_id, seq",
                placeholders(1, with_history.len())
            );
            let mut query = sqlx::query(&sql);
            for id in &with_history {
                query = query.bind(id.clone());
            }
            let earlier = query
                .fetch_all(&mut **tx)
                .await?
                .iter()
                .map(|row| Ok((stored_checkin(row)?, row.try_get("idempotency_key")?)))
                .collect::<Result<Vec<_>, StoreError>>()?;
            add_history(&mut courses, earlier)?;
        }

        let mut plan = plan_group(self.checkin_limits, courses, submissions, guideline)?;
        for outcome in &mut plan.outcomes {
            if let Outcome::Earlier(treatment_id, seq) = outcome {
                *outcome = Outcome::Replay(Box::new(replay(tx, treatment_id, *seq).await?));
            }
        }
        insert_written(tx, &plan.written, guideline).await?;
        // Keep each course's counter equal to its number of check-ins.
        let grown = plan.grown();
        if !grown.is_empty() {
            let mut sql =
                String::from("UPDATE treatments SET checkin_count = checkin_count + CASE id");
            for index in 0..grown.len() {
                let _ = write!(sql, " WHEN ${} THEN ${}", 2 * index + 1, 2 * index + 2);
            }
            let _ = write!(
                sql,
                " ELSE 0 END WHERE id IN ({})",
                placeholders(2 * grown.len() + 1, grown.len())
            );
            let mut query = sqlx::query(&sql);
            for (id, added) in &grown {
                query = query.bind(id.as_str().to_owned()).bind(*added);
            }
            for (id, _) in &grown {
                query = query.bind(id.as_str().to_owned());
            }
            query.execute(&mut **tx).await?;
        }
        Ok(plan.answers())
    }
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

/// The answer to a repeated submission of a check-in stored earlier.
async fn replay(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    treatment_id: &TreatmentId,
    seq: i64,
) -> Result<Submitted, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {CHECKIN_COLUMNS} FROM checkins WHERE treatment_id = $1 AND seq = $2"
    ))
    .bind(treatment_id.as_str().to_owned())
    .bind(seq)
    .fetch_one(&mut **tx)
    .await?;
    let checkin = stored_checkin(&row)?;
    let row = sqlx::query(&format!(
        "SELECT {DECISION_COLUMNS} FROM decisions WHERE checkin_id = $1 ORDER BY id LIMIT 1"
    ))
    .bind(checkin.id.as_str().to_owned())
    .fetch_one(&mut **tx)
    .await?;
    let decision = stored_decision(&row)?;
    let alert_row = sqlx::query(&format!(
        "SELECT {ALERT_COLUMNS} FROM alerts WHERE decision_id = $1"
    ))
    .bind(decision.id.as_str().to_owned())
    .fetch_optional(&mut **tx)
    .await?;
    Ok(Submitted {
        checkin,
        decision,
        alert: alert_row.as_ref().map(alert).transpose()?,
        replayed: true,
    })
}

/// One multi-row insert per table for everything the group adds.
async fn insert_written(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    written: &[Written],
    guideline: &Guideline,
) -> Result<(), StoreError> {
    if written.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO checkins (id, clinic_id, treatment_id, seq, at, body, idempotency_key, received_at) VALUES {}",
        value_rows(written.len(), 8)
    );
    let mut query = sqlx::query(&sql);
    for entry in written {
        query = query
            .bind(entry.checkin.id.as_str().to_owned())
            .bind(entry.clinic_id.clone())
            .bind(entry.checkin.treatment_id.as_str().to_owned())
            .bind(entry.checkin.seq)
            .bind(millis_of(entry.checkin.checkin.at))
            .bind(entry.body.clone())
            .bind(entry.idempotency_key.clone())
            .bind(entry.checkin.received_at);
    }
    query.execute(&mut **tx).await?;

    let sql = format!(
        "INSERT INTO decisions (id, clinic_id, treatment_id, checkin_id, level, body, guideline_id, guideline_version, created_at) VALUES {}",
        value_rows(written.len(), 9)
    );
    let mut query = sqlx::query(&sql);
    for entry in written {
        let decision = &entry.decision;
        query = query
            .bind(decision.id.as_str().to_owned())
            .bind(entry.clinic_id.clone())
            .bind(decision.treatment_id.as_str().to_owned())
            .bind(decision.checkin_id.as_str().to_owned())
            .bind(decision.level.as_str().to_owned())
            .bind(decision.body.get().to_owned())
            .bind(guideline.id.clone())
            .bind(guideline.version.clone())
            .bind(decision.created_at);
    }
    query.execute(&mut **tx).await?;

    let alerts: Vec<&Alert> = written.iter().filter_map(|w| w.alert.as_ref()).collect();
    if !alerts.is_empty() {
        let sql = format!(
            "INSERT INTO alerts (id, clinic_id, treatment_id, decision_id, practitioner_id, level, level_rank, created_at) VALUES {}",
            value_rows(alerts.len(), 8)
        );
        let mut query = sqlx::query(&sql);
        for raised in alerts {
            query = query
                .bind(raised.id.as_str().to_owned())
                .bind(raised.clinic_id.as_str().to_owned())
                .bind(raised.treatment_id.as_str().to_owned())
                .bind(raised.decision_id.as_str().to_owned())
                .bind(raised.practitioner_id.as_str().to_owned())
                .bind(raised.level.as_str().to_owned())
                .bind(i64::try_from(raised.level.index()).unwrap_or_default())
                .bind(raised.created_at);
        }
        query.execute(&mut **tx).await?;
    }

    let sql = format!(
        "INSERT INTO audit_events (id, clinic_id, actor, action, subject, at) VALUES {}",
        value_rows(written.len(), 6)
    );
    let mut query = sqlx::query(&sql);
    for entry in written {
        query = query
            .bind(AuditId::generate().as_str().to_owned())
            .bind(entry.clinic_id.clone())
            .bind(Actor::ClientLink(entry.checkin.treatment_id.clone()).to_db())
            .bind("checkin.create".to_owned())
            .bind(format!("checkin:{}", entry.checkin.id))
            .bind(entry.checkin.received_at);
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

/// A position in a course as the database stores it.
fn seq_of(position: usize) -> i64 {
    i64::try_from(position).unwrap_or(i64::MAX)
}

/// `$first, $first+1, ...` for `count` parameters.
fn placeholders(first: usize, count: usize) -> String {
    let mut text = String::with_capacity(count * 5);
    for n in first..first + count {
        if n > first {
            text.push_str(", ");
        }
        text.push('$');
        text.push_str(&n.to_string());
    }
    text
}

/// `($1, .., $width), ($width+1, ..)` for `rows` rows.
fn value_rows(rows: usize, width: usize) -> String {
    (0..rows)
        .map(|row| format!("({})", placeholders(row * width + 1, width)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::{placeholders, value_rows};

    #[test]
    fn placeholders_are_numbered_from_the_first() {
        assert_eq!(placeholders(3, 3), "$3, $4, $5");
        assert_eq!(value_rows(2, 2), "($1, $2), ($3, $4)");
    }
}
