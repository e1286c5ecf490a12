//! Self-check for people without a clinic: the same questions, starting
//! from when the treatment was and what kind. The answer comes at once;
//! the course is kept in a private diary reached only by its link, which
//! no clinic can see.

use aftercare_core::vocabulary::Modality;
use aftercare_core::{Course, Treatment};
use aftercare_store::DraftKind;
use aftercare_store::Millis;
use aftercare_store::secret::{Secret, hash_text};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use crate::state::AppState;
use crate::usecases::checkin::answer_self_check;
use crate::web::answer::{Audience, DecisionView, Reported, decision_block};
use crate::web::checkin::{StepQuery, load_draft, timestamp};
use crate::web::checkin_flow::{Flow, Step};
use crate::web::checkin_form::{SoFar, checkin_fields, read_checkin};
use crate::web::error::WebError;
use crate::web::form::{FieldErrors, FormData, anonymous_csrf, cookie, error_line, field_id};
use crate::web::layout::{PageResponse, page, see_other};
use crate::web::session::Peer;
use crate::web::session::secure_cookies;
use crate::web::words;

mod diary;

pub(crate) use diary::{diary, diary_hash, diary_submit};

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

/// When and what the treatment was: the self-check's first questions.
pub(crate) fn treatment_fields(form: &FormData, errors: &FieldErrors) -> Markup {
    let invalid = errors.get("hours_ago").is_some();
    html! {
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
    }
}

/// The whole self-check on one page: shown again, with the errors, when
/// a one-page form is sent with a wrong answer.
fn start_page(csrf: &str, form: &FormData, errors: &FieldErrors) -> Markup {
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
                (treatment_fields(form, errors))
                (checkin_fields(form, errors, &SoFar::default()))
                p { button type="submit" { "Get my answer" } }
            }
        },
    )
}

/// The cookie that holds the random id of a first self-check's draft.
const DRAFT_COOKIE: &str = "ac_draft";
/// How long the answers of an unsent self-check are kept.
const DRAFT_MILLIS: Millis = 6 * 60 * 60 * 1000;
/// Self-check drafts one address may start in an hour.
const DRAFTS_PER_ADDRESS_PER_HOUR: i64 = 60;

/// The pages of a self-check: a first one (`base` `/self-check`, asking
/// about the treatment) or the next one in a diary.
fn selfcheck_flow(base: String, so_far: &SoFar, first: bool, now: Millis) -> Flow<'_> {
    Flow {
        footer: html! {
            @if !first { p { a href=(base) { "Back to my diary" } } }
        },
        base,
        so_far,
        asks_treatment: first,
        about: html! { "Self-check: nothing is shared with anyone." },
        send: "Get my answer",
        now,
    }
}

/// The hash a first self-check's draft is kept under, from its cookie.
fn draft_key(headers: &HeaderMap) -> Option<String> {
    cookie(headers, DRAFT_COOKIE).map(|id| hash_text(&format!("self-check-draft:{id}")))
}

/// The `Set-Cookie` of a self-check draft: HttpOnly, SameSite=Strict,
/// only for the self-check's pages; `max_age` 0 deletes it.
fn draft_cookie(value: &str, max_age: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{DRAFT_COOKIE}={value}; Path=/self-check; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    )
}

