//! A planning pass reads only what came after the last complete pass's
//! mark: the courses with a check-in since then, the plans a therapist
//! changed, and the treatments recorded since then. Without a mark it
//! reads the whole window. On both backends, the same rows must come back
//! either way for what is new, and what is older than the mark must be
//! left to the whole-window read.

use std::collections::BTreeSet;
use std::sync::Arc;

use aftercare_core::{Checkin, Guideline};
use aftercare_store::testing::{
    SeededCourses, clinic_with_courses, fresh_postgres_url, fresh_sqlite_url,
};
use aftercare_store::{
    CheckinLimits, PlanNext, PlanningMark, Store, StoreOptions, TreatmentId, now_millis,
};

const HOUR: i64 = 3_600_000;
/// 2026-11-20T15:00:00Z.
const TREATED_AT: i64 = 1_795_186_800_000;
/// The planning window starts well before the treatments.
const WINDOW_START: i64 = TREATED_AT - 24 * HOUR;
/// When the check-ins are sent.
const NOW: i64 = TREATED_AT + 8 * HOUR;

fn checkin(hours_after: i64) -> Checkin {
    let at = time::OffsetDateTime::from_unix_timestamp((TREATED_AT + hours_after * HOUR) / 1000)
        .expect("time")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("format");
    serde_json::from_str(&format!(r#"{{"at":"{at}","symptoms":[]}}"#)).expect("check-in")
}

/// The store after the scenario's set-up, with each course's name and
/// the mark read at its end.
struct Scene {
    store: Store,
    seeded: SeededCourses,
    guideline: Arc<Guideline>,
    courses: Vec<(&'static str, TreatmentId)>,
    mark: PlanningMark,
}

impl Scene {
    fn names(&self, found: impl IntoIterator<Item = TreatmentId>) -> BTreeSet<String> {
        found
            .into_iter()
            .map(|id| {
                self.courses
                    .iter()
                    .find(|(_, course)| *course == id)
                    .map_or_else(|| format!("unknown {id:?}"), |(name, _)| (*name).to_owned())
            })
            .collect()
    }

    async fn to_advance(&self, checkins_from: Option<&str>) -> BTreeSet<String> {
        let plans = self
            .store
            .plans_to_advance(WINDOW_START, checkins_from, 500)
            .await
            .expect("plans to advance");
        self.names(plans.into_iter().map(|plan| plan.treatment_id))
    }

    async fn without_plan(&self, recorded_from: Option<i64>) -> BTreeSet<String> {
        let treatments = self
            .store
            .treatments_without_plan(WINDOW_START, recorded_from, 500)
            .await
            .expect("treatments without a plan");
        self.names(
            treatments
                .into_iter()
                .map(|treatment| treatment.treatment_id),
        )
    }
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
}

/// Three planned courses: "old" checked in, then (well after) "new"
/// checked in, and "changed" by a therapist; "unplanned" without a plan,
/// and "recorded later" an hour after the rest, without a plan either.
async fn set_up(url: &str) -> Scene {
    let options = StoreOptions {
        checkin_limits: CheckinLimits {
            per_course: 10_000,
            per_link_per_hour: 10_000,
        },
        ..StoreOptions::default()
    };
    let store = Store::open(url, &options).await.expect("open");
    let guideline = Arc::new(Guideline::shipped());
    let seeded = clinic_with_courses(&store, "Mark Clinic", None, 4, TREATED_AT).await;
    for treatment in &seeded.treatments[..3] {
        store
            .start_plan(
                &seeded.clinic,
                treatment,
                &[6, 24],
                &PlanNext::Close("no_channel"),
                TREATED_AT,
            )
            .await
            .expect("a plan");
    }
    let submit = async |link: &str| {
        store
            .submit_checkin_shared(link, None, checkin(6), &guideline, NOW)
            .await
            .expect("a check-in")
    };
    submit(&seeded.links[0]).await;
    // Check-in ids carry the millisecond they were made in: the mark is
    // taken well after the first, and the checks' slack is shorter.
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let mark = PlanningMark {
        service_time: TREATED_AT + HOUR / 2,
        machine_time: now_millis(),
    };
    submit(&seeded.links[1]).await;
    store
        .set_treatment_plan(
            &seeded.clinic,
            &seeded.actor,
            &seeded.treatments[2],
            &[6, 48],
            NOW,
        )
        .await
        .expect("a therapist's change");
    let later = clinic_with_courses(&store, "Later Clinic", None, 1, TREATED_AT + HOUR).await;
    let names = ["old", "new", "changed", "unplanned"];
    let mut courses: Vec<_> = names
        .into_iter()
        .zip(seeded.treatments.iter().cloned())
        .collect();
    courses.push(("recorded later", later.treatments[0].clone()));
    Scene {
        store,
        seeded,
        guideline,
        courses,
        mark,
    }
}

async fn scenario(url: &str) {
    let scene = set_up(url).await;
    let checkins_from = scene.mark.checkins_from(10);
    assert_eq!(
        scene.to_advance(None).await,
        set(&["old", "new", "changed"]),
        "the whole window holds every plan with something new"
    );
    assert_eq!(
        scene.to_advance(Some(&checkins_from)).await,
        set(&["new", "changed"]),
        "since the mark: the course checked in since, and the plan a therapist changed"
    );
    assert_eq!(
        scene.to_advance(Some("")).await,
        scene.to_advance(None).await,
        "from the lowest bound, every check-in is new"
    );
    assert_eq!(
        scene.without_plan(None).await,
        set(&["unplanned", "recorded later"])
    );
    assert_eq!(
        scene
            .without_plan(Some(scene.mark.treatments_from(HOUR / 4)))
            .await,
        set(&["recorded later"]),
        "since the mark less its slack, only the treatment recorded after it"
    );

    // A busy moment: more check-ins since the bound than a pass reads
    // (a thousand), all on one course. The whole window is read instead,
    // so nothing is left out.
    let mut busy = tokio::task::JoinSet::new();
    for _ in 0..1_001 {
        let (store, guideline) = (scene.store.clone(), Arc::clone(&scene.guideline));
        let link = scene.seeded.links[2].clone();
        busy.spawn(async move {
            store
                .submit_checkin_shared(&link, None, checkin(7), &guideline, NOW)
                .await
        });
    }
    while let Some(stored) = busy.join_next().await {
        stored.expect("a task").expect("a check-in");
    }
    assert_eq!(
        scene.to_advance(Some(&checkins_from)).await,
        scene.to_advance(None).await,
        "past a thousand check-ins since the bound, the whole window"
    );

    // A changed plan that the therapist then closes waits for no pass: it
    // leaves the index of changed plans, which stays small.
    let changed = |pool: sqlx::AnyPool| async move {
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM followup_plans WHERE checkins_seen < 0")
                .fetch_one(&pool)
                .await
                .expect("a count");
        pool.close().await;
        count
    };
    sqlx::any::install_default_drivers();
    let pool = || async { sqlx::AnyPool::connect(url).await.expect("a connection") };
    assert_eq!(changed(pool().await).await, 1);
    scene
        .store
        .close_followup(
            &scene.seeded.clinic,
            &scene.seeded.actor,
            &scene.seeded.treatments[2],
            NOW,
        )
        .await
        .expect("closed");
    assert_eq!(changed(pool().await).await, 0);
}

#[tokio::test]
async fn a_pass_since_the_mark_reads_what_is_new_on_sqlite() {
    let (url, _dir) = fresh_sqlite_url();
    scenario(&url).await;
}

#[tokio::test]
async fn a_pass_since_the_mark_reads_what_is_new_on_postgres() {
    let Some(url) = fresh_postgres_url().await else {
        return;
    };
    scenario(&url).await;
}
