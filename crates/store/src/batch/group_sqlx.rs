//! The group write on PostgreSQL, through sqlx: one transaction locking
//! and reading the group's courses, then one statement for everything the
//! group adds. (SQLite's is `sqlite_writer.rs`.)

use aftercare_core::Guideline;
use serde_json::json;
use sqlx::Row;

use super::plan::{CourseRow, Outcome, Written, add_history, course_states, plan_group};
use super::{Answers, GroupFailure, KeptCourses, Submission};
use crate::model::{Actor, Alert, AuditId, Submitted, TreatmentId};
use crate::queries::{
    ALERT_COLUMNS, CHECKIN_COLUMNS, DECISION_COLUMNS, TREATMENT_COLUMNS, alert, stored_checkin,
    stored_decision, treatment,
};
use crate::sql_text::placeholders;
use crate::{Store, StoreError, millis_of};

impl Store {
    /// Stores `submissions` in one sqlx transaction. `Ok` holds one answer
    /// per submission, in order.
    pub(super) async fn store_group_sqlx(
        &self,
        submissions: &[&Submission],
        guideline: &Guideline,
    ) -> Result<Vec<Result<Submitted, StoreError>>, GroupFailure> {
        let mut tx = self
            .pool()
            .begin()
            .await
            .map_err(|error| GroupFailure::NothingStored(error.into()))?;
        match self.store_group_in(&mut tx, submissions, guideline).await {
            Ok((answers, kept)) => {
                tx.commit()
                    .await
                    .map_err(|error| GroupFailure::AtCommit(error.into()))?;
                self.course_cache.put_back(kept);
                Ok(answers)
            }
            Err(error) => {
                // At once: the courses' row locks are held until the rollback.
                let _ = tx.rollback().await;
                Err(GroupFailure::NothingStored(error))
            }
        }
    }

    async fn store_group_in(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        submissions: &[&Submission],
        guideline: &Guideline,
    ) -> Result<(Answers, KeptCourses), StoreError> {
        // Lock the courses first so nobody adds a check-in between our
        // read and our write. (A lock, not a no-op UPDATE: that wrote a new
        // version of each course's row, and the count update another.)
        let mut hashes: Vec<&str> = submissions.iter().map(|s| s.link_hash.as_str()).collect();
        hashes.sort_unstable();
        hashes.dedup();
        let sql = format!(
            "SELECT {TREATMENT_COLUMNS}, link_hash, checkin_count FROM treatments \
             WHERE link_hash IN ({}) FOR NO KEY UPDATE",
            placeholders(1, hashes.len())
        );
        let mut query = sqlx::query(&sql);
        for hash in &hashes {
            query = query.bind((*hash).to_owned());
        }
        let rows = query
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|row| {
                Ok(CourseRow {
                    treatment: treatment(row)?,
                    link_hash: row.try_get("link_hash")?,
                    checkin_count: row.try_get("checkin_count")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let (mut courses, with_history) = course_states(rows, &self.course_cache);
        if !with_history.is_empty() {
            let sql = format!(
                "SELECT {CHECKIN_COLUMNS}, idempotency_key FROM checkins WHERE treatment_id IN ({}) \
                 ORDER BY treatment_id, seq",
                placeholders(1, with_history.len())
            );
            let mut query = sqlx::query(&sql);
            for id in &with_history {
                query = query.bind(id.clone());
            }
            let earlier = query
                .fetch_all(&mut **tx)
                .await?
                .iter()
                .map(|row| Ok((stored_checkin(row)?, row.try_get("idempotency_key")?)))
                .collect::<Result<Vec<_>, StoreError>>()?;
            add_history(&mut courses, earlier)?;
        }

        let mut plan = plan_group(self.checkin_limits, courses, submissions, guideline)?;
        for outcome in &mut plan.outcomes {
            if let Outcome::Earlier(treatment_id, seq) = outcome {
                *outcome = Outcome::Replay(Box::new(replay(tx, treatment_id, *seq).await?));
            }
        }
        write_group(tx, &plan.written, &plan.grown(), guideline).await?;
        Ok(plan.answers())
    }
}

/// The answer to a repeated submission of a check-in stored earlier.
async fn replay(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    treatment_id: &TreatmentId,
    seq: i64,
) -> Result<Submitted, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {CHECKIN_COLUMNS} FROM checkins WHERE treatment_id = $1 AND seq = $2"
    ))
    .bind(treatment_id.as_str().to_owned())
    .bind(seq)
    .fetch_one(&mut **tx)
    .await?;
    let checkin = stored_checkin(&row)?;
    let row = sqlx::query(&format!(
        "SELECT {DECISION_COLUMNS} FROM decisions WHERE checkin_id = $1 ORDER BY id LIMIT 1"
    ))
    .bind(checkin.id.as_str().to_owned())
    .fetch_one(&mut **tx)
    .await?;
    let decision = stored_decision(&row)?;
    let alert_row = sqlx::query(&format!(
        "SELECT {ALERT_COLUMNS} FROM alerts WHERE decision_id = $1"
    ))
    .bind(decision.id.as_str().to_owned())
    .fetch_optional(&mut **tx)
    .await?;
    Ok(Submitted {
        checkin,
        decision,
        alert: alert_row.as_ref().map(alert).transpose()?,
        replayed: true,
    })
}

