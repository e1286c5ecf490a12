//! Starts the real service on 127.0.0.1:0 over a fresh database and talks
//! to it over HTTP. SQLite (a temp file) always; PostgreSQL too when
//! `AFTERCARE_TEST_DATABASE_URL` names one, each test in its own database.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use aftercare_core::Guideline;
use aftercare_server::{AppState, Clock, ServerSettings};
use aftercare_store::secret::Secret;
use aftercare_store::{Millis, Role, Store, StoreOptions, now_millis};
use serde_json::Value;
use sqlx::{Connection as _, Executor as _};

/// The variable naming a PostgreSQL server for the suite.
const POSTGRES_VAR: &str = "AFTERCARE_TEST_DATABASE_URL";

/// Runs `test` against a fresh service on SQLite, then on PostgreSQL when
/// one is configured.
pub async fn on_every_backend(test: impl AsyncFn(&TestApp)) {
    on_every_backend_with(ServerSettings::default(), test).await;
}

/// Like [`on_every_backend`], with settings.
pub async fn on_every_backend_with(settings: ServerSettings, test: impl AsyncFn(&TestApp)) {
    on_every_backend_with_store(settings, StoreOptions::default(), test).await;
}

/// Like [`on_every_backend`], with settings for the service and the store.
pub async fn on_every_backend_with_store(
    settings: ServerSettings,
    options: StoreOptions,
    test: impl AsyncFn(&TestApp),
) {
    let app = TestApp::start(Database::sqlite(), settings.clone(), &options).await;
    eprintln!("on {}", app.backend);
    test(&app).await;
    app.stop().await;
    match postgres_server().await {
        Some(url) => {
            let app = TestApp::start(Database::postgres(&url).await, settings, &options).await;
            eprintln!("on {}", app.backend);
            test(&app).await;
            app.stop().await;
        }
        None => say_postgres_is_skipped(),
    }
}

/// The PostgreSQL server to use: the configured one, else the local
/// default when it answers. Under CI an unreachable server is a failure.
async fn postgres_server() -> Option<String> {
    if let Ok(url) = std::env::var(POSTGRES_VAR) {
        return Some(url);
    }
    let default = aftercare_store::testing::DEFAULT_POSTGRES_URL;
    let reachable =
        tokio::time::timeout(Duration::from_secs(3), sqlx::PgConnection::connect(default))
            .await
            .is_ok_and(|connection| connection.is_ok());
    assert!(
        reachable || std::env::var_os("CI").is_none(),
        "PostgreSQL is required under CI but not reachable at {default}"
    );
    reachable.then(|| default.to_owned())
}

/// Says once per run, past the test harness's output capture, that the
/// PostgreSQL half of the suite did not run.
fn say_postgres_is_skipped() {
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED postgres: {POSTGRES_VAR} is not set and no PostgreSQL answers at the local default, \
             so the API suite ran on SQLite only; set it to e.g. postgres://postgres@127.0.0.1:5432/test"
        );
    });
}

/// Where a test's data lives, and how to remove it afterwards.
enum Database {
    Sqlite { path: std::path::PathBuf },
    Postgres { admin_url: String, name: String },
}

impl Database {
    fn sqlite() -> Database {
        let path = std::env::temp_dir().join(format!("aftercare-test-{}.db", uuid::Uuid::new_v4()));
        Database::Sqlite { path }
    }

    async fn postgres(admin_url: &str) -> Database {
        let name = format!("aftercare_t_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(admin_url)
            .await
            .expect("connect to the PostgreSQL server of AFTERCARE_TEST_DATABASE_URL");
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("create the test database");
        admin.close().await.expect("close the admin connection");
        Database::Postgres {
            admin_url: admin_url.to_owned(),
            name,
        }
    }

    fn url(&self) -> String {
        match self {
            Database::Sqlite { path } => format!("sqlite://{}", path.display()),
            Database::Postgres { admin_url, name } => {
                let (base, query) = admin_url
                    .split_once('?')
                    .map_or((admin_url.as_str(), None), |(b, q)| (b, Some(q)));
                let base = base.rsplit_once('/').map_or(base, |(server, _)| server);
                match query {
                    Some(query) => format!("{base}/{name}?{query}"),
                    None => format!("{base}/{name}"),
                }
            }
        }
    }

    fn backend(&self) -> &'static str {
        match self {
            Database::Sqlite { .. } => "sqlite",
            Database::Postgres { .. } => "postgres",
        }
    }
}

