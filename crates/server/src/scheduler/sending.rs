//! Sending: claim a batch of due messages, check each still applies,
//! send them side by side, and record each outcome.

use std::sync::Arc;

use aftercare_store::secret::Secret;
use aftercare_store::{ClaimedMessage, Millis, SendOutcome};
use rand::Rng as _;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::{MAX_ATTEMPTS, PassReport, Scheduler, SchedulerError, plan};
use crate::api::treatments::LINK_PREFIX;
use aftercare_delivery::{Content, DeliveryError};

impl Scheduler {
    /// Claims a batch of due messages, checks again that each still
    /// applies, sends them side by side, and records each outcome.
    pub(super) async fn send_batch(&self) -> Result<PassReport, SchedulerError> {
        let store = &self.state.store;
        let now = self.state.now();
        let claim = format!("{}:{}", self.options.instance, uuid::Uuid::now_v7());
        let claimed = store
            .claim_messages(&claim, now, now + self.lease_millis(), self.options.batch)
            .await?;
        let mut report = PassReport::default();
        if claimed.is_empty() {
            return Ok(report);
        }
        let mut outcomes = Vec::with_capacity(claimed.len());
        let mut to_send = Vec::with_capacity(claimed.len());
        let mut links = Vec::new();
        for message in claimed {
            if let Some((_, still_open)) = &message.invitation {
                let lapsed = message
                    .invitation_expires_at
                    .is_some_and(|expires| expires <= now);
                if !still_open || lapsed {
                    outcomes.push((
                        message,
                        SendOutcome::Cancelled {
                            reason: "the invitation no longer applies".to_owned(),
                        },
                    ));
                    continue;
                }
            }
            let link = if message.kind.is_for_client() {
                // Only the hash of a link is kept, so each message to a
                // client carries a fresh one; it replaces the earlier link.
                let token = Secret::generate(LINK_PREFIX);
                // The new link keeps the old one's expiry, set when the
                // treatment was recorded (`--link-lifetime-days` after it):
                // an invitation never makes a link live longer (the store
                // only ever moves the expiry later, and `now` is earlier).
                links.push((
                    message.clinic_id.clone(),
                    message.treatment_id.clone(),
                    token.hash(),
                    now,
                ));
                self.state.settings.client_link_url(token.expose())
            } else {
                self.state
                    .settings
                    .course_page_url(message.treatment_id.as_str())
            };
            let content = Content::of(&message, link);
            to_send.push((message, content));
        }
        store.issue_links(&links).await?;

        let limit = Arc::new(Semaphore::new(self.options.concurrency.max(1)));
        let mut sending = JoinSet::new();
        for (message, content) in to_send {
            let delivery = self.delivery.clone();
            let limit = Arc::clone(&limit);
            let seconds = now.div_euclid(1000);
            sending.spawn(async move {
                let _permit = limit.acquire_owned().await;
                let result = delivery.send(&message, &content, seconds).await;
                (message, result)
            });
        }
        let mut results = Vec::new();
        while let Some(joined) = sending.join_next().await {
            match joined {
                Ok(result) => results.push(result),
                // A panicking send leaves its message claimed; its lease
                // runs out and it is tried again.
                Err(error) => tracing::error!(%error, "a send task failed"),
            }
        }
        let finished_at = self.state.now();
        for (message, result) in results {
            let outcome = outcome_of(&message, result, finished_at);
            outcomes.push((message, outcome));
        }
        for (_, outcome) in &outcomes {
            match outcome {
                SendOutcome::Sent => report.sent += 1,
                SendOutcome::Retry { .. } => report.retried += 1,
                SendOutcome::Failed { .. } => report.failed += 1,
                SendOutcome::Cancelled { .. } => report.cancelled += 1,
            }
        }
        store
            .finish_messages(&claim, &outcomes, finished_at)
            .await?;
        Ok(report)
    }
}

/// What to record for one attempt.
fn outcome_of(
    message: &ClaimedMessage,
    result: Result<(), DeliveryError>,
    now: Millis,
) -> SendOutcome {
    match result {
        Ok(()) => SendOutcome::Sent,
        Err(DeliveryError::Transient(reason)) if message.attempts < MAX_ATTEMPTS => {
            let jitter = rand::rng().random_range(-1.0..=1.0);
            SendOutcome::Retry {
                at: plan::retry_at(now, message.attempts, jitter),
                reason,
            }
        }
        Err(DeliveryError::Transient(reason)) => SendOutcome::Failed {
            reason: format!("gave up after {} attempts: {reason}", message.attempts),
        },
        Err(DeliveryError::Permanent(reason) | DeliveryError::Config(reason)) => {
            SendOutcome::Failed { reason }
        }
    }
}
