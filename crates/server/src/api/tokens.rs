//! `/api/v1/tokens`: the caller's API tokens. A token's secret is shown
//! once, when it is made; only its hash is kept.

use aftercare_store::secret::Secret;
use aftercare_store::{ApiToken, TokenId};
use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, PathParam, QueryParams};
use crate::input;
use crate::openapi::responses;
use crate::pagination::{Page, PageParams};
use crate::state::AppState;
use crate::time_format::{rfc3339, rfc3339_opt};

/// The prefix of API token secrets.
pub(crate) const TOKEN_PREFIX: &str = "act_";

/// An API token, without its secret.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TokenView {
    /// Id.
    id: String,
    /// A label to recognise it by.
    label: String,
    /// Whose token it is.
    practitioner_id: String,
    /// When it was made.
    #[schema(format = DateTime)]
    created_at: String,
    /// When it was revoked, if it was.
    #[schema(format = DateTime)]
    revoked_at: Option<String>,
}

impl From<ApiToken> for TokenView {
    fn from(token: ApiToken) -> Self {
        TokenView {
            id: token.id.to_string(),
            label: token.label,
            practitioner_id: token.practitioner_id.to_string(),
            created_at: rfc3339(token.created_at),
            revoked_at: rfc3339_opt(token.revoked_at),
        }
    }
}

/// A token just made, with its secret: shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CreatedToken {
    /// Id.
    id: String,
    /// The label.
    label: String,
    /// The secret, to send as `Authorization: Bearer <token>`; it cannot be
    /// shown again.
    token: String,
    /// When it was made.
    #[schema(format = DateTime)]
    created_at: String,
}

/// A new token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewToken {
    /// A label to recognise it by: one line, 1 to 100 characters.
    #[schema(
        max_length = 100,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    label: String,
}

/// Makes an API token for the caller.
#[utoipa::path(
    post,
    path = "/api/v1/tokens",
    tag = "tokens",
    security(("bearer" = [])),
    request_body = NewToken,
    responses(
        (status = 201, description = "The token, with its secret shown once.", body = CreatedToken),
        (status = 400, response = responses::BadRequest),
        (status = 401, response = responses::Unauthorized),
        (status = 413, response = responses::PayloadTooLarge),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::Unprocessable),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    Json(new): Json<NewToken>,
) -> Result<Response, ApiError> {
    let label = input::line("label", &new.label, 100)?;
    let secret = Secret::generate(TOKEN_PREFIX);
    let token = state
        .store
        .create_api_token(
            &caller.0.clinic_id,
            &caller.0.practitioner_id,
            &label,
            &secret.hash(),
            state.now(),
        )
        .await?;
    // No `Location`: a token is not readable on its own, only listed.
    let created = CreatedToken {
        id: token.id.to_string(),
        label: token.label,
        token: secret.expose().to_owned(),
        created_at: rfc3339(token.created_at),
    };
    Ok((StatusCode::CREATED, JsonResponse(created)).into_response())
}

/// The caller's tokens, oldest first, revoked ones included; never the secrets.
#[utoipa::path(
    get,
    path = "/api/v1/tokens",
    tag = "tokens",
    security(("bearer" = [])),
    params(PageParams),
    responses(
        (status = 200, description = "A page of tokens.", body = Page<TokenView>),
        (status = 401, response = responses::Unauthorized),
        (status = 422, response = responses::Unprocessable),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
    mut query: QueryParams,
) -> Result<JsonResponse<Page<TokenView>>, ApiError> {
    let page = PageParams::take(&mut query)?;
    query.finish(&PageParams::NAMES)?;
    let tokens = state
        .store
        .list_api_tokens(&caller.0.clinic_id, &caller.0.practitioner_id)
        .await?;
    // A practitioner has a handful of tokens: the store lists them all,
    // ordered by id, and the page is cut here.
    let after = page.after.clone().unwrap_or_default();
    let limit = usize::try_from(page.limit()).unwrap_or(50);
    let mut items: Vec<ApiToken> = tokens
        .into_iter()
        .filter(|token| token.id.as_str() > after.as_str())
        .take(limit + 1)
        .collect();
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|token| token.id.to_string())
    } else {
        None
    };
    Ok(JsonResponse(Page {
        items: items.into_iter().map(TokenView::from).collect(),
        next,
    }))
}

/// Revokes a token: the owner any of the clinic's, others only their own.
#[utoipa::path(
    delete,
    path = "/api/v1/tokens/{id}",
    tag = "tokens",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Token id (not the secret).")),
    responses(
        (status = 204, description = "Revoked."),
        (status = 401, response = responses::Unauthorized),
        (status = 404, response = responses::NotFound),
        (status = 422, response = responses::Unprocessable),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    id: PathParam,
) -> Result<Response, ApiError> {
    let id = id.id(TokenId::parse, "token")?;
    // A therapist asking for someone else's token hears "not found", as
    // for a token of another clinic.
    let only_of = (!caller.is_owner()).then_some(&caller.0.practitioner_id);
    state
        .store
        .revoke_api_token(
            &caller.0.clinic_id,
            &id,
            only_of,
            &caller.actor(),
            state.now(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
