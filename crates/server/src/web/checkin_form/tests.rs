use std::fmt::Write as _;

use aftercare_store::Millis;

use super::*;

/// 2026-11-25T12:00:00Z.
const NOW: Millis = 1_795_608_000_000;

fn form(body: &str) -> FormData {
    FormData::parse(body.as_bytes())
}

/// A valid answer for each per-symptom field, as the form sends it.
fn sample(field: &str) -> &'static str {
    match field {
        "severity" => "moderate",
        "frequency" => "rarely",
        "interference" => "somewhat",
        "regions" => "calves",
        "side" => "left",
        "sudden" => "no",
        _ => "yes",
    }
}

#[test]
fn any_detail_alone_means_the_symptom_is_present() {
    for kind in SymptomKind::ALL {
        for field in detail_fields(*kind) {
            if field == "gone" {
                continue;
            }
            let body = format!("{kind}.{field}={}", sample(field));
            let checkin = read_checkin(&form(&body), NOW).expect("read");
            assert_eq!(checkin.symptoms.len(), 1, "{body}");
            let symptom = &checkin.symptoms[0];
            assert_eq!(symptom.kind, *kind, "{body}");
            assert!(symptom.is_present(), "{body}");
            assert_ne!(*symptom, Symptom::new(*kind), "{body}: the detail is kept");
        }
    }
}

#[test]
fn gone_keeps_only_that() {
    for kind in SymptomKind::ALL {
        let mut body = format!("symptom={kind}&{kind}.gone=yes");
        for field in detail_fields(*kind) {
            if field != "gone" {
                let _ = write!(body, "&{kind}.{field}={}", sample(field));
            }
        }
        let checkin = read_checkin(&form(&body), NOW).expect("read");
        let gone = Symptom {
            severity: Some(Severity::None),
            ..Symptom::new(*kind)
        };
        assert_eq!(checkin.symptoms, [gone], "{body}");
    }
}

#[test]
fn nothing_said_is_nothing_to_report_and_a_tick_alone_is_present() {
    let empty = read_checkin(&form("note=fine"), NOW).expect("read");
    assert!(empty.symptoms.is_empty());
    let ticked = read_checkin(&form("symptom=confusion"), NOW).expect("read");
    assert_eq!(ticked.symptoms, [Symptom::new(SymptomKind::Confusion)]);
}

#[test]
fn a_yes_or_no_answer_must_be_one_of_them() {
    let errors =
        read_checkin(&form("headache.sudden=maybe&seen_by_clinician=1"), NOW).expect_err("refused");
    assert!(errors.get("headache.sudden").is_some());
    assert!(errors.get("seen_by_clinician").is_some());
    let checkin = read_checkin(&form("headache.sudden=&seen_by_clinician=no"), NOW).expect("read");
    assert!(checkin.symptoms.is_empty(), "not sure is not an answer");
    assert_eq!(checkin.context.seen_by_clinician, Some(false));
}

#[test]
fn the_clinician_question_is_asked_after_a_doctor_level_answer_and_never_pre_filled() {
    let course = Course::from_json(
        r#"{"treatment": {"at": "2026-11-20T15:00:00Z", "modality": "swedish"},
            "checkins": [{"at": "2026-11-21T09:00:00Z", "symptoms": [{"kind": "fever", "severity": "moderate"}],
                          "context": {"seen_by_clinician": true}}]}"#,
    )
    .expect("a course");
    let empty = FieldErrors::default();
    let milder = checkin_fields(
        &FormData::default(),
        &empty,
        &SoFar::of(&course, &[Level::ContactTherapist]),
    )
    .into_string();
    assert!(!milder.contains("seen_by_clinician"));
    let asked = checkin_fields(
        &FormData::default(),
        &empty,
        &SoFar::of(&course, &[Level::SeeDoctor]),
    )
    .into_string();
    let start = asked.find(r#"id="seen_by_clinician""#).expect("asked");
    let end = start + asked[start..].find("</fieldset>").expect("its end");
    assert!(!asked[start..end].contains("checked"), "never pre-filled");
    // What was reported last is offered as gone, with its fold open.
    assert!(asked.contains(r#"name="fever.gone""#));
    assert!(!asked.contains(r#"name="soreness.gone""#));
}
