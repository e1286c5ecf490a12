//! A clinic owner picks the webhook's address; the service must not post
//! to itself or its network on their behalf. Each case points a clinic at
//! a real receiver on loopback and checks whether anything reached it,
//! and what the delivery log tells the clinic.
//!
//! The address checks do not depend on the database, so these run on
//! SQLite only.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};

use aftercare_server::WebhookAllow;
use aftercare_store::testing::fresh_sqlite_url;
use aftercare_store::{FollowupSettings, MessageRecord, PageRequest};

use crate::support::{HOUR, TREATED_AT, WebhookReceiver, World, open, webhook_settings};
use crate::{call, serve_api};

/// A world on a fresh SQLite file whose clinic sends to `url`, stored
/// directly (as if saved before the check existed, or before the name
/// moved), with `allow` as the operator's list.
async fn world_sending_to(url: &str, allow: &[&str]) -> World {
    let (database, _dir) = fresh_sqlite_url();
    let allow = WebhookAllow::parse(allow).expect("an allow list");
    World::with_webhook_allow(open(&database).await, webhook_settings(url), None, allow).await
}

/// Runs the scheduler until the first invitation is due and tried once.
async fn try_first_invitation(world: &World) -> MessageRecord {
    world.pass().await;
    world.at(6, 0);
    world.pass().await;
    let messages = world
        .store
        .list_messages(&world.clinic, None, &PageRequest::default())
        .await
        .expect("messages");
    messages
        .items
        .into_iter()
        .find(|message| message.kind == aftercare_store::MessageKind::Invitation)
        .expect("an invitation")
}

/// A server that answers every request with a 307 to `location`, and
/// counts them.
async fn redirector(host: &str, location: String) -> Option<(String, Arc<AtomicUsize>)> {
    let listener = match tokio::net::TcpListener::bind((host, 0)).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("SKIPPED redirect case: cannot listen on {host} ({error})");
            return None;
        }
    };
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    let app = axum::Router::new().fallback(move || {
        counter.fetch_add(1, Ordering::SeqCst);
        let location = location.clone();
        async move {
            (
                axum::http::StatusCode::TEMPORARY_REDIRECT,
                [(axum::http::header::LOCATION, location)],
            )
        }
    });
    let url = format!("http://{}/hook", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Some((url, hits))
}

#[tokio::test]
async fn a_webhook_on_loopback_is_never_contacted_without_the_allow_list() {
    let receiver = WebhookReceiver::start_on("127.0.0.1", Arc::default(), Some(0)).await;
    let port = receiver
        .url
        .trim_start_matches("http://127.0.0.1:")
        .trim_end_matches("/hook")
        .to_owned();
    let targets = [
        receiver.url.clone(),
        // A name that resolves to loopback.
        format!("http://localhost:{port}/hook"),
        format!("http://LocalHost.:{port}/hook"),
        // Loopback written other ways.
        format!("http://[::ffff:127.0.0.1]:{port}/hook"),
        format!("http://2130706433:{port}/hook"),
        format!("http://0x7f.1:{port}/hook"),
    ];
    for target in &targets {
        let world = world_sending_to(target, &[]).await;
        let message = try_first_invitation(&world).await;
        assert_eq!(
            receiver.contacts(),
            0,
            "{target} reached the receiver on loopback"
        );
        assert_eq!(message.status.as_str(), "queued", "tried again later");
        assert_eq!(
            message.last_error.as_deref(),
            Some("could not deliver"),
            "{target}: the log says nothing about the network"
        );
    }
}

#[tokio::test]
async fn a_redirect_from_an_allowed_host_is_not_followed() {
    let receiver = WebhookReceiver::start_on("127.0.0.1", Arc::default(), Some(0)).await;
    // 127.0.0.2 is loopback too (all of 127/8 is, on Linux); the operator
    // allows that one address, not the receiver's.
    let Some((redirect, hits)) = redirector("127.0.0.2", receiver.url.clone()).await else {
        return;
    };
    let world = world_sending_to(&redirect, &["127.0.0.2"]).await;
    let message = try_first_invitation(&world).await;
    assert_eq!(hits.load(Ordering::SeqCst), 1, "the allowed host was asked");
    assert_eq!(receiver.contacts(), 0, "the redirect was not followed");
    assert_eq!(message.status.as_str(), "failed", "a redirect is final");
    assert_eq!(
        message.last_error.as_deref(),
        Some("could not deliver (HTTP 307)")
    );
}

#[tokio::test]
async fn with_the_allow_list_a_webhook_on_loopback_is_contacted() {
    for allow in ["127.0.0.1", "127.0.0.0/8", "localhost"] {
        // The receiver checks each signature's time against this clock.
        let clock = Arc::new(AtomicI64::new(TREATED_AT + 6 * HOUR));
        let receiver = WebhookReceiver::start_on("127.0.0.1", clock, Some(0)).await;
        let url = if allow == "localhost" {
            receiver.url.replace("127.0.0.1", "localhost")
        } else {
            receiver.url.clone()
        };
        let world = world_sending_to(&url, &[allow]).await;
        let message = try_first_invitation(&world).await;
        assert_eq!(receiver.contacts(), 1, "allowed with {allow}");
        assert_eq!(message.status.as_str(), "sent", "{message:?}");
    }
}

