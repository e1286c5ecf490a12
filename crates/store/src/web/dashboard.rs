//! The dashboard's open alerts, with who each is about and what it
//! rests on.

use sqlx::Row;

use crate::model::{Alert, AlertId, ClientId, ClinicId, Millis, StoredCheckin};
use crate::queries::{CHECKIN_COLUMNS, alert, stored_checkin};
use crate::{Store, StoreError};

/// What an alert is about, for a therapist to act on: the decision that
/// raised it and the check-ins its evidence points into.
#[derive(Clone, Debug)]
pub struct AlertFinding {
    /// The alert.
    pub alert_id: AlertId,
    /// The decision that raised it, as stored (JSON).
    pub decision: String,
    /// Every check-in of its course, in order (evidence paths index them).
    pub checkins: Vec<StoredCheckin>,
    /// The name of who acknowledged it, if someone did.
    pub acknowledged_by_name: Option<String>,
}

/// An open alert with what the dashboard shows beside it.
#[derive(Clone, Debug)]
pub struct DashboardAlert {
    /// The alert.
    pub alert: Alert,
    /// The client it is about.
    pub client_id: ClientId,
    /// The client's name.
    pub client_name: String,
    /// When the treatment was given.
    pub treated_at: Millis,
}

impl Store {
    /// How many open alerts the clinic has.
    pub async fn count_open_alerts(&self, clinic: &ClinicId) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS open FROM alerts WHERE clinic_id = $1 AND acknowledged_at IS NULL",
        )
        .bind(clinic.as_str().to_owned())
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get("open")?)
    }

    /// The clinic's open alerts, most serious first, then oldest first,
    /// with the client each is about; at most `limit`, after skipping `offset`.
    pub async fn dashboard_alerts(
        &self,
        clinic: &ClinicId,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<DashboardAlert>, StoreError> {
        // The page of alerts is chosen first, then joined to its clients:
        // joined the other way, SQLite's planner scanned every client of
        // the clinic once per alert (0.4 s for 500 alerts).
        let rows = sqlx::query(
            "SELECT a.id, a.clinic_id, a.treatment_id, a.decision_id, a.practitioner_id, a.level, a.created_at, \
             a.acknowledged_at, a.acknowledged_by, c.id AS client_id, c.name AS client_name, t.at AS treated_at \
             FROM (SELECT id, clinic_id, treatment_id, decision_id, practitioner_id, level, level_rank, created_at, \
                   acknowledged_at, acknowledged_by FROM alerts \
                   WHERE clinic_id = $1 AND acknowledged_at IS NULL \
                   ORDER BY level_rank DESC, created_at, id LIMIT $2 OFFSET $3) a \
             JOIN treatments t ON t.id = a.treatment_id AND t.clinic_id = a.clinic_id \
             JOIN clients c ON c.id = t.client_id AND c.clinic_id = a.clinic_id \
             ORDER BY a.level_rank DESC, a.created_at, a.id",
        )
        .bind(clinic.as_str().to_owned())
        .bind(limit)
        .bind(offset.max(0))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(DashboardAlert {
                    alert: alert(row)?,
                    client_id: ClientId::from_db(row.try_get("client_id")?),
                    client_name: row.try_get("client_name")?,
                    treated_at: row.try_get("treated_at")?,
                })
            })
            .collect()
    }

    /// What each of `alerts` (of this clinic) is about; alerts not found
    /// are left out. Two queries, whatever the number of alerts.
    pub async fn alert_findings(
        &self,
        clinic: &ClinicId,
        alerts: &[AlertId],
    ) -> Result<Vec<AlertFinding>, StoreError> {
        if alerts.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (0..alerts.len()).map(|at| format!("${}", at + 2)).collect();
        let sql = format!(
            "SELECT a.id, a.treatment_id, d.body AS decision, p.name AS acknowledged_by_name \
             FROM alerts a JOIN decisions d ON d.id = a.decision_id AND d.clinic_id = a.clinic_id \
             LEFT JOIN practitioners p ON p.id = a.acknowledged_by AND p.clinic_id = a.clinic_id \
             WHERE a.clinic_id = $1 AND a.id IN ({})",
            marks.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(clinic.as_str().to_owned());
        for id in alerts {
            query = query.bind(id.as_str().to_owned());
        }
        let rows = query.fetch_all(self.pool()).await?;
        let mut found = Vec::with_capacity(rows.len());
        let mut treatments: Vec<String> = Vec::new();
        for row in &rows {
            let treatment: String = row.try_get("treatment_id")?;
            if !treatments.contains(&treatment) {
                treatments.push(treatment.clone());
            }
            found.push((
                treatment,
                AlertFinding {
                    alert_id: AlertId::from_db(row.try_get("id")?),
                    decision: row.try_get("decision")?,
                    checkins: Vec::new(),
                    acknowledged_by_name: row.try_get("acknowledged_by_name")?,
                },
            ));
        }
        if treatments.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (0..treatments.len())
            .map(|at| format!("${}", at + 2))
            .collect();
        let sql = format!(
            "SELECT {CHECKIN_COLUMNS} FROM checkins WHERE clinic_id = $1 AND treatment_id IN ({}) \
             ORDER BY treatment_id, seq",
            marks.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(clinic.as_str().to_owned());
        for id in &treatments {
            query = query.bind(id.clone());
        }
        let checkins = query
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(stored_checkin)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(found
            .into_iter()
            .map(|(treatment, mut finding)| {
                finding.checkins = checkins
                    .iter()
                    .filter(|checkin| checkin.treatment_id.as_str() == treatment)
                    .cloned()
                    .collect();
                finding
            })
            .collect())
    }
}
