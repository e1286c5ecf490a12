//! Crash consistency: the real `aftercare serve` takes a steady stream of
//! check-ins and is killed with SIGKILL at random moments, then restarted.
//! Every check-in the service acknowledged (2xx) must be there afterwards
//! with its decision, and nothing may be half written.
//!
//! Clients behave as the API asks them to: a submission that got no answer
//! is retried with the same `Idempotency-Key` until it is answered, so at
//! the end every submission is acknowledged exactly once and the database
//! must hold exactly those check-ins.
//!
//! `AFTERCARE_CRASH_KILLS` sets the number of kills per backend (default 3;
//! `scripts/reliability` runs 20), `AFTERCARE_CRASH_SEED` replays the kill
//! moments of an earlier run (each run prints its seed).

#![allow(missing_docs)]

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aftercare_store::testing::{fresh_postgres_url, fresh_sqlite_url};
use serde_json::{Value, json};
use sqlx::{Connection as _, Row as _};
use support::{Service, create_clinic, create_treatment, http, query_one_text, rfc3339};

/// Threads submitting check-ins at once.
const WORKERS: usize = 4;
/// Courses each worker feeds in turn.
const COURSES_PER_WORKER: usize = 3;

#[test]
fn acknowledged_check_ins_survive_sigkill_on_sqlite() {
    let (url, dir) = fresh_sqlite_url();
    let report = crash_and_verify(&url, &dir);
    report.print("sqlite");
    let integrity = query_one_text(&url, "PRAGMA integrity_check");
    assert_eq!(integrity, "ok", "SQLite integrity check");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn acknowledged_check_ins_survive_sigkill_on_postgres() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let Some(url) = runtime.block_on(fresh_postgres_url()) else {
        return;
    };
    let (_, dir) = fresh_sqlite_url();
    let report = crash_and_verify(&url, &dir);
    report.print("postgres");
    let _ = std::fs::remove_dir_all(dir);
}

/// What one run saw.
struct Report {
    kills: usize,
    seed: u64,
    acknowledged: usize,
    found: usize,
    lost: usize,
    /// Submissions cut off by a kill whose retry showed they had been
    /// stored: committed, but the answer never left the process.
    committed_unanswered: usize,
}

impl Report {
    fn print(&self, backend: &str) {
        eprintln!(
            "crash {backend}: kills {} seed {} acknowledged {} found {} lost {} \
             (committed but unanswered before a kill, answered on retry: {})",
            self.kills,
            self.seed,
            self.acknowledged,
            self.found,
            self.lost,
            self.committed_unanswered
        );
    }
}

/// What the service answered for one check-in.
#[derive(Clone, Debug)]
struct Acknowledged {
    checkin_id: String,
    decision_id: String,
    level: String,
}

/// State the workers share with the killer.
struct Shared {
    /// The port of the running service; 0 while it is down.
    port: AtomicU16,
    /// Set once the last restart is done: finish what is pending and stop.
    finishing: AtomicBool,
    acknowledged: Mutex<BTreeMap<String, Acknowledged>>,
    committed_unanswered: Mutex<usize>,
}

fn crash_and_verify(url: &str, dir: &Path) -> Report {
    let kills: usize = std::env::var("AFTERCARE_CRASH_KILLS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(3);
    let seed: u64 = std::env::var("AFTERCARE_CRASH_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |since| since.as_nanos() as u64)
                | 1
        });
    let mut random = XorShift(seed);

    let token = create_clinic(url);
    let mut service = Service::start(url, dir);
    let treatments: Vec<(String, i64)> = (0..WORKERS * COURSES_PER_WORKER)
        .map(|n| create_treatment(service.port, &token, n))
        .collect();

    let shared = Arc::new(Shared {
        port: AtomicU16::new(service.port),
        finishing: AtomicBool::new(false),
        acknowledged: Mutex::new(BTreeMap::new()),
        committed_unanswered: Mutex::new(0),
    });
    let workers: Vec<_> = (0..WORKERS)
        .map(|worker| {
            let shared = Arc::clone(&shared);
            let mine: Vec<(String, i64)> = treatments
                .iter()
                .skip(worker)
                .step_by(WORKERS)
                .cloned()
                .collect();
            std::thread::spawn(move || submit_until_told(worker, &mine, &shared))
        })
        .collect();

    for _ in 0..kills {
        // Let the load run a random while, then kill mid-stream.
        std::thread::sleep(Duration::from_millis(150 + random.below(600)));
        shared.port.store(0, Ordering::SeqCst);
        service.kill();
        service = Service::start(url, dir);
        shared.port.store(service.port, Ordering::SeqCst);
    }
    std::thread::sleep(Duration::from_millis(300));
    shared.finishing.store(true, Ordering::SeqCst);
    for worker in workers {
        worker.join().expect("a worker finished");
    }
    service.kill();

    let acknowledged = shared.acknowledged.lock().expect("lock").clone();
    let committed_unanswered = *shared.committed_unanswered.lock().expect("lock");
    let report = verify(url, &acknowledged, kills, seed, committed_unanswered);
    assert!(
        report.acknowledged > kills,
        "the load ran between kills ({} acknowledged)",
        report.acknowledged
    );
    report
}

