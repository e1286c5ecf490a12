//! The HTTP API, driven over real HTTP against the real router on a fresh
//! database: SQLite always, PostgreSQL too when `AFTERCARE_TEST_DATABASE_URL`
//! is set (see `helpers`).

#![allow(missing_docs, clippy::too_many_lines)]

#[path = "api/accounts.rs"]
mod accounts;
#[path = "api/checkin_steps.rs"]
mod checkin_steps;
#[path = "api/helpers.rs"]
mod helpers;
#[path = "api/hostile.rs"]
mod hostile;
#[path = "api/isolation.rs"]
mod isolation;
#[path = "api/links.rs"]
mod links;
#[path = "api/records.rs"]
mod records;
#[path = "api/security.rs"]
mod security;
#[path = "api/settings.rs"]
mod settings;
#[path = "api/summary.rs"]
mod summary;
#[path = "api/web.rs"]
mod web;
// The scheduler suite's real SMTP server and webhook receiver, for the
// messages that carry a new client link.
#[path = "scheduler/support.rs"]
#[allow(dead_code, unused_imports)]
mod scheduler_support;

use std::collections::BTreeSet;
use std::time::Duration;

use aftercare_core::{Checkin, Course, Guideline, Treatment};
use aftercare_server::ServerSettings;
use helpers::{
    TestApp, on_every_backend, on_every_backend_with, on_every_backend_with_store, rfc3339,
};
use reqwest::Method;
use serde_json::{Value, json};

const HOUR: i64 = 3_600_000;

/// A check-in `hours_after` the treatment with the given symptoms.
fn checkin(treatment_at: i64, hours_after: i64, symptoms: &Value) -> Value {
    json!({ "at": rfc3339(treatment_at + hours_after * HOUR), "symptoms": symptoms })
}

fn chest_pain() -> Value {
    json!([{ "kind": "chest_pain", "severity": "moderate", "frequency": "frequently",
             "interference": "somewhat", "regions": ["chest"] }])
}

fn fever() -> Value {
    json!([{ "kind": "fever", "severity": "moderate", "frequency": "frequently", "interference": "somewhat" }])
}

fn mild_soreness() -> Value {
    json!([{ "kind": "soreness", "severity": "mild" }])
}

/// A golden course of the core's suite, as JSON text.
fn golden_course(name: &str) -> String {
    let path = format!(
        "{}/../core/tests/golden/cases/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let case: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("a golden case"))
        .expect("golden case JSON");
    case["course"].to_string()
}

#[tokio::test]
async fn health_readiness_and_common_headers() {
    on_every_backend(async |app: &TestApp| {
        let health = app.get("/healthz", None).await.expect_status(200);
        assert_eq!(health.json(), json!({ "status": "ok" }));
        let ready = app.get("/readyz", None).await.expect_status(200);
        assert_eq!(ready.json(), json!({ "status": "ready" }));

        for reply in [&health, &ready] {
            assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
            assert_eq!(reply.header("referrer-policy"), Some("no-referrer"));
            assert_eq!(
                reply.header("content-security-policy"),
                Some("default-src 'none'; frame-ancestors 'none'")
            );
            assert_eq!(reply.header("cache-control"), Some("no-store"));
            assert!(
                reply
                    .header("x-request-id")
                    .is_some_and(|id| !id.is_empty())
            );
        }

        // A sensible request id is kept; anything else is replaced.
        let kept = helpers::Reply::of(
            app.request(Method::GET, "/healthz", None)
                .header("x-request-id", "abc-123"),
        )
        .await;
        assert_eq!(kept.header("x-request-id"), Some("abc-123"));
        let replaced = helpers::Reply::of(
            app.request(Method::GET, "/healthz", None)
                .header("x-request-id", "has spaces and \"quotes\""),
        )
        .await;
        assert_ne!(
            replaced.header("x-request-id"),
            Some("has spaces and \"quotes\"")
        );
    })
    .await;
}

#[tokio::test]
async fn readiness_is_503_when_the_database_is_away() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Away Clinic").await;
        app.store.close().await;
        let reply = app.get("/readyz", None).await;
        reply.problem(503, "unavailable");
        assert!(reply.header("retry-after").is_some());
        // Authenticated routes say the same, not 500 and not 401.
        let reply = app.get("/api/v1/clinic", Some(&clinic.owner_token)).await;
        reply.problem(503, "unavailable");
        app.get("/healthz", None).await.expect_status(200);
    })
    .await;
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_with_problems() {
    on_every_backend(async |app: &TestApp| {
        app.get("/api/v1/nothing-here", None)
            .await
            .problem(404, "no-such-route");
        app.delete("/api/v1/clinic", None)
            .await
            .problem(405, "method-not-allowed");
    })
    .await;
}

#[tokio::test]
async fn triage_answers_the_engines_decision_and_stores_nothing() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Triage Clinic").await;
        let token = Some(clinic.therapist_token.as_str());
        let guideline = Guideline::shipped();
        for case in [
            "chest_pain_is_an_emergency",
            "frequent_cramp_tells_the_therapist",
            "mild_calf_cramp_needs_self_care",
        ] {
            let course = golden_course(case);
            let reply = app
                .post_raw("/api/v1/triage", token, "application/json", course.clone())
                .await
                .expect_status(200);
            assert_eq!(reply.header("content-type"), Some("application/json"));
            let expected = aftercare_core::triage(
                &guideline,
                &Course::from_json(&course).expect("a golden course"),
            )
            .to_json();
            assert_eq!(reply.text, expected, "{case}: the engine's bytes");
        }
        let audit = app
            .get("/api/v1/audit", Some(&clinic.owner_token))
            .await
            .expect_status(200)
            .json();
        let actions: Vec<&str> = audit["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|event| event["action"].as_str())
            .collect();
        assert!(
            !actions.iter().any(|action| action.starts_with("checkin")),
            "triage stores nothing: {actions:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn triage_refuses_bad_input_with_the_field_path_and_never_a_500() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Strict Clinic").await;
        let token = Some(clinic.therapist_token.as_str());
        let path = "/api/v1/triage";

        app.post_raw(path, token, "application/json", "{\"treatment\": ")
            .await
            .field_problem(400, "");
        app.post_raw(path, token, "application/json", "{} trailing")
            .await
            .problem(400, "malformed-json");

        let mut course: Value =
            serde_json::from_str(&golden_course("mild_calf_cramp_needs_self_care")).expect("JSON");
        course["checkins"][0]["symptoms"][0]["severity"] = json!("awful");
        let problem = app
            .post(path, token, &course)
            .await
            .field_problem(422, "checkins[0].symptoms[0].severity");
        assert!(
            problem["errors"][0]["expected"]
                .as_str()
                .is_some_and(|expected| expected.contains("moderate")),
            "{problem}"
        );
        course["checkins"][0]["symptoms"][0]["severity"] = json!(3);
        app.post(path, token, &course)
            .await
            .field_problem(422, "checkins[0].symptoms[0].severity");
        course["checkins"][0]["symptoms"][0]["severity"] = json!("mild");
        course["treatment"]["duration_min"] = json!(9000);
        app.post(path, token, &course)
            .await
            .field_problem(422, "treatment.duration_min");
        course["treatment"]["duration_min"] = json!(60);
        course["checkins"][0]["at"] = json!("2000-01-01T00:00:00Z");
        app.post(path, token, &course)
            .await
            .field_problem(422, "checkins[0].at");
        app.post(path, token, &json!({ "checkins": [] }))
            .await
            .field_problem(422, "treatment");

        app.post_raw(path, token, "text/plain", golden_course("fever_sees_a_doctor"))
            .await
            .problem(415, "unsupported-media-type");
        app.post_raw(path, token, "application/json", vec![b'['; 70 * 1024])
            .await
            .problem(413, "payload-too-large");

        app.post_raw(path, None, "application/json", golden_course("fever_sees_a_doctor"))
            .await
            .problem(401, "unauthenticated");
        let reply = app
            .post_raw(path, Some("act_not-a-token"), "application/json", "{}")
            .await;
        reply.problem(401, "unauthenticated");
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"));

        // Whatever arrives, the answer is a 4xx problem.
        let deep = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
        let garbage: Vec<Vec<u8>> = vec![
            b"null".to_vec(),
            b"[]".to_vec(),
            b"\"course\"".to_vec(),
            b"".to_vec(),
            vec![0xff, 0xfe, 0x00],
            deep.into_bytes(),
            br#"{"treatment":{"at":"2026-01-01T00:00:00Z","modality":"swedish"},"checkins":[{"at":"2026-01-02T00:00:00Z","symptoms":[{"kind":"cramp"}],"context":{"sleep_hours":1e400}}]}"#.to_vec(),
        ];
        for body in garbage {
            let reply = app.post_raw(path, token, "application/json", body).await;
            assert!(
                (400..500).contains(&reply.status),
                "expected a 4xx, got {}: {}",
                reply.status,
                reply.text
            );
            assert_eq!(reply.header("content-type"), Some("application/problem+json"));
        }
    })
    .await;
}

