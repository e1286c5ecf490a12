//! Scheduling throughput: how fast due invitations are claimed, sent to a
//! local webhook receiver, and marked sent with their delivery log.
//!
//! Seeds N treatments (bulk SQL), lets one pass plan an invitation for each
//! (untimed), moves the clock to when they are due, then runs K scheduler
//! instances side by side, each with its own connection pool, until every
//! message is sent; only that last part is timed.
//!
//! ```text
//! cargo run --release -p aftercare-server --example scheduler_throughput -- \
//!     [--database-url URL] [--messages 100000] [--instances 2]
//! ```
//! Without `--database-url` a temporary SQLite file is used.

#![allow(clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aftercare_core::Guideline;
use aftercare_server::{AppState, Clock, Delivery, Scheduler, SchedulerOptions, ServerSettings};
use aftercare_store::{Actor, Clinic, FollowupSettings, Practitioner, Store, StoreOptions};
use axum::http::StatusCode;

const HOUR: i64 = 3_600_000;
/// 2026-11-20T09:00:00Z.
const TREATED_AT: i64 = 1_795_165_200_000;

fn argument(name: &str) -> Option<String> {
    let arguments: Vec<String> = std::env::args().collect();
    arguments
        .iter()
        .position(|argument| argument == name)
        .and_then(|at| arguments.get(at + 1).cloned())
}

