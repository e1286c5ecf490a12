//! The check-in writer's own SQLite connection.
//!
//! Through sqlx every statement is a message to a worker thread and back,
//! so a group of check-ins paid a dozen thread hand-overs for statements
//! that each take microseconds. On SQLite the group is instead written by
//! one blocking call on this connection (the same libsqlite3 that sqlx
//! links, so file locks are shared as usual): prepared statements kept
//! ready, rows read and written without leaving the thread. What is read,
//! checked and written is exactly what the sqlx path does
//! ([`crate::batch`] plans both), and the tests run both.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use aftercare_core::Guideline;
use rusqlite::{Connection, OpenFlags, TransactionBehavior, params};

use crate::batch::{Answers, KeptCourses};
use crate::batch::{
    CourseRow, GroupFailure, Outcome, Submission, Written, add_history, course_states, plan_group,
};
use crate::course_cache::CourseCache;
use crate::followup::PlanUpdate;
use crate::model::{Actor, AuditId, Millis, Submitted, TreatmentId};
use crate::queries::{
    ALERT_COLUMNS, CHECKIN_COLUMNS, DECISION_COLUMNS, TREATMENT_COLUMNS, alert, stored_checkin,
    stored_decision, treatment,
};
use crate::{CheckinLimits, SqliteSync, StoreError, WAL_SIZE_LIMIT, millis_of};

/// Statements kept prepared: the writer's dozen, with room to spare.
const STATEMENT_CACHE: usize = 32;

/// The writer's page cache: it alone writes, so its cache stays valid from
/// one group to the next, and the index pages of busy courses stay in it.
const WRITER_CACHE_KIB: u32 = 8 * 1024;

/// One connection to the store's SQLite file, used by one group at a time.
#[derive(Debug, Clone)]
pub(crate) struct SqliteWriter {
    connection: Arc<Mutex<Connection>>,
}

impl SqliteWriter {
    /// Opens the file the pool uses, with the pool's settings.
    pub(crate) fn open(path: &Path, sync: SqliteSync) -> Result<SqliteWriter, StoreError> {
        let connection = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        let synchronous = match sync {
            SqliteSync::Normal => "NORMAL",
            SqliteSync::Full => "FULL",
        };
        connection.execute_batch(&format!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = {synchronous}; \
             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
             PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -{WRITER_CACHE_KIB}; \
             PRAGMA journal_size_limit = {WAL_SIZE_LIMIT};"
        ))?;
        connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(SqliteWriter {
            connection: Arc::new(Mutex::new(connection)),
        })
    }

    /// Stores `submissions` in one transaction, blocking the thread. `Ok`
    /// holds one answer per submission, in order.
    pub(crate) fn store_group(
        &self,
        submissions: &[&Submission],
        guideline: &Guideline,
        limits: CheckinLimits,
        cache: &CourseCache,
    ) -> Result<Vec<Result<Submitted, StoreError>>, GroupFailure> {
        // A panic while writing leaves the connection usable: the
        // transaction it held was rolled back when it was dropped.
        let mut connection = self
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let tx = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|error| GroupFailure::NothingStored(error.into()))?;
        // On an error the transaction is dropped, which rolls it back.
        let (answers, kept) = write_group(&tx, submissions, guideline, limits, cache)
            .map_err(GroupFailure::NothingStored)?;
        tx.commit()
            .map_err(|error| GroupFailure::AtCommit(error.into()))?;
        cache.put_back(kept);
        Ok(answers)
    }
}

