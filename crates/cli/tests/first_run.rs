//! First run of the real binary: an empty database prints a one-time setup
//! link on stdout; `--demo` prints a sign-in that opens a full dashboard.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use aftercare_store::testing::fresh_sqlite_url;

/// A running `aftercare serve` whose stdout lines are read as they come.
struct Serve {
    child: Child,
    port: u16,
    lines: mpsc::Receiver<String>,
}

impl Serve {
    fn start(database_url: &str, extra: &[&str]) -> Serve {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|address| address.port())
            .expect("a free port");
        let mut child = Command::new(env!("CARGO_BIN_EXE_aftercare"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--public-url", &format!("http://127.0.0.1:{port}")])
            .args(extra)
            .env("AFTERCARE_DATABASE_URL", database_url)
            .env_remove("AFTERCARE_CONFIG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aftercare serve");
        let stdout: ChildStdout = child.stdout.take().expect("stdout");
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the service did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Serve { child, port, lines }
    }

    /// Stdout lines printed so far (waiting briefly for more).
    fn output(&self) -> Vec<String> {
        let mut lines = Vec::new();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(500)) {
            lines.push(line);
        }
        lines
    }

    /// A raw HTTP/1.1 request; returns the status line's code, headers and body.
    fn http(&self, request: &str) -> (u16, String, String) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        stream.write_all(request.as_bytes()).expect("send");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read");
        let status = answer
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or(0);
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        (status, head.to_owned(), body.to_owned())
    }

    fn get(&self, path: &str, cookie: &str) -> (u16, String, String) {
        self.http(&format!(
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
        ))
    }

    fn post(&self, path: &str, cookie: &str, form: &str) -> (u16, String, String) {
        self.http(&format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nCookie: {cookie}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{form}",
            form.len()
        ))
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of a cookie set in a response head.
fn set_cookie(head: &str, name: &str) -> String {
    head.lines()
        .filter_map(|line| line.strip_prefix("set-cookie: "))
        .filter_map(|value| value.split(';').next())
        .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("a {name} cookie in {head}"))
        .to_owned()
}

/// Signs in through the login form; returns the session cookie.
fn sign_in(serve: &Serve, email: &str, password: &str) -> String {
    let (status, head, _) = serve.get("/login", "");
    assert_eq!(status, 200);
    let csrf = set_cookie(&head, "ac_csrf");
    let form = format!(
        "csrf_token={csrf}&email={}&password={password}",
        email.replace('@', "%40")
    );
    let (status, head, body) = serve.post("/login", &format!("ac_csrf={csrf}"), &form);
    assert_eq!(status, 303, "{body}");
    set_cookie(&head, "ac_session")
}

#[test]
fn an_empty_database_prints_a_one_time_setup_link() {
    let (url, dir) = fresh_sqlite_url();
    let serve = Serve::start(&url, &[]);
    let output = serve.output();
    let link = output
        .iter()
        .find_map(|line| {
            line.trim()
                .strip_prefix(&format!("http://127.0.0.1:{}", serve.port))
        })
        .unwrap_or_else(|| panic!("a setup link on stdout: {output:?}"))
        .to_owned();
    assert!(link.starts_with("/setup/acs_"), "{link}");
    let (status, head, body) = serve.get(&link, "");
    assert_eq!(status, 200, "{body}");
    let csrf = set_cookie(&head, "ac_csrf");
    let form = format!(
        "csrf_token={csrf}&clinic_name=First+Clinic&name=Ada+Owner&email=ada%40first.test&password=a+long+enough+password"
    );
    let (status, head, body) = serve.post(&link, &format!("ac_csrf={csrf}"), &form);
    assert_eq!(status, 303, "{body}");
    let session = set_cookie(&head, "ac_session");
    let (status, _, body) = serve.get("/dashboard", &format!("ac_session={session}"));
    assert_eq!(status, 200);
    assert!(body.contains("First Clinic"));
    // The link works once.
    assert_eq!(serve.get(&link, "").0, 404);
    drop(serve);
    // A restart with a clinic prints no new link.
    let again = Serve::start(&url, &[]);
    assert!(
        !again.output().iter().any(|line| line.contains("/setup/")),
        "no setup link once a clinic exists"
    );
    drop(again);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_demo_prints_a_sign_in_that_opens_a_full_dashboard() {
    let (url, dir) = fresh_sqlite_url();
    let serve = Serve::start(&url, &["--demo"]);
    let output = serve.output();
    let field = |name: &str| {
        output
            .iter()
            .find_map(|line| line.trim().strip_prefix(name))
            .map_or_else(
                || panic!("{name} on stdout: {output:?}"),
                |value| value.trim().to_owned(),
            )
    };
    let email = field("email:");
    let password = field("password:");
    assert!(password.len() >= 32, "a random password");
    let session = sign_in(&serve, &email, &password);
    let (status, _, body) = serve.get("/dashboard", &format!("ac_session={session}"));
    assert_eq!(status, 200, "{body}");
    for level in ["emergency", "urgent", "see_doctor", "contact_therapist"] {
        assert!(
            body.contains(&format!(r#"class="alert" data-level="{level}""#)),
            "{level}"
        );
    }
    assert!(
        body.find(r#"data-level="emergency""#) < body.find(r#"data-level="see_doctor""#),
        "most serious first"
    );
    drop(serve);
    let _ = std::fs::remove_dir_all(dir);
}
