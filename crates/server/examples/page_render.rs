//! How long the pages people use most take to answer: the dashboard of a
//! clinic with 500 open alerts, and a client's check-in form. The real
//! service runs on loopback over a real database; each page is fetched
//! many times one after another on a kept-alive connection, and the
//! percentiles of the round trip (an upper bound of server time) printed.
//!
//! `cargo run --release -p aftercare-server --example page_render -- [DATABASE_URL] [REQUESTS]`
//!
//! Without a URL a fresh SQLite file in the temp folder is used.

use std::time::{Duration, Instant};

use aftercare_core::{Checkin, Guideline, Timestamp, Treatment};
use aftercare_server::{AppState, ServerSettings};
use aftercare_store::secret::Secret;
use aftercare_store::{Actor, NewClient, NewTreatment, Store, StoreOptions, now_millis};

const HOUR: i64 = 3_600_000;
const ALERTS: usize = 500;
const PASSWORD: &str = "a password for measuring only";

fn rfc3339(millis: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .expect("a representable time");
    Timestamp::new(at).to_string()
}

/// A clinic whose owner has `ALERTS` open alerts; returns one client link.
async fn seed(store: &Store, guideline: &Guideline) -> Result<String, Box<dyn std::error::Error>> {
    let now = now_millis();
    let (clinic, owner) = store
        .create_clinic_with_owner("Measured Clinic", "owner@measured.test", "Owner", now)
        .await?;
    let hash = aftercare_server::web::password_hash(PASSWORD)?;
    store
        .set_password_hash(&clinic.id, &owner.id, &hash)
        .await?;
    let mut first_link = None;
    for index in 0..ALERTS {
        let treated_at = now - 40 * HOUR;
        let client = store
            .create_client(
                &clinic.id,
                &Actor::System,
                NewClient {
                    name: format!("Client {index}"),
                    email: None,
                    phone: None,
                    consent_at: Some(treated_at),
                },
                now,
            )
            .await?;
        let details: Treatment = serde_json::from_str(&format!(
            r#"{{"at":"{}","modality":"deep_tissue","pressure":"firm","regions":["calves"]}}"#,
            rfc3339(treated_at)
        ))?;
        let link = Secret::generate("acl_");
        store
            .create_treatment(
                &clinic.id,
                &Actor::System,
                NewTreatment {
                    client_id: client.id,
                    practitioner_id: owner.id.clone(),
                    details,
                    notes: None,
                    link_hash: link.hash(),
                    link_expires_at: treated_at + 30 * 24 * HOUR,
                },
                now,
            )
            .await?;
        // Mostly fevers (see a doctor), every tenth an emergency.
        let symptoms = if index % 10 == 0 {
            r#"[{"kind":"chest_pain","severity":"moderate"}]"#
        } else {
            r#"[{"kind":"fever","severity":"moderate"},{"kind":"soreness","severity":"mild"}]"#
        };
        let checkin: Checkin = serde_json::from_str(&format!(
            r#"{{"at":"{}","symptoms":{symptoms}}}"#,
            rfc3339(treated_at + 36 * HOUR)
        ))?;
        store
            .submit_checkin(&link.hash(), None, checkin, guideline, now)
            .await?;
        first_link.get_or_insert_with(|| link.expose().to_owned());
    }
    Ok(first_link.unwrap_or_default())
}

/// Fetches `path` `count` times; returns the sorted round-trip times and
/// the size of the last answer.
async fn measure(
    http: &reqwest::Client,
    url: &str,
    cookie: &str,
    count: usize,
) -> Result<(Vec<Duration>, usize), Box<dyn std::error::Error>> {
    let mut times = Vec::with_capacity(count);
    let mut size = 0;
    for _ in 0..count {
        let started = Instant::now();
        let answer = http.get(url).header("cookie", cookie).send().await?;
        if !answer.status().is_success() {
            return Err(format!("{url} answered {}", answer.status()).into());
        }
        size = answer.bytes().await?.len();
        times.push(started.elapsed());
    }
    times.sort();
    Ok((times, size))
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| {
            let file =
                std::env::temp_dir().join(format!("aftercare-pages-{}.db", uuid::Uuid::now_v7()));
            format!("sqlite://{}", file.display())
        });
    let requests: usize = args.next().map_or(Ok(300), |text| text.parse())?;
    let store = Store::open(&url, &StoreOptions::default()).await?;
    let guideline = Guideline::shipped();
    let seeded = Instant::now();
    let link = seed(&store, &guideline).await?;
    eprintln!(
        "seeded {ALERTS} open alerts in {:.1} s",
        seeded.elapsed().as_secs_f64()
    );

    let service = Service::start(&store, guideline).await?;
    let address = &service.address;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let (csrf, session) = sign_in(&http, address).await?;
    let pages = [
        (
            "dashboard, 500 open alerts",
            format!("{address}/dashboard"),
            format!("ac_session={session}"),
        ),
        (
            "check-in form",
            format!("{address}/c/{link}"),
            format!("ac_csrf={csrf}"),
        ),
    ];
    print_round_trips(&http, &store, pages, requests).await?;
    print_server_times(&http, address).await?;
    service.stop().await
}

