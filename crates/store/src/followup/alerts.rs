//! Alerts in the outbox: finding alerts not yet notified and those due
//! for escalation to the clinic's owners, and queueing their messages once.

use aftercare_core::Level;
use sqlx::Row;

use super::{NewMessage, queue_messages};
use crate::model::{ClinicId, Millis, TreatmentId};
use crate::{Store, StoreError};

/// An alert that has no messages yet.
#[derive(Clone, Debug)]
pub struct AlertToNotify {
    /// Alert id.
    pub alert_id: String,
    /// Clinic.
    pub clinic_id: ClinicId,
    /// Treatment.
    pub treatment_id: TreatmentId,
    /// Level.
    pub level: Level,
    /// The treating therapist's email.
    pub practitioner_email: String,
}

/// An alert due for escalation to the clinic's owners.
#[derive(Clone, Debug)]
pub struct AlertToEscalate {
    /// Alert id.
    pub alert_id: String,
    /// Clinic.
    pub clinic_id: ClinicId,
    /// Treatment.
    pub treatment_id: TreatmentId,
    /// Level.
    pub level: Level,
    /// The owners' emails.
    pub owner_emails: Vec<String>,
}

impl Store {
    /// Alerts raised since `since` that have no messages yet.
    pub async fn alerts_to_notify(
        &self,
        since: Millis,
        limit: i64,
    ) -> Result<Vec<AlertToNotify>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.id, a.clinic_id, a.treatment_id, a.level, pr.email FROM alerts a \
             JOIN practitioners pr ON pr.id = a.practitioner_id \
             LEFT JOIN alert_notices n ON n.alert_id = a.id \
             WHERE n.alert_id IS NULL AND a.created_at >= $1 ORDER BY a.created_at, a.id LIMIT $2",
        )
        .bind(since)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AlertToNotify {
                    alert_id: row.try_get("id")?,
                    clinic_id: ClinicId::from_db(row.try_get("clinic_id")?),
                    treatment_id: TreatmentId::from_db(row.try_get("treatment_id")?),
                    level: crate::queries::level(&row.try_get::<String, _>("level")?)?,
                    practitioner_email: row.try_get("email")?,
                })
            })
            .collect()
    }

    /// Records that an alert was turned into these messages (once).
    pub async fn notify_alert(
        &self,
        alert: &AlertToNotify,
        messages: &[NewMessage],
        now: Millis,
    ) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO alert_notices (alert_id, clinic_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (alert_id) DO NOTHING",
        )
        .bind(alert.alert_id.clone())
        .bind(alert.clinic_id.as_str().to_owned())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 1 {
            queue_messages(
                &mut tx,
                &alert.clinic_id,
                &alert.treatment_id,
                None,
                Some(&alert.alert_id),
                messages,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Unacknowledged `see_doctor`-or-above alerts older than their
    /// clinic's escalation time, not escalated yet.
    pub async fn alerts_to_escalate(
        &self,
        now: Millis,
        limit: i64,
    ) -> Result<Vec<AlertToEscalate>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.id, a.clinic_id, a.treatment_id, a.level FROM alerts a \
             JOIN alert_notices n ON n.alert_id = a.id \
             JOIN followup_settings s ON s.clinic_id = a.clinic_id \
             WHERE a.acknowledged_at IS NULL AND n.escalated_at IS NULL AND a.level_rank >= $1 \
             AND s.escalation_minutes IS NOT NULL AND a.created_at + s.escalation_minutes * 60000 <= $2 \
             ORDER BY a.created_at, a.id LIMIT $3",
        )
        .bind(i64::try_from(Level::SeeDoctor.index()).unwrap_or_default())
        .bind(now)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        let mut alerts = Vec::with_capacity(rows.len());
        for row in &rows {
            let clinic_id = ClinicId::from_db(row.try_get("clinic_id")?);
            let owners = sqlx::query(
                "SELECT email FROM practitioners WHERE clinic_id = $1 AND role = 'owner' ORDER BY id",
            )
            .bind(clinic_id.as_str().to_owned())
            .fetch_all(self.pool())
            .await?;
            alerts.push(AlertToEscalate {
                alert_id: row.try_get("id")?,
                clinic_id,
                treatment_id: TreatmentId::from_db(row.try_get("treatment_id")?),
                level: crate::queries::level(&row.try_get::<String, _>("level")?)?,
                owner_emails: owners
                    .iter()
                    .map(|owner| owner.try_get("email"))
                    .collect::<Result<_, _>>()?,
            });
        }
        Ok(alerts)
    }

    /// Records an escalation and its messages (once).
    pub async fn escalate_alert(
        &self,
        alert: &AlertToEscalate,
        messages: &[NewMessage],
        now: Millis,
    ) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        let marked = sqlx::query(
            "UPDATE alert_notices SET escalated_at = $1 WHERE alert_id = $2 AND escalated_at IS NULL",
        )
        .bind(now)
        .bind(alert.alert_id.clone())
        .execute(&mut *tx)
        .await?;
        if marked.rows_affected() == 1 {
            queue_messages(
                &mut tx,
                &alert.clinic_id,
                &alert.treatment_id,
                None,
                Some(&alert.alert_id),
                messages,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
