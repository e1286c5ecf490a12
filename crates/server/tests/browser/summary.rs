//! The doctor summary and the chart on a 375 px phone: nothing scrolls
//! sideways, the chart's text renders at 12 px or more, two check-ins ten
//! minutes apart get two separate markers, and the legend draws the very
//! symbols the chart uses.

use serde_json::{Value, json};

use super::chrome::{Browser, Width};
use super::{log_in, pdf_page_count, run};

/// The narrowest phone the pages are checked at, in CSS pixels.
const PHONE: u32 = 375;

/// Sizes the viewport as a 375 px wide phone.
async fn phone(browser: &Browser) {
    browser
        .devtools(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": PHONE, "height": 812, "deviceScaleFactor": 1, "mobile": true }),
        )
        .await;
}

/// Checks the chart on the page open now; `what` names the page.
async fn assert_chart_reads_on_a_phone(browser: &Browser, what: &str) {
    let wide = browser
        .script(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        )
        .await;
    assert!(
        wide[0].as_f64() <= wide[1].as_f64(),
        "{what} scrolls sideways at {PHONE} px: {wide}"
    );
    // Rendered text size: the computed size in drawing units times the
    // drawing's scale on screen.
    let sizes = browser
        .script(
            "const svg = document.querySelector('svg#timeline');
             const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
             return Array.from(svg.querySelectorAll('text'))
               .map(t => [t.textContent, parseFloat(getComputedStyle(t).fontSize) * scale]);",
            vec![],
        )
        .await;
    let sizes = sizes.as_array().expect("the chart's texts");
    assert!(!sizes.is_empty(), "{what}: the chart has text");
    for size in sizes {
        let px = size[1].as_f64().expect("a size");
        assert!(
            px >= 12.0,
            "{what}: chart text {} renders at {px:.1} px",
            size[0]
        );
    }
    // No two answer markers overlap, and each level's marker is drawn the
    // same in the legend: the same element, colour and shape.
    let markers: Value = browser
        .script(
            "const shape = g => {
               const s = g.querySelector('circle, polygon');
               const points = s.tagName === 'polygon'
                 ? Array.from(s.points).map(p => [p.x, p.y]) : [];
               const [x0, y0] = points.length ? points[0] : [0, 0];
               return { tag: s.tagName, fill: s.getAttribute('fill'), r: s.getAttribute('r'),
                        points: points.map(([x, y]) => (x - x0).toFixed(1) + ',' + (y - y0).toFixed(1)).join(' ') };
             };
             const svg = document.querySelector('svg#timeline');
             const markers = Array.from(svg.querySelectorAll('g.marker')).map(g => {
               const box = g.querySelector('circle, polygon').getBoundingClientRect();
               return { level: g.dataset.level, left: box.left, right: box.right, shape: shape(g) };
             });
             const legend = {};
             svg.querySelectorAll('g.legend-level').forEach(g => { legend[g.dataset.legendLevel] = shape(g); });
             return { markers, legend };",
            vec![],
        )
        .await;
    let list = markers["markers"].as_array().expect("markers");
    assert!(list.len() >= 3, "{what}: one marker per answer: {markers}");
    let mut boxes: Vec<(f64, f64)> = list
        .iter()
        .map(|m| {
            (
                m["left"].as_f64().expect("left"),
                m["right"].as_f64().expect("right"),
            )
        })
        .collect();
    boxes.sort_by(|a, b| a.0.total_cmp(&b.0));
    for pair in boxes.windows(2) {
        assert!(
            pair[1].0 >= pair[0].1,
            "{what}: two answer markers overlap: {pair:?}"
        );
    }
    let legend = markers["legend"].as_object().expect("the legend");
    for marker in list {
        let level = marker["level"].as_str().expect("a level");
        assert_eq!(
            legend.get(level),
            Some(&marker["shape"]),
            "{what}: the legend's {level} symbol differs from the chart's"
        );
    }
    assert_eq!(
        legend.len(),
        list.iter()
            .filter_map(|m| m["level"].as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        "{what}: the legend lists exactly the levels shown: {markers}"
    );
}

