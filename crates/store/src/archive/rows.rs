//! The archive's row types, one per archived table, each declared with its
//! table's columns, how to read it and how to insert it.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::StoreError;

/// Declares a row type with the table's columns, the column rows are kept
/// in order of, how to read it from a database row, and how to insert it.
macro_rules! table_row {
    ($(#[$meta:meta])* $name:ident, $table:literal, $order:literal, { $($(#[$field:meta])* $column:ident : $kind:ty),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(missing_docs)]
        pub struct $name {
            $($(#[$field])* pub $column: $kind),+
        }

        impl $name {
            pub(super) const TABLE: &'static str = $table;
            pub(super) const ORDER: &'static str = $order;
            pub(super) const COLUMNS: &'static [&'static str] = &[$(stringify!($column)),+];

            pub(super) fn read(row: &AnyRow) -> Result<Self, StoreError> {
                Ok($name { $($column: row.try_get(stringify!($column))?),+ })
            }

            pub(super) async fn insert(&self, tx: &mut sqlx::Transaction<'_, sqlx::Any>) -> Result<(), StoreError> {
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
        // Archives made before accounts could be deactivated hold active
        // accounts whose passwords are their own.
        #[serde(default)] deactivated_at: Option<i64>,
        #[serde(default)] must_change_password: i64,
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
        country: Option<String>,
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
