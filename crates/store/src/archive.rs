//! A clinic as one JSON archive: everything stored for it, row for row,
//! so that it can be restored into an empty database of either backend;
//! and a whole installation as one archive of every clinic and every
//! self-check diary, for moving from one database to another.
//!
//! Every table of the schema is either archived here or named in
//! [`UNARCHIVED_TABLES`] with the reason; a test reads the tables and
//! columns of both backends' schemas and fails on one that is neither.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::model::ClinicId;
use crate::{Store, StoreError};

/// The archive layout this code writes: 2 added the follow-up tables (the
/// clinic's settings and webhook, plans, invitations, the outbox and its
/// delivery log, alert notices), the retention setting and the fields of
/// audit events.
pub const ARCHIVE_FORMAT: u32 = 2;

/// The oldest layout still read: an archive of format 1 has no follow-up
/// tables, and restores as a clinic whose follow-up starts afresh.
const OLDEST_ARCHIVE_FORMAT: u32 = 1;

/// The tables no archive holds, each with the reason.
pub const UNARCHIVED_TABLES: &[(&str, &str)] = &[
    (
        "web_sessions",
        "sign-ins to the web app: short-lived, and signing in again on the new database is safer than carrying cookies over",
    ),
    (
        "login_failures",
        "failed sign-ins and self-checks started, kept as hashes for rate limits that look back minutes",
    ),
    (
        "setup_links",
        "the first-run setup link, which stops working once a clinic exists",
    ),
    (
        "scheduler_leases",
        "which running instance plans follow-up; each database's instances take their own",
    ),
    (
        "_sqlx_migrations",
        "each database's own record of the migrations applied to it",
    ),
];

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
    /// Rows of `alert_notices`: alerts already turned into messages.
    #[serde(default)]
    pub alert_notices: Vec<AlertNoticeRow>,
    /// Rows of `followup_settings` (at most one; the webhook's key included).
    #[serde(default)]
    pub followup_settings: Vec<FollowupSettingsRow>,
    /// Rows of `retention_settings` (at most one).
    #[serde(default)]
    pub retention_settings: Vec<RetentionSettingsRow>,
    /// Rows of `followup_plans`.
    #[serde(default)]
    pub followup_plans: Vec<FollowupPlanRow>,
    /// Rows of `invitations`.
    #[serde(default)]
    pub invitations: Vec<InvitationRow>,
    /// Rows of `messages`: the outbox, pending messages with their claims.
    #[serde(default)]
    pub messages: Vec<MessageRow>,
    /// Rows of `delivery_log`.
    #[serde(default)]
    pub delivery_log: Vec<DeliveryLogRow>,
    /// Rows of `audit_events`.
    pub audit_events: Vec<AuditRow>,
}

/// A whole installation: every clinic, the self-check diaries that belong
/// to none, and audit events of no clinic.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstallationArchive {
    /// Layout version: [`ARCHIVE_FORMAT`].
    pub format: u32,
    /// One archive per clinic, in id order.
    pub clinic_archives: Vec<ClinicArchive>,
    /// Rows of `selfcheck_diaries`.
    pub selfcheck_diaries: Vec<DiaryRow>,
    /// Rows of `audit_events` that belong to no clinic.
    pub audit_events: Vec<AuditRow>,
}

