//! The follow-up scheduler: plans each treatment's invitations, turns
//! alerts into messages, and sends what is due.
//!
//! One pass ([`Scheduler::run_once`]) does everything due at the clock's
//! current time, so tests drive it step by step with a controlled clock.
//! [`Scheduler::run`] repeats passes on a regular tick and whenever the API
//! stores a treatment or a check-in (it wakes the scheduler after commit).
//!
//! Several instances may share one PostgreSQL database. Planning is done by
//! whichever instance holds the planner lease (it is quick); sending is
//! shared: each instance claims batches of due messages under a lease
//! (`FOR UPDATE SKIP LOCKED`), sends them, and marks each one in its own
//! outbox row. An instance that dies mid-send leaves its lease to run out,
//! and another instance sends those messages (at least once; see
//! [`aftercare_delivery`] for how duplicates are recognised).

pub(crate) mod plan;
mod planner;
mod sending;
mod settings_cache;

use std::sync::Arc;
use std::time::Duration;

use aftercare_store::{Millis, StoreError};

use crate::state::AppState;
use aftercare_delivery::Delivery;

/// How many times a message is tried before it is parked as failed.
pub const MAX_ATTEMPTS: i64 = 6;

/// Rows read per planning query.
const PLAN_BATCH: i64 = 500;

/// Planning queries per pass, at most, so one pass always ends.
const MAX_PLAN_BATCHES: usize = 200;

/// Alerts older than this are not notified any more (they were raised
/// before the scheduler ran, e.g. imported).
const ALERT_NOTICE_WINDOW: Millis = 7 * 24 * 60 * 60 * 1000;

/// Treatments recorded longer ago than this are not looked at for new
/// work, so a pass does not grow with the whole history: the longest plan
/// a clinic can set is 90 days, and a course followed beyond that is rare
/// enough to be closed by hand.
const PLANNING_WINDOW: Millis = 120 * 24 * 60 * 60 * 1000;

/// How far before the start of the last complete planning pass the next
/// pass looks for new treatments and check-ins: for rows stamped before
/// that start and committed after it (a group of check-ins waiting for its
/// commit, another instance's clock a little behind). Its cost is the
/// check-ins of these seconds, read again by each pass.
const MARK_SLACK: Millis = 5_000;

/// How often planning reads every course of the window all the same, for
/// anything stamped further back than [`MARK_SLACK`] (an instance whose
/// clock is far behind). The first pass of an instance always does.
const FULL_PLANNING_EVERY: Duration = Duration::from_secs(60);

/// How often expired diaries, sessions and old failed sign-ins are deleted.
const SWEEP_EVERY: Millis = 10 * 60 * 1000;

/// How long failed sign-ins are kept (the limiter looks back 15 minutes).
const LOGIN_FAILURES_KEPT: Millis = 24 * 60 * 60 * 1000;

/// The shortest time between two passes that the API woke. Under a stream
/// of check-ins every request wakes the scheduler; one pass per gap picks
/// all of them up, instead of passes back to back competing with the
/// check-ins for the database's write lock.
const WAKE_GAP: Duration = Duration::from_millis(500);

/// How a scheduler instance runs.
#[derive(Clone, Debug)]
pub struct SchedulerOptions {
    /// This instance's name in claims and leases; unique per process.
    pub instance: String,
    /// Time between passes when nothing wakes the scheduler.
    pub tick: Duration,
    /// How long a claim (or the planner lease) holds before another
    /// instance may take the work over. It must outlast sending a whole
    /// batch (`batch / concurrency` rounds of at most 20 s each when the
    /// SMTP server is slow), or a slow batch is sent twice.
    pub lease: Duration,
    /// Messages claimed at once.
    pub batch: i64,
    /// Messages sent at the same time.
    pub concurrency: usize,
}

impl Default for SchedulerOptions {
    fn default() -> Self {
        SchedulerOptions {
            instance: format!("scheduler-{}", uuid::Uuid::new_v4().simple()),
            tick: Duration::from_secs(30),
            lease: Duration::from_secs(300),
            batch: 200,
            concurrency: 32,
        }
    }
}

/// What a pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PassReport {
    /// Plans started or moved on, and alerts taken up.
    pub planned: usize,
    /// Messages delivered.
    pub sent: usize,
    /// Messages that failed this time and will be tried again.
    pub retried: usize,
    /// Messages parked as failed.
    pub failed: usize,
    /// Messages that no longer applied.
    pub cancelled: usize,
}

impl PassReport {
    fn is_idle(&self) -> bool {
        *self == PassReport::default()
    }
}

