//! Database administration: `migrate`, `clinic create`, `backup`,
//! `export` and `import`.

use std::path::Path;
use std::process::ExitCode;

use aftercare_store::secret::Secret;
use aftercare_store::{ClinicArchive, ClinicId, Store, StoreOptions, now_millis};

use super::{Failure, print, read_input};
use crate::settings::{DatabaseArgs, ServeArgs, resolve};

/// What a command does with the database it opens.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Use {
    /// Reads only: the database must exist already and is not migrated.
    Read,
    /// Writes: a missing SQLite file is created and migrations run.
    Write,
    /// Migrates, and nothing else.
    Migrate,
}

/// Opens the configured database for a use.
pub(super) async fn open_store(database: &DatabaseArgs, intent: Use) -> Result<Store, Failure> {
    let settings = resolve(database, &ServeArgs::default())?;
    let options = StoreOptions {
        migrate: intent == Use::Write,
        create_if_missing: intent != Use::Read,
        ..StoreOptions::default()
    };
    Ok(Store::open(&settings.database_url, &options).await?)
}

/// `aftercare migrate`: applies pending migrations.
pub async fn migrate(database: &DatabaseArgs) -> Result<ExitCode, Failure> {
    let store = open_store(database, Use::Migrate).await?;
    store.migrate().await?;
    store.close().await;
    eprintln!("migrations are up to date");
    Ok(ExitCode::SUCCESS)
}

/// `aftercare clinic create NAME --owner EMAIL`: creates a clinic and its
/// owner and prints the owner's first API token, and nothing else, on
/// standard output.
pub async fn clinic_create(
    database: &DatabaseArgs,
    name: &str,
    owner_email: &str,
    owner_name: Option<&str>,
) -> Result<ExitCode, Failure> {
    if name.trim().is_empty() {
        return Err(Failure::Usage("NAME: expected a clinic name".to_owned()));
    }
    if !aftercare_server::is_email_address(owner_email) {
        return Err(Failure::Usage(format!(
            "--owner: expected an email address, got `{owner_email}`"
        )));
    }
    let store = open_store(database, Use::Write).await?;
    let now = now_millis();
    let owner_name =
        owner_name.unwrap_or_else(|| owner_email.split('@').next().unwrap_or(owner_email));
    let token = Secret::generate("act_");
    let (clinic, owner) = store
        .create_clinic(
            name.trim(),
            owner_email,
            owner_name,
            Some(&token.hash()),
            now,
        )
        .await?;
    store.close().await;
    eprintln!(
        "created clinic {} ({}) with owner {}",
        clinic.name, clinic.id, owner.email
    );
    print(&format!("{}\n", token.expose()))?;
    Ok(ExitCode::SUCCESS)
}

/// `aftercare backup PATH`: a consistent copy of a live SQLite database.
pub async fn backup(database: &DatabaseArgs, path: &Path) -> Result<ExitCode, Failure> {
    let store = open_store(database, Use::Read).await?;
    store.backup_to(path).await?;
    store.close().await;
    eprintln!("backup written to {}", path.display());
    Ok(ExitCode::SUCCESS)
}

/// `aftercare export --clinic ID`: the clinic as a JSON archive.
pub async fn export(
    database: &DatabaseArgs,
    clinic: &str,
    output: Option<&Path>,
) -> Result<ExitCode, Failure> {
    let clinic = ClinicId::parse(clinic).ok_or_else(|| {
        Failure::Usage(format!(
            "--clinic: expected a clinic id (a UUID), got `{clinic}`"
        ))
    })?;
    let store = open_store(database, Use::Read).await?;
    let archive = store.export_clinic(&clinic).await?;
    store.close().await;
    write_archive(&archive, output)?;
    Ok(ExitCode::SUCCESS)
}

/// Writes an archive as pretty JSON to standard output (no path, or `-`)
/// or to a new private file, the same way for every kind of export.
pub(super) fn write_archive(
    archive: &impl serde::Serialize,
    output: Option<&Path>,
) -> Result<(), Failure> {
    let json = serde_json::to_string_pretty(archive)
        .unwrap_or_else(|_| unreachable!("an archive always serializes"))
        + "\n";
    match output {
        None => print(&json)?,
        Some(path) if path.as_os_str() == "-" => print(&json)?,
        Some(path) => write_private(path, json.as_bytes()).map_err(|error| Failure::Io {
            what: format!("cannot write {} (it must not exist yet)", path.display()),
            error,
        })?,
    }
    Ok(())
}

/// Writes a new file that only its owner can read: an archive holds health
/// data and password hashes. An existing file is never overwritten.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// `aftercare import FILE`: restores an archive into an empty database.
pub async fn import(database: &DatabaseArgs, input: Option<&Path>) -> Result<ExitCode, Failure> {
    let bytes = read_input(input)?;
    if super::records::is_installation(&bytes) {
        return super::records::import_installation(database, &bytes).await;
    }
    let deserializer = &mut serde_json::Deserializer::from_slice(&bytes);
    let archive: ClinicArchive = parse_archive(deserializer)?;
    let store = open_store(database, Use::Write).await?;
    store.import_clinic(&archive).await?;
    store.close().await;
    eprintln!(
        "imported clinic {} ({} clients, {} treatments, {} check-ins)",
        archive.clinics[0].name,
        archive.clients.len(),
        archive.treatments.len(),
        archive.checkins.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// Reads an archive, naming the line and column of any problem.
fn parse_archive(
    deserializer: &mut serde_json::Deserializer<serde_json::de::SliceRead<'_>>,
) -> Result<ClinicArchive, Failure> {
    serde::Deserialize::deserialize(deserializer)
        .map_err(|error| Failure::Usage(format!("the archive is not valid: {error}")))
}
