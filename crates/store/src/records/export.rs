//! A client's whole record, for them to take away.

use serde::Serialize;

use crate::followup::FollowupRecord;
use crate::model::{Actor, Alert, Client, ClientId, ClinicId, CourseRecord};
use crate::queries::{ALERT_COLUMNS, TREATMENT_COLUMNS, alert, course_of, treatment};
use crate::{Millis, Store, StoreError};

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

impl Store {
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
