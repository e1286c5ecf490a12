//! Headless Chromium driven through ChromeDriver (WebDriver), with the
//! few things WebDriver lacks (exact viewport sizes, full-page screenshots,
//! turning scripts off) sent as DevTools commands through ChromeDriver's
//! `goog/cdp/execute` endpoint.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use fantoccini::actions::{InputSource as _, KeyAction, KeyActions};
use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::wd::TimeoutConfiguration;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::axe;
use crate::tools::Tools;

/// A ChromeDriver process on a free loopback port, killed when dropped.
pub struct ChromeDriver {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    process: Child,
}

impl ChromeDriver {
    /// Starts ChromeDriver and waits until it accepts connections; its log
    /// goes to `chromedriver.log` in `artifacts`.
    pub async fn start(tools: &Tools, artifacts: &Path) -> ChromeDriver {
        let port = free_port();
        let log = artifacts.join("chromedriver.log");
        let mut process = Command::new(&tools.chromedriver)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            // Warnings only: at the default level every script sent (axe is
            // half a megabyte) would be logged.
            .arg("--log-level=WARNING")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("start {}: {error}", tools.chromedriver.display()));
        let address = format!("127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if tokio::net::TcpStream::connect(&address).await.is_ok() {
                break;
            }
            if let Ok(Some(status)) = process.try_wait() {
                panic!(
                    "chromedriver exited at start ({status}); its log: {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on {address} within 20 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        ChromeDriver {
            url: format!("http://{address}"),
            process,
        }
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// A port nobody listens on right now. ChromeDriver cannot report the
/// port it picked itself, so the test picks one and hands it over.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
        .port()
}

/// One thing a page loaded, from the browser's resource timing.
#[derive(Debug)]
pub struct Loaded {
    /// Its address.
    pub url: String,
    /// The body's size on the wire.
    pub sent_bytes: u64,
    /// The body's size once decompressed.
    pub read_bytes: u64,
    /// Whether it is an image.
    pub image: bool,
}

/// The two screen sizes every page is seen at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Width {
    /// A phone held upright, 390 x 844 CSS pixels, with touch.
    Phone,
    /// A laptop, 1280 x 900.
    Desktop,
}

impl Width {
    /// Both sizes, phone first: the check-in page is mobile first.
    pub const ALL: [Width; 2] = [Width::Phone, Width::Desktop];

    fn size(self) -> (u32, u32) {
        match self {
            Width::Phone => (390, 844),
            Width::Desktop => (1280, 900),
        }
    }
}

/// One browser session, cheap to clone; every clone drives the same tab.
#[derive(Clone)]
pub struct Browser {
    client: Client,
    driver_url: String,
    session: String,
    http: reqwest::Client,
    base_url: String,
    artifacts: PathBuf,
    axe_source: Arc<str>,
    width: Arc<Mutex<Width>>,
    scripts_off: Arc<AtomicBool>,
}

