//! `aftercare triage`.

use std::path::Path;
use std::process::ExitCode;

use aftercare_core::Course;

use super::{Failure, load_guideline, print, read_input};
use crate::render;

/// Reads a course, triages it and prints the decision.
pub fn triage(
    json: bool,
    guideline: Option<&Path>,
    input: Option<&Path>,
) -> Result<ExitCode, Failure> {
    let guideline = load_guideline(guideline)?;
    let bytes = read_input(input)?;
    let course = Course::from_json_bytes(&bytes)?;
    let decision = aftercare_core::triage(&guideline, &course);
    if json {
        print(&(decision.to_json() + "\n"))?;
    } else {
        print(&render::decision_for_people(&decision))?;
    }
    Ok(ExitCode::SUCCESS)
}
