//! The outbox: what a message is and how it travels, queueing messages
//! (skipping duplicates), claiming due ones under a lease, issuing client
//! links, and recording how sending went in the delivery log.

use serde::{Deserialize, Serialize};
use sqlx::{Any, Row, Transaction};

use super::{InvitationId, MessageId};
use crate::model::{ClinicId, Millis, TreatmentId};
use crate::{Backend, Store, StoreError};

/// How a message travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Email through the configured SMTP server.
    Email,
    /// A signed HTTP POST to the clinic's webhook (which may send an SMS).
    Webhook,
}

impl Channel {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Webhook => "webhook",
        }
    }

    pub(super) fn from_db(text: &str) -> Result<Channel, StoreError> {
        match text {
            "email" => Ok(Channel::Email),
            "webhook" => Ok(Channel::Webhook),
            other => Err(StoreError::Corrupt(format!("unknown channel `{other}`"))),
        }
    }
}

/// What a message is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// Asks the client to check in.
    Invitation,
    /// Asks again when the invitation is unanswered.
    Reminder,
    /// Tells the treating therapist about a decision that needs them.
    Alert,
    /// Tells the clinic's owners about an alert nobody acknowledged.
    Escalation,
    /// Tells the therapist that a check-in after a high decision did not come.
    MissedCheckin,
}

impl MessageKind {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            MessageKind::Invitation => "invitation",
            MessageKind::Reminder => "reminder",
            MessageKind::Alert => "alert",
            MessageKind::Escalation => "escalation",
            MessageKind::MissedCheckin => "missed_checkin",
        }
    }

    /// Whether the message goes to the client (and carries their link).
    pub const fn is_for_client(self) -> bool {
        matches!(self, MessageKind::Invitation | MessageKind::Reminder)
    }

    pub(super) fn from_db(text: &str) -> Result<MessageKind, StoreError> {
        [
            MessageKind::Invitation,
            MessageKind::Reminder,
            MessageKind::Alert,
            MessageKind::Escalation,
            MessageKind::MissedCheckin,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == text)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown message kind `{text}`")))
    }
}

/// Where a message is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    /// Waiting to be sent (again).
    Queued,
    /// Handed to the SMTP server or accepted by the webhook.
    Sent,
    /// Given up after its attempts, or refused for good; shown to the clinic.
    Failed,
    /// No longer applies (answered, closed, expired).
    Cancelled,
}

impl MessageStatus {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Queued => "queued",
            MessageStatus::Sent => "sent",
            MessageStatus::Failed => "failed",
            MessageStatus::Cancelled => "cancelled",
        }
    }

    /// Parses a stored or requested name.
    pub fn parse(text: &str) -> Option<MessageStatus> {
        [
            MessageStatus::Queued,
            MessageStatus::Sent,
            MessageStatus::Failed,
            MessageStatus::Cancelled,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
    }
}

/// A message to put in the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMessage {
    /// What it is for.
    pub kind: MessageKind,
    /// How it travels.
    pub channel: Channel,
    /// The email address, for email.
    pub recipient: Option<String>,
    /// Urgent and emergency alerts.
    pub high_priority: bool,
    /// When to send it.
    pub due_at: Millis,
    /// Makes planning idempotent: a second message with the same key is
    /// not stored.
    pub dedupe_key: String,
}

/// A message claimed for sending, with what sending it needs.
#[derive(Clone, Debug)]
pub struct ClaimedMessage {
    /// Message id: also the stable id receivers use to spot duplicates.
    pub id: MessageId,
    /// Clinic.
    pub clinic_id: ClinicId,
    /// The clinic's name, for the greeting.
    pub clinic_name: String,
    /// Treatment.
    pub treatment_id: TreatmentId,
    /// What it is for.
    pub kind: MessageKind,
    /// How it travels.
    pub channel: Channel,
    /// The email address, for email.
    pub recipient: Option<String>,
    /// Urgent and emergency alerts.
    pub high_priority: bool,
    /// Attempts so far, this one included.
    pub attempts: i64,
    /// For invitations and reminders: the invitation, and whether it still
    /// waits for its check-in (checked again just before sending).
    pub invitation: Option<(InvitationId, bool)>,
    /// For invitations and reminders: when the invitation lapses.
    pub invitation_expires_at: Option<Millis>,
    /// The clinic's webhook address.
    pub webhook_url: Option<String>,
    /// The clinic's webhook signing key. `Debug` never prints it.
    pub webhook_secret: Option<crate::secret::Secret>,
}

/// How one attempt to send ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendOutcome {
    /// Delivered.
    Sent,
    /// Try again at this time.
    Retry {
        /// When.
        at: Millis,
        /// Why it failed this time.
        reason: String,
    },
    /// Give up.
    Failed {
        /// Why.
        reason: String,
    },
    /// It no longer applies.
    Cancelled {
        /// Why.
        reason: String,
    },
}

/// Rows per statement when many are written at once (well under both
/// databases' limits on parameters).
const BATCH_ROWS: usize = 250;

