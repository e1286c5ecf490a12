//! Erasing a client, a course or a self-check diary: every row that names
//! them goes, and audit events no longer name them.

use serde::Serialize;
use sqlx::{Any, Row, Transaction};

use crate::model::{Actor, ClientId, ClinicId, Millis, TreatmentId};
use crate::queries::audit;
use crate::{Backend, Store, StoreError};

/// What an erasure removed: counts only, never what the rows held.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Erased {
    /// Clients.
    pub clients: u64,
    /// Treatments (courses).
    pub treatments: u64,
    /// Check-ins.
    pub checkins: u64,
    /// Decisions.
    pub decisions: u64,
    /// Alerts (and their notices).
    pub alerts: u64,
    /// Follow-up plans.
    pub plans: u64,
    /// Invitations.
    pub invitations: u64,
    /// Messages of the outbox.
    pub messages: u64,
    /// Lines of the delivery log.
    pub delivery_log: u64,
    /// Audit events whose subject or actor named an erased record, which
    /// now name the kind of record only.
    pub audit_events_redacted: u64,
}

impl std::ops::AddAssign for Erased {
    fn add_assign(&mut self, other: Erased) {
        self.clients += other.clients;
        self.treatments += other.treatments;
        self.checkins += other.checkins;
        self.decisions += other.decisions;
        self.alerts += other.alerts;
        self.plans += other.plans;
        self.invitations += other.invitations;
        self.messages += other.messages;
        self.delivery_log += other.delivery_log;
        self.audit_events_redacted += other.audit_events_redacted;
    }
}

