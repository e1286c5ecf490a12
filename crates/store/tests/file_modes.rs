//! A SQLite database holds health data: the files the store creates (the
//! database, its write-ahead log and shared-memory file, and a backup)
//! are readable by their owner only, whatever the process's umask.

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use aftercare_store::testing::fresh_sqlite_url;
use aftercare_store::{Store, StoreOptions, now_millis};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test]
async fn a_new_database_its_log_and_a_backup_are_readable_by_their_owner_only() {
    let (url, dir) = fresh_sqlite_url();
    let store = Store::open(&url, &StoreOptions::default())
        .await
        .expect("open a new database");
    // A write, so the write-ahead log and shared-memory files exist.
    store
        .create_clinic_with_owner(
            "Private Clinic",
            "owner@private.example",
            "Pia",
            now_millis(),
        )
        .await
        .expect("a clinic");
    let database = dir.join("aftercare.db");
    for file in ["aftercare.db", "aftercare.db-wal", "aftercare.db-shm"] {
        let path = dir.join(file);
        assert!(path.exists(), "{file} exists while the store is open");
        assert_eq!(mode(&path), 0o600, "{file} is readable by its owner only");
    }

    let backup = dir.join("backup.db");
    store.backup_to(&backup).await.expect("a backup");
    assert_eq!(
        mode(&backup),
        0o600,
        "the backup is readable by its owner only"
    );
    assert!(
        std::fs::metadata(&backup).expect("backup").len() > 0,
        "the backup holds the database"
    );
    // A backup never overwrites a file.
    assert!(store.backup_to(&backup).await.is_err());
    assert!(store.backup_to(&database).await.is_err());
    store.close().await;

    let copy = Store::open(
        &format!("sqlite://{}", backup.display()),
        &StoreOptions {
            migrate: false,
            create_if_missing: false,
            ..StoreOptions::default()
        },
    )
    .await
    .expect("open the backup");
    assert_eq!(copy.clinics().await.expect("clinics").len(), 1);
    copy.close().await;
    let _ = std::fs::remove_dir_all(dir);
}
