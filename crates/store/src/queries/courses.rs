//! Courses: a treatment with its check-ins and decisions, read by a
//! practitioner or through a client's link, and check-ins sent with a link.

use aftercare_core::{Checkin, Guideline};
use sqlx::{Any, Transaction};

use super::{
    CHECKIN_COLUMNS, DECISION_COLUMNS, TREATMENT_COLUMNS, audit, stored_checkin, stored_decision,
    treatment,
};
use crate::model::{Actor, ClinicId, CourseRecord, Millis, Submitted, Treatment, TreatmentId};
use crate::{Store, StoreError};

impl Store {
    /// A treatment of the clinic with its check-ins and decisions; the read
    /// is recorded in the audit trail.
    pub async fn course(
        &self,
        clinic: &ClinicId,
        id: &TreatmentId,
        actor: &Actor,
        now: Millis,
    ) -> Result<CourseRecord, StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        let record = course_in_clinic(&mut tx, clinic, id).await?;
        audit(
            &mut tx,
            Some(clinic),
            actor,
            "course.read",
            &format!("treatment:{id}"),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(record)
    }

    /// The course a client's link opens, if the link exists and has not
    /// expired; the read is recorded in the audit trail.
    pub async fn course_by_link(
        &self,
        link_hash: &str,
        now: Millis,
    ) -> Result<CourseRecord, StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        let row = sqlx::query(&format!(
            "SELECT {TREATMENT_COLUMNS} FROM treatments WHERE link_hash = $1"
        ))
        .bind(link_hash.to_owned())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("link"))?;
        let found = treatment(&row)?;
        if found.link_expires_at <= now {
            return Err(StoreError::LinkExpired);
        }
        let clinic = found.clinic_id.clone();
        let actor = Actor::ClientLink(found.id.clone());
        let subject = format!("treatment:{}", found.id);
        let record = course_of(&mut tx, found).await?;
        audit(&mut tx, Some(&clinic), &actor, "course.read", &subject, now).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// Stores a check-in sent with a client's link, triages the whole
    /// course with `guideline`, and stores the decision (and an alert when
    /// the therapist must be told) in the same transaction: when this
    /// returns, all of it is committed.
    ///
    /// With an idempotency key that was used before on this course, nothing
    /// is stored and the earlier check-in and decision are returned.
    ///
    /// This is [`Store::submit_checkin_shared`] for callers holding a
    /// guideline of their own (the demo, tests): there is one write path
    /// for check-ins per backend, the writer's (`batch/group_sqlx.rs` through sqlx,
    /// `sqlite_writer.rs` on a SQLite file).
    pub async fn submit_checkin(
        &self,
        link_hash: &str,
        idempotency_key: Option<&str>,
        checkin: Checkin,
        guideline: &Guideline,
        now: Millis,
    ) -> Result<Submitted, StoreError> {
        let guideline = std::sync::Arc::new(guideline.clone());
        self.submit_checkin_shared(link_hash, idempotency_key, checkin, &guideline, now)
            .await
    }
}

/// A treatment of the clinic with its check-ins and decisions, read in
/// `tx`; `NotFound("treatment")` when the id is unknown or belongs to
/// another clinic.
pub(crate) async fn course_in_clinic(
    tx: &mut Transaction<'_, Any>,
    clinic: &ClinicId,
    id: &TreatmentId,
) -> Result<CourseRecord, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {TREATMENT_COLUMNS} FROM treatments WHERE clinic_id = $1 AND id = $2"
    ))
    .bind(clinic.as_str().to_owned())
    .bind(id.as_str().to_owned())
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound("treatment"))?;
    course_of(tx, treatment(&row)?).await
}

pub(crate) async fn course_of(
    tx: &mut Transaction<'_, Any>,
    found: Treatment,
) -> Result<CourseRecord, StoreError> {
    let checkins = sqlx::query(&format!(
        "SELECT {CHECKIN_COLUMNS} FROM checkins WHERE treatment_id = $1 ORDER BY seq"
    ))
    .bind(found.id.as_str().to_owned())
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(stored_checkin)
    .collect::<Result<Vec<_>, _>>()?;
    let decisions = sqlx::query(&format!(
        // Through the course's check-ins: decisions have no index by course
        // (one entry fewer to write with every check-in).
        "SELECT {DECISION_COLUMNS} FROM decisions \
         WHERE checkin_id IN (SELECT id FROM checkins WHERE treatment_id = $1) \
         AND treatment_id = $1 ORDER BY id"
    ))
    .bind(found.id.as_str().to_owned())
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(stored_decision)
    .collect::<Result<Vec<_>, _>>()?;
    Ok(CourseRecord {
        treatment: found,
        checkins,
        decisions,
    })
}
