//! What the tests that start the real service share: the service
//! process, a plain HTTP client, and the records a test needs.

#![allow(dead_code, reason = "each test binary uses a part")]

use std::fmt::Write as _;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sqlx::{Connection as _, Row as _};

/// `aftercare clinic create`; returns the owner's API token.
pub fn create_clinic(url: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_aftercare"))
        .args([
            "clinic",
            "create",
            "Crash Clinic",
            "--owner",
            "owner@crash.test",
        ])
        .env("AFTERCARE_DATABASE_URL", url)
        .env_remove("AFTERCARE_CONFIG")
        .output()
        .expect("run aftercare clinic create");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A client and a treatment two days ago; returns the link token and the
/// treatment time in Unix seconds.
pub fn create_treatment(port: u16, token: &str, n: usize) -> (String, i64) {
    let (status, client) = http(
        port,
        "POST",
        "/api/v1/clients",
        Some(token),
        None,
        Some(&json!({ "name": format!("Client {n}"), "follow_up_consent": true }).to_string()),
    )
    .expect("create a client");
    assert_eq!(status, 201, "{client}");
    let client: Value = serde_json::from_str(&client).expect("JSON");
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("time")
            .as_secs(),
    )
    .expect("a time in range");
    let at = now - 48 * 3_600;
    let body = json!({
        "client_id": client["id"],
        "treatment": { "at": rfc3339(at), "modality": "deep_tissue", "pressure": "firm",
                       "duration_min": 60, "regions": ["calves"] }
    });
    let (status, created) = http(
        port,
        "POST",
        "/api/v1/treatments",
        Some(token),
        None,
        Some(&body.to_string()),
    )
    .expect("create a treatment");
    assert_eq!(status, 201, "{created}");
    let created: Value = serde_json::from_str(&created).expect("JSON");
    let link = created["link"]["token"].as_str().expect("link").to_owned();
    (link, at)
}

/// Unix seconds as RFC 3339.
pub fn rfc3339(seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .expect("a time")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("formatted")
}

/// One HTTP/1.1 request on loopback; status and body, or an I/O error when
/// the service is not there or dies while answering.
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    idempotency_key: Option<&str>,
    body: Option<&str>,
) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    if let Some(token) = token {
        let _ = write!(request, "Authorization: Bearer {token}\r\n");
    }
    if let Some(key) = idempotency_key {
        let _ = write!(request, "Idempotency-Key: {key}\r\n");
    }
    let body = body.unwrap_or_default();
    let _ = write!(
        request,
        "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes())?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let (head, body) = answer.split_once("\r\n\r\n").ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "a cut-off answer")
    })?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "no status"))?;
    let length: Option<usize> = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse().ok())
            .flatten()
    });
    if length.is_some_and(|length| body.len() < length) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "a cut-off body",
        ));
    }
    Ok((status, body.to_owned()))
}

/// A running `aftercare serve`.
pub struct Service {
    child: Child,
    /// The port it listens on.
    pub port: u16,
    log: PathBuf,
}

impl Service {
    /// Starts the service on a free port and waits until it is ready.
    pub fn start(url: &str, dir: &Path) -> Service {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|listener| listener.local_addr())
                .map(|address| address.port())
                .expect("a free port");
            let log = dir.join(format!("serve-{port}.log"));
            let child = Command::new(env!("CARGO_BIN_EXE_aftercare"))
                .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
                // The load sends far more than a person would.
                .args(["--max-checkins-per-course", "1000000"])
                .args(["--max-checkins-per-hour", "1000000"])
                .env("AFTERCARE_DATABASE_URL", url)
                .env_remove("AFTERCARE_CONFIG")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).expect("log file"))
                .spawn()
                .expect("start aftercare serve");
            let mut service = Service { child, port, log };
            if service.wait_until_ready() {
                return service;
            }
            let log = std::fs::read_to_string(&service.log).unwrap_or_default();
            service.kill();
            assert!(
                Instant::now() < deadline,
                "the service did not come back after a kill: {log}"
            );
        }
    }

    /// Whether `/readyz` answers 200 within 20 s (the port might have been
    /// taken in between; the caller then tries another).
    fn wait_until_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if let Ok((200, _)) = http(self.port, "GET", "/readyz", None, None, None) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// SIGKILL: no shutdown, no flush, no goodbye.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The first column of the first row of a query, as text.
pub fn query_one_text(url: &str, sql: &str) -> String {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        sqlx::any::install_default_drivers();
        let mut db = sqlx::AnyConnection::connect(url).await.expect("connect");
        let text: String = sqlx::query(sql)
            .fetch_one(&mut db)
            .await
            .expect("query")
            .get(0);
        let _ = db.close().await;
        text
    })
}

/// The service log so far.
impl Service {
    /// What the service wrote to its log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}
