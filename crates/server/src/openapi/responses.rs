//! The problem answers, as reusable OpenAPI responses. Each says when the
//! service gives it; all have the [`Problem`](crate::Problem) body.

use utoipa::ToResponse;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};

/// A problem response with a description.
fn problem(description: &str) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        crate::error::PROBLEM_JSON,
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build(),
    )
}

/// 400: the body is not well-formed JSON.
pub(crate) struct BadRequest;
/// 401: no API token, or an unknown or revoked one.
pub(crate) struct Unauthorized;
/// 403: the caller's role may not do this.
pub(crate) struct Forbidden;
/// 404: nothing with that id (or link) in the caller's clinic.
pub(crate) struct NotFound;
/// 409: conflicts with what is stored.
pub(crate) struct Conflict;
/// 410: the client's link has expired.
pub(crate) struct Gone;
/// 413: the body is too large.
pub(crate) struct PayloadTooLarge;
/// 415: the body is not sent as JSON.
pub(crate) struct UnsupportedMediaType;
/// 422: the input does not fit; fields named by path.
pub(crate) struct Unprocessable;
/// 429: a cap on check-ins per link and hour is reached.
pub(crate) struct TooManyRequests;
/// 503: the database is unavailable or the request took too long.
pub(crate) struct Unavailable;

impl<'r> ToResponse<'r> for BadRequest {
    fn response() -> (&'r str, RefOr<Response>) {
        let response = problem("The body is not well-formed JSON.");
        ("BadRequest", response.build().into())
    }
}

impl<'r> ToResponse<'r> for Unauthorized {
    fn response() -> (&'r str, RefOr<Response>) {
        let response = problem("No API token, or an unknown or revoked one.").header(
            "WWW-Authenticate",
            HeaderBuilder::new()
                .schema(ObjectBuilder::new().schema_type(Type::String))
                .description(Some("`Bearer`"))
                .build(),
        );
        ("Unauthorized", response.build().into())
    }
}

impl<'r> ToResponse<'r> for Forbidden {
    fn response() -> (&'r str, RefOr<Response>) {
        let response = problem("The caller's role may not do this.");
        ("Forbidden", response.build().into())
    }
}

impl<'r> ToResponse<'r> for NotFound {
    fn response() -> (&'r str, RefOr<Response>) {
        let response = problem(
            "Nothing with that id (or link) here; the same whether it exists in another clinic or not at all. \
             `path` names the request field when the id came in a body or query.",
        );
        ("NotFound", response.build().into())
    }
}

impl<'r> ToResponse<'r> for Conflict {
    fn response() -> (&'r str, RefOr<Response>) {
        let response = problem("The request conflicts with what is stored.");
        ("Conflict", response.build().into())
    }
}

impl<'r> ToResponse<'r> for Gone {
    fn response() -> (&'r str, RefOr<Response>) {
        let response = problem("The client's link has expired.");
        ("Gone", response.build().into())
    }
}

impl<'r> ToResponse<'r> for PayloadTooLarge {
    fn response() -> (&'r str, RefOr<Response>) {
        let response = problem("The body is larger than the service accepts.");
        ("PayloadTooLarge", response.build().into())
    }
}

impl<'r> ToResponse<'r> for UnsupportedMediaType {
    fn response() -> (&'r str, RefOr<Response>) {
        let response = problem("The body is not sent as `application/json`.");
        ("UnsupportedMediaType", response.build().into())
    }
}

impl<'r> ToResponse<'r> for Unprocessable {
    fn response() -> (&'r str, RefOr<Response>) {
        let response = problem(
            "The input does not fit: `errors` names each field by its path and what was expected.",
        );
        ("Unprocessable", response.build().into())
    }
}

impl<'r> ToResponse<'r> for Unavailable {
    fn response() -> (&'r str, RefOr<Response>) {
        let response = problem("The database is unavailable, or the request took too long.")
            .header(
                "Retry-After",
                HeaderBuilder::new()
                    .schema(ObjectBuilder::new().schema_type(Type::Integer))
                    .description(Some("Seconds to wait before trying again."))
                    .build(),
            );
        ("Unavailable", response.build().into())
    }
}

impl<'r> ToResponse<'r> for TooManyRequests {
    fn response() -> (&'r str, RefOr<Response>) {
        let response = problem(
            "The link has had as many check-ins this hour as it accepts \
             (`urn:aftercare:problem:too-many-checkins`).",
        )
        .header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(ObjectBuilder::new().schema_type(Type::Integer))
                .description(Some("Seconds until one more check-in is accepted."))
                .build(),
        );
        ("TooManyRequests", response.build().into())
    }
}