#[tokio::test]
async fn the_clinic_is_the_callers() {
    on_every_backend(async |app: &TestApp| {
        let a = app.clinic("Clinic A").await;
        let b = app.clinic("Clinic B").await;
        let clinic = app
            .get("/api/v1/clinic", Some(&a.therapist_token))
            .await
            .expect_status(200)
            .json();
        assert_eq!(clinic["id"], a.id.as_str());
        assert_eq!(clinic["name"], a.name.as_str());
        let clinic = app
            .get("/api/v1/clinic", Some(&b.owner_token))
            .await
            .expect_status(200)
            .json();
        assert_eq!(clinic["id"], b.id.as_str());
        app.get("/api/v1/clinic", None)
            .await
            .problem(401, "unauthenticated");
    })
    .await;
}

#[tokio::test]
async fn practitioners_are_listed_found_and_added_by_the_owner_only() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Staff Clinic").await;
        let owner = Some(clinic.owner_token.as_str());
        let therapist = Some(clinic.therapist_token.as_str());

        let list = app
            .get("/api/v1/practitioners", therapist)
            .await
            .expect_status(200)
            .json();
        assert_eq!(list["items"].as_array().map(Vec::len), Some(2));
        assert_eq!(list["next"], Value::Null);

        let new = json!({ "email": "New.Person@Staff-Clinic.test", "name": "New Person", "role": "therapist" });
        let reply = app.post("/api/v1/practitioners", owner, &new).await.expect_status(201);
        let created = reply.json();
        assert_eq!(created["email"], "new.person@staff-clinic.test");
        assert_eq!(created["role"], "therapist");
        let id = created["id"].as_str().expect("id");
        assert_eq!(
            reply.header("location"),
            Some(format!("/api/v1/practitioners/{id}").as_str())
        );
        let found = app
            .get(&format!("/api/v1/practitioners/{id}"), therapist)
            .await
            .expect_status(200)
            .json();
        assert_eq!(found, created);

        app.post("/api/v1/practitioners", therapist, &new)
            .await
            .problem(403, "forbidden");
        // The role is checked before the body is read.
        app.post_raw("/api/v1/practitioners", therapist, "application/json", "{")
            .await
            .problem(403, "forbidden");
        app.post("/api/v1/practitioners", owner, &new)
            .await
            .problem(409, "conflict");
        app.post(
            "/api/v1/practitioners",
            owner,
            &json!({ "email": "not an email", "name": "X", "role": "therapist" }),
        )
        .await
        .field_problem(422, "email");
        app.post(
            "/api/v1/practitioners",
            owner,
            &json!({ "email": "x@y.test", "name": "X", "role": "boss" }),
        )
        .await
        .field_problem(422, "role");
        app.post(
            "/api/v1/practitioners",
            owner,
            &json!({ "email": "x@y.test", "name": "   ", "role": "owner" }),
        )
        .await
        .field_problem(422, "name");
        app.post(
            "/api/v1/practitioners",
            owner,
            &json!({ "email": "x@y.test", "role": "owner" }),
        )
        .await
        .field_problem(422, "name");
        app.post(
            "/api/v1/practitioners",
            owner,
            &json!({ "email": "x@y.test", "name": "X", "role": "owner", "admin": true }),
        )
        .await
        .field_problem(422, "admin");

        app.get(&format!("/api/v1/practitioners/{}", uuid::Uuid::now_v7()), owner)
            .await
            .problem(404, "not-found");
        app.get("/api/v1/practitioners/not-a-uuid", owner)
            .await
            .problem(404, "not-found");
        app.get("/api/v1/practitioners", None)
            .await
            .problem(401, "unauthenticated");
    })
    .await;
}

#[tokio::test]
async fn tokens_are_shown_once_listed_without_secrets_and_revoked() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Token Clinic").await;
        let owner = Some(clinic.owner_token.as_str());
        let therapist = Some(clinic.therapist_token.as_str());

        let created = app
            .post("/api/v1/tokens", therapist, &json!({ "label": "laptop" }))
            .await
            .expect_status(201)
            .json();
        let secret = created["token"].as_str().expect("the secret").to_owned();
        assert!(secret.starts_with("act_"), "{secret}");
        let token_id = created["id"].as_str().expect("id").to_owned();
        app.get("/api/v1/clinic", Some(&secret))
            .await
            .expect_status(200);

        let list = app
            .get("/api/v1/tokens", therapist)
            .await
            .expect_status(200);
        assert!(!list.text.contains(&secret), "no secrets in the list");
        assert!(
            !list.text.contains("\"token\""),
            "no secret field: {}",
            list.text
        );
        let items = list.json()["items"].as_array().cloned().expect("items");
        assert_eq!(items.len(), 2, "the fixture's and the new one");
        assert!(
            items
                .iter()
                .all(|token| token["practitioner_id"] == clinic.therapist_id.as_str())
        );

        app.post("/api/v1/tokens", therapist, &json!({ "label": "" }))
            .await
            .field_problem(422, "label");
        // serde would read a struct from an array; the API does not.
        app.post("/api/v1/tokens", therapist, &json!(["laptop"]))
            .await
            .field_problem(422, "");
        app.post("/api/v1/tokens", therapist, &json!({ "label": 7 }))
            .await
            .field_problem(422, "label");

        // Someone else's token: not found for a therapist, revocable by the owner.
        let owners_token = app
            .post("/api/v1/tokens", owner, &json!({ "label": "owner's" }))
            .await
            .expect_status(201)
            .json();
        let owners_token_id = owners_token["id"].as_str().expect("id");
        app.delete(&format!("/api/v1/tokens/{owners_token_id}"), therapist)
            .await
            .problem(404, "not-found");
        app.delete(&format!("/api/v1/tokens/{token_id}"), owner)
            .await
            .expect_status(204);
        app.get("/api/v1/clinic", Some(&secret))
            .await
            .problem(401, "unauthenticated");
        app.delete(&format!("/api/v1/tokens/{token_id}"), owner)
            .await
            .problem(404, "not-found");
        app.delete(&format!("/api/v1/tokens/{owners_token_id}"), owner)
            .await
            .expect_status(204);
        app.delete("/api/v1/tokens/nope", owner)
            .await
            .problem(404, "not-found");
        let revoked = app
            .get("/api/v1/tokens", owner)
            .await
            .expect_status(200)
            .json();
        assert!(
            revoked["items"]
                .as_array()
                .expect("items")
                .iter()
                .any(|token| token["id"] == owners_token_id && token["revoked_at"].is_string())
        );
        app.delete(&format!("/api/v1/tokens/{token_id}"), None)
            .await
            .problem(401, "unauthenticated");
    })
    .await;
}

