//! Tenant isolation, route by route. The test walks the service's own
//! route table (`aftercare_server::route_table`, from which the router is
//! built): every route must have a case here, so a new route without one
//! fails the suite until someone writes down why it cannot leak.
//!
//! Two clinics share one service. Clinic B's practitioner aims every
//! route at clinic A's records; a client link's routes are tried with a
//! forged link; public routes must show neither clinic.

use aftercare_server::{Access, route_table};
use serde_json::json;

use super::helpers::{self, ClinicFixture, TestApp, TreatmentFixture, on_every_backend};
use super::{checkin, chest_pain};

/// What clinic A holds, for clinic B to aim at.
struct Victim {
    clinic: ClinicFixture,
    treatment: TreatmentFixture,
    alert_id: String,
    token_id: String,
}

impl Victim {
    /// Every id and name of A that must never appear in B's answers.
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
        ]
    }
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

/// A forged link: a real one with one character changed.
fn forged(link: &str) -> String {
    let mut forged = link.to_owned();
    let last = forged.pop().unwrap_or('A');
    forged.push(if last == 'A' { 'B' } else { 'A' });
    forged
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
        let alerts = app
            .get("/api/v1/alerts", Some(&a.owner_token))
            .await
            .expect_status(200)
            .json();
        let alert_id = alerts["items"][0]["id"]
            .as_str()
            .expect("A's alert")
            .to_owned();
        let tokens = app
            .get("/api/v1/tokens", Some(&a.owner_token))
            .await
            .expect_status(200)
            .json();
        let token_id = tokens["items"][0]["id"]
            .as_str()
            .expect("A's token")
            .to_owned();
        let victim = Victim {
            clinic: a,
            treatment,
            alert_id,
            token_id,
        };
        // Clinic B also has data of its own, so its lists are not empty.
        let _ = app.treatment(&b, 10).await;

        let mut covered = Vec::new();
        for route in route_table() {
            let name = format!("{} {}", route.method, route.path);
            match route.access {
                Access::Clinic => clinic_route(app, &victim, &b, route.method, route.path).await,
                Access::ClientLink => link_route(app, &victim, route.method, route.path).await,
                Access::Public => public_route(app, &victim, route.method, route.path).await,
            }
            covered.push(name);
        }
        assert!(
            covered.len() >= 24,
            "the route table lists every route: {covered:?}"
        );
    })
    .await;
}

/// A route of the clinic API, called by clinic B at clinic A's records.
async fn clinic_route(app: &TestApp, a: &Victim, b: &ClinicFixture, method: &str, path: &str) {
    let token = Some(b.owner_token.as_str());
    let route = format!("{method} {path}");
    let reply = match (method, path) {
        ("GET", "/api/v1/clinic") => {
            let reply = app.get("/api/v1/clinic", token).await.expect_status(200);
            assert_eq!(reply.json()["name"], b.name.as_str());
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
                !reply.json()["items"].as_array().expect("items").is_empty()
                    || path == "/api/v1/alerts",
                "{route}: B sees its own records"
            );
            reply
        }
        ("GET", "/api/v1/practitioners/{id}") => {
            let path = format!("/api/v1/practitioners/{}", a.clinic.therapist_id);
            app.get(&path, token).await.problem(404, "not-found");
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
            let open = app
                .get("/api/v1/alerts", Some(&a.clinic.owner_token))
                .await
                .expect_status(200)
                .json();
            assert!(
                open["items"][0]["acknowledged_at"].is_null(),
                "A's alert is still open"
            );
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
