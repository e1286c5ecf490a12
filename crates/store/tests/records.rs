//! Client records on both backends: every table is archived or excluded
//! for a reason, a whole installation moves between SQLite and PostgreSQL
//! unchanged, an erased client leaves no trace in any table, a corrected
//! treatment keeps its earlier decisions, and closed courses are erased
//! after the clinic's retention period.

#![allow(clippy::too_many_lines)]

use std::collections::BTreeSet;

use aftercare_core::{Checkin, Guideline, Level, Treatment};
use aftercare_store::secret::Secret;
use aftercare_store::testing::{fresh_postgres_url, fresh_sqlite_url};
use aftercare_store::{
    Actor, Backend, Channel, ClientChange, ClientId, ClinicArchive, ClinicId, FollowupSettings,
    InstallationArchive, MessageKind, NewClient, NewInvitation, NewMessage, NewTreatment,
    PageRequest, PlanNext, Practitioner, RetentionSettings, Retriage, SendOutcome, Store,
    StoreError, StoreOptions, TreatmentCorrection, TreatmentId, UNARCHIVED_TABLES, Update,
    archived_tables,
};
use sqlx::{AnyPool, Row};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
/// 2026-11-20T15:00:00Z.
const TREATED_AT: i64 = 1_795_186_800_000;

/// What is typed about the client who is erased, to look for afterwards.
const ERASED_NAME: &str = "Zelda Quartermaine";
const ERASED_EMAIL: &str = "zelda.quartermaine@client.example";
const ERASED_PHONE: &str = "+44 1632 960 417";
const ERASED_NOTE: &str = "my left calf feels like cold marble";
const ERASED_TREATMENT_NOTE: &str = "worked the knotted calf for Zelda";

async fn open(url: &str) -> Store {
    Store::open(url, &StoreOptions::default())
        .await
        .unwrap_or_else(|error| panic!("open {url}: {error}"))
}

/// A fresh store per backend: SQLite always, PostgreSQL when reachable.
async fn backends() -> Vec<(String, Store)> {
    let (sqlite, _dir) = fresh_sqlite_url();
    let mut stores = vec![(sqlite.clone(), open(&sqlite).await)];
    if let Some(postgres) = fresh_postgres_url().await {
        stores.push((postgres.clone(), open(&postgres).await));
    }
    stores
}

/// The same database through a plain pool, for reading its schema.
async fn raw(url: &str) -> AnyPool {
    sqlx::any::install_default_drivers();
    AnyPool::connect(url)
        .await
        .unwrap_or_else(|error| panic!("connect {url}: {error}"))
}

/// Every table of the schema with its columns and whether each holds text.
async fn schema(url: &str, backend: Backend) -> Vec<(String, Vec<(String, bool)>)> {
    let pool = raw(url).await;
    let tables: Vec<String> = match backend {
        Backend::Sqlite => sqlx::query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        ),
        Backend::Postgres => sqlx::query(
            "SELECT table_name::text AS name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name",
        ),
    }
    .fetch_all(&pool)
    .await
    .expect("the tables")
    .iter()
    .map(|row| row.try_get("name").expect("a name"))
    .collect();
    let mut found = Vec::new();
    for table in tables {
        let columns = match backend {
            Backend::Sqlite => {
                sqlx::query("SELECT name, type AS kind FROM pragma_table_info($1) ORDER BY cid")
            }
            Backend::Postgres => sqlx::query(
                "SELECT column_name::text AS name, data_type::text AS kind FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
            ),
        }
        .bind(table.clone())
        .fetch_all(&pool)
        .await
        .expect("the columns")
        .iter()
        .map(|row| {
            let kind: String = row.try_get("kind").expect("a type");
            let kind = kind.to_lowercase();
            (
                row.try_get("name").expect("a name"),
                kind == "text" || kind.contains("char"),
            )
        })
        .collect();
        found.push((table, columns));
    }
    pool.close().await;
    found
}

/// Every text value stored anywhere in the database, with where it is.
async fn every_text(url: &str, backend: Backend) -> Vec<(String, String)> {
    let pool = raw(url).await;
    let mut values = Vec::new();
    for (table, columns) in schema(url, backend).await {
        for (column, _) in columns.iter().filter(|(_, text)| *text) {
            let rows = sqlx::query(&format!("SELECT {column} AS v FROM {table}"))
                .fetch_all(&pool)
                .await
                .unwrap_or_else(|error| panic!("read {table}.{column}: {error}"));
            for row in rows {
                if let Some(value) = row.try_get::<Option<String>, _>("v").expect("text") {
                    values.push((format!("{table}.{column}"), value));
                }
            }
        }
    }
    pool.close().await;
    values
}