impl Browser {
    /// Opens a headless Chromium through `driver`, at phone width, with
    /// `base_url` as the address relative paths are opened against.
    pub async fn open(
        driver: &ChromeDriver,
        tools: &Tools,
        base_url: &str,
        artifacts: PathBuf,
    ) -> Browser {
        let capabilities = json!({
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "goog:chromeOptions": {
                "binary": tools.chromium,
                "args": [
                    "--headless=new",
                    // Tests run as root in containers, where the sandbox
                    // cannot start; the pages opened are our own.
                    "--no-sandbox",
                    "--disable-dev-shm-usage",
                    "--disable-gpu",
                    "--force-device-scale-factor=1",
                    "--hide-scrollbars",
                    "--no-first-run",
                    "--disable-extensions",
                    "--lang=en-GB",
                    "--window-size=1280,900"
                ]
            }
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object literal")
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver.url)
            .await
            .unwrap_or_else(|error| panic!("open a Chromium session: {error}"));
        // Generous limits: axe on a long page, on two cores shared with
        // the service and the rest of the test suite, can take a while;
        // no test waits for a limit to pass.
        client
            .update_timeouts(TimeoutConfiguration::new(
                Some(Duration::from_secs(120)),
                Some(Duration::from_secs(60)),
                Some(Duration::ZERO),
            ))
            .await
            .expect("set the session's time limits");
        let session = client
            .session_id()
            .await
            .expect("the session id")
            .expect("a session id");
        let browser = Browser {
            client,
            driver_url: driver.url.clone(),
            session,
            http: reqwest::Client::new(),
            base_url: base_url.trim_end_matches('/').to_owned(),
            artifacts,
            axe_source: Arc::clone(&tools.axe_source),
            width: Arc::new(Mutex::new(Width::Phone)),
            scripts_off: Arc::new(AtomicBool::new(false)),
        };
        browser.set_width(Width::Phone).await;
        browser
    }

    /// Ends the session, which closes Chromium.
    pub async fn close(self) {
        let _ = self.client.close().await;
    }

    /// The WebDriver client, for what these helpers do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Sends one DevTools command to the page.
    pub async fn devtools(&self, command: &str, params: Value) -> Value {
        let url = format!(
            "{}/session/{}/goog/cdp/execute",
            self.driver_url, self.session
        );
        let answer: Value = self
            .http
            .post(url)
            .json(&json!({ "cmd": command, "params": params }))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .unwrap_or_else(|error| panic!("DevTools {command}: {error}"))
            .json()
            .await
            .unwrap_or_else(|error| panic!("DevTools {command} answer: {error}"));
        answer["value"].clone()
    }

    /// Sizes the viewport exactly (the window's own size includes
    /// toolbars and has a minimum width).
    pub async fn set_width(&self, width: Width) {
        let (w, h) = width.size();
        self.devtools(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": w, "height": h, "deviceScaleFactor": 1, "mobile": width == Width::Phone }),
        )
        .await;
        self.devtools(
            "Emulation.setTouchEmulationEnabled",
            json!({ "enabled": width == Width::Phone }),
        )
        .await;
        *self.width.lock().expect("the width lock") = width;
    }

    /// The width the viewport has now.
    pub fn width(&self) -> Width {
        *self.width.lock().expect("the width lock")
    }

    /// Stops page scripts from running, from the next page on, as in a
    /// browser with JavaScript turned off. WebDriver's own commands still work.
    pub async fn disable_javascript(&self) {
        self.devtools(
            "Emulation.setScriptExecutionDisabled",
            json!({ "value": true }),
        )
        .await;
        self.scripts_off.store(true, Ordering::SeqCst);
    }

    /// Opens a path on the service (`/...`) or any full URL, and waits
    /// for it to load.
    pub async fn open_page(&self, path_or_url: &str) {
        let url = if path_or_url.starts_with('/') {
            format!("{}{path_or_url}", self.base_url)
        } else {
            path_or_url.to_owned()
        };
        self.client
            .goto(&url)
            .await
            .unwrap_or_else(|error| panic!("open {url}: {error}"));
    }

    /// `GET path` on the service with the browser's cookies, for answers
    /// a browser would download rather than show (a PDF): the status, the
    /// content type and the body.
    pub async fn fetch(&self, path: &str) -> (u16, Option<String>, Vec<u8>) {
        let cookies = self
            .client
            .get_all_cookies()
            .await
            .expect("the browser's cookies")
            .iter()
            .map(|cookie| format!("{}={}", cookie.name(), cookie.value()))
            .collect::<Vec<_>>()
            .join("; ");
        let answer = self
            .http
            .get(format!("{}{path}", self.base_url))
            .header("cookie", cookies)
            .send()
            .await
            .unwrap_or_else(|error| panic!("GET {path}: {error}"));
        let status = answer.status().as_u16();
        let content_type = answer
            .headers()
            .get("content-type")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let body = answer.bytes().await.expect("the body").to_vec();
        (status, content_type, body)
    }

    /// The path of the page shown now with private link tokens masked,
    /// for messages: test output is a log too.
    pub async fn path_for_messages(&self) -> String {
        self.path()
            .await
            .split('/')
            .map(|segment| {
                let secret = segment.len() > 24 && segment.contains('_');
                if secret { "<token>" } else { segment }
            })
            .collect::<Vec<_>>()
            .join("/")
    }

    /// The path (and query) of the page shown now.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("the current URL");
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// The one element `css` selects, failing with the page's path if none.
    pub async fn find(&self, css: &str) -> Element {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => element,
            Err(error) => panic!(
                "no element {css} on {}: {error}\n{}",
                self.path_for_messages().await,
                self.visible_text("body").await
            ),
        }
    }

