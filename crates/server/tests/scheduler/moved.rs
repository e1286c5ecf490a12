//! A clinic moved whole to the other database (SQLite to PostgreSQL and
//! back) goes on following its clients up: a reminder that was due when
//! it moved is sent once, from the new database, and later invitations
//! follow. And closed courses are erased once their clinic's retention
//! period has passed.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use aftercare_core::Guideline;
use aftercare_server::{
    AppState, Clock, Delivery, Scheduler, SchedulerOptions, ServerSettings, WebhookAllow,
};
use aftercare_store::testing::{fresh_postgres_url, fresh_sqlite_url};
use aftercare_store::{Actor, FollowupSettings, MessageKind, RetentionSettings, Store, StoreError};

use crate::support::{WebhookReceiver, World, on_every_backend, open, webhook_settings};

/// A scheduler over `store`, on the world's clock, sending as the world's does.
fn scheduler_over(store: &Store, world: &World) -> Scheduler {
    let settings = ServerSettings {
        public_url: "https://aftercare.example".to_owned(),
        webhook_allow: WebhookAllow::parse(&["127.0.0.1"]).expect("an allow list"),
        ..ServerSettings::default()
    };
    let delivery =
        Delivery::new(settings.smtp.as_ref(), &settings.webhook_allow).expect("delivery");
    let clock = Arc::clone(&world.clock);
    let state = AppState::new(store.clone(), Guideline::shipped(), settings)
        .with_clock(Clock::from_fn(move || clock.load(Ordering::SeqCst)));
    Scheduler::new(state, delivery, SchedulerOptions::default())
}

/// Follows a client up on `from` until a reminder is due, moves the whole
/// installation to `to`, and follows up from there.
async fn move_while_a_reminder_is_due(from: &str, to: &str) {
    let world = World::new(open(from).await, FollowupSettings::default(), None).await;
    let receiver = WebhookReceiver::start(Arc::clone(&world.clock), Some(0)).await;
    let owner = Actor::Practitioner(world.owner.id.clone());
    world
        .store
        .put_followup_settings(
            &world.clinic,
            &owner,
            &FollowupSettings {
                escalation_minutes: Some(120),
                ..webhook_settings(&receiver.url)
            },
            world.now(),
        )
        .await
        .expect("settings");
    world
        .store
        .put_retention_settings(
            &world.clinic,
            &owner,
            RetentionSettings { keep_days: 3650 },
            world.now(),
        )
        .await
        .expect("retention");
    // The invitation goes out at 6 h; its reminder is due at 10 h, and the
    // clinic moves five minutes after, before any pass sends it.
    world.pass().await;
    world.at(6, 0);
    world.pass().await;
    assert_eq!(receiver.accepted().len(), 1, "the invitation");
    world.at(10, 5);
    let archive = world.store.export_installation().await.expect("export");
    let clinic = &archive.clinic_archives[0];
    let reminder = clinic
        .messages
        .iter()
        .find(|m| m.kind == "reminder" && m.status == "queued")
        .expect("a pending reminder in the archive");
    assert!(reminder.due_at <= world.now(), "it is due");
    assert!(!clinic.followup_settings.is_empty() && !clinic.followup_plans.is_empty());
    assert!(clinic.invitations.iter().any(|i| i.state == "open"));
    world.store.close().await;

    let target = open(to).await;
    let read =
        aftercare_store::InstallationArchive::parse(&serde_json::to_vec(&archive).expect("JSON"))
            .expect("the archive reads back");
    target.import_installation(&read).await.expect("import");
    assert_eq!(
        target.export_installation().await.expect("export again"),
        archive,
        "the new database holds exactly what the old one did"
    );

    let scheduler = scheduler_over(&target, &world);
    for minutes in [5, 6, 30, 60 + 5] {
        world.at(10, minutes);
        scheduler
            .run_once()
            .await
            .expect("a pass on the new database");
    }
    let reminders: Vec<_> = receiver
        .accepted()
        .into_iter()
        .filter(|d| d.body["kind"] == "reminder")
        .collect();
    assert_eq!(reminders.len(), 1, "sent once: {reminders:?}");
    assert_eq!(
        reminders[0].message_id, reminder.id,
        "the very message that was due"
    );
    assert_eq!(reminders[0].hour, 10);

    // Follow-up goes on from the new database: the invitation lapses at
    // 30 h and the next planned one goes out at 72 h.
    for hour in 11..=73 {
        world.at(hour, 0);
        scheduler.run_once().await.expect("a pass");
    }
    let sent: Vec<(i64, String)> = receiver
        .accepted()
        .iter()
        .map(|d| {
            (
                d.hour,
                d.body["kind"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        sent,
        [(6, "invitation"), (10, "reminder"), (72, "invitation")]
            .map(|(hour, kind)| (hour, kind.to_owned())),
        "each message once, in order"
    );
    let messages = target
        .list_messages(
            &world.clinic,
            None,
            &aftercare_store::PageRequest::default(),
        )
        .await
        .expect("messages");
    assert!(
        messages
            .items
            .iter()
            .filter(|m| m.kind == MessageKind::Reminder)
            .all(|m| m.attempts <= 1),
        "no message was tried twice"
    );
    target.close().await;
}

#[tokio::test]
async fn a_clinic_moved_to_the_other_database_sends_its_due_reminder_exactly_once() {
    let (sqlite, dir) = fresh_sqlite_url();
    let Some(postgres) = fresh_postgres_url().await else {
        return;
    };
    eprintln!("from sqlite to postgres");
    move_while_a_reminder_is_due(&sqlite, &postgres).await;
    let (back, back_dir) = fresh_sqlite_url();
    let Some(postgres) = fresh_postgres_url().await else {
        return;
    };
    eprintln!("from postgres to sqlite");
    move_while_a_reminder_is_due(&postgres, &back).await;
    for dir in [dir, back_dir] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[tokio::test]
async fn the_scheduler_erases_courses_past_the_clinics_retention_period() {
    on_every_backend(async |store| {
        let world = World::new(store, FollowupSettings::default(), None).await;
        world
            .store
            .put_retention_settings(
                &world.clinic,
                &Actor::Practitioner(world.owner.id.clone()),
                RetentionSettings { keep_days: 30 },
                world.now(),
            )
            .await
            .expect("retention");
        world.pass().await;
        // The link works 30 days; the course is kept 30 days after that.
        world.at(60 * 24 - 1, 0);
        world.pass().await;
        world
            .store
            .treatment(&world.clinic, &world.treatment)
            .await
            .expect("kept until the period has passed");
        world.at(60 * 24, 1);
        world.pass().await;
        assert!(matches!(
            world.store.treatment(&world.clinic, &world.treatment).await,
            Err(StoreError::NotFound("treatment"))
        ));
        assert!(matches!(
            world.store.client(&world.clinic, &world.client).await,
            Err(StoreError::NotFound("client"))
        ));
        let archive = world
            .store
            .export_clinic(&world.clinic)
            .await
            .expect("export");
        assert!(archive.treatments.is_empty() && archive.messages.is_empty());
        assert!(archive.followup_plans.is_empty() && archive.invitations.is_empty());
        let event = archive
            .audit_events
            .iter()
            .find(|event| event.action == "retention.erase")
            .expect("the erasure is in the audit trail");
        assert_eq!(event.actor, "system");
        let trail = serde_json::to_string(&archive.audit_events).expect("JSON");
        assert!(!trail.contains(world.treatment.as_str()));
        assert!(!trail.contains(world.client.as_str()));
    })
    .await;
}
