//! The check-in one thing per page, over plain HTTP on every backend:
//! each page keeps its answers in a draft on the server and leads to the
//! next; back and change keep what was entered; sending reads the whole
//! draft with the one reader, so any detail means the symptom is present
//! (safety property 6); the draft lives in the database, dies with an
//! expired link, the sending, or an erasure.

use aftercare_core::Guideline;
use aftercare_server::{AppState, ServerSettings};
use aftercare_store::secret::hash_text;
use aftercare_store::{Actor, ClientId, ClinicId};
use serde_json::json;

use crate::helpers::{TestApp, on_every_backend};
use crate::web::{
    Browser, Page, engine_decision, every_kind, offered_details, stored_course, stored_detail,
};

/// Posts one page of the check-in at `path` (its token taken from the
/// page itself) and answers where it leads.
async fn answer_page(
    client: &mut Browser,
    path: &str,
    step: &str,
    fields: &[(&str, &str)],
) -> String {
    let page = client.get(&format!("{path}?step={step}")).await.expect(200);
    let csrf = page.csrf();
    let mut all = vec![("csrf_token", csrf.as_str()), ("step", step)];
    all.extend_from_slice(fields);
    let moved = client.post(path, &all).await.expect(303);
    moved.header("location").expect("the next page").to_owned()
}

/// Sends the check-in kept in the draft.
async fn send(client: &mut Browser, path: &str) -> Page {
    let page = client.get(&format!("{path}?step=check")).await.expect(200);
    let csrf = page.csrf();
    client
        .post(path, &[("csrf_token", csrf.as_str()), ("step", "check")])
        .await
}

/// The draft kept for a client link, if any.
async fn link_draft(app: &TestApp, link_token: &str) -> Option<String> {
    app.store
        .checkin_draft(&hash_text(link_token), app.now())
        .await
        .expect("read the draft")
}