/// Declares a row type with the table's columns, the column rows are kept
/// in order of, how to read it from a database row, and how to insert it.
macro_rules! table_row {
    ($(#[$meta:meta])* $name:ident, $table:literal, $order:literal, { $($column:ident : $kind:ty),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(missing_docs)]
        pub struct $name {
            $(pub $column: $kind),+
        }

        impl $name {
            const TABLE: &'static str = $table;
            const ORDER: &'static str = $order;
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
    ClinicRow, "clinics", "id", { id: String, name: String, created_at: i64 }
);
table_row!(
    /// A `practitioners` row.
    PractitionerRow, "practitioners", "id", {
        id: String, clinic_id: String, email: String, name: String, role: String,
        password_hash: Option<String>, created_at: i64,
    }
);
table_row!(
    /// An `api_tokens` row.
    ApiTokenRow, "api_tokens", "id", {
        id: String, clinic_id: String, practitioner_id: String, token_hash: String, label: String,
        created_at: i64, revoked_at: Option<i64>,
    }
);
table_row!(
    /// A `clients` row.
    ClientRow, "clients", "id", {
        id: String, clinic_id: String, name: String, email: Option<String>, phone: Option<String>,
        consent_at: Option<i64>, created_at: i64,
    }
);
table_row!(
    /// A `treatments` row.
    TreatmentRow, "treatments", "id", {
        id: String, clinic_id: String, client_id: String, practitioner_id: String, at: i64,
        details: String, notes: Option<String>, link_hash: String, link_expires_at: i64,
        checkin_count: i64, created_at: i64,
    }
);
table_row!(
    /// A `checkins` row.
    CheckinRow, "checkins", "id", {
        id: String, clinic_id: String, treatment_id: String, seq: i64, at: i64, body: String,
        idempotency_key: Option<String>, received_at: i64,
    }
);
table_row!(
    /// A `decisions` row.
    DecisionRow, "decisions", "id", {
        id: String, clinic_id: String, treatment_id: String, checkin_id: String, level: String,
        body: String, guideline_id: String, guideline_version: String, created_at: i64,
    }
);
table_row!(
    /// An `alerts` row.
    AlertRow, "alerts", "id", {
        id: String, clinic_id: String, treatment_id: String, decision_id: String,
        practitioner_id: String, level: String, level_rank: i64, created_at: i64,
        acknowledged_at: Option<i64>, acknowledged_by: Option<String>,
    }
);
table_row!(
    /// An `alert_notices` row.
    AlertNoticeRow, "alert_notices", "alert_id", {
        alert_id: String, clinic_id: String, escalated_at: Option<i64>, created_at: i64,
    }
);
table_row!(
    /// A `followup_settings` row.
    FollowupSettingsRow, "followup_settings", "clinic_id", {
        clinic_id: String, plan_hours: String, reminder_count: i64, reminder_delay_minutes: i64,
        invitation_expiry_hours: i64, quiet_start_minute: i64, quiet_end_minute: i64,
        time_zone: String, escalation_minutes: Option<i64>, client_channel: String,
        webhook_url: Option<String>, webhook_secret: Option<String>, updated_at: i64,
    }
);
table_row!(
    /// A `retention_settings` row.
    RetentionSettingsRow, "retention_settings", "clinic_id", {
        clinic_id: String, keep_days: i64, updated_at: i64,
    }
);
table_row!(
    /// A `followup_plans` row.
    FollowupPlanRow, "followup_plans", "treatment_id", {
        treatment_id: String, clinic_id: String, plan_hours: String, overridden: i64,
        checkins_seen: i64, last_level: Option<String>, open_invitation: Option<String>,
        closed_at: Option<i64>, closed_reason: Option<String>, updated_at: i64,
    }
);
table_row!(
    /// An `invitations` row.
    InvitationRow, "invitations", "id", {
        id: String, clinic_id: String, treatment_id: String, due_at: i64, expires_at: i64,
        state: String, created_at: i64,
    }
);
table_row!(
    /// A `messages` row, with its claim if an instance held one.
    MessageRow, "messages", "id", {
        id: String, clinic_id: String, treatment_id: String, kind: String, channel: String,
        dedupe_key: String, invitation_id: Option<String>, alert_id: Option<String>,
        recipient: Option<String>, high_priority: i64, status: String, due_at: i64,
        next_attempt_at: i64, attempts: i64, claimed_by: Option<String>,
        lease_until: Option<i64>, sent_at: Option<i64>, last_error: Option<String>,
        created_at: i64,
    }
);
table_row!(
    /// A `delivery_log` row.
    DeliveryLogRow, "delivery_log", "id", {
        id: String, clinic_id: String, message_id: String, event: String, reason: Option<String>,
        at: i64,
    }
);
table_row!(
    /// An `audit_events` row; `fields` is absent from format 1.
    AuditRow, "audit_events", "id", {
        id: String, clinic_id: Option<String>, actor: String, action: String, subject: String,
        at: i64, fields: Option<String>,
    }
);
table_row!(
    /// A `selfcheck_diaries` row (of no clinic).
    DiaryRow, "selfcheck_diaries", "id", {
        id: String, link_hash: String, course: String, created_at: i64, updated_at: i64,
        expires_at: i64,
    }
);

/// Every archived table with its columns, in the order a restore writes
/// them (parents before children).
pub fn archived_tables() -> Vec<(&'static str, &'static [&'static str])> {
    macro_rules! tables {
        ($($row:ty),+) => { vec![$((<$row>::TABLE, <$row>::COLUMNS)),+] };
    }
    tables!(
        ClinicRow,
        PractitionerRow,
        ApiTokenRow,
        ClientRow,
        TreatmentRow,
        CheckinRow,
        DecisionRow,
        AlertRow,
        AlertNoticeRow,
        FollowupSettingsRow,
        RetentionSettingsRow,
        FollowupPlanRow,
        InvitationRow,
        MessageRow,
        DeliveryLogRow,
        AuditRow,
        DiaryRow
    )
}

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

impl InstallationArchive {
    /// Reads an installation archive from JSON and checks it.
    pub fn parse(bytes: &[u8]) -> Result<InstallationArchive, StoreError> {
        let archive: InstallationArchive =
            serde_json::from_slice(bytes).map_err(|error| StoreError::Invalid {
                path: String::new(),
                expected: format!("an Aftercare installation archive ({error})"),
            })?;
        archive.check()?;
        Ok(archive)
    }

    /// Checks the format and every clinic's archive (see
    /// [`ClinicArchive::check`]), naming the clinic's place in the path.
    pub fn check(&self) -> Result<(), StoreError> {
        if self.format != ARCHIVE_FORMAT {
            return Err(StoreError::Invalid {
                path: "format".to_owned(),
                expected: format!("archive format {ARCHIVE_FORMAT}, got {}", self.format),
            });
        }
        for (n, clinic) in self.clinic_archives.iter().enumerate() {
            clinic.check().map_err(|error| match error {
                StoreError::Invalid { path, expected } => StoreError::Invalid {
                    path: format!("clinic_archives[{n}].{path}"),
                    expected,
                },
                other => other,
            })?;
        }
        for (n, row) in self.selfcheck_diaries.iter().enumerate() {
            if aftercare_core::Course::from_json(&row.course).is_err() {
                return Err(StoreError::Invalid {
                    path: format!("selfcheck_diaries[{n}].course"),
                    expected: "a course in the check-in format".to_owned(),
                });
            }
        }
        for (n, row) in self.audit_events.iter().enumerate() {
            if row.clinic_id.is_some() {
                return Err(StoreError::Invalid {
                    path: format!("audit_events[{n}].clinic_id"),
                    expected: "null: events of a clinic are in its archive".to_owned(),
                });
            }
        }
        Ok(())
    }

    /// How many rows of each kind the archive holds, for a summary line.
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let sum = |of: fn(&ClinicArchive) -> usize| self.clinic_archives.iter().map(of).sum();
        (
            self.clinic_archives.len(),
            sum(|a| a.clients.len()),
            sum(|a| a.treatments.len()),
            sum(|a| a.messages.iter().filter(|m| m.status == "queued").count()),
        )
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
        if !(OLDEST_ARCHIVE_FORMAT..=ARCHIVE_FORMAT).contains(&self.format) {
            return Err(StoreError::Invalid {
                path: "format".to_owned(),
                expected: format!(
                    "archive format {OLDEST_ARCHIVE_FORMAT} to {ARCHIVE_FORMAT}, got {}",
                    self.format
                ),
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
            let Ok(checkin) = serde_json::from_str::<aftercare_core::Checkin>(&row.body) else {
                return Err(invalid(
                    format!("checkins[{n}].body"),
                    "a check-in in the check-in format",
                ));
            };
            // What the types alone cannot say: the fainting answers belong
            // to a `fainting` entry only (format 1.1).
            let misplaced = checkin.symptoms.iter().any(|symptom| {
                symptom.kind != aftercare_core::SymptomKind::Fainting
                    && symptom
                        .fainting_answers()
                        .iter()
                        .any(|(_, answer)| answer.is_some())
            });
            if misplaced {
                return Err(invalid(
                    format!("checkins[{n}].body"),
                    "a check-in in the check-in format (fainting answers only on a `fainting` entry)",
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
        self.check_followup(&ours)
    }

    /// Checks the follow-up tables: each row the clinic's, each closed
    /// vocabulary one the service knows, each plan readable.
    fn check_followup(
        &self,
        ours: &impl Fn(String, &str) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let one_of = |path: String, text: &str, known: &[&str]| {
            if known.contains(&text) {
                Ok(())
            } else {
                Err(StoreError::Invalid {
                    path,
                    expected: format!("one of `{}`", known.join("`, `")),
                })
            }
        };
        let plan = |path: String, text: &str| {
            serde_json::from_str::<Vec<u32>>(text)
                .map(drop)
                .map_err(|_| StoreError::Invalid {
                    path,
                    expected: "a JSON list of whole hours".to_owned(),
                })
        };
        for (n, row) in self.alert_notices.iter().enumerate() {
            ours(format!("alert_notices[{n}].clinic_id"), &row.clinic_id)?;
        }
        for (n, row) in self.followup_settings.iter().enumerate() {
            ours(format!("followup_settings[{n}].clinic_id"), &row.clinic_id)?;
            plan(
                format!("followup_settings[{n}].plan_hours"),
                &row.plan_hours,
            )?;
            one_of(
                format!("followup_settings[{n}].client_channel"),
                &row.client_channel,
                &["email", "webhook"],
            )?;
        }
        for (n, row) in self.retention_settings.iter().enumerate() {
            ours(format!("retention_settings[{n}].clinic_id"), &row.clinic_id)?;
            if row.keep_days < 1 {
                return Err(StoreError::Invalid {
                    path: format!("retention_settings[{n}].keep_days"),
                    expected: "a whole number of days, at least 1".to_owned(),
                });
            }
        }
        for (n, row) in self.followup_plans.iter().enumerate() {
            ours(format!("followup_plans[{n}].clinic_id"), &row.clinic_id)?;
            plan(format!("followup_plans[{n}].plan_hours"), &row.plan_hours)?;
            if let Some(level) = &row.last_level {
                known_level(format!("followup_plans[{n}].last_level"), level)?;
            }
        }
        for (n, row) in self.invitations.iter().enumerate() {
            ours(format!("invitations[{n}].clinic_id"), &row.clinic_id)?;
            one_of(
                format!("invitations[{n}].state"),
                &row.state,
                &["open", "answered", "expired", "cancelled"],
            )?;
        }
        for (n, row) in self.messages.iter().enumerate() {
            ours(format!("messages[{n}].clinic_id"), &row.clinic_id)?;
            one_of(
                format!("messages[{n}].kind"),
                &row.kind,
                &[
                    "invitation",
                    "reminder",
                    "alert",
                    "escalation",
                    "missed_checkin",
                ],
            )?;
            one_of(
                format!("messages[{n}].channel"),
                &row.channel,
                &["email", "webhook"],
            )?;
            one_of(
                format!("messages[{n}].status"),
                &row.status,
                &["queued", "sent", "failed", "cancelled"],
            )?;
        }
        for (n, row) in self.delivery_log.iter().enumerate() {
            ours(format!("delivery_log[{n}].clinic_id"), &row.clinic_id)?;
            one_of(
                format!("delivery_log[{n}].event"),
                &row.event,
                &["queued", "sent", "retry", "failed", "cancelled"],
            )?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use crate::{Actor, NewClient, NewTreatment, Store, StoreOptions};
    use aftercare_core::{Checkin, Guideline};

    /// 2026-11-20T15:00:00Z.
    const TREATED_AT: i64 = 1_795_186_800_000;
    const HOUR: i64 = 3_600_000;

    /// Check-ins using every addition of format 1.1: the new kinds and
    /// regions, the fainting answers and `seen_by_clinician`.
    const CHECKINS: [&str; 3] = [
        r#"{"at":"2026-11-20T18:00:00Z","symptoms":[
            {"kind":"fainting","frequency":"rarely","while_lying_down":true,"while_exercising":false,"seizure":false,"injured":true},
            {"kind":"palpitations","sudden":true},
            {"kind":"swelling","severity":"mild","regions":["mouth_throat","face"],"side":"both"},
            {"kind":"numbness_tingling","regions":["groin"],"sudden":false}]}"#,
        r#"{"at":"2026-11-21T09:00:00Z","symptoms":[
            {"kind":"confusion"},{"kind":"vision_change","sudden":false},{"kind":"vomiting","frequency":"occasionally"},
            {"kind":"bladder_bowel_change"},{"kind":"speech_difficulty","sudden":true}],
          "context":{"seen_by_clinician":false}}"#,
        r#"{"at":"2026-11-22T09:00:00Z","symptoms":[{"kind":"fainting","severity":"none"}],
          "context":{"seen_by_clinician":true,"pregnant":false},"note":"seen at the clinic"}"#,
    ];

    async fn fresh_store() -> (Store, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("aftercare-archive-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        let url = format!("sqlite://{}", dir.join("aftercare.db").display());
        let store = Store::open(&url, &StoreOptions::default())
            .await
            .expect("a fresh store");
        (store, dir)
    }

    #[tokio::test]
    async fn a_course_in_format_1_1_survives_export_and_import() {
        let (store, dir) = fresh_store().await;
        let (clinic, owner) = store
            .create_clinic_with_owner("Archive Clinic", "owner@archive.example", "Ana", TREATED_AT)
            .await
            .expect("a clinic");
        let actor = Actor::Practitioner(owner.id.clone());
        let client = store
            .create_client(
                &clinic.id,
                &actor,
                NewClient {
                    name: "Casey".to_owned(),
                    email: None,
                    phone: None,
                    consent_at: Some(TREATED_AT),
                },
                TREATED_AT,
            )
            .await
            .expect("a client");
        let link = Secret::generate("acl_");
        let treatment = store
            .create_treatment(
                &clinic.id,
                &actor,
                NewTreatment {
                    client_id: client.id.clone(),
                    practitioner_id: owner.id.clone(),
                    details: serde_json::from_str(
                        r#"{"at":"2026-11-20T15:00:00Z","modality":"hot_stone","regions":["groin","mouth_throat"]}"#,
                    )
                    .expect("a treatment"),
                    notes: None,
                    link_hash: link.hash(),
                    link_expires_at: TREATED_AT + 30 * 24 * HOUR,
                },
                TREATED_AT,
            )
            .await
            .expect("a treatment");
        let guideline = Guideline::shipped();
        let sent: Vec<Checkin> = CHECKINS
            .iter()
            .map(|json| serde_json::from_str(json).expect("a check-in"))
            .collect();
        for (hours, checkin) in (3..).step_by(20).zip(&sent) {
            store
                .submit_checkin(
                    &link.hash(),
                    None,
                    checkin.clone(),
                    &guideline,
                    TREATED_AT + hours * HOUR,
                )
                .await
                .expect("a check-in");
        }
        let archive = store.export_clinic(&clinic.id).await.expect("export");
        // As the command line writes and reads it: JSON text.
        let text = serde_json::to_vec(&archive).expect("archive JSON");
        let read = ClinicArchive::parse(&text).expect("the archive reads back");
        assert_eq!(read, archive);

        let (restored, restored_dir) = fresh_store().await;
        restored.import_clinic(&read).await.expect("import");
        assert_eq!(
            restored
                .export_clinic(&clinic.id)
                .await
                .expect("export again"),
            archive
        );
        let course = restored
            .course(
                &clinic.id,
                &treatment.id,
                &Actor::System,
                TREATED_AT + 100 * HOUR,
            )
            .await
            .expect("the restored course");
        let kept: Vec<Checkin> = course.checkins.into_iter().map(|c| c.checkin).collect();
        assert_eq!(kept, sent, "every format 1.1 answer is kept");
        assert_eq!(course.decisions.len(), sent.len());
        for store in [store, restored] {
            store.close().await;
        }
        let _ = std::fs::remove_dir_all(dir);
        let _ = std::fs::remove_dir_all(restored_dir);
    }

    #[test]
    fn the_format_1_1_seeds_of_the_fuzz_corpus_are_read_or_refused_as_made() {
        let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/corpus/import_archive");
        let read = |file: &str| std::fs::read(corpus.join(file)).expect("a seed");
        let archive = ClinicArchive::parse(&read("format_1_1_course.json")).expect("accepted");
        let checkin: Checkin = serde_json::from_str(&archive.checkins[0].body).expect("a check-in");
        assert_eq!(checkin.symptoms[0].while_lying_down, Some(true));
        assert_eq!(checkin.context.seen_by_clinician, Some(false));
        assert!(matches!(
            ClinicArchive::parse(&read("fainting_answer_on_another_kind.json")),
            Err(StoreError::Invalid { path, .. }) if path == "checkins[0].body"
        ));
    }

    #[test]
    fn an_archive_with_fainting_answers_on_another_kind_is_refused() {
        let body =
            r#"{"at":"2026-11-21T09:00:00Z","symptoms":[{"kind":"dizziness","seizure":true}]}"#;
        let archive = ClinicArchive {
            format: ARCHIVE_FORMAT,
            clinics: vec![ClinicRow {
                id: "c".to_owned(),
                name: "C".to_owned(),
                created_at: 0,
            }],
            practitioners: Vec::new(),
            api_tokens: Vec::new(),
            clients: Vec::new(),
            treatments: Vec::new(),
            checkins: vec![CheckinRow {
                id: "k".to_owned(),
                clinic_id: "c".to_owned(),
                treatment_id: "t".to_owned(),
                seq: 0,
                at: 0,
                body: body.to_owned(),
                idempotency_key: None,
                received_at: 0,
            }],
            decisions: Vec::new(),
            alerts: Vec::new(),
            alert_notices: Vec::new(),
            followup_settings: Vec::new(),
            retention_settings: Vec::new(),
            followup_plans: Vec::new(),
            invitations: Vec::new(),
            messages: Vec::new(),
            delivery_log: Vec::new(),
            audit_events: Vec::new(),
        };
        let refused = archive.check().expect_err("refused");
        assert!(
            matches!(&refused, StoreError::Invalid { path, .. } if path == "checkins[0].body"),
            "{refused:?}"
        );
    }
}
