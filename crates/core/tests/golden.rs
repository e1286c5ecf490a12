//! The golden suite: realistic courses written from the guidance sheet,
//! each with the level a careful reader of the guidance expects, and the
//! full decision recorded next to it for review.
//!
//! `UPDATE_GOLDEN=1 cargo test -p aftercare-core --test golden` rewrites the
//! recorded decisions; the expected levels are never rewritten.

use std::fs;
use std::path::{Path, PathBuf};

use aftercare_core::{Course, Guideline, Level, triage};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    title: String,
    expected_level: Level,
    guidance: Vec<String>,
    course: serde_json::Value,
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn cases() -> Vec<(String, Case)> {
    let mut cases: Vec<(String, Case)> = fs::read_dir(golden_dir().join("cases"))
        .expect("golden cases folder")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .map(|path| {
            let name = path
                .file_stem()
                .expect("file name")
                .to_string_lossy()
                .into_owned();
            let text = fs::read_to_string(&path).expect("readable case");
            let case: Case = serde_json::from_str(&text)
                .unwrap_or_else(|error| panic!("{name}: not a golden case: {error}"));
            (name, case)
        })
        .collect();
    cases.sort_by(|a, b| a.0.cmp(&b.0));
    cases
}

#[test]
fn the_suite_is_large_and_covers_every_level() {
    let cases = cases();
    assert!(cases.len() >= 60, "only {} golden cases", cases.len());
    for level in Level::ALL {
        let count = cases
            .iter()
            .filter(|(_, case)| case.expected_level == *level)
            .count();
        assert!(count >= 5, "only {count} golden cases expect `{level}`");
    }
    for (name, case) in &cases {
        assert!(!case.title.trim().is_empty(), "{name}: no title");
        for id in &case.guidance {
            assert!(
                aftercare_core::sources::is_known_source(&format!("guidance:{id}")),
                "{name}: unknown guidance id {id}"
            );
        }
    }
}

#[test]
fn every_golden_course_gets_its_expected_level_and_recorded_decision() {
    let guideline = Guideline::shipped();
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut failures = Vec::new();
    for (name, case) in cases() {
        let course = Course::from_json(&case.course.to_string())
            .unwrap_or_else(|error| panic!("{name}: the course is not valid input: {error}"));
        let decision = triage(&guideline, &course);
        if decision.level != case.expected_level {
            let fired: Vec<String> = decision
                .reasons
                .iter()
                .map(|reason| format!("{} ({})", reason.rule, reason.level))
                .collect();
            failures.push(format!(
                "{name}: expected `{}`, got `{}`; fired: {}",
                case.expected_level,
                decision.level,
                fired.join(", ")
            ));
            continue;
        }
        let recorded = golden_dir().join("decisions").join(format!("{name}.json"));
        let actual = decision.to_json_pretty() + "\n";
        if update {
            fs::write(&recorded, &actual).expect("write golden decision");
        } else {
            match fs::read_to_string(&recorded) {
                Ok(expected) if expected == actual => {}
                Ok(_) => failures.push(format!(
                    "{name}: decision differs from {} (review, then UPDATE_GOLDEN=1)",
                    recorded.display()
                )),
                Err(_) => failures.push(format!(
                    "{name}: no recorded decision (run with UPDATE_GOLDEN=1 and review it)"
                )),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
