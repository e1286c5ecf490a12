//! The security settings of `aftercare serve` (webhook allow list, trusted
//! proxies, connection cap) as an operator gives them: flags, variables
//! and the settings file, checked before the service starts.

use std::io::Read as _;
use std::net::TcpStream;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use aftercare_store::testing::fresh_sqlite_url;

fn aftercare(database_url: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_aftercare"));
    command
        .args(args)
        .env("AFTERCARE_DATABASE_URL", database_url)
        .env_remove("AFTERCARE_CONFIG")
        .stdin(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("run aftercare")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

/// The headers of `GET path`, once the service answers (within 30 s).
fn headers_of(port: u16, path: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut stream = loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(stream) => break stream,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Err(error) => panic!("the service did not start: {error}"),
        }
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a timeout");
    std::io::Write::write_all(
        &mut stream,
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    response
        .split_once("\r\n\r\n")
        .map(|(head, _)| head.to_lowercase())
        .unwrap_or_default()
}

#[test]
fn serve_help_lists_the_security_settings_with_their_variables() {
    let out = aftercare("sqlite://unused.db", &["serve", "--help"], &[]);
    let help = text(&out.stdout);
    for needle in [
        "--webhook-allow",
        "AFTERCARE_WEBHOOK_ALLOW",
        "--trusted-proxy",
        "AFTERCARE_TRUSTED_PROXY",
        "--max-connections",
        "AFTERCARE_MAX_CONNECTIONS",
    ] {
        assert!(help.contains(needle), "serve --help lacks {needle}");
    }
}

#[test]
fn a_list_entry_that_is_not_a_network_or_host_stops_the_service_before_it_starts() {
    let (url, dir) = fresh_sqlite_url();
    for (args, env, setting) in [
        (
            vec!["serve", "--webhook-allow", "10.0.0.0/33"],
            vec![],
            "webhook_allow",
        ),
        (
            vec!["serve"],
            vec![("AFTERCARE_TRUSTED_PROXY", "10.0.0.1,proxy.example")],
            "trusted_proxy",
        ),
    ] {
        let out = aftercare(&url, &args, &env);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains(setting),
            "the error names {setting}: {}",
            text(&out.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn lists_in_the_settings_file_are_used_and_https_turns_on_hsts() {
    let (url, dir) = fresh_sqlite_url();
    let port = free_port();
    let config = dir.join("aftercare.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:{port}\"\n\
             public_url = \"https://aftercare.example\"\n\
             webhook_allow = [\"10.20.0.0/16\", \"hooks.clinic.internal\"]\n\
             trusted_proxy = [\"127.0.0.1\"]\n\
             max_connections = 64\n"
        ),
    )
    .expect("a settings file");
    let mut child = Command::new(env!("CARGO_BIN_EXE_aftercare"))
        .args(["serve", "--config", config.to_str().expect("a path")])
        .env("AFTERCARE_DATABASE_URL", &url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let headers = headers_of(port, "/healthz");
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        headers.contains("strict-transport-security: max-age=31536000"),
        "{headers}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn clinic_create_refuses_an_owner_email_that_names_other_recipients() {
    let (url, dir) = fresh_sqlite_url();
    for wrong in ["x>,<y@evil.example", "a@b@c.d"] {
        let out = aftercare(&url, &["clinic", "create", "X", "--owner", wrong], &[]);
        assert_eq!(out.status.code(), Some(2), "{wrong}");
        assert!(out.stdout.is_empty());
    }
    let _ = std::fs::remove_dir_all(dir);
}
