//! Aftercare's storage: one interface, two real backends.
//!
//! The backend is chosen at run time from the database URL's scheme
//! (`sqlite:` or `postgres:`), both compiled in. Queries are written once in
//! the SQL both databases speak and run through sqlx's `Any` driver; each
//! backend keeps its own migrations (types differ), and the conformance
//! tests run every operation against both real databases.
//!
//! Every operation a practitioner can reach takes the clinic id and scopes
//! its SQL to it, so no id sent from outside can reach another clinic.

mod alert_history;
pub use alert_history::AlertRecord;
mod accounts;
pub use accounts::TokenHolder;
mod archive;
mod archive_check;
mod batch;
mod course_cache;
pub use batch::QueuedCheckin;
mod drafts;
pub use drafts::DraftKind;
mod error;
mod followup;
mod links;
pub use links::ReissuedLink;
pub mod model;
mod private_file;
mod queries;
mod records;
pub mod secret;
mod sql_text;
mod sqlite_writer;
#[cfg(feature = "test-support")]
pub mod testing;
mod web;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};

pub use archive::{
    ARCHIVE_FORMAT, ClinicArchive, InstallationArchive, UNARCHIVED_TABLES, archived_tables,
};
pub use error::StoreError;
pub use followup::*;
pub use model::*;
pub use records::{
    ClientChange, ClientCourse, ClientRecord, DEFAULT_KEEP_DAYS, Erased, ExpiredCourse,
    RetentionSettings, Retriage, TreatmentCorrection, Update,
};
pub use web::{AlertFinding, DashboardAlert, Swept, WebSession};

/// Which database a store talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file (the default).
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// The backend a URL names, or an error naming the scheme.
    pub fn from_url(url: &str) -> Result<Backend, StoreError> {
        let scheme = url.split(':').next().unwrap_or_default();
        match scheme {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            _ => Err(StoreError::Config(format!(
                "unknown database URL scheme `{scheme}:`; expected `sqlite:` or `postgres:`"
            ))),
        }
    }
}

/// How SQLite commits reach the disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SqliteSync {
    /// WAL with `synchronous=NORMAL`: a committed write survives a crash of
    /// the service; the last commits may be lost if the machine loses power.
    #[default]
    Normal,
    /// `synchronous=FULL`: every commit is on disk before it is
    /// acknowledged, also across power loss; slower.
    Full,
}

/// Settings for opening a store.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// Run pending migrations on open.
    pub migrate: bool,
    /// Largest number of connections in the pool.
    pub max_connections: u32,
    /// SQLite durability.
    pub sqlite_sync: SqliteSync,
    /// How long to wait for a connection before answering "unavailable".
    pub acquire_timeout: Duration,
    /// Create a missing SQLite file (the service, `migrate`, `import`); off
    /// for commands that only read, so a mistyped path fails loudly.
    pub create_if_missing: bool,
    /// Caps on check-ins, applied by [`Store::submit_checkin`] whoever
    /// calls it (the API or a web form).
    pub checkin_limits: CheckinLimits,
}

/// How many check-ins one course accepts. A person following up on one
/// treatment sends a few a day at most; the caps stop a leaked link or a
/// looping script from filling the database and the therapist's alerts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckinLimits {
    /// Check-ins one course accepts in all.
    pub per_course: u32,
    /// Check-ins one client link accepts in any hour.
    pub per_link_per_hour: u32,
}

impl Default for CheckinLimits {
    fn default() -> Self {
        CheckinLimits {
            per_course: 200,
            per_link_per_hour: 20,
        }
    }
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            migrate: true,
            max_connections: 8,
            sqlite_sync: SqliteSync::Normal,
            acquire_timeout: Duration::from_secs(5),
            create_if_missing: true,
            checkin_limits: CheckinLimits::default(),
        }
    }
}

/// The store: a pool of connections to one database.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite lets one connection write at a time; the others would spin
    /// in its busy handler (sleeping whole milliseconds). Queuing writers
    /// here instead keeps latency low under load. `None` on PostgreSQL,
    /// whose row locks let writers to different courses run together.
    writer: Option<std::sync::Arc<tokio::sync::Mutex<()>>>,
    /// The queue that groups concurrent check-ins into one transaction
    /// (see [`Store::submit_checkin_shared`]).
    batcher: Option<batch::CheckinBatcher>,
    /// On a SQLite file: the connection that writes those groups.
    sqlite_writer: Option<sqlite_writer::SqliteWriter>,
    /// Caps on check-ins.
    checkin_limits: CheckinLimits,
    /// The courses the check-in writer last wrote (see `course_cache`).
    course_cache: std::sync::Arc<course_cache::CourseCache>,
    /// The temporary directory of an "in-memory" SQLite database, removed
    /// when the last clone of the store (the writer's included) is gone.
    _scratch: Option<std::sync::Arc<ScratchDatabase>>,
}

/// A SQLite database asked for in memory: a file in a private temporary
/// directory (owner-only), deleted with this value.
#[derive(Debug)]
struct ScratchDatabase {
    directory: tempfile::TempDir,
}