#[tokio::test]
async fn clients_are_added_listed_and_found() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Client Clinic").await;
        let token = Some(clinic.therapist_token.as_str());

        let reply = app
            .post(
                "/api/v1/clients",
                token,
                &json!({ "name": "Robin Client", "email": "robin@example.org", "phone": "+44 20 7946 0000", "follow_up_consent": true }),
            )
            .await
            .expect_status(201);
        let created = reply.json();
        assert_eq!(created["name"], "Robin Client");
        assert_eq!(created["follow_up_consent"], true);
        assert!(created["consent_at"].is_string());
        let id = created["id"].as_str().expect("id");
        let found = app
            .get(&format!("/api/v1/clients/{id}"), token)
            .await
            .expect_status(200)
            .json();
        assert_eq!(found, created);

        let minimal = app
            .post(
                "/api/v1/clients",
                token,
                &json!({ "name": "Sam", "follow_up_consent": false }),
            )
            .await
            .expect_status(201)
            .json();
        assert_eq!(minimal["email"], Value::Null);
        assert_eq!(minimal["consent_at"], Value::Null);

        let list = app.get("/api/v1/clients", token).await.expect_status(200).json();
        assert_eq!(list["items"].as_array().map(Vec::len), Some(2));

        app.post("/api/v1/clients", token, &json!({ "name": "Sam" }))
            .await
            .field_problem(422, "follow_up_consent");
        app.post(
            "/api/v1/clients",
            token,
            &json!({ "name": "Sam", "follow_up_consent": "yes" }),
        )
        .await
        .field_problem(422, "follow_up_consent");
        app.post(
            "/api/v1/clients",
            token,
            &json!({ "name": "Sam", "email": "sam", "follow_up_consent": true }),
        )
        .await
        .field_problem(422, "email");
        app.post(
            "/api/v1/clients",
            token,
            &json!({ "name": "Sam", "phone": "call me", "follow_up_consent": true }),
        )
        .await
        .field_problem(422, "phone");
        app.post_raw("/api/v1/clients", token, "application/json", "{\"name\": \"Sam\",")
            .await
            .problem(400, "malformed-json");
        app.post_raw("/api/v1/clients", token, "application/x-www-form-urlencoded", "name=Sam")
            .await
            .problem(415, "unsupported-media-type");
        app.get(&format!("/api/v1/clients/{}", uuid::Uuid::now_v7()), token)
            .await
            .problem(404, "not-found");
        app.get("/api/v1/clients/12", token)
            .await
            .problem(404, "not-found");
        app.post("/api/v1/clients", None, &json!({ "name": "Sam", "follow_up_consent": true }))
            .await
            .problem(401, "unauthenticated");
    })
    .await;
}

#[tokio::test]
async fn lists_page_with_limit_and_cursor() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Paging Clinic").await;
        let token = Some(clinic.owner_token.as_str());
        for name in ["One", "Two", "Three"] {
            app.post(
                "/api/v1/clients",
                token,
                &json!({ "name": name, "follow_up_consent": true }),
            )
            .await
            .expect_status(201);
        }
        let first = app
            .get("/api/v1/clients?limit=2", token)
            .await
            .expect_status(200)
            .json();
        assert_eq!(first["items"].as_array().map(Vec::len), Some(2));
        let cursor = first["next"].as_str().expect("a next cursor");
        let second = app
            .get(&format!("/api/v1/clients?limit=2&after={cursor}"), token)
            .await
            .expect_status(200)
            .json();
        assert_eq!(second["items"].as_array().map(Vec::len), Some(1));
        assert_eq!(second["items"][0]["name"], "Three");
        assert_eq!(second["next"], Value::Null);

        for bad in ["0", "201", "-1", "ten", ""] {
            app.get(&format!("/api/v1/clients?limit={bad}"), token)
                .await
                .field_problem(422, "limit");
        }
        app.get("/api/v1/clients?limit=1&limit=2", token)
            .await
            .field_problem(422, "limit");
        app.get("/api/v1/clients?limt=2", token)
            .await
            .field_problem(422, "limt");
        app.get("/api/v1/audit?limit=500", token)
            .await
            .field_problem(422, "limit");
        app.get("/api/v1/alerts?limit=0", token)
            .await
            .field_problem(422, "limit");
        app.get("/api/v1/alerts?after=x", token)
            .await
            .field_problem(422, "after");
        app.get("/api/v1/practitioners?limit=x", token)
            .await
            .field_problem(422, "limit");
        app.get("/api/v1/tokens?limit=x", token)
            .await
            .field_problem(422, "limit");
        app.get("/api/v1/treatments?limit=x", token)
            .await
            .field_problem(422, "limit");
    })
    .await;
}

#[tokio::test]
async fn a_treatment_makes_a_link_that_opens_the_course_without_private_notes() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Treatment Clinic").await;
        let token = Some(clinic.owner_token.as_str());
        let treatment = app.treatment(&clinic, 2).await;
        let created = &treatment.created;

        assert_eq!(created["client_id"], treatment.client_id.as_str());
        assert_eq!(
            created["practitioner_id"],
            clinic.therapist_id.as_str(),
            "the caller by default"
        );
        assert_eq!(created["treatment"]["modality"], "deep_tissue");
        let link = &created["link"];
        assert!(treatment.link_token.starts_with("acl_"));
        assert_eq!(
            link["url"].as_str(),
            Some(format!("{}/c/{}", app.address, treatment.link_token).as_str())
        );
        assert_eq!(
            link["expires_at"],
            rfc3339(treatment.at + 30 * 24 * HOUR).as_str()
        );
        assert_eq!(created["link_expires_at"], link["expires_at"]);

        let found = app
            .get(&format!("/api/v1/treatments/{}", treatment.id), token)
            .await
            .expect_status(200);
        assert!(
            !found.text.contains(&treatment.link_token),
            "the link is shown once"
        );
        assert_eq!(found.json()["notes"], "private note: left calf tight");

        let listed = app
            .get(
                &format!("/api/v1/treatments?client_id={}", treatment.client_id),
                token,
            )
            .await
            .expect_status(200)
            .json();
        assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
        assert_eq!(listed["items"][0]["id"], treatment.id.as_str());
        let all = app
            .get("/api/v1/treatments", token)
            .await
            .expect_status(200)
            .json();
        assert_eq!(all["items"].as_array().map(Vec::len), Some(1));
        app.get(
            &format!("/api/v1/treatments?client_id={}", uuid::Uuid::now_v7()),
            token,
        )
        .await
        .problem(404, "not-found");
        app.get("/api/v1/treatments?client_id=x", token)
            .await
            .problem(404, "not-found");

        let course = app
            .get(&treatment.link_path("course"), None)
            .await
            .expect_status(200);
        assert!(
            !course.text.contains("private note"),
            "no notes for the client: {}",
            course.text
        );
        let course = course.json();
        assert_eq!(course["treatment"]["modality"], "deep_tissue");
        assert_eq!(course["checkins"], json!([]));
        assert_eq!(course["link_expires_at"], link["expires_at"]);

        let clinic_course = app
            .get(
                &format!("/api/v1/treatments/{}/course", treatment.id),
                token,
            )
            .await
            .expect_status(200)
            .json();
        assert_eq!(clinic_course["treatment"]["id"], treatment.id.as_str());
        assert_eq!(
            clinic_course["treatment"]["notes"],
            "private note: left calf tight"
        );

        app.get(
            &format!("/api/v1/treatments/{}", uuid::Uuid::now_v7()),
            token,
        )
        .await
        .problem(404, "not-found");
        app.get("/api/v1/treatments/zzz/course", token)
            .await
            .problem(404, "not-found");
        app.get("/api/v1/links/acl_unknown/course", None)
            .await
            .problem(404, "not-found");
        app.get("/api/v1/links/not-a-link/course", None)
            .await
            .problem(404, "not-found");
    })
    .await;
}