#[tokio::test]
async fn the_summary_and_its_chart_read_on_a_375_px_phone() {
    const TEST: &str = "the_summary_and_its_chart_read_on_a_375_px_phone";
    run(TEST, |service, browser| async move {
        let token = service.clinic_with_token("Phone Clinic").await;
        let link = service.treatment_link(&token, 30).await;
        let link_token = link.rsplit("/c/").next().expect("the link's token").to_owned();
        let http = reqwest::Client::new();
        let treated_at = service.now() - 30 * 3_600_000;
        let at = |minutes: i64| {
            time::OffsetDateTime::from_unix_timestamp_nanos(
                i128::from(treated_at + minutes * 60_000) * 1_000_000,
            )
            .expect("a time")
            .format(&time::format_description::well_known::Rfc3339)
            .expect("RFC 3339")
        };
        // Two check-ins ten minutes apart, then one a few hours on; a
        // long word in the note, as a long id or address would be.
        for body in [
            json!({ "at": at(6 * 60), "symptoms": [{ "kind": "soreness", "severity": "mild" }] }),
            json!({ "at": at(6 * 60 + 10), "symptoms": [{ "kind": "swelling", "severity": "mild",
                    "regions": ["calves"], "side": "left", "warm_or_red": true, "painful": true }],
                    "context": { "anticoagulants": true, "sleep_hours": 5 },
                    "note": format!("Measured{}", "-and-remeasured".repeat(12)) }),
            json!({ "at": at(26 * 60), "symptoms": [{ "kind": "chest_pain", "severity": "moderate" }] }),
        ] {
            http.post(service.url(&format!("/api/v1/links/{link_token}/checkins")))
                .json(&body)
                .send()
                .await
                .and_then(reqwest::Response::error_for_status)
                .expect("a check-in");
        }
        let treatments: Value = http
            .get(service.url("/api/v1/treatments"))
            .bearer_auth(&token)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .expect("the treatments")
            .json()
            .await
            .expect("JSON");
        let treatment = treatments["items"][0]["id"].as_str().expect("a treatment").to_owned();

        // The clinic's owner signs in.
        let (owner, _) = service
            .store
            .practitioner_by_email("owner@clinic.test")
            .await
            .expect("find the owner")
            .expect("the owner");
        let hash = aftercare_server::web::password_hash("correct horse battery staple").expect("a hash");
        service
            .store
            .set_password_hash(&owner.clinic_id, &owner.id, &hash)
            .await
            .expect("set a password");
        log_in(&browser, "owner@clinic.test", "correct horse battery staple").await;
        assert_eq!(browser.path().await, "/dashboard");

        browser.open_page(&format!("/treatments/{treatment}/summary")).await;
        browser.check_page("summary-phone").await;
        phone(&browser).await;
        browser.screenshot("summary-375").await;
        assert_chart_reads_on_a_phone(&browser, "the summary").await;
        let text = browser.visible_text("main").await;
        assert!(text.contains("Most serious answer"), "{text}");
        assert!(text.contains("(guidance G16)"), "{text}");
        // Printed for a doctor: every detail and the guidance in words,
        // on at most two sheets for a short course like this.
        browser.set_width(Width::Phone).await;
        browser.emulate_media("print").await;
        let printed = browser.print_to_pdf().await;
        browser.emulate_media("screen").await;
        std::fs::write(browser.artifact("summary-print.pdf"), &printed).expect("save the print");
        let pages = pdf_page_count(&printed);
        assert!((1..=2).contains(&pages), "the doctor summary prints on {pages} pages");

        browser.open_page(&format!("/treatments/{treatment}")).await;
        phone(&browser).await;
        assert_chart_reads_on_a_phone(&browser, "the course page").await;

        browser.open_page(&format!("{}/course", link.trim_end_matches('/'))).await;
        phone(&browser).await;
        assert_chart_reads_on_a_phone(&browser, "the client's course page").await;
    })
    .await;
}
