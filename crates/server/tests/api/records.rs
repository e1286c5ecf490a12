//! Client records through the API and the pages, on both databases:
//! correcting a client and a treatment (the course triaged again, earlier
//! decisions kept, the audit trail naming fields only), erasing a client
//! (the owner only), a client's record as one document, the retention
//! setting, and a diary erased from its own page.

use aftercare_core::Guideline;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, TreatmentFixture, on_every_backend, rfc3339};
use crate::isolation::{diary_link, sign_in};
use crate::{HOUR, checkin};

/// `PATCH path` with a JSON body.
async fn patch(app: &TestApp, path: &str, token: &str, body: &Value) -> Reply {
    Reply::of(app.request(Method::PATCH, path, Some(token)).json(body)).await
}

/// The clinic's audit trail, as its owner reads it.
async fn audit(app: &TestApp, owner_token: &str) -> Vec<Value> {
    app.get("/api/v1/audit?limit=200", Some(owner_token))
        .await
        .expect_status(200)
        .json()["items"]
        .as_array()
        .expect("items")
        .clone()
}

/// The course a link opens, as its client sees it.
async fn course(app: &TestApp, treatment: &TreatmentFixture) -> Value {
    app.get(&treatment.link_path("course"), None)
        .await
        .expect_status(200)
        .json()
}

#[tokio::test]
async fn a_client_is_corrected_with_the_checks_of_a_new_one_and_audited_by_field() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Correct Clinic").await;
        let treatment = app.treatment(&clinic, 5).await;
        let path = format!("/api/v1/clients/{}", treatment.client_id);
        let token = &clinic.therapist_token;
        let before = app.get(&path, Some(token)).await.expect_status(200).json();

        // Refused input changes nothing and names each field.
        for (body, field) in [
            (json!({ "email": "not an address" }), "email"),
            (json!({ "phone": "call me" }), "phone"),
            (json!({ "name": null }), "name"),
            (json!({ "name": "   " }), "name"),
            (json!({ "name": "A\u{0}B" }), "name"),
            (json!({ "nickname": "Cas" }), "nickname"),
            (json!({ "follow_up_consent": "yes" }), "follow_up_consent"),
        ] {
            patch(app, &path, token, &body).await.field_problem(422, field);
        }
        let problem = patch(app, &path, token, &json!({ "email": "x", "phone": "y" }))
            .await
            .problem(422, "invalid-input");
        assert_eq!(problem["errors"].as_array().map(Vec::len), Some(2), "{problem}");
        Reply::of(
            app.request(Method::PATCH, &path, Some(token))
                .header("content-type", "application/json")
                .body("{\"name\":"),
        )
        .await
        .problem(400, "malformed-json");
        assert_eq!(app.get(&path, Some(token)).await.json(), before);

        let changed = patch(
            app,
            &path,
            token,
            &json!({ "name": " Casey Corrected ", "email": null, "phone": "+44 20 7946 0000", "follow_up_consent": true }),
        )
        .await
        .expect_status(200)
        .json();
        assert_eq!(changed["name"], "Casey Corrected");
        assert!(changed["email"].is_null());
        assert_eq!(changed["phone"], "+44 20 7946 0000");
        assert_eq!(
            changed["consent_at"], before["consent_at"],
            "consent keeps its first time"
        );
        // An empty change is no change.
        assert_eq!(
            patch(app, &path, token, &json!({})).await.expect_status(200).json(),
            changed
        );

        let events = audit(app, &clinic.owner_token).await;
        let updates: Vec<&Value> = events
            .iter()
            .filter(|event| event["action"] == "client.update")
            .collect();
        assert_eq!(updates.len(), 1, "{events:?}");
        assert_eq!(updates[0]["fields"], json!(["name", "email", "phone"]));
        assert_eq!(
            updates[0]["actor"],
            format!("practitioner:{}", clinic.therapist_id)
        );
        let trail = serde_json::to_string(&events).expect("JSON");
        for value in ["Casey Corrected", "+44 20 7946 0000", "casey@example.org"] {
            assert!(!trail.contains(value), "the audit trail holds `{value}`");
        }
    })
    .await;
}

