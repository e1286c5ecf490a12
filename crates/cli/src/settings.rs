//! Layered configuration: defaults < TOML file < `AFTERCARE_*` environment
//! < command-line flags. Clap reads flags and environment (flags win); the
//! file fills what neither gave.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, ValueEnum};
use serde::Deserialize;

/// The SQLite file a bare `aftercare serve` creates in the working folder.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://aftercare.db";
/// Where `aftercare serve` listens by default.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// Options every command that touches the database shares.
#[derive(Args, Debug, Clone, Default)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite://FILE` (default `sqlite://aftercare.db`) or
    /// `postgres://USER@HOST:PORT/DB`.
    #[arg(
        long,
        env = "AFTERCARE_DATABASE_URL",
        global = true,
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// A TOML settings file; flags and `AFTERCARE_*` variables override it.
    #[arg(long, env = "AFTERCARE_CONFIG", global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Options of `aftercare serve`.
#[derive(Args, Debug, Clone, Default)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "AFTERCARE_LISTEN", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// The address people reach the service at, used in client links
    /// [default: http://LISTEN].
    #[arg(long, env = "AFTERCARE_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// Days after the treatment that a client's link keeps working [default: 30].
    #[arg(long, env = "AFTERCARE_LINK_LIFETIME_DAYS", value_name = "DAYS")]
    pub link_lifetime_days: Option<u32>,
    /// SQLite durability: `normal` survives a crash of the service, `full`
    /// also survives power loss (slower) [default: normal].
    #[arg(long, env = "AFTERCARE_SYNC", value_enum)]
    pub sync: Option<SyncMode>,
    /// Triage with this guideline file instead of the shipped one.
    #[arg(long, env = "AFTERCARE_GUIDELINE", value_name = "FILE")]
    pub guideline: Option<PathBuf>,
    /// Log format [default: text].
    #[arg(long, env = "AFTERCARE_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    /// Largest request body accepted, in bytes [default: 65536].
    #[arg(long, env = "AFTERCARE_MAX_BODY_BYTES", value_name = "BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Longest time a request may take, in seconds [default: 10].
    #[arg(long, env = "AFTERCARE_REQUEST_TIMEOUT_SECS", value_name = "SECONDS")]
    pub request_timeout_secs: Option<u64>,
    /// Check-ins one course accepts in all [default: 200].
    #[arg(long, env = "AFTERCARE_MAX_CHECKINS_PER_COURSE", value_name = "COUNT")]
    pub max_checkins_per_course: Option<u32>,
    /// Check-ins one client link accepts in any hour [default: 20].
    #[arg(long, env = "AFTERCARE_MAX_CHECKINS_PER_HOUR", value_name = "COUNT")]
    pub max_checkins_per_hour: Option<u32>,
    /// Serve Prometheus metrics at `/metrics`. They count requests across
    /// every clinic, so only turn this on where the port is reachable by
    /// your monitoring alone [default: off].
    #[arg(
        long,
        env = "AFTERCARE_METRICS",
        num_args = 0..=1,
        default_missing_value = "true",
        value_name = "BOOL"
    )]
    pub metrics: Option<bool>,
    /// SMTP server for invitations and alerts by email; without it no email
    /// is sent (clinics can still use webhooks).
    #[arg(long, env = "AFTERCARE_SMTP_HOST", value_name = "HOST")]
    pub smtp_host: Option<String>,
    /// SMTP port [default: 587 with STARTTLS, 25 without].
    #[arg(long, env = "AFTERCARE_SMTP_PORT", value_name = "PORT")]
    pub smtp_port: Option<u16>,
    /// `starttls` (required TLS upgrade) or `none` (only for a server on the
    /// same machine or private network) [default: starttls].
    #[arg(long, env = "AFTERCARE_SMTP_TLS", value_enum)]
    pub smtp_tls: Option<SmtpTlsMode>,
    /// SMTP user name.
    #[arg(long, env = "AFTERCARE_SMTP_USERNAME", value_name = "NAME")]
    pub smtp_username: Option<String>,
    /// SMTP password; prefer the environment variable or the settings file
    /// to a flag, which other users of the machine can see.
    #[arg(
        long,
        env = "AFTERCARE_SMTP_PASSWORD",
        value_name = "PASSWORD",
        hide_env_values = true
    )]
    pub smtp_password: Option<String>,
    /// The sender of emails, e.g. `Aftercare <aftercare@clinic.example>`.
    #[arg(long, env = "AFTERCARE_SMTP_FROM", value_name = "ADDRESS")]
    pub smtp_from: Option<String>,
    /// Seconds between scheduler passes when nothing wakes it [default: 30].
    #[arg(long, env = "AFTERCARE_SCHEDULER_TICK_SECS", value_name = "SECONDS")]
    pub scheduler_tick_secs: Option<u64>,
    /// Seconds a scheduler instance holds claimed messages before another
    /// instance may take them over (after a crash) [default: 300].
    #[arg(long, env = "AFTERCARE_SCHEDULER_LEASE_SECS", value_name = "SECONDS")]
    pub scheduler_lease_secs: Option<u64>,
    /// Networks (10.20.0.0/16), addresses or host names that clinic
    /// webhooks may reach although they are not on the public internet;
    /// comma-separated or repeated [default: none, so webhooks cannot
    /// reach loopback, private or other special addresses].
    #[arg(
        long,
        env = "AFTERCARE_WEBHOOK_ALLOW",
        value_name = "NETWORK|HOST",
        value_delimiter = ','
    )]
    pub webhook_allow: Option<Vec<String>>,
    /// Reverse proxies (networks or addresses) whose `X-Forwarded-For`
    /// is believed, so the limits per address see each client rather than
    /// the proxy; comma-separated or repeated [default: none].
    #[arg(
        long,
        env = "AFTERCARE_TRUSTED_PROXY",
        value_name = "NETWORK",
        value_delimiter = ','
    )]
    pub trusted_proxy: Option<Vec<String>>,
    /// Connections served at once; more wait to be accepted [default: 1024].
    #[arg(long, env = "AFTERCARE_MAX_CONNECTIONS", value_name = "COUNT")]
    pub max_connections: Option<usize>,
}

