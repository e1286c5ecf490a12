//! The group write on PostgreSQL, through sqlx: one transaction locking
//! and reading the group's courses, then one statement per table for
//! everything the group adds. (SQLite's is `sqlite_writer.rs`.)

use std::fmt::Write as _;

use aftercare_core::Guideline;
use sqlx::Row;

use super::plan::{CourseRow, Outcome, Written, add_history, course_states, plan_group};
use super::{Answers, GroupFailure, KeptCourses, Submission};
use crate::model::{Actor, Alert, AuditId, Submitted, TreatmentId};
use crate::queries::{
    ALERT_COLUMNS, CHECKIN_COLUMNS, DECISION_COLUMNS, TREATMENT_COLUMNS, alert, stored_checkin,
    stored_decision, treatment,
};
use crate::sql_text::{placeholders, value_rows};
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
        // Lock the courses first (a no-op write takes their row locks) so
        // nobody adds a check-in between our read and our write.
        let mut hashes: Vec<&str> = submissions.iter().map(|s| s.link_hash.as_str()).collect();
        hashes.sort_unstable();
        hashes.dedup();
        let sql = format!(
            "UPDATE treatments SET checkin_count = checkin_count WHERE link_hash IN ({}) \
             RETURNING {TREATMENT_COLUMNS}, link_hash, checkin_count",
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
        insert_written(tx, &plan.written, guideline).await?;
        // Keep each course's counter equal to its number of check-ins.
        let grown = plan.grown();
        if !grown.is_empty() {
            let mut sql =
                String::from("UPDATE treatments SET checkin_count = checkin_count + CASE id");
            for index in 0..grown.len() {
                let _ = write!(sql, " WHEN ${} THEN ${}", 2 * index + 1, 2 * index + 2);
            }
            let _ = write!(
                sql,
                " ELSE 0 END WHERE id IN ({})",
                placeholders(2 * grown.len() + 1, grown.len())
            );
            let mut query = sqlx::query(&sql);
            for (id, added) in &grown {
                query = query.bind(id.as_str().to_owned()).bind(*added);
            }
            for (id, _) in &grown {
                query = query.bind(id.as_str().to_owned());
            }
            query.execute(&mut **tx).await?;
        }
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

/// One multi-row insert per table for everything the group adds.
async fn insert_written(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    written: &[Written],
    guideline: &Guideline,
) -> Result<(), StoreError> {
    if written.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO checkins (id, clinic_id, treatment_id, seq, at, body, idempotency_key, received_at) VALUES {}",
        value_rows(written.len(), 8)
    );
    let mut query = sqlx::query(&sql);
    for entry in written {
        query = query
            .bind(entry.checkin.id.as_str().to_owned())
            .bind(entry.clinic_id.clone())
            .bind(entry.checkin.treatment_id.as_str().to_owned())
            .bind(entry.checkin.seq)
            .bind(millis_of(entry.checkin.checkin.at))
            .bind(entry.body.clone())
            .bind(entry.idempotency_key.clone())
            .bind(entry.checkin.received_at);
    }
    query.execute(&mut **tx).await?;

    let sql = format!(
        "INSERT INTO decisions (id, clinic_id, treatment_id, checkin_id, level, body, guideline_id, guideline_version, created_at) VALUES {}",
        value_rows(written.len(), 9)
    );
    let mut query = sqlx::query(&sql);
    for entry in written {
        let decision = &entry.decision;
        query = query
            .bind(decision.id.as_str().to_owned())
            .bind(entry.clinic_id.clone())
            .bind(decision.treatment_id.as_str().to_owned())
            .bind(decision.checkin_id.as_str().to_owned())
            .bind(decision.level.as_str().to_owned())
            .bind(decision.body.get().to_owned())
            .bind(guideline.id.clone())
            .bind(guideline.version.clone())
            .bind(decision.created_at);
    }
    query.execute(&mut **tx).await?;

    let alerts: Vec<&Alert> = written.iter().filter_map(|w| w.alert.as_ref()).collect();
    if !alerts.is_empty() {
        let sql = format!(
            "INSERT INTO alerts (id, clinic_id, treatment_id, decision_id, practitioner_id, level, level_rank, created_at) VALUES {}",
            value_rows(alerts.len(), 8)
        );
        let mut query = sqlx::query(&sql);
        for raised in alerts {
            query = query
                .bind(raised.id.as_str().to_owned())
                .bind(raised.clinic_id.as_str().to_owned())
                .bind(raised.treatment_id.as_str().to_owned())
                .bind(raised.decision_id.as_str().to_owned())
                .bind(raised.practitioner_id.as_str().to_owned())
                .bind(raised.level.as_str().to_owned())
                .bind(i64::try_from(raised.level.index()).unwrap_or_default())
                .bind(raised.created_at);
        }
        query.execute(&mut **tx).await?;
    }

    let sql = format!(
        "INSERT INTO audit_events (id, clinic_id, actor, action, subject, at) VALUES {}",
        value_rows(written.len(), 6)
    );
    let mut query = sqlx::query(&sql);
    for entry in written {
        query = query
            .bind(AuditId::generate().as_str().to_owned())
            .bind(entry.clinic_id.clone())
            .bind(Actor::ClientLink(entry.checkin.treatment_id.clone()).to_db())
            .bind("checkin.create".to_owned())
            .bind(format!("checkin:{}", entry.checkin.id))
            .bind(entry.checkin.received_at);
    }
    query.execute(&mut **tx).await?;
    Ok(())
}