/// `GET /self-check`: a page of the self-check (`?step=`), the first
/// (the treatment) when none is named.
pub(crate) async fn form(
    State(state): State<AppState>,
    Query(query): Query<StepQuery>,
    headers: HeaderMap,
) -> Result<PageResponse, WebError> {
    let now = state.now();
    let so_far = SoFar::default();
    let flow = selfcheck_flow("/self-check".to_owned(), &so_far, true, now);
    let step = query.step(&flow)?;
    let draft = match draft_key(&headers) {
        Some(key) => load_draft(&state, &key, now).await?,
        None => None,
    }
    .unwrap_or_default();
    let (csrf, set) = anonymous_csrf(&headers, secure_cookies(&state));
    Ok(PageResponse::new(flow.page(
        step,
        &draft,
        &FieldErrors::default(),
        &csrf,
        query.then_check(),
        &[],
    ))
    .with_cookie(set))
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
    let decision = answer_self_check(state, course);
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

/// One diary (or draft) admitted at a time in this process, so that
/// requests sent side by side are counted one after another and the
/// first ones pass; across processes, counting before checking keeps
/// them under the limit.
static ADMISSION: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Counts one more diary (or draft, by `what`) started from the
/// address, then refuses with 429 when that makes more than `limit` this
/// hour. Counted before it is checked, so that requests sent side by
/// side cannot all pass the limit.
async fn admit_from_address(
    state: &AppState,
    peer: Option<std::net::IpAddr>,
    what: &str,
    limit: i64,
    now: Millis,
) -> Result<(), WebError> {
    let Some(ip) = peer else {
        return Ok(());
    };
    let subject = hash_text(&format!("{what}-address:{ip}"));
    let attempt = state.store.record_attempt(&subject, now).await?;
    let (others, _) = state
        .store
        .attempts_besides(&subject, now - HOUR_MILLIS, &attempt)
        .await?;
    if others >= limit {
        state.store.forget_attempt(&attempt).await?;
        let (_, oldest) = state
            .store
            .attempts_since(&subject, now - HOUR_MILLIS)
            .await?;
        let wait_millis = oldest.unwrap_or(now) + HOUR_MILLIS - now;
        let seconds = u64::try_from(wait_millis / 1000).unwrap_or(1).max(1);
        return Err(WebError::TooManyDiaries(seconds));
    }
    Ok(())
}

/// Starts a diary holding `course` (the address's diaries counted first)
/// and answers with its first decision.
async fn start_diary(
    state: &AppState,
    peer: Option<std::net::IpAddr>,
    course: &Course,
    now: Millis,
) -> Result<Markup, WebError> {
    let secret = Secret::generate(DIARY_PREFIX);
    {
        let _one_at_a_time = ADMISSION.lock().await;
        admit_from_address(state, peer, "diary", DIARIES_PER_ADDRESS_PER_HOUR, now).await?;
        state
            .store
            .create_diary(&secret.hash(), &course.to_json(), now, now + DIARY_MILLIS)
            .await?;
    }
    answer_page(state, secret.expose(), course, true)
}

/// `POST /self-check`: with a `step` field, one page of the self-check
/// (kept in a draft; `step=check` sends it); without, the whole
/// self-check in one form. Sending answers at once and starts a diary.
pub(crate) async fn submit(
    State(state): State<AppState>,
    Peer(peer): Peer,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, WebError> {
    form.check_cookie_csrf(&headers)?;
    let now = state.now();
    if let Some(step) = form.get("step") {
        return selfcheck_step(&state, peer, &headers, &form, step, now).await;
    }
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
                .with_status(StatusCode::UNPROCESSABLE_ENTITY)
                .into_response(),
        );
    };
    let course = Course {
        treatment,
        checkins: vec![checkin],
    };
    Ok(PageResponse::new(start_diary(&state, peer, &course, now).await?).into_response())
}

/// One page of a first self-check, posted.
async fn selfcheck_step(
    state: &AppState,
    peer: Option<std::net::IpAddr>,
    headers: &HeaderMap,
    form: &FormData,
    step: &str,
    now: Millis,
) -> Result<Response, WebError> {
    let so_far = SoFar::default();
    let flow = selfcheck_flow("/self-check".to_owned(), &so_far, true, now);
    let step = Step::parse(step)
        .filter(|step| flow.offers(*step))
        .ok_or(WebError::NotFound("page"))?;
    let key = draft_key(headers);
    let stored = match &key {
        Some(key) => load_draft(state, key, now).await?,
        None => None,
    };
    let secure = secure_cookies(state);
    if step == Step::Check {
        let (Some(key), Some(draft)) = (key, stored) else {
            return Ok(see_other(&flow.url(flow.first(), false), &[]));
        };
        let mut errors = FieldErrors::default();
        let treatment = read_treatment(&draft, now, &mut errors);
        match (treatment, read_checkin(&draft, now)) {
            (Some(treatment), Ok(checkin)) if errors.is_empty() => {
                let course = Course {
                    treatment,
                    checkins: vec![checkin],
                };
                let markup = start_diary(state, peer, &course, now).await?;
                state.store.delete_checkin_draft(&key).await?;
                return Ok(PageResponse::new(markup)
                    .with_cookie(Some(draft_cookie("", 0, secure)))
                    .into_response());
            }
            (_, read) => {
                if let Err(more) = read {
                    for (field, message) in more.iter() {
                        errors.add(field, message);
                    }
                }
                return Ok(PageResponse::new(flow.page(
                    step,
                    &draft,
                    &errors,
                    form.raw("csrf_token"),
                    false,
                    &[],
                ))
                .with_status(StatusCode::UNPROCESSABLE_ENTITY)
                .into_response());
            }
        }
    }
    let then_check = form.get("then") == Some("check");
    let had_draft = stored.is_some();
    let draft = stored.unwrap_or_default();
    let merged = match flow.merge_checked(step, &draft, form, then_check) {
        Ok(merged) => merged,
        Err(page) => return Ok(page.into_response()),
    };
    let (key, cookies) = match key {
        Some(key) if had_draft => (key, Vec::new()),
        _ => {
            // A new draft, under a new random id in a cookie.
            let _one_at_a_time = ADMISSION.lock().await;
            admit_from_address(
                state,
                peer,
                "self-check-draft",
                DRAFTS_PER_ADDRESS_PER_HOUR,
                now,
            )
            .await?;
            let id = Secret::generate("").expose().to_owned();
            let key = hash_text(&format!("self-check-draft:{id}"));
            let max_age = DRAFT_MILLIS / 1000;
            (key, vec![draft_cookie(&id, max_age, secure)])
        }
    };
    state
        .store
        .save_checkin_draft(
            &key,
            DraftKind::SelfCheck,
            &merged.encode(),
            now,
            now + DRAFT_MILLIS,
        )
        .await?;
    Ok(see_other(&flow.next(&merged, step, then_check), &cookies))
}
