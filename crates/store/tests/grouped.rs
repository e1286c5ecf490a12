//! Check-ins submitted at the same moment are written in groups (one
//! transaction for many). Whatever the grouping, the result must be what
//! one-by-one submission gives: every acknowledged check-in stored once,
//! in order, each with the decision the engine gives for the course up to
//! it, and every refusal leaving nothing behind.

use std::collections::HashMap;
use std::sync::Arc;

use aftercare_core::{Checkin, Course, Guideline, triage};
use aftercare_store::testing::{self, fresh_postgres_url, fresh_sqlite_url};
use aftercare_store::{
    Actor, CheckinLimits, ClinicId, Store, StoreError, StoreOptions, Submitted, TreatmentId,
};

const HOUR: i64 = 3_600_000;
/// 2026-11-20T15:00:00Z.
const TREATED_AT: i64 = 1_795_186_800_000;
const COURSES: usize = 24;

/// A course's step and what the store answered to it.
type Answer = (usize, Result<Submitted, StoreError>);
const CHECKINS_PER_COURSE: usize = 4;

fn checkin(hours_after: i64, symptoms: &str) -> Checkin {
    let at = time_text(TREATED_AT + hours_after * HOUR);
    serde_json::from_str(&format!(r#"{{"at":"{at}","symptoms":{symptoms}}}"#)).expect("check-in")
}

fn time_text(millis: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp(millis / 1000).expect("time");
    at.format(&time::format_description::well_known::Rfc3339)
        .expect("format")
}

/// A varied course: course `n`'s check-ins move through normal reactions,
/// red flags and recovery so groups mix levels and alerts.
fn symptoms_for(course: usize, step: usize) -> &'static str {
    const MENU: [&str; 6] = [
        r#"[{"kind":"twitching","severity":"mild","regions":["calves"]}]"#,
        r#"[{"kind":"soreness","severity":"moderate","regions":["lower_back"]}]"#,
        "[]",
        r#"[{"kind":"chest_pain"}]"#,
        r#"[{"kind":"twitching","severity":"severe","regions":["calves"]},{"kind":"weakness","severity":"moderate","regions":["calves"]}]"#,
        r#"[{"kind":"dizziness","severity":"mild"}]"#,
    ];
    MENU[(course + step) % MENU.len()]
}

/// A clinic with one client and `count` courses; their link hashes and
/// treatment ids.
async fn clinic_with_courses(
    store: &Store,
    name: &str,
    count: usize,
) -> (ClinicId, Vec<String>, Vec<TreatmentId>) {
    let seeded = testing::clinic_with_courses(store, name, None, count, TREATED_AT).await;
    (seeded.clinic, seeded.links, seeded.treatments)
}

async fn scenario(url: &str) {
    let store = Store::open(url, &StoreOptions::default())
        .await
        .expect("open");
    let guideline = Arc::new(Guideline::shipped());
    let now = TREATED_AT + 200 * HOUR;
    let (clinic, links, treatments) = clinic_with_courses(&store, "Group Clinic", COURSES).await;
    // Course 0 already has a check-in stored, so a group must read and
    // extend a stored course, and replay a key stored before the group.
    let before = store
        .submit_checkin(
            &links[0],
            Some("stored-before"),
            checkin(1, "[]"),
            &guideline,
            now,
        )
        .await
        .expect("first check-in");

    // Everything at once: each course's check-ins in order from one task,
    // all courses side by side, plus submissions that must be refused or
    // replayed in the middle of the crowd.
    let mut tasks = tokio::task::JoinSet::new();
    for (index, link) in links.iter().enumerate() {
        let store = store.clone();
        let guideline = Arc::clone(&guideline);
        let link = link.clone();
        tasks.spawn(async move {
            let mut answers = Vec::new();
            for step in 0..CHECKINS_PER_COURSE {
                let hours = 6 + 24 * i64::try_from(step).expect("small");
                let key = format!("c{index}-s{step}");
                let answer = store
                    .submit_checkin_shared(
                        &link,
                        Some(&key),
                        checkin(hours, symptoms_for(index, step)),
                        &guideline,
                        now,
                    )
                    .await;
                answers.push((step, answer));
            }
            (index, answers)
        });
    }
    let unknown = spawn_submission(
        &store,
        &guideline,
        "no-such-link",
        None,
        checkin(30, "[]"),
        now,
    );
    let future = spawn_submission(&store, &guideline, &links[1], None, checkin(400, "[]"), now);
    let replayed_before = spawn_submission(
        &store,
        &guideline,
        &links[0],
        Some("stored-before"),
        checkin(1, "[]"),
        now,
    );

    let mut answers: HashMap<usize, Vec<Answer>> = HashMap::new();
    while let Some(joined) = tasks.join_next().await {
        let (index, list) = joined.expect("task");
        answers.insert(index, list);
    }
    assert!(
        matches!(
            unknown.await.expect("task"),
            Err(StoreError::NotFound("link"))
        ),
        "an unknown link is refused inside a group"
    );
    assert!(
        matches!(future.await.expect("task"), Err(StoreError::Invalid { ref path, .. }) if path == "at"),
        "a check-in from the future is refused inside a group"
    );
    let replay = replayed_before.await.expect("task").expect("replay");
    assert!(replay.replayed);
    assert_eq!(replay.checkin.id, before.checkin.id);
    assert_eq!(replay.decision.id, before.decision.id);

    // Every acknowledged check-in is stored once, in order, with the
    // decision the engine gives for the course up to it.
    for (index, treatment_id) in treatments.iter().enumerate() {
        let list = &answers[&index];
        for (step, answer) in list {
            let submitted = answer
                .as_ref()
                .unwrap_or_else(|error| panic!("course {index} step {step}: {error}"));
            assert!(!submitted.replayed);
        }
        check_course(&store, &clinic, treatment_id, &guideline, list).await;
    }
    assert!(
        store.grouped_checkins() > 0,
        "with {COURSES} courses submitting at once some check-ins must share a transaction"
    );

    check_counters_and_keys(&store, &links, &guideline, now).await;
    store.close().await;
}

/// One submission in a task of its own, to arrive among the crowd.
fn spawn_submission(
    store: &Store,
    guideline: &Arc<Guideline>,
    link: &str,
    key: Option<&str>,
    checkin: Checkin,
    now: i64,
) -> tokio::task::JoinHandle<Result<Submitted, StoreError>> {
    let (store, guideline) = (store.clone(), Arc::clone(guideline));
    let (link, key) = (link.to_owned(), key.map(str::to_owned));
    tokio::spawn(async move {
        store
            .submit_checkin_shared(&link, key.as_deref(), checkin, &guideline, now)
            .await
    })
}

/// The course counters stayed right after the crowd: the next check-in of
/// each course takes the next position, and a key used in a group replays
/// (and conflicts when sent with another check-in).
async fn check_counters_and_keys(
    store: &Store,
    links: &[String],
    guideline: &Arc<Guideline>,
    now: i64,
) {
    for (index, link) in links.iter().enumerate() {
        let expected_seq =
            i64::try_from(CHECKINS_PER_COURSE + usize::from(index == 0)).expect("small");
        let next = store
            .submit_checkin(link, None, checkin(150, "[]"), guideline, now)
            .await
            .expect("next check-in");
        assert_eq!(next.checkin.seq, expected_seq, "course {index}");
        let again = store
            .submit_checkin_shared(
                link,
                Some(&format!("c{index}-s1")),
                checkin(30, symptoms_for(index, 1)),
                guideline,
                now,
            )
            .await
            .expect("replay of a grouped check-in");
        assert!(again.replayed);
        assert_eq!(again.checkin.seq, i64::from(index == 0) + 1);
        let conflicting = store
            .submit_checkin_shared(
                link,
                Some(&format!("c{index}-s1")),
                checkin(31, "[]"),
                guideline,
                now,
            )
            .await;
        assert!(
            matches!(conflicting, Err(StoreError::Conflict(_))),
            "{conflicting:?}"
        );
    }
}

async fn check_course(
    store: &Store,
    clinic: &ClinicId,
    treatment_id: &TreatmentId,
    guideline: &Guideline,
    answers: &[Answer],
) {
    let record = store
        .course(clinic, treatment_id, &Actor::System, TREATED_AT)
        .await
        .expect("course");
    assert_eq!(record.checkins.len(), record.decisions.len());
    let offset = record.checkins.len() - answers.len();
    let mut course = Course {
        treatment: record.treatment.details.clone(),
        checkins: Vec::new(),
    };
    for (position, (stored, decision)) in record.checkins.iter().zip(&record.decisions).enumerate()
    {
        assert_eq!(stored.seq, i64::try_from(position).expect("small"));
        assert_eq!(decision.checkin_id, stored.id);
        course.checkins.push(stored.checkin.clone());
        let expected = triage(guideline, &course);
        assert_eq!(
            decision.body.get(),
            expected.to_json(),
            "the decision at position {position} is the engine's for the course up to it"
        );
        if position >= offset {
            let answer = answers[position - offset].1.as_ref().expect("acknowledged");
            assert_eq!(answer.checkin.id, stored.id);
            assert_eq!(answer.decision.id, decision.id);
            assert_eq!(
                answer.alert.is_some(),
                expected.fresh_level().alerts_therapist(),
                "an alert exactly when what fired on this check-in calls for the therapist"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn grouped_check_ins_match_one_by_one_on_sqlite() {
    let (url, dir) = fresh_sqlite_url();
    scenario(&url).await;
    let _ = std::fs::remove_dir_all(dir);
}

/// An in-memory database is written by the same writer as a file (it is
/// a private temporary file), and two of them share nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn grouped_check_ins_match_one_by_one_in_memory() {
    scenario("sqlite::memory:").await;
    let first = Store::open("sqlite::memory:", &StoreOptions::default())
        .await
        .expect("open");
    let (clinic, _, _) = clinic_with_courses(&first, "Memory One", 1).await;
    let second = Store::open("sqlite::memory:", &StoreOptions::default())
        .await
        .expect("open");
    assert!(
        matches!(second.clinic(&clinic).await, Err(StoreError::NotFound(_))),
        "a second in-memory store saw the first one's clinic"
    );
    assert!(first.clinic(&clinic).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn grouped_check_ins_match_one_by_one_on_postgres() {
    let Some(url) = fresh_postgres_url().await else {
        return;
    };
    scenario(&url).await;
}

/// Many submissions to the same courses at once, against small caps: the
/// caps hold inside a group exactly as they do one by one.
async fn caps_scenario(url: &str) {
    let options = StoreOptions {
        checkin_limits: CheckinLimits {
            per_course: 4,
            per_link_per_hour: 3,
        },
        ..StoreOptions::default()
    };
    let store = Store::open(url, &options).await.expect("open");
    let guideline = Arc::new(Guideline::shipped());
    let (_, links, _) = clinic_with_courses(&store, "Capped Clinic", 10).await;

    // Six at once per course, all in the same hour: three are taken.
    let burst = |now: i64, each: usize| {
        let mut tasks = tokio::task::JoinSet::new();
        for link in &links {
            for _ in 0..each {
                let store = store.clone();
                let guideline = Arc::clone(&guideline);
                let link = link.clone();
                tasks.spawn(async move {
                    let answer = store
                        .submit_checkin_shared(&link, None, checkin(5, "[]"), &guideline, now)
                        .await;
                    (link, answer)
                });
            }
        }
        tasks
    };
    let count = |mut tasks: tokio::task::JoinSet<(String, Result<Submitted, StoreError>)>| async move {
        let mut per_link: HashMap<String, (usize, usize, usize)> = HashMap::new();
        while let Some(joined) = tasks.join_next().await {
            let (link, answer) = joined.expect("task");
            let entry = per_link.entry(link).or_default();
            match answer {
                Ok(_) => entry.0 += 1,
                Err(StoreError::TooManyCheckins { limit: 3, .. }) => entry.1 += 1,
                Err(StoreError::CourseFull { limit: 4 }) => entry.2 += 1,
                Err(other) => panic!("unexpected refusal: {other}"),
            }
        }
        per_link
    };
    let first_hour = count(burst(TREATED_AT + 6 * HOUR, 6)).await;
    for (stored, too_many, full) in first_hour.values() {
        assert_eq!((*stored, *too_many, *full), (3, 3, 0));
    }
    // Two hours later the hourly cap has room again, but each course takes
    // only one more before it is full.
    let later = count(burst(TREATED_AT + 8 * HOUR, 3)).await;
    for (stored, too_many, full) in later.values() {
        assert_eq!((*stored, *too_many, *full), (1, 0, 2));
    }
    assert!(store.grouped_checkins() > 0, "the bursts were grouped");
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn caps_hold_inside_groups_on_sqlite() {
    let (url, dir) = fresh_sqlite_url();
    caps_scenario(&url).await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn caps_hold_inside_groups_on_postgres() {
    let Some(url) = fresh_postgres_url().await else {
        return;
    };
    caps_scenario(&url).await;
}

/// Two instances on one database take turns on the same courses: each
/// writer keeps the courses it wrote for its next check-in, and must see
/// that the other wrote in between (the check-in count moved) and read the
/// course again. Every decision is still the engine's for the whole course
/// up to it, carried red flags included.
async fn two_instances_scenario(url: &str) {
    let first = Store::open(url, &StoreOptions::default())
        .await
        .expect("open");
    let second = Store::open(url, &StoreOptions::default())
        .await
        .expect("open again");
    let guideline = Arc::new(Guideline::shipped());
    let now = TREATED_AT + 400 * HOUR;
    let (clinic, links, treatments) = clinic_with_courses(&first, "Two Instances", 2).await;
    let mut answers: Vec<Vec<Answer>> = vec![Vec::new(), Vec::new()];
    for step in 0..12 {
        // Runs of two on one instance, so each sees its own kept course
        // and the other's writes in turn.
        let store = if (step / 2) % 2 == 0 { &first } else { &second };
        for (index, link) in links.iter().enumerate() {
            let hours = 2 + 12 * i64::try_from(step).expect("small");
            let answer = store
                .submit_checkin_shared(
                    link,
                    None,
                    checkin(hours, symptoms_for(index, step)),
                    &guideline,
                    now,
                )
                .await;
            answers[index].push((step, answer));
        }
    }
    for (index, treatment_id) in treatments.iter().enumerate() {
        check_course(&first, &clinic, treatment_id, &guideline, &answers[index]).await;
    }
    first.close().await;
    second.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_taking_turns_on_a_course_decide_on_all_of_it_on_sqlite() {
    let (url, dir) = fresh_sqlite_url();
    two_instances_scenario(&url).await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_taking_turns_on_a_course_decide_on_all_of_it_on_postgres() {
    let Some(url) = fresh_postgres_url().await else {
        return;
    };
    two_instances_scenario(&url).await;
}

/// Notes and idempotency keys no form would produce, each exactly as
/// written: quotes, backslashes, JSON and SQL lookalikes, line and
/// paragraph separators, right-to-left text, combining marks, emoji, and a
/// long note. PostgreSQL's group write carries the rows as JSON text, so
/// escaping must not change a character.
const AWKWARD: [&str; 10] = [
    r#"she said "it's fine" \ then left"#,
    r#"{"kind":"chest_pain"} is not a symptom here"#,
    "'); DROP TABLE checkins; -- $1 $2 ?",
    "line one\nline two\r\n\ttabbed",
    "para\u{2028}line\u{2029}end",
    "كتف الأيسر يؤلمني قليلاً",
    "e\u{301}\u{302} co\u{327}a",
    "calf 🦵🏽 sore, 👍",
    "\u{7f}\u{1b}[31m not a colour",
    "",
];

async fn awkward_text_scenario(url: &str) {
    let store = Store::open(url, &StoreOptions::default())
        .await
        .expect("open");
    let guideline = Arc::new(Guideline::shipped());
    let now = TREATED_AT + 200 * HOUR;
    let long_note = "calves ache, less than yesterday. ".repeat(150);
    let mut notes: Vec<String> = AWKWARD.iter().map(|note| (*note).to_owned()).collect();
    notes.push(long_note);
    let (clinic, links, treatments) =
        clinic_with_courses(&store, "Awkward Text", notes.len()).await;
    // All at once, so that the writer takes them in groups.
    let mut tasks = tokio::task::JoinSet::new();
    for (index, (link, note)) in links.iter().zip(&notes).enumerate() {
        let store = store.clone();
        let guideline = Arc::clone(&guideline);
        let link = link.clone();
        let mut report = checkin(6, symptoms_for(index, 0));
        report.note = (!note.is_empty()).then(|| note.clone());
        let key = format!("{index}:{}", AWKWARD[index % AWKWARD.len()]);
        tasks.spawn(async move {
            store
                .submit_checkin_shared(&link, Some(&key), report, &guideline, now)
                .await
                .map(|submitted| (index, key, submitted))
        });
    }
    while let Some(joined) = tasks.join_next().await {
        let (index, key, submitted) = joined.expect("task").expect("stored");
        let record = store
            .course(&clinic, &treatments[index], &Actor::System, now)
            .await
            .expect("course");
        assert_eq!(record.checkins.len(), 1);
        let stored = &record.checkins[0].checkin;
        assert_eq!(stored, &submitted.checkin.checkin);
        let expected = (!notes[index].is_empty()).then(|| notes[index].clone());
        assert_eq!(stored.note, expected, "note {index} changed on the way");
        // The same key again is a replay of the stored check-in: the key
        // was kept exactly, or it would not match.
        let mut again = checkin(6, symptoms_for(index, 0));
        again.note.clone_from(&expected);
        let replayed = store
            .submit_checkin_shared(&links[index], Some(&key), again, &guideline, now)
            .await
            .expect("replayed");
        assert!(replayed.replayed, "key {index} was not kept as sent");
        assert_eq!(replayed.checkin.id, submitted.checkin.id);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn awkward_text_is_kept_exactly_on_sqlite() {
    let (url, _dir) = fresh_sqlite_url();
    awkward_text_scenario(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn awkward_text_is_kept_exactly_on_postgres() {
    let Some(url) = fresh_postgres_url().await else {
        return;
    };
    awkward_text_scenario(&url).await;
}
