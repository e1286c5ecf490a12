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

pub use session::password_hash;

/// The readers of outside form bodies, for the fuzz targets and their
/// corpus replay: each must answer any bytes with a value or field errors,
/// never a panic.
#[doc(hidden)]
pub mod fuzzing {
    use super::form::FormData;

    /// Field errors as (field, message) pairs.
    pub type Errors = Vec<(String, String)>;

    fn errors(found: &super::form::FieldErrors) -> Errors {
        found
            .iter()
            .map(|(field, message)| (field.to_owned(), message.to_owned()))
            .collect()
    }

    /// The client's check-in form.
    pub fn checkin_form(body: &[u8], now: i64) -> Result<aftercare_core::Checkin, Errors> {
        super::checkin::read_checkin(&FormData::parse(body), now).map_err(|found| errors(&found))
    }

    /// The therapist's "record a treatment" form.
    pub fn treatment_form(body: &[u8], now: i64) -> Result<aftercare_core::Treatment, Errors> {
        super::clients::read_treatment(&FormData::parse(body), now, 30)
            .map(|(details, _)| details)
            .map_err(|found| errors(&found))
    }

    /// The self-check's first form (when and what the treatment was).
    pub fn selfcheck_form(body: &[u8], now: i64) -> Result<aftercare_core::Treatment, Errors> {
        let mut found = super::form::FieldErrors::default();
        super::selfcheck::read_treatment(&FormData::parse(body), now, &mut found)
            .ok_or_else(|| errors(&found))
    }
}
pub use setup::first_run_setup_link;

use crate::routes::{Access, RouteTable};

/// Every page route.
pub(crate) fn routes(table: RouteTable) -> RouteTable {
    table
        .get("/", Access::PublicPage, layout::landing)
        .get("/assets/app.css", Access::PublicPage, assets::stylesheet)
        .get("/setup/{token}", Access::LinkPage, setup::form)
        .post("/setup/{token}", Access::LinkPage, setup::submit)
        .get("/login", Access::PublicPage, session::login_form)
        .post("/login", Access::PublicPage, session::login)
        .post("/logout", Access::SignedIn, session::logout)
        .get("/dashboard", Access::SignedIn, dashboard::dashboard)
        .post(
            "/alerts/{id}/acknowledge",
            Access::SignedIn,
            dashboard::acknowledge,
        )
        .get("/team", Access::SignedIn, team::list)
        .post("/team", Access::SignedIn, team::add)
        .get("/clients", Access::SignedIn, clients::list)
        .post("/clients", Access::SignedIn, clients::create)
        .get("/clients/{id}", Access::SignedIn, clients::show)
        .get(
            "/clients/{id}/treatments/new",
            Access::SignedIn,
            clients::new_treatment_form,
        )
        .post(
            "/clients/{id}/treatments",
            Access::SignedIn,
            clients::create_treatment,
        )
        .get("/treatments/{id}", Access::SignedIn, course::course_view)
        .get(
            "/treatments/{id}/summary",
            Access::SignedIn,
            course::summary,
        )
        .get(
            "/treatments/{id}/summary.pdf",
            Access::SignedIn,
            pdf::summary_pdf,
        )
        .get("/c/{link}", Access::LinkPage, checkin::form)
        .post("/c/{link}", Access::LinkPage, checkin::submit)
        .get("/c/{link}/course", Access::LinkPage, checkin::course)
        .get("/self-check", Access::PublicPage, selfcheck::form)
        .post("/self-check", Access::PublicPage, selfcheck::submit)
        .get("/self-check/d/{link}", Access::LinkPage, selfcheck::diary)
        .post(
            "/self-check/d/{link}",
            Access::LinkPage,
            selfcheck::diary_submit,
        )
}
