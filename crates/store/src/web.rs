//! What the web app keeps beyond the API's records: therapist sessions,
//! the one-time first-run setup link, failed logins (to slow guessing),
//! the dashboard's list of open alerts with who they are about, and
//! self-check diaries that belong to no clinic. Each has its own file
//! below this one; sweeping what has expired, which spans them all, stays
//! here.
//!
//! Secrets (session tokens, setup and diary links) are kept as SHA-256
//! hashes only; the caller hashes them with [`crate::secret::Secret`].

mod client_pages;
mod dashboard;
mod diaries;
mod sessions;
mod setup;
mod sign_in;

pub use dashboard::{AlertFinding, DashboardAlert};
pub use sessions::WebSession;

use crate::model::Millis;
use crate::{Store, StoreError};

/// What [`Store::sweep_expired`] deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// Self-check diaries.
    pub diaries: u64,
    /// Therapist sessions.
    pub sessions: u64,
    /// First-run setup links.
    pub setup_links: u64,
    /// Failed sign-ins.
    pub login_failures: u64,
    /// Check-in answers entered on the pages and never sent.
    pub drafts: u64,
    /// Password reset links used or past their end.
    pub password_resets: u64,
}

impl Store {
    /// Deletes what has expired: self-check diaries past their link's
    /// lifetime (and the answers in them), ended sessions, used or expired
    /// setup links, and failed logins from before `failures_before`.
    pub async fn sweep_expired(
        &self,
        now: Millis,
        failures_before: Millis,
    ) -> Result<Swept, StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        let mut removed = [0_u64; 6];
        let statements = [
            ("DELETE FROM selfcheck_diaries WHERE expires_at <= $1", now),
            ("DELETE FROM web_sessions WHERE expires_at <= $1", now),
            (
                "DELETE FROM setup_links WHERE expires_at <= $1 OR used_at IS NOT NULL",
                now,
            ),
            ("DELETE FROM login_failures WHERE at < $1", failures_before),
            ("DELETE FROM checkin_drafts WHERE expires_at <= $1", now),
            (
                "DELETE FROM password_resets WHERE expires_at <= $1 OR used_at IS NOT NULL",
                now,
            ),
        ];
        for ((sql, bound), count) in statements.into_iter().zip(&mut removed) {
            *count = sqlx::query(sql)
                .bind(bound)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        tx.commit().await?;
        let [
            diaries,
            sessions,
            setup_links,
            login_failures,
            drafts,
            password_resets,
        ] = removed;
        Ok(Swept {
            diaries,
            sessions,
            setup_links,
            login_failures,
            drafts,
            password_resets,
        })
    }
}
