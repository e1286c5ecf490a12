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
//! | `GET /clients/{id}/edit`, `POST /clients/{id}/edit` | correct a client's details (fields `name`, `email`, `phone`, `follow_up_consent`) |
//! | `GET /clients/{id}/erase`, `POST /clients/{id}/erase` | the owner erases a client, after ticking `confirm` |
//! | `GET /clients/{id}/export` | the client's record as a JSON file to give them |
//! | `GET /clients/{id}/treatments/new`, `POST /clients/{id}/treatments` | record a treatment (fields `at`, `modality`, `pressure`, `duration_min`, `regions`, `notes`) |
//! | `GET /treatments/{id}` | course view: `#client-link` (when just recorded, with a QR code), `svg#timeline`, check-ins and decisions |
//! | `GET /treatments/{id}/edit`, `POST /treatments/{id}/edit` | correct a treatment (the fields of recording one); the course is answered again |
//! | `GET /treatments/{id}/summary` | doctor summary, one printable page |
//! | `GET /treatments/{id}/summary.pdf` | the same as a PDF |
//! | `GET /c/{link}`, `POST /c/{link}` | the client's check-in form; the answer shows `#decision[data-level]`, level heading first |
//! | `GET /c/{link}/course` | the client's course so far |
//! | `GET /self-check`, `POST /self-check` | self-check without a clinic; offers a private diary link |
//! | `GET /self-check/d/{link}`, `POST /self-check/d/{link}` | a self-check diary: the course so far and the next check-in |
//! | `GET /self-check/d/{link}/erase`, `POST /self-check/d/{link}/erase` | the diary's holder erases it, after ticking `confirm` |
//!
//! Every form carries a hidden `csrf_token`. Signed-in forms send the
//! session's token (kept with the session on the server); forms without a
//! session (login, setup, check-in, self-check) send the value of the
//! `ac_csrf` cookie (double submit). A POST without the right token is
//! refused with 403 and changes nothing.
//!
//! The check-in form names its fields after the check-in format: a
//! checkbox `symptom` per kind (value = kind), and per kind the answers
//! the question table asks (`questions.rs`): `{kind}.severity`,
//! `{kind}.frequency`, `{kind}.interference`, `{kind}.regions`
//! (checkboxes), `{kind}.side`, `{kind}.painful`, `{kind}.warm_or_red`
//! (checkboxes, value `yes`), `{kind}.sudden` (`yes` / `no`), for
//! fainting `fainting.while_lying_down`, `fainting.while_exercising`,
//! `fainting.seizure`, `fainting.injured`, and `{kind}.gone` ("it has
//! gone since my last check-in", offered for what was reported last).
//! Any answer about a symptom means it is present, ticked or not; gone
//! (or severity `none`) drops the rest. Context fields: `hydration`,
//! `sleep_hours`, `stress`, `caffeine_cups`, `new_medication`,
//! `strenuous_exercise`, `pregnant`, `anticoagulants`, and
//! `seen_by_clinician` (`yes` / `no`, asked only after an answer at
//! `see_doctor` or above, never pre-filled); and `note`. The rarer warning
//! signs sit in one fold of their own (`details.signs`). Every input has
//! an `id` and a `<label for>` (yes / no questions: a `fieldset` with a
//! `legend`); ids are the field names with `.` replaced by `-`.

mod answer;
mod assets;
mod chart;
mod checkin;
mod checkin_form;
mod clients;
mod course;
mod dashboard;
mod error;
pub(crate) mod finding;
mod form;
mod layout;
mod pdf;
mod questions;
mod reach;
mod records;
mod selfcheck;
mod session;
mod setup;
mod team;
mod words;

pub use session::password_hash;

pub(crate) use error::refused_text_page;

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
        super::checkin_form::read_checkin(&FormData::parse(body), now)
            .map_err(|found| errors(&found))
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
        .get("/clients/{id}/edit", Access::SignedIn, records::client_form)
        .post("/clients/{id}/edit", Access::SignedIn, records::client_save)
        .get("/clients/{id}/erase", Access::SignedIn, records::erase_form)
        .post("/clients/{id}/erase", Access::SignedIn, records::erase)
        .get("/clients/{id}/export", Access::SignedIn, records::export)
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
            "/treatments/{id}/edit",
            Access::SignedIn,
            records::treatment_form,
        )
        .post(
            "/treatments/{id}/edit",
            Access::SignedIn,
            records::treatment_save,
        )
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
        .get(
            "/self-check/d/{link}/erase",
            Access::LinkPage,
            records::diary_erase_form,
        )
        .post(
            "/self-check/d/{link}/erase",
            Access::LinkPage,
            records::diary_erase,
        )
}
