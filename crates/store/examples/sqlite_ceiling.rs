//! The ceiling for the check-in load test: how many transactions (and
//! rows) per second SQLite commits on this machine, with the settings the
//! service uses (WAL, synchronous=NORMAL or FULL), from one connection,
//! each row about the size of a stored check-in. It talks to libsqlite3
//! through rusqlite, with a prepared statement and nothing in between, so
//! it is SQLite's own figure, not a driver's.
//!
//! `cargo run --release -p aftercare-store --example sqlite_ceiling -- FILE SECONDS [normal|full] [ROWS_PER_TRANSACTION]`
//!
//! Prints rows committed per second (with one row per transaction, the
//! default, that is also transactions per second).

use std::time::{Duration, Instant};

use rusqlite::{Connection, params};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(file), Some(seconds)) = (args.next(), args.next()) else {
        return Err(
            "usage: sqlite_ceiling FILE SECONDS [normal|full] [ROWS_PER_TRANSACTION]".into(),
        );
    };
    let sync = args
        .next()
        .unwrap_or_else(|| "normal".to_owned())
        .to_uppercase();
    if sync != "NORMAL" && sync != "FULL" {
        return Err(format!("synchronous: `normal` or `full`, not `{sync}`").into());
    }
    let per_transaction: u64 = args.next().map_or(Ok(1), |n| n.parse())?;
    let seconds: u64 = seconds.parse()?;
    let mut conn = Connection::open(&file)?;
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = {sync};"
    ))?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS ceiling (id TEXT PRIMARY KEY, body TEXT NOT NULL, at INTEGER NOT NULL)",
    )?;
    let body = "x".repeat(600);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut rows = 0u64;
    while Instant::now() < deadline {
        let tx = conn.transaction()?;
        {
            let mut insert =
                tx.prepare_cached("INSERT INTO ceiling (id, body, at) VALUES (?1, ?2, ?3)")?;
            for _ in 0..per_transaction {
                insert.execute(params![
                    uuid::Uuid::now_v7().to_string(),
                    body,
                    i64::try_from(rows)?
                ])?;
                rows += 1;
            }
        }
        tx.commit()?;
    }
    let rate = rows as f64 / started.elapsed().as_secs_f64();
    println!("{rate:.0}");
    Ok(())
}
