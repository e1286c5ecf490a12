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
//! | `GET /account/password`, `POST /account/password` | change one's own password (fields `current_password`, `new_password`); the only page open while the owner's first password must be changed |
//! | `GET /forgot-password`, `POST /forgot-password` | asks for a reset link by email (field `email`); the same answer for every email |
//! | `GET /reset/{token}`, `POST /reset/{token}` | a one-time reset link: field `new_password` |
//! | `GET /dashboard` | open alerts, most serious first then oldest: each in `.alert[data-level]` with an "Acknowledge" button |
//! | `POST /alerts/{id}/acknowledge` | acknowledges, back to the dashboard |
//! | `GET /settings`, `POST /settings` | the owner's clinic settings: fields `country` (ISO 3166-1 alpha-2 code of a country the phone table knows, or empty) and `time_zone` (an IANA name) |
//! | `GET /team`, `POST /team` | the owner's team page; adds a therapist (fields `name`, `email`, `password`) |
//! | `GET /team/{id}/deactivate`, `POST /team/{id}/deactivate` | the owner deactivates a therapist, after ticking `confirm` |
//! | `POST /team/{id}/reactivate` | the owner reactivates a therapist |
//! | `POST /team/{id}/reset-link` | the owner makes a one-time reset link for a therapist, shown once |
//! | `GET /team/{id}/transfer`, `POST /team/{id}/transfer` | the owner hands the clinic to a therapist (fields `current_password`, `confirm`) |
//! | `GET /clients`, `POST /clients` | clients; fields `name`, `email`, `phone`, `follow_up_consent` |
//! | `GET /clients/{id}` | a client, their treatments and their alert history (`#alert-history`) |
//! | `GET /clients/{id}/edit`, `POST /clients/{id}/edit` | correct a client's details (fields `name`, `email`, `phone`, `follow_up_consent`) |
//! | `GET /clients/{id}/erase`, `POST /clients/{id}/erase` | the owner erases a client, after ticking `confirm` |
//! | `GET /clients/{id}/export` | the client's record as a JSON file to give them |
//! | `GET /clients/{id}/treatments/new`, `POST /clients/{id}/treatments` | record a treatment (fields `at`, a wall clock time in the clinic's time zone, `modality`, `pressure`, `duration_min`, `regions`, `notes`) |
//! | `GET /treatments/{id}` | course view: the link section (`#client-link` with a QR code when a link was just made; `#loopback-warning` when phones cannot open links), `svg#timeline`, check-ins and decisions |
//! | `POST /treatments/{id}/link` | a new client link (the old one stops working), shown once on the course page |
//! | `POST /treatments/{id}/link/email`, `POST /treatments/{id}/link/sms` | a new client link, sent by email or by text message (the clinic's webhook) |
//! | `GET /treatments/{id}/edit`, `POST /treatments/{id}/edit` | correct a treatment (the fields of recording one); the course is answered again |
//! | `GET /treatments/{id}/summary` | doctor summary, printable, the most serious answer first |
//! | `GET /treatments/{id}/summary.pdf` | the same as a PDF |
//! | `GET /c/{link}?step={step}`, `POST /c/{link}` | the client's check-in, one thing per page (the first page when no step is named); a POST with a `step` field keeps that page's answers and answers 303 to the next page, with `step=check` sends the check-in; a POST without one is the whole check-in in one form. The answer shows `#decision[data-level]`, level heading first |
//! | `GET /c/{link}/course` | the client's course so far |
//! | `GET /self-check?step={step}`, `POST /self-check` | self-check without a clinic, the same pages after one about the treatment (fields `hours_ago`, `modality`); offers a private diary link |
//! | `GET /self-check/d/{link}`, `POST /self-check/d/{link}` | a self-check diary: the course so far; with `?step=`, the pages of its next check-in, posted as on `/c/{link}` |
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
//! signs sit in one fold of their own (`details.signs`).
//!
//! The same fields are asked one thing per page (`checkin_flow/`),
//! steps in this order: `last` (later check-ins only: `{kind}.now` =
//! `still`, `better` or `gone` for each thing reported last time; gone
//! sends `{kind}.gone`, the others tick `symptom` and fill its questions
//! in again), `feel` (the `symptom` ticks, the warning signs in
//! `fieldset.signs`, or `nothing`), one page per chosen kind named after
//! it (e.g. `step=fever`; only the questions the table asks), `background`,
//! `note`, `check` (every answer in words, each with a "Change" link,
//! `?then=check` comes back there). Each page's form sends `csrf_token`,
//! `step`, `then` and its own fields; the answers are kept on the server
//! in a draft under the link (the self-check: under a random id in the
//! `ac_draft` cookie, HttpOnly, SameSite=Strict) until sent or expired.
//! Every input has
//! an `id` and a `<label for>` (yes / no questions: a `fieldset` with a
//! `legend`); ids are the field names with `.` replaced by `-`.

mod account;
mod answer;
mod assets;
mod chart;
mod checkin;
mod checkin_flow;
mod checkin_form;
mod clients;
mod course;
mod dashboard;
mod error;
pub(crate) mod finding;
mod form;
mod guidance;
mod layout;
pub(crate) mod links;
mod pdf;
mod questions;
mod reach;
mod records;
mod selfcheck;
mod session;
mod settings;
mod setup;
mod summary;
mod team;
mod words;

pub use session::password_hash;

