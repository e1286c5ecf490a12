//! Guessing at the sign-in, over real HTTP on every backend: attempts sent
//! side by side, growing waits that never lock the right password out, and
//! limits per address behind a reverse proxy.

use std::time::Duration;

use aftercare_server::{Networks, ServerSettings};
use aftercare_store::{ClinicId, PractitionerId};

use crate::helpers::{ClinicFixture, CookieJar, TestApp, on_every_backend, on_every_backend_with};

const PASSWORD: &str = "correct horse battery staple";

/// Failures per email that are checked before attempts have to wait.
const FREE_FAILURES: usize = 5;

/// A sign-in form: its token, and the cookie that goes with it.
struct SignIn {
    address: String,
    http: reqwest::Client,
    cookies: CookieJar,
    csrf: String,
}

impl SignIn {
    async fn open(app: &TestApp) -> SignIn {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client");
        let page = http
            .get(format!("{}/login", app.address))
            .send()
            .await
            .expect("the login page");
        let mut cookies = CookieJar::default();
        cookies.absorb(page.headers());
        let text = page.text().await.expect("a page");
        let marker = r#"name="csrf_token" value=""#;
        let start = text.find(marker).expect("a form token") + marker.len();
        let end = text[start..].find('"').expect("its end") + start;
        SignIn {
            address: app.address.clone(),
            http,
            cookies,
            csrf: text[start..end].to_owned(),
        }
    }

    /// The form filled in, with these `X-Forwarded-For` values.
    fn request(&self, email: &str, password: &str, forwarded: &[&str]) -> reqwest::RequestBuilder {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("csrf_token", self.csrf.as_str()),
                ("email", email),
                ("password", password),
            ])
            .finish();
        let mut request = self
            .http
            .post(format!("{}/login", self.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        for value in forwarded {
            request = request.header("x-forwarded-for", *value);
        }
        self.cookies.attach(request)
    }

    /// Sends the form; answers the status and the `Retry-After` seconds,
    /// if any.
    async fn send(&self, email: &str, password: &str, forwarded: &[&str]) -> (u16, Option<u64>) {
        let answer = self
            .request(email, password, forwarded)
            .send()
            .await
            .expect("the service answers");
        let retry = answer
            .headers()
            .get("retry-after")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse().ok());
        (answer.status().as_u16(), retry)
    }
}

async fn with_password(app: &TestApp, name: &str) -> (ClinicFixture, String) {
    let clinic = app.clinic(name).await;
    let hash = aftercare_server::web::password_hash(PASSWORD).expect("a hash");
    app.store
        .set_password_hash(
            &ClinicId::parse(&clinic.id).expect("clinic id"),
            &PractitionerId::parse(&clinic.owner_id).expect("owner id"),
            &hash,
        )
        .await
        .expect("set the password");
    let email = format!("owner@{}.test", name.to_lowercase().replace(' ', "-"));
    (clinic, email)
}

#[tokio::test]
async fn wrong_passwords_sent_at_once_are_checked_at_most_as_often_as_the_limit() {
    on_every_backend(async |app: &TestApp| {
        let (_, email) = with_password(app, "Rush Clinic").await;
        let form = SignIn::open(app).await;
        let mut guesses = tokio::task::JoinSet::new();
        for guess in 0..25 {
            let request = form.request(&email, &format!("guess {guess}"), &[]);
            guesses.spawn(async move {
                let answer = request.send().await.expect("the service answers");
                answer.status().as_u16()
            });
        }
        let answers = guesses.join_all().await;
        let checked = answers.iter().filter(|&&status| status == 401).count();
        let slowed = answers.iter().filter(|&&status| status == 429).count();
        assert_eq!(checked + slowed, 25, "{answers:?}");
        assert!(
            checked <= FREE_FAILURES,
            "at most {FREE_FAILURES} of 25 guesses sent at once were checked, not {checked}"
        );
        let (status, retry) = form.send(&email, PASSWORD, &[]).await;
        if checked < FREE_FAILURES {
            // Guesses refused for arriving together are not counted.
            assert_eq!(status, 303);
        } else {
            // The right password waits too, for a short while …
            assert_eq!(status, 429);
            let retry = retry.expect("Retry-After");
            assert!((1..=30).contains(&retry), "{retry}");
            // … and then signs in.
            app.advance_clock(Duration::from_secs(retry));
            assert_eq!(form.send(&email, PASSWORD, &[]).await.0, 303);
        }
    })
    .await;
}

#[tokio::test]
async fn each_wait_grows_but_the_right_password_signs_in_once_it_has_passed() {
    on_every_backend(async |app: &TestApp| {
        let (_, email) = with_password(app, "Patient Clinic").await;
        let form = SignIn::open(app).await;
        let mut waits = Vec::new();
        for guess in 0..9 {
            let (status, retry) = form.send(&email, &format!("guess {guess}"), &[]).await;
            match status {
                401 => {}
                429 => {
                    let retry = retry.expect("Retry-After");
                    waits.push(retry);
                    // Asking again before the wait is over changes nothing.
                    let (again, still) = form.send(&email, PASSWORD, &[]).await;
                    assert_eq!(again, 429);
                    assert!(still.expect("Retry-After") <= retry);
                    app.advance_clock(Duration::from_secs(retry));
                    assert_eq!(
                        form.send(&email, &format!("guess {guess}"), &[]).await.0,
                        401
                    );
                }
                other => panic!("unexpected {other}"),
            }
        }
        assert_eq!(
            waits,
            [30, 60, 120, 240],
            "waits double after five failures"
        );
        // Far past the free failures, the right password still signs in
        // once the (capped) wait has passed: there is no lock-out.
        let (status, retry) = form.send(&email, PASSWORD, &[]).await;
        assert_eq!(status, 429);
        assert_eq!(retry, Some(480));
        app.advance_clock(Duration::from_secs(480));
        assert_eq!(form.send(&email, PASSWORD, &[]).await.0, 303);
        // Signing in cleared the failures: the next mistake is free again.
        assert_eq!(form.send(&email, "a typo", &[]).await.0, 401);
        assert_eq!(form.send(&email, PASSWORD, &[]).await.0, 303);
    })
    .await;
}

