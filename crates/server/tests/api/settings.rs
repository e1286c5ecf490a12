//! The clinic's country and time zone, on every backend: the owner's
//! settings page and the API, times shown and typed in the clinic's zone,
//! and the country's numbers on the answers clients read.

use aftercare_server::ServerSettings;
use aftercare_store::{ClinicId, PractitionerId};
use serde_json::{Value, json};

use crate::helpers::{ClinicFixture, TestApp, on_every_backend, on_every_backend_with};
use crate::web::{Browser, PASSWORD, owner_browser};

/// The clinic's settings as the API shows them to its owner.
async fn settings_of(app: &TestApp, clinic: &ClinicFixture) -> Value {
    app.get("/api/v1/followup/settings", Some(&clinic.owner_token))
        .await
        .expect_status(200)
        .json()
}

/// Saves a country and a zone through the owner's settings page.
async fn save_settings(owner: &mut Browser, country: &str, time_zone: &str) -> u16 {
    let csrf = owner.get("/settings").await.expect(200).csrf();
    owner
        .post(
            "/settings",
            &[
                ("csrf_token", &csrf),
                ("country", country),
                ("time_zone", time_zone),
            ],
        )
        .await
        .status
}

/// The full follow-up settings the API takes, with a country field.
fn api_settings(country: Option<Value>) -> Value {
    let mut body = json!({
        "plan_hours": [6, 24, 72],
        "reminder_count": 1,
        "reminder_delay_minutes": 240,
        "invitation_expiry_hours": 24,
        "quiet_from": "21:00",
        "quiet_until": "08:00",
        "time_zone": "America/New_York",
        "escalation_minutes": null,
        "client_channel": "email"
    });
    if let Some(country) = country {
        body["country"] = country;
    }
    body
}

async fn put_settings(app: &TestApp, token: &str, body: &Value) -> crate::helpers::Reply {
    crate::helpers::Reply::of(
        app.request(
            reqwest::Method::PUT,
            "/api/v1/followup/settings",
            Some(token),
        )
        .json(body),
    )
    .await
}

