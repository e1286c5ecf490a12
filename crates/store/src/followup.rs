//! Follow-up: each treatment's plan, the invitations it sends, the outbox
//! of messages (invitations, reminders, alerts) and its delivery log.
//!
//! The scheduler in the server decides *what* to send and *when*; this
//! module holds the operations it needs, each one transaction: find work
//! (treatments without a plan, plans with new check-ins, expired
//! invitations, alerts not yet notified), apply a decision, claim due
//! messages under a lease, and record how sending went.
//!
//! Work is found by scanning tables rather than by hooks in the check-in
//! path, so submitting a check-in stays exactly as it is. Every write that
//! several instances might race on is guarded: plans and alert notices have
//! primary keys, messages a unique `dedupe_key`, plan updates compare the
//! count of check-ins they saw, and claims take rows under `FOR UPDATE SKIP
//! LOCKED` on PostgreSQL (SQLite has one writer).

use aftercare_core::Level;
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::model::{ClinicId, Millis, Page, PageRequest, TreatmentId};
use crate::{Backend, Store, StoreError};

/// A clinic's follow-up settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowupSettings {
    /// Planned check-ins, in hours after the treatment, ascending.
    pub plan_hours: Vec<u32>,
    /// How many reminders follow an unanswered invitation.
    pub reminder_count: u32,
    /// Minutes between an invitation and its first reminder, and between reminders.
    pub reminder_delay_minutes: u32,
    /// Hours an invitation waits for its check-in before it lapses.
    pub invitation_expiry_hours: u32,
    /// Start of the nightly quiet time, minutes after local midnight.
    pub quiet_start_minute: u32,
    /// End of the nightly quiet time, minutes after local midnight; equal
    /// to the start when there is no quiet time.
    pub quiet_end_minute: u32,
    /// The IANA time zone of the clinic and its clients, e.g. `Europe/Berlin`.
    pub time_zone: String,
    /// Minutes after which an unacknowledged `see_doctor`-or-above alert is
    /// sent to the clinic's owners too; `None` for no escalation.
    pub escalation_minutes: Option<u32>,
    /// How clients are invited.
    pub client_channel: Channel,
    /// Where webhooks go, if the clinic set one.
    pub webhook_url: Option<String>,
    /// The key webhooks are signed with.
    pub webhook_secret: Option<String>,
}

impl Default for FollowupSettings {
    fn default() -> Self {
        FollowupSettings {
            plan_hours: vec![6, 24, 72, 168],
            reminder_count: 1,
            reminder_delay_minutes: 4 * 60,
            invitation_expiry_hours: 24,
            quiet_start_minute: 21 * 60,
            quiet_end_minute: 8 * 60,
            time_zone: "UTC".to_owned(),
            escalation_minutes: None,
            client_channel: Channel::Email,
            webhook_url: None,
            webhook_secret: None,
        }
    }
}

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

    fn from_db(text: &str) -> Result<Channel, StoreError> {
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

    fn from_db(text: &str) -> Result<MessageKind, StoreError> {
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

/// Declares a text id kept by the follow-up tables.
macro_rules! followup_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A new, time-ordered id.
            pub fn generate() -> Self {
                $name(uuid::Uuid::now_v7().to_string())
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

followup_id!(
    /// An invitation to check in.
    InvitationId
);
followup_id!(
    /// A message of the outbox.
    MessageId
);

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

/// An invitation to open, with its messages (the invitation, its reminders).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewInvitation {
    /// When it is sent.
    pub due_at: Millis,
    /// When it lapses unanswered.
    pub expires_at: Millis,
    /// Its messages; their dedupe keys are prefixed with the invitation id.
    pub messages: Vec<NewMessage>,
}

/// What comes next in a plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlanNext {
    /// Invite the client again.
    Invite(NewInvitation),
    /// Stop following up, for this reason (`clear`, `plan_complete`,
    /// `unanswered`, `no_consent`, `therapist`).
    Close(&'static str),
}

/// How an invitation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvitationEnd {
    /// A check-in came.
    Answered,
    /// It lapsed unanswered.
    Expired,
    /// The plan changed or closed.
    Cancelled,
}

impl InvitationEnd {
    const fn as_str(self) -> &'static str {
        match self {
            InvitationEnd::Answered => "answered",
            InvitationEnd::Expired => "expired",
            InvitationEnd::Cancelled => "cancelled",
        }
    }
}

