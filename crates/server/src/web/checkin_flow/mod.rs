//! The check-in as "one thing per page", after the pattern of public
//! health services' forms: (on a later check-in) how what was reported
//! last time is now; what the person feels now, the rarer warning signs
//! in one labelled group; one short page per symptom with only the
//! questions the table asks about it; the background questions; a note;
//! then every answer in words, each with a "Change" link, and "Send".
//!
//! Each page is a GET that renders from the draft the server keeps (see
//! the store's `drafts`), and a POST (CSRF-checked) that merges only that
//! page's fields into the draft and answers 303 to the next page, so the
//! browser's Back button and the "Back" link show the answers given, and
//! nothing needs JavaScript. A page with a wrong answer is shown again
//! with the error by its field and what was typed, and the draft is left
//! as it was.
//!
//! Sending reads the whole draft with the one reader of answers,
//! [`read_checkin`]: any detail given about a symptom means it is present
//! (safety property 6), whatever the pages were. A symptom unticked after
//! its questions were answered stays counted, and the check-your-answers
//! page shows it as counted, with the answers, before anything is sent.
//!
//! Field names are those of the one-page form (see the module docs of
//! `web`); the pages add only fields the reader does not take: `step` and
//! `then` (which page, and "back to check your answers"), `{kind}.now`
//! (`still`, `better` or `gone`, for what was reported last time) and
//! `nothing` ("none of these").

use aftercare_core::SymptomKind;
use aftercare_store::Millis;
use axum::http::StatusCode;
use maud::{Markup, html};

use crate::web::checkin_form::{BACKGROUND_FIELDS, SoFar, detail_fields, read_checkin};
use crate::web::form::{FieldErrors, FormData};
use crate::web::layout::PageResponse;
use crate::web::questions::questions;
use crate::web::selfcheck::read_treatment;
use crate::web::words;

mod check;
mod pages;
mod steps;

pub(crate) use steps::Step;
use steps::{FAINTING_WITH, has_detail, said_gone, symptom_order};

/// A check-in being made: where its pages live and what the course so
/// far tells.
pub(crate) struct Flow<'a> {
    /// The path the pages live on (`/c/{link}`, `/self-check`, ...).
    pub(crate) base: String,
    /// What the course so far changes about the questions.
    pub(crate) so_far: &'a SoFar,
    /// Whether the first page asks when and what the treatment was.
    pub(crate) asks_treatment: bool,
    /// A line about the treatment, shown above each page's heading.
    pub(crate) about: Markup,
    /// The words of the button that sends the check-in.
    pub(crate) send: &'static str,
    /// Now, for reading answers.
    pub(crate) now: Millis,
    /// What follows the form on every page (a link to the course so far).
    pub(crate) footer: Markup,
}

