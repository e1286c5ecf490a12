//! Planning: what each follow-up plan does next, and which alerts become
//! messages. Only the instance holding the planner lease plans.

use aftercare_core::Level;
use aftercare_store::{InvitationEnd, MessageKind, Millis, PlanNext, PlanUpdate, PlanningMark};

use super::settings_cache::SettingsCache;
use super::{
    ALERT_NOTICE_WINDOW, FULL_PLANNING_EVERY, MARK_SLACK, MAX_PLAN_BATCHES, PLAN_BATCH,
    PLANNING_WINDOW, Scheduler, SchedulerError, plan,
};

impl Scheduler {
    /// Works out what each plan does next; returns how many plans and
    /// alerts it handled.
    pub(super) async fn plan(&self, now: Millis) -> Result<usize, SchedulerError> {
        let email = self.delivery.email_enabled();
        let mut settings = SettingsCache::default();
        // Taken before anything is read: what is stored after this is the
        // next pass's to find.
        let mark = PlanningMark::now(now);
        let started = std::time::Instant::now();
        let since = self.last_mark_unless_full_due();
        let treatments_from = since.map(|last| last.treatments_from(MARK_SLACK));
        let checkins_from = since.map(|last| last.checkins_from(MARK_SLACK));
        let new_treatments = self
            .plan_new_treatments(now, treatments_from, email, &mut settings)
            .await?;
        let after_checkins = self
            .plan_after_checkins(now, checkins_from.as_deref(), email, &mut settings)
            .await?;
        if read_to_the_end(new_treatments) && read_to_the_end(after_checkins) {
            self.planned_up_to(mark, since.is_none().then_some(started));
        }
        let mut handled = new_treatments + after_checkins;
        handled += self
            .plan_lapsed_invitations(now, email, &mut settings)
            .await?;
        handled += self.plan_alert_notices(now, email, &mut settings).await?;
        handled += self.plan_escalations(now, email, &mut settings).await?;
        Ok(handled)
    }

    /// Treatments the scheduler has not seen yet: each gets its plan and first step.
    async fn plan_new_treatments(
        &self,
        now: Millis,
        recorded_from: Option<Millis>,
        email: bool,
        settings: &mut SettingsCache,
    ) -> Result<usize, SchedulerError> {
        let store = &self.state.store;
        let mut handled = 0;
        for _ in 0..MAX_PLAN_BATCHES {
            let treatments = store
                .treatments_without_plan(now - PLANNING_WINDOW, recorded_from, PLAN_BATCH)
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
            if is_last_batch(treatments.len()) {
                break;
            }
        }
        Ok(handled)
    }

    /// Plans with new check-ins, or a plan a therapist changed: what comes next.
    async fn plan_after_checkins(
        &self,
        now: Millis,
        checkins_from: Option<&str>,
        email: bool,
        settings: &mut SettingsCache,
    ) -> Result<usize, SchedulerError> {
        let store = &self.state.store;
        let mut handled = 0;
        for _ in 0..MAX_PLAN_BATCHES {
            let plans = store
                .plans_to_advance(now - PLANNING_WINDOW, checkins_from, PLAN_BATCH)
                .await?;
            let mut updates = Vec::with_capacity(plans.len());
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
                updates.push(update);
            }
            store.update_plans(&updates, now).await?;
            handled += plans.len();
            if is_last_batch(plans.len()) {
                break;
            }
        }
        Ok(handled)
    }

    /// Invitations nobody answered in time: the next step, and a word to the therapist after a high decision.
    async fn plan_lapsed_invitations(
        &self,
        now: Millis,
        email: bool,
        settings: &mut SettingsCache,
    ) -> Result<usize, SchedulerError> {
        let store = &self.state.store;
        let mut handled = 0;
        for _ in 0..MAX_PLAN_BATCHES {
            let lapsed = store.lapsed_invitations(now, PLAN_BATCH).await?;
            let mut updates = Vec::with_capacity(lapsed.len());
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
                updates.push(update);
            }
            // A plan this changes nothing of had a check-in meanwhile; the
            // next pass handles it and ends this invitation.
            store.update_plans(&updates, now).await?;
            handled += lapsed.len();
            if is_last_batch(lapsed.len()) {
                break;
            }
        }
        Ok(handled)
    }

    /// Alerts to tell the treating therapist about.
    async fn plan_alert_notices(
        &self,
        now: Millis,
        email: bool,
        settings: &mut SettingsCache,
    ) -> Result<usize, SchedulerError> {
        let store = &self.state.store;
        let mut handled = 0;
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
            if is_last_batch(alerts.len()) {
                break;
            }
        }
        Ok(handled)
    }

    /// Alerts nobody acknowledged in the clinic's escalation time: the clinic's owners are told.
    async fn plan_escalations(
        &self,
        now: Millis,
        email: bool,
        settings: &mut SettingsCache,
    ) -> Result<usize, SchedulerError> {
        let store = &self.state.store;
        let mut handled = 0;
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
            if is_last_batch(alerts.len()) {
                break;
            }
        }
        Ok(handled)
    }
}

impl Scheduler {
    /// When the last complete pass began, from which this pass reads (less
    /// [`MARK_SLACK`]); `None` when it reads the whole window: on an
    /// instance's first pass, and every [`FULL_PLANNING_EVERY`].
    fn last_mark_unless_full_due(&self) -> Option<PlanningMark> {
        let planned = self
            .planned
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let full_due = planned
            .last_full
            .is_none_or(|at| at.elapsed() >= FULL_PLANNING_EVERY);
        planned.mark.filter(|_| !full_due)
    }

    /// Records that everything stored before `mark` was planned, and, when
    /// the pass read the whole window, when it began.
    fn planned_up_to(&self, mark: PlanningMark, whole_window_from: Option<std::time::Instant>) {
        let mut planned = self
            .planned
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        planned.mark = Some(mark);
        if let Some(started) = whole_window_from {
            planned.last_full = Some(started);
        }
    }
}

/// Whether a planning step read everything there was: it stops early
/// after [`MAX_PLAN_BATCHES`] full batches, leaving the rest to the next
/// pass, which must then not start from this pass's mark.
fn read_to_the_end(handled: usize) -> bool {
    handled < MAX_PLAN_BATCHES * usize::try_from(PLAN_BATCH).unwrap_or(usize::MAX)
}

/// Whether a batch read of `len` rows was the last: a full batch may have
/// more behind it.
fn is_last_batch(len: usize) -> bool {
    i64::try_from(len).unwrap_or(i64::MAX) < PLAN_BATCH
}