/// A treatment the scheduler has not yet planned.
#[derive(Clone, Debug)]
pub struct UnplannedTreatment {
    /// Clinic.
    pub clinic_id: ClinicId,
    /// Treatment.
    pub treatment_id: TreatmentId,
    /// When it was given.
    pub treatment_at: Millis,
    /// The client's email, if known.
    pub client_email: Option<String>,
    /// The client's phone, if known.
    pub client_phone: Option<String>,
    /// Whether the client agreed to be followed up.
    pub consented: bool,
}

/// A plan with something new to react to: check-ins since it last looked,
/// or a change of plan by the therapist.
#[derive(Clone, Debug)]
pub struct PlanToAdvance {
    /// Clinic.
    pub clinic_id: ClinicId,
    /// Treatment.
    pub treatment_id: TreatmentId,
    /// When it was given.
    pub treatment_at: Millis,
    /// The plan in effect, hours after the treatment.
    pub plan_hours: Vec<u32>,
    /// Check-ins seen when the plan was last advanced.
    pub checkins_seen: i64,
    /// Check-ins stored now.
    pub checkin_count: i64,
    /// The invitation waiting for an answer, if any.
    pub open_invitation: Option<InvitationId>,
    /// The latest check-in's time, if any.
    pub last_checkin_at: Option<Millis>,
    /// The latest decision's level, if any.
    pub last_level: Option<Level>,
    /// The latest decision's `next_checkin_hours`; `None` also when it
    /// said no further check-in is needed (see `last_level`).
    pub next_checkin_hours: Option<u32>,
    /// The client's email, if known.
    pub client_email: Option<String>,
    /// The client's phone, if known.
    pub client_phone: Option<String>,
    /// Whether the client agreed to be followed up.
    pub consented: bool,
}

/// An open invitation whose time ran out.
#[derive(Clone, Debug)]
pub struct LapsedInvitation {
    /// Clinic.
    pub clinic_id: ClinicId,
    /// Treatment.
    pub treatment_id: TreatmentId,
    /// The invitation.
    pub invitation_id: InvitationId,
    /// When the treatment was given.
    pub treatment_at: Millis,
    /// The plan in effect.
    pub plan_hours: Vec<u32>,
    /// Check-ins seen by the plan.
    pub checkins_seen: i64,
    /// The level of the latest decision, if any.
    pub last_level: Option<Level>,
    /// The client's email.
    pub client_email: Option<String>,
    /// The client's phone, if known.
    pub client_phone: Option<String>,
    /// The treating therapist's email.
    pub practitioner_email: String,
}

/// A change to apply to one plan, in one transaction.
#[derive(Clone, Debug)]
pub struct PlanUpdate {
    /// Clinic.
    pub clinic_id: ClinicId,
    /// Treatment.
    pub treatment_id: TreatmentId,
    /// Applied only if the plan still has this many check-ins seen: a
    /// concurrent planner that got there first wins, this one changes nothing.
    pub seen_before: i64,
    /// The count to record.
    pub seen_after: i64,
    /// The latest decision's level, to remember.
    pub last_level: Option<Level>,
    /// End the open invitation (its queued messages are cancelled).
    pub end_invitation: Option<(InvitationId, InvitationEnd)>,
    /// What comes next.
    pub next: PlanNext,
    /// Other messages (a missed check-in).
    pub extra_messages: Vec<NewMessage>,
}

/// An alert that has no messages yet.
#[derive(Clone, Debug)]
pub struct AlertToNotify {
    /// Alert id.
    pub alert_id: String,
    /// Clinic.
    pub clinic_id: ClinicId,
    /// Treatment.
    pub treatment_id: TreatmentId,
    /// Level.
    pub level: Level,
    /// The treating therapist's email.
    pub practitioner_email: String,
}

