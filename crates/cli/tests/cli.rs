//! The `aftercare` binary, run as a person or a script would run it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn aftercare(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_aftercare"))
        .args(args)
        .current_dir(workspace())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start aftercare");
    let mut input = child.stdin.take().expect("stdin");
    input
        .write_all(stdin.unwrap_or("").as_bytes())
        .expect("write stdin");
    drop(input);
    child.wait_with_output().expect("aftercare runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

#[test]
fn triage_json_prints_exactly_one_decision_object() {
    let out = aftercare(
        &["triage", "--json", "examples/twitching-next-morning.json"],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "one line of JSON: {stdout}");
    let decision: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(decision["level"], "self_care");
    assert_eq!(decision["guideline"]["id"], "post-treatment");
    assert!(
        decision["reasons"]
            .as_array()
            .is_some_and(|r| !r.is_empty())
    );
    assert!(text(&out.stderr).is_empty());
}

#[test]
fn triage_reads_standard_input_with_a_dash_or_no_path() {
    let course =
        std::fs::read_to_string(workspace().join("examples/chest-pain.json")).expect("example");
    let with_dash = aftercare(&["triage", "--json", "-"], Some(&course));
    let without = aftercare(&["triage", "--json"], Some(&course));
    assert!(with_dash.status.success() && without.status.success());
    assert_eq!(with_dash.stdout, without.stdout);
    assert!(text(&with_dash.stdout).starts_with("{\"level\":\"emergency\""));
}

#[test]
fn triage_output_is_the_same_bytes_every_time() {
    let first = aftercare(
        &["triage", "--json", "examples/one-sided-calf-swelling.json"],
        None,
    );
    let second = aftercare(
        &["triage", "--json", "examples/one-sided-calf-swelling.json"],
        None,
    );
    assert_eq!(first.stdout, second.stdout);
}

#[test]
fn an_emergency_for_people_says_to_call_before_anything_else() {
    let out = aftercare(&["triage", "examples/chest-pain.json"], None);
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    let first = stdout.lines().next().expect("a first line");
    assert!(
        first.contains("EMERGENCY") && first.contains("EMERGENCY NUMBER NOW"),
        "{first}"
    );
    assert!(stdout.contains("decision support, not a diagnosis"));
}

#[test]
fn the_readable_summary_puts_level_then_why_and_what_to_do() {
    let out = aftercare(&["triage", "examples/one-sided-calf-swelling.json"], None);
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("URGENT"), "{stdout}");
    let what = stdout.find("What to do:").expect("advice");
    let why = stdout.find("Why:").expect("reasons");
    assert!(what > 0 && why > 0);
    assert!(stdout.contains("urgent.one_sided_limb_swelling"));
    assert!(stdout.contains("Next check-in: in 12 hours."));
}

#[test]
fn bad_input_exits_2_naming_the_field() {
    let bad = r#"{"treatment":{"at":"2026-11-20T15:00:00Z","modality":"deep_tissue"},
        "checkins":[{"at":"2026-11-21T09:00:00Z","symptoms":[{"kind":"twitching"},{"kind":"soreness","severity":"awful"}]}]}"#;
    let out = aftercare(&["triage", "--json"], Some(bad));
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "nothing on stdout for an error");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("checkins[0].symptoms[1].severity"),
        "{stderr}"
    );
    assert!(stderr.contains("very_severe"), "{stderr}");
}

#[test]
fn a_missing_file_exits_2_naming_it() {
    let out = aftercare(&["triage", "no-such-course.json"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no-such-course.json"));
}

#[test]
fn guideline_check_accepts_the_shipped_file() {
    let out = aftercare(
        &["guideline", "check", "guidelines/post-treatment.toml"],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("ok: post-treatment"));
}

#[test]
fn guideline_check_refuses_a_malformed_file_with_rule_and_line() {
    let dir = tempdir();
    let file = dir.join("broken.toml");
    let shipped = std::fs::read_to_string(workspace().join("guidelines/post-treatment.toml"))
        .expect("shipped");
    std::fs::write(
        &file,
        shipped.replacen(
            "when = { symptom = \"fever\" }",
            "when = { symptom = \"fevre\" }",
            1,
        ),
    )
    .expect("write");
    let out = aftercare(&["guideline", "check", file.to_str().expect("path")], None);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("see_doctor.fever") && stderr.contains("line "),
        "{stderr}"
    );
}

#[test]
fn guideline_check_fails_a_file_that_lowers_a_red_flag() {
    let dir = tempdir();
    let file = dir.join("lowered.toml");
    let shipped = std::fs::read_to_string(workspace().join("guidelines/post-treatment.toml"))
        .expect("shipped");
    let lowered = shipped.replacen(
        "id = \"emergency.chest_pain\"\nlevel = \"emergency\"",
        "id = \"emergency.chest_pain\"\nlevel = \"self_care\"",
        1,
    );
    assert_ne!(lowered, shipped);
    std::fs::write(&file, lowered).expect("write");
    let out = aftercare(&["guideline", "check", file.to_str().expect("path")], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("R1"), "{}", text(&out.stderr));
}

#[test]
fn triage_uses_a_replacement_guideline() {
    let dir = tempdir();
    let file = dir.join("strict.toml");
    let shipped = std::fs::read_to_string(workspace().join("guidelines/post-treatment.toml"))
        .expect("shipped");
    let strict = shipped
        .lines()
        .map(|line| {
            if line.starts_with("version = ") {
                "version = \"test-strict\""
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        .replacen(
            "id = \"expected.twitching\"\nlevel = \"expected\"",
            "id = \"expected.twitching\"\nlevel = \"see_doctor\"",
            1,
        );
    std::fs::write(&file, strict).expect("write");
    let out = aftercare(
        &[
            "triage",
            "--json",
            "--guideline",
            file.to_str().expect("path"),
            "examples/twitching-next-morning.json",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let decision: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(decision["level"], "see_doctor");
    assert_eq!(decision["guideline"]["version"], "test-strict");
}

#[test]
fn guideline_show_lists_rules_most_serious_first_with_sources() {
    let out = aftercare(&["guideline", "show"], None);
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    let rules: Vec<&str> = stdout.lines().skip(1).collect();
    assert!(rules.len() >= 40);
    assert!(rules[0].starts_with("emergency"));
    assert!(rules.last().expect("rules").starts_with("expected"));
    assert!(rules.iter().all(|line| line.contains("guidance:")));
}

/// A fresh folder under the target directory for files a test writes.
fn tempdir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "cli-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
