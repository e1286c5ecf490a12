//! The real service, in this process, on a loopback port over a fresh
//! SQLite file. The browser tests need one backend only: the HTTP suite
//! already runs every page's queries on PostgreSQL too.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use aftercare_core::Guideline;
use aftercare_server::{AppState, Clock, ServerSettings};
use aftercare_store::{Millis, Store, StoreOptions, now_millis};

/// A running service.
pub struct Service {
    /// `http://127.0.0.1:<port>`, also the service's public address, so
    /// the links it prints are the ones the browser can open.
    pub address: String,
    /// The store under the service, for what a test must arrange directly.
    pub store: Store,
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
        let server = tokio::spawn(aftercare_server::launch(state, listener, async move {
            stop.notified().await;
        }));
        Service {
            address,
            store,
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
