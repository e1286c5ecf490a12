//! Failed sign-ins, counted to slow down guessing.

use sqlx::Row;

use crate::model::Millis;
use crate::{Store, StoreError};

impl Store {
    /// Notes an attempt for each subject, counted by the rate limits: a
    /// failed sign-in (a hash of the email, of the address it came from),
    /// a self-check diary started (a hash of the address). The table keeps
    /// its first name, `login_failures`; it holds only hashes and times.
    pub async fn record_attempts(
        &self,
        subject_hashes: &[&str],
        now: Millis,
    ) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        for subject in subject_hashes {
            sqlx::query("INSERT INTO login_failures (id, subject_hash, at) VALUES ($1, $2, $3)")
                .bind(uuid::Uuid::now_v7().to_string())
                .bind((*subject).to_owned())
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Notes one attempt of a subject and answers its id, so a limit that
    /// counts attempts before checking them can take it back
    /// ([`Store::forget_attempt`]).
    pub async fn record_attempt(
        &self,
        subject_hash: &str,
        now: Millis,
    ) -> Result<String, StoreError> {
        let id = uuid::Uuid::now_v7().to_string();
        let _writer = self.writer().await;
        sqlx::query("INSERT INTO login_failures (id, subject_hash, at) VALUES ($1, $2, $3)")
            .bind(id.clone())
            .bind(subject_hash.to_owned())
            .bind(now)
            .execute(self.pool())
            .await?;
        Ok(id)
    }

    /// How many attempts of a subject since `since` there are besides the
    /// one with id `except`, and when the latest of those was. Attempts
    /// recorded by other requests (or other instances) still being checked
    /// count too.
    pub async fn attempts_besides(
        &self,
        subject_hash: &str,
        since: Millis,
        except: &str,
    ) -> Result<(i64, Option<Millis>), StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS attempts, MAX(at) AS latest FROM login_failures \
             WHERE subject_hash = $1 AND at > $2 AND id <> $3",
        )
        .bind(subject_hash.to_owned())
        .bind(since)
        .bind(except.to_owned())
        .fetch_one(self.pool())
        .await?;
        Ok((row.try_get("attempts")?, row.try_get("latest")?))
    }

    /// Takes back one recorded attempt.
    pub async fn forget_attempt(&self, id: &str) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        sqlx::query("DELETE FROM login_failures WHERE id = $1")
            .bind(id.to_owned())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// How many attempts a subject made since `since`, and when the oldest
    /// of them was.
    pub async fn attempts_since(
        &self,
        subject_hash: &str,
        since: Millis,
    ) -> Result<(i64, Option<Millis>), StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS failures, MIN(at) AS oldest FROM login_failures WHERE subject_hash = $1 AND at > $2",
        )
        .bind(subject_hash.to_owned())
        .bind(since)
        .fetch_one(self.pool())
        .await?;
        Ok((row.try_get("failures")?, row.try_get("oldest")?))
    }

    /// Forgets a subject's attempts (failed logins, after a successful one).
    pub async fn clear_login_failures(&self, subject_hash: &str) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        sqlx::query("DELETE FROM login_failures WHERE subject_hash = $1")
            .bind(subject_hash.to_owned())
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
