//! Tenant isolation, route by route. The test walks the service's own
//! route table (`aftercare_server::route_table`, from which the router is
//! built): every route must have a case here, so a new route without one
//! fails the suite until someone writes down why it cannot leak.
//!
//! Two clinics share one service. Clinic B's practitioner aims every
//! route at clinic A's records, with an API token or signed in through
//! the login form; a link's routes (client link, diary, setup) are tried
//! with a forged link; public routes and pages must show neither clinic.

use aftercare_server::{Access, route_table};
use aftercare_store::secret::Secret;
use aftercare_store::{
    Channel, ClientId, ClinicId, MessageKind, NewMessage, PageRequest, PractitionerId,
};
use serde_json::{Value, json};

use super::helpers::{
    self, ClinicFixture, CookieJar, Reply, TestApp, TreatmentFixture, on_every_backend,
};
use super::{checkin, chest_pain, fever};

/// The password clinic B's owner signs in with.
pub(super) const PASSWORD: &str = "correct horse battery staple";
/// Clinic A's time zone: B must never see it in its own settings.
const A_TIME_ZONE: &str = "Pacific/Chatham";
/// Clinic A's plan.
const A_PLAN: [u32; 3] = [5, 29, 77];

/// What clinic A holds, for clinic B to aim at.
struct Victim {
    clinic: ClinicFixture,
    treatment: TreatmentFixture,
    alert_id: String,
    token_id: String,
    message_id: String,
    owner_email: String,
    therapist_email: String,
}

impl Victim {
    /// Every id, name and address of A that must never appear in B's answers.
    fn secrets(&self) -> Vec<&str> {
        vec![
            self.clinic.id.as_str(),
            self.clinic.name.as_str(),
            self.clinic.owner_id.as_str(),
            self.clinic.therapist_id.as_str(),
            self.treatment.id.as_str(),
            self.treatment.client_id.as_str(),
            self.alert_id.as_str(),
            self.token_id.as_str(),
            self.message_id.as_str(),
            self.owner_email.as_str(),
            self.therapist_email.as_str(),
            A_TIME_ZONE,
        ]
    }
}

/// Clinic B: the one looking.
struct Beta {
    clinic: ClinicFixture,
    /// B's own treatment, with an open alert and a queued message.
    treatment: TreatmentFixture,
}

/// Asserts that an answer shows nothing of clinic A.
fn shows_nothing_of(victim: &Victim, route: &str, text: &str) {
    for secret in victim.secrets() {
        assert!(
            !text.contains(secret),
            "{route} showed clinic A's `{secret}` to clinic B: {text}"
        );
    }
}

/// Asserts that an answer to anyone shows nothing of either clinic.
fn shows_no_clinic(a: &Victim, b: &Beta, route: &str, text: &str) {
    shows_nothing_of(a, route, text);
    let beta = &b.clinic;
    for secret in [
        beta.id.as_str(),
        beta.name.as_str(),
        beta.owner_id.as_str(),
        beta.therapist_id.as_str(),
        b.treatment.id.as_str(),
        b.treatment.client_id.as_str(),
    ] {
        assert!(
            !text.contains(secret),
            "{route} showed clinic B's `{secret}` to anyone: {text}"
        );
    }
}

