//! Alerts: listing a clinic's and acknowledging them.

use super::{ALERT_COLUMNS, alert, audit, page, page_offset};
use crate::model::{Actor, Alert, AlertId, ClinicId, Millis, Page, PageRequest, PractitionerId};
use crate::{Store, StoreError};

impl Store {
    /// The clinic's alerts: open ones only (most serious first, then
    /// oldest first) or all (newest first), a page at a time. The cursor
    /// is an offset: alert order is not the id order.
    pub async fn list_alerts(
        &self,
        clinic: &ClinicId,
        open_only: bool,
        request: &PageRequest,
    ) -> Result<Page<Alert>, StoreError> {
        let offset = page_offset(request);
        let sql = if open_only {
            format!(
                "SELECT {ALERT_COLUMNS} FROM alerts WHERE clinic_id = $1 AND acknowledged_at IS NULL \
                 ORDER BY level_rank DESC, created_at, id LIMIT $2 OFFSET $3"
            )
        } else {
            format!(
                "SELECT {ALERT_COLUMNS} FROM alerts WHERE clinic_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3"
            )
        };
        let rows = sqlx::query(&sql)
            .bind(clinic.as_str().to_owned())
            .bind(request.limit() + 1)
            .bind(offset)
            .fetch_all(self.pool())
            .await?;
        let items = rows.iter().map(alert).collect::<Result<Vec<_>, _>>()?;
        let count = i64::try_from(items.len())
            .unwrap_or_default()
            .min(request.limit());
        Ok(page(items, request, |_| (offset + count).to_string()))
    }

    /// Acknowledges an alert of the clinic. Acknowledging twice keeps the
    /// first acknowledgement.
    pub async fn acknowledge_alert(
        &self,
        clinic: &ClinicId,
        id: &AlertId,
        by: &PractitionerId,
        now: Millis,
    ) -> Result<Alert, StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "UPDATE alerts SET acknowledged_at = $1, acknowledged_by = $2 \
             WHERE clinic_id = $3 AND id = $4 AND acknowledged_at IS NULL",
        )
        .bind(now)
        .bind(by.as_str().to_owned())
        .bind(clinic.as_str().to_owned())
        .bind(id.as_str().to_owned())
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(&format!(
            "SELECT {ALERT_COLUMNS} FROM alerts WHERE clinic_id = $1 AND id = $2"
        ))
        .bind(clinic.as_str().to_owned())
        .bind(id.as_str().to_owned())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("alert"))?;
        audit(
            &mut tx,
            Some(clinic),
            &Actor::Practitioner(by.clone()),
            "alert.acknowledge",
            &format!("alert:{id}"),
            now,
        )
        .await?;
        tx.commit().await?;
        alert(&row)
    }
}
