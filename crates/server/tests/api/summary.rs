//! The doctor summary, as a page and as a PDF, on every backend: every
//! detail, background answer and note the client gave, who the client is
//! and who treated them, each rule's finding and guidance in words, the
//! most serious answer first, and a PDF whose text (read back with
//! `pdftotext`) keeps any name as written.

use std::io::Write as _;
use std::process::Command;

use aftercare_store::{ClinicId, PractitionerId};
use serde_json::{Value, json};

use crate::helpers::{ClinicFixture, CookieJar, TestApp, on_every_backend, rfc3339};

const HOUR: i64 = 3_600_000;
const PASSWORD: &str = "correct horse battery staple";
/// A name the Latin-1 fonts of a plain PDF cannot show.
const NAME: &str = "Łukasz Öberg-Åström";

/// The owner of a clinic, signed in to the web pages.
pub(crate) struct Owner {
    address: String,
    http: reqwest::Client,
    cookies: CookieJar,
}

/// An answer, its body as bytes.
pub(crate) struct Fetched {
    pub(crate) status: u16,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Fetched {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

impl Owner {
    /// Gives the clinic's owner a password and signs in with it.
    pub(crate) async fn sign_in(app: &TestApp, clinic: &ClinicFixture) -> Owner {
        let hash = aftercare_server::web::password_hash(PASSWORD).expect("a hash");
        app.store
            .set_password_hash(
                &ClinicId::parse(&clinic.id).expect("clinic id"),
                &PractitionerId::parse(&clinic.owner_id).expect("owner id"),
                &hash,
            )
            .await
            .expect("set the password");
        let mut owner = Owner {
            address: app.address.clone(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("an HTTP client"),
            cookies: CookieJar::default(),
        };
        let form = owner.get("/login").await.text();
        let marker = r#"name="csrf_token" value=""#;
        let start = form.find(marker).expect("a form token") + marker.len();
        let csrf = &form[start..start + form[start..].find('"').expect("its end")];
        let email = format!(
            "owner@{}.test",
            clinic.name.to_lowercase().replace(' ', "-")
        );
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("csrf_token", csrf),
                ("email", &email),
                ("password", PASSWORD),
            ])
            .finish();
        let request = owner
            .http
            .post(format!("{}/login", owner.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        let signed_in = owner.send(request).await;
        assert_eq!(signed_in.status, 303, "signed in: {}", signed_in.text());
        owner
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Fetched {
        let response = self
            .cookies
            .attach(request)
            .send()
            .await
            .expect("the service answers");
        self.cookies.absorb(response.headers());
        Fetched {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.bytes().await.expect("a body").to_vec(),
        }
    }

    /// `GET path`.
    pub(crate) async fn get(&mut self, path: &str) -> Fetched {
        let request = self.http.get(format!("{}{path}", self.address));
        self.send(request).await
    }
}

/// The text of a PDF as `pdftotext` reads it, whitespace made single
/// spaces; `None` (said loudly) when `pdftotext` is not installed, and a
/// failure under CI, where it must be.
pub(crate) fn pdf_text(pdf: &[u8]) -> Option<String> {
    let file = std::env::temp_dir().join(format!("aftercare-summary-{}.pdf", uuid::Uuid::new_v4()));
    std::fs::write(&file, pdf).expect("write the PDF");
    let run = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&file)
        .arg("-")
        .output();
    let _ = std::fs::remove_file(&file);
    match run {
        Ok(output) => {
            assert!(
                output.status.success(),
                "pdftotext could not read the PDF: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            let text = String::from_utf8(output.stdout).expect("UTF-8 text");
            Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
        }
        Err(error) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "pdftotext is missing under CI ({error}): apt-get install poppler-utils"
            );
            let _ = writeln!(
                std::io::stderr(),
                "\n!!!!! SKIPPED reading the summary PDF's text: pdftotext is missing ({error}); \
                 apt-get install poppler-utils. The PDF's words were not checked. !!!!!\n"
            );
            None
        }
    }
}

/// A client named [`NAME`], with email and phone, and a treatment 30 hours
/// ago by the clinic's therapist; returns (treatment id, link token, time).
async fn treatment_of(app: &TestApp, clinic: &ClinicFixture) -> (String, String, i64) {
    let client = app
        .post(
            "/api/v1/clients",
            Some(&clinic.owner_token),
            &json!({ "name": NAME, "email": "lukasz@example.org", "phone": "+48 601 234 567",
                     "follow_up_consent": true }),
        )
        .await
        .expect_status(201)
        .json();
    let at = app.now() - 30 * HOUR;
    let created = app
        .post(
            "/api/v1/treatments",
            Some(&clinic.therapist_token),
            &json!({
                "client_id": client["id"],
                "treatment": { "at": rfc3339(at), "modality": "deep_tissue", "pressure": "firm",
                               "duration_min": 60, "regions": ["calves", "lower_back"] },
                "notes": "Worked the left calf firmly"
            }),
        )
        .await
        .expect_status(201)
        .json();
    (
        created["id"].as_str().expect("treatment id").to_owned(),
        created["link"]["token"]
            .as_str()
            .expect("link token")
            .to_owned(),
        at,
    )
}

/// Sends a check-in through the client's link.
async fn check_in(app: &TestApp, token: &str, body: &Value) {
    app.post(&format!("/api/v1/links/{token}/checkins"), None, body)
        .await
        .expect_status(201);
}

/// What every view of the course must say: the details, the background
/// answers and the notes.
const REPORTED: &[&str] = &[
    "Swelling",
    "left side only",
    "warm or red",
    "hurts",
    "Calves",
    "Chest pain",
    "Drinking too little",
    "Slept 5 hours last night",
    "Stress: high",
    "4 caffeinated drinks today",
    "Started a new medicine recently",
    "No hard exercise since the treatment",
    "Not pregnant",
    "Takes blood thinners",
    "Not seen by a doctor, nurse or urgent care since the last check-in",
    "I take warfarin since May",
    "Much worse this evening",
];

#[tokio::test]
async fn the_doctor_summary_says_everything_in_words_on_the_page_and_in_the_pdf() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Summary Clinic").await;
        let (treatment, token, at) = treatment_of(app, &clinic).await;
        check_in(
            app,
            &token,
            &json!({
                "at": rfc3339(at + 26 * HOUR),
                "symptoms": [{ "kind": "swelling", "severity": "mild", "regions": ["calves"],
                               "side": "left", "warm_or_red": true, "painful": true }],
                "context": { "hydration": "low", "sleep_hours": 5, "stress": "high", "caffeine_cups": 4,
                             "new_medication": true, "strenuous_exercise": false, "pregnant": false,
                             "anticoagulants": true, "seen_by_clinician": false },
                "note": "I take warfarin since May"
            }),
        )
        .await;
        // A second check-in minutes later: an emergency.
        check_in(
            app,
            &token,
            &json!({
                "at": rfc3339(at + 26 * HOUR + 10 * 60_000),
                "symptoms": [{ "kind": "chest_pain", "severity": "moderate" }],
                "note": "Much worse this evening"
            }),
        )
        .await;

        let mut owner = Owner::sign_in(app, &clinic).await;
        let course = owner.get(&format!("/treatments/{treatment}")).await;
        assert_eq!(course.status, 200);
        let page = owner.get(&format!("/treatments/{treatment}/summary")).await;
        assert_eq!(page.status, 200);
        let page = page.text();
        let pdf = owner.get(&format!("/treatments/{treatment}/summary.pdf")).await;
        assert_eq!(pdf.status, 200);
        assert_eq!(pdf.header("content-type"), Some("application/pdf"));
        let day = rfc3339(app.now())[..10].to_owned();
        assert_eq!(
            pdf.header("content-disposition"),
            Some(
                format!(
                    "attachment; filename=\"aftercare-summary-lukasz-oberg-astrom-{day}.pdf\"; \
                     filename*=UTF-8''aftercare-summary-%C5%81ukasz-%C3%96berg-%C3%85str%C3%B6m-{day}.pdf"
                )
                .as_str()
            )
        );
        assert!(pdf.body.starts_with(b"%PDF-"));
        assert!(
            !String::from_utf8_lossy(&pdf.body).contains("/Helvetica"),
            "the PDF embeds its own font"
        );

        let who = [
            NAME,
            "lukasz@example.org",
            "+48 601 234 567",
            "Summary Clinic",
            "Therapist of Summary Clinic",
            "therapist@summary-clinic.test",
        ];
        // Guidance in words, beside its id: the clot fact and floor.
        let guidance = ["deep vein thrombosis", "Red flag: One-sided swelling", "guidance G16", "decision support, not a diagnosis"];
        let mut views = vec![
            ("course page", course.text(), false),
            ("summary", maud_unescaped(&page), true),
        ];
        if let Some(text) = pdf_text(&pdf.body) {
            views.push(("PDF", text.replace("Guidance G", "guidance G"), true));
        }
        for (view, text, is_summary) in &views {
            for said in REPORTED {
                assert!(text.contains(said), "the {view} leaves out {said:?}: {text}");
            }
            if *is_summary {
                for said in who.iter().chain(&guidance) {
                    assert!(text.contains(said), "the {view} leaves out {said:?}: {text}");
                }
                assert!(!text.contains("guidance:R"), "the {view} shows a bare rule source: {text}");
                // The therapist's private notes never go out with the client.
                assert!(!text.contains("Worked the left calf firmly"), "the {view} shows the private notes");
                assert!(!text.contains("?ukasz"), "{view}: {text}");
                // The emergency comes before anything else about the client.
                let emergency = text.find("Most serious answer: Emergency").unwrap_or_else(|| panic!("{view}: no emergency first: {text}"));
                let details = text.find("Client, clinic and therapist").expect("the client's details");
                assert!(emergency < details, "{view}: the emergency is not first");
                assert!(text.contains("The client was told to call their local emergency number now."), "{view}: {text}");
            }
        }
    })
    .await;
}