#[tokio::test]
async fn every_table_of_the_schema_is_archived_or_excluded_with_a_reason() {
    for (url, store) in backends().await {
        let backend = store.backend();
        let archived = archived_tables();
        for (table, columns) in schema(&url, backend).await {
            if let Some((_, reason)) = UNARCHIVED_TABLES.iter().find(|(name, _)| *name == table) {
                assert!(!reason.is_empty(), "{table} is excluded with a reason");
                continue;
            }
            let Some((_, kept)) = archived.iter().find(|(name, _)| *name == table) else {
                panic!(
                    "{backend:?}: table `{table}` is neither archived nor excluded: add it to the \
                     archive (crates/store/src/archive/rows.rs) or to UNARCHIVED_TABLES with the reason"
                );
            };
            let in_schema: BTreeSet<&str> = columns.iter().map(|(name, _)| name.as_str()).collect();
            let in_archive: BTreeSet<&str> = kept.iter().copied().collect();
            assert_eq!(
                in_schema, in_archive,
                "{backend:?}: the archive keeps every column of `{table}`"
            );
        }
        store.close().await;
    }
}

/// A clinic with everything a clinic can hold: follow-up settings with a
/// webhook, a retention setting, two clients with a course each (check-ins,
/// decisions, an alert already notified), open plans with invitations,
/// pending and sent messages with their delivery log.
struct Clinic {
    id: ClinicId,
    owner: Practitioner,
    erased: Course,
    kept: Course,
}

struct Course {
    client: ClientId,
    treatment: TreatmentId,
    link: Secret,
}

