//! Who is calling: a practitioner with a bearer API token (only the
//! token's hash is looked up; the token itself is never kept or logged),
//! and the address the request came from, for the limits per address.

use aftercare_store::secret::Secret;
use aftercare_store::{Actor, Principal, Role};
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use crate::error::ApiError;
use crate::state::AppState;

/// Longer than any token we hand out; longer input is refused unhashed.
const MAX_TOKEN_LEN: usize = 256;

/// The authenticated practitioner making a request.
#[derive(Clone, Debug)]
pub(crate) struct Caller(pub(crate) Principal);

impl Caller {
    /// The caller as the audit trail names them.
    pub(crate) fn actor(&self) -> Actor {
        Actor::Practitioner(self.0.practitioner_id.clone())
    }

    /// Refuses unless the caller owns the clinic.
    pub(crate) fn require_owner(&self, why: &'static str) -> Result<(), ApiError> {
        if self.0.role == Role::Owner {
            Ok(())
        } else {
            Err(ApiError::Forbidden(why))
        }
    }

    /// Whether the caller owns the clinic.
    pub(crate) fn is_owner(&self) -> bool {
        self.0.role == Role::Owner
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer_token(parts).ok_or(ApiError::Unauthenticated)?;
        let secret = Secret::from_text(token);
        // A deactivated practitioner's tokens were revoked with the
        // account, and the lookup refuses them besides.
        let holder = state
            .store
            .token_holder(&secret.hash())
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        // Until the owner's first password is replaced (on the web), the
        // account's tokens open nothing.
        if holder.must_change_password {
            return Err(ApiError::Forbidden(
                "This account must choose its own password first: sign in on the web and change it.",
            ));
        }
        Ok(Caller(holder.principal))
    }
}

/// The token of an `Authorization: Bearer <token>` header, if well-formed.
fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && token.len() <= MAX_TOKEN_LEN)
        .then_some(token)
}

/// The authenticated owner of the clinic; anyone else is refused with 403
/// before the body is read.
#[derive(Clone, Debug)]
pub(crate) struct Owner(pub(crate) Caller);

impl FromRequestParts<AppState> for Owner {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.require_owner("Only the clinic's owner may do this.")?;
        Ok(Owner(caller))
    }
}

/// The address a request came from, as the limits per address count it:
/// the connection's peer, or the client behind it when the peer is a
/// trusted proxy (see [`crate::network::client_address`]); an IPv6
/// client counts as its /64 network. `None` when the connection's
/// address is unknown (a router driven without a listener).
pub(crate) fn client_address(parts: &Parts, state: &AppState) -> Option<std::net::IpAddr> {
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()?
        .0
        .ip();
    let client =
        crate::network::client_address(peer, &parts.headers, &state.settings.trusted_proxies);
    Some(crate::network::limit_key(client))
}
