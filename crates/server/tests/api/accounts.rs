//! Accounts people can manage, over real HTTP on every backend:
//! deactivation ends a therapist's cookie and token on the next request,
//! changing a password ends the other sessions, the owner's first
//! password must be changed at first sign-in, reset links work once and
//! expire, the "forgot password" page tells nothing, ownership moves with
//! the owner's password, and no owner reaches another clinic's accounts.

use std::time::Duration;

use aftercare_server::{ServerSettings, SmtpSettings, SmtpTls};
use aftercare_store::secret::Secret;
use aftercare_store::{ClinicId, PractitionerId};
use serde_json::{Value, json};

use crate::helpers::{ClinicFixture, TestApp, on_every_backend, on_every_backend_with};
use crate::isolation::{Browser, PASSWORD, sign_in};

/// The password the therapist chooses.
const NEW_PASSWORD: &str = "a longer password of my own";

fn email_of(who: &str, clinic: &ClinicFixture) -> String {
    format!(
        "{who}@{}.test",
        clinic.name.to_lowercase().replace(' ', "-")
    )
}

/// Gives the clinic's therapist `password` (their own, nothing to change).
async fn set_therapist_password(app: &TestApp, clinic: &ClinicFixture, password: &str) {
    let hash = aftercare_server::web::password_hash(password).expect("a hash");
    app.store
        .set_password_hash(
            &ClinicId::parse(&clinic.id).expect("clinic id"),
            &PractitionerId::parse(&clinic.therapist_id).expect("therapist id"),
            &hash,
        )
        .await
        .expect("set the password");
}

/// Sends the sign-in form; answers the browser and the reply.
async fn try_sign_in(
    app: &TestApp,
    email: &str,
    password: &str,
) -> (Browser, crate::helpers::Reply) {
    let mut browser = Browser::new(app);
    let csrf = browser.csrf("/login").await;
    let reply = browser
        .post(
            "/login",
            &[
                ("csrf_token", &csrf),
                ("email", email),
                ("password", password),
            ],
        )
        .await;
    (browser, reply)
}

/// A browser signed in as `email`.
async fn signed_in(app: &TestApp, email: &str, password: &str) -> Browser {
    let (browser, reply) = try_sign_in(app, email, password).await;
    let reply = reply.expect_status(303);
    assert_eq!(reply.header("location"), Some("/dashboard"));
    browser
}

/// The clinic's audit actions, oldest first.
async fn audit_actions(app: &TestApp, owner_token: &str) -> Vec<String> {
    let page = app
        .get("/api/v1/audit?limit=200", Some(owner_token))
        .await
        .expect_status(200)
        .json();
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|event| event["action"].as_str().map(str::to_owned))
        .collect()
}

/// The path of a reset link shown on a page (in `#reset-link`) or in a mail.
fn reset_path(app: &TestApp, text: &str) -> String {
    let start = text
        .find(&format!("{}/reset/", app.address))
        .expect("a reset link")
        + app.address.len();
    let end = text[start..]
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-')))
        .map_or(text.len(), |end| start + end);
    text[start..end].to_owned()
}

/// Uses a reset link with a new password.
async fn use_reset_link(app: &TestApp, path: &str, password: &str) -> crate::helpers::Reply {
    let mut anyone = Browser::new(app);
    let csrf = anyone.csrf(path).await;
    anyone
        .post(path, &[("csrf_token", &csrf), ("new_password", password)])
        .await
}

