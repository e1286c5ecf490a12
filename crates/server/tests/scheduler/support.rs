//! What the scheduler tests share: a fresh database per backend, a clinic
//! with a client and a treatment, a clock the test moves, a real webhook
//! receiver that checks signatures, and a real SMTP server process.

use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aftercare_core::{Checkin, Guideline};
use aftercare_server::{AppState, Clock, Delivery, Scheduler, SchedulerOptions, ServerSettings};
use aftercare_store::secret::Secret;
use aftercare_store::testing::{fresh_postgres_url, fresh_sqlite_url};
use aftercare_store::{
    Actor, ClientId, ClinicId, FollowupSettings, Millis, NewClient, NewTreatment, Practitioner,
    Role, Store, StoreOptions, TreatmentId,
};
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};

pub const HOUR: Millis = 3_600_000;
pub const MINUTE: Millis = 60_000;
/// 2026-11-20T09:00:00Z, a Friday morning.
pub const TREATED_AT: Millis = 1_795_165_200_000;
pub const WEBHOOK_SECRET: &str = "a-webhook-secret-of-some-length";

/// Runs `test` on a fresh SQLite database, then on a fresh PostgreSQL one
/// when a server is reachable (required under CI).
pub async fn on_every_backend(test: impl AsyncFn(Store)) {
    let (url, dir) = fresh_sqlite_url();
    eprintln!("on sqlite");
    test(open(&url).await).await;
    let _ = std::fs::remove_dir_all(dir);
    if let Some(url) = fresh_postgres_url().await {
        eprintln!("on postgres");
        test(open(&url).await).await;
    }
}

pub async fn open(url: &str) -> Store {
    Store::open(url, &StoreOptions::default())
        .await
        .unwrap_or_else(|error| panic!("open the test database: {error}"))
}

/// A clinic with an owner, a therapist, a consenting client and a treatment
/// given at [`TREATED_AT`], and the scheduler over it.
#[allow(dead_code, reason = "not every test reads every part")]
pub struct World {
    pub store: Store,
    pub state: AppState,
    pub clock: Arc<AtomicI64>,
    pub scheduler: Scheduler,
    pub clinic: ClinicId,
    pub owner: Practitioner,
    pub therapist: Practitioner,
    pub client: ClientId,
    pub treatment: TreatmentId,
}

impl World {
    /// The world, with webhooks allowed to reach the test receivers on
    /// 127.0.0.1 (only an operator's allow list opens loopback to them).
    pub async fn new(
        store: Store,
        settings: FollowupSettings,
        smtp: Option<aftercare_server::SmtpSettings>,
    ) -> World {
        let allow = aftercare_server::WebhookAllow::parse(&["127.0.0.1"]).expect("an allow list");
        World::with_webhook_allow(store, settings, smtp, allow).await
    }

    /// The world, with this allow list for webhooks.
    pub async fn with_webhook_allow(
        store: Store,
        settings: FollowupSettings,
        smtp: Option<aftercare_server::SmtpSettings>,
        webhook_allow: aftercare_server::WebhookAllow,
    ) -> World {
        let clock = Arc::new(AtomicI64::new(TREATED_AT));
        let now = TREATED_AT;
        let (clinic, owner) = store
            .create_clinic_with_owner("Harbour Massage", "owner@harbour.example", "Olga", now)
            .await
            .expect("clinic");
        let owner_actor = Actor::Practitioner(owner.id.clone());
        let therapist = store
            .create_practitioner(
                &clinic.id,
                &owner_actor,
                "tess@harbour.example",
                "Tess",
                Role::Therapist,
                now,
            )
            .await
            .expect("therapist");
        store
            .put_followup_settings(&clinic.id, &owner_actor, &settings, now)
            .await
            .expect("settings");
        let client = store
            .create_client(
                &clinic.id,
                &owner_actor,
                NewClient {
                    name: "Cleo".to_owned(),
                    email: Some("cleo@client.example".to_owned()),
                    phone: Some("+441234567890".to_owned()),
                    consent_at: Some(now),
                },
                now,
            )
            .await
            .expect("client");
        let details = serde_json::from_str(
            r#"{"at":"2026-11-20T09:00:00Z","modality":"deep_tissue","pressure":"firm","duration_min":60,"regions":["calves"]}"#,
        )
        .expect("treatment details");
        let treatment = store
            .create_treatment(
                &clinic.id,
                &Actor::Practitioner(therapist.id.clone()),
                NewTreatment {
                    client_id: client.id.clone(),
                    practitioner_id: therapist.id.clone(),
                    details,
                    notes: None,
                    link_hash: Secret::generate("acl_").hash(),
                    link_expires_at: now + 30 * 24 * HOUR,
                },
                now,
            )
            .await
            .expect("treatment");
        let ticking = Arc::clone(&clock);
        let server_settings = ServerSettings {
            public_url: "https://aftercare.example".to_owned(),
            smtp: smtp.clone(),
            webhook_allow,
            ..ServerSettings::default()
        };
        let delivery = Delivery::new(
            server_settings.smtp.as_ref(),
            &server_settings.webhook_allow,
        )
        .expect("delivery");
        let state = AppState::new(store.clone(), Guideline::shipped(), server_settings)
            .with_clock(Clock::from_fn(move || ticking.load(Ordering::SeqCst)));
        let scheduler = Scheduler::new(state.clone(), delivery, SchedulerOptions::default());
        World {
            store,
            state,
            clock,
            scheduler,
            clinic: clinic.id,
            owner,
            therapist,
            client: client.id,
            treatment: treatment.id,
        }
    }

