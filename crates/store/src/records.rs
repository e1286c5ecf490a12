//! A client's record over time: correcting a client's or a treatment's
//! details, erasing a client (or a course past its clinic's retention
//! period), the retention setting, and a client's whole record for them
//! to take away.
//!
//! The store only reads and writes here: which fields changed, whether a
//! correction is allowed, what the engine answers after it and whether
//! that alerts anyone are decided by the caller. Each of those four parts
//! has its own file below this one.

mod corrections;
mod erasure;
mod export;
mod retention;

use sqlx::{Any, Transaction};

pub use corrections::{ClientChange, Retriage, TreatmentCorrection, Update};
pub use erasure::Erased;
pub use export::{ClientCourse, ClientRecord};
pub use retention::{DEFAULT_KEEP_DAYS, ExpiredCourse, RetentionSettings};

use crate::StoreError;
use crate::model::{Actor, ClinicId, Millis};

/// Records a change in the audit trail with the names of the fields it
/// touched.
async fn audit_change(
    tx: &mut Transaction<'_, Any>,
    clinic: &ClinicId,
    actor: &Actor,
    action: &str,
    subject: &str,
    fields: &[&str],
    now: Millis,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_events (id, clinic_id, actor, action, subject, at, fields) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(crate::model::AuditId::generate().as_str().to_owned())
    .bind(clinic.as_str().to_owned())
    .bind(actor.to_db())
    .bind(action.to_owned())
    .bind(subject.to_owned())
    .bind(now)
    .bind((!fields.is_empty()).then(|| fields.join(",")))
    .execute(&mut **tx)
    .await?;
    Ok(())
}
