//! What a planning pass reads: the scheduler's two window reads (treatments
//! without a plan, plans with something new) over the whole planning window
//! and since a planning mark, timed on a database of `COUNT` courses
//! recorded over 119 days, each with a plan, a hundred of them checked in
//! a moment ago.
//!
//! `cargo run --release -p aftercare-store --example planning_reads -- DATABASE_URL COUNT`
//!
//! The database must be new and empty (a SQLite file that does not exist
//! yet, or an empty PostgreSQL database).

mod seeding;

use std::time::{Duration, Instant};

use aftercare_store::{PlanningMark, Store, StoreError, StoreOptions, now_millis};

const DAY: i64 = 24 * 3_600_000;
/// The scheduler's planning window and the slack it leaves before a mark.
const WINDOW: i64 = 120 * DAY;
const SLACK: i64 = 5_000;
const BATCH: i64 = 500;
const CHECKED_IN: usize = 100;

/// The best of five runs of `read`, and how many rows it gave.
async fn best_of_five<F: AsyncFn() -> Result<usize, StoreError>>(
    read: F,
) -> Result<(Duration, usize), StoreError> {
    let mut best = Duration::MAX;
    let mut rows = 0;
    for _ in 0..5 {
        let started = Instant::now();
        rows = read().await?;
        best = best.min(started.elapsed());
    }
    Ok((best, rows))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(count)) = (args.next(), args.next()) else {
        return Err("usage: planning_reads DATABASE_URL COUNT".into());
    };
    let count: usize = count.parse()?;
    let store = Store::open(&url, &StoreOptions::default()).await?;
    let started = Instant::now();
    let seeded = seeding::seed_treatments(&store, count).await?;
    eprintln!("seeded {count} courses in {:.0?}", started.elapsed());

    // Spread the courses over the window and give each a plan that has
    // seen everything, straight in SQL: the reads are what is measured.
    sqlx::any::install_default_drivers();
    let raw = sqlx::AnyPool::connect(&url).await?;
    let now = now_millis();
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM treatments ORDER BY id")
        .fetch_all(&raw)
        .await?;
    let spacing = 119 * DAY / i64::try_from(count.max(1))?;
    let mut tx = raw.begin().await?;
    for (index, id) in (0_i64..).zip(&ids) {
        // A stride prime to the count: record times in no order of id.
        let place = index * 7919 % i64::try_from(ids.len().max(1))?;
        sqlx::query("UPDATE treatments SET created_at = $1 WHERE id = $2")
            .bind(now - place * spacing)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    sqlx::query(
        "INSERT INTO followup_plans (treatment_id, clinic_id, plan_hours, updated_at) \
         SELECT id, clinic_id, '[6,24,72]', $1 FROM treatments",
    )
    .bind(now)
    .execute(&raw)
    .await?;

    // The pass that planned all this began here; the check-ins come after.
    let mark = PlanningMark::now(now);
    let guideline = aftercare_core::Guideline::shipped();
    for link in seeded.links.iter().step_by((count / CHECKED_IN).max(1)) {
        let checkin: aftercare_core::Checkin =
            serde_json::from_str(r#"{"at":"2026-11-21T09:00:00Z","symptoms":[]}"#)?;
        store
            .submit_checkin(&link.hash(), None, checkin, &guideline, now)
            .await?;
    }
    if url.starts_with("postgres") {
        // What autovacuum would have done by now: without statistics the
        // planner takes a table of new rows for one of unknown size.
        sqlx::query("ANALYZE").execute(&raw).await?;
    }
    raw.close().await;
    let checkins_from = Some(mark.checkins_from(SLACK));
    let recorded_from = Some(mark.treatments_from(SLACK));
    let since = now - WINDOW;

    let plans = async |from: Option<&str>| {
        let found = store.plans_to_advance(since, from, BATCH).await?;
        Ok::<_, StoreError>(found.len())
    };
    let unplanned = async |from: Option<i64>| {
        let found = store.treatments_without_plan(since, from, BATCH).await?;
        Ok::<_, StoreError>(found.len())
    };
    let whole_plans = best_of_five(async || plans(None).await).await?;
    let mark_plans = best_of_five(async || plans(checkins_from.as_deref()).await).await?;
    let whole_new = best_of_five(async || unplanned(None).await).await?;
    let mark_new = best_of_five(async || unplanned(recorded_from).await).await?;
    println!("{count} courses, {CHECKED_IN} checked in since the mark; best of five");
    println!("| read | whole window | since the mark |\n|---|---:|---:|");
    for (name, (whole, whole_rows), (mark, mark_rows)) in [
        ("plans with something new", whole_plans, mark_plans),
        ("treatments without a plan", whole_new, mark_new),
    ] {
        println!(
            "| {name} | {:.2} ms ({whole_rows} rows) | {:.2} ms ({mark_rows} rows) |",
            whole.as_secs_f64() * 1000.0,
            mark.as_secs_f64() * 1000.0
        );
    }
    store.close().await;
    Ok(())
}
