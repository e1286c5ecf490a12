//! The planner's decisions are applied by different code on each backend
//! (prepared statements one plan at a time on SQLite's writer, a few
//! set-based statements for a whole group on PostgreSQL). Given the same
//! updates, both must leave the same plans, invitations, messages and
//! delivery log: a plan that moved on is left alone, an ended invitation's
//! queued messages are cancelled and logged, a duplicate message is
//! skipped.

use std::collections::HashMap;

use aftercare_core::Level;
use aftercare_store::testing::{clinic_with_courses, fresh_postgres_url, fresh_sqlite_url};
use aftercare_store::{
    Channel, InvitationEnd, InvitationId, MessageKind, NewInvitation, NewMessage, PlanNext,
    PlanUpdate, Store, StoreOptions, TreatmentId,
};
use sqlx::{AnyPool, Row};

const HOUR: i64 = 3_600_000;
/// 2026-11-20T15:00:00Z.
const TREATED_AT: i64 = 1_795_186_800_000;
/// The courses of the scenario, by the part each plays.
const COURSES: [&str; 4] = ["answered", "stale", "cleared", "lapsed"];

/// Rows of the four tables the planner writes, in a form both backends
/// give alike: ids replaced by the course's name or the row's role.
type Snapshot = Vec<String>;

fn message(kind: MessageKind, channel: Channel, due_at: i64, key: &str) -> NewMessage {
    NewMessage {
        kind,
        channel,
        recipient: (channel == Channel::Email).then(|| "client@example.org".to_owned()),
        high_priority: kind == MessageKind::MissedCheckin,
        due_at,
        dedupe_key: key.to_owned(),
    }
}

/// An invitation due `hours` after the treatment, with its email and a
/// reminder.
fn invitation(hours: i64) -> NewInvitation {
    let due_at = TREATED_AT + hours * HOUR;
    NewInvitation {
        due_at,
        expires_at: due_at + 24 * HOUR,
        messages: vec![
            message(MessageKind::Invitation, Channel::Email, due_at, "invite"),
            message(
                MessageKind::Reminder,
                Channel::Email,
                due_at + 6 * HOUR,
                "remind",
            ),
        ],
    }
}

async fn raw(url: &str) -> AnyPool {
    sqlx::any::install_default_drivers();
    AnyPool::connect(url)
        .await
        .unwrap_or_else(|error| panic!("connect {url}: {error}"))
}

/// The plan's open invitation.
async fn open_invitation(pool: &AnyPool, treatment: &TreatmentId) -> InvitationId {
    let id: String =
        sqlx::query("SELECT open_invitation FROM followup_plans WHERE treatment_id = $1")
            .bind(treatment.as_str().to_owned())
            .fetch_one(pool)
            .await
            .expect("the plan")
            .try_get("open_invitation")
            .expect("an open invitation");
    InvitationId::parse(&id).expect("an invitation id")
}

