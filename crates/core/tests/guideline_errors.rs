#![allow(clippy::case_sensitive_file_extension_comparisons)] // paths, not file names
//! A malformed guideline file is refused at load, naming the rule, the
//! line and column, and what is wrong.

use aftercare_core::Guideline;
use aftercare_core::guideline::SHIPPED_TOML;

/// The shipped guideline with one text replaced (which must occur).
fn shipped_with(old: &str, new: &str) -> String {
    assert!(
        SHIPPED_TOML.contains(old),
        "the shipped guideline has no `{old}`"
    );
    SHIPPED_TOML.replacen(old, new, 1)
}

fn line_of(text: &str, needle: &str) -> usize {
    let offset = text.find(needle).expect("needle in text");
    text[..offset].matches('\n').count() + 1
}

#[test]
fn the_shipped_guideline_loads() {
    let guideline = Guideline::shipped();
    assert!(guideline.rules.len() >= 40);
    assert_eq!(guideline.id, "post-treatment");
}

#[test]
fn a_toml_syntax_error_gives_line_and_rule() {
    let text = shipped_with(
        "id = \"urgent.dark_urine\"\nlevel = \"urgent\"",
        "id = \"urgent.dark_urine\"\nlevel = urgent",
    );
    let error = Guideline::from_toml(&text).expect_err("syntax error");
    assert_eq!(error.rule.as_deref(), Some("urgent.dark_urine"), "{error}");
    let (line, _) = error.position.expect("a position");
    assert_eq!(line, line_of(&text, "level = urgent"), "{error}");
    assert!(error.message.contains("TOML"), "{error}");
}

#[test]
fn an_unknown_level_names_the_rule_and_its_path() {
    let text = shipped_with("level = \"urgent\"", "level = \"soonish\"");
    let error = Guideline::from_toml(&text).expect_err("bad level");
    assert_eq!(
        error.rule.as_deref(),
        Some("urgent.one_sided_limb_swelling"),
        "{error}"
    );
    assert!(error.path.ends_with(".level"), "{error}");
    assert!(error.message.contains("emergency"), "{error}");
    assert_eq!(
        error.position.expect("position").0,
        line_of(&text, "\"soonish\"")
    );
}

#[test]
fn an_unknown_symptom_kind_in_a_condition_is_refused() {
    let text = shipped_with(
        "when = { symptom = \"fever\" }",
        "when = { symptom = \"fevre\" }",
    );
    let error = Guideline::from_toml(&text).expect_err("bad kind");
    assert_eq!(error.rule.as_deref(), Some("see_doctor.fever"), "{error}");
    assert!(error.message.contains("fevre"), "{error}");
    assert_eq!(
        error.position.expect("position").0,
        line_of(&text, "\"fevre\"")
    );
}

#[test]
fn an_unknown_condition_key_is_refused() {
    let text = shipped_with(
        "when = { symptom = \"fever\" }",
        "when = { symptom = \"fever\", hot = true }",
    );
    let error = Guideline::from_toml(&text).expect_err("unknown key");
    assert_eq!(error.rule.as_deref(), Some("see_doctor.fever"), "{error}");
    assert!(error.message.contains("hot"), "{error}");
}

#[test]
fn two_heads_in_one_condition_are_refused() {
    let text = shipped_with(
        "when = { symptom = \"fever\" }",
        "when = { symptom = \"fever\", hours_since_treatment_over = 3 }",
    );
    let error = Guideline::from_toml(&text).expect_err("two heads");
    assert_eq!(error.rule.as_deref(), Some("see_doctor.fever"));
    assert!(error.path.ends_with(".when"), "{error}");
    assert!(error.message.contains("exactly one"), "{error}");
    assert_eq!(
        error.position.expect("position").0,
        line_of(&text, "hours_since_treatment_over = 3 }")
    );
}

#[test]
fn a_qualifier_without_a_symptom_is_refused() {
    let text = shipped_with(
        "when = { symptom = \"fever\" }",
        "when = { severity_at_least = \"mild\" }",
    );
    let error = Guideline::from_toml(&text).expect_err("qualifier alone");
    assert!(error.message.contains("a condition with one of"), "{error}");
}

#[test]
fn a_nested_problem_names_its_path() {
    let text = shipped_with(
        "{ symptom = \"twitching\" },\n  { hours_since_treatment_over = 336 },",
        "{ symptom = \"twitching\" },\n  { all = [] },",
    );
    let error = Guideline::from_toml(&text).expect_err("empty all");
    assert_eq!(
        error.rule.as_deref(),
        Some("see_doctor.twitching_past_two_weeks")
    );
    assert!(error.path.ends_with(".when.all[1].all"), "{error}");
    assert!(error.message.contains("non-empty"), "{error}");
}

#[test]
fn a_rule_without_sources_is_refused() {
    let text = shipped_with(
        "sources = [\"guidance:R15\", \"guidance:G21\"]\nwhy = \"A fever is not",
        "sources = []\nwhy = \"A fever is not",
    );
    let error = Guideline::from_toml(&text).expect_err("no sources");
    assert_eq!(error.rule.as_deref(), Some("see_doctor.fever"));
    assert!(error.path.ends_with(".sources"), "{error}");
}

