//! Client links: the one check of a link token's shape, and putting a
//! new link in the client's hands.
//!
//! Only a hash of a link is kept, so a link can never be shown twice.
//! Renewing therefore makes a new link (the old one stops working at
//! once) and either shows it once, or sends it to the client: by email,
//! or by text message through the clinic's webhook. A message is queued
//! in the outbox the scheduler sends from (which puts a fresh link of its
//! own in it, as in every message to a client), so a link travels the
//! same way as an invitation, with the same retries and the same address
//! checks on webhooks. A new link keeps the expiry set when the treatment
//! was recorded (`--link-lifetime-days` after it). Every renewal is scoped to the principal's clinic and
//! recorded in the audit trail (`link.reissue`, `link.email`, `link.sms`).

use aftercare_store::secret::{Secret, hash_text};
use aftercare_store::{
    Actor, Channel, Client, MessageKind, Millis, NewMessage, Principal, ReissuedLink, StoreError,
    Treatment, TreatmentId,
};

use crate::state::AppState;
use crate::usecases::{UseCaseError, plausible_token};

/// The prefix of client link secrets.
pub(crate) const LINK_PREFIX: &str = "acl_";

/// A client link as the store knows it: the hash of a token that has the
/// shape of one. The token itself goes no further (it is never logged).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LinkToken {
    hash: String,
}

impl LinkToken {
    /// The link `token` names, or "not found" for text that cannot be a
    /// link: refused before any database work.
    pub(crate) fn parse(token: &str) -> Result<LinkToken, UseCaseError> {
        if plausible_token(token, LINK_PREFIX) {
            Ok(LinkToken {
                hash: hash_text(token),
            })
        } else {
            Err(UseCaseError::NotFound("link"))
        }
    }

    /// The hash the store looks the link up by.
    pub(crate) fn hash(&self) -> &str {
        &self.hash
    }
}

/// How a new link reaches the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Handover {
    /// Shown once to the therapist, who gives it to the client.
    Shown,
    /// Emailed to the client.
    Email,
    /// Sent to the client's phone through the clinic's webhook.
    TextMessage,
}

impl Handover {
    /// The audit action.
    fn action(self) -> &'static str {
        match self {
            Handover::Shown => "link.reissue",
            Handover::Email => "link.email",
            Handover::TextMessage => "link.sms",
        }
    }

    /// The word for the course page's notice (`?sent=`).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Handover::Shown => "shown",
            Handover::Email => "email",
            Handover::TextMessage => "sms",
        }
    }

    /// The handover a notice names.
    pub(crate) fn parse(text: &str) -> Option<Handover> {
        [Handover::Shown, Handover::Email, Handover::TextMessage]
            .into_iter()
            .find(|handover| handover.as_str() == text)
    }
}

/// Whether a new link can go to this client by email and by text message
/// now; each `Err` says plainly why not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LinkRoutes {
    /// The client's email address, or why no email can go.
    pub(crate) email: Result<String, &'static str>,
    /// The client's phone number, or why no text message can go.
    pub(crate) text: Result<String, &'static str>,
}

/// Why no message goes to a client who did not agree to follow-up.
const NO_CONSENT: &str = "the client has not agreed to be followed up, so no message goes to them";

impl LinkRoutes {
    /// The routes for a client of a clinic, from the operator's SMTP
    /// settings, the clinic's webhook and the client's details.
    pub(crate) async fn of(state: &AppState, client: &Client) -> Result<LinkRoutes, StoreError> {
        let settings = state.store.followup_settings(&client.clinic_id).await?;
        let consented = client.consent_at.is_some();
        let email = if !consented {
            Err(NO_CONSENT)
        } else if state.settings.smtp.is_none() {
            Err("this service has no email (SMTP) server set up")
        } else {
            client
                .email
                .clone()
                .ok_or("the client has no email address on record")
        };
        let text = if !consented {
            Err(NO_CONSENT)
        } else if settings.webhook_url.is_none() {
            Err("your clinic has no webhook to send text messages through")
        } else {
            client
                .phone
                .clone()
                .ok_or("the client has no phone number on record")
        };
        Ok(LinkRoutes { email, text })
    }
}

/// A new link just made.
pub(crate) struct NewLink {
    /// The treatment.
    pub(crate) treatment: Treatment,
    /// The link's secret; shown once when the handover is
    /// [`Handover::Shown`] (a message carries a fresh one of its own).
    pub(crate) secret: Secret,
    /// When it stops working.
    pub(crate) expires_at: Millis,
}

/// Gives a treatment of the principal's clinic a new client link (the old
/// one stops working at once) and hands it over: the one use case behind
/// the course page's buttons and the API.
pub(crate) async fn renew_link(
    state: &AppState,
    principal: &Principal,
    id: &TreatmentId,
    handover: Handover,
) -> Result<NewLink, UseCaseError> {
    let clinic = &principal.clinic_id;
    let treatment = state.store.treatment(clinic, id).await?;
    let now = state.now();
    if treatment.link_expires_at <= now {
        return Err(UseCaseError::LinkLifetimeOver);
    }
    let message = match handover {
        Handover::Shown => None,
        Handover::Email | Handover::TextMessage => {
            let client = state.store.client(clinic, &treatment.client_id).await?;
            let routes = LinkRoutes::of(state, &client).await?;
            let (channel, recipient) = if handover == Handover::Email {
                (Channel::Email, routes.email.map_err(UseCaseError::NoRoute)?)
            } else {
                (
                    Channel::Webhook,
                    routes.text.map_err(UseCaseError::NoRoute)?,
                )
            };
            Some(NewMessage {
                kind: MessageKind::Invitation,
                channel,
                recipient: Some(recipient),
                high_priority: false,
                due_at: now,
                dedupe_key: format!("link:{}:{}", treatment.id, uuid::Uuid::now_v7()),
            })
        }
    };
    let secret = Secret::generate(LINK_PREFIX);
    let sends = message.is_some();
    let link = ReissuedLink {
        link_hash: secret.hash(),
        action: handover.action(),
        message,
    };
    state
        .store
        .reissue_link(
            clinic,
            id,
            &Actor::Practitioner(principal.practitioner_id.clone()),
            &link,
            now,
        )
        .await?;
    if sends {
        state.wake_scheduler();
    }
    let expires_at = treatment.link_expires_at;
    Ok(NewLink {
        treatment,
        secret,
        expires_at,
    })
}
