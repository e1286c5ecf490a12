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

/// The `kind` of a webhook that carries a new link to a client's phone.
pub const NEW_LINK_KIND: &str = "link.sms";

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

/// Where a webhook goes, and how.
pub(super) struct Target<'a> {
    /// The client, which resolves through [`super::target::CheckedResolver`].
    pub http: &'a reqwest::Client,
    /// The operator's allow list.
    pub allow: &'a crate::WebhookAllow,
    /// The clinic's webhook address.
    pub url: &'a str,
    /// The clinic's signing key.
    pub secret: &'a str,
}

/// What the delivery log says when a webhook did not arrive. One phrase
/// for every failure to reach the receiver, whether its address was
/// refused, nothing answered there, or the connection broke: the clinic
/// sees the log, and telling those apart would let it map the network
/// around the service. The operator's log has the kind of failure.
const NOT_DELIVERED: &str = "could not deliver";

pub(super) async fn post(
    target: &Target<'_>,
    message: &ClaimedMessage,
    content: &Content,
    now_seconds: i64,
) -> Result<(), DeliveryError> {
    let not_delivered = |why: &str| {
        tracing::info!(message = %message.id, why, "webhook not delivered");
        DeliveryError::Transient(NOT_DELIVERED.to_owned())
    };
    let url = reqwest::Url::parse(target.url).map_err(|_| not_delivered("invalid address"))?;
    // Addresses written as numbers are never resolved, so they are
    // checked here; names are checked by the resolver, on what they
    // resolve to.
    if !super::target::sendable(&url, target.allow) {
        return Err(not_delivered("address refused"));
    }
    let payload = Payload {
        id: message.id.as_str(),
        // A new link a therapist sent by hand goes to the client's phone.
        kind: if message.is_new_link() {
            NEW_LINK_KIND
        } else {
            message.kind.as_str()
        },
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
    let signed = signature(target.secret, now_seconds, &body);
    let answer = target
        .http
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(TIMESTAMP_HEADER, now_seconds.to_string())
        .header(SIGNATURE_HEADER, signed)
        .header(MESSAGE_ID_HEADER, message.id.as_str())
        .body(body)
        .send()
        .await
        // The error text may hold the URL, which may hold a token of the
        // receiver, and says what the network looks like: keep neither.
        .map_err(|error| not_delivered(failure_kind(&error)))?;
    // An answer came from an address that passed the check, so its status
    // tells the clinic about its own receiver only.
    let status = answer.status();
    let code = status.as_u16();
    if status.is_success() {
        Ok(())
    } else if status.is_redirection()
        || (status.is_client_error()
            && status != reqwest::StatusCode::REQUEST_TIMEOUT
            && status != reqwest::StatusCode::TOO_MANY_REQUESTS)
    {
        // Redirects are not followed; sending again will not change that.
        Err(DeliveryError::Permanent(format!(
            "{NOT_DELIVERED} (HTTP {code})"
        )))
    } else {
        Err(DeliveryError::Transient(format!(
            "{NOT_DELIVERED} (HTTP {code})"
        )))
    }
}

/// The kind of a failed request, for the operator's log only.
fn failure_kind(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "no connection (or no allowed address)"
    } else {
        "request failed"
    }
}
