//! Accounts people can manage: changing one's password, the first
//! password an owner chose (to be changed at first sign-in), one-time
//! password reset links, deactivating and reactivating a practitioner, and
//! handing the clinic to another owner.
//!
//! Each change that ends access does so in the same transaction as the
//! change itself: the sessions are deleted and the API tokens revoked
//! before it commits, so the next request with an old cookie or token
//! finds nothing. Reset links are kept as SHA-256 hashes only, like every
//! other secret (the caller hashes them with [`crate::secret::Secret`]).

use sqlx::{Any, Row, Transaction};

use crate::model::{Actor, ClinicId, Millis, Practitioner, PractitionerId, Principal, Role};
use crate::queries::{PRACTITIONER_COLUMNS, audit, practitioner};
use crate::{Store, StoreError};

/// Who an API token belongs to.
#[derive(Clone, Debug)]
pub struct TokenHolder {
    /// The practitioner and their clinic.
    pub principal: Principal,
    /// Whether they must choose a new password first (their API tokens are
    /// refused until they do).
    pub must_change_password: bool,
}

impl Store {
    /// Who a token belongs to, if it exists, is not revoked and its
    /// practitioner is active.
    pub async fn token_holder(&self, token_hash: &str) -> Result<Option<TokenHolder>, StoreError> {
        let row = sqlx::query(
            "SELECT t.clinic_id, t.practitioner_id, p.role, p.must_change_password FROM api_tokens t \
             JOIN practitioners p ON p.id = t.practitioner_id AND p.clinic_id = t.clinic_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND p.deactivated_at IS NULL",
        )
        .bind(token_hash.to_owned())
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| {
            Ok(TokenHolder {
                principal: Principal {
                    clinic_id: ClinicId::from_db(row.try_get("clinic_id")?),
                    practitioner_id: PractitionerId::from_db(row.try_get("practitioner_id")?),
                    role: Role::from_db(&row.try_get::<String, _>("role")?),
                },
                must_change_password: row.try_get::<i64, _>("must_change_password")? != 0,
            })
        })
        .transpose()
    }

    /// The password hash of an active practitioner of the clinic, if they
    /// have a password.
    pub async fn password_hash_of(
        &self,
        clinic: &ClinicId,
        id: &PractitionerId,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT password_hash FROM practitioners \
             WHERE clinic_id = $1 AND id = $2 AND deactivated_at IS NULL",
        )
        .bind(clinic.as_str().to_owned())
        .bind(id.as_str().to_owned())
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound("practitioner"))?;
        Ok(row.try_get("password_hash")?)
    }

    /// Sets a first password the owner chose for a practitioner of the
    /// clinic; the practitioner must change it at their first sign-in.
    pub async fn set_first_password(
        &self,
        clinic: &ClinicId,
        id: &PractitionerId,
        hash: &str,
    ) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        let done = sqlx::query(
            "UPDATE practitioners SET password_hash = $1, must_change_password = 1 \
             WHERE clinic_id = $2 AND id = $3",
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

    /// A practitioner changes their own password: the new hash is kept,
    /// the owner's first password no longer has to be changed, open reset
    /// links end, and every session but `keep_session` (the hash of the
    /// one making the change, if any) ends. Answers how many ended.
    pub async fn change_password(
        &self,
        clinic: &ClinicId,
        id: &PractitionerId,
        hash: &str,
        keep_session: Option<&str>,
        now: Millis,
    ) -> Result<u64, StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query(
            "UPDATE practitioners SET password_hash = $1, must_change_password = 0 \
             WHERE clinic_id = $2 AND id = $3 AND deactivated_at IS NULL",
        )
        .bind(hash.to_owned())
        .bind(clinic.as_str().to_owned())
        .bind(id.as_str().to_owned())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return Err(StoreError::NotFound("practitioner"));
        }
        let ended = sqlx::query(
            "DELETE FROM web_sessions WHERE clinic_id = $1 AND practitioner_id = $2 AND token_hash <> $3",
        )
        .bind(clinic.as_str().to_owned())
        .bind(id.as_str().to_owned())
        .bind(keep_session.unwrap_or_default().to_owned())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        end_reset_links(&mut tx, id, now).await?;
        audit(
            &mut tx,
            Some(clinic),
            &Actor::Practitioner(id.clone()),
            "practitioner.password_change",
            &format!("practitioner:{id}"),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(ended)
    }

    /// Keeps a new reset link's hash for an active practitioner of the
    /// clinic, valid until `expires_at`; their earlier links end.
    pub async fn create_password_reset(
        &self,
        clinic: &ClinicId,
        id: &PractitionerId,
        token_hash: &str,
        actor: &Actor,
        now: Millis,
        expires_at: Millis,
    ) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        let active = sqlx::query(
            "SELECT id FROM practitioners WHERE clinic_id = $1 AND id = $2 AND deactivated_at IS NULL",
        )
        .bind(clinic.as_str().to_owned())
        .bind(id.as_str().to_owned())
        .fetch_optional(&mut *tx)
        .await?;
        if active.is_none() {
            tx.rollback().await?;
            return Err(StoreError::NotFound("practitioner"));
        }
        // Links that can no longer be used are swept as new ones are made.
        sqlx::query("DELETE FROM password_resets WHERE expires_at <= $1 OR used_at IS NOT NULL")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        end_reset_links(&mut tx, id, now).await?;
        sqlx::query(
            "INSERT INTO password_resets (token_hash, clinic_id, practitioner_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash.to_owned())
        .bind(clinic.as_str().to_owned())
        .bind(id.as_str().to_owned())
        .bind(now)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            Some(clinic),
            actor,
            "practitioner.reset_link",
            &format!("practitioner:{id}"),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The active practitioner a reset link is for, while it can be used.
    pub async fn password_reset_holder(
        &self,
        token_hash: &str,
        now: Millis,
    ) -> Result<Option<Practitioner>, StoreError> {
        let row = sqlx::query(&reset_holder_sql())
            .bind(token_hash.to_owned())
            .bind(now)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(practitioner).transpose()
    }

    /// Uses a reset link: sets the new password and ends every session of
    /// its practitioner, in one transaction, so the link works exactly
    /// once and a refused reset leaves it usable.
    pub async fn reset_password(
        &self,
        token_hash: &str,
        hash: &str,
        now: Millis,
    ) -> Result<Practitioner, StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        let row = sqlx::query(&reset_holder_sql())
            .bind(token_hash.to_owned())
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Err(StoreError::NotFound("reset link"));
        };
        let holder = practitioner(&row)?;
        // Marked used only if no one else used it meanwhile.
        let used = sqlx::query(
            "UPDATE password_resets SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL",
        )
        .bind(now)
        .bind(token_hash.to_owned())
        .execute(&mut *tx)
        .await?;
        if used.rows_affected() == 0 {
            tx.rollback().await?;
            return Err(StoreError::NotFound("reset link"));
        }
        sqlx::query(
            "UPDATE practitioners SET password_hash = $1, must_change_password = 0 \
             WHERE clinic_id = $2 AND id = $3",
        )
        .bind(hash.to_owned())
        .bind(holder.clinic_id.as_str().to_owned())
        .bind(holder.id.as_str().to_owned())
        .execute(&mut *tx)
        .await?;
        end_sessions(&mut tx, &holder.clinic_id, &holder.id).await?;
        end_reset_links(&mut tx, &holder.id, now).await?;
        audit(
            &mut tx,
            Some(&holder.clinic_id),
            &Actor::Practitioner(holder.id.clone()),
            "practitioner.password_reset",
            &format!("practitioner:{}", holder.id),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(Practitioner {
            must_change_password: false,
            ..holder
        })
    }

    /// Deactivates (`active` false) or reactivates a therapist of the
    /// clinic. Deactivating ends their sessions, revokes their API tokens
    /// and ends their reset links in the same transaction; reactivating
    /// lets them sign in again, and their old tokens stay revoked. The
    /// owner's account cannot be deactivated (hand the clinic over first),
    /// nor can the actor deactivate themselves.
    pub async fn set_practitioner_active(
        &self,
        clinic: &ClinicId,
        id: &PractitionerId,
        active: bool,
        actor: &Actor,
        now: Millis,
    ) -> Result<Practitioner, StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        let found = practitioner_in(&mut tx, clinic, id).await?;
        let Some(found) = found else {
            tx.rollback().await?;
            return Err(StoreError::NotFound("practitioner"));
        };
        if found.role == Role::Owner || *actor == Actor::Practitioner(id.clone()) {
            tx.rollback().await?;
            return Err(StoreError::Conflict(
                "the clinic's owner cannot be deactivated; hand the clinic to someone else first"
                    .to_owned(),
            ));
        }
        let changed = if active {
            sqlx::query(
                "UPDATE practitioners SET deactivated_at = NULL \
                 WHERE clinic_id = $1 AND id = $2 AND deactivated_at IS NOT NULL",
            )
            .bind(clinic.as_str().to_owned())
            .bind(id.as_str().to_owned())
            .execute(&mut *tx)
            .await?
        } else {
            sqlx::query(
                "UPDATE practitioners SET deactivated_at = $1 \
                 WHERE clinic_id = $2 AND id = $3 AND role = 'therapist' AND deactivated_at IS NULL",
            )
            .bind(now)
            .bind(clinic.as_str().to_owned())
            .bind(id.as_str().to_owned())
            .execute(&mut *tx)
            .await?
        };
        if !active {
            end_sessions(&mut tx, clinic, id).await?;
            sqlx::query(
                "UPDATE api_tokens SET revoked_at = $1 \
                 WHERE clinic_id = $2 AND practitioner_id = $3 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(clinic.as_str().to_owned())
            .bind(id.as_str().to_owned())
            .execute(&mut *tx)
            .await?;
            end_reset_links(&mut tx, id, now).await?;
        }
        if changed.rows_affected() > 0 {
            audit(
                &mut tx,
                Some(clinic),
                actor,
                if active {
                    "practitioner.reactivate"
                } else {
                    "practitioner.deactivate"
                },
                &format!("practitioner:{id}"),
                now,
            )
            .await?;
        }
        let updated = practitioner_in(&mut tx, clinic, id)
            .await?
            .ok_or(StoreError::NotFound("practitioner"))?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Hands the clinic from its owner `from` to the active therapist
    /// `to`: the roles swap in one transaction, and each of their sessions
    /// and tokens carries the new role from its next request on.
    pub async fn transfer_ownership(
        &self,
        clinic: &ClinicId,
        from: &PractitionerId,
        to: &PractitionerId,
        now: Millis,
    ) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        let target = practitioner_in(&mut tx, clinic, to).await?;
        let Some(target) = target else {
            tx.rollback().await?;
            return Err(StoreError::NotFound("practitioner"));
        };
        if target.role != Role::Therapist || target.deactivated_at.is_some() {
            tx.rollback().await?;
            return Err(StoreError::Conflict(
                "the clinic can only be handed to an active therapist of the clinic".to_owned(),
            ));
        }
        let stepped_down = sqlx::query(
            "UPDATE practitioners SET role = 'therapist' \
             WHERE clinic_id = $1 AND id = $2 AND role = 'owner' AND deactivated_at IS NULL",
        )
        .bind(clinic.as_str().to_owned())
        .bind(from.as_str().to_owned())
        .execute(&mut *tx)
        .await?;
        if stepped_down.rows_affected() == 0 {
            tx.rollback().await?;
            return Err(StoreError::Conflict(
                "only the clinic's owner can hand the clinic over".to_owned(),
            ));
        }
        sqlx::query(
            "UPDATE practitioners SET role = 'owner' \
             WHERE clinic_id = $1 AND id = $2 AND role = 'therapist' AND deactivated_at IS NULL",
        )
        .bind(clinic.as_str().to_owned())
        .bind(to.as_str().to_owned())
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            Some(clinic),
            &Actor::Practitioner(from.clone()),
            "clinic.ownership_transfer",
            &format!("practitioner:{to}"),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The active practitioner an open reset link (`$1`) is for at `$2`.
fn reset_holder_sql() -> String {
    let columns = PRACTITIONER_COLUMNS
        .split(", ")
        .map(|column| format!("p.{column}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT {columns} FROM password_resets r \
         JOIN practitioners p ON p.id = r.practitioner_id AND p.clinic_id = r.clinic_id \
         WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.expires_at > $2 \
         AND p.deactivated_at IS NULL"
    )
}

/// A practitioner of the clinic, read inside a transaction.
async fn practitioner_in(
    tx: &mut Transaction<'_, Any>,
    clinic: &ClinicId,
    id: &PractitionerId,
) -> Result<Option<Practitioner>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {PRACTITIONER_COLUMNS} FROM practitioners WHERE clinic_id = $1 AND id = $2"
    ))
    .bind(clinic.as_str().to_owned())
    .bind(id.as_str().to_owned())
    .fetch_optional(&mut **tx)
    .await?;
    row.as_ref().map(practitioner).transpose()
}

/// Ends every session of a practitioner.
async fn end_sessions(
    tx: &mut Transaction<'_, Any>,
    clinic: &ClinicId,
    id: &PractitionerId,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM web_sessions WHERE clinic_id = $1 AND practitioner_id = $2")
        .bind(clinic.as_str().to_owned())
        .bind(id.as_str().to_owned())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Ends every reset link of a practitioner not used yet.
async fn end_reset_links(
    tx: &mut Transaction<'_, Any>,
    id: &PractitionerId,
    now: Millis,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE password_resets SET used_at = $1 WHERE practitioner_id = $2 AND used_at IS NULL",
    )
    .bind(now)
    .bind(id.as_str().to_owned())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
