//! The client's link put in their hands again, and alerts a therapist can
//! act on, over real HTTP on every backend: a new link revokes the old
//! one, an email with the new link reaches a real SMTP server, a text
//! message reaches a webhook on loopback only through the operator's allow
//! list, another clinic cannot touch a link, phone numbers are checked,
//! and alerts show how to reach the client and who acknowledged them.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use aftercare_core::Guideline;
use aftercare_server::{
    AppState, Clock, Delivery, Scheduler, SchedulerOptions, ServerSettings, WebhookAllow,
};
use aftercare_store::{Actor, ClinicId};
use serde_json::{Value, json};

use crate::helpers::{ClinicFixture, TestApp, on_every_backend, on_every_backend_with, rfc3339};
use crate::scheduler_support::{SmtpServer, WebhookReceiver, wait_for_mail, webhook_settings};
use crate::web::{Browser, Page, owner_browser, send_form};

/// The link shown on a course page, if one is.
fn shown_link(page: &Page) -> Option<String> {
    let marker = r#"id="client-link" class="link-box">"#;
    let start = page.text.find(marker)? + marker.len();
    let end = page.text[start..].find('<')? + start;
    Some(page.text[start..end].to_owned())
}

/// The token at the end of a client link.
fn token_of(link: &str) -> &str {
    link.rsplit('/')
        .next()
        .expect("a token at the end of the link")
}

/// The clinic's audit actions, oldest first.
async fn audit_actions(app: &TestApp, clinic: &ClinicFixture) -> Vec<String> {
    app.get("/api/v1/audit?limit=200", Some(&clinic.owner_token))
        .await
        .expect_status(200)
        .json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|event| event["action"].as_str().map(str::to_owned))
        .collect()
}

/// Adds a client through the web form; answers the client's page path.
async fn add_client(owner: &mut Browser, fields: &[(&str, &str)]) -> String {
    let csrf = owner.get("/clients").await.expect(200).csrf();
    let mut all = vec![("csrf_token", csrf.as_str())];
    all.extend_from_slice(fields);
    let added = owner.post("/clients", &all).await.expect(303);
    added
        .header("location")
        .expect("the client's page")
        .to_owned()
}

/// Records a treatment an hour ago for a client (by id) through the API;
/// answers the treatment id and its link token.
async fn treat(app: &TestApp, clinic: &ClinicFixture, client_id: &str) -> (String, String) {
    let created = app
        .post(
            "/api/v1/treatments",
            Some(&clinic.therapist_token),
            &json!({
                "client_id": client_id,
                "treatment": { "at": rfc3339(app.now() - 3_600_000), "modality": "swedish", "regions": ["calves"] }
            }),
        )
        .await
        .expect_status(201)
        .json();
    (
        created["id"].as_str().expect("id").to_owned(),
        created["link"]["token"].as_str().expect("token").to_owned(),
    )
}

/// A scheduler over the app's database with these settings and its own
/// clock (the tests move it), as `aftercare serve` runs beside the pages.
fn scheduler(app: &TestApp, settings: ServerSettings, clock: &Arc<AtomicI64>) -> Scheduler {
    let settings = ServerSettings {
        public_url: app.address.clone(),
        ..settings
    };
    let delivery =
        Delivery::new(settings.smtp.as_ref(), &settings.webhook_allow).expect("delivery");
    let ticking = Arc::clone(clock);
    let state = AppState::new(app.store.clone(), Guideline::shipped(), settings)
        .with_clock(Clock::from_fn(move || ticking.load(Ordering::SeqCst)));
    Scheduler::new(state, delivery, SchedulerOptions::default())
}