impl Flow<'_> {
    /// Whether this check-in has the page.
    pub(crate) fn offers(&self, step: Step) -> bool {
        match step {
            Step::Treatment => self.asks_treatment,
            Step::Last => self.has_last_page(),
            _ => true,
        }
    }

    fn has_last_page(&self) -> bool {
        !self.so_far.reported_kinds().is_empty()
    }

    /// Whether `kind` is asked about on the "last time" page.
    fn on_last_page(&self, kind: &str) -> bool {
        self.so_far
            .reported_kinds()
            .iter()
            .any(|reported| reported.as_str() == kind)
    }

    /// The first page.
    pub(crate) fn first(&self) -> Step {
        if self.asks_treatment {
            Step::Treatment
        } else if self.has_last_page() {
            Step::Last
        } else {
            Step::Feel
        }
    }

    /// What a new draft holds: the answers about medicines and pregnancy
    /// of the last check-in, to be confirmed.
    pub(crate) fn start_draft(&self) -> FormData {
        FormData::from_fields(self.so_far.confirm_fields())
    }

    /// Whether `kind` gets a page of its own: it is ticked or has answers,
    /// has not gone, and the table asks something about it.
    fn needs_page(kind: SymptomKind, draft: &FormData) -> bool {
        !questions(kind).is_empty()
            && !said_gone(kind, draft)
            && (draft.has("symptom", kind.as_str()) || has_detail(kind, draft.fields()))
    }

    /// The pages of the check-in, as the draft stands.
    pub(crate) fn steps(&self, draft: &FormData) -> Vec<Step> {
        let mut steps: Vec<Step> = [Step::Treatment, Step::Last, Step::Feel]
            .into_iter()
            .filter(|step| self.offers(*step))
            .collect();
        steps.extend(
            symptom_order()
                .filter(|kind| Self::needs_page(*kind, draft))
                .map(Step::Symptom),
        );
        steps.extend([Step::Background, Step::Note, Step::Check]);
        steps
    }

    /// The address of a page; `then_check` comes back to "check your
    /// answers" after it.
    pub(crate) fn url(&self, step: Step, then_check: bool) -> String {
        let then = if then_check { "&then=check" } else { "" };
        format!("{}?step={}{then}", self.base, step.name())
    }

    /// The page before `step`, if any.
    fn previous(&self, draft: &FormData, step: Step) -> Option<Step> {
        self.steps(draft)
            .into_iter()
            .rev()
            .find(|other| other.rank() < step.rank())
    }

    /// Where to go after `step` was answered. Coming from "check your
    /// answers", a newly chosen symptom's page comes first, then back.
    pub(crate) fn next(&self, draft: &FormData, step: Step, then_check: bool) -> String {
        let steps = self.steps(draft);
        if then_check {
            let from = match step {
                Step::Symptom(_) => step.rank(),
                Step::Treatment | Step::Last | Step::Feel => 0,
                _ => return self.url(Step::Check, false),
            };
            let unanswered = steps.iter().find(|other| {
                matches!(other, Step::Symptom(kind) if other.rank() > from && !has_detail(*kind, draft.fields()))
            });
            return match unanswered {
                Some(other) => self.url(*other, true),
                None => self.url(Step::Check, false),
            };
        }
        let next = steps
            .into_iter()
            .find(|other| other.rank() > step.rank())
            .unwrap_or(Step::Check);
        self.url(next, false)
    }

    /// Whether the field (with this value) is answered on `step`.
    fn owns(&self, step: Step, name: &str, value: &str) -> bool {
        match step {
            Step::Treatment => matches!(name, "hours_ago" | "modality"),
            Step::Last => self.so_far.reported_kinds().iter().any(|kind| {
                name == format!("{kind}.now")
                    || name == format!("{kind}.gone")
                    || (name == "symptom" && value == kind.as_str())
            }),
            Step::Feel => name == "nothing" || (name == "symptom" && !self.on_last_page(value)),
            Step::Symptom(kind) => {
                let own = name
                    .strip_prefix(kind.as_str())
                    .and_then(|rest| rest.strip_prefix('.'))
                    .is_some_and(|suffix| {
                        suffix != "gone" && detail_fields(kind).contains(&suffix)
                    });
                own || (kind == SymptomKind::Fainting
                    && name == "symptom"
                    && FAINTING_WITH.iter().any(|with| with.as_str() == value))
            }
            Step::Background => {
                BACKGROUND_FIELDS.contains(&name)
                    && (name != "seen_by_clinician" || self.so_far.asks_seen_by_clinician())
            }
            Step::Note => name == "note",
            Step::Check => false,
        }
    }

    /// Whether an error of the reader on `field` belongs to `step`.
    fn owns_error(step: Step, field: &str) -> bool {
        match step {
            Step::Feel => field == "symptom",
            Step::Symptom(kind) => {
                field.starts_with(&format!("{kind}."))
                    || (kind == SymptomKind::Fainting && field == "symptom")
            }
            Step::Background => BACKGROUND_FIELDS.contains(&field),
            Step::Note => field == "note",
            Step::Treatment => matches!(field, "hours_ago" | "modality"),
            Step::Last | Step::Check => false,
        }
    }

    /// The page where a field is answered.
    fn step_of_field(field: &str) -> Step {
        if let Some((kind, suffix)) = field.split_once('.')
            && let Some(Step::Symptom(kind)) = Step::parse(kind)
        {
            return if suffix == "now" {
                Step::Last
            } else {
                Step::Symptom(kind)
            };
        }
        match field {
            "hours_ago" | "modality" => Step::Treatment,
            "note" => Step::Note,
            "symptom" => Step::Feel,
            _ => Step::Background,
        }
    }

    /// The draft with the answers of one page in place of what it held
    /// for that page; everything else is kept as it was.
    pub(crate) fn merge(&self, step: Step, draft: &FormData, posted: &FormData) -> FormData {
        let mut fields: Vec<(String, String)> = draft
            .fields()
            .iter()
            .filter(|(name, value)| !self.owns(step, name, value))
            .cloned()
            .collect();
        if step == Step::Last {
            // Still there or better: present, its questions follow, filled
            // in with what was said last time; gone: `{kind}.gone`.
            for kind in self.so_far.reported_kinds() {
                let field = format!("{kind}.now");
                let Some(now) = posted.get(&field) else {
                    continue;
                };
                fields.push((field, now.to_owned()));
                match now {
                    "gone" => fields.push((format!("{kind}.gone"), "yes".to_owned())),
                    "still" | "better" => {
                        fields.push(("symptom".to_owned(), kind.as_str().to_owned()));
                        if !has_detail(*kind, &fields) {
                            fields.extend(self.so_far.last_fields(*kind));
                        }
                    }
                    _ => {}
                }
            }
        } else {
            fields.extend(
                posted
                    .fields()
                    .iter()
                    .filter(|(name, value)| self.owns(step, name, value))
                    .cloned(),
            );
        }
        FormData::from_fields(fields)
    }

    /// What is wrong with the answers of one page, read from the draft
    /// they were merged into; empty when they may be kept.
    pub(crate) fn errors(&self, step: Step, merged: &FormData, posted: &FormData) -> FieldErrors {
        let mut found = FieldErrors::default();
        match step {
            Step::Treatment => {
                read_treatment(merged, self.now, &mut found);
                return found;
            }
            Step::Last => {
                for kind in self.so_far.reported_kinds() {
                    let field = format!("{kind}.now");
                    match posted.get(&field) {
                        Some("still" | "better" | "gone") => {}
                        Some(_) => found.add(field, "Choose one of the answers offered."),
                        None => found.add(
                            field,
                            format!(
                                "Choose whether the {} is still there, better or gone.",
                                words::symptom(*kind).to_lowercase()
                            ),
                        ),
                    }
                }
            }
            Step::Feel => {
                let ticked = !posted.all("symptom").is_empty();
                let nothing = posted.get("nothing").is_some();
                if ticked && nothing {
                    found.add(
                        "symptom",
                        "Tick the things you feel, or “None of these”, not both.",
                    );
                } else if !ticked && !nothing {
                    found.add(
                        "symptom",
                        "Tick each thing you feel now, or “None of these”.",
                    );
                }
            }
            _ => {}
        }
        if let Err(all) = read_checkin(merged, self.now) {
            for (field, message) in all.iter() {
                if Self::owns_error(step, field) && found.get(field).is_none() {
                    found.add(field, message);
                }
            }
        }
        found
    }

    /// The draft with the answers of one posted page merged in (see
    /// [`Flow::merge`]) or, when they cannot be kept, that page again with
    /// its errors, as 422.
    pub(crate) fn merge_checked(
        &self,
        step: Step,
        draft: &FormData,
        posted: &FormData,
        then_check: bool,
    ) -> Result<FormData, PageResponse> {
        let merged = self.merge(step, draft, posted);
        let errors = self.errors(step, &merged, posted);
        if errors.is_empty() {
            return Ok(merged);
        }
        Err(PageResponse::new(self.page(
            step,
            &merged,
            &errors,
            posted.raw("csrf_token"),
            then_check,
            &[],
        ))
        .with_status(StatusCode::UNPROCESSABLE_ENTITY))
    }
}