#[tokio::test]
async fn a_check_in_goes_one_page_at_a_time_and_back_and_change_keep_the_answers() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Steps Clinic").await;
        let treatment = app.treatment(&clinic, 20).await;
        let path = format!("/c/{}", treatment.link_token);
        let mut client = Browser::new(app);
        // The first page asks what the person feels, nothing more.
        let first = client.get(&path).await.expect(200);
        assert!(first.text.contains(r#"name="step" value="feel""#));
        assert!(!first.text.contains(r#"name="sleep_hours""#));
        assert!(!first.text.contains(r#"class="back""#), "no page before");
        // Neither a tick nor "none of these": the field error, linked.
        let refused = client
            .post(&path, &[("csrf_token", &first.csrf()), ("step", "feel")])
            .await
            .expect(422);
        assert!(refused.text.contains(r##"href="#symptom""##));
        assert!(link_draft(app, &treatment.link_token).await.is_none());

        let next = answer_page(
            &mut client,
            &path,
            "feel",
            &[("symptom", "headache"), ("symptom", "chest_pain")],
        )
        .await;
        // The warning sign's page comes first, then the headache's.
        assert_eq!(next, format!("{path}?step=chest_pain"));
        let page = client.get(&next).await.expect(200);
        assert!(page.text.contains(r#"name="chest_pain.sudden""#));
        assert!(
            !page.text.contains(r#"name="chest_pain.painful""#),
            "it is pain"
        );
        assert!(
            !page.text.contains(r#"name="headache."#),
            "one thing per page"
        );
        assert!(
            page.text
                .contains(&format!(r#"<a class="back" href="{path}?step=feel">"#)),
            "a real link back"
        );
        let next = answer_page(
            &mut client,
            &path,
            "chest_pain",
            &[("chest_pain.severity", "mild")],
        )
        .await;
        assert_eq!(next, format!("{path}?step=headache"));
        let next = answer_page(
            &mut client,
            &path,
            "headache",
            &[("headache.severity", "moderate"), ("headache.sudden", "no")],
        )
        .await;
        assert_eq!(next, format!("{path}?step=background"));
        // A wrong answer: shown by its field with what was typed, and the
        // draft is left as it was.
        let before = link_draft(app, &treatment.link_token).await;
        let page = client
            .get(&format!("{path}?step=background"))
            .await
            .expect(200);
        let refused = client
            .post(
                &path,
                &[
                    ("csrf_token", &page.csrf()),
                    ("step", "background"),
                    ("sleep_hours", "lots"),
                ],
            )
            .await
            .expect(422);
        assert!(refused.text.contains(r##"href="#sleep_hours""##));
        assert!(refused.text.contains(r#"id="sleep_hours-error""#));
        assert!(refused.text.contains(r#"value="lots""#));
        assert_eq!(link_draft(app, &treatment.link_token).await, before);
        let next = answer_page(&mut client, &path, "background", &[("sleep_hours", "7")]).await;
        assert_eq!(next, format!("{path}?step=note"));
        let next = answer_page(&mut client, &path, "note", &[("note", "stiff < sore")]).await;
        assert_eq!(next, format!("{path}?step=check"));

        // Back: every page shows what was entered.
        let feel = client.get(&format!("{path}?step=feel")).await.expect(200);
        assert!(
            feel.text
                .contains(r#"name="symptom" value="headache" checked"#)
        );
        let headache = client
            .get(&format!("{path}?step=headache"))
            .await
            .expect(200);
        assert!(headache.text.contains(r#"value="moderate" selected"#));
        assert!(
            headache
                .text
                .contains(r#"id="headache-sudden-no" name="headache.sudden" value="no" checked"#)
        );

        // Check your answers: every answer in words, each with a change link.
        let check = client.get(&next).await.expect(200);
        for words in [
            "Headache",
            "moderate",
            "not sudden",
            "Chest pain",
            "Slept 7 h",
            "stiff &lt; sore",
        ] {
            assert!(check.text.contains(words), "{words}: {}", check.text);
        }
        assert!(
            check
                .text
                .contains(&format!(r#"href="{path}?step=headache&amp;then=check""#))
        );
        // Change one answer: back to "check your answers" afterwards.
        let changed = answer_page(
            &mut client,
            &path,
            "headache",
            &[
                ("then", "check"),
                ("headache.severity", "mild"),
                ("headache.sudden", "no"),
            ],
        )
        .await;
        assert_eq!(changed, format!("{path}?step=check"));
        // Nothing is stored before it is sent.
        let (course, _) = stored_course(app, &treatment).await;
        assert!(course.checkins.is_empty());
        let answer = send(&mut client, &path).await.expect(200);
        assert!(answer.text.contains(r#"id="decision""#));
        let (course, decisions) = stored_course(app, &treatment).await;
        assert_eq!(course.checkins.len(), 1);
        let checkin = &course.checkins[0];
        assert_eq!(
            serde_json::to_value(&checkin.symptoms).expect("symptoms JSON"),
            json!([
                { "kind": "headache", "severity": "mild", "sudden": false },
                { "kind": "chest_pain", "severity": "mild" },
            ])
        );
        assert_eq!(checkin.note.as_deref(), Some("stiff < sore"));
        assert_eq!(decisions[0], engine_decision(&course));
        // Sent: the draft is gone, and a resend stores nothing more.
        assert!(link_draft(app, &treatment.link_token).await.is_none());
        let again = client
            .post(&path, &[("csrf_token", &check.csrf()), ("step", "check")])
            .await;
        assert!(matches!(again.status, 200 | 303), "{}", again.status);
        assert_eq!(stored_course(app, &treatment).await.0.checkins.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn for_every_kind_a_detail_alone_on_its_page_is_stored_and_triaged_with_it() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Step Detail Clinic").await;
        for kind in every_kind() {
            let treatment = app.treatment(&clinic, 20).await;
            let path = format!("/c/{}", treatment.link_token);
            let mut client = Browser::new(app);
            let page = client.get(&format!("{path}?step={kind}")).await.expect(200);
            let (field, value) = offered_details(&page.text, kind)
                .into_iter()
                .next()
                .unwrap_or_else(|| (format!("{kind}.frequency"), "rarely".to_owned()));
            // No tick, no severity: only the one detail, on its own page.
            answer_page(
                &mut client,
                &path,
                kind,
                &[(field.as_str(), value.as_str())],
            )
            .await;
            let answer = send(&mut client, &path).await.expect(200);
            let (course, decisions) = stored_course(app, &treatment).await;
            let stored = &course.checkins[0].symptoms;
            assert_eq!(
                serde_json::to_value(stored).expect("symptoms JSON"),
                json!([stored_detail(kind, &field, &value)]),
                "{field}={value} alone stores the symptom with it"
            );
            assert!(stored[0].is_present(), "{field}");
            assert_eq!(decisions[0], engine_decision(&course), "{field}");
            let level = decisions[0]["level"].as_str().expect("a level");
            assert!(
                answer.text.contains(&format!(
                    r#"id="decision" class="decision" data-level="{level}""#
                )),
                "{field}: the page shows the stored answer"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn for_every_kind_a_detail_alone_on_its_self_check_page_starts_a_diary_with_it() {
    on_every_backend(async |app: &TestApp| {
        for kind in every_kind() {
            // Under the hourly cap of new diaries from one address.
            app.advance_clock(std::time::Duration::from_secs(4 * 60));
            let mut person = Browser::new(app);
            let next = answer_page(
                &mut person,
                "/self-check",
                "treatment",
                &[("hours_ago", "20"), ("modality", "sports")],
            )
            .await;
            assert_eq!(next, "/self-check?step=feel");
            let page = person
                .get(&format!("/self-check?step={kind}"))
                .await
                .expect(200);
            let (field, value) = offered_details(&page.text, kind)
                .into_iter()
                .next()
                .unwrap_or_else(|| (format!("{kind}.frequency"), "rarely".to_owned()));
            answer_page(
                &mut person,
                "/self-check",
                kind,
                &[(field.as_str(), value.as_str())],
            )
            .await;
            let answer = send(&mut person, "/self-check").await.expect(200);
            let marker = r#"id="diary-link" class="link-box">"#;
            let start = answer.text.find(marker).expect("a diary link") + marker.len();
            let url = &answer.text[start..start + answer.text[start..].find('<').expect("end")];
            let token = url.rsplit('/').next().expect("the diary's secret");
            let stored = app
                .store
                .diary(&hash_text(token), app.now())
                .await
                .expect("the diary");
            let course = aftercare_core::Course::from_json(&stored).expect("a diary course");
            assert_eq!(
                serde_json::to_value(&course.checkins[0].symptoms).expect("symptoms JSON"),
                json!([stored_detail(kind, &field, &value)]),
                "{field}={value} alone stores the symptom with it"
            );
            let level = engine_decision(&course)["level"]
                .as_str()
                .expect("a level")
                .to_owned();
            assert!(
                answer.text.contains(&format!(
                    r#"id="decision" class="decision" data-level="{level}""#
                )),
                "{field}: answered with the symptom ({level})"
            );
            // Sent: the draft's cookie is deleted.
            assert!(
                answer
                    .header("set-cookie")
                    .is_some_and(|cookie| cookie.starts_with("ac_draft=;")),
                "{:?}",
                answer.header("set-cookie")
            );
        }
    })
    .await;
}

#[tokio::test]
async fn a_symptom_unticked_after_its_questions_were_answered_is_shown_as_counted_and_kept() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Counted Clinic").await;
        let treatment = app.treatment(&clinic, 20).await;
        let path = format!("/c/{}", treatment.link_token);
        let mut client = Browser::new(app);
        answer_page(&mut client, &path, "feel", &[("symptom", "swelling")]).await;
        answer_page(
            &mut client,
            &path,
            "swelling",
            &[
                ("swelling.severity", "mild"),
                ("swelling.regions", "calves"),
            ],
        )
        .await;
        // Back to the first page: swelling unticked, fever ticked.
        let next = answer_page(&mut client, &path, "feel", &[("symptom", "fever")]).await;
        assert_eq!(
            next,
            format!("{path}?step=swelling"),
            "its answers keep its page"
        );
        let swelling = client.get(&next).await.expect(200);
        assert!(swelling.text.contains("it counts as something you feel"));
        let check = client.get(&format!("{path}?step=check")).await.expect(200);
        assert!(
            check.text.contains("Swelling: mild (Calves)"),
            "{}",
            check.text
        );
        assert!(check.text.contains("Counted: you did not tick it"));
        send(&mut client, &path).await.expect(200);
        let (course, _) = stored_course(app, &treatment).await;
        assert_eq!(
            serde_json::to_value(&course.checkins[0].symptoms).expect("symptoms JSON"),
            json!([
                { "kind": "swelling", "severity": "mild", "regions": ["calves"] },
                { "kind": "fever" },
            ])
        );
    })
    .await;
}

#[tokio::test]
async fn a_later_check_in_asks_first_about_what_was_reported_last_time() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Last Time Clinic").await;
        let treatment = app.treatment(&clinic, 20).await;
        let path = format!("/c/{}", treatment.link_token);
        let mut client = Browser::new(app);
        answer_page(
            &mut client,
            &path,
            "feel",
            &[("symptom", "soreness"), ("symptom", "headache")],
        )
        .await;
        answer_page(
            &mut client,
            &path,
            "soreness",
            &[
                ("soreness.severity", "moderate"),
                ("soreness.regions", "calves"),
            ],
        )
        .await;
        answer_page(
            &mut client,
            &path,
            "headache",
            &[("headache.severity", "mild")],
        )
        .await;
        answer_page(
            &mut client,
            &path,
            "background",
            &[("anticoagulants", "yes")],
        )
        .await;
        send(&mut client, &path).await.expect(200);
        app.advance_clock(std::time::Duration::from_secs(3600));

        let first = client.get(&path).await.expect(200);
        assert!(first.text.contains(r#"name="step" value="last""#));
        assert!(first.text.contains(r#"name="soreness.now" value="better""#));
        assert!(first.text.contains(r#"name="headache.now" value="gone""#));
        // Each needs an answer.
        let refused = client
            .post(
                &path,
                &[
                    ("csrf_token", &first.csrf()),
                    ("step", "last"),
                    ("soreness.now", "better"),
                ],
            )
            .await
            .expect(422);
        assert!(refused.text.contains(r##"href="#headache-now""##));
        let next = answer_page(
            &mut client,
            &path,
            "last",
            &[("soreness.now", "better"), ("headache.now", "gone")],
        )
        .await;
        assert_eq!(next, format!("{path}?step=feel"));
        let feel = client.get(&next).await.expect(200);
        assert!(
            !feel.text.contains(r#"value="soreness""#),
            "asked on the page before"
        );
        let next = answer_page(&mut client, &path, "feel", &[("nothing", "yes")]).await;
        assert_eq!(next, format!("{path}?step=soreness"));
        // Its questions again, filled in with what was said last time.
        let soreness = client.get(&next).await.expect(200);
        assert!(soreness.text.contains(r#"value="moderate" selected"#));
        assert!(soreness.text.contains(r#"value="calves" checked"#));
        answer_page(
            &mut client,
            &path,
            "soreness",
            &[
                ("soreness.severity", "mild"),
                ("soreness.regions", "calves"),
            ],
        )
        .await;
        // Blood thinners: filled in from last time, to confirm.
        let background = client
            .get(&format!("{path}?step=background"))
            .await
            .expect(200);
        assert!(
            background
                .text
                .contains(r#"name="anticoagulants" value="yes" checked"#)
        );
        send(&mut client, &path).await.expect(200);
        let (course, _) = stored_course(app, &treatment).await;
        assert_eq!(
            serde_json::to_value(&course.checkins[1].symptoms).expect("symptoms JSON"),
            json!([
                { "kind": "soreness", "severity": "mild", "regions": ["calves"] },
                { "kind": "headache", "severity": "none" },
            ])
        );
        assert_eq!(course.checkins[1].context.anticoagulants, Some(true));
    })
    .await;
}

#[tokio::test]
async fn the_draft_is_kept_in_the_database_and_outlives_the_router() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Restart Clinic").await;
        let treatment = app.treatment(&clinic, 20).await;
        let path = format!("/c/{}", treatment.link_token);
        let mut client = Browser::new(app);
        answer_page(&mut client, &path, "feel", &[("symptom", "fatigue")]).await;
        answer_page(
            &mut client,
            &path,
            "fatigue",
            &[("fatigue.severity", "moderate")],
        )
        .await;
        // Another router over the same database, as after a restart.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a port");
        let address = format!("http://{}", listener.local_addr().expect("address"));
        let settings = ServerSettings {
            public_url: address.clone(),
            ..ServerSettings::default()
        };
        let state = AppState::new(app.store.clone(), Guideline::shipped(), settings);
        let stop = std::sync::Arc::new(tokio::sync::Notify::new());
        let stopped = std::sync::Arc::clone(&stop);
        let server = tokio::spawn(aftercare_server::launch(state, listener, async move {
            stopped.notified().await;
        }));
        let mut later = Browser::at(&address);
        let page = later.get(&format!("{path}?step=fatigue")).await.expect(200);
        assert!(page.text.contains(r#"value="moderate" selected"#));
        send(&mut later, &path).await.expect(200);
        let (course, _) = stored_course(app, &treatment).await;
        assert_eq!(
            serde_json::to_value(&course.checkins[0].symptoms).expect("symptoms JSON"),
            json!([{ "kind": "fatigue", "severity": "moderate" }])
        );
        // Stopped without closing the database the test still uses.
        drop(stop);
        server.abort();
    })
    .await;
}

#[tokio::test]
async fn an_expired_link_refuses_every_page_and_keeps_nothing() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Expired Steps Clinic").await;
        let treatment = app.treatment(&clinic, 20).await;
        let path = format!("/c/{}", treatment.link_token);
        let mut client = Browser::new(app);
        let csrf = client.get(&path).await.expect(200).csrf();
        app.advance_clock(std::time::Duration::from_secs(400 * 24 * 3600));
        for step in ["feel", "fever", "background", "check"] {
            client.get(&format!("{path}?step={step}")).await.expect(410);
            client
                .post(
                    &path,
                    &[
                        ("csrf_token", &csrf),
                        ("step", step),
                        ("symptom", "fever"),
                        ("fever.severity", "mild"),
                    ],
                )
                .await
                .expect(410);
        }
        assert!(
            app.store
                .checkin_draft(&hash_text(&treatment.link_token), 0)
                .await
                .expect("read")
                .is_none()
        );
        // A page that does not exist is not found.
        let mut fresh = Browser::new(app);
        let other = app.treatment(&clinic, 20).await;
        fresh
            .get(&format!("/c/{}?step=nonsense", other.link_token))
            .await
            .expect(404);
        fresh
            .get(&format!("/c/{}?step=last", other.link_token))
            .await
            .expect(404);
    })
    .await;
}

#[tokio::test]
async fn erasing_the_client_or_the_diary_erases_the_check_in_being_entered() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Erase Draft Clinic").await;
        let treatment = app.treatment(&clinic, 20).await;
        let path = format!("/c/{}", treatment.link_token);
        let mut client = Browser::new(app);
        answer_page(&mut client, &path, "feel", &[("symptom", "fever")]).await;
        assert!(link_draft(app, &treatment.link_token).await.is_some());
        app.store
            .erase_client(
                &ClinicId::parse(&clinic.id).expect("clinic id"),
                &ClientId::parse(&treatment.client_id).expect("client id"),
                &Actor::System,
                app.now(),
            )
            .await
            .expect("erased");
        assert!(link_draft(app, &treatment.link_token).await.is_none());

        // A diary, and its next check-in half entered.
        let mut person = Browser::new(app);
        answer_page(
            &mut person,
            "/self-check",
            "treatment",
            &[("hours_ago", "5"), ("modality", "swedish")],
        )
        .await;
        answer_page(&mut person, "/self-check", "feel", &[("nothing", "yes")]).await;
        let answer = send(&mut person, "/self-check").await.expect(200);
        let marker = r#"id="diary-link" class="link-box">"#;
        let start = answer.text.find(marker).expect("a diary link") + marker.len();
        let url = &answer.text[start..start + answer.text[start..].find('<').expect("end")];
        let token = url
            .rsplit('/')
            .next()
            .expect("the diary's secret")
            .to_owned();
        let diary = format!("/self-check/d/{token}");
        let page = person.get(&diary).await.expect(200);
        assert!(page.text.contains(&format!("{diary}?step=feel")));
        answer_page(&mut person, &diary, "feel", &[("symptom", "nausea")]).await;
        assert!(
            app.store
                .checkin_draft(&hash_text(&token), app.now())
                .await
                .expect("read")
                .is_some()
        );
        let form = person.get(&format!("{diary}/erase")).await.expect(200);
        person
            .post(
                &format!("{diary}/erase"),
                &[("csrf_token", &form.csrf()), ("confirm", "yes")],
            )
            .await;
        assert!(
            app.store
                .checkin_draft(&hash_text(&token), app.now())
                .await
                .expect("read")
                .is_none()
        );
    })
    .await;
}

#[tokio::test]
async fn twenty_five_self_checks_side_by_side_from_one_address_start_at_most_twenty_diaries() {
    on_every_backend(async |app: &TestApp| {
        let mut person = Browser::new(app);
        let csrf = person.get("/self-check").await.expect(200).csrf();
        let cookie = format!("ac_csrf={csrf}");
        let http = reqwest::Client::new();
        let sends = (0..25).map(|_| {
            http.post(format!("{}/self-check", app.address))
                .header("content-type", "application/x-www-form-urlencoded")
                .header("cookie", cookie.clone())
                .body(format!(
                    "csrf_token={csrf}&hours_ago=20&modality=sports&symptom=soreness"
                ))
                .send()
        });
        let statuses: Vec<u16> = futures_statuses(sends).await;
        let started = statuses.iter().filter(|status| **status == 200).count();
        assert!(
            statuses.iter().all(|status| matches!(status, 200 | 429)),
            "{statuses:?}"
        );
        // At most the limit, and the first ones pass.
        assert_eq!(started, 20, "{statuses:?}");
    })
    .await;
}

/// Sends requests side by side and answers their statuses.
async fn futures_statuses(
    sends: impl Iterator<
        Item = impl std::future::Future<Output = reqwest::Result<reqwest::Response>> + Send + 'static,
    >,
) -> Vec<u16> {
    let tasks: Vec<_> = sends.map(tokio::spawn).collect();
    let mut statuses = Vec::new();
    for task in tasks {
        let response = task.await.expect("the task").expect("an answer");
        statuses.push(response.status().as_u16());
    }
    statuses
}