/// An alert due for escalation to the clinic's owners.
#[derive(Clone, Debug)]
pub struct AlertToEscalate {
    /// Alert id.
    pub alert_id: String,
    /// Clinic.
    pub clinic_id: ClinicId,
    /// Treatment.
    pub treatment_id: TreatmentId,
    /// Level.
    pub level: Level,
    /// The owners' emails.
    pub owner_emails: Vec<String>,
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
    /// The clinic's webhook signing key.
    pub webhook_secret: Option<String>,
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

/// Rows per statement when many are written at once (well under both
/// databases' limits on parameters).
const BATCH_ROWS: usize = 250;

const MESSAGE_COLUMNS: &str =
    "id, treatment_id, kind, channel, high_priority, status, due_at, attempts, sent_at, last_error";

fn level_of(text: &str) -> Result<Level, StoreError> {
    Level::ALL
        .iter()
        .copied()
        .find(|level| level.as_str() == text)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown level `{text}`")))
}

fn optional_level(text: Option<&str>) -> Result<Option<Level>, StoreError> {
    text.map(level_of).transpose()
}

fn plan_hours_of(text: &str) -> Result<Vec<u32>, StoreError> {
    serde_json::from_str(text).map_err(|error| StoreError::Corrupt(format!("plan hours: {error}")))
}

fn plan_hours_text(hours: &[u32]) -> String {
    serde_json::to_string(hours).unwrap_or_else(|_| unreachable!("numbers always serialize"))
}

fn to_u32(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

fn message_record(row: &AnyRow) -> Result<MessageRecord, StoreError> {
    let status: String = row.try_get("status")?;
    Ok(MessageRecord {
        id: MessageId(row.try_get("id")?),
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

async fn log_event(
    tx: &mut Transaction<'_, Any>,
    clinic: &str,
    message: &str,
    event: &str,
    reason: Option<&str>,
    now: Millis,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO delivery_log (id, clinic_id, message_id, event, reason, at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
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
async fn queue_messages(
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
        let inserted = sqlx::query(
            "INSERT INTO messages (id, clinic_id, treatment_id, kind, channel, dedupe_key, invitation_id, alert_id, \
             recipient, high_priority, status, due_at, next_attempt_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'queued', $11, $11, $12) \
             ON CONFLICT (dedupe_key) DO NOTHING",
        )
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

/// Ends an invitation that is still open and cancels its queued messages.
async fn end_invitation(
    tx: &mut Transaction<'_, Any>,
    clinic: &ClinicId,
    invitation: &InvitationId,
    end: InvitationEnd,
    now: Millis,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE invitations SET state = $1 WHERE clinic_id = $2 AND id = $3 AND state = 'open'",
    )
    .bind(end.as_str().to_owned())
    .bind(clinic.as_str().to_owned())
    .bind(invitation.as_str().to_owned())
    .execute(&mut **tx)
    .await?;
    let cancelled = sqlx::query(
        "UPDATE messages SET status = 'cancelled', claimed_by = NULL, lease_until = NULL \
         WHERE clinic_id = $1 AND invitation_id = $2 AND status = 'queued' RETURNING id",
    )
    .bind(clinic.as_str().to_owned())
    .bind(invitation.as_str().to_owned())
    .fetch_all(&mut **tx)
    .await?;
    let reason = format!("the invitation was {}", end.as_str());
    for row in cancelled {
        let id: String = row.try_get("id")?;
        log_event(tx, clinic.as_str(), &id, "cancelled", Some(&reason), now).await?;
    }
    Ok(())
}

/// Opens an invitation with its messages and records it as the plan's open one.
async fn open_invitation(
    tx: &mut Transaction<'_, Any>,
    clinic: &ClinicId,
    treatment: &TreatmentId,
    invitation: &NewInvitation,
    now: Millis,
) -> Result<InvitationId, StoreError> {
    let id = InvitationId::generate();
    sqlx::query(
        "INSERT INTO invitations (id, clinic_id, treatment_id, due_at, expires_at, state, created_at) \
         VALUES ($1, $2, $3, $4, $5, 'open', $6)",
    )
    .bind(id.as_str().to_owned())
    .bind(clinic.as_str().to_owned())
    .bind(treatment.as_str().to_owned())
    .bind(invitation.due_at)
    .bind(invitation.expires_at)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let messages: Vec<NewMessage> = invitation
        .messages
        .iter()
        .map(|message| NewMessage {
            dedupe_key: format!("{id}:{}", message.dedupe_key),
            ..message.clone()
        })
        .collect();
    queue_messages(tx, clinic, treatment, Some(&id), None, &messages, now).await?;
    Ok(id)
}

impl Store {
    /// A clinic's follow-up settings (the defaults until it sets its own).
    pub async fn followup_settings(
        &self,
        clinic: &ClinicId,
    ) -> Result<FollowupSettings, StoreError> {
        let row = sqlx::query(
            "SELECT plan_hours, reminder_count, reminder_delay_minutes, invitation_expiry_hours, \
             quiet_start_minute, quiet_end_minute, time_zone, escalation_minutes, client_channel, \
             webhook_url, webhook_secret FROM followup_settings WHERE clinic_id = $1",
        )
        .bind(clinic.as_str().to_owned())
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else {
            return Ok(FollowupSettings::default());
        };
        Ok(FollowupSettings {
            plan_hours: plan_hours_of(&row.try_get::<String, _>("plan_hours")?)?,
            reminder_count: to_u32(row.try_get("reminder_count")?),
            reminder_delay_minutes: to_u32(row.try_get("reminder_delay_minutes")?),
            invitation_expiry_hours: to_u32(row.try_get("invitation_expiry_hours")?),
            quiet_start_minute: to_u32(row.try_get("quiet_start_minute")?),
            quiet_end_minute: to_u32(row.try_get("quiet_end_minute")?),
            time_zone: row.try_get("time_zone")?,
            escalation_minutes: row
                .try_get::<Option<i64>, _>("escalation_minutes")?
                .map(to_u32),
            client_channel: Channel::from_db(&row.try_get::<String, _>("client_channel")?)?,
            webhook_url: row.try_get("webhook_url")?,
            webhook_secret: row.try_get("webhook_secret")?,
        })
    }

    /// Replaces a clinic's follow-up settings. The caller has validated them.
    pub async fn put_followup_settings(
        &self,
        clinic: &ClinicId,
        actor: &crate::Actor,
        settings: &FollowupSettings,
        now: Millis,
    ) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM followup_settings WHERE clinic_id = $1")
            .bind(clinic.as_str().to_owned())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO followup_settings (clinic_id, plan_hours, reminder_count, reminder_delay_minutes, \
             invitation_expiry_hours, quiet_start_minute, quiet_end_minute, time_zone, escalation_minutes, \
             client_channel, webhook_url, webhook_secret, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(clinic.as_str().to_owned())
        .bind(plan_hours_text(&settings.plan_hours))
        .bind(i64::from(settings.reminder_count))
        .bind(i64::from(settings.reminder_delay_minutes))
        .bind(i64::from(settings.invitation_expiry_hours))
        .bind(i64::from(settings.quiet_start_minute))
        .bind(i64::from(settings.quiet_end_minute))
        .bind(settings.time_zone.clone())
        .bind(settings.escalation_minutes.map(i64::from))
        .bind(settings.client_channel.as_str().to_owned())
        .bind(settings.webhook_url.clone())
        .bind(settings.webhook_secret.clone())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        crate::queries::audit(
            &mut tx,
            Some(clinic),
            actor,
            "followup_settings.update",
            &format!("clinic:{clinic}"),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Takes (or keeps) the planner's lease: only one instance plans at a
    /// time. True when `holder` has it until `until`.
    pub async fn take_planner_lease(
        &self,
        holder: &str,
        now: Millis,
        until: Millis,
    ) -> Result<bool, StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO scheduler_leases (name, holder, lease_until) VALUES ('planner', $1, $2) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(holder.to_owned())
        .bind(until)
        .execute(&mut *tx)
        .await?;
        let taken = sqlx::query(
            "UPDATE scheduler_leases SET holder = $1, lease_until = $2 \
             WHERE name = 'planner' AND (holder = $1 OR lease_until <= $3)",
        )
        .bind(holder.to_owned())
        .bind(until)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(taken.rows_affected() == 1)
    }

    /// Treatments recorded since `since` without a follow-up plan yet.
    pub async fn treatments_without_plan(
        &self,
        since: Millis,
        limit: i64,
    ) -> Result<Vec<UnplannedTreatment>, StoreError> {
        let rows = sqlx::query(
            "SELECT t.clinic_id, t.id, t.at, c.email, c.phone, c.consent_at FROM treatments t \
             JOIN clients c ON c.id = t.client_id \
             LEFT JOIN followup_plans p ON p.treatment_id = t.id \
             WHERE p.treatment_id IS NULL AND t.created_at >= $1 ORDER BY t.id LIMIT $2",
        )
        .bind(since)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(UnplannedTreatment {
                    clinic_id: ClinicId::from_db(row.try_get("clinic_id")?),
                    treatment_id: TreatmentId::from_db(row.try_get("id")?),
                    treatment_at: row.try_get("at")?,
                    client_email: row.try_get("email")?,
                    client_phone: row.try_get("phone")?,
                    consented: row.try_get::<Option<i64>, _>("consent_at")?.is_some(),
                })
            })
            .collect()
    }

    /// Starts a treatment's plan with its first step. Does nothing when
    /// another planner started it already.
    pub async fn start_plan(
        &self,
        clinic: &ClinicId,
        treatment: &TreatmentId,
        plan_hours: &[u32],
        next: &PlanNext,
        now: Millis,
    ) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO followup_plans (treatment_id, clinic_id, plan_hours, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (treatment_id) DO NOTHING",
        )
        .bind(treatment.as_str().to_owned())
        .bind(clinic.as_str().to_owned())
        .bind(plan_hours_text(plan_hours))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            // Nothing written: end the transaction now, not when the
            // connection is next used (SQLite holds its write lock till then).
            tx.rollback().await?;
            return Ok(());
        }
        apply_next(&mut tx, clinic, treatment, next, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Plans of treatments recorded since `since` with check-ins they have
    /// not reacted to, or whose plan a therapist changed. Plans a therapist
    /// closed are left alone.
    pub async fn plans_to_advance(
        &self,
        since: Millis,
        limit: i64,
    ) -> Result<Vec<PlanToAdvance>, StoreError> {
        let rows = sqlx::query(
            "SELECT p.clinic_id, p.treatment_id, t.at AS treatment_at, p.plan_hours, p.checkins_seen, \
             t.checkin_count, p.open_invitation, c.email, c.phone, c.consent_at FROM followup_plans p \
             JOIN treatments t ON t.id = p.treatment_id JOIN clients c ON c.id = t.client_id \
             WHERE (t.checkin_count > p.checkins_seen OR p.checkins_seen < 0) \
             AND (p.closed_reason IS NULL OR p.closed_reason <> 'therapist') AND t.created_at >= $1 \
             ORDER BY p.treatment_id LIMIT $2",
        )
        .bind(since)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        let mut plans = Vec::with_capacity(rows.len());
        for row in &rows {
            let treatment_id = TreatmentId::from_db(row.try_get("treatment_id")?);
            let latest = sqlx::query(
                "SELECT c.at, d.level, d.body FROM checkins c JOIN decisions d ON d.checkin_id = c.id \
                 WHERE c.treatment_id = $1 ORDER BY c.seq DESC, d.id DESC LIMIT 1",
            )
            .bind(treatment_id.as_str().to_owned())
            .fetch_optional(self.pool())
            .await?;
            let (last_checkin_at, last_level, next_checkin_hours) = match latest {
                Some(latest) => {
                    let body: String = latest.try_get("body")?;
                    let decision: serde_json::Value = serde_json::from_str(&body)
                        .map_err(|error| StoreError::Corrupt(format!("decision body: {error}")))?;
                    let next = decision
                        .get("next_checkin_hours")
                        .and_then(serde_json::Value::as_u64)
                        .map(|hours| u32::try_from(hours).unwrap_or(u32::MAX));
                    (
                        Some(latest.try_get::<i64, _>("at")?),
                        Some(level_of(&latest.try_get::<String, _>("level")?)?),
                        next,
                    )
                }
                None => (None, None, None),
            };
            plans.push(PlanToAdvance {
                clinic_id: ClinicId::from_db(row.try_get("clinic_id")?),
                treatment_id,
                treatment_at: row.try_get("treatment_at")?,
                plan_hours: plan_hours_of(&row.try_get::<String, _>("plan_hours")?)?,
                checkins_seen: row.try_get("checkins_seen")?,
                checkin_count: row.try_get("checkin_count")?,
                open_invitation: row
                    .try_get::<Option<String>, _>("open_invitation")?
                    .map(InvitationId),
                last_checkin_at,
                last_level,
                next_checkin_hours,
                client_email: row.try_get("email")?,
                client_phone: row.try_get("phone")?,
                consented: row.try_get::<Option<i64>, _>("consent_at")?.is_some(),
            });
        }
        Ok(plans)
    }

    /// Open invitations whose time ran out.
    pub async fn lapsed_invitations(
        &self,
        now: Millis,
        limit: i64,
    ) -> Result<Vec<LapsedInvitation>, StoreError> {
        let rows = sqlx::query(
            "SELECT i.clinic_id, i.treatment_id, i.id, t.at AS treatment_at, p.plan_hours, p.checkins_seen, \
             p.last_level, c.email AS client_email, c.phone AS client_phone, pr.email AS practitioner_email FROM invitations i \
             JOIN followup_plans p ON p.treatment_id = i.treatment_id \
             JOIN treatments t ON t.id = i.treatment_id JOIN clients c ON c.id = t.client_id \
             JOIN practitioners pr ON pr.id = t.practitioner_id \
             WHERE i.state = 'open' AND i.expires_at <= $1 ORDER BY i.expires_at, i.id LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(LapsedInvitation {
                    clinic_id: ClinicId::from_db(row.try_get("clinic_id")?),
                    treatment_id: TreatmentId::from_db(row.try_get("treatment_id")?),
                    invitation_id: InvitationId(row.try_get("id")?),
                    treatment_at: row.try_get("treatment_at")?,
                    plan_hours: plan_hours_of(&row.try_get::<String, _>("plan_hours")?)?,
                    checkins_seen: row.try_get("checkins_seen")?,
                    last_level: optional_level(
                        row.try_get::<Option<String>, _>("last_level")?.as_deref(),
                    )?,
                    client_email: row.try_get("client_email")?,
                    client_phone: row.try_get("client_phone")?,
                    practitioner_email: row.try_get("practitioner_email")?,
                })
            })
            .collect()
    }

    /// Applies a planner's decision to one plan. Returns false (and changes
    /// nothing) when the plan moved on since it was read.
    pub async fn update_plan(&self, update: &PlanUpdate, now: Millis) -> Result<bool, StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        let claimed = sqlx::query(
            "UPDATE followup_plans SET checkins_seen = $1, last_level = COALESCE($2, last_level), \
             open_invitation = NULL, updated_at = $3 \
             WHERE clinic_id = $4 AND treatment_id = $5 AND checkins_seen = $6 \
             AND (closed_reason IS NULL OR closed_reason <> 'therapist')",
        )
        .bind(update.seen_after)
        .bind(update.last_level.map(|level| level.as_str().to_owned()))
        .bind(now)
        .bind(update.clinic_id.as_str().to_owned())
        .bind(update.treatment_id.as_str().to_owned())
        .bind(update.seen_before)
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        if let Some((invitation, end)) = &update.end_invitation {
            end_invitation(&mut tx, &update.clinic_id, invitation, *end, now).await?;
        }
        queue_messages(
            &mut tx,
            &update.clinic_id,
            &update.treatment_id,
            None,
            None,
            &update.extra_messages,
            now,
        )
        .await?;
        apply_next(
            &mut tx,
            &update.clinic_id,
            &update.treatment_id,
            &update.next,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Sets one treatment's plan (a therapist's change). The open
    /// invitation, if not sent yet, is cancelled and the planner works out
    /// the next one from the new plan.
    pub async fn set_treatment_plan(
        &self,
        clinic: &ClinicId,
        actor: &crate::Actor,
        treatment: &TreatmentId,
        plan_hours: &[u32],
        now: Millis,
    ) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        let open = plan_of(&mut tx, clinic, treatment).await?;
        // A negative count of check-ins seen asks the planner to work the
        // plan out again (see `plans_to_advance`), whatever it saw before.
        if open.is_none() {
            sqlx::query(
                "INSERT INTO followup_plans (treatment_id, clinic_id, plan_hours, overridden, checkins_seen, updated_at) \
                 VALUES ($1, $2, $3, 1, -1, $4)",
            )
            .bind(treatment.as_str().to_owned())
            .bind(clinic.as_str().to_owned())
            .bind(plan_hours_text(plan_hours))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        } else {
            sqlx::query(
                "UPDATE followup_plans SET plan_hours = $1, overridden = 1, checkins_seen = -1, \
                 open_invitation = NULL, closed_at = NULL, closed_reason = NULL, updated_at = $2 \
                 WHERE clinic_id = $3 AND treatment_id = $4",
            )
            .bind(plan_hours_text(plan_hours))
            .bind(now)
            .bind(clinic.as_str().to_owned())
            .bind(treatment.as_str().to_owned())
            .execute(&mut *tx)
            .await?;
        }
        cancel_open_and_audit(
            &mut tx,
            clinic,
            actor,
            treatment,
            open.flatten(),
            "followup.plan",
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends a treatment's follow-up (the therapist closes the course): no
    /// more invitations, and queued ones are cancelled.
    pub async fn close_followup(
        &self,
        clinic: &ClinicId,
        actor: &crate::Actor,
        treatment: &TreatmentId,
        now: Millis,
    ) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        let open = plan_of(&mut tx, clinic, treatment).await?;
        if open.is_none() {
            sqlx::query(
                "INSERT INTO followup_plans (treatment_id, clinic_id, plan_hours, closed_at, closed_reason, updated_at) \
                 VALUES ($1, $2, '[]', $3, 'therapist', $3)",
            )
            .bind(treatment.as_str().to_owned())
            .bind(clinic.as_str().to_owned())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        } else {
            sqlx::query(
                "UPDATE followup_plans SET open_invitation = NULL, closed_at = $1, closed_reason = 'therapist', \
                 updated_at = $1 WHERE clinic_id = $2 AND treatment_id = $3",
            )
            .bind(now)
            .bind(clinic.as_str().to_owned())
            .bind(treatment.as_str().to_owned())
            .execute(&mut *tx)
            .await?;
        }
        cancel_open_and_audit(
            &mut tx,
            clinic,
            actor,
            treatment,
            open.flatten(),
            "followup.close",
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Alerts raised since `since` that have no messages yet.
    pub async fn alerts_to_notify(
        &self,
        since: Millis,
        limit: i64,
    ) -> Result<Vec<AlertToNotify>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.id, a.clinic_id, a.treatment_id, a.level, pr.email FROM alerts a \
             JOIN practitioners pr ON pr.id = a.practitioner_id \
             LEFT JOIN alert_notices n ON n.alert_id = a.id \
             WHERE n.alert_id IS NULL AND a.created_at >= $1 ORDER BY a.created_at, a.id LIMIT $2",
        )
        .bind(since)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AlertToNotify {
                    alert_id: row.try_get("id")?,
                    clinic_id: ClinicId::from_db(row.try_get("clinic_id")?),
                    treatment_id: TreatmentId::from_db(row.try_get("treatment_id")?),
                    level: level_of(&row.try_get::<String, _>("level")?)?,
                    practitioner_email: row.try_get("email")?,
                })
            })
            .collect()
    }

