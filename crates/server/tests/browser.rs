//! End-to-end tests in a real headless Chromium, driven through
//! ChromeDriver, against the real service on a loopback port.
//!
//! Each test gets its own service, ChromeDriver and browser session. Pages
//! are screenshotted at phone and desktop widths into
//! `<target>/browser-artifacts/<test>/<page>-<width>.png` and checked with
//! axe-core, which fails the test on a serious or critical finding.
//! Without Chromium, ChromeDriver or axe-core the tests fail under CI and
//! are skipped loudly elsewhere (see `tools`).

#![allow(missing_docs, clippy::too_many_lines)]

#[path = "browser/accounts.rs"]
mod accounts;
#[path = "browser/axe.rs"]
mod axe;
#[path = "browser/chrome.rs"]
mod chrome;
#[path = "browser/service.rs"]
mod service;
#[path = "browser/summary.rs"]
mod summary;
#[path = "browser/tools.rs"]
mod tools;

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use chrome::{Browser, ChromeDriver, Width};
use fantoccini::key::Key;
use service::Service;
use tools::Tools;

/// Starts a service, ChromeDriver and a browser for `test`, runs `body`,
/// then closes them all, also when `body` fails, so no Chromium outlives a
/// failing test. Returns without running `body` when the tools are missing
/// outside CI.
async fn run<Body, Done>(test: &str, body: Body)
where
    Body: FnOnce(Arc<Service>, Browser) -> Done,
    Done: Future<Output = ()> + Send + 'static,
{
    let Some(tools) = Tools::find_or_skip(test) else {
        return;
    };
    let artifacts = tools::artifacts_dir(test);
    let service = Arc::new(Service::start().await);
    let driver = ChromeDriver::start(&tools, &artifacts).await;
    let browser = Browser::open(&driver, &tools, &service.address, artifacts).await;
    // A task, so that a failing step is caught here and cleanup still runs.
    let outcome = tokio::spawn(body(Arc::clone(&service), browser.clone())).await;
    browser.close().await;
    drop(driver);
    if let Ok(service) = Arc::try_unwrap(service) {
        service.stop().await;
    }
    if let Err(failure) = outcome {
        match failure.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(failure) => panic!("the test task did not finish: {failure}"),
        }
    }
}

/// The width in pixels of a PNG file, from its header.
fn png_width(file: &Path) -> u32 {
    let bytes =
        std::fs::read(file).unwrap_or_else(|error| panic!("read {}: {error}", file.display()));
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} is not a PNG",
        file.display()
    );
    u32::from_be_bytes(bytes[16..20].try_into().expect("four bytes"))
}

/// A small page that breaks no rule; its screen-reader-only line comes
/// first but is not what a person sees first.
const PLAIN_PAGE: &str = "data:text/html,<!doctype html><html lang=en><head><title>Fine</title>\
    <meta name=viewport content='width=device-width'></head><body><main>\
    <p style='position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)'>For screen readers</p>\
    <h1>A plain page</h1><label for=name>Your name</label> <input id=name>\
    </main></body></html>";

/// The harness itself: axe must catch a page that breaks serious rules
/// and pass a plain, well-formed one, and screenshots must come out at
/// each width, or every other browser test proves nothing.
#[tokio::test]
async fn the_harness_catches_inaccessible_pages_and_screenshots_both_widths() {
    run(
        "the_harness_catches_inaccessible_pages_and_screenshots_both_widths",
        |_service, browser| async move {
            browser
                .open_page(
                    "data:text/html,<html><body><input type=text><img src=x.png></body></html>",
                )
                .await;
            let violations = axe::run(&browser).await;
            let serious: Vec<&str> = violations
                .iter()
                .filter(|violation| violation.is_serious())
                .map(|violation| violation.rule.as_str())
                .collect();
            for rule in ["label", "image-alt", "html-has-lang", "document-title"] {
                assert!(
                    serious.contains(&rule),
                    "axe should report {rule} as serious on a bad page; it found {serious:?}"
                );
            }

            browser
                .open_page(PLAIN_PAGE)
                .await;
            browser.check_page("plain").await;
            for (width, pixels) in [(Width::Phone, 390), (Width::Desktop, 1280)] {
                browser.set_width(width).await;
                let file = browser.screenshot("plain").await;
                assert!(
                    file.ends_with(format!("plain-{pixels}.png")),
                    "{}",
                    file.display()
                );
                assert_eq!(png_width(&file), pixels, "{}", file.display());
            }
            browser.set_width(Width::Phone).await;
            browser
                .open_page("data:text/html,<html lang=en><title>Wide</title><meta name=viewport content='width=device-width'><main><div style='width:900px'>wide</div></main></html>")
                .await;
            assert!(
                browser.sideways_overflow().await > 0.0,
                "a page wider than a phone is noticed"
            );
            browser
                .open_page(PLAIN_PAGE)
                .await;
            let (text, top) = browser
                .first_visible_text("main")
                .await
                .expect("visible text in main");
            assert_eq!(text, "A plain page");
            assert!(top < 100.0, "the heading is at the top, not at {top}");
        },
    )
    .await;
}

