//! Slowing down password guessing at the sign-in.
//!
//! An attempt is recorded in the database *before* its password is
//! checked, and then counted with every other attempt recorded for the
//! same email or address, including those other requests (or other
//! instances on the same PostgreSQL) are still checking. So attempts sent
//! side by side cannot all slip under the limit: of any number sent at
//! once, at most the limit are checked and the rest are answered 429. A
//! refused attempt is taken back, so refusals never lengthen a wait.
//!
//! Per email, the first [`FREE_FAILURES`] failures are free; after that
//! each attempt must wait a growing time after the one before it (30 s,
//! 1 min, 2 min… up to 15 min). The account is never locked: once the
//! wait has passed, the right password signs in and clears the count.
//! Per address (the client's, behind trusted proxies), at most
//! [`ATTEMPTS_PER_ADDRESS`] attempts that did not succeed in
//! [`ADDRESS_WINDOW`].
//!
//! Checking a password takes argon2's memory and a core; the service
//! checks at most a few at a time (see [`crate::state::AppState`]).

use std::net::IpAddr;

use aftercare_store::secret::hash_text;
use aftercare_store::{Millis, StoreError};

use crate::state::AppState;

/// Why an attempt is not checked.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Refused {
    /// Too many attempts: try again after this many seconds.
    #[error("too many sign-in attempts; wait {0} s")]
    Wait(u64),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Failures per email before each attempt has to wait.
pub(crate) const FREE_FAILURES: i64 = 5;
/// The wait after the first failure beyond the free ones; it doubles with
/// each further failure …
const FIRST_WAIT: Millis = 30 * 1000;
/// … up to this.
const LONGEST_WAIT: Millis = 15 * 60 * 1000;
/// How far back failures for an email count (a success clears them).
const EMAIL_LOOKBACK: Millis = 24 * 60 * 60 * 1000;
/// Attempts from one address that did not succeed, per [`ADDRESS_WINDOW`]:
/// enough for a shared office connection, not for guessing across emails.
pub(crate) const ATTEMPTS_PER_ADDRESS: i64 = 20;
/// The window attempts per address are counted in.
const ADDRESS_WINDOW: Millis = 15 * 60 * 1000;

/// How long the attempt after `failures` failures must wait after the
/// latest of them; zero while failures are free.
pub(crate) fn wait_after(failures: i64) -> Millis {
    if failures < FREE_FAILURES {
        return 0;
    }
    let doublings = u32::try_from(failures - FREE_FAILURES).unwrap_or(u32::MAX);
    FIRST_WAIT
        .checked_mul(1_i64.checked_shl(doublings).unwrap_or(i64::MAX))
        .unwrap_or(LONGEST_WAIT)
        .min(LONGEST_WAIT)
}

/// A sign-in attempt that passed the limits and is being checked.
#[derive(Debug)]
pub(crate) struct SignInAttempt {
    email_subject: String,
    address_attempt: Option<String>,
}

impl SignInAttempt {
    /// The password was right: the email's failures are cleared, and this
    /// attempt no longer counts against the address.
    pub(crate) async fn succeeded(self, state: &AppState) -> Result<(), StoreError> {
        state
            .store
            .clear_login_failures(&self.email_subject)
            .await?;
        if let Some(id) = &self.address_attempt {
            state.store.forget_attempt(id).await?;
        }
        Ok(())
    }
}