/// SMTP transport security.
#[derive(ValueEnum, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTlsMode {
    /// STARTTLS, required.
    Starttls,
    /// Plain text.
    None,
}

/// SQLite durability modes.
#[derive(ValueEnum, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SyncMode {
    /// Survives a crash of the service.
    Normal,
    /// Also survives power loss.
    Full,
}

/// Log output formats.
#[derive(ValueEnum, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The settings file: every key optional, unknown keys refused.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    database_url: Option<String>,
    listen: Option<SocketAddr>,
    public_url: Option<String>,
    link_lifetime_days: Option<u32>,
    sync: Option<SyncMode>,
    guideline: Option<PathBuf>,
    log_format: Option<LogFormat>,
    max_body_bytes: Option<usize>,
    request_timeout_secs: Option<u64>,
    max_checkins_per_course: Option<u32>,
    max_checkins_per_hour: Option<u32>,
    metrics: Option<bool>,
    smtp_host: Option<String>,
    smtp_port: Option<u16>,
    smtp_tls: Option<SmtpTlsMode>,
    smtp_username: Option<String>,
    smtp_password: Option<String>,
    smtp_from: Option<String>,
    scheduler_tick_secs: Option<u64>,
    scheduler_lease_secs: Option<u64>,
    webhook_allow: Option<Vec<String>>,
    trusted_proxy: Option<Vec<String>>,
    max_connections: Option<usize>,
}

