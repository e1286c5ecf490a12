//! One function per subcommand.

mod admin;
mod golden;
mod guideline;
mod impact;
mod records;
mod safety_case;
mod serve;
mod triage;

use std::io::{self, Read, Write};
use std::path::Path;
use std::process::ExitCode;

pub use admin::{backup, clinic_create, export, import, migrate};
pub use guideline::{check as guideline_check, show as guideline_show};
pub use impact::{ImpactArgs, impact as guideline_impact};
pub use records::{export_all, move_to};
pub use safety_case::safety_case as guideline_safety_case;
pub use serve::serve;
pub use triage::triage;

use aftercare_core::{Guideline, GuidelineError, InputError};
use aftercare_store::StoreError;

/// Why a command failed, and so how it exits.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The input is not usable: exit 2.
    #[error("{0}")]
    Input(#[from] InputError),
    /// The guideline file is not usable: exit 2.
    #[error("guideline {file}: {error}")]
    Guideline {
        /// The file.
        file: String,
        /// What is wrong.
        error: GuidelineError,
    },
    /// The arguments do not make sense: exit 2.
    #[error("{0}")]
    Usage(String),
    /// The settings could not be resolved: exit 2.
    #[error("{0}")]
    Settings(#[from] crate::settings::SettingsError),
    /// The database refused or failed: exit 1.
    #[error("{0}")]
    Store(#[from] aftercare_store::StoreError),
    /// A file could not be read or output not written: exit 2.
    #[error("{what}: {error}")]
    Io {
        /// What was being read or written.
        what: String,
        /// The error.
        error: io::Error,
    },
}

impl Failure {
    /// The process exit code for this failure.
    pub fn exit_code(&self) -> ExitCode {
        // The check-in format's contract: unusable input exits 2, and so
        // does a request the database refuses as asked (the caller's to
        // fix); a failure of the database while doing the work exits 1.
        match self {
            Failure::Input(_)
            | Failure::Guideline { .. }
            | Failure::Io { .. }
            | Failure::Usage(_)
            | Failure::Settings(_)
            | Failure::Store(
                StoreError::Config(_)
                | StoreError::Invalid { .. }
                | StoreError::NotFound(_)
                | StoreError::Conflict(_)
                | StoreError::Refused(_)
                | StoreError::LinkExpired,
            ) => ExitCode::from(2),
            Failure::Store(_) => ExitCode::from(1),
        }
    }
}

/// Reads a whole file, or standard input for `-` or no path.
fn read_input(path: Option<&Path>) -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    match path {
        None => read_stdin(&mut bytes)?,
        Some(path) if path.as_os_str() == "-" => read_stdin(&mut bytes)?,
        Some(path) => {
            bytes = std::fs::read(path).map_err(|error| Failure::Io {
                what: format!("cannot read {}", path.display()),
                error,
            })?;
        }
    }
    Ok(bytes)
}

fn read_stdin(bytes: &mut Vec<u8>) -> Result<(), Failure> {
    io::stdin()
        .read_to_end(bytes)
        .map(drop)
        .map_err(|error| Failure::Io {
            what: "cannot read standard input".to_owned(),
            error,
        })
}

/// The shipped guideline, or the one in `path`.
fn load_guideline(path: Option<&Path>) -> Result<Guideline, Failure> {
    let Some(path) = path else {
        return Ok(Guideline::shipped());
    };
    let text = std::fs::read_to_string(path).map_err(|error| Failure::Io {
        what: format!("cannot read guideline {}", path.display()),
        error,
    })?;
    Guideline::from_toml(&text).map_err(|error| Failure::Guideline {
        file: path.display().to_string(),
        error,
    })
}

/// Writes to standard output; a closed pipe is not an error worth a panic.
fn print(text: &str) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|error| Failure::Io {
            what: "cannot write standard output".to_owned(),
            error,
        })
}
