//! Rendering the check-in's pages: the frame of every page (the "Back"
//! link, the errors, the form and its button) and the questions of each
//! page but "check your answers" (see `check.rs`).

use aftercare_core::SymptomKind;
use maud::{Markup, html};

use super::Flow;
use super::steps::{FAINTING_WITH, Step, has_detail};
use crate::web::checkin_form::{background_fields, note_field, symptom_questions};
use crate::web::form::{FieldErrors, FormData, error_line, field_id};
use crate::web::layout::page;
use crate::web::questions::{WARNING_SIGNS, is_warning_sign, questions};
use crate::web::selfcheck::treatment_fields;
use crate::web::words;

impl Flow<'_> {
    /// A page of the check-in: a "Back" link, the errors if any, the
    /// page's questions and one button. `hidden` fields go with the form.
    pub(crate) fn page(
        &self,
        step: Step,
        form: &FormData,
        errors: &FieldErrors,
        csrf: &str,
        then_check: bool,
        hidden: &[(&str, &str)],
    ) -> Markup {
        let back = if then_check && step != Step::Check {
            Some(self.url(Step::Check, false))
        } else {
            self.previous(form, step).map(|step| self.url(step, false))
        };
        let title = match step {
            Step::Treatment => "Your treatment".to_owned(),
            Step::Last => "Since your last check-in".to_owned(),
            Step::Feel => self.feel_heading().to_owned(),
            Step::Symptom(kind) => words::symptom(kind).to_owned(),
            Step::Background => "Since your treatment".to_owned(),
            Step::Note => "Anything else".to_owned(),
            Step::Check => "Check your answers".to_owned(),
        };
        let button = if step == Step::Check {
            self.send
        } else {
            "Continue"
        };
        page(
            &title,
            None,
            &html! {
                @if let Some(back) = back { a class="back" href=(back) { "Back" } }
                @if !errors.is_empty() {
                    div class="errors" role="alert" {
                        p { strong { "Some answers need a change:" } }
                        ul {
                            @for (field, message) in errors.iter() {
                                @let target = if step == Step::Check {
                                    format!("{}#{}", self.url(Self::step_of_field(field), true), field_id(field))
                                } else {
                                    format!("#{}", field_id(field))
                                };
                                li { a href=(target) { (message) } }
                            }
                        }
                    }
                }
                p class="caption" { (self.about) }
                form method="post" action=(self.base) {
                    input type="hidden" name="csrf_token" value=(csrf);
                    input type="hidden" name="step" value=(step.name());
                    @if then_check { input type="hidden" name="then" value="check"; }
                    @for (name, value) in hidden { input type="hidden" name=(name) value=(value); }
                    (self.content(step, form, errors))
                    p { button type="submit" { (button) } }
                }
                (self.footer)
            },
        )
    }

    fn feel_heading(&self) -> &'static str {
        if self.has_last_page() {
            "Do you feel anything new?"
        } else {
            "What do you feel now?"
        }
    }

    /// The questions of one page.
    fn content(&self, step: Step, form: &FormData, errors: &FieldErrors) -> Markup {
        match step {
            Step::Treatment => html! {
                h1 { "Check how you feel after a treatment" }
                p { "Answer a few short questions, one page at a time, and get an answer at once. Nothing is shared with anyone: no account, no clinic. "
                    "This is decision support, not a diagnosis." }
                (treatment_fields(form, errors))
            },
            Step::Last => self.last_page(form, errors),
            Step::Feel => self.feel_page(form, errors),
            Step::Symptom(kind) => Self::symptom_page(kind, form, errors),
            Step::Background => html! {
                h1 { "Since your treatment" }
                @if !self.so_far.confirm_fields().is_empty() {
                    p class="hint" { "Your answers about medicines and pregnancy are filled in from your last check-in. Please check they are still right." }
                }
                (background_fields(form, errors, self.so_far))
            },
            Step::Note => html! {
                h1 { "Anything else you want to tell us?" }
                (note_field(form, errors))
            },
            Step::Check => self.check_page(form),
        }
    }

    fn last_page(&self, form: &FormData, errors: &FieldErrors) -> Markup {
        html! {
            h1 { "Since your last check-in" }
            p { "Last time you told us about these. How are they now?" }
            @for kind in self.so_far.reported_kinds() {
                @let name = format!("{kind}.now");
                @let id = field_id(&name);
                @let invalid = errors.get(&name).is_some();
                fieldset class="choices" id=(id) aria-describedby=[invalid.then(|| format!("{id}-error"))] {
                    legend { (words::symptom(*kind)) }
                    div class="options" {
                        @for (value, text) in [("still", "Still there"), ("better", "Better"), ("gone", "Gone")] {
                            label class="check" for={ (id) "-" (value) } {
                                input type="radio" id={ (id) "-" (value) } name=(name) value=(value) checked[form.raw(&name) == value];
                                (text)
                            }
                        }
                    }
                    (error_line(errors, &name))
                }
            }
        }
    }

    fn feel_page(&self, form: &FormData, errors: &FieldErrors) -> Markup {
        let shown = |kind: &SymptomKind| !self.on_last_page(kind.as_str());
        let common: Vec<SymptomKind> = SymptomKind::ALL
            .iter()
            .copied()
            .filter(|kind| !is_warning_sign(*kind) && shown(kind))
            .collect();
        let signs: Vec<SymptomKind> = WARNING_SIGNS.iter().copied().filter(shown).collect();
        let invalid = errors.get("symptom").is_some();
        let tick = |kind: SymptomKind| {
            let name = kind.as_str();
            html! {
                label class="check" for={ "symptom-" (name) } {
                    input type="checkbox" id={ "symptom-" (name) } name="symptom" value=(name) checked[form.has("symptom", name)];
                    span { (words::symptom(kind))
                        @if let Some(hint) = words::symptom_hint(kind) { br; span class="hint" { (hint) } } }
                }
            }
        };
        html! {
            h1 { (self.feel_heading()) }
            p class="warning" { "Chest pain, sudden breathlessness, sudden weakness or numbness on one side of the body or face, or a sudden, very severe headache: call your local emergency number now, before anything else." }
            fieldset id="symptom" aria-describedby=[invalid.then_some("symptom-error")] {
                legend { "Tick each thing you feel now" }
                (error_line(errors, "symptom"))
                div class="ticks" { @for kind in &common { (tick(*kind)) } }
                fieldset class="signs" {
                    legend { "Warning signs" }
                    p class="hint" { "Less common. Tick any you have: they are important to know about." }
                    div class="ticks" { @for kind in &signs { (tick(*kind)) } }
                }
                p class="or" { "or" }
                label class="check" for="nothing" {
                    input type="checkbox" id="nothing" name="nothing" value="yes" checked[form.has("nothing", "yes")];
                    @if self.has_last_page() { "Nothing new" } @else { "None of these" }
                }
            }
        }
    }

    fn symptom_page(kind: SymptomKind, form: &FormData, errors: &FieldErrors) -> Markup {
        let name = kind.as_str();
        let counted = !form.has("symptom", name) && has_detail(kind, form.fields());
        html! {
            h1 { (words::symptom(kind)) }
            @if let Some(hint) = words::symptom_hint(kind) { p class="hint" { (hint) } }
            @if counted {
                p class="hint" { "You did not tick this, but you answered questions about it, so it counts as something you feel. To take it back, set each answer here to “Not stated” or untick it." }
            }
            @if questions(kind).is_empty() {
                p { "There is nothing more to ask about this." }
            } @else {
                p { "Answer what you can. You can leave out what you are not sure about." }
            }
            (symptom_questions(kind, form, errors))
            @if kind == SymptomKind::Fainting {
                fieldset {
                    legend { "With it or since, did you have any of these?" }
                    div class="ticks" {
                        @for with in FAINTING_WITH {
                            label class="check" for={ "symptom-" (with.as_str()) } {
                                input type="checkbox" id={ "symptom-" (with.as_str()) } name="symptom" value=(with.as_str()) checked[form.has("symptom", with.as_str())];
                                (words::symptom(with))
                            }
                        }
                    }
                    (error_line(errors, "symptom"))
                }
            }
        }
    }
}
