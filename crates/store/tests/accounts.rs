//! Accounts on both backends: deactivation ends sessions and tokens in the
//! same transaction, reset links work once and only while they are the
//! latest, a password change keeps only the current session, ownership
//! swaps roles, and nothing reaches another clinic's accounts.

use aftercare_store::secret::Secret;
use aftercare_store::testing::{fresh_postgres_url, fresh_sqlite_url};
use aftercare_store::{
    Actor, ClinicId, Practitioner, Principal, Role, Store, StoreError, StoreOptions,
};

const HOUR: i64 = 3_600_000;
const NOW: i64 = 1_795_186_800_000;

/// A fresh store on each backend, and the SQLite folder to remove.
async fn stores() -> (Vec<Store>, Folder) {
    let (sqlite, folder) = fresh_sqlite_url();
    let mut urls = vec![sqlite];
    urls.extend(fresh_postgres_url().await);
    let mut stores = Vec::new();
    for url in urls {
        stores.push(
            Store::open(&url, &StoreOptions::default())
                .await
                .unwrap_or_else(|error| panic!("open {url}: {error}")),
        );
    }
    (stores, Folder(folder))
}

/// A temporary folder, removed when dropped.
struct Folder(std::path::PathBuf);

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A clinic with its owner and one therapist who has a session and a token.
struct Team {
    clinic: ClinicId,
    owner: Practitioner,
    therapist: Practitioner,
    session: Secret,
    token: Secret,
}

async fn team(store: &Store, name: &str) -> Team {
    let (clinic, owner) = store
        .create_clinic_with_owner(name, &format!("owner@{name}.example"), "Owner", NOW)
        .await
        .expect("a clinic");
    let therapist = store
        .create_practitioner(
            &clinic.id,
            &Actor::System,
            &format!("therapist@{name}.example"),
            "Therapist",
            Role::Therapist,
            NOW,
        )
        .await
        .expect("a therapist");
    let session = Secret::generate("acw_");
    let principal = Principal {
        clinic_id: clinic.id.clone(),
        practitioner_id: therapist.id.clone(),
        role: Role::Therapist,
    };
    store
        .create_web_session(&principal, &session.hash(), "csrf", NOW, NOW + 12 * HOUR)
        .await
        .expect("a session");
    let token = Secret::generate("act_");
    store
        .create_api_token(&clinic.id, &therapist.id, "t", &token.hash(), NOW)
        .await
        .expect("a token");
    Team {
        clinic: clinic.id,
        owner,
        therapist,
        session,
        token,
    }
}

#[tokio::test]
async fn deactivation_ends_sessions_and_tokens_and_reactivation_keeps_tokens_revoked() {
    let (stores, _folder) = stores().await;
    for store in stores {
        let a = team(&store, "alpha").await;
        let b = team(&store, "beta").await;
        let owner = Actor::Practitioner(a.owner.id.clone());
        // Another clinic's owner finds nothing.
        let elsewhere = store
            .set_practitioner_active(
                &b.clinic,
                &a.therapist.id,
                false,
                &Actor::Practitioner(b.owner.id.clone()),
                NOW,
            )
            .await;
        assert!(matches!(elsewhere, Err(StoreError::NotFound(_))));
        // The owner's own account cannot be deactivated.
        let own = store
            .set_practitioner_active(&a.clinic, &a.owner.id, false, &owner, NOW)
            .await;
        assert!(matches!(own, Err(StoreError::Conflict(_))));

        let off = store
            .set_practitioner_active(&a.clinic, &a.therapist.id, false, &owner, NOW + 1)
            .await
            .expect("deactivate");
        assert_eq!(off.deactivated_at, Some(NOW + 1));
        assert!(
            store
                .web_session(&a.session.hash(), NOW + 2)
                .await
                .expect("lookup")
                .is_none()
        );
        assert!(
            store
                .token_holder(&a.token.hash())
                .await
                .expect("lookup")
                .is_none()
        );
        let tokens = store
            .list_api_tokens(&a.clinic, &a.therapist.id)
            .await
            .expect("tokens");
        assert!(tokens.iter().all(|token| token.revoked_at.is_some()));
        // B's therapist is untouched.
        assert!(
            store
                .web_session(&b.session.hash(), NOW + 2)
                .await
                .expect("lookup")
                .is_some()
        );
        assert!(
            store
                .token_holder(&b.token.hash())
                .await
                .expect("lookup")
                .is_some()
        );

        let on = store
            .set_practitioner_active(&a.clinic, &a.therapist.id, true, &owner, NOW + 3)
            .await
            .expect("reactivate");
        assert_eq!(on.deactivated_at, None);
        assert!(
            store
                .token_holder(&a.token.hash())
                .await
                .expect("lookup")
                .is_none(),
            "old tokens stay revoked"
        );
        store.close().await;
    }
}