#[tokio::test]
async fn a_summary_without_check_ins_says_so_on_the_page_and_in_the_pdf() {
    on_every_backend(async |app: &TestApp| {
        let clinic = app.clinic("Quiet Summary Clinic").await;
        let (treatment, _, _) = treatment_of(app, &clinic).await;
        let mut owner = Owner::sign_in(app, &clinic).await;
        let page = owner.get(&format!("/treatments/{treatment}/summary")).await;
        assert_eq!(page.status, 200);
        let page = maud_unescaped(&page.text());
        assert!(page.contains("No check-ins."), "{page}");
        assert!(page.contains(NAME));
        let pdf = owner
            .get(&format!("/treatments/{treatment}/summary.pdf"))
            .await;
        assert_eq!(pdf.status, 200);
        if let Some(text) = pdf_text(&pdf.body) {
            assert!(text.contains("No check-ins."), "{text}");
            assert!(
                text.contains(&format!("After-treatment summary: {NAME}")),
                "{text}"
            );
            assert!(text.contains("page 1 of 1"), "{text}");
        }
        // Another clinic's owner gets nothing.
        let other = app.clinic("Other Summary Clinic").await;
        let mut stranger = Owner::sign_in(app, &other).await;
        for path in [
            format!("/treatments/{treatment}/summary"),
            format!("/treatments/{treatment}/summary.pdf"),
        ] {
            let refused = stranger.get(&path).await;
            assert_eq!(refused.status, 404, "{path}");
            assert!(!refused.text().contains(NAME));
        }
    })
    .await;
}

/// Page text with the few entities maud writes turned back.
fn maud_unescaped(html: &str) -> String {
    html.replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

/// The text of a treatment's summary PDF, fetched by the clinic's owner;
/// `None` when `pdftotext` is missing outside CI (see [`pdf_text`]).
pub(crate) async fn summary_pdf_text(
    app: &TestApp,
    clinic: &ClinicFixture,
    treatment: &str,
) -> Option<String> {
    let mut owner = Owner::sign_in(app, clinic).await;
    let pdf = owner
        .get(&format!("/treatments/{treatment}/summary.pdf"))
        .await;
    assert_eq!(pdf.status, 200);
    pdf_text(&pdf.body)
}