/// Checks the database against what was acknowledged.
fn verify(
    url: &str,
    acknowledged: &BTreeMap<String, Acknowledged>,
    kills: usize,
    seed: u64,
    committed_unanswered: usize,
) -> Report {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        sqlx::any::install_default_drivers();
        let mut db = sqlx::AnyConnection::connect(url).await.expect("connect");
        let stored = stored_checkins(&mut db).await;
        let found = assert_same_checkins(acknowledged, &stored);
        assert_no_orphans(&mut db).await;
        assert_alerts_written(&mut db).await;
        let _ = db.close().await;
        Report {
            kills,
            seed,
            acknowledged: acknowledged.len(),
            found,
            lost: acknowledged.len() - found,
            committed_unanswered,
        }
    })
}

/// Every stored check-in with its decision, by idempotency key; panics on
/// a check-in without its decision.
async fn stored_checkins(db: &mut sqlx::AnyConnection) -> BTreeMap<String, Acknowledged> {
    let rows = sqlx::query(
        "SELECT c.id AS checkin_id, c.idempotency_key AS key, d.id AS decision_id, d.level AS level \
         FROM checkins c LEFT JOIN decisions d ON d.checkin_id = c.id",
    )
    .fetch_all(&mut *db)
    .await
    .expect("read the check-ins");
    let mut stored = BTreeMap::new();
    for row in &rows {
        let key: Option<String> = row.get("key");
        let decision_id: Option<String> = row.get("decision_id");
        let level: Option<String> = row.get("level");
        let checkin_id: String = row.get("checkin_id");
        let (Some(decision_id), Some(level)) = (decision_id, level) else {
            panic!("half-written: check-in {checkin_id} has no decision");
        };
        let key = key.expect("every check-in of the test has a key");
        stored.insert(
            key,
            Acknowledged {
                checkin_id,
                decision_id,
                level,
            },
        );
    }
    stored
}

/// Asserts that every acknowledged check-in is stored as answered, and
/// nothing else is; answers how many were found.
fn assert_same_checkins(
    acknowledged: &BTreeMap<String, Acknowledged>,
    stored: &BTreeMap<String, Acknowledged>,
) -> usize {
    let mut found = 0;
    let mut lost = Vec::new();
    for (key, answer) in acknowledged {
        match stored.get(key) {
            Some(row)
                if row.checkin_id == answer.checkin_id
                    && row.decision_id == answer.decision_id
                    && row.level == answer.level =>
            {
                found += 1;
            }
            other => lost.push(format!("{key}: answered {answer:?}, stored {other:?}")),
        }
    }
    assert!(
        lost.is_empty(),
        "acknowledged but lost or changed: {lost:#?}"
    );
    let unacknowledged: Vec<&String> = stored
        .keys()
        .filter(|key| !acknowledged.contains_key(*key))
        .collect();
    assert!(
        unacknowledged.is_empty(),
        "stored but never acknowledged, though every submission was retried until answered: {unacknowledged:?}"
    );
    found
}