#[tokio::test]
async fn a_reset_link_works_once_and_only_while_it_is_the_latest() {
    let (stores, _folder) = stores().await;
    for store in stores {
        let a = team(&store, "gamma").await;
        let owner = Actor::Practitioner(a.owner.id.clone());
        let first = Secret::generate("acr_");
        let second = Secret::generate("acr_");
        for link in [&first, &second] {
            store
                .create_password_reset(
                    &a.clinic,
                    &a.therapist.id,
                    &link.hash(),
                    &owner,
                    NOW,
                    NOW + HOUR,
                )
                .await
                .expect("a link");
        }
        assert!(
            store
                .password_reset_holder(&first.hash(), NOW + 1)
                .await
                .expect("lookup")
                .is_none(),
            "a newer link ends the older"
        );
        assert!(
            store
                .password_reset_holder(&second.hash(), NOW + HOUR)
                .await
                .expect("lookup")
                .is_none(),
            "expired"
        );
        let holder = store
            .reset_password(&second.hash(), "$argon2id$new", NOW + 2)
            .await
            .expect("reset");
        assert_eq!(holder.id, a.therapist.id);
        let again = store
            .reset_password(&second.hash(), "$argon2id$again", NOW + 3)
            .await;
        assert!(matches!(again, Err(StoreError::NotFound(_))));
        assert_eq!(
            store
                .password_hash_of(&a.clinic, &a.therapist.id)
                .await
                .expect("hash")
                .as_deref(),
            Some("$argon2id$new")
        );
        assert!(
            store
                .web_session(&a.session.hash(), NOW + 4)
                .await
                .expect("lookup")
                .is_none(),
            "a reset ends every session"
        );
        store.close().await;
    }
}

#[tokio::test]
async fn a_password_change_keeps_the_current_session_and_ownership_swaps_roles() {
    let (stores, _folder) = stores().await;
    for store in stores {
        let a = team(&store, "delta").await;
        let other = Secret::generate("acw_");
        let principal = Principal {
            clinic_id: a.clinic.clone(),
            practitioner_id: a.therapist.id.clone(),
            role: Role::Therapist,
        };
        store
            .create_web_session(&principal, &other.hash(), "csrf", NOW, NOW + HOUR)
            .await
            .expect("a second session");
        store
            .set_first_password(&a.clinic, &a.therapist.id, "$argon2id$owner-chose")
            .await
            .expect("first password");
        let session = store
            .web_session(&a.session.hash(), NOW + 1)
            .await
            .expect("lookup")
            .expect("live");
        assert!(session.must_change_password);
        let ended = store
            .change_password(
                &a.clinic,
                &a.therapist.id,
                "$argon2id$mine",
                Some(&a.session.hash()),
                NOW + 2,
            )
            .await
            .expect("change");
        assert_eq!(ended, 1);
        let kept = store
            .web_session(&a.session.hash(), NOW + 3)
            .await
            .expect("lookup")
            .expect("the current session stays");
        assert!(!kept.must_change_password);
        assert!(
            store
                .web_session(&other.hash(), NOW + 3)
                .await
                .expect("lookup")
                .is_none()
        );

        store
            .transfer_ownership(&a.clinic, &a.owner.id, &a.therapist.id, NOW + 4)
            .await
            .expect("transfer");
        let new_owner = store
            .practitioner(&a.clinic, &a.therapist.id)
            .await
            .expect("new owner");
        let old_owner = store
            .practitioner(&a.clinic, &a.owner.id)
            .await
            .expect("old owner");
        assert_eq!(new_owner.role, Role::Owner);
        assert_eq!(old_owner.role, Role::Therapist);
        // The old owner can no longer hand the clinic anywhere.
        let again = store
            .transfer_ownership(&a.clinic, &a.owner.id, &a.therapist.id, NOW + 5)
            .await;
        assert!(matches!(again, Err(StoreError::Conflict(_))));
        store.close().await;
    }
}