#[test]
fn an_unknown_source_is_refused() {
    let text = shipped_with(
        "sources = [\"guidance:R15\", \"guidance:G21\"]",
        "sources = [\"guidance:R99\"]",
    );
    let error = Guideline::from_toml(&text).expect_err("unknown source");
    assert!(error.message.contains("guidance:R99"), "{error}");
    let text = shipped_with(
        "sources = [\"guidance:R15\", \"guidance:G21\"]",
        "sources = [\"a blog\"]",
    );
    Guideline::from_toml(&text).expect_err("not a guidance id");
}

#[test]
fn a_duplicate_rule_id_is_refused_at_the_second_rule() {
    let text = shipped_with("id = \"see_doctor.fever\"", "id = \"urgent.dark_urine\"");
    let error = Guideline::from_toml(&text).expect_err("duplicate id");
    assert_eq!(error.rule.as_deref(), Some("urgent.dark_urine"));
    assert!(
        error.message.contains("not used by an earlier rule"),
        "{error}"
    );
    let second = text.rfind("id = \"urgent.dark_urine\"").expect("second");
    let second_line = text[..second].matches('\n').count() + 1;
    assert!(error.position.expect("position").0 <= second_line);
    assert!(error.position.expect("position").0 > line_of(&text, "id = \"urgent.dark_urine\""));
}

#[test]
fn a_missing_level_text_or_followup_setting_is_refused() {
    let text = shipped_with("[levels.urgent]\nsummary", "[levels.urgent]\nsumary");
    let error = Guideline::from_toml(&text).expect_err("typo");
    assert!(error.path.starts_with("levels.urgent"), "{error}");
    let text = shipped_with("plan_hours = [6, 24, 72, 168]", "plan_hours = [24, 6]");
    let error = Guideline::from_toml(&text).expect_err("unsorted plan");
    assert_eq!(error.path, "followup.plan_hours");
}

#[test]
fn a_wrong_format_version_is_refused() {
    let text = shipped_with("format = 1", "format = 2");
    let error = Guideline::from_toml(&text).expect_err("future format");
    assert_eq!(error.path, "format");
}

#[test]
fn context_tests_must_fit_their_field() {
    let text = shipped_with(
        "{ context = \"sleep_hours\", below = 6 }",
        "{ context = \"sleep_hours\", is = true }",
    );
    let error = Guideline::from_toml(&text).expect_err("wrong test for sleep");
    assert!(error.message.contains("below"), "{error}");
    let text = shipped_with(
        "{ context = \"hydration\", is = \"low\" }",
        "{ context = \"hydration\", is = \"dry\" }",
    );
    Guideline::from_toml(&text).expect_err("unknown hydration");
    let text = shipped_with(
        "{ context = \"hydration\", is = \"low\" }",
        "{ context = \"thirst\", is = \"low\" }",
    );
    let error = Guideline::from_toml(&text).expect_err("unknown field");
    assert!(error.message.contains("thirst"), "{error}");
}

#[test]
fn empty_and_garbage_files_are_refused() {
    for text in [
        "",
        "\u{0}",
        "[[rule]]",
        "format = 1",
        "x = [",
        "format = \"one\"",
    ] {
        Guideline::from_toml(text).expect_err("not a guideline");
    }
}

#[test]
fn the_new_condition_keys_are_checked() {
    let text = shipped_with(
        "when.same_limb = [\n  { symptom = [\"soreness\", \"cramp\", \"joint_pain\"], severity_at_least = \"severe\" },",
        "when.same_limb = [\n",
    );
    let error = Guideline::from_toml(&text);
    assert!(error.is_ok(), "two parts are enough: {error:?}");
    let text = shipped_with(
        "{ symptom = \"swelling\" },\n  { symptom = [\"numbness_tingling\", \"weakness\"] },\n]",
        "]",
    );
    let error = Guideline::from_toml(&text).expect_err("one part");
    assert!(error.message.contains("two or more"), "{error}");
    assert_eq!(
        error.rule.as_deref(),
        Some("emergency.possible_compartment_syndrome")
    );
    let text = shipped_with(
        "one_sided = true, untreated = true",
        "one_sided = true, untreated = false",
    );
    let error = Guideline::from_toml(&text).expect_err("untreated = false");
    assert!(error.message.contains("untreated = true"), "{error}");
    let text = shipped_with(
        "{ context = \"new_medication\", is = true },\n    { symptom = \"twitching\", untreated",
        "{ context = \"seen_by_clinician\", is = true },\n    { symptom = \"twitching\", untreated",
    );
    let error = Guideline::from_toml(&text).expect_err("seen_by_clinician in a rule");
    assert!(error.message.contains("context field"), "{error}");
    let text = shipped_with(
        "{ both_sides = { symptom = \"numbness_tingling\", regions_any = [\"glutes\"] } }",
        "{ both_sides = { hours_since_treatment_over = 3 } }",
    );
    let error = Guideline::from_toml(&text).expect_err("both_sides of a non-symptom");
    assert!(error.path.ends_with("both_sides"), "{error}");
}