pub(crate) use account::{check_current_password, issue_reset_link, new_password_problem};

/// [`password_hash`] off the async threads, a few at a time, for the API.
pub(crate) async fn password_hash_off_thread(
    state: &crate::state::AppState,
    password: String,
) -> Result<String, String> {
    session::hash_password(state, password)
        .await
        .map_err(|error| error.to_string())
}

pub(crate) use error::refused_text_page;

/// The hash of a secret token taken from a page's path, or "not found"
/// (naming `what`) for text that cannot be a token starting with `prefix`.
fn path_token_hash(
    token: &str,
    prefix: &str,
    what: &'static str,
) -> Result<String, error::WebError> {
    if crate::usecases::plausible_token(token, prefix) {
        Ok(aftercare_store::secret::hash_text(token))
    } else {
        Err(error::WebError::NotFound(what))
    }
}

impl From<crate::usecases::UseCaseError> for error::WebError {
    fn from(refused: crate::usecases::UseCaseError) -> Self {
        use crate::usecases::UseCaseError;
        match refused {
            UseCaseError::Store(error) => error.into(),
            UseCaseError::NotFound(what) => error::WebError::NotFound(what),
            UseCaseError::Invalid { expected, .. } => error::WebError::Invalid(expected),
            UseCaseError::LinkLifetimeOver => error::WebError::Conflict(
                "This treatment's link has reached the end of its lifetime, so a new one would \
                 not work either. Nothing was changed."
                    .to_owned(),
            ),
            UseCaseError::NoRoute(why) => error::WebError::Conflict(format!(
                "No message can carry the link: {why}. Nothing was changed; make a new link and \
                 give it to the client yourself."
            )),
        }
    }
}

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

    /// The client's check-in entered one page at a time: each `step`
    /// field starts a page (see `checkin_flow::replay`). Answers the
    /// fields of the draft the pages left, and the draft read as sending
    /// reads it.
    pub fn checkin_steps(
        body: &[u8],
        now: i64,
    ) -> (
        Vec<(String, String)>,
        Result<aftercare_core::Checkin, Errors>,
    ) {
        let (draft, read) = super::checkin_flow::replay(&FormData::parse(body), now);
        (
            draft.fields().to_vec(),
            read.map_err(|found| errors(&found)),
        )
    }

    /// The fields of a form body, in order.
    pub fn form_fields(body: &[u8]) -> Vec<(String, String)> {
        FormData::parse(body).fields().to_vec()
    }

    /// The therapist's "record a treatment" form.
    pub fn treatment_form(body: &[u8], now: i64) -> Result<aftercare_core::Treatment, Errors> {
        super::clients::read_treatment(
            &FormData::parse(body),
            now,
            30,
            &crate::time_format::ClinicTime::utc(),
        )
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
    client_and_course_pages(sign_in_and_clinic_pages(table))
}

/// The landing page, sign-in and accounts, the dashboard, settings, the
/// team and the list of clients.
fn sign_in_and_clinic_pages(table: RouteTable) -> RouteTable {
    table
        .get("/", Access::PublicPage, layout::landing)
        .get("/assets/app.css", Access::PublicPage, assets::stylesheet)
        .get("/setup/{token}", Access::LinkPage, setup::form)
        .post("/setup/{token}", Access::LinkPage, setup::submit)
        .get("/login", Access::PublicPage, session::login_form)
        .post("/login", Access::PublicPage, session::login)
        .post("/logout", Access::SignedIn, session::logout)
        .get(
            "/account/password",
            Access::SignedIn,
            account::password_form,
        )
        .post(
            "/account/password",
            Access::SignedIn,
            account::change_password,
        )
        .get("/forgot-password", Access::PublicPage, account::forgot_form)
        .post("/forgot-password", Access::PublicPage, account::forgot)
        .get("/reset/{token}", Access::LinkPage, account::reset_form)
        .post("/reset/{token}", Access::LinkPage, account::reset)
        .get("/dashboard", Access::SignedIn, dashboard::dashboard)
        .post(
            "/alerts/{id}/acknowledge",
            Access::SignedIn,
            dashboard::acknowledge,
        )
        .get("/settings", Access::SignedIn, settings::form)
        .post("/settings", Access::SignedIn, settings::save)
        .get("/team", Access::SignedIn, team::list)
        .post("/team", Access::SignedIn, team::add)
        .get(
            "/team/{id}/deactivate",
            Access::SignedIn,
            team::deactivate_form,
        )
        .post("/team/{id}/deactivate", Access::SignedIn, team::deactivate)
        .post("/team/{id}/reactivate", Access::SignedIn, team::reactivate)
        .post("/team/{id}/reset-link", Access::SignedIn, team::reset_link)
        .get("/team/{id}/transfer", Access::SignedIn, team::transfer_form)
        .post("/team/{id}/transfer", Access::SignedIn, team::transfer)
        .get("/clients", Access::SignedIn, clients::list)
}

/// A client's pages, treatments, and what a client reaches by link or by
/// self-check.
fn client_and_course_pages(table: RouteTable) -> RouteTable {
    table
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
        .post("/treatments/{id}/link", Access::SignedIn, links::show)
        .post(
            "/treatments/{id}/link/email",
            Access::SignedIn,
            links::email,
        )
        .post(
            "/treatments/{id}/link/sms",
            Access::SignedIn,
            links::text_message,
        )
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
            summary::summary,
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
