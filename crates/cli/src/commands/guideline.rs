//! `aftercare guideline check` and `aftercare guideline show`.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use aftercare_core::safety::{check_floors, check_monotonic};

use super::{Failure, load_guideline, print};

/// Loads a guideline file and runs the red-flag probes on it: each must
/// keep its floor, and no more evidence in a probe may lower its level.
/// Exits 2 if the file cannot be used, 1 if it breaks either.
pub fn check(file: &Path) -> Result<ExitCode, Failure> {
    let guideline = load_guideline(Some(file))?;
    let floors = check_floors(&guideline);
    let lowered = check_monotonic(&guideline);
    if floors.is_empty() && lowered.is_empty() {
        print(&format!(
            "ok: {} {} — {} rules, every source known, every red-flag floor kept, no probe lowered by more evidence\n",
            guideline.id,
            guideline.version,
            guideline.rules.len()
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    for violation in &floors {
        eprintln!("floor broken: {violation}");
    }
    for violation in &lowered {
        eprintln!("more evidence, lower level: {violation}");
    }
    if !floors.is_empty() {
        eprintln!(
            "error: {} red-flag probe(s) answered below their floor",
            floors.len()
        );
    }
    if !lowered.is_empty() {
        eprintln!(
            "error: {} change(s) adding evidence to a red-flag probe lowered its level (safety property 1)",
            lowered.len()
        );
    }
    Ok(ExitCode::from(1))
}

/// Lists the rules with their level and sources, most serious first.
pub fn show(guideline: Option<&Path>) -> Result<ExitCode, Failure> {
    let guideline = load_guideline(guideline)?;
    let mut out = format!(
        "{} {} — {} ({} rules)\n",
        guideline.id,
        guideline.version,
        guideline.title,
        guideline.rules.len()
    );
    let mut rules: Vec<_> = guideline.rules.iter().collect();
    rules.sort_by_key(|rule| std::cmp::Reverse(rule.level));
    let width = rules.iter().map(|rule| rule.id.len()).max().unwrap_or(0);
    for rule in rules {
        let _ = writeln!(
            out,
            "{:<18} {:<width$}  {}",
            rule.level.as_str(),
            rule.id,
            rule.sources.join(", ")
        );
    }
    print(&out)?;
    Ok(ExitCode::SUCCESS)
}
