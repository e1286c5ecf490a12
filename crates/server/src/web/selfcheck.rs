//! Self-check for people without a clinic: the same questions, starting
//! from when the treatment was and what kind. The answer comes at once;
//! the course is kept in a private diary reached only by its link, which
//! no clinic can see.

use aftercare_core::vocabulary::Modality;
use aftercare_core::{Course, Level, Treatment, triage};
use aftercare_store::Millis;
use aftercare_store::secret::{Secret, hash_text};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use maud::{Markup, html};

use crate::metrics::DecisionSource;
use crate::state::AppState;
use crate::web::answer::{Audience, DecisionView, Reported, decision_block};
use crate::web::chart;
use crate::web::checkin::{timestamp, when};
use crate::web::checkin_form::{SoFar, checkin_fields, read_checkin};
use crate::web::error::WebError;
use crate::web::form::{FieldErrors, FormData, anonymous_csrf, error_line, field_id};
use crate::web::layout::{PageResponse, page};
use crate::web::session::Peer;
use crate::web::session::secure_cookies;
use crate::web::words;

/// The prefix of diary link secrets.
const DIARY_PREFIX: &str = "acd_";
/// How long a diary lives after it is started.
const DIARY_MILLIS: Millis = 30 * 24 * 60 * 60 * 1000;
/// The longest ago a treatment can be for a self-check, in hours.
const MAX_HOURS_AGO: f64 = 30.0 * 24.0;

fn errors_box(errors: &FieldErrors) -> Markup {
    html! {
        @if !errors.is_empty() {
            div class="errors" role="alert" {
                p { strong { "Some answers need a change:" } }
                ul { @for (field, message) in errors.iter() { li { a href={ "#" (field_id(field)) } { (message) } } } }
            }
        }
    }
}

fn start_page(csrf: &str, form: &FormData, errors: &FieldErrors) -> Markup {
    let invalid = errors.get("hours_ago").is_some();
    page(
        "Self-check",
        None,
        &html! {
            h1 { "Check how you feel after a treatment" }
            p { "Answer a few questions and get an answer at once. Nothing is shared with anyone: no account, no clinic. "
                "This is decision support, not a diagnosis." }
            (errors_box(errors))
            form method="post" action="/self-check" {
                input type="hidden" name="csrf_token" value=(csrf);
                fieldset {
                    legend { "Your treatment" }
                    label for="hours_ago" { "About how many hours ago was it?" }
                    p class="hint" id="hours_ago-hint" { "For example 20 for yesterday afternoon; up to 720 (30 days)." }
                    input type="text" inputmode="decimal" id="hours_ago" name="hours_ago" value=(form.raw("hours_ago")) required
                        aria-invalid=[invalid.then_some("true")]
                        aria-describedby={ "hours_ago-hint" @if invalid { " hours_ago-error" } };
                    (error_line(errors, "hours_ago"))
                    label for="modality" { "What kind of treatment?" }
                    select id="modality" name="modality" {
                        @for value in Modality::ALL {
                            option value=(value.as_str()) selected[form.raw("modality") == value.as_str()] { (words::modality(*value)) }
                        }
                    }
                    (error_line(errors, "modality"))
                }
                (checkin_fields(form, errors, &SoFar::default()))
                p { button type="submit" { "Get my answer" } }
            }
        },
    )
}

/// `GET /self-check`.
pub(crate) async fn form(State(state): State<AppState>, headers: HeaderMap) -> PageResponse {
    let (csrf, set) = anonymous_csrf(&headers, secure_cookies(&state));
    PageResponse::new(start_page(
        &csrf,
        &FormData::default(),
        &FieldErrors::default(),
    ))
    .with_cookie(set)
}

/// The treatment the self-check form describes, or the fields at fault.
pub(crate) fn read_treatment(
    form: &FormData,
    now: Millis,
    errors: &mut FieldErrors,
) -> Option<Treatment> {
    let hours = form
        .get("hours_ago")
        .and_then(|text| text.replace(',', ".").parse::<f64>().ok())
        .filter(|hours| hours.is_finite() && (0.0..=MAX_HOURS_AGO).contains(hours));
    if hours.is_none() {
        errors.add(
            "hours_ago",
            format!(
                "Enter a number of hours from 0 to 720; you typed “{}”.",
                form.raw("hours_ago")
            ),
        );
    }
    let modality = Modality::ALL
        .iter()
        .copied()
        .find(|m| m.as_str() == form.raw("modality"));
    if modality.is_none() {
        errors.add("modality", "Choose one of the kinds of treatment offered.");
    }
    Some(Treatment {
        at: timestamp(now - (hours? * 3_600_000.0) as Millis),
        modality: modality?,
        pressure: None,
        duration_min: None,
        regions: Vec::new(),
    })
}

