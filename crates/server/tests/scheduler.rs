//! The follow-up scheduler against real parts: a real database (SQLite and
//! PostgreSQL), a real webhook receiver over HTTP on loopback, a real SMTP
//! server process. Time is moved by the test; the scheduler runs pass by
//! pass, as it does in `aftercare serve`.

#![allow(clippy::too_many_lines)]

#[path = "scheduler/moved.rs"]
mod moved;
#[path = "scheduler/support.rs"]
mod support;
#[path = "scheduler/webhook_targets.rs"]
mod webhook_targets;

use aftercare_store::{FollowupSettings, MessageStatus, PageRequest};
use support::{
    HOUR, SmtpServer, WebhookReceiver, World, on_every_backend, wait_for_mail, webhook_settings,
};

/// Words a message must never hold: symptoms and decisions stay behind the link.
const NEVER_IN_MESSAGES: &[&str] = &[
    "fever",
    "soreness",
    "chest",
    "pain",
    "calves",
    "expected",
    "self_care",
    "self care",
    "contact_therapist",
    "see_doctor",
    "doctor",
    "urgent",
    "emergency",
    "deep_tissue",
];

fn assert_nothing_clinical(text: &str) {
    assert!(!text.contains("Cleo"), "a message names the client: {text}");
    let lower = text.to_lowercase();
    for word in NEVER_IN_MESSAGES {
        assert!(
            !lower.contains(&word.to_lowercase()),
            "a message holds `{word}`: {text}"
        );
    }
}

