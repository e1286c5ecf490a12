//! Every construct of the condition language, each in a tiny guideline of
//! its own, fires exactly when it should and names its evidence.

use std::fmt::Write as _;

use aftercare_core::{Course, Guideline, Level, triage};

/// A one-rule guideline whose rule (`probe`, level `see_doctor`) has this
/// condition.
fn guideline_with(condition: &str) -> Guideline {
    let mut levels = String::new();
    for level in Level::ALL {
        let _ = writeln!(levels, "[levels.{level}]\nsummary = \"{level}\"");
    }
    let text = format!(
        r#"format = 1
id = "test"
version = "1"
title = "test"
disclaimer = "decision support"
{levels}
[followup]
plan_hours = [6, 24, 72, 168]
stop_when_clear_after_hours = 72
active_interval_hours = {{ expected = 24, self_care = 24, contact_therapist = 12, see_doctor = 24, urgent = 12, emergency = 12 }}

[[rule]]
id = "probe"
level = "see_doctor"
sources = ["guidance:G1"]
why = "probe"
when = {condition}
"#
    );
    Guideline::from_toml(&text).unwrap_or_else(|error| panic!("{condition}: {error}"))
}

fn course(treatment: &str, checkins: &str) -> Course {
    Course::from_json(&format!(
        r#"{{"treatment":{treatment},"checkins":{checkins}}}"#
    ))
    .expect("course")
}

const DEEP: &str = r#"{"at":"2026-11-20T12:00:00Z","modality":"deep_tissue","pressure":"firm","duration_min":90,"regions":["calves"]}"#;
const LIGHT: &str = r#"{"at":"2026-11-20T12:00:00Z","modality":"swedish","pressure":"light","duration_min":30,"regions":["neck"]}"#;

/// The evidence paths of the probe rule, or `None` if it did not fire.
fn fired(condition: &str, course: &Course) -> Option<Vec<String>> {
    let guideline = guideline_with(condition);
    let decision = triage(&guideline, course);
    decision
        .reasons
        .iter()
        .find(|reason| reason.rule == "probe")
        .map(|reason| reason.evidence.iter().map(ToString::to_string).collect())
}

fn twitching_at(hours_after: u32) -> String {
    let day = 20 + hours_after / 24;
    let hour = 12 + hours_after % 24;
    let (day, hour) = if hour >= 24 {
        (day + 1, hour - 24)
    } else {
        (day, hour)
    };
    format!(
        r#"{{"at":"2026-11-{day:02}T{hour:02}:00:00Z","symptoms":[{{"kind":"twitching","severity":"mild"}}]}}"#
    )
}