    /// Records that an alert was turned into these messages (once).
    pub async fn notify_alert(
        &self,
        alert: &AlertToNotify,
        messages: &[NewMessage],
        now: Millis,
    ) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO alert_notices (alert_id, clinic_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (alert_id) DO NOTHING",
        )
        .bind(alert.alert_id.clone())
        .bind(alert.clinic_id.as_str().to_owned())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 1 {
            queue_messages(
                &mut tx,
                &alert.clinic_id,
                &alert.treatment_id,
                None,
                Some(&alert.alert_id),
                messages,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Unacknowledged `see_doctor`-or-above alerts older than their
    /// clinic's escalation time, not escalated yet.
    pub async fn alerts_to_escalate(
        &self,
        now: Millis,
        limit: i64,
    ) -> Result<Vec<AlertToEscalate>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.id, a.clinic_id, a.treatment_id, a.level FROM alerts a \
             JOIN alert_notices n ON n.alert_id = a.id \
             JOIN followup_settings s ON s.clinic_id = a.clinic_id \
             WHERE a.acknowledged_at IS NULL AND n.escalated_at IS NULL AND a.level_rank >= $1 \
             AND s.escalation_minutes IS NOT NULL AND a.created_at + s.escalation_minutes * 60000 <= $2 \
             ORDER BY a.created_at, a.id LIMIT $3",
        )
        .bind(i64::try_from(Level::SeeDoctor.index()).unwrap_or_default())
        .bind(now)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        let mut alerts = Vec::with_capacity(rows.len());
        for row in &rows {
            let clinic_id = ClinicId::from_db(row.try_get("clinic_id")?);
            let owners = sqlx::query(
                "SELECT email FROM practitioners WHERE clinic_id = $1 AND role = 'owner' ORDER BY id",
            )
            .bind(clinic_id.as_str().to_owned())
            .fetch_all(self.pool())
            .await?;
            alerts.push(AlertToEscalate {
                alert_id: row.try_get("id")?,
                clinic_id,
                treatment_id: TreatmentId::from_db(row.try_get("treatment_id")?),
                level: level_of(&row.try_get::<String, _>("level")?)?,
                owner_emails: owners
                    .iter()
                    .map(|owner| owner.try_get("email"))
                    .collect::<Result<_, _>>()?,
            });
        }
        Ok(alerts)
    }

