//! Files that hold health data are made readable by their owner only.
//!
//! SQLite creates a database file with the process's default permissions
//! (commonly readable by every user of the machine), and its write-ahead
//! log and shared-memory files take the database file's permissions. So
//! the store creates a new database file (and a backup's file) itself,
//! empty and with mode 0600, before SQLite opens it; the log files follow.

use std::path::{Path, PathBuf};

/// The file a `sqlite:` URL names, or `None` for an in-memory database.
/// Read the way sqlx reads it: the part before `?`, percent-decoded.
pub(crate) fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (database, params) = rest.split_once('?').unwrap_or((rest, ""));
    let in_memory = database.is_empty()
        || database == ":memory:"
        || params.split('&').any(|pair| pair == "mode=memory");
    if in_memory {
        return None;
    }
    percent_decode(database).map(PathBuf::from)
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = text.get(index + 1..index + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Creates `path` empty and readable by its owner only, unless it exists.
/// Answers whether it was created.
pub(crate) fn create(path: &Path) -> std::io::Result<bool> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(true),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(error) => Err(error),
    }
}

/// Logs a warning when an existing database file can be read by other
/// users of the machine (made by an earlier version, or copied).
pub(crate) fn warn_if_shared(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(metadata) = std::fs::metadata(path)
            && metadata.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                mode = format!("{:o}", metadata.permissions().mode() & 0o777),
                "the database file can be read by other users of this machine; \
                 consider `chmod 600` on it and its -wal and -shm files"
            );
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_of_a_sqlite_url() {
        assert_eq!(
            sqlite_file("sqlite://aftercare.db"),
            Some(PathBuf::from("aftercare.db"))
        );
        assert_eq!(
            sqlite_file("sqlite:///var/lib/aftercare/a%20b.db?mode=rwc"),
            Some(PathBuf::from("/var/lib/aftercare/a b.db"))
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("sqlite://:memory:"), None);
        assert_eq!(sqlite_file("sqlite://?mode=memory"), None);
        assert_eq!(sqlite_file("sqlite://x.db?mode=memory"), None);
    }
}