/// Starts every plan, applies one group of updates, and answers how many
/// applied with what the tables hold afterwards.
async fn scenario(url: &str) -> (usize, Snapshot) {
    let store = Store::open(url, &StoreOptions::default())
        .await
        .expect("open");
    let pool = raw(url).await;
    let seeded = clinic_with_courses(
        &store,
        "Plan Clinic",
        Some("client@example.org"),
        COURSES.len(),
        TREATED_AT,
    )
    .await;
    let (clinic, treatments) = (seeded.clinic, seeded.treatments);
    let plan = [6, 24, 72];
    for treatment in &treatments {
        store
            .start_plan(
                &clinic,
                treatment,
                &plan,
                &PlanNext::Invite(invitation(6)),
                TREATED_AT,
            )
            .await
            .expect("start a plan");
    }
    let [answered, stale, cleared, lapsed] = [0, 1, 2, 3].map(|index| treatments[index].clone());
    let update = |treatment: &TreatmentId, seen_before: i64, next: PlanNext| PlanUpdate {
        clinic_id: clinic.clone(),
        treatment_id: treatment.clone(),
        seen_before,
        seen_after: seen_before + 1,
        last_level: Some(Level::Expected),
        end_invitation: None,
        next,
        extra_messages: Vec::new(),
    };
    let now = TREATED_AT + 8 * HOUR;
    let mut missed = message(MessageKind::MissedCheckin, Channel::Email, now, "missed");
    missed.recipient = Some("owner@plan-clinic.example".to_owned());
    let updates = vec![
        // Answered: its invitation ends, the next one opens, and a
        // therapist's message is queued twice under one key (stored once).
        PlanUpdate {
            end_invitation: Some((
                open_invitation(&pool, &answered).await,
                InvitationEnd::Answered,
            )),
            extra_messages: vec![missed.clone(), missed],
            ..update(&answered, 0, PlanNext::Invite(invitation(24)))
        },
        // Planned from an old reading: another planner got there first.
        update(&stale, 5, PlanNext::Close("clear")),
        // Cleared: the plan closes and its invitation is cancelled.
        PlanUpdate {
            end_invitation: Some((
                open_invitation(&pool, &cleared).await,
                InvitationEnd::Cancelled,
            )),
            last_level: None,
            ..update(&cleared, 0, PlanNext::Close("clear"))
        },
        // Lapsed: the invitation expired and the plan gives up.
        PlanUpdate {
            end_invitation: Some((
                open_invitation(&pool, &lapsed).await,
                InvitationEnd::Expired,
            )),
            ..update(&lapsed, 0, PlanNext::Close("unanswered"))
        },
        // The answered plan again in the same group, from the reading the
        // first update already moved past: changes nothing.
        update(&answered, 0, PlanNext::Close("plan_complete")),
    ];
    let applied = store.update_plans(&updates, now).await.expect("plans");
    (applied, snapshot(&pool, &treatments).await)
}

/// What the tables hold, with each treatment id replaced by its course's
/// name and each invitation id by whose and when it is due.
async fn snapshot(pool: &AnyPool, treatments: &[TreatmentId]) -> Snapshot {
    let course = |id: &str| {
        let index = treatments
            .iter()
            .position(|treatment| treatment.as_str() == id)
            .expect("one of the courses");
        COURSES[index]
    };
    let mut invitations = HashMap::new();
    let mut lines = Vec::new();
    for row in sqlx::query(
        "SELECT id, treatment_id, due_at, expires_at, state FROM invitations ORDER BY treatment_id, due_at",
    )
    .fetch_all(pool)
    .await
    .expect("invitations")
    {
        let id: String = row.get("id");
        let name = format!(
            "{}@{}",
            course(&row.get::<String, _>("treatment_id")),
            (row.get::<i64, _>("due_at") - TREATED_AT) / HOUR
        );
        lines.push(format!(
            "invitation {name} expires +{}h {}",
            (row.get::<i64, _>("expires_at") - TREATED_AT) / HOUR,
            row.get::<String, _>("state")
        ));
        invitations.insert(id, name);
    }
    let invitation =
        |id: Option<String>| id.map_or_else(|| "none".to_owned(), |id| invitations[&id].clone());
    for row in sqlx::query(
        "SELECT treatment_id, checkins_seen, last_level, open_invitation, closed_at, closed_reason \
         FROM followup_plans ORDER BY treatment_id",
    )
    .fetch_all(pool)
    .await
    .expect("plans")
    {
        lines.push(format!(
            "plan {} seen {} level {:?} open {} closed {:?} {:?}",
            course(&row.get::<String, _>("treatment_id")),
            row.get::<i64, _>("checkins_seen"),
            row.get::<Option<String>, _>("last_level"),
            invitation(row.get("open_invitation")),
            row.get::<Option<i64>, _>("closed_at")
                .map(|at| (at - TREATED_AT) / HOUR),
            row.get::<Option<String>, _>("closed_reason"),
        ));
    }
    let mut messages = HashMap::new();
    let mut message_lines = Vec::new();
    for row in sqlx::query(
        "SELECT id, treatment_id, kind, channel, dedupe_key, invitation_id, recipient, \
         high_priority, status, due_at, next_attempt_at FROM messages",
    )
    .fetch_all(pool)
    .await
    .expect("messages")
    {
        let invitation_id: Option<String> = row.get("invitation_id");
        let key: String = row.get("dedupe_key");
        // An invitation's message keys start with its id.
        let key = match &invitation_id {
            Some(id) => key.replace(id.as_str(), &invitations[id]),
            None => key,
        };
        let name = format!("{} {key}", course(&row.get::<String, _>("treatment_id")));
        message_lines.push(format!(
            "message {name} {} {} to {:?} high {} {} due +{}h next +{}h of {}",
            row.get::<String, _>("kind"),
            row.get::<String, _>("channel"),
            row.get::<Option<String>, _>("recipient"),
            row.get::<i64, _>("high_priority"),
            row.get::<String, _>("status"),
            (row.get::<i64, _>("due_at") - TREATED_AT) / HOUR,
            (row.get::<i64, _>("next_attempt_at") - TREATED_AT) / HOUR,
            invitation(invitation_id),
        ));
        messages.insert(row.get::<String, _>("id"), name);
    }
    message_lines.sort();
    lines.extend(message_lines);
    lines.extend(log_lines(pool, &messages).await);
    lines
}

