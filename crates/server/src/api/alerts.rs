//! `/api/v1/alerts`: decisions the therapist must hear about.

use aftercare_store::{Alert, AlertId, ClientId};
use axum::Json as JsonResponse;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{PathParam, QueryParams};
use crate::openapi::format::LevelFormat;
use crate::openapi::responses;
use crate::pagination::{Page, PositionPageParams};
use crate::state::AppState;
use crate::time_format::{rfc3339, rfc3339_opt};

/// An alert raised by a decision at `contact_therapist` or above.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AlertView {
    /// Id.
    id: String,
    /// The treatment whose course raised it.
    treatment_id: String,
    /// The decision that raised it.
    decision_id: String,
    /// The treating practitioner.
    practitioner_id: String,
    /// The decision's level.
    #[schema(value_type = LevelFormat)]
    level: aftercare_core::Level,
    /// Whether it needs attention today (`urgent` and `emergency`).
    high_priority: bool,
    /// When it was raised.
    #[schema(format = DateTime)]
    created_at: String,
    /// When it was acknowledged, if it was.
    #[schema(format = DateTime)]
    acknowledged_at: Option<String>,
    /// Who acknowledged it.
    acknowledged_by: Option<String>,
    /// The name of who acknowledged it.
    acknowledged_by_name: Option<String>,
    /// What it is about, one line per reason, most serious first: the
    /// symptoms with every detail given, then the reason in brief.
    finding: Vec<String>,
}

impl AlertView {
    /// The views of `alerts`, each with its finding.
    async fn with_findings(
        state: &AppState,
        alerts: Vec<Alert>,
    ) -> Result<Vec<AlertView>, ApiError> {
        let Some(first) = alerts.first() else {
            return Ok(Vec::new());
        };
        let clinic = first.clinic_id.clone();
        let ids: Vec<AlertId> = alerts.iter().map(|alert| alert.id.clone()).collect();
        let findings = state.store.alert_findings(&clinic, &ids).await?;
        Ok(alerts
            .into_iter()
            .map(|alert| {
                let found = findings.iter().find(|found| found.alert_id == alert.id);
                let mut view = AlertView::from(alert);
                if let Some(found) = found {
                    view.finding = crate::web::finding::finding_lines(found);
                    view.acknowledged_by_name
                        .clone_from(&found.acknowledged_by_name);
                }
                view
            })
            .collect())
    }
}

impl From<Alert> for AlertView {
    fn from(alert: Alert) -> Self {
        AlertView {
            id: alert.id.to_string(),
            treatment_id: alert.treatment_id.to_string(),
            decision_id: alert.decision_id.to_string(),
            practitioner_id: alert.practitioner_id.to_string(),
            level: alert.level,
            high_priority: alert.level.is_high_priority(),
            created_at: rfc3339(alert.created_at),
            acknowledged_at: rfc3339_opt(alert.acknowledged_at),
            acknowledged_by: alert.acknowledged_by.map(|id| id.to_string()),
            acknowledged_by_name: None,
            finding: Vec::new(),
        }
    }
}

/// Which alerts to list.
#[derive(Debug, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AlertFilter {
    /// `open` (default): unacknowledged, most serious first, then oldest;
    /// `all`: every alert, newest first.
    state: Option<AlertState>,
    /// Only the alerts about this client, newest first: their alert history.
    client_id: Option<String>,
}

/// The values of `?state=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum AlertState {
    /// Unacknowledged alerts.
    Open,
    /// Every alert.
    All,
}

impl AlertState {
    /// The value of a `state` parameter.
    fn parse(text: &str) -> Result<AlertState, ApiError> {
        match text {
            "open" => Ok(AlertState::Open),
            "all" => Ok(AlertState::All),
            _ => Err(ApiError::invalid("state", "`open` or `all`")),
        }
    }
}

/// The clinic's alerts.
#[utoipa::path(
    get,
    path = "/api/v1/alerts",
    tag = "alerts",
    security(("bearer" = [])),
    params(AlertFilter, PositionPageParams),
    responses(
        (status = 200, description = "A page of alerts.", body = Page<AlertView>),
        (status = 401, response = responses::Unauthorized),
        (status = 404, response = responses::NotFound),
        (status = 422, response = responses::Unprocessable),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn list_alerts(
    State(state): State<AppState>,
    caller: Caller,
    mut query: QueryParams,
) -> Result<JsonResponse<Page<AlertView>>, ApiError> {
    let filter = AlertFilter {
        state: query
            .take("state")?
            .as_deref()
            .map(AlertState::parse)
            .transpose()?,
        client_id: query.take("client_id")?,
    };
    let page = PositionPageParams::take(&mut query)?;
    query.finish(&["state", "client_id", "limit", "after"])?;
    let open_only = filter.state != Some(AlertState::All);
    let clinic = &caller.0.clinic_id;
    let found = match &filter.client_id {
        None => state.store.list_alerts(clinic, open_only, &page).await?,
        Some(text) => {
            // An unknown client (or another clinic's) is "not found", not
            // an empty history, so a typo is noticed.
            let not_found = || ApiError::NotFound {
                what: "client",
                path: Some("client_id".to_owned()),
            };
            let client = ClientId::parse(text).ok_or_else(not_found)?;
            state
                .store
                .client(clinic, &client)
                .await
                .map_err(|error| match error {
                    aftercare_store::StoreError::NotFound(_) => not_found(),
                    other => other.into(),
                })?;
            state
                .store
                .list_client_alerts(clinic, &client, open_only, &page)
                .await?
        }
    };
    Ok(JsonResponse(Page {
        items: AlertView::with_findings(&state, found.items).await?,
        next: found.next,
    }))
}

/// Acknowledges an alert; acknowledging again keeps the first acknowledgement.
#[utoipa::path(
    post,
    path = "/api/v1/alerts/{id}/acknowledge",
    tag = "alerts",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Alert id.")),
    responses(
        (status = 200, description = "The acknowledged alert.", body = AlertView),
        (status = 401, response = responses::Unauthorized),
        (status = 404, response = responses::NotFound),
        (status = 422, response = responses::Unprocessable),
        (status = 503, response = responses::Unavailable),
    )
)]
pub(crate) async fn acknowledge_alert(
    State(state): State<AppState>,
    caller: Caller,
    id: PathParam,
) -> Result<JsonResponse<AlertView>, ApiError> {
    let id = id.id(AlertId::parse, "alert")?;
    let alert = state
        .store
        .acknowledge_alert(
            &caller.0.clinic_id,
            &id,
            &caller.0.practitioner_id,
            state.now(),
        )
        .await?;
    let mut views = AlertView::with_findings(&state, vec![alert]).await?;
    Ok(JsonResponse(views.remove(0)))
}