#[tokio::test]
async fn the_delivery_log_tells_a_refused_address_from_a_closed_port_in_no_way() {
    // A port with nothing behind it, on an address the operator allows.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        let address = listener.local_addr().expect("address");
        drop(listener);
        format!("http://{address}/hook")
    };
    let mut logs = Vec::new();
    for target in [
        closed.as_str(),
        "http://127.0.0.3:6379/",
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:6379/",
    ] {
        let world = world_sending_to(target, &["127.0.0.1"]).await;
        let message = try_first_invitation(&world).await;
        logs.push((message.status, message.attempts, message.last_error));
    }
    assert!(
        logs.windows(2).all(|pair| pair[0] == pair[1]),
        "every failure reads the same: {logs:?}"
    );
    assert_eq!(logs[0].2.as_deref(), Some("could not deliver"));
}

#[tokio::test]
async fn an_owner_cannot_save_a_webhook_address_that_points_inside() {
    let (database, _dir) = fresh_sqlite_url();
    let world = World::with_webhook_allow(
        open(&database).await,
        FollowupSettings::default(),
        None,
        WebhookAllow::default(),
    )
    .await;
    let (address, owner_token) = serve_api(&world, &world.owner).await;
    let settings_url = format!("{address}/api/v1/followup/settings");
    let with_webhook = |url: &str| {
        serde_json::json!({
            "plan_hours": [6, 24],
            "reminder_count": 1,
            "reminder_delay_minutes": 240,
            "invitation_expiry_hours": 24,
            "quiet_from": "21:00",
            "quiet_until": "08:00",
            "time_zone": "UTC",
            "client_channel": "webhook",
            "webhook_url": url,
            "webhook_secret": "sixteen-or-more-characters"
        })
    };
    for inside in [
        "http://127.0.0.1:8080/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:6379/",
        "http://10.0.0.1/",
        "http://192.168.1.20/",
        "http://[fd00::5]/",
        "http://[fe80::1]/",
        "http://0.0.0.0:5432/",
        "http://224.0.0.1/",
        "http://192.0.2.10/",
        "http://0x7f.1/",
        "http://localhost:6379/",
        "http://db.internal/",
        "http://intranet/",
    ] {
        let (status, problem) = call(
            reqwest::Method::PUT,
            &settings_url,
            &owner_token,
            Some(with_webhook(inside)),
        )
        .await;
        assert_eq!(status, 422, "{inside}: {problem}");
        assert_eq!(problem["errors"][0]["path"], "webhook_url", "{problem}");
    }
    let (status, saved) = call(
        reqwest::Method::PUT,
        &settings_url,
        &owner_token,
        Some(with_webhook("https://hooks.example/aftercare?token=abc")),
    )
    .await;
    assert_eq!(status, 200, "a public address is fine: {saved}");
    assert_eq!(
        saved["webhook_url"],
        "https://hooks.example/aftercare?token=abc"
    );

    // A therapist sees the settings but not where the messages go.
    let (therapist_address, therapist_token) = serve_api(&world, &world.therapist).await;
    let (status, seen) = call(
        reqwest::Method::GET,
        &format!("{therapist_address}/api/v1/followup/settings"),
        &therapist_token,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(seen["webhook_url"], serde_json::Value::Null, "{seen}");
    assert!(!seen.to_string().contains("hooks.example"), "{seen}");
    assert_eq!(seen["webhook_secret_set"], true);
}

#[tokio::test]
async fn an_operator_can_allow_an_internal_webhook_address() {
    let (database, _dir) = fresh_sqlite_url();
    let world = World::with_webhook_allow(
        open(&database).await,
        FollowupSettings::default(),
        None,
        WebhookAllow::parse(&["10.20.0.0/16", "hooks.clinic.internal"]).expect("a list"),
    )
    .await;
    let (address, owner_token) = serve_api(&world, &world.owner).await;
    for (url, expected) in [
        ("http://10.20.3.4/hook", 200),
        ("http://hooks.clinic.internal/hook", 200),
        ("http://10.21.0.1/hook", 422),
        ("http://other.clinic.internal/hook", 422),
    ] {
        let (status, body) = call(
            reqwest::Method::PUT,
            &format!("{address}/api/v1/followup/settings"),
            &owner_token,
            Some(serde_json::json!({
                "plan_hours": [6],
                "reminder_count": 0,
                "reminder_delay_minutes": 240,
                "invitation_expiry_hours": 24,
                "quiet_from": "21:00",
                "quiet_until": "08:00",
                "time_zone": "UTC",
                "client_channel": "email",
                "webhook_url": url,
                "webhook_secret": "sixteen-or-more-characters"
            })),
        )
        .await;
        assert_eq!(status, expected, "{url}: {body}");
    }
}