#[tokio::test]
async fn a_corrected_treatment_is_triaged_again_with_earlier_decisions_kept() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Retriage Clinic").await;
        let treatment = app.treatment(&clinic, 10).await;
        let path = format!("/api/v1/treatments/{}", treatment.id);
        let token = &clinic.therapist_token;
        let symptoms = json!([
            { "kind": "headache", "severity": "moderate", "sudden": false },
            { "kind": "dizziness", "severity": "mild", "sudden": false, "frequency": "rarely" }
        ]);
        app.post(
            &treatment.link_path("checkins"),
            None,
            &checkin(treatment.at, 4, &symptoms),
        )
        .await
        .expect_status(201);
        let before = course(app, &treatment).await;
        assert_eq!(before["decisions"].as_array().map(Vec::len), Some(1));
        let alerts_before = app
            .get("/api/v1/alerts", Some(token))
            .await
            .expect_status(200)
            .json()["items"]
            .as_array()
            .map_or(0, Vec::len);

        let details = |at: i64, regions: Value| {
            json!({ "at": rfc3339(at), "modality": "deep_tissue", "pressure": "firm",
                    "duration_min": 60, "regions": regions })
        };
        // A time in the future, or after the first check-in, is refused
        // and changes nothing.
        for at in [app.now() + 2 * HOUR, treatment.at + 5 * HOUR] {
            patch(
                app,
                &path,
                token,
                &json!({ "treatment": details(at, json!(["calves"])) }),
            )
            .await
            .field_problem(422, "treatment.at");
        }
        patch(
            app,
            &path,
            token,
            &json!({ "treatment": { "at": rfc3339(treatment.at), "modality": "reiki" } }),
        )
        .await
        .field_problem(422, "treatment.modality");
        patch(app, &path, token, &json!({ "notes": "x".repeat(10_001) }))
            .await
            .field_problem(422, "notes");
        assert_eq!(course(app, &treatment).await, before);

        // The neck, not the legs: headache with dizziness after neck work.
        let corrected = patch(
            app,
            &path,
            token,
            &json!({ "treatment": details(treatment.at, json!(["neck", "shoulders"])), "notes": null }),
        )
        .await
        .expect_status(200)
        .json();
        assert_eq!(corrected["treatment"]["regions"], json!(["neck", "shoulders"]));
        assert!(corrected["notes"].is_null());
        assert_eq!(
            corrected["link_expires_at"], treatment.created["link_expires_at"],
            "the link keeps its expiry"
        );
        let after = course(app, &treatment).await;
        let decisions = after["decisions"].as_array().expect("decisions");
        assert_eq!(decisions.len(), 2);
        assert_eq!(decisions[0], before["decisions"][0], "kept as it was");
        assert_eq!(decisions[1]["checkin_id"], decisions[0]["checkin_id"]);
        let corrected_course = aftercare_core::Course::from_json(
            &json!({
                "treatment": after["treatment"],
                "checkins": [after["checkins"][0]["checkin"]],
            })
            .to_string(),
        )
        .expect("the corrected course");
        let engine: Value = serde_json::from_str(
            &aftercare_core::triage(&Guideline::shipped(), &corrected_course).to_json(),
        )
        .expect("JSON");
        assert_eq!(decisions[1]["decision"], engine, "the current guideline's answer");
        let level = engine["level"].as_str().expect("a level");
        assert_ne!(level, decisions[0]["decision"]["level"].as_str().expect("a level"));
        let alerts = app
            .get("/api/v1/alerts", Some(token))
            .await
            .expect_status(200)
            .json();
        let alerts = alerts["items"].as_array().expect("alerts");
        assert_eq!(alerts.len(), alerts_before + 1, "the new answer alerts: {alerts:?}");
        assert_eq!(alerts.iter().filter(|a| a["level"] == level).count(), 1);

        let events = audit(app, &clinic.owner_token).await;
        let correction = events
            .iter()
            .find(|event| event["action"] == "treatment.correct")
            .expect("a correction event");
        assert_eq!(correction["fields"], json!(["regions", "notes"]));
        assert_eq!(correction["subject"], format!("treatment:{}", treatment.id));
        // Correcting again to the same values changes nothing.
        patch(
            app,
            &path,
            token,
            &json!({ "treatment": details(treatment.at, json!(["neck", "shoulders"])) }),
        )
        .await
        .expect_status(200);
        assert_eq!(course(app, &treatment).await["decisions"], after["decisions"]);
    })
    .await;
}

