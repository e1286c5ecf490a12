//! Moving a whole installation with the real binary: `aftercare move --to`
//! from SQLite to PostgreSQL, and `export --all` / `import` into a new
//! SQLite file; both leave a database that exports exactly as the old one.

use std::path::Path;
use std::process::{Command, Output};

use aftercare_store::secret::Secret;
use aftercare_store::testing::{fresh_postgres_url, fresh_sqlite_url};
use aftercare_store::{Actor, FollowupSettings, NewClient, Store, StoreOptions};

fn aftercare(database: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aftercare"))
        .arg("--database-url")
        .arg(database)
        .args(args)
        .env_remove("AFTERCARE_DATABASE_URL")
        .env_remove("AFTERCARE_CONFIG")
        .output()
        .expect("run aftercare")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The installation as `export --all` prints it.
fn export_all(database: &str) -> serde_json::Value {
    let out = aftercare(database, &["export", "--all"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("an archive")
}

/// A clinic with a client, follow-up settings and a self-check diary.
async fn seed(url: &str) {
    let out = aftercare(
        url,
        &[
            "clinic",
            "create",
            "Moving Clinic",
            "--owner",
            "owner@moving.test",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let store = Store::open(url, &StoreOptions::default())
        .await
        .expect("open");
    let clinic = store.clinics().await.expect("clinics").remove(0);
    store
        .create_client(
            &clinic.id,
            &Actor::System,
            NewClient {
                name: "Moving Client".to_owned(),
                email: Some("client@moving.test".to_owned()),
                phone: None,
                consent_at: None,
            },
            1_795_186_800_000,
        )
        .await
        .expect("a client");
    store
        .put_followup_settings(
            &clinic.id,
            &Actor::System,
            &FollowupSettings {
                plan_hours: vec![12, 48],
                ..FollowupSettings::default()
            },
            1_795_186_800_000,
        )
        .await
        .expect("settings");
    store
        .create_diary(
            &Secret::generate("acd_").hash(),
            r#"{"treatment":{"at":"2026-11-20T15:00:00Z","modality":"swedish"},"checkins":[]}"#,
            1_795_186_800_000,
            4_000_000_000_000,
        )
        .await
        .expect("a diary");
    store.close().await;
}

#[tokio::test]
async fn an_installation_moves_from_sqlite_to_postgres_and_through_an_archive() {
    let (sqlite, dir) = fresh_sqlite_url();
    seed(&sqlite).await;
    let before = export_all(&sqlite);
    assert_eq!(before["clinic_archives"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        before["selfcheck_diaries"].as_array().map(Vec::len),
        Some(1)
    );

    // Through an archive file, into a new SQLite file.
    let file = dir.join("installation.json");
    let out = aftercare(
        &sqlite,
        &[
            "export",
            "--all",
            "--output",
            file.to_str().expect("a path"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (copy, copy_dir) = fresh_sqlite_url();
    let out = aftercare(&copy, &["import", file.to_str().expect("a path")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("1 clinics"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(export_all(&copy), before);
    let again = aftercare(&copy, &["import", file.to_str().expect("a path")]);
    assert_eq!(again.status.code(), Some(2), "not into a database in use");

    // A database URL that names no backend is refused before anything.
    let refused = aftercare(&sqlite, &["move", "--to", "mysql://db.example/aftercare"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused.stderr).contains("--to"),
        "{}",
        text(&refused.stderr)
    );
    let (missing, missing_dir) = fresh_sqlite_url();
    let nothing = aftercare(&missing, &["move", "--to", &copy]);
    assert!(!nothing.status.success(), "{}", text(&nothing.stderr));
    assert!(
        !Path::new(missing.trim_start_matches("sqlite://")).exists(),
        "not made anew"
    );
    let _ = std::fs::remove_dir_all(missing_dir);
    let both = aftercare(&sqlite, &["export", "--all", "--clinic", "x"]);
    assert_eq!(both.status.code(), Some(2), "--all or --clinic, not both");

    if let Some(postgres) = fresh_postgres_url().await {
        let out = aftercare(&sqlite, &["move", "--to", &postgres]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(
            !text(&out.stderr).contains("postgres://"),
            "the address (and any password in it) is not printed"
        );
        assert_eq!(export_all(&postgres), before);
        assert_eq!(
            export_all(&sqlite),
            before,
            "the old database is left as it was"
        );
        let twice = aftercare(&sqlite, &["move", "--to", &postgres]);
        assert_eq!(twice.status.code(), Some(2), "{}", text(&twice.stderr));
        assert_eq!(export_all(&postgres), before, "and nothing was added");
    }
    for dir in [dir, copy_dir] {
        let _ = std::fs::remove_dir_all(Path::new(&dir));
    }
}
