//! Seeds a database for the check-in load test: one clinic and N
//! treatments, and writes each treatment's link secret, one per line.
//!
//! `cargo run --release -p aftercare-store --example seed_load -- DATABASE_URL COUNT TOKENS_FILE`

mod seeding;

use std::io::Write as _;

use aftercare_store::{Store, StoreOptions};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(count), Some(tokens_file)) = (args.next(), args.next(), args.next())
    else {
        return Err("usage: seed_load DATABASE_URL COUNT TOKENS_FILE".into());
    };
    let store = Store::open(&url, &StoreOptions::default()).await?;
    let links = seeding::seed_treatments(&store, count.parse()?).await?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(&tokens_file)?);
    for link in &links {
        writeln!(out, "{}", link.expose())?;
    }
    out.flush()?;
    store.close().await;
    Ok(())
}
