//! The one-time first-run setup link, and setting up the first clinic
//! with it.

use crate::model::{Actor, Clinic, Millis, Practitioner};
use crate::queries::{audit, insert_clinic_with_owner};
use crate::{Store, StoreError};

impl Store {
    /// Keeps a first-run setup link's hash, valid until `expires_at`.
    pub async fn create_setup_link(
        &self,
        token_hash: &str,
        now: Millis,
        expires_at: Millis,
    ) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        sqlx::query(
            "INSERT INTO setup_links (token_hash, created_at, expires_at) VALUES ($1, $2, $3)",
        )
        .bind(token_hash.to_owned())
        .bind(now)
        .bind(expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Whether a setup link can still be used: known, unused, not expired
    /// (making a clinic ends every unused link; see
    /// `queries::insert_clinic_with_owner`).
    pub async fn setup_link_is_open(
        &self,
        token_hash: &str,
        now: Millis,
    ) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT token_hash FROM setup_links WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash.to_owned())
        .bind(now)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.is_some())
    }

    /// Uses a setup link: marks it used and creates the clinic and its
    /// owner (with a password hash) in one transaction, so the link works
    /// exactly once and a refused setup leaves it usable.
    pub async fn complete_setup(
        &self,
        token_hash: &str,
        clinic_name: &str,
        owner_name: &str,
        owner_email: &str,
        password_hash: &str,
        now: Millis,
    ) -> Result<(Clinic, Practitioner), StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        let used = sqlx::query(
            "UPDATE setup_links SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1",
        )
        .bind(now)
        .bind(token_hash.to_owned())
        .execute(&mut *tx)
        .await?;
        if used.rows_affected() == 0 {
            // At once: SQLite keeps its write lock until the rollback.
            tx.rollback().await?;
            return Err(StoreError::NotFound("setup link"));
        }
        let (clinic, owner) =
            insert_clinic_with_owner(&mut tx, clinic_name, owner_email, owner_name, now).await?;
        sqlx::query("UPDATE practitioners SET password_hash = $1 WHERE id = $2")
            .bind(password_hash.to_owned())
            .bind(owner.id.as_str().to_owned())
            .execute(&mut *tx)
            .await?;
        audit(
            &mut tx,
            Some(&clinic.id),
            &Actor::System,
            "clinic.setup",
            &format!("clinic:{}", clinic.id),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok((clinic, owner))
    }
}
