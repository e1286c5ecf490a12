//! The planner's decisions applied on PostgreSQL: the plans of one
//! transaction (up to sixteen) in at most five statements, one per step for
//! all of them, instead of several statements per plan.
//!
//! Every check-in moves its course's plan, so under load the planner writes
//! nearly as many plans as the service stores check-ins. Plan by plan, that
//! was two to a dozen round trips each (claim, close or open, end the old
//! invitation, cancel its messages, queue new ones, log each): in one load
//! test, more statements than the check-ins' own. (SQLite's twin is
//! `plan_writes.rs`, on its writer's own connection, where a statement
//! costs a few microseconds.)

use std::collections::HashSet;

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::invitations::invitation_messages;
use super::{InvitationId, MessageId, NewMessage, PlanNext, PlanUpdate};
use crate::StoreError;
use crate::model::Millis;
use crate::sql_text::{typed_value_rows, value_rows};

/// A plan this transaction claimed, with the invitation it opens, if any.
struct Claimed<'a> {
    update: &'a PlanUpdate,
    invitation: Option<&'a InvitationId>,
}

/// A line for the delivery log.
struct LogLine {
    clinic_id: String,
    message_id: String,
    event: &'static str,
    reason: Option<String>,
}

/// Applies `updates` inside `tx`; answers how many applied. A plan that
/// moved on since it was read (another planner, a therapist's close) is
/// left as it is, as on SQLite. Two updates of one plan in one call are
/// refused: the caller then applies them one at a time.
pub(super) async fn update_plans_in(
    tx: &mut Transaction<'_, Any>,
    updates: &[PlanUpdate],
    now: Millis,
) -> Result<usize, StoreError> {
    let mut seen = HashSet::new();
    if !updates
        .iter()
        .all(|update| seen.insert(update.treatment_id.as_str()))
    {
        return Err(StoreError::Conflict(
            "one plan twice in a group of plan updates".to_owned(),
        ));
    }
    // The new invitations' ids are made here, so that the claim can name
    // the plan's open invitation in the same statement.
    let invitations: Vec<Option<InvitationId>> = updates
        .iter()
        .map(|update| matches!(update.next, PlanNext::Invite(_)).then(InvitationId::generate))
        .collect();
    let claimed = claim_and_move(tx, updates, &invitations, now).await?;
    if claimed.is_empty() {
        return Ok(0);
    }
    let mut log = end_invitations(tx, &claimed).await?;
    open_invitations(tx, &claimed, now).await?;
    log.extend(queue_messages(tx, &claimed, now).await?);
    write_log(tx, &log, now).await?;
    Ok(claimed.len())
}

/// Moves each plan that still has the check-ins its update was planned
/// from to what comes next: the count seen, the latest level, and its new
/// open invitation or its reason to close. Answers the plans it moved.
async fn claim_and_move<'a>(
    tx: &mut Transaction<'_, Any>,
    updates: &'a [PlanUpdate],
    invitations: &'a [Option<InvitationId>],
    now: Millis,
) -> Result<Vec<Claimed<'a>>, StoreError> {
    let sql = format!(
        "UPDATE followup_plans AS p SET checkins_seen = v.seen_after, \
         last_level = COALESCE(v.last_level, p.last_level), open_invitation = v.invitation_id, \
         closed_at = CASE WHEN v.close_reason IS NULL THEN NULL ELSE $1 END, \
         closed_reason = v.close_reason, updated_at = $1 \
         FROM (VALUES {}) AS v(clinic_id, treatment_id, seen_before, seen_after, last_level, \
         invitation_id, close_reason) \
         WHERE p.clinic_id = v.clinic_id AND p.treatment_id = v.treatment_id \
         AND p.checkins_seen = v.seen_before \
         AND (p.closed_reason IS NULL OR p.closed_reason <> 'therapist') \
         RETURNING p.treatment_id",
        typed_value_rows(
            2,
            updates.len(),
            &["text", "text", "int8", "int8", "text", "text", "text"]
        )
    );
    let mut query = sqlx::query(&sql).bind(now);
    for (update, invitation) in updates.iter().zip(invitations) {
        let close_reason = match &update.next {
            PlanNext::Close(reason) => Some((*reason).to_owned()),
            PlanNext::Invite(_) => None,
        };
        query = query
            .bind(update.clinic_id.as_str().to_owned())
            .bind(update.treatment_id.as_str().to_owned())
            .bind(update.seen_before)
            .bind(update.seen_after)
            .bind(update.last_level.map(|level| level.as_str().to_owned()))
            .bind(invitation.as_ref().map(|id| id.as_str().to_owned()))
            .bind(close_reason);
    }
    let moved = query
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|row| row.try_get::<String, _>("treatment_id"))
        .collect::<Result<HashSet<String>, _>>()?;
    Ok(updates
        .iter()
        .zip(invitations)
        .filter(|(update, _)| moved.contains(update.treatment_id.as_str()))
        .map(|(update, invitation)| Claimed {
            update,
            invitation: invitation.as_ref(),
        })
        .collect())
}