#[tokio::test]
async fn the_owner_sets_the_country_and_zone_and_a_therapist_cannot() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Settings Clinic").await;
        let mut owner = owner_browser(app, &clinic).await;
        let dashboard = owner.get("/dashboard").await.expect(200);
        assert!(dashboard.text.contains(r#"href="/settings""#));
        let page = owner.get("/settings").await.expect(200);
        assert!(
            page.text
                .contains(r#"<option value="GB">United Kingdom</option>"#)
        );
        assert_eq!(save_settings(&mut owner, "GB", "Europe/London").await, 303);
        let saved = owner.get("/settings?saved=1").await.expect(200);
        assert!(saved.text.contains("Settings saved."));
        assert!(saved.text.contains(r#"<option value="GB" selected>"#));
        assert!(saved.text.contains(r#"value="Europe/London""#));
        let settings = settings_of(app, &clinic).await;
        assert_eq!(settings["country"], "GB");
        assert_eq!(settings["time_zone"], "Europe/London");
        // The other settings were kept as they were.
        assert_eq!(settings["plan_hours"], json!([6, 24, 72, 168]));

        let hash = aftercare_server::web::password_hash(PASSWORD).expect("a hash");
        app.store
            .set_password_hash(
                &ClinicId::parse(&clinic.id).expect("clinic id"),
                &PractitionerId::parse(&clinic.therapist_id).expect("therapist id"),
                &hash,
            )
            .await
            .expect("set the password");
        let mut therapist = Browser::new(app);
        therapist
            .sign_in("therapist@settings-clinic.test", PASSWORD)
            .await
            .expect(303);
        let dashboard = therapist.get("/dashboard").await.expect(200);
        assert!(!dashboard.text.contains(r#"href="/settings""#));
        therapist.get("/settings").await.expect(403);
        let csrf = dashboard.csrf();
        therapist
            .post(
                "/settings",
                &[
                    ("csrf_token", &csrf),
                    ("country", "US"),
                    ("time_zone", "America/Chicago"),
                ],
            )
            .await
            .expect(403);
        let api = put_settings(
            app,
            &clinic.therapist_token,
            &api_settings(Some(json!("US"))),
        )
        .await;
        assert_eq!(api.status, 403);
        assert_eq!(settings_of(app, &clinic).await, settings);
    })
    .await;
}

#[tokio::test]
async fn a_bad_zone_or_country_names_its_field_and_changes_nothing() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Careful Clinic").await;
        let mut owner = owner_browser(app, &clinic).await;
        assert_eq!(save_settings(&mut owner, "DE", "Europe/Berlin").await, 303);
        let before = settings_of(app, &clinic).await;
        let csrf = owner.get("/settings").await.expect(200).csrf();
        for (country, zone, field) in [
            ("XX", "Europe/London", "country"),
            ("GB", "Europe/Londres", "time_zone"),
            ("GB", "", "time_zone"),
            ("<b>", "../../etc/passwd", "country"),
        ] {
            let refused = owner
                .post(
                    "/settings",
                    &[
                        ("csrf_token", &csrf),
                        ("country", country),
                        ("time_zone", zone),
                    ],
                )
                .await
                .expect(422);
            assert!(
                refused.text.contains(&format!(r#"id="{field}-error""#)),
                "{country} {zone}: {}",
                refused.text
            );
            assert!(!refused.text.contains("<b>"), "what was typed is escaped");
            assert_eq!(settings_of(app, &clinic).await, before, "{country} {zone}");
        }

        // The API: a country it does not know is a field error; left out,
        // the country is kept; null clears it.
        let token = &clinic.owner_token;
        put_settings(app, token, &api_settings(Some(json!("Narnia"))))
            .await
            .field_problem(422, "country");
        assert_eq!(settings_of(app, &clinic).await, before);
        let kept = put_settings(app, token, &api_settings(None))
            .await
            .expect_status(200)
            .json();
        assert_eq!(kept["country"], "DE");
        assert_eq!(kept["time_zone"], "America/New_York");
        let cleared = put_settings(app, token, &api_settings(Some(Value::Null)))
            .await
            .expect_status(200)
            .json();
        assert_eq!(cleared["country"], Value::Null);
        let set = put_settings(app, token, &api_settings(Some(json!("us"))))
            .await
            .expect_status(200)
            .json();
        assert_eq!(set["country"], "US");
    })
    .await;
}

#[tokio::test]
async fn a_treatment_time_is_typed_and_shown_in_the_clinic_zone() {
    let settings = ServerSettings {
        // The test's treatment is months old: its link must still be good.
        link_lifetime_days: 3650,
        ..ServerSettings::default()
    };
    on_every_backend_with(settings, async |app: &TestApp| {
        let clinic = app.clinic("London Clinic").await;
        let mut owner = owner_browser(app, &clinic).await;
        assert_eq!(save_settings(&mut owner, "GB", "Europe/London").await, 303);
        let client = app
            .post(
                "/api/v1/clients",
                Some(&clinic.owner_token),
                &json!({ "name": "Lee London", "follow_up_consent": true }),
            )
            .await
            .expect_status(201)
            .json();
        let client_page = format!("/clients/{}", client["id"].as_str().expect("client id"));
        let form = owner
            .get(&format!("{client_page}/treatments/new"))
            .await
            .expect(200);
        assert!(
            form.text.contains("When (Europe/London time)"),
            "{}",
            form.text
        );
        assert!(!form.text.contains("UTC"));

        // 01:30 on 29 March 2026 did not happen in London: the clocks went
        // from 01:00 to 02:00.
        let skipped = owner
            .post(
                &format!("{client_page}/treatments"),
                &[
                    ("csrf_token", &form.csrf()),
                    ("at", "2026-03-29T01:30"),
                    ("modality", "swedish"),
                ],
            )
            .await
            .expect(422);
        assert!(skipped.text.contains(r#"id="at-error""#));
        assert!(skipped.text.contains("the clocks went forward"));
        assert!(skipped.text.contains(r#"value="2026-03-29T01:30""#));

        let recorded = owner
            .post(
                &format!("{client_page}/treatments"),
                &[
                    ("csrf_token", &form.csrf()),
                    ("at", "2026-07-01T10:00"),
                    ("modality", "swedish"),
                ],
            )
            .await
            .expect(303);
        let course_page = recorded.header("location").expect("location").to_owned();
        let id = course_page.strip_prefix("/treatments/").expect("an id");
        let stored = app
            .get(
                &format!("/api/v1/treatments/{id}"),
                Some(&clinic.owner_token),
            )
            .await
            .expect_status(200)
            .json();
        let at = stored["treatment"]["at"].as_str().expect("a time");
        assert!(at.starts_with("2026-07-01T09:00:00"), "{at}");
        // Only the one treatment was stored, not the refused one.
        let all = app
            .get(
                &format!(
                    "/api/v1/treatments?client_id={}",
                    client["id"].as_str().expect("id")
                ),
                Some(&clinic.owner_token),
            )
            .await
            .expect_status(200)
            .json();
        assert_eq!(all["items"].as_array().map(Vec::len), Some(1), "{all}");

        let course = owner.get(&course_page).await.expect(200);
        assert!(
            course.text.contains("Wed 1 Jul 2026, 10:00 BST"),
            "{}",
            course.text
        );
        assert!(!course.text.contains("09:00"));
        // The client's check-in page says when the treatment was, in the
        // clinic's zone too.
        let marker = r#"id="client-link" class="link-box">"#;
        let start = course.text.find(marker).expect("the client link") + marker.len();
        let end = start + course.text[start..].find('<').expect("the link's end");
        let link = course.text[start..end]
            .strip_prefix(&app.address)
            .expect("a link to this service");
        let checkin = Browser::new(app).get(link).await.expect(200);
        assert!(
            checkin.text.contains("Wed 1 Jul 2026, 10:00 BST"),
            "{}",
            checkin.text
        );
        let listed = owner.get(&client_page).await.expect(200);
        assert!(listed.text.contains("Wed 1 Jul 2026, 10:00 BST"));
        let edit = owner.get(&format!("{course_page}/edit")).await.expect(200);
        assert!(
            edit.text.contains(r#"value="2026-07-01T10:00""#),
            "{}",
            edit.text
        );
        assert!(edit.text.contains("When (Europe/London time)"));
    })
    .await;
}

/// The answer a client of `clinic` gets for chest pain.
async fn emergency_answer(app: &TestApp, clinic: &ClinicFixture) -> String {
    let treatment = app.treatment(clinic, 20).await;
    let path = format!("/c/{}", treatment.link_token);
    let mut client = Browser::new(app);
    let csrf = client.get(&path).await.expect(200).csrf();
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("symptom", "chest_pain"),
        ("chest_pain.severity", "moderate"),
    ];
    client.post(&path, &fields).await.expect(200).text
}

#[tokio::test]
async fn an_emergency_answer_gives_the_number_of_the_clinic_country() {
    on_every_backend(async |app: &TestApp| {
        let nowhere = app.clinic("Nowhere Clinic").await;
        let answer = emergency_answer(app, &nowhere).await;
        assert!(
            answer.contains("Call your local emergency number now."),
            "{answer}"
        );
        let list = answer
            .find("Emergency numbers by country")
            .unwrap_or_else(|| panic!("the numbers of every known country: {answer}"));
        assert!(
            !answer[..list].contains("tel:"),
            "no number is guessed without a country: {answer}"
        );

        let london = app.clinic("Britain Clinic").await;
        let mut owner = owner_browser(app, &london).await;
        assert_eq!(save_settings(&mut owner, "GB", "Europe/London").await, 303);
        let answer = emergency_answer(app, &london).await;
        let call = answer
            .find(r#"<a class="call" href="tel:999">Call 999</a> now."#)
            .unwrap_or_else(|| panic!("999 as a link: {answer}"));
        let heading = answer.find("<h1").expect("a heading");
        assert!(heading < call, "the heading comes first");
        let reasons = answer.find(r#"class="reasons""#).expect("the reasons");
        assert!(call < reasons, "the number comes before the why");
        assert!(
            !answer.contains("Emergency numbers by country"),
            "the clinic's own number alone: {answer}"
        );

        let boston = app.clinic("Boston Clinic").await;
        let mut owner = owner_browser(app, &boston).await;
        assert_eq!(
            save_settings(&mut owner, "US", "America/New_York").await,
            303
        );
        let answer = emergency_answer(app, &boston).await;
        assert!(answer.contains(r#"href="tel:911""#), "{answer}");
        assert!(!answer.contains("tel:999"));
    })
    .await;
}
