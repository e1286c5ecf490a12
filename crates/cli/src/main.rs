//! The `aftercare` command: argument parsing and wiring only; the work is
//! done by the core (and, later, the store and server crates).

mod commands;
mod render;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Aftercare: follow-up after massage and manual therapy, with triage of
/// what people feel afterwards. Decision support, not a diagnosis.
#[derive(Parser)]
#[command(name = "aftercare", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Triage {
            json,
            guideline,
            input,
        } => commands::triage(json, guideline.as_deref(), input.as_deref()),
        Command::Guideline { command } => match command {
            GuidelineCommand::Check { file } => commands::guideline_check(&file),
            GuidelineCommand::Show { guideline } => commands::guideline_show(guideline.as_deref()),
        },
    };
    match outcome {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("error: {failure}");
            failure.exit_code()
        }
    }
}
