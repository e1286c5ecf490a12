//! The golden suite's courses, for the guideline tools: the copy built into
//! the binary, or the case files of a folder (`--cases DIR`).

use std::path::Path;

use aftercare_core::{Course, InputError};

use super::Failure;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/golden_cases.rs"));
}

/// One golden case: its name (the file name without `.json`) and course.
pub struct GoldenCase {
    /// The file name without `.json`.
    pub name: String,
    /// The course.
    pub course: Course,
}

/// The cases in `dir`, or those built into the binary; sorted by name.
pub fn load(dir: Option<&Path>) -> Result<Vec<GoldenCase>, Failure> {
    let mut cases = match dir {
        None => embedded::EMBEDDED
            .iter()
            .map(|(name, text)| parse(name, &format!("golden case {name}.json"), text))
            .collect::<Result<Vec<_>, _>>()?,
        Some(dir) => from_folder(dir)?,
    };
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(cases)
}

/// Where the cases came from, for reports.
pub fn origin(dir: Option<&Path>) -> String {
    match dir {
        None => "the golden suite built into this binary".to_owned(),
        Some(dir) => format!("the golden cases in {}", dir.display()),
    }
}

fn from_folder(dir: &Path) -> Result<Vec<GoldenCase>, Failure> {
    let entries = std::fs::read_dir(dir).map_err(|error| Failure::Io {
        what: format!("cannot read the cases folder {}", dir.display()),
        error,
    })?;
    let mut cases = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|error| Failure::Io {
                what: format!("cannot read the cases folder {}", dir.display()),
                error,
            })?
            .path();
        if path.extension().is_none_or(|ext| ext != "json") {
            continue;
        }
        let name = path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(&path).map_err(|error| Failure::Io {
            what: format!("cannot read golden case {}", path.display()),
            error,
        })?;
        cases.push(parse(&name, &path.display().to_string(), &text)?);
    }
    if cases.is_empty() {
        return Err(Failure::Usage(format!(
            "--cases: no golden case (`*.json`) in {}",
            dir.display()
        )));
    }
    Ok(cases)
}

/// Reads the `course` of a case file; the rest of the case is the golden
/// test's business. Errors name the file and the field.
fn parse(name: &str, file: &str, text: &str) -> Result<GoldenCase, Failure> {
    let at = |path: &str, expected: String| {
        Failure::Input(InputError::new(format!("{file}: {path}"), expected))
    };
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|error| at("(document)", format!("a JSON golden case ({error})")))?;
    let course = value
        .get("course")
        .ok_or_else(|| at("course", "a course in the check-in format".to_owned()))?;
    let course = Course::from_json(&course.to_string()).map_err(|error| {
        let path = if error.path.is_empty() {
            "course".to_owned()
        } else {
            format!("course.{}", error.path)
        };
        at(&path, error.expected)
    })?;
    Ok(GoldenCase {
        name: name.to_owned(),
        course,
    })
}
