//! Delivery: email through SMTP and signed webhooks, the words of each
//! message, and the address checks that keep webhooks off the service's
//! own machine and networks (`network.rs`, `target.rs`).
//!
//! A message never carries symptoms or decisions: a greeting, the clinic's
//! name and a link (the client's private link, or the course for a
//! therapist). Whoever opens the link sees the rest after it checks them.
//!
//! Delivery is at least once. If an instance dies after the SMTP server or
//! webhook accepted a message but before the outbox row is marked sent,
//! the lease runs out and another instance sends it again. Such a duplicate
//! carries the same id: the `Message-ID` header of the email
//! (`<MESSAGE-ID@aftercare>`) and the `Aftercare-Message-Id` header of the
//! webhook, so receivers can drop it.

mod email;
mod network;
mod target;
mod text;
mod webhook;

use std::time::Duration;

use aftercare_store::{Channel, ClaimedMessage};

pub use email::{SmtpPassword, SmtpSettings, SmtpTls};
pub use network::{Networks, WebhookAllow};
pub use target::{EXPECTED as WEBHOOK_URL_EXPECTED, check_url as webhook_url_allowed};
pub use text::Content;
pub use webhook::{
    MESSAGE_ID_HEADER, NEW_LINK_KIND, SIGNATURE_HEADER, TIMESTAMP_HEADER, signature,
};

/// Why a message was not delivered.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// Worth trying again later: the server was down, busy, or answered 5xx.
    #[error("{0}")]
    Transient(String),
    /// Trying again will not help: a bad address, no channel configured, a
    /// 4xx answer from the webhook.
    #[error("{0}")]
    Permanent(String),
    /// The SMTP settings cannot work (bad host or address).
    #[error("SMTP settings: {0}")]
    Config(String),
}

/// Sends one plain-text email at once through the service's SMTP server,
/// outside the outbox (see `email::Mailer::send_now`).
pub async fn send_email_now(
    settings: &SmtpSettings,
    to: &str,
    subject: &str,
    body: String,
) -> Result<(), DeliveryError> {
    email::Mailer::new(settings)?
        .send_now(to, subject, body)
        .await
}

/// What sends messages: an SMTP transport (when configured) and an HTTP
/// client for webhooks. Cheap to clone.
#[derive(Clone)]
pub struct Delivery {
    mailer: Option<email::Mailer>,
    http: reqwest::Client,
    webhook_allow: std::sync::Arc<WebhookAllow>,
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("email", &self.mailer.is_some())
            .finish_non_exhaustive()
    }
}

impl Delivery {
    /// Delivery with the service's SMTP settings (none: no email is sent;
    /// clinics can still use webhooks) and its webhook allow list.
    pub fn new(
        smtp: Option<&SmtpSettings>,
        webhook_allow: &WebhookAllow,
    ) -> Result<Delivery, DeliveryError> {
        let mailer = smtp.map(email::Mailer::new).transpose()?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            // A redirect would send the signed body wherever the receiver
            // says, past the address check.
            .redirect(reqwest::redirect::Policy::none())
            // Through a proxy the check would see the proxy's address,
            // not the receiver's.
            .no_proxy()
            .dns_resolver(std::sync::Arc::new(target::CheckedResolver::new(
                webhook_allow.clone(),
            )))
            .build()
            .map_err(|error| DeliveryError::Config(format!("HTTP client: {error}")))?;
        Ok(Delivery {
            mailer,
            http,
            webhook_allow: std::sync::Arc::new(webhook_allow.clone()),
        })
    }

    /// Whether email can be sent.
    pub fn email_enabled(&self) -> bool {
        self.mailer.is_some()
    }

    /// Sends one message with its content.
    pub async fn send(
        &self,
        message: &ClaimedMessage,
        content: &Content,
        now_seconds: i64,
    ) -> Result<(), DeliveryError> {
        match message.channel {
            Channel::Email => {
                let Some(mailer) = &self.mailer else {
                    return Err(DeliveryError::Permanent(
                        "no SMTP server is configured".to_owned(),
                    ));
                };
                let Some(to) = message.recipient.as_deref() else {
                    return Err(DeliveryError::Permanent(
                        "the message has no email address".to_owned(),
                    ));
                };
                mailer.send(message, to, content).await
            }
            Channel::Webhook => {
                let (Some(url), Some(secret)) = (
                    message.webhook_url.as_deref(),
                    message
                        .webhook_secret
                        .as_ref()
                        .map(aftercare_store::secret::Secret::expose),
                ) else {
                    return Err(DeliveryError::Permanent(
                        "the clinic has no webhook configured".to_owned(),
                    ));
                };
                let target = webhook::Target {
                    http: &self.http,
                    allow: &self.webhook_allow,
                    url,
                    secret,
                };
                webhook::post(&target, message, content, now_seconds).await
            }
        }
    }
}
