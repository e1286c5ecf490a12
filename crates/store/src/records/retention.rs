//! How long a clinic keeps closed courses, finding the courses past that
//! period, and erasing them.

use serde::Serialize;
use sqlx::Row;

use super::audit_change;
use super::erasure::{Erased, erase_client_in, erase_course_in, overwrite_deleted};
use crate::model::{Actor, ClientId, ClinicId, Millis, TreatmentId};
use crate::queries::audit;
use crate::{Store, StoreError};

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

/// A course past its clinic's retention period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpiredCourse {
    /// The clinic.
    pub clinic_id: ClinicId,
    /// The treatment.
    pub treatment_id: TreatmentId,
}

impl Store {
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
}
