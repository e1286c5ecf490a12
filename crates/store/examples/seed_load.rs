//! Seeds a database for the check-in load test: one clinic and N
//! treatments, and writes each treatment's link secret, one per line.
//!
//! `cargo run --release -p aftercare-store --example seed_load -- DATABASE_URL COUNT TOKENS_FILE`

use std::io::Write as _;

use aftercare_store::secret::Secret;
use aftercare_store::{Actor, NewClient, NewTreatment, Store, StoreOptions, now_millis};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(count), Some(tokens_file)) = (args.next(), args.next(), args.next())
    else {
        return Err("usage: seed_load DATABASE_URL COUNT TOKENS_FILE".into());
    };
    let count: usize = count.parse()?;
    let store = Store::open(&url, &StoreOptions::default()).await?;
    let now = now_millis();
    let (clinic, owner) = store
        .create_clinic_with_owner("Load test clinic", "load@test.example", "Load", now)
        .await?;
    let details = serde_json::from_str(
        r#"{"at":"2026-11-20T15:00:00Z","modality":"deep_tissue","pressure":"firm","duration_min":60,"regions":["calves","lower_back"]}"#,
    )?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(&tokens_file)?);
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
                    details: aftercare_core::Treatment::clone(&details),
                    notes: None,
                    link_hash: link.hash(),
                    // Far in the future: the load test must not hit expiry.
                    link_expires_at: now + 3_650 * 24 * 3_600_000,
                },
                now,
            )
            .await?;
        writeln!(out, "{}", link.expose())?;
    }
    out.flush()?;
    store.close().await;
    Ok(())
}