#[tokio::test]
async fn treatment_input_errors_name_the_field() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Careful Clinic").await;
        let token = Some(clinic.owner_token.as_str());
        let client = app
            .post(
                "/api/v1/clients",
                token,
                &json!({ "name": "Alex", "follow_up_consent": true }),
            )
            .await
            .expect_status(201)
            .json();
        let at = rfc3339(app.now() - HOUR);
        let valid =
            json!({ "client_id": client["id"], "treatment": { "at": at, "modality": "swedish" } });

        let mut body = valid.clone();
        body["treatment"]["modality"] = json!("shiatsu");
        app.post("/api/v1/treatments", token, &body)
            .await
            .field_problem(422, "treatment.modality");
        let mut body = valid.clone();
        body["treatment"]["regions"] = json!(["calves", "tail"]);
        app.post("/api/v1/treatments", token, &body)
            .await
            .field_problem(422, "treatment.regions[1]");
        let mut body = valid.clone();
        body["treatment"]["at"] = json!("yesterday");
        app.post("/api/v1/treatments", token, &body)
            .await
            .field_problem(422, "treatment.at");
        let mut body = valid.clone();
        body["treatment"]["at"] = json!(rfc3339(app.now() - 31 * 24 * HOUR));
        app.post("/api/v1/treatments", token, &body)
            .await
            .field_problem(422, "treatment.at");
        app.post(
            "/api/v1/treatments",
            token,
            &json!({ "client_id": client["id"] }),
        )
        .await
        .field_problem(422, "treatment");
        let mut body = valid.clone();
        body["client_id"] = json!(uuid::Uuid::now_v7().to_string());
        let problem = app
            .post("/api/v1/treatments", token, &body)
            .await
            .problem(404, "not-found");
        assert_eq!(problem["path"], "client_id");
        let mut body = valid.clone();
        body["practitioner_id"] = json!("someone");
        let problem = app
            .post("/api/v1/treatments", token, &body)
            .await
            .problem(404, "not-found");
        assert_eq!(problem["path"], "practitioner_id");
        let mut body = valid.clone();
        body["practitioner_id"] = json!(clinic.owner_id);
        let created = app
            .post("/api/v1/treatments", token, &body)
            .await
            .expect_status(201)
            .json();
        assert_eq!(created["practitioner_id"], clinic.owner_id.as_str());
        assert_eq!(created["notes"], Value::Null);
        app.post("/api/v1/treatments", None, &valid)
            .await
            .problem(401, "unauthenticated");
    })
    .await;
}

/// The clinic's course view, with each decision's exact bytes.
#[derive(serde::Deserialize)]
struct StoredCourse {
    treatment: StoredTreatment,
    checkins: Vec<StoredCheckin>,
    decisions: Vec<StoredDecision>,
}
#[derive(serde::Deserialize)]
struct StoredTreatment {
    treatment: Treatment,
}
#[derive(serde::Deserialize)]
struct StoredCheckin {
    checkin: Checkin,
}
#[derive(serde::Deserialize)]
struct StoredDecision {
    decision: Box<serde_json::value::RawValue>,
}

#[tokio::test]
async fn a_checkin_is_triaged_and_the_stored_decision_is_the_cores() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Decision Clinic").await;
        let treatment = app.treatment(&clinic, 40).await;
        let path = treatment.link_path("checkins");

        let first = app
            .post(&path, None, &checkin(treatment.at, 20, &mild_soreness()))
            .await
            .expect_status(201)
            .json();
        assert_eq!(first["checkin"]["seq"], 0);
        assert_eq!(
            first["checkin"]["checkin"]["symptoms"][0]["kind"],
            "soreness"
        );
        assert_eq!(first["decision"]["checkin_id"], first["checkin"]["id"]);
        assert!(first["decision"]["decision"]["level"].is_string());
        let second = app
            .post(&path, None, &checkin(treatment.at, 36, &fever()))
            .await
            .expect_status(201)
            .json();
        assert_eq!(second["checkin"]["seq"], 1);
        assert_eq!(second["decision"]["decision"]["level"], "see_doctor");

        // The stored decisions are exactly what the core says, byte for byte.
        let reply = app
            .get(
                &format!("/api/v1/treatments/{}/course", treatment.id),
                Some(&clinic.owner_token),
            )
            .await
            .expect_status(200);
        let stored: StoredCourse = serde_json::from_str(&reply.text).expect("a course");
        assert_eq!(stored.checkins.len(), 2);
        assert_eq!(stored.decisions.len(), 2);
        let guideline = Guideline::shipped();
        for (index, decision) in stored.decisions.iter().enumerate() {
            let course = Course {
                treatment: stored.treatment.treatment.clone(),
                checkins: stored.checkins[..=index]
                    .iter()
                    .map(|stored| stored.checkin.clone())
                    .collect(),
            };
            assert_eq!(
                decision.decision.get(),
                aftercare_core::triage(&guideline, &course).to_json(),
                "decision {index} re-derived"
            );
        }

        // The client sees the same through the link.
        let course = app
            .get(&treatment.link_path("course"), None)
            .await
            .expect_status(200)
            .json();
        assert_eq!(course["checkins"].as_array().map(Vec::len), Some(2));
        assert_eq!(course["decisions"][1]["decision"]["level"], "see_doctor");
    })
    .await;
}

