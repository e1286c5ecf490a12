//! Email through an SMTP server, with lettre (rustls with the ring provider).

use std::time::Duration;

use aftercare_store::ClaimedMessage;
use lettre::message::Mailbox;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::{Content, DeliveryError};

/// How to reach the SMTP server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmtpSettings {
    /// Host name.
    pub host: String,
    /// Port (587 for STARTTLS, 25 or a local port for plain).
    pub port: u16,
    /// Whether to upgrade the connection with STARTTLS (required when set).
    pub tls: SmtpTls,
    /// User name, if the server wants one.
    pub username: Option<String>,
    /// Password, if the server wants one.
    pub password: Option<SmtpPassword>,
    /// The sender, e.g. `Aftercare <aftercare@clinic.example>`.
    pub from: String,
}

/// Whether SMTP runs over TLS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    /// STARTTLS, required: the connection is refused without it.
    StartTls,
    /// Plain text: only for a server on the same machine or network.
    None,
}

/// An SMTP password; `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpPassword(pub String);

impl std::fmt::Debug for SmtpPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SmtpPassword(…)")
    }
}

/// A pooled SMTP transport and the sender.
#[derive(Clone)]
pub(super) struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    pub(super) fn new(settings: &SmtpSettings) -> Result<Mailer, DeliveryError> {
        let from: Mailbox = settings.from.parse().map_err(|error| {
            DeliveryError::Config(format!("`from` is not an email address: {error}"))
        })?;
        let builder = match settings.tls {
            SmtpTls::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host)
                    .map_err(|error| DeliveryError::Config(error.to_string()))?
            }
            SmtpTls::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            }
        };
        let mut builder = builder
            .port(settings.port)
            .timeout(Some(Duration::from_secs(20)))
            .pool_config(PoolConfig::new().max_size(16));
        if let Some(username) = &settings.username {
            let password = settings
                .password
                .as_ref()
                .map(|p| p.0.clone())
                .unwrap_or_default();
            builder = builder.credentials(Credentials::new(username.clone(), password));
        }
        Ok(Mailer {
            transport: builder.build(),
            from,
        })
    }

    pub(super) async fn send(
        &self,
        message: &ClaimedMessage,
        to: &str,
        content: &Content,
    ) -> Result<(), DeliveryError> {
        let to: Mailbox = to.parse().map_err(|_| {
            DeliveryError::Permanent("the recipient is not a valid email address".to_owned())
        })?;
        let mut builder = Message::builder()
            // The same id on every attempt, so a duplicate after a crash
            // can be recognised.
            .message_id(Some(format!("<{}@aftercare>", message.id)))
            .from(self.from.clone())
            .to(to)
            .subject(content.subject.clone())
            .header(ContentType::TEXT_PLAIN);
        if message.high_priority {
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("X-Priority"),
                    "1".to_owned(),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("Importance"),
                    "high".to_owned(),
                ));
        }
        let email = builder.body(content.body.clone()).map_err(|error| {
            DeliveryError::Permanent(format!("cannot build the email: {error}"))
        })?;
        match self.transport.send(email).await {
            Ok(_) => Ok(()),
            Err(error) if error.is_permanent() => Err(DeliveryError::Permanent(format!(
                "the SMTP server refused{}",
                smtp_code(&error)
            ))),
            Err(error) => Err(DeliveryError::Transient(format!(
                "SMTP failed for now{}",
                smtp_code(&error)
            ))),
        }
    }
}

impl Mailer {
    /// Sends one plain-text email at once, outside the outbox: for a
    /// message whose link is a secret that must not be stored (a password
    /// reset link).
    pub(super) async fn send_now(
        &self,
        to: &str,
        subject: &str,
        body: String,
    ) -> Result<(), DeliveryError> {
        let to: Mailbox = to.parse().map_err(|_| {
            DeliveryError::Permanent("the recipient is not a valid email address".to_owned())
        })?;
        let email = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|error| {
                DeliveryError::Permanent(format!("cannot build the email: {error}"))
            })?;
        match self.transport.send(email).await {
            Ok(_) => Ok(()),
            Err(error) => Err(DeliveryError::Transient(format!(
                "SMTP failed{}",
                smtp_code(&error)
            ))),
        }
    }
}

/// The SMTP reply code of an error, if any, and never the reply's text:
/// servers put the recipient's address in it ("550 <…>: no such user"),
/// and the reason is stored and shown to the clinic.
fn smtp_code(error: &lettre::transport::smtp::Error) -> String {
    match error.status() {
        Some(code) => format!(" (code {code})"),
        None if error.is_timeout() => " (timed out)".to_owned(),
        None => " (no answer from the server)".to_owned(),
    }
}
