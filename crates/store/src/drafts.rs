//! Check-in drafts: the answers a person has entered so far on the pages
//! of a check-in ("one thing per page"), kept on the server between pages
//! so that nothing entered is lost and no script is needed.
//!
//! A draft is kept under the hash of what opens it: a client link's hash,
//! a diary link's hash, or the hash of the random id in a self-check's
//! cookie. It holds health data, as a form-encoded body: it is never
//! logged, never archived, deleted when its check-in is sent, when it
//! expires (with its link, or within hours) and when the client or the
//! diary it belongs to is erased.

use sqlx::Row;

use crate::model::Millis;
use crate::{Store, StoreError};

/// What opens a draft.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DraftKind {
    /// A client's check-in link (the key is the link's hash).
    ClientLink,
    /// A self-check diary's link (the key is the diary link's hash).
    Diary,
    /// A first self-check, before any diary (the key is the hash of the
    /// random id in the person's cookie).
    SelfCheck,
}

impl DraftKind {
    fn as_str(self) -> &'static str {
        match self {
            DraftKind::ClientLink => "client_link",
            DraftKind::Diary => "diary",
            DraftKind::SelfCheck => "self_check",
        }
    }
}

impl Store {
    /// The answers of a draft, unless there is none or it has expired.
    pub async fn checkin_draft(
        &self,
        key_hash: &str,
        now: Millis,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT answers FROM checkin_drafts WHERE key_hash = $1 AND expires_at > $2",
        )
        .bind(key_hash.to_owned())
        .bind(now)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| row.try_get("answers").map_err(StoreError::from))
            .transpose()
    }

    /// Keeps `answers` as the draft under `key_hash` until `expires_at`,
    /// replacing what it held; drafts that have expired meanwhile (of
    /// anyone) are deleted on the way, so none outlives its time by much.
    pub async fn save_checkin_draft(
        &self,
        key_hash: &str,
        kind: DraftKind,
        answers: &str,
        now: Millis,
        expires_at: Millis,
    ) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM checkin_drafts WHERE expires_at <= $1")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO checkin_drafts (key_hash, kind, answers, updated_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (key_hash) DO UPDATE SET answers = excluded.answers, \
             updated_at = excluded.updated_at, expires_at = excluded.expires_at",
        )
        .bind(key_hash.to_owned())
        .bind(kind.as_str().to_owned())
        .bind(answers.to_owned())
        .bind(now)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes the draft under `key_hash`, if there is one (its check-in
    /// was sent, or the person started again).
    pub async fn delete_checkin_draft(&self, key_hash: &str) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        sqlx::query("DELETE FROM checkin_drafts WHERE key_hash = $1")
            .bind(key_hash.to_owned())
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
