//! How many check-ins per second the store itself commits (no HTTP): the
//! part of the load test the database and the check-in writer set. With
//! more than one submitter, they submit at the same time through the
//! writer's queue, so check-ins are grouped as under HTTP load.
//!
//! `cargo run --release -p aftercare-store --example submit_rate -- DATABASE_URL SECONDS [SUBMITTERS]`
//!
//! The check-in is the one `scripts/checkin.lua` sends, on 2,000 seeded
//! courses picked in turn, so the figure sets directly against the HTTP
//! load test's.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aftercare_core::{Checkin, Guideline};
use aftercare_store::secret::Secret;
use aftercare_store::{CheckinLimits, Store, StoreOptions, now_millis};

mod seeding;

/// The load test's check-in (`scripts/checkin.lua`).
const CHECKIN: &str = r#"{"at":"2026-11-21T09:00:00Z","symptoms":[
  {"kind":"twitching","severity":"mild","frequency":"occasionally","regions":["calves"],"side":"both"},
  {"kind":"soreness","severity":"moderate","regions":["lower_back"]}],
  "context":{"hydration":"low","sleep_hours":6}}"#;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(seconds)) = (args.next(), args.next()) else {
        return Err("usage: submit_rate DATABASE_URL SECONDS [SUBMITTERS]".into());
    };
    let submitters: usize = args.next().map_or(Ok(1), |n| n.parse())?;
    // The load test's limits (`scripts/checkins-vs-healthz`): every
    // course takes as many check-ins as come.
    let options = StoreOptions {
        checkin_limits: CheckinLimits {
            per_course: 1_000_000,
            per_link_per_hour: 1_000_000,
        },
        ..StoreOptions::default()
    };
    let store = Store::open(&url, &options).await?;
    let guideline = Arc::new(Guideline::shipped());
    let now = now_millis();
    let links: Arc<Vec<String>> = Arc::new(
        seeding::seed_treatments(&store, 2000)
            .await?
            .links
            .iter()
            .map(Secret::hash)
            .collect(),
    );
    let checkin: Checkin = serde_json::from_str(CHECKIN)?;
    let deadline = Instant::now() + Duration::from_secs(seconds.parse()?);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..submitters.max(1) {
        let (store, guideline, links) = (store.clone(), Arc::clone(&guideline), Arc::clone(&links));
        let (checkin, next) = (checkin.clone(), Arc::clone(&next));
        tasks.spawn(async move {
            while Instant::now() < deadline {
                let turn = next.fetch_add(1, Ordering::Relaxed);
                let hash = &links[turn % links.len()];
                store
                    .submit_checkin_shared(hash, None, checkin.clone(), &guideline, now)
                    .await?;
            }
            Ok::<(), aftercare_store::StoreError>(())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let submitted = next.load(Ordering::Relaxed);
    println!(
        "{:.0} check-ins/s ({submitters} submitters)",
        submitted as f64 / elapsed
    );
    store.close().await;
    Ok(())
}
