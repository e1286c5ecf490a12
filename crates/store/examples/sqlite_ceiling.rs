//! The ceiling for the check-in load test: how many single-row
//! transactions per second SQLite commits on this machine, with the same
//! settings the service uses (WAL, synchronous=NORMAL or FULL), from one
//! connection, each row about the size of a stored check-in.
//!
//! `cargo run --release -p aftercare-store --example sqlite_ceiling -- FILE SECONDS [normal|full] [any]`
//!
//! With `any`, the same through sqlx's `Any` driver, as the store runs it.

use std::time::{Duration, Instant};

use sqlx::{Connection, Executor, SqliteConnection};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(file), Some(seconds)) = (args.next(), args.next()) else {
        return Err("usage: sqlite_ceiling FILE SECONDS [normal|full]".into());
    };
    let sync = args
        .next()
        .unwrap_or_else(|| "normal".to_owned())
        .to_uppercase();
    let seconds: u64 = seconds.parse()?;
    let mut conn = SqliteConnection::connect(&format!("sqlite://{file}?mode=rwc")).await?;
    conn.execute(format!("PRAGMA journal_mode = WAL; PRAGMA synchronous = {sync};").as_str())
        .await?;
    (&mut conn)
        .execute("CREATE TABLE IF NOT EXISTS ceiling (id TEXT PRIMARY KEY, body TEXT NOT NULL, at INTEGER NOT NULL)")
        .await?;
    let body = "x".repeat(600);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut rows = 0u64;
    while Instant::now() < deadline {
        let mut tx = conn.begin().await?;
        sqlx::query("INSERT INTO ceiling (id, body, at) VALUES ($1, $2, $3)")
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(body.clone())
            .bind(i64::try_from(rows)?)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        rows += 1;
    }
    let rate = rows as f64 / started.elapsed().as_secs_f64();
    println!("{rate:.0}");
    Ok(())
}
