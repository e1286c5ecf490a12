//! The web pages over real HTTP, on every backend: sign-in, form tokens,
//! clinic scoping, the check-in form, the dashboard, the chart, the doctor
//! summary, the self-check, and the headers and weight of pages.

use aftercare_core::Guideline;
use aftercare_server::{AppState, ServerSettings};
use aftercare_store::{AlertId, ClientId, ClinicId, PageRequest, PractitionerId};
use serde_json::json;

use crate::helpers::{
    ClinicFixture, CookieJar, TestApp, on_every_backend, on_every_backend_with_store,
};
use crate::{checkin, chest_pain, fever, mild_soreness};

/// The password every test account gets.
pub(crate) const PASSWORD: &str = "correct horse battery staple";
/// The policy every page must carry.
const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A browser without a browser: keeps cookies, never follows redirects.
pub(crate) struct Browser {
    address: String,
    http: reqwest::Client,
    pub(crate) cookies: CookieJar,
}

/// A page as answered.
#[derive(Debug)]
pub(crate) struct Page {
    pub(crate) status: u16,
    headers: reqwest::header::HeaderMap,
    pub(crate) text: String,
}

impl Page {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    #[track_caller]
    pub(crate) fn expect(self, status: u16) -> Page {
        assert_eq!(
            self.status, status,
            "unexpected status; page: {}",
            self.text
        );
        self
    }

    /// The value of the first hidden `csrf_token` field.
    #[track_caller]
    pub(crate) fn csrf(&self) -> String {
        let marker = r#"name="csrf_token" value=""#;
        let start = self.text.find(marker).expect("a form token on the page") + marker.len();
        let end = self.text[start..].find('"').expect("the end of the token") + start;
        self.text[start..end].to_owned()
    }

    /// How often `needle` occurs in the page.
    pub(crate) fn count(&self, needle: &str) -> usize {
        self.text.matches(needle).count()
    }
}

impl Browser {
    pub(crate) fn new(app: &TestApp) -> Browser {
        Browser::at(&app.address)
    }

    /// A browser for the service at `address`.
    pub(crate) fn at(address: &str) -> Browser {
        Browser {
            address: address.to_owned(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("an HTTP client"),
            cookies: CookieJar::default(),
        }
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Page {
        let response = self
            .cookies
            .attach(request)
            .send()
            .await
            .expect("the service answers");
        self.cookies.absorb(response.headers());
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a body");
        Page {
            status,
            headers,
            text,
        }
    }

    pub(crate) async fn get(&mut self, path: &str) -> Page {
        let request = self.http.get(format!("{}{path}", self.address));
        self.send(request).await
    }

    pub(crate) async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let request = self
            .http
            .post(format!("{}{path}", self.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(request).await
    }

    /// Signs in through the login form.
    pub(crate) async fn sign_in(&mut self, email: &str, password: &str) -> Page {
        let form = self.get("/login").await.expect(200);
        let csrf = form.csrf();
        self.post(
            "/login",
            &[
                ("csrf_token", &csrf),
                ("email", email),
                ("password", password),
            ],
        )
        .await
    }
}

/// Gives a clinic's owner the test password.
async fn set_owner_password(app: &TestApp, clinic: &ClinicFixture) {
    let hash = aftercare_server::web::password_hash(PASSWORD).expect("a hash");
    app.store
        .set_password_hash(
            &ClinicId::parse(&clinic.id).expect("clinic id"),
            &PractitionerId::parse(&clinic.owner_id).expect("owner id"),
            &hash,
        )
        .await
        .expect("set the password");
}

/// A signed-in browser for a clinic's owner.
pub(crate) async fn owner_browser(app: &TestApp, clinic: &ClinicFixture) -> Browser {
    set_owner_password(app, clinic).await;
    let mut browser = Browser::new(app);
    let email = format!(
        "owner@{}.test",
        clinic.name.to_lowercase().replace(' ', "-")
    );
    let answer = browser.sign_in(&email, PASSWORD).await.expect(303);
    assert_eq!(answer.header("location"), Some("/dashboard"));
    browser
}

/// How many clients the clinic has.
async fn client_count(app: &TestApp, clinic: &ClinicFixture) -> usize {
    app.store
        .list_clients(
            &ClinicId::parse(&clinic.id).expect("clinic id"),
            &PageRequest::default(),
        )
        .await
        .expect("list clients")
        .items
        .len()
}

/// How many check-ins a link's course has.
async fn checkin_count(app: &TestApp, link_path: &str) -> usize {
    app.get(link_path, None).await.expect_status(200).json()["checkins"]
        .as_array()
        .expect("check-ins")
        .len()
}

#[tokio::test]
async fn the_setup_link_creates_the_clinic_once_and_signs_the_owner_in() {
    on_every_backend(async |app: &TestApp| {
        let state = AppState::new(
            app.store.clone(),
            Guideline::shipped(),
            ServerSettings {
                public_url: app.address.clone(),
                ..ServerSettings::default()
            },
        );
        let link = aftercare_server::web::first_run_setup_link(&state)
            .await
            .expect("store")
            .expect("a link on an empty database");
        let path = link
            .strip_prefix(&app.address)
            .expect("a link to this service");
        assert!(path.starts_with("/setup/acs_"), "{path}");

        let mut browser = Browser::new(app);
        let form = browser.get(path).await.expect(200);
        let csrf = form.csrf();
        // A short password is refused next to its field, the rest kept.
        let refused = browser
            .post(
                path,
                &[
                    ("csrf_token", &csrf),
                    ("clinic_name", "Harbour Massage"),
                    ("name", "Robin Owner"),
                    ("email", "robin@harbour.test"),
                    ("password", "short"),
                ],
            )
            .await
            .expect(422);
        assert!(
            refused.text.contains(r#"id="password-error""#),
            "{}",
            refused.text
        );
        assert!(refused.text.contains(r#"value="Harbour Massage""#));
        assert!(app.store.clinics().await.expect("clinics").is_empty());

        let done = browser
            .post(
                path,
                &[
                    ("csrf_token", &csrf),
                    ("clinic_name", "Harbour Massage"),
                    ("name", "Robin Owner"),
                    ("email", "robin@harbour.test"),
                    ("password", PASSWORD),
                ],
            )
            .await
            .expect(303);
        assert_eq!(done.header("location"), Some("/dashboard"));
        let dashboard = browser.get("/dashboard").await.expect(200);
        assert!(dashboard.text.contains("Harbour Massage"));

        // Used once: gone for good, and no second clinic is made.
        Browser::new(app).get(path).await.expect(404);
        let mut other = Browser::new(app);
        let csrf = other.get("/login").await.csrf();
        other
            .post(
                path,
                &[
                    ("csrf_token", &csrf),
                    ("clinic_name", "Second"),
                    ("name", "Someone"),
                    ("email", "someone@second.test"),
                    ("password", PASSWORD),
                ],
            )
            .await
            .expect(404);
        assert_eq!(app.store.clinics().await.expect("clinics").len(), 1);
        assert!(
            aftercare_server::web::first_run_setup_link(&state)
                .await
                .expect("store")
                .is_none(),
            "no setup link once a clinic exists"
        );
        // And the owner can sign in with the password chosen.
        Browser::new(app)
            .sign_in("robin@harbour.test", PASSWORD)
            .await
            .expect(303);
    })
    .await;
}

#[tokio::test]
async fn sign_in_accepts_the_right_password_and_refuses_a_wrong_one() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Login Clinic").await;
        set_owner_password(app, &clinic).await;
        let mut stranger = Browser::new(app);
        stranger.get("/dashboard").await.expect(303);

        let wrong = stranger
            .sign_in("owner@login-clinic.test", "not the password")
            .await
            .expect(401);
        assert!(wrong.text.contains("do not match"), "{}", wrong.text);
        assert!(
            wrong.text.contains(r#"value="owner@login-clinic.test""#),
            "the email typed is kept"
        );
        assert!(!stranger.cookies.contains_key("ac_session"));
        let unknown = stranger
            .sign_in("nobody@login-clinic.test", PASSWORD)
            .await
            .expect(401);
        assert!(unknown.text.contains("do not match"));

        let mut owner = Browser::new(app);
        let accepted = owner
            .sign_in("OWNER@login-clinic.test", PASSWORD)
            .await
            .expect(303);
        let cookie = accepted
            .headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find(|value| value.starts_with("ac_session="))
            .expect("a session cookie")
            .to_owned();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
        owner.get("/dashboard").await.expect(200);

        // Signing out ends the session on the server, not only the cookie.
        let session = owner.cookies.get("ac_session").cloned().expect("session");
        let csrf = owner.get("/dashboard").await.csrf();
        owner
            .post("/logout", &[("csrf_token", &csrf)])
            .await
            .expect(303);
        let mut replay = Browser::new(app);
        replay.cookies.insert("ac_session".to_owned(), session);
        replay.get("/dashboard").await.expect(303);
    })
    .await;
}

#[tokio::test]
async fn repeated_failed_sign_ins_are_slowed_down() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Guess Clinic").await;
        set_owner_password(app, &clinic).await;
        let mut guesser = Browser::new(app);
        for attempt in 0..5 {
            guesser
                .sign_in("owner@guess-clinic.test", &format!("guess {attempt}"))
                .await
                .expect(401);
        }
        // Even the right password waits now.
        let slowed = guesser
            .sign_in("owner@guess-clinic.test", PASSWORD)
            .await
            .expect(429);
        let retry: u64 = slowed
            .header("retry-after")
            .expect("Retry-After")
            .parse()
            .expect("seconds");
        assert!((1..=15 * 60).contains(&retry), "{retry}");
        // Another account is not affected.
        let other = app.clinic("Other Clinic").await;
        set_owner_password(app, &other).await;
        Browser::new(app)
            .sign_in("owner@other-clinic.test", PASSWORD)
            .await
            .expect(303);
        // After the window, the right password works again.
        app.advance_clock(std::time::Duration::from_secs(16 * 60));
        Browser::new(app)
            .sign_in("owner@guess-clinic.test", PASSWORD)
            .await
            .expect(303);
        // Guessing across many emails from one address is slowed too.
        for attempt in 0..20 {
            Browser::new(app)
                .sign_in(&format!("guess{attempt}@guess-clinic.test"), "guess")
                .await
                .expect(401);
        }
        Browser::new(app)
            .sign_in("owner@other-clinic.test", PASSWORD)
            .await
            .expect(429);
    })
    .await;
}

#[tokio::test]
async fn forms_without_the_right_token_are_refused_and_change_nothing() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Token Clinic").await;
        let mut owner = owner_browser(app, &clinic).await;
        let csrf = owner.get("/clients").await.expect(200).csrf();
        for fields in [
            vec![("name", "No Token")],
            vec![("csrf_token", "wrong"), ("name", "Wrong Token")],
            vec![("csrf_token", ""), ("name", "Empty Token")],
        ] {
            let refused = owner.post("/clients", &fields).await.expect(403);
            assert!(refused.text.contains("security token"), "{}", refused.text);
        }
        assert_eq!(client_count(app, &clinic).await, 0);
        owner
            .post("/clients", &[("csrf_token", &csrf), ("name", "With Token")])
            .await
            .expect(303);
        assert_eq!(client_count(app, &clinic).await, 1);