    pub fn now(&self) -> Millis {
        self.clock.load(Ordering::SeqCst)
    }

    /// Moves the clock to `hours` after the treatment (plus minutes).
    pub fn at(&self, hours: i64, minutes: i64) {
        self.clock.store(
            TREATED_AT + hours * HOUR + minutes * MINUTE,
            Ordering::SeqCst,
        );
    }

    pub async fn pass(&self) -> aftercare_server::PassReport {
        self.scheduler.run_once().await.expect("a scheduler pass")
    }

    /// Submits a check-in through the private link a message carried.
    pub async fn check_in(&self, link: &str, symptoms: &str) {
        let token = link
            .rsplit('/')
            .next()
            .expect("a token at the end of the link");
        let at = jiff::Timestamp::from_millisecond(self.now()).expect("a time");
        let checkin: Checkin =
            serde_json::from_str(&format!(r#"{{"at":"{at}","symptoms":{symptoms}}}"#))
                .expect("a check-in");
        self.store
            .submit_checkin(
                &Secret::from_text(token).hash(),
                None,
                checkin,
                &Guideline::shipped(),
                self.now(),
            )
            .await
            .expect("the link from the latest message works");
    }
}

/// One request the webhook receiver got.
#[derive(Clone, Debug)]
pub struct Delivered {
    /// The clock's hour (after the treatment) when it arrived.
    pub hour: Millis,
    pub message_id: String,
    pub body: serde_json::Value,
    pub accepted: bool,
}

/// A real HTTP server on loopback that checks each webhook's signature and
/// freshness, and fails the first `failures` requests (all if `None`).
pub struct WebhookReceiver {
    pub url: String,
    pub received: Arc<Mutex<Vec<Delivered>>>,
    /// Requests of any kind to any path, signed or not.
    pub contacts: Arc<AtomicUsize>,
    server: tokio::task::JoinHandle<()>,
}

impl WebhookReceiver {
    pub async fn start(clock: Arc<AtomicI64>, failures: Option<usize>) -> WebhookReceiver {
        WebhookReceiver::start_on("127.0.0.1", clock, failures).await
    }

    /// A receiver listening on `host` (an address of this machine).
    pub async fn start_on(
        host: &str,
        clock: Arc<AtomicI64>,
        failures: Option<usize>,
    ) -> WebhookReceiver {
        let contacts = Arc::new(AtomicUsize::new(0));
        let received: Arc<Mutex<Vec<Delivered>>> = Arc::default();
        let seen = Arc::new(AtomicUsize::new(0));
        let log = Arc::clone(&received);
        let handler = move |headers: HeaderMap, body: Bytes| {
            let log = Arc::clone(&log);
            let seen = Arc::clone(&seen);
            let clock = Arc::clone(&clock);
            async move {
                let header = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned()
                };
                let timestamp: i64 = header("aftercare-timestamp").parse().unwrap_or(0);
                let expected = aftercare_delivery::signature(WEBHOOK_SECRET, timestamp, &body);
                let now = clock.load(Ordering::SeqCst);
                if header("aftercare-signature") != expected || (now / 1000 - timestamp).abs() > 300
                {
                    return StatusCode::UNAUTHORIZED;
                }
                let number = seen.fetch_add(1, Ordering::SeqCst);
                let accepted = failures.is_some_and(|failures| number >= failures);
                log.lock().expect("the log").push(Delivered {
                    hour: (now - TREATED_AT) / HOUR,
                    message_id: header("aftercare-message-id"),
                    body: serde_json::from_slice(&body).expect("a JSON body"),
                    accepted,
                });
                if accepted {
                    StatusCode::NO_CONTENT
                } else {
                    StatusCode::SERVICE_UNAVAILABLE
                }
            }
        };
        let counter = Arc::clone(&contacts);
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(handler))
            .layer(axum::middleware::map_request(
                move |request: axum::extract::Request| {
                    counter.fetch_add(1, Ordering::SeqCst);
                    async move { request }
                },
            ));
        let listener = tokio::net::TcpListener::bind((host, 0))
            .await
            .expect("bind a port");
        let url = format!("http://{}/hook", listener.local_addr().expect("address"));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        WebhookReceiver {
            url,
            received,
            contacts,
            server,
        }
    }

