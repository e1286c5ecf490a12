//! The store's error type.

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Nothing with that id in this clinic (or at all).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// It would break a uniqueness rule, e.g. an email already in use.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The client's link has expired.
    #[error("this link has expired")]
    LinkExpired,
    /// The request does not fit what is stored, e.g. a check-in older than
    /// the last one; `path` names the field.
    #[error("{path}: expected {expected}")]
    Invalid {
        /// Field path.
        path: String,
        /// What was expected.
        expected: String,
    },
    /// The course holds as many check-ins as it may.
    #[error("the course has reached its limit of {limit} check-ins")]
    CourseFull {
        /// The cap.
        limit: u32,
    },
    /// The link has been used for as many check-ins as it may in an hour.
    #[error("the link has reached its limit of {limit} check-ins an hour")]
    TooManyCheckins {
        /// The cap.
        limit: u32,
        /// Seconds until one more check-in is accepted.
        retry_after_secs: u64,
    },
    /// The database cannot be reached, is full, or timed out: try later.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// A configuration problem: bad URL, wrong backend for the operation.
    #[error("{0}")]
    Config(String),
    /// Migrations failed.
    #[error("migration failed: {0}")]
    Migration(String),
    /// Anything else the database said.
    #[error("database error: {0}")]
    Database(String),
    /// Stored data could not be read back.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::RowNotFound => StoreError::NotFound("record"),
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(error.to_string()),
            sqlx::Error::Database(db) => {
                let code = db.code().unwrap_or_default();
                if db.is_unique_violation() {
                    StoreError::Conflict(db.message().to_owned())
                } else if is_unavailable_code(&code) {
                    StoreError::Unavailable(db.message().to_owned())
                } else {
                    StoreError::Database(db.message().to_owned())
                }
            }
            _ => StoreError::Database(error.to_string()),
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        match &error {
            rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound("record"),
            rusqlite::Error::SqliteFailure(failure, message) => {
                let text = message.clone().unwrap_or_else(|| failure.to_string());
                // SQLITE_CONSTRAINT_UNIQUE and SQLITE_CONSTRAINT_PRIMARYKEY.
                if matches!(failure.extended_code, 2067 | 1555) {
                    StoreError::Conflict(text)
                } else if is_unavailable_code(&failure.extended_code.to_string()) {
                    StoreError::Unavailable(text)
                } else {
                    StoreError::Database(text)
                }
            }
            _ => StoreError::Database(error.to_string()),
        }
    }
}

/// SQLite: busy, locked, I/O error, full, can't open. PostgreSQL: disk
/// full, out of memory, too many connections, shutting down, connection
/// failures.
fn is_unavailable_code(code: &str) -> bool {
    matches!(
        code,
        "5" | "6" | "10" | "13" | "14" | "53100" | "53200" | "53300" | "57P01" | "57P02" | "57P03"
    ) || code.starts_with("08")
        // Extended SQLite codes keep the primary code in the low byte.
        || code.parse::<u32>().is_ok_and(|n| n > 255 && matches!(n & 0xff, 5 | 6 | 10 | 13 | 14))
}
