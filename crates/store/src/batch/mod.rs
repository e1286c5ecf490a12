//! Group commit for check-ins.
//!
//! Under load most of a check-in's cost is not the triage but the database
//! round trips around it: begin, lock the course, read it, four inserts,
//! commit. [`CheckinBatcher`] queues the submissions that arrive while the
//! previous group is being written and stores the whole group in one
//! transaction (on SQLite prepared inserts on the writer's own connection,
//! on PostgreSQL one statement for the group), so the cost per check-in falls
//! as load rises, and a lone check-in still goes straight through.
//!
//! The planning (caps, idempotency, triage) is shared; the reads and writes
//! around it are done through sqlx on PostgreSQL (`group_sqlx`) and in
//! [`crate::sqlite_writer`] on SQLite: one implementation per backend.
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

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError};

use aftercare_core::{Checkin, Guideline};
use tokio::sync::{mpsc, oneshot};

use crate::course_cache::CachedCourse;
use crate::followup::PlanUpdate;
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

/// Groups written at once on PostgreSQL. Since a group is one statement
/// (`group_sqlx.rs`), four writers on a 2-core machine made more, smaller
/// groups (2.9 check-ins a group against 3.5 with three): two or three
/// wrote about a tenth more check-ins a second than four, one less than two
/// (docs/PERFORMANCE.md). Three keeps a database on
/// another machine, where round trips are longer, busier than two would.
const POSTGRES_WRITERS: usize = 3;

/// One check-in waiting to be stored.
pub(crate) struct Submission {
    pub link_hash: String,
    pub idempotency_key: Option<String>,
    pub checkin: Checkin,
    pub guideline: Arc<Guideline>,
    pub now: Millis,
}

/// What the writer is asked to do.
enum Job {
    /// Store a check-in (grouped with the others waiting).
    Checkin(CheckinJob),
    /// On SQLite, apply the planner's plan updates on the writer's own
    /// connection, between two groups of check-ins (see
    /// `followup/plan_writes.rs`).
    Plans(PlansJob),
}

struct CheckinJob {
    submission: Submission,
    reply: oneshot::Sender<Result<Submitted, StoreError>>,
}

struct PlansJob {
    updates: Vec<PlanUpdate>,
    now: Millis,
    reply: oneshot::Sender<Result<usize, StoreError>>,
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
    /// Starts the writer over `store` (a store without a batcher of its
    /// own, so the writer does not keep its own queue open). The writer
    /// ends when the last sender is dropped.
    ///
    /// The writer is a thread of its own rather than a task: on a SQLite
    /// file a group is written by blocking calls on the writer's own
    /// connection, and handing each group to the blocking pool and its
    /// answer back cost a pair of thread wake-ups per group, about a
    /// quarter of the writer's time under load. On PostgreSQL the thread
    /// drives the sqlx write on the runtime it was started from.
    ///
    /// SQLite takes one writer at a time, so one thread writes. PostgreSQL
    /// takes many: there [`POSTGRES_WRITERS`] threads share the queue, so
    /// one group's round trips and commit overlap the next group's. Two
    /// groups on the same course take turns on its row lock, and the
    /// course cache trusts an entry only at the stored check-in count.
    pub(crate) fn start(store: &Store) -> CheckinBatcher {
        let (queue, jobs) = mpsc::channel::<Job>(QUEUE_LENGTH);
        let jobs = Arc::new(std::sync::Mutex::new(jobs));
        let grouped = Arc::new(AtomicU64::new(0));
        let runtime = tokio::runtime::Handle::current();
        let writers = if store.backend == crate::Backend::Postgres {
            POSTGRES_WRITERS
        } else {
            1
        };
        for number in 0..writers {
            let (store, jobs, runtime) = (store.clone(), Arc::clone(&jobs), runtime.clone());
            let counter = Arc::clone(&grouped);
            let started = std::thread::Builder::new()
                .name(format!("checkin-writer-{number}"))
                .spawn(move || store.run_writer(&jobs, &runtime, &counter));
            if let Err(error) = started {
                // Without a thread the queue is closed when the last one
                // ends: check-ins are answered "unavailable", never left
                // waiting.
                tracing::error!(%error, "a check-in writer could not start");
            }
        }
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
            .send(Job::Checkin(CheckinJob { submission, reply }))
            .await
            .map_err(|_| StoreError::Unavailable("the check-in writer has stopped".to_owned()))?;
        Ok(answer)
    }

