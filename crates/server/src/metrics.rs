//! Prometheus metrics: requests by route pattern and status, their
//! latency, check-ins submitted and decisions by level.
//!
//! Each [`AppState`] has its own recorder rather than a process-wide one,
//! so several servers (as in the tests) never share or fight over counters.

use std::sync::Arc;
use std::time::Duration;

use aftercare_core::Level;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

use crate::error::ApiError;
use crate::state::AppState;

const REQUESTS: &str = "aftercare_http_requests_total";
const REQUEST_SECONDS: &str = "aftercare_http_request_duration_seconds";
const CHECKINS: &str = "aftercare_checkins_submitted_total";
const DECISIONS: &str = "aftercare_decisions_total";

/// Latency buckets, in seconds: most requests are a few milliseconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Where a decision was made.
#[derive(Clone, Copy, Debug)]
pub(crate) enum DecisionSource {
    /// `POST /api/v1/triage`, nothing stored.
    Triage,
    /// A check-in sent with a client's link.
    Checkin,
}

/// The service's metrics.
#[derive(Clone, Debug)]
pub(crate) struct Metrics {
    recorder: Arc<PrometheusRecorder>,
    handle: PrometheusHandle,
}

impl Metrics {
    /// A fresh set of metrics, with descriptions.
    pub(crate) fn new() -> Metrics {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(REQUEST_SECONDS.to_owned()), LATENCY_BUCKETS)
            // Only fails for an empty bucket list; then latency is a summary.
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        let metrics = Metrics {
            recorder: Arc::new(recorder),
            handle,
        };
        metrics.with(|| {
            metrics::describe_counter!(
                REQUESTS,
                "HTTP requests answered, by method, route pattern and status."
            );
            metrics::describe_histogram!(
                REQUEST_SECONDS,
                metrics::Unit::Seconds,
                "Time to answer an HTTP request, by method and route pattern."
            );
            metrics::describe_counter!(
                CHECKINS,
                "Check-ins stored (replays of an Idempotency-Key not counted)."
            );
            metrics::describe_counter!(DECISIONS, "Triage decisions made, by level and source.");
        });
        metrics
    }

    /// Runs `record` with this state's recorder.
    fn with(&self, record: impl FnOnce()) {
        metrics::with_local_recorder(self.recorder.as_ref(), record);
    }

    /// Counts an answered request.
    pub(crate) fn record_request(&self, method: &str, route: &str, status: u16, took: Duration) {
        let (method, route) = (method.to_owned(), route.to_owned());
        self.with(|| {
            metrics::counter!(REQUESTS, "method" => method.clone(), "route" => route.clone(), "status" => status.to_string())
                .increment(1);
            metrics::histogram!(REQUEST_SECONDS, "method" => method, "route" => route)
                .record(took.as_secs_f64());
        });
    }

    /// Counts a stored check-in.
    pub(crate) fn record_checkin(&self) {
        self.with(|| metrics::counter!(CHECKINS).increment(1));
    }

    /// Counts a decision.
    pub(crate) fn record_decision(&self, level: Level, source: DecisionSource) {
        let source = match source {
            DecisionSource::Triage => "triage",
            DecisionSource::Checkin => "checkin",
        };
        self.with(|| {
            metrics::counter!(DECISIONS, "level" => level.as_str(), "source" => source)
                .increment(1);
        });
    }

    /// Folds recent histogram samples in, so they do not pile up between scrapes.
    pub(crate) fn run_upkeep(&self) {
        self.handle.run_upkeep();
    }

    /// The metrics in the Prometheus text format.
    fn render(&self) -> String {
        self.handle.render()
    }
}

/// `GET /metrics`, when the operator turned metrics on; 404 otherwise.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses(
        (status = 200, description = "Metrics in the Prometheus text exposition format.", body = String, content_type = "text/plain"),
        (status = 404, response = crate::openapi::responses::NotFound),
    )
)]
pub(crate) async fn render(State(state): State<AppState>) -> Response {
    // Off unless the operator turns it on: the counts span every clinic.
    if !state.settings.metrics {
        return ApiError::NoSuchRoute.into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        state.metrics.render(),
    )
        .into_response()
}
