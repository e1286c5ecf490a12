//! The store's operations. SQL is written once in the dialect SQLite and
//! PostgreSQL share (numbered `$n` parameters, `RETURNING`, text ids,
//! millisecond integers) and checked by the tests against both.
//!
//! This module holds the column lists and the paging helpers; the
//! operations live in one file per domain, and the row readers other store
//! files share in `rows.rs`.

mod alerts;
mod audit;
mod checks;
mod clients;
mod clinics;
mod courses;
mod practitioners;
mod rows;
mod tokens;
mod treatments;

use sqlx::any::AnyRow;

use crate::model::{ClinicId, Page, PageRequest};
use crate::{Store, StoreError};

pub(crate) use audit::audit;
pub(crate) use checks::{HOUR_MILLIS, check_checkin_time, check_course_cap, check_hourly_cap};
pub(crate) use clinics::insert_clinic_with_owner;
pub(crate) use courses::{course_in_clinic, course_of};
pub(crate) use rows::{
    alert, level, new_decision, practitioner, stored_checkin, stored_decision, treatment,
};

pub(crate) const PRACTITIONER_COLUMNS: &str =
    "id, clinic_id, email, name, role, created_at, deactivated_at, must_change_password";
const CLIENT_COLUMNS: &str = "id, clinic_id, name, email, phone, consent_at, created_at";
pub(crate) const TREATMENT_COLUMNS: &str =
    "id, clinic_id, client_id, practitioner_id, details, notes, link_expires_at, created_at";
pub(crate) const CHECKIN_COLUMNS: &str = "id, treatment_id, seq, body, received_at";
pub(crate) const DECISION_COLUMNS: &str =
    "id, treatment_id, checkin_id, level, body, guideline_id, guideline_version, created_at";
const AUDIT_COLUMNS: &str = "id, clinic_id, actor, action, subject, at, fields";
pub(crate) const ALERT_COLUMNS: &str = "id, clinic_id, treatment_id, decision_id, practitioner_id, level, created_at, acknowledged_at, acknowledged_by";

/// Turns a list read with one extra row into a page with a cursor.
fn page<T>(mut items: Vec<T>, request: &PageRequest, cursor: impl Fn(&T) -> String) -> Page<T> {
    let limit = usize::try_from(request.limit()).unwrap_or(50);
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(cursor)
    } else {
        None
    };
    Page { items, next }
}

/// The position a page starts at when its cursor is an offset (alerts,
/// whose order is not the id order): zero when there is no cursor or it
/// is not a number, and never below zero.
pub(crate) fn page_offset(request: &PageRequest) -> i64 {
    request
        .after
        .as_deref()
        .and_then(|a| a.parse().ok())
        .unwrap_or(0)
        .max(0)
}

/// The lower bound for a cursor: ids are UUIDv7 text, which sorts by time;
/// the empty string is below every id.
fn after(request: &PageRequest) -> String {
    request.after.clone().unwrap_or_default()
}

impl Store {
    /// One row of a clinic's table by id; `NotFound(what)` when the id is
    /// unknown or belongs to another clinic.
    async fn one_in_clinic<T>(
        &self,
        table: &str,
        columns: &str,
        clinic: &ClinicId,
        id: &str,
        what: &'static str,
        read: fn(&AnyRow) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {columns} FROM {table} WHERE clinic_id = $1 AND id = $2"
        ))
        .bind(clinic.as_str().to_owned())
        .bind(id.to_owned())
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound(what))?;
        read(&row)
    }

    /// A page of a clinic's table in id order (ids are time-ordered).
    async fn page_in_clinic<T>(
        &self,
        table: &str,
        columns: &str,
        clinic: &ClinicId,
        request: &PageRequest,
        read: fn(&AnyRow) -> Result<T, StoreError>,
        cursor: fn(&T) -> String,
    ) -> Result<Page<T>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {columns} FROM {table} WHERE clinic_id = $1 AND id > $2 ORDER BY id LIMIT $3"
        ))
        .bind(clinic.as_str().to_owned())
        .bind(after(request))
        .bind(request.limit() + 1)
        .fetch_all(self.pool())
        .await?;
        let items = rows.iter().map(read).collect::<Result<Vec<_>, _>>()?;
        Ok(page(items, request, cursor))
    }
}
