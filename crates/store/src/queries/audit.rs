//! The audit trail: recording events and reading them back.

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::AUDIT_COLUMNS;
use crate::model::{Actor, AuditEvent, AuditId, ClinicId, Millis, Page, PageRequest};
use crate::{Store, StoreError};

fn audit_event(row: &AnyRow) -> Result<AuditEvent, StoreError> {
    Ok(AuditEvent {
        id: AuditId::from_db(row.try_get("id")?),
        clinic_id: row
            .try_get::<Option<String>, _>("clinic_id")?
            .map(ClinicId::from_db),
        actor: row.try_get("actor")?,
        action: row.try_get("action")?,
        subject: row.try_get("subject")?,
        at: row.try_get("at")?,
        fields: row
            .try_get::<Option<String>, _>("fields")?
            .map(|names| names.split(',').map(str::to_owned).collect())
            .unwrap_or_default(),
    })
}

pub(crate) async fn audit(
    tx: &mut Transaction<'_, Any>,
    clinic: Option<&ClinicId>,
    actor: &Actor,
    action: &str,
    subject: &str,
    now: Millis,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_events (id, clinic_id, actor, action, subject, at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(AuditId::generate().as_str().to_owned())
    .bind(clinic.map(|c| c.as_str().to_owned()))
    .bind(actor.to_db())
    .bind(action.to_owned())
    .bind(subject.to_owned())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// Records a read or other event outside a write transaction.
    pub async fn record_audit(
        &self,
        clinic: Option<&ClinicId>,
        actor: &Actor,
        action: &str,
        subject: &str,
        now: Millis,
    ) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        audit(&mut tx, clinic, actor, action, subject, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The clinic's audit trail, oldest first, a page at a time.
    pub async fn list_audit(
        &self,
        clinic: &ClinicId,
        request: &PageRequest,
    ) -> Result<Page<AuditEvent>, StoreError> {
        self.page_in_clinic(
            "audit_events",
            AUDIT_COLUMNS,
            clinic,
            request,
            audit_event,
            |e| e.id.to_string(),
        )
        .await
    }
}
