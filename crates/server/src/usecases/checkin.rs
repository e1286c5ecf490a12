//! Submitting a check-in on a client link: the one workflow behind the
//! API's `POST /api/v1/links/{token}/checkins` and the web check-in's
//! last page.

use aftercare_core::{Checkin, Course, Decision};
use aftercare_store::Submitted;

use crate::metrics::DecisionSource;
use crate::observe::WriteHandedOver;
use crate::state::AppState;
use crate::usecases::UseCaseError;
use crate::usecases::links::LinkToken;

/// A key that makes a submission safe to send again: 1 to 128 visible
/// ASCII characters, the same for every sending of one check-in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The key in `bytes`, or "invalid" unless it is short, visible ASCII.
    pub(crate) fn parse(bytes: &[u8]) -> Result<IdempotencyKey, UseCaseError> {
        let fits =
            !bytes.is_empty() && bytes.len() <= 128 && bytes.iter().all(u8::is_ascii_graphic);
        match std::str::from_utf8(bytes) {
            Ok(text) if fits => Ok(IdempotencyKey(text.to_owned())),
            _ => Err(UseCaseError::Invalid {
                path: "Idempotency-Key",
                expected: "1 to 128 visible ASCII characters".to_owned(),
            }),
        }
    }

    /// A new random key, for a form to send with its check-in.
    pub(crate) fn fresh() -> IdempotencyKey {
        IdempotencyKey(
            aftercare_store::secret::Secret::generate("")
                .expose()
                .to_owned(),
        )
    }

    /// The key.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// A check-in to submit. Its parts are checked as they are made: a link
/// only by [`LinkToken::parse`] (the token's shape), a key only by
/// [`IdempotencyKey::parse`], so what reaches [`submit_checkin`] is valid.
#[derive(Debug)]
pub(crate) struct CheckinSubmission<'a> {
    /// The link the check-in is sent on.
    pub(crate) link: &'a LinkToken,
    /// The key that makes sending it again safe, if any.
    pub(crate) key: Option<&'a IdempotencyKey>,
    /// The check-in, read by the surface (JSON, or the form's one reader).
    pub(crate) checkin: Checkin,
}

/// Submits a check-in and answers with its outcome: stored with its
/// decision, or (`replayed`) the first outcome of the same key.
///
/// `handed_over`, when the request carries one, is set as soon as the
/// store has the check-in: from then on the write may commit at any
/// moment, so the request is answered with its outcome even past the
/// request time limit (see `observe::time_limit`).
pub(crate) async fn submit_checkin(
    state: &AppState,
    submission: CheckinSubmission<'_>,
    handed_over: Option<&WriteHandedOver>,
) -> Result<Submitted, UseCaseError> {
    // Queue: grouped with check-ins arriving at the same moment into one
    // transaction, answered once that transaction has committed.
    let queued = state
        .store
        .queue_checkin(
            submission.link.hash(),
            submission.key.map(IdempotencyKey::as_str),
            submission.checkin,
            &state.guideline,
            state.now(),
        )
        .await?;
    // Handed over: nothing after this point may give up on the write.
    if let Some(handed_over) = handed_over {
        handed_over.set();
    }
    let submitted = queued.outcome().await?;
    if !submitted.replayed {
        after_stored(state, &submitted);
    }
    Ok(submitted)
}

/// What follows a check-in newly stored: alerts go out at once rather
/// than at the scheduler's next tick, the counters move, and the request's
/// one log line gets the level and whether an alert was raised (never the
/// link, never what the person reported).
fn after_stored(state: &AppState, submitted: &Submitted) {
    state.wake_scheduler();
    state.metrics.record_checkin();
    state
        .metrics
        .record_decision(submitted.decision.level, DecisionSource::Checkin);
    let span = tracing::Span::current();
    span.record("level", tracing::field::display(submitted.decision.level));
    span.record("alert", submitted.alert.is_some());
}

/// Answers a self-check: the course of a diary (nothing of a clinic, and
/// nothing sent to the store's check-in writer) triaged with the
/// guideline, its level counted as a check-in's is.
pub(crate) fn answer_self_check<'g>(state: &'g AppState, course: &Course) -> Decision<'g> {
    let decision = aftercare_core::triage(&state.guideline, course);
    state
        .metrics
        .record_decision(decision.level, DecisionSource::Checkin);
    decision
}

#[cfg(test)]
mod tests {
    use super::IdempotencyKey;

    #[test]
    fn a_key_is_short_visible_ascii() {
        assert!(IdempotencyKey::parse(b"retry-1").is_ok());
        assert!(IdempotencyKey::parse("k".repeat(128).as_bytes()).is_ok());
        assert!(IdempotencyKey::parse("k".repeat(129).as_bytes()).is_err());
        assert!(IdempotencyKey::parse(b"").is_err());
        assert!(IdempotencyKey::parse(b"with space").is_err());
        assert!(IdempotencyKey::parse(b"tab\there").is_err());
        assert!(IdempotencyKey::parse("clé".as_bytes()).is_err());
    }

    #[test]
    fn a_fresh_key_is_a_key() {
        let fresh = IdempotencyKey::fresh();
        assert_eq!(
            IdempotencyKey::parse(fresh.as_str().as_bytes()).ok(),
            Some(fresh)
        );
    }
}