/// Records a sign-in attempt for `email` from `address` and lets it be
/// checked, or refuses it with 429 and the seconds to wait.
pub(crate) async fn admit_sign_in(
    state: &AppState,
    email: &str,
    address: Option<IpAddr>,
    now: Millis,
) -> Result<SignInAttempt, Refused> {
    // Only hashes are kept: the table says nothing of who tried.
    let address_attempt = match address {
        Some(ip) => {
            let subject = hash_text(&format!("login-address:{ip}"));
            let id = state.store.record_attempt(&subject, now).await?;
            let (others, oldest) = state
                .store
                .attempts_besides(&subject, now - ADDRESS_WINDOW, &id)
                .await?;
            if others >= ATTEMPTS_PER_ADDRESS {
                state.store.forget_attempt(&id).await?;
                let wait = oldest.map_or(ADDRESS_WINDOW, |at| at + ADDRESS_WINDOW - now);
                return Err(too_many(wait));
            }
            Some(id)
        }
        None => None,
    };
    let email_subject = hash_text(&format!("login-email:{email}"));
    let id = state.store.record_attempt(&email_subject, now).await?;
    let (failures, latest) = state
        .store
        .attempts_besides(&email_subject, now - EMAIL_LOOKBACK, &id)
        .await?;
    let wait = wait_after(failures);
    let waited = latest.map_or(Millis::MAX, |at| now - at);
    if waited < wait {
        state.store.forget_attempt(&id).await?;
        if let Some(address_id) = &address_attempt {
            state.store.forget_attempt(address_id).await?;
        }
        return Err(too_many(wait - waited));
    }
    Ok(SignInAttempt {
        email_subject,
        address_attempt,
    })
}

/// Requests for a reset link from one address per [`ADDRESS_WINDOW`].
pub(crate) const RESET_REQUESTS_PER_ADDRESS: i64 = 10;
/// Reset links emailed to one address per [`RESET_EMAIL_WINDOW`]: enough
/// for a lost email, too few to fill someone's inbox.
pub(crate) const RESETS_PER_EMAIL: i64 = 3;
/// The window reset links per email are counted in.
const RESET_EMAIL_WINDOW: Millis = 60 * 60 * 1000;

/// Records a request for a password reset link for `email` from
/// `address`. Refused with 429 when the address asked too often; answers
/// `false` when the email has had its share of links this hour (nothing
/// is sent then, and the page says the same as ever, so the answer tells
/// nothing about which emails have accounts).
pub(crate) async fn admit_reset_request(
    state: &AppState,
    email: &str,
    address: Option<IpAddr>,
    now: Millis,
) -> Result<bool, Refused> {
    if let Some(ip) = address {
        let subject = hash_text(&format!("reset-address:{ip}"));
        let id = state.store.record_attempt(&subject, now).await?;
        let (others, oldest) = state
            .store
            .attempts_besides(&subject, now - ADDRESS_WINDOW, &id)
            .await?;
        if others >= RESET_REQUESTS_PER_ADDRESS {
            state.store.forget_attempt(&id).await?;
            let wait = oldest.map_or(ADDRESS_WINDOW, |at| at + ADDRESS_WINDOW - now);
            return Err(too_many(wait));
        }
    }
    let subject = hash_text(&format!("reset-email:{email}"));
    let id = state.store.record_attempt(&subject, now).await?;
    let (others, _) = state
        .store
        .attempts_besides(&subject, now - RESET_EMAIL_WINDOW, &id)
        .await?;
    if others >= RESETS_PER_EMAIL {
        state.store.forget_attempt(&id).await?;
        return Ok(false);
    }
    Ok(true)
}

/// A refusal to wait `wait` milliseconds, in whole seconds (at least one).
fn too_many(wait: Millis) -> Refused {
    let seconds = u64::try_from((wait + 999) / 1000).unwrap_or(1).max(1);
    Refused::Wait(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_grows_after_the_free_failures_and_stops_growing() {
        let waits: Vec<Millis> = (0..14).map(wait_after).collect();
        assert_eq!(&waits[..5], &[0, 0, 0, 0, 0]);
        assert_eq!(
            &waits[5..11],
            &[30_000, 60_000, 120_000, 240_000, 480_000, 900_000]
        );
        assert!(waits[11..].iter().all(|&wait| wait == LONGEST_WAIT));
        assert_eq!(wait_after(i64::MAX), LONGEST_WAIT);
    }
}
