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
    /// The database cannot be reached (the connection was lost or refused),
    /// no connection came free in time, or its disk is full: try later.
    /// Nothing else is "unavailable": a retry cannot cure a refused value.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// The database refused a value it was given (a character it cannot
    /// keep, a number out of range, text too long). Outside text is checked
    /// before it gets here, so this is the service's own fault.
    #[error("the database refused a value: {0}")]
    Refused(String),
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

/// What a database error means for the caller, decided where it arises:
/// each backend's own codes, never one backend's codes read as the other's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// Lost or refused connection, full disk, lock wait ran out.
    Unavailable,
    /// A value the database would not take.
    Refused,
    /// A uniqueness rule.
    Conflict,
    /// Anything else.
    Other,
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
            // A value sqlx could not even send.
            sqlx::Error::Encode(_) => StoreError::Refused(error.to_string()),
            sqlx::Error::Database(db) => {
                let message = db.message().to_owned();
                let code = db.code().unwrap_or_default();
                let class = if db.is_unique_violation() {
                    Class::Conflict
                } else if db
                    .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                    .is_some()
                {
                    postgres_class(&code)
                } else {
                    code.parse().map_or(Class::Other, sqlite_class)
                };
                match class {
                    Class::Unavailable => StoreError::Unavailable(message),
                    Class::Refused => StoreError::Refused(message),
                    Class::Conflict => StoreError::Conflict(message),
                    Class::Other => StoreError::Database(message),
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
                match sqlite_class(failure.extended_code) {
                    Class::Unavailable => StoreError::Unavailable(text),
                    Class::Refused => StoreError::Refused(text),
                    Class::Conflict => StoreError::Conflict(text),
                    Class::Other => StoreError::Database(text),
                }
            }
            rusqlite::Error::ToSqlConversionFailure(_) | rusqlite::Error::NulError(_) => {
                StoreError::Refused(error.to_string())
            }
            _ => StoreError::Database(error.to_string()),
        }
    }
}

/// A PostgreSQL SQLSTATE: class 08 (connection exception), 53100 (disk
/// full), 53300 (too many connections), 57P01 to 57P03 (the server is
/// shutting down or starting) mean it cannot be reached now; class 22 (data
/// exception: a NUL or other character it cannot keep, a number out of
/// range, text too long) means it refused a value.
fn postgres_class(sqlstate: &str) -> Class {
    match sqlstate {
        "23505" => Class::Conflict,
        "53100" | "53300" | "57P01" | "57P02" | "57P03" => Class::Unavailable,
        code if code.starts_with("08") => Class::Unavailable,
        code if code.starts_with("22") => Class::Refused,
        _ => Class::Other,
    }
}

/// A SQLite result code, primary or extended (the primary code is in the
/// low byte of an extended one): SQLITE_BUSY (5) and SQLITE_LOCKED (6)
/// after the busy timeout, SQLITE_IOERR (10), SQLITE_FULL (13) and
/// SQLITE_CANTOPEN (14) mean it cannot be used now; SQLITE_TOOBIG (18) and
/// SQLITE_MISMATCH (20) mean it refused a value.
fn sqlite_class(extended: i32) -> Class {
    // SQLITE_CONSTRAINT_UNIQUE and SQLITE_CONSTRAINT_PRIMARYKEY.
    if matches!(extended, 2067 | 1555) {
        return Class::Conflict;
    }
    match extended & 0xff {
        5 | 6 | 10 | 13 | 14 => Class::Unavailable,
        18 | 20 => Class::Refused,
        _ => Class::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_postgresql_refuses_is_not_an_outage() {
        // 22021: "invalid byte sequence for encoding UTF8: 0x00", a NUL in
        // text. Its low byte read as a SQLite code is 5 (busy), which once
        // made it a 503.
        assert_eq!(postgres_class("22021"), Class::Refused);
        assert_eq!(postgres_class("22001"), Class::Refused);
        assert_eq!(postgres_class("22003"), Class::Refused);
        assert_eq!(postgres_class("23503"), Class::Other);
        assert_eq!(postgres_class("42601"), Class::Other);
        assert_eq!(postgres_class("23505"), Class::Conflict);
    }

    #[test]
    fn a_lost_or_refused_postgresql_connection_or_full_disk_is_an_outage() {
        for code in [
            "08000", "08001", "08006", "53100", "53300", "57P01", "57P03",
        ] {
            assert_eq!(postgres_class(code), Class::Unavailable, "{code}");
        }
        // Out of memory or a deadlock is not "cannot reach the database".
        assert_eq!(postgres_class("53200"), Class::Other);
        assert_eq!(postgres_class("40P01"), Class::Other);
    }

    #[test]
    fn sqlite_codes_are_read_as_sqlite_codes() {
        assert_eq!(sqlite_class(5), Class::Unavailable);
        assert_eq!(sqlite_class(517), Class::Unavailable); // SQLITE_BUSY_SNAPSHOT
        assert_eq!(sqlite_class(13), Class::Unavailable);
        assert_eq!(sqlite_class(3850), Class::Unavailable); // SQLITE_IOERR_LOCK
        assert_eq!(sqlite_class(2067), Class::Conflict);
        assert_eq!(sqlite_class(1555), Class::Conflict);
        assert_eq!(sqlite_class(787), Class::Other); // SQLITE_CONSTRAINT_FOREIGNKEY
        assert_eq!(sqlite_class(18), Class::Refused);
        assert_eq!(sqlite_class(20), Class::Refused);
    }

    #[test]
    fn a_closed_pool_or_a_refused_connection_is_an_outage() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        for error in [
            sqlx::Error::PoolClosed,
            sqlx::Error::PoolTimedOut,
            sqlx::Error::Io(refused),
        ] {
            assert!(
                matches!(StoreError::from(error), StoreError::Unavailable(_)),
                "unavailable"
            );
        }
    }

    #[test]
    fn a_value_sqlx_cannot_send_is_refused_not_unavailable() {
        let error = sqlx::Error::Encode("a value out of range".into());
        assert!(matches!(StoreError::from(error), StoreError::Refused(_)));
    }
}