    /// Every element `css` selects.
    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_else(|error| panic!("look for {css}: {error}"))
    }

    /// Whether any element matches `css`.
    pub async fn has(&self, css: &str) -> bool {
        !self.find_all(css).await.is_empty()
    }

    /// Types `text` into the field `css` selects, replacing what was there.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.expect("clear the field");
        field
            .send_keys(text)
            .await
            .unwrap_or_else(|error| panic!("type into {css}: {error}"));
    }

    /// Clicks the element `css` selects.
    pub async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|error| panic!("click {css}: {error}"));
    }

    /// Ticks the checkbox or radio button `css` selects, unless it is ticked.
    pub async fn tick(&self, css: &str) {
        let field = self.find(css).await;
        if !field.is_selected().await.expect("read the box") {
            field
                .click()
                .await
                .unwrap_or_else(|error| panic!("tick {css}: {error}"));
        }
    }

    /// Picks the option with `value` in the list `css` selects.
    pub async fn choose(&self, css: &str, value: &str) {
        self.find(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|error| panic!("choose {value} in {css}: {error}"));
    }

    /// Clicks the submit control `css` selects and waits for the next page.
    pub async fn submit(&self, css: &str) {
        let before = self.find("html").await;
        self.click(css).await;
        let deadline = Instant::now() + Duration::from_secs(60);
        // The old document's root goes stale once the new page is loaded.
        while before.tag_name().await.is_ok() {
            assert!(
                Instant::now() < deadline,
                "submitting {css} loaded no new page"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.client
            .wait()
            .for_element(Locator::Css("body"))
            .await
            .expect("the next page's body");
    }

    /// Presses and releases one key, as a keyboard would: it goes to
    /// whatever has the focus.
    pub async fn press(&self, key: Key) {
        let value = char::from(key);
        let keys = KeyActions::new("keyboard".to_owned())
            .then(KeyAction::Down { value })
            .then(KeyAction::Up { value });
        self.client
            .perform_actions(keys)
            .await
            .unwrap_or_else(|error| panic!("press {key:?}: {error}"));
    }

    /// What has the keyboard focus: its id (a symptom's fold:
    /// `summary:<checkbox id>`; else the tag name), and whether a focus indicator is drawn around it.
    pub async fn focused(&self) -> (String, bool) {
        let found = self
            .script(
                r"
                const element = document.activeElement;
                if (!element || element === document.body) { return ['body', false]; }
                let name = element.id;
                if (!name && element.tagName === 'SUMMARY') {
                    // A symptom's fold is named by the symptom's checkbox.
                    const box = element.parentElement.querySelector('input[type=checkbox]');
                    name = 'summary:' + (box ? box.id : '');
                }
                name = name || element.tagName.toLowerCase();
                const style = getComputedStyle(element);
                const outlined = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
                const shadowed = style.boxShadow && style.boxShadow !== 'none';
                return [name, Boolean(outlined || shadowed)];
                ",
                vec![],
            )
            .await;
        (
            found[0].as_str().unwrap_or_default().to_owned(),
            found[1].as_bool().unwrap_or_default(),
        )
    }

    /// Presses Tab until the element with `id` has the focus, at most
    /// `limit` times, and fails if it never gets there. Every element
    /// passed on the way must show where the focus is.
    pub async fn tab_to(&self, id: &str, limit: usize) {
        let mut passed = Vec::new();
        for _ in 0..limit {
            self.press(Key::Tab).await;
            let (focused, indicated) = self.focused().await;
            assert!(
                indicated,
                "{focused} has the keyboard focus but nothing shows it"
            );
            if focused == id {
                return;
            }
            passed.push(focused);
        }
        panic!("Tab never reached {id} in {limit} presses; it went {passed:?}");
    }

    /// What the page shown now loaded: for the document and each resource,
    /// its address and body size in bytes as sent (before decompression)
    /// and as read, and whether it is an image.
    pub async fn loaded(&self) -> Vec<Loaded> {
        let entries = self
            .script(
                r"
                return performance.getEntriesByType('navigation')
                    .concat(performance.getEntriesByType('resource'))
                    .map((entry) => [entry.name, entry.encodedBodySize, entry.decodedBodySize,
                                     entry.initiatorType === 'img' || /\.(png|jpe?g|gif|webp|avif|svg)(\?|$)/.test(entry.name)]);
                ",
                vec![],
            )
            .await;
        entries
            .as_array()
            .expect("a list of entries")
            .iter()
            .map(|entry| Loaded {
                url: entry[0].as_str().unwrap_or_default().to_owned(),
                sent_bytes: entry[1].as_u64().unwrap_or_default(),
                read_bytes: entry[2].as_u64().unwrap_or_default(),
                image: entry[3].as_bool().unwrap_or_default(),
            })
            .collect()
    }

    /// Runs a script in the page and returns what it returns.
    pub async fn script(&self, source: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(source, args)
            .await
            .unwrap_or_else(|error| panic!("run a script in the page: {error}"))
    }

    /// The text a person sees in the element `css` selects, or nothing
    /// when there is no such element.
    pub async fn visible_text(&self, css: &str) -> String {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => element.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// The first piece of text a person sees inside `css` (reading order,
    /// skipping hidden and visually hidden elements), and how far down the
    /// viewport its top is, in CSS pixels.
    pub async fn first_visible_text(&self, css: &str) -> Option<(String, f64)> {
        let found = self
            .script(
                r"
                const root = document.querySelector(arguments[0]);
                if (!root) { return null; }
                const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
                while (walker.nextNode()) {
                    const text = walker.currentNode.textContent.trim();
                    const element = walker.currentNode.parentElement;
                    if (!text || !element) { continue; }
                    if (!element.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) { continue; }
                    const box = element.getBoundingClientRect();
                    // Skip links and screen-reader-only text are clipped to a pixel.
                    if (box.width <= 1 || box.height <= 1) { continue; }
                    return [text, box.top + window.scrollY];
                }
                return null;
                ",
                vec![json!(css)],
            )
            .await;
        let text = found.get(0)?.as_str()?.to_owned();
        let top = found.get(1)?.as_f64()?;
        Some((text, top))
    }

    /// Where a file named `name` goes in this test's artefacts folder.
    pub fn artifact(&self, name: &str) -> PathBuf {
        self.artifacts.join(name)
    }

    /// Saves a screenshot of the whole page (not only the viewport) as
    /// `<page>-<width>.png` in this test's artefacts folder.
    pub async fn screenshot(&self, page: &str) -> PathBuf {
        let (viewport_width, _) = self.width().size();
        let metrics = self.devtools("Page.getLayoutMetrics", json!({})).await;
        let height = metrics["cssContentSize"]["height"]
            .as_f64()
            .unwrap_or(900.0)
            .clamp(1.0, 12_000.0);
        let shot = self
            .devtools(
                "Page.captureScreenshot",
                json!({
                    "format": "png",
                    "captureBeyondViewport": true,
                    "clip": { "x": 0, "y": 0, "width": viewport_width, "height": height, "scale": 1 }
                }),
            )
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().expect("screenshot data"))
            .expect("a base64 screenshot");
        assert!(
            png.starts_with(b"\x89PNG"),
            "the screenshot of {page} is not a PNG"
        );
        let file = self.artifacts.join(format!("{page}-{viewport_width}.png"));
        std::fs::write(&file, png)
            .unwrap_or_else(|error| panic!("write {}: {error}", file.display()));
        file
    }

    /// Screenshots the page at phone and desktop widths and checks each
    /// with axe, failing on any serious or critical violation. Leaves the
    /// viewport at phone width.
    ///
    /// With page scripts off only the screenshots are taken: axe is itself
    /// a page script, and its timers do not run then. The same pages are
    /// checked with scripts on by the other tests.
    pub async fn check_page(&self, page: &str) {
        let scripts_off = self.scripts_off.load(Ordering::SeqCst);
        for width in Width::ALL {
            self.set_width(width).await;
            self.screenshot(page).await;
            // Mobile first: nothing may push the page sideways on a phone.
            let overflow = self.sideways_overflow().await;
            assert!(
                overflow <= 0.0,
                "{page} ({}) scrolls sideways by {overflow} px at {width:?} width",
                self.path_for_messages().await
            );
            if scripts_off {
                continue;
            }
            let violations = axe::run(self).await;
            axe::assert_none_serious(&violations, page, &self.path_for_messages().await, width);
        }
        self.set_width(Width::Phone).await;
    }

    /// How many CSS pixels the page is wider than the screen. (Measured
    /// against the screen set, not `innerWidth`: a phone zooms out to fit
    /// a page that is too wide, which widens `innerWidth` with it.)
    pub async fn sideways_overflow(&self) -> f64 {
        let (screen, _) = self.width().size();
        let page = self
            .script("return document.documentElement.scrollWidth;", vec![])
            .await
            .as_f64()
            .unwrap_or_default();
        page - f64::from(screen)
    }

    /// Shows the page as it prints (`print`) or on screen (`screen`).
    pub async fn emulate_media(&self, media: &str) {
        self.devtools("Emulation.setEmulatedMedia", json!({ "media": media }))
            .await;
    }

    /// The page printed to PDF by Chromium's own print path, on A4 paper
    /// unless the page's print stylesheet says otherwise.
    pub async fn print_to_pdf(&self) -> Vec<u8> {
        let printed = self
            .devtools(
                "Page.printToPDF",
                json!({
                    "paperWidth": 8.27,
                    "paperHeight": 11.69,
                    "printBackground": true,
                    "preferCSSPageSize": true
                }),
            )
            .await;
        base64::engine::general_purpose::STANDARD
            .decode(printed["data"].as_str().expect("the PDF data"))
            .expect("a base64 PDF")
    }

    /// axe-core's source, for [`axe::run`].
    pub fn axe_source(&self) -> &str {
        &self.axe_source
    }
}