    /// Hands plan updates to the writer and waits until they are applied.
    pub(crate) async fn update_plans(
        &self,
        updates: Vec<PlanUpdate>,
        now: Millis,
    ) -> Result<usize, StoreError> {
        let stopped = || StoreError::Unavailable("the check-in writer has stopped".to_owned());
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Job::Plans(PlansJob {
                updates,
                now,
                reply,
            }))
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
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
        let batcher = self.checkin_batcher()?;
        Ok(QueuedCheckin(batcher.enqueue(submission).await?))
    }

    /// The queue in front of the writer.
    pub(crate) fn checkin_batcher(&self) -> Result<&CheckinBatcher, StoreError> {
        self.batcher
            .as_ref()
            .ok_or_else(|| StoreError::Unavailable("the check-in writer has stopped".to_owned()))
    }

    /// How many check-ins this store has written as part of a group of
    /// two or more since it was opened (for metrics and tests).
    pub fn grouped_checkins(&self) -> u64 {
        self.batcher
            .as_ref()
            .map_or(0, |batcher| batcher.grouped.load(Ordering::Relaxed))
    }

    /// The writer's loop: takes every submission waiting (up to
    /// [`MAX_GROUP`]) as one group, writes it, answers each, and waits for
    /// the next.
    fn run_writer(
        &self,
        jobs: &std::sync::Mutex<mpsc::Receiver<Job>>,
        runtime: &tokio::runtime::Handle,
        grouped: &AtomicU64,
    ) {
        loop {
            // One writer at a time takes what is waiting; the others wait
            // for the queue, not for each other's writes.
            let group = {
                let mut jobs = jobs.lock().unwrap_or_else(PoisonError::into_inner);
                let Some(first) = jobs.blocking_recv() else {
                    break;
                };
                let mut group = vec![first];
                while group.len() < MAX_GROUP {
                    match jobs.try_recv() {
                        Ok(job) => group.push(job),
                        Err(_) => break,
                    }
                }
                group
            };
            let mut checkins = Vec::with_capacity(group.len());
            let mut plans = Vec::new();
            for job in group {
                match job {
                    Job::Checkin(job) => checkins.push(job),
                    Job::Plans(job) => plans.push(job),
                }
            }
            // A panic while writing answers that group as unavailable (its
            // reply senders are dropped as it unwinds) instead of stopping
            // all check-ins.
            let written = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                if !checkins.is_empty() {
                    self.write_group(checkins, runtime, grouped);
                }
                for job in plans {
                    let _ = job.reply.send(self.write_plans(&job.updates, job.now));
                }
            }));
            if written.is_err() {
                tracing::error!("writing a group of check-ins failed with a panic");
            }
        }
    }

    /// Applies plan updates on SQLite's writer connection, in the write
    /// turn the pool's writers share.
    fn write_plans(&self, updates: &[PlanUpdate], now: Millis) -> Result<usize, StoreError> {
        let Some(writer) = &self.sqlite_writer else {
            return Err(StoreError::Unavailable(
                "the database is open read-only; plans cannot be written".to_owned(),
            ));
        };
        let _turn = self.writer.as_ref().map(|turn| turn.blocking_lock());
        writer.update_plans(updates, now)
    }

    /// Writes one group; answers every job.
    fn write_group(
        &self,
        group: Vec<CheckinJob>,
        runtime: &tokio::runtime::Handle,
        grouped: &AtomicU64,
    ) {
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
            self.write_same_guideline(rest, &first, runtime, grouped);
            rest = tail;
        }
    }

    fn write_same_guideline(
        &self,
        group: Vec<CheckinJob>,
        guideline: &Arc<Guideline>,
        runtime: &tokio::runtime::Handle,
        grouped: &AtomicU64,
    ) {
        let size = group.len();
        let (submissions, replies): (Vec<Submission>, Vec<_>) = group
            .into_iter()
            .map(|job| (job.submission, job.reply))
            .unzip();
        let stored = self.store_group(&submissions, guideline, runtime);
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
                // Each submission as a group of its own, so one bad
                // submission cannot sink the others.
                for (submission, reply) in submissions.iter().zip(replies) {
                    let answer = match self.store_group(
                        std::slice::from_ref(submission),
                        guideline,
                        runtime,
                    ) {
                        Ok(mut answers) => answers.pop().unwrap_or_else(|| {
                            Err(StoreError::Corrupt(
                                "a group of one gave no answer".to_owned(),
                            ))
                        }),
                        Err(GroupFailure::NothingStored(error)) => Err(error),
                        Err(GroupFailure::AtCommit(error)) => Err(may_not_be_stored(&error)),
                    };
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
                    let _ = reply.send(Err(may_not_be_stored(&error)));
                }
            }
        }
    }

    /// Stores `submissions` in one transaction: on SQLite through the
    /// writer's own connection, right here on the writer's thread; on
    /// PostgreSQL through sqlx, driven on `runtime`.
    fn store_group(
        &self,
        submissions: &[Submission],
        guideline: &Arc<Guideline>,
        runtime: &tokio::runtime::Handle,
    ) -> Result<Answers, GroupFailure> {
        let borrowed: Vec<&Submission> = submissions.iter().collect();
        if self.backend == crate::Backend::Postgres {
            return runtime.block_on(self.store_group_sqlx(&borrowed, guideline));
        }
        let Some(writer) = &self.sqlite_writer else {
            // The file could not be opened for writing (`mode=ro`).
            return Err(GroupFailure::NothingStored(StoreError::Unavailable(
                "the database is open read-only; check-ins cannot be stored".to_owned(),
            )));
        };
        // Other writers (the checkpointer, the scheduler's sending and alert
        // notices, the web app) write through the pool; they take the same
        // turn.
        let _turn = self.writer.as_ref().map(|turn| turn.blocking_lock());
        writer.store_group(
            &borrowed,
            guideline,
            self.checkin_limits,
            &self.course_cache,
        )
    }
}

/// What a caller hears when its group's commit failed.
fn may_not_be_stored(error: &StoreError) -> StoreError {
    StoreError::Unavailable(format!(
        "the check-in may not have been stored ({error}); send it again"
    ))
}
