//! The examples of `docs/CHECKIN-FORMAT.md` are valid: each course parses,
//! and the decision example has the shape and values a decision has.

use std::path::Path;

use aftercare_core::{Course, Guideline, Level, triage};

fn json_blocks() -> Vec<serde_json::Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/CHECKIN-FORMAT.md");
    let text = std::fs::read_to_string(&path).expect("the format document");
    text.split("```json")
        .skip(1)
        .map(|rest| {
            let block = rest.split("```").next().expect("a closed block");
            serde_json::from_str(block).unwrap_or_else(|error| panic!("{error}:\n{block}"))
        })
        .collect()
}

#[test]
fn every_course_example_parses_and_the_decision_example_matches_a_real_one() {
    let blocks = json_blocks();
    let (courses, decisions): (Vec<_>, Vec<_>) = blocks
        .iter()
        .partition(|block| block.get("treatment").is_some());
    assert!(courses.len() >= 2, "course examples");
    assert_eq!(decisions.len(), 1, "one decision example");
    let guideline = Guideline::shipped();
    let mut last = None;
    for course in &courses {
        let course = Course::from_json(&course.to_string())
            .unwrap_or_else(|error| panic!("a course example does not parse: {error}"));
        last = Some(course);
    }
    // The decision example is the second course's: a flag carried from the
    // first check-in... until the clinician's answer closes it. Its shape
    // must be the real one, with every level and field spelled as triage
    // spells them.
    let example = decisions[0];
    let course = last.expect("a course");
    let mut open = course.clone();
    open.checkins.truncate(1);
    open.checkins.push(aftercare_core::Checkin {
        at: course.checkins[1].at,
        symptoms: Vec::new(),
        context: aftercare_core::Context::default(),
        note: None,
    });
    let real: serde_json::Value =
        serde_json::from_str(&triage(&guideline, &open).to_json()).expect("decision JSON");
    for key in [
        "level",
        "summary",
        "reasons",
        "advice",
        "next_checkin_hours",
        "guideline",
    ] {
        assert!(
            example.get(key).is_some() && real.get(key).is_some(),
            "{key}"
        );
    }
    assert_eq!(example["level"], real["level"]);
    assert_eq!(example["reasons"][0]["rule"], real["reasons"][0]["rule"]);
    assert_eq!(
        example["reasons"][0]["why"],
        real["reasons"][0]["why"]
            .as_str()
            .and_then(|why| why.split(": ").nth(1))
            .map(serde_json::Value::from)
            .expect("a carried reason names what was reported")
    );
    assert_eq!(
        example["reasons"][0]["earlier"],
        real["reasons"][0]["earlier"]
    );
    assert_eq!(example["guideline"]["version"], guideline.version.as_str());
    // With the clinician's answer the flag is closed.
    assert_eq!(triage(&guideline, &course).level, Level::Expected);
}
