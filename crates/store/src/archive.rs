//! A clinic as one JSON archive: everything stored for it, row for row,
//! so that it can be restored into an empty database of either backend.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::model::ClinicId;
use crate::{Store, StoreError};

/// The archive layout this code writes and reads.
pub const ARCHIVE_FORMAT: u32 = 1;

/// Every row of one clinic, table by table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClinicArchive {
    /// Layout version: [`ARCHIVE_FORMAT`].
    pub format: u32,
    /// Rows of `clinics` (exactly one).
    pub clinics: Vec<ClinicRow>,
    /// Rows of `practitioners`.
    pub practitioners: Vec<PractitionerRow>,
    /// Rows of `api_tokens` (hashes only).
    pub api_tokens: Vec<ApiTokenRow>,
    /// Rows of `clients`.
    pub clients: Vec<ClientRow>,
    /// Rows of `treatments`.
    pub treatments: Vec<TreatmentRow>,
    /// Rows of `checkins`.
    pub checkins: Vec<CheckinRow>,
    /// Rows of `decisions`.
    pub decisions: Vec<DecisionRow>,
    /// Rows of `alerts`.
    pub alerts: Vec<AlertRow>,
    /// Rows of `audit_events`.
    pub audit_events: Vec<AuditRow>,
}

/// Declares a row type with the table's columns, how to read it from a
/// database row, and how to insert it.
macro_rules! table_row {
    ($(#[$meta:meta])* $name:ident, $table:literal, { $($column:ident : $kind:ty),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(missing_docs)]
        pub struct $name {
            $(pub $column: $kind),+
        }

        impl $name {
            const TABLE: &'static str = $table;
            const COLUMNS: &'static [&'static str] = &[$(stringify!($column)),+];

            fn read(row: &AnyRow) -> Result<Self, StoreError> {
                Ok($name { $($column: row.try_get(stringify!($column))?),+ })
            }

            async fn insert(&self, tx: &mut sqlx::Transaction<'_, sqlx::Any>) -> Result<(), StoreError> {
                let placeholders: Vec<String> = (1..=Self::COLUMNS.len()).map(|n| format!("${n}")).collect();
                let sql = format!(
                    "INSERT INTO {} ({}) VALUES ({})",
                    Self::TABLE,
                    Self::COLUMNS.join(", "),
                    placeholders.join(", ")
                );
                sqlx::query(&sql)
                    $(.bind(self.$column.clone()))+
                    .execute(&mut **tx)
                    .await?;
                Ok(())
            }
        }
    };
}

table_row!(
    /// A `clinics` row.
    ClinicRow, "clinics", { id: String, name: String, created_at: i64 }
);
table_row!(
    /// A `practitioners` row.
    PractitionerRow, "practitioners", {
        id: String, clinic_id: String, email: String, name: String, role: String,
        password_hash: Option<String>, created_at: i64,
    }
);
table_row!(
    /// An `api_tokens` row.
    ApiTokenRow, "api_tokens", {
        id: String, clinic_id: String, practitioner_id: String, token_hash: String, label: String,
        created_at: i64, revoked_at: Option<i64>,
    }
);
table_row!(
    /// A `clients` row.
    ClientRow, "clients", {
        id: String, clinic_id: String, name: String, email: Option<String>, phone: Option<String>,
        consent_at: Option<i64>, created_at: i64,
    }
);
table_row!(
    /// A `treatments` row.
    TreatmentRow, "treatments", {
        id: String, clinic_id: String, client_id: String, practitioner_id: String, at: i64,
        details: String, notes: Option<String>, link_hash: String, link_expires_at: i64,
        checkin_count: i64, created_at: i64,
    }
);
table_row!(
    /// A `checkins` row.
    CheckinRow, "checkins", {
        id: String, clinic_id: String, treatment_id: String, seq: i64, at: i64, body: String,
        idempotency_key: Option<String>, received_at: i64,
    }
);
table_row!(
    /// A `decisions` row.
    DecisionRow, "decisions", {
        id: String, clinic_id: String, treatment_id: String, checkin_id: String, level: String,
        body: String, guideline_id: String, guideline_version: String, created_at: i64,
    }
);
table_row!(
    /// An `alerts` row.
    AlertRow, "alerts", {
        id: String, clinic_id: String, treatment_id: String, decision_id: String,
        practitioner_id: String, level: String, level_rank: i64, created_at: i64,
        acknowledged_at: Option<i64>, acknowledged_by: Option<String>,
    }
);
table_row!(
    /// An `audit_events` row.
    AuditRow, "audit_events", {
        id: String, clinic_id: Option<String>, actor: String, action: String, subject: String, at: i64,
    }
);

