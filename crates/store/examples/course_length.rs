//! Whether a long course costs more to submit to than a short one: the
//! time to store one more check-in on courses of 3 and of 150 check-ins,
//! through the check-in writer, one submission at a time (no HTTP).
//!
//! Each course is first grown to its length; then each gets one more
//! check-in, timed. "Kept" is the writer that grew the courses (it kept
//! them); "read again" is a second store on the same database, which has
//! kept nothing and reads each course from the database, as every
//! submission did before the writer kept courses.
//!
//! `cargo run --release -p aftercare-store --example course_length -- [DATABASE_URL] [COURSES]`
//! (default: a fresh SQLite file in the temporary folder, 100 courses)

use std::sync::Arc;
use std::time::Instant;

use aftercare_core::{Checkin, Guideline};
use aftercare_store::secret::Secret;
use aftercare_store::{CheckinLimits, Store, StoreError, StoreOptions, now_millis};

mod seeding;

/// A check-in `minutes` after the seeded treatment (2026-11-20T15:00Z):
/// persistent mild twitching, the commonest long course.
fn checkin(minutes: i64) -> Checkin {
    let at = time::OffsetDateTime::from_unix_timestamp(1_795_186_800 + minutes * 60)
        .unwrap_or_else(|error| unreachable!("a valid time: {error}"));
    let at = at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|error| unreachable!("formats: {error}"));
    serde_json::from_str(&format!(
        r#"{{"at":"{at}","symptoms":[{{"kind":"twitching","severity":"mild","regions":["calves"]}}]}}"#
    ))
    .unwrap_or_else(|error| unreachable!("a valid check-in: {error}"))
}

/// Microseconds per submission of one more check-in on every course.
async fn one_more(
    store: &Store,
    links: &[String],
    length: i64,
    guideline: &Arc<Guideline>,
) -> Result<f64, StoreError> {
    let now = now_millis();
    let started = Instant::now();
    for link in links {
        store
            .submit_checkin_shared(link, None, checkin(length * 10 + 5), guideline, now)
            .await?;
    }
    Ok(started.elapsed().as_secs_f64() * 1e6 / links.len() as f64)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| {
            let dir = std::env::temp_dir()
                .join(format!("aftercare-course-length-{}", std::process::id()));
            let _ = std::fs::create_dir_all(&dir);
            format!("sqlite://{}", dir.join("aftercare.db").display())
        });
    let courses: usize = args.next().map_or(Ok(100), |n| n.parse())?;
    let options = StoreOptions {
        checkin_limits: CheckinLimits {
            per_course: 1000,
            per_link_per_hour: 1000,
        },
        ..StoreOptions::default()
    };
    let store = Store::open(&url, &options).await?;
    let guideline = Arc::new(Guideline::shipped());
    let links: Vec<String> = seeding::seed_treatments(&store, 2 * courses)
        .await?
        .links
        .iter()
        .map(Secret::hash)
        .collect();
    let (short, long) = links.split_at(courses);
    let now = now_millis();
    for (group, length) in [(short, 3_i64), (long, 150)] {
        for link in group {
            for n in 0..length {
                store
                    .submit_checkin_shared(link, None, checkin(n * 10), &guideline, now)
                    .await?;
            }
        }
    }
    let kept_short = one_more(&store, short, 3, &guideline).await?;
    let kept_long = one_more(&store, long, 150, &guideline).await?;
    let other = Store::open(&url, &options).await?;
    let read_short = one_more(&other, short, 4, &guideline).await?;
    let read_long = one_more(&other, long, 151, &guideline).await?;
    println!("{courses} courses each; µs per check-in added, one at a time:");
    println!("| course | kept by the writer | read again |");
    println!("|---|---:|---:|");
    println!("| 3 check-ins | {kept_short:.0} | {read_short:.0} |");
    println!("| 150 check-ins | {kept_long:.0} | {read_long:.0} |");
    println!(
        "150 / 3: {:.2} kept, {:.2} read again",
        kept_long / kept_short,
        read_long / read_short
    );
    store.close().await;
    other.close().await;
    Ok(())
}