#[test]
fn treatment_conditions_read_the_treatment() {
    let one = format!("[{}]", twitching_at(10));
    let deep = course(DEEP, &one);
    let light = course(LIGHT, &one);
    for (condition, path) in [
        (
            r#"{ modality = ["deep_tissue", "sports"] }"#,
            "treatment.modality",
        ),
        (r#"{ pressure_at_least = "firm" }"#, "treatment.pressure"),
        (
            r#"{ treatment_regions_any = ["calves"] }"#,
            "treatment.regions",
        ),
        ("{ duration_min_over = 60 }", "treatment.duration_min"),
    ] {
        assert_eq!(
            fired(condition, &deep),
            Some(vec![path.to_owned()]),
            "{condition}"
        );
        assert_eq!(fired(condition, &light), None, "{condition}");
    }
}

#[test]
fn time_windows_are_over_and_at_most() {
    let at_30 = course(DEEP, &format!("[{}]", twitching_at(30)));
    assert!(fired("{ hours_since_treatment_over = 24 }", &at_30).is_some());
    assert!(
        fired("{ hours_since_treatment_over = 30 }", &at_30).is_none(),
        "over is strict"
    );
    assert!(
        fired("{ hours_since_treatment_at_most = 30 }", &at_30).is_some(),
        "at most is inclusive"
    );
    assert!(fired("{ hours_since_treatment_at_most = 29 }", &at_30).is_none());
    assert_eq!(
        fired(
            "{ hours_since_treatment_over = 24, hours_since_treatment_at_most = 48 }",
            &at_30
        ),
        Some(vec!["checkins[0].at".to_owned()])
    );
    let no_checkins = course(DEEP, "[]");
    assert!(
        fired("{ hours_since_treatment_at_most = 48 }", &no_checkins).is_none(),
        "no check-in, no time"
    );
}

#[test]
fn a_symptom_reported_without_a_break_counts_its_duration_and_names_where_it_began() {
    let run = course(
        DEEP,
        &format!(
            "[{}, {}, {}]",
            twitching_at(6),
            twitching_at(30),
            twitching_at(80)
        ),
    );
    assert_eq!(
        fired(
            r#"{ symptom = "twitching", reported_for_hours_over = 48 }"#,
            &run
        ),
        Some(vec![
            "checkins[0].symptoms[0]".to_owned(),
            "checkins[2].symptoms[0]".to_owned()
        ])
    );
    assert!(
        fired(
            r#"{ symptom = "twitching", reported_for_hours_over = 74 }"#,
            &run
        )
        .is_none()
    );
    let broken = course(
        DEEP,
        &format!(
            r#"[{}, {{"at":"2026-11-21T18:00:00Z","symptoms":[]}}, {}]"#,
            twitching_at(6),
            twitching_at(80)
        ),
    );
    assert!(
        fired(
            r#"{ symptom = "twitching", reported_for_hours_over = 1 }"#,
            &broken
        )
        .is_none(),
        "a check-in without it breaks the run"
    );
}

#[test]
fn symptom_qualifiers_must_all_hold_for_the_same_symptom() {
    let checkins = r#"[{"at":"2026-11-21T12:00:00Z","symptoms":[
        {"kind":"soreness","severity":"severe","regions":["neck"],"side":"both"},
        {"kind":"swelling","severity":"mild","side":"left","regions":["calves"],"warm_or_red":true}]}]"#;
    let both = course(DEEP, checkins);
    assert!(
        fired(
            r#"{ symptom = "any", severity_at_least = "severe", one_sided = true }"#,
            &both
        )
        .is_none()
    );
    assert_eq!(
        fired(
            r#"{ symptom = "swelling", one_sided = true, warm_or_red = true, regions_any = ["calves"] }"#,
            &both
        ),
        Some(vec!["checkins[0].symptoms[1]".to_owned()])
    );
    assert_eq!(
        fired(r#"{ symptom = ["soreness", "swelling"] }"#, &both),
        Some(vec![
            "checkins[0].symptoms[0]".to_owned(),
            "checkins[0].symptoms[1]".to_owned()
        ])
    );
    assert!(
        fired(r#"{ symptom = "swelling", painful = true }"#, &both).is_none(),
        "unstated `painful` counts as no"
    );
    assert!(
        fired(r#"{ symptom = "swelling", painful = false }"#, &both).is_some(),
        "unstated `painful` counts as no"
    );
    assert!(
        fired(
            r#"{ symptom = "soreness", frequency_at_least = "rarely" }"#,
            &both
        )
        .is_none(),
        "unstated is not at least anything"
    );
}

#[test]
fn all_any_and_not_combine() {
    let checkins = r#"[{"at":"2026-11-21T12:00:00Z","symptoms":[{"kind":"headache","severity":"mild"}],
        "context":{"hydration":"low","sleep_hours":5,"caffeine_cups":4,"stress":"high","pregnant":false}}]"#;
    let c = course(DEEP, checkins);
    assert!(
        fired(
            r#"{ all = [{ symptom = "headache" }, { context = "hydration", is = "low" }] }"#,
            &c
        )
        .is_some()
    );
    assert!(
        fired(
            r#"{ all = [{ symptom = "headache" }, { context = "hydration", is = "good" }] }"#,
            &c
        )
        .is_none()
    );
    assert_eq!(
        fired(
            r#"{ any = [{ symptom = "fever" }, { context = "sleep_hours", below = 6 }, { context = "caffeine_cups", at_least = 3 }] }"#,
            &c
        ),
        Some(vec![
            "checkins[0].context.sleep_hours".to_owned(),
            "checkins[0].context.caffeine_cups".to_owned()
        ])
    );
    assert!(fired(r#"{ not = { symptom = "fever" } }"#, &c).is_some());
    assert_eq!(fired(r#"{ not = { symptom = "headache" } }"#, &c), None);
    assert!(fired(r#"{ context = "stress", is = "high" }"#, &c).is_some());
    assert!(fired(r#"{ context = "pregnant", is = false }"#, &c).is_some());
    assert!(
        fired(r#"{ context = "anticoagulants", is = false }"#, &c).is_some(),
        "unanswered counts as no"
    );
}

#[test]
fn worsening_compares_with_the_last_check_in_that_mentions_the_symptom() {
    let worse = course(
        DEEP,
        r#"[{"at":"2026-11-21T12:00:00Z","symptoms":[{"kind":"cramp","severity":"mild"}]},
            {"at":"2026-11-22T12:00:00Z","symptoms":[]},
            {"at":"2026-11-23T12:00:00Z","symptoms":[{"kind":"cramp","severity":"moderate"}]}]"#,
    );
    assert!(fired(r#"{ symptom = "cramp", worsening = true }"#, &worse).is_some());
    let better = course(
        DEEP,
        r#"[{"at":"2026-11-21T12:00:00Z","symptoms":[{"kind":"cramp","severity":"severe"}]},
            {"at":"2026-11-23T12:00:00Z","symptoms":[{"kind":"cramp","severity":"mild"}]}]"#,
    );
    assert!(fired(r#"{ symptom = "cramp", worsening = true }"#, &better).is_none());
    assert!(fired(r#"{ symptom = "cramp", worsening = false }"#, &better).is_some());
}

#[test]
fn next_checkin_follows_the_plan_sooner_while_active_and_stops_when_clear() {
    let guideline = Guideline::shipped();
    let next = |checkins: &str| triage(&guideline, &course(DEEP, checkins)).next_checkin_hours;
    assert_eq!(next("[]"), Some(6), "the first planned check-in");
    assert_eq!(
        next(r#"[{"at":"2026-11-20T18:00:00Z","symptoms":[]}]"#),
        Some(18),
        "clear at 6 h: the 24 h check-in"
    );
    assert_eq!(
        next(r#"[{"at":"2026-11-23T13:00:00Z","symptoms":[]}]"#),
        None,
        "clear after 72 h: stop"
    );
    assert_eq!(
        next(&format!("[{}]", twitching_at(80))),
        Some(24),
        "active: no later than the level's interval"
    );
    assert_eq!(
        next(&format!("[{}]", twitching_at(160))),
        Some(8),
        "active: the planned 168 h check-in is sooner"
    );
    assert_eq!(
        next(
            r#"[{"at":"2026-11-22T12:00:00Z","symptoms":[{"kind":"twitching","severity":"moderate","regions":["calves"]}]},
                {"at":"2026-11-24T12:00:00Z","symptoms":[{"kind":"twitching","severity":"mild","regions":["calves"]}]}]"#
        ),
        None,
        "expected and fading after 72 h: stop"
    );
}

#[test]
fn an_entry_reported_absent_counts_as_zero_when_comparing() {
    // Found by the property tests: a contradictory absent entry (severity
    // none, almost constantly) must not raise the earlier peak.
    let course = course(
        DEEP,
        r#"[{"at":"2026-11-20T12:00:00Z","symptoms":[
                {"kind":"joint_pain","severity":"none","frequency":"almost_constantly"},
                {"kind":"joint_pain","frequency":"rarely"}]},
            {"at":"2026-11-22T13:00:00Z","symptoms":[{"kind":"joint_pain","frequency":"almost_constantly"}]}]"#,
    );
    assert!(fired(r#"{ symptom = "joint_pain", worsening = true }"#, &course).is_some());
    let guideline = Guideline::shipped();
    assert!(
        triage(&guideline, &course).level >= Level::ContactTherapist,
        "R19"
    );
}

/// Reasons come highest level first, and in the guideline's order within a
/// level, whatever order the rules stand in the file.
#[test]
fn reasons_are_ordered_by_level_then_by_the_guideline() {
    let mut text = String::new();
    let mut levels = String::new();
    for level in Level::ALL {
        let _ = writeln!(levels, "[levels.{level}]\nsummary = \"{level}\"");
    }
    let _ = write!(
        text,
        r#"format = 1
id = "test"
version = "1"
title = "test"
disclaimer = "decision support"
{levels}
[followup]
plan_hours = [6, 24, 72, 168]
stop_when_clear_after_hours = 72
active_interval_hours = {{ expected = 24, self_care = 24, contact_therapist = 12, see_doctor = 24, urgent = 12, emergency = 12 }}
"#
    );
    for (id, level) in [
        ("first_self_care", "self_care"),
        ("first_urgent", "urgent"),
        ("second_self_care", "self_care"),
        ("see_doctor", "see_doctor"),
        ("second_urgent", "urgent"),
    ] {
        let _ = write!(
            text,
            "\n[[rule]]\nid = \"{id}\"\nlevel = \"{level}\"\nsources = [\"guidance:G1\"]\nwhy = \"{id}\"\nwhen = {{ modality = [\"deep_tissue\"] }}\n"
        );
    }
    let guideline = Guideline::from_toml(&text).expect("guideline");
    let decision = triage(&guideline, &course(DEEP, "[]"));
    let order: Vec<&str> = decision.reasons.iter().map(|reason| reason.rule).collect();
    assert_eq!(
        order,
        [
            "first_urgent",
            "second_urgent",
            "see_doctor",
            "first_self_care",
            "second_self_care"
        ]
    );
    assert_eq!(decision.level, Level::Urgent);
}

/// One check-in a day after [`DEEP`] (calves worked) with these symptoms.
fn day_after(symptoms: &str) -> Course {
    course(
        DEEP,
        &format!(r#"[{{"at":"2026-11-21T12:00:00Z","symptoms":[{symptoms}]}}]"#),
    )
}

#[test]
fn unstated_side_sudden_and_severity_are_read_the_safer_way() {
    let bare = day_after(r#"{"kind":"weakness","regions":["calves"]}"#);
    for condition in [
        r#"{ symptom = "weakness", one_sided = true }"#,
        r#"{ symptom = "weakness", one_sided = false }"#,
        r#"{ symptom = "weakness", sudden = true }"#,
        r#"{ symptom = "weakness", sudden = false }"#,
        r#"{ symptom = "weakness", severity_at_least = "very_severe" }"#,
    ] {
        assert!(
            fired(condition, &bare).is_some(),
            "{condition} on an unstated answer"
        );
    }
    for condition in [
        r#"{ symptom = "weakness", stated_severity_at_least = "mild" }"#,
        r#"{ symptom = "weakness", painful = true }"#,
        r#"{ symptom = "weakness", warm_or_red = true }"#,
    ] {
        assert!(
            fired(condition, &bare).is_none(),
            "{condition} on an unstated answer"
        );
    }
    let stated = day_after(
        r#"{"kind":"weakness","regions":["calves"],"side":"both","sudden":false,"severity":"mild"}"#,
    );
    assert!(fired(r#"{ symptom = "weakness", one_sided = true }"#, &stated).is_none());
    assert!(fired(r#"{ symptom = "weakness", sudden = true }"#, &stated).is_none());
    assert!(
        fired(
            r#"{ symptom = "weakness", severity_at_least = "moderate" }"#,
            &stated
        )
        .is_none()
    );
    assert!(
        fired(
            r#"{ symptom = "weakness", stated_severity_at_least = "mild" }"#,
            &stated
        )
        .is_some()
    );
}

#[test]
fn same_limb_needs_every_part_in_one_arm_or_one_leg() {
    let condition = r#"{ same_limb = [{ symptom = "soreness", severity_at_least = "severe" }, { symptom = "swelling" }, { symptom = "numbness_tingling" }] }"#;
    let one_leg = day_after(
        r#"{"kind":"soreness","severity":"severe","regions":["calves"],"side":"left"},
           {"kind":"swelling","severity":"mild","regions":["calves"],"side":"left"},
           {"kind":"numbness_tingling","regions":["feet"],"side":"left"}"#,
    );
    assert_eq!(
        fired(condition, &one_leg),
        Some(vec![
            "checkins[0].symptoms[0]".to_owned(),
            "checkins[0].symptoms[1]".to_owned(),
            "checkins[0].symptoms[2]".to_owned(),
        ])
    );
    let other_leg = day_after(
        r#"{"kind":"soreness","severity":"severe","regions":["calves"],"side":"left"},
           {"kind":"swelling","severity":"mild","regions":["calves"],"side":"left"},
           {"kind":"numbness_tingling","regions":["feet"],"side":"right"}"#,
    );
    assert!(
        fired(condition, &other_leg).is_none(),
        "numbness in the other leg"
    );
    let arm_and_leg = day_after(
        r#"{"kind":"soreness","severity":"severe","regions":["forearms"],"side":"left"},
           {"kind":"swelling","severity":"mild","regions":["calves"],"side":"left"},
           {"kind":"numbness_tingling","regions":["feet"],"side":"left"}"#,
    );
    assert!(fired(condition, &arm_and_leg).is_none(), "an arm and a leg");
    let both_sides = day_after(
        r#"{"kind":"soreness","severity":"severe","regions":["forearms"],"side":"both"},
           {"kind":"swelling","severity":"mild","regions":["hands"],"side":"right"},
           {"kind":"numbness_tingling","regions":["arms"]}"#,
    );
    assert!(
        fired(condition, &both_sides).is_some(),
        "`both` and an unstated side overlap the right arm"
    );
    let not_a_limb = day_after(
        r#"{"kind":"soreness","severity":"severe","regions":["lower_back"]},
           {"kind":"swelling","severity":"mild","regions":["lower_back"]},
           {"kind":"numbness_tingling","regions":["lower_back"]}"#,
    );
    assert!(
        fired(condition, &not_a_limb).is_none(),
        "the back is not a limb"
    );
}

#[test]
fn both_sides_needs_both_or_a_left_and_a_right_entry_of_one_kind() {
    let condition = r#"{ both_sides = { symptom = ["numbness_tingling", "weakness"], regions_any = ["thighs", "calves"] } }"#;
    let left_and_right = day_after(
        r#"{"kind":"numbness_tingling","regions":["thighs"],"side":"left"},
           {"kind":"numbness_tingling","regions":["calves"],"side":"right"}"#,
    );
    assert!(fired(condition, &left_and_right).is_some());
    let mixed_kinds = day_after(
        r#"{"kind":"numbness_tingling","regions":["thighs"],"side":"left"},
           {"kind":"weakness","regions":["calves"],"side":"right","severity":"mild"}"#,
    );
    assert!(
        fired(condition, &mixed_kinds).is_none(),
        "left numbness and right weakness are not one kind on both sides"
    );
    let one_side = day_after(r#"{"kind":"numbness_tingling","regions":["thighs"],"side":"left"}"#);
    assert!(fired(condition, &one_side).is_none());
    for side in [r#","side":"both""#, ""] {
        let both = day_after(&format!(
            r#"{{"kind":"weakness","regions":["calves"],"severity":"mild"{side}}}"#
        ));
        assert!(
            fired(condition, &both).is_some(),
            "side `both` or unstated: {side}"
        );
    }
}

#[test]
fn untreated_looks_at_regions_the_treatment_did_not_work_on() {
    let condition =
        r#"{ symptom = "twitching", untreated = true, regions_any = ["calves", "arms"] }"#;
    assert!(
        fired(
            condition,
            &day_after(r#"{"kind":"twitching","regions":["calves"]}"#)
        )
        .is_none(),
        "calves were worked"
    );
    assert!(
        fired(
            condition,
            &day_after(r#"{"kind":"twitching","regions":["arms"]}"#)
        )
        .is_some()
    );
    assert!(
        fired(
            condition,
            &day_after(r#"{"kind":"twitching","regions":["face"]}"#)
        )
        .is_none(),
        "outside regions_any"
    );
    assert!(
        fired(condition, &day_after(r#"{"kind":"twitching"}"#)).is_some(),
        "no region given: may be untreated"
    );
    let whole_body = course(
        r#"{"at":"2026-11-20T12:00:00Z","modality":"swedish","regions":["whole_body"]}"#,
        r#"[{"at":"2026-11-21T12:00:00Z","symptoms":[{"kind":"twitching","regions":["arms"]}]}]"#,
    );
    assert!(
        fired(condition, &whole_body).is_none(),
        "a whole-body treatment worked everywhere"
    );
}

#[test]
fn fainting_answers_are_qualifiers_and_belong_to_fainting_only() {
    let lying = day_after(r#"{"kind":"fainting","while_lying_down":true}"#);
    assert!(
        fired(
            r#"{ symptom = "fainting", while_lying_down = true }"#,
            &lying
        )
        .is_some()
    );
    assert!(fired(r#"{ symptom = "fainting", seizure = true }"#, &lying).is_none());
    assert!(
        fired(r#"{ symptom = "fainting", seizure = false }"#, &lying).is_some(),
        "unstated counts as no"
    );
    let error = Course::from_json(
        r#"{"treatment":{"at":"2026-11-20T12:00:00Z","modality":"swedish"},"checkins":[{"at":"2026-11-21T12:00:00Z","symptoms":[{"kind":"dizziness","injured":true}]}]}"#,
    )
    .expect_err("a fainting answer on dizziness");
    assert_eq!(error.path, "checkins[0].symptoms[0].injured");
}
