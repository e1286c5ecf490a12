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
//!
//! The queue and the [`Store`] entry points are here; the planning shared
//! with [`crate::sqlite_writer`] is in `plan`, the sqlx group write in
//! `group_sqlx`.

mod group_sqlx;
mod plan;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aftercare_core::{Checkin, Guideline};
use tokio::sync::{mpsc, oneshot};

use crate::course_cache::CachedCourse;
use crate::model::{Millis, Submitted};
use crate::{Store, StoreError};

pub(crate) use plan::{CourseRow, Outcome, Written, add_history, course_states, plan_group};

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

/// Why a group was not stored as a whole.
pub(crate) enum GroupFailure {
    /// Before the commit: nothing of the group is stored.
    NothingStored(StoreError),
    /// The commit itself failed: the group may or may not be stored.
    AtCommit(StoreError),
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
}
