//! Each treatment's follow-up plan: the planner's lease, finding
//! treatments to plan and plans to advance, applying the planner's
//! decisions, and a therapist's change or close of a plan.

use aftercare_core::Level;
use sqlx::{Any, Row, Transaction};

use super::invitations::{end_invitation, open_invitation};
use super::{
    InvitationEnd, InvitationId, NewInvitation, NewMessage, plan_hours_of, plan_hours_text,
};
use crate::model::{ClinicId, Millis, TreatmentId};
use crate::{Store, StoreError};

/// The most check-ins since a planning mark that a planning pass reads to
/// find the courses to plan. Each costs a step into its row (its course is
/// not in the index by id), about what a course of the whole window costs
/// to read; past this many, a busy minute on few courses, reading the
/// window is no dearer. (Measured with the load test, 2,000 courses and a
/// few thousand check-ins a second: reading the check-ins of each pass's
/// seconds took more of the machine than reading every course.)
const CHECKINS_READ_AT_MOST: i64 = 1_000;

/// What comes next in a plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlanNext {
    /// Invite the client again.
    Invite(NewInvitation),
    /// Stop following up, for this reason (`clear`, `plan_complete`,
    /// `unanswered`, `no_consent`, `therapist`).
    Close(&'static str),
}

/// A treatment the scheduler has not yet planned.
#[derive(Clone, Debug)]
pub struct UnplannedTreatment {
    /// Clinic.
    pub clinic_id: ClinicId,
    /// Treatment.
    pub treatment_id: TreatmentId,
    /// When it was given.
    pub treatment_at: Millis,
    /// The client's email, if known.
    pub client_email: Option<String>,
    /// The client's phone, if known.
    pub client_phone: Option<String>,
    /// Whether the client agreed to be followed up.
    pub consented: bool,
}

/// A plan with something new to react to: check-ins since it last looked,
/// or a change of plan by the therapist.
#[derive(Clone, Debug)]
pub struct PlanToAdvance {
    /// Clinic.
    pub clinic_id: ClinicId,
    /// Treatment.
    pub treatment_id: TreatmentId,
    /// When it was given.
    pub treatment_at: Millis,
    /// The plan in effect, hours after the treatment.
    pub plan_hours: Vec<u32>,
    /// Check-ins seen when the plan was last advanced.
    pub checkins_seen: i64,
    /// Check-ins stored now.
    pub checkin_count: i64,
    /// The invitation waiting for an answer, if any.
    pub open_invitation: Option<InvitationId>,
    /// The latest check-in's time, if any.
    pub last_checkin_at: Option<Millis>,
    /// The latest decision's level, if any.
    pub last_level: Option<Level>,
    /// The latest decision's `next_checkin_hours`; `None` also when it
    /// said no further check-in is needed (see `last_level`).
    pub next_checkin_hours: Option<u32>,
    /// The client's email, if known.
    pub client_email: Option<String>,
    /// The client's phone, if known.
    pub client_phone: Option<String>,
    /// Whether the client agreed to be followed up.
    pub consented: bool,
}

/// A change to apply to one plan, in one transaction.
#[derive(Clone, Debug)]
pub struct PlanUpdate {
    /// Clinic.
    pub clinic_id: ClinicId,
    /// Treatment.
    pub treatment_id: TreatmentId,
    /// Applied only if the plan still has this many check-ins seen: a
    /// concurrent planner that got there first wins, this one changes nothing.
    pub seen_before: i64,
    /// The count to record.
    pub seen_after: i64,
    /// The latest decision's level, to remember.
    pub last_level: Option<Level>,
    /// End the open invitation (its queued messages are cancelled).
    pub end_invitation: Option<(InvitationId, InvitationEnd)>,
    /// What comes next.
    pub next: PlanNext,
    /// Other messages (a missed check-in).
    pub extra_messages: Vec<NewMessage>,
}

/// Moves a plan to the check-ins it has now seen, unless another planner
/// got there first or a therapist closed it (SQLite's writer runs it, see
/// `plan_writes.rs`; PostgreSQL's claim for a whole group is in
/// `plan_writes_postgres.rs`).
pub(super) const CLAIM_PLAN: &str = "UPDATE followup_plans SET checkins_seen = $1, \
     last_level = COALESCE($2, last_level), open_invitation = NULL, updated_at = $3 \
     WHERE clinic_id = $4 AND treatment_id = $5 AND checkins_seen = $6 \
     AND (closed_reason IS NULL OR closed_reason <> 'therapist')";

