//! Check-in drafts on every backend: kept until they expire or are
//! deleted, replaced whole, and erased with the diary they belong to.

#![allow(missing_docs)]

use aftercare_store::testing::{fresh_postgres_url, fresh_sqlite_url};
use aftercare_store::{DraftKind, Store, StoreOptions};

const NOW: i64 = 1_795_608_000_000;
const HOUR: i64 = 3_600_000;

async fn backends() -> (Vec<Store>, std::path::PathBuf) {
    let (sqlite, dir) = fresh_sqlite_url();
    let mut stores = vec![
        Store::open(&sqlite, &StoreOptions::default())
            .await
            .expect("open SQLite"),
    ];
    if let Some(postgres) = fresh_postgres_url().await {
        stores.push(
            Store::open(&postgres, &StoreOptions::default())
                .await
                .expect("open PostgreSQL"),
        );
    }
    (stores, dir)
}

#[tokio::test]
async fn a_draft_is_kept_replaced_whole_and_gone_once_expired_or_deleted() {
    let (stores, _dir) = backends().await;
    for store in stores {
        let backend = store.backend();
        assert_eq!(store.checkin_draft("a", NOW).await.expect("read"), None);
        store
            .save_checkin_draft("a", DraftKind::ClientLink, "symptom=fever", NOW, NOW + HOUR)
            .await
            .expect("save");
        assert_eq!(
            store
                .checkin_draft("a", NOW)
                .await
                .expect("read")
                .as_deref(),
            Some("symptom=fever"),
            "{backend:?}"
        );
        store
            .save_checkin_draft(
                "a",
                DraftKind::ClientLink,
                "note=x",
                NOW + 1,
                NOW + 2 * HOUR,
            )
            .await
            .expect("replace");
        assert_eq!(
            store
                .checkin_draft("a", NOW)
                .await
                .expect("read")
                .as_deref(),
            Some("note=x")
        );
        // Past its time it opens nothing, and the next save deletes it.
        assert_eq!(
            store
                .checkin_draft("a", NOW + 2 * HOUR)
                .await
                .expect("read"),
            None
        );
        store
            .save_checkin_draft(
                "b",
                DraftKind::SelfCheck,
                "nothing=yes",
                NOW + 3 * HOUR,
                NOW + 4 * HOUR,
            )
            .await
            .expect("save another");
        assert_eq!(
            store.checkin_draft("a", NOW).await.expect("read"),
            None,
            "deleted"
        );
        store.delete_checkin_draft("b").await.expect("delete");
        assert_eq!(store.checkin_draft("b", NOW).await.expect("read"), None);
        store.close().await;
    }
}

#[tokio::test]
async fn erasing_a_diary_erases_its_draft() {
    let (stores, _dir) = backends().await;
    for store in stores {
        store
            .create_diary("diary-hash", "{}", NOW, NOW + 24 * HOUR)
            .await
            .expect("a diary");
        store
            .save_checkin_draft(
                "diary-hash",
                DraftKind::Diary,
                "symptom=nausea",
                NOW,
                NOW + HOUR,
            )
            .await
            .expect("save");
        store.erase_diary("diary-hash").await.expect("erase");
        assert_eq!(
            store.checkin_draft("diary-hash", NOW).await.expect("read"),
            None
        );
        store.close().await;
    }
}