/// Asserts that no record lacks what it belongs to or what must come with
/// it, and that the counts kept beside the check-ins agree with them.
async fn assert_no_orphans(db: &mut sqlx::AnyConnection) {
    for (what, sql) in [
        (
            "alerts without their decision",
            "SELECT COUNT(*) FROM alerts a LEFT JOIN decisions d ON d.id = a.decision_id WHERE d.id IS NULL",
        ),
        (
            "decisions without a check-in",
            "SELECT COUNT(*) FROM decisions d LEFT JOIN checkins c ON c.id = d.checkin_id WHERE c.id IS NULL",
        ),
        (
            "courses whose check-in count disagrees with their check-ins",
            "SELECT COUNT(*) FROM treatments t WHERE t.checkin_count <> \
             (SELECT COUNT(*) FROM checkins c WHERE c.treatment_id = t.id)",
        ),
        (
            "courses with a gap in their check-in positions",
            "SELECT COUNT(*) FROM treatments t WHERE t.checkin_count > 0 AND \
             (SELECT MAX(seq) + 1 FROM checkins c WHERE c.treatment_id = t.id) <> t.checkin_count",
        ),
        (
            "check-ins without their audit event",
            "SELECT COUNT(*) FROM checkins c LEFT JOIN audit_events e \
             ON e.action = 'checkin.create' AND e.subject = 'checkin:' || c.id WHERE e.id IS NULL",
        ),
    ] {
        let count: i64 = sqlx::query(sql)
            .fetch_one(&mut *db)
            .await
            .unwrap_or_else(|error| panic!("{what}: {error}"))
            .get(0);
        assert_eq!(count, 0, "half-written records: {what}");
    }
}

/// Asserts that every decision whose own reasons (red flags carried from
/// earlier check-ins left out) reach contact_therapist has its alert.
async fn assert_alerts_written(db: &mut sqlx::AnyConnection) {
    let unalerted = sqlx::query(
        "SELECT d.body FROM decisions d LEFT JOIN alerts a ON a.decision_id = d.id WHERE a.id IS NULL",
    )
    .fetch_all(&mut *db)
    .await
    .unwrap_or_else(|error| panic!("decisions without an alert: {error}"));
    let missing = unalerted
        .iter()
        .filter(|row| {
            let body: String = row.get(0);
            let decision: Value = serde_json::from_str(&body).expect("a stored decision");
            decision["reasons"]
                .as_array()
                .expect("reasons")
                .iter()
                .filter(|reason| reason.get("earlier").is_none())
                .any(|reason| {
                    matches!(
                        reason["level"].as_str(),
                        Some("contact_therapist" | "see_doctor" | "urgent" | "emergency")
                    )
                })
        })
        .count();
    assert_eq!(
        missing, 0,
        "half-written records: decisions that alert without an alert"
    );
}

/// One worker: check-ins to its courses in turn, each retried with its key
/// until answered; stops when told to, once nothing is pending.
fn submit_until_told(worker: usize, courses: &[(String, i64)], shared: &Shared) {
    let mut next_minute = vec![1_i64; courses.len()];
    for n in 0.. {
        if shared.finishing.load(Ordering::SeqCst) {
            return;
        }
        let course = n % courses.len();
        let (link, treatment_at) = &courses[course];
        let at = treatment_at + next_minute[course] * 60;
        next_minute[course] += 1;
        let key = format!("w{worker}-n{n}");
        // Now and then a symptom that raises an alert, so alerts are
        // written under the kills too.
        let symptoms = if n % 5 == 4 {
            json!([{ "kind": "chest_pain", "severity": "moderate", "frequency": "frequently",
                     "interference": "somewhat", "regions": ["chest"] }])
        } else {
            json!([{ "kind": "soreness", "severity": "mild", "regions": ["calves"] }])
        };
        let body = json!({ "at": rfc3339(at), "symptoms": symptoms }).to_string();
        let path = format!("/api/v1/links/{link}/checkins");
        let mut tries = 0;
        loop {
            let port = shared.port.load(Ordering::SeqCst);
            if port == 0 {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
            tries += 1;
            match http(port, "POST", &path, None, Some(&key), Some(&body)) {
                Ok((status @ (200 | 201), answer)) => {
                    if status == 200 && tries > 1 {
                        *shared.committed_unanswered.lock().expect("lock") += 1;
                    }
                    let answer: Value = serde_json::from_str(&answer).expect("JSON answer");
                    let acknowledged = Acknowledged {
                        checkin_id: answer["checkin"]["id"].as_str().expect("id").to_owned(),
                        decision_id: answer["decision"]["id"].as_str().expect("id").to_owned(),
                        level: answer["decision"]["decision"]["level"]
                            .as_str()
                            .expect("level")
                            .to_owned(),
                    };
                    shared
                        .acknowledged
                        .lock()
                        .expect("lock")
                        .insert(key, acknowledged);
                    break;
                }
                // Killed mid-request, or a 503 while the database recovers:
                // retry as a client would.
                Err(_) | Ok((503, _)) => std::thread::sleep(Duration::from_millis(10)),
                Ok((status, answer)) => panic!("unexpected answer {status}: {answer}"),
            }
        }
    }
}

/// A small, seedable random source for the kill moments.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}