/// The decision page of a self-check, with the diary link.
fn answer_page(
    state: &AppState,
    token: &str,
    course: &Course,
    first: bool,
) -> Result<Markup, WebError> {
    let decision = triage(&state.guideline, course);
    state
        .metrics
        .record_decision(decision.level, DecisionSource::Checkin);
    let view = DecisionView::parse(&decision.to_json())
        .ok_or_else(|| WebError::Internal("a decision could not be read back".to_owned()))?;
    let url = format!(
        "{}/self-check/d/{token}",
        state.settings.public_url.trim_end_matches('/')
    );
    let title = Audience::SelfCheck
        .words(view.level.heading())
        .unwrap_or_default();
    Ok(page(
        &title,
        None,
        &html! {
            (decision_block(&view, 1, &Reported::course(course), Audience::SelfCheck))
            section aria-labelledby="diary-heading" {
                h2 id="diary-heading" { "Your private diary" }
                @if first {
                    p { "Keep this link to come back for your next check-in. Anyone with it can read your answers, so keep it to yourself. It works for 30 days." }
                }
                p id="diary-link" class="link-box" { (url) }
                p { a class="button secondary" href={ "/self-check/d/" (token) } { "Open my diary" } }
            }
        },
    ))
}

/// Diaries one address may start in an hour: room for a household or a
/// shared connection, too few for anyone to fill the database with them.
const DIARIES_PER_ADDRESS_PER_HOUR: i64 = 20;

const HOUR_MILLIS: Millis = 60 * 60 * 1000;

/// Refuses with 429 when the address has started too many diaries this
/// hour; otherwise gives the subject to count the new one under.
async fn diary_allowance(
    state: &AppState,
    peer: Option<std::net::IpAddr>,
    now: Millis,
) -> Result<Option<String>, WebError> {
    let Some(ip) = peer else {
        return Ok(None);
    };
    let subject = hash_text(&format!("diary-address:{ip}"));
    let (started, oldest) = state
        .store
        .attempts_since(&subject, now - HOUR_MILLIS)
        .await?;
    if started >= DIARIES_PER_ADDRESS_PER_HOUR {
        let wait_millis = oldest.unwrap_or(now) + HOUR_MILLIS - now;
        let seconds = u64::try_from(wait_millis / 1000).unwrap_or(1).max(1);
        return Err(WebError::TooManyDiaries(seconds));
    }
    Ok(Some(subject))
}

/// `POST /self-check`: answers at once and starts a diary.
pub(crate) async fn submit(
    State(state): State<AppState>,
    Peer(peer): Peer,
    headers: HeaderMap,
    form: FormData,
) -> Result<PageResponse, WebError> {
    form.check_cookie_csrf(&headers)?;
    let now = state.now();
    let mut errors = FieldErrors::default();
    let treatment = read_treatment(&form, now, &mut errors);
    let checkin = read_checkin(&form, now);
    let (Some(treatment), Ok(checkin)) = (treatment, checkin) else {
        if let Err(more) = read_checkin(&form, now) {
            for (field, message) in more.iter() {
                errors.add(field, message);
            }
        }
        return Ok(
            PageResponse::new(start_page(form.raw("csrf_token"), &form, &errors))
                .with_status(StatusCode::UNPROCESSABLE_ENTITY),
        );
    };
    let course = Course {
        treatment,
        checkins: vec![checkin],
    };
    let counted_as = diary_allowance(&state, peer, now).await?;
    let secret = Secret::generate(DIARY_PREFIX);
    state
        .store
        .create_diary(&secret.hash(), &course.to_json(), now, now + DIARY_MILLIS)
        .await?;
    if let Some(subject) = counted_as {
        state.store.record_attempts(&[&subject], now).await?;
    }
    Ok(PageResponse::new(answer_page(
        &state,
        secret.expose(),
        &course,
        true,
    )?))
}

