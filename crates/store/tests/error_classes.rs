//! What a database error means, on the real databases: a value the
//! database refuses is never "unavailable" (a retry cannot cure it), while
//! a closed pool or a refused connection always is.

use std::time::Duration;

use aftercare_store::testing::{fresh_postgres_url, fresh_sqlite_url};
use aftercare_store::{Store, StoreError, StoreOptions};

#[tokio::test]
async fn a_nul_that_postgresql_refuses_is_a_refused_value_not_an_outage() {
    let Some(url) = fresh_postgres_url().await else {
        return;
    };
    let store = Store::open(&url, &StoreOptions::default())
        .await
        .expect("open PostgreSQL");
    // PostgreSQL keeps no NUL in text: SQLSTATE 22021.
    let refused = store.practitioner_by_email("a\u{0}b@x.y").await;
    assert!(
        matches!(refused, Err(StoreError::Refused(_))),
        "a refused value: {refused:?}"
    );
    // The connection it came on is still good.
    store.ping().await.expect("still answers");
    store.close().await;
    let closed = store.ping().await;
    assert!(
        matches!(closed, Err(StoreError::Unavailable(_))),
        "a closed pool: {closed:?}"
    );
}

#[tokio::test]
async fn sqlite_keeps_a_nul_and_a_closed_pool_is_an_outage() {
    let (url, dir) = fresh_sqlite_url();
    let store = Store::open(&url, &StoreOptions::default())
        .await
        .expect("open SQLite");
    let found = store.practitioner_by_email("a\u{0}b@x.y").await;
    assert!(matches!(found, Ok(None)), "{found:?}");
    store.close().await;
    let closed = store.ping().await;
    assert!(
        matches!(closed, Err(StoreError::Unavailable(_))),
        "a closed pool: {closed:?}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_refused_connection_is_an_outage() {
    // Nothing listens on port 1 here: the connection is refused.
    let options = StoreOptions {
        acquire_timeout: Duration::from_secs(2),
        migrate: false,
        ..StoreOptions::default()
    };
    let opened = Store::open("postgres://postgres@127.0.0.1:1/none", &options).await;
    assert!(
        matches!(opened, Err(StoreError::Unavailable(_))),
        "a refused connection: {:?}",
        opened.err()
    );
}
