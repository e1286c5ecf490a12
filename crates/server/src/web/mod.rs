//! The web app: HTML pages served by the same binary as the API, made on
//! the server with compile-checked, auto-escaping maud templates, working
//! without JavaScript and in print.
//!
//! # Routes
//!
//! | route | what |
//! |---|---|
//! | `GET /` | landing: links to the self-check and the therapist login |
//! | `GET /assets/app.css` | the one stylesheet (print rules included) |
//! | `GET /setup/{token}`, `POST /setup/{token}` | first-run setup: fields `clinic_name`, `name`, `email`, `password` |
//! | `GET /login`, `POST /login` | fields `email`, `password` |
//! | `POST /logout` | ends the session |
//! | `GET /dashboard` | open alerts, most serious first then oldest: each in `.alert[data-level]` with an "Acknowledge" button |
//! | `POST /alerts/{id}/acknowledge` | acknowledges, back to the dashboard |
//! | `GET /team`, `POST /team` | the owner's team page; adds a therapist (fields `name`, `email`, `password`) |
//! | `GET /clients`, `POST /clients` | clients; fields `name`, `email`, `follow_up_consent` |
//! | `GET /clients/{id}` | a client and their treatments |
//! | `GET /clients/{id}/treatments/new`, `POST /clients/{id}/treatments` | record a treatment (fields `at`, `modality`, `pressure`, `duration_min`, `regions`, `notes`) |
//! | `GET /treatments/{id}` | course view: `#client-link` (when just recorded, with a QR code), `svg#timeline`, check-ins and decisions |
//! | `GET /treatments/{id}/summary` | doctor summary, one printable page |
//! | `GET /treatments/{id}/summary.pdf` | the same as a PDF |
//! | `GET /c/{link}`, `POST /c/{link}` | the client's check-in form; the answer shows `#decision[data-level]`, level heading first |
//! | `GET /c/{link}/course` | the client's course so far |
//! | `GET /self-check`, `POST /self-check` | self-check without a clinic; offers a private diary link |
//! | `GET /self-check/d/{link}`, `POST /self-check/d/{link}` | a self-check diary: the course so far and the next check-in |
//!
//! Every form carries a hidden `csrf_token`. Signed-in forms send the
//! session's token (kept with the session on the server); forms without a
//! session (login, setup, check-in, self-check) send the value of the
//! `ac_csrf` cookie (double submit). A POST without the right token is
//! refused with 403 and changes nothing.
//!
//! The check-in form names its fields after the check-in format: a
//! checkbox `symptom` per kind (value = kind), and per kind
//! `{kind}.severity`, `{kind}.frequency`, `{kind}.interference`,
//! `{kind}.regions` (checkboxes), `{kind}.side`, `{kind}.painful`,
//! `{kind}.sudden`, `{kind}.warm_or_red`; context fields `hydration`,
//! `sleep_hours`, `stress`, `caffeine_cups`, `new_medication`,
//! `strenuous_exercise`, `pregnant`, `anticoagulants`; and `note`. Every
//! input has an `id` and a `<label for>`; ids are the field names with `.`
//! replaced by `-`.

mod assets;
mod chart;
mod checkin;
mod clients;
mod course;
mod dashboard;
mod error;
mod form;
mod layout;
mod pdf;
mod selfcheck;
mod session;
mod setup;
mod team;
mod words;

use axum::Router;
use axum::routing::{get, post};

pub use session::password_hash;
pub use setup::first_run_setup_link;

use crate::state::AppState;

/// Every page route.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(layout::landing))
        .route("/assets/app.css", get(assets::stylesheet))
        .route("/setup/{token}", get(setup::form).post(setup::submit))
        .route("/login", get(session::login_form).post(session::login))
        .route("/logout", post(session::logout))
        .route("/dashboard", get(dashboard::dashboard))
        .route("/alerts/{id}/acknowledge", post(dashboard::acknowledge))
        .route("/team", get(team::list).post(team::add))
        .route("/clients", get(clients::list).post(clients::create))
        .route("/clients/{id}", get(clients::show))
        .route(
            "/clients/{id}/treatments/new",
            get(clients::new_treatment_form),
        )
        .route("/clients/{id}/treatments", post(clients::create_treatment))
        .route("/treatments/{id}", get(course::course_view))
        .route("/treatments/{id}/summary", get(course::summary))
        .route("/treatments/{id}/summary.pdf", get(pdf::summary_pdf))
        .route("/c/{link}", get(checkin::form).post(checkin::submit))
        .route("/c/{link}/course", get(checkin::course))
        .route("/self-check", get(selfcheck::form).post(selfcheck::submit))
        .route(
            "/self-check/d/{link}",
            get(selfcheck::diary).post(selfcheck::diary_submit),
        )
}