/// The hash of a diary link, or "not found" for text that cannot be one.
pub(crate) fn diary_hash(token: &str) -> Result<String, WebError> {
    let plausible = token.starts_with(DIARY_PREFIX)
        && token.len() <= 128
        && token
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_'));
    if plausible {
        Ok(hash_text(token))
    } else {
        Err(WebError::NotFound("diary"))
    }
}

/// Reads a stored diary course.
fn parse_course(json: &str) -> Result<Course, WebError> {
    Course::from_json(json)
        .map_err(|error| WebError::Internal(format!("a stored diary could not be read: {error}")))
}

/// The levels of each check-in's answer, as it was given then.
fn levels(state: &AppState, course: &Course) -> Vec<Level> {
    (1..=course.checkins.len())
        .map(|count| {
            let prefix = Course {
                treatment: course.treatment.clone(),
                checkins: course.checkins[..count].to_vec(),
            };
            triage(&state.guideline, &prefix).level
        })
        .collect()
}

fn diary_page(
    state: &AppState,
    token: &str,
    course: &Course,
    csrf: &str,
    form: &FormData,
    errors: &FieldErrors,
) -> Markup {
    let levels = levels(state, course);
    page(
        "Your diary",
        None,
        &html! {
            h1 { "Your self-check diary" }
            p { (words::modality(course.treatment.modality)) ", about " (when(aftercare_store::millis_of(course.treatment.at))) ". "
                "Only people with this page's link can see it." }
            (chart::timeline(course, &levels))
            ol {
                @for (checkin, level) in course.checkins.iter().zip(&levels) {
                    li { (when(aftercare_store::millis_of(checkin.at))) ": "
                        span class="level" data-level=(level.as_str()) { (level.heading()) } }
                }
            }
            h2 { "Check in again" }
            (errors_box(errors))
            form method="post" action={ "/self-check/d/" (token) } {
                input type="hidden" name="csrf_token" value=(csrf);
                (checkin_fields(form, errors, &SoFar::of(course, &levels)))
                p { button type="submit" { "Get my answer" } }
            }
            p { a href={ "/self-check/d/" (token) "/erase" } { "Erase this diary" } }
        },
    )
}

/// `GET /self-check/d/{link}`.
pub(crate) async fn diary(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<PageResponse, WebError> {
    let hash = diary_hash(&token)?;
    let course = parse_course(&state.store.diary(&hash, state.now()).await?)?;
    let (csrf, set) = anonymous_csrf(&headers, secure_cookies(&state));
    Ok(PageResponse::new(diary_page(
        &state,
        &token,
        &course,
        &csrf,
        &FormData::default(),
        &FieldErrors::default(),
    ))
    .with_cookie(set))
}

/// The most check-ins one diary keeps: far more than a follow-up needs,
/// and it bounds what each diary page triages and stores.
const MAX_DIARY_CHECKINS: usize = 100;

/// `POST /self-check/d/{link}`: adds a check-in to the diary and answers.
pub(crate) async fn diary_submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    form: FormData,
) -> Result<PageResponse, WebError> {
    let hash = diary_hash(&token)?;
    form.check_cookie_csrf(&headers)?;
    let now = state.now();
    let stored = state.store.diary(&hash, now).await?;
    let mut course = parse_course(&stored)?;
    let checkin = match read_checkin(&form, now) {
        Ok(checkin) => checkin,
        Err(errors) => {
            return Ok(PageResponse::new(diary_page(
                &state,
                &token,
                &course,
                form.raw("csrf_token"),
                &form,
                &errors,
            ))
            .with_status(StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    if course.checkins.len() >= MAX_DIARY_CHECKINS {
        return Err(WebError::CourseFull);
    }
    course.checkins.push(checkin);
    course.check_time_order().map_err(|_| {
        WebError::Conflict("This check-in is older than the last one; reload the diary.".to_owned())
    })?;
    state
        .store
        .update_diary(&hash, &stored, &course.to_json(), now)
        .await?;
    Ok(PageResponse::new(answer_page(
        &state, &token, &course, false,
    )?))
}
