//! Invitations to check in: opening one with its messages, ending one
//! (its queued messages are cancelled), and finding those that lapsed.

use aftercare_core::Level;
use sqlx::{Any, Row, Transaction};

use super::outbox::log_event;
use super::{InvitationId, NewMessage, plan_hours_of, queue_messages};
use crate::model::{ClinicId, Millis, TreatmentId};
use crate::{Store, StoreError};

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
    pub(super) const fn as_str(self) -> &'static str {
        match self {
            InvitationEnd::Answered => "answered",
            InvitationEnd::Expired => "expired",
            InvitationEnd::Cancelled => "cancelled",
        }
    }
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

fn optional_level(text: Option<&str>) -> Result<Option<Level>, StoreError> {
    text.map(crate::queries::level).transpose()
}

/// Ends an invitation that is still open (the statements both drivers run) ...
pub(super) const END_INVITATION: &str =
    "UPDATE invitations SET state = $1 WHERE clinic_id = $2 AND id = $3 AND state = 'open'";

/// ... and cancels its queued messages, answering their ids.
pub(super) const CANCEL_INVITATION_MESSAGES: &str = "UPDATE messages SET status = 'cancelled', claimed_by = NULL, \
     lease_until = NULL WHERE clinic_id = $1 AND invitation_id = $2 AND status = 'queued' RETURNING id";

/// A new open invitation.
pub(super) const INSERT_INVITATION: &str = "INSERT INTO invitations (id, clinic_id, treatment_id, due_at, expires_at, \
     state, created_at) VALUES ($1, $2, $3, $4, $5, 'open', $6)";

/// Ends an invitation that is still open and cancels its queued messages.
pub(super) async fn end_invitation(
    tx: &mut Transaction<'_, Any>,
    clinic: &ClinicId,
    invitation: &InvitationId,
    end: InvitationEnd,
    now: Millis,
) -> Result<(), StoreError> {
    sqlx::query(END_INVITATION)
        .bind(end.as_str().to_owned())
        .bind(clinic.as_str().to_owned())
        .bind(invitation.as_str().to_owned())
        .execute(&mut **tx)
        .await?;
    let cancelled = sqlx::query(CANCEL_INVITATION_MESSAGES)
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
pub(super) async fn open_invitation(
    tx: &mut Transaction<'_, Any>,
    clinic: &ClinicId,
    treatment: &TreatmentId,
    invitation: &NewInvitation,
    now: Millis,
) -> Result<InvitationId, StoreError> {
    let id = InvitationId::generate();
    sqlx::query(INSERT_INVITATION)
        .bind(id.as_str().to_owned())
        .bind(clinic.as_str().to_owned())
        .bind(treatment.as_str().to_owned())
        .bind(invitation.due_at)
        .bind(invitation.expires_at)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    let messages = invitation_messages(&id, invitation);
    queue_messages(tx, clinic, treatment, Some(&id), None, &messages, now).await?;
    Ok(id)
}

/// An invitation's messages, their dedupe keys prefixed with its id.
pub(super) fn invitation_messages(
    id: &InvitationId,
    invitation: &NewInvitation,
) -> Vec<NewMessage> {
    invitation
        .messages
        .iter()
        .map(|message| NewMessage {
            dedupe_key: format!("{id}:{}", message.dedupe_key),
            ..message.clone()
        })
        .collect()
}

impl Store {
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
                    invitation_id: InvitationId::from_db(row.try_get("id")?),
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
}