/// Enters the pages in `posted` one after another, as the server does:
/// each `step` field starts a page and the fields after it are its
/// answers; a page with a wrong answer changes nothing. The check-in is a
/// later one (soreness and a fever were reported, the fever answered
/// `see_doctor`), so every page is offered. Answers the draft and the
/// draft read as sending reads it. For the form fuzz target.
pub(crate) fn replay(
    posted: &FormData,
    now: Millis,
) -> (FormData, Result<aftercare_core::Checkin, FieldErrors>) {
    let so_far = aftercare_core::Course::from_json(
        r#"{"treatment": {"at": "2026-11-20T15:00:00Z", "modality": "swedish"},
            "checkins": [{"at": "2026-11-21T09:00:00Z", "symptoms": [
                {"kind": "soreness", "severity": "moderate", "regions": ["calves"]},
                {"kind": "fever", "severity": "moderate"}],
              "context": {"anticoagulants": true}}]}"#,
    )
    .map(|course| SoFar::of(&course, &[aftercare_core::Level::SeeDoctor]))
    .unwrap_or_default();
    let flow = Flow {
        base: "/c/x".to_owned(),
        so_far: &so_far,
        asks_treatment: false,
        about: html! {},
        send: "Send",
        now,
        footer: html! {},
    };
    let mut draft = flow.start_draft();
    let mut pages: Vec<(Step, Vec<(String, String)>)> = Vec::new();
    for (name, value) in posted.fields() {
        if name == "step" {
            if let Some(step) = Step::parse(value.trim()).filter(|step| flow.offers(*step)) {
                pages.push((step, Vec::new()));
            }
        } else if let Some((_, fields)) = pages.last_mut() {
            fields.push((name.clone(), value.clone()));
        }
    }
    for (step, fields) in pages {
        if step == Step::Check {
            continue;
        }
        let page = FormData::from_fields(fields);
        let merged = flow.merge(step, &draft, &page);
        if flow.errors(step, &merged, &page).is_empty() {
            draft = merged;
        }
    }
    let read = read_checkin(&draft, now);
    (draft, read)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(so_far: &SoFar) -> Flow<'_> {
        Flow {
            base: "/c/x".to_owned(),
            so_far,
            asks_treatment: false,
            about: html! {},
            send: "Send",
            now: 1_795_608_000_000,
            footer: html! {},
        }
    }

    #[test]
    fn every_step_name_reads_back() {
        let mut steps = vec![
            Step::Treatment,
            Step::Last,
            Step::Feel,
            Step::Background,
            Step::Note,
            Step::Check,
        ];
        steps.extend(SymptomKind::ALL.iter().map(|kind| Step::Symptom(*kind)));
        for step in steps {
            assert_eq!(Step::parse(step.name()), Some(step));
        }
        assert_eq!(Step::parse("nonsense"), None);
    }

    #[test]
    fn a_page_merges_only_its_own_fields() {
        let so_far = SoFar::default();
        let flow = flow(&so_far);
        let draft = FormData::parse(b"symptom=headache&headache.severity=mild&note=kept");
        let posted = FormData::parse(
            b"symptom=fever&headache.severity=severe&note=dropped&csrf_token=x&step=feel",
        );
        let merged = flow.merge(Step::Feel, &draft, &posted);
        assert_eq!(merged.all("symptom"), ["fever"]);
        assert_eq!(merged.get("headache.severity"), Some("mild"));
        assert_eq!(merged.get("note"), Some("kept"));
        assert_eq!(merged.get("csrf_token"), None);
    }

    #[test]
    fn fainting_comes_first_and_what_its_page_adds_follows() {
        let so_far = SoFar::default();
        let flow = flow(&so_far);
        let draft = FormData::parse(b"symptom=fainting&symptom=chest_pain&symptom=soreness");
        let steps = flow.steps(&draft);
        assert_eq!(
            steps,
            [
                Step::Feel,
                Step::Symptom(SymptomKind::Fainting),
                Step::Symptom(SymptomKind::ChestPain),
                Step::Symptom(SymptomKind::Soreness),
                Step::Background,
                Step::Note,
                Step::Check
            ]
        );
    }
}