/// Settings resolved from every layer.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Database URL.
    pub database_url: String,
    /// Listen address.
    pub listen: SocketAddr,
    /// Public URL for links.
    pub public_url: String,
    /// Link lifetime in days.
    pub link_lifetime_days: u32,
    /// SQLite durability.
    pub sync: SyncMode,
    /// Guideline file, if not the shipped one.
    pub guideline: Option<PathBuf>,
    /// Log format.
    pub log_format: LogFormat,
    /// Request body limit.
    pub max_body_bytes: usize,
    /// Request time limit.
    pub request_timeout: Duration,
    /// Caps on check-ins.
    pub checkin_limits: aftercare_store::CheckinLimits,
    /// Whether `/metrics` is served.
    pub metrics: bool,
    /// The SMTP server, if configured.
    pub smtp: Option<aftercare_server::SmtpSettings>,
    /// Time between scheduler passes.
    pub scheduler_tick: Duration,
    /// How long a scheduler's claim holds.
    pub scheduler_lease: Duration,
    /// Where webhooks may go although it is not the public internet.
    pub webhook_allow: aftercare_server::WebhookAllow,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: aftercare_server::Networks,
    /// Connections served at once.
    pub max_connections: usize,
}

/// Why settings could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The settings file could not be read.
    #[error("cannot read settings file {path}: {error}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        error: std::io::Error,
    },
    /// The settings file is not valid.
    #[error("settings file {path}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// Settings that only work together are incomplete.
    #[error("{0}")]
    Incomplete(String),
    /// A setting's value cannot be used.
    #[error("{0}")]
    BadValue(String),
}

fn read_file(path: Option<&Path>) -> Result<FileSettings, SettingsError> {
    let Some(path) = path else {
        return Ok(FileSettings::default());
    };
    let text = std::fs::read_to_string(path).map_err(|error| SettingsError::Read {
        path: path.display().to_string(),
        error,
    })?;
    toml::from_str(&text).map_err(|error| SettingsError::Invalid {
        path: path.display().to_string(),
        message: error.message().to_owned(),
    })
}

/// Resolves the settings of a command from its flags, the environment
/// (already merged into the flags by clap), the file and the defaults.
pub fn resolve(database: &DatabaseArgs, serve: &ServeArgs) -> Result<Settings, SettingsError> {
    let file = read_file(database.config.as_deref())?;
    // Settings that can be refused are checked first, the mail server
    // before the network lists, so that of several bad ones the same one is
    // always reported.
    let smtp = resolve_smtp(serve, &file)?;
    let webhook_allow = resolve_webhook_allow(serve, &file)?;
    let trusted_proxies = resolve_trusted_proxies(serve, &file)?;
    let (scheduler_tick, scheduler_lease) = resolve_scheduler_timing(serve, &file);
    let checkin_limits = resolve_checkin_limits(serve, &file);
    let listen = serve.listen.or(file.listen).unwrap_or_else(|| {
        DEFAULT_LISTEN
            .parse()
            .unwrap_or_else(|_| unreachable!("the default address parses"))
    });
    let public_url = serve
        .public_url
        .clone()
        .or(file.public_url)
        .unwrap_or_else(|| format!("http://{listen}"));
    Ok(Settings {
        webhook_allow,
        trusted_proxies,
        max_connections: serve
            .max_connections
            .or(file.max_connections)
            .unwrap_or(1024)
            .max(1),
        smtp,
        scheduler_tick,
        scheduler_lease,
        database_url: database
            .database_url
            .clone()
            .or(file.database_url)
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
        listen,
        public_url: public_url.trim_end_matches('/').to_owned(),
        link_lifetime_days: serve
            .link_lifetime_days
            .or(file.link_lifetime_days)
            .unwrap_or(30),
        sync: serve.sync.or(file.sync).unwrap_or(SyncMode::Normal),
        guideline: serve.guideline.clone().or(file.guideline),
        log_format: serve
            .log_format
            .or(file.log_format)
            .unwrap_or(LogFormat::Text),
        max_body_bytes: serve
            .max_body_bytes
            .or(file.max_body_bytes)
            .unwrap_or(64 * 1024),
        request_timeout: Duration::from_secs(
            serve
                .request_timeout_secs
                .or(file.request_timeout_secs)
                .unwrap_or(10),
        ),
        checkin_limits,
        metrics: serve.metrics.or(file.metrics).unwrap_or(false),
    })
}