/// Ends the invitations the claimed plans close (answered, expired) and
/// cancels their queued messages; answers the log lines for those.
async fn end_invitations(
    tx: &mut Transaction<'_, Any>,
    claimed: &[Claimed<'_>],
) -> Result<Vec<LogLine>, StoreError> {
    let ended: Vec<_> = claimed
        .iter()
        .filter_map(|plan| {
            let (invitation, end) = plan.update.end_invitation.as_ref()?;
            Some((&plan.update.clinic_id, invitation, *end))
        })
        .collect();
    if ended.is_empty() {
        return Ok(Vec::new());
    }
    // One statement: the invitations end and their queued messages are
    // cancelled, both from the same rows.
    let sql = format!(
        "WITH v(clinic_id, id, state, reason) AS (VALUES {}), \
         ended AS (UPDATE invitations AS i SET state = v.state FROM v \
         WHERE i.clinic_id = v.clinic_id AND i.id = v.id AND i.state = 'open') \
         UPDATE messages AS m SET status = 'cancelled', claimed_by = NULL, lease_until = NULL \
         FROM v WHERE m.clinic_id = v.clinic_id AND m.invitation_id = v.id \
         AND m.status = 'queued' RETURNING m.id, m.clinic_id, v.reason",
        typed_value_rows(1, ended.len(), &["text", "text", "text", "text"])
    );
    let mut query = sqlx::query(&sql);
    for (clinic, invitation, end) in &ended {
        query = query
            .bind(clinic.as_str().to_owned())
            .bind(invitation.as_str().to_owned())
            .bind(end.as_str().to_owned())
            .bind(format!("the invitation was {}", end.as_str()));
    }
    log_lines(&query.fetch_all(&mut **tx).await?, "cancelled")
}

/// Inserts the invitations the claimed plans open.
async fn open_invitations(
    tx: &mut Transaction<'_, Any>,
    claimed: &[Claimed<'_>],
    now: Millis,
) -> Result<(), StoreError> {
    let opened: Vec<_> = claimed
        .iter()
        .filter_map(|plan| match (&plan.update.next, plan.invitation) {
            (PlanNext::Invite(invitation), Some(id)) => Some((plan.update, id, invitation)),
            _ => None,
        })
        .collect();
    if opened.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO invitations (id, clinic_id, treatment_id, due_at, expires_at, state, \
         created_at) VALUES {}",
        value_rows(opened.len(), 7)
    );
    let mut query = sqlx::query(&sql);
    for (update, id, invitation) in &opened {
        query = query
            .bind(id.as_str().to_owned())
            .bind(update.clinic_id.as_str().to_owned())
            .bind(update.treatment_id.as_str().to_owned())
            .bind(invitation.due_at)
            .bind(invitation.expires_at)
            .bind("open".to_owned())
            .bind(now);
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

/// Queues the claimed plans' messages (a missed check-in's, then each new
/// invitation's); one whose dedupe key exists already is skipped. Answers
/// the log lines of those queued.
async fn queue_messages(
    tx: &mut Transaction<'_, Any>,
    claimed: &[Claimed<'_>],
    now: Millis,
) -> Result<Vec<LogLine>, StoreError> {
    let mut messages: Vec<(&PlanUpdate, Option<&InvitationId>, NewMessage)> = Vec::new();
    for plan in claimed {
        for message in &plan.update.extra_messages {
            messages.push((plan.update, None, message.clone()));
        }
        if let (PlanNext::Invite(invitation), Some(id)) = (&plan.update.next, plan.invitation) {
            for message in invitation_messages(id, invitation) {
                messages.push((plan.update, Some(id), message));
            }
        }
    }
    if messages.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "INSERT INTO messages (id, clinic_id, treatment_id, kind, channel, dedupe_key, \
         invitation_id, alert_id, recipient, high_priority, status, due_at, next_attempt_at, \
         created_at) VALUES {} ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, clinic_id, NULL::text AS reason",
        value_rows(messages.len(), 14)
    );
    let mut query = sqlx::query(&sql);
    for (update, invitation, message) in &messages {
        query = query
            .bind(MessageId::generate().as_str().to_owned())
            .bind(update.clinic_id.as_str().to_owned())
            .bind(update.treatment_id.as_str().to_owned())
            .bind(message.kind.as_str().to_owned())
            .bind(message.channel.as_str().to_owned())
            .bind(message.dedupe_key.clone())
            .bind(invitation.map(|id| id.as_str().to_owned()))
            .bind(None::<String>)
            .bind(message.recipient.clone())
            .bind(i64::from(message.high_priority))
            .bind("queued".to_owned())
            .bind(message.due_at)
            .bind(message.due_at)
            .bind(now);
    }
    log_lines(&query.fetch_all(&mut **tx).await?, "queued")
}

/// The delivery log's lines for the messages a statement returned (their
/// `id`, `clinic_id` and `reason`).
fn log_lines(rows: &[AnyRow], event: &'static str) -> Result<Vec<LogLine>, StoreError> {
    rows.iter()
        .map(|row| {
            Ok(LogLine {
                clinic_id: row.try_get("clinic_id")?,
                message_id: row.try_get("id")?,
                event,
                reason: row.try_get("reason")?,
            })
        })
        .collect()
}

/// Writes the delivery log's lines for what was queued and cancelled.
async fn write_log(
    tx: &mut Transaction<'_, Any>,
    log: &[LogLine],
    now: Millis,
) -> Result<(), StoreError> {
    if log.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO delivery_log (id, clinic_id, message_id, event, reason, at) VALUES {}",
        value_rows(log.len(), 6)
    );
    let mut query = sqlx::query(&sql);
    for line in log {
        query = query
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(line.clinic_id.clone())
            .bind(line.message_id.clone())
            .bind(line.event.to_owned())
            .bind(line.reason.clone())
            .bind(now);
    }
    query.execute(&mut **tx).await?;
    Ok(())
}