#[tokio::test]
async fn checkin_errors_name_the_field_inside_the_checkin() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Checkin Clinic").await;
        let treatment = app.treatment(&clinic, 30).await;
        let path = treatment.link_path("checkins");

        let mut body = checkin(treatment.at, 10, &mild_soreness());
        body["symptoms"][0]["severity"] = json!("terrible");
        app.post(&path, None, &body)
            .await
            .field_problem(422, "symptoms[0].severity");
        let mut body = checkin(treatment.at, 10, &mild_soreness());
        body["symptoms"][0]["kind"] = json!(["soreness"]);
        app.post(&path, None, &body)
            .await
            .field_problem(422, "symptoms[0].kind");
        let mut body = checkin(treatment.at, 10, &mild_soreness());
        body["context"] = json!({ "sleep_hours": 30 });
        app.post(&path, None, &body)
            .await
            .field_problem(422, "context.sleep_hours");
        let mut body = checkin(treatment.at, 10, &mild_soreness());
        body["mood"] = json!("fine");
        app.post(&path, None, &body)
            .await
            .field_problem(422, "mood");
        app.post(&path, None, &json!({ "at": rfc3339(treatment.at) }))
            .await
            .field_problem(422, "symptoms");
        app.post(&path, None, &checkin(treatment.at, -1, &mild_soreness()))
            .await
            .field_problem(422, "at");
        app.post_raw(&path, None, "application/json", "{\"at\": ")
            .await
            .problem(400, "malformed-json");
        app.post_raw(&path, None, "text/plain", "hello")
            .await
            .problem(415, "unsupported-media-type");

        // After a check-in, an earlier one is out of order.
        app.post(&path, None, &checkin(treatment.at, 10, &mild_soreness()))
            .await
            .expect_status(201);
        app.post(&path, None, &checkin(treatment.at, 5, &mild_soreness()))
            .await
            .field_problem(422, "at");

        let valid = checkin(treatment.at, 12, &mild_soreness());
        app.post("/api/v1/links/acl_unknown/checkins", None, &valid)
            .await
            .problem(404, "not-found");
        // Control characters in the path are refused, naming the parameter.
        app.post("/api/v1/links/%00%01/checkins", None, &valid)
            .await
            .field_problem(422, "token");
        // A clinic's API token is no link, and a link is no API token.
        app.post(
            &format!("/api/v1/links/{}/checkins", clinic.owner_token),
            None,
            &valid,
        )
        .await
        .problem(404, "not-found");
        app.get("/api/v1/clinic", Some(&treatment.link_token))
            .await
            .problem(401, "unauthenticated");

        let course = app
            .get(&treatment.link_path("course"), None)
            .await
            .expect_status(200)
            .json();
        assert_eq!(
            course["checkins"].as_array().map(Vec::len),
            Some(1),
            "nothing stored from rejected reports"
        );
    })
    .await;
}

#[tokio::test]
async fn an_idempotency_key_stores_a_checkin_once() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Retry Clinic").await;
        let treatment = app.treatment(&clinic, 30).await;
        let path = treatment.link_path("checkins");
        let body = checkin(treatment.at, 20, &mild_soreness());
        let send = async |body: &Value, key: &str| {
            helpers::Reply::of(
                app.request(Method::POST, &path, None)
                    .header("idempotency-key", key)
                    .json(body),
            )
            .await
        };

        let first = send(&body, "key-1").await.expect_status(201).json();
        let again = send(&body, "key-1").await.expect_status(200).json();
        assert_eq!(again, first, "a retry answers the first result");

        let course = app
            .get(
                &format!("/api/v1/treatments/{}/course", treatment.id),
                Some(&clinic.owner_token),
            )
            .await
            .expect_status(200)
            .json();
        assert_eq!(
            course["checkins"].as_array().map(Vec::len),
            Some(1),
            "stored once"
        );
        assert_eq!(course["decisions"].as_array().map(Vec::len), Some(1));

        let other = checkin(treatment.at, 21, &fever());
        send(&other, "key-1").await.problem(409, "conflict");
        send(&other, "key-2").await.expect_status(201);
        send(&other, &"k".repeat(200))
            .await
            .field_problem(422, "Idempotency-Key");
        let course = app
            .get(&treatment.link_path("course"), None)
            .await
            .expect_status(200)
            .json();
        assert_eq!(course["checkins"].as_array().map(Vec::len), Some(2));
    })
    .await;
}

#[tokio::test]
async fn an_expired_link_is_gone() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Expiry Clinic").await;
        let treatment = app.treatment(&clinic, 1).await;
        app.get(&treatment.link_path("course"), None)
            .await
            .expect_status(200);

        app.advance_clock(Duration::from_secs(31 * 24 * 3600));
        app.get(&treatment.link_path("course"), None)
            .await
            .problem(410, "link-expired");
        app.post(
            &treatment.link_path("checkins"),
            None,
            &checkin(treatment.at, 24 * 31, &mild_soreness()),
        )
        .await
        .problem(410, "link-expired");
        // The clinic still sees the treatment.
        app.get(
            &format!("/api/v1/treatments/{}", treatment.id),
            Some(&clinic.owner_token),
        )
        .await
        .expect_status(200);
    })
    .await;
}

#[tokio::test]
async fn an_emergency_raises_an_alert_that_comes_first_and_can_be_acknowledged() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Alert Clinic").await;
        let token = Some(clinic.therapist_token.as_str());
        let fevered = app.treatment(&clinic, 40).await;
        let emergency = app.treatment(&clinic, 40).await;

        let doctor = app
            .post(
                &fevered.link_path("checkins"),
                None,
                &checkin(fevered.at, 36, &fever()),
            )
            .await
            .expect_status(201)
            .json();
        assert_eq!(doctor["decision"]["decision"]["level"], "see_doctor");
        let urgent = app
            .post(
                &emergency.link_path("checkins"),
                None,
                &checkin(emergency.at, 37, &chest_pain()),
            )
            .await
            .expect_status(201)
            .json();
        assert_eq!(urgent["decision"]["decision"]["level"], "emergency");

        let open = app
            .get("/api/v1/alerts", token)
            .await
            .expect_status(200)
            .json();
        let items = open["items"].as_array().expect("items");
        assert_eq!(items.len(), 2);
        assert_eq!(items[0]["level"], "emergency", "most serious first");
        assert_eq!(items[0]["high_priority"], true);
        assert_eq!(items[0]["treatment_id"], emergency.id.as_str());
        assert_eq!(items[0]["decision_id"], urgent["decision"]["id"]);
        assert_eq!(items[1]["level"], "see_doctor");
        assert_eq!(items[1]["high_priority"], false);

        let alert_id = items[0]["id"].as_str().expect("alert id");
        let acknowledged = app
            .post(
                &format!("/api/v1/alerts/{alert_id}/acknowledge"),
                token,
                &json!(null),
            )
            .await
            .expect_status(200)
            .json();
        assert!(acknowledged["acknowledged_at"].is_string());
        assert_eq!(
            acknowledged["acknowledged_by"],
            clinic.therapist_id.as_str()
        );
        let again = app
            .post(
                &format!("/api/v1/alerts/{alert_id}/acknowledge"),
                Some(&clinic.owner_token),
                &json!(null),
            )
            .await
            .expect_status(200)
            .json();
        assert_eq!(
            again["acknowledged_by"],
            clinic.therapist_id.as_str(),
            "the first acknowledgement stays"
        );

        let open = app
            .get("/api/v1/alerts?state=open", token)
            .await
            .expect_status(200)
            .json();
        assert_eq!(open["items"].as_array().map(Vec::len), Some(1));
        assert_eq!(open["items"][0]["level"], "see_doctor");
        let all = app
            .get("/api/v1/alerts?state=all", token)
            .await
            .expect_status(200)
            .json();
        assert_eq!(all["items"].as_array().map(Vec::len), Some(2));
        let page = app
            .get("/api/v1/alerts?state=all&limit=1", token)
            .await
            .expect_status(200)
            .json();
        let next = page["next"].as_str().expect("a cursor");
        let rest = app
            .get(
                &format!("/api/v1/alerts?state=all&limit=1&after={next}"),
                token,
            )
            .await
            .expect_status(200)
            .json();
        assert_eq!(rest["items"].as_array().map(Vec::len), Some(1));
        assert_ne!(rest["items"][0]["id"], page["items"][0]["id"]);

        app.get("/api/v1/alerts?state=closed", token)
            .await
            .field_problem(422, "state");
        app.post(
            &format!("/api/v1/alerts/{}/acknowledge", uuid::Uuid::now_v7()),
            token,
            &json!(null),
        )
        .await
        .problem(404, "not-found");
        app.post("/api/v1/alerts/first/acknowledge", token, &json!(null))
            .await
            .problem(404, "not-found");
        app.get("/api/v1/alerts", None)
            .await
            .problem(401, "unauthenticated");
    })
    .await;
}

