//! A client's record over time: correcting a client's or a treatment's
//! details, erasing a client (or a course past its clinic's retention
//! period), the retention setting, and a client's whole record for them
//! to take away.
//!
//! The store only reads and writes here: which fields changed, whether a
//! correction is allowed, what the engine answers after it and whether
//! that alerts anyone are decided by the caller.

use aftercare_core::{Level, Treatment as TreatmentDetails};
use serde::Serialize;
use sqlx::{Any, Row, Transaction};

use crate::followup::FollowupRecord;
use crate::model::{
    Actor, Alert, AlertId, CheckinId, Client, ClientId, ClinicId, CourseRecord, DecisionId, Millis,
    Treatment, TreatmentId,
};
use crate::queries::{
    ALERT_COLUMNS, TREATMENT_COLUMNS, alert, audit, course_in_clinic, course_of, treatment,
};
use crate::{Backend, Store, StoreError, millis_of};

/// One day in milliseconds.
const DAY_MILLIS: i64 = 24 * 60 * 60 * 1000;

/// How long a clinic keeps a closed course unless it says otherwise: eight
/// years. Professional bodies and insurers of massage and soft-tissue
/// therapists commonly ask members to keep client records for at least
/// seven years after the last treatment of an adult (a claim can come
/// years later); the extra year is a margin. A clinic sets its own period
/// to what its body, insurer and local law ask.
pub const DEFAULT_KEEP_DAYS: u32 = 8 * 365 + 2;

/// A clinic's rule for how long closed courses are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RetentionSettings {
    /// Days a course is kept after it closed (its client link expired and
    /// its follow-up ended), after which the scheduler erases it.
    pub keep_days: u32,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        RetentionSettings {
            keep_days: DEFAULT_KEEP_DAYS,
        }
    }
}

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

/// What to do with a field that may be empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Update<T> {
    /// Leave it as it is.
    #[default]
    Keep,
    /// Set it to a value, or (`None`) empty it.
    Set(Option<T>),
}

impl<T> Update<T> {
    /// Whether the field is set.
    pub fn is_set(&self) -> bool {
        matches!(self, Update::Set(_))
    }

    /// The new value, if the field is set.
    pub fn value(&self) -> Option<&Option<T>> {
        match self {
            Update::Keep => None,
            Update::Set(value) => Some(value),
        }
    }
}

/// New values for a client's details; `None` and `Keep` leave a field as
/// it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientChange {
    /// The name.
    pub name: Option<String>,
    /// The email.
    pub email: Update<String>,
    /// The phone.
    pub phone: Update<String>,
    /// When consent to follow-up was given; emptied when it is withdrawn.
    pub consent_at: Update<Millis>,
}

impl ClientChange {
    /// The names of the fields the change sets, for the audit trail.
    pub fn field_names(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        if self.name.is_some() {
            names.push("name");
        }
        if self.email.is_set() {
            names.push("email");
        }
        if self.phone.is_set() {
            names.push("phone");
        }
        if self.consent_at.is_set() {
            names.push("follow_up_consent");
        }
        names
    }
}

/// A decision made again on a course after its treatment was corrected.
#[derive(Clone, Debug)]
pub struct Retriage {
    /// The latest check-in, which the decision answers.
    pub checkin_id: CheckinId,
    /// The level.
    pub level: Level,
    /// The decision JSON, as the engine made it.
    pub body: String,
    /// The guideline that made it.
    pub guideline_id: String,
    /// Its version.
    pub guideline_version: String,
    /// Tell the treating therapist, at this level.
    pub alert: Option<Level>,
}

/// A corrected treatment, as the caller worked it out.
#[derive(Clone, Debug)]
pub struct TreatmentCorrection {
    /// The treatment's details after the correction.
    pub details: TreatmentDetails,
    /// The private notes after the correction.
    pub notes: Option<String>,
    /// The names of the fields that changed, for the audit trail.
    pub fields: Vec<&'static str>,
    /// How many check-ins the course held when the caller read it: the
    /// correction is refused if one came meanwhile (its decision was made
    /// on what the caller did not see).
    pub checkins_seen: i64,
    /// The course triaged again, when it has check-ins.
    pub retriage: Option<Retriage>,
}

/// One course of a client with everything kept about it.
#[derive(Clone, Debug, Serialize)]
pub struct ClientCourse {
    /// The treatment, its check-ins and decisions.
    pub course: CourseRecord,
    /// The alerts it raised.
    pub alerts: Vec<Alert>,
    /// Its follow-up: plan, invitations, messages.
    pub followup: FollowupRecord,
}