    /// Records an escalation and its messages (once).
    pub async fn escalate_alert(
        &self,
        alert: &AlertToEscalate,
        messages: &[NewMessage],
        now: Millis,
    ) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        let marked = sqlx::query(
            "UPDATE alert_notices SET escalated_at = $1 WHERE alert_id = $2 AND escalated_at IS NULL",
        )
        .bind(now)
        .bind(alert.alert_id.clone())
        .execute(&mut *tx)
        .await?;
        if marked.rows_affected() == 1 {
            queue_messages(
                &mut tx,
                &alert.clinic_id,
                &alert.treatment_id,
                None,
                Some(&alert.alert_id),
                messages,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

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
                        Ok((InvitationId(id), state.as_deref() == Some("open")))
                    })
                    .transpose()?;
                Ok(ClaimedMessage {
                    id: MessageId(row.try_get("id")?),
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
                    webhook_secret: row.try_get("webhook_secret")?,
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
                        id: InvitationId(row.try_get("id")?),
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
                    message_id: MessageId(row.try_get("message_id")?),
                    event: row.try_get("event")?,
                    reason: row.try_get("reason")?,
                    at: row.try_get("at")?,
                })
            })
            .collect()
    }
}

/// Opens the next invitation, or closes the plan.
async fn apply_next(
    tx: &mut Transaction<'_, Any>,
    clinic: &ClinicId,
    treatment: &TreatmentId,
    next: &PlanNext,
    now: Millis,
) -> Result<(), StoreError> {
    match next {
        PlanNext::Invite(invitation) => {
            let id = open_invitation(tx, clinic, treatment, invitation, now).await?;
            sqlx::query(
                "UPDATE followup_plans SET open_invitation = $1, closed_at = NULL, closed_reason = NULL \
                 WHERE clinic_id = $2 AND treatment_id = $3",
            )
            .bind(id.as_str().to_owned())
            .bind(clinic.as_str().to_owned())
            .bind(treatment.as_str().to_owned())
            .execute(&mut **tx)
            .await?;
        }
        PlanNext::Close(reason) => {
            sqlx::query(
                "UPDATE followup_plans SET closed_at = $1, closed_reason = $2 \
                 WHERE clinic_id = $3 AND treatment_id = $4",
            )
            .bind(now)
            .bind((*reason).to_owned())
            .bind(clinic.as_str().to_owned())
            .bind(treatment.as_str().to_owned())
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}

/// A treatment's follow-up plan row, if any, with its open invitation:
/// `None` when the treatment has no plan row yet. A treatment of another
/// clinic (or none) is not found.
async fn plan_of(
    tx: &mut Transaction<'_, Any>,
    clinic: &ClinicId,
    treatment: &TreatmentId,
) -> Result<Option<Option<String>>, StoreError> {
    let exists = sqlx::query("SELECT id FROM treatments WHERE clinic_id = $1 AND id = $2")
        .bind(clinic.as_str().to_owned())
        .bind(treatment.as_str().to_owned())
        .fetch_optional(&mut **tx)
        .await?;
    if exists.is_none() {
        return Err(StoreError::NotFound("treatment"));
    }
    Ok(sqlx::query(
        "SELECT open_invitation FROM followup_plans WHERE clinic_id = $1 AND treatment_id = $2",
    )
    .bind(clinic.as_str().to_owned())
    .bind(treatment.as_str().to_owned())
    .fetch_optional(&mut **tx)
    .await?
    .map(|row| row.try_get("open_invitation"))
    .transpose()?)
}

/// After a therapist changed or closed a plan: the invitation that was
/// open is cancelled, and the change goes into the audit trail.
async fn cancel_open_and_audit(
    tx: &mut Transaction<'_, Any>,
    clinic: &ClinicId,
    actor: &crate::Actor,
    treatment: &TreatmentId,
    open: Option<String>,
    action: &str,
    now: Millis,
) -> Result<(), StoreError> {
    if let Some(invitation) = open {
        end_invitation(
            tx,
            clinic,
            &InvitationId(invitation),
            InvitationEnd::Cancelled,
            now,
        )
        .await?;
    }
    crate::queries::audit(
        tx,
        Some(clinic),
        actor,
        action,
        &format!("treatment:{treatment}"),
        now,
    )
    .await
}
