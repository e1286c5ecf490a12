//! The guideline tools run as a person would run them: `aftercare
//! guideline impact` before switching guideline, and `aftercare guideline
//! safety-case`, whose output `docs/CLINICAL-SAFETY.md` must carry.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use aftercare_core::{Checkin, Guideline, Treatment};
use aftercare_store::secret::Secret;
use aftercare_store::testing::fresh_sqlite_url;
use aftercare_store::{Actor, NewClient, NewTreatment, Store, StoreOptions};
use serde_json::Value;

const SAFETY_CASE: &str = "docs/CLINICAL-SAFETY.md";
const BEGIN: &str = "<!-- BEGIN GENERATED: aftercare guideline safety-case -->\n";
const END: &str = "<!-- END GENERATED -->";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn aftercare(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aftercare"))
        .args(args)
        .current_dir(workspace())
        .env_remove("AFTERCARE_DATABASE_URL")
        .env_remove("AFTERCARE_CONFIG")
        .output()
        .expect("aftercare runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

fn json(out: &Output) -> Value {
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

/// A fresh folder under the target directory for files a test writes.
fn tempdir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "guideline-tools-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn shipped() -> String {
    std::fs::read_to_string(workspace().join("guidelines/post-treatment.toml")).expect("shipped")
}

/// The shipped guideline with one rule's level changed and its own version.
fn with_level(text: &str, rule: &str, from: &str, to: &str) -> String {
    let changed = text.replacen(
        &format!("id = \"{rule}\"\nlevel = \"{from}\""),
        &format!("id = \"{rule}\"\nlevel = \"{to}\""),
        1,
    );
    assert_ne!(changed, text, "{rule} at `{from}` is in the guideline");
    changed
        .lines()
        .map(|line| {
            if line.starts_with("version = ") {
                "version = \"test-changed\""
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Chest pain lowered to self-care (a downgrade, and a broken floor) and
/// ordinary twitching raised to see a doctor (upgrades).
fn changed_guideline(dir: &Path) -> PathBuf {
    let text = with_level(&shipped(), "emergency.chest_pain", "emergency", "self_care");
    let text = with_level(&text, "expected.twitching", "expected", "see_doctor");
    let file = dir.join("changed.toml");
    std::fs::write(&file, text).expect("write");
    file
}

#[test]
fn impact_of_a_lowered_rule_lists_the_downgrade_first_with_the_rule() {
    let dir = tempdir();
    let file = changed_guideline(&dir);
    let report = json(&aftercare(&[
        "guideline",
        "impact",
        file.to_str().expect("path"),
        "--json",
    ]));
    assert_eq!(report["new_guideline"]["version"], "test-changed");
    assert_eq!(report["replayed"]["source"]["kind"], "golden_cases");
    assert_eq!(report["replayed"]["at"], "every_checkin");
    let changes = report["changes"].as_array().expect("changes");
    assert!(report["counts"]["down"].as_u64() >= Some(1), "{report}");
    assert!(report["counts"]["up"].as_u64() >= Some(1), "{report}");
    let first = &changes[0];
    assert_eq!(first["direction"], "down", "{first}");
    assert_eq!(first["old_level"], "emergency");
    assert_eq!(first["new_level"], "self_care");
    assert!(
        first["rules_relevelled"]
            .as_array()
            .expect("rules")
            .iter()
            .any(|rule| rule["rule"] == "emergency.chest_pain"
                && rule["old_level"] == "emergency"
                && rule["new_level"] == "self_care"),
        "{first}"
    );
    let directions: Vec<&str> = changes
        .iter()
        .map(|change| change["direction"].as_str().expect("direction"))
        .collect();
    let first_up = directions.iter().position(|d| *d == "up").expect("an up");
    assert!(
        directions[..first_up].iter().all(|d| *d == "down")
            && directions[first_up..].iter().all(|d| *d == "up"),
        "downgrades first: {directions:?}"
    );
    assert!(
        report["floors_broken"]
            .as_array()
            .expect("floors")
            .iter()
            .any(|violation| violation["flag"] == "R1"),
        "{report}"
    );

    let out = aftercare(&["guideline", "impact", file.to_str().expect("path")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lower = stdout.find("Lower level").expect("a downgrade section");
    let higher = stdout.find("Higher level").expect("an upgrade section");
    assert!(lower < higher, "{stdout}");
    assert!(
        stdout[lower..higher]
            .contains("~ emergency.chest_pain now gives self_care (was emergency)"),
        "{stdout}"
    );
    assert!(stdout.contains("emergency -> self_care"), "{stdout}");
    assert!(stdout.contains("below the floor"), "{stdout}");
}

#[test]
fn impact_of_the_shipped_guideline_against_itself_changes_nothing() {
    let report = json(&aftercare(&[
        "guideline",
        "impact",
        "guidelines/post-treatment.toml",
        "--json",
    ]));
    assert_eq!(report["counts"]["down"], 0);
    assert_eq!(report["counts"]["up"], 0);
    assert_eq!(report["counts"]["same_level_other_rules"], 0);
    assert_eq!(report["changes"].as_array().map(Vec::len), Some(0));
    let cases = std::fs::read_dir(workspace().join("crates/core/tests/golden/cases"))
        .expect("golden cases")
        .filter(|entry| {
            entry
                .as_ref()
                .is_ok_and(|entry| entry.path().extension().is_some_and(|ext| ext == "json"))
        })
        .count();
    assert_eq!(
        report["replayed"]["courses"].as_u64(),
        Some(cases as u64),
        "every golden case is built in"
    );
    assert!(report["replayed"]["decisions"].as_u64() >= Some(cases as u64));

    let out = aftercare(&["guideline", "impact", "guidelines/post-treatment.toml"]);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("lower level:  0"), "{stdout}");
    assert!(!stdout.contains("Lower level"), "{stdout}");
}

#[test]
fn impact_reads_golden_cases_from_a_folder_and_names_a_bad_one() {
    let dir = tempdir();
    let cases = dir.join("cases");
    std::fs::create_dir_all(&cases).expect("cases folder");
    std::fs::copy(
        workspace().join("examples/chest-pain.json"),
        cases.join("only.json"),
    )
    .expect("copy");
    // An example is a bare course, not a golden case.
    let out = aftercare(&[
        "guideline",
        "impact",
        "guidelines/post-treatment.toml",
        "--cases",
        cases.to_str().expect("path"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("only.json") && stderr.contains("course"),
        "{stderr}"
    );

    let course: Value = serde_json::from_str(
        &std::fs::read_to_string(workspace().join("examples/chest-pain.json")).expect("example"),
    )
    .expect("JSON");
    let case = serde_json::json!({ "title": "t", "course": course });
    std::fs::write(cases.join("only.json"), case.to_string()).expect("write");
    let file = changed_guideline(&dir);
    let report = json(&aftercare(&[
        "guideline",
        "impact",
        file.to_str().expect("path"),
        "--cases",
        cases.to_str().expect("path"),
        "--json",
    ]));
    assert_eq!(report["replayed"]["courses"], 1);
    assert_eq!(report["changes"][0]["course"], "only");
    assert_eq!(report["changes"][0]["direction"], "down");
}

#[test]
fn impact_refuses_a_broken_new_guideline_with_exit_2() {
    let dir = tempdir();
    let file = dir.join("broken.toml");
    std::fs::write(
        &file,
        shipped().replacen("id = \"emergency.chest_pain\"", "id = 7", 1),
    )
    .expect("write");
    let out = aftercare(&["guideline", "impact", file.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "nothing on stdout for an error");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("guideline") && stderr.contains("broken.toml") && stderr.contains("id"),
        "{stderr}"
    );

    let out = aftercare(&["guideline", "impact", "no-such-guideline.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no-such-guideline.toml"));
}

/// Two stored courses: one that turns to chest pain at its second
/// check-in, one with a little twitching.
async fn seed(url: &str) -> (String, String) {
    let options = StoreOptions {
        migrate: true,
        create_if_missing: true,
        ..StoreOptions::default()
    };
    let store = Store::open(url, &options).await.expect("open");
    let guideline = Guideline::shipped();
    let now = aftercare_store::now_millis();
    let hour = 3_600_000;
    let (clinic, owner) = store
        .create_clinic("Impact Clinic", "owner@impact.test", "Owner", None, now)
        .await
        .expect("clinic");
    let mut treatments = Vec::new();
    for (name, checkins) in [
        (
            "First",
            vec![
                (6, r#"[{"kind":"soreness","severity":"mild"}]"#),
                (30, r#"[{"kind":"chest_pain","severity":"mild"}]"#),
            ],
        ),
        (
            "Second",
            vec![(20, r#"[{"kind":"twitching","severity":"mild"}]"#)],
        ),
    ] {
        let treated_at = now - 48 * hour;
        let client = store
            .create_client(
                &clinic.id,
                &Actor::System,
                NewClient {
                    name: name.to_owned(),
                    email: None,
                    phone: None,
                    consent_at: Some(treated_at),
                },
                now,
            )
            .await
            .expect("client");
        let details: Treatment = serde_json::from_str(&format!(
            r#"{{"at":"{}","modality":"deep_tissue","regions":["calves"]}}"#,
            rfc3339(treated_at)
        ))
        .expect("treatment");
        let link = Secret::generate("acl_");
        let treatment = store
            .create_treatment(
                &clinic.id,
                &Actor::System,
                NewTreatment {
                    client_id: client.id,
                    practitioner_id: owner.id.clone(),
                    details,
                    notes: None,
                    link_hash: link.hash(),
                    link_expires_at: now + 30 * 24 * hour,
                },
                now,
            )
            .await
            .expect("treatment");
        for (hours, symptoms) in checkins {
            let at = treated_at + hours * hour;
            let checkin: Checkin = serde_json::from_str(&format!(
                r#"{{"at":"{}","symptoms":{symptoms}}}"#,
                rfc3339(at)
            ))
            .expect("check-in");
            store
                .submit_checkin(&link.hash(), None, checkin, &guideline, at)
                .await
                .expect("check-in stored");
        }
        treatments.push(treatment.id.to_string());
    }
    store.close().await;
    (treatments[0].clone(), treatments[1].clone())
}

fn rfc3339(millis: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .expect("a time")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("formatted")
}

#[test]
fn impact_with_a_database_replays_every_stored_course_at_every_checkin() {
    let (url, _dir) = fresh_sqlite_url();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (chest_pain, twitching) = runtime.block_on(seed(&url));
    let dir = tempdir();
    let file = changed_guideline(&dir);
    let report = json(&aftercare(&[
        "guideline",
        "impact",
        file.to_str().expect("path"),
        "--database-url",
        &url,
        "--json",
    ]));
    assert_eq!(report["replayed"]["source"]["kind"], "database");
    assert_eq!(report["replayed"]["source"]["clinics"], 1);
    assert_eq!(report["replayed"]["courses"], 2);
    assert_eq!(report["replayed"]["decisions"], 3, "one per check-in");
    let changes = report["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 2, "{report}");
    assert_eq!(changes[0]["course"], format!("treatment {chest_pain}"));
    assert_eq!(changes[0]["checkin_index"], 1);
    assert_eq!(changes[0]["checkins"], 2);
    assert_eq!(changes[0]["direction"], "down");
    assert_eq!(changes[1]["course"], format!("treatment {twitching}"));
    assert_eq!(changes[1]["direction"], "up");
    assert_eq!(changes[1]["new_level"], "see_doctor");

    let out = aftercare(&[
        "guideline",
        "impact",
        file.to_str().expect("path"),
        "--database-url",
        &url,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "treatment {chest_pain}, check-in 2 of 2: emergency -> self_care"
        )),
        "{stdout}"
    );
    assert!(stdout.contains("stored courses of the database (1 clinic)"));
    assert!(!stdout.contains("First"), "no client names: {stdout}");
}

/// The generated section of the clinical safety case.
fn generated_section(document: &str) -> Option<(usize, usize)> {
    let start = document.find(BEGIN)? + BEGIN.len();
    let end = start + document[start..].find(END)?;
    Some((start, end))
}

#[test]
fn the_clinical_safety_case_carries_the_generated_table() {
    let out = aftercare(&["guideline", "safety-case"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let generated = text(&out.stdout);
    let path = workspace().join(SAFETY_CASE);
    let document = std::fs::read_to_string(&path).expect("the clinical safety case");
    let (start, end) = generated_section(&document)
        .unwrap_or_else(|| panic!("{SAFETY_CASE} has no section between `{BEGIN}` and `{END}`"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        let updated = format!("{}{generated}{}", &document[..start], &document[end..]);
        std::fs::write(&path, updated).expect("rewrite the clinical safety case");
        return;
    }
    assert!(
        document[start..end] == generated,
        "{SAFETY_CASE} is out of date with `aftercare guideline safety-case`; \
         run `UPDATE_GOLDEN=1 cargo test -p aftercare --test guideline_tools` and review the diff"
    );
}

#[test]
fn the_safety_case_has_one_row_per_red_flag() {
    let out = aftercare(&["guideline", "safety-case"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for flag in aftercare_core::sources::RED_FLAGS {
        let rows = stdout
            .lines()
            .filter(|line| line.starts_with(&format!("| {} |", flag.id)))
            .count();
        assert_eq!(rows, 1, "{}: {stdout}", flag.id);
    }
    assert!(stdout.contains("`emergency.chest_pain` (emergency)"));
    assert!(stdout.contains("`chest_pain_is_an_emergency`"));
}

#[test]
fn serve_refuses_a_guideline_that_breaks_a_floor() {
    let dir = tempdir();
    let file = changed_guideline(&dir);
    let database = format!("sqlite://{}", dir.join("refused.db").display());
    let out = aftercare(&[
        "serve",
        "--guideline",
        file.to_str().expect("a UTF-8 path"),
        "--database-url",
        &database,
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("R1"), "{stderr}");
    assert!(stderr.contains("below their floor"), "{stderr}");
}

/// A rule that stops firing when more is reported (`not`, or an answer
/// required to be `false`) may let an added symptom lower a decision:
/// `guideline check` names the probe and the change, and `serve` refuses
/// the guideline.
#[test]
fn a_guideline_that_more_evidence_can_lower_is_refused() {
    let dir = tempdir();
    let file = dir.join("lowered.toml");
    let lowered = shipped()
        + r#"
[[rule]]
id = "emergency.anything_but_tiredness"
level = "emergency"
sources = ["guidance:G4"]
why = "A rule written to be wrong."
when.all = [{ symptom = "any" }, { not = { symptom = "fatigue" } }]
"#;
    std::fs::write(&file, lowered).expect("write");
    let path = file.to_str().expect("a UTF-8 path");
    let out = aftercare(&["guideline", "check", path]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("more evidence, lower level:")
            && stderr.contains("adding `fatigue` lowered the level from `emergency`"),
        "{stderr}"
    );
    assert!(stderr.contains("safety property 1"), "{stderr}");

    let database = format!("sqlite://{}", dir.join("refused.db").display());
    let out = aftercare(&[
        "serve",
        "--guideline",
        path,
        "--database-url",
        &database,
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("lower level when evidence is added"),
        "{}",
        text(&out.stderr)
    );
    let shipped_check = aftercare(&["guideline", "check", "guidelines/post-treatment.toml"]);
    assert!(
        shipped_check.status.success(),
        "{}",
        text(&shipped_check.stderr)
    );
    assert!(text(&shipped_check.stdout).contains("no probe lowered by more evidence"));
}
