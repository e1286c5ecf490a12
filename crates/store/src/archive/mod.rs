//! A clinic as one JSON archive: everything stored for it, row for row,
//! so that it can be restored into an empty database of either backend;
//! and a whole installation as one archive of every clinic and every
//! self-check diary, for moving from one database to another.
//!
//! Every table of the schema is either archived here or named in
//! [`UNARCHIVED_TABLES`] with the reason; a test reads the tables and
//! columns of both backends' schemas and fails on one that is neither.
//!
//! This module holds the archive types and layout versions; the row types
//! are declared in `rows.rs`, export and import are in `transfer.rs`, and
//! the checks an archive passes before it is imported in `check.rs` (with
//! the reference checks in `archive_check.rs`).

mod check;
mod rows;
mod transfer;

use serde::{Deserialize, Serialize};

pub use rows::{
    AlertNoticeRow, AlertRow, ApiTokenRow, AuditRow, CheckinRow, ClientRow, ClinicRow, DecisionRow,
    DeliveryLogRow, DiaryRow, FollowupPlanRow, FollowupSettingsRow, InvitationRow, MessageRow,
    PractitionerRow, RetentionSettingsRow, TreatmentRow, archived_tables,
};

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
        "password_resets",
        "one-time password reset links that expire within the hour; a new link is issued on the new database",
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
        "checkin_drafts",
        "answers a person is still entering between the pages of a check-in: they expire within hours or with the link, and are entered again more safely than carried over half-done",
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

impl InstallationArchive {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use crate::{Actor, NewClient, NewTreatment, Store, StoreError, StoreOptions};
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
