//! What the clinic sees: a treatment's follow-up (plan, invitations and
//! messages), the clinic's messages a page at a time, and a message's
//! delivery log.

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Channel, InvitationId, MessageId, MessageKind, MessageStatus, plan_hours_of};
use crate::model::{ClinicId, Millis, Page, PageRequest, TreatmentId};
use crate::{Store, StoreError};

/// A message as the clinic sees it in the delivery log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MessageRecord {
    /// Id.
    pub id: MessageId,
    /// Treatment.
    pub treatment_id: TreatmentId,
    /// What it is for.
    pub kind: MessageKind,
    /// How it travels.
    pub channel: Channel,
    /// Urgent and emergency alerts.
    pub high_priority: bool,
    /// Where it is.
    pub status: MessageStatus,
    /// When it was (or is) due.
    pub due_at: Millis,
    /// Attempts made.
    pub attempts: i64,
    /// When it was sent.
    pub sent_at: Option<Millis>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

/// One line of a message's delivery log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeliveryEvent {
    /// The message.
    pub message_id: MessageId,
    /// `queued`, `sent`, `retry`, `failed` or `cancelled`.
    pub event: String,
    /// Why, for failures and cancellations.
    pub reason: Option<String>,
    /// When.
    pub at: Millis,
}

/// A treatment's follow-up as the clinic sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FollowupRecord {
    /// The plan in effect, hours after the treatment.
    pub plan_hours: Vec<u32>,
    /// Whether a therapist set this treatment's plan.
    pub overridden: bool,
    /// When the follow-up ended, if it did.
    pub closed_at: Option<Millis>,
    /// Why it ended.
    pub closed_reason: Option<String>,
    /// The invitations, oldest first: (due, expires, state).
    pub invitations: Vec<InvitationRecord>,
    /// The messages, oldest first.
    pub messages: Vec<MessageRecord>,
}

/// An invitation as the clinic sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InvitationRecord {
    /// Id.
    pub id: InvitationId,
    /// When it was (or is) sent.
    pub due_at: Millis,
    /// When it lapses.
    pub expires_at: Millis,
    /// `open`, `answered`, `expired` or `cancelled`.
    pub state: String,
}

const MESSAGE_COLUMNS: &str =
    "id, treatment_id, kind, channel, high_priority, status, due_at, attempts, sent_at, last_error";

fn message_record(row: &AnyRow) -> Result<MessageRecord, StoreError> {
    let status: String = row.try_get("status")?;
    Ok(MessageRecord {
        id: MessageId::from_db(row.try_get("id")?),
        treatment_id: TreatmentId::from_db(row.try_get("treatment_id")?),
        kind: MessageKind::from_db(&row.try_get::<String, _>("kind")?)?,
        channel: Channel::from_db(&row.try_get::<String, _>("channel")?)?,
        high_priority: row.try_get::<i64, _>("high_priority")? != 0,
        status: MessageStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown message status `{status}`")))?,
        due_at: row.try_get("due_at")?,
        attempts: row.try_get("attempts")?,
        sent_at: row.try_get("sent_at")?,
        last_error: row.try_get("last_error")?,
    })
}

impl Store {
    /// A treatment's follow-up: plan, invitations and messages.
    pub async fn followup(
        &self,
        clinic: &ClinicId,
        treatment: &TreatmentId,
    ) -> Result<FollowupRecord, StoreError> {
        let exists = sqlx::query("SELECT id FROM treatments WHERE clinic_id = $1 AND id = $2")
            .bind(clinic.as_str().to_owned())
            .bind(treatment.as_str().to_owned())
            .fetch_optional(self.pool())
            .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound("treatment"));
        }
        let plan = sqlx::query(
            "SELECT plan_hours, overridden, closed_at, closed_reason FROM followup_plans \
             WHERE clinic_id = $1 AND treatment_id = $2",
        )
        .bind(clinic.as_str().to_owned())
        .bind(treatment.as_str().to_owned())
        .fetch_optional(self.pool())
        .await?;
        let invitations = sqlx::query(
            "SELECT id, due_at, expires_at, state FROM invitations WHERE clinic_id = $1 AND treatment_id = $2 ORDER BY id",
        )
        .bind(clinic.as_str().to_owned())
        .bind(treatment.as_str().to_owned())
        .fetch_all(self.pool())
        .await?;
        let messages = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE clinic_id = $1 AND treatment_id = $2 ORDER BY due_at, id"
        ))
        .bind(clinic.as_str().to_owned())
        .bind(treatment.as_str().to_owned())
        .fetch_all(self.pool())
        .await?;
        let (plan_hours, overridden, closed_at, closed_reason) = match plan {
            Some(plan) => (
                plan_hours_of(&plan.try_get::<String, _>("plan_hours")?)?,
                plan.try_get::<i64, _>("overridden")? != 0,
                plan.try_get("closed_at")?,
                plan.try_get("closed_reason")?,
            ),
            None => (
                self.followup_settings(clinic).await?.plan_hours,
                false,
                None,
                None,
            ),
        };
        Ok(FollowupRecord {
            plan_hours,
            overridden,
            closed_at,
            closed_reason,
            invitations: invitations
                .iter()
                .map(|row| {
                    Ok(InvitationRecord {
                        id: InvitationId::from_db(row.try_get("id")?),
                        due_at: row.try_get("due_at")?,
                        expires_at: row.try_get("expires_at")?,
                        state: row.try_get("state")?,
                    })
                })
                .collect::<Result<_, StoreError>>()?,
            messages: messages
                .iter()
                .map(message_record)
                .collect::<Result<_, _>>()?,
        })
    }

    /// The clinic's messages, newest first, optionally of one status, a
    /// page at a time (the cursor is the last id seen).
    pub async fn list_messages(
        &self,
        clinic: &ClinicId,
        status: Option<MessageStatus>,
        request: &PageRequest,
    ) -> Result<Page<MessageRecord>, StoreError> {
        let before = request.after.clone().unwrap_or_else(|| "~".to_owned());
        let rows = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE clinic_id = $1 AND ($2 = '' OR status = $2) \
             AND id < $3 ORDER BY id DESC LIMIT $4"
        ))
        .bind(clinic.as_str().to_owned())
        .bind(status.map(|s| s.as_str().to_owned()).unwrap_or_default())
        .bind(before)
        .bind(request.limit() + 1)
        .fetch_all(self.pool())
        .await?;
        let mut items = rows
            .iter()
            .map(message_record)
            .collect::<Result<Vec<_>, _>>()?;
        let limit = usize::try_from(request.limit()).unwrap_or(50);
        let next = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|m| m.id.to_string())
        } else {
            None
        };
        Ok(Page { items, next })
    }

    /// A message's delivery log, oldest first.
    pub async fn delivery_log(
        &self,
        clinic: &ClinicId,
        message: &str,
    ) -> Result<Vec<DeliveryEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT message_id, event, reason, at FROM delivery_log WHERE clinic_id = $1 AND message_id = $2 ORDER BY id",
        )
        .bind(clinic.as_str().to_owned())
        .bind(message.to_owned())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(DeliveryEvent {
                    message_id: MessageId::from_db(row.try_get("message_id")?),
                    event: row.try_get("event")?,
                    reason: row.try_get("reason")?,
                    at: row.try_get("at")?,
                })
            })
            .collect()
    }
}
