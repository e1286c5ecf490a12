//! `/api/v1/clients`: the people a clinic treats.

use aftercare_store::{Client, ClientId, NewClient};
use axum::Json as JsonResponse;
use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::created;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, PathParam, QueryParams};
use crate::input;
use crate::openapi::responses;
use crate::pagination::{Page, PageParams};
use crate::state::AppState;
use crate::time_format::{rfc3339, rfc3339_opt};

/// A client of the clinic.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ClientView {
    /// Id.
    id: String,
    /// Name.
    name: String,
    /// Email, if given.
    email: Option<String>,
    /// Phone, if given.
    phone: Option<String>,
    /// Whether the client agreed to be followed up.
    follow_up_consent: bool,
    /// When they agreed, if they did.
    #[schema(format = DateTime)]
    consent_at: Option<String>,
    /// When the client was added.
    #[schema(format = DateTime)]
    created_at: String,
}

impl From<Client> for ClientView {
    fn from(client: Client) -> Self {
        ClientView {
            id: client.id.to_string(),
            name: client.name,
            email: client.email,
            phone: client.phone,
            follow_up_consent: client.consent_at.is_some(),
            consent_at: rfc3339_opt(client.consent_at),
            created_at: rfc3339(client.created_at),
        }
    }
}

/// A new client.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewClientRequest {
    /// Name: one line, 1 to 200 characters.
    #[schema(
        max_length = 200,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    name: String,
    /// Email, for invitations.
    #[serde(default)]
    #[schema(
        max_length = 254,
        pattern = r#"^[^@\s\u0000-\u001F\u007F-\u009F<>,;:"()\[\]\\]+@[^@\s.\u0000-\u001F\u007F-\u009F<>,;:"()\[\]\\]+(\.[^@\s.\u0000-\u001F\u007F-\u009F<>,;:"()\[\]\\]+)+$"#
    )]
    email: Option<String>,
    /// Phone: 3 to 20 digits, with spaces, dashes, dots, brackets and a leading `+`.
    #[serde(default)]
    #[schema(max_length = 32, pattern = "^\\+?[ ().-]*([0-9][ ().-]*){6,20}$")]
    phone: Option<String>,
    /// Whether the client agreed to be followed up; the time of agreement
    /// is recorded as now.
    follow_up_consent: bool,
}

/// The clinic's clients, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/clients",
    tag = "clients",
    security(("bearer" = [])),
    params(PageParams),
    responses(
        (status = 200, description = "A page of clients.", body = Page<ClientView>),
        (status = 401, response = responses::Unauthorized),
        (status = 422, response = responses::Unprocessable),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn list_clients(
    State(state): State<AppState>,
    caller: Caller,
    mut query: QueryParams,
) -> Result<JsonResponse<Page<ClientView>>, ApiError> {
    let page = PageParams::take(&mut query)?;
    query.finish(&PageParams::NAMES)?;
    let found = state.store.list_clients(&caller.0.clinic_id, &page).await?;
    Ok(JsonResponse(Page::of(found, ClientView::from)))
}

/// Adds a client to the clinic.
#[utoipa::path(
    post,
    path = "/api/v1/clients",
    tag = "clients",
    security(("bearer" = [])),
    request_body = NewClientRequest,
    responses(
        (status = 201, description = "The new client.", body = ClientView),
        (status = 400, response = responses::BadRequest),
        (status = 401, response = responses::Unauthorized),
        (status = 413, response = responses::PayloadTooLarge),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::Unprocessable),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn create_client(
    State(state): State<AppState>,
    caller: Caller,
    Json(new): Json<NewClientRequest>,
) -> Result<Response, ApiError> {
    let now = state.now();
    let new = NewClient {
        name: input::line("name", &new.name, 200)?,
        email: new
            .email
            .map(|email| input::email("email", &email))
            .transpose()?,
        phone: new
            .phone
            .map(|phone| input::phone("phone", &phone))
            .transpose()?,
        consent_at: new.follow_up_consent.then_some(now),
    };
    let client = state
        .store
        .create_client(&caller.0.clinic_id, &caller.actor(), new, now)
        .await?;
    let location = format!("/api/v1/clients/{}", client.id);
    Ok(created(&location, ClientView::from(client)))
}

/// One client of the clinic.
#[utoipa::path(
    get,
    path = "/api/v1/clients/{id}",
    tag = "clients",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Client id.")),
    responses(
        (status = 200, description = "The client.", body = ClientView),
        (status = 401, response = responses::Unauthorized),
        (status = 404, response = responses::NotFound),
        (status = 422, response = responses::Unprocessable),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn get_client(
    State(state): State<AppState>,
    caller: Caller,
    id: PathParam,
) -> Result<JsonResponse<ClientView>, ApiError> {
    let id = id.id(ClientId::parse, "client")?;
    let client = state.store.client(&caller.0.clinic_id, &id).await?;
    Ok(JsonResponse(client.into()))
}
