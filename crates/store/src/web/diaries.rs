//! Self-check diaries: courses kept for their holder, in no clinic.

use sqlx::Row;

use crate::model::Millis;
use crate::{Store, StoreError};

impl Store {
    /// Starts a self-check diary holding `course` (check-in format JSON).
    pub async fn create_diary(
        &self,
        link_hash: &str,
        course: &str,
        now: Millis,
        expires_at: Millis,
    ) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        sqlx::query(
            "INSERT INTO selfcheck_diaries (id, link_hash, course, created_at, updated_at, expires_at) \
             VALUES ($1, $2, $3, $4, $4, $5)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(link_hash.to_owned())
        .bind(course.to_owned())
        .bind(now)
        .bind(expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The course a diary link opens, unless it is unknown or expired.
    pub async fn diary(&self, link_hash: &str, now: Millis) -> Result<String, StoreError> {
        let row =
            sqlx::query("SELECT course, expires_at FROM selfcheck_diaries WHERE link_hash = $1")
                .bind(link_hash.to_owned())
                .fetch_optional(self.pool())
                .await?
                .ok_or(StoreError::NotFound("diary"))?;
        if row.try_get::<Millis, _>("expires_at")? <= now {
            return Err(StoreError::LinkExpired);
        }
        Ok(row.try_get("course")?)
    }

    /// Replaces a diary's course, if the diary still holds `expected`
    /// (so two tabs cannot lose each other's check-ins).
    pub async fn update_diary(
        &self,
        link_hash: &str,
        expected: &str,
        course: &str,
        now: Millis,
    ) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        let done = sqlx::query(
            "UPDATE selfcheck_diaries SET course = $1, updated_at = $2 \
             WHERE link_hash = $3 AND course = $4 AND expires_at > $2",
        )
        .bind(course.to_owned())
        .bind(now)
        .bind(link_hash.to_owned())
        .bind(expected.to_owned())
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(
                "the diary changed meanwhile; reload it and try again".to_owned(),
            ));
        }
        Ok(())
    }
}
