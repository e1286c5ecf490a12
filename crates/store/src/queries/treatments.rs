//! Treatments: recording them and reading them.

use super::{TREATMENT_COLUMNS, after, audit, page, treatment};
use crate::model::{
    Actor, ClientId, ClinicId, Millis, NewTreatment, Page, PageRequest, Treatment, TreatmentId,
};
use crate::{Store, StoreError, millis_of};

impl Store {
    /// Records a treatment for a client of the clinic, given by a
    /// practitioner of the clinic.
    pub async fn create_treatment(
        &self,
        clinic: &ClinicId,
        actor: &Actor,
        new: NewTreatment,
        now: Millis,
    ) -> Result<Treatment, StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        let client_found = sqlx::query("SELECT id FROM clients WHERE clinic_id = $1 AND id = $2")
            .bind(clinic.as_str().to_owned())
            .bind(new.client_id.as_str().to_owned())
            .fetch_optional(&mut *tx)
            .await?;
        if client_found.is_none() {
            return Err(StoreError::NotFound("client"));
        }
        let practitioner_found =
            sqlx::query("SELECT id FROM practitioners WHERE clinic_id = $1 AND id = $2")
                .bind(clinic.as_str().to_owned())
                .bind(new.practitioner_id.as_str().to_owned())
                .fetch_optional(&mut *tx)
                .await?;
        if practitioner_found.is_none() {
            return Err(StoreError::NotFound("practitioner"));
        }
        let created = Treatment {
            id: TreatmentId::generate(),
            clinic_id: clinic.clone(),
            client_id: new.client_id,
            practitioner_id: new.practitioner_id,
            details: new.details,
            notes: new.notes,
            link_expires_at: new.link_expires_at,
            created_at: now,
        };
        let details = serde_json::to_string(&created.details)
            .map_err(|error| StoreError::Corrupt(error.to_string()))?;
        sqlx::query(
            "INSERT INTO treatments (id, clinic_id, client_id, practitioner_id, at, details, notes, link_hash, link_expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(created.id.as_str().to_owned())
        .bind(clinic.as_str().to_owned())
        .bind(created.client_id.as_str().to_owned())
        .bind(created.practitioner_id.as_str().to_owned())
        .bind(millis_of(created.details.at))
        .bind(details)
        .bind(created.notes.clone())
        .bind(new.link_hash)
        .bind(created.link_expires_at)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            Some(clinic),
            actor,
            "treatment.create",
            &format!("treatment:{}", created.id),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    /// A treatment of the clinic.
    pub async fn treatment(
        &self,
        clinic: &ClinicId,
        id: &TreatmentId,
    ) -> Result<Treatment, StoreError> {
        self.one_in_clinic(
            "treatments",
            TREATMENT_COLUMNS,
            clinic,
            id.as_str(),
            "treatment",
            treatment,
        )
        .await
    }

    /// The treatments of a clinic, optionally of one client, a page at a time.
    pub async fn list_treatments(
        &self,
        clinic: &ClinicId,
        client_id: Option<&ClientId>,
        request: &PageRequest,
    ) -> Result<Page<Treatment>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {TREATMENT_COLUMNS} FROM treatments WHERE clinic_id = $1 AND ($2 = '' OR client_id = $2) \
             AND id > $3 ORDER BY id LIMIT $4"
        ))
        .bind(clinic.as_str().to_owned())
        .bind(client_id.map(|c| c.as_str().to_owned()).unwrap_or_default())
        .bind(after(request))
        .bind(request.limit() + 1)
        .fetch_all(self.pool())
        .await?;
        let items = rows.iter().map(treatment).collect::<Result<Vec<_>, _>>()?;
        Ok(page(items, request, |t| t.id.to_string()))
    }
}
