//! Export and import: reading every row of a clinic or of the installation
//! in one snapshot, and restoring an archive into an empty database.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{
    ARCHIVE_FORMAT, AlertNoticeRow, AlertRow, ApiTokenRow, AuditRow, CheckinRow, ClientRow,
    ClinicArchive, ClinicRow, DecisionRow, DeliveryLogRow, DiaryRow, FollowupPlanRow,
    FollowupSettingsRow, InstallationArchive, InvitationRow, MessageRow, PractitionerRow,
    RetentionSettingsRow, TreatmentRow,
};
use crate::model::ClinicId;
use crate::{Store, StoreError};

/// Reads the rows of `T`'s table where `key` is `value`, in `T`'s order.
async fn rows_where<T>(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    (table, columns, order): (&str, &[&str], &str),
    key: &str,
    value: &str,
    read: fn(&AnyRow) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let sql = format!(
        "SELECT {} FROM {table} WHERE {key} = $1 ORDER BY {order}",
        columns.join(", ")
    );
    sqlx::query(&sql)
        .bind(value.to_owned())
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(read)
        .collect()
}

/// Reads every row of the table, in its order; `clinic_id IS NULL` only,
/// when asked.
async fn all_rows<T>(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    (table, columns, order): (&str, &[&str], &str),
    of_no_clinic: bool,
    read: fn(&AnyRow) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let filter = if of_no_clinic {
        " WHERE clinic_id IS NULL"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {} FROM {table}{filter} ORDER BY {order}",
        columns.join(", ")
    );
    sqlx::query(&sql)
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(read)
        .collect()
}

/// The table, columns and order of a row type.
macro_rules! shape {
    ($row:ty) => {
        (<$row>::TABLE, <$row>::COLUMNS, <$row>::ORDER)
    };
}

/// Everything stored for one clinic, read in `tx`.
async fn clinic_archive_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    clinic: &ClinicId,
) -> Result<ClinicArchive, StoreError> {
    let id = clinic.as_str();
    macro_rules! rows {
        ($row:ty) => {
            rows_where(tx, shape!($row), "clinic_id", id, <$row>::read).await?
        };
    }
    let clinics = rows_where(tx, shape!(ClinicRow), "id", id, ClinicRow::read).await?;
    if clinics.is_empty() {
        return Err(StoreError::NotFound("clinic"));
    }
    Ok(ClinicArchive {
        format: ARCHIVE_FORMAT,
        clinics,
        practitioners: rows!(PractitionerRow),
        api_tokens: rows!(ApiTokenRow),
        clients: rows!(ClientRow),
        treatments: rows!(TreatmentRow),
        checkins: rows!(CheckinRow),
        decisions: rows!(DecisionRow),
        alerts: rows!(AlertRow),
        alert_notices: rows!(AlertNoticeRow),
        followup_settings: rows!(FollowupSettingsRow),
        retention_settings: rows!(RetentionSettingsRow),
        followup_plans: rows!(FollowupPlanRow),
        invitations: rows!(InvitationRow),
        messages: rows!(MessageRow),
        delivery_log: rows!(DeliveryLogRow),
        audit_events: rows!(AuditRow),
    })
}

/// Writes every row of an archive, parents before children, so foreign
/// keys hold at every insert. Rows are restored as they were, claims of
/// pending messages included: a message an instance of the old database
/// had claimed is sent once its lease runs out, as after a crash.
async fn insert_archive_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    archive: &ClinicArchive,
) -> Result<(), StoreError> {
    macro_rules! insert {
        ($($rows:ident),+) => {
            $(for row in &archive.$rows {
                row.insert(tx).await?;
            })+
        };
    }
    insert!(
        clinics,
        practitioners,
        api_tokens,
        clients,
        treatments,
        checkins,
        decisions,
        alerts,
        alert_notices,
        followup_settings,
        retention_settings,
        followup_plans,
        invitations,
        messages,
        delivery_log,
        audit_events
    );
    Ok(())
}

impl Store {
    /// A transaction that reads one snapshot of every table, so that a
    /// write committing during an export cannot leave, say, a decision
    /// without its check-in.
    async fn snapshot(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        let mut tx = self.pool().begin().await?;
        if self.backend() == crate::Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }

    /// Everything stored for one clinic.
    pub async fn export_clinic(&self, clinic: &ClinicId) -> Result<ClinicArchive, StoreError> {
        let mut tx = self.snapshot().await?;
        let archive = clinic_archive_in(&mut tx, clinic).await?;
        tx.commit().await?;
        Ok(archive)
    }

    /// Everything stored in the database: every clinic, every self-check
    /// diary, and audit events of no clinic; one snapshot.
    pub async fn export_installation(&self) -> Result<InstallationArchive, StoreError> {
        let mut tx = self.snapshot().await?;
        let clinics = all_rows(&mut tx, shape!(ClinicRow), false, ClinicRow::read).await?;
        let mut clinic_archives = Vec::with_capacity(clinics.len());
        for clinic in &clinics {
            let id = ClinicId::from_db(clinic.id.clone());
            clinic_archives.push(clinic_archive_in(&mut tx, &id).await?);
        }
        let archive = InstallationArchive {
            format: ARCHIVE_FORMAT,
            clinic_archives,
            selfcheck_diaries: all_rows(&mut tx, shape!(DiaryRow), false, DiaryRow::read).await?,
            audit_events: all_rows(&mut tx, shape!(AuditRow), true, AuditRow::read).await?,
        };
        tx.commit().await?;
        Ok(archive)
    }

    /// Restores an archive in one transaction. The database must hold no
    /// clinic yet, so nothing can collide or mix.
    pub async fn import_clinic(&self, archive: &ClinicArchive) -> Result<(), StoreError> {
        archive.check()?;
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        refuse_unless_empty(&mut tx).await?;
        insert_archive_in(&mut tx, archive).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Restores a whole installation in one transaction, into a database
    /// that holds no clinic and no diary yet: either all of it is there
    /// afterwards or none.
    pub async fn import_installation(
        &self,
        archive: &InstallationArchive,
    ) -> Result<(), StoreError> {
        archive.check()?;
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        refuse_unless_empty(&mut tx).await?;
        for clinic in &archive.clinic_archives {
            insert_archive_in(&mut tx, clinic).await?;
        }
        for row in &archive.selfcheck_diaries {
            row.insert(&mut tx).await?;
        }
        for row in &archive.audit_events {
            row.insert(&mut tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Refuses a database that already holds a clinic or a diary.
async fn refuse_unless_empty(tx: &mut sqlx::Transaction<'_, sqlx::Any>) -> Result<(), StoreError> {
    let existing: i64 = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM clinics) + (SELECT COUNT(*) FROM selfcheck_diaries) AS n",
    )
    .fetch_one(&mut **tx)
    .await?
    .try_get("n")?;
    if existing > 0 {
        return Err(StoreError::Conflict(
            "import restores into an empty database; this one already has a clinic or a self-check diary"
                .to_owned(),
        ));
    }
    Ok(())
}
