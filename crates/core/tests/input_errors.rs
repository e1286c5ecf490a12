//! Every way a course can be malformed is refused with the path of the
//! field at fault and what was expected there.

use aftercare_core::Course;
use serde_json::{Value, json};

fn valid() -> Value {
    json!({
        "treatment": {
            "at": "2026-11-20T15:00:00Z",
            "modality": "deep_tissue",
            "pressure": "firm",
            "duration_min": 60,
            "regions": ["calves", "lower_back"]
        },
        "checkins": [
            {
                "at": "2026-11-21T09:00:00Z",
                "symptoms": [
                    { "kind": "twitching", "severity": "mild", "frequency": "occasionally",
                      "regions": ["calves"], "side": "both", "painful": false },
                    { "kind": "soreness", "severity": "moderate" }
                ],
                "context": { "hydration": "low", "sleep_hours": 5, "stress": "high",
                             "new_medication": false },
                "note": "free text"
            },
            {
                "at": "2026-11-22T09:00:00Z",
                "symptoms": []
            }
        ]
    })
}

/// Applies `edit` to a valid course and returns the error it causes.
fn error_after(edit: impl FnOnce(&mut Value)) -> aftercare_core::InputError {
    let mut course = valid();
    edit(&mut course);
    Course::from_json(&course.to_string()).expect_err("the edited course must be refused")
}

fn assert_refused(edit: impl FnOnce(&mut Value), path: &str, expected_words: &str) {
    let error = error_after(edit);
    assert_eq!(error.path, path, "wrong path in: {error}");
    assert!(
        error.expected.contains(expected_words),
        "`{}` does not say `{expected_words}`",
        error.expected
    );
    assert!(
        error.to_string().starts_with(path),
        "message does not start with the path: {error}"
    );
}

#[test]
fn the_valid_course_is_accepted() {
    Course::from_json(&valid().to_string()).expect("valid course");
}

#[test]
fn an_unknown_severity_names_its_path_and_the_scale() {
    assert_refused(
        |c| c["checkins"][0]["symptoms"][1]["severity"] = json!("awful"),
        "checkins[0].symptoms[1].severity",
        "`very_severe`",
    );
}

#[test]
fn an_unknown_symptom_kind_is_refused() {
    assert_refused(
        |c| c["checkins"][0]["symptoms"][0]["kind"] = json!("itching"),
        "checkins[0].symptoms[0].kind",
        "`twitching`",
    );
}

#[test]
fn an_unknown_frequency_interference_or_side_is_refused() {
    assert_refused(
        |c| c["checkins"][0]["symptoms"][0]["frequency"] = json!("often"),
        "checkins[0].symptoms[0].frequency",
        "`almost_constantly`",
    );
    assert_refused(
        |c| c["checkins"][0]["symptoms"][0]["interference"] = json!("lots"),
        "checkins[0].symptoms[0].interference",
        "`quite_a_bit`",
    );
    assert_refused(
        |c| c["checkins"][0]["symptoms"][0]["side"] = json!("middle"),
        "checkins[0].symptoms[0].side",
        "`left`",
    );
}

#[test]
fn an_unknown_region_is_refused_with_its_index() {
    assert_refused(
        |c| c["checkins"][0]["symptoms"][0]["regions"] = json!(["calves", "tail"]),
        "checkins[0].symptoms[0].regions[1]",
        "`whole_body`",
    );
    assert_refused(
        |c| c["treatment"]["regions"] = json!(["elbow"]),
        "treatment.regions[0]",
        "`lower_back`",
    );
}

#[test]
fn an_unknown_modality_or_pressure_is_refused() {
    assert_refused(
        |c| c["treatment"]["modality"] = json!("reiki"),
        "treatment.modality",
        "`myofascial_release`",
    );
    assert_refused(
        |c| c["treatment"]["pressure"] = json!("crushing"),
        "treatment.pressure",
        "`deep`",
    );
}

#[test]
fn an_unknown_field_is_named_with_the_known_ones() {
    assert_refused(
        |c| c["checkins"][0]["symptoms"][0]["colour"] = json!("red"),
        "checkins[0].symptoms[0].colour",
        "`warm_or_red`",
    );
    assert_refused(|c| c["patient"] = json!("x"), "patient", "`treatment`");
    assert_refused(
        |c| c["checkins"][0]["context"]["alcohol"] = json!(2),
        "checkins[0].context.alcohol",
        "`caffeine_cups`",
    );
}

#[test]
fn a_missing_required_field_is_named() {
    assert_refused(
        |c| {
            c["treatment"].as_object_mut().expect("object").remove("at");
        },
        "treatment.at",
        "required",
    );
    assert_refused(
        |c| {
            c["treatment"]
                .as_object_mut()
                .expect("object")
                .remove("modality");
        },
        "treatment.modality",
        "required",
    );
    assert_refused(
        |c| {
            c["checkins"][1]
                .as_object_mut()
                .expect("object")
                .remove("symptoms");
        },
        "checkins[1].symptoms",
        "required",
    );
    assert_refused(
        |c| {
            c["checkins"][0]["symptoms"][1]
                .as_object_mut()
                .expect("object")
                .remove("kind");
        },
        "checkins[0].symptoms[1].kind",
        "required",
    );
    assert_refused(
        |c| {
            c.as_object_mut().expect("object").remove("treatment");
        },
        "treatment",
        "required",
    );
}

