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
//! [`crate::delivery`] for how duplicates are recognised).

pub(crate) mod plan;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aftercare_core::Level;
use aftercare_store::secret::Secret;
use aftercare_store::{
    ClaimedMessage, ClinicId, FollowupSettings, InvitationEnd, MessageKind, Millis, PlanNext,
    PlanUpdate, SendOutcome, StoreError,
};
use rand::Rng as _;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::api::treatments::LINK_PREFIX;
use crate::delivery::{Content, Delivery, DeliveryError};
use crate::state::AppState;

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
}

impl Scheduler {
    /// A scheduler over the service's state, sending with `delivery`.
    pub fn new(state: AppState, delivery: Delivery, options: SchedulerOptions) -> Scheduler {
        Scheduler {
            state,
            delivery,
            options: Arc::new(options),
            last_sweep: Arc::new(std::sync::atomic::AtomicI64::new(0)),
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
        crate::records::erase_past_retention(&self.state, now).await?;
        Ok(())
    }

    fn lease_millis(&self) -> Millis {
        Millis::try_from(self.options.lease.as_millis()).unwrap_or(60_000)
    }

    /// Works out what each plan does next; returns how many plans and
    /// alerts it handled.
    async fn plan(&self, now: Millis) -> Result<usize, SchedulerError> {
        let store = &self.state.store;
        let email = self.delivery.email_enabled();
        let mut settings = SettingsCache::default();
        let mut handled = 0;

        // Treatments the scheduler has not seen yet.
        for _ in 0..MAX_PLAN_BATCHES {
            let treatments = store
                .treatments_without_plan(now - PLANNING_WINDOW, PLAN_BATCH)
                .await?;
            for treatment in &treatments {
                let clinic = settings.of(store, &treatment.clinic_id).await?;
                let route = plan::client_route(
                    clinic,
                    email,
                    treatment.client_email.as_deref(),
                    treatment.client_phone.as_deref(),
                );
                let next = plan::first_step(
                    clinic,
                    &clinic.plan_hours,
                    route,
                    treatment.consented,
                    treatment.treatment_at,
                    now,
                );
                store
                    .start_plan(
                        &treatment.clinic_id,
                        &treatment.treatment_id,
                        &clinic.plan_hours,
                        &next,
                        now,
                    )
                    .await?;
            }
            handled += treatments.len();
            if i64::try_from(treatments.len()).unwrap_or(i64::MAX) < PLAN_BATCH {
                break;
            }
        }

        // Plans with new check-ins, or a plan a therapist changed.
        for _ in 0..MAX_PLAN_BATCHES {
            let plans = store
                .plans_to_advance(now - PLANNING_WINDOW, PLAN_BATCH)
                .await?;
            for course in &plans {
                let clinic = settings.of(store, &course.clinic_id).await?;
                let route = plan::client_route(
                    clinic,
                    email,
                    course.client_email.as_deref(),
                    course.client_phone.as_deref(),
                );
                let next = match (route, course.last_checkin_at) {
                    _ if !course.consented => PlanNext::Close("no_consent"),
                    (None, _) => PlanNext::Close("no_channel"),
                    (Some((channel, recipient)), Some(checkin_at)) => {
                        match plan::after_checkin(
                            clinic,
                            &course.plan_hours,
                            course.treatment_at,
                            checkin_at,
                            course.next_checkin_hours,
                            now,
                        ) {
                            Some(due) => PlanNext::Invite(plan::invitation(
                                clinic,
                                due.max(now),
                                channel,
                                recipient.as_deref(),
                            )),
                            None => PlanNext::Close("clear"),
                        }
                    }
                    (route, None) => plan::first_step(
                        clinic,
                        &course.plan_hours,
                        route,
                        true,
                        course.treatment_at,
                        now,
                    ),
                };
                let new_checkin = course.checkin_count > course.checkins_seen.max(0);
                let end = if new_checkin {
                    InvitationEnd::Answered
                } else {
                    InvitationEnd::Cancelled
                };
                let update = PlanUpdate {
                    clinic_id: course.clinic_id.clone(),
                    treatment_id: course.treatment_id.clone(),
                    seen_before: course.checkins_seen,
                    seen_after: course.checkin_count,
                    last_level: course.last_level,
                    end_invitation: course.open_invitation.clone().map(|id| (id, end)),
                    next,
                    extra_messages: Vec::new(),
                };
                store.update_plan(&update, now).await?;
            }
            handled += plans.len();
            if i64::try_from(plans.len()).unwrap_or(i64::MAX) < PLAN_BATCH {
                break;
            }
        }

        // Invitations nobody answered in time.
        for _ in 0..MAX_PLAN_BATCHES {
            let lapsed = store.lapsed_invitations(now, PLAN_BATCH).await?;
            for invitation in &lapsed {
                let clinic = settings.of(store, &invitation.clinic_id).await?;
                let after_high_decision = invitation
                    .last_level
                    .is_some_and(|level| level.index() >= Level::SeeDoctor.index());
                let extra_messages = if after_high_decision {
                    plan::practitioner_messages(
                        clinic,
                        email,
                        MessageKind::MissedCheckin,
                        std::slice::from_ref(&invitation.practitioner_email),
                        false,
                        &format!("missed:{}", invitation.invitation_id),
                        now,
                    )
                } else {
                    Vec::new()
                };
                let route = plan::client_route(
                    clinic,
                    email,
                    invitation.client_email.as_deref(),
                    invitation.client_phone.as_deref(),
                );
                let next = match route {
                    None => PlanNext::Close("no_channel"),
                    Some((channel, recipient)) => match plan::next_planned(
                        clinic,
                        &invitation.plan_hours,
                        invitation.treatment_at,
                        now,
                        now,
                    ) {
                        Some(due) => PlanNext::Invite(plan::invitation(
                            clinic,
                            due,
                            channel,
                            recipient.as_deref(),
                        )),
                        None => PlanNext::Close("unanswered"),
                    },
                };
                let update = PlanUpdate {
                    clinic_id: invitation.clinic_id.clone(),
                    treatment_id: invitation.treatment_id.clone(),
                    seen_before: invitation.checkins_seen,
                    seen_after: invitation.checkins_seen,
                    last_level: None,
                    end_invitation: Some((
                        invitation.invitation_id.clone(),
                        InvitationEnd::Expired,
                    )),
                    next,
                    extra_messages,
                };
                // When this changes nothing, a check-in came in meanwhile;
                // the next pass handles it and ends this invitation.
                store.update_plan(&update, now).await?;
            }
            handled += lapsed.len();
            if i64::try_from(lapsed.len()).unwrap_or(i64::MAX) < PLAN_BATCH {
                break;
            }
        }

        // Alerts to tell the treating therapist about.
        for _ in 0..MAX_PLAN_BATCHES {
            let alerts = store
                .alerts_to_notify(now - ALERT_NOTICE_WINDOW, PLAN_BATCH)
                .await?;
            for alert in &alerts {
                let clinic = settings.of(store, &alert.clinic_id).await?;
                let messages = plan::practitioner_messages(
                    clinic,
                    email,
                    MessageKind::Alert,
                    std::slice::from_ref(&alert.practitioner_email),
                    alert.level.is_high_priority(),
                    &format!("alert:{}", alert.alert_id),
                    now,
                );
                store.notify_alert(alert, &messages, now).await?;
            }
            handled += alerts.len();
            if i64::try_from(alerts.len()).unwrap_or(i64::MAX) < PLAN_BATCH {
                break;
            }
        }

        // Alerts nobody acknowledged in the clinic's escalation time.
        for _ in 0..MAX_PLAN_BATCHES {
            let alerts = store.alerts_to_escalate(now, PLAN_BATCH).await?;
            for alert in &alerts {
                let clinic = settings.of(store, &alert.clinic_id).await?;
                let messages = plan::practitioner_messages(
                    clinic,
                    email,
                    MessageKind::Escalation,
                    &alert.owner_emails,
                    alert.level.is_high_priority(),
                    &format!("escalation:{}", alert.alert_id),
                    now,
                );
                store.escalate_alert(alert, &messages, now).await?;
            }
            handled += alerts.len();
            if i64::try_from(alerts.len()).unwrap_or(i64::MAX) < PLAN_BATCH {
                break;
            }
        }
        Ok(handled)
    }

    /// Claims a batch of due messages, checks again that each still
    /// applies, sends them side by side, and records each outcome.
    async fn send_batch(&self) -> Result<PassReport, SchedulerError> {
        let store = &self.state.store;
        let now = self.state.now();
        let claim = format!("{}:{}", self.options.instance, uuid::Uuid::now_v7());
        let claimed = store
            .claim_messages(&claim, now, now + self.lease_millis(), self.options.batch)
            .await?;
        let mut report = PassReport::default();
        if claimed.is_empty() {
            return Ok(report);
        }
        let mut outcomes = Vec::with_capacity(claimed.len());
        let mut to_send = Vec::with_capacity(claimed.len());
        let mut links = Vec::new();
        for message in claimed {
            if let Some((_, still_open)) = &message.invitation {
                let lapsed = message
                    .invitation_expires_at
                    .is_some_and(|expires| expires <= now);
                if !still_open || lapsed {
                    outcomes.push((
                        message,
                        SendOutcome::Cancelled {
                            reason: "the invitation no longer applies".to_owned(),
                        },
                    ));
                    continue;
                }
            }
            let link = if message.kind.is_for_client() {
                // Only the hash of a link is kept, so each message to a
                // client carries a fresh one; it replaces the earlier link.
                let token = Secret::generate(LINK_PREFIX);
                // The new link keeps the old one's expiry, set when the
                // treatment was recorded (`--link-lifetime-days` after it):
                // an invitation never makes a link live longer (the store
                // only ever moves the expiry later, and `now` is earlier).
                links.push((
                    message.clinic_id.clone(),
                    message.treatment_id.clone(),
                    token.hash(),
                    now,
                ));
                self.state.settings.client_link_url(token.expose())
            } else {
                self.state
                    .settings
                    .course_page_url(message.treatment_id.as_str())
            };
            let content = Content::of(&message, link);
            to_send.push((message, content));
        }
        store.issue_links(&links).await?;

        let limit = Arc::new(Semaphore::new(self.options.concurrency.max(1)));
        let mut sending = JoinSet::new();
        for (message, content) in to_send {
            let delivery = self.delivery.clone();
            let limit = Arc::clone(&limit);
            let seconds = now.div_euclid(1000);
            sending.spawn(async move {
                let _permit = limit.acquire_owned().await;
                let result = delivery.send(&message, &content, seconds).await;
                (message, result)
            });
        }
        let mut results = Vec::new();
        while let Some(joined) = sending.join_next().await {
            match joined {
                Ok(result) => results.push(result),
                // A panicking send leaves its message claimed; its lease
                // runs out and it is tried again.
                Err(error) => tracing::error!(%error, "a send task failed"),
            }
        }
        let finished_at = self.state.now();
        for (message, result) in results {
            let outcome = outcome_of(&message, result, finished_at);
            outcomes.push((message, outcome));
        }
        for (_, outcome) in &outcomes {
            match outcome {
                SendOutcome::Sent => report.sent += 1,
                SendOutcome::Retry { .. } => report.retried += 1,
                SendOutcome::Failed { .. } => report.failed += 1,
                SendOutcome::Cancelled { .. } => report.cancelled += 1,
            }
        }
        store
            .finish_messages(&claim, &outcomes, finished_at)
            .await?;
        Ok(report)
    }
}

/// What to record for one attempt.
fn outcome_of(
    message: &ClaimedMessage,
    result: Result<(), DeliveryError>,
    now: Millis,
) -> SendOutcome {
    match result {
        Ok(()) => SendOutcome::Sent,
        Err(DeliveryError::Transient(reason)) if message.attempts < MAX_ATTEMPTS => {
            let jitter = rand::rng().random_range(-1.0..=1.0);
            SendOutcome::Retry {
                at: plan::retry_at(now, message.attempts, jitter),
                reason,
            }
        }
        Err(DeliveryError::Transient(reason)) => SendOutcome::Failed {
            reason: format!("gave up after {} attempts: {reason}", message.attempts),
        },
        Err(DeliveryError::Permanent(reason) | DeliveryError::Config(reason)) => {
            SendOutcome::Failed { reason }
        }
    }
}

/// Clinic settings read once per pass.
#[derive(Default)]
struct SettingsCache(HashMap<ClinicId, FollowupSettings>);

impl SettingsCache {
    async fn of(
        &mut self,
        store: &aftercare_store::Store,
        clinic: &ClinicId,
    ) -> Result<&FollowupSettings, StoreError> {
        if !self.0.contains_key(clinic) {
            let settings = store.followup_settings(clinic).await?;
            self.0.insert(clinic.clone(), settings);
        }
        Ok(self
            .0
            .get(clinic)
            .unwrap_or_else(|| unreachable!("inserted above")))
    }
}
