//! The `aftercare` command: argument parsing and wiring only; the work is
//! done by the core, the store and the server crates.

mod commands;
mod demo;
mod render;
mod settings;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use commands::Failure;
use settings::{DatabaseArgs, ServeArgs};

/// A check-in allocates on every layer it passes (HTTP, JSON, triage,
/// the store); the system allocator's functions took about a tenth of the
/// samples in a profile of check-ins on SQLite. With this allocator the
/// service took 1 to 17 % more check-ins a second on SQLite in six paired
/// runs, and the same on PostgreSQL (`docs/PERFORMANCE.md`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Aftercare: follow-up after massage and manual therapy, with triage of
/// what people feel afterwards. Decision support, not a diagnosis.
#[derive(Parser)]
#[command(name = "aftercare", version, about, long_about = None)]
struct Cli {
    #[command(flatten)]
    database: DatabaseArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service (JSON API) on the configured database. Settings come
    /// from flags, then `AFTERCARE_*` variables, then `--config FILE`, then
    /// defaults.
    Serve {
        #[command(flatten)]
        args: Box<ServeArgs>,
        /// Create a demo clinic with realistic courses if the database has
        /// no clinic yet.
        #[arg(long)]
        demo: bool,
    },
    /// Triage one course (a treatment and its check-ins) in the check-in
    /// format, read from a file or standard input.
    Triage {
        /// Print the decision as one JSON object instead of a readable summary.
        #[arg(long)]
        json: bool,
        /// Use this guideline file instead of the shipped one.
        #[arg(long, value_name = "FILE")]
        guideline: Option<PathBuf>,
        /// The course file; `-` or nothing reads standard input.
        #[arg(value_name = "PATH")]
        input: Option<PathBuf>,
    },
    /// Work with guideline files.
    Guideline {
        #[command(subcommand)]
        command: GuidelineCommand,
    },
    /// Apply pending database migrations (the service also does on start).
    Migrate,
    /// Manage clinics.
    Clinic {
        #[command(subcommand)]
        command: ClinicCommand,
    },
    /// Write a consistent copy of a live SQLite database to a new file.
    Backup {
        /// The new file.
        path: PathBuf,
    },
    /// Write everything stored for one clinic (or, with `--all`, every
    /// clinic and self-check diary) as a JSON archive.
    Export {
        /// The clinic's id.
        #[arg(long, required_unless_present = "all", conflicts_with = "all")]
        clinic: Option<String>,
        /// The whole installation, for `import` into another database.
        #[arg(long)]
        all: bool,
        /// Write here instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Restore a clinic or installation archive into an empty database
    /// (SQLite or PostgreSQL).
    Import {
        /// The archive; `-` or nothing reads standard input.
        input: Option<PathBuf>,
    },
    /// Move everything to another, empty database (e.g. from SQLite to
    /// PostgreSQL), then check that it holds exactly what this one did.
    ///
    /// Stop the service first, and serve only the new database afterwards;
    /// pending reminders are sent from there, once.
    Move {
        /// The new database's URL, `sqlite://FILE` or `postgres://…`.
        #[arg(long, value_name = "URL")]
        to: String,
    },
}

#[derive(Subcommand)]
enum GuidelineCommand {
    /// Check a guideline file: syntax, rules, sources and every red-flag floor.
    Check {
        /// The guideline file.
        file: PathBuf,
    },
    /// List the rules of a guideline with their level and sources.
    Show {
        /// Show this guideline file instead of the shipped one.
        #[arg(long, value_name = "FILE")]
        guideline: Option<PathBuf>,
    },
    /// Show which decisions would change level under another guideline.
    ///
    /// Replays courses under the current guideline and under NEW, one
    /// decision at every check-in, and lists each decision whose level
    /// would change, lower levels first, with the rules behind it. Replays
    /// the golden suite built into this binary, or with `--database-url`
    /// (or `AFTERCARE_DATABASE_URL`) every course stored in that database.
    /// Exits 0 whatever changes.
    Impact {
        /// The guideline to switch to.
        #[arg(value_name = "NEW.toml")]
        new: PathBuf,
        /// The guideline in use now [default: the shipped one].
        #[arg(long, value_name = "FILE")]
        guideline: Option<PathBuf>,
        /// Replay the golden cases (`*.json`) in this folder instead of
        /// the built-in suite or a database.
        #[arg(long, value_name = "DIR")]
        cases: Option<PathBuf>,
        /// Print the report as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Print the generated hazard log of the clinical safety case.
    ///
    /// Markdown for `docs/CLINICAL-SAFETY.md`: for each red-flag floor,
    /// the rules citing it, their facts, its probes and the golden cases
    /// that show it, then any open items.
    SafetyCase {
        /// Use this guideline file instead of the shipped one.
        #[arg(long, value_name = "FILE")]
        guideline: Option<PathBuf>,
        /// Use the golden cases (`*.json`) in this folder instead of the
        /// built-in suite.
        #[arg(long, value_name = "DIR")]
        cases: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ClinicCommand {
    /// Create a clinic and its owner; prints the owner's first API token
    /// (and nothing else) on standard output.
    Create {
        /// The clinic's name.
        name: String,
        /// The owner's email.
        #[arg(long, value_name = "EMAIL")]
        owner: String,
        /// The owner's name [default: the part of the email before @].
        #[arg(long, value_name = "NAME")]
        owner_name: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("error: {failure}");
            failure.exit_code()
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, Failure> {
    let database = cli.database;
    match cli.command {
        Command::Triage {
            json,
            guideline,
            input,
        } => commands::triage(json, guideline.as_deref(), input.as_deref()),
        Command::Guideline { command } => match command {
            GuidelineCommand::Check { file } => commands::guideline_check(&file),
            GuidelineCommand::Show { guideline } => commands::guideline_show(guideline.as_deref()),
            GuidelineCommand::Impact {
                new,
                guideline,
                cases,
                json,
            } => runtime()?.block_on(commands::guideline_impact(
                &database,
                &commands::ImpactArgs {
                    new: &new,
                    old: guideline.as_deref(),
                    cases: cases.as_deref(),
                    json,
                },
            )),
            GuidelineCommand::SafetyCase { guideline, cases } => {
                commands::guideline_safety_case(guideline.as_deref(), cases.as_deref())
            }
        },
        Command::Serve { args, demo } => {
            runtime()?.block_on(commands::serve(&database, &args, demo))
        }
        Command::Migrate => runtime()?.block_on(commands::migrate(&database)),
        Command::Clinic {
            command:
                ClinicCommand::Create {
                    name,
                    owner,
                    owner_name,
                },
        } => runtime()?.block_on(commands::clinic_create(
            &database,
            &name,
            &owner,
            owner_name.as_deref(),
        )),
        Command::Backup { path } => runtime()?.block_on(commands::backup(&database, &path)),
        Command::Export {
            clinic: Some(clinic),
            output,
            ..
        } => runtime()?.block_on(commands::export(&database, &clinic, output.as_deref())),
        Command::Export { output, .. } => {
            runtime()?.block_on(commands::export_all(&database, output.as_deref()))
        }
        Command::Move { to } => runtime()?.block_on(commands::move_to(&database, &to)),
        Command::Import { input } => {
            runtime()?.block_on(commands::import(&database, input.as_deref()))
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| Failure::Io {
            what: "cannot start the async runtime".to_owned(),
            error,
        })
}