/// A line of the delivery log (the statement both drivers run).
pub(super) const INSERT_DELIVERY_LOG: &str = "INSERT INTO delivery_log (id, clinic_id, message_id, event, reason, at) \
     VALUES ($1, $2, $3, $4, $5, $6)";

/// A queued message; a message whose dedupe key exists already is skipped.
pub(super) const INSERT_MESSAGE: &str = "INSERT INTO messages (id, clinic_id, treatment_id, kind, channel, dedupe_key, \
     invitation_id, alert_id, recipient, high_priority, status, due_at, next_attempt_at, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'queued', $11, $11, $12) \
     ON CONFLICT (dedupe_key) DO NOTHING";

pub(super) async fn log_event(
    tx: &mut Transaction<'_, Any>,
    clinic: &str,
    message: &str,
    event: &str,
    reason: Option<&str>,
    now: Millis,
) -> Result<(), StoreError> {
    sqlx::query(INSERT_DELIVERY_LOG)
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(clinic.to_owned())
        .bind(message.to_owned())
        .bind(event.to_owned())
        .bind(reason.map(str::to_owned))
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Queues messages; a message whose dedupe key exists already is skipped.
pub(crate) async fn queue_messages(
    tx: &mut Transaction<'_, Any>,
    clinic: &ClinicId,
    treatment: &TreatmentId,
    invitation: Option<&InvitationId>,
    alert: Option<&str>,
    messages: &[NewMessage],
    now: Millis,
) -> Result<(), StoreError> {
    for message in messages {
        let id = MessageId::generate();
        let inserted = sqlx::query(INSERT_MESSAGE)
            .bind(id.as_str().to_owned())
            .bind(clinic.as_str().to_owned())
            .bind(treatment.as_str().to_owned())
            .bind(message.kind.as_str().to_owned())
            .bind(message.channel.as_str().to_owned())
            .bind(message.dedupe_key.clone())
            .bind(invitation.map(|i| i.as_str().to_owned()))
            .bind(alert.map(str::to_owned))
            .bind(message.recipient.clone())
            .bind(i64::from(message.high_priority))
            .bind(message.due_at)
            .bind(now)
            .execute(&mut **tx)
            .await?;
        if inserted.rows_affected() == 1 {
            log_event(tx, clinic.as_str(), id.as_str(), "queued", None, now).await?;
        }
    }
    Ok(())
}

impl Store {
    /// Claims up to `limit` due messages for `claim` (a fresh id per batch)
    /// until `lease_until`. Rows another instance holds are skipped, not
    /// waited for; a lease that ran out (its instance died) is taken over.
    pub async fn claim_messages(
        &self,
        claim: &str,
        now: Millis,
        lease_until: Millis,
        limit: i64,
    ) -> Result<Vec<ClaimedMessage>, StoreError> {
        let lock = match self.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        {
            let _writer = self.writer().await;
            sqlx::query(&format!(
                "UPDATE messages SET claimed_by = $1, lease_until = $2, attempts = attempts + 1 \
                 WHERE id IN (SELECT id FROM messages WHERE status = 'queued' AND next_attempt_at <= $3 \
                 AND (lease_until IS NULL OR lease_until <= $3) ORDER BY next_attempt_at, id LIMIT $4{lock})"
            ))
            .bind(claim.to_owned())
            .bind(lease_until)
            .bind(now)
            .bind(limit)
            .execute(self.pool())
            .await?;
        }
        let rows = sqlx::query(
            "SELECT m.id, m.clinic_id, cl.name AS clinic_name, m.treatment_id, m.kind, m.channel, m.recipient, \
             m.high_priority, m.attempts, m.invitation_id, i.state AS invitation_state, i.expires_at, \
             s.webhook_url, s.webhook_secret FROM messages m \
             JOIN clinics cl ON cl.id = m.clinic_id \
             LEFT JOIN invitations i ON i.id = m.invitation_id \
             LEFT JOIN followup_settings s ON s.clinic_id = m.clinic_id \
             WHERE m.claimed_by = $1 AND m.status = 'queued' ORDER BY m.next_attempt_at, m.id",
        )
        .bind(claim.to_owned())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let invitation = row
                    .try_get::<Option<String>, _>("invitation_id")?
                    .map(|id| -> Result<_, StoreError> {
                        let state: Option<String> = row.try_get("invitation_state")?;
                        Ok((InvitationId::from_db(id), state.as_deref() == Some("open")))
                    })
                    .transpose()?;
                Ok(ClaimedMessage {
                    id: MessageId::from_db(row.try_get("id")?),
                    clinic_id: ClinicId::from_db(row.try_get("clinic_id")?),
                    clinic_name: row.try_get("clinic_name")?,
                    treatment_id: TreatmentId::from_db(row.try_get("treatment_id")?),
                    kind: MessageKind::from_db(&row.try_get::<String, _>("kind")?)?,
                    channel: Channel::from_db(&row.try_get::<String, _>("channel")?)?,
                    recipient: row.try_get("recipient")?,
                    high_priority: row.try_get::<i64, _>("high_priority")? != 0,
                    attempts: row.try_get("attempts")?,
                    invitation,
                    invitation_expires_at: row.try_get("expires_at")?,
                    webhook_url: row.try_get("webhook_url")?,
                    webhook_secret: row
                        .try_get::<Option<String>, _>("webhook_secret")?
                        .map(crate::secret::Secret::from_text),
                })
            })
            .collect()
    }

    /// Gives treatments fresh client links (only the hashes are kept), each
    /// working at least until the given time, in one transaction.
    pub async fn issue_links(
        &self,
        links: &[(ClinicId, TreatmentId, String, Millis)],
    ) -> Result<(), StoreError> {
        if links.is_empty() {
            return Ok(());
        }
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        // One statement per chunk: the values are joined in as a table
        // (`column1`… are the names both databases give VALUES columns).
        for chunk in links.chunks(BATCH_ROWS) {
            let rows = (0..chunk.len())
                .map(|row| {
                    let at = row * 4;
                    format!("(${}, ${}, ${}, ${})", at + 1, at + 2, at + 3, at + 4)
                })
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "UPDATE treatments SET link_hash = v.column3, \
                 link_expires_at = CASE WHEN treatments.link_expires_at < v.column4 THEN v.column4 \
                 ELSE treatments.link_expires_at END \
                 FROM (VALUES {rows}) AS v WHERE treatments.clinic_id = v.column1 AND treatments.id = v.column2"
            );
            let mut query = sqlx::query(&sql);
            for (clinic, treatment, hash, until) in chunk {
                query = query
                    .bind(clinic.as_str().to_owned())
                    .bind(treatment.as_str().to_owned())
                    .bind(hash.clone())
                    .bind(*until);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records how sending went for messages of one claim, in one
    /// transaction. A message whose claim was lost (its lease ran out and
    /// another instance took it) is left to that instance.
    pub async fn finish_messages(
        &self,
        claim: &str,
        outcomes: &[(ClaimedMessage, SendOutcome)],
        now: Millis,
    ) -> Result<(), StoreError> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        // Sent messages, the common case, in a few statements per batch.
        let sent: Vec<&ClaimedMessage> = outcomes
            .iter()
            .filter(|(_, outcome)| *outcome == SendOutcome::Sent)
            .map(|(message, _)| message)
            .collect();
        for chunk in sent.chunks(BATCH_ROWS) {
            let ids = (0..chunk.len())
                .map(|row| format!("${}", row + 3))
                .collect::<Vec<_>>()
                .join(", ");
            let mark_sql = format!(
                "UPDATE messages SET status = 'sent', sent_at = $1, claimed_by = NULL, lease_until = NULL \
                 WHERE claimed_by = $2 AND id IN ({ids}) RETURNING id, clinic_id"
            );
            let mut query = sqlx::query(&mark_sql).bind(now).bind(claim.to_owned());
            for message in chunk {
                query = query.bind(message.id.as_str().to_owned());
            }
            let marked = query.fetch_all(&mut *tx).await?;
            if marked.is_empty() {
                continue;
            }
            let rows = (0..marked.len())
                .map(|row| {
                    let at = row * 3 + 1;
                    format!("(${}, ${}, ${}, 'sent', NULL, $1)", at + 1, at + 2, at + 3)
                })
                .collect::<Vec<_>>()
                .join(", ");
            let log_sql = format!(
                "INSERT INTO delivery_log (id, clinic_id, message_id, event, reason, at) VALUES {rows}"
            );
            let mut log = sqlx::query(&log_sql).bind(now);
            for row in &marked {
                log = log
                    .bind(uuid::Uuid::now_v7().to_string())
                    .bind(row.try_get::<String, _>("clinic_id")?)
                    .bind(row.try_get::<String, _>("id")?);
            }
            log.execute(&mut *tx).await?;
        }
        for (message, outcome) in outcomes {
            let (status, next_attempt, reason, event) = match outcome {
                SendOutcome::Sent => continue,
                SendOutcome::Retry { at, reason } => {
                    ("queued", Some(*at), reason.as_str(), "retry")
                }
                SendOutcome::Failed { reason } => ("failed", None, reason.as_str(), "failed"),
                SendOutcome::Cancelled { reason } => {
                    ("cancelled", None, reason.as_str(), "cancelled")
                }
            };
            let updated = sqlx::query(
                "UPDATE messages SET status = $1, next_attempt_at = COALESCE($2, next_attempt_at), \
                 last_error = $3, claimed_by = NULL, lease_until = NULL \
                 WHERE id = $4 AND claimed_by = $5",
            )
            .bind(status.to_owned())
            .bind(next_attempt)
            .bind(reason.to_owned())
            .bind(message.id.as_str().to_owned())
            .bind(claim.to_owned())
            .execute(&mut *tx)
            .await?;
            if updated.rows_affected() == 1 {
                log_event(
                    &mut tx,
                    message.clinic_id.as_str(),
                    message.id.as_str(),
                    event,
                    Some(reason),
                    now,
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
