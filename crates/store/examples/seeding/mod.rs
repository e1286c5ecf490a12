//! Seeding shared by the load examples: one clinic and `count` treatments
//! whose client links do not expire during a test.

use aftercare_store::secret::Secret;
use aftercare_store::{Actor, NewClient, NewTreatment, Store, StoreError, now_millis};

/// What was seeded: each treatment's link secret, and an API token of the
/// clinic's owner for the reads of a mixed load.
pub struct Seeded {
    /// The link secrets.
    pub links: Vec<Secret>,
    /// The owner's API token.
    #[allow(dead_code, reason = "read by seed_load, not by submit_rate")]
    pub api_token: Secret,
}

/// Creates the clinic, an API token and the treatments.
pub async fn seed_treatments(store: &Store, count: usize) -> Result<Seeded, StoreError> {
    let now = now_millis();
    let (clinic, owner) = store
        .create_clinic_with_owner("Load test clinic", "load@test.example", "Load", now)
        .await?;
    let details: aftercare_core::Treatment = serde_json::from_str(
        r#"{"at":"2026-11-20T15:00:00Z","modality":"deep_tissue","pressure":"firm","duration_min":60,"regions":["calves","lower_back"]}"#,
    )
    .unwrap_or_else(|error| unreachable!("the seed treatment is valid: {error}"));
    let mut links = Vec::with_capacity(count);
    for n in 0..count {
        let client = store
            .create_client(
                &clinic.id,
                &Actor::System,
                NewClient {
                    name: format!("Client {n}"),
                    email: None,
                    phone: None,
                    consent_at: Some(now),
                },
                now,
            )
            .await?;
        let link = Secret::generate("acl_");
        store
            .create_treatment(
                &clinic.id,
                &Actor::System,
                NewTreatment {
                    client_id: client.id,
                    practitioner_id: owner.id.clone(),
                    details: details.clone(),
                    notes: None,
                    link_hash: link.hash(),
                    // Far in the future: a load test must not hit expiry.
                    link_expires_at: now + 3_650 * 24 * 3_600_000,
                },
                now,
            )
            .await?;
        links.push(link);
    }
    let api_token = Secret::generate("act_");
    store
        .create_api_token(&clinic.id, &owner.id, "load", &api_token.hash(), now)
        .await?;
    Ok(Seeded { links, api_token })
}
