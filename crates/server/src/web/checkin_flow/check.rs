//! The check-your-answers page: every answer of the draft in words, as
//! sending would read it, each with a "Change" link to its page.

use aftercare_core::SymptomKind;
use maud::{Markup, html};

use super::Flow;
use super::steps::{Step, has_detail};
use crate::web::checkin::warning_signs_first;
use crate::web::checkin_form::read_checkin;
use crate::web::form::FormData;
use crate::web::words;

impl Flow<'_> {
    /// Which page changes what was said about `kind`.
    fn change_step(&self, kind: SymptomKind, draft: &FormData) -> Step {
        if Self::needs_page(kind, draft) {
            Step::Symptom(kind)
        } else if self.on_last_page(kind.as_str()) {
            Step::Last
        } else {
            Step::Feel
        }
    }

    pub(super) fn check_page(&self, draft: &FormData) -> Markup {
        let change = |step: Step, what: &str| {
            html! {
                dd class="change" { a href=(self.url(step, true)) { "Change" span class="visually-hidden" { " " (what) } } }
            }
        };
        let checkin = read_checkin(draft, self.now).ok();
        html! {
            h1 { "Check your answers before sending" }
            @if self.asks_treatment {
                h2 { "Your treatment" }
                dl class="answers" {
                    div {
                        dt { "Treatment" }
                        dd { (treatment_words(draft)) }
                        (change(Step::Treatment, "your treatment"))
                    }
                }
            }
            h2 { "What you feel" }
            dl class="answers" {
                @match &checkin {
                    Some(checkin) if !checkin.symptoms.is_empty() => {
                        @for symptom in warning_signs_first(&checkin.symptoms) {
                            @let kind = symptom.kind;
                            @let counted = symptom.is_present() && !draft.has("symptom", kind.as_str()) && has_detail(kind, draft.fields());
                            div {
                                dt { (words::symptom(kind)) }
                                dd {
                                    (words::described(symptom))
                                    @if counted { br; strong { "Counted: you did not tick it, but you answered questions about it." } }
                                }
                                (change(self.change_step(kind, draft), &words::symptom(kind).to_lowercase()))
                            }
                        }
                    }
                    _ => {
                        div {
                            dt { "Symptoms" }
                            dd { "Nothing to report" }
                            (change(Step::Feel, "what you feel"))
                        }
                    }
                }
            }
            h2 { "Since your treatment" }
            dl class="answers" {
                @let lines = checkin.as_ref().map(|checkin| words::background(&checkin.context)).unwrap_or_default();
                div {
                    dt { "Background" }
                    dd {
                        @if lines.is_empty() { "No answers" } @else {
                            ul { @for line in &lines { li { (line) } } }
                        }
                    }
                    (change(Step::Background, "background answers"))
                }
                div {
                    dt { "Note" }
                    dd { (draft.get("note").unwrap_or("None")) }
                    (change(Step::Note, "note"))
                }
            }
            p { "When you send, your answers are checked against the guidance and you get an answer at once." }
        }
    }
}

/// The self-check's treatment in words, as entered.
fn treatment_words(draft: &FormData) -> String {
    let modality = aftercare_core::vocabulary::Modality::ALL
        .iter()
        .find(|modality| modality.as_str() == draft.raw("modality"))
        .map_or("Not stated", |modality| words::modality(*modality));
    format!("{modality}, about {} hours ago", draft.raw("hours_ago"))
}
