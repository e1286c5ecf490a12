//! The doctor summary as a PDF: the same content as the printable page
//! (`summary.rs`), most serious answer first, on as many A4 pages as it
//! takes, so nothing is cut. Text is set in the shipped DejaVu Sans
//! (`pdf/font.rs`), so every name prints as written and can be copied or
//! extracted back as text.

mod chart;
mod document;
mod filename;
mod font;
mod layout;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::state::AppState;
use crate::web::error::WebError;
use crate::web::layout::set_page_headers;
use crate::web::session::Therapist;
use crate::web::summary::read_summary;
use document::summary_bytes;
use filename::disposition;

/// `GET /treatments/{id}/summary.pdf`.
pub(crate) async fn summary_pdf(
    State(state): State<AppState>,
    therapist: Therapist,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let summary = read_summary(&state, &therapist, &id).await?;
    let bytes = summary_bytes(&summary)
        .ok_or_else(|| WebError::Internal("the summary's font could not be embedded".to_owned()))?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    set_page_headers(headers);
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    let disposition = HeaderValue::from_str(&disposition(
        &summary.client.name,
        summary.made_at,
        &summary.clock,
    ))
    .map_err(|_| WebError::Internal("the summary's file name is not a header".to_owned()))?;
    headers.insert(header::CONTENT_DISPOSITION, disposition);
    Ok(response)
}
