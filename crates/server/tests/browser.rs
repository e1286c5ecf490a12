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

#[path = "browser/axe.rs"]
mod axe;
// Helpers for every test; not each test uses each of them.
#[allow(dead_code)]
#[path = "browser/chrome.rs"]
mod chrome;
#[allow(dead_code)]
#[path = "browser/service.rs"]
mod service;
#[path = "browser/tools.rs"]
mod tools;

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use chrome::{Browser, ChromeDriver, Width};
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
                .open_page(
                    "data:text/html,<!doctype html><html lang=en><head><title>Fine</title>\
                     <meta name=viewport content='width=device-width'></head><body><main>\
                     <h1>A plain page</h1><label for=name>Your name</label> <input id=name>\
                     </main></body></html>",
                )
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

/// The service answers the browser on its loopback address.
#[tokio::test]
async fn the_browser_reaches_the_service() {
    run(
        "the_browser_reaches_the_service",
        |service, browser| async move {
            browser.open_page("/healthz").await;
            assert!(
                browser.visible_text("body").await.contains("ok"),
                "the health check answered {} at {}",
                browser.visible_text("body").await,
                service.url("/healthz")
            );
        },
    )
    .await;
}