impl ScratchDatabase {
    fn create() -> Result<ScratchDatabase, StoreError> {
        let directory = tempfile::Builder::new()
            .prefix("aftercare-memory-")
            .tempdir()
            .map_err(|error| {
                StoreError::Config(format!(
                    "an in-memory database needs a temporary directory: {error}"
                ))
            })?;
        Ok(ScratchDatabase { directory })
    }

    /// The URL of its database file (made on open, like any new file).
    fn url(&self) -> String {
        format!(
            "sqlite://{}?mode=rwc",
            self.directory.path().join("aftercare.db").display()
        )
    }
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

impl Store {
    /// Opens the database a URL names, creating a SQLite file if needed,
    /// and runs migrations if asked.
    pub async fn open(url: &str, options: &StoreOptions) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        // An in-memory SQLite database is a file in a private temporary
        // directory, removed with the last handle on the store: SQLite then
        // has one way to write (the writer's own connection to a file), and
        // "in memory" keeps its meaning of nothing kept after the store.
        let scratch = match backend {
            Backend::Sqlite if private_file::sqlite_file(url).is_none() => {
                Some(std::sync::Arc::new(ScratchDatabase::create()?))
            }
            _ => None,
        };
        let url = match &scratch {
            Some(scratch) => scratch.url(),
            None => url.to_owned(),
        };
        let url = match backend {
            // Create the file on first run.
            Backend::Sqlite if !url.contains("mode=") => {
                let mode = if options.create_if_missing {
                    "rwc"
                } else {
                    "rw"
                };
                let separator = if url.contains('?') { '&' } else { '?' };
                format!("{url}{separator}mode={mode}")
            }
            _ => url,
        };
        if backend == Backend::Sqlite
            && let Some(file) = private_file::sqlite_file(&url)
        {
            // Made here, owner-only, so SQLite does not make it (and its
            // log files) readable by everyone; see `private_file`.
            let created = options.create_if_missing
                && !url.contains("mode=ro")
                && private_file::create(&file).unwrap_or_else(|error| {
                    tracing::debug!(%error, "the database file was not made ahead of SQLite");
                    false
                });
            if !created {
                private_file::warn_if_shared(&file);
            }
        }
        let connect = AnyConnectOptions::from_str(&url)
            .map_err(|error| StoreError::Config(format!("invalid database URL: {error}")))?
            .disable_statement_logging();
        let sync = options.sqlite_sync;
        let pool = AnyPoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(options.acquire_timeout)
            // A SQLite connection is a file handle that cannot drop away;
            // checking it before every use costs a round trip per query.
            .test_before_acquire(backend == Backend::Postgres)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if conn.backend_name() == "SQLite" {
                        let synchronous = match sync {
                            SqliteSync::Normal => "NORMAL",
                            SqliteSync::Full => "FULL",
                        };
                        conn.execute(
                            format!(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = {synchronous}; \
                                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
                                 PRAGMA wal_autocheckpoint = 0; \
                                 PRAGMA journal_size_limit = {WAL_SIZE_LIMIT};"
                            )
                            .as_str(),
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(connect)
            .await
            .map_err(StoreError::from)?;
        let writer =
            (backend == Backend::Sqlite).then(|| std::sync::Arc::new(tokio::sync::Mutex::new(())));
        if let Some(lock) = &writer {
            start_checkpointer(pool.clone(), std::sync::Arc::clone(lock));
        }
        let mut store = Store {
            pool,
            backend,
            writer,
            batcher: None,
            sqlite_writer: None,
            checkin_limits: options.checkin_limits,
            course_cache: std::sync::Arc::default(),
            _scratch: scratch,
        };
        if options.migrate {
            store.migrate().await?;
        }
        if backend == Backend::Sqlite {
            store.sqlite_writer = store.open_sqlite_writer(sync).await;
        }
        store.batcher = Some(batch::CheckinBatcher::start(&store));
        Ok(store)
    }

    /// The check-in writer's connection to the same SQLite file; `None`
    /// when the file cannot be opened for writing (it is open read-only),
    /// and check-ins are then refused.
    async fn open_sqlite_writer(&self, sync: SqliteSync) -> Option<sqlite_writer::SqliteWriter> {
        let path: String =
            sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
                .fetch_one(&self.pool)
                .await
                .ok()?;
        if path.is_empty() {
            return None;
        }
        match sqlite_writer::SqliteWriter::open(std::path::Path::new(&path), sync) {
            Ok(writer) => Some(writer),
            Err(error) => {
                tracing::debug!(%error, "the check-in writer cannot open the database file; check-ins are refused");
                None
            }
        }
    }

    /// Runs pending migrations of this backend.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator
            .run(&self.pool)
            .await
            .map_err(|error| StoreError::Migration(error.to_string()))
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes every connection, waiting for those in use; on SQLite the
    /// write-ahead log is then copied into the database file and emptied.
    pub async fn close(&self) {
        self.pool.close().await;
        if let Some(writer) = self.sqlite_writer.clone() {
            let emptied =
                tokio::task::spawn_blocking(move || writer.checkpoint_and_empty_log()).await;
            if let Ok(Err(error)) = emptied {
                // The log stays; the next start copies it in.
                tracing::debug!(%error, "the write-ahead log was not emptied at close");
            }
        }
    }

    /// Makes a consistent copy of a live SQLite database at `path`
    /// (which must not exist yet).
    pub async fn backup_to(&self, path: &std::path::Path) -> Result<(), StoreError> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Config(
                "backup copies SQLite databases; for PostgreSQL use pg_dump".to_owned(),
            ));
        }
        let target = path
            .to_str()
            .ok_or_else(|| StoreError::Config("the backup path must be UTF-8".to_owned()))?;
        // The copy holds health data: its file is made empty and
        // owner-only first (VACUUM INTO fills an empty file).
        match private_file::create(path) {
            Ok(true) => {}
            Ok(false) => {
                return Err(StoreError::Config(format!(
                    "{} exists already; choose a new file",
                    path.display()
                )));
            }
            Err(error) => {
                return Err(StoreError::Config(format!(
                    "cannot create {}: {error}",
                    path.display()
                )));
            }
        }
        // VACUUM INTO writes a transactionally consistent copy while others
        // keep reading and writing.
        let copied = sqlx::query("VACUUM INTO $1")
            .bind(target.to_owned())
            .execute(&self.pool)
            .await;
        if let Err(error) = copied {
            let _ = std::fs::remove_file(path);
            return Err(error.into());
        }
        Ok(())
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Waits for the turn to write (SQLite); hold the guard until commit.
    pub(crate) async fn writer(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match &self.writer {
            Some(lock) => Some(lock.lock().await),
            None => None,
        }
    }
}