/// Everything a clinic keeps about one client.
#[derive(Clone, Debug, Serialize)]
pub struct ClientRecord {
    /// The client.
    pub client: Client,
    /// Their courses, oldest first.
    pub courses: Vec<ClientCourse>,
}

/// A course past its clinic's retention period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpiredCourse {
    /// The clinic.
    pub clinic_id: ClinicId,
    /// The treatment.
    pub treatment_id: TreatmentId,
}

/// Zeroes what is deleted on SQLite, so erased rows do not stay readable
/// in the file's free pages (PostgreSQL's deleted rows are out of reach of
/// every query and reclaimed by its vacuum).
async fn overwrite_deleted(
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

/// Deletes every row of one course: its outbox and delivery log, alerts
/// and their notices, decisions, check-ins, plan, invitations and the
/// treatment (with the hash of its link). Audit events keep what happened,
/// by whom and when, but no longer name the erased records.
async fn erase_course_in(
    tx: &mut Transaction<'_, Any>,
    clinic: &ClinicId,
    treatment: &TreatmentId,
) -> Result<Erased, StoreError> {
    let id = treatment.as_str();
    let mut erased = Erased {
        audit_events_redacted: touch(
            tx,
            "UPDATE audit_events SET subject = 'alert:erased' WHERE clinic_id = $1 AND subject IN \
             (SELECT 'alert:' || id FROM alerts WHERE clinic_id = $1 AND treatment_id = $2)",
            clinic,
            id,
        )
        .await?
            + touch(
                tx,
                "UPDATE audit_events SET subject = 'checkin:erased' WHERE clinic_id = $1 AND subject IN \
                 (SELECT 'checkin:' || id FROM checkins WHERE clinic_id = $1 AND treatment_id = $2)",
                clinic,
                id,
            )
            .await?
            + touch(
                tx,
                "UPDATE audit_events SET subject = 'treatment:erased' WHERE clinic_id = $1 AND subject = $2",
                clinic,
                &format!("treatment:{id}"),
            )
            .await?
            + touch(
                tx,
                "UPDATE audit_events SET actor = 'client_link:erased' WHERE clinic_id = $1 AND actor = $2",
                clinic,
                &Actor::ClientLink(treatment.clone()).to_db(),
            )
            .await?,
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
        "DELETE FROM decisions WHERE clinic_id = $1 AND treatment_id = $2",
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
async fn erase_client_in(
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

/// Records a change in the audit trail with the names of the fields it
/// touched.
async fn audit_change(
    tx: &mut Transaction<'_, Any>,
    clinic: &ClinicId,
    actor: &Actor,
    action: &str,
    subject: &str,
    fields: &[&str],
    now: Millis,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_events (id, clinic_id, actor, action, subject, at, fields) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(crate::model::AuditId::generate().as_str().to_owned())
    .bind(clinic.as_str().to_owned())
    .bind(actor.to_db())
    .bind(action.to_owned())
    .bind(subject.to_owned())
    .bind(now)
    .bind((!fields.is_empty()).then(|| fields.join(",")))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// Changes a client's details; the audit trail names who, when and
    /// which fields, not the values. A change that sets nothing changes
    /// nothing and records nothing.
    pub async fn update_client(
        &self,
        clinic: &ClinicId,
        id: &ClientId,
        actor: &Actor,
        change: &ClientChange,
        now: Millis,
    ) -> Result<Client, StoreError> {
        let fields = change.field_names();
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        // `$n = 1` says whether a field is set, so one statement serves
        // every combination of fields.
        let done = sqlx::query(
            "UPDATE clients SET \
             name = CASE WHEN $3 = 1 THEN $4 ELSE name END, \
             email = CASE WHEN $5 = 1 THEN $6 ELSE email END, \
             phone = CASE WHEN $7 = 1 THEN $8 ELSE phone END, \
             consent_at = CASE WHEN $9 = 1 THEN $10 ELSE consent_at END \
             WHERE clinic_id = $1 AND id = $2",
        )
        .bind(clinic.as_str().to_owned())
        .bind(id.as_str().to_owned())
        .bind(i64::from(change.name.is_some()))
        .bind(change.name.clone())
        .bind(i64::from(change.email.is_set()))
        .bind(change.email.value().cloned().flatten())
        .bind(i64::from(change.phone.is_set()))
        .bind(change.phone.value().cloned().flatten())
        .bind(i64::from(change.consent_at.is_set()))
        .bind(change.consent_at.value().copied().flatten())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return Err(StoreError::NotFound("client"));
        }
        if !fields.is_empty() {
            audit_change(
                &mut tx,
                clinic,
                actor,
                "client.update",
                &format!("client:{id}"),
                &fields,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        self.client(clinic, id).await
    }

    /// A treatment of the clinic with its check-ins and decisions, read
    /// without recording a read: for a correction, which is recorded itself.
    pub async fn course_to_correct(
        &self,
        clinic: &ClinicId,
        id: &TreatmentId,
    ) -> Result<CourseRecord, StoreError> {
        let mut tx = self.pool().begin().await?;
        let record = course_in_clinic(&mut tx, clinic, id).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// Applies a correction to a treatment in one transaction: the new
    /// details and notes, the decision made again (earlier decisions stay
    /// as they were), an alert when the caller asks for one, and an audit
    /// event naming the fields. Refused with a conflict when a check-in
    /// came since the caller read the course.
    pub async fn correct_treatment(
        &self,
        clinic: &ClinicId,
        id: &TreatmentId,
        actor: &Actor,
        correction: &TreatmentCorrection,
        now: Millis,
    ) -> Result<Treatment, StoreError> {
        let details = serde_json::to_string(&correction.details)
            .map_err(|error| StoreError::Corrupt(error.to_string()))?;
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        let row = sqlx::query(&format!(
            "UPDATE treatments SET at = $1, details = $2, notes = $3 \
             WHERE clinic_id = $4 AND id = $5 AND checkin_count = $6 RETURNING {TREATMENT_COLUMNS}"
        ))
        .bind(millis_of(correction.details.at))
        .bind(details)
        .bind(correction.notes.clone())
        .bind(clinic.as_str().to_owned())
        .bind(id.as_str().to_owned())
        .bind(correction.checkins_seen)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            // Not found, or a check-in came meanwhile.
            self.treatment(clinic, id).await?;
            return Err(StoreError::Conflict(
                "a check-in arrived while the treatment was being corrected; read it again and retry"
                    .to_owned(),
            ));
        };
        let corrected = treatment(&row)?;
        if let Some(retriage) = &correction.retriage {
            let decision = DecisionId::generate();
            sqlx::query(
                "INSERT INTO decisions (id, clinic_id, treatment_id, checkin_id, level, body, guideline_id, guideline_version, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(decision.as_str().to_owned())
            .bind(clinic.as_str().to_owned())
            .bind(id.as_str().to_owned())
            .bind(retriage.checkin_id.as_str().to_owned())
            .bind(retriage.level.as_str().to_owned())
            .bind(retriage.body.clone())
            .bind(retriage.guideline_id.clone())
            .bind(retriage.guideline_version.clone())
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if let Some(level) = retriage.alert {
                sqlx::query(
                    "INSERT INTO alerts (id, clinic_id, treatment_id, decision_id, practitioner_id, level, level_rank, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(AlertId::generate().as_str().to_owned())
                .bind(clinic.as_str().to_owned())
                .bind(id.as_str().to_owned())
                .bind(decision.as_str().to_owned())
                .bind(corrected.practitioner_id.as_str().to_owned())
                .bind(level.as_str().to_owned())
                .bind(i64::try_from(level.index()).unwrap_or_default())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
        }
        audit_change(
            &mut tx,
            clinic,
            actor,
            "treatment.correct",
            &format!("treatment:{id}"),
            &correction.fields,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(corrected)
    }

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

    /// How long the clinic keeps closed courses.
    pub async fn retention_settings(
        &self,
        clinic: &ClinicId,
    ) -> Result<RetentionSettings, StoreError> {
        let row = sqlx::query("SELECT keep_days FROM retention_settings WHERE clinic_id = $1")
            .bind(clinic.as_str().to_owned())
            .fetch_optional(self.pool())
            .await?;
        Ok(match row {
            Some(row) => RetentionSettings {
                keep_days: u32::try_from(row.try_get::<i64, _>("keep_days")?).unwrap_or(u32::MAX),
            },
            None => RetentionSettings::default(),
        })
    }

    /// Sets how long the clinic keeps closed courses. The caller has
    /// checked the value.
    pub async fn put_retention_settings(
        &self,
        clinic: &ClinicId,
        actor: &Actor,
        settings: RetentionSettings,
        now: Millis,
    ) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM retention_settings WHERE clinic_id = $1")
            .bind(clinic.as_str().to_owned())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO retention_settings (clinic_id, keep_days, updated_at) VALUES ($1, $2, $3)",
        )
        .bind(clinic.as_str().to_owned())
        .bind(i64::from(settings.keep_days))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        audit_change(
            &mut tx,
            clinic,
            actor,
            "retention_settings.update",
            &format!("clinic:{clinic}"),
            &["keep_days"],
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Courses whose clinic's retention period has passed since they
    /// closed: since the later of their link's expiry (no check-in can come
    /// after it) and the end of their follow-up.
    pub async fn courses_past_retention(
        &self,
        now: Millis,
        limit: i64,
    ) -> Result<Vec<ExpiredCourse>, StoreError> {
        let rows = sqlx::query(
            "SELECT t.clinic_id, t.id FROM treatments t \
             LEFT JOIN retention_settings r ON r.clinic_id = t.clinic_id \
             LEFT JOIN followup_plans p ON p.treatment_id = t.id \
             WHERE (CASE WHEN p.closed_at IS NOT NULL AND p.closed_at > t.link_expires_at \
                    THEN p.closed_at ELSE t.link_expires_at END) \
                   + COALESCE(r.keep_days, $2) * $3 <= $1 \
             ORDER BY t.id LIMIT $4",
        )
        .bind(now)
        .bind(i64::from(DEFAULT_KEEP_DAYS))
        .bind(DAY_MILLIS)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ExpiredCourse {
                    clinic_id: ClinicId::from_db(row.try_get("clinic_id")?),
                    treatment_id: TreatmentId::from_db(row.try_get("id")?),
                })
            })
            .collect()
    }

    /// Erases courses of one clinic past its retention period, in one
    /// transaction, and each client left with no course who was added
    /// before the period began; one audit event records that retention
    /// erased records, without naming them.
    pub async fn erase_courses(
        &self,
        clinic: &ClinicId,
        treatments: &[TreatmentId],
        now: Millis,
    ) -> Result<Erased, StoreError> {
        let keep_days = self.retention_settings(clinic).await?.keep_days;
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        overwrite_deleted(&mut tx, self.backend()).await?;
        let mut erased = Erased::default();
        let mut clients = Vec::new();
        for treatment in treatments {
            let client =
                sqlx::query("SELECT client_id FROM treatments WHERE clinic_id = $1 AND id = $2")
                    .bind(clinic.as_str().to_owned())
                    .bind(treatment.as_str().to_owned())
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some(client) = client {
                clients.push(ClientId::from_db(client.try_get("client_id")?));
                erased += erase_course_in(&mut tx, clinic, treatment).await?;
            }
        }
        clients.sort();
        clients.dedup();
        let cutoff = now - i64::from(keep_days) * DAY_MILLIS;
        for client in &clients {
            let left = sqlx::query(
                "SELECT c.id FROM clients c WHERE c.clinic_id = $1 AND c.id = $2 AND c.created_at <= $3 \
                 AND NOT EXISTS (SELECT 1 FROM treatments t WHERE t.clinic_id = c.clinic_id AND t.client_id = c.id)",
            )
            .bind(clinic.as_str().to_owned())
            .bind(client.as_str().to_owned())
            .bind(cutoff)
            .fetch_optional(&mut *tx)
            .await?;
            if left.is_some() {
                erased += erase_client_in(&mut tx, clinic, client).await?;
            }
        }
        if erased != Erased::default() {
            audit(
                &mut tx,
                Some(clinic),
                &Actor::System,
                "retention.erase",
                &format!("clinic:{clinic}"),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(erased)
    }

    /// Everything the clinic keeps about one client, for them to take
    /// away; the read is recorded in the audit trail.
    pub async fn client_record(
        &self,
        clinic: &ClinicId,
        id: &ClientId,
        actor: &Actor,
        now: Millis,
    ) -> Result<ClientRecord, StoreError> {
        let client = self.client(clinic, id).await?;
        let mut tx = self.pool().begin().await?;
        let rows = sqlx::query(&format!(
            "SELECT {TREATMENT_COLUMNS} FROM treatments WHERE clinic_id = $1 AND client_id = $2 ORDER BY id"
        ))
        .bind(clinic.as_str().to_owned())
        .bind(id.as_str().to_owned())
        .fetch_all(&mut *tx)
        .await?;
        let mut courses = Vec::with_capacity(rows.len());
        for row in &rows {
            let course = course_of(&mut tx, treatment(row)?).await?;
            let alerts = sqlx::query(&format!(
                "SELECT {ALERT_COLUMNS} FROM alerts WHERE clinic_id = $1 AND treatment_id = $2 ORDER BY id"
            ))
            .bind(clinic.as_str().to_owned())
            .bind(course.treatment.id.as_str().to_owned())
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(alert)
            .collect::<Result<Vec<_>, _>>()?;
            courses.push((course, alerts));
        }
        tx.commit().await?;
        let mut record = ClientRecord {
            client,
            courses: Vec::with_capacity(courses.len()),
        };
        for (course, alerts) in courses {
            let followup = self.followup(clinic, &course.treatment.id).await?;
            record.courses.push(ClientCourse {
                course,
                alerts,
                followup,
            });
        }
        self.record_audit(
            Some(clinic),
            actor,
            "client.export",
            &format!("client:{id}"),
            now,
        )
        .await?;
        Ok(record)
    }
}