/// Everything the group adds, in one statement: its check-ins, decisions,
/// alerts and audit events, and each course's grown check-in count.
///
/// The rows travel as JSON (one parameter per table) so that the
/// statement's text is the same for every group and stays prepared on
/// each connection; with a statement per table, a group cost five round
/// trips to the database instead of one. The inserts are data-modifying
/// `WITH` clauses, whose foreign keys are checked at the end of the
/// statement, when the check-ins the decisions name are in.
async fn write_group(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    written: &[Written],
    grown: &[(&TreatmentId, i64)],
    guideline: &Guideline,
) -> Result<(), StoreError> {
    if written.is_empty() {
        return Ok(());
    }
    let checkins: Vec<_> = written
        .iter()
        .map(|entry| {
            json!({
                "id": entry.checkin.id.as_str(),
                "clinic_id": entry.clinic_id,
                "treatment_id": entry.checkin.treatment_id.as_str(),
                "seq": entry.checkin.seq,
                "at": millis_of(entry.checkin.checkin.at),
                "body": entry.body,
                "idempotency_key": entry.idempotency_key,
                "received_at": entry.checkin.received_at,
            })
        })
        .collect();
    let decisions: Vec<_> = written
        .iter()
        .map(|entry| {
            let decision = &entry.decision;
            json!({
                "id": decision.id.as_str(),
                "clinic_id": entry.clinic_id,
                "treatment_id": decision.treatment_id.as_str(),
                "checkin_id": decision.checkin_id.as_str(),
                "level": decision.level.as_str(),
                "body": decision.body.get(),
                "guideline_id": guideline.id,
                "guideline_version": guideline.version,
                "created_at": decision.created_at,
            })
        })
        .collect();
    let alerts: Vec<_> = written
        .iter()
        .filter_map(|entry| entry.alert.as_ref())
        .map(|raised: &Alert| {
            json!({
                "id": raised.id.as_str(),
                "clinic_id": raised.clinic_id.as_str(),
                "treatment_id": raised.treatment_id.as_str(),
                "decision_id": raised.decision_id.as_str(),
                "practitioner_id": raised.practitioner_id.as_str(),
                "level": raised.level.as_str(),
                "level_rank": raised.level.index(),
                "created_at": raised.created_at,
            })
        })
        .collect();
    let audit: Vec<_> = written
        .iter()
        .map(|entry| {
            json!({
                "id": AuditId::generate().as_str(),
                "clinic_id": entry.clinic_id,
                "actor": Actor::ClientLink(entry.checkin.treatment_id.clone()).to_db(),
                "subject": format!("checkin:{}", entry.checkin.id),
                "at": entry.checkin.received_at,
            })
        })
        .collect();
    let counts: serde_json::Map<_, _> = grown
        .iter()
        .map(|(id, added)| (id.as_str().to_owned(), json!(added)))
        .collect();
    sqlx::query(WRITE_GROUP)
        .bind(serde_json::Value::Array(checkins).to_string())
        .bind(serde_json::Value::Array(decisions).to_string())
        .bind(serde_json::Value::Array(alerts).to_string())
        .bind(serde_json::Value::Array(audit).to_string())
        .bind(serde_json::Value::Object(counts).to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The group's rows, $1 to $4 each a JSON array, and $5 the check-ins
/// each course gained, by treatment id (see `write_group`). The courses
/// are found through `= ANY(ARRAY(…))`, which the planner answers with
/// the primary key's index; a join with the JSON rows, estimated at a
/// hundred, made it read every treatment instead.
const WRITE_GROUP: &str = "WITH \
     new_checkins AS (INSERT INTO checkins (id, clinic_id, treatment_id, seq, at, body, \
     idempotency_key, received_at) \
     SELECT id, clinic_id, treatment_id, seq, at, body, idempotency_key, received_at \
     FROM json_to_recordset($1::json) AS r(id text, clinic_id text, treatment_id text, seq int8, \
     at int8, body text, idempotency_key text, received_at int8)), \
     new_decisions AS (INSERT INTO decisions (id, clinic_id, treatment_id, checkin_id, level, \
     body, guideline_id, guideline_version, created_at) \
     SELECT id, clinic_id, treatment_id, checkin_id, level, body, guideline_id, \
     guideline_version, created_at \
     FROM json_to_recordset($2::json) AS r(id text, clinic_id text, treatment_id text, \
     checkin_id text, level text, body text, guideline_id text, guideline_version text, \
     created_at int8)), \
     new_alerts AS (INSERT INTO alerts (id, clinic_id, treatment_id, decision_id, \
     practitioner_id, level, level_rank, created_at) \
     SELECT id, clinic_id, treatment_id, decision_id, practitioner_id, level, level_rank, \
     created_at \
     FROM json_to_recordset($3::json) AS r(id text, clinic_id text, treatment_id text, \
     decision_id text, practitioner_id text, level text, level_rank int8, created_at int8)), \
     new_audit AS (INSERT INTO audit_events (id, clinic_id, actor, action, subject, at) \
     SELECT id, clinic_id, actor, 'checkin.create', subject, at \
     FROM json_to_recordset($4::json) AS r(id text, clinic_id text, actor text, subject text, \
     at int8)) \
     UPDATE treatments SET checkin_count = checkin_count + ($5::jsonb ->> id)::int8 \
     WHERE id = ANY(ARRAY(SELECT jsonb_object_keys($5::jsonb)))";