/// Why a pass stopped early.
#[derive(Debug, thiserror::Error)]
pub enum SchedulerError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The scheduler of one instance.
#[derive(Clone, Debug)]
pub struct Scheduler {
    state: AppState,
    delivery: Delivery,
    options: Arc<SchedulerOptions>,
    /// When this instance last swept expired records (0: not yet).
    last_sweep: Arc<std::sync::atomic::AtomicI64>,
    /// When this instance's last complete planning pass began.
    planned: Arc<std::sync::Mutex<PlannedUpTo>>,
}

/// When this instance's last complete planning pass began, and when the
/// last one that read the whole window began.
#[derive(Debug, Default)]
struct PlannedUpTo {
    mark: Option<aftercare_store::PlanningMark>,
    last_full: Option<std::time::Instant>,
}

impl Scheduler {
    /// A scheduler over the service's state, sending with `delivery`.
    pub fn new(state: AppState, delivery: Delivery, options: SchedulerOptions) -> Scheduler {
        Scheduler {
            state,
            delivery,
            options: Arc::new(options),
            last_sweep: Arc::new(std::sync::atomic::AtomicI64::new(0)),
            planned: Arc::default(),
        }
    }

    /// Runs passes until `shutdown` completes: on every tick and whenever
    /// the API wakes it. A failed pass is logged and retried at the next
    /// tick; a pass under way is finished before stopping, so nothing it
    /// sent is left unmarked.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        let wake = self.state.scheduler_wake();
        let mut tick = tokio::time::interval(self.options.tick);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(shutdown);
        tracing::info!(instance = %self.options.instance, "scheduler started");
        let mut last_pass = tokio::time::Instant::now() - WAKE_GAP;
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                _ = tick.tick() => {}
                () = wake.notified() => {
                    // Wakes arriving meanwhile are kept as one by the notify.
                    tokio::select! {
                        () = &mut shutdown => break,
                        () = tokio::time::sleep_until(last_pass + WAKE_GAP) => {}
                    }
                }
            }
            last_pass = tokio::time::Instant::now();
            match self.run_once().await {
                Ok(report) if report.is_idle() => {}
                Ok(report) => tracing::info!(
                    planned = report.planned,
                    sent = report.sent,
                    retried = report.retried,
                    failed = report.failed,
                    cancelled = report.cancelled,
                    "scheduler pass"
                ),
                Err(error) => {
                    tracing::warn!(%error, "scheduler pass failed; trying again at the next tick");
                }
            }
        }
        tracing::info!(instance = %self.options.instance, "scheduler stopped");
    }

    /// One pass at the clock's current time: plan (when this instance
    /// holds the planner lease), then send every message that is due.
    pub async fn run_once(&self) -> Result<PassReport, SchedulerError> {
        let now = self.state.now();
        let mut report = PassReport::default();
        let lease_until = now + self.lease_millis();
        if self
            .state
            .store
            .take_planner_lease(&self.options.instance, now, lease_until)
            .await?
        {
            report.planned = self.plan(now).await?;
            self.sweep(now).await?;
        }
        loop {
            let batch = self.send_batch().await?;
            let claimed = batch.sent + batch.retried + batch.failed + batch.cancelled;
            report.sent += batch.sent;
            report.retried += batch.retried;
            report.failed += batch.failed;
            report.cancelled += batch.cancelled;
            if claimed == 0 {
                break;
            }
        }
        Ok(report)
    }

    /// Deletes expired diaries, sessions, setup links and old failed
    /// sign-ins, at most once per [`SWEEP_EVERY`]: a self-check diary
    /// holds health answers, which should not outlive its link.
    async fn sweep(&self, now: Millis) -> Result<(), SchedulerError> {
        let last = self.last_sweep.load(std::sync::atomic::Ordering::Relaxed);
        if last != 0 && now - last < SWEEP_EVERY {
            return Ok(());
        }
        let swept = self
            .state
            .store
            .sweep_expired(now, now - LOGIN_FAILURES_KEPT)
            .await?;
        self.last_sweep
            .store(now, std::sync::atomic::Ordering::Relaxed);
        if swept != aftercare_store::Swept::default() {
            tracing::info!(
                diaries = swept.diaries,
                sessions = swept.sessions,
                setup_links = swept.setup_links,
                login_failures = swept.login_failures,
                drafts = swept.drafts,
                password_resets = swept.password_resets,
                "expired records deleted"
            );
        }
        // Courses past their clinic's retention period (logged there, with counts only).
        crate::usecases::records::erase_past_retention(&self.state, now).await?;
        Ok(())
    }

    fn lease_millis(&self) -> Millis {
        Millis::try_from(self.options.lease.as_millis()).unwrap_or(60_000)
    }
}