/// Zeroes what is deleted on SQLite, so erased rows do not stay readable
/// in the file's free pages (PostgreSQL's deleted rows are out of reach of
/// every query and reclaimed by its vacuum).
pub(super) async fn overwrite_deleted(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
) -> Result<(), StoreError> {
    if backend == Backend::Sqlite {
        sqlx::query("PRAGMA secure_delete = ON")
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Runs one statement bound to the clinic and one more value; answers how
/// many rows it touched.
async fn touch(
    tx: &mut Transaction<'_, Any>,
    sql: &str,
    clinic: &ClinicId,
    value: &str,
) -> Result<u64, StoreError> {
    Ok(sqlx::query(sql)
        .bind(clinic.as_str().to_owned())
        .bind(value.to_owned())
        .execute(&mut **tx)
        .await?
        .rows_affected())
}

/// Makes the audit events that name a course's alerts, check-ins,
/// treatment or client link name only the kind of record; answers how
/// many it changed. Run before the rows themselves go, while they can
/// still be found.
async fn redact_course_audit(
    tx: &mut Transaction<'_, Any>,
    clinic: &ClinicId,
    treatment: &TreatmentId,
) -> Result<u64, StoreError> {
    let id = treatment.as_str();
    let alerts = touch(
        tx,
        "UPDATE audit_events SET subject = 'alert:erased' WHERE clinic_id = $1 AND subject IN \
         (SELECT 'alert:' || id FROM alerts WHERE clinic_id = $1 AND treatment_id = $2)",
        clinic,
        id,
    )
    .await?;
    let link = Actor::ClientLink(treatment.clone()).to_db();
    // A check-in's own event is found here, by its subject, also to redact
    // its actor: `audit_by_actor` leaves check-in events out (one index
    // entry fewer to write with every check-in).
    let checkins = sqlx::query(
        "UPDATE audit_events SET subject = 'checkin:erased', \
         actor = CASE WHEN actor = $3 THEN 'client_link:erased' ELSE actor END \
         WHERE clinic_id = $1 AND subject IN \
         (SELECT 'checkin:' || id FROM checkins WHERE clinic_id = $1 AND treatment_id = $2)",
    )
    .bind(clinic.as_str().to_owned())
    .bind(id.to_owned())
    .bind(link.clone())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    let course = touch(
        tx,
        "UPDATE audit_events SET subject = 'treatment:erased' WHERE clinic_id = $1 AND subject = $2",
        clinic,
        &format!("treatment:{id}"),
    )
    .await?;
    // Every other event the link acted in. The condition on `action` is
    // the partial index's own, so that both databases use it.
    let by_link = touch(
        tx,
        "UPDATE audit_events SET actor = 'client_link:erased' \
         WHERE clinic_id = $1 AND actor = $2 AND action <> 'checkin.create'",
        clinic,
        &link,
    )
    .await?;
    Ok(alerts + checkins + course + by_link)
}

/// Deletes every row of one course: its outbox and delivery log, alerts
/// and their notices, decisions, check-ins, plan, invitations and the
/// treatment (with the hash of its link). Audit events keep what happened,
/// by whom and when, but no longer name the erased records.
pub(super) async fn erase_course_in(
    tx: &mut Transaction<'_, Any>,
    clinic: &ClinicId,
    treatment: &TreatmentId,
) -> Result<Erased, StoreError> {
    let id = treatment.as_str();
    let mut erased = Erased {
        audit_events_redacted: redact_course_audit(tx, clinic, treatment).await?,
        ..Erased::default()
    };
    erased.delivery_log = touch(
        tx,
        "DELETE FROM delivery_log WHERE clinic_id = $1 AND message_id IN \
         (SELECT id FROM messages WHERE clinic_id = $1 AND treatment_id = $2)",
        clinic,
        id,
    )
    .await?;
    erased.messages = touch(
        tx,
        "DELETE FROM messages WHERE clinic_id = $1 AND treatment_id = $2",
        clinic,
        id,
    )
    .await?;
    touch(
        tx,
        "DELETE FROM alert_notices WHERE clinic_id = $1 AND alert_id IN \
         (SELECT id FROM alerts WHERE clinic_id = $1 AND treatment_id = $2)",
        clinic,
        id,
    )
    .await?;
    erased.alerts = touch(
        tx,
        "DELETE FROM alerts WHERE clinic_id = $1 AND treatment_id = $2",
        clinic,
        id,
    )
    .await?;
    erased.decisions = touch(
        tx,
        // Found through the check-ins (decisions have no index by course).
        "DELETE FROM decisions WHERE clinic_id = $1 AND treatment_id = $2 \
         AND checkin_id IN (SELECT id FROM checkins WHERE clinic_id = $1 AND treatment_id = $2)",
        clinic,
        id,
    )
    .await?;
    erased.checkins = touch(
        tx,
        "DELETE FROM checkins WHERE clinic_id = $1 AND treatment_id = $2",
        clinic,
        id,
    )
    .await?;
    erased.plans = touch(
        tx,
        "DELETE FROM followup_plans WHERE clinic_id = $1 AND treatment_id = $2",
        clinic,
        id,
    )
    .await?;
    erased.invitations = touch(
        tx,
        "DELETE FROM invitations WHERE clinic_id = $1 AND treatment_id = $2",
        clinic,
        id,
    )
    .await?;
    // A check-in still being entered on the course's link goes with it.
    touch(
        tx,
        "DELETE FROM checkin_drafts WHERE key_hash IN \
         (SELECT link_hash FROM treatments WHERE clinic_id = $1 AND id = $2)",
        clinic,
        id,
    )
    .await?;
    erased.treatments = touch(
        tx,
        "DELETE FROM treatments WHERE clinic_id = $1 AND id = $2",
        clinic,
        id,
    )
    .await?;
    Ok(erased)
}

/// Erases a client and every course of theirs.
pub(super) async fn erase_client_in(
    tx: &mut Transaction<'_, Any>,
    clinic: &ClinicId,
    client: &ClientId,
) -> Result<Erased, StoreError> {
    let treatments: Vec<String> = sqlx::query(
        "SELECT id FROM treatments WHERE clinic_id = $1 AND client_id = $2 ORDER BY id",
    )
    .bind(clinic.as_str().to_owned())
    .bind(client.as_str().to_owned())
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|row| row.try_get("id"))
    .collect::<Result<_, _>>()?;
    let mut erased = Erased::default();
    for treatment in treatments {
        erased += erase_course_in(tx, clinic, &TreatmentId::from_db(treatment)).await?;
    }
    erased.audit_events_redacted += touch(
        tx,
        "UPDATE audit_events SET subject = 'client:erased' WHERE clinic_id = $1 AND subject = $2",
        clinic,
        &format!("client:{client}"),
    )
    .await?;
    erased.clients = touch(
        tx,
        "DELETE FROM clients WHERE clinic_id = $1 AND id = $2",
        clinic,
        client.as_str(),
    )
    .await?;
    Ok(erased)
}

impl Store {
    /// Erases a client of the clinic and everything about them, in one
    /// transaction: their treatments, check-ins, decisions, alerts,
    /// follow-up plans, invitations, messages, delivery-log lines and the
    /// hashes of their links. The audit trail keeps that an erasure
    /// happened, by whom and when; events that named the erased records
    /// now name only their kind.
    pub async fn erase_client(
        &self,
        clinic: &ClinicId,
        id: &ClientId,
        actor: &Actor,
        now: Millis,
    ) -> Result<Erased, StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        let found = sqlx::query("SELECT id FROM clients WHERE clinic_id = $1 AND id = $2")
            .bind(clinic.as_str().to_owned())
            .bind(id.as_str().to_owned())
            .fetch_optional(&mut *tx)
            .await?;
        if found.is_none() {
            tx.rollback().await?;
            return Err(StoreError::NotFound("client"));
        }
        overwrite_deleted(&mut tx, self.backend()).await?;
        let erased = erase_client_in(&mut tx, clinic, id).await?;
        audit(
            &mut tx,
            Some(clinic),
            actor,
            "client.erase",
            "client:erased",
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(erased)
    }

    /// Erases a self-check diary (its holder asked to).
    pub async fn erase_diary(&self, link_hash: &str) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        overwrite_deleted(&mut tx, self.backend()).await?;
        let done = sqlx::query("DELETE FROM selfcheck_diaries WHERE link_hash = $1")
            .bind(link_hash.to_owned())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return Err(StoreError::NotFound("diary"));
        }
        // A check-in still being entered in the diary goes with it.
        sqlx::query("DELETE FROM checkin_drafts WHERE key_hash = $1")
            .bind(link_hash.to_owned())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
