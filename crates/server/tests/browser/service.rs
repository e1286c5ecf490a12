//! The real service, in this process, on a loopback port over a fresh
//! SQLite file. The browser tests need one backend only: the HTTP suite
//! already runs every page's queries on PostgreSQL too.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use aftercare_core::Guideline;
use aftercare_server::{AppState, Clock, ServerSettings};
use aftercare_store::secret::Secret;
use aftercare_store::{Millis, Store, StoreOptions, now_millis};
use serde_json::json;

/// A running service.
pub struct Service {
    /// `http://127.0.0.1:<port>`, also the service's public address, so
    /// the links it prints are the ones the browser can open.
    pub address: String,
    /// The store under the service, for what a test must arrange directly.
    pub store: Store,
    state: AppState,
    clock_offset: Arc<AtomicI64>,
    shutdown: Arc<tokio::sync::Notify>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    folder: PathBuf,
}

impl Service {
    /// Starts the service on a free port over a new SQLite database.
    pub async fn start() -> Service {
        let (url, folder) = aftercare_store::testing::fresh_sqlite_url();
        let store = Store::open(&url, &StoreOptions::default())
            .await
            .expect("open the test database");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let address = format!("http://{}", listener.local_addr().expect("local address"));
        let settings = ServerSettings {
            public_url: address.clone(),
            // Chromium and the page checks share two cores with the
            // service; an ordinary page must not time out on a busy machine.
            request_timeout: Duration::from_secs(30),
            ..ServerSettings::default()
        };
        let clock_offset = Arc::new(AtomicI64::new(0));
        let offset = Arc::clone(&clock_offset);
        let state = AppState::new(store.clone(), Guideline::shipped(), settings).with_clock(
            Clock::from_fn(move || now_millis() + offset.load(Ordering::SeqCst)),
        );
        let shutdown = Arc::new(tokio::sync::Notify::new());
        let stop = Arc::clone(&shutdown);
        let server = tokio::spawn(aftercare_server::launch(
            state.clone(),
            listener,
            async move {
                stop.notified().await;
            },
        ));
        Service {
            address,
            store,
            state,
            clock_offset,
            shutdown,
            server,
            folder,
        }
    }

    /// The service's clock: the real time plus however far the test moved it.
    pub fn now(&self) -> Millis {
        now_millis() + self.clock_offset.load(Ordering::SeqCst)
    }

    /// Moves the service's clock forward, as if time had passed.
    pub fn advance_clock(&self, by: Duration) {
        let by = i64::try_from(by.as_millis()).expect("a short enough duration");
        self.clock_offset.fetch_add(by, Ordering::SeqCst);
    }

    /// The one-time first-run setup link, made as `aftercare serve` makes
    /// it for an empty database.
    pub async fn setup_link(&self) -> String {
        aftercare_server::web::first_run_setup_link(&self.state)
            .await
            .expect("make the setup link")
            .expect("an empty database gets a setup link")
    }

    /// A clinic made directly in the store, with an API token of its
    /// owner, for tests that start from a recorded treatment.
    pub async fn clinic_with_token(&self, name: &str) -> String {
        let now = self.now();
        let (clinic, owner) = self
            .store
            .create_clinic_with_owner(name, "owner@clinic.test", "Clinic Owner", now)
            .await
            .expect("create a clinic");
        let token = Secret::generate("act_");
        self.store
            .create_api_token(&clinic.id, &owner.id, "browser test", &token.hash(), now)
            .await
            .expect("create the owner's token");
        token.expose().to_owned()
    }

    /// A client and a treatment `hours_ago`, recorded through the JSON API
    /// with `token`; returns the client's private link.
    pub async fn treatment_link(&self, token: &str, hours_ago: i64) -> String {
        let http = reqwest::Client::new();
        let post = |path: &str, body: serde_json::Value| {
            http.post(self.url(path))
                .bearer_auth(token)
                .json(&body)
                .send()
        };
        let client: serde_json::Value = post(
            "/api/v1/clients",
            json!({ "name": "Robin Client", "email": "robin@example.org", "follow_up_consent": true }),
        )
        .await
        .and_then(reqwest::Response::error_for_status)
        .expect("create a client")
        .json()
        .await
        .expect("the client as JSON");
        let at = time::OffsetDateTime::from_unix_timestamp_nanos(
            i128::from(self.now() - hours_ago * 3_600_000) * 1_000_000,
        )
        .expect("a representable time")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("an RFC 3339 time");
        let treatment: serde_json::Value = post(
            "/api/v1/treatments",
            json!({
                "client_id": client["id"],
                "treatment": { "at": at, "modality": "deep_tissue", "pressure": "firm",
                               "duration_min": 60, "regions": ["calves", "lower_back"] }
            }),
        )
        .await
        .and_then(reqwest::Response::error_for_status)
        .expect("record a treatment")
        .json()
        .await
        .expect("the treatment as JSON");
        treatment["link"]["url"]
            .as_str()
            .map(str::to_owned)
            .or_else(|| {
                treatment["link"]["token"]
                    .as_str()
                    .map(|token| self.url(&format!("/c/{token}")))
            })
            .expect("the client's link")
    }

    /// `address` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Stops the service gracefully and removes its database.
    pub async fn stop(self) {
        self.shutdown.notify_one();
        self.server
            .await
            .expect("the server task")
            .expect("the server stops cleanly");
        self.store.close().await;
        let _ = std::fs::remove_dir_all(&self.folder);
    }
}