/// A page without what was typed into a field, which a form keeps.
fn without_typed(text: &str, typed: &str) -> String {
    text.replace(&format!(r#"value="{typed}""#), "")
}

/// A forged link: a real one with one character changed.
fn forged(link: &str) -> String {
    let mut forged = link.to_owned();
    let last = forged.pop().unwrap_or('A');
    forged.push(if last == 'A' { 'B' } else { 'A' });
    forged
}

/// The email a practitioner of a test clinic has (`owner` or `therapist`).
fn email_of(who: &str, clinic: &ClinicFixture) -> String {
    format!(
        "{who}@{}.test",
        clinic.name.to_lowercase().replace(' ', "-")
    )
}

/// Follow-up settings for `PUT /api/v1/followup/settings`.
fn settings_body(plan_hours: &[u32], time_zone: &str) -> Value {
    json!({
        "plan_hours": plan_hours,
        "reminder_count": 1,
        "reminder_delay_minutes": 240,
        "invitation_expiry_hours": 24,
        "quiet_from": "21:00",
        "quiet_until": "08:00",
        "time_zone": time_zone,
        "escalation_minutes": null,
        "client_channel": "email"
    })
}

/// `PUT path` with a JSON body.
async fn put(app: &TestApp, path: &str, token: Option<&str>, body: &Value) -> Reply {
    Reply::of(app.request(reqwest::Method::PUT, path, token).json(body)).await
}

/// Queues the message the scheduler would send for each alert not yet
/// notified, so that each clinic's delivery log has a message of its own.
async fn queue_alert_messages(app: &TestApp) {
    let now = app.now();
    let alerts = app
        .store
        .alerts_to_notify(0, 100)
        .await
        .expect("alerts to notify");
    for alert in alerts {
        let message = NewMessage {
            kind: MessageKind::Alert,
            channel: Channel::Email,
            recipient: Some(alert.practitioner_email.clone()),
            high_priority: true,
            due_at: now,
            dedupe_key: format!("alert:{}", alert.alert_id),
        };
        app.store
            .notify_alert(&alert, &[message], now)
            .await
            .expect("queue the alert's message");
    }
}

/// The first item id of a list of A's, through the API.
async fn first_id(app: &TestApp, path: &str, token: &str) -> String {
    app.get(path, Some(token)).await.expect_status(200).json()["items"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("an item in {path}"))
        .to_owned()
}

#[tokio::test]
async fn every_route_keeps_each_clinic_to_itself() {
    on_every_backend(async |app: &TestApp| {
        let a = app.clinic("Alpha Clinic").await;
        let b = app.clinic("Beta Clinic").await;
        let treatment = app.treatment(&a, 40).await;
        app.post(
            &treatment.link_path("checkins"),
            None,
            &checkin(treatment.at, 37, &chest_pain()),
        )
        .await
        .expect_status(201);
        put(
            app,
            "/api/v1/followup/settings",
            Some(&a.owner_token),
            &settings_body(&A_PLAN, A_TIME_ZONE),
        )
        .await
        .expect_status(200);
        // Clinic B also has data of its own, so its lists are not empty.
        let b_treatment = app.treatment(&b, 10).await;
        app.post(
            &b_treatment.link_path("checkins"),
            None,
            &checkin(b_treatment.at, 8, &fever()),
        )
        .await
        .expect_status(201);
        queue_alert_messages(app).await;
        let alert_id = first_id(app, "/api/v1/alerts", &a.owner_token).await;
        let token_id = first_id(app, "/api/v1/tokens", &a.owner_token).await;
        let message_id = first_id(app, "/api/v1/deliveries", &a.owner_token).await;
        let victim = Victim {
            owner_email: email_of("owner", &a),
            therapist_email: email_of("therapist", &a),
            clinic: a,
            treatment,
            alert_id,
            token_id,
            message_id,
        };
        let beta = Beta {
            clinic: b,
            treatment: b_treatment,
        };
        let mut signed_in = sign_in(app, &beta.clinic).await;

        let mut covered = Vec::new();
        for route in route_table() {
            let name = format!("{} {}", route.method, route.path);
            let (method, path) = (route.method, route.path);
            match route.access {
                Access::Clinic => clinic_route(app, &victim, &beta, method, path).await,
                Access::ClientLink => link_route(app, &victim, method, path).await,
                Access::Public => public_route(app, &victim, method, path).await,
                Access::PublicPage => page_public_route(app, &victim, &beta, method, path).await,
                Access::SignedIn => {
                    signed_in_route(app, &victim, &beta, &mut signed_in, method, path).await;
                }
                Access::LinkPage => link_page_route(app, &victim, method, path).await,
            }
            covered.push(name);
        }
        assert!(
            covered.len() >= 56,
            "the route table lists every route: {covered:?}"
        );
    })
    .await;
}

/// Asserts that A's alert is still open.
async fn assert_alert_open(app: &TestApp, a: &Victim, route: &str) {
    let alerts = app
        .get("/api/v1/alerts", Some(&a.clinic.owner_token))
        .await
        .expect_status(200)
        .json();
    let alert = alerts["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|alert| alert["id"] == a.alert_id.as_str())
        .unwrap_or_else(|| panic!("{route}: A's alert is still listed"));
    assert!(
        alert["acknowledged_at"].is_null(),
        "{route}: A's alert is still open"
    );
}

/// A's treatment's follow-up, as A sees it.
async fn followup_of(app: &TestApp, a: &Victim) -> Value {
    app.get(
        &format!("/api/v1/treatments/{}/followup", a.treatment.id),
        Some(&a.clinic.owner_token),
    )
    .await
    .expect_status(200)
    .json()
}

/// A's client, as A sees it.
async fn client_of(app: &TestApp, a: &Victim) -> Value {
    app.get(
        &format!("/api/v1/clients/{}", a.treatment.client_id),
        Some(&a.clinic.owner_token),
    )
    .await
    .expect_status(200)
    .json()
}

/// Asserts that A's course still holds one decision (none made again).
async fn assert_one_decision(app: &TestApp, a: &Victim, route: &str) {
    let course = app
        .get(&a.treatment.link_path("course"), None)
        .await
        .expect_status(200)
        .json();
    assert_eq!(
        course["decisions"].as_array().map(Vec::len),
        Some(1),
        "{route}: A's course was not triaged again"
    );
}

/// A route of the clinic API, called by clinic B at clinic A's records.
async fn clinic_route(app: &TestApp, a: &Victim, b: &Beta, method: &str, path: &str) {
    let token = Some(b.clinic.owner_token.as_str());
    let route = format!("{method} {path}");
    let reply = match (method, path) {
        ("GET", "/api/v1/clinic") => {
            let reply = app.get("/api/v1/clinic", token).await.expect_status(200);
            assert_eq!(reply.json()["name"], b.clinic.name.as_str());
            reply
        }
        (
            "GET",
            "/api/v1/practitioners"
            | "/api/v1/tokens"
            | "/api/v1/clients"
            | "/api/v1/treatments"
            | "/api/v1/alerts"
            | "/api/v1/audit",
        ) => {
            let reply = app.get(path, token).await.expect_status(200);
            assert!(
                !reply.json()["items"].as_array().expect("items").is_empty(),
                "{route}: B sees its own records"
            );
            reply
        }
        ("GET", "/api/v1/practitioners/{id}") => {
            let path = format!("/api/v1/practitioners/{}", a.clinic.therapist_id);
            app.get(&path, token).await.problem(404, "not-found");
            return;
        }
        (
            "POST",
            "/api/v1/practitioners/{id}/deactivate"
            | "/api/v1/practitioners/{id}/reactivate"
            | "/api/v1/practitioners/{id}/reset-link"
            | "/api/v1/practitioners/{id}/ownership"
            | "/api/v1/practitioners/{id}/password",
        ) => {
            // B's owner aims at A's therapist (with B's right password
            // where one is asked): not found, and A's account is untouched.
            let body = match path.rsplit('/').next() {
                Some("ownership") => json!({ "current_password": PASSWORD }),
                Some("password") => {
                    json!({ "current_password": PASSWORD, "new_password": "taken over by beta" })
                }
                _ => json!({}),
            };
            let path = path.replace("{id}", &a.clinic.therapist_id);
            app.post(&path, token, &body)
                .await
                .problem(404, "not-found");
            let therapist = app
                .get(
                    &format!("/api/v1/practitioners/{}", a.clinic.therapist_id),
                    Some(&a.clinic.therapist_token),
                )
                .await
                .expect_status(200)
                .json();
            assert_eq!(therapist["active"], true, "{route}");
            assert_eq!(therapist["role"], "therapist", "{route}");
            return;
        }
        ("GET", "/api/v1/clients/{id}") => {
            let path = format!("/api/v1/clients/{}", a.treatment.client_id);
            app.get(&path, token).await.problem(404, "not-found");
            return;
        }
        ("GET", "/api/v1/treatments/{id}") => {
            let path = format!("/api/v1/treatments/{}", a.treatment.id);
            app.get(&path, token).await.problem(404, "not-found");
            return;
        }
        ("GET", "/api/v1/treatments/{id}/course") => {
            let path = format!("/api/v1/treatments/{}/course", a.treatment.id);
            app.get(&path, token).await.problem(404, "not-found");
            return;
        }
        (
            "POST",
            "/api/v1/treatments/{id}/link"
            | "/api/v1/treatments/{id}/link/email"
            | "/api/v1/treatments/{id}/link/sms",
        ) => {
            let path = path.replace("{id}", &a.treatment.id);
            app.post(&path, token, &json!({}))
                .await
                .problem(404, "not-found");
            // A's link still works: no new one was made.
            assert_one_checkin(app, a, &route).await;
            return;
        }
        ("DELETE", "/api/v1/tokens/{id}") => {
            let path = format!("/api/v1/tokens/{}", a.token_id);
            app.delete(&path, token).await.problem(404, "not-found");
            app.get("/api/v1/clinic", Some(&a.clinic.owner_token))
                .await
                .expect_status(200);
            return;
        }
        ("POST", "/api/v1/alerts/{id}/acknowledge") => {
            let path = format!("/api/v1/alerts/{}/acknowledge", a.alert_id);
            app.post(&path, token, &json!({}))
                .await
                .problem(404, "not-found");
            assert_alert_open(app, a, &route).await;
            return;
        }
        ("POST", "/api/v1/treatments") => {
            // A treatment in B for A's client.
            let body = json!({
                "client_id": a.treatment.client_id,
                "treatment": { "at": helpers::rfc3339(app.now() - 3_600_000), "modality": "swedish" }
            });
            let reply = app.post(path, token, &body).await;
            let problem = reply.problem(404, "not-found");
            assert_eq!(problem["path"], "client_id");
            return;
        }
        ("POST", "/api/v1/clients") => app
            .post(
                path,
                token,
                &json!({ "name": "Beta's client", "follow_up_consent": true }),
            )
            .await
            .expect_status(201),
        ("POST", "/api/v1/practitioners") => app
            .post(
                path,
                token,
                &json!({ "email": "new@beta.test", "name": "New", "role": "therapist" }),
            )
            .await
            .expect_status(201),
        ("POST", "/api/v1/tokens") => app
            .post(path, token, &json!({ "label": "beta's script" }))
            .await
            .expect_status(201),
        ("POST", "/api/v1/triage") => {
            let course = json!({
                "treatment": { "at": "2026-11-20T15:00:00Z", "modality": "swedish" },
                "checkins": []
            });
            app.post(path, token, &course).await.expect_status(200)
        }
        ("GET", "/api/v1/followup/settings") => {
            let reply = app.get(path, token).await.expect_status(200);
            assert_ne!(
                reply.json()["plan_hours"],
                json!(A_PLAN),
                "{route}: B sees its own settings"
            );
            reply
        }
        ("PUT", "/api/v1/followup/settings") => {
            let reply = put(app, path, token, &settings_body(&[12, 36], "Europe/Berlin"))
                .await
                .expect_status(200);
            let own = app.get(path, token).await.expect_status(200).json();
            assert_eq!(
                own["time_zone"], "Europe/Berlin",
                "{route}: B's own changed"
            );
            let theirs = app
                .get(path, Some(&a.clinic.owner_token))
                .await
                .expect_status(200)
                .json();
            assert_eq!(
                (&theirs["time_zone"], &theirs["plan_hours"]),
                (&json!(A_TIME_ZONE), &json!(A_PLAN)),
                "{route}: A's settings are unchanged"
            );
            reply
        }
        ("GET", "/api/v1/treatments/{id}/followup") => {
            let path = format!("/api/v1/treatments/{}/followup", a.treatment.id);
            app.get(&path, token).await.problem(404, "not-found");
            return;
        }
        ("PUT", "/api/v1/treatments/{id}/followup") => {
            let before = followup_of(app, a).await;
            let path = format!("/api/v1/treatments/{}/followup", a.treatment.id);
            put(app, &path, token, &json!({ "plan_hours": [1, 2] }))
                .await
                .problem(404, "not-found");
            assert_eq!(
                followup_of(app, a).await,
                before,
                "{route}: A's plan is unchanged"
            );
            return;
        }
        ("POST", "/api/v1/treatments/{id}/followup/close") => {
            let before = followup_of(app, a).await;
            let path = format!("/api/v1/treatments/{}/followup/close", a.treatment.id);
            app.post(&path, token, &json!({}))
                .await
                .problem(404, "not-found");
            let after = followup_of(app, a).await;
            assert!(
                after["closed_at"].is_null(),
                "{route}: A's follow-up is open"
            );
            assert_eq!(after, before, "{route}: A's follow-up is unchanged");
            return;
        }
        ("PATCH", "/api/v1/clients/{id}") => {
            let path = format!("/api/v1/clients/{}", a.treatment.client_id);
            let before = client_of(app, a).await;
            let body = json!({ "name": "Renamed by Beta", "email": null });
            Reply::of(
                app.request(reqwest::Method::PATCH, &path, token)
                    .json(&body),
            )
            .await
            .problem(404, "not-found");
            assert_eq!(
                client_of(app, a).await,
                before,
                "{route}: A's client unchanged"
            );
            return;
        }
        ("DELETE", "/api/v1/clients/{id}") => {
            let path = format!("/api/v1/clients/{}", a.treatment.client_id);
            app.delete(&path, token).await.problem(404, "not-found");
            client_of(app, a).await;
            assert_one_checkin(app, a, &route).await;
            return;
        }
        ("GET", "/api/v1/clients/{id}/export") => {
            let path = format!("/api/v1/clients/{}/export", a.treatment.client_id);
            let reply = app.get(&path, token).await;
            reply.problem(404, "not-found");
            shows_nothing_of(a, &route, &reply.text);
            return;
        }
        ("PATCH", "/api/v1/treatments/{id}") => {
            let path = format!("/api/v1/treatments/{}", a.treatment.id);
            let read = || app.get(&path, Some(&a.clinic.owner_token));
            let before = read().await.expect_status(200).json();
            let body = json!({ "notes": "written by Beta" });
            let reply = Reply::of(
                app.request(reqwest::Method::PATCH, &path, token)
                    .json(&body),
            )
            .await;
            reply.problem(404, "not-found");
            shows_nothing_of(a, &route, &reply.text);
            assert_eq!(read().await.expect_status(200).json(), before, "{route}");
            assert_one_decision(app, a, &route).await;
            return;
        }
        ("GET", "/api/v1/retention") => {
            let reply = app.get(path, token).await.expect_status(200);
            assert!(reply.json()["keep_days"].is_u64(), "{route}");
            reply
        }
        ("PUT", "/api/v1/retention") => {
            let reply = put(app, path, token, &json!({ "keep_days": 400 }))
                .await
                .expect_status(200);
            let own = app.get(path, token).await.expect_status(200).json();
            assert_eq!(own["keep_days"], 400, "{route}: B's own changed");
            let theirs = app
                .get(path, Some(&a.clinic.owner_token))
                .await
                .expect_status(200)
                .json();
            assert_eq!(
                theirs["keep_days"], theirs["default_keep_days"],
                "{route}: A's retention is unchanged"
            );
            reply
        }
        ("GET", "/api/v1/deliveries") => {
            let reply = app.get(path, token).await.expect_status(200);
            let listed = reply.json();
            let items = listed["items"].as_array().expect("items");
            assert!(!items.is_empty(), "{route}: B sees its own messages");
            for item in items {
                assert_eq!(
                    item["treatment_id"],
                    b.treatment.id.as_str(),
                    "{route}: only B's messages"
                );
            }
            reply
        }
        _ => panic!(
            "{route} has no tenant-isolation case: add one to crates/server/tests/api/isolation.rs"
        ),
    };
    shows_nothing_of(a, &route, &reply.text);
    // What B wrote stayed in B: A's lists hold none of it.
    let a_clients = app
        .get("/api/v1/clients", Some(&a.clinic.owner_token))
        .await
        .expect_status(200)
        .json();
    assert!(
        !a_clients.to_string().contains("Beta's client"),
        "{route}: B's client appeared in A"
    );
}

/// A route a client's link opens, tried with a forged link.
async fn link_route(app: &TestApp, a: &Victim, method: &str, path: &str) {
    let route = format!("{method} {path}");
    let forged = forged(&a.treatment.link_token);
    let concrete = path.replace("{token}", &forged);
    let reply = match (method, path) {
        ("GET", "/api/v1/links/{token}/course") => app.get(&concrete, None).await,
        ("POST", "/api/v1/links/{token}/checkins") => {
            app.post(&concrete, None, &checkin(a.treatment.at, 38, &chest_pain()))
                .await
        }
        _ => panic!(
            "{route} has no tenant-isolation case: add one to crates/server/tests/api/isolation.rs"
        ),
    };
    reply.problem(404, "not-found");
    shows_nothing_of(a, &route, &reply.text);
    assert_one_checkin(app, a, &route).await;
}

/// Asserts that A's course still holds its one check-in.
async fn assert_one_checkin(app: &TestApp, a: &Victim, route: &str) {
    let course = app
        .get(&a.treatment.link_path("course"), None)
        .await
        .expect_status(200)
        .json();
    assert_eq!(
        course["checkins"].as_array().map(Vec::len),
        Some(1),
        "{route}: a forged link changed nothing"
    );
}

/// A route anyone may call: it must show no clinic's records.
async fn public_route(app: &TestApp, a: &Victim, method: &str, path: &str) {
    let route = format!("{method} {path}");
    let reply = match (method, path) {
        ("GET", "/healthz" | "/readyz" | "/api/v1/openapi.json") => {
            app.get(path, None).await.expect_status(200)
        }
        // Off unless the operator turns it on; when on, it counts by route
        // pattern only (tested in `metrics_count_by_route_pattern_...`).
        ("GET", "/metrics") => {
            let reply = app.get(path, None).await;
            reply.problem(404, "no-such-route");
            return;
        }
        _ => panic!(
            "{route} has no tenant-isolation case: add one to crates/server/tests/api/isolation.rs"
        ),
    };
    shows_nothing_of(a, &route, &reply.text);
}

/// A browser without a browser: keeps cookies, never follows redirects.
pub(super) struct Browser {
    address: String,
    http: reqwest::Client,
    pub(super) cookies: CookieJar,
}

impl Browser {
    pub(super) fn new(app: &TestApp) -> Browser {
        Browser {
            address: app.address.clone(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("an HTTP client"),
            cookies: CookieJar::default(),
        }
    }

    pub(super) async fn send(&mut self, request: reqwest::RequestBuilder) -> Reply {
        let reply = Reply::of(self.cookies.attach(request)).await;
        self.cookies.absorb(&reply.headers);
        reply
    }

    pub(super) async fn get(&mut self, path: &str) -> Reply {
        let request = self.http.get(format!("{}{path}", self.address));
        self.send(request).await
    }

    pub(super) async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
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

    /// The form token of the page at `path`: the session's when signed
    /// in, else the one of the `ac_csrf` cookie the page sets.
    pub(super) async fn csrf(&mut self, path: &str) -> String {
        let page = self.get(path).await.expect_status(200);
        let marker = r#"name="csrf_token" value=""#;
        let start = page.text.find(marker).expect("a form token on the page") + marker.len();
        let end = page.text[start..].find('"').expect("the end of the token") + start;
        page.text[start..end].to_owned()
    }
}

/// A browser signed in as a clinic's owner through the login form.
pub(super) async fn sign_in(app: &TestApp, clinic: &ClinicFixture) -> Browser {
    let hash = aftercare_server::web::password_hash(PASSWORD).expect("a hash");
    app.store
        .set_password_hash(
            &ClinicId::parse(&clinic.id).expect("clinic id"),
            &PractitionerId::parse(&clinic.owner_id).expect("owner id"),
            &hash,
        )
        .await
        .expect("set the password");
    let mut browser = Browser::new(app);
    let csrf = browser.csrf("/login").await;
    let email = email_of("owner", clinic);
    let answer = browser
        .post(
            "/login",
            &[
                ("csrf_token", &csrf),
                ("email", &email),
                ("password", PASSWORD),
            ],
        )
        .await
        .expect_status(303);
    assert_eq!(answer.header("location"), Some("/dashboard"));
    browser
}

/// How many treatments a clinic has, of one client or of all.
async fn treatment_count(app: &TestApp, clinic: &ClinicFixture, client: Option<&str>) -> usize {
    let client = client.map(|id| ClientId::parse(id).expect("client id"));
    app.store
        .list_treatments(
            &ClinicId::parse(&clinic.id).expect("clinic id"),
            client.as_ref(),
            &PageRequest::default(),
        )
        .await
        .expect("list treatments")
        .items
        .len()
}

/// A page for anyone: it must show neither clinic.
async fn page_public_route(app: &TestApp, a: &Victim, b: &Beta, method: &str, path: &str) {
    let route = format!("{method} {path}");
    let mut anyone = Browser::new(app);
    let text = match (method, path) {
        ("GET", "/" | "/assets/app.css" | "/login" | "/self-check" | "/forgot-password") => {
            anyone.get(path).await.expect_status(200).text
        }
        ("POST", "/login") => {
            // A's owner's email with a wrong password: refused, no session,
            // and nothing said of the account beyond the email typed.
            let csrf = anyone.csrf("/login").await;
            let refused = anyone
                .post(
                    path,
                    &[
                        ("csrf_token", &csrf),
                        ("email", &a.owner_email),
                        ("password", "not the password"),
                    ],
                )
                .await
                .expect_status(401);
            assert!(
                !anyone.cookies.contains_key("ac_session"),
                "{route}: no session"
            );
            without_typed(&refused.text, &a.owner_email)
        }
        ("POST", "/forgot-password") => {
            // A's owner's email: the same answer as for any email.
            let csrf = anyone.csrf("/login").await;
            let answer = anyone
                .post(path, &[("csrf_token", &csrf), ("email", &a.owner_email)])
                .await
                .expect_status(200);
            without_typed(&answer.text, &a.owner_email)
        }
        ("POST", "/self-check") => {
            let csrf = anyone.csrf("/self-check").await;
            let answer = self_check(&mut anyone, &csrf).await;
            assert!(answer.contains(r#"id="decision""#), "{route}: {answer}");
            answer
        }
        _ => panic!(
            "{route} has no tenant-isolation case: add one to crates/server/tests/api/isolation.rs"
        ),
    };
    shows_no_clinic(a, b, &route, &text);
}

/// Sends a self-check and returns the answer page.
pub(super) async fn self_check(browser: &mut Browser, csrf: &str) -> String {
    browser
        .post(
            "/self-check",
            &[
                ("csrf_token", csrf),
                ("hours_ago", "20"),
                ("modality", "sports"),
                ("symptom", "soreness"),
                ("soreness.severity", "mild"),
            ],
        )
        .await
        .expect_status(200)
        .text
}

/// A page of a signed-in practitioner, opened by clinic B's owner at
/// clinic A's records.
async fn signed_in_route(
    app: &TestApp,
    a: &Victim,
    b: &Beta,
    browser: &mut Browser,
    method: &str,
    path: &str,
) {
    let route = format!("{method} {path}");
    let csrf = browser.csrf("/dashboard").await;
    let csrf = csrf.as_str();
    let text = match (method, path) {
        ("POST", "/logout") => {
            // A second session of B's; the first stays for the other routes.
            let mut other = sign_in(app, &b.clinic).await;
            let other_csrf = other.csrf("/dashboard").await;
            let done = other
                .post(path, &[("csrf_token", &other_csrf)])
                .await
                .expect_status(303);
            assert_eq!(done.header("location"), Some("/login"), "{route}");
            other.get("/dashboard").await.expect_status(303);
            browser.get("/dashboard").await.expect_status(200);
            done.text
        }
        ("GET", "/dashboard") => {
            let page = browser.get(path).await.expect_status(200);
            assert!(
                page.text
                    .contains(&format!(r#"href="/treatments/{}""#, b.treatment.id)),
                "{route}: B sees its own alert: {}",
                page.text
            );
            assert_eq!(page.text.matches(r#"class="alert""#).count(), 1, "{route}");
            page.text
        }
        ("POST", "/alerts/{id}/acknowledge") => {
            let page = browser
                .post(
                    &format!("/alerts/{}/acknowledge", a.alert_id),
                    &[("csrf_token", csrf)],
                )
                .await
                .expect_status(404);
            assert_alert_open(app, a, &route).await;
            page.text
        }
        ("GET", "/settings") => {
            // B's own settings, never A's.
            let page = browser.get(path).await.expect_status(200);
            let own = app
                .get("/api/v1/followup/settings", Some(&b.clinic.owner_token))
                .await
                .expect_status(200)
                .json();
            let zone = own["time_zone"].as_str().expect("B's zone");
            assert!(
                page.text.contains(&format!(r#"value="{zone}""#)),
                "{route}: {}",
                page.text
            );
            page.text
        }
        ("POST", "/settings") => {
            let page = browser
                .post(
                    path,
                    &[
                        ("csrf_token", csrf),
                        ("country", "NZ"),
                        ("time_zone", "Pacific/Auckland"),
                    ],
                )
                .await
                .expect_status(303);
            // Only B's settings changed; A keeps its zone and no country.
            let a_settings = app
                .get("/api/v1/followup/settings", Some(&a.clinic.owner_token))
                .await
                .expect_status(200)
                .json();
            assert_eq!(a_settings["time_zone"], A_TIME_ZONE, "{route}");
            assert_eq!(a_settings["country"], Value::Null, "{route}");
            page.text
        }
        ("GET", "/account/password") => browser.get(path).await.expect_status(200).text,
        ("POST", "/account/password") => {
            // Only B's own account can be reached, and a wrong current
            // password changes nothing.
            browser
                .post(
                    path,
                    &[
                        ("csrf_token", csrf),
                        ("current_password", "not the password"),
                        ("new_password", "taken over by beta"),
                    ],
                )
                .await
                .expect_status(422)
                .text
        }
        (
            "GET" | "POST",
            "/team/{id}/deactivate"
            | "/team/{id}/reactivate"
            | "/team/{id}/reset-link"
            | "/team/{id}/transfer",
        ) => {
            let path = path.replace("{id}", &a.clinic.therapist_id);
            let page = if method == "GET" {
                browser.get(&path).await
            } else {
                browser
                    .post(
                        &path,
                        &[
                            ("csrf_token", csrf),
                            ("confirm", "yes"),
                            ("current_password", PASSWORD),
                        ],
                    )
                    .await
            };
            assert_eq!(page.status, 404, "{route}: {}", page.text);
            let therapist = app
                .get(
                    &format!("/api/v1/practitioners/{}", a.clinic.therapist_id),
                    Some(&a.clinic.therapist_token),
                )
                .await
                .expect_status(200)
                .json();
            assert_eq!(therapist["active"], true, "{route}");
            assert_eq!(therapist["role"], "therapist", "{route}");
            page.text
        }
        ("GET", "/team") => {
            let page = browser.get(path).await.expect_status(200);
            assert!(
                page.text.contains(&email_of("therapist", &b.clinic)),
                "{route}: B sees its own team"
            );
            page.text
        }
        ("POST", "/team") => {
            // A's owner's email cannot be taken into B.
            let refused = browser
                .post(
                    path,
                    &[
                        ("csrf_token", csrf),
                        ("name", "Taken Over"),
                        ("email", &a.owner_email),
                        ("password", PASSWORD),
                    ],
                )
                .await
                .expect_status(422);
            shows_nothing_of(a, &route, &without_typed(&refused.text, &a.owner_email));
            let (owner, hash) = app
                .store
                .practitioner_by_email(&a.owner_email)
                .await
                .expect("lookup")
                .expect("A's owner");
            assert_eq!(owner.clinic_id.to_string(), a.clinic.id, "{route}");
            assert!(hash.is_none(), "{route}: A's owner got no password from B");
            // A therapist B adds is B's alone.
            let email = email_of("web-newcomer", &b.clinic);
            let added = browser
                .post(
                    path,
                    &[
                        ("csrf_token", csrf),
                        ("name", "Web Newcomer"),
                        ("email", &email),
                        ("password", PASSWORD),
                    ],
                )
                .await
                .expect_status(303);
            let (member, _) = app
                .store
                .practitioner_by_email(&email)
                .await
                .expect("lookup")
                .expect("the new therapist");
            assert_eq!(member.clinic_id.to_string(), b.clinic.id, "{route}");
            let a_team = app
                .get("/api/v1/practitioners", Some(&a.clinic.owner_token))
                .await
                .expect_status(200);
            assert!(!a_team.text.contains(&email), "{route}: B's therapist in A");
            added.text
        }
        ("GET", "/clients") => {
            let page = browser.get(path).await.expect_status(200);
            assert!(
                page.text
                    .contains(&format!(r#"href="/clients/{}""#, b.treatment.client_id)),
                "{route}: B sees its own clients"
            );
            page.text
        }
        ("POST", "/clients") => {
            let added = browser
                .post(path, &[("csrf_token", csrf), ("name", "Beta's web client")])
                .await
                .expect_status(303);
            let a_clients = app
                .get("/api/v1/clients", Some(&a.clinic.owner_token))
                .await
                .expect_status(200);
            assert!(
                !a_clients.text.contains("Beta's web client"),
                "{route}: B's client appeared in A"
            );
            let location = added.header("location").expect("the client's page");
            browser.get(location).await.expect_status(200);
            added.text
        }
        (
            "GET",
            "/clients/{id}"
            | "/clients/{id}/treatments/new"
            | "/clients/{id}/edit"
            | "/clients/{id}/erase"
            | "/clients/{id}/export",
        ) => {
            browser
                .get(&path.replace("{id}", &b.treatment.client_id))
                .await
                .expect_status(200);
            browser
                .get(&path.replace("{id}", &a.treatment.client_id))
                .await
                .expect_status(404)
                .text
        }
        ("POST", "/clients/{id}/treatments") => {
            let before = treatment_count(app, &b.clinic, None).await;
            let page = browser
                .post(
                    &path.replace("{id}", &a.treatment.client_id),
                    &[("csrf_token", csrf), ("modality", "swedish")],
                )
                .await
                .expect_status(404);
            assert_eq!(
                treatment_count(app, &a.clinic, Some(&a.treatment.client_id)).await,
                1,
                "{route}: no treatment for A's client"
            );
            assert_eq!(
                treatment_count(app, &b.clinic, None).await,
                before,
                "{route}: no treatment in B"
            );
            page.text
        }
        (
            "GET",
            "/treatments/{id}"
            | "/treatments/{id}/summary"
            | "/treatments/{id}/summary.pdf"
            | "/treatments/{id}/edit",
        ) => {
            browser
                .get(&path.replace("{id}", &b.treatment.id))
                .await
                .expect_status(200);
            browser
                .get(&path.replace("{id}", &a.treatment.id))
                .await
                .expect_status(404)
                .text
        }
        ("POST", "/clients/{id}/edit") => {
            let before = client_of(app, a).await;
            let page = browser
                .post(
                    &path.replace("{id}", &a.treatment.client_id),
                    &[("csrf_token", csrf), ("name", "Renamed by Beta")],
                )
                .await
                .expect_status(404);
            assert_eq!(
                client_of(app, a).await,
                before,
                "{route}: A's client unchanged"
            );
            page.text
        }
        ("POST", "/clients/{id}/erase") => {
            let page = browser
                .post(
                    &path.replace("{id}", &a.treatment.client_id),
                    &[("csrf_token", csrf), ("confirm", "yes")],
                )
                .await
                .expect_status(404);
            client_of(app, a).await;
            assert_one_checkin(app, a, &route).await;
            page.text
        }
        (
            "POST",
            "/treatments/{id}/link" | "/treatments/{id}/link/email" | "/treatments/{id}/link/sms",
        ) => {
            let page = browser
                .post(
                    &path.replace("{id}", &a.treatment.id),
                    &[("csrf_token", csrf)],
                )
                .await
                .expect_status(404);
            // A's link still works: no new one was made.
            assert_one_checkin(app, a, &route).await;
            page.text
        }
        ("POST", "/treatments/{id}/edit") => {
            let path = path.replace("{id}", &a.treatment.id);
            let api = format!("/api/v1/treatments/{}", a.treatment.id);
            let read = || app.get(&api, Some(&a.clinic.owner_token));
            let before = read().await.expect_status(200).json();
            let page = browser
                .post(
                    &path,
                    &[
                        ("csrf_token", csrf),
                        ("modality", "swedish"),
                        ("notes", "by Beta"),
                    ],
                )
                .await
                .expect_status(404);
            assert_eq!(read().await.expect_status(200).json(), before, "{route}");
            assert_one_decision(app, a, &route).await;
            page.text
        }
        _ => panic!(
            "{route} has no tenant-isolation case: add one to crates/server/tests/api/isolation.rs"
        ),
    };
    shows_nothing_of(a, &route, &text);
}

/// A real setup link, made in the store as the first run makes one.
pub(super) async fn setup_link(app: &TestApp) -> String {
    let secret = Secret::generate("acs_");
    let now = app.now();
    app.store
        .create_setup_link(&secret.hash(), now, now + 86_400_000)
        .await
        .expect("a setup link");
    secret.expose().to_owned()
}

/// A real reset link for clinic A's therapist, made in the store as the
/// team page makes one.
async fn reset_link(app: &TestApp, a: &Victim) -> String {
    let secret = Secret::generate("acr_");
    let now = app.now();
    app.store
        .create_password_reset(
            &ClinicId::parse(&a.clinic.id).expect("clinic id"),
            &PractitionerId::parse(&a.clinic.therapist_id).expect("therapist id"),
            &secret.hash(),
            &aftercare_store::Actor::System,
            now,
            now + 3_600_000,
        )
        .await
        .expect("a reset link");
    secret.expose().to_owned()
}

/// A real diary link, made through the self-check; with its first
/// check-in.
pub(super) async fn diary_link(app: &TestApp, browser: &mut Browser, csrf: &str) -> String {
    let answer = self_check(browser, csrf).await;
    let marker = r#"id="diary-link" class="link-box">"#;
    let start = answer.find(marker).expect("a diary link") + marker.len();
    let url = &answer[start..start + answer[start..].find('<').expect("end")];
    url.strip_prefix(&format!("{}/self-check/d/", app.address))
        .expect("a diary link here")
        .to_owned()
}

/// A page reached with a secret link, tried with a forged one: nothing
/// found, nothing shown, nothing stored.
async fn link_page_route(app: &TestApp, a: &Victim, method: &str, path: &str) {
    let route = format!("{method} {path}");
    // A valid form token, so that a refusal is the link's doing.
    let mut anyone = Browser::new(app);
    let csrf = anyone.csrf("/login").await;
    let csrf = csrf.as_str();
    let client_link = forged(&a.treatment.link_token);
    let page = match (method, path) {
        ("GET", "/setup/{token}") => {
            let link = forged(&setup_link(app).await);
            anyone.get(&path.replace("{token}", &link)).await
        }
        ("POST", "/setup/{token}") => {
            let link = forged(&setup_link(app).await);
            let clinics = app.store.clinics().await.expect("clinics").len();
            let page = anyone
                .post(
                    &path.replace("{token}", &link),
                    &[
                        ("csrf_token", csrf),
                        ("clinic_name", "Forged Clinic"),
                        ("name", "Forger"),
                        ("email", "forger@forged-clinic.test"),
                        ("password", PASSWORD),
                    ],
                )
                .await;
            assert_eq!(
                app.store.clinics().await.expect("clinics").len(),
                clinics,
                "{route}: no clinic made"
            );
            assert!(
                app.store
                    .practitioner_by_email("forger@forged-clinic.test")
                    .await
                    .expect("lookup")
                    .is_none(),
                "{route}: no account made"
            );
            assert!(!anyone.cookies.contains_key("ac_session"), "{route}");
            page
        }
        ("GET", "/c/{link}" | "/c/{link}/course") => {
            anyone.get(&path.replace("{link}", &client_link)).await
        }
        ("GET" | "POST", "/reset/{token}") => {
            let link = forged(&reset_link(app, a).await);
            let path = path.replace("{token}", &link);
            let page = if method == "GET" {
                anyone.get(&path).await
            } else {
                anyone
                    .post(
                        &path,
                        &[
                            ("csrf_token", csrf),
                            ("new_password", "taken over by a forger"),
                        ],
                    )
                    .await
            };
            assert!(!anyone.cookies.contains_key("ac_session"), "{route}");
            page
        }
        ("POST", "/c/{link}") => {
            let page = anyone
                .post(
                    &path.replace("{link}", &client_link),
                    &[
                        ("csrf_token", csrf),
                        ("symptom", "chest_pain"),
                        ("chest_pain.severity", "moderate"),
                    ],
                )
                .await;
            assert_one_checkin(app, a, &route).await;
            page
        }
        ("GET", "/self-check/d/{link}" | "/self-check/d/{link}/erase") => {
            let link = forged(&diary_link(app, &mut anyone, csrf).await);
            anyone.get(&path.replace("{link}", &link)).await
        }
        ("POST", "/self-check/d/{link}/erase") => {
            let real = diary_link(app, &mut anyone, csrf).await;
            let page = anyone
                .post(
                    &path.replace("{link}", &forged(&real)),
                    &[("csrf_token", csrf), ("confirm", "yes")],
                )
                .await;
            anyone
                .get(&format!("/self-check/d/{real}"))
                .await
                .expect_status(200);
            page
        }
        ("POST", "/self-check/d/{link}") => {
            let real = diary_link(app, &mut anyone, csrf).await;
            let page = anyone
                .post(
                    &path.replace("{link}", &forged(&real)),
                    &[
                        ("csrf_token", csrf),
                        ("symptom", "fever"),
                        ("fever.severity", "moderate"),
                    ],
                )
                .await;
            let diary = anyone
                .get(&path.replace("{link}", &real))
                .await
                .expect_status(200);
            assert_eq!(
                diary.text.matches(r#"class="level""#).count(),
                1,
                "{route}: the diary is unchanged"
            );
            page
        }
        _ => panic!(
            "{route} has no tenant-isolation case: add one to crates/server/tests/api/isolation.rs"
        ),
    };
    assert_eq!(page.status, 404, "{route}: {}", page.text);
    shows_nothing_of(a, &route, &page.text);
}