fn checkin(at_hours: i64, symptoms: &str, note: Option<&str>) -> Checkin {
    let at = time::OffsetDateTime::from_unix_timestamp((TREATED_AT + at_hours * HOUR) / 1000)
        .expect("a time")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("RFC 3339");
    let note = note.map_or(String::new(), |note| format!(r#","note":"{note}""#));
    serde_json::from_str(&format!(r#"{{"at":"{at}","symptoms":{symptoms}{note}}}"#))
        .expect("a check-in")
}

fn details(modality: &str) -> Treatment {
    serde_json::from_str(&format!(
        r#"{{"at":"2026-11-20T15:00:00Z","modality":"{modality}","regions":["calves"]}}"#
    ))
    .expect("a treatment")
}

async fn course(
    store: &Store,
    clinic: &ClinicId,
    owner: &Practitioner,
    (name, email, phone): (&str, &str, &str),
    note: &str,
) -> Course {
    let actor = Actor::Practitioner(owner.id.clone());
    let client = store
        .create_client(
            clinic,
            &actor,
            NewClient {
                name: name.to_owned(),
                email: Some(email.to_owned()),
                phone: Some(phone.to_owned()),
                consent_at: Some(TREATED_AT),
            },
            TREATED_AT,
        )
        .await
        .expect("a client");
    let link = Secret::generate("acl_");
    let treatment = store
        .create_treatment(
            clinic,
            &actor,
            NewTreatment {
                client_id: client.id.clone(),
                practitioner_id: owner.id.clone(),
                details: details("deep_tissue"),
                notes: Some(format!("notes on {name}")),
                link_hash: link.hash(),
                link_expires_at: TREATED_AT + 30 * DAY,
            },
            TREATED_AT,
        )
        .await
        .expect("a treatment");
    let guideline = Guideline::shipped();
    store
        .submit_checkin(
            &link.hash(),
            Some("first"),
            checkin(3, r#"[{"kind":"soreness","severity":"mild"}]"#, None),
            &guideline,
            TREATED_AT + 3 * HOUR,
        )
        .await
        .expect("a check-in");
    store
        .submit_checkin(
            &link.hash(),
            None,
            checkin(20, r#"[{"kind":"fever"}]"#, Some(note)),
            &guideline,
            TREATED_AT + 20 * HOUR,
        )
        .await
        .expect("a check-in that alerts");
    let now = TREATED_AT + 20 * HOUR;
    let invitation = NewInvitation {
        due_at: now,
        expires_at: now + DAY,
        messages: vec![
            NewMessage {
                kind: MessageKind::Invitation,
                channel: Channel::Webhook,
                recipient: None,
                high_priority: false,
                due_at: now,
                dedupe_key: "invitation".to_owned(),
            },
            NewMessage {
                kind: MessageKind::Reminder,
                channel: Channel::Email,
                recipient: Some(email.to_owned()),
                high_priority: false,
                due_at: now + 4 * HOUR,
                dedupe_key: "reminder".to_owned(),
            },
        ],
    };
    store
        .start_plan(
            clinic,
            &treatment.id,
            &[6, 24, 72],
            &PlanNext::Invite(invitation),
            now,
        )
        .await
        .expect("a plan");
    Course {
        client: client.id,
        treatment: treatment.id,
        link,
    }
}

async fn rich_clinic(store: &Store) -> Clinic {
    let (clinic, owner) = store
        .create_clinic_with_owner("Records Clinic", "owner@records.example", "Ola", TREATED_AT)
        .await
        .expect("a clinic");
    let actor = Actor::Practitioner(owner.id.clone());
    store
        .put_followup_settings(
            &clinic.id,
            &actor,
            &FollowupSettings {
                escalation_minutes: Some(60),
                country: Some("IE".to_owned()),
                webhook_url: Some("https://hooks.records.example/aftercare".to_owned()),
                webhook_secret: Some(Secret::from_text("a-webhook-secret-of-some-length")),
                ..FollowupSettings::default()
            },
            TREATED_AT,
        )
        .await
        .expect("follow-up settings");
    store
        .put_retention_settings(
            &clinic.id,
            &actor,
            RetentionSettings { keep_days: 3000 },
            TREATED_AT,
        )
        .await
        .expect("retention");
    let erased = course(
        store,
        &clinic.id,
        &owner,
        (ERASED_NAME, ERASED_EMAIL, ERASED_PHONE),
        ERASED_NOTE,
    )
    .await;
    let kept = course(
        store,
        &clinic.id,
        &owner,
        ("Kept Client", "kept@client.example", "+44 1632 960 999"),
        "the other client's note",
    )
    .await;
    store
        .update_client(
            &clinic.id,
            &erased.client,
            &actor,
            &ClientChange {
                phone: Update::Set(Some(ERASED_PHONE.to_owned())),
                ..ClientChange::default()
            },
            TREATED_AT + 20 * HOUR,
        )
        .await
        .expect("a change of details");
    let correction = TreatmentCorrection {
        details: details("deep_tissue"),
        notes: Some(ERASED_TREATMENT_NOTE.to_owned()),
        fields: vec!["notes"],
        checkins_seen: 2,
        retriage: None,
    };
    store
        .correct_treatment(
            &clinic.id,
            &erased.treatment,
            &actor,
            &correction,
            TREATED_AT + 20 * HOUR,
        )
        .await
        .expect("a correction");
    // The alerts go out; one message is sent, with its delivery log.
    let now = TREATED_AT + 21 * HOUR;
    for alert in store.alerts_to_notify(0, 100).await.expect("alerts") {
        let message = NewMessage {
            kind: MessageKind::Alert,
            channel: Channel::Email,
            recipient: Some(alert.practitioner_email.clone()),
            high_priority: true,
            due_at: now,
            dedupe_key: format!("alert:{}", alert.alert_id),
        };
        store
            .notify_alert(&alert, &[message], now)
            .await
            .expect("an alert notice");
    }
    let claimed = store
        .claim_messages("records-test", now, now + HOUR, 2)
        .await
        .expect("claims");
    assert_eq!(claimed.len(), 2);
    let outcomes: Vec<_> = claimed
        .into_iter()
        .map(|message| (message, SendOutcome::Sent))
        .collect();
    store
        .finish_messages("records-test", &outcomes, now)
        .await
        .expect("sent");
    // One more is claimed by an instance that then stops: its claim moves too.
    let held = store
        .claim_messages("a-stopped-instance", now, now + HOUR, 1)
        .await
        .expect("a claim");
    assert_eq!(held.len(), 1);
    store
        .create_diary(
            &Secret::generate("acd_").hash(),
            r#"{"treatment":{"at":"2026-11-20T15:00:00Z","modality":"swedish"},"checkins":[]}"#,
            now,
            now + 30 * DAY,
        )
        .await
        .expect("a diary");
    Clinic {
        id: clinic.id,
        owner,
        erased,
        kept,
    }
}

#[tokio::test]
async fn a_whole_installation_moves_to_the_other_backend_and_back_unchanged() {
    let (sqlite, dir) = fresh_sqlite_url();
    let source = open(&sqlite).await;
    let clinic = rich_clinic(&source).await;
    let archive = source.export_installation().await.expect("export");
    let clinic_archive = &archive.clinic_archives[0];
    assert_eq!(
        clinic_archive.followup_settings[0].country.as_deref(),
        Some("IE"),
        "the clinic's country travels with its settings"
    );
    for (table, rows) in [
        ("followup_settings", clinic_archive.followup_settings.len()),
        (
            "retention_settings",
            clinic_archive.retention_settings.len(),
        ),
        ("followup_plans", clinic_archive.followup_plans.len()),
        ("invitations", clinic_archive.invitations.len()),
        ("alert_notices", clinic_archive.alert_notices.len()),
        ("delivery_log", clinic_archive.delivery_log.len()),
        ("selfcheck_diaries", archive.selfcheck_diaries.len()),
    ] {
        assert!(rows > 0, "the archive holds rows of {table}");
    }
    let queued = clinic_archive
        .messages
        .iter()
        .filter(|m| m.status == "queued")
        .count();
    assert!(queued >= 2, "pending messages are archived: {queued}");
    assert!(
        clinic_archive
            .messages
            .iter()
            .any(|m| m.claimed_by.as_deref() == Some("a-stopped-instance")),
        "a claim is archived as it was"
    );
    assert!(
        clinic_archive
            .audit_events
            .iter()
            .any(|e| e.fields.as_deref() == Some("notes")),
        "the fields of a change are archived"
    );
    // As the command line writes and reads it.
    let text = serde_json::to_vec(&archive).expect("JSON");
    let read = InstallationArchive::parse(&text).expect("reads back");
    assert_eq!(read, archive);
    // What the database would take but the service could not use is
    // refused before anything is written, naming the field.
    for (pointer, value, path) in [
        (
            "/selfcheck_diaries/0/course",
            "not a course",
            "selfcheck_diaries[0].course",
        ),
        (
            "/clinic_archives/0/messages/0/kind",
            "postcard",
            "clinic_archives[0].messages[0].kind",
        ),
        (
            "/clinic_archives/0/followup_plans/0/plan_hours",
            "soon",
            "clinic_archives[0].followup_plans[0].plan_hours",
        ),
    ] {
        let mut broken: serde_json::Value = serde_json::from_slice(&text).expect("JSON");
        *broken.pointer_mut(pointer).expect("a member") = value.into();
        match InstallationArchive::parse(&serde_json::to_vec(&broken).expect("JSON")) {
            Err(StoreError::Invalid { path: got, .. }) => assert_eq!(got, path),
            other => panic!("{pointer}: expected a refusal at {path}, got {other:?}"),
        }
    }

    let Some(postgres) = fresh_postgres_url().await else {
        return;
    };
    let target = open(&postgres).await;
    target.import_installation(&read).await.expect("import");
    assert_eq!(
        target.export_installation().await.expect("export again"),
        archive,
        "PostgreSQL holds exactly what SQLite held"
    );
    assert!(
        matches!(
            target.import_installation(&read).await,
            Err(StoreError::Conflict(_))
        ),
        "import refuses a database that is not empty"
    );
    // And back to a fresh SQLite file, one clinic at a time too.
    let (back, back_dir) = fresh_sqlite_url();
    let back = open(&back).await;
    let one = target.export_clinic(&clinic.id).await.expect("a clinic");
    back.import_clinic(
        &ClinicArchive::parse(&serde_json::to_vec(&one).expect("JSON")).expect("read"),
    )
    .await
    .expect("import one clinic");
    assert_eq!(back.export_clinic(&clinic.id).await.expect("export"), one);
    // The follow-up goes on where it was: the plan, its open invitation
    // and its pending reminder are there.
    let followup = back
        .followup(&clinic.id, &clinic.kept.treatment)
        .await
        .expect("follow-up");
    assert!(followup.closed_at.is_none());
    assert_eq!(followup.invitations.len(), 1);
    assert!(
        followup
            .messages
            .iter()
            .any(|m| m.kind == MessageKind::Reminder
                && m.status == aftercare_store::MessageStatus::Queued)
    );
    for store in [source, target, back] {
        store.close().await;
    }
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(back_dir);
}

#[tokio::test]
async fn an_archive_of_format_1_still_imports() {
    let (url, dir) = fresh_sqlite_url();
    let store = open(&url).await;
    let clinic = rich_clinic(&store).await;
    let current = store.export_clinic(&clinic.id).await.expect("export");
    // The same clinic as format 1 wrote it: no follow-up tables, no fields.
    let mut old = serde_json::to_value(&current).expect("JSON");
    let object = old.as_object_mut().expect("an object");
    object.insert("format".to_owned(), 1.into());
    for table in [
        "alert_notices",
        "followup_settings",
        "retention_settings",
        "followup_plans",
        "invitations",
        "messages",
        "delivery_log",
    ] {
        object.remove(table);
    }
    for event in object["audit_events"].as_array_mut().expect("events") {
        event.as_object_mut().expect("an event").remove("fields");
    }
    let archive = ClinicArchive::parse(&serde_json::to_vec(&old).expect("JSON")).expect("format 1");
    assert_eq!(archive.format, 1);
    let (other, other_dir) = fresh_sqlite_url();
    let restored = open(&other).await;
    restored.import_clinic(&archive).await.expect("import");
    let again = restored.export_clinic(&clinic.id).await.expect("export");
    assert_eq!(again.format, aftercare_store::ARCHIVE_FORMAT);
    assert_eq!(again.checkins, current.checkins);
    assert_eq!(again.decisions, current.decisions);
    assert!(again.messages.is_empty() && again.followup_plans.is_empty());
    for store in [store, restored] {
        store.close().await;
    }
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(other_dir);
}

#[tokio::test]
async fn an_erased_client_leaves_nothing_in_any_table_and_others_are_untouched() {
    for (url, store) in backends().await {
        let backend = store.backend();
        let clinic = rich_clinic(&store).await;
        let (erased_checkins, kept_before) = {
            let archive = store.export_clinic(&clinic.id).await.expect("export");
            let erased: Vec<String> = archive
                .checkins
                .iter()
                .filter(|c| c.treatment_id == clinic.erased.treatment.as_str())
                .map(|c| c.id.clone())
                .collect();
            (erased, archive)
        };
        let erased = store
            .erase_client(
                &clinic.id,
                &clinic.erased.client,
                &Actor::Practitioner(clinic.owner.id.clone()),
                TREATED_AT + 22 * HOUR,
            )
            .await
            .expect("erase");
        assert_eq!((erased.clients, erased.treatments), (1, 1), "{erased:?}");
        assert_eq!(erased.checkins, 2);
        assert!(
            erased.messages >= 2 && erased.delivery_log >= 2,
            "{erased:?}"
        );
        assert!(erased.audit_events_redacted >= 4, "{erased:?}");

        let mut traces = vec![
            clinic.erased.client.as_str().to_owned(),
            clinic.erased.treatment.as_str().to_owned(),
            clinic.erased.link.hash(),
            ERASED_NAME.to_owned(),
            ERASED_EMAIL.to_owned(),
            ERASED_PHONE.to_owned(),
            ERASED_NOTE.to_owned(),
            ERASED_TREATMENT_NOTE.to_owned(),
        ];
        traces.extend(erased_checkins);
        for (place, value) in every_text(&url, backend).await {
            for trace in &traces {
                assert!(
                    !value.contains(trace.as_str()),
                    "{backend:?}: {place} still holds `{trace}`: {value}"
                );
            }
        }

        // The other client is as they were, row for row.
        let after = store.export_clinic(&clinic.id).await.expect("export");
        let kept = clinic.kept.treatment.as_str();
        assert_eq!(
            after
                .checkins
                .iter()
                .filter(|c| c.treatment_id == kept)
                .collect::<Vec<_>>(),
            kept_before
                .checkins
                .iter()
                .filter(|c| c.treatment_id == kept)
                .collect::<Vec<_>>()
        );
        assert_eq!(after.clients.len(), 1);
        assert_eq!(after.clients[0].id, clinic.kept.client.as_str());
        for (what, before, now) in [
            (
                "decisions",
                kept_before.decisions.len() - 2,
                after.decisions.len(),
            ),
            ("alerts", kept_before.alerts.len() - 1, after.alerts.len()),
            ("plans", 1, after.followup_plans.len()),
            ("invitations", 1, after.invitations.len()),
        ] {
            assert_eq!(before, now, "{backend:?}: the other client's {what}");
        }
        assert!(
            store
                .course_by_link(&clinic.kept.link.hash(), TREATED_AT + 22 * HOUR)
                .await
                .is_ok(),
            "the other client's link works"
        );
        assert!(matches!(
            store
                .course_by_link(&clinic.erased.link.hash(), TREATED_AT + 22 * HOUR)
                .await,
            Err(StoreError::NotFound(_))
        ));
        // The audit trail says an erasure happened, by whom and when.
        let audit = store
            .list_audit(
                &clinic.id,
                &PageRequest {
                    limit: Some(200),
                    after: None,
                },
            )
            .await
            .expect("audit");
        let erasure = audit
            .items
            .iter()
            .find(|event| event.action == "client.erase")
            .expect("an erasure event");
        assert_eq!(
            erasure.actor,
            format!("practitioner:{}", clinic.owner.id),
            "{backend:?}"
        );
        assert_eq!(erasure.at, TREATED_AT + 22 * HOUR);
        assert_eq!(erasure.subject, "client:erased");
        // Erasing again finds nothing.
        assert!(matches!(
            store
                .erase_client(
                    &clinic.id,
                    &clinic.erased.client,
                    &Actor::System,
                    TREATED_AT + 23 * HOUR
                )
                .await,
            Err(StoreError::NotFound("client"))
        ));
        store.close().await;
    }
}

#[tokio::test]
async fn a_corrected_treatment_is_triaged_again_and_keeps_its_earlier_decisions() {
    for (_, store) in backends().await {
        let clinic = rich_clinic(&store).await;
        let actor = Actor::Practitioner(clinic.owner.id.clone());
        let treatment = &clinic.kept.treatment;
        let before = store
            .course_to_correct(&clinic.id, treatment)
            .await
            .expect("the course");
        assert_eq!(before.decisions.len(), 2);
        let last = before.checkins.last().expect("a check-in");
        let correction = TreatmentCorrection {
            details: details("sports"),
            notes: None,
            fields: vec!["modality", "notes"],
            checkins_seen: 2,
            retriage: Some(Retriage {
                checkin_id: last.id.clone(),
                level: Level::Urgent,
                body: r#"{"level":"urgent"}"#.to_owned(),
                guideline_id: "post-treatment".to_owned(),
                guideline_version: "test".to_owned(),
                alert: Some(Level::Urgent),
            }),
        };
        // A correction made on a course that has moved on is refused and
        // changes nothing.
        let stale = TreatmentCorrection {
            checkins_seen: 1,
            ..correction.clone()
        };
        assert!(matches!(
            store
                .correct_treatment(
                    &clinic.id,
                    treatment,
                    &actor,
                    &stale,
                    TREATED_AT + 22 * HOUR
                )
                .await,
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(
            store
                .course_to_correct(&clinic.id, treatment)
                .await
                .expect("the course"),
            before
        );
        let alerts_before = store
            .count_open_alerts(&clinic.id)
            .await
            .expect("open alerts");
        let corrected = store
            .correct_treatment(
                &clinic.id,
                treatment,
                &actor,
                &correction,
                TREATED_AT + 22 * HOUR,
            )
            .await
            .expect("corrected");
        assert_eq!(corrected.details, details("sports"));
        assert_eq!(corrected.notes, None);
        let after = store
            .course_to_correct(&clinic.id, treatment)
            .await
            .expect("the course");
        assert_eq!(after.decisions.len(), 3);
        assert_eq!(
            &after.decisions[..2],
            &before.decisions[..],
            "kept as they were"
        );
        assert_eq!(after.decisions[2].checkin_id, last.id);
        assert_eq!(after.decisions[2].guideline_version, "test");
        assert_eq!(
            store.count_open_alerts(&clinic.id).await.expect("alerts"),
            alerts_before + 1
        );
        // Another clinic cannot correct it.
        let (other, other_owner) = store
            .create_clinic_with_owner("Other", "owner@other.example", "O", TREATED_AT)
            .await
            .expect("another clinic");
        assert!(matches!(
            store
                .correct_treatment(
                    &other.id,
                    treatment,
                    &Actor::Practitioner(other_owner.id),
                    &correction,
                    TREATED_AT + 23 * HOUR
                )
                .await,
            Err(StoreError::NotFound("treatment"))
        ));
        // A replay of the first check-in answers with the decision made then.
        let replay = store
            .submit_checkin(
                &clinic.kept.link.hash(),
                Some("first"),
                checkin(3, r#"[{"kind":"soreness","severity":"mild"}]"#, None),
                &Guideline::shipped(),
                TREATED_AT + 23 * HOUR,
            )
            .await
            .expect("a replay");
        assert!(replay.replayed);
        assert_eq!(replay.decision, before.decisions[0]);
        let audit = store
            .list_audit(
                &clinic.id,
                &PageRequest {
                    limit: Some(200),
                    after: None,
                },
            )
            .await
            .expect("audit");
        let event = audit
            .items
            .iter()
            .rev()
            .find(|event| event.action == "treatment.correct")
            .expect("a correction event");
        assert_eq!(event.fields, vec!["modality", "notes"]);
        assert_eq!(event.subject, format!("treatment:{treatment}"));
        store.close().await;
    }
}

#[tokio::test]
async fn closed_courses_are_erased_after_the_clinics_retention_period() {
    for (_, store) in backends().await {
        let clinic = rich_clinic(&store).await;
        let actor = Actor::Practitioner(clinic.owner.id.clone());
        store
            .put_retention_settings(
                &clinic.id,
                &actor,
                RetentionSettings { keep_days: 400 },
                TREATED_AT,
            )
            .await
            .expect("retention");
        // A later course of the kept client, still within the period.
        store
            .create_treatment(
                &clinic.id,
                &actor,
                NewTreatment {
                    client_id: clinic.kept.client.clone(),
                    practitioner_id: clinic.owner.id.clone(),
                    details: details("swedish"),
                    notes: None,
                    link_hash: Secret::generate("acl_").hash(),
                    link_expires_at: TREATED_AT + 200 * DAY,
                },
                TREATED_AT + 170 * DAY,
            )
            .await
            .expect("a later treatment");
        let expiry = TREATED_AT + 30 * DAY;
        assert!(
            store
                .courses_past_retention(expiry + 399 * DAY, 100)
                .await
                .expect("none yet")
                .is_empty()
        );
        let due = store
            .courses_past_retention(expiry + 400 * DAY, 100)
            .await
            .expect("two due");
        assert_eq!(due.len(), 2);
        let treatments: Vec<TreatmentId> = due.iter().map(|c| c.treatment_id.clone()).collect();
        let erased = store
            .erase_courses(&clinic.id, &treatments, expiry + 400 * DAY)
            .await
            .expect("erased");
        assert_eq!(erased.treatments, 2);
        assert_eq!(
            erased.clients, 1,
            "the client left with no course: {erased:?}"
        );
        let archive = store.export_clinic(&clinic.id).await.expect("export");
        assert_eq!(archive.treatments.len(), 1, "the later course is kept");
        assert_eq!(archive.clients.len(), 1);
        assert_eq!(archive.clients[0].id, clinic.kept.client.as_str());
        assert!(
            archive
                .audit_events
                .iter()
                .any(|event| event.action == "retention.erase" && event.actor == "system")
        );
        store.close().await;
    }
}

#[tokio::test]
async fn a_clients_record_holds_every_course_with_its_follow_up() {
    for (_, store) in backends().await {
        let clinic = rich_clinic(&store).await;
        let actor = Actor::Practitioner(clinic.owner.id.clone());
        let record = store
            .client_record(
                &clinic.id,
                &clinic.erased.client,
                &actor,
                TREATED_AT + 22 * HOUR,
            )
            .await
            .expect("the record");
        assert_eq!(record.client.name, ERASED_NAME);
        assert_eq!(record.courses.len(), 1);
        let course = &record.courses[0];
        assert_eq!(course.course.checkins.len(), 2);
        assert_eq!(course.alerts.len(), 1);
        assert!(!course.followup.messages.is_empty());
        let text = serde_json::to_string(&record).expect("JSON");
        assert!(text.contains(ERASED_NOTE));
        assert!(!text.contains("Kept Client"), "only this client's record");
        let (other, _) = store
            .create_clinic_with_owner("Other", "owner@other.example", "O", TREATED_AT)
            .await
            .expect("another clinic");
        assert!(matches!(
            store
                .client_record(&other.id, &clinic.erased.client, &actor, TREATED_AT)
                .await,
            Err(StoreError::NotFound("client"))
        ));
        store.close().await;
    }
}