/// Checks that the page shown now loaded nothing from anywhere but the
/// service and shipped under 100 KB before images, and says how much.
async fn assert_light_and_self_contained(browser: &Browser, origin: &str, page: &str) {
    let loaded = browser.loaded().await;
    assert!(!loaded.is_empty(), "the browser reports what {page} loaded");
    let foreign: Vec<&str> = loaded
        .iter()
        .map(|entry| entry.url.as_str())
        .filter(|url| !url.starts_with(origin) && !url.starts_with("data:"))
        .collect();
    assert!(
        foreign.is_empty(),
        "{page} loads from elsewhere: {foreign:?}"
    );
    let sent: u64 = loaded
        .iter()
        .filter(|entry| !entry.image)
        .map(|entry| entry.sent_bytes)
        .sum();
    let read: u64 = loaded
        .iter()
        .filter(|entry| !entry.image)
        .map(|entry| entry.read_bytes)
        .sum();
    assert!(
        sent < 100 * 1024,
        "{page} ships {sent} bytes before images, over 100 KB: {loaded:?}"
    );
    tools::say(&format!(
        "{page}: {sent} bytes shipped before images ({read} once read)"
    ));
}

/// How many pages a PDF has, by its page objects (Chromium writes them
/// uncompressed).
fn pdf_page_count(pdf: &[u8]) -> usize {
    let marker = b"/Type /Page";
    pdf.windows(marker.len() + 1)
        .filter(|window| window.starts_with(marker) && window[marker.len()] != b's')
        .count()
}

/// One symptom as the check-in form asks it (only what the form asks
/// about that kind).
struct Answer<'a> {
    kind: &'a str,
    severity: &'a str,
    frequency: Option<&'a str>,
    interference: Option<&'a str>,
    /// "yes" or "no" to "did it come on suddenly".
    sudden: Option<&'a str>,
    regions: &'a [&'a str],
    side: Option<&'a str>,
}

impl Answer<'_> {
    /// Mild soreness in both calves: an ordinary reaction.
    const MILD_SORENESS: Answer<'static> = Answer {
        kind: "soreness",
        severity: "mild",
        frequency: None,
        interference: None,
        sudden: None,
        regions: &["calves"],
        side: Some("both"),
    };
    /// A fever, hot and shivery: the guideline sends it to a doctor.
    const FEVER: Answer<'static> = Answer {
        kind: "fever",
        severity: "moderate",
        frequency: None,
        interference: None,
        sudden: None,
        regions: &[],
        side: None,
    };
    /// Chest pain: always an emergency. It sits with the warning signs.
    const CHEST_PAIN: Answer<'static> = Answer {
        kind: "chest_pain",
        severity: "moderate",
        frequency: None,
        interference: None,
        sudden: Some("no"),
        regions: &[],
        side: None,
    };
}

/// The step of the check-in page shown now (its hidden `step` field), if
/// it is one.
async fn current_step(browser: &Browser) -> Option<String> {
    if !browser.has("main form input[name=step]").await {
        return None;
    }
    browser
        .find("main form input[name=step]")
        .await
        .attr("value")
        .await
        .expect("read the step")
}

/// Fills one symptom's page with `answer`.
async fn fill_symptom(browser: &Browser, answer: &Answer<'_>) {
    let kind = answer.kind;
    browser
        .choose(&format!("#{kind}-severity"), answer.severity)
        .await;
    if let Some(frequency) = answer.frequency {
        browser
            .choose(&format!("#{kind}-frequency"), frequency)
            .await;
    }
    if let Some(interference) = answer.interference {
        browser
            .choose(&format!("#{kind}-interference"), interference)
            .await;
    }
    if let Some(sudden) = answer.sudden {
        browser.tick(&format!("#{kind}-sudden-{sudden}")).await;
    }
    for region in answer.regions {
        browser.tick(&format!("#{kind}-regions-{region}")).await;
    }
    if let Some(side) = answer.side {
        browser.choose(&format!("#{kind}-side"), side).await;
    }
}

