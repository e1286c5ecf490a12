//! Practitioners: adding them, reading them, and setting passwords.

use sqlx::{Any, Row, Transaction};

use super::{PRACTITIONER_COLUMNS, audit, practitioner};
use crate::model::{
    Actor, ClinicId, Millis, Page, PageRequest, Practitioner, PractitionerId, Role,
};
use crate::{Store, StoreError};

impl Store {
    /// Adds a practitioner to a clinic.
    pub async fn create_practitioner(
        &self,
        clinic: &ClinicId,
        actor: &Actor,
        email: &str,
        name: &str,
        role: Role,
        now: Millis,
    ) -> Result<Practitioner, StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        let created = insert_practitioner(&mut tx, clinic, email, name, role, now).await?;
        audit(
            &mut tx,
            Some(clinic),
            actor,
            "practitioner.create",
            &format!("practitioner:{}", created.id),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    /// A practitioner of a clinic.
    pub async fn practitioner(
        &self,
        clinic: &ClinicId,
        id: &PractitionerId,
    ) -> Result<Practitioner, StoreError> {
        self.one_in_clinic(
            "practitioners",
            PRACTITIONER_COLUMNS,
            clinic,
            id.as_str(),
            "practitioner",
            practitioner,
        )
        .await
    }

    /// The practitioners of a clinic, a page at a time.
    pub async fn list_practitioners(
        &self,
        clinic: &ClinicId,
        request: &PageRequest,
    ) -> Result<Page<Practitioner>, StoreError> {
        self.page_in_clinic(
            "practitioners",
            PRACTITIONER_COLUMNS,
            clinic,
            request,
            practitioner,
            |p| p.id.to_string(),
        )
        .await
    }

    /// Looks a practitioner up by email (for login), with their password hash.
    pub async fn practitioner_by_email(
        &self,
        email: &str,
    ) -> Result<Option<(Practitioner, Option<String>)>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {PRACTITIONER_COLUMNS}, password_hash FROM practitioners WHERE email = $1"
        ))
        .bind(email.to_lowercase())
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| Ok((practitioner(&row)?, row.try_get("password_hash")?)))
            .transpose()
    }

    /// Sets a practitioner's password hash (an argon2id PHC string).
    pub async fn set_password_hash(
        &self,
        clinic: &ClinicId,
        id: &PractitionerId,
        hash: &str,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE practitioners SET password_hash = $1 WHERE clinic_id = $2 AND id = $3",
        )
        .bind(hash.to_owned())
        .bind(clinic.as_str().to_owned())
        .bind(id.as_str().to_owned())
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("practitioner"));
        }
        Ok(())
    }
}

pub(super) async fn insert_practitioner(
    tx: &mut Transaction<'_, Any>,
    clinic: &ClinicId,
    email: &str,
    name: &str,
    role: Role,
    now: Millis,
) -> Result<Practitioner, StoreError> {
    let created = Practitioner {
        id: PractitionerId::generate(),
        clinic_id: clinic.clone(),
        email: email.to_lowercase(),
        name: name.to_owned(),
        role,
        created_at: now,
        deactivated_at: None,
        must_change_password: false,
    };
    sqlx::query(
        "INSERT INTO practitioners (id, clinic_id, email, name, role, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(created.id.as_str().to_owned())
    .bind(clinic.as_str().to_owned())
    .bind(created.email.clone())
    .bind(created.name.clone())
    .bind(role.as_str().to_owned())
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(|error| match StoreError::from(error) {
        // Emails sign practitioners in, so they are unique installation-wide;
        // the answer does not repeat the address or say where it is used.
        StoreError::Conflict(_) => {
            StoreError::Conflict("this email cannot be used for a new practitioner".to_owned())
        }
        other => other,
    })?;
    Ok(created)
}