    /// How many requests reached the receiver at all.
    pub fn contacts(&self) -> usize {
        self.contacts.load(Ordering::SeqCst)
    }

    /// What was accepted: (hour, kind), in order.
    pub fn accepted(&self) -> Vec<Delivered> {
        self.received
            .lock()
            .expect("the log")
            .iter()
            .filter(|d| d.accepted)
            .cloned()
            .collect()
    }

    pub fn all(&self) -> Vec<Delivered> {
        self.received.lock().expect("the log").clone()
    }
}

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Settings sending everything by webhook to `url`.
pub fn webhook_settings(url: &str) -> FollowupSettings {
    FollowupSettings {
        webhook_url: Some(url.to_owned()),
        webhook_secret: Some(Secret::from_text(WEBHOOK_SECRET)),
        ..FollowupSettings::default()
    }
}

/// A real SMTP server: Python's aiosmtpd, saving each message it receives
/// as a file in a folder the test reads.
pub struct SmtpServer {
    pub port: u16,
    pub folder: PathBuf,
    child: std::process::Child,
}

const SMTP_SINK: &str = r#"
import os, sys
from aiosmtpd.controller import Controller

class Save:
    def __init__(self, folder):
        self.folder = folder
        self.count = 0
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

impl SmtpServer {
    /// Starts the server, or says loudly why not (a failure under CI).
    pub fn start() -> Option<SmtpServer> {
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
                "SKIPPED smtp: python3 with aiosmtpd is not installed (pip install aiosmtpd); the SMTP test did not run"
            );
            return None;
        }
        let folder = std::env::temp_dir().join(format!("aftercare-smtp-{}", uuid::Uuid::new_v4()));
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
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the SMTP server starts");
        assert_eq!(line.trim(), "ready", "the SMTP server starts");
        Some(SmtpServer {
            port,
            folder,
            child,
        })
    }

    /// The messages received so far, in order, as text (headers and body).
    pub fn messages(&self) -> Vec<String> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.folder)
            .expect("the mail folder")
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|path| decode_quoted_printable(&std::fs::read_to_string(path).expect("a message")))
            .collect()
    }

    pub fn settings(&self) -> aftercare_server::SmtpSettings {
        aftercare_server::SmtpSettings {
            host: "127.0.0.1".to_owned(),
            port: self.port,
            tls: aftercare_server::SmtpTls::None,
            username: None,
            password: None,
            from: "Aftercare <aftercare@harbour.example>".to_owned(),
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.folder);
    }
}

/// Undoes quoted-printable soft line breaks and escapes, so the test can
/// read the body whatever transfer encoding the mailer chose.
fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'='
            && index + 2 < bytes.len()
            && let Ok(byte) = u8::from_str_radix(&joined[index + 1..index + 3], 16)
        {
            out.push(byte);
            index += 3;
            continue;
        }
        out.push(bytes[index]);
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Waits until `count` messages arrived (the SMTP server writes them as
/// they come).
pub async fn wait_for_mail(server: &SmtpServer, count: usize) -> Vec<String> {
    for _ in 0..100 {
        let messages = server.messages();
        if messages.len() >= count {
            return messages;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.messages()
}