/// The service, running on loopback until stopped.
struct Service {
    /// `http://` and the address it listens on.
    address: String,
    shutdown: std::sync::Arc<tokio::sync::Notify>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Service {
    async fn start(
        store: &Store,
        guideline: Guideline,
    ) -> Result<Self, Box<dyn std::error::Error>> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = format!("http://{}", listener.local_addr()?);
        // `/metrics` on: the server's own timings are read from it.
        let settings = ServerSettings {
            public_url: address.clone(),
            metrics: true,
            ..ServerSettings::default()
        };
        let state = AppState::new(store.clone(), guideline, settings);
        let shutdown = std::sync::Arc::new(tokio::sync::Notify::new());
        let stop = shutdown.clone();
        let server = tokio::spawn(aftercare_server::launch(state, listener, async move {
            stop.notified().await;
        }));
        Ok(Service {
            address,
            shutdown,
            server,
        })
    }

    /// Asks the service to stop and waits until it has.
    async fn stop(self) -> Result<(), Box<dyn std::error::Error>> {
        self.shutdown.notify_one();
        self.server.await??;
        Ok(())
    }
}

/// Fetches each page (name, URL, cookie) `requests` times after a warm-up,
/// and prints a table of the round-trip percentiles and answer sizes.
async fn print_round_trips(
    http: &reqwest::Client,
    store: &Store,
    pages: [(&str, String, String); 2],
    requests: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    println!(
        "{requests} requests each, one after another, {:?}:",
        store.backend()
    );
    println!("| page | p50 | p99 | max | size |");
    println!("|---|---:|---:|---:|---:|");
    for (name, url, cookie) in pages {
        // Warm up connections and caches first.
        measure(http, &url, &cookie, 10).await?;
        let (times, size) = measure(http, &url, &cookie, requests).await?;
        println!(
            "| {name} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} KB |",
            percentile(&times, 0.5).as_secs_f64() * 1000.0,
            percentile(&times, 0.99).as_secs_f64() * 1000.0,
            times.last().copied().unwrap_or_default().as_secs_f64() * 1000.0,
            size as f64 / 1024.0
        );
    }
    Ok(())
}

/// Prints the service's own clock: of the requests it timed per route
/// (warm-up included), how many it answered within 25 and 50 ms.
async fn print_server_times(
    http: &reqwest::Client,
    address: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let metrics = http
        .get(format!("{address}/metrics"))
        .send()
        .await?
        .text()
        .await?;
    println!();
    println!("server time, from /metrics:");
    println!("| route | requests | within 25 ms | within 50 ms |");
    println!("|---|---:|---:|---:|");
    for route in ["/dashboard", "/c/{link}"] {
        let series = |suffix: &str| {
            metrics
                .lines()
                .find(|line| {
                    line.starts_with(&format!("aftercare_http_request_duration_seconds{suffix}"))
                        && line.contains(&format!("route=\"{route}\""))
                        && line.contains("method=\"GET\"")
                })
                .and_then(|line| line.rsplit(' ').next())
                .and_then(|value| value.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        let count = series("_count");
        let within = |le: &str| {
            metrics
                .lines()
                .filter(|line| line.starts_with("aftercare_http_request_duration_seconds_bucket"))
                .filter(|line| {
                    line.contains(&format!("route=\"{route}\"")) && line.contains("method=\"GET\"")
                })
                .find(|line| line.contains(&format!("le=\"{le}\"")))
                .and_then(|line| line.rsplit(' ').next())
                .and_then(|value| value.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        println!(
            "| `{route}` | {count} | {:.2} % | {:.2} % |",
            within("0.025") / count.max(1.0) * 100.0,
            within("0.05") / count.max(1.0) * 100.0
        );
    }
    Ok(())
}

/// Signs in through the form, as a browser does; answers the form token
/// and the session cookie's values.
async fn sign_in(
    http: &reqwest::Client,
    address: &str,
) -> Result<(String, String), Box<dyn std::error::Error>> {
    let login = http.get(format!("{address}/login")).send().await?;
    let csrf = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|value| value.strip_prefix("ac_csrf="))
        .and_then(|value| value.split(';').next())
        .ok_or("no form token cookie")?
        .to_owned();
    let signed_in = http
        .post(format!("{address}/login"))
        .header("cookie", format!("ac_csrf={csrf}"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("email", "owner@measured.test"),
            ("password", PASSWORD),
        ])
        .send()
        .await?;
    let session = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|value| value.strip_prefix("ac_session="))
        .and_then(|value| value.split(';').next())
        .ok_or("sign-in failed")?
        .to_owned();
    Ok((csrf, session))
}