#[tokio::test]
async fn only_the_owner_erases_a_client_and_the_client_is_gone_from_every_view() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Erase Clinic").await;
        let erased = app.treatment(&clinic, 6).await;
        let kept = app.treatment(&clinic, 6).await;
        for treatment in [&erased, &kept] {
            app.post(
                &treatment.link_path("checkins"),
                None,
                &checkin(treatment.at, 2, &crate::fever()),
            )
            .await
            .expect_status(201);
        }
        let path = format!("/api/v1/clients/{}", erased.client_id);
        app.delete(&path, Some(&clinic.therapist_token))
            .await
            .problem(403, "forbidden");
        app.get(&path, Some(&clinic.owner_token))
            .await
            .expect_status(200);
        app.delete("/api/v1/clients/not-an-id", Some(&clinic.owner_token))
            .await
            .problem(404, "not-found");

        let counts = app
            .delete(&path, Some(&clinic.owner_token))
            .await
            .expect_status(200)
            .json();
        assert_eq!(counts["clients"], 1);
        assert_eq!(counts["treatments"], 1);
        assert_eq!(counts["checkins"], 1);
        assert_eq!(counts["alerts"], 1);
        app.get(&path, Some(&clinic.owner_token))
            .await
            .problem(404, "not-found");
        app.delete(&path, Some(&clinic.owner_token))
            .await
            .problem(404, "not-found");
        app.get(&erased.link_path("course"), None)
            .await
            .problem(404, "not-found");
        let treatments = app
            .get("/api/v1/treatments", Some(&clinic.owner_token))
            .await
            .expect_status(200);
        assert!(!treatments.text.contains(&erased.id));
        assert!(treatments.text.contains(&kept.id));
        let alerts = app
            .get("/api/v1/alerts", Some(&clinic.owner_token))
            .await
            .expect_status(200);
        assert!(!alerts.text.contains(&erased.id));
        course(app, &kept).await;

        let events = audit(app, &clinic.owner_token).await;
        let trail = serde_json::to_string(&events).expect("JSON");
        for trace in [&erased.client_id, &erased.id] {
            assert!(
                !trail.contains(trace.as_str()),
                "the audit trail names `{trace}`"
            );
        }
        let erasure = events
            .iter()
            .find(|event| event["action"] == "client.erase")
            .expect("an erasure event");
        assert_eq!(
            erasure["actor"],
            format!("practitioner:{}", clinic.owner_id)
        );
    })
    .await;
}

#[tokio::test]
async fn a_client_gets_everything_kept_about_them_as_one_document() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Export Clinic").await;
        let treatment = app.treatment(&clinic, 6).await;
        let other = app.treatment(&clinic, 6).await;
        app.post(
            &treatment.link_path("checkins"),
            None,
            &json!({ "at": rfc3339(treatment.at + 2 * HOUR), "symptoms": crate::fever(), "note": "hot all night" }),
        )
        .await
        .expect_status(201);
        let record = app
            .get(
                &format!("/api/v1/clients/{}/export", treatment.client_id),
                Some(&clinic.therapist_token),
            )
            .await
            .expect_status(200)
            .json();
        assert_eq!(record["client"]["id"], treatment.client_id.as_str());
        let courses = record["courses"].as_array().expect("courses");
        assert_eq!(courses.len(), 1);
        assert_eq!(courses[0]["treatment"]["notes"], "private note: left calf tight");
        assert_eq!(courses[0]["checkins"][0]["checkin"]["note"], "hot all night");
        assert_eq!(courses[0]["decisions"].as_array().map(Vec::len), Some(1));
        assert_eq!(courses[0]["alerts"].as_array().map(Vec::len), Some(1));
        assert!(courses[0]["followup"]["plan_hours"].is_array());
        assert!(!record.to_string().contains(&other.id), "only this client");
        let events = audit(app, &clinic.owner_token).await;
        assert!(events.iter().any(|event| event["action"] == "client.export"
            && event["subject"] == format!("client:{}", treatment.client_id)));
    })
    .await;
}