#[tokio::main]
async fn main() {
    let messages: i64 = argument("--messages").map_or(100_000, |n| n.parse().unwrap());
    let instances: usize = argument("--instances").map_or(1, |n| n.parse().unwrap());
    let url = argument("--database-url").unwrap_or_else(|| {
        let file =
            std::env::temp_dir().join(format!("aftercare-throughput-{}.db", uuid::Uuid::new_v4()));
        format!("sqlite://{}", file.display())
    });
    let options = StoreOptions {
        max_connections: 16,
        ..StoreOptions::default()
    };
    let store = Store::open(&url, &options).await.unwrap();

    let (hook, received) = start_sink().await;
    let (clinic, owner) = create_clinic(&store, hook).await;
    let started = Instant::now();
    seed(&url, clinic.id.as_str(), owner.id.as_str(), messages).await;
    eprintln!("seeded {messages} treatments in {:.1?}", started.elapsed());

    let clock = Arc::new(AtomicI64::new(TREATED_AT));
    plan(&store, &clock).await;

    // Sending, timed.
    clock.store(TREATED_AT + 6 * HOUR, Ordering::SeqCst);
    let started = Instant::now();
    let per_instance = send(&url, &options, instances, &clock).await;
    let elapsed = started.elapsed();
    let total: usize = per_instance.iter().sum();
    // Give the last responses a moment to be counted.
    tokio::time::sleep(Duration::from_millis(200)).await;
    println!(
        "backend={:?} instances={instances} messages={total} received={} per_instance={per_instance:?} \
         seconds={:.2} messages_per_second={:.0}",
        store.backend(),
        received.load(Ordering::Relaxed),
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
}

/// The clinic whose clients the invitations go to, sending to `hook`.
async fn create_clinic(store: &Store, hook: String) -> (Clinic, Practitioner) {
    let (clinic, owner) = store
        .create_clinic_with_owner("Bench Clinic", "owner@bench.example", "Bea", TREATED_AT)
        .await
        .unwrap();
    store
        .put_followup_settings(
            &clinic.id,
            &Actor::System,
            &FollowupSettings {
                reminder_count: 0,
                quiet_start_minute: 0,
                quiet_end_minute: 0,
                webhook_url: Some(hook),
                webhook_secret: Some(aftercare_store::secret::Secret::from_text(
                    "a-secret-for-the-benchmark",
                )),
                client_channel: aftercare_store::Channel::Webhook,
                ..FollowupSettings::default()
            },
            TREATED_AT,
        )
        .await
        .unwrap();
    (clinic, owner)
}

/// A scheduler instance named `name` on `store`, whose time is `clock`.
fn scheduler(store: Store, name: String, clock: &Arc<AtomicI64>) -> Scheduler {
    let ticking = Arc::clone(clock);
    // The receiver is on loopback, which webhooks may only reach when
    // the operator allows it.
    let settings = ServerSettings {
        webhook_allow: aftercare_server::WebhookAllow::parse(&["127.0.0.1"]).unwrap(),
        ..ServerSettings::default()
    };
    let delivery = Delivery::new(settings.smtp.as_ref(), &settings.webhook_allow).unwrap();
    let state = AppState::new(store, Guideline::shipped(), settings)
        .with_clock(Clock::from_fn(move || ticking.load(Ordering::SeqCst)));
    Scheduler::new(
        state,
        delivery,
        SchedulerOptions {
            instance: name,
            batch: 500,
            concurrency: 64,
            ..SchedulerOptions::default()
        },
    )
}

/// Planning, untimed: an invitation due at 6 h for every treatment.
async fn plan(store: &Store, clock: &Arc<AtomicI64>) {
    let started = Instant::now();
    let planner = scheduler(store.clone(), "planner".to_owned(), clock);
    let mut planned = 0;
    loop {
        let report = planner.run_once().await.unwrap();
        planned += report.planned;
        if report.planned == 0 {
            break;
        }
    }
    eprintln!("planned {planned} invitations in {:.1?}", started.elapsed());
}

/// Runs `instances` schedulers side by side, each with its own connection
/// pool, until none has anything left to do; answers how many each sent.
async fn send(
    url: &str,
    options: &StoreOptions,
    instances: usize,
    clock: &Arc<AtomicI64>,
) -> Vec<usize> {
    let mut runners = Vec::new();
    for number in 0..instances {
        let own_store = Store::open(url, options).await.unwrap();
        let instance = scheduler(own_store, format!("instance-{number}"), clock);
        runners.push(tokio::spawn(async move {
            let mut sent = 0;
            loop {
                let report = instance.run_once().await.unwrap();
                sent += report.sent;
                if report.sent + report.retried + report.failed + report.cancelled == 0 {
                    return sent;
                }
            }
        }));
    }
    let mut per_instance = Vec::new();
    for runner in runners {
        per_instance.push(runner.await.unwrap());
    }
    per_instance
}

/// Clients and treatments in bulk, written as SQL both databases run.
async fn seed(url: &str, clinic: &str, practitioner: &str, count: i64) {
    use sqlx::Connection as _;
    let mut connection = sqlx::AnyConnection::connect(url).await.unwrap();
    let details = r#"{"at":"2026-11-20T09:00:00Z","modality":"swedish","pressure":"moderate","duration_min":60,"regions":["upper_back"]}"#;
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) \
         INSERT INTO clients (id, clinic_id, name, phone, consent_at, created_at) \
         SELECT 'client-' || i, $2, 'Client', '+440000000000', $3, $3 FROM n",
    )
    .bind(count)
    .bind(clinic.to_owned())
    .bind(TREATED_AT)
    .execute(&mut connection)
    .await
    .unwrap();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) \
         INSERT INTO treatments (id, clinic_id, client_id, practitioner_id, at, details, link_hash, link_expires_at, created_at) \
         SELECT 'treatment-' || i, $2, 'client-' || i, $3, $4, $5, 'hash-' || i, $6, $4 FROM n",
    )
    .bind(count)
    .bind(clinic.to_owned())
    .bind(practitioner.to_owned())
    .bind(TREATED_AT)
    .bind(details.to_owned())
    .bind(TREATED_AT + 30 * 24 * HOUR)
    .execute(&mut connection)
    .await
    .unwrap();
    let _ = connection.close().await;
}

/// The sink: a webhook receiver on loopback that accepts everything;
/// answers its address and how many it has received.
async fn start_sink() -> (String, Arc<AtomicUsize>) {
    let received = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&received);
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let counter = Arc::clone(&counter);
            async move {
                counter.fetch_add(1, Ordering::Relaxed);
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (hook, received)
}
