//! Webhooks: a JSON POST signed with HMAC-SHA256 over the timestamp and the
//! body, so the receiver can check it came from us and is fresh.
//!
//! The signature is `v1=` and the hex HMAC-SHA256, keyed with the clinic's
//! webhook secret, of `TIMESTAMP.BODY` (the decimal Unix seconds of the
//! `Aftercare-Timestamp` header, a dot, the raw body).

use aftercare_store::ClaimedMessage;
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

use super::{Content, DeliveryError};

/// The header with the signature.
pub const SIGNATURE_HEADER: &str = "aftercare-signature";
/// The header with the Unix seconds the signature covers.
pub const TIMESTAMP_HEADER: &str = "aftercare-timestamp";
/// The header with the message id, the same on every attempt.
pub const MESSAGE_ID_HEADER: &str = "aftercare-message-id";

/// The body of a webhook.
#[derive(Serialize)]
struct Payload<'a> {
    id: &'a str,
    kind: &'a str,
    priority: &'a str,
    clinic: &'a str,
    /// For client messages: the client's phone (or email) to send to.
    to: Option<&'a str>,
    subject: &'a str,
    text: &'a str,
    link: &'a str,
}

/// The signature of a body sent at `timestamp`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let mut hex = String::with_capacity(3 + digest.len() * 2);
    hex.push_str("v1=");
    for byte in digest {
        use std::fmt::Write as _;
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

pub(super) async fn post(
    http: &reqwest::Client,
    url: &str,
    secret: &str,
    message: &ClaimedMessage,
    content: &Content,
    now_seconds: i64,
) -> Result<(), DeliveryError> {
    let payload = Payload {
        id: message.id.as_str(),
        kind: message.kind.as_str(),
        priority: if message.high_priority {
            "high"
        } else {
            "normal"
        },
        clinic: &message.clinic_name,
        to: message.recipient.as_deref(),
        subject: &content.subject,
        text: &content.body,
        link: &content.link,
    };
    let body = serde_json::to_vec(&payload)
        .unwrap_or_else(|_| unreachable!("the payload always serializes"));
    let signed = signature(secret, now_seconds, &body);
    let answer = http
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(TIMESTAMP_HEADER, now_seconds.to_string())
        .header(SIGNATURE_HEADER, signed)
        .header(MESSAGE_ID_HEADER, message.id.as_str())
        .body(body)
        .send()
        .await
        // The error text may hold the URL, which may hold a token of the
        // receiver: keep only the kind of failure.
        .map_err(|error| DeliveryError::Transient(describe(&error)))?;
    let status = answer.status();
    if status.is_success() {
        Ok(())
    } else if status.is_client_error()
        && status != reqwest::StatusCode::REQUEST_TIMEOUT
        && status != reqwest::StatusCode::TOO_MANY_REQUESTS
    {
        Err(DeliveryError::Permanent(format!(
            "the webhook refused the message with {status}"
        )))
    } else {
        Err(DeliveryError::Transient(format!(
            "the webhook answered {status}"
        )))
    }
}

fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "the webhook did not answer in time".to_owned()
    } else if error.is_connect() {
        "cannot connect to the webhook".to_owned()
    } else {
        "the webhook request failed".to_owned()
    }
}