#[tokio::test]
async fn the_retention_period_is_the_owners_to_set_within_bounds() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Keep Clinic").await;
        let read = app
            .get("/api/v1/retention", Some(&clinic.therapist_token))
            .await
            .expect_status(200)
            .json();
        assert_eq!(read["keep_days"], read["default_keep_days"]);
        assert!(read["keep_days"].as_u64() >= Some(7 * 365));
        let put = |token: &str, body: Value| {
            Reply::of(
                app.request(Method::PUT, "/api/v1/retention", Some(token))
                    .json(&body),
            )
        };
        put(&clinic.therapist_token, json!({ "keep_days": 400 }))
            .await
            .problem(403, "forbidden");
        for body in [
            json!({ "keep_days": 29 }),
            json!({ "keep_days": 36_501 }),
            json!({ "keep_days": -1 }),
            json!({ "keep_days": "long" }),
        ] {
            put(&clinic.owner_token, body)
                .await
                .field_problem(422, "keep_days");
        }
        put(&clinic.owner_token, json!({ "keep_days": 400, "extra": 1 }))
            .await
            .field_problem(422, "extra");
        assert_eq!(
            app.get("/api/v1/retention", Some(&clinic.owner_token))
                .await
                .json(),
            read
        );
        let set = put(&clinic.owner_token, json!({ "keep_days": 400 }))
            .await
            .expect_status(200)
            .json();
        assert_eq!(set["keep_days"], 400);
        let events = audit(app, &clinic.owner_token).await;
        let event = events
            .iter()
            .find(|event| event["action"] == "retention_settings.update")
            .expect("an audit event");
        assert_eq!(event["fields"], json!(["keep_days"]));
    })
    .await;
}

/// The form token on a page.
fn form_token(page: &str) -> String {
    let marker = r#"name="csrf_token" value=""#;
    let start = page.find(marker).expect("a form token") + marker.len();
    page[start..start + page[start..].find('"').expect("its end")].to_owned()
}