/// Reads every row of `T`'s table that belongs to the clinic, by id.
async fn rows_of<T>(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    clinic: &ClinicId,
    columns: &[&str],
    table: &str,
    key: &str,
    read: fn(&AnyRow) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let sql = format!(
        "SELECT {} FROM {table} WHERE {key} = $1 ORDER BY id",
        columns.join(", ")
    );
    sqlx::query(&sql)
        .bind(clinic.as_str().to_owned())
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(read)
        .collect()
}

impl Store {
    /// Everything stored for one clinic.
    pub async fn export_clinic(&self, clinic: &ClinicId) -> Result<ClinicArchive, StoreError> {
        // One snapshot for every table, so that a write committing during
        // the export cannot leave, say, a decision without its check-in.
        let mut tx = self.pool().begin().await?;
        if self.backend() == crate::Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                .execute(&mut *tx)
                .await?;
        }
        macro_rules! rows {
            ($row:ty, $key:literal) => {
                rows_of(
                    &mut tx,
                    clinic,
                    <$row>::COLUMNS,
                    <$row>::TABLE,
                    $key,
                    <$row>::read,
                )
                .await?
            };
        }
        let clinics = rows!(ClinicRow, "id");
        if clinics.is_empty() {
            return Err(StoreError::NotFound("clinic"));
        }
        let archive = ClinicArchive {
            format: ARCHIVE_FORMAT,
            clinics,
            practitioners: rows!(PractitionerRow, "clinic_id"),
            api_tokens: rows!(ApiTokenRow, "clinic_id"),
            clients: rows!(ClientRow, "clinic_id"),
            treatments: rows!(TreatmentRow, "clinic_id"),
            checkins: rows!(CheckinRow, "clinic_id"),
            decisions: rows!(DecisionRow, "clinic_id"),
            alerts: rows!(AlertRow, "clinic_id"),
            audit_events: rows!(AuditRow, "clinic_id"),
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
        let existing: i64 = sqlx::query("SELECT COUNT(*) AS n FROM clinics")
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
        if existing > 0 {
            return Err(StoreError::Conflict(
                "import restores into an empty database; this one already has a clinic".to_owned(),
            ));
        }
        // Parents before children, so foreign keys hold at every insert.
        for row in &archive.clinics {
            row.insert(&mut tx).await?;
        }
        for row in &archive.practitioners {
            row.insert(&mut tx).await?;
        }
        for row in &archive.api_tokens {
            row.insert(&mut tx).await?;
        }
        for row in &archive.clients {
            row.insert(&mut tx).await?;
        }
        for row in &archive.treatments {
            row.insert(&mut tx).await?;
        }
        for row in &archive.checkins {
            row.insert(&mut tx).await?;
        }
        for row in &archive.decisions {
            row.insert(&mut tx).await?;
        }
        for row in &archive.alerts {
            row.insert(&mut tx).await?;
        }
        for row in &archive.audit_events {
            row.insert(&mut tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

impl ClinicArchive {
    /// Reads an archive from JSON and checks it (see [`ClinicArchive::check`]).
    pub fn parse(bytes: &[u8]) -> Result<ClinicArchive, StoreError> {
        let archive: ClinicArchive =
            serde_json::from_slice(bytes).map_err(|error| StoreError::Invalid {
                path: String::new(),
                expected: format!("an Aftercare clinic archive ({error})"),
            })?;
        archive.check()?;
        Ok(archive)
    }

    /// Checks what the database would not: the format, one clinic, every
    /// row belonging to it, and every stored document (treatment details,
    /// check-in bodies, decisions, levels, roles) readable by the service.
    /// An archive that passes imports into records the service can serve;
    /// one that does not is refused before anything is written.
    pub fn check(&self) -> Result<(), StoreError> {
        let invalid = |path: String, expected: &str| StoreError::Invalid {
            path,
            expected: expected.to_owned(),
        };
        if self.format != ARCHIVE_FORMAT {
            return Err(StoreError::Invalid {
                path: "format".to_owned(),
                expected: format!("archive format {ARCHIVE_FORMAT}, got {}", self.format),
            });
        }
        let [clinic] = self.clinics.as_slice() else {
            return Err(invalid("clinics".to_owned(), "exactly one clinic"));
        };
        let ours = |path: String, clinic_id: &str| {
            if clinic_id == clinic.id {
                Ok(())
            } else {
                Err(invalid(path, "the archive's clinic id"))
            }
        };
        for (n, row) in self.practitioners.iter().enumerate() {
            ours(format!("practitioners[{n}].clinic_id"), &row.clinic_id)?;
            if !matches!(row.role.as_str(), "owner" | "therapist") {
                return Err(invalid(
                    format!("practitioners[{n}].role"),
                    "`owner` or `therapist`",
                ));
            }
        }
        for (n, row) in self.api_tokens.iter().enumerate() {
            ours(format!("api_tokens[{n}].clinic_id"), &row.clinic_id)?;
        }
        for (n, row) in self.clients.iter().enumerate() {
            ours(format!("clients[{n}].clinic_id"), &row.clinic_id)?;
        }
        for (n, row) in self.treatments.iter().enumerate() {
            ours(format!("treatments[{n}].clinic_id"), &row.clinic_id)?;
            if serde_json::from_str::<aftercare_core::Treatment>(&row.details).is_err() {
                return Err(invalid(
                    format!("treatments[{n}].details"),
                    "a treatment in the check-in format",
                ));
            }
        }
        for (n, row) in self.checkins.iter().enumerate() {
            ours(format!("checkins[{n}].clinic_id"), &row.clinic_id)?;
            if serde_json::from_str::<aftercare_core::Checkin>(&row.body).is_err() {
                return Err(invalid(
                    format!("checkins[{n}].body"),
                    "a check-in in the check-in format",
                ));
            }
        }
        for (n, row) in self.decisions.iter().enumerate() {
            ours(format!("decisions[{n}].clinic_id"), &row.clinic_id)?;
            known_level(format!("decisions[{n}].level"), &row.level)?;
            if serde_json::from_str::<&serde_json::value::RawValue>(&row.body).is_err() {
                return Err(invalid(format!("decisions[{n}].body"), "a JSON document"));
            }
        }
        for (n, row) in self.alerts.iter().enumerate() {
            ours(format!("alerts[{n}].clinic_id"), &row.clinic_id)?;
            known_level(format!("alerts[{n}].level"), &row.level)?;
        }
        for (n, row) in self.audit_events.iter().enumerate() {
            if let Some(clinic_id) = &row.clinic_id {
                ours(format!("audit_events[{n}].clinic_id"), clinic_id)?;
            }
        }
        Ok(())
    }
}

/// Refuses a level the engine does not have.
fn known_level(path: String, text: &str) -> Result<(), StoreError> {
    if aftercare_core::Level::ALL
        .iter()
        .any(|level| level.as_str() == text)
    {
        Ok(())
    } else {
        Err(StoreError::Invalid {
            path,
            expected: "one of the six triage levels".to_owned(),
        })
    }
}
