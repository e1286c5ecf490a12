//! Reading records from database rows, with sqlx's driver or rusqlite's:
//! the row readers the store's files share.

use aftercare_core::{Guideline, Level};
use sqlx::any::AnyRow;
use sqlx::{Any, Row};

use crate::StoreError;
use crate::model::{
    Alert, AlertId, CheckinId, ClientId, ClinicId, DecisionId, Millis, Practitioner,
    PractitionerId, Role, StoredCheckin, StoredDecision, Treatment, TreatmentId,
};

/// A row of either driver: sqlx's rows for the store at large, rusqlite's
/// for the SQLite check-in writer, so both read records the same way.
pub(crate) trait Columns {
    /// The value of the named column.
    fn column<T: ColumnValue>(&self, name: &str) -> Result<T, StoreError>;
}

/// A type both drivers can read a column into.
pub(crate) trait ColumnValue:
    for<'r> sqlx::Decode<'r, Any> + sqlx::Type<Any> + rusqlite::types::FromSql
{
}

impl ColumnValue for String {}
impl ColumnValue for Option<String> {}
impl ColumnValue for i64 {}
impl ColumnValue for Option<i64> {}

impl Columns for AnyRow {
    fn column<T: ColumnValue>(&self, name: &str) -> Result<T, StoreError> {
        Ok(self.try_get(name)?)
    }
}

impl Columns for rusqlite::Row<'_> {
    fn column<T: ColumnValue>(&self, name: &str) -> Result<T, StoreError> {
        self.get(name).map_err(StoreError::from)
    }
}

pub(crate) fn practitioner(row: &AnyRow) -> Result<Practitioner, StoreError> {
    Ok(Practitioner {
        id: PractitionerId::from_db(row.try_get("id")?),
        clinic_id: ClinicId::from_db(row.try_get("clinic_id")?),
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        role: Role::from_db(&row.try_get::<String, _>("role")?),
        created_at: row.try_get("created_at")?,
        deactivated_at: row.try_get("deactivated_at")?,
        must_change_password: row.try_get::<i64, _>("must_change_password")? != 0,
    })
}

pub(crate) fn treatment(row: &impl Columns) -> Result<Treatment, StoreError> {
    let details: String = row.column("details")?;
    Ok(Treatment {
        id: TreatmentId::from_db(row.column("id")?),
        clinic_id: ClinicId::from_db(row.column("clinic_id")?),
        client_id: ClientId::from_db(row.column("client_id")?),
        practitioner_id: PractitionerId::from_db(row.column("practitioner_id")?),
        details: serde_json::from_str(&details)
            .map_err(|error| StoreError::Corrupt(format!("treatment details: {error}")))?,
        notes: row.column("notes")?,
        link_expires_at: row.column("link_expires_at")?,
        created_at: row.column("created_at")?,
    })
}

pub(crate) fn stored_checkin(row: &impl Columns) -> Result<StoredCheckin, StoreError> {
    let body: String = row.column("body")?;
    Ok(StoredCheckin {
        id: CheckinId::from_db(row.column("id")?),
        treatment_id: TreatmentId::from_db(row.column("treatment_id")?),
        seq: row.column("seq")?,
        checkin: serde_json::from_str(&body)
            .map_err(|error| StoreError::Corrupt(format!("check-in body: {error}")))?,
        received_at: row.column("received_at")?,
    })
}

/// The record of a decision just made on a check-in, ready to store.
pub(crate) fn new_decision(
    checkin: &StoredCheckin,
    decision: &aftercare_core::Decision<'_>,
    guideline: &Guideline,
    now: Millis,
) -> Result<StoredDecision, StoreError> {
    Ok(StoredDecision {
        id: DecisionId::generate(),
        treatment_id: checkin.treatment_id.clone(),
        checkin_id: checkin.id.clone(),
        level: decision.level,
        body: serde_json::value::RawValue::from_string(decision.to_json())
            .map_err(|error| StoreError::Corrupt(error.to_string()))?,
        guideline_id: guideline.id.clone(),
        guideline_version: guideline.version.clone(),
        created_at: now,
    })
}

/// A level read from the database.
pub(crate) fn level(text: &str) -> Result<Level, StoreError> {
    Level::from_wire(text).ok_or_else(|| StoreError::Corrupt(format!("unknown level `{text}`")))
}

pub(crate) fn stored_decision(row: &impl Columns) -> Result<StoredDecision, StoreError> {
    let body: String = row.column("body")?;
    Ok(StoredDecision {
        id: DecisionId::from_db(row.column("id")?),
        treatment_id: TreatmentId::from_db(row.column("treatment_id")?),
        checkin_id: CheckinId::from_db(row.column("checkin_id")?),
        level: level(&row.column::<String>("level")?)?,
        body: serde_json::value::RawValue::from_string(body)
            .map_err(|error| StoreError::Corrupt(format!("decision body: {error}")))?,
        guideline_id: row.column("guideline_id")?,
        guideline_version: row.column("guideline_version")?,
        created_at: row.column("created_at")?,
    })
}

pub(crate) fn alert(row: &impl Columns) -> Result<Alert, StoreError> {
    Ok(Alert {
        id: AlertId::from_db(row.column("id")?),
        clinic_id: ClinicId::from_db(row.column("clinic_id")?),
        treatment_id: TreatmentId::from_db(row.column("treatment_id")?),
        decision_id: DecisionId::from_db(row.column("decision_id")?),
        practitioner_id: PractitionerId::from_db(row.column("practitioner_id")?),
        level: level(&row.column::<String>("level")?)?,
        created_at: row.column("created_at")?,
        acknowledged_at: row.column("acknowledged_at")?,
        acknowledged_by: row
            .column::<Option<String>>("acknowledged_by")?
            .map(PractitionerId::from_db),
    })
}
