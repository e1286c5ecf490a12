//! API tokens: creating, authenticating, listing and revoking them.

use sqlx::{Any, Row, Transaction};

use super::audit;
use crate::model::{Actor, ApiToken, ClinicId, Millis, PractitionerId, Principal, TokenId};
use crate::{Store, StoreError};

impl Store {
    /// Stores a new API token's hash for a practitioner of the clinic.
    pub async fn create_api_token(
        &self,
        clinic: &ClinicId,
        practitioner_id: &PractitionerId,
        label: &str,
        token_hash: &str,
        now: Millis,
    ) -> Result<ApiToken, StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        // The practitioner must belong to the clinic.
        let owner = sqlx::query("SELECT id FROM practitioners WHERE clinic_id = $1 AND id = $2")
            .bind(clinic.as_str().to_owned())
            .bind(practitioner_id.as_str().to_owned())
            .fetch_optional(&mut *tx)
            .await?;
        if owner.is_none() {
            return Err(StoreError::NotFound("practitioner"));
        }
        let token =
            insert_api_token(&mut tx, clinic, practitioner_id, label, token_hash, now).await?;
        tx.commit().await?;
        Ok(token)
    }

    /// Who a token belongs to, if it exists, is not revoked and its
    /// practitioner is active (see [`Store::token_holder`]).
    pub async fn authenticate_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<Principal>, StoreError> {
        Ok(self
            .token_holder(token_hash)
            .await?
            .map(|holder| holder.principal))
    }

    /// A practitioner's tokens (never the secrets).
    pub async fn list_api_tokens(
        &self,
        clinic: &ClinicId,
        practitioner_id: &PractitionerId,
    ) -> Result<Vec<ApiToken>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, clinic_id, practitioner_id, label, created_at, revoked_at FROM api_tokens \
             WHERE clinic_id = $1 AND practitioner_id = $2 ORDER BY id",
        )
        .bind(clinic.as_str().to_owned())
        .bind(practitioner_id.as_str().to_owned())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ApiToken {
                    id: TokenId::from_db(row.try_get("id")?),
                    clinic_id: ClinicId::from_db(row.try_get("clinic_id")?),
                    practitioner_id: PractitionerId::from_db(row.try_get("practitioner_id")?),
                    label: row.try_get("label")?,
                    created_at: row.try_get("created_at")?,
                    revoked_at: row.try_get("revoked_at")?,
                })
            })
            .collect()
    }

    /// Revokes a token of the clinic; owners may revoke anyone's, others
    /// only their own (`only_of`).
    pub async fn revoke_api_token(
        &self,
        clinic: &ClinicId,
        token: &TokenId,
        only_of: Option<&PractitionerId>,
        actor: &Actor,
        now: Millis,
    ) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE clinic_id = $2 AND id = $3 AND revoked_at IS NULL \
             AND ($4 = '' OR practitioner_id = $4)",
        )
        .bind(now)
        .bind(clinic.as_str().to_owned())
        .bind(token.as_str().to_owned())
        .bind(only_of.map(|p| p.as_str().to_owned()).unwrap_or_default())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("token"));
        }
        audit(
            &mut tx,
            Some(clinic),
            actor,
            "token.revoke",
            &format!("token:{token}"),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

pub(super) async fn insert_api_token(
    tx: &mut Transaction<'_, Any>,
    clinic: &ClinicId,
    practitioner_id: &PractitionerId,
    label: &str,
    token_hash: &str,
    now: Millis,
) -> Result<ApiToken, StoreError> {
    let token = ApiToken {
        id: TokenId::generate(),
        clinic_id: clinic.clone(),
        practitioner_id: practitioner_id.clone(),
        label: label.to_owned(),
        created_at: now,
        revoked_at: None,
    };
    sqlx::query(
        "INSERT INTO api_tokens (id, clinic_id, practitioner_id, token_hash, label, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token.id.as_str().to_owned())
    .bind(clinic.as_str().to_owned())
    .bind(practitioner_id.as_str().to_owned())
    .bind(token_hash.to_owned())
    .bind(label.to_owned())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    audit(
        tx,
        Some(clinic),
        &Actor::Practitioner(practitioner_id.clone()),
        "token.create",
        &format!("token:{}", token.id),
        now,
    )
    .await?;
    Ok(token)
}
