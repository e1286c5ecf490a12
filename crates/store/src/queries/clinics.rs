//! Clinics: creating one with its owner, and reading them.

use sqlx::{Any, Row, Transaction};

use super::audit;
use super::practitioners::insert_practitioner;
use super::tokens::insert_api_token;
use crate::model::{Actor, Clinic, ClinicId, Millis, Practitioner, Role};
use crate::{Store, StoreError};

impl Store {
    /// Creates a clinic and its owner in one transaction.
    pub async fn create_clinic_with_owner(
        &self,
        name: &str,
        owner_email: &str,
        owner_name: &str,
        now: Millis,
    ) -> Result<(Clinic, Practitioner), StoreError> {
        self.create_clinic(name, owner_email, owner_name, None, now)
            .await
    }

    /// Creates a clinic, its owner and, when a hash is given, the owner's
    /// first API token, all in one transaction: either all exist or none.
    pub async fn create_clinic(
        &self,
        name: &str,
        owner_email: &str,
        owner_name: &str,
        first_token_hash: Option<&str>,
        now: Millis,
    ) -> Result<(Clinic, Practitioner), StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        let (clinic, owner) =
            insert_clinic_with_owner(&mut tx, name, owner_email, owner_name, now).await?;
        audit(
            &mut tx,
            Some(&clinic.id),
            &Actor::System,
            "clinic.create",
            &format!("clinic:{}", clinic.id),
            now,
        )
        .await?;
        if let Some(token_hash) = first_token_hash {
            insert_api_token(
                &mut tx,
                &clinic.id,
                &owner.id,
                "first token",
                token_hash,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok((clinic, owner))
    }

    /// A clinic by id.
    pub async fn clinic(&self, id: &ClinicId) -> Result<Clinic, StoreError> {
        let row = sqlx::query("SELECT id, name, created_at FROM clinics WHERE id = $1")
            .bind(id.as_str().to_owned())
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound("clinic"))?;
        Ok(Clinic {
            id: ClinicId::from_db(row.try_get("id")?),
            name: row.try_get("name")?,
            created_at: row.try_get("created_at")?,
        })
    }

    /// Every clinic (for the command line and first-run checks).
    pub async fn clinics(&self) -> Result<Vec<Clinic>, StoreError> {
        let rows = sqlx::query("SELECT id, name, created_at FROM clinics ORDER BY id")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| {
                Ok(Clinic {
                    id: ClinicId::from_db(row.try_get("id")?),
                    name: row.try_get("name")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }
}

/// Inserts a clinic and its owner (no password yet).
pub(crate) async fn insert_clinic_with_owner(
    tx: &mut Transaction<'_, Any>,
    name: &str,
    owner_email: &str,
    owner_name: &str,
    now: Millis,
) -> Result<(Clinic, Practitioner), StoreError> {
    let clinic = Clinic {
        id: ClinicId::generate(),
        name: name.to_owned(),
        created_at: now,
    };
    sqlx::query("INSERT INTO clinics (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(clinic.id.as_str().to_owned())
        .bind(clinic.name.clone())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    let owner =
        insert_practitioner(tx, &clinic.id, owner_email, owner_name, Role::Owner, now).await?;
    // A first-run setup link is for an installation without a clinic: once
    // one is made (by a link, the command line or a test), none left open
    // may make another.
    sqlx::query("DELETE FROM setup_links WHERE used_at IS NULL")
        .execute(&mut **tx)
        .await?;
    Ok((clinic, owner))
}