#[tokio::test]
async fn a_deactivated_therapists_cookie_and_token_stop_working_on_the_next_request() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Deact Clinic").await;
        set_therapist_password(app, &clinic, PASSWORD).await;
        let therapist_email = email_of("therapist", &clinic);
        let mut therapist = signed_in(app, &therapist_email, PASSWORD).await;
        therapist.get("/dashboard").await.expect_status(200);
        let token = Some(clinic.therapist_token.as_str());
        app.get("/api/v1/clinic", token).await.expect_status(200);
        // An open alert of the clinic's, which stays visible to it.
        let treatment = app.treatment(&clinic, 30).await;
        app.post(
            &treatment.link_path("checkins"),
            None,
            &crate::checkin(treatment.at, 20, &crate::chest_pain()),
        )
        .await
        .expect_status(201);

        let mut owner = sign_in(app, &clinic).await;
        let page = format!("/team/{}/deactivate", clinic.therapist_id);
        owner.get(&page).await.expect_status(200);
        let csrf = owner.csrf("/team").await;
        // Without the box ticked nothing changes.
        owner
            .post(&page, &[("csrf_token", &csrf)])
            .await
            .expect_status(422);
        therapist.get("/dashboard").await.expect_status(200);
        // Without the session's form token nothing changes either.
        owner
            .post(&page, &[("csrf_token", "forged"), ("confirm", "yes")])
            .await
            .expect_status(403);
        app.get("/api/v1/clinic", token).await.expect_status(200);

        let done = owner
            .post(&page, &[("csrf_token", &csrf), ("confirm", "yes")])
            .await
            .expect_status(303);
        assert_eq!(done.header("location"), Some("/team"));
        let back = therapist.get("/dashboard").await.expect_status(303);
        assert_eq!(back.header("location"), Some("/login"));
        app.get("/api/v1/clinic", token)
            .await
            .problem(401, "unauthenticated");
        let (_, refused) = try_sign_in(app, &therapist_email, PASSWORD).await;
        refused.expect_status(401);
        let shown = app
            .get(
                &format!("/api/v1/practitioners/{}", clinic.therapist_id),
                Some(&clinic.owner_token),
            )
            .await
            .expect_status(200)
            .json();
        assert_eq!(shown["active"], false);
        assert!(
            owner.get("/team").await.text.contains("deactivated"),
            "the team page says so"
        );
        // The clinic still sees every alert.
        let alerts = app
            .get("/api/v1/alerts", Some(&clinic.owner_token))
            .await
            .expect_status(200)
            .json();
        assert_eq!(alerts["items"].as_array().map(Vec::len), Some(1));

        // Reactivated: the password signs in again; the old token stays dead.
        let csrf = owner.csrf("/team").await;
        owner
            .post(
                &format!("/team/{}/reactivate", clinic.therapist_id),
                &[("csrf_token", &csrf)],
            )
            .await
            .expect_status(303);
        signed_in(app, &therapist_email, PASSWORD).await;
        app.get("/api/v1/clinic", token)
            .await
            .problem(401, "unauthenticated");

        // Through the API, with a fresh session that ends at once.
        let mut again = signed_in(app, &therapist_email, PASSWORD).await;
        let path = format!("/api/v1/practitioners/{}/deactivate", clinic.therapist_id);
        app.post(&path, token, &json!({}))
            .await
            .problem(401, "unauthenticated");
        let deactivated = app
            .post(&path, Some(&clinic.owner_token), &json!({}))
            .await
            .expect_status(200)
            .json();
        assert_eq!(deactivated["active"], false);
        again.get("/dashboard").await.expect_status(303);
        let reactivated = app
            .post(
                &format!("/api/v1/practitioners/{}/reactivate", clinic.therapist_id),
                Some(&clinic.owner_token),
                &json!({}),
            )
            .await
            .expect_status(200)
            .json();
        assert_eq!(reactivated["active"], true);

        // The owner cannot deactivate their own account.
        app.post(
            &format!("/api/v1/practitioners/{}/deactivate", clinic.owner_id),
            Some(&clinic.owner_token),
            &json!({}),
        )
        .await
        .problem(409, "conflict");
        owner.get("/team").await.expect_status(200);
        let actions = audit_actions(app, &clinic.owner_token).await;
        assert_eq!(
            actions
                .iter()
                .filter(|a| *a == "practitioner.deactivate")
                .count(),
            2
        );
        assert!(actions.iter().any(|a| a == "practitioner.reactivate"));
    })
    .await;
}

