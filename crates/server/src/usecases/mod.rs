//! The workflows both surfaces share, each written once: submitting a
//! check-in (`checkin.rs`), recording a treatment (`treatments.rs`),
//! putting a new client link in the client's hands (`links.rs`), and
//! changing what is on record (`records.rs`: correcting a client or a
//! treatment, erasure, retention, a client's copy of their record).
//!
//! A use case takes the shared [`AppState`](crate::state::AppState) and
//! typed input, does the work and its after-effects (waking the
//! scheduler, metrics, the log), and answers a typed result or a
//! [`UseCaseError`]. It knows nothing of HTTP: the JSON API maps the error
//! to a problem (`api/mod.rs`), the web pages to a page (`web/mod.rs`), so
//! a handler reads: extract, call the use case, render.

pub(crate) mod checkin;
pub(crate) mod links;
pub(crate) mod records;
pub(crate) mod treatments;

use aftercare_store::StoreError;

/// Why a use case did not do its work.
#[derive(Debug, thiserror::Error)]
pub(crate) enum UseCaseError {
    /// The store failed, or what was named is not the clinic's.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A token that cannot be one of ours: answered as an unknown one,
    /// before any database work.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A value of the input is not what the workflow accepts.
    #[error("{path}: expected {expected}")]
    Invalid {
        /// Where the value was, as the API names it.
        path: &'static str,
        /// What would have been accepted, in words.
        expected: String,
    },
    /// The client link's lifetime is over: a new link would not work
    /// either.
    #[error("the link's lifetime is over")]
    LinkLifetimeOver,
    /// No message can carry a new link, for this reason.
    #[error("{0}")]
    NoRoute(&'static str),
}

/// Whether `token` has the shape of a secret of ours that starts with
/// `prefix`: the prefix, then at most 128 characters in all of letters,
/// digits, `-` and `_`. Anything else is refused before it is hashed or
/// looked up.
pub(crate) fn plausible_token(token: &str, prefix: &str) -> bool {
    token.starts_with(prefix)
        && token.len() <= 128
        && token
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_'))
}

#[cfg(test)]
mod tests {
    use super::plausible_token;

    #[test]
    fn only_a_token_of_our_shape_is_plausible() {
        assert!(plausible_token("acl_abc-DEF_123", "acl_"));
        assert!(plausible_token(&format!("acl_{}", "a".repeat(124)), "acl_"));
        assert!(!plausible_token(
            &format!("acl_{}", "a".repeat(125)),
            "acl_"
        ));
        assert!(!plausible_token("acd_abc", "acl_"));
        assert!(!plausible_token("acl_a/b", "acl_"));
        assert!(!plausible_token("acl_a b", "acl_"));
        assert!(!plausible_token("acl_é", "acl_"));
        assert!(!plausible_token("", "acl_"));
    }
}