/// Answers the check-in shown now, one page at a time, with `answers`
/// (none: "none of these"), and sends it; the decision page follows.
/// What was reported last time and is not in `answers` is "gone". With
/// `checked`, each page is screenshotted and checked with axe-core as
/// `{checked}-{step}`.
async fn send_checkin_checked(browser: &Browser, answers: &[Answer<'_>], checked: Option<&str>) {
    for _ in 0..40 {
        let Some(step) = current_step(browser).await else {
            panic!("not a check-in page: {}", browser.path_for_messages().await);
        };
        if let Some(name) = checked {
            browser.check_page(&format!("{name}-{step}")).await;
        }
        match step.as_str() {
            "last" => {
                for group in browser.find_all("fieldset.choices").await {
                    let id = group.attr("id").await.expect("read the id").expect("an id");
                    let kind = id.trim_end_matches("-now");
                    let now = if answers.iter().any(|answer| answer.kind == kind) {
                        "still"
                    } else {
                        "gone"
                    };
                    browser.tick(&format!("#{id}-{now}")).await;
                }
            }
            "feel" => {
                let mut ticked = false;
                for answer in answers {
                    let tick = format!("#symptom-{}", answer.kind);
                    if browser.has(&tick).await {
                        browser.tick(&tick).await;
                        ticked = true;
                    }
                }
                if !ticked {
                    browser.tick("#nothing").await;
                }
            }
            "background" | "note" => {}
            "check" => {
                browser.submit("main form button[type=submit]").await;
                return;
            }
            kind => {
                if let Some(answer) = answers.iter().find(|answer| answer.kind == kind) {
                    fill_symptom(browser, answer).await;
                }
            }
        }
        browser.submit("main form button[type=submit]").await;
    }
    panic!("the check-in never reached its last page");
}

/// [`send_checkin_checked`] without the checks.
async fn send_checkin(browser: &Browser, answers: &[Answer<'_>]) {
    send_checkin_checked(browser, answers, None).await;
}

/// The level of the decision shown now.
async fn shown_level(browser: &Browser) -> String {
    browser
        .find("#decision")
        .await
        .attr("data-level")
        .await
        .expect("read the level")
        .expect("the decision names its level")
}

/// Signs in through the login page.
async fn log_in(browser: &Browser, email: &str, password: &str) {
    browser.open_page("/login").await;
    browser.fill("#email", email).await;
    browser.fill("#password", password).await;
    browser
        .submit("form[action='/login'] button[type=submit]")
        .await;
}

/// The levels of the alerts on the dashboard, top to bottom.
async fn dashboard_levels(browser: &Browser) -> Vec<String> {
    let mut levels = Vec::new();
    for alert in browser.find_all(".alert[data-level]").await {
        levels.push(
            alert
                .attr("data-level")
                .await
                .expect("read the level")
                .unwrap_or_default(),
        );
    }
    levels
}

/// The therapist's and the client's whole journey, every page seen at
/// both widths and checked with axe: first-run setup, sign-in, a client
/// and a treatment, the client's check-ins giving `expected`,
/// `see_doctor` and `emergency`, the alerts on the dashboard, acknowledging
/// one, the course view and the doctor summary with its PDF.
#[tokio::test]
async fn a_clinic_follows_a_client_from_treatment_to_doctor_summary() {
    const TEST: &str = "a_clinic_follows_a_client_from_treatment_to_doctor_summary";
    run(TEST, |service, browser| async move {
        let email = "owner@harbour-clinic.test";
        let password = "correct horse battery staple";

        browser.open_page("/").await;
        browser.check_page("landing").await;

        // First run: the one-time link creates the clinic and its owner.
        let setup = service.setup_link().await;
        assert!(setup.starts_with(&service.url("/setup/")), "{setup}");
        browser.open_page(&setup).await;
        browser.check_page("setup").await;
        browser.fill("#clinic_name", "Harbour Massage").await;
        browser.fill("#name", "Sam Owner").await;
        browser.fill("#email", email).await;
        browser.fill("#password", password).await;
        browser.submit("main form button[type=submit]").await;
        browser.open_page(&setup).await;
        assert!(
            !browser.has("#clinic_name").await,
            "a used setup link must not offer the form again"
        );

        // Sign out, then in again through the login page.
        browser.open_page("/dashboard").await;
        browser.submit("form[action='/logout'] button").await;
        browser.open_page("/login").await;
        browser.check_page("login").await;
        log_in(&browser, email, "not the password at all").await;
        assert_eq!(browser.path().await, "/login", "a wrong password does not sign in");
        assert!(
            !browser.visible_text("#login-error").await.is_empty(),
            "a wrong password is explained"
        );
        assert_eq!(
            browser
                .find("#email")
                .await
                .prop("value")
                .await
                .expect("read the field")
                .as_deref(),
            Some(email),
            "the email typed is kept"
        );
        browser.check_page("login-refused").await;
        log_in(&browser, email, password).await;
        assert_eq!(browser.path().await, "/dashboard");
        assert!(
            dashboard_levels(&browser).await.is_empty(),
            "a new clinic has no alerts"
        );
        browser.check_page("dashboard-empty").await;
        browser.open_page("/settings").await;
        browser.check_page("settings").await;

        // A client, and a treatment for them.
        browser.open_page("/clients").await;
        browser.check_page("clients").await;
        browser.fill("#name", "Alex Client").await;
        browser.fill("#email", "alex@example.org").await;
        browser.tick("#follow_up_consent").await;
        browser
            .submit("form[action='/clients'] button[type=submit]")
            .await;
        let client_path = browser.path().await;
        assert!(client_path.starts_with("/clients/"), "{client_path}");
        assert!(browser.visible_text("main").await.contains("Alex Client"));
        browser.check_page("client").await;
        browser.open_page(&format!("{client_path}/treatments/new")).await;
        browser.check_page("treatment-new").await;
        browser.choose("#modality", "deep_tissue").await;
        browser.choose("#pressure", "firm").await;
        browser.fill("#duration_min", "60").await;
        browser.tick("#regions-calves").await;
        browser.submit("main form button[type=submit]").await;
        let treatment_path = browser.path().await;
        assert!(treatment_path.starts_with("/treatments/"), "{treatment_path}");
        let link = browser.visible_text("#client-link").await;
        assert!(
            link.starts_with(&service.url("/c/")),
            "the client's link is shown whole: {link:?}"
        );
        // The QR code is an SVG image; it must load under the page's
        // content security policy, not only be in the markup.
        let qr = browser
            .script(
                "const image = document.querySelector('img.qr, svg.qr, .qr svg');
                 if (!image) { return 'missing'; }
                 if (image.tagName.toLowerCase() === 'svg') { return 'svg'; }
                 if (!image.src.startsWith('data:image/svg+xml')) { return 'not svg: ' + image.src.slice(0, 40); }
                 return image.complete && image.naturalWidth > 0 ? 'svg' : 'not loaded';",
                vec![],
            )
            .await;
        assert_eq!(qr, "svg", "a QR code of the link is shown as SVG");
        assert!(browser.has("svg#timeline").await, "the course has a timeline");
        browser.check_page("treatment-recorded").await;

        // The client, on their own phone: no session of the therapist's.
        browser
            .client()
            .delete_all_cookies()
            .await
            .expect("forget the therapist's session");
        browser.open_page(&link).await;
        assert_light_and_self_contained(&browser, &service.address, "the check-in page").await;
        send_checkin_checked(&browser, &[Answer::MILD_SORENESS], Some("checkin")).await;
        assert_eq!(shown_level(&browser).await, "expected");
        browser.check_page("decision-expected").await;

        service.advance_clock(std::time::Duration::from_secs(20 * 3600));
        browser.open_page(&link).await;
        send_checkin(&browser, &[Answer::FEVER]).await;
        assert_eq!(shown_level(&browser).await, "see_doctor");
        browser.check_page("decision-see-doctor").await;

        service.advance_clock(std::time::Duration::from_secs(4 * 3600));
        browser.open_page(&link).await;
        send_checkin(&browser, &[Answer::MILD_SORENESS, Answer::CHEST_PAIN]).await;
        assert_eq!(shown_level(&browser).await, "emergency");
        let (first, top) = browser
            .first_visible_text("main")
            .await
            .expect("the decision page shows text");
        assert!(
            first.to_lowercase().contains("emergency number"),
            "an emergency's first visible words must be the call to the emergency number, not {first:?}"
        );
        assert!(top < 844.0, "the emergency instruction is on the first screen, not at {top} px");
        browser.check_page("decision-emergency").await;
        // The clinic has not set its country: every known emergency number
        // is one tap away, folded under the instruction.
        browser
            .find(".numbers-by-country > summary")
            .await
            .click()
            .await
            .expect("open the numbers by country");
        let numbers = browser.visible_text(".numbers-by-country").await;
        assert!(numbers.contains("United Kingdom: 999"), "{numbers}");
        assert!(numbers.contains("Australia: 000"), "{numbers}");
        browser.check_page("decision-emergency-numbers").await;

        browser.open_page(&format!("{}/course", link.trim_end_matches('/'))).await;
        // The person's own course: the latest answer first, the emergency
        // instruction before anything else, then every check-in so far.
        assert_eq!(shown_level(&browser).await, "emergency");
        let (first, _) = browser
            .first_visible_text("main")
            .await
            .expect("the course page shows text");
        assert!(first.to_lowercase().contains("emergency number"), "{first:?}");
        assert_eq!(
            browser.find_all("main table tbody tr").await.len(),
            3,
            "the three check-ins are listed"
        );
        assert!(browser.has("svg#timeline").await, "the person sees the chart");
        browser.check_page("client-course").await;

        // The therapist sees the alerts, most serious first.
        log_in(&browser, email, password).await;
        let levels = dashboard_levels(&browser).await;
        assert_eq!(
            levels.first().map(String::as_str),
            Some("emergency"),
            "the emergency comes first: {levels:?}"
        );
        assert!(levels.iter().any(|level| level == "see_doctor"), "{levels:?}");
        browser.check_page("dashboard-alerts").await;
        assert_light_and_self_contained(&browser, &service.address, "the dashboard").await;
        browser
            .submit(".alert[data-level=emergency] form button[type=submit]")
            .await;
        assert_eq!(browser.path().await, "/dashboard");
        let after = dashboard_levels(&browser).await;
        assert!(
            !after.iter().any(|level| level == "emergency"),
            "the acknowledged alert left the open list: {after:?}"
        );
        assert_eq!(after.len(), levels.len() - 1, "{levels:?} -> {after:?}");
        browser.check_page("dashboard-acknowledged").await;

        // The course and the doctor summary.
        browser.open_page(&treatment_path).await;
        assert!(browser.has("svg#timeline").await);
        browser.check_page("course").await;
        browser.open_page(&format!("{treatment_path}/summary")).await;
        let summary = browser.visible_text("main").await;
        assert!(summary.contains("Alex Client") || summary.contains("Deep tissue"), "{summary}");
        assert!(browser.has("svg#timeline").await, "the summary shows the chart");
        browser.check_page("summary").await;
        // What the client takes to a doctor: without the
        // therapist's navigation and buttons, with the chart.
        browser.emulate_media("print").await;
        assert!(
            !browser
                .find("form[action='/logout']")
                .await
                .is_displayed()
                .await
                .expect("read the sign-out form"),
            "navigation is not printed"
        );
        assert!(
            browser
                .find("svg#timeline")
                .await
                .is_displayed()
                .await
                .expect("read the chart"),
            "the chart is printed"
        );
        browser.set_width(Width::Desktop).await;
        browser.screenshot("summary-print").await;
        browser.set_width(Width::Phone).await;
        let printed = browser.print_to_pdf().await;
        browser.emulate_media("screen").await;
        assert!(printed.starts_with(b"%PDF-"));
        let pages = pdf_page_count(&printed);
        std::fs::write(browser.artifact("summary-print.pdf"), &printed).expect("save the print");
        // Something a person takes to a doctor: with every detail and the
        // guidance in words, at most two sheets for a short course.
        assert!((1..=2).contains(&pages), "the doctor summary prints on {pages} pages");
        let pdf = browser.fetch(&format!("{treatment_path}/summary.pdf")).await;
        assert_eq!(pdf.0, 200);
        assert_eq!(pdf.1.as_deref(), Some("application/pdf"));
        assert!(pdf.2.starts_with(b"%PDF-"), "the summary PDF is a PDF");
    })
    .await;
}

/// The check-in page is a plain form: with scripts turned off a person
/// can still answer, see a mistake explained next to its field with what
/// they typed kept, fix it and get their decision.
#[tokio::test]
async fn the_checkin_form_works_without_javascript() {
    const TEST: &str = "the_checkin_form_works_without_javascript";
    run(TEST, |service, browser| async move {
        let token = service.clinic_with_token("Quiet Clinic").await;
        let link = service.treatment_link(&token, 20).await;

        browser.disable_javascript().await;
        browser
            .open_page(
                "data:text/html,<title>before</title><script>document.title = 'ran'</script>",
            )
            .await;
        assert_eq!(
            browser.client().title().await.expect("the title"),
            "before",
            "page scripts must be off for this test to mean anything"
        );

        // One thing per page, by plain links and forms: what is felt,
        // then the soreness's own questions, then the background.
        browser.open_page(&link).await;
        browser.check_page("checkin-no-js").await;
        browser.tick("#symptom-soreness").await;
        browser.submit("main form button[type=submit]").await;
        assert_eq!(current_step(&browser).await.as_deref(), Some("soreness"));
        fill_symptom(&browser, &Answer::MILD_SORENESS).await;
        browser.submit("main form button[type=submit]").await;
        assert_eq!(current_step(&browser).await.as_deref(), Some("background"));
        browser.fill("#sleep_hours", "lots").await;
        browser.submit("main form button[type=submit]").await;
        let error = browser.visible_text("#sleep_hours-error").await;
        assert!(
            !error.is_empty(),
            "the mistake is explained next to its field"
        );
        assert!(
            browser.has(".errors a[href='#sleep_hours']").await,
            "and linked from the summary at the top"
        );
        assert_eq!(
            browser
                .find("#sleep_hours")
                .await
                .prop("value")
                .await
                .expect("read the field")
                .as_deref(),
            Some("lots"),
            "what was typed is kept"
        );
        browser.check_page("checkin-error-no-js").await;

        // The "Back" link shows the page before with its answers.
        browser.click("a.back").await;
        assert_eq!(current_step(&browser).await.as_deref(), Some("soreness"));
        assert_eq!(
            browser
                .find("#soreness-severity")
                .await
                .prop("value")
                .await
                .expect("read the list")
                .as_deref(),
            Some("mild"),
            "the answers are kept"
        );
        assert!(
            browser
                .find("#soreness-regions-calves")
                .await
                .is_selected()
                .await
                .expect("read the box")
        );
        browser.click("a.back").await;
        assert_eq!(current_step(&browser).await.as_deref(), Some("feel"));
        browser.submit("main form button[type=submit]").await;
        assert_eq!(current_step(&browser).await.as_deref(), Some("soreness"));
        // So does the browser's own Back button, also after a reload.
        browser.client().back().await.expect("back");
        browser.client().refresh().await.expect("reload");
        assert_eq!(current_step(&browser).await.as_deref(), Some("feel"));
        assert!(
            browser
                .find("#symptom-soreness")
                .await
                .is_selected()
                .await
                .expect("read the box"),
            "the ticked symptom stays ticked"
        );
        browser.submit("main form button[type=submit]").await;
        browser.submit("main form button[type=submit]").await;
        browser.fill("#sleep_hours", "7").await;
        browser.submit("main form button[type=submit]").await;
        browser.fill("#note", "stiff after the session").await;
        browser.submit("main form button[type=submit]").await;
        assert_eq!(current_step(&browser).await.as_deref(), Some("check"));
        let answers = browser.visible_text("main").await;
        for words in [
            "Soreness or a bruised feeling: mild",
            "Calves",
            "Slept 7 h",
            "stiff after the session",
        ] {
            assert!(answers.contains(words), "{words}: {answers}");
        }
        browser.check_page("checkin-check-no-js").await;
        // Change: the page, then back to "check your answers".
        browser.click("a[href*='step=soreness&then=check']").await;
        browser.choose("#soreness-severity", "moderate").await;
        browser.submit("main form button[type=submit]").await;
        assert_eq!(current_step(&browser).await.as_deref(), Some("check"));
        let answers = browser.visible_text("main").await;
        assert!(
            answers.contains("Soreness or a bruised feeling: moderate"),
            "{answers}"
        );
        assert!(answers.contains("Slept 7 h"), "the rest is kept: {answers}");
        browser.submit("main form button[type=submit]").await;
        assert!(browser.has("#decision").await);
        browser.check_page("decision-no-js").await;
    })
    .await;
}

/// The rarer warning signs wait in one fold that opens without scripts,
/// and any answer about one counts, even without its tick: fainting on
/// the treatment table, said and nothing else, gets the emergency answer.
#[tokio::test]
async fn the_warning_signs_open_without_javascript_and_any_answer_counts() {
    const TEST: &str = "the_warning_signs_open_without_javascript_and_any_answer_counts";
    run(TEST, |service, browser| async move {
        let token = service.clinic_with_token("Signs Clinic").await;
        let link = service.treatment_link(&token, 20).await;
        browser.disable_javascript().await;
        browser.open_page(&link).await;
        assert!(
            browser
                .find("fieldset.signs #symptom-fainting")
                .await
                .is_displayed()
                .await
                .expect("read the box"),
            "the warning signs are in one labelled group, in view"
        );
        browser.check_page("checkin-warning-signs").await;
        browser.tick("#symptom-fainting").await;
        browser.submit("main form button[type=submit]").await;
        assert_eq!(current_step(&browser).await.as_deref(), Some("fainting"));
        browser.check_page("checkin-fainting").await;
        browser.tick("#fainting-while_lying_down").await;
        browser.submit("main form button[type=submit]").await;
        // Back to the first page: fainting unticked. Its answer still
        // counts, and "check your answers" says so.
        browser.open_page(&format!("{link}?step=feel")).await;
        let ticked = browser.find("#symptom-fainting").await;
        ticked.click().await.expect("untick");
        browser.tick("#symptom-soreness").await;
        browser.submit("main form button[type=submit]").await;
        assert_eq!(current_step(&browser).await.as_deref(), Some("fainting"));
        for _ in 0..4 {
            browser.submit("main form button[type=submit]").await;
        }
        assert_eq!(current_step(&browser).await.as_deref(), Some("check"));
        let answers = browser.visible_text("main").await;
        assert!(answers.contains("while lying down"), "{answers}");
        assert!(answers.contains("Counted"), "{answers}");
        browser.submit("main form button[type=submit]").await;
        assert_eq!(shown_level(&browser).await, "emergency");
        let (first, _) = browser
            .first_visible_text("main")
            .await
            .expect("the decision page shows text");
        assert!(
            first.to_lowercase().contains("emergency number"),
            "{first:?}"
        );
        let why = browser.visible_text("#decision").await.to_lowercase();
        assert!(why.contains("faint"), "{why}");
        browser.check_page("decision-warning-sign").await;
    })
    .await;
}

/// Anyone can check how they feel without a clinic: the answer comes at
/// once with a private diary link, and the diary takes the next check-in.
#[tokio::test]
async fn a_self_check_gives_a_decision_and_a_private_diary() {
    const TEST: &str = "a_self_check_gives_a_decision_and_a_private_diary";
    run(TEST, |service, browser| async move {
        browser.open_page("/self-check").await;
        browser.check_page("self-check").await;
        browser.fill("#hours_ago", "20").await;
        browser.choose("#modality", "sports").await;
        browser.submit("main form button[type=submit]").await;
        send_checkin_checked(&browser, &[Answer::MILD_SORENESS], Some("self-check")).await;
        assert_eq!(shown_level(&browser).await, "expected");
        let diary = browser.visible_text("#diary-link").await;
        assert!(
            diary.starts_with(&service.url("/self-check/d/")),
            "the diary link is shown whole: {diary:?}"
        );
        browser.check_page("self-check-decision").await;

        browser.open_page(&diary).await;
        browser.check_page("self-check-diary").await;
        // The next check-in starts with what was reported last time.
        browser.click("main a.button").await;
        assert_eq!(current_step(&browser).await.as_deref(), Some("last"));
        send_checkin_checked(&browser, &[Answer::FEVER], Some("self-check-diary")).await;
        assert_eq!(shown_level(&browser).await, "see_doctor");
        browser.check_page("self-check-diary-decision").await;
    })
    .await;
}

/// Touch targets on the phone-sized check-in page smaller than `minimum`
/// CSS pixels either way: buttons, folds, lists, text fields, links, and
/// the labels that carry each checkbox (the whole label is the target).
/// Returns how many targets were measured, and the small ones.
async fn small_targets(browser: &Browser, minimum: f64) -> (usize, Vec<String>) {
    let found = browser
        .script(
            r"
            const minimum = arguments[0];
            const targets = document.querySelectorAll(
                'main button, main summary, main select, main textarea, main a, ' +
                'main input:not([type=hidden]):not([type=checkbox]):not([type=radio]), main label.check');
            const small = [];
            let measured = 0;
            for (const target of targets) {
                if (!target.checkVisibility()) { continue; }
                measured += 1;
                const box = target.getBoundingClientRect();
                if (box.width < minimum || box.height < minimum) {
                    const name = target.id || target.getAttribute('for') || target.textContent.trim().slice(0, 30);
                    small.push(`${target.tagName.toLowerCase()} ${name}: ${Math.round(box.width)}x${Math.round(box.height)}`);
                }
            }
            return [measured, small];
            ",
            vec![serde_json::json!(minimum)],
        )
        .await;
    let measured = found[0].as_u64().expect("a count") as usize;
    let small = found[1]
        .as_array()
        .expect("a list")
        .iter()
        .map(|entry| entry.as_str().unwrap_or_default().to_owned())
        .collect();
    (measured, small)
}

/// The check-in page can be answered with the keyboard alone, each
/// control showing the focus, and on a phone its controls are big enough
/// to hit with a finger.
#[tokio::test]
async fn the_checkin_form_works_by_keyboard_and_by_touch() {
    const TEST: &str = "the_checkin_form_works_by_keyboard_and_by_touch";
    run(TEST, |service, browser| async move {
        let token = service.clinic_with_token("Keyboard Clinic").await;
        let link = service.treatment_link(&token, 20).await;
        // The first page and the page with the most questions.
        for page in [
            link.clone(),
            format!("{link}?step=fainting"),
            format!("{link}?step=swelling"),
        ] {
            browser.open_page(&page).await;
            let name = page
                .split_once("step=")
                .map_or("first", |(_, step)| step)
                .to_owned();
            browser.check_page(&format!("checkin-page-{name}")).await;
            let (measured, small) = small_targets(&browser, 44.0).await;
            assert!(
                measured > 5,
                "only {measured} touch targets were found on {page}"
            );
            assert!(
                small.is_empty(),
                "touch targets under 44 x 44 px on the phone-sized {page}:\n  {}",
                small.join("\n  ")
            );
        }
        browser.open_page(&format!("{link}?step=check")).await;
        let (_, small) = small_targets(&browser, 44.0).await;
        assert!(small.is_empty(), "check your answers: {small:?}");

        // By keyboard alone from the top of a fresh page, through every
        // page: tick soreness, pick "mild" on its page, go on, send.
        browser.open_page(&link).await;
        browser.tab_to("symptom-soreness", 40).await;
        browser.press(Key::Space).await;
        assert!(
            browser
                .find("#symptom-soreness")
                .await
                .is_selected()
                .await
                .expect("read the box"),
            "Space ticks the focused box"
        );
        let by_keyboard = async |browser: &Browser, limit: usize| {
            browser.tab_to("button", limit).await;
            let before = browser.find("html").await;
            browser.press(Key::Enter).await;
            browser
                .client()
                .wait()
                .for_element(fantoccini::Locator::Css("main"))
                .await
                .expect("the next page");
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            while before.tag_name().await.is_ok() {
                assert!(std::time::Instant::now() < deadline, "Enter loaded no page");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            browser
                .client()
                .wait()
                .for_element(fantoccini::Locator::Css("main"))
                .await
                .expect("the next page");
        };
        by_keyboard(&browser, 80).await;
        assert_eq!(current_step(&browser).await.as_deref(), Some("soreness"));
        browser.tab_to("soreness-severity", 5).await;
        // "Not stated", then "Mild": one step down ("gone" is asked apart).
        browser.press(Key::Down).await;
        assert_eq!(
            browser
                .find("#soreness-severity")
                .await
                .prop("value")
                .await
                .expect("read the list")
                .as_deref(),
            Some("mild")
        );
        by_keyboard(&browser, 80).await;
        assert_eq!(current_step(&browser).await.as_deref(), Some("background"));
        by_keyboard(&browser, 40).await;
        assert_eq!(current_step(&browser).await.as_deref(), Some("note"));
        by_keyboard(&browser, 10).await;
        assert_eq!(current_step(&browser).await.as_deref(), Some("check"));
        by_keyboard(&browser, 40).await;
        assert!(
            browser.has("#decision").await,
            "the decision after sending by keyboard"
        );
        assert_eq!(shown_level(&browser).await, "expected");
        // The answer was about the soreness typed in, not an empty check-in.
        let why = browser.visible_text("#decision").await;
        assert!(why.to_lowercase().contains("soreness"), "{why}");
    })
    .await;
}

/// A mistyped or expired link gets a calm page that says what to do, as
/// accessible as the rest, not an error document.
#[tokio::test]
async fn a_wrong_or_expired_link_gets_a_plain_page() {
    const TEST: &str = "a_wrong_or_expired_link_gets_a_plain_page";
    run(TEST, |service, browser| async move {
        let token = service.clinic_with_token("Link Clinic").await;
        let link = service.treatment_link(&token, 1).await;
        let path = link
            .strip_prefix(&service.address)
            .expect("a link to this service")
            .to_owned();

        let mistyped = format!("{}x", path.trim_end_matches('/'));
        browser.open_page(&mistyped).await;
        assert_eq!(browser.fetch(&mistyped).await.0, 404);
        assert!(browser.has("main h1").await, "a page with a heading");
        browser.check_page("link-unknown").await;

        // Past the link's lifetime (30 days by default).
        service.advance_clock(std::time::Duration::from_secs(31 * 24 * 3600));
        browser.open_page(&path).await;
        let (status, content_type, _) = browser.fetch(&path).await;
        assert!(
            matches!(status, 404 | 410),
            "an expired link answers {status}"
        );
        assert!(
            content_type.is_some_and(|kind| kind.starts_with("text/html")),
            "a person gets a page"
        );
        assert!(
            !browser.has("#symptom-soreness").await,
            "an expired link offers no check-in form"
        );
        assert!(
            browser
                .visible_text("main")
                .await
                .to_lowercase()
                .contains("expired"),
            "the page says the link has expired"
        );
        browser.check_page("link-expired").await;
    })
    .await;
}
