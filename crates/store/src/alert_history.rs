//! Alerts with what a therapist needs to act on them: the client they are
//! about with a phone number and an email address to reach them, and who
//! acknowledged each and when. A client's whole alert history, newest
//! first, and the clinic's latest acknowledged alerts.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::model::{Alert, AlertId, ClientId, ClinicId, Page, PageRequest};
use crate::queries::{alert, page_offset};
use crate::{Store, StoreError};

/// An alert with its client's contact details and who acknowledged it.
#[derive(Clone, Debug)]
pub struct AlertRecord {
    /// The alert.
    pub alert: Alert,
    /// The client it is about.
    pub client_id: ClientId,
    /// The client's name.
    pub client_name: String,
    /// The client's email, if known.
    pub client_email: Option<String>,
    /// The client's phone, if known.
    pub client_phone: Option<String>,
    /// The name of who acknowledged it, if someone did.
    pub acknowledged_by_name: Option<String>,
}

/// The columns and joins every query here reads; `$1` is the clinic.
const SELECT: &str = "SELECT a.id, a.clinic_id, a.treatment_id, a.decision_id, a.practitioner_id, \
     a.level, a.created_at, a.acknowledged_at, a.acknowledged_by, c.id AS client_id, \
     c.name AS client_name, c.email AS client_email, c.phone AS client_phone, \
     p.name AS acknowledged_by_name FROM alerts a \
     JOIN treatments t ON t.id = a.treatment_id AND t.clinic_id = a.clinic_id \
     JOIN clients c ON c.id = t.client_id AND c.clinic_id = a.clinic_id \
     LEFT JOIN practitioners p ON p.id = a.acknowledged_by AND p.clinic_id = a.clinic_id \
     WHERE a.clinic_id = $1";

fn record(row: &AnyRow) -> Result<AlertRecord, StoreError> {
    Ok(AlertRecord {
        alert: alert(row)?,
        client_id: ClientId::from_db(row.try_get("client_id")?),
        client_name: row.try_get("client_name")?,
        client_email: row.try_get("client_email")?,
        client_phone: row.try_get("client_phone")?,
        acknowledged_by_name: row.try_get("acknowledged_by_name")?,
    })
}

impl Store {
    /// The records of `alerts` (of this clinic), in no set order; alerts
    /// not found are left out.
    pub async fn alert_records(
        &self,
        clinic: &ClinicId,
        alerts: &[AlertId],
    ) -> Result<Vec<AlertRecord>, StoreError> {
        if alerts.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (0..alerts.len()).map(|at| format!("${}", at + 2)).collect();
        let sql = format!("{SELECT} AND a.id IN ({})", marks.join(", "));
        let mut query = sqlx::query(&sql).bind(clinic.as_str().to_owned());
        for id in alerts {
            query = query.bind(id.as_str().to_owned());
        }
        query
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(record)
            .collect()
    }

    /// Every alert about a client of the clinic, newest first, at most
    /// `limit`.
    pub async fn client_alerts(
        &self,
        clinic: &ClinicId,
        client: &ClientId,
        limit: i64,
    ) -> Result<Vec<AlertRecord>, StoreError> {
        sqlx::query(&format!(
            "{SELECT} AND c.id = $2 ORDER BY a.created_at DESC, a.id DESC LIMIT $3"
        ))
        .bind(clinic.as_str().to_owned())
        .bind(client.as_str().to_owned())
        .bind(limit)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(record)
        .collect()
    }

    /// A page of the alerts about a client of the clinic, newest first
    /// (`open_only`: those not acknowledged); the cursor is a position, as
    /// in [`Store::list_alerts`].
    pub async fn list_client_alerts(
        &self,
        clinic: &ClinicId,
        client: &ClientId,
        open_only: bool,
        request: &PageRequest,
    ) -> Result<Page<Alert>, StoreError> {
        let offset = page_offset(request);
        let open = if open_only {
            " AND a.acknowledged_at IS NULL"
        } else {
            ""
        };
        let rows = sqlx::query(&format!(
            "{SELECT} AND c.id = $2{open} ORDER BY a.created_at DESC, a.id DESC LIMIT $3 OFFSET $4"
        ))
        .bind(clinic.as_str().to_owned())
        .bind(client.as_str().to_owned())
        .bind(request.limit() + 1)
        .bind(offset)
        .fetch_all(self.pool())
        .await?;
        let mut items = rows.iter().map(alert).collect::<Result<Vec<_>, _>>()?;
        let limit = usize::try_from(request.limit()).unwrap_or(50);
        let next = (items.len() > limit).then(|| (offset + request.limit()).to_string());
        items.truncate(limit);
        Ok(Page { items, next })
    }

    /// The clinic's acknowledged alerts, latest acknowledged first, at
    /// most `limit`.
    pub async fn acknowledged_alerts(
        &self,
        clinic: &ClinicId,
        limit: i64,
    ) -> Result<Vec<AlertRecord>, StoreError> {
        sqlx::query(&format!(
            "{SELECT} AND a.acknowledged_at IS NOT NULL ORDER BY a.acknowledged_at DESC, a.id DESC LIMIT $2"
        ))
        .bind(clinic.as_str().to_owned())
        .bind(limit)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(record)
        .collect()
    }
}