#[tokio::test]
async fn the_audit_trail_records_reads_and_is_for_the_owner() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Audit Clinic").await;
        let treatment = app.treatment(&clinic, 3).await;
        app.get(
            &format!("/api/v1/treatments/{}/course", treatment.id),
            Some(&clinic.therapist_token),
        )
        .await
        .expect_status(200);
        app.get(&treatment.link_path("course"), None)
            .await
            .expect_status(200);

        let audit = app
            .get("/api/v1/audit?limit=200", Some(&clinic.owner_token))
            .await
            .expect_status(200)
            .json();
        let events = audit["items"].as_array().expect("items");
        let subject = format!("treatment:{}", treatment.id);
        let reads: Vec<&str> = events
            .iter()
            .filter(|event| {
                event["action"] == "course.read" && event["subject"] == subject.as_str()
            })
            .filter_map(|event| event["actor"].as_str())
            .collect();
        assert!(
            reads.contains(&format!("practitioner:{}", clinic.therapist_id).as_str()),
            "{reads:?}"
        );
        assert!(
            reads.contains(&format!("client_link:{}", treatment.id).as_str()),
            "{reads:?}"
        );
        assert!(
            events
                .iter()
                .any(|event| event["action"] == "treatment.create")
        );

        app.get("/api/v1/audit", Some(&clinic.therapist_token))
            .await
            .problem(403, "forbidden");
        app.get("/api/v1/audit", None)
            .await
            .problem(401, "unauthenticated");
    })
    .await;
}

#[tokio::test]
async fn another_clinic_finds_nothing_of_clinic_a() {
    on_every_backend(async |app: &TestApp| {
        let a = app.clinic("Clinic Alpha").await;
        let b = app.clinic("Clinic Beta").await;
        let treatment = app.treatment(&a, 40).await;
        app.post(&treatment.link_path("checkins"), None, &checkin(treatment.at, 37, &chest_pain()))
            .await
            .expect_status(201);
        let alerts = app.get("/api/v1/alerts", Some(&a.owner_token)).await.expect_status(200).json();
        let alert_id = alerts["items"][0]["id"].as_str().expect("an alert").to_owned();
        let token_id = app
            .post("/api/v1/tokens", Some(&a.therapist_token), &json!({ "label": "alpha" }))
            .await
            .expect_status(201)
            .json()["id"]
            .as_str()
            .expect("token id")
            .to_owned();

        // A's identifiers and data that must never show up in B's answers.
        let secrets_of_a = [
            a.id.as_str(),
            a.owner_id.as_str(),
            a.therapist_id.as_str(),
            treatment.id.as_str(),
            treatment.client_id.as_str(),
            alert_id.as_str(),
            token_id.as_str(),
            "Casey Client",
            "casey@example.org",
            "Clinic Alpha",
            "private note",
        ];
        let check = |reply: helpers::Reply, what: &str| {
            reply.problem(404, "not-found");
            for secret in secrets_of_a {
                assert!(!reply.text.contains(secret), "{what}: leaks {secret}: {}", reply.text);
            }
        };
        for token in [&b.owner_token, &b.therapist_token] {
            let token = Some(token.as_str());
            check(app.get(&format!("/api/v1/practitioners/{}", a.therapist_id), token).await, "practitioner");
            check(app.get(&format!("/api/v1/clients/{}", treatment.client_id), token).await, "client");
            check(app.get(&format!("/api/v1/treatments/{}", treatment.id), token).await, "treatment");
            check(app.get(&format!("/api/v1/treatments/{}/course", treatment.id), token).await, "course");
            check(
                app.get(&format!("/api/v1/treatments?client_id={}", treatment.client_id), token).await,
                "treatments of a client",
            );
            check(
                app.post(
                    "/api/v1/treatments",
                    token,
                    &json!({ "client_id": treatment.client_id, "treatment": { "at": rfc3339(app.now()), "modality": "swedish" } }),
                )
                .await,
                "treatment for another clinic's client",
            );
            check(
                app.post(&format!("/api/v1/alerts/{alert_id}/acknowledge"), token, &json!(null)).await,
                "acknowledge",
            );
            check(app.delete(&format!("/api/v1/tokens/{token_id}"), token).await, "revoke");
        }
        // A's practitioner named as the treating one in B.
        let b_client = app
            .post("/api/v1/clients", Some(&b.owner_token), &json!({ "name": "Bea", "follow_up_consent": true }))
            .await
            .expect_status(201)
            .json();
        check(
            app.post(
                "/api/v1/treatments",
                Some(&b.owner_token),
                &json!({ "client_id": b_client["id"], "practitioner_id": a.therapist_id,
                         "treatment": { "at": rfc3339(app.now()), "modality": "swedish" } }),
            )
            .await,
            "another clinic's practitioner",
        );

        // B's lists hold none of A's records.
        for list in ["/api/v1/practitioners", "/api/v1/clients", "/api/v1/treatments", "/api/v1/alerts?state=all", "/api/v1/audit", "/api/v1/tokens"] {
            let reply = app.get(list, Some(&b.owner_token)).await.expect_status(200);
            for secret in secrets_of_a {
                assert!(!reply.text.contains(secret), "{list} leaks {secret}");
            }
        }

        // Nothing changed for A.
        let alert = app.get("/api/v1/alerts", Some(&a.owner_token)).await.expect_status(200).json();
        assert_eq!(alert["items"][0]["acknowledged_at"], Value::Null);
        app.get("/api/v1/clinic", Some(&a.therapist_token)).await.expect_status(200);
        let tokens = app.get("/api/v1/tokens", Some(&a.therapist_token)).await.expect_status(200).json();
        assert!(tokens["items"].as_array().expect("items").iter().all(|token| token["revoked_at"].is_null()));
    })
    .await;
}