/// What the write-ahead log is cut back to when it starts over, in bytes.
pub(crate) const WAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;

/// How often committed pages are copied from SQLite's write-ahead log into
/// the database file while little is written ...
const CHECKPOINT_IDLE_EVERY: Duration = Duration::from_millis(250);

/// ... and while much is: the log then starts over in small steps.
const CHECKPOINT_BUSY_EVERY: Duration = Duration::from_millis(20);

/// Log frames (pages) past which the checkpointer counts the log as busy
/// and makes it start over.
const RESTART_LOG_FRAMES: i64 = 512;

/// Copies the write-ahead log into the database file in the background.
///
/// SQLite's own automatic checkpoint runs inside the commit that crosses
/// its threshold, so every few dozen check-in groups one writer paid for
/// copying and syncing megabytes while every other check-in waited behind
/// it. A passive checkpoint here runs beside the writer instead (it takes
/// no write lock) and its sync delays no answer.
///
/// The log starts over (and later writes reuse its file blocks) only when
/// every frame in it has been copied as the next write begins, which a
/// passive checkpoint never achieves while writes keep coming: under
/// steady load the log grew by gigabytes a minute. So once the log is
/// busy, the checkpointer finishes the last few frames while holding the
/// in-process writer lock. That final copy and sync holds writers up, the
/// longer the more the log holds, so under load it is done often: in one
/// load test, 99th-percentile latency was 16–18 ms when it ran every
/// 20 ms, 31–46 ms every 250 ms, and over 100 ms with a 256 MiB log.
fn start_checkpointer(pool: AnyPool, writer: std::sync::Arc<tokio::sync::Mutex<()>>) {
    tokio::spawn(async move {
        let mut pause = CHECKPOINT_IDLE_EVERY;
        loop {
            tokio::time::sleep(pause).await;
            if pool.is_closed() {
                break;
            }
            pause = CHECKPOINT_IDLE_EVERY;
            match checkpoint(&pool).await {
                Ok(frames) if frames >= RESTART_LOG_FRAMES => {
                    pause = CHECKPOINT_BUSY_EVERY;
                    // Once more without the lock: this pass copies only
                    // what came during the last one, leaving less still.
                    let _ = checkpoint(&pool).await;
                    let _writer = writer.lock().await;
                    if let Err(error) = checkpoint(&pool).await {
                        tracing::warn!(%error, "checkpoint of the write-ahead log failed; trying again");
                    }
                }
                Ok(_) => {}
                Err(_) if pool.is_closed() => break,
                Err(error) => {
                    tracing::warn!(%error, "checkpoint of the write-ahead log failed; trying again");
                }
            }
        }
    });
}

/// Runs one passive checkpoint; answers how many frames the log held.
async fn checkpoint(pool: &AnyPool) -> Result<i64, sqlx::Error> {
    let row = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(pool)
        .await?;
    sqlx::Row::try_get::<i64, _>(&row, 1)
}

/// How far ahead of the service's clock a reported time may be: phones and
/// laptops run a little fast, but a time days ahead would block every
/// later check-in of the course.
pub const MAX_CLOCK_SKEW_MILLIS: Millis = 10 * 60 * 1000;

/// The current time as Unix milliseconds.
pub fn now_millis() -> Millis {
    let now = time::OffsetDateTime::now_utc();
    (now.unix_timestamp_nanos() / 1_000_000) as Millis
}

/// Unix milliseconds of a timestamp.
pub fn millis_of(at: aftercare_core::Timestamp) -> Millis {
    (at.get().unix_timestamp_nanos() / 1_000_000) as Millis
}