#[test]
fn wrong_types_are_refused() {
    assert_refused(
        |c| c["checkins"][0]["symptoms"][0]["painful"] = json!("no"),
        "checkins[0].symptoms[0].painful",
        "boolean",
    );
    assert_refused(
        |c| c["checkins"][0]["symptoms"] = json!({}),
        "checkins[0].symptoms",
        "sequence",
    );
    assert_refused(
        |c| c["checkins"][0]["context"]["sleep_hours"] = json!("five"),
        "checkins[0].context.sleep_hours",
        "f64",
    );
    assert_refused(
        |c| c["checkins"][0]["note"] = json!(7),
        "checkins[0].note",
        "string",
    );
    assert_refused(|c| c["checkins"] = json!("none"), "checkins", "sequence");
}

#[test]
fn impossible_numbers_are_refused() {
    assert_refused(
        |c| c["treatment"]["duration_min"] = json!(0),
        "treatment.duration_min",
        "1 to 480",
    );
    assert_refused(
        |c| c["treatment"]["duration_min"] = json!(481),
        "treatment.duration_min",
        "1 to 480",
    );
    assert_refused(
        |c| c["treatment"]["duration_min"] = json!(-5),
        "treatment.duration_min",
        "1 to 480",
    );
    assert_refused(
        |c| c["treatment"]["duration_min"] = json!(60.5),
        "treatment.duration_min",
        "whole number",
    );
    assert_refused(
        |c| c["checkins"][0]["context"]["sleep_hours"] = json!(25),
        "checkins[0].context.sleep_hours",
        "0 to 24",
    );
    assert_refused(
        |c| c["checkins"][0]["context"]["sleep_hours"] = json!(-1),
        "checkins[0].context.sleep_hours",
        "0 to 24",
    );
    assert_refused(
        |c| c["checkins"][0]["context"]["caffeine_cups"] = json!(51),
        "checkins[0].context.caffeine_cups",
        "0 to 50",
    );
}

#[test]
fn timestamps_must_be_rfc_3339() {
    assert_refused(
        |c| c["treatment"]["at"] = json!("yesterday"),
        "treatment.at",
        "RFC 3339",
    );
    assert_refused(
        |c| c["checkins"][1]["at"] = json!("2026-11-22 09:00"),
        "checkins[1].at",
        "RFC 3339",
    );
    assert_refused(
        |c| c["checkins"][1]["at"] = json!("2026-02-30T09:00:00Z"),
        "checkins[1].at",
        "RFC 3339",
    );
}

#[test]
fn a_checkin_before_the_treatment_is_refused() {
    assert_refused(
        |c| c["checkins"][0]["at"] = json!("2026-11-20T14:00:00Z"),
        "checkins[0].at",
        "at or after the treatment",
    );
}

#[test]
fn checkins_out_of_order_are_refused() {
    assert_refused(
        |c| c["checkins"][1]["at"] = json!("2026-11-21T08:00:00Z"),
        "checkins[1].at",
        "oldest first",
    );
}

#[test]
fn malformed_json_is_refused_without_a_field() {
    for text in ["", "{", "[]", "{\"treatment\": }", "null", "{} {}"] {
        let error = Course::from_json(text).expect_err("malformed JSON must be refused");
        assert!(!error.expected.is_empty(), "{text:?}: empty message");
    }
    let error = Course::from_json_bytes(&[0xff, 0xfe]).expect_err("not UTF-8");
    assert!(error.expected.contains("UTF-8"), "{error}");
}

#[test]
fn timestamps_with_offsets_are_compared_as_instants() {
    let mut course = valid();
    // 10:00+02:00 is 08:00Z, an hour before the previous check-in at 09:00Z.
    course["checkins"][1]["at"] = json!("2026-11-21T10:00:00+02:00");
    let error = Course::from_json(&course.to_string()).expect_err("08:00Z is before 09:00Z");
    assert_eq!(error.path, "checkins[1].at");
}

#[test]
fn a_list_where_an_object_belongs_is_refused() {
    assert_refused(
        |c| c["checkins"][0]["context"] = json!([null]),
        "checkins[0].context",
        "an object",
    );
    assert_refused(
        |c| c["treatment"] = json!(["2026-11-20T15:00:00Z", "swedish"]),
        "treatment",
        "an object",
    );
    assert_refused(
        |c| c["checkins"][1] = json!(["2026-11-22T09:00:00Z", []]),
        "checkins[1]",
        "an object",
    );
    assert_refused(
        |c| c["checkins"][0]["symptoms"][0] = json!(["twitching"]),
        "checkins[0].symptoms[0]",
        "an object",
    );
    let error =
        Course::from_json("[{\"at\":\"2026-11-20T15:00:00Z\",\"modality\":\"swedish\"}, []]")
            .expect_err("array course");
    assert!(error.expected.contains("an object"), "{error}");
}

#[test]
fn a_whole_number_written_with_a_decimal_point_is_still_a_whole_number() {
    // JSON Schema's `integer` (and so the API document) allows `60.0`.
    let mut course = valid();
    course["treatment"]["duration_min"] = json!(60.0);
    let parsed = Course::from_json(&course.to_string()).expect("60.0 minutes is accepted");
    assert_eq!(
        parsed
            .treatment
            .duration_min
            .map(aftercare_core::course::DurationMinutes::get),
        Some(60)
    );
}
