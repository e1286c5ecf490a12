//! The backend-conformance story: one scenario, every store operation,
//! run on a fresh SQLite file and on a fresh PostgreSQL database. With SQL
//! shared between backends, this is what keeps both honest.

#![allow(clippy::too_many_lines)]

use aftercare_core::{Checkin, Guideline, Level, Treatment};
use aftercare_store::secret::Secret;
use aftercare_store::testing::{fresh_postgres_url, fresh_sqlite_url};
use aftercare_store::{
    Actor, Backend, ClientId, NewClient, NewTreatment, PageRequest, Role, Store, StoreError,
    StoreOptions, TreatmentId,
};

const HOUR: i64 = 3_600_000;
/// 2026-11-20T15:00:00Z, the treatment time in these tests.
const TREATED_AT: i64 = 1_795_186_800_000;

async fn open(url: &str) -> Store {
    Store::open(url, &StoreOptions::default())
        .await
        .unwrap_or_else(|error| panic!("open {url}: {error}"))
}

fn treatment_details() -> Treatment {
    serde_json::from_str(
        r#"{"at":"2026-11-20T15:00:00Z","modality":"deep_tissue","pressure":"firm","duration_min":60,"regions":["calves"]}"#,
    )
    .expect("treatment")
}

fn checkin(json: &str) -> Checkin {
    serde_json::from_str(json).expect("check-in")
}

fn twitching_next_day() -> Checkin {
    checkin(
        r#"{"at":"2026-11-21T09:00:00Z","symptoms":[{"kind":"twitching","severity":"mild","regions":["calves"]}]}"#,
    )
}