        // Pages without a session: the form token must match the cookie.
        let treatment = app.treatment(&clinic, 10).await;
        let path = format!("/c/{}", treatment.link_token);
        let mut client = Browser::new(app);
        client.get(&path).await.expect(200);
        client
            .post(&path, &[("csrf_token", "forged"), ("symptom", "soreness")])
            .await
            .expect(403);
        let mut cookieless = Browser::new(app);
        cookieless
            .post(&path, &[("csrf_token", "forged"), ("symptom", "soreness")])
            .await
            .expect(403);
        assert_eq!(checkin_count(app, &treatment.link_path("course")).await, 0);
    })
    .await;
}

#[tokio::test]
async fn a_therapist_cannot_open_another_clinics_pages_by_changing_ids() {
    on_every_backend(async |app: &TestApp| {
        let mine = app.clinic("Mine Clinic").await;
        let theirs = app.clinic("Theirs Clinic").await;
        let their_treatment = app.treatment(&theirs, 40).await;
        app.post(
            &their_treatment.link_path("checkins"),
            None,
            &checkin(their_treatment.at, 36, &fever()),
        )
        .await
        .expect_status(201);
        let their_alert = app
            .get("/api/v1/alerts", Some(&theirs.owner_token))
            .await
            .expect_status(200)
            .json()["items"][0]["id"]
            .as_str()
            .expect("an alert")
            .to_owned();

        let mut browser = owner_browser(app, &mine).await;
        for path in [
            format!("/clients/{}", their_treatment.client_id),
            format!("/clients/{}/treatments/new", their_treatment.client_id),
            format!("/treatments/{}", their_treatment.id),
            format!("/treatments/{}/summary", their_treatment.id),
            format!("/treatments/{}/summary.pdf", their_treatment.id),
            "/treatments/not-an-id".to_owned(),
        ] {
            let page = browser.get(&path).await;
            assert_eq!(page.status, 404, "{path}: {}", page.text);
            assert!(!page.text.contains("Casey Client"), "{path}");
        }
        let csrf = browser.get("/dashboard").await.csrf();
        browser
            .post(
                &format!("/alerts/{their_alert}/acknowledge"),
                &[("csrf_token", &csrf)],
            )
            .await
            .expect(404);
        browser
            .post(
                &format!("/clients/{}/treatments", their_treatment.client_id),
                &[("csrf_token", &csrf), ("modality", "swedish")],
            )
            .await
            .expect(404);
        let open = app
            .store
            .dashboard_alerts(&ClinicId::parse(&theirs.id).expect("id"), 10, 0)
            .await
            .expect("alerts");
        assert_eq!(open.len(), 1, "their alert is still open");
        assert_eq!(open[0].alert.id, AlertId::parse(&their_alert).expect("id"));
        let treatments = app
            .store
            .list_treatments(
                &ClinicId::parse(&theirs.id).expect("id"),
                Some(&ClientId::parse(&their_treatment.client_id).expect("id")),
                &PageRequest::default(),
            )
            .await
            .expect("treatments");
        assert_eq!(treatments.items.len(), 1, "no treatment was added");
        // Their dashboard is not mine.
        let dashboard = browser.get("/dashboard").await.expect(200);
        assert!(dashboard.text.contains(r#"id="no-alerts""#));
    })
    .await;
}

#[tokio::test]
async fn recording_a_treatment_shows_the_client_link_and_a_qr_code_once() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Record Clinic").await;
        let mut owner = owner_browser(app, &clinic).await;
        let csrf = owner.get("/clients").await.expect(200).csrf();
        let added = owner
            .post(
                "/clients",
                &[
                    ("csrf_token", &csrf),
                    ("name", "Jo <script>alert(1)</script>"),
                    ("email", "jo@example.org"),
                    ("follow_up_consent", "yes"),
                ],
            )
            .await
            .expect(303);
        let client_page = added
            .header("location")
            .expect("the client's page")
            .to_owned();
        let shown = owner.get(&client_page).await.expect(200);
        assert!(
            shown
                .text
                .contains("Jo &lt;script&gt;alert(1)&lt;/script&gt;"),
            "names are escaped"
        );
        assert!(!shown.text.contains("<script>"));

        let form = owner
            .get(&format!("{client_page}/treatments/new"))
            .await
            .expect(200);
        let refused = owner
            .post(
                &format!("{client_page}/treatments"),
                &[
                    ("csrf_token", &form.csrf()),
                    ("modality", "deep_tissue"),
                    ("duration_min", "9000"),
                ],
            )
            .await
            .expect(422);
        assert!(refused.text.contains(r#"id="duration_min-error""#));
        assert!(
            refused.text.contains(r#"value="9000""#),
            "what was typed is kept"
        );

        let recorded = owner
            .post(
                &format!("{client_page}/treatments"),
                &[
                    ("csrf_token", &form.csrf()),
                    ("modality", "deep_tissue"),
                    ("pressure", "firm"),
                    ("duration_min", "60"),
                    ("regions", "calves"),
                    ("regions", "lower_back"),
                ],
            )
            .await
            .expect(303);
        let treatment_page = recorded.header("location").expect("location").to_owned();
        assert!(treatment_page.starts_with("/treatments/"));
        let page = owner.get(&treatment_page).await.expect(200);
        let marker = r#"id="client-link" class="link-box">"#;
        let start = page.text.find(marker).expect("the client link") + marker.len();
        let url = &page.text[start..start + page.text[start..].find('<').expect("end")];
        assert!(url.starts_with(&format!("{}/c/acl_", app.address)), "{url}");
        assert!(
            page.text.contains("data:image/svg+xml;base64,"),
            "a QR code"
        );
        // The link opens the client's check-in form.
        let path = url.strip_prefix(&app.address).expect("path");
        Browser::new(app).get(path).await.expect(200);
        // Once the cookie is gone, the link is never shown again.
        owner.cookies.remove("ac_new_link");
        let later = owner.get(&treatment_page).await.expect(200);
        assert!(!later.text.contains("client-link"));
    })
    .await;
}

#[tokio::test]
async fn a_check_in_form_with_a_wrong_answer_shows_the_error_by_the_field_and_keeps_what_was_typed()
{
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Form Clinic").await;
        let treatment = app.treatment(&clinic, 20).await;
        let path = format!("/c/{}", treatment.link_token);
        let mut client = Browser::new(app);
        let csrf = client.get(&path).await.expect(200).csrf();
        let refused = client
            .post(
                &path,
                &[
                    ("csrf_token", &csrf),
                    ("symptom", "soreness"),
                    ("soreness.severity", "moderate"),
                    ("sleep_hours", "lots"),
                    ("twitching.frequency", "sometimes"),
                    ("note", "stiff < sore"),
                ],
            )
            .await
            .expect(422);
        let field = refused.text.find(r#"id="sleep_hours""#).expect("the field");
        let error = refused
            .text
            .find(r#"id="sleep_hours-error""#)
            .expect("its error");
        assert!(
            error > field && error - field < 600,
            "the error is right after the field"
        );
        assert!(
            refused.text.contains(r#"value="lots""#),
            "what was typed is kept"
        );
        assert!(refused.text.contains("from 0 to 24"));
        assert!(refused.text.contains(r#"id="twitching-frequency-error""#));
        assert!(
            refused.text.contains(r#"value="moderate" selected"#),
            "answers are kept"
        );
        assert!(refused.text.contains("stiff &lt; sore"));
        assert_eq!(
            checkin_count(app, &treatment.link_path("course")).await,
            0,
            "nothing stored"
        );
    })
    .await;
}

#[tokio::test]
async fn a_check_in_through_the_form_is_stored_and_answered() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Answer Clinic").await;
        let treatment = app.treatment(&clinic, 20).await;
        let path = format!("/c/{}", treatment.link_token);
        let mut client = Browser::new(app);
        let form = client.get(&path).await.expect(200);
        // The one-page form's one-time id, as a saved page sends it.
        let submission = "a-saved-form-1".to_owned();
        let fields = [
            ("csrf_token", form.csrf()),
            ("submission", submission),
            ("symptom", "soreness".to_owned()),
            ("soreness.severity", "mild".to_owned()),
            ("soreness.regions", "calves".to_owned()),
            ("sleep_hours", "7,5".to_owned()),
        ];
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let answer = client.post(&path, &fields).await.expect(200);
        assert!(answer.text.contains(r#"id="decision""#));
        assert!(
            answer.text.contains(r#"data-level="expected""#),
            "{}",
            answer.text
        );
        // No reminder can be sent here (no email, no webhook): none is promised.
        assert!(
            answer
                .text
                .contains("Check in again with your link in about")
        );
        assert!(answer.text.contains("not a diagnosis"));
        // Sent twice (a reload): stored once.
        client.post(&path, &fields).await.expect(200);
        let course = app
            .get(&treatment.link_path("course"), None)
            .await
            .expect_status(200)
            .json();
        assert_eq!(course["checkins"].as_array().map(Vec::len), Some(1));
        assert_eq!(
            course["checkins"][0]["checkin"]["symptoms"][0],
            json!({ "kind": "soreness", "severity": "mild", "regions": ["calves"] })
        );
        assert_eq!(
            course["checkins"][0]["checkin"]["context"]["sleep_hours"],
            7.5
        );
        // The course page shows it.
        let own = client.get(&format!("{path}/course")).await.expect(200);
        assert!(own.text.contains(r#"<svg id="timeline""#));
        assert!(own.text.contains("Soreness"));
    })
    .await;
}

#[tokio::test]
async fn a_check_in_form_over_the_hourly_cap_gets_a_calm_page_not_an_error() {
    let options = aftercare_store::StoreOptions {
        checkin_limits: aftercare_store::CheckinLimits {
            per_course: 200,
            per_link_per_hour: 2,
        },
        ..aftercare_store::StoreOptions::default()
    };
    on_every_backend_with_store(ServerSettings::default(), options, async |app: &TestApp| {
        let clinic = app.clinic("Capped Form Clinic").await;
        let treatment = app.treatment(&clinic, 20).await;
        let path = format!("/c/{}", treatment.link_token);
        let mut client = Browser::new(app);
        let mut statuses = Vec::new();
        for _ in 0..3 {
            // A fresh form each time: a new sending, not a resend.
            let form = client.get(&path).await.expect(200);
            let fields = [
                ("csrf_token", form.csrf()),
                ("symptom", "soreness".to_owned()),
                ("soreness.severity", "mild".to_owned()),
            ];
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let answer = client.post(&path, &fields).await;
            statuses.push(answer.status);
            if answer.status == 429 {
                assert!(answer.header("retry-after").is_some());
                assert!(answer.text.contains("emergency number"), "{}", answer.text);
            }
        }
        assert_eq!(statuses, [200, 200, 429]);
        assert_eq!(checkin_count(app, &treatment.link_path("course")).await, 2);
    })
    .await;
}

#[tokio::test]
async fn an_emergency_answer_shows_the_instruction_before_anything_else() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Emergency Clinic").await;
        let treatment = app.treatment(&clinic, 20).await;
        let path = format!("/c/{}", treatment.link_token);
        let mut client = Browser::new(app);
        let csrf = client.get(&path).await.expect(200).csrf();
        let answer = client
            .post(
                &path,
                &[
                    ("csrf_token", &csrf),
                    ("symptom", "chest_pain"),
                    ("chest_pain.severity", "moderate"),
                ],
            )
            .await
            .expect(200);
        let main =
            answer.text.find(r#"<main id="main">"#).expect("main") + r#"<main id="main">"#.len();
        let rest = &answer.text[main..];
        assert!(
            rest.starts_with(r#"<section id="decision" class="decision" data-level="emergency""#),
            "{rest}"
        );
        let heading = rest.find("<h1").expect("a heading");
        let first_text = rest[heading..].find('>').expect("tag end") + heading + 1;
        assert!(
            rest[first_text..].starts_with("Emergency: call your local emergency number now"),
            "{}",
            &rest[first_text..first_text + 80]
        );
        // No other text comes before the heading.
        assert!(!rest[..heading].contains("</p>"));
        // The therapist sees the alert on top.
        let mut owner = owner_browser(app, &clinic).await;
        let dashboard = owner.get("/dashboard").await.expect(200);
        assert!(
            dashboard
                .text
                .contains(r#"class="alert" data-level="emergency""#)
        );
    })
    .await;
}

#[tokio::test]
async fn the_dashboard_lists_open_alerts_by_level_then_age_and_acknowledges_them() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Order Clinic").await;
        let older_fever = app.treatment(&clinic, 40).await;
        let emergency = app.treatment(&clinic, 40).await;
        let newer_fever = app.treatment(&clinic, 40).await;
        for (treatment, symptoms) in [
            (&older_fever, fever()),
            (&emergency, chest_pain()),
            (&newer_fever, fever()),
        ] {
            app.post(
                &treatment.link_path("checkins"),
                None,
                &checkin(treatment.at, 36, &symptoms),
            )
            .await
            .expect_status(201);
            app.advance_clock(std::time::Duration::from_secs(60));
        }
        let mut owner = owner_browser(app, &clinic).await;
        let dashboard = owner.get("/dashboard").await.expect(200);
        let order: Vec<(usize, &str)> = [
            (&emergency, "emergency"),
            (&older_fever, "see_doctor"),
            (&newer_fever, "see_doctor"),
        ]
        .iter()
        .map(|(treatment, level)| {
            let at = dashboard
                .text
                .find(&format!(r#"href="/treatments/{}""#, treatment.id))
                .expect("each alert is listed");
            (at, *level)
        })
        .collect();
        assert!(
            order.windows(2).all(|pair| pair[0].0 < pair[1].0),
            "{order:?}"
        );
        assert_eq!(dashboard.count(r#"class="alert""#), 3);
        let levels: Vec<&str> = dashboard
            .text
            .match_indices(r#"class="alert" data-level=""#)
            .map(|(at, marker)| {
                let start = at + marker.len();
                &dashboard.text[start..start + dashboard.text[start..].find('"').expect("end")]
            })
            .collect();
        assert_eq!(levels, ["emergency", "see_doctor", "see_doctor"]);

        // Acknowledge the first: it leaves the list.
        let marker = r#"action="/alerts/"#;
        let start = dashboard.text.find(marker).expect("an acknowledge form") + marker.len();
        let action = format!(
            "/alerts/{}",
            &dashboard.text[start..start + dashboard.text[start..].find('"').expect("end")]
        );
        assert!(dashboard.text.contains(">Acknowledge</button>"));
        owner
            .post(&action, &[("csrf_token", &dashboard.csrf())])
            .await
            .expect(303);
        let after = owner.get("/dashboard").await.expect(200);
        assert_eq!(after.count(r#"class="alert""#), 2);
        assert!(!after.text.contains(r#"data-level="emergency""#));
    })
    .await;
}

#[tokio::test]
async fn the_timeline_has_one_series_per_symptom_and_the_summary_prints_and_downloads() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Chart Clinic").await;
        let treatment = app.treatment(&clinic, 60).await;
        let twitch_and_sore = json!([
            { "kind": "twitching", "severity": "mild", "regions": ["calves"] },
            { "kind": "soreness", "severity": "moderate" }
        ]);
        for (hours, symptoms) in [(6, twitch_and_sore), (30, mild_soreness()), (50, fever())] {
            app.post(
                &treatment.link_path("checkins"),
                None,
                &checkin(treatment.at, hours, &symptoms),
            )
            .await
            .expect_status(201);
        }
        let mut owner = owner_browser(app, &clinic).await;
        let page = owner
            .get(&format!("/treatments/{}", treatment.id))
            .await
            .expect(200);
        assert_eq!(page.count(r#"<svg id="timeline""#), 1);
        assert_eq!(
            page.count(r#"class="series""#),
            3,
            "twitching, soreness, fever"
        );
        for kind in ["twitching", "soreness", "fever"] {
            assert_eq!(
                page.count(&format!(r#"data-symptom="{kind}""#)),
                1,
                "{kind}"
            );
        }
        assert_eq!(
            page.count(r#"class="marker""#),
            3,
            "one marker per decision"
        );
        assert!(page.text.contains("Hours since the treatment"));

        let summary = owner
            .get(&format!("/treatments/{}/summary", treatment.id))
            .await
            .expect(200);
        assert!(summary.text.contains(r#"<svg id="timeline""#));
        assert!(
            summary.text.contains("(guidance G"),
            "the rules' sources are listed, in words with their ids"
        );
        assert!(summary.text.contains("Casey Client"));
        let pdf = owner
            .get(&format!("/treatments/{}/summary.pdf", treatment.id))
            .await
            .expect(200);
        assert_eq!(pdf.header("content-type"), Some("application/pdf"));
        assert!(pdf.text.starts_with("%PDF-"));
        if let Some(text) = crate::summary::summary_pdf_text(app, &clinic, &treatment.id).await {
            assert!(text.contains("Casey Client"), "{text}");
        }
    })
    .await;
}

#[tokio::test]
async fn a_self_check_answers_and_keeps_a_private_diary() {
    on_every_backend(async |app: &TestApp| {
        let mut person = Browser::new(app);
        let csrf = person.get("/self-check").await.expect(200).csrf();
        let refused = person
            .post(
                "/self-check",
                &[
                    ("csrf_token", &csrf),
                    ("hours_ago", "yesterday"),
                    ("modality", "sports"),
                ],
            )
            .await
            .expect(422);
        assert!(refused.text.contains(r#"id="hours_ago-error""#));
        assert!(refused.text.contains(r#"value="yesterday""#));
        let answer = person
            .post(
                "/self-check",
                &[
                    ("csrf_token", &csrf),
                    ("hours_ago", "20"),
                    ("modality", "sports"),
                    ("symptom", "soreness"),
                    ("soreness.severity", "mild"),
                ],
            )
            .await
            .expect(200);
        assert!(answer.text.contains(r#"id="decision""#));
        let marker = r#"id="diary-link" class="link-box">"#;
        let start = answer.text.find(marker).expect("a diary link") + marker.len();
        let url = &answer.text[start..start + answer.text[start..].find('<').expect("end")];
        let path = url
            .strip_prefix(&app.address)
            .expect("a link here")
            .to_owned();
        assert!(path.starts_with("/self-check/d/acd_"));
        let diary = person.get(&path).await.expect(200);
        assert_eq!(diary.count(r#"class="level""#), 1);
        person
            .post(
                &path,
                &[
                    ("csrf_token", &csrf),
                    ("symptom", "fever"),
                    ("fever.severity", "moderate"),
                ],
            )
            .await
            .expect(200);
        let diary = person.get(&path).await.expect(200);
        assert_eq!(diary.count(r#"class="level""#), 2);
        assert_eq!(diary.count(r#"class="series""#), 2);
        // A diary keeps at most 100 check-ins; the next is refused calmly.
        for _ in 2..100 {
            person
                .post(&path, &[("csrf_token", &csrf), ("symptom", "fatigue")])
                .await
                .expect(200);
        }
        let full = person
            .post(&path, &[("csrf_token", &csrf), ("symptom", "fatigue")])
            .await
            .expect(409);
        assert!(full.text.contains("full"), "{}", full.text);
        // No clinic sees it: nothing of it reaches any clinic's records.
        assert!(app.store.clinics().await.expect("clinics").is_empty());
        Browser::new(app)
            .get("/self-check/d/acd_guessed")
            .await
            .expect(404);
    })
    .await;
}

#[tokio::test]
async fn one_address_starts_at_most_twenty_self_checks_an_hour() {
    on_every_backend(async |app: &TestApp| {
        let mut person = Browser::new(app);
        let csrf = person.get("/self-check").await.expect(200).csrf();
        let fields = [
            ("csrf_token", csrf.as_str()),
            ("hours_ago", "20"),
            ("modality", "sports"),
            ("symptom", "soreness"),
            ("soreness.severity", "mild"),
        ];
        for _ in 0..20 {
            person.post("/self-check", &fields).await.expect(200);
        }
        let refused = person.post("/self-check", &fields).await.expect(429);
        assert!(refused.text.contains("emergency"), "{}", refused.text);
        let wait: u64 = refused
            .header("retry-after")
            .expect("Retry-After")
            .parse()
            .expect("seconds");
        assert!((3_000..=3_600).contains(&wait), "{wait}");
        // The refused one left no diary behind.
        assert!(!refused.text.contains("diary-link"));
    })
    .await;
}

#[tokio::test]
async fn pages_carry_their_security_headers_and_stay_light() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Header Clinic").await;
        let treatment = app.treatment(&clinic, 20).await;
        let mut owner = owner_browser(app, &clinic).await;
        let mut anyone = Browser::new(app);
        let mut pages = Vec::new();
        for path in ["/", "/login", "/self-check"] {
            pages.push((path.to_owned(), anyone.get(path).await.expect(200)));
        }
        pages.push((
            format!("/c/{}", treatment.link_token),
            anyone
                .get(&format!("/c/{}", treatment.link_token))
                .await
                .expect(200),
        ));
        for path in [
            "/dashboard".to_owned(),
            "/clients".to_owned(),
            format!("/treatments/{}", treatment.id),
            format!("/treatments/{}/summary", treatment.id),
        ] {
            let page = owner.get(&path).await.expect(200);
            pages.push((path, page));
        }
        pages.push((
            "/nowhere-page".to_owned(),
            owner.get("/treatments/x").await.expect(404),
        ));
        for (path, page) in &pages {
            assert_eq!(
                page.header("content-security-policy"),
                Some(PAGE_CSP),
                "{path}"
            );
            assert_eq!(
                page.header("x-content-type-options"),
                Some("nosniff"),
                "{path}"
            );
            assert_eq!(
                page.header("referrer-policy"),
                Some("no-referrer"),
                "{path}"
            );
            assert_eq!(page.header("cache-control"), Some("no-store"), "{path}");
            assert_eq!(
                page.header("content-type"),
                Some("text/html; charset=utf-8"),
                "{path}"
            );
            assert!(
                page.text.len() < 100 * 1024,
                "{path} weighs {} bytes",
                page.text.len()
            );
            assert!(!page.text.contains("style=\""), "{path}: no inline styles");
            assert!(!page.text.contains("<script"), "{path}: no scripts");
            assert!(page.text.contains(r#"href="/assets/app.css""#), "{path}");
        }
        let css = anyone.get("/assets/app.css").await.expect(200);
        assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
        assert!(css.text.contains("@media print"));
        // The API keeps its own strict policy.
        let api = app.get("/healthz", None).await;
        assert_eq!(
            api.header("content-security-policy"),
            Some("default-src 'none'; frame-ancestors 'none'")
        );
    })
    .await;
}

#[tokio::test]
async fn the_dashboard_shows_a_hundred_alerts_a_page_most_urgent_first() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Busy Clinic").await;
        for index in 0..101 {
            let treatment = app.treatment(&clinic, 40).await;
            let symptoms = if index == 100 { chest_pain() } else { fever() };
            app.post(
                &treatment.link_path("checkins"),
                None,
                &checkin(treatment.at, 36, &symptoms),
            )
            .await
            .expect_status(201);
        }
        let mut owner = owner_browser(app, &clinic).await;
        let first = owner.get("/dashboard").await.expect(200);
        assert_eq!(first.count(r#"class="alert""#), 100);
        assert!(first.text.contains("101 open"));
        assert!(
            first
                .text
                .contains(r#"class="alert" data-level="emergency""#),
            "the newest but most serious alert is on the first page"
        );
        assert!(first.text.len() < 100 * 1024, "{} bytes", first.text.len());
        assert!(first.text.contains(r#"href="/dashboard?from=100""#));
        let second = owner.get("/dashboard?from=100").await.expect(200);
        assert_eq!(second.count(r#"class="alert""#), 1);
        assert!(second.text.contains(r#"data-level="see_doctor""#));
        owner.get("/dashboard?from=nonsense").await.expect(200);
    })
    .await;
}

#[tokio::test]
async fn the_owner_adds_a_therapist_who_can_sign_in_but_not_manage_the_team() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Team Clinic").await;
        let mut owner = owner_browser(app, &clinic).await;
        let page = owner.get("/team").await.expect(200);
        assert!(page.text.contains("therapist@team-clinic.test"));
        let csrf = page.csrf();
        let refused = owner
            .post(
                "/team",
                &[
                    ("csrf_token", &csrf),
                    ("name", "Kim New"),
                    ("email", "kim@team-clinic.test"),
                    ("password", "short"),
                ],
            )
            .await
            .expect(422);
        assert!(refused.text.contains(r#"id="password-error""#));
        owner
            .post(
                "/team",
                &[
                    ("csrf_token", &csrf),
                    ("name", "Kim New"),
                    ("email", "kim@team-clinic.test"),
                    ("password", PASSWORD),
                ],
            )
            .await
            .expect(303);
        let mut kim = Browser::new(app);
        kim.sign_in("kim@team-clinic.test", PASSWORD)
            .await
            .expect(303);
        // The owner chose Kim's first password: she chooses her own first.
        let form = kim.get("/account/password").await.expect(200);
        kim.post(
            "/account/password",
            &[
                ("csrf_token", &form.csrf()),
                ("current_password", PASSWORD),
                ("new_password", "kim's very own password"),
            ],
        )
        .await
        .expect(303);
        let dashboard = kim.get("/dashboard").await.expect(200);
        assert!(
            !dashboard.text.contains(r#"href="/team""#),
            "no team link for therapists"
        );
        kim.get("/team").await.expect(403);
        let csrf = dashboard.csrf();
        kim.post(
            "/team",
            &[
                ("csrf_token", &csrf),
                ("name", "Sneaky"),
                ("email", "sneaky@team-clinic.test"),
                ("password", PASSWORD),
            ],
        )
        .await
        .expect(403);
        assert!(
            app.store
                .practitioner_by_email("sneaky@team-clinic.test")
                .await
                .expect("lookup")
                .is_none()
        );
    })
    .await;
}

/// The fields of a page's form that belong to one symptom kind, in page
/// order, with a value the form offers for each: the first choice of a
/// list, the first place of "where", "no" for a yes / no question and
/// "yes" for a box. "How bad" and "it has gone" are left out: the first
/// is not a detail the tick could be missing from, the second is not a
/// detail at all.
pub(crate) fn offered_details(page: &str, kind: &str) -> Vec<(String, String)> {
    let marker = format!(r#"name="{kind}."#);
    let mut found: Vec<(String, String)> = Vec::new();
    for (at, _) in page.match_indices(&marker) {
        let start = at + r#"name=""#.len();
        let field = &page[start..start + page[start..].find('"').expect("the name's end")];
        let suffix = &field[kind.len() + 1..];
        if matches!(suffix, "severity" | "gone") || found.iter().any(|(f, _)| f == field) {
            continue;
        }
        // The element the name belongs to, and what follows it.
        let element = page[..at].rfind('<').expect("an element");
        let rest = &page[element..];
        let value = if rest.starts_with("<select") {
            let options = &rest[..rest.find("</select>").expect("the list's end")];
            let choices: Vec<&str> = options
                .match_indices(r#"<option value=""#)
                .map(|(at, marker)| {
                    let start = at + marker.len();
                    &options[start..start + options[start..].find('"').expect("end")]
                })
                .filter(|value| !value.is_empty())
                .collect();
            choices.first().expect("a choice").to_string()
        } else if rest.starts_with(r#"<input type="radio""#) {
            "no".to_owned()
        } else {
            let tag = &rest[..rest.find('>').expect("the tag's end")];
            let start = tag.find(r#"value=""#).expect("a value") + r#"value=""#.len();
            tag[start..start + tag[start..].find('"').expect("end")].to_owned()
        };
        found.push((field.to_owned(), value));
    }
    found
}

/// The JSON a form detail is stored as: regions in a list, boxes and
/// yes / no answers as booleans, choices as their names.
pub(crate) fn stored_detail(kind: &str, field: &str, value: &str) -> serde_json::Value {
    let suffix = &field[kind.len() + 1..];
    let stored = match (suffix, value) {
        ("regions", _) => json!([value]),
        (_, "yes") => json!(true),
        (_, "no") => json!(false),
        _ => json!(value),
    };
    json!({ "kind": kind, suffix: stored })
}

/// Where the element of `tag` that opens at `start` closes, counting the
/// same elements nested in it.
fn element_end(text: &str, start: usize, tag: &str) -> usize {
    let (open, close) = (format!("<{tag}"), format!("</{tag}>"));
    let mut depth = 0;
    let mut at = start;
    loop {
        let next_open = text[at..].find(&open).map(|found| found + at);
        let next_close = text[at..]
            .find(&close)
            .map(|found| found + at)
            .expect("closed");
        match next_open {
            Some(opened) if opened < next_close => {
                depth += 1;
                at = opened + open.len();
            }
            _ => {
                depth -= 1;
                at = next_close + close.len();
                if depth == 0 {
                    return at;
                }
            }
        }
    }
}

/// Every symptom kind of the check-in format, by wire name.
pub(crate) fn every_kind() -> Vec<&'static str> {
    aftercare_core::SymptomKind::ALL
        .iter()
        .map(|kind| kind.as_str())
        .collect()
}

/// The engine's own decision on a stored course, as JSON.
pub(crate) fn engine_decision(course: &aftercare_core::Course) -> serde_json::Value {
    let guideline = Guideline::shipped();
    serde_json::from_str(&aftercare_core::triage(&guideline, course).to_json())
        .expect("decision JSON")
}

/// A link's course as stored, in the check-in format, with its decisions.
pub(crate) async fn stored_course(
    app: &TestApp,
    treatment: &crate::helpers::TreatmentFixture,
) -> (aftercare_core::Course, Vec<serde_json::Value>) {
    let view = app
        .get(&treatment.link_path("course"), None)
        .await
        .expect_status(200)
        .json();
    let course = json!({
        "treatment": view["treatment"],
        "checkins": view["checkins"]
            .as_array()
            .expect("check-ins")
            .iter()
            .map(|stored| stored["checkin"].clone())
            .collect::<Vec<_>>(),
    });
    let course = aftercare_core::Course::from_json(&course.to_string()).expect("a stored course");
    let decisions = view["decisions"]
        .as_array()
        .expect("decisions")
        .iter()
        .map(|stored| stored["decision"].clone())
        .collect();
    (course, decisions)
}

#[tokio::test]
async fn any_detail_of_any_symptom_in_the_check_in_form_stores_it_and_triages_with_it() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Detail Clinic").await;
        for kind in every_kind() {
            let treatment = app.treatment(&clinic, 20).await;
            let path = format!("/c/{}", treatment.link_token);
            let mut client = Browser::new(app);
            // The questions its own page of the check-in asks.
            let page = client.get(&format!("{path}?step={kind}")).await.expect(200);
            let mut details = offered_details(&page.text, kind);
            if details.is_empty() {
                // Nothing more is asked about this kind; a detail sent
                // anyway is still never dropped.
                details.push((format!("{kind}.frequency"), "rarely".to_owned()));
            }
            for (count, (field, value)) in details.iter().enumerate() {
                let form = client.get(&path).await.expect(200);
                let csrf = form.csrf();
                let answer = client
                    .post(
                        &path,
                        &[
                            ("csrf_token", csrf.as_str()),
                            (field.as_str(), value.as_str()),
                        ],
                    )
                    .await
                    .expect(200);
                let (course, decisions) = stored_course(app, &treatment).await;
                assert_eq!(course.checkins.len(), count + 1, "{field}");
                let last = course.checkins.last().expect("the check-in");
                assert_eq!(
                    serde_json::to_value(&last.symptoms).expect("symptoms JSON"),
                    json!([stored_detail(kind, field, value)]),
                    "{field}={value} alone stores the symptom with it"
                );
                assert!(last.symptoms[0].is_present(), "{field}");
                // Triaged with it: the stored answer is the engine's
                // answer for the course with this symptom in it.
                let decision = decisions.last().expect("a decision");
                assert_eq!(decision, &engine_decision(&course), "{field}");
                let level = decision["level"].as_str().expect("a level");
                assert!(
                    answer.text.contains(&format!(
                        r#"id="decision" class="decision" data-level="{level}""#
                    )),
                    "{field}: the page shows the stored answer"
                );
                app.advance_clock(std::time::Duration::from_secs(60));
            }
        }
    })
    .await;
}

#[tokio::test]
async fn any_detail_of_any_symptom_in_the_self_check_starts_a_diary_with_it() {
    on_every_backend(async |app: &TestApp| {
        let mut person = Browser::new(app);
        let form = person.get("/self-check").await.expect(200);
        let csrf = form.csrf();
        for kind in every_kind() {
            let page = person
                .get(&format!("/self-check?step={kind}"))
                .await
                .expect(200);
            let mut details = offered_details(&page.text, kind);
            if details.is_empty() {
                details.push((format!("{kind}.frequency"), "rarely".to_owned()));
            }
            for (field, value) in &details {
                // Under the hourly cap of new diaries from one address.
                app.advance_clock(std::time::Duration::from_secs(4 * 60));
                let answer = person
                    .post(
                        "/self-check",
                        &[
                            ("csrf_token", csrf.as_str()),
                            ("hours_ago", "20"),
                            ("modality", "sports"),
                            (field.as_str(), value.as_str()),
                        ],
                    )
                    .await
                    .expect(200);
                let marker = r#"id="diary-link" class="link-box">"#;
                let start = answer.text.find(marker).expect("a diary link") + marker.len();
                let url = &answer.text[start..start + answer.text[start..].find('<').expect("end")];
                let token = url.rsplit('/').next().expect("the diary's secret");
                let stored = app
                    .store
                    .diary(&aftercare_store::secret::hash_text(token), app.now())
                    .await
                    .expect("the diary");
                let course = aftercare_core::Course::from_json(&stored).expect("a diary course");
                assert_eq!(
                    serde_json::to_value(&course.checkins[0].symptoms).expect("symptoms JSON"),
                    json!([stored_detail(kind, field, value)]),
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
            }
        }
    })
    .await;
}

#[tokio::test]
async fn choosing_gone_keeps_only_that_and_is_offered_for_what_was_reported_last() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Gone Clinic").await;
        let treatment = app.treatment(&clinic, 20).await;
        let path = format!("/c/{}", treatment.link_token);
        let mut client = Browser::new(app);
        let first = client.get(&path).await.expect(200);
        assert!(
            !first.text.contains(r#"name="soreness.gone""#),
            "nothing was reported yet"
        );
        client
            .post(
                &path,
                &[
                    ("csrf_token", &first.csrf()),
                    ("symptom", "soreness"),
                    ("soreness.severity", "moderate"),
                    ("soreness.regions", "calves"),
                ],
            )
            .await
            .expect(200);
        app.advance_clock(std::time::Duration::from_secs(3600));
        // The first page of the next check-in asks how it is now.
        let second = client.get(&path).await.expect(200);
        assert!(second.text.contains(r#"name="soreness.now" value="gone""#));
        assert!(
            !second.text.contains(r#"name="twitching.now""#),
            "only for what was reported"
        );
        client
            .post(
                &path,
                &[
                    ("csrf_token", &second.csrf()),
                    ("soreness.gone", "yes"),
                    ("soreness.regions", "calves"),
                    ("soreness.side", "left"),
                    ("symptom", "soreness"),
                ],
            )
            .await
            .expect(200);
        let (course, _) = stored_course(app, &treatment).await;
        assert_eq!(
            serde_json::to_value(&course.checkins[1].symptoms).expect("symptoms JSON"),
            json!([{ "kind": "soreness", "severity": "none" }]),
            "gone drops every other detail"
        );
        // Severity "none" sent by hand is gone too.
        app.advance_clock(std::time::Duration::from_secs(3600));
        let third = client.get(&path).await.expect(200);
        client
            .post(
                &path,
                &[
                    ("csrf_token", &third.csrf()),
                    ("headache.severity", "none"),
                    ("headache.sudden", "yes"),
                ],
            )
            .await
            .expect(200);
        let (course, _) = stored_course(app, &treatment).await;
        assert_eq!(
            serde_json::to_value(&course.checkins[2].symptoms).expect("symptoms JSON"),
            json!([{ "kind": "headache", "severity": "none" }])
        );
    })
    .await;
}

#[tokio::test]
async fn the_clinician_question_comes_only_after_a_doctor_level_answer_and_is_never_pre_filled() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Seen Clinic").await;
        let treatment = app.treatment(&clinic, 20).await;
        let path = format!("/c/{}", treatment.link_token);
        let mut client = Browser::new(app);
        let first = client.get(&path).await.expect(200);
        assert!(!first.text.contains(r#"name="seen_by_clinician""#));
        let answer = client
            .post(
                &path,
                &[
                    ("csrf_token", &first.csrf()),
                    ("symptom", "soreness"),
                    ("soreness.severity", "mild"),
                    ("soreness.side", "both"),
                ],
            )
            .await
            .expect(200);
        assert!(!answer.text.contains(r#"data-level="see_doctor""#));
        app.advance_clock(std::time::Duration::from_secs(3600));
        let second = client
            .get(&format!("{path}?step=background"))
            .await
            .expect(200);
        assert!(
            !second.text.contains(r#"name="seen_by_clinician""#),
            "not after a milder answer"
        );
        let answer = client
            .post(
                &path,
                &[("csrf_token", &second.csrf()), ("symptom", "dark_urine")],
            )
            .await
            .expect(200);
        let level = answer.text.find(r#"id="decision""#).expect("a decision");
        let shown = &answer.text[level..level + 80];
        assert!(
            shown.contains("urgent") || shown.contains("see_doctor") || shown.contains("emergency"),
            "{shown}"
        );
        app.advance_clock(std::time::Duration::from_secs(3600));
        let third = client
            .get(&format!("{path}?step=background"))
            .await
            .expect(200);
        assert!(
            third
                .text
                .contains("Has a doctor, nurse or urgent-care service seen you about it since?")
        );
        assert_eq!(
            third.count(r#"name="seen_by_clinician""#),
            3,
            "yes, no, not sure"
        );
        let question = third
            .text
            .find(r#"id="seen_by_clinician""#)
            .expect("the question");
        let end = question + third.text[question..].find("</fieldset>").expect("its end");
        assert!(
            !third.text[question..end].contains("checked"),
            "never pre-filled"
        );
        client
            .post(
                &path,
                &[("csrf_token", &third.csrf()), ("seen_by_clinician", "yes")],
            )
            .await
            .expect(200);
        let (course, _) = stored_course(app, &treatment).await;
        assert_eq!(course.checkins[2].context.seen_by_clinician, Some(true));
        let fourth = client
            .get(&format!("{path}?step=background"))
            .await
            .expect(200);
        let question = fourth
            .text
            .find(r#"id="seen_by_clinician""#)
            .expect("asked again");
        let end = question
            + fourth.text[question..]
                .find("</fieldset>")
                .expect("its end");
        assert!(
            !fourth.text[question..end].contains("checked"),
            "not carried forward"
        );
    })
    .await;
}

#[tokio::test]
async fn the_warning_signs_sit_in_one_closed_fold_and_each_kind_asks_its_own_questions() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Fold Clinic").await;
        let treatment = app.treatment(&clinic, 20).await;
        let mut client = Browser::new(app);
        for path in [
            format!("/c/{}", treatment.link_token),
            "/self-check".to_owned(),
        ] {
            // "What do you feel now?": the warning signs in one labelled
            // group of their own.
            let page = client.get(&format!("{path}?step=feel")).await.expect(200);
            let feel = &page.text;
            assert_eq!(page.count(r#"<fieldset class="signs""#), 1, "{path}");
            assert!(feel.contains("<legend>Warning signs</legend>"), "{path}");
            let start = feel.find(r#"<fieldset class="signs""#).expect("the group");
            let end = element_end(feel, start, "fieldset");
            for kind in [
                "chest_pain",
                "breathlessness",
                "palpitations",
                "fainting",
                "confusion",
                "speech_difficulty",
                "vision_change",
                "vomiting",
                "bladder_bowel_change",
                "dark_urine",
            ] {
                let at = feel
                    .find(&format!(r#"id="symptom-{kind}""#))
                    .unwrap_or_else(|| panic!("{kind} is offered"));
                assert!(
                    start < at && at < end,
                    "{kind} is in the warning group: {path}"
                );
            }
            for kind in ["soreness", "twitching", "fever", "swelling", "headache"] {
                let at = feel
                    .find(&format!(r#"id="symptom-{kind}""#))
                    .expect("offered");
                assert!(at < start, "{kind} is not in the group: {path}");
            }
            assert!(
                feel.len() < 100 * 1024,
                "{path} weighs {} bytes",
                feel.len()
            );
            // Each kind's own page, one after another.
            let mut text = String::new();
            for kind in every_kind() {
                let page = client.get(&format!("{path}?step={kind}")).await.expect(200);
                assert!(page.text.len() < 100 * 1024, "{path} {kind}");
                text.push_str(&page.text);
            }
            let text = &text;
            // What each kind asks, as the question table has it.
            for id in [
                "fainting-while_lying_down",
                "fainting-while_exercising",
                "fainting-seizure",
                "fainting-injured",
                "swelling-regions-face",
                "swelling-regions-mouth_throat",
                "numbness_tingling-regions-groin",
                "headache-sudden",
                "palpitations-frequency",
            ] {
                assert!(text.contains(&format!(r#"id="{id}""#)), "{id}: {path}");
            }
            for id in [
                "twitching-regions-groin",
                "chest_pain-regions-chest",
                "fever-regions-head",
                "fever-frequency",
                "dark_urine-severity",
                "chest_pain-painful",
                "bruising-warm_or_red",
                "soreness-frequency",
                "soreness-while_lying_down",
            ] {
                assert!(
                    !text.contains(&format!(r#"id="{id}""#)),
                    "{id} is not asked: {path}"
                );
            }
            assert!(text.contains("Warmth from hot stones is not fever."));
            for words in [
                "Feeling feverish",
                "Hot and shivery",
                "Measured 38 °C or more",
                "Shaking that cannot be stopped",
                "Up to the size of a coin",
                "Up to the size of a palm",
                "Larger than a palm",
                "Most of a limb or of the back",
                "on the treatment table counts",
            ] {
                assert!(text.contains(words), "{words}: {path}");
            }
        }
    })
    .await;
}

#[tokio::test]
async fn an_open_red_flag_from_an_earlier_check_in_is_shown_to_the_client_the_therapist_and_the_doctor()
 {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Carry Clinic").await;
        let treatment = app.treatment(&clinic, 20).await;
        let path = format!("/c/{}", treatment.link_token);
        let mut client = Browser::new(app);
        let csrf = client.get(&path).await.expect(200).csrf();
        client
            .post(
                &path,
                &[
                    ("csrf_token", &csrf),
                    ("symptom", "chest_pain"),
                    ("chest_pain.severity", "moderate"),
                    ("chest_pain.sudden", "yes"),
                ],
            )
            .await
            .expect(200);
        app.advance_clock(std::time::Duration::from_secs(2 * 3600));
        // Nothing to report: the chest pain is not forgotten.
        let csrf = client.get(&path).await.expect(200).csrf();
        let answer = client
            .post(&path, &[("csrf_token", &csrf)])
            .await
            .expect(200);
        let main =
            answer.text.find(r#"<main id="main">"#).expect("main") + r#"<main id="main">"#.len();
        let rest = &answer.text[main..];
        assert!(
            rest.starts_with(r#"<section id="decision" class="decision" data-level="emergency""#),
            "{rest}"
        );
        assert!(rest.contains(r#"data-carried="earlier""#), "{rest}");
        assert!(
            rest.contains("Still open from an earlier check-in"),
            "{rest}"
        );
        let (course, decisions) = stored_course(app, &treatment).await;
        assert_eq!(decisions[1], engine_decision(&course));

        let mut owner = owner_browser(app, &clinic).await;
        let page = owner
            .get(&format!("/treatments/{}", treatment.id))
            .await
            .expect(200);
        assert!(page.text.contains(r#"data-carried="earlier""#));
        assert!(page.text.contains("Includes an earlier report still open"));
        let summary = owner
            .get(&format!("/treatments/{}/summary", treatment.id))
            .await
            .expect(200);
        assert!(
            summary.text.contains("carried from check-in 1"),
            "{}",
            summary.text
        );
        let pdf = owner
            .get(&format!("/treatments/{}/summary.pdf", treatment.id))
            .await
            .expect(200);
        assert!(pdf.text.starts_with("%PDF-"));
        if let Some(text) = crate::summary::summary_pdf_text(app, &clinic, &treatment.id).await {
            assert!(text.contains("carried from check-in 1"), "{text}");
        }
    })
    .await;
}

#[tokio::test]
async fn a_finding_a_clinician_has_seen_is_shown_as_held() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Held Clinic").await;
        let treatment = app.treatment(&clinic, 20).await;
        let path = format!("/c/{}", treatment.link_token);
        let mut client = Browser::new(app);
        let csrf = client.get(&path).await.expect(200).csrf();
        client
            .post(&path, &[("csrf_token", &csrf), ("symptom", "dark_urine")])
            .await
            .expect(200);
        app.advance_clock(std::time::Duration::from_secs(3 * 3600));
        let form = client.get(&path).await.expect(200);
        let answer = client
            .post(
                &path,
                &[
                    ("csrf_token", &form.csrf()),
                    ("symptom", "dark_urine"),
                    ("seen_by_clinician", "yes"),
                ],
            )
            .await
            .expect(200);
        let (course, decisions) = stored_course(app, &treatment).await;
        let engine = engine_decision(&course);
        assert_eq!(decisions[1], engine);
        let held = engine["reasons"]
            .as_array()
            .expect("reasons")
            .iter()
            .any(|reason| reason.get("assessed").is_some());
        assert!(held, "the unchanged finding is held: {engine}");
        assert!(
            answer.text.contains(r#"data-held="assessed""#),
            "{}",
            answer.text
        );
        assert!(answer.text.contains("Already seen by a clinician"));
        let mut owner = owner_browser(app, &clinic).await;
        let summary = owner
            .get(&format!("/treatments/{}/summary", treatment.id))
            .await
            .expect(200);
        assert!(
            summary
                .text
                .contains("held at see_doctor after a clinician")
        );
    })
    .await;
}

/// Sends the check-in form of `treatment` with `fields` (the form's token
/// and submission id added) and returns the answer page.
pub(crate) async fn send_form(
    client: &mut Browser,
    link_token: &str,
    fields: &[(&str, &str)],
) -> Page {
    let path = format!("/c/{link_token}");
    let form = client.get(&path).await.expect(200);
    let csrf = form.csrf();
    let mut all: Vec<(&str, &str)> = vec![("csrf_token", &csrf)];
    all.extend_from_slice(fields);
    client.post(&path, &all).await.expect(200)
}

#[tokio::test]
async fn the_therapist_sees_every_detail_every_background_answer_and_the_note_everywhere() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Everything Clinic").await;
        let treatment = app.treatment(&clinic, 20).await;
        let mut client = Browser::new(app);
        send_form(
            &mut client,
            &treatment.link_token,
            &[
                ("symptom", "swelling"),
                ("swelling.severity", "mild"),
                ("swelling.regions", "calves"),
                ("swelling.side", "left"),
                ("swelling.warm_or_red", "yes"),
                ("swelling.painful", "yes"),
                ("sleep_hours", "6"),
                ("anticoagulants", "yes"),
                ("new_medication", "yes"),
                ("note", "I take warfarin"),
            ],
        )
        .await;
        // A second check-in with no symptom, only background and a note.
        send_form(
            &mut client,
            &treatment.link_token,
            &[("pregnant", "yes"), ("note", "Feeling better today")],
        )
        .await;
        let swelling = [
            "Swelling",
            "left side only",
            "warm or red",
            "hurts",
            "Calves",
        ];
        let background = [
            "Takes blood thinners",
            "Started a new medicine recently",
            "Slept 6 hours last night",
            "Pregnant",
        ];
        let notes = ["I take warfarin", "Feeling better today"];
        let mut owner = owner_browser(app, &clinic).await;
        let course = owner
            .get(&format!("/treatments/{}", treatment.id))
            .await
            .expect(200);
        let summary = owner
            .get(&format!("/treatments/{}/summary", treatment.id))
            .await
            .expect(200);
        let pdf = owner
            .get(&format!("/treatments/{}/summary.pdf", treatment.id))
            .await
            .expect(200);
        assert!(pdf.text.starts_with("%PDF-"));
        // Without pdftotext (said loudly; a failure under CI) the page stands in.
        let pdf = crate::summary::summary_pdf_text(app, &clinic, &treatment.id)
            .await
            .unwrap_or_else(|| summary.text.clone());
        for (name, text) in [
            ("course page", course.text.as_str()),
            ("summary", summary.text.as_str()),
            ("PDF", pdf.as_str()),
        ] {
            let lower = text.to_lowercase();
            for said in swelling.iter().chain(&background).chain(&notes) {
                assert!(
                    lower.contains(&said.to_lowercase()),
                    "the {name} leaves out {said:?}: {text}"
                );
            }
            assert!(
                !lower.contains("nothing to report"),
                "the {name} says nothing was reported: {text}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn without_email_or_a_webhook_no_page_promises_a_message() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Quiet Clinic").await;
        // The dashboard says that no message can go out, and what to do.
        let mut owner = owner_browser(app, &clinic).await;
        let dashboard = owner.get("/dashboard").await.expect(200);
        assert!(dashboard.text.contains(r#"id="no-delivery""#));
        assert!(
            dashboard
                .text
                .contains("No reminder or alert message can go out")
        );
        assert!(dashboard.text.contains("Look at this page yourself"));

        // A contact-the-therapist answer promises no contact and no reminder.
        let treatment = app.treatment(&clinic, 20).await;
        let mut client = Browser::new(app);
        let answer = send_form(
            &mut client,
            &treatment.link_token,
            &[("symptom", "soreness"), ("soreness.severity", "severe")],
        )
        .await;
        assert!(
            answer.text.contains(r#"data-level="contact_therapist""#),
            "{}",
            answer.text
        );
        assert!(
            !answer.text.contains("They have been alerted"),
            "{}",
            answer.text
        );
        assert!(!answer.text.contains("may get in touch"), "{}", answer.text);
        assert!(
            answer.text.contains("contact them yourself"),
            "{}",
            answer.text
        );
        assert!(!answer.text.contains("Next check-in"), "{}", answer.text);
        assert!(
            answer
                .text
                .contains("Check in again with your link in about")
        );
        assert!(answer.text.contains("No reminder will be sent"));
        let own = client
            .get(&format!("/c/{}/course", treatment.link_token))
            .await
            .expect(200);
        assert!(!own.text.contains("They have been alerted"));
        assert!(!own.text.contains("Next check-in"));

        // Emergency and urgent answers say what to do now, with no time to
        // check in again.
        for (symptoms, level) in [
            (
                vec![
                    ("symptom", "chest_pain"),
                    ("chest_pain.severity", "moderate"),
                ],
                "emergency",
            ),
            (vec![("symptom", "dark_urine")], "urgent"),
        ] {
            let treatment = app.treatment(&clinic, 20).await;
            let answer = send_form(&mut client, &treatment.link_token, &symptoms).await;
            assert!(
                answer.text.contains(&format!(
                    r#"id="decision" class="decision" data-level="{level}""#
                )),
                "{level}: {}",
                answer.text
            );
            assert!(!answer.text.contains("Next check-in"), "{level}");
            assert!(
                !answer
                    .text
                    .contains("Check in again with your link in about"),
                "{level}"
            );
            assert!(!answer.text.contains(" hours, or sooner"), "{level}");
            if level == "urgent" {
                assert!(
                    answer
                        .text
                        .contains("Get medical care today, before anything else")
                );
            } else {
                assert!(answer.text.contains("Call your local emergency number now"));
            }
        }
    })
    .await;
}

#[tokio::test]
async fn a_self_check_never_speaks_of_your_therapist() {
    on_every_backend(async |app: &TestApp| {
        let mut person = Browser::new(app);
        for symptoms in [
            vec![("symptom", "soreness"), ("soreness.severity", "severe")],
            vec![("symptom", "twitching"), ("twitching.painful", "yes")],
            vec![("symptom", "chest_pain"), ("chest_pain.severity", "mild")],
        ] {
            let csrf = person.get("/self-check").await.expect(200).csrf();
            let mut fields = vec![
                ("csrf_token", csrf.as_str()),
                ("hours_ago", "20"),
                ("modality", "sports"),
            ];
            fields.extend(symptoms);
            let answer = person.post("/self-check", &fields).await.expect(200);
            let main = answer.text.find(r#"<main id="main">"#).expect("main");
            let shown = answer.text[main..].to_lowercase();
            assert!(!shown.contains("your therapist"), "{shown}");
            assert!(!shown.contains("alerted"), "{shown}");
            assert!(!shown.contains("next check-in:"), "{shown}");
        }
        let csrf = person.get("/self-check").await.expect(200).csrf();
        let answer = person
            .post(
                "/self-check",
                &[
                    ("csrf_token", &csrf),
                    ("hours_ago", "20"),
                    ("modality", "sports"),
                    ("symptom", "soreness"),
                    ("soreness.severity", "severe"),
                ],
            )
            .await
            .expect(200);
        assert!(
            answer.text.contains("a therapist or doctor"),
            "{}",
            answer.text
        );
    })
    .await;
}

#[tokio::test]
async fn an_alert_names_its_finding_and_who_acknowledged_it() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Finding Clinic").await;
        let treatment = app.treatment(&clinic, 20).await;
        let mut client = Browser::new(app);
        send_form(
            &mut client,
            &treatment.link_token,
            &[
                ("symptom", "swelling"),
                ("swelling.severity", "moderate"),
                ("swelling.regions", "calves"),
                ("swelling.side", "left"),
                ("swelling.warm_or_red", "yes"),
                ("swelling.painful", "yes"),
            ],
        )
        .await;
        let mut owner = owner_browser(app, &clinic).await;
        let dashboard = owner.get("/dashboard").await.expect(200);
        let start = dashboard
            .text
            .find(r#"<ul class="finding">"#)
            .expect("a finding");
        let finding =
            &dashboard.text[start..start + dashboard.text[start..].find("</ul>").expect("end")];
        for detail in [
            "Swelling",
            "left side only",
            "warm or red",
            "hurts",
            "Calves",
            " — ",
        ] {
            assert!(finding.contains(detail), "{detail:?} missing: {finding}");
        }
        // The API names it too, and who acknowledged it.
        let alerts = app
            .get("/api/v1/alerts", Some(&clinic.owner_token))
            .await
            .expect_status(200)
            .json();
        let alert = &alerts["items"][0];
        let lines = alert["finding"].as_array().expect("a finding");
        assert!(
            lines.iter().any(|line| {
                let line = line.as_str().unwrap_or_default();
                line.starts_with("Swelling")
                    && line.contains("left side only")
                    && line.contains("Calves")
            }),
            "{alert}"
        );
        assert!(alert["acknowledged_by_name"].is_null());
        let acknowledged = app
            .post(
                &format!(
                    "/api/v1/alerts/{}/acknowledge",
                    alert["id"].as_str().expect("an id")
                ),
                Some(&clinic.therapist_token),
                &json!({}),
            )
            .await
            .expect_status(200)
            .json();
        assert!(acknowledged["acknowledged_at"].is_string());
        assert!(
            acknowledged["acknowledged_by_name"].is_string(),
            "{acknowledged}"
        );
        assert_eq!(acknowledged["finding"], alert["finding"]);
    })
    .await;
}
