//! Fresh databases for tests: a temporary SQLite file, and, where a
//! PostgreSQL server is configured or reachable, a new empty database on it.
//!
//! `AFTERCARE_TEST_DATABASE_URL` names the PostgreSQL server to use (any
//! database on it; CI sets it). Without it, the local default
//! `postgres://postgres@127.0.0.1:5432/test` is tried. When neither answers,
//! PostgreSQL tests are skipped with a loud line on stderr, except under
//! CI (`CI` set), where that is a failure.

use std::path::PathBuf;

use sqlx::{AnyConnection, Connection, Executor};

/// The server tests use when nothing is configured.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A fresh SQLite database URL in a new temporary folder.
pub fn fresh_sqlite_url() -> (String, PathBuf) {
    let dir = std::env::temp_dir().join(format!("aftercare-test-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|error| panic!("create {}: {error}", dir.display()));
    let file = dir.join("aftercare.db");
    (format!("sqlite://{}", file.display()), dir)
}

/// A URL of a new, empty PostgreSQL database, or `None` (after saying so
/// loudly) when no server is reachable outside CI.
pub async fn fresh_postgres_url() -> Option<String> {
    sqlx::any::install_default_drivers();
    let configured = std::env::var("AFTERCARE_TEST_DATABASE_URL").ok();
    let base = configured
        .clone()
        .unwrap_or_else(|| DEFAULT_POSTGRES_URL.to_owned());
    let mut admin = match AnyConnection::connect(&base).await {
        Ok(connection) => connection,
        Err(error) => {
            let required = configured.is_some() || std::env::var_os("CI").is_some();
            assert!(
                !required,
                "PostgreSQL is required here but not reachable at {}: {error}",
                redact(&base)
            );
            eprintln!(
                "SKIPPED postgres: no PostgreSQL at {} ({error}); set AFTERCARE_TEST_DATABASE_URL to run these tests on it",
                redact(&base)
            );
            return None;
        }
    };
    let name = format!("aftercare_t_{}", uuid::Uuid::new_v4().simple());
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap_or_else(|error| panic!("create test database {name}: {error}"));
    let _ = admin.close().await;
    Some(replace_database(&base, &name))
}

/// The same server URL with another database name.
fn replace_database(url: &str, database: &str) -> String {
    let (without_query, query) = url
        .split_once('?')
        .map_or((url, None), |(a, b)| (a, Some(b)));
    let authority_start = without_query.find("://").map_or(0, |at| at + 3);
    let server = without_query[authority_start..]
        .find('/')
        .map_or(without_query, |slash| {
            &without_query[..authority_start + slash]
        });
    match query {
        Some(query) => format!("{server}/{database}?{query}"),
        None => format!("{server}/{database}"),
    }
}

/// A URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// A clinic seeded for a test: its id, its owner acting, and its courses
/// (one client's treatments) with their links' hashes.
pub struct SeededCourses {
    /// The clinic.
    pub clinic: crate::ClinicId,
    /// Its owner, as the actor of what the test does next.
    pub actor: crate::Actor,
    /// Each course's private link, hashed as stored.
    pub links: Vec<String>,
    /// Each course's treatment.
    pub treatments: Vec<crate::TreatmentId>,
}

/// A clinic named `name` with one consenting client (reachable at
/// `client_email`, if given) and `count` deep-tissue treatments to the
/// calves, all recorded at `at` with links valid for thirty days.
///
/// # Panics
/// When the store refuses any of it: a test has nothing to go on then.
pub async fn clinic_with_courses(
    store: &crate::Store,
    name: &str,
    client_email: Option<&str>,
    count: usize,
    at: crate::Millis,
) -> SeededCourses {
    let owner_email = format!("owner@{}.example", name.to_lowercase().replace(' ', "-"));
    let (clinic, owner) = store
        .create_clinic_with_owner(name, &owner_email, "Owner", at)
        .await
        .expect("a clinic");
    let actor = crate::Actor::Practitioner(owner.id.clone());
    let client = store
        .create_client(
            &clinic.id,
            &actor,
            crate::NewClient {
                name: "Many Courses".to_owned(),
                email: client_email.map(str::to_owned),
                phone: None,
                consent_at: Some(at),
            },
            at,
        )
        .await
        .expect("a client");
    let treated_at = time::OffsetDateTime::from_unix_timestamp(at / 1000)
        .expect("a time")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("a formatted time");
    let details: aftercare_core::Treatment = serde_json::from_str(&format!(
        r#"{{"at":"{treated_at}","modality":"deep_tissue","pressure":"firm","duration_min":60,"regions":["calves"]}}"#
    ))
    .expect("a treatment");
    let mut seeded = SeededCourses {
        clinic: clinic.id,
        actor,
        links: Vec::new(),
        treatments: Vec::new(),
    };
    for _ in 0..count {
        let link = crate::secret::Secret::generate("acl_");
        let treatment = store
            .create_treatment(
                &seeded.clinic,
                &seeded.actor,
                crate::NewTreatment {
                    client_id: client.id.clone(),
                    practitioner_id: owner.id.clone(),
                    details: details.clone(),
                    notes: None,
                    link_hash: link.hash(),
                    link_expires_at: at + 30 * 24 * 3_600_000,
                },
                at,
            )
            .await
            .expect("a treatment");
        seeded.links.push(link.hash());
        seeded.treatments.push(treatment.id);
    }
    seeded
}
