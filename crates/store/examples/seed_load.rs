//! Seeds a database for the load tests: one clinic and N treatments, and
//! writes each treatment's link secret, one per line; with a fourth
//! argument, also the clinic owner's API token to that file.
//!
//! `cargo run --release -p aftercare-store --example seed_load -- DATABASE_URL COUNT TOKENS_FILE [API_TOKEN_FILE]`

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
    let seeded = seeding::seed_treatments(&store, count.parse()?).await?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(&tokens_file)?);
    for link in &seeded.links {
        writeln!(out, "{}", link.expose())?;
    }
    out.flush()?;
    if let Some(api_token_file) = args.next() {
        std::fs::write(api_token_file, seeded.api_token.expose())?;
    }
    store.close().await;
    Ok(())
}