#[tokio::test]
async fn a_ten_day_course_sends_exactly_the_expected_invitations_reminders_and_alerts_in_order() {
    on_every_backend(async |store| {
        let world = World::new(store, FollowupSettings::default(), None).await;
        // The receiver reads the same clock as the scheduler.
        let receiver = WebhookReceiver::start(std::sync::Arc::clone(&world.clock), Some(0)).await;
        let settings = FollowupSettings {
            escalation_minutes: Some(120),
            ..webhook_settings(&receiver.url)
        };
        world
            .store
            .put_followup_settings(
                &world.clinic,
                &aftercare_store::Actor::System,
                &settings,
                world.now(),
            )
            .await
            .expect("settings");

        let latest_link = |receiver: &WebhookReceiver| -> String {
            receiver
                .accepted()
                .iter()
                .rev()
                .find(|d| matches!(d.body["kind"].as_str(), Some("invitation" | "reminder")))
                .and_then(|d| d.body["link"].as_str().map(str::to_owned))
                .expect("a message to the client with a link")
        };

        // Check-ins the client sends, by hour after the treatment.
        for hour in 0..=240 {
            world.at(hour, 0);
            let symptoms = match hour {
                // The evening of the treatment: mild soreness, a normal
                // reaction.
                11 => Some(r#"[{"kind":"soreness","severity":"mild","regions":["calves"]}]"#),
                // A week on (173 h) the soreness is still there: the course
                // stays open. The fever has gone, which closes its red flag
                // (silence would not).
                173 => Some(
                    r#"[{"kind":"soreness","severity":"mild","regions":["calves"]},{"kind":"fever","severity":"none"}]"#,
                ),
                // Day two, unasked: a fever, which needs a doctor.
                50 => Some(r#"[{"kind":"fever"}]"#),
                // The next morning: nothing left.
                192 => Some("[]"),
                _ => None,
            };
            if let Some(symptoms) = symptoms {
                world.check_in(&latest_link(&receiver), symptoms).await;
            }
            world.pass().await;
        }

        let sent: Vec<(i64, String, String)> = receiver
            .accepted()
            .iter()
            .map(|d| {
                (
                    d.hour,
                    d.body["kind"].as_str().unwrap_or_default().to_owned(),
                    d.body["priority"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let expected: Vec<(i64, String, String)> = [
            (6, "invitation"),
            (10, "reminder"),
            // Answered at 11 h; next at 24 h as planned.
            (24, "invitation"),
            (28, "reminder"),
            // Lapsed unanswered at 48 h; the fever at 50 h alerts the therapist,
            // and nobody acknowledges it within two hours.
            (50, "alert"),
            (52, "escalation"),
            (72, "invitation"),
            (76, "reminder"),
            // Unanswered after a decision that needed a doctor.
            (96, "missed_checkin"),
            (168, "invitation"),
            (172, "reminder"),
            // Soreness past a week tells the therapist; the engine asks again
            // in 12 h, at 02:00, which waits for the end of the quiet hours (08:00).
            (173, "alert"),
            (191, "invitation"),
            // At 192 h nothing is left: the course ends, the 195 h reminder
            // is cancelled, and nothing more is sent up to day ten.
        ]
        .into_iter()
        .map(|(hour, kind)| (hour, kind.to_owned(), "normal".to_owned()))
        .collect();
        assert_eq!(sent, expected);

        let all = receiver.all();
        assert_eq!(
            all.len(),
            expected.len(),
            "nothing sent twice, nothing refused"
        );
        for delivered in &all {
            let text = delivered.body.to_string();
            assert_nothing_clinical(&text);
            assert!(
                text.contains("Harbour Massage"),
                "the clinic's name: {text}"
            );
        }
        for delivered in all.iter().filter(|d| d.body["kind"] == "alert") {
            let link = delivered.body["link"].as_str().expect("a link");
            assert_eq!(
                link,
                format!("https://aftercare.example/treatments/{}", world.treatment),
                "alerts link to the course page, not the client's link"
            );
        }

        let followup = world
            .store
            .followup(&world.clinic, &world.treatment)
            .await
            .expect("follow-up");
        assert_eq!(followup.closed_reason.as_deref(), Some("clear"));
        let cancelled: Vec<_> = followup
            .messages
            .iter()
            .filter(|m| m.status == MessageStatus::Cancelled)
            .map(|m| (m.kind.as_str(), (m.due_at - support::TREATED_AT) / HOUR))
            .collect();
        assert_eq!(
            cancelled,
            vec![("invitation", 72), ("reminder", 76), ("reminder", 195)],
            "the invitation answered early by the fever, and the reminder after the last check-in"
        );
        let failed = world
            .store
            .list_messages(
                &world.clinic,
                Some(MessageStatus::Failed),
                &PageRequest::default(),
            )
            .await
            .expect("messages");
        assert!(failed.items.is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_webhook_that_fails_three_times_then_succeeds_gets_the_message_exactly_once() {
    on_every_backend(async |store| {
        let world = World::new(store, FollowupSettings::default(), None).await;
        let receiver = WebhookReceiver::start(std::sync::Arc::clone(&world.clock), Some(3)).await;
        world
            .store
            .put_followup_settings(
                &world.clinic,
                &aftercare_store::Actor::System,
                &webhook_settings(&receiver.url),
                world.now(),
            )
            .await
            .expect("settings");
        world.pass().await;
        world.at(6, 0);
        let first = world.pass().await;
        assert_eq!((first.sent, first.retried), (0, 1));
        // Backoff with jitter: 30 s, 60 s, 120 s (each ±20 %); stepping a
        // few minutes at a time reaches each retry.
        for minutes in [3, 6, 10, 15, 20] {
            world.at(6, minutes);
            world.pass().await;
        }
        let all = receiver.all();
        assert_eq!(all.len(), 4, "three refusals and one success");
        assert!(
            all.iter().all(|d| d.message_id == all[0].message_id),
            "every attempt carries the same message id"
        );
        assert_eq!(receiver.accepted().len(), 1);
        let followup = world
            .store
            .followup(&world.clinic, &world.treatment)
            .await
            .expect("follow-up");
        let invitation = followup
            .messages
            .iter()
            .find(|m| m.kind.as_str() == "invitation")
            .expect("the invitation");
        assert_eq!(invitation.status, MessageStatus::Sent);
        assert_eq!(invitation.attempts, 4);
        let log: Vec<String> = world
            .store
            .delivery_log(&world.clinic, invitation.id.as_str())
            .await
            .expect("log")
            .into_iter()
            .map(|event| event.event)
            .collect();
        assert_eq!(log, ["queued", "retry", "retry", "retry", "sent"]);
    })
    .await;
}

#[tokio::test]
async fn a_webhook_that_always_fails_is_parked_as_failed_and_shown_to_the_clinic() {
    on_every_backend(async |store| {
        let world = World::new(store, FollowupSettings::default(), None).await;
        let receiver = WebhookReceiver::start(std::sync::Arc::clone(&world.clock), None).await;
        world
            .store
            .put_followup_settings(
                &world.clinic,
                &aftercare_store::Actor::System,
                &webhook_settings(&receiver.url),
                world.now(),
            )
            .await
            .expect("settings");
        world.pass().await;
        for minutes in (0..=120).step_by(10) {
            world.at(6, minutes);
            world.pass().await;
        }
        assert_eq!(
            receiver.all().len(),
            usize::try_from(aftercare_server::scheduler::MAX_ATTEMPTS).expect("small"),
            "tried as often as allowed, then no more"
        );

        // The clinic sees it through the API.
        let token = aftercare_store::secret::Secret::generate("act_");
        world
            .store
            .create_api_token(
                &world.clinic,
                &world.owner.id,
                "test",
                &token.hash(),
                world.now(),
            )
            .await
            .expect("token");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let app = aftercare_server::router(world.state.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let page: serde_json::Value = reqwest::Client::new()
            .get(format!("http://{address}/api/v1/deliveries?status=failed"))
            .bearer_auth(token.expose())
            .send()
            .await
            .expect("request")
            .error_for_status()
            .expect("200")
            .json()
            .await
            .expect("JSON");
        server.abort();
        let items = page["items"].as_array().expect("items");
        assert_eq!(items.len(), 1, "{page}");
        assert_eq!(items[0]["kind"], "invitation");
        assert_eq!(items[0]["status"], "failed");
        assert_eq!(items[0]["attempts"], 6);
        assert!(
            items[0]["last_error"]
                .as_str()
                .is_some_and(|reason| reason.contains("503")),
            "the reason is kept: {page}"
        );
        assert!(
            items[0].get("recipient").is_none(),
            "no personal data in the log"
        );
    })
    .await;
}

#[tokio::test]
async fn mail_goes_through_a_real_smtp_server_without_symptoms_or_decisions() {
    let Some(smtp) = SmtpServer::start() else {
        return;
    };
    on_every_backend(async |store| {
        let before = smtp.messages().len();
        let world = World::new(store, FollowupSettings::default(), Some(smtp.settings())).await;
        world.pass().await;
        world.at(6, 0);
        let report = world.pass().await;
        assert_eq!(report.sent, 1, "the invitation");
        let mail = wait_for_mail(&smtp, before + 1).await;
        let invitation = &mail[before];
        assert!(
            invitation.starts_with("X-Envelope-To: cleo@client.example"),
            "{invitation}"
        );
        assert!(invitation.contains("Subject: Harbour Massage: how are you after your treatment?"));
        assert_nothing_clinical(
            invitation.trim_start_matches("X-Envelope-To: cleo@client.example"),
        );
        let followup = world
            .store
            .followup(&world.clinic, &world.treatment)
            .await
            .expect("follow-up");
        let id = &followup.messages[0].id;
        assert!(
            invitation.contains(&format!("Message-ID: <{id}@aftercare>")),
            "a stable Message-ID: {invitation}"
        );
        let link = invitation
            .split_whitespace()
            .find(|word| word.starts_with("https://aftercare.example/c/acl_"))
            .expect("the client's link")
            .to_owned();

        // The client reports chest pain with their link: the therapist is
        // told at once, marked high priority, without a word of it.
        world.at(7, 0);
        world
            .check_in(&link, r#"[{"kind":"chest_pain","severity":"severe"}]"#)
            .await;
        let report = world.pass().await;
        assert_eq!(report.sent, 1, "the alert");
        let mail = wait_for_mail(&smtp, before + 2).await;
        let alert = &mail[before + 1];
        assert!(
            alert.starts_with("X-Envelope-To: tess@harbour.example"),
            "{alert}"
        );
        assert!(alert.contains("X-Priority: 1"), "high priority: {alert}");
        assert!(alert.contains(&format!(
            "https://aftercare.example/treatments/{}",
            world.treatment
        )));
        assert_nothing_clinical(alert.trim_start_matches("X-Envelope-To: tess@harbour.example"));
        assert_eq!(mail.len(), before + 2, "nothing else was sent");
    })
    .await;
}

/// The service's router on loopback, and an API token of the owner.
async fn serve_api(world: &World, who: &aftercare_store::Practitioner) -> (String, String) {
    let token = aftercare_store::secret::Secret::generate("act_");
    world
        .store
        .create_api_token(&world.clinic, &who.id, "test", &token.hash(), world.now())
        .await
        .expect("token");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("address"));
    let app = aftercare_server::router(world.state.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (address, token.expose().to_owned())
}

async fn call(
    method: reqwest::Method,
    url: &str,
    token: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut request = reqwest::Client::new()
        .request(method, url)
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(serde_json::Value::Null);
    (status, body)
}

#[tokio::test]
async fn clinic_settings_are_checked_field_by_field_and_a_refused_change_changes_nothing() {
    on_every_backend(async |store| {
        let world = World::new(store, FollowupSettings::default(), None).await;
        let (address, owner_token) = serve_api(&world, &world.owner).await;
        let settings_url = format!("{address}/api/v1/followup/settings");

        let (status, defaults) =
            call(reqwest::Method::GET, &settings_url, &owner_token, None).await;
        assert_eq!(status, 200);
        assert_eq!(defaults["plan_hours"], serde_json::json!([6, 24, 72, 168]));
        assert_eq!(defaults["reminder_count"], 1);
        assert_eq!(defaults["reminder_delay_minutes"], 240);
        assert_eq!(defaults["quiet_from"], "21:00");
        assert_eq!(defaults["quiet_until"], "08:00");

        let wrong = serde_json::json!({
            "plan_hours": [24, 6],
            "reminder_count": 9,
            "reminder_delay_minutes": 240,
            "invitation_expiry_hours": 24,
            "quiet_from": "25:00",
            "quiet_until": "08:00",
            "time_zone": "Mars/Olympus",
            "client_channel": "webhook",
            "webhook_url": "ftp://hooks.example"
        });
        let (status, problem) = call(
            reqwest::Method::PUT,
            &settings_url,
            &owner_token,
            Some(wrong),
        )
        .await;
        assert_eq!(status, 422, "{problem}");
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .filter_map(|e| e["path"].as_str())
            .collect();
        for field in [
            "plan_hours",
            "reminder_count",
            "quiet_from",
            "time_zone",
            "webhook_url",
            "webhook_secret",
        ] {
            assert!(fields.contains(&field), "{field} is named: {problem}");
        }
        let (_, after) = call(reqwest::Method::GET, &settings_url, &owner_token, None).await;
        assert_eq!(after, defaults, "a refused change changes nothing");

        let (therapist_address, therapist_token) = serve_api(&world, &world.therapist).await;
        let good = serde_json::json!({
            "plan_hours": [4, 24, 96],
            "reminder_count": 2,
            "reminder_delay_minutes": 120,
            "invitation_expiry_hours": 12,
            "quiet_from": "22:30",
            "quiet_until": "07:15",
            "time_zone": "Europe/Berlin",
            "escalation_minutes": 60,
            "client_channel": "email",
            "webhook_url": "https://hooks.example/aftercare",
            "webhook_secret": "sixteen-or-more-characters"
        });
        let (status, _) = call(
            reqwest::Method::PUT,
            &format!("{therapist_address}/api/v1/followup/settings"),
            &therapist_token,
            Some(good.clone()),
        )
        .await;
        assert_eq!(status, 403, "only owners change the clinic's settings");
        let (status, saved) = call(
            reqwest::Method::PUT,
            &settings_url,
            &owner_token,
            Some(good),
        )
        .await;
        assert_eq!(status, 200, "{saved}");
        assert_eq!(saved["quiet_from"], "22:30");
        assert_eq!(saved["webhook_secret_set"], true);
        assert!(
            !saved.to_string().contains("sixteen-or-more"),
            "the secret is never shown"
        );
        let (_, read) = call(reqwest::Method::GET, &settings_url, &owner_token, None).await;
        assert_eq!(read, saved);
    })
    .await;
}

#[tokio::test]
async fn a_therapist_can_change_one_treatments_plan_and_close_it() {
    on_every_backend(async |store| {
        let world = World::new(store, FollowupSettings::default(), None).await;
        let receiver = WebhookReceiver::start(std::sync::Arc::clone(&world.clock), Some(0)).await;
        world
            .store
            .put_followup_settings(
                &world.clinic,
                &aftercare_store::Actor::System,
                &webhook_settings(&receiver.url),
                world.now(),
            )
            .await
            .expect("settings");
        world.pass().await;
        let (address, token) = serve_api(&world, &world.therapist).await;
        let url = format!("{address}/api/v1/treatments/{}/followup", world.treatment);

        let (status, problem) = call(
            reqwest::Method::PUT,
            &url,
            &token,
            Some(serde_json::json!({"plan_hours": [0]})),
        )
        .await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(problem["errors"][0]["path"], "plan_hours");

        let (status, followup) = call(
            reqwest::Method::PUT,
            &url,
            &token,
            Some(serde_json::json!({"plan_hours": [2, 48]})),
        )
        .await;
        assert_eq!(status, 200, "{followup}");
        assert_eq!(followup["overridden"], true);
        world.pass().await;
        world.at(2, 0);
        world.pass().await;
        let kinds: Vec<(i64, String)> = receiver
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
            kinds,
            vec![(2, "invitation".to_owned())],
            "the new plan's first time"
        );

        let (status, closed) =
            call(reqwest::Method::POST, &format!("{url}/close"), &token, None).await;
        assert_eq!(status, 200, "{closed}");
        assert_eq!(closed["closed_reason"], "therapist");
        for hour in [6, 24, 48, 72, 200] {
            world.at(hour, 0);
            world.pass().await;
        }
        assert_eq!(
            receiver.accepted().len(),
            1,
            "nothing after closing: {kinds:?}"
        );

        let (status, _) = call(
            reqwest::Method::GET,
            &format!(
                "{address}/api/v1/treatments/{}/followup",
                uuid::Uuid::now_v7()
            ),
            &token,
            None,
        )
        .await;
        assert_eq!(status, 404);
    })
    .await;
}

#[tokio::test]
async fn a_pass_deletes_self_check_diaries_whose_link_has_expired() {
    on_every_backend(async |store| {
        let world = World::new(store, FollowupSettings::default(), None).await;
        let course =
            r#"{"treatment":{"at":"2026-11-20T10:00:00Z","modality":"swedish"},"checkins":[]}"#;
        let now = world.now();
        world
            .store
            .create_diary("diary-ending-soon", course, now, now + HOUR)
            .await
            .expect("diary");
        world.pass().await;
        assert!(
            world.store.diary("diary-ending-soon", now).await.is_ok(),
            "a live diary is kept"
        );
        // Two hours on, the link has expired: the next pass deletes the
        // diary and the answers in it.
        world.at(2, 0);
        world.pass().await;
        assert!(matches!(
            world.store.diary("diary-ending-soon", now).await,
            Err(aftercare_store::StoreError::NotFound(_))
        ));
    })
    .await;
}

#[tokio::test]
async fn an_invitation_near_the_end_of_the_link_lifetime_does_not_extend_the_link() {
    let clock = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(
        support::TREATED_AT + 700 * HOUR,
    ));
    let receiver = WebhookReceiver::start_on("127.0.0.1", clock, Some(0)).await;
    let (database, _dir) = aftercare_store::testing::fresh_sqlite_url();
    let settings = FollowupSettings {
        // An invitation 29 days after the treatment, open for two days: past
        // the 30 days the link lives.
        plan_hours: vec![700],
        invitation_expiry_hours: 48,
        reminder_count: 0,
        quiet_start_minute: 0,
        quiet_end_minute: 0,
        ..webhook_settings(&receiver.url)
    };
    let world = World::new(support::open(&database).await, settings, None).await;
    let before = world
        .store
        .treatment(&world.clinic, &world.treatment)
        .await
        .expect("treatment")
        .link_expires_at;
    assert_eq!(before, support::TREATED_AT + 30 * 24 * HOUR);
    world.pass().await;
    world.at(700, 0);
    world.pass().await;
    assert_eq!(receiver.accepted().len(), 1, "the invitation went out");
    let after = world
        .store
        .treatment(&world.clinic, &world.treatment)
        .await
        .expect("treatment")
        .link_expires_at;
    assert_eq!(
        after, before,
        "the link still ends 30 days after the treatment"
    );
}