/// The delivery log, each line naming its message as `snapshot` does.
async fn log_lines(pool: &AnyPool, messages: &HashMap<String, String>) -> Vec<String> {
    let mut log_lines: Vec<String> =
        sqlx::query("SELECT message_id, event, reason, at FROM delivery_log")
            .fetch_all(pool)
            .await
            .expect("the delivery log")
            .iter()
            .map(|row| {
                format!(
                    "log {} {} {:?} at +{}h",
                    messages[&row.get::<String, _>("message_id")],
                    row.get::<String, _>("event"),
                    row.get::<Option<String>, _>("reason"),
                    (row.get::<i64, _>("at") - TREATED_AT) / HOUR,
                )
            })
            .collect();
    log_lines.sort();
    log_lines
}

/// What the scenario must leave, whatever the backend.
fn check(applied: usize, snapshot: &Snapshot) {
    assert_eq!(
        applied, 3,
        "answered, cleared and lapsed apply; stale does not"
    );
    let has = |line: &str| {
        assert!(
            snapshot.iter().any(|held| held == line),
            "missing `{line}` in:\n{}",
            snapshot.join("\n")
        );
    };
    has("plan answered seen 1 level Some(\"expected\") open answered@24 closed None None");
    has("plan stale seen 0 level None open stale@6 closed None None");
    has("plan cleared seen 1 level None open none closed Some(8) Some(\"clear\")");
    has(
        "plan lapsed seen 1 level Some(\"expected\") open none closed Some(8) Some(\"unanswered\")",
    );
    has("invitation answered@6 expires +30h answered");
    has("invitation answered@24 expires +48h open");
    has("invitation stale@6 expires +30h open");
    has("invitation cleared@6 expires +30h cancelled");
    has("invitation lapsed@6 expires +30h expired");
    has("log answered answered@6:invite cancelled Some(\"the invitation was answered\") at +8h");
    has("log lapsed lapsed@6:remind cancelled Some(\"the invitation was expired\") at +8h");
    has("log answered answered@24:invite queued None at +8h");
    has("log answered missed queued None at +8h");
    let missed = snapshot
        .iter()
        .filter(|line| line.starts_with("message answered missed "))
        .count();
    assert_eq!(missed, 1, "a dedupe key is stored once");
    // Four plans' first invitations with two messages each, the answered
    // plan's next invitation with two, and the missed check-in.
    let messages = snapshot
        .iter()
        .filter(|line| line.starts_with("message "))
        .count();
    assert_eq!(messages, 11);
    // Each message queued once; the six of the three ended invitations
    // cancelled once each.
    let logged = snapshot
        .iter()
        .filter(|line| line.starts_with("log "))
        .count();
    assert_eq!(logged, 11 + 6);
}

#[tokio::test]
async fn plan_updates_on_sqlite() {
    let (url, _dir) = fresh_sqlite_url();
    let (applied, snapshot) = scenario(&url).await;
    check(applied, &snapshot);
}

#[tokio::test]
async fn plan_updates_on_postgres_match_sqlite() {
    let Some(postgres) = fresh_postgres_url().await else {
        return;
    };
    let (applied, on_postgres) = scenario(&postgres).await;
    check(applied, &on_postgres);
    let (url, _dir) = fresh_sqlite_url();
    let (_, on_sqlite) = scenario(&url).await;
    assert_eq!(
        on_postgres, on_sqlite,
        "the same plan updates left different rows"
    );
}
