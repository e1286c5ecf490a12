//! The service and database commands, run as real processes on a real
//! SQLite file (and PostgreSQL where configured).

use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use aftercare_store::testing::fresh_sqlite_url;

fn aftercare(database_url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aftercare"))
        .args(args)
        .env("AFTERCARE_DATABASE_URL", database_url)
        .env_remove("AFTERCARE_CONFIG")
        .stdin(Stdio::null())
        .output()
        .expect("run aftercare")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A free port on loopback (bound and released; good enough for tests).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

/// Whether something starts listening on a loopback port within 30 s.
fn port_opens(port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

/// A plain HTTP/1.1 GET on loopback; returns status and body.
fn http_get(port: u16, path: &str, token: Option<&str>) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    std::io::Write::write_all(
        &mut stream,
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n{auth}Connection: close\r\n\r\n")
            .as_bytes(),
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

struct Server {
    child: Child,
    port: u16,
    stderr: PathBuf,
}

impl Server {
    fn start(database_url: &str, dir: &Path, extra: &[&str]) -> Server {
        let port = free_port();
        let stderr = dir.join(format!("serve-{port}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_aftercare"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(extra)
            .env("AFTERCARE_DATABASE_URL", database_url)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr).expect("log file"))
            .spawn()
            .expect("start aftercare serve");
        assert!(
            port_opens(port),
            "the service did not start: {}",
            std::fs::read_to_string(&stderr).unwrap_or_default()
        );
        Server {
            child,
            port,
            stderr,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Sends SIGTERM and waits for a clean exit.
    fn stop(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the service did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn clinic_create_prints_only_a_working_token() {
    let (url, dir) = fresh_sqlite_url();
    let out = aftercare(
        &url,
        &[
            "clinic",
            "create",
            "Harbour Street",
            "--owner",
            "ana@harbour.example",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let token = stdout.trim();
    assert_eq!(
        stdout.lines().count(),
        1,
        "only the token on stdout: {stdout:?}"
    );
    assert!(token.starts_with("act_") && token.len() > 40, "{token}");

    let server = Server::start(&url, &dir, &[]);
    let (status, body) = http_get(server.port, "/api/v1/clinic", Some(token));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Harbour Street"), "{body}");
    let (status, _) = http_get(server.port, "/api/v1/clinic", Some("act_wrong"));
    assert_eq!(status, 401);
    let log = server.log();
    assert!(!log.contains(token), "the token must never reach the logs");
    assert!(server.stop().success(), "a clean exit on SIGTERM");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn clinic_create_refuses_a_bad_email_with_exit_2() {
    let (url, dir) = fresh_sqlite_url();
    let out = aftercare(&url, &["clinic", "create", "X", "--owner", "not-an-email"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--owner"));
    assert!(out.stdout.is_empty());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn serve_says_at_start_up_when_no_email_or_phone_can_reach_people() {
    let (url, dir) = fresh_sqlite_url();
    let server = Server::start(&url, &dir, &["--public-url", "http://127.0.0.1:8080"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !server.log().contains("loopback") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let log = server.log();
    assert!(log.contains("Note: no SMTP server is set"), "{log}");
    assert!(log.contains("will not open on a phone"), "{log}");
    drop(server);
    let reachable = Server::start(
        &url,
        &dir,
        &[
            "--public-url",
            "https://care.example.org",
            "--smtp-host",
            "127.0.0.1",
            "--smtp-from",
            "care@example.org",
        ],
    );
    std::thread::sleep(Duration::from_millis(300));
    let log = reachable.log();
    assert!(!log.contains("Note:"), "{log}");
}

#[test]
fn serve_with_no_configuration_creates_its_database_in_the_working_folder() {
    let (_, dir) = fresh_sqlite_url();
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_aftercare"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .current_dir(&dir)
        .env_remove("AFTERCARE_DATABASE_URL")
        .env_remove("AFTERCARE_CONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve");
    assert!(port_opens(port), "did not start");
    let (status, _) = http_get(port, "/healthz", None);
    assert_eq!(status, 200);
    let (status, _) = http_get(port, "/readyz", None);
    assert_eq!(status, 200);
    assert!(
        dir.join("aftercare.db").exists(),
        "the default database file"
    );
    let _ = child.kill();
    let mut stderr = String::new();
    if let Some(pipe) = child.stderr.as_mut() {
        let _ = BufReader::new(pipe).read_line(&mut stderr);
    }
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn demo_data_fills_the_alerts_most_serious_first() {
    let (url, dir) = fresh_sqlite_url();
    let server = Server::start(&url, &dir, &["--demo"]);
    let log = server.log();
    let token = log
        .split_whitespace()
        .find(|word| word.starts_with("act_"))
        .expect("the demo prints a token")
        .to_owned();
    let (status, body) = http_get(server.port, "/api/v1/alerts", Some(&token));
    assert_eq!(status, 200, "{body}");
    let alerts: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    let levels: Vec<&str> = alerts["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|alert| alert["level"].as_str().expect("level"))
        .collect();
    assert_eq!(levels.first(), Some(&"emergency"), "{levels:?}");
    assert!(
        levels.contains(&"urgent")
            && levels.contains(&"see_doctor")
            && levels.contains(&"contact_therapist")
    );
    drop(server);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn settings_come_from_flags_then_environment_then_file() {
    let (url, dir) = fresh_sqlite_url();
    let port_in_file = free_port();
    let config = dir.join("aftercare.toml");
    std::fs::write(
        &config,
        format!("listen = \"127.0.0.1:{port_in_file}\"\ndatabase_url = \"{url}\"\n"),
    )
    .expect("config");
    let mut child = Command::new(env!("CARGO_BIN_EXE_aftercare"))
        .args(["serve", "--config", config.to_str().expect("path")])
        .env_remove("AFTERCARE_DATABASE_URL")
        .env_remove("AFTERCARE_LISTEN")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    assert!(
        port_opens(port_in_file),
        "the file's listen address was not used"
    );
    let _ = child.kill();
    let _ = child.wait();

    // The environment beats the file; a flag beats the environment.
    let port_in_env = free_port();
    let port_in_flag = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_aftercare"))
        .args([
            "serve",
            "--config",
            config.to_str().expect("path"),
            "--listen",
            &format!("127.0.0.1:{port_in_flag}"),
        ])
        .env("AFTERCARE_LISTEN", format!("127.0.0.1:{port_in_env}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    assert!(
        port_opens(port_in_flag),
        "the flag's listen address was not used"
    );
    assert!(TcpStream::connect(("127.0.0.1", port_in_env)).is_err());
    let _ = child.kill();
    let _ = child.wait();

    std::fs::write(&config, "lisen = \"x\"\n").expect("config");
    let out = aftercare(&url, &["serve", "--config", config.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("lisen"), "{}", text(&out.stderr));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn serve_help_lists_every_setting_with_its_variable() {
    let out = aftercare("sqlite://unused.db", &["serve", "--help"]);
    let help = text(&out.stdout);
    for needle in [
        "--listen",
        "AFTERCARE_LISTEN",
        "--database-url",
        "AFTERCARE_DATABASE_URL",
        "--config",
        "--sync",
        "AFTERCARE_LINK_LIFETIME_DAYS",
        "--demo",
    ] {
        assert!(help.contains(needle), "serve --help lacks {needle}");
    }
}

#[test]
fn backup_export_and_import_restore_a_clinic() {
    let (url, dir) = fresh_sqlite_url();
    let server = Server::start(&url, &dir, &["--demo"]);
    drop(server);
    let backup = dir.join("copy.db");
    let out = aftercare(&url, &["backup", backup.to_str().expect("path")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let again = aftercare(&url, &["backup", backup.to_str().expect("path")]);
    assert_ne!(
        again.status.code(),
        Some(0),
        "an existing backup is not overwritten"
    );

    let backup_url = format!("sqlite://{}", backup.display());
    let listed = only_clinic_id(&backup_url);
    let archive = aftercare(&url, &["export", "--clinic", &listed]);
    assert!(archive.status.success(), "{}", text(&archive.stderr));
    let from_backup = aftercare(&backup_url, &["export", "--clinic", &listed]);
    assert_eq!(
        archive.stdout, from_backup.stdout,
        "the backup holds the same clinic"
    );

    let archive_file = dir.join("clinic.json");
    std::fs::write(&archive_file, &archive.stdout).expect("archive");
    let (restored_url, restored_dir) = fresh_sqlite_url();
    let out = aftercare(
        &restored_url,
        &["import", archive_file.to_str().expect("path")],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let restored = aftercare(&restored_url, &["export", "--clinic", &listed]);
    assert_eq!(restored.stdout, archive.stdout);
    let twice = aftercare(
        &restored_url,
        &["import", archive_file.to_str().expect("path")],
    );
    assert_eq!(
        twice.status.code(),
        Some(2),
        "import needs an empty database"
    );

    // An archive goes to a new file only its owner can read.
    let private = dir.join("private.json");
    let out = aftercare(
        &url,
        &[
            "export",
            "--clinic",
            &listed,
            "--output",
            private.to_str().expect("path"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&private)
            .expect("archive")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "archive mode {mode:o}");
    }
    let again = aftercare(
        &url,
        &[
            "export",
            "--clinic",
            &listed,
            "--output",
            private.to_str().expect("path"),
        ],
    );
    assert_eq!(
        again.status.code(),
        Some(2),
        "an existing file is not overwritten"
    );

    // Reading commands never create a database at a mistyped path.
    let missing = dir.join("typo.db");
    let missing_url = format!("sqlite://{}", missing.display());
    let out = aftercare(
        &missing_url,
        &["backup", dir.join("from-typo.db").to_str().expect("path")],
    );
    assert_ne!(
        out.status.code(),
        Some(0),
        "backup of a missing database fails"
    );
    let out = aftercare(&missing_url, &["export", "--clinic", &listed]);
    assert_ne!(out.status.code(), Some(0));
    assert!(!missing.exists(), "no empty database was created");

    let out = aftercare(&url, &["export", "--clinic", "not-a-uuid"]);
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(restored_dir);
}

/// The id of the only clinic in a database.
fn only_clinic_id(database_url: &str) -> String {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let store =
            aftercare_store::Store::open(database_url, &aftercare_store::StoreOptions::default())
                .await
                .expect("open");
        let clinics = store.clinics().await.expect("clinics");
        store.close().await;
        assert_eq!(clinics.len(), 1);
        clinics[0].id.to_string()
    })
}
