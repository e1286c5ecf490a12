//! The service's settings. Layering them (defaults, file, environment,
//! flags) is the binary's job; the server only receives the result.

use std::time::Duration;

use aftercare_delivery::{Networks, WebhookAllow};

/// Settings the HTTP service runs with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerSettings {
    /// How long a client's private link works, counted from the treatment.
    pub link_lifetime_days: u32,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How long one request may take before it is answered with 503.
    pub request_timeout: Duration,
    /// The address people reach the service at, e.g.
    /// `https://aftercare.example.org`; client links are built from it.
    pub public_url: String,
    /// Whether `/metrics` answers. Off by default: the counts span every
    /// clinic, which is for the operator's monitoring, not for the world.
    pub metrics: bool,
    /// The SMTP server email goes through; without it no email is sent
    /// (clinics can still use webhooks).
    pub smtp: Option<aftercare_delivery::SmtpSettings>,
    /// Special addresses (loopback, private networks…) and host names
    /// that clinic webhooks may go to all the same; empty by default, so a
    /// webhook can only reach the public internet.
    pub webhook_allow: WebhookAllow,
    /// Reverse proxies whose `X-Forwarded-For` is believed: the limits per
    /// address then count the client's address instead of the proxy's.
    pub trusted_proxies: Networks,
    /// Connections served at once; more wait to be accepted.
    pub max_connections: usize,
    /// How long a client may take to send a request's headers.
    pub header_read_timeout: Duration,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            link_lifetime_days: 30,
            max_body_bytes: 64 * 1024,
            request_timeout: Duration::from_secs(10),
            public_url: "http://127.0.0.1:8080".to_owned(),
            metrics: false,
            smtp: None,
            webhook_allow: WebhookAllow::default(),
            trusted_proxies: Networks::default(),
            max_connections: 1024,
            header_read_timeout: Duration::from_secs(10),
        }
    }
}

impl ServerSettings {
    /// The address a client opens to follow up on a treatment.
    pub fn client_link_url(&self, token: &str) -> String {
        format!(
            "{}{CLIENT_LINK_PREFIX}{token}",
            self.public_url.trim_end_matches('/')
        )
    }

    /// The page where a practitioner sees a course; messages to
    /// practitioners link here.
    pub fn course_page_url(&self, treatment_id: &str) -> String {
        format!(
            "{}{COURSE_PAGE_PREFIX}{treatment_id}",
            self.public_url.trim_end_matches('/')
        )
    }

    /// Whether people reach the service over HTTPS (cookies are then
    /// `Secure` and browsers are told to keep to HTTPS).
    pub fn is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// Whether the public address is this machine's loopback: links and
    /// QR codes made from it do not open on a client's phone.
    pub fn public_url_is_loopback(&self) -> bool {
        ServerSettings::is_loopback_url(&self.public_url)
    }

    /// Whether `url` names this machine's loopback (`localhost`,
    /// `127.0.0.1`, `[::1]`…), with or without a scheme, port or path.
    pub fn is_loopback_url(url: &str) -> bool {
        let authority = url
            .split_once("://")
            .map_or(url, |(_, rest)| rest)
            .split('/')
            .next()
            .unwrap_or_default();
        let authority = authority
            .rsplit_once('@')
            .map_or(authority, |(_, host)| host);
        let host = match authority.strip_prefix('[') {
            Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
            None => authority.split(':').next().unwrap_or_default(),
        };
        host.eq_ignore_ascii_case("localhost")
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|address| address.is_loopback())
    }
}

/// Where the client's pages live under the public address; the page reads
/// the course through `/api/v1/links/{token}/course`.
const CLIENT_LINK_PREFIX: &str = "/c/";

/// Where a practitioner's course pages live under the public address.
const COURSE_PAGE_PREFIX: &str = "/treatments/";