fn chest_pain_day_two() -> Checkin {
    checkin(r#"{"at":"2026-11-22T09:00:00Z","symptoms":[{"kind":"chest_pain"}]}"#)
}

/// Runs the story on one backend; returns the store and clinic A's id for
/// the archive test.
async fn story(store: &Store) -> aftercare_store::ClinicId {
    let guideline = Guideline::shipped();
    let now = TREATED_AT;
    store.ping().await.expect("ping");
    store.migrate().await.expect("migrating twice is a no-op");

    // Clinics, owners, practitioners.
    let (clinic_a, owner_a) = store
        .create_clinic_with_owner("Clinic A", "Owner@A.example", "Ana", now)
        .await
        .expect("clinic A");
    assert_eq!(
        owner_a.email, "owner@a.example",
        "emails are kept lowercase"
    );
    assert_eq!(owner_a.role, Role::Owner);
    let (clinic_b, owner_b) = store
        .create_clinic_with_owner("Clinic B", "owner@b.example", "Bo", now)
        .await
        .expect("clinic B");
    let therapist_a = store
        .create_practitioner(
            &clinic_a.id,
            &Actor::Practitioner(owner_a.id.clone()),
            "tess@a.example",
            "Tess",
            Role::Therapist,
            now,
        )
        .await
        .expect("therapist");
    let duplicate = store
        .create_practitioner(
            &clinic_b.id,
            &Actor::System,
            "TESS@a.example",
            "Other",
            Role::Therapist,
            now,
        )
        .await;
    assert!(
        matches!(duplicate, Err(StoreError::Conflict(_))),
        "{duplicate:?}"
    );
    let listed = store
        .list_practitioners(&clinic_a.id, &PageRequest::default())
        .await
        .expect("list");
    assert_eq!(listed.items.len(), 2);
    assert!(
        store
            .practitioner(&clinic_b.id, &therapist_a.id)
            .await
            .is_err(),
        "B cannot read A's practitioner"
    );
    store
        .set_password_hash(&clinic_a.id, &owner_a.id, "$argon2id$test")
        .await
        .expect("password");
    let (found, hash) = store
        .practitioner_by_email("OWNER@a.example")
        .await
        .expect("by email")
        .expect("found");
    assert_eq!(found.id, owner_a.id);
    assert_eq!(hash.as_deref(), Some("$argon2id$test"));

    // API tokens: only hashes stored, revocable, scoped.
    let secret = Secret::generate("act_");
    let token = store
        .create_api_token(&clinic_a.id, &owner_a.id, "laptop", &secret.hash(), now)
        .await
        .expect("token");
    let principal = store
        .authenticate_token(&secret.hash())
        .await
        .expect("auth")
        .expect("valid token");
    assert_eq!(principal.clinic_id, clinic_a.id);
    assert_eq!(principal.role, Role::Owner);
    assert!(
        store
            .authenticate_token(&Secret::generate("act_").hash())
            .await
            .expect("auth")
            .is_none()
    );
    assert!(
        store
            .create_api_token(&clinic_b.id, &owner_a.id, "sneaky", "h", now)
            .await
            .is_err(),
        "a token for another clinic's practitioner is refused"
    );
    assert!(
        store
            .revoke_api_token(
                &clinic_b.id,
                &token.id,
                None,
                &Actor::Practitioner(owner_b.id.clone()),
                now
            )
            .await
            .is_err(),
        "B cannot revoke A's token"
    );
    assert!(
        store
            .revoke_api_token(
                &clinic_a.id,
                &token.id,
                Some(&therapist_a.id),
                &Actor::Practitioner(therapist_a.id.clone()),
                now
            )
            .await
            .is_err(),
        "a therapist cannot revoke the owner's token"
    );
    store
        .revoke_api_token(
            &clinic_a.id,
            &token.id,
            None,
            &Actor::Practitioner(owner_a.id.clone()),
            now,
        )
        .await
        .expect("revoke");
    assert!(
        store
            .authenticate_token(&secret.hash())
            .await
            .expect("auth")
            .is_none(),
        "revoked"
    );
    let tokens = store
        .list_api_tokens(&clinic_a.id, &owner_a.id)
        .await
        .expect("tokens");
    assert_eq!(tokens.len(), 1);
    assert!(tokens[0].revoked_at.is_some());

    // Clients, with pagination.
    let actor_a = Actor::Practitioner(owner_a.id.clone());
    let mut clients = Vec::new();
    for name in ["Cara", "Dev", "Eli"] {
        let client = store
            .create_client(
                &clinic_a.id,
                &actor_a,
                NewClient {
                    name: name.to_owned(),
                    email: Some(format!("{name}@mail.example")),
                    phone: None,
                    consent_at: Some(now),
                },
                now,
            )
            .await
            .expect("client");
        clients.push(client);
    }
    let first = store
        .list_clients(
            &clinic_a.id,
            &PageRequest {
                limit: Some(2),
                after: None,
            },
        )
        .await
        .expect("page 1");
    assert_eq!(first.items.len(), 2);
    let second = store
        .list_clients(
            &clinic_a.id,
            &PageRequest {
                limit: Some(2),
                after: first.next.clone(),
            },
        )
        .await
        .expect("page 2");
    assert_eq!(second.items.len(), 1);
    assert!(second.next.is_none());
    assert_eq!(second.items[0].name, "Eli");
    assert!(
        store
            .list_clients(&clinic_b.id, &PageRequest::default())
            .await
            .expect("B's")
            .items
            .is_empty()
    );
    assert!(matches!(
        store.client(&clinic_b.id, &clients[0].id).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(
        store
            .client(&clinic_a.id, &clients[0].id)
            .await
            .expect("own client")
            .name,
        "Cara"
    );

    // Treatments: only for the clinic's own clients and practitioners.
    let link = Secret::generate("acl_");
    let new_treatment = |client_id: ClientId, link_hash: String| NewTreatment {
        client_id,
        practitioner_id: therapist_a.id.clone(),
        details: treatment_details(),
        notes: Some("tight calves".to_owned()),
        link_hash,
        link_expires_at: TREATED_AT + 30 * 24 * HOUR,
    };
    let refused = store
        .create_treatment(
            &clinic_b.id,
            &Actor::Practitioner(owner_b.id.clone()),
            new_treatment(clients[0].id.clone(), "x".to_owned()),
            now,
        )
        .await;
    assert!(
        matches!(refused, Err(StoreError::NotFound("client"))),
        "{refused:?}"
    );
    let treatment = store
        .create_treatment(
            &clinic_a.id,
            &actor_a,
            new_treatment(clients[0].id.clone(), link.hash()),
            now,
        )
        .await
        .expect("treatment");
    assert_eq!(
        store
            .treatment(&clinic_a.id, &treatment.id)
            .await
            .expect("read")
            .details,
        treatment_details()
    );
    assert!(store.treatment(&clinic_b.id, &treatment.id).await.is_err());
    let by_client = store
        .list_treatments(&clinic_a.id, Some(&clients[0].id), &PageRequest::default())
        .await
        .expect("list");
    assert_eq!(by_client.items.len(), 1);
    assert!(
        store
            .list_treatments(&clinic_a.id, Some(&clients[1].id), &PageRequest::default())
            .await
            .expect("list")
            .items
            .is_empty()
    );

    // Check-ins through the link: triaged, committed with the decision.
    let later = now + 18 * HOUR;
    let first_submit = store
        .submit_checkin(
            &link.hash(),
            Some("key-1"),
            twitching_next_day(),
            &guideline,
            later,
        )
        .await
        .expect("submit");
    assert!(!first_submit.replayed);
    assert_eq!(first_submit.checkin.seq, 0);
    assert_eq!(first_submit.decision.level, Level::Expected);
    assert!(first_submit.alert.is_none());
    let replay = store
        .submit_checkin(
            &link.hash(),
            Some("key-1"),
            twitching_next_day(),
            &guideline,
            later + 1,
        )
        .await
        .expect("replay");
    assert!(replay.replayed);
    assert_eq!(replay.checkin.id, first_submit.checkin.id);
    assert_eq!(replay.decision.body.get(), first_submit.decision.body.get());
    let reused = store
        .submit_checkin(
            &link.hash(),
            Some("key-1"),
            chest_pain_day_two(),
            &guideline,
            later,
        )
        .await;
    assert!(matches!(reused, Err(StoreError::Conflict(_))), "{reused:?}");
    let out_of_order = store
        .submit_checkin(
            &link.hash(),
            None,
            checkin(r#"{"at":"2026-11-20T16:00:00Z","symptoms":[]}"#),
            &guideline,
            later,
        )
        .await;
    assert!(
        matches!(out_of_order, Err(StoreError::Invalid { ref path, .. }) if path == "at"),
        "{out_of_order:?}"
    );
    let emergency = store
        .submit_checkin(
            &link.hash(),
            Some("key-2"),
            chest_pain_day_two(),
            &guideline,
            later + 24 * HOUR,
        )
        .await
        .expect("emergency");
    assert_eq!(emergency.decision.level, Level::Emergency);
    assert_eq!(emergency.checkin.seq, 1);
    let alert = emergency
        .alert
        .clone()
        .expect("an emergency raises an alert");
    assert_eq!(
        alert.practitioner_id, therapist_a.id,
        "the treating therapist is told"
    );
    assert!(matches!(
        store
            .submit_checkin(
                "no-such-link",
                None,
                twitching_next_day(),
                &guideline,
                later
            )
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store
            .submit_checkin(
                &link.hash(),
                None,
                twitching_next_day(),
                &guideline,
                TREATED_AT + 31 * 24 * HOUR
            )
            .await,
        Err(StoreError::LinkExpired)
    ));

    // The course, and its stored decisions re-derive byte for byte.
    let course = store
        .course(&clinic_a.id, &treatment.id, &actor_a, later)
        .await
        .expect("course");
    assert_eq!(course.checkins.len(), 2, "the replay stored nothing");
    assert_eq!(course.decisions.len(), 2);
    let rederived = aftercare_core::triage(&guideline, &course.course());
    assert_eq!(rederived.to_json(), course.decisions[1].body.get());
    assert!(
        store
            .course(&clinic_b.id, &treatment.id, &Actor::System, later)
            .await
            .is_err()
    );
    let by_link = store
        .course_by_link(&link.hash(), later)
        .await
        .expect("by link");
    assert_eq!(by_link.checkins.len(), 2);
    assert!(matches!(
        store
            .course_by_link(&link.hash(), TREATED_AT + 40 * 24 * HOUR)
            .await,
        Err(StoreError::LinkExpired)
    ));
    assert!(matches!(
        store.course_by_link("nope", later).await,
        Err(StoreError::NotFound(_))
    ));

    // Concurrent submissions to one course each get their own position.
    let second_link = Secret::generate("acl_");
    store
        .create_treatment(
            &clinic_a.id,
            &actor_a,
            new_treatment(clients[1].id.clone(), second_link.hash()),
            now,
        )
        .await
        .expect("second treatment");
    let mut tasks = Vec::new();
    for n in 0..8 {
        let store = store.clone();
        let guideline = guideline.clone();
        let hash = second_link.hash();
        tasks.push(tokio::spawn(async move {
            let body = checkin(r#"{"at":"2026-11-21T09:00:00Z","symptoms":[{"kind":"headache","severity":"mild"}]}"#);
            store.submit_checkin(&hash, Some(&format!("k{n}")), body, &guideline, later).await
        }));
    }
    let mut seqs = Vec::new();
    for task in tasks {
        seqs.push(
            task.await
                .expect("task")
                .expect("concurrent submit")
                .checkin
                .seq,
        );
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (0..8).collect::<Vec<_>>());

    // Alerts: most serious first; acknowledging closes them; scoped.
    let open = store
        .list_alerts(&clinic_a.id, true, &PageRequest::default())
        .await
        .expect("alerts");
    assert_eq!(open.items.len(), 1);
    assert_eq!(open.items[0].level, Level::Emergency);
    assert!(
        store
            .list_alerts(&clinic_b.id, true, &PageRequest::default())
            .await
            .expect("B")
            .items
            .is_empty()
    );
    assert!(
        store
            .acknowledge_alert(&clinic_b.id, &alert.id, &owner_b.id, later)
            .await
            .is_err()
    );
    let acknowledged = store
        .acknowledge_alert(&clinic_a.id, &alert.id, &therapist_a.id, later + HOUR)
        .await
        .expect("ack");
    assert_eq!(acknowledged.acknowledged_by.as_ref(), Some(&therapist_a.id));
    let again = store
        .acknowledge_alert(&clinic_a.id, &alert.id, &owner_a.id, later + 2 * HOUR)
        .await
        .expect("ack twice");
    assert_eq!(
        again.acknowledged_at,
        Some(later + HOUR),
        "the first acknowledgement stays"
    );
    assert!(
        store
            .list_alerts(&clinic_a.id, true, &PageRequest::default())
            .await
            .expect("open")
            .items
            .is_empty()
    );
    assert_eq!(
        store
            .list_alerts(&clinic_a.id, false, &PageRequest::default())
            .await
            .expect("all")
            .items
            .len(),
        1
    );

    // The audit trail saw reads and writes, and only the clinic's own.
    let audit = store
        .list_audit(
            &clinic_a.id,
            &PageRequest {
                limit: Some(200),
                after: None,
            },
        )
        .await
        .expect("audit");
    let actions: Vec<&str> = audit.items.iter().map(|e| e.action.as_str()).collect();
    for expected in [
        "clinic.create",
        "client.create",
        "treatment.create",
        "checkin.create",
        "course.read",
        "alert.acknowledge",
        "token.revoke",
    ] {
        assert!(actions.contains(&expected), "no {expected} in {actions:?}");
    }
    assert!(
        audit
            .items
            .iter()
            .all(|e| e.clinic_id.as_ref() == Some(&clinic_a.id))
    );

    assert!(matches!(
        store
            .treatment(&clinic_a.id, &TreatmentId::generate())
            .await,
        Err(StoreError::NotFound(_))
    ));
    clinic_a.id
}

#[tokio::test]
async fn the_story_holds_on_sqlite() {
    let (url, dir) = fresh_sqlite_url();
    let store = open(&url).await;
    assert_eq!(store.backend(), Backend::Sqlite);
    story(&store).await;
    store.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn the_story_holds_on_postgres() {
    let Some(url) = fresh_postgres_url().await else {
        return;
    };
    let store = open(&url).await;
    assert_eq!(store.backend(), Backend::Postgres);
    story(&store).await;
    store.close().await;
}

#[tokio::test]
async fn export_then_import_on_the_other_backend_gives_the_same_data() {
    let Some(postgres_url) = fresh_postgres_url().await else {
        return;
    };
    let (sqlite_url, dir) = fresh_sqlite_url();
    let sqlite = open(&sqlite_url).await;
    let clinic = story(&sqlite).await;
    let archive = sqlite
        .export_clinic(&clinic)
        .await
        .expect("export from SQLite");
    assert!(!archive.checkins.is_empty() && !archive.audit_events.is_empty());

    let postgres = open(&postgres_url).await;
    postgres
        .import_clinic(&archive)
        .await
        .expect("import into PostgreSQL");
    let round_trip = postgres
        .export_clinic(&clinic)
        .await
        .expect("export from PostgreSQL");
    assert_eq!(round_trip, archive);
    assert!(
        matches!(
            postgres.import_clinic(&archive).await,
            Err(StoreError::Conflict(_))
        ),
        "import needs an empty database"
    );

    // And back again into a fresh SQLite file.
    let (second_url, second_dir) = fresh_sqlite_url();
    let second = open(&second_url).await;
    second
        .import_clinic(&round_trip)
        .await
        .expect("import into SQLite");
    assert_eq!(
        second.export_clinic(&clinic).await.expect("export"),
        archive
    );
    // The restored data works: a restored link still opens its course.
    let course = second
        .course(
            &clinic,
            &TreatmentId::parse(&archive.treatments[0].id).expect("id"),
            &Actor::System,
            TREATED_AT,
        )
        .await
        .expect("course after restore");
    assert!(!course.checkins.is_empty());
    for store in [sqlite, postgres, second] {
        store.close().await;
    }
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(second_dir);
}

#[tokio::test]
async fn a_sqlite_backup_is_a_consistent_copy() {
    let (url, dir) = fresh_sqlite_url();
    let store = open(&url).await;
    let clinic = story(&store).await;
    let backup = dir.join("backup.db");
    store.backup_to(&backup).await.expect("backup");
    assert!(
        store.backup_to(&backup).await.is_err(),
        "an existing file is not overwritten"
    );
    let copy = open(&format!("sqlite://{}", backup.display())).await;
    assert_eq!(
        copy.export_clinic(&clinic).await.expect("copy"),
        store.export_clinic(&clinic).await.expect("original")
    );
    copy.close().await;
    store.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn an_unknown_url_scheme_fails_loudly() {
    let error = Store::open("mysql://localhost/x", &StoreOptions::default())
        .await
        .expect_err("refused");
    assert!(error.to_string().contains("mysql"), "{error}");
}

/// Expired diaries, sessions, setup links, check-in drafts and old failed
/// sign-ins go; live ones stay.
async fn sweeping_removes_only_what_has_expired(store: &Store) {
    let now: i64 = 1_800_000_000_000;
    let hour = 60 * 60 * 1000;
    let course =
        r#"{"treatment":{"at":"2026-11-20T10:00:00Z","modality":"swedish"},"checkins":[]}"#;
    store
        .create_diary("expired-diary", course, now - 40 * 24 * hour, now - hour)
        .await
        .expect("expired diary");
    store
        .create_diary("live-diary", course, now, now + hour)
        .await
        .expect("live diary");
    store
        .create_setup_link("expired-setup", now - 2 * hour, now - hour)
        .await
        .expect("expired setup link");
    store
        .create_setup_link("open-setup", now, now + hour)
        .await
        .expect("open setup link");
    store
        .record_attempts(&["old-subject"], now - 2 * 24 * hour)
        .await
        .expect("old failure");
    store
        .record_attempts(&["recent-subject"], now - 60_000)
        .await
        .expect("recent failure");
    for (key, ends) in [("expired-draft", now - hour), ("open-draft", now + hour)] {
        store
            .save_checkin_draft(
                key,
                aftercare_store::DraftKind::SelfCheck,
                "symptom=headache",
                now - 2 * hour,
                ends,
            )
            .await
            .expect("a draft");
    }

    let swept = store
        .sweep_expired(now, now - 24 * hour)
        .await
        .expect("sweep");
    assert_eq!(
        swept,
        aftercare_store::Swept {
            diaries: 1,
            sessions: 0,
            setup_links: 1,
            login_failures: 1,
            drafts: 1,
            password_resets: 0,
        }
    );
    assert!(matches!(
        store.diary("expired-diary", now - 2 * hour).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(
        store
            .diary("live-diary", now)
            .await
            .expect("live diary kept"),
        course
    );
    assert!(
        store
            .setup_link_is_open("open-setup", now)
            .await
            .expect("read")
    );
    assert_eq!(
        store
            .attempts_since("recent-subject", now - hour)
            .await
            .expect("read")
            .0,
        1
    );
    assert_eq!(
        store
            .attempts_since("old-subject", 0)
            .await
            .expect("read")
            .0,
        0
    );
    assert!(
        store
            .checkin_draft("open-draft", now)
            .await
            .expect("read")
            .is_some(),
        "a draft still open stays"
    );
    // A second sweep finds nothing more.
    assert_eq!(
        store
            .sweep_expired(now, now - 24 * hour)
            .await
            .expect("sweep"),
        aftercare_store::Swept::default()
    );
}

#[tokio::test]
async fn sweeping_expired_records_on_sqlite() {
    let (url, dir) = fresh_sqlite_url();
    let store = open(&url).await;
    sweeping_removes_only_what_has_expired(&store).await;
    store.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn sweeping_expired_records_on_postgres() {
    let Some(url) = fresh_postgres_url().await else {
        return;
    };
    let store = open(&url).await;
    sweeping_removes_only_what_has_expired(&store).await;
    store.close().await;
}
