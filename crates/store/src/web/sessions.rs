//! Therapist sessions of the web app.

use sqlx::Row;

use crate::model::{Actor, ClinicId, Millis, PractitionerId, Principal, Role};
use crate::queries::audit;
use crate::{Store, StoreError};

/// A signed-in therapist's session.
#[derive(Clone, Debug)]
pub struct WebSession {
    /// Who, and in which clinic: every query of the session is scoped to it.
    pub principal: Principal,
    /// The practitioner's display name.
    pub practitioner_name: String,
    /// The clinic's name.
    pub clinic_name: String,
    /// The token every form of this session must send back.
    pub csrf_token: String,
    /// Whether the practitioner must choose a new password before anything
    /// else (their first password was chosen by the owner).
    pub must_change_password: bool,
    /// When the session ends.
    pub expires_at: Millis,
}

impl Store {
    /// Starts a session for a practitioner of a clinic.
    pub async fn create_web_session(
        &self,
        principal: &Principal,
        token_hash: &str,
        csrf_token: &str,
        now: Millis,
        expires_at: Millis,
    ) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        // Ended sessions are swept as new ones start, so the table stays small.
        sqlx::query("DELETE FROM web_sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO web_sessions (id, token_hash, clinic_id, practitioner_id, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(token_hash.to_owned())
        .bind(principal.clinic_id.as_str().to_owned())
        .bind(principal.practitioner_id.as_str().to_owned())
        .bind(csrf_token.to_owned())
        .bind(now)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            Some(&principal.clinic_id),
            &Actor::Practitioner(principal.practitioner_id.clone()),
            "session.start",
            &format!("practitioner:{}", principal.practitioner_id),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The live session a token opens, if any; none for a deactivated
    /// practitioner.
    pub async fn web_session(
        &self,
        token_hash: &str,
        now: Millis,
    ) -> Result<Option<WebSession>, StoreError> {
        let row = sqlx::query(
            "SELECT s.clinic_id, s.practitioner_id, s.csrf_token, s.expires_at, p.role, p.name AS practitioner_name, \
             p.must_change_password, c.name AS clinic_name FROM web_sessions s \
             JOIN practitioners p ON p.id = s.practitioner_id AND p.clinic_id = s.clinic_id \
             JOIN clinics c ON c.id = s.clinic_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND p.deactivated_at IS NULL",
        )
        .bind(token_hash.to_owned())
        .bind(now)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| {
            Ok(WebSession {
                principal: Principal {
                    clinic_id: ClinicId::from_db(row.try_get("clinic_id")?),
                    practitioner_id: PractitionerId::from_db(row.try_get("practitioner_id")?),
                    role: Role::from_db(&row.try_get::<String, _>("role")?),
                },
                practitioner_name: row.try_get("practitioner_name")?,
                clinic_name: row.try_get("clinic_name")?,
                csrf_token: row.try_get("csrf_token")?,
                must_change_password: row.try_get::<i64, _>("must_change_password")? != 0,
                expires_at: row.try_get("expires_at")?,
            })
        })
        .transpose()
    }

    /// Ends a session.
    pub async fn end_web_session(&self, token_hash: &str) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        sqlx::query("DELETE FROM web_sessions WHERE token_hash = $1")
            .bind(token_hash.to_owned())
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