impl SqliteWriter {
    /// Copies the write-ahead log into the database file and empties the
    /// log, blocking the thread. Run when the store closes, after the
    /// pool: this is then the last connection, and the file is left whole
    /// on its own (a command such as `clinic create` would otherwise leave
    /// the log of every migration beside a near-empty file, which the next
    /// start copies over while the log still takes its room).
    pub(crate) fn checkpoint_and_empty_log(&self) -> Result<(), StoreError> {
        let connection = self
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // A service still running on the same file may be reading or
        // writing: then the log is its to fold in, and a command does not
        // wait the writer's usual five seconds for it at exit.
        connection.execute_batch("PRAGMA busy_timeout = 100;")?;
        connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// Applies the planner's `updates` in one transaction, blocking the
    /// thread; answers how many applied.
    pub(crate) fn update_plans(
        &self,
        updates: &[PlanUpdate],
        now: Millis,
    ) -> Result<usize, StoreError> {
        let mut connection = self
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // On an error the transaction is dropped, which rolls it back.
        let applied = crate::followup::update_plans_on(&tx, updates, now)?;
        tx.commit()?;
        Ok(applied)
    }
}

fn write_group(
    tx: &Connection,
    submissions: &[&Submission],
    guideline: &Guideline,
    limits: CheckinLimits,
    cache: &CourseCache,
) -> Result<(Answers, KeptCourses), StoreError> {
    // The transaction began with the write lock, so the courses cannot
    // change between this read and the writes below.
    let mut hashes: Vec<&str> = submissions.iter().map(|s| s.link_hash.as_str()).collect();
    hashes.sort_unstable();
    hashes.dedup();
    let mut rows = Vec::with_capacity(hashes.len());
    {
        let mut read = tx.prepare_cached(&format!(
            "SELECT {TREATMENT_COLUMNS}, link_hash, checkin_count FROM treatments WHERE link_hash = ?1"
        ))?;
        for hash in hashes {
            let mut found = read.query(params![hash])?;
            if let Some(row) = found.next()? {
                rows.push(CourseRow {
                    treatment: treatment(row)?,
                    link_hash: row.get("link_hash")?,
                    checkin_count: row.get("checkin_count")?,
                });
            }
        }
    }
    let (mut courses, with_history) = course_states(rows, cache);
    let mut earlier = Vec::new();
    {
        let mut read = tx.prepare_cached(&format!(
            "SELECT {CHECKIN_COLUMNS}, idempotency_key FROM checkins WHERE treatment_id = ?1 ORDER BY seq"
        ))?;
        for id in &with_history {
            let mut found = read.query(params![id])?;
            while let Some(row) = found.next()? {
                earlier.push((stored_checkin(row)?, row.get("idempotency_key")?));
            }
        }
    }
    add_history(&mut courses, earlier)?;

    let mut plan = plan_group(limits, courses, submissions, guideline)?;
    for outcome in &mut plan.outcomes {
        if let Outcome::Earlier(treatment_id, seq) = outcome {
            *outcome = Outcome::Replay(Box::new(replay(tx, treatment_id, *seq)?));
        }
    }
    insert_written(tx, &plan.written, guideline)?;
    // Keep each course's counter equal to its number of check-ins.
    {
        let mut count = tx.prepare_cached(
            "UPDATE treatments SET checkin_count = checkin_count + ?1 WHERE id = ?2",
        )?;
        for (id, added) in plan.grown() {
            count.execute(params![added, id.as_str()])?;
        }
    }
    Ok(plan.answers())
}

/// The answer to a repeated submission of a check-in stored earlier.
fn replay(tx: &Connection, treatment_id: &TreatmentId, seq: i64) -> Result<Submitted, StoreError> {
    let checkin = tx
        .prepare_cached(&format!(
            "SELECT {CHECKIN_COLUMNS} FROM checkins WHERE treatment_id = ?1 AND seq = ?2"
        ))?
        .query_row(params![treatment_id.as_str(), seq], |row| {
            Ok(stored_checkin(row))
        })??;
    let decision = tx
        .prepare_cached(&format!(
            "SELECT {DECISION_COLUMNS} FROM decisions WHERE checkin_id = ?1 ORDER BY id LIMIT 1"
        ))?
        .query_row(params![checkin.id.as_str()], |row| Ok(stored_decision(row)))??;
    let mut read = tx.prepare_cached(&format!(
        "SELECT {ALERT_COLUMNS} FROM alerts WHERE decision_id = ?1"
    ))?;
    let mut found = read.query(params![decision.id.as_str()])?;
    let raised = match found.next()? {
        Some(row) => Some(alert(row)?),
        None => None,
    };
    Ok(Submitted {
        checkin,
        decision,
        alert: raised,
        replayed: true,
    })
}

/// Everything the group adds, a row at a time through prepared statements.
fn insert_written(
    tx: &Connection,
    written: &[Written],
    guideline: &Guideline,
) -> Result<(), StoreError> {
    let mut checkins = tx.prepare_cached(
        "INSERT INTO checkins (id, clinic_id, treatment_id, seq, at, body, idempotency_key, received_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    let mut decisions = tx.prepare_cached(
        "INSERT INTO decisions (id, clinic_id, treatment_id, checkin_id, level, body, guideline_id, guideline_version, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    let mut alerts = tx.prepare_cached(
        "INSERT INTO alerts (id, clinic_id, treatment_id, decision_id, practitioner_id, level, level_rank, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    let mut audit = tx.prepare_cached(
        "INSERT INTO audit_events (id, clinic_id, actor, action, subject, at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for entry in written {
        let checkin = &entry.checkin;
        checkins.execute(params![
            checkin.id.as_str(),
            entry.clinic_id,
            checkin.treatment_id.as_str(),
            checkin.seq,
            millis_of(checkin.checkin.at),
            entry.body,
            entry.idempotency_key,
            checkin.received_at,
        ])?;
        let decision = &entry.decision;
        decisions.execute(params![
            decision.id.as_str(),
            entry.clinic_id,
            decision.treatment_id.as_str(),
            decision.checkin_id.as_str(),
            decision.level.as_str(),
            decision.body.get(),
            guideline.id,
            guideline.version,
            decision.created_at,
        ])?;
        if let Some(raised) = &entry.alert {
            alerts.execute(params![
                raised.id.as_str(),
                raised.clinic_id.as_str(),
                raised.treatment_id.as_str(),
                raised.decision_id.as_str(),
                raised.practitioner_id.as_str(),
                raised.level.as_str(),
                i64::try_from(raised.level.index()).unwrap_or_default(),
                raised.created_at,
            ])?;
        }
        audit.execute(params![
            AuditId::generate().as_str(),
            entry.clinic_id,
            Actor::ClientLink(checkin.treatment_id.clone()).to_db(),
            "checkin.create",
            format!("checkin:{}", checkin.id),
            checkin.received_at,
        ])?;
    }
    Ok(())
}
