//! Moving a whole installation: `export --all` (every clinic and every
//! self-check diary as one archive), importing such an archive, and
//! `move --to URL`, which does both between two databases at once and
//! checks that the new one holds exactly what the old one did.

use std::path::Path;
use std::process::ExitCode;

use aftercare_store::{Backend, InstallationArchive, Store, StoreError, StoreOptions};

use super::Failure;
use super::admin::{Use, open_store, write_archive};
use crate::settings::{DatabaseArgs, ServeArgs, resolve};

/// Whether archive text is of a whole installation (it has
/// `clinic_archives`) rather than of one clinic.
pub(super) fn is_installation(bytes: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Probe {
        clinic_archives: Option<serde::de::IgnoredAny>,
    }
    serde_json::from_slice::<Probe>(bytes).is_ok_and(|probe| probe.clinic_archives.is_some())
}

/// A summary of an installation archive, for the last line of a command.
fn summary(archive: &InstallationArchive) -> String {
    let (clinics, clients, treatments, pending) = archive.counts();
    format!(
        "{clinics} clinics, {clients} clients, {treatments} treatments, {pending} messages still to send, \
         {} self-check diaries",
        archive.selfcheck_diaries.len()
    )
}

/// `aftercare export --all`: every clinic and every self-check diary as
/// one JSON archive.
pub async fn export_all(
    database: &DatabaseArgs,
    output: Option<&Path>,
) -> Result<ExitCode, Failure> {
    let store = open_store(database, Use::Read).await?;
    let archive = store.export_installation().await?;
    store.close().await;
    write_archive(&archive, output)?;
    eprintln!("exported {}", summary(&archive));
    Ok(ExitCode::SUCCESS)
}

/// `aftercare import FILE` of an installation archive: restores it into an
/// empty database in one transaction.
pub(super) async fn import_installation(
    database: &DatabaseArgs,
    bytes: &[u8],
) -> Result<ExitCode, Failure> {
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    let archive: InstallationArchive = serde::Deserialize::deserialize(deserializer)
        .map_err(|error| Failure::Usage(format!("the archive is not valid: {error}")))?;
    let store = open_store(database, Use::Write).await?;
    store.import_installation(&archive).await?;
    store.close().await;
    eprintln!("imported {}", summary(&archive));
    Ok(ExitCode::SUCCESS)
}

/// `aftercare move --to URL`: copies everything from the configured
/// database into the empty one at `URL` (either backend), then reads it
/// back and compares. The old database is left as it was.
pub async fn move_to(database: &DatabaseArgs, to: &str) -> Result<ExitCode, Failure> {
    Backend::from_url(to).map_err(|error| Failure::Usage(format!("--to: {error}")))?;
    // Both databases are brought to this version's schema first, so an
    // installation made by an older version moves too; a mistyped source
    // file is not made anew.
    let settings = resolve(database, &ServeArgs::default())?;
    let source_options = StoreOptions {
        create_if_missing: false,
        ..StoreOptions::default()
    };
    let source = Store::open(&settings.database_url, &source_options).await?;
    let archive = source.export_installation().await?;
    if archive.clinic_archives.is_empty() && archive.selfcheck_diaries.is_empty() {
        source.close().await;
        return Err(Failure::Usage(
            "the database to move from holds no clinic and no self-check diary: check --database-url"
                .to_owned(),
        ));
    }
    let target = Store::open(to, &StoreOptions::default()).await?;
    target.import_installation(&archive).await?;
    let moved = target.export_installation().await?;
    source.close().await;
    target.close().await;
    if moved != archive {
        return Err(Failure::Store(StoreError::Corrupt(
            "the new database does not read back what was written to it; do not use it, and keep the old one"
                .to_owned(),
        )));
    }
    eprintln!(
        "moved {}; from now on serve the new database only (the old one would send the same reminders again)",
        summary(&archive)
    );
    Ok(ExitCode::SUCCESS)
}
