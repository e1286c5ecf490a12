//! A treatment's client link made anew at a therapist's request: the old
//! link stops working at once, only the new one's hash is kept, the change
//! is in the audit trail, and a message carrying a link to the client can
//! be queued in the same transaction (the scheduler sends it, with a fresh
//! link of its own, through the usual outbox).

use crate::followup::queue_messages;
use crate::model::{Actor, ClinicId, Millis, TreatmentId};
use crate::queries::audit;
use crate::{ClaimedMessage, MessageKind, NewMessage, Store, StoreError};

impl ClaimedMessage {
    /// Whether this message only brings the client a new link a therapist
    /// asked for: a client message with no invitation behind it.
    pub fn is_new_link(&self) -> bool {
        self.kind == MessageKind::Invitation && self.invitation.is_none()
    }
}

/// A treatment's new client link, and how it goes out.
#[derive(Clone, Debug)]
pub struct ReissuedLink {
    /// The hash of the new link's secret (the secret itself is never kept).
    pub link_hash: String,
    /// The audit action: `link.reissue`, `link.email` or `link.sms`.
    pub action: &'static str,
    /// The message that carries a link to the client, if one does.
    pub message: Option<NewMessage>,
}

impl Store {
    /// Gives a treatment of the clinic a new client link, keeping the
    /// link's expiry, records the action in the audit trail and queues the
    /// message when there is one, in one transaction. Another clinic's
    /// treatment, or an unknown one, is "not found" and nothing changes.
    pub async fn reissue_link(
        &self,
        clinic: &ClinicId,
        treatment: &TreatmentId,
        actor: &Actor,
        link: &ReissuedLink,
        now: Millis,
    ) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        let changed =
            sqlx::query("UPDATE treatments SET link_hash = $1 WHERE clinic_id = $2 AND id = $3")
                .bind(link.link_hash.clone())
                .bind(clinic.as_str().to_owned())
                .bind(treatment.as_str().to_owned())
                .execute(&mut *tx)
                .await?;
        if changed.rows_affected() == 0 {
            // At once: SQLite keeps its write lock until the rollback.
            tx.rollback().await?;
            return Err(StoreError::NotFound("treatment"));
        }
        audit(
            &mut tx,
            Some(clinic),
            actor,
            link.action,
            &format!("treatment:{treatment}"),
            now,
        )
        .await?;
        if let Some(message) = &link.message {
            queue_messages(
                &mut tx,
                clinic,
                treatment,
                None,
                None,
                std::slice::from_ref(message),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
