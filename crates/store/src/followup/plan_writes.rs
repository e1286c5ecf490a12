//! The planner's decisions applied on SQLite, on the check-in writer's own
//! connection (rusqlite): the same statements as the sqlx path in
//! `plans.rs`, `invitations.rs` and `outbox.rs` (shared as constants, so
//! each exists once), run without leaving the writer's thread.
//!
//! Every check-in moves its course's plan. Written through the pool, the
//! scheduler's plan transactions held SQLite's one write turn for about
//! 1.7 ms per 16 plans (each statement a hand-over to sqlx's worker
//! thread), a quarter of the time under load, while check-ins waited; and
//! each write from another connection made the writer's page cache start
//! over. On the writer's connection a plan costs a few prepared statements.

use rusqlite::{Connection, params};

use super::invitations::{
    CANCEL_INVITATION_MESSAGES, END_INVITATION, INSERT_INVITATION, invitation_messages,
};
use super::outbox::{INSERT_DELIVERY_LOG, INSERT_MESSAGE};
use super::plans::{CLAIM_PLAN, CLOSE_PLAN, SET_OPEN_INVITATION};
use super::{InvitationEnd, InvitationId, MessageId, NewMessage, PlanNext, PlanUpdate};
use crate::StoreError;
use crate::model::{ClinicId, Millis, TreatmentId};

/// Applies `updates` inside the transaction `tx`; answers how many
/// applied. A plan that moved on since it was read is left as it is, as
/// on the sqlx path.
pub(crate) fn update_plans_on(
    tx: &Connection,
    updates: &[PlanUpdate],
    now: Millis,
) -> Result<usize, StoreError> {
    let mut applied = 0;
    for update in updates {
        let (clinic, treatment) = (&update.clinic_id, &update.treatment_id);
        let claimed = tx.prepare_cached(CLAIM_PLAN)?.execute(params![
            update.seen_after,
            update.last_level.map(aftercare_core::Level::as_str),
            now,
            clinic.as_str(),
            treatment.as_str(),
            update.seen_before,
        ])?;
        if claimed == 0 {
            continue;
        }
        if let Some((invitation, end)) = &update.end_invitation {
            end_invitation(tx, clinic, invitation, *end, now)?;
        }
        queue_messages(tx, clinic, treatment, None, &update.extra_messages, now)?;
        match &update.next {
            PlanNext::Invite(invitation) => {
                let id = InvitationId::generate();
                tx.prepare_cached(INSERT_INVITATION)?.execute(params![
                    id.as_str(),
                    clinic.as_str(),
                    treatment.as_str(),
                    invitation.due_at,
                    invitation.expires_at,
                    now,
                ])?;
                let messages = invitation_messages(&id, invitation);
                queue_messages(tx, clinic, treatment, Some(&id), &messages, now)?;
                tx.prepare_cached(SET_OPEN_INVITATION)?.execute(params![
                    id.as_str(),
                    clinic.as_str(),
                    treatment.as_str(),
                ])?;
            }
            PlanNext::Close(reason) => {
                tx.prepare_cached(CLOSE_PLAN)?.execute(params![
                    now,
                    reason,
                    clinic.as_str(),
                    treatment.as_str(),
                ])?;
            }
        }
        applied += 1;
    }
    Ok(applied)
}

/// Ends an open invitation and cancels its queued messages, each with a
/// line in the delivery log.
fn end_invitation(
    tx: &Connection,
    clinic: &ClinicId,
    invitation: &InvitationId,
    end: InvitationEnd,
    now: Millis,
) -> Result<(), StoreError> {
    tx.prepare_cached(END_INVITATION)?.execute(params![
        end.as_str(),
        clinic.as_str(),
        invitation.as_str()
    ])?;
    let cancelled = tx
        .prepare_cached(CANCEL_INVITATION_MESSAGES)?
        .query_map(params![clinic.as_str(), invitation.as_str()], |row| {
            row.get::<_, String>(0)
        })?
        .collect::<Result<Vec<String>, _>>()?;
    let reason = format!("the invitation was {}", end.as_str());
    for id in cancelled {
        log_event(tx, clinic, &id, "cancelled", Some(&reason), now)?;
    }
    Ok(())
}

/// Queues messages; one whose dedupe key exists already is skipped.
fn queue_messages(
    tx: &Connection,
    clinic: &ClinicId,
    treatment: &TreatmentId,
    invitation: Option<&InvitationId>,
    messages: &[NewMessage],
    now: Millis,
) -> Result<(), StoreError> {
    for message in messages {
        let id = MessageId::generate();
        let inserted = tx.prepare_cached(INSERT_MESSAGE)?.execute(params![
            id.as_str(),
            clinic.as_str(),
            treatment.as_str(),
            message.kind.as_str(),
            message.channel.as_str(),
            message.dedupe_key,
            invitation.map(InvitationId::as_str),
            None::<&str>,
            message.recipient,
            i64::from(message.high_priority),
            message.due_at,
            now,
        ])?;
        if inserted == 1 {
            log_event(tx, clinic, id.as_str(), "queued", None, now)?;
        }
    }
    Ok(())
}

fn log_event(
    tx: &Connection,
    clinic: &ClinicId,
    message: &str,
    event: &str,
    reason: Option<&str>,
    now: Millis,
) -> Result<(), StoreError> {
    tx.prepare_cached(INSERT_DELIVERY_LOG)?.execute(params![
        uuid::Uuid::now_v7().to_string(),
        clinic.as_str(),
        message,
        event,
        reason,
        now,
    ])?;
    Ok(())
}