/// Removed when dropped, so that a failing test leaves nothing behind either.
impl Drop for Database {
    fn drop(&mut self) {
        match self {
            Database::Sqlite { path } => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    let _ = std::fs::remove_file(file);
                }
            }
            Database::Postgres { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop cannot await; a thread with its own runtime can, even
                // while a failing test unwinds.
                let _ = std::thread::spawn(move || {
                    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    else {
                        return;
                    };
                    runtime.block_on(async {
                        if let Ok(mut admin) = sqlx::PgConnection::connect(&admin_url).await {
                            let _ = admin
                                .execute(
                                    format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str(),
                                )
                                .await;
                            let _ = admin.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// A running service and a client for it.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// The store under the service, for bootstrapping.
    pub store: Store,
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    http: reqwest::Client,
    clock_offset: Arc<AtomicI64>,
    shutdown: Arc<tokio::sync::Notify>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    database: Database,
}

impl TestApp {
    async fn start(
        database: Database,
        settings: ServerSettings,
        options: &StoreOptions,
    ) -> TestApp {
        let store = Store::open(&database.url(), options)
            .await
            .expect("open the test database");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a port");
        let address = format!("http://{}", listener.local_addr().expect("local address"));
        // The service's own address, unless the test chose a public one.
        let public_url = if settings.public_url == ServerSettings::default().public_url {
            address.clone()
        } else {
            settings.public_url.clone()
        };
        let settings = ServerSettings {
            public_url,
            ..settings
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
        TestApp {
            address,
            store,
            backend: database.backend(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .expect("an HTTP client"),
            clock_offset,
            shutdown,
            server,
            database,
        }
    }

    /// Tells the service to shut down gracefully; see [`TestApp::stop`].
    pub fn begin_shutdown(&self) {
        self.shutdown.notify_one();
    }

    /// Stops the service gracefully and removes its database.
    pub async fn stop(self) {
        self.begin_shutdown();
        self.server
            .await
            .expect("the server task")
            .expect("the server stops cleanly");
        self.store.close().await;
        drop(self.database);
    }

    /// The service's clock: the real time plus however far the test moved it.
    pub fn now(&self) -> Millis {
        now_millis() + self.clock_offset.load(Ordering::SeqCst)
    }

    /// Moves the service's clock forward.
    pub fn advance_clock(&self, by: Duration) {
        let by = i64::try_from(by.as_millis()).expect("a short enough duration");
        self.clock_offset.fetch_add(by, Ordering::SeqCst);
    }

    /// A request to `path`, with a bearer token if given.
    pub fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let builder = self.http.request(method, format!("{}{path}", self.address));
        match token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    /// `GET path`.
    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        Reply::of(self.request(reqwest::Method::GET, path, token)).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        Reply::of(self.request(reqwest::Method::POST, path, token).json(body)).await
    }

    /// `POST path` with a raw body and content type.
    pub async fn post_raw(
        &self,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> Reply {
        Reply::of(
            self.request(reqwest::Method::POST, path, token)
                .header("content-type", content_type)
                .body(body),
        )
        .await
    }

    /// `DELETE path`.
    pub async fn delete(&self, path: &str, token: Option<&str>) -> Reply {
        Reply::of(self.request(reqwest::Method::DELETE, path, token)).await
    }

    /// Holds the database's write lock on the `clients` table from another
    /// connection, so that adding a client waits, until `release`.
    pub async fn block_client_writes(&self) -> WriteBlock {
        self.block_writes_to("clients").await
    }

    /// Holds the write lock that storing a check-in needs (all of SQLite;
    /// the `treatments` table on PostgreSQL) until released.
    pub async fn block_checkin_writes(&self) -> WriteBlock {
        self.block_writes_to("treatments").await
    }

    async fn block_writes_to(&self, table: &str) -> WriteBlock {
        let mut connection = sqlx::AnyConnection::connect(&self.database.url())
            .await
            .expect("a second connection");
        match self.database {
            Database::Sqlite { .. } => {
                connection
                    .execute("BEGIN IMMEDIATE")
                    .await
                    .expect("take SQLite's write lock");
            }
            Database::Postgres { .. } => {
                connection.execute("BEGIN").await.expect("begin");
                connection
                    .execute(format!("LOCK TABLE {table} IN EXCLUSIVE MODE").as_str())
                    .await
                    .expect("lock the table");
            }
        }
        WriteBlock(connection)
    }

    /// Sends a raw HTTP/1.1 request (with `Connection: close`) and reads
    /// the whole answer as text.
    pub async fn raw_http(&self, request: &str) -> String {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let address = self.address.trim_start_matches("http://");
        let mut stream = tokio::net::TcpStream::connect(address)
            .await
            .expect("connect");
        stream
            .write_all(request.as_bytes())
            .await
            .expect("send the request");
        let mut answer = Vec::new();
        let _ =
            tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
        String::from_utf8_lossy(&answer).into_owned()
    }

    /// A clinic with an owner and a therapist, each with an API token,
    /// made directly in the store.
    pub async fn clinic(&self, name: &str) -> ClinicFixture {
        let now = self.now();
        let slug = name.to_lowercase().replace(' ', "-");
        let (clinic, owner) = self
            .store
            .create_clinic_with_owner(
                name,
                &format!("owner@{slug}.test"),
                &format!("Owner of {name}"),
                now,
            )
            .await
            .expect("create a clinic");
        let therapist = self
            .store
            .create_practitioner(
                &clinic.id,
                &aftercare_store::Actor::System,
                &format!("therapist@{slug}.test"),
                &format!("Therapist of {name}"),
                Role::Therapist,
                now,
            )
            .await
            .expect("create a therapist");
        let owner_token = Secret::generate("act_");
        self.store
            .create_api_token(&clinic.id, &owner.id, "test", &owner_token.hash(), now)
            .await
            .expect("create the owner's token");
        let therapist_token = Secret::generate("act_");
        self.store
            .create_api_token(
                &clinic.id,
                &therapist.id,
                "test",
                &therapist_token.hash(),
                now,
            )
            .await
            .expect("create the therapist's token");
        ClinicFixture {
            id: clinic.id.to_string(),
            name: name.to_owned(),
            owner_id: owner.id.to_string(),
            owner_token: owner_token.expose().to_owned(),
            therapist_id: therapist.id.to_string(),
            therapist_token: therapist_token.expose().to_owned(),
        }
    }

    /// A client of `clinic` and a treatment `hours_ago`, through the API;
    /// returns the created treatment (with its link).
    pub async fn treatment(&self, clinic: &ClinicFixture, hours_ago: i64) -> TreatmentFixture {
        let client = self
            .post(
                "/api/v1/clients",
                Some(&clinic.owner_token),
                &serde_json::json!({ "name": "Casey Client", "email": "casey@example.org", "follow_up_consent": true }),
            )
            .await
            .expect_status(201)
            .json();
        let at = self.now() - hours_ago * 3_600_000;
        let created = self
            .post(
                "/api/v1/treatments",
                Some(&clinic.therapist_token),
                &serde_json::json!({
                    "client_id": client["id"],
                    "treatment": {
                        "at": rfc3339(at),
                        "modality": "deep_tissue",
                        "pressure": "firm",
                        "duration_min": 60,
                        "regions": ["calves", "lower_back"]
                    },
                    "notes": "private note: left calf tight"
                }),
            )
            .await
            .expect_status(201)
            .json();
        TreatmentFixture {
            id: created["id"].as_str().expect("treatment id").to_owned(),
            client_id: client["id"].as_str().expect("client id").to_owned(),
            link_token: created["link"]["token"]
                .as_str()
                .expect("link token")
                .to_owned(),
            at,
            created,
        }
    }
}

/// A write lock held by [`TestApp::block_client_writes`].
pub struct WriteBlock(sqlx::AnyConnection);

impl WriteBlock {
    /// Lets writers through again.
    pub async fn release(mut self) {
        self.0.execute("ROLLBACK").await.expect("release the lock");
        self.0.close().await.expect("close the second connection");
    }
}

/// A clinic made for a test.
pub struct ClinicFixture {
    pub id: String,
    pub name: String,
    pub owner_id: String,
    pub owner_token: String,
    pub therapist_id: String,
    pub therapist_token: String,
}

/// A treatment made for a test.
pub struct TreatmentFixture {
    pub id: String,
    pub client_id: String,
    pub link_token: String,
    /// The treatment time.
    pub at: Millis,
    /// The `POST /api/v1/treatments` answer.
    pub created: Value,
}

impl TreatmentFixture {
    /// `/api/v1/links/{token}/<rest>`.
    pub fn link_path(&self, rest: &str) -> String {
        format!("/api/v1/links/{}/{rest}", self.link_token)
    }
}

/// An answer, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Reply {
    /// Sends the request and reads the answer.
    pub async fn of(request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("the service answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a readable body");
        Reply {
            status,
            headers,
            text,
        }
    }

    /// Fails with the body unless the status is `status`.
    #[track_caller]
    pub fn expect_status(self, status: u16) -> Reply {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        self
    }

    /// The body as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.text))
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// Checks that this is a problem document of `status` and kind `slug`,
    /// with the request id, and returns it.
    #[track_caller]
    pub fn problem(&self, status: u16, slug: &str) -> Value {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "body: {}",
            self.text
        );
        let problem = self.json();
        assert_eq!(
            problem["type"],
            format!("urn:aftercare:problem:{slug}"),
            "{problem}"
        );
        assert_eq!(problem["status"], status, "{problem}");
        assert!(
            problem["title"].is_string() && problem["detail"].is_string(),
            "{problem}"
        );
        assert_eq!(
            problem["request_id"].as_str(),
            self.header("x-request-id"),
            "the problem names the request id: {problem}"
        );
        problem
    }

    /// Checks a 422 (or 400) problem that names `path` first, and returns it.
    #[track_caller]
    pub fn field_problem(&self, status: u16, path: &str) -> Value {
        let slug = if status == 400 {
            "malformed-json"
        } else {
            "invalid-input"
        };
        let problem = self.problem(status, slug);
        assert_eq!(problem["path"], path, "{problem}");
        assert_eq!(problem["errors"][0]["path"], path, "{problem}");
        assert!(problem["errors"][0]["expected"].is_string(), "{problem}");
        problem
    }
}

/// Unix milliseconds as RFC 3339.
pub fn rfc3339(millis: Millis) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .expect("a representable time")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("a formattable time")
}

/// The cookies a test "browser" keeps between requests.
#[derive(Default)]
pub struct CookieJar(std::collections::BTreeMap<String, String>);

/// The cookies held, by name, for tests that read or plant one.
impl std::ops::Deref for CookieJar {
    type Target = std::collections::BTreeMap<String, String>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for CookieJar {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl CookieJar {
    /// Adds the `Cookie` header for what the jar holds, if anything.
    pub fn attach(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        if self.0.is_empty() {
            return request;
        }
        let header = self
            .0
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        request.header("cookie", header)
    }

    /// Keeps what an answer sets and forgets what it clears. A cookie
    /// scoped to one path is kept anyway: these tests visit that path next.
    pub fn absorb(&mut self, headers: &reqwest::header::HeaderMap) {
        for set in headers.get_all("set-cookie") {
            let set = set.to_str().expect("a text cookie");
            let pair = set.split(';').next().expect("a cookie pair");
            let (name, value) = pair.split_once('=').expect("name=value");
            if value.is_empty() || set.contains("Max-Age=0") {
                self.0.remove(name);
            } else {
                self.0.insert(name.to_owned(), value.to_owned());
            }
        }
    }
}
