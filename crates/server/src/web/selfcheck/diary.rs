//! The private diary a self-check starts: the course so far, and its
//! next check-in, one page at a time or in one form.

use aftercare_core::{Course, Level, triage};
use aftercare_store::DraftKind;
use aftercare_store::Millis;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use super::{DIARY_PREFIX, DRAFT_MILLIS, answer_page, errors_box, selfcheck_flow};
use crate::state::AppState;
use crate::web::chart;
use crate::web::checkin::{StepQuery, load_draft, when};
use crate::web::checkin_flow::Step;
use crate::web::checkin_form::{SoFar, checkin_fields, read_checkin};
use crate::web::error::WebError;
use crate::web::form::{FieldErrors, FormData, anonymous_csrf};
use crate::web::layout::{PageResponse, page, see_other};
use crate::web::session::secure_cookies;
use crate::web::words;

/// The hash of a diary link, or "not found" for text that cannot be one.
pub(crate) fn diary_hash(token: &str) -> Result<String, WebError> {
    crate::web::path_token_hash(token, DIARY_PREFIX, "diary")
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

/// The diary: the course so far, and a link to check in again; or, when
/// a one-page form came back with a wrong answer (`sent`: its token, what
/// it said and what is wrong), that form again.
fn diary_page(
    state: &AppState,
    token: &str,
    course: &Course,
    sent: Option<(&str, &FormData, &FieldErrors)>,
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
            @if let Some((csrf, form, errors)) = sent {
                (errors_box(errors))
                form method="post" action={ "/self-check/d/" (token) } {
                    input type="hidden" name="csrf_token" value=(csrf);
                    (checkin_fields(form, errors, &SoFar::of(course, &levels)))
                    p { button type="submit" { "Get my answer" } }
                }
            } @else {
                p { "A few short questions, one page at a time." }
                p { a class="button" href={ "/self-check/d/" (token) "?step=" (diary_flow_first(course, &levels)) } { "Check in again" } }
            }
            p { a href={ "/self-check/d/" (token) "/erase" } { "Erase this diary" } }
        },
    )
}

/// The name of the first page of a diary's next check-in.
fn diary_flow_first(course: &Course, levels: &[Level]) -> &'static str {
    let so_far = SoFar::of(course, levels);
    if so_far.reported_kinds().is_empty() {
        Step::Feel.name()
    } else {
        Step::Last.name()
    }
}

/// Until when the answers of a diary's next check-in are kept.
fn diary_draft_expiry(now: Millis) -> Millis {
    now + DRAFT_MILLIS
}

/// `GET /self-check/d/{link}`: the diary; with `?step=`, a page of its
/// next check-in.
pub(crate) async fn diary(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(query): Query<StepQuery>,
    headers: HeaderMap,
) -> Result<PageResponse, WebError> {
    let hash = diary_hash(&token)?;
    let now = state.now();
    let course = parse_course(&state.store.diary(&hash, now).await?)?;
    let (csrf, set) = anonymous_csrf(&headers, secure_cookies(&state));
    if query.names_step() {
        let levels = levels(&state, &course);
        let so_far = SoFar::of(&course, &levels);
        let flow = selfcheck_flow(format!("/self-check/d/{token}"), &so_far, false, now);
        let step = query.step(&flow)?;
        let draft = load_draft(&state, &hash, now)
            .await?
            .unwrap_or_else(|| flow.start_draft());
        return Ok(PageResponse::new(flow.page(
            step,
            &draft,
            &FieldErrors::default(),
            &csrf,
            query.then_check(),
            &[],
        ))
        .with_cookie(set));
    }
    Ok(PageResponse::new(diary_page(&state, &token, &course, None)).with_cookie(set))
}

/// The most check-ins one diary keeps: far more than a follow-up needs,
/// and it bounds what each diary page triages and stores.
const MAX_DIARY_CHECKINS: usize = 100;

/// `POST /self-check/d/{link}`: with a `step` field, one page of the
/// diary's next check-in (`step=check` sends it); without, the whole
/// check-in in one form. Sending adds the check-in to the diary and
/// answers.
pub(crate) async fn diary_submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, WebError> {
    let hash = diary_hash(&token)?;
    form.check_cookie_csrf(&headers)?;
    let now = state.now();
    let stored = state.store.diary(&hash, now).await?;
    let course = parse_course(&stored)?;
    if let Some(step) = form.get("step") {
        return diary_step(&state, &token, &hash, &stored, course, &form, step, now).await;
    }
    let checkin = match read_checkin(&form, now) {
        Ok(checkin) => checkin,
        Err(errors) => {
            return Ok(PageResponse::new(diary_page(
                &state,
                &token,
                &course,
                Some((form.raw("csrf_token"), &form, &errors)),
            ))
            .with_status(StatusCode::UNPROCESSABLE_ENTITY)
            .into_response());
        }
    };
    Ok(
        PageResponse::new(
            add_to_diary(&state, &token, &hash, &stored, course, checkin, now).await?,
        )
        .into_response(),
    )
}

/// One page of a diary's next check-in, posted.
#[allow(clippy::too_many_arguments)]
async fn diary_step(
    state: &AppState,
    token: &str,
    hash: &str,
    stored: &str,
    course: Course,
    form: &FormData,
    step: &str,
    now: Millis,
) -> Result<Response, WebError> {
    let levels = levels(state, &course);
    let so_far = SoFar::of(&course, &levels);
    let flow = selfcheck_flow(format!("/self-check/d/{token}"), &so_far, false, now);
    let step = Step::parse(step)
        .filter(|step| flow.offers(*step))
        .ok_or(WebError::NotFound("page"))?;
    let draft = load_draft(state, hash, now).await?;
    if step == Step::Check {
        let Some(draft) = draft else {
            return Ok(see_other(&format!("/self-check/d/{token}"), &[]));
        };
        return match read_checkin(&draft, now) {
            Ok(checkin) => {
                let markup = add_to_diary(state, token, hash, stored, course, checkin, now).await?;
                state.store.delete_checkin_draft(hash).await?;
                Ok(PageResponse::new(markup).into_response())
            }
            Err(errors) => Ok(PageResponse::new(flow.page(
                step,
                &draft,
                &errors,
                form.raw("csrf_token"),
                false,
                &[],
            ))
            .with_status(StatusCode::UNPROCESSABLE_ENTITY)
            .into_response()),
        };
    }
    let then_check = form.get("then") == Some("check");
    let draft = draft.unwrap_or_else(|| flow.start_draft());
    let merged = match flow.merge_checked(step, &draft, form, then_check) {
        Ok(merged) => merged,
        Err(page) => return Ok(page.into_response()),
    };
    state
        .store
        .save_checkin_draft(
            hash,
            DraftKind::Diary,
            &merged.encode(),
            now,
            diary_draft_expiry(now),
        )
        .await?;
    Ok(see_other(&flow.next(&merged, step, then_check), &[]))
}

/// Adds a check-in to a diary that still holds `stored`, and answers.
async fn add_to_diary(
    state: &AppState,
    token: &str,
    hash: &str,
    stored: &str,
    mut course: Course,
    checkin: aftercare_core::Checkin,
    now: Millis,
) -> Result<Markup, WebError> {
    if course.checkins.len() >= MAX_DIARY_CHECKINS {
        return Err(WebError::CourseFull);
    }
    course.checkins.push(checkin);
    course.check_time_order().map_err(|_| {
        WebError::Conflict("This check-in is older than the last one; reload the diary.".to_owned())
    })?;
    state
        .store
        .update_diary(hash, stored, &course.to_json(), now)
        .await?;
    answer_page(state, token, &course, false)
}
