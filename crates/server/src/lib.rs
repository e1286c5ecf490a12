//! Aftercare's HTTP service: the JSON API under `/api/v1`, the web pages
//! (see [`web`]), health checks,
//! metrics and the OpenAPI document.
//!
//! [`router`] builds the whole application from an [`AppState`];
//! [`launch`] serves it on a listener until a shutdown signal, then lets
//! in-flight requests finish and closes the store. Tests and the CLI use
//! the same two functions, so what is tested is what runs.

mod api;
mod auth;
mod error;
mod extract;
mod health;
mod input;
mod listen;
mod metrics;
mod network;
mod observe;
mod openapi;
mod pagination;
mod routes;
pub mod scheduler;
mod settings;
mod state;
mod throttle;
mod time_format;
mod usecases;
pub mod web;

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;

pub use aftercare_delivery::{
    Delivery, Networks, SmtpPassword, SmtpSettings, SmtpTls, WebhookAllow,
};
pub use error::{ApiError, FieldError, Problem};
pub use openapi::ApiDoc;
pub use routes::{Access, Route, route_table};
pub use scheduler::{PassReport, Scheduler, SchedulerOptions};
pub use settings::ServerSettings;
pub use state::{AppState, Clock};

/// The whole application: every route, with its middleware, over `state`.
pub fn router(state: AppState) -> Router {
    let max_body_bytes = state.settings.max_body_bytes;
    let https = state.settings.is_https();
    let (routes, _) = routes::table().into_parts();
    let app = routes
        .fallback(observe::no_such_route)
        .method_not_allowed_fallback(observe::method_not_allowed)
        // Layers run bottom-up for a request: the last added is the outermost.
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(CatchPanicLayer::custom(observe::panic_response))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            observe::time_limit,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            observe::observe,
        ))
        .layer(security_header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(security_header(header::REFERRER_POLICY, "no-referrer"))
        // Pages and assets set their own policy and caching; everything
        // else gets the strictest.
        .layer(default_header(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'",
        ))
        .layer(default_header(header::CACHE_CONTROL, "no-store"))
        .layer(axum::middleware::from_fn(observe::request_id))
        .with_state(state);
    if https {
        // Served over HTTPS (behind a proxy that ends TLS): browsers keep
        // to HTTPS for a year, so a network on the way cannot downgrade
        // the next visit and read the session cookie.
        app.layer(security_header(
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000",
        ))
    } else {
        app
    }
}

/// Whether a text is an email address the service accepts (the API, the
/// pages and the command line ask the same).
pub fn is_email_address(text: &str) -> bool {
    input::is_email(text)
}

/// A layer that sets a response header, replacing any value a handler set.
fn security_header(
    name: header::HeaderName,
    value: &'static str,
) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
}

/// A layer that sets a response header unless the handler set it.
fn default_header(
    name: header::HeaderName,
    value: &'static str,
) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

/// Serves the application on `listener` until `shutdown` completes, then
/// stops accepting connections, lets in-flight requests finish, and closes
/// the store.
pub async fn launch(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let store = state.store.clone();
    let metrics = state.metrics.clone();
    let limits = listen::Limits {
        max_connections: state.settings.max_connections,
        header_read_timeout: state.settings.header_read_timeout,
    };
    let app = router(state);
    // Histogram samples pile up between scrapes; fold them in regularly
    // so memory stays flat even when nobody scrapes `/metrics`.
    let upkeep = tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(5));
        loop {
            every.tick().await;
            metrics.run_upkeep();
        }
    });
    if let Ok(address) = listener.local_addr() {
        tracing::info!(%address, "listening");
    }
    // Each request carries its peer's address, which the limits per
    // address count (see `auth::client_address`).
    listen::serve(listener, app, limits, shutdown).await;
    upkeep.abort();
    store.close().await;
    tracing::info!("stopped; the store is closed");
    Ok(())
}