#[tokio::test]
async fn the_pages_correct_erase_and_hand_over_a_client() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Pages Clinic").await;
        let treatment = app.treatment(&clinic, 6).await;
        let mut owner = sign_in(app, &clinic).await;
        let client_page = format!("/clients/{}", treatment.client_id);
        let page = owner.get(&client_page).await.expect_status(200).text;
        for link in ["/edit", "/export", "/erase"] {
            assert!(
                page.contains(&format!(r#"href="{client_page}{link}""#)),
                "the client page links to {link}"
            );
        }
        let course_page = owner
            .get(&format!("/treatments/{}", treatment.id))
            .await
            .expect_status(200)
            .text;
        assert!(course_page.contains(&format!(r#"href="/treatments/{}/edit""#, treatment.id)));

        // Details: a bad email is refused at its field, then a good change.
        let form = owner
            .get(&format!("{client_page}/edit"))
            .await
            .expect_status(200)
            .text;
        assert!(form.contains(r#"value="Casey Client""#), "prefilled");
        let csrf = form_token(&form);
        let refused = owner
            .post(
                &format!("{client_page}/edit"),
                &[
                    ("csrf_token", &csrf),
                    ("name", "Casey Web"),
                    ("email", "nope"),
                ],
            )
            .await
            .expect_status(422);
        assert!(
            refused.text.contains(r#"id="email-error""#),
            "{}",
            refused.text
        );
        owner
            .post(
                &format!("{client_page}/edit"),
                &[
                    ("csrf_token", &csrf),
                    ("name", "Casey Web"),
                    ("email", "casey.web@example.org"),
                    ("phone", "+44 20 7946 0001"),
                    ("follow_up_consent", "yes"),
                ],
            )
            .await
            .expect_status(303);
        let client = app
            .get(
                &format!("/api/v1/clients/{}", treatment.client_id),
                Some(&clinic.owner_token),
            )
            .await
            .json();
        assert_eq!(
            (&client["name"], &client["email"], &client["phone"]),
            (
                &json!("Casey Web"),
                &json!("casey.web@example.org"),
                &json!("+44 20 7946 0001")
            )
        );

        // A treatment correction from its form.
        let edit = owner
            .get(&format!("/treatments/{}/edit", treatment.id))
            .await
            .expect_status(200)
            .text;
        assert!(
            edit.contains(r#"value="calves" checked"#),
            "prefilled regions"
        );
        let at = rfc3339(treatment.at);
        owner
            .post(
                &format!("/treatments/{}/edit", treatment.id),
                &[
                    ("csrf_token", &csrf),
                    ("at", &at[..16]),
                    ("modality", "sports"),
                    ("regions", "calves"),
                    ("notes", "corrected on the page"),
                ],
            )
            .await
            .expect_status(303);
        let stored = app
            .get(
                &format!("/api/v1/treatments/{}", treatment.id),
                Some(&clinic.owner_token),
            )
            .await
            .json();
        assert_eq!(stored["treatment"]["modality"], "sports");
        assert_eq!(stored["notes"], "corrected on the page");
        let future = rfc3339(app.now() + 48 * HOUR);
        let refused = owner
            .post(
                &format!("/treatments/{}/edit", treatment.id),
                &[
                    ("csrf_token", &csrf),
                    ("at", &future[..16]),
                    ("modality", "sports"),
                ],
            )
            .await
            .expect_status(422);
        assert!(refused.text.contains(r#"id="at-error""#));

        // The data, as a file.
        let file = owner
            .get(&format!("{client_page}/export"))
            .await
            .expect_status(200);
        assert!(
            file.header("content-disposition")
                .is_some_and(|value| value.starts_with("attachment"))
        );
        assert_eq!(file.json()["client"]["name"], "Casey Web");

        // A therapist may not erase; the owner confirms first.
        let erase = format!("{client_page}/erase");
        let page = owner.get(&erase).await.expect_status(200).text;
        assert!(page.contains("Casey Web"));
        owner
            .post(&erase, &[("csrf_token", &csrf)])
            .await
            .expect_status(422);
        app.get(
            &format!("/api/v1/clients/{}", treatment.client_id),
            Some(&clinic.owner_token),
        )
        .await
        .expect_status(200);
        let done = owner
            .post(&erase, &[("csrf_token", &csrf), ("confirm", "yes")])
            .await
            .expect_status(303);
        assert_eq!(done.header("location"), Some("/clients"));
        owner.get(&client_page).await.expect_status(404);
    })
    .await;
}

#[tokio::test]
async fn a_diary_is_erased_by_its_holder_after_confirming() {
    on_every_backend(async |app: &TestApp| {
        let mut anyone = crate::isolation::Browser::new(app);
        let csrf = anyone.csrf("/self-check").await;
        let link = diary_link(app, &mut anyone, &csrf).await;
        let diary = format!("/self-check/d/{link}");
        let page = anyone.get(&diary).await.expect_status(200).text;
        assert!(page.contains(&format!(r#"href="{diary}/erase""#)));
        let confirm = anyone
            .get(&format!("{diary}/erase"))
            .await
            .expect_status(200)
            .text;
        let csrf = form_token(&confirm);
        anyone
            .post(&format!("{diary}/erase"), &[("csrf_token", &csrf)])
            .await
            .expect_status(422);
        anyone.get(&diary).await.expect_status(200);
        anyone
            .post(
                &format!("{diary}/erase"),
                &[("csrf_token", "wrong"), ("confirm", "yes")],
            )
            .await
            .expect_status(403);
        anyone.get(&diary).await.expect_status(200);
        anyone
            .post(
                &format!("{diary}/erase"),
                &[("csrf_token", &csrf), ("confirm", "yes")],
            )
            .await
            .expect_status(200);
        anyone.get(&diary).await.expect_status(404);
    })
    .await;
}