#[tokio::test]
async fn a_new_link_is_shown_once_and_the_old_one_stops_working_at_once() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Renew Clinic").await;
        let treatment = app.treatment(&clinic, 1).await;
        let course = format!("/treatments/{}", treatment.id);
        let mut owner = owner_browser(app, &clinic).await;
        let page = owner.get(&course).await.expect(200);
        assert!(shown_link(&page).is_none(), "a kept link is never shown");
        assert!(page.text.contains("Make a new link"));
        assert!(page.text.contains("Only a fingerprint of the link is kept"));
        // Without SMTP or a webhook, the page says plainly why no message can go.
        assert!(page.text.contains(r#"id="no-link-email""#), "{}", page.text);
        assert!(page.text.contains("no email (SMTP) server"));
        assert!(page.text.contains(r#"id="no-link-text""#));
        assert!(page.text.contains(r#"id="link-by-hand""#));
        assert!(!page.text.contains("Send a new link by email"));

        // Asked anyway, sending is refused plainly and nothing changes.
        let refused = owner
            .post(
                &format!("{course}/link/email"),
                &[("csrf_token", &page.csrf())],
            )
            .await
            .expect(409);
        assert!(refused.text.contains("No message can carry the link"));
        assert!(refused.text.contains("Nothing was changed"));
        // Without the form's token, nothing changes either.
        owner
            .post(&format!("{course}/link"), &[("csrf_token", "wrong")])
            .await
            .expect(403);
        Browser::new(app)
            .get(&format!("/c/{}", treatment.link_token))
            .await
            .expect(200);

        let made = owner
            .post(&format!("{course}/link"), &[("csrf_token", &page.csrf())])
            .await
            .expect(303);
        let location = made.header("location").expect("location").to_owned();
        assert_eq!(location, format!("{course}?sent=shown"));
        let shown = owner.get(&location).await.expect(200);
        let link = shown_link(&shown).expect("the new link, once");
        assert!(
            link.starts_with(&format!("{}/c/acl_", app.address)),
            "{link}"
        );
        assert!(shown.text.contains("Select the text and copy it"));
        assert!(
            shown.text.contains("data:image/svg+xml;base64,"),
            "a QR code"
        );
        assert!(
            shown.text.contains("(in 29 days)"),
            "when it expires, in words"
        );
        assert!(
            !shown.text.contains("<script"),
            "no script is needed to copy it"
        );

        // The old link is dead, the new one opens the check-in form.
        let old = Browser::new(app)
            .get(&format!("/c/{}", treatment.link_token))
            .await;
        assert!([404, 410].contains(&old.status), "{}", old.status);
        app.get(&treatment.link_path("course"), None)
            .await
            .problem(404, "not-found");
        Browser::new(app)
            .get(&format!("/c/{}", token_of(&link)))
            .await
            .expect(200);
        // The new link keeps the expiry set when the treatment was recorded.
        let stored = app
            .get(
                &format!("/api/v1/treatments/{}", treatment.id),
                Some(&clinic.owner_token),
            )
            .await
            .expect_status(200)
            .json();
        assert_eq!(
            stored["link_expires_at"],
            treatment.created["link_expires_at"]
        );
        assert!(
            audit_actions(app, &clinic)
                .await
                .contains(&"link.reissue".to_owned())
        );

        // Once the cookie is gone, it is never shown again.
        owner.cookies.remove("ac_new_link");
        let later = owner.get(&course).await.expect(200);
        assert!(shown_link(&later).is_none());

        // The API does the same: a new link in the answer, the last one dead.
        let renewed = app
            .post(
                &format!("/api/v1/treatments/{}/link", treatment.id),
                Some(&clinic.therapist_token),
                &json!({}),
            )
            .await
            .expect_status(201)
            .json();
        let token = renewed["token"].as_str().expect("a token");
        assert_eq!(renewed["expires_at"], treatment.created["link_expires_at"]);
        assert_eq!(
            renewed["url"].as_str(),
            Some(format!("{}/c/{token}", app.address).as_str())
        );
        Browser::new(app)
            .get(&format!("/c/{}", token_of(&link)))
            .await
            .expect(404);
        app.get(&format!("/api/v1/links/{token}/course"), None)
            .await
            .expect_status(200);
        // No message can carry it: refused, and the link still works.
        for path in ["email", "sms"] {
            app.post(
                &format!("/api/v1/treatments/{}/link/{path}", treatment.id),
                Some(&clinic.therapist_token),
                &json!({}),
            )
            .await
            .problem(409, "conflict");
        }
        app.get(&format!("/api/v1/links/{token}/course"), None)
            .await
            .expect_status(200);
    })
    .await;
}

#[tokio::test]
async fn another_clinic_cannot_make_or_send_a_link_for_a_treatment() {
    on_every_backend(async |app: &TestApp| {
        let a = app.clinic("Link Clinic A").await;
        let b = app.clinic("Link Clinic B").await;
        let treatment = app.treatment(&a, 1).await;
        let mut other = owner_browser(app, &b).await;
        let csrf = other.get("/dashboard").await.expect(200).csrf();
        for rest in ["", "/email", "/sms"] {
            other
                .post(
                    &format!("/treatments/{}/link{rest}", treatment.id),
                    &[("csrf_token", &csrf)],
                )
                .await
                .expect(404);
            app.post(
                &format!("/api/v1/treatments/{}/link{rest}", treatment.id),
                Some(&b.therapist_token),
                &json!({}),
            )
            .await
            .problem(404, "not-found");
        }
        // Nothing changed: the link works and neither audit trail has a link event.
        app.get(&treatment.link_path("course"), None)
            .await
            .expect_status(200);
        for clinic in [&a, &b] {
            assert!(
                !audit_actions(app, clinic)
                    .await
                    .iter()
                    .any(|action| action.starts_with("link.")),
                "{}",
                clinic.name
            );
        }
    })
    .await;
}

#[tokio::test]
async fn a_new_link_by_email_reaches_a_real_smtp_server() {
    let Some(smtp) = SmtpServer::start() else {
        return;
    };
    let settings = ServerSettings {
        smtp: Some(smtp.settings()),
        ..ServerSettings::default()
    };
    on_every_backend_with(settings.clone(), async |app: &TestApp| {
        let clinic = app.clinic("Mail Clinic").await;
        let treatment = app.treatment(&clinic, 1).await;
        let course = format!("/treatments/{}", treatment.id);
        let mut owner = owner_browser(app, &clinic).await;
        let page = owner.get(&course).await.expect(200);
        assert!(
            page.text.contains("Send a new link by email"),
            "{}",
            page.text
        );
        let sent = owner
            .post(
                &format!("{course}/link/email"),
                &[("csrf_token", &page.csrf())],
            )
            .await
            .expect(303);
        let location = sent.header("location").expect("location").to_owned();
        let notice = owner.get(&location).await.expect(200);
        assert!(notice.text.contains("on its way to the client by email"));
        assert!(shown_link(&notice).is_none(), "a sent link is not shown");
        // The old link stopped working at once, before any email went.
        app.get(&treatment.link_path("course"), None)
            .await
            .problem(404, "not-found");
        assert!(
            audit_actions(app, &clinic)
                .await
                .contains(&"link.email".to_owned())
        );

        let before = smtp.messages().len();
        let clock = Arc::new(AtomicI64::new(app.now()));
        let report = scheduler(app, settings.clone(), &clock)
            .run_once()
            .await
            .expect("a scheduler pass");
        assert_eq!(report.sent, 1, "{report:?}");
        let mail = wait_for_mail(&smtp, before + 1).await;
        let message = mail.get(before).expect("the email arrived");
        assert!(
            message.contains("X-Envelope-To: casey@example.org"),
            "{message}"
        );
        assert!(
            message.contains("Mail Clinic: your private link"),
            "{message}"
        );
        let start = message
            .find(&format!("{}/c/acl_", app.address))
            .expect("the new link in the email");
        let link: String = message[start..]
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect();
        Browser::new(app)
            .get(&format!("/c/{}", token_of(&link)))
            .await
            .expect(200);
    })
    .await;
}

#[tokio::test]
async fn a_new_link_by_text_message_reaches_a_loopback_webhook_only_through_the_allow_list() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Text Clinic").await;
        let clock = Arc::new(AtomicI64::new(app.now()));
        let receiver = WebhookReceiver::start(Arc::clone(&clock), Some(0)).await;
        app.store
            .put_followup_settings(
                &ClinicId::parse(&clinic.id).expect("clinic id"),
                &Actor::System,
                &webhook_settings(&receiver.url),
                app.now(),
            )
            .await
            .expect("the clinic's webhook");
        let mut owner = owner_browser(app, &clinic).await;
        let client_page = add_client(
            &mut owner,
            &[
                ("name", "Tam Text"),
                ("phone", "+44 20 7946 0000"),
                ("follow_up_consent", "yes"),
            ],
        )
        .await;
        let client_id = client_page.trim_start_matches("/clients/");
        let (treatment, old_token) = treat(app, &clinic, client_id).await;
        let course = format!("/treatments/{treatment}");
        let page = owner.get(&course).await.expect(200);
        assert!(page.text.contains("Send a new link by text message"));
        assert!(page.text.contains(r#"id="no-link-email""#));
        owner
            .post(
                &format!("{course}/link/sms"),
                &[("csrf_token", &page.csrf())],
            )
            .await
            .expect(303);
        Browser::new(app)
            .get(&format!("/c/{old_token}"))
            .await
            .expect(404);

        // Without the operator's allow list, loopback is refused: nothing arrives.
        let report = scheduler(app, ServerSettings::default(), &clock)
            .run_once()
            .await
            .expect("a scheduler pass");
        assert_eq!(report.sent, 0, "{report:?}");
        assert_eq!(receiver.contacts(), 0, "the address check refused it");

        // Allowed by the operator, the retry arrives, signed, with the phone and the link.
        clock.fetch_add(2 * 3_600_000, Ordering::SeqCst);
        let allowed = ServerSettings {
            webhook_allow: WebhookAllow::parse(&["127.0.0.1"]).expect("an allow list"),
            ..ServerSettings::default()
        };
        let report = scheduler(app, allowed, &clock)
            .run_once()
            .await
            .expect("a scheduler pass");
        assert_eq!(report.sent, 1, "{report:?}");
        let accepted = receiver.accepted();
        let delivered: &Value = &accepted.first().expect("the text message").body;
        assert_eq!(delivered["kind"], "link.sms");
        assert_eq!(delivered["to"], "+44 20 7946 0000");
        let link = delivered["link"].as_str().expect("a link");
        assert!(
            delivered["text"]
                .as_str()
                .is_some_and(|text| text.contains(link)),
            "{delivered}"
        );
        Browser::new(app)
            .get(&format!("/c/{}", token_of(link)))
            .await
            .expect(200);
        assert!(
            audit_actions(app, &clinic)
                .await
                .contains(&"link.sms".to_owned())
        );
    })
    .await;
}

#[tokio::test]
async fn phone_numbers_are_checked_on_the_client_forms() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Phone Clinic").await;
        let mut owner = owner_browser(app, &clinic).await;
        for wrong in [
            "12345",
            "call me",
            "+44 20 7946 0000 ext. 5",
            "123456789012345678901",
        ] {
            let csrf = owner.get("/clients").await.expect(200).csrf();
            let refused = owner
                .post(
                    "/clients",
                    &[("csrf_token", &csrf), ("name", "Pat"), ("phone", wrong)],
                )
                .await
                .expect(422);
            assert!(refused.text.contains(r#"id="phone-error""#), "{wrong}");
            assert!(refused.text.contains("6 to 20 digits"), "{wrong}");
        }
        let list = owner.get("/clients").await.expect(200);
        assert!(!list.text.contains("Pat"), "no client was added");

        let client_page =
            add_client(&mut owner, &[("name", "Pat"), ("phone", "(020) 7946-0000")]).await;
        let shown = owner.get(&client_page).await.expect(200);
        assert!(
            shown.text.contains(r#"href="tel:02079460000""#),
            "{}",
            shown.text
        );

        let edit = format!("{client_page}/edit");
        let form = owner.get(&edit).await.expect(200);
        let refused = owner
            .post(
                &edit,
                &[
                    ("csrf_token", &form.csrf()),
                    ("name", "Pat"),
                    ("phone", "12"),
                ],
            )
            .await
            .expect(422);
        assert!(refused.text.contains(r#"id="phone-error""#));
        let unchanged = owner.get(&client_page).await.expect(200);
        assert!(unchanged.text.contains("(020) 7946-0000"));
        owner
            .post(
                &edit,
                &[
                    ("csrf_token", &form.csrf()),
                    ("name", "Pat"),
                    ("phone", "+1 555 010 0199"),
                ],
            )
            .await
            .expect(303);
        let changed = owner.get(&client_page).await.expect(200);
        assert!(changed.text.contains(r#"href="tel:+15550100199""#));
    })
    .await;
}

#[tokio::test]
async fn alerts_show_how_to_reach_the_client_and_who_acknowledged_them() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Reach Clinic").await;
        let mut owner = owner_browser(app, &clinic).await;
        let client_page = add_client(
            &mut owner,
            &[
                ("name", "Robin Reach"),
                ("email", "robin@example.org"),
                ("phone", "+44 20 7946 0001"),
                ("follow_up_consent", "yes"),
            ],
        )
        .await;
        let empty = owner.get(&client_page).await.expect(200);
        assert!(empty.text.contains("No alerts about this client."));
        let client_id = client_page.trim_start_matches("/clients/");
        let (treatment, token) = treat(app, &clinic, client_id).await;
        send_form(
            &mut Browser::new(app),
            &token,
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

        let dashboard = owner.get("/dashboard").await.expect(200);
        for expected in [
            r#"href="tel:+442079460001""#,
            r#"href="mailto:robin@example.org""#,
            &format!(r#"href="/treatments/{treatment}""#),
            &format!(r#"href="{client_page}""#),
            "left side only",
            "(DVT)",
        ] {
            assert!(
                dashboard.text.contains(expected),
                "{expected}: {}",
                dashboard.text
            );
        }
        assert!(!dashboard.text.contains("Recently acknowledged"));

        let marker = r#"action="/alerts/"#;
        let start = dashboard.text.find(marker).expect("an acknowledge form") + marker.len();
        let action = format!(
            "/alerts/{}",
            &dashboard.text[start..start + dashboard.text[start..].find('"').expect("end")]
        );
        owner
            .post(&action, &[("csrf_token", &dashboard.csrf())])
            .await
            .expect(303);

        let after = owner.get("/dashboard").await.expect(200);
        assert!(after.text.contains("Recently acknowledged"));
        assert!(
            after
                .text
                .contains("Acknowledged by Owner of Reach Clinic at "),
            "{}",
            after.text
        );

        let history = owner.get(&client_page).await.expect(200);
        let start = history
            .text
            .find(r#"id="alert-history""#)
            .expect("the history");
        let shown = &history.text[start..];
        for expected in [
            r#"data-level=""#,
            "Raised ",
            "left side only",
            "Acknowledged by Owner of Reach Clinic at ",
        ] {
            assert!(shown.contains(expected), "{expected}: {shown}");
        }
        assert!(
            audit_actions(app, &clinic)
                .await
                .contains(&"alerts.read".to_owned())
        );

        // The API names who acknowledged it, by id and by name, and gives
        // the client's alert history; another client's history is empty.
        let other = app.treatment(&clinic, 2).await;
        let history = format!("/api/v1/alerts?state=all&client_id={client_id}");
        let alerts = app
            .get(&history, Some(&clinic.owner_token))
            .await
            .expect_status(200)
            .json();
        assert_eq!(
            alerts["items"].as_array().map(Vec::len),
            Some(1),
            "{alerts}"
        );
        let alert = &alerts["items"][0];
        assert_eq!(alert["treatment_id"], treatment.as_str());
        assert_eq!(alert["acknowledged_by"], clinic.owner_id.as_str());
        assert_eq!(alert["acknowledged_by_name"], "Owner of Reach Clinic");
        assert!(
            alert["finding"][0]
                .as_str()
                .is_some_and(|line| line.contains("left side only"))
        );
        let none = app
            .get(
                &format!("/api/v1/alerts?state=all&client_id={}", other.client_id),
                Some(&clinic.owner_token),
            )
            .await
            .expect_status(200)
            .json();
        assert_eq!(none["items"], json!([]));
        let open = app
            .get(
                &format!("/api/v1/alerts?client_id={client_id}"),
                Some(&clinic.owner_token),
            )
            .await
            .expect_status(200)
            .json();
        assert_eq!(open["items"], json!([]), "acknowledged: no longer open");
        // Another clinic cannot read it, and a typo is noticed.
        let stranger = app.clinic("Stranger Clinic").await;
        for (path, token) in [
            (history.as_str(), &stranger.owner_token),
            ("/api/v1/alerts?client_id=nobody", &clinic.owner_token),
        ] {
            let problem = app.get(path, Some(token)).await.problem(404, "not-found");
            assert_eq!(problem["path"], "client_id", "{problem}");
        }
    })
    .await;
}

#[tokio::test]
async fn the_loopback_warning_shows_only_when_phones_cannot_open_links() {
    // The tests' service answers on 127.0.0.1: phones cannot open its links.
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Loop Clinic").await;
        let treatment = app.treatment(&clinic, 1).await;
        let mut owner = owner_browser(app, &clinic).await;
        let page = owner
            .get(&format!("/treatments/{}", treatment.id))
            .await
            .expect(200);
        assert!(page.text.contains(r#"id="loopback-warning""#));
        assert!(page.text.contains("Phones cannot open this link."));
        assert!(page.text.contains("--public-url"));
    })
    .await;
    let public = ServerSettings {
        public_url: "https://care.example.org".to_owned(),
        ..ServerSettings::default()
    };
    on_every_backend_with(public, async |app: &TestApp| {
        let clinic = app.clinic("Public Clinic").await;
        let treatment = app.treatment(&clinic, 1).await;
        let mut owner = owner_browser(app, &clinic).await;
        let page = owner
            .get(&format!("/treatments/{}", treatment.id))
            .await
            .expect(200);
        assert!(!page.text.contains("loopback-warning"), "{}", page.text);
        assert!(page.text.contains("Make a new link"));
    })
    .await;
}
