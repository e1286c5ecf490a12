//! The frame every page shares, the landing page, and how a page becomes
//! a response with the headers pages need.

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

/// Pages load only their own stylesheet and images: no script at all, no
/// inline style, and forms post only back to this service.
pub(crate) const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// What a signed-in page shows in its header.
pub(crate) struct Nav<'a> {
    /// The clinic's name.
    pub(crate) clinic_name: &'a str,
    /// The session's form token, for the sign-out button.
    pub(crate) csrf_token: &'a str,
    /// Whether the team page is theirs to open.
    pub(crate) is_owner: bool,
}

/// A whole HTML document around `content`.
pub(crate) fn page(title: &str, nav: Option<&Nav<'_>>, content: &Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Aftercare" }
                link rel="stylesheet" href="/assets/app.css";
            }
            body {
                a class="skip" href="#main" { "Skip to content" }
                header class="top" {
                    a class="brand" href=(if nav.is_some() { "/dashboard" } else { "/" }) { "Aftercare" }
                    @if let Some(nav) = nav {
                        nav aria-label="Main" {
                            span class="clinic" { (nav.clinic_name) }
                            a href="/dashboard" { "Alerts" }
                            a href="/clients" { "Clients" }
                            @if nav.is_owner { a href="/team" { "Team" } a href="/settings" { "Settings" } }
                            form method="post" action="/logout" class="inline" {
                                input type="hidden" name="csrf_token" value=(nav.csrf_token);
                                button type="submit" class="link" { "Sign out" }
                            }
                        }
                    }
                }
                main id="main" { (content) }
                footer class="foot" {
                    p { "Aftercare is decision support, not a diagnosis. If you are worried, contact a doctor; in an emergency call your local emergency number." }
                }
            }
        }
    }
}

/// A page as a response: HTML with the page security headers, never cached
/// (pages carry health data), and any cookies to set.
pub(crate) struct PageResponse {
    markup: Markup,
    status: StatusCode,
    cookies: Vec<String>,
}

impl PageResponse {
    /// A 200 page.
    pub(crate) fn new(markup: Markup) -> PageResponse {
        PageResponse {
            markup,
            status: StatusCode::OK,
            cookies: Vec::new(),
        }
    }

    /// The same page with another status.
    pub(crate) fn with_status(mut self, status: StatusCode) -> PageResponse {
        self.status = status;
        self
    }

    /// The same page, setting a cookie (a complete `Set-Cookie` value).
    pub(crate) fn with_cookie(mut self, cookie: Option<String>) -> PageResponse {
        self.cookies.extend(cookie);
        self
    }
}

impl IntoResponse for PageResponse {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.markup.into_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        set_page_headers(headers);
        for cookie in self.cookies {
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                headers.append(header::SET_COOKIE, value);
            }
        }
        response
    }
}

/// The security headers of every page and of every redirect between pages.
pub(crate) fn set_page_headers(headers: &mut axum::http::HeaderMap) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGE_CSP),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
}

/// A 303 to `location` (after a form post), setting cookies.
pub(crate) fn see_other(location: &str, cookies: &[String]) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(location) {
        headers.insert(header::LOCATION, value);
    }
    set_page_headers(headers);
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(cookie) {
            headers.append(header::SET_COOKIE, value);
        }
    }
    response
}

/// `GET /`: where people start.
pub(crate) async fn landing() -> PageResponse {
    PageResponse::new(page(
        "Welcome",
        None,
        &html! {
            h1 { "Aftercare" }
            p class="lead" { "Follow-up after a massage or manual therapy: is what you feel a normal reaction, or does it need attention?" }
            div class="choices" {
                a class="button" href="/self-check" { "Check how you feel after a treatment" }
                a class="button secondary" href="/login" { "Therapist sign-in" }
            }
            p { "If your therapist sent you a link, open that link instead: your answers then reach your therapist." }
        },
    ))
}
