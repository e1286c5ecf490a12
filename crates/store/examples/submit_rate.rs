//! How many check-ins per second the store itself commits (no HTTP), one
//! submitter at a time: the part of the load test the database sets.
//!
//! `cargo run --release -p aftercare-store --example submit_rate -- DATABASE_URL SECONDS`

use std::time::{Duration, Instant};

use aftercare_core::Guideline;
use aftercare_store::secret::Secret;
use aftercare_store::{Actor, NewClient, NewTreatment, Store, StoreOptions, now_millis};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(seconds)) = (args.next(), args.next()) else {
        return Err("usage: submit_rate DATABASE_URL SECONDS".into());
    };
    let store = Store::open(&url, &StoreOptions::default()).await?;
    let guideline = Guideline::shipped();
    let now = now_millis();
    let (clinic, owner) = store
        .create_clinic_with_owner("Rate", "rate@test.example", "Rate", now)
        .await?;
    let details: aftercare_core::Treatment = serde_json::from_str(
        r#"{"at":"2026-11-20T15:00:00Z","modality":"deep_tissue","regions":["calves"]}"#,
    )?;
    let mut links = Vec::new();
    for n in 0..2000 {
        let client = store
            .create_client(
                &clinic.id,
                &Actor::System,
                NewClient {
                    name: format!("C{n}"),
                    email: None,
                    phone: None,
                    consent_at: None,
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
                    link_expires_at: now + 3_650 * 24 * 3_600_000,
                },
                now,
            )
            .await?;
        links.push(link.hash());
    }
    let checkin: aftercare_core::Checkin = serde_json::from_str(
        r#"{"at":"2026-11-21T09:00:00Z","symptoms":[{"kind":"twitching","severity":"mild"}]}"#,
    )?;
    let deadline = Instant::now() + Duration::from_secs(seconds.parse()?);
    let started = Instant::now();
    let mut count = 0usize;
    while Instant::now() < deadline {
        let hash = &links[count % links.len()];
        store
            .submit_checkin(hash, None, checkin.clone(), &guideline, now)
            .await?;
        count += 1;
    }
    println!(
        "{:.0} check-ins/s",
        count as f64 / started.elapsed().as_secs_f64()
    );
    store.close().await;
    Ok(())
}