#[tokio::test]
async fn only_the_owner_deactivates_and_only_their_own_clinics_accounts() {
    on_every_backend(async |app: &TestApp| {
        let a = app.clinic("Alpha Accounts").await;
        let b = app.clinic("Beta Accounts").await;
        let b_token = Some(b.therapist_token.as_str());
        // A therapist may not deactivate anyone.
        app.post(
            &format!("/api/v1/practitioners/{}/deactivate", a.owner_id),
            Some(&a.therapist_token),
            &json!({}),
        )
        .await
        .problem(403, "forbidden");
        // A's owner cannot reach B's therapist, by API or page.
        for action in ["deactivate", "reactivate", "reset-link"] {
            app.post(
                &format!("/api/v1/practitioners/{}/{action}", b.therapist_id),
                Some(&a.owner_token),
                &json!({}),
            )
            .await
            .problem(404, "not-found");
        }
        app.post(
            &format!("/api/v1/practitioners/{}/ownership", b.therapist_id),
            Some(&a.owner_token),
            &json!({ "current_password": PASSWORD }),
        )
        .await
        .problem(404, "not-found");
        let mut owner = sign_in(app, &a).await;
        let csrf = owner.csrf("/team").await;
        for action in ["deactivate", "transfer"] {
            owner
                .get(&format!("/team/{}/{action}", b.therapist_id))
                .await
                .expect_status(404);
        }
        for action in ["deactivate", "reactivate", "reset-link", "transfer"] {
            owner
                .post(
                    &format!("/team/{}/{action}", b.therapist_id),
                    &[
                        ("csrf_token", &csrf),
                        ("confirm", "yes"),
                        ("current_password", PASSWORD),
                    ],
                )
                .await
                .expect_status(404);
        }
        let b_therapist = app
            .get(
                &format!("/api/v1/practitioners/{}", b.therapist_id),
                b_token,
            )
            .await
            .expect_status(200)
            .json();
        assert_eq!(b_therapist["active"], true);
        assert_eq!(b_therapist["role"], "therapist");
        assert!(
            !audit_actions(app, &b.owner_token)
                .await
                .iter()
                .any(|a| a.starts_with("practitioner.re") || a == "practitioner.deactivate"),
            "nothing happened to B"
        );
    })
    .await;
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_only_the_other_sessions() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Change Clinic").await;
        set_therapist_password(app, &clinic, PASSWORD).await;
        let email = email_of("therapist", &clinic);
        let mut here = signed_in(app, &email, PASSWORD).await;
        let mut elsewhere = signed_in(app, &email, PASSWORD).await;
        let csrf = here.csrf("/account/password").await;
        let change = |current: &'static str, new: &'static str| {
            [
                ("csrf_token", csrf.clone()),
                ("current_password", current.to_owned()),
                ("new_password", new.to_owned()),
            ]
        };
        let send = async |browser: &mut Browser, fields: [(&str, String); 3]| {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            browser.post("/account/password", &fields).await
        };
        // A wrong current password, a short new one: refused, nothing ends.
        let wrong = send(&mut here, change("not my password", NEW_PASSWORD))
            .await
            .expect_status(422);
        assert!(wrong.text.contains(r#"id="current_password-error""#));
        let short = send(&mut here, change(PASSWORD, "short"))
            .await
            .expect_status(422);
        assert!(short.text.contains(r#"id="new_password-error""#));
        elsewhere.get("/dashboard").await.expect_status(200);
        signed_in(app, &email, PASSWORD).await;

        let done = send(&mut here, change(PASSWORD, NEW_PASSWORD))
            .await
            .expect_status(303);
        assert_eq!(done.header("location"), Some("/dashboard"));
        here.get("/dashboard").await.expect_status(200);
        let ended = elsewhere.get("/dashboard").await.expect_status(303);
        assert_eq!(ended.header("location"), Some("/login"));
        try_sign_in(app, &email, PASSWORD).await.1.expect_status(401);
        signed_in(app, &email, NEW_PASSWORD).await;
        assert!(
            audit_actions(app, &clinic.owner_token)
                .await
                .iter()
                .any(|a| a == "practitioner.password_change")
        );

        // Through the API: the caller's own password only.
        let own = format!("/api/v1/practitioners/{}/password", clinic.therapist_id);
        let token = Some(clinic.therapist_token.as_str());
        app.post(
            &own,
            token,
            &json!({ "current_password": "wrong password", "new_password": "yet another long one" }),
        )
        .await
        .field_problem(422, "current_password");
        app.post(
            &own,
            token,
            &json!({ "current_password": NEW_PASSWORD, "new_password": "short" }),
        )
        .await
        .field_problem(422, "new_password");
        app.post(
            &format!("/api/v1/practitioners/{}/password", clinic.owner_id),
            token,
            &json!({ "current_password": NEW_PASSWORD, "new_password": "yet another long one" }),
        )
        .await
        .problem(403, "forbidden");
        app.post(
            &own,
            token,
            &json!({ "current_password": NEW_PASSWORD, "new_password": "yet another long one" }),
        )
        .await
        .expect_status(204);
        let ended = here.get("/dashboard").await.expect_status(303);
        assert_eq!(ended.header("location"), Some("/login"));
        signed_in(app, &email, "yet another long one").await;
        app.get("/api/v1/clinic", token).await.expect_status(200);
    })
    .await;
}

#[tokio::test]
async fn a_first_password_chosen_by_the_owner_must_be_changed_at_first_sign_in() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("First Clinic").await;
        let mut owner = sign_in(app, &clinic).await;
        let csrf = owner.csrf("/team").await;
        owner
            .post(
                "/team",
                &[
                    ("csrf_token", &csrf),
                    ("name", "Nova Newcomer"),
                    ("email", "nova@first-clinic.test"),
                    ("password", PASSWORD),
                ],
            )
            .await
            .expect_status(303);
        let (mut nova, first) = try_sign_in(app, "nova@first-clinic.test", PASSWORD).await;
        let first = first.expect_status(303);
        assert_eq!(first.header("location"), Some("/account/password"));
        for page in ["/dashboard", "/clients", "/team"] {
            let sent = nova.get(page).await.expect_status(303);
            assert_eq!(sent.header("location"), Some("/account/password"), "{page}");
        }
        let form = nova.get("/account/password").await.expect_status(200);
        assert!(form.text.contains(r#"id="must-change""#));
        // Their API token (made on the command line) opens nothing yet.
        let nova_account = app
            .store
            .practitioner_by_email("nova@first-clinic.test")
            .await
            .expect("lookup")
            .expect("Nova's account")
            .0;
        assert!(nova_account.must_change_password);
        let token = Secret::generate("act_");
        app.store
            .create_api_token(
                &nova_account.clinic_id,
                &nova_account.id,
                "cli",
                &token.hash(),
                app.now(),
            )
            .await
            .expect("a token");
        app.get("/api/v1/clinic", Some(token.expose()))
            .await
            .problem(403, "forbidden");

        let csrf = nova.csrf("/account/password").await;
        nova.post(
            "/account/password",
            &[
                ("csrf_token", &csrf),
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
            ],
        )
        .await
        .expect_status(303);
        nova.get("/dashboard").await.expect_status(200);
        app.get("/api/v1/clinic", Some(token.expose()))
            .await
            .expect_status(200);
        signed_in(app, "nova@first-clinic.test", NEW_PASSWORD).await;
    })
    .await;
}

#[tokio::test]
async fn an_owner_issued_reset_link_works_once_and_expires() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Reset Clinic").await;
        set_therapist_password(app, &clinic, PASSWORD).await;
        let email = email_of("therapist", &clinic);
        let mut therapist = signed_in(app, &email, PASSWORD).await;
        let mut owner = sign_in(app, &clinic).await;
        let csrf = owner.csrf("/team").await;
        let issue = format!("/team/{}/reset-link", clinic.therapist_id);
        let shown = owner
            .post(&issue, &[("csrf_token", &csrf)])
            .await
            .expect_status(200);
        let path = reset_path(app, &shown.text);
        assert!(shown.text.contains(r#"id="reset-link""#));

        // A short password is refused and leaves the link usable.
        use_reset_link(app, &path, "short").await.expect_status(422);
        let done = use_reset_link(app, &path, NEW_PASSWORD)
            .await
            .expect_status(200);
        assert!(done.text.contains(r#"id="reset-done""#));
        let ended = therapist.get("/dashboard").await.expect_status(303);
        assert_eq!(ended.header("location"), Some("/login"));
        // Once only.
        Browser::new(app).get(&path).await.expect_status(404);
        let mut anyone = Browser::new(app);
        let csrf = anyone.csrf("/login").await;
        anyone
            .post(
                &path,
                &[("csrf_token", &csrf), ("new_password", "taken over again")],
            )
            .await
            .expect_status(404);
        try_sign_in(app, &email, PASSWORD)
            .await
            .1
            .expect_status(401);
        signed_in(app, &email, NEW_PASSWORD).await;

        // A newer link ends the one before; an hour ends any.
        let api = format!("/api/v1/practitioners/{}/reset-link", clinic.therapist_id);
        let older = app
            .post(&api, Some(&clinic.owner_token), &json!({}))
            .await
            .expect_status(201)
            .json();
        let newer = app
            .post(&api, Some(&clinic.owner_token), &json!({}))
            .await
            .expect_status(201)
            .json();
        let older = reset_path(app, older["url"].as_str().expect("url"));
        let newer = reset_path(app, newer["url"].as_str().expect("url"));
        Browser::new(app).get(&older).await.expect_status(404);
        Browser::new(app).get(&newer).await.expect_status(200);
        app.advance_clock(Duration::from_secs(61 * 60));
        Browser::new(app).get(&newer).await.expect_status(404);
        // A therapist may not make links.
        app.post(&api, Some(&clinic.therapist_token), &json!({}))
            .await
            .problem(403, "forbidden");
        // Changing the password ends an open link too.
        let open = app
            .post(&api, Some(&clinic.owner_token), &json!({}))
            .await
            .expect_status(201)
            .json();
        let open = reset_path(app, open["url"].as_str().expect("url"));
        app.post(
            &format!("/api/v1/practitioners/{}/password", clinic.therapist_id),
            Some(&clinic.therapist_token),
            &json!({ "current_password": NEW_PASSWORD, "new_password": "my third password" }),
        )
        .await
        .expect_status(204);
        Browser::new(app).get(&open).await.expect_status(404);
        let actions = audit_actions(app, &clinic.owner_token).await;
        assert!(actions.iter().any(|a| a == "practitioner.reset_link"));
        assert!(actions.iter().any(|a| a == "practitioner.password_reset"));
    })
    .await;
}

/// The "forgot password" answer for `email`: status and text.
async fn ask_for_link(app: &TestApp, email: &str) -> (u16, String) {
    let mut anyone = Browser::new(app);
    // The sign-in page sets the same form cookie (the "forgot password"
    // page has no form without SMTP).
    let csrf = anyone.csrf("/login").await;
    let reply = anyone
        .post(
            "/forgot-password",
            &[("csrf_token", &csrf), ("email", email)],
        )
        .await;
    (reply.status, reply.text)
}

#[tokio::test]
async fn without_smtp_the_forgot_page_sends_people_to_their_owner_whoever_asks() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Quiet Clinic").await;
        let page = Browser::new(app)
            .get("/forgot-password")
            .await
            .expect_status(200);
        assert!(page.text.contains(r#"id="ask-owner""#));
        let known = ask_for_link(app, &email_of("therapist", &clinic)).await;
        let unknown = ask_for_link(app, "nobody@nowhere.test").await;
        assert_eq!(known.0, 200);
        assert_eq!(known, unknown);
        assert!(
            !audit_actions(app, &clinic.owner_token)
                .await
                .iter()
                .any(|a| a == "practitioner.reset_link")
        );
    })
    .await;
}

/// A real SMTP server: Python's aiosmtpd, saving each message it receives
/// as a file (as the scheduler's tests do).
struct SmtpSink {
    port: u16,
    folder: std::path::PathBuf,
    child: std::process::Child,
}

const SMTP_SINK: &str = r#"
import os, sys
from aiosmtpd.controller import Controller

class Save:
    def __init__(self, folder):
        self.count = 0
        self.folder = folder
    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        path = os.path.join(self.folder, "%06d.eml" % self.count)
        with open(path + ".part", "wb") as out:
            out.write(("X-Envelope-To: " + ",".join(envelope.rcpt_tos) + "\r\n").encode())
            out.write(envelope.original_content or envelope.content)
        os.rename(path + ".part", path)
        return "250 OK"

controller = Controller(Save(sys.argv[1]), hostname="127.0.0.1", port=int(sys.argv[2]))
controller.start()
print("ready", flush=True)
sys.stdin.read()
controller.stop()
"#;

impl SmtpSink {
    fn start() -> Option<SmtpSink> {
        use std::io::BufRead as _;
        let available = std::process::Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .output()
            .is_ok_and(|out| out.status.success());
        if !available {
            assert!(
                std::env::var_os("CI").is_none(),
                "python3 with aiosmtpd is required under CI (pip install aiosmtpd)"
            );
            eprintln!(
                "SKIPPED smtp: python3 with aiosmtpd is not installed; the reset mail test did not run"
            );
            return None;
        }
        let folder =
            std::env::temp_dir().join(format!("aftercare-reset-mail-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&folder).expect("a mail folder");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let mut child = std::process::Command::new("python3")
            .arg("-c")
            .arg(SMTP_SINK)
            .arg(&folder)
            .arg(port.to_string())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("start the SMTP server");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the SMTP server starts");
        assert_eq!(line.trim(), "ready");
        Some(SmtpSink {
            port,
            folder,
            child,
        })
    }

    fn settings(&self) -> SmtpSettings {
        SmtpSettings {
            host: "127.0.0.1".to_owned(),
            port: self.port,
            tls: SmtpTls::None,
            username: None,
            password: None,
            from: "Aftercare <aftercare@reset.example>".to_owned(),
        }
    }

    /// The messages so far, soft line breaks of quoted-printable undone.
    fn messages(&self) -> Vec<String> {
        let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&self.folder)
            .expect("the mail folder")
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|path| {
                std::fs::read_to_string(path)
                    .expect("a message")
                    .replace("=\r\n", "")
                    .replace("=\n", "")
                    .replace("=3D", "=")
            })
            .collect()
    }

    async fn wait_for(&self, count: usize) -> Vec<String> {
        for _ in 0..100 {
            let messages = self.messages();
            if messages.len() >= count {
                return messages;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{count} messages did not arrive");
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.folder);
    }
}

#[tokio::test]
async fn a_reset_link_arrives_by_email_and_the_answer_is_the_same_for_unknown_emails() {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let settings = ServerSettings {
        smtp: Some(sink.settings()),
        ..ServerSettings::default()
    };
    let sink = &sink;
    on_every_backend_with(settings, async |app: &TestApp| {
        let before = sink.messages().len();
        let clinic = app.clinic("Mail Clinic").await;
        let email = email_of("therapist", &clinic);
        let known = ask_for_link(app, &email).await;
        let unknown = ask_for_link(app, "nobody@nowhere.test").await;
        assert_eq!(known.0, 200);
        assert_eq!(known, unknown, "the answer tells nothing");
        assert!(known.1.contains(r#"id="on-its-way""#));
        let (status, _) = ask_for_link(app, "not an email").await;
        assert_eq!(status, 422);

        let messages = sink.wait_for(before + 1).await;
        // Only the known account's mail, never one for the unknown email.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(sink.messages().len(), before + 1);
        let mail = &messages[before];
        assert!(mail.contains(&format!("X-Envelope-To: {email}")), "{mail}");
        let path = reset_path(app, mail);
        use_reset_link(app, &path, NEW_PASSWORD)
            .await
            .expect_status(200);
        signed_in(app, &email, NEW_PASSWORD).await;
        Browser::new(app).get(&path).await.expect_status(404);
        // A few links an hour per email at most; the answer stays the same.
        for _ in 0..4 {
            let again = ask_for_link(app, &email).await;
            assert_eq!(again, known);
        }
        sink.wait_for(before + 3).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(sink.messages().len(), before + 3, "three links an hour");
    })
    .await;
}

#[tokio::test]
async fn ownership_moves_to_an_active_therapist_with_the_owners_password() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Handover Clinic").await;
        let mut owner = sign_in(app, &clinic).await;
        let page = format!("/team/{}/transfer", clinic.therapist_id);
        owner.get(&page).await.expect_status(200);
        let csrf = owner.csrf("/team").await;
        let wrong = owner
            .post(
                &page,
                &[
                    ("csrf_token", &csrf),
                    ("current_password", "not the password"),
                    ("confirm", "yes"),
                ],
            )
            .await
            .expect_status(422);
        assert!(wrong.text.contains(r#"id="current_password-error""#));
        owner
            .post(
                &page,
                &[("csrf_token", &csrf), ("current_password", PASSWORD)],
            )
            .await
            .expect_status(422);
        owner.get("/team").await.expect_status(200);

        let done = owner
            .post(
                &page,
                &[
                    ("csrf_token", &csrf),
                    ("current_password", PASSWORD),
                    ("confirm", "yes"),
                ],
            )
            .await
            .expect_status(303);
        assert_eq!(done.header("location"), Some("/dashboard"));
        // The roles swapped at once, for sessions and tokens alike.
        owner.get("/team").await.expect_status(403);
        app.post(
            &format!("/api/v1/practitioners/{}/deactivate", clinic.therapist_id),
            Some(&clinic.owner_token),
            &json!({}),
        )
        .await
        .problem(403, "forbidden");
        let team: Value = app
            .get("/api/v1/practitioners", Some(&clinic.therapist_token))
            .await
            .expect_status(200)
            .json();
        let role_of = |id: &str| {
            team["items"]
                .as_array()
                .expect("items")
                .iter()
                .find(|p| p["id"] == id)
                .map(|p| p["role"].clone())
        };
        assert_eq!(role_of(&clinic.therapist_id), Some(json!("owner")));
        assert_eq!(role_of(&clinic.owner_id), Some(json!("therapist")));
        assert!(
            audit_actions(app, &clinic.therapist_token)
                .await
                .iter()
                .any(|a| a == "clinic.ownership_transfer")
        );

        // And back through the API, with the new owner's password.
        set_therapist_password(app, &clinic, NEW_PASSWORD).await;
        let back = format!("/api/v1/practitioners/{}/ownership", clinic.owner_id);
        app.post(
            &back,
            Some(&clinic.therapist_token),
            &json!({ "current_password": "wrong" }),
        )
        .await
        .field_problem(422, "current_password");
        let new_owner = app
            .post(
                &back,
                Some(&clinic.therapist_token),
                &json!({ "current_password": NEW_PASSWORD }),
            )
            .await
            .expect_status(200)
            .json();
        assert_eq!(new_owner["role"], "owner");
        owner.get("/team").await.expect_status(200);
        // Not to a deactivated therapist, nor to oneself.
        app.post(
            &format!("/api/v1/practitioners/{}/deactivate", clinic.therapist_id),
            Some(&clinic.owner_token),
            &json!({}),
        )
        .await
        .expect_status(200);
        app.post(
            &format!("/api/v1/practitioners/{}/ownership", clinic.therapist_id),
            Some(&clinic.owner_token),
            &json!({ "current_password": PASSWORD }),
        )
        .await
        .problem(409, "conflict");
        app.post(
            &format!("/api/v1/practitioners/{}/ownership", clinic.owner_id),
            Some(&clinic.owner_token),
            &json!({ "current_password": PASSWORD }),
        )
        .await
        .problem(409, "conflict");
    })
    .await;
}