/// Where webhooks may go although it is not the public internet; none
/// unless set.
fn resolve_webhook_allow(
    serve: &ServeArgs,
    file: &FileSettings,
) -> Result<aftercare_server::WebhookAllow, SettingsError> {
    aftercare_server::WebhookAllow::parse(
        &serve
            .webhook_allow
            .clone()
            .or(file.webhook_allow.clone())
            .unwrap_or_default(),
    )
    .map_err(|why| {
        SettingsError::BadValue(format!(
            "webhook_allow (AFTERCARE_WEBHOOK_ALLOW, --webhook-allow): {why}"
        ))
    })
}

/// The reverse proxies whose `X-Forwarded-For` is believed; none unless
/// set.
fn resolve_trusted_proxies(
    serve: &ServeArgs,
    file: &FileSettings,
) -> Result<aftercare_server::Networks, SettingsError> {
    aftercare_server::Networks::parse(
        &serve
            .trusted_proxy
            .clone()
            .or(file.trusted_proxy.clone())
            .unwrap_or_default(),
    )
    .map_err(|why| {
        SettingsError::BadValue(format!(
            "trusted_proxy (AFTERCARE_TRUSTED_PROXY, --trusted-proxy): {why}"
        ))
    })
}

/// The time between scheduler passes and how long a claim holds. Both are
/// at least a second, as zero would make the scheduler spin or lose its
/// claims at once.
fn resolve_scheduler_timing(serve: &ServeArgs, file: &FileSettings) -> (Duration, Duration) {
    let tick = serve
        .scheduler_tick_secs
        .or(file.scheduler_tick_secs)
        .unwrap_or(30)
        .max(1);
    let lease = serve
        .scheduler_lease_secs
        .or(file.scheduler_lease_secs)
        .unwrap_or(300)
        .max(1);
    (Duration::from_secs(tick), Duration::from_secs(lease))
}

/// The caps on check-ins; each one not set keeps the store's default.
fn resolve_checkin_limits(
    serve: &ServeArgs,
    file: &FileSettings,
) -> aftercare_store::CheckinLimits {
    let defaults = aftercare_store::CheckinLimits::default();
    aftercare_store::CheckinLimits {
        per_course: serve
            .max_checkins_per_course
            .or(file.max_checkins_per_course)
            .unwrap_or(defaults.per_course),
        per_link_per_hour: serve
            .max_checkins_per_hour
            .or(file.max_checkins_per_hour)
            .unwrap_or(defaults.per_link_per_hour),
    }
}

/// The mail server, if one is set: its port defaults by TLS mode, and a
/// sender address is required with it.
fn resolve_smtp(
    serve: &ServeArgs,
    file: &FileSettings,
) -> Result<Option<aftercare_server::SmtpSettings>, SettingsError> {
    Ok(match serve.smtp_host.clone().or(file.smtp_host.clone()) {
        None => None,
        Some(host) => {
            let tls = serve
                .smtp_tls
                .or(file.smtp_tls)
                .unwrap_or(SmtpTlsMode::Starttls);
            let from = serve
                .smtp_from
                .clone()
                .or(file.smtp_from.clone())
                .ok_or_else(|| {
                    SettingsError::Incomplete(
                        "smtp_from (AFTERCARE_SMTP_FROM, --smtp-from) is needed with an SMTP host"
                            .to_owned(),
                    )
                })?;
            Some(aftercare_server::SmtpSettings {
                host,
                port: serve.smtp_port.or(file.smtp_port).unwrap_or(match tls {
                    SmtpTlsMode::Starttls => 587,
                    SmtpTlsMode::None => 25,
                }),
                tls: match tls {
                    SmtpTlsMode::Starttls => aftercare_server::SmtpTls::StartTls,
                    SmtpTlsMode::None => aftercare_server::SmtpTls::None,
                },
                username: serve.smtp_username.clone().or(file.smtp_username.clone()),
                password: serve
                    .smtp_password
                    .clone()
                    .or(file.smtp_password.clone())
                    .map(aftercare_server::SmtpPassword),
                from,
            })
        }
    })
}