/// Records the plan's new open invitation (and that it is open again).
pub(super) const SET_OPEN_INVITATION: &str = "UPDATE followup_plans SET open_invitation = $1, \
     closed_at = NULL, closed_reason = NULL WHERE clinic_id = $2 AND treatment_id = $3";

/// Closes a plan, for a reason.
pub(super) const CLOSE_PLAN: &str = "UPDATE followup_plans SET closed_at = $1, closed_reason = $2 \
     WHERE clinic_id = $3 AND treatment_id = $4";

/// Plans the scheduler writes in one transaction: enough to share a
/// commit's cost, few enough that a check-in waiting for the write turn
/// waits little.
const PLAN_UPDATES_PER_TRANSACTION: usize = 16;

impl Store {
    /// Takes (or keeps) the planner's lease: only one instance plans at a
    /// time. True when `holder` has it until `until`.
    pub async fn take_planner_lease(
        &self,
        holder: &str,
        now: Millis,
        until: Millis,
    ) -> Result<bool, StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO scheduler_leases (name, holder, lease_until) VALUES ('planner', $1, $2) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(holder.to_owned())
        .bind(until)
        .execute(&mut *tx)
        .await?;
        let taken = sqlx::query(
            "UPDATE scheduler_leases SET holder = $1, lease_until = $2 \
             WHERE name = 'planner' AND (holder = $1 OR lease_until <= $3)",
        )
        .bind(holder.to_owned())
        .bind(until)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(taken.rows_affected() == 1)
    }

    /// Treatments recorded since `since` without a follow-up plan yet;
    /// with `recorded_from` (a [`PlanningMark`](super::PlanningMark)'s bound), only those
    /// recorded since then.
    pub async fn treatments_without_plan(
        &self,
        since: Millis,
        recorded_from: Option<Millis>,
        limit: i64,
    ) -> Result<Vec<UnplannedTreatment>, StoreError> {
        // Since a planning mark, a few treatments at the end of the index
        // by record time; the whole window is read faster in id order
        // (measured on SQLite with 200,000 treatments: 0.02 ms and 320 ms
        // this way, 1.6 s for the window by record time).
        let (from, order) = match recorded_from {
            Some(from) => (from.max(since), "t.created_at, t.id"),
            None => (since, "t.id"),
        };
        let rows = sqlx::query(&format!(
            "SELECT t.clinic_id, t.id, t.at, c.email, c.phone, c.consent_at FROM treatments t \
             JOIN clients c ON c.id = t.client_id \
             LEFT JOIN followup_plans p ON p.treatment_id = t.id \
             WHERE p.treatment_id IS NULL AND t.created_at >= $1 ORDER BY {order} LIMIT $2"
        ))
        .bind(from)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(UnplannedTreatment {
                    clinic_id: ClinicId::from_db(row.try_get("clinic_id")?),
                    treatment_id: TreatmentId::from_db(row.try_get("id")?),
                    treatment_at: row.try_get("at")?,
                    client_email: row.try_get("email")?,
                    client_phone: row.try_get("phone")?,
                    consented: row.try_get::<Option<i64>, _>("consent_at")?.is_some(),
                })
            })
            .collect()
    }

    /// Starts a treatment's plan with its first step. Does nothing when
    /// another planner started it already.
    pub async fn start_plan(
        &self,
        clinic: &ClinicId,
        treatment: &TreatmentId,
        plan_hours: &[u32],
        next: &PlanNext,
        now: Millis,
    ) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO followup_plans (treatment_id, clinic_id, plan_hours, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (treatment_id) DO NOTHING",
        )
        .bind(treatment.as_str().to_owned())
        .bind(clinic.as_str().to_owned())
        .bind(plan_hours_text(plan_hours))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            // Nothing written: end the transaction now, not when the
            // connection is next used (SQLite holds its write lock till then).
            tx.rollback().await?;
            return Ok(());
        }
        apply_next(&mut tx, clinic, treatment, next, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Plans of treatments recorded since `since` with check-ins they have
    /// not reacted to, or whose plan a therapist changed. Plans a therapist
    /// closed are left alone. With `checkins_from` (a [`PlanningMark`](super::PlanningMark)'s
    /// bound), only courses with a check-in stored since then, and plans a
    /// therapist changed, are looked at, instead of every plan since
    /// `since`, unless more than a thousand check-ins were stored since
    /// the bound (`CHECKINS_READ_AT_MOST`).
    pub async fn plans_to_advance(
        &self,
        since: Millis,
        checkins_from: Option<&str>,
        limit: i64,
    ) -> Result<Vec<PlanToAdvance>, StoreError> {
        // One statement for the whole batch: the latest check-in and its
        // latest decision come with each plan (read a plan at a time, a busy
        // pass paid a round trip per plan). Each is found by an index
        // lookup per plan, written so that neither database scans every
        // check-in to join them.
        //
        // The candidates: check-in ids are time-ordered, so the check-ins
        // since a bound are a range of their primary key; plans a
        // therapist changed are a partial index of their own
        // (`followup_plans_changed`, whose condition this repeats so that
        // SQLite uses it).
        let checkins_from = match checkins_from {
            Some(from) if self.checkins_since_at_most(from).await? => Some(from),
            _ => None,
        };
        let candidates = if checkins_from.is_some() {
            "p.treatment_id IN (SELECT n.treatment_id FROM checkins n WHERE n.id >= $3 \
             UNION SELECT q.treatment_id FROM followup_plans q WHERE q.checkins_seen < 0) AND"
        } else {
            ""
        };
        let sql = format!(
            "SELECT x.*, lc.at AS last_checkin_at, ld.level AS last_level, ld.body AS last_body FROM ( \
             SELECT p.clinic_id, p.treatment_id, t.at AS treatment_at, p.plan_hours, p.checkins_seen, \
             t.checkin_count, p.open_invitation, c.email, c.phone, c.consent_at, \
             (SELECT l.id FROM checkins l WHERE l.treatment_id = p.treatment_id ORDER BY l.seq DESC LIMIT 1) \
             AS last_checkin_id \
             FROM followup_plans p \
             JOIN treatments t ON t.id = p.treatment_id JOIN clients c ON c.id = t.client_id \
             WHERE {candidates} (t.checkin_count > p.checkins_seen OR p.checkins_seen < 0) \
             AND (p.closed_reason IS NULL OR p.closed_reason <> 'therapist') AND t.created_at >= $1 \
             ORDER BY p.treatment_id LIMIT $2) x \
             LEFT JOIN checkins lc ON lc.id = x.last_checkin_id \
             LEFT JOIN decisions ld ON ld.id = \
             (SELECT d.id FROM decisions d WHERE d.checkin_id = lc.id ORDER BY d.id DESC LIMIT 1) \
             ORDER BY x.treatment_id"
        );
        let mut query = sqlx::query(&sql).bind(since).bind(limit);
        if let Some(from) = checkins_from {
            query = query.bind(from.to_owned());
        }
        let rows = query.fetch_all(self.pool()).await?;
        let mut plans = Vec::with_capacity(rows.len());
        for row in &rows {
            let (last_level, next_checkin_hours) =
                match row.try_get::<Option<String>, _>("last_level")? {
                    Some(level) => (
                        Some(crate::queries::level(&level)?),
                        next_checkin_hours(&row.try_get::<String, _>("last_body")?)?,
                    ),
                    None => (None, None),
                };
            plans.push(PlanToAdvance {
                clinic_id: ClinicId::from_db(row.try_get("clinic_id")?),
                treatment_id: TreatmentId::from_db(row.try_get("treatment_id")?),
                treatment_at: row.try_get("treatment_at")?,
                plan_hours: plan_hours_of(&row.try_get::<String, _>("plan_hours")?)?,
                checkins_seen: row.try_get("checkins_seen")?,
                checkin_count: row.try_get("checkin_count")?,
                open_invitation: row
                    .try_get::<Option<String>, _>("open_invitation")?
                    .map(InvitationId),
                last_checkin_at: row.try_get("last_checkin_at")?,
                last_level,
                next_checkin_hours,
                client_email: row.try_get("email")?,
                client_phone: row.try_get("phone")?,
                consented: row.try_get::<Option<i64>, _>("consent_at")?.is_some(),
            });
        }
        Ok(plans)
    }

    /// Whether at most [`CHECKINS_READ_AT_MOST`] check-ins have an id at or
    /// after `from`: counted in the primary key alone, without reading
    /// their rows.
    async fn checkins_since_at_most(&self, from: &str) -> Result<bool, StoreError> {
        let found: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM (SELECT 1 FROM checkins WHERE id >= $1 LIMIT $2) recent",
        )
        .bind(from.to_owned())
        .bind(CHECKINS_READ_AT_MOST + 1)
        .fetch_one(self.pool())
        .await?;
        Ok(found <= CHECKINS_READ_AT_MOST)
    }

    /// Applies a planner's decisions, a few plans to a transaction;
    /// answers how many were applied. A plan that moved on since it was
    /// read is left as it is (the next pass reads it again).
    ///
    /// After a busy minute nearly every course has a new check-in, and one
    /// transaction per plan made the scheduler take the write turn as
    /// often as the check-in writer did. If a transaction fails, its plans
    /// are applied one at a time, so one plan cannot hold back the others.
    pub async fn update_plans(
        &self,
        updates: &[PlanUpdate],
        now: Millis,
    ) -> Result<usize, StoreError> {
        let mut applied = 0;
        for chunk in updates.chunks(PLAN_UPDATES_PER_TRANSACTION) {
            match self.update_plans_together(chunk, now).await {
                Ok(count) => applied += count,
                Err(error) => {
                    tracing::debug!(%error, "plans failed together; applying them one at a time");
                    for update in chunk {
                        applied += self
                            .update_plans_together(std::slice::from_ref(update), now)
                            .await?;
                    }
                }
            }
        }
        Ok(applied)
    }

    /// Applies `updates` in one transaction; answers how many applied. On
    /// SQLite the check-in writer applies them on its own connection
    /// (`plan_writes.rs`); on PostgreSQL they go through the pool, a few
    /// statements for all of them (`plan_writes_postgres.rs`).
    async fn update_plans_together(
        &self,
        updates: &[PlanUpdate],
        now: Millis,
    ) -> Result<usize, StoreError> {
        if self.backend() == crate::Backend::Sqlite {
            return self
                .checkin_batcher()?
                .update_plans(updates.to_vec(), now)
                .await;
        }
        let mut tx = self.pool().begin().await?;
        let applied = super::plan_writes_postgres::update_plans_in(&mut tx, updates, now).await?;
        tx.commit().await?;
        Ok(applied)
    }

    /// Sets one treatment's plan (a therapist's change). The open
    /// invitation, if not sent yet, is cancelled and the planner works out
    /// the next one from the new plan.
    pub async fn set_treatment_plan(
        &self,
        clinic: &ClinicId,
        actor: &crate::Actor,
        treatment: &TreatmentId,
        plan_hours: &[u32],
        now: Millis,
    ) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        let open = plan_of(&mut tx, clinic, treatment).await?;
        // A negative count of check-ins seen asks the planner to work the
        // plan out again (see `plans_to_advance`), whatever it saw before.
        if open.is_none() {
            sqlx::query(
                "INSERT INTO followup_plans (treatment_id, clinic_id, plan_hours, overridden, checkins_seen, updated_at) \
                 VALUES ($1, $2, $3, 1, -1, $4)",
            )
            .bind(treatment.as_str().to_owned())
            .bind(clinic.as_str().to_owned())
            .bind(plan_hours_text(plan_hours))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        } else {
            sqlx::query(
                "UPDATE followup_plans SET plan_hours = $1, overridden = 1, checkins_seen = -1, \
                 open_invitation = NULL, closed_at = NULL, closed_reason = NULL, updated_at = $2 \
                 WHERE clinic_id = $3 AND treatment_id = $4",
            )
            .bind(plan_hours_text(plan_hours))
            .bind(now)
            .bind(clinic.as_str().to_owned())
            .bind(treatment.as_str().to_owned())
            .execute(&mut *tx)
            .await?;
        }
        cancel_open_and_audit(
            &mut tx,
            clinic,
            actor,
            treatment,
            open.flatten(),
            "followup.plan",
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends a treatment's follow-up (the therapist closes the course): no
    /// more invitations, and queued ones are cancelled.
    pub async fn close_followup(
        &self,
        clinic: &ClinicId,
        actor: &crate::Actor,
        treatment: &TreatmentId,
        now: Millis,
    ) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        let open = plan_of(&mut tx, clinic, treatment).await?;
        if open.is_none() {
            sqlx::query(
                "INSERT INTO followup_plans (treatment_id, clinic_id, plan_hours, closed_at, closed_reason, updated_at) \
                 VALUES ($1, $2, '[]', $3, 'therapist', $3)",
            )
            .bind(treatment.as_str().to_owned())
            .bind(clinic.as_str().to_owned())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        } else {
            sqlx::query(
                // A plan changed and then closed waits for no pass: out of
                // the index of changed plans (`followup_plans_changed`).
                "UPDATE followup_plans SET open_invitation = NULL, closed_at = $1, closed_reason = 'therapist', \
                 checkins_seen = CASE WHEN checkins_seen < 0 THEN 0 ELSE checkins_seen END, \
                 updated_at = $1 WHERE clinic_id = $2 AND treatment_id = $3",
            )
            .bind(now)
            .bind(clinic.as_str().to_owned())
            .bind(treatment.as_str().to_owned())
            .execute(&mut *tx)
            .await?;
        }
        cancel_open_and_audit(
            &mut tx,
            clinic,
            actor,
            treatment,
            open.flatten(),
            "followup.close",
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Opens the next invitation, or closes the plan.
async fn apply_next(
    tx: &mut Transaction<'_, Any>,
    clinic: &ClinicId,
    treatment: &TreatmentId,
    next: &PlanNext,
    now: Millis,
) -> Result<(), StoreError> {
    match next {
        PlanNext::Invite(invitation) => {
            let id = open_invitation(tx, clinic, treatment, invitation, now).await?;
            sqlx::query(SET_OPEN_INVITATION)
                .bind(id.as_str().to_owned())
                .bind(clinic.as_str().to_owned())
                .bind(treatment.as_str().to_owned())
                .execute(&mut **tx)
                .await?;
        }
        PlanNext::Close(reason) => {
            sqlx::query(CLOSE_PLAN)
                .bind(now)
                .bind((*reason).to_owned())
                .bind(clinic.as_str().to_owned())
                .bind(treatment.as_str().to_owned())
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

/// A treatment's follow-up plan row, if any, with its open invitation:
/// `None` when the treatment has no plan row yet. A treatment of another
/// clinic (or none) is not found.
async fn plan_of(
    tx: &mut Transaction<'_, Any>,
    clinic: &ClinicId,
    treatment: &TreatmentId,
) -> Result<Option<Option<String>>, StoreError> {
    let exists = sqlx::query("SELECT id FROM treatments WHERE clinic_id = $1 AND id = $2")
        .bind(clinic.as_str().to_owned())
        .bind(treatment.as_str().to_owned())
        .fetch_optional(&mut **tx)
        .await?;
    if exists.is_none() {
        return Err(StoreError::NotFound("treatment"));
    }
    Ok(sqlx::query(
        "SELECT open_invitation FROM followup_plans WHERE clinic_id = $1 AND treatment_id = $2",
    )
    .bind(clinic.as_str().to_owned())
    .bind(treatment.as_str().to_owned())
    .fetch_optional(&mut **tx)
    .await?
    .map(|row| row.try_get("open_invitation"))
    .transpose()?)
}

/// After a therapist changed or closed a plan: the invitation that was
/// open is cancelled, and the change goes into the audit trail.
async fn cancel_open_and_audit(
    tx: &mut Transaction<'_, Any>,
    clinic: &ClinicId,
    actor: &crate::Actor,
    treatment: &TreatmentId,
    open: Option<String>,
    action: &str,
    now: Millis,
) -> Result<(), StoreError> {
    if let Some(invitation) = open {
        end_invitation(
            tx,
            clinic,
            &InvitationId::from_db(invitation),
            InvitationEnd::Cancelled,
            now,
        )
        .await?;
    }
    crate::queries::audit(
        tx,
        Some(clinic),
        actor,
        action,
        &format!("treatment:{treatment}"),
        now,
    )
    .await
}

/// A stored decision's `next_checkin_hours`, read without building the
/// whole decision (it is kept as the JSON the person was shown).
fn next_checkin_hours(body: &str) -> Result<Option<u32>, StoreError> {
    #[derive(serde::Deserialize)]
    struct Next {
        next_checkin_hours: Option<u64>,
    }
    let next: Next = serde_json::from_str(body)
        .map_err(|error| StoreError::Corrupt(format!("decision body: {error}")))?;
    Ok(next
        .next_checkin_hours
        .map(|hours| u32::try_from(hours).unwrap_or(u32::MAX)))
}
