//! The stylesheet, built into the binary: no CDN, nothing to install.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The one stylesheet of every page, print rules included.
const APP_CSS: &str = include_str!("assets/app.css");

/// `GET /assets/app.css`.
pub(crate) async fn stylesheet() -> Response {
    let mut response = APP_CSS.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    // No health data here: browsers may keep it for a day.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    response
}
