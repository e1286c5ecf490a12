//! How many check-ins per second the store itself commits (no HTTP), one
//! submitter at a time: the part of the load test the database sets.
//!
//! `cargo run --release -p aftercare-store --example submit_rate -- DATABASE_URL SECONDS`

use std::time::{Duration, Instant};

use aftercare_core::Guideline;
use aftercare_store::secret::Secret;
use aftercare_store::{Store, StoreOptions, now_millis};

mod seeding;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(seconds)) = (args.next(), args.next()) else {
        return Err("usage: submit_rate DATABASE_URL SECONDS".into());
    };
    let store = Store::open(&url, &StoreOptions::default()).await?;
    let guideline = Guideline::shipped();
    let now = now_millis();
    let links: Vec<String> = seeding::seed_treatments(&store, 2000)
        .await?
        .links
        .iter()
        .map(Secret::hash)
        .collect();
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