#[tokio::test]
async fn metrics_count_by_route_pattern_and_never_show_link_tokens() {
    let settings = ServerSettings {
        metrics: true,
        ..ServerSettings::default()
    };
    on_every_backend_with(settings, async |app: &TestApp| {
        let clinic = app.clinic("Metric Clinic").await;
        let treatment = app.treatment(&clinic, 40).await;
        app.post(
            &treatment.link_path("checkins"),
            None,
            &checkin(treatment.at, 37, &chest_pain()),
        )
        .await
        .expect_status(201);
        app.post_raw(
            "/api/v1/triage",
            Some(&clinic.owner_token),
            "application/json",
            golden_course("fever_sees_a_doctor"),
        )
        .await
        .expect_status(200);
        app.get("/api/v1/links/acl_nothing/course", None)
            .await
            .problem(404, "not-found");

        let metrics = app.get("/metrics", None).await.expect_status(200);
        assert!(
            metrics
                .header("content-type")
                .is_some_and(|kind| kind.starts_with("text/plain"))
        );
        let text = metrics.text;
        assert!(
            text.contains(r#"route="/api/v1/links/{token}/checkins""#),
            "{text}"
        );
        assert!(text.contains(r#"status="201""#), "{text}");
        assert!(
            text.contains("aftercare_http_request_duration_seconds_bucket"),
            "{text}"
        );
        assert!(
            text.contains("aftercare_checkins_submitted_total 1"),
            "{text}"
        );
        assert!(
            text.contains(r#"aftercare_decisions_total{level="emergency",source="checkin"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"aftercare_decisions_total{level="see_doctor",source="triage"} 1"#),
            "{text}"
        );
        assert!(
            !text.contains(&treatment.link_token),
            "no link tokens in metrics"
        );
        assert!(!text.contains("acl_"), "no link tokens in metrics");
    })
    .await;
}

#[tokio::test]
async fn a_slow_request_is_stopped_with_a_503_and_stores_nothing() {
    let settings = ServerSettings {
        // Long enough that an ordinary request on a busy two-core CI machine
        // finishes well inside it, short enough to keep the test quick.
        request_timeout: Duration::from_secs(2),
        ..ServerSettings::default()
    };
    on_every_backend_with(settings, async |app: &TestApp| {
        let clinic = app.clinic("Slow Clinic").await;
        let token = Some(clinic.owner_token.as_str());
        let block = app.block_client_writes().await;
        let reply = app
            .post(
                "/api/v1/clients",
                token,
                &json!({ "name": "Patience", "follow_up_consent": true }),
            )
            .await;
        reply.problem(503, "timeout");
        assert!(reply.header("retry-after").is_some());
        block.release().await;

        let clients = app
            .get("/api/v1/clients", token)
            .await
            .expect_status(200)
            .json();
        assert_eq!(
            clients["items"],
            json!([]),
            "the stopped request stored nothing"
        );
        app.post(
            "/api/v1/clients",
            token,
            &json!({ "name": "Later", "follow_up_consent": true }),
        )
        .await
        .expect_status(201);
    })
    .await;
}

#[tokio::test]
async fn a_check_in_handed_to_the_store_is_answered_with_its_outcome_past_the_time_limit() {
    let settings = ServerSettings {
        request_timeout: Duration::from_millis(300),
        ..ServerSettings::default()
    };
    on_every_backend_with(settings, async |app: &TestApp| {
        let clinic = app.clinic("Patient Clinic").await;
        let treatment = app.treatment(&clinic, 30).await;
        let block = app.block_checkin_writes().await;
        let body = checkin(treatment.at, 20, &chest_pain());
        let path = treatment.link_path("checkins");
        let submitted = app.post(&path, None, &body);
        let release_later = async {
            // Well past the time limit: the write waits on the lock.
            tokio::time::sleep(Duration::from_millis(900)).await;
            block.release().await;
        };
        let (reply, ()) = tokio::join!(submitted, release_later);
        // Not a 503 for a check-in that is then stored anyway.
        let stored = reply.expect_status(201).json();
        let course = app
            .get(&treatment.link_path("course"), None)
            .await
            .expect_status(200)
            .json();
        assert_eq!(
            course["checkins"].as_array().map(Vec::len),
            Some(1),
            "{course}"
        );
        assert_eq!(stored["decision"]["decision"]["level"], "emergency");
    })
    .await;
}

#[tokio::test]
async fn shutting_down_finishes_requests_in_flight() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Closing Clinic").await;
        let block = app.block_client_writes().await;
        let body = json!({ "name": "Last Orders", "follow_up_consent": true });
        let in_flight = app.post("/api/v1/clients", Some(&clinic.owner_token), &body);
        let shut_down_meanwhile = async {
            tokio::time::sleep(Duration::from_millis(200)).await;
            app.begin_shutdown();
            tokio::time::sleep(Duration::from_millis(200)).await;
            block.release().await;
        };
        let (reply, ()) = tokio::join!(in_flight, shut_down_meanwhile);
        assert_eq!(reply.json()["name"], "Last Orders");
        reply.expect_status(201);

        // Then the service stops listening.
        let address = app.address.trim_start_matches("http://").to_owned();
        let mut stopped = false;
        for _ in 0..50 {
            if tokio::net::TcpStream::connect(&address).await.is_err() {
                stopped = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(stopped, "the service stopped listening after shutdown");
    })
    .await;
}

#[tokio::test]
async fn the_body_limit_comes_from_the_settings() {
    let settings = ServerSettings {
        max_body_bytes: 256,
        ..ServerSettings::default()
    };
    on_every_backend_with(settings, async |app: &TestApp| {
        let clinic = app.clinic("Small Clinic").await;
        let token = Some(clinic.owner_token.as_str());
        let long_name = "n".repeat(300);
        app.post("/api/v1/clients", token, &json!({ "name": long_name, "follow_up_consent": true }))
            .await
            .problem(413, "payload-too-large");
        // Chunked, without a length up front.
        let chunk = "n".repeat(400);
        let request = format!(
            "POST /api/v1/clients HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
             a\r\n{{\"name\": \"\r\n{:x}\r\n{chunk}\r\n2\r\n\"}}\r\n0\r\n\r\n",
            clinic.owner_token,
            chunk.len()
        );
        let answer = app.raw_http(&request).await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(answer.contains("application/problem+json"), "{answer}");
        app.post("/api/v1/clients", token, &json!({ "name": "Short", "follow_up_consent": true }))
            .await
            .expect_status(201);
    })
    .await;
}

#[tokio::test]
async fn the_openapi_document_lists_every_route_the_router_serves() {
    let settings = ServerSettings {
        metrics: true,
        ..ServerSettings::default()
    };
    on_every_backend_with(settings, async |app: &TestApp| {
        let document = app
            .get("/api/v1/openapi.json", None)
            .await
            .expect_status(200)
            .json();
        assert!(
            document["openapi"]
                .as_str()
                .is_some_and(|version| version.starts_with("3.1")),
            "OpenAPI 3.1"
        );
        let served: BTreeSet<(String, String)> = [
            ("post", "/api/v1/triage"),
            ("get", "/api/v1/clinic"),
            ("get", "/api/v1/practitioners"),
            ("post", "/api/v1/practitioners"),
            ("get", "/api/v1/practitioners/{id}"),
            ("post", "/api/v1/practitioners/{id}/deactivate"),
            ("post", "/api/v1/practitioners/{id}/reactivate"),
            ("post", "/api/v1/practitioners/{id}/reset-link"),
            ("post", "/api/v1/practitioners/{id}/ownership"),
            ("post", "/api/v1/practitioners/{id}/password"),
            ("get", "/api/v1/tokens"),
            ("post", "/api/v1/tokens"),
            ("delete", "/api/v1/tokens/{id}"),
            ("get", "/api/v1/clients"),
            ("post", "/api/v1/clients"),
            ("get", "/api/v1/clients/{id}"),
            ("patch", "/api/v1/clients/{id}"),
            ("delete", "/api/v1/clients/{id}"),
            ("get", "/api/v1/clients/{id}/export"),
            ("get", "/api/v1/treatments"),
            ("post", "/api/v1/treatments"),
            ("get", "/api/v1/treatments/{id}"),
            ("patch", "/api/v1/treatments/{id}"),
            ("get", "/api/v1/treatments/{id}/course"),
            ("post", "/api/v1/treatments/{id}/link"),
            ("post", "/api/v1/treatments/{id}/link/email"),
            ("post", "/api/v1/treatments/{id}/link/sms"),
            ("get", "/api/v1/links/{token}/course"),
            ("post", "/api/v1/links/{token}/checkins"),
            ("get", "/api/v1/alerts"),
            ("post", "/api/v1/alerts/{id}/acknowledge"),
            ("get", "/api/v1/audit"),
            ("get", "/api/v1/followup/settings"),
            ("put", "/api/v1/followup/settings"),
            ("get", "/api/v1/treatments/{id}/followup"),
            ("put", "/api/v1/treatments/{id}/followup"),
            ("post", "/api/v1/treatments/{id}/followup/close"),
            ("get", "/api/v1/deliveries"),
            ("get", "/api/v1/retention"),
            ("put", "/api/v1/retention"),
            ("get", "/api/v1/openapi.json"),
            ("get", "/healthz"),
            ("get", "/readyz"),
            ("get", "/metrics"),
        ]
        .into_iter()
        .map(|(method, path)| (method.to_owned(), path.to_owned()))
        .collect();

        let mut documented = BTreeSet::new();
        let mut secured_routes = BTreeSet::new();
        for (path, item) in document["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("a path item") {
                if method == "parameters" {
                    continue;
                }
                documented.insert((method.clone(), path.clone()));
                let responses = operation["responses"].as_object().expect("responses");
                assert!(
                    !responses.is_empty(),
                    "{method} {path} documents its answers"
                );
                let secured = operation.get("security").is_some();
                let public = path.starts_with("/api/v1/links/")
                    || !path.starts_with("/api/v1/")
                    || path == "/api/v1/openapi.json";
                assert_eq!(secured, !public, "{method} {path}: security as served");
                if secured {
                    secured_routes.insert((method.clone(), path.clone()));
                    assert!(
                        responses.contains_key("401"),
                        "{method} {path} documents 401"
                    );
                }
            }
        }
        assert_eq!(
            documented, served,
            "the document lists exactly the routes served"
        );

        // Each documented route is really served: no "no such route" or 405.
        for (method, path) in &documented {
            let concrete = path
                .replace("{id}", &uuid::Uuid::now_v7().to_string())
                .replace("{token}", "acl_probe");
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("a method");
            let reply = helpers::Reply::of(app.request(method.clone(), &concrete, None)).await;
            assert!(
                reply.status != 405 && !reply.text.contains("no-such-route"),
                "{method} {path} is served: {} {}",
                reply.status,
                reply.text
            );
            // Every route the document secures refuses a missing or bad
            // token, before reading anything else.
            if secured_routes.contains(&(method.as_str().to_lowercase(), path.clone())) {
                reply.problem(401, "unauthenticated");
                let reply = helpers::Reply::of(app.request(
                    method.clone(),
                    &concrete,
                    Some("act_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
                ))
                .await;
                reply.problem(401, "unauthenticated");
            }
        }

        // The document is kept as a golden file so API changes show in review.
        let golden = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/openapi.json");
        let pretty = serde_json::to_string_pretty(&document).expect("JSON") + "\n";
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(golden, &pretty).expect("write the golden OpenAPI document");
        } else {
            let expected = std::fs::read_to_string(golden).expect(
                "tests/golden/openapi.json; create it with UPDATE_GOLDEN=1 cargo test -p aftercare-server",
            );
            assert!(
                expected == pretty,
                "the OpenAPI document changed; review it and update with UPDATE_GOLDEN=1 cargo test -p aftercare-server"
            );
        }

        let schemas = document["components"]["schemas"]
            .as_object()
            .expect("schemas");
        for name in [
            "Problem",
            "FieldError",
            "Course",
            "Treatment",
            "Checkin",
            "Decision",
            "Level",
        ] {
            assert!(schemas.contains_key(name), "schema {name}");
        }
        assert_eq!(
            document["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
        // Every `$ref` resolves.
        let text = document.to_string();
        for reference in text.split("\"$ref\":\"").skip(1) {
            let target = reference.split('"').next().expect("a reference");
            let pointer = target.trim_start_matches('#');
            assert!(document.pointer(pointer).is_some(), "dangling {target}");
        }
    })
    .await;
}

#[tokio::test]
async fn check_ins_beyond_the_hourly_and_course_caps_are_refused_and_store_nothing() {
    let options = aftercare_store::StoreOptions {
        checkin_limits: aftercare_store::CheckinLimits {
            per_course: 5,
            per_link_per_hour: 3,
        },
        ..aftercare_store::StoreOptions::default()
    };
    on_every_backend_with_store(ServerSettings::default(), options, async |app: &TestApp| {
        let clinic = app.clinic("Capped Clinic").await;
        let treatment = app.treatment(&clinic, 48).await;
        let path = treatment.link_path("checkins");
        let first = checkin(treatment.at, 1, &mild_soreness());
        helpers::Reply::of(
            app.request(Method::POST, &path, None)
                .header("idempotency-key", "first")
                .json(&first),
        )
        .await
        .expect_status(201);
        for hour in 2..=3 {
            app.post(&path, None, &checkin(treatment.at, hour, &mild_soreness()))
                .await
                .expect_status(201);
        }

        let refused = app
            .post(&path, None, &checkin(treatment.at, 4, &mild_soreness()))
            .await;
        let problem = refused.problem(429, "too-many-checkins");
        assert!(
            problem["detail"]
                .as_str()
                .is_some_and(|detail| detail.contains("3 check-ins an hour")),
            "{problem}"
        );
        let wait: u64 = refused
            .header("retry-after")
            .and_then(|seconds| seconds.parse().ok())
            .expect("a Retry-After in seconds");
        assert!((1..=3_600).contains(&wait), "Retry-After {wait}");
        // A retry of an acknowledged check-in still answers its first result.
        helpers::Reply::of(
            app.request(Method::POST, &path, None)
                .header("idempotency-key", "first")
                .json(&first),
        )
        .await
        .expect_status(200);
        let course = app
            .get(&treatment.link_path("course"), None)
            .await
            .expect_status(200)
            .json();
        assert_eq!(
            course["checkins"].as_array().map(Vec::len),
            Some(3),
            "the refused check-in stored nothing: {course}"
        );

        // An hour on, the link accepts check-ins again, up to the course's cap.
        app.advance_clock(Duration::from_secs(61 * 60));
        for hour in 4..=5 {
            app.post(&path, None, &checkin(treatment.at, hour, &mild_soreness()))
                .await
                .expect_status(201);
        }
        let full = app
            .post(&path, None, &checkin(treatment.at, 6, &mild_soreness()))
            .await;
        let problem = full.problem(409, "course-full");
        assert!(
            problem["detail"]
                .as_str()
                .is_some_and(|detail| detail.contains("5 check-ins")),
            "{problem}"
        );
        let course = app
            .get(&treatment.link_path("course"), None)
            .await
            .expect_status(200)
            .json();
        assert_eq!(course["checkins"].as_array().map(Vec::len), Some(5));
    })
    .await;
}

#[tokio::test]
async fn metrics_are_off_unless_turned_on() {
    on_every_backend(async |app: &TestApp| {
        app.get("/metrics", None)
            .await
            .problem(404, "no-such-route");
    })
    .await;
}