/// Twenty failures from one client, each for another email, so only the
/// limit per address can stop the next one.
async fn fail_twenty_times(form: &SignIn, forwarded: &[&str], who: &str) {
    for attempt in 0..20 {
        let (status, _) = form
            .send(&format!("{who}{attempt}@nowhere.test"), "guess", forwarded)
            .await;
        assert_eq!(status, 401, "attempt {attempt} of {who}");
    }
}

#[tokio::test]
async fn behind_a_trusted_proxy_two_clients_keep_their_own_limits() {
    let settings = ServerSettings {
        trusted_proxies: Networks::parse(&["127.0.0.1"]).expect("networks"),
        ..ServerSettings::default()
    };
    on_every_backend_with(settings, async |app: &TestApp| {
        let form = SignIn::open(app).await;
        // The proxy appends the address it was reached from; what the
        // client wrote before it is not believed.
        fail_twenty_times(&form, &["198.51.100.7, 203.0.113.5"], "ana").await;
        let (status, _) = form
            .send("ana@nowhere.test", "guess", &["203.0.113.5"])
            .await;
        assert_eq!(status, 429, "the first client has used its attempts");
        let (status, _) = form
            .send("ana@nowhere.test", "guess", &["203.0.113.5, 203.0.113.99"])
            .await;
        assert_eq!(
            status, 401,
            "a second client behind the same proxy is not slowed"
        );
        // The first client cannot pass as another by writing the header.
        let (status, _) = form
            .send(
                "ana@nowhere.test",
                "guess",
                &["203.0.113.99", "203.0.113.5"],
            )
            .await;
        assert_eq!(status, 429, "the right-most untrusted hop counts");
    })
    .await;
}

#[tokio::test]
async fn without_a_trusted_proxy_forged_forwarded_headers_change_nothing() {
    on_every_backend(async |app: &TestApp| {
        let form = SignIn::open(app).await;
        for attempt in 0..20 {
            let forged = format!("203.0.113.{attempt}");
            let (status, _) = form
                .send(&format!("bo{attempt}@nowhere.test"), "guess", &[&forged])
                .await;
            assert_eq!(status, 401);
        }
        let (status, _) = form
            .send("bo@nowhere.test", "guess", &["198.51.100.200"])
            .await;
        assert_eq!(status, 429, "every attempt counted against the real peer");
    })
    .await;
}

/// A browser without a browser, for the pages: keeps cookies, follows no
/// redirects.
struct Visitor {
    address: String,
    http: reqwest::Client,
    cookies: CookieJar,
}

impl Visitor {
    fn new(app: &TestApp) -> Visitor {
        Visitor {
            address: app.address.clone(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("an HTTP client"),
            cookies: CookieJar::default(),
        }
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> (u16, String) {
        let answer = self
            .cookies
            .attach(request)
            .send()
            .await
            .expect("an answer");
        self.cookies.absorb(answer.headers());
        let status = answer.status().as_u16();
        (status, answer.text().await.expect("a body"))
    }

    async fn get(&mut self, path: &str) -> (u16, String) {
        let request = self.http.get(format!("{}{path}", self.address));
        self.send(request).await
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
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
}

/// The value of the first hidden field `name` of a page.
fn hidden(page: &str, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let start = page.find(&marker).expect("the field") + marker.len();
    page[start..start + page[start..].find('"').expect("its end")].to_owned()
}

#[tokio::test]
async fn a_check_in_form_sent_again_after_its_link_expired_is_not_answered() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Late Clinic").await;
        let treatment = app.treatment(&clinic, 20).await;
        let path = format!("/c/{}", treatment.link_token);
        let mut client = Visitor::new(app);
        let (status, form) = client.get(&path).await;
        assert_eq!(status, 200);
        let csrf = hidden(&form, "csrf_token");
        // The one-page form's one-time id, as a saved page sends it.
        let submission = "a-saved-form-2".to_owned();
        let fields = [
            ("csrf_token", csrf.as_str()),
            ("submission", submission.as_str()),
            ("symptom", "soreness"),
            ("soreness.severity", "mild"),
        ];
        assert_eq!(client.post(&path, &fields).await.0, 200);
        assert_eq!(
            client.post(&path, &fields).await.0,
            200,
            "a reload is answered"
        );
        // Past the link's 30 days, the same form is answered like any
        // other use of an expired link.
        app.advance_clock(Duration::from_secs(31 * 24 * 60 * 60));
        let (status, page) = client.post(&path, &fields).await;
        assert_eq!(status, 410, "{page}");
        assert!(!page.contains(r#"id="decision""#));
    })
    .await;
}
