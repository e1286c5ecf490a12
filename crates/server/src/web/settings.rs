//! The clinic's settings page, for its owner: the country (which decides
//! the emergency and medical help numbers clients are shown) and the time
//! zone its pages show and read times in. The other follow-up settings
//! (plan, reminders, quiet time, webhook) are kept as they are; the JSON
//! API changes those.
//!
//! Saving writes the clinic's follow-up settings in one transaction with
//! its audit event (`followup_settings.update`).

use aftercare_core::phone_numbers::{COUNTRIES, numbers_for};
use aftercare_store::{Actor, FollowupSettings};
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use crate::state::AppState;
use crate::web::error::WebError;
use crate::web::form::{FieldErrors, FormData, error_line, field_id, text_input};
use crate::web::layout::{PageResponse, page, see_other};
use crate::web::session::Therapist;

/// The page, with the values shown (stored, or as sent) and any errors.
fn settings_page(
    therapist: &Therapist,
    country: &str,
    time_zone: &str,
    errors: &FieldErrors,
    saved: bool,
) -> Markup {
    let country_id = field_id("country");
    let country_invalid = errors.get("country").is_some();
    page(
        "Settings",
        Some(&therapist.nav()),
        &html! {
            h1 { "Clinic settings" }
            @if saved { p class="notice" role="status" { "Settings saved." } }
            @if !errors.is_empty() { p class="error" role="alert" { "Some answers need a change: see below." } }
            form method="post" action="/settings" {
                input type="hidden" name="csrf_token" value=(therapist.0.csrf_token);
                label for=(country_id) { "Country" }
                select id=(country_id) name="country"
                    aria-invalid=[country_invalid.then_some("true")]
                    aria-describedby=[country_invalid.then(|| format!("{country_id}-error"))] {
                    option value="" selected[country.is_empty()] { "Not set, or not in this list" }
                    @for known in COUNTRIES {
                        option value=(known.code) selected[known.code == country] { (known.name) }
                    }
                }
                (error_line(errors, "country"))
                p class="muted" {
                    "Clients are shown the emergency number of this country, and its medical help line where it has one, as links to call. "
                    "Without a country they are told to call their local emergency number."
                }
                (text_input("text", "time_zone", "Time zone", time_zone, errors, "off"))
                p class="muted" { "A time zone name such as Europe/London, Europe/Berlin, America/New_York or UTC. Times on every page of the clinic are shown in it, and the time of a treatment is entered in it." }
                p { button type="submit" { "Save the settings" } }
            }
        },
    )
}

/// `GET /settings`: the owner's settings page (`?saved=1` after saving).
pub(crate) async fn form(
    State(state): State<AppState>,
    therapist: Therapist,
    RawQuery(query): RawQuery,
) -> Result<PageResponse, WebError> {
    therapist.require_owner()?;
    let settings = state
        .store
        .followup_settings(&therapist.0.principal.clinic_id)
        .await?;
    Ok(PageResponse::new(settings_page(
        &therapist,
        settings.country.as_deref().unwrap_or_default(),
        &settings.time_zone,
        &FieldErrors::default(),
        query.as_deref() == Some("saved=1"),
    )))
}

/// Reads the form into the settings to store, or says which field is wrong.
fn read_settings(
    form: &FormData,
    current: FollowupSettings,
) -> Result<FollowupSettings, FieldErrors> {
    let mut errors = FieldErrors::default();
    let country = form.get("country").and_then(|code| {
        let known = numbers_for(code).map(|known| known.code.to_owned());
        if known.is_none() {
            errors.add(
                "country",
                "Choose one of the countries offered, or “Not set”.",
            );
        }
        known
    });
    let time_zone = form.raw("time_zone").trim();
    let zone_known = !time_zone.is_empty()
        && time_zone.len() <= 64
        && jiff::tz::TimeZone::get(time_zone).is_ok();
    if !zone_known {
        errors.add(
            "time_zone",
            "Enter a time zone name such as Europe/London or UTC.",
        );
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(FollowupSettings {
        country,
        time_zone: time_zone.to_owned(),
        ..current
    })
}

/// `POST /settings`: saves the country and time zone, then shows the page
/// again; a wrong field is shown beside it and nothing is saved.
pub(crate) async fn save(
    State(state): State<AppState>,
    therapist: Therapist,
    form: FormData,
) -> Result<Response, WebError> {
    therapist.check(&form)?;
    therapist.require_owner()?;
    let principal = &therapist.0.principal;
    let current = state.store.followup_settings(&principal.clinic_id).await?;
    match read_settings(&form, current) {
        Ok(settings) => {
            state
                .store
                .put_followup_settings(
                    &principal.clinic_id,
                    &Actor::Practitioner(principal.practitioner_id.clone()),
                    &settings,
                    state.now(),
                )
                .await?;
            Ok(see_other("/settings?saved=1", &[]))
        }
        Err(errors) => Ok(PageResponse::new(settings_page(
            &therapist,
            form.raw("country"),
            form.raw("time_zone"),
            &errors,
            false,
        ))
        .with_status(StatusCode::UNPROCESSABLE_ENTITY)
        .into_response()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(fields: &[(&str, &str)]) -> FormData {
        FormData::from_fields(
            fields
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn a_known_country_and_zone_are_kept_with_the_other_settings() {
        let current = FollowupSettings {
            reminder_count: 3,
            ..FollowupSettings::default()
        };
        let read = read_settings(
            &form(&[("country", "gb"), ("time_zone", " Europe/London ")]),
            current,
        )
        .expect("valid");
        assert_eq!(read.country.as_deref(), Some("GB"));
        assert_eq!(read.time_zone, "Europe/London");
        assert_eq!(read.reminder_count, 3);
        let unset =
            read_settings(&form(&[("country", ""), ("time_zone", "UTC")]), read).expect("valid");
        assert_eq!(unset.country, None);
    }

    #[test]
    fn an_unknown_country_or_zone_names_its_field() {
        let errors = read_settings(
            &form(&[("country", "XX"), ("time_zone", "Mars/Olympus")]),
            FollowupSettings::default(),
        )
        .expect_err("invalid");
        assert!(errors.get("country").is_some());
        assert!(errors.get("time_zone").is_some());
        let errors = read_settings(&form(&[("country", "GB")]), FollowupSettings::default())
            .expect_err("no zone");
        assert!(errors.get("time_zone").is_some() && errors.get("country").is_none());
    }
}
