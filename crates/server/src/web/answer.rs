//! A decision as people read it: the level heading first (for an
//! emergency, the instruction to call the emergency number before
//! anything else), then why, what to do and when to check in next.
//!
//! When the clinic's country is known, the numbers are the country's own,
//! as links a phone dials with one tap (`tel:`): the emergency number on
//! `emergency` and `urgent` answers, the national medical help line (where
//! there is one) on `urgent` and `see_doctor` answers. Without a country
//! (a self-check, or a clinic that has not set one) the instruction says
//! "your local emergency number" and no number is guessed; on an
//! `emergency` answer the numbers of every country known here follow it,
//! folded, one tap away.
//!
//! Every reason the decision gives is shown, also the red flags carried
//! from an earlier check-in and the findings held after a clinician's
//! assessment, each marked as such.

use aftercare_core::phone_numbers::{COUNTRIES, Country, HelpLine, PhoneNumber};
use aftercare_core::vocabulary::SymptomKind;
use aftercare_core::{Checkin, Course, Level, Timestamp};
use maud::{Markup, html};
use serde::Deserialize;

use crate::web::questions::is_warning_sign;
use crate::web::reach::Reach;

/// The guideline's promise of contact, true only when an alert can reach
/// the therapist.
const PROMISE: &str = "They have been alerted and may get in touch.";

/// Who reads a decision, which decides what the page may promise.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Audience {
    /// A client of a clinic, and who a message can reach.
    Client(Reach),
    /// Someone using the self-check: no clinic, no therapist, no messages.
    SelfCheck,
    /// The therapist reading a course.
    Therapist(Reach),
}

impl Audience {
    /// The numbers of the clinic's country, if the reader has a clinic
    /// that set one.
    fn phones(self) -> Option<&'static Country> {
        match self {
            Audience::Client(reach) | Audience::Therapist(reach) => reach.phones,
            Audience::SelfCheck => None,
        }
    }

    /// A line of the guideline as this reader may see it: contact is never
    /// promised when no message can go out, and someone without a
    /// therapist is pointed to "a therapist or doctor". `None`: leave it out.
    pub(crate) fn words(self, text: &str) -> Option<String> {
        let text = match self {
            Audience::Therapist(_) => return Some(text.to_owned()),
            Audience::Client(reach) if reach.therapist => text.to_owned(),
            Audience::Client(_) => text.replace(
                PROMISE,
                "No message reaches them from here: they see it when they next open Aftercare, so contact them yourself if it cannot wait.",
            ),
            Audience::SelfCheck => text
                .replace(
                    &format!("Let your therapist know. {PROMISE}"),
                    "Tell a therapist or doctor about it.",
                )
                .replace(PROMISE, "")
                .replace("Let your therapist know", "Tell a therapist or doctor")
                .replace("your therapist", "a therapist or doctor")
                .replace("Your therapist", "A therapist or doctor"),
        };
        let text = text.trim();
        (!text.is_empty()).then(|| text.to_owned())
    }
}

/// A stored decision as the pages read it.
#[derive(Debug, Deserialize)]
pub(crate) struct DecisionView {
    /// The level.
    pub(crate) level: Level,
    /// One sentence for the person.
    pub(crate) summary: String,
    /// Every rule that fired, carried red flags included.
    #[serde(default)]
    pub(crate) reasons: Vec<ReasonView>,
    /// What to do.
    #[serde(default)]
    pub(crate) advice: Vec<String>,
    /// Hours until the next check-in.
    pub(crate) next_checkin_hours: Option<u32>,
    /// That this is decision support.
    #[serde(default)]
    pub(crate) disclaimer: String,
}

/// A rule that fired.
#[derive(Debug, Deserialize)]
pub(crate) struct ReasonView {
    /// Rule id.
    pub(crate) rule: String,
    /// The rule's level.
    pub(crate) level: Level,
    /// Why, in plain words.
    pub(crate) why: String,
    /// Paths into the course of what the rule matched.
    #[serde(default)]
    pub(crate) evidence: Vec<String>,
    /// Guidance ids.
    #[serde(default)]
    pub(crate) sources: Vec<String>,
    /// Set when this is a red flag reported at an earlier check-in and
    /// still open.
    #[serde(default)]
    pub(crate) earlier: Option<EarlierView>,
    /// Set when a clinician has assessed this finding and it is held at
    /// `see_doctor`.
    #[serde(default)]
    pub(crate) assessed: Option<AssessedView>,
}

/// Where a carried red flag was first reported.
#[derive(Debug, Deserialize)]
pub(crate) struct EarlierView {
    /// Index of the check-in that reported it.
    pub(crate) checkin: usize,
    /// When that was.
    pub(crate) at: Timestamp,
    /// The level it had then.
    pub(crate) level: Level,
}

/// The assessment a held reason refers to.
#[derive(Debug, Deserialize)]
pub(crate) struct AssessedView {
    /// Index of the check-in that said a clinician had seen it.
    pub(crate) checkin: usize,
    /// The level the rule gives without the assessment.
    pub(crate) rule_level: Level,
}

impl DecisionView {
    /// Reads a decision's JSON; `None` if it cannot be read.
    pub(crate) fn parse(json: &str) -> Option<DecisionView> {
        serde_json::from_str(json).ok()
    }

    /// Whether any reason is a red flag carried from an earlier check-in.
    pub(crate) fn carries_earlier(&self) -> bool {
        self.reasons.iter().any(|reason| reason.earlier.is_some())
    }

    /// Whether any reason is held after a clinician's assessment.
    pub(crate) fn holds_assessed(&self) -> bool {
        self.reasons.iter().any(|reason| reason.assessed.is_some())
    }
}

impl ReasonView {
    /// A short label for a carried or held reason, `None` for one that
    /// fired on the check-in itself.
    pub(crate) fn label(&self) -> Option<&'static str> {
        if self.earlier.is_some() {
            return Some("Still open from an earlier check-in:");
        }
        self.assessed
            .as_ref()
            .map(|_| "Already seen by a clinician:")
    }

    /// The same label with the levels, for the therapist and the doctor.
    pub(crate) fn clinical_label(&self) -> Option<String> {
        if let Some(earlier) = &self.earlier {
            return Some(format!(
                "carried from check-in {} of {} ({} then)",
                earlier.checkin + 1,
                day(earlier.at),
                earlier.level.as_str()
            ));
        }
        self.assessed.as_ref().map(|assessed| {
            format!(
                "held at see_doctor after a clinician's assessment (check-in {}); the rule gives {}",
                assessed.checkin + 1,
                assessed.rule_level.as_str()
            )
        })
    }
}

/// The symptoms a decision's evidence can point at, by check-in index.
#[derive(Default)]
pub(crate) struct Reported<'a> {
    checkins: Vec<(usize, &'a Checkin)>,
}

impl<'a> Reported<'a> {
    /// Every check-in of a course.
    pub(crate) fn course(course: &'a Course) -> Reported<'a> {
        Reported {
            checkins: course.checkins.iter().enumerate().collect(),
        }
    }

    /// One check-in at its place in the course.
    pub(crate) fn checkin(index: usize, checkin: &'a Checkin) -> Reported<'a> {
        Reported {
            checkins: vec![(index, checkin)],
        }
    }

    /// Check-ins at their places in the course.
    pub(crate) fn checkins(checkins: Vec<(usize, &'a Checkin)>) -> Reported<'a> {
        Reported { checkins }
    }

    /// The symptom an evidence path such as `checkins[2].symptoms[0]`
    /// names, if it names one known here.
    pub(crate) fn symptom(&self, path: &str) -> Option<&'a aftercare_core::Symptom> {
        let rest = path.strip_prefix("checkins[")?;
        let (checkin, rest) = rest.split_once("].symptoms[")?;
        let symptom = rest.strip_suffix(']')?;
        let (checkin, symptom) = (
            checkin.parse::<usize>().ok()?,
            symptom.parse::<usize>().ok()?,
        );
        let (_, found) = self.checkins.iter().find(|(index, _)| *index == checkin)?;
        found.symptoms.get(symptom)
    }

    /// The kind of the symptom an evidence path such as
    /// `checkins[2].symptoms[0]` names, if it names one known here.
    fn kind(&self, path: &str) -> Option<SymptomKind> {
        self.symptom(path).map(|s| s.kind)
    }

    /// Whether a reason stands on a warning sign reported (a symptom of
    /// the warning-sign group that is present).
    fn names_warning_sign(&self, reason: &ReasonView) -> bool {
        reason
            .evidence
            .iter()
            .filter_map(|path| self.kind(path))
            .any(is_warning_sign)
    }
}

/// The reasons in the order they are shown: highest level first, as the
/// decision gives them, and within a level those that stand on a warning
/// sign first.
pub(crate) fn shown_order<'r>(
    reasons: &'r [ReasonView],
    reported: &Reported<'_>,
) -> Vec<&'r ReasonView> {
    let mut ordered: Vec<&ReasonView> = reasons.iter().collect();
    ordered.sort_by_key(|reason| {
        (
            std::cmp::Reverse(reason.level),
            !reported.names_warning_sign(reason),
        )
    });
    ordered
}

/// The decision, level heading first; for an emergency, the instruction to
/// call the emergency number comes before anything else. For `emergency`
/// and `urgent` the page says what to do now and gives no next check-in
/// time; otherwise the next check-in is promised as a reminder only when
/// one can reach the reader.
pub(crate) fn decision_block(
    decision: &DecisionView,
    heading_level: u8,
    reported: &Reported<'_>,
    audience: Audience,
) -> Markup {
    let heading = audience
        .words(decision.level.heading())
        .unwrap_or_else(|| decision.level.heading().to_owned());
    html! {
        section id="decision" class="decision" data-level=(decision.level.as_str()) aria-labelledby="decision-heading" {
            @match heading_level {
                0 | 1 => { h1 id="decision-heading" { (heading) } }
                2 => { h2 id="decision-heading" { (heading) } }
                _ => { h3 id="decision-heading" { (heading) } }
            }
            @if decision.level == Level::Emergency {
                @match (audience, audience.phones()) {
                    (Audience::Client(_), Some(phones)) => { p class="emergency-call" { (call(phones.emergency)) " now. Do not wait for a reply from your therapist." } }
                    (Audience::Client(_), None) => {
                        p class="emergency-call" { "Call your local emergency number now. Do not wait for a reply from your therapist." }
                        (numbers_by_country())
                    }
                    (Audience::SelfCheck, _) => {
                        p class="emergency-call" { "Call your local emergency number now. Do not wait." }
                        (numbers_by_country())
                    }
                    (Audience::Therapist(_), Some(phones)) => { p class="emergency-call" { "The client was told to call " (phones.emergency.shown) " now." } }
                    (Audience::Therapist(_), None) => { p class="emergency-call" { "The client was told to call their local emergency number now. The clinic's owner can set its country in Settings, so that clients see the number to call." } }
                }
            }
            @if let Some(summary) = audience.words(&decision.summary) { p class="lead" { (summary) } }
            @if !decision.reasons.is_empty() {
                (subheading(heading_level, "Why"))
                ul class="reasons" {
                    @for reason in shown_order(&decision.reasons, reported) {
                        li data-level=(reason.level.as_str())
                            data-carried=[reason.earlier.as_ref().map(|_| "earlier")]
                            data-held=[reason.assessed.as_ref().map(|_| "assessed")] {
                            @if let Some(label) = reason.label() {
                                strong class="tag" { (label) } " "
                            }
                            (audience.words(&reason.why).unwrap_or_default())
                        }
                    }
                }
            }
            @let advice: Vec<String> = decision.advice.iter().filter_map(|line| audience.words(line)).collect();
            @if !advice.is_empty() {
                (subheading(heading_level, "What to do"))
                ul { @for line in &advice { li { (line) } } }
            }
            (next_step(decision, audience))
            (helpline_advice(decision, audience))
            @if !decision.disclaimer.is_empty() { p class="muted" { (decision.disclaimer) } }
        }
    }
}

/// What comes next: for `emergency` nothing beyond the call above, for
/// `urgent` care today; otherwise when to check in, and whether a
/// reminder will come.
fn next_step(decision: &DecisionView, audience: Audience) -> Markup {
    html! {
        @match (decision.level, decision.next_checkin_hours) {
            (Level::Emergency, _) => {}
            (Level::Urgent, _) => {
                p class="now" id="next-step" { @match audience {
                    Audience::Therapist(_) => { "The client was told to get medical care today." }
                    _ => { "Get medical care today, before anything else. Check in again after you have been seen, or at once if anything gets worse." }
                } }
                @if let (Some(phones), false) = (audience.phones(), matches!(audience, Audience::Therapist(_))) {
                    p class="phones" {
                        @if let Some(line) = phones.medical_line {
                            "If you cannot see a doctor today, " (call_line(line)) ". "
                        }
                        "In an emergency, " (call_lower(phones.emergency)) "."
                    }
                }
            }
            (_, None) => { p id="next-step" { "No further check-in is needed unless something changes." } }
            (_, Some(hours)) => {
                p id="next-step" { @match audience {
                    Audience::Client(reach) if reach.client => { "Next check-in: in " (hours) " hours, or sooner if anything changes." }
                    Audience::Client(_) => { "Check in again with your link in about " (hours) " hours, or sooner if anything changes. No reminder will be sent, so keep your link." }
                    Audience::SelfCheck => { "Check in again with your diary link in about " (hours) " hours, or sooner if anything changes. No reminder will be sent, so keep your link." }
                    Audience::Therapist(reach) if reach.client => { "Next check-in asked for in " (hours) " hours; a reminder will be sent." }
                    Audience::Therapist(_) => { "The client was asked to check in again in about " (hours) " hours. No reminder can reach them: check the dashboard." }
                } }
            }
        }
    }
}

/// Helpline advice for a `see_doctor` answer, where the clinic's
/// country has a national medical help line.
fn helpline_advice(decision: &DecisionView, audience: Audience) -> Markup {
    let line = match audience {
        Audience::Client(reach) if decision.level == Level::SeeDoctor => {
            reach.phones.and_then(|phones| phones.medical_line)
        }
        _ => None,
    };
    html! {
        @if let Some(line) = line {
            p class="phones" { "For advice before you see a doctor, you can " (call_line(line)) "." }
        }
    }
}

/// `Call 999` as a link a phone dials.
fn call(number: PhoneNumber) -> Markup {
    html! { a class="call" href={ "tel:" (number.dial()) } { "Call " (number.shown) } }
}

/// Where the reader's country is not known (a self-check, or a clinic
/// that has not set one): every emergency number known here, each a link a
/// phone dials, folded under the instruction so that the instruction stays
/// the first thing on the page and the list is one tap away.
fn numbers_by_country() -> Markup {
    html! {
        details class="numbers-by-country" {
            summary { "Emergency numbers by country" }
            ul {
                @for country in COUNTRIES {
                    li { (country.name) ": " a class="call" href={ "tel:" (country.emergency.dial()) } { (country.emergency.shown) } }
                }
            }
        }
    }
}

/// `call 999` as a link, inside a sentence.
fn call_lower(number: PhoneNumber) -> Markup {
    html! { a class="call" href={ "tel:" (number.dial()) } { "call " (number.shown) } }
}

/// `call NHS 111`, or `call healthdirect on 1800 022 222` when the name
/// does not say the number, as a link.
fn call_line(line: HelpLine) -> Markup {
    html! {
        a class="call" href={ "tel:" (line.number.dial()) } {
            "call " (line.name)
            @if !line.name.contains(line.number.shown) { " on " (line.number.shown) }
        }
    }
}

/// A date for people, e.g. `21 November 2026`, in the offset the
/// check-in was made in.
fn day(at: Timestamp) -> String {
    let at = at.get();
    format!("{} {} {}", at.day(), at.month(), at.year())
}

/// A heading one level below `level` (h2 to h6).
fn subheading(level: u8, text: &str) -> Markup {
    match level {
        0 | 1 => html! { h2 { (text) } },
        2 => html! { h3 { (text) } },
        3 => html! { h4 { (text) } },
        4 => html! { h5 { (text) } },
        _ => html! { h6 { (text) } },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn course() -> Course {
        Course::from_json(
            r#"{"treatment": {"at": "2026-11-20T15:00:00Z", "modality": "swedish"},
                "checkins": [
                  {"at": "2026-11-21T09:00:00Z", "symptoms": [{"kind": "chest_pain", "severity": "mild"}]},
                  {"at": "2026-11-22T09:00:00Z", "symptoms": [
                    {"kind": "soreness", "severity": "severe"},
                    {"kind": "palpitations", "frequency": "rarely"}]}
                ]}"#,
        )
        .expect("a course")
    }

    fn decision() -> DecisionView {
        DecisionView::parse(
            r#"{"level": "emergency", "summary": "Call now.", "next_checkin_hours": null,
                "reasons": [
                  {"rule": "chest_pain.any", "level": "emergency", "why": "Earlier, on 21 November 2026, you reported this.",
                   "evidence": ["checkins[0].symptoms[0]"], "sources": ["guidance:G1"],
                   "earlier": {"checkin": 0, "at": "2026-11-21T09:00:00Z", "level": "emergency"}},
                  {"rule": "soreness.severe", "level": "see_doctor", "why": "Severe soreness.",
                   "evidence": ["checkins[1].symptoms[0]"], "sources": []},
                  {"rule": "palpitations.any", "level": "see_doctor", "why": "A racing heartbeat.",
                   "evidence": ["checkins[1].symptoms[1]"], "sources": [],
                   "assessed": {"checkin": 1, "rule_level": "urgent"}}
                ]}"#,
        )
        .expect("a decision")
    }

    #[test]
    fn within_a_level_a_warning_sign_comes_first_and_levels_stay_in_order() {
        let course = course();
        let decision = decision();
        let order: Vec<&str> = shown_order(&decision.reasons, &Reported::course(&course))
            .iter()
            .map(|reason| reason.rule.as_str())
            .collect();
        assert_eq!(
            order,
            ["chest_pain.any", "palpitations.any", "soreness.severe"]
        );
        // Without the course, the decision's own order stands.
        let order: Vec<&str> = shown_order(&decision.reasons, &Reported::default())
            .iter()
            .map(|reason| reason.rule.as_str())
            .collect();
        assert_eq!(
            order,
            ["chest_pain.any", "soreness.severe", "palpitations.any"]
        );
    }

    #[test]
    fn carried_and_held_reasons_are_shown_and_marked() {
        let course = course();
        let decision = decision();
        assert!(decision.carries_earlier() && decision.holds_assessed());
        let reach = Reach {
            therapist: true,
            client: true,
            phones: None,
        };
        let page = decision_block(
            &decision,
            1,
            &Reported::course(&course),
            Audience::Client(reach),
        )
        .into_string();
        let heading = page.find("<h1").expect("a heading");
        let call = page.find("emergency-call").expect("the call");
        assert!(heading < call);
        assert!(page.contains("Still open from an earlier check-in:"));
        assert!(page.contains(r#"data-carried="earlier""#));
        assert!(page.contains("Already seen by a clinician"));
        assert!(page.contains("Severe soreness."));
        assert_eq!(page.matches("<li data-level=").count(), 3);
    }

    fn answer(level: &str, country: Option<&str>, audience: fn(Reach) -> Audience) -> String {
        let decision = DecisionView::parse(&format!(
            r#"{{"level": "{level}", "summary": "Words.", "next_checkin_hours": 24}}"#
        ))
        .expect("a decision");
        let reach = Reach {
            therapist: true,
            client: true,
            phones: country.and_then(aftercare_core::phone_numbers::numbers_for),
        };
        decision_block(&decision, 1, &Reported::default(), audience(reach)).into_string()
    }

    #[test]
    fn an_emergency_answer_gives_the_country_number_to_tap_first() {
        let page = answer("emergency", Some("GB"), Audience::Client);
        let call = page
            .find(r#"<a class="call" href="tel:999">Call 999</a> now."#)
            .expect("999");
        assert!(page.find("<h1").expect("a heading") < call);
        assert!(call < page.find("Words.").expect("the summary"));
        assert!(answer("emergency", Some("US"), Audience::Client).contains(r#"href="tel:911""#));
        let unknown = answer("emergency", None, Audience::Client);
        let instruction = unknown
            .find("Call your local emergency number now.")
            .expect("the instruction");
        let list = unknown
            .find("Emergency numbers by country")
            .expect("the numbers of every known country");
        assert!(instruction < list && list < unknown.find("Words.").expect("the summary"));
        assert!(!unknown[..list].contains("tel:"), "no number is guessed");
        for country in COUNTRIES {
            assert!(
                unknown.contains(&format!(
                    r#"{}: <a class="call" href="tel:{}">"#,
                    country.name,
                    country.emergency.dial()
                )),
                "{} is missing from the list",
                country.name
            );
        }
        let self_check = decision_block(
            &DecisionView::parse(r#"{"level": "emergency", "summary": "Words."}"#)
                .expect("a decision"),
            1,
            &Reported::default(),
            Audience::SelfCheck,
        )
        .into_string();
        assert!(self_check.contains("Emergency numbers by country"));
        assert!(self_check.contains(r#"United Kingdom: <a class="call" href="tel:999">999</a>"#));
        assert!(!answer("emergency", Some("GB"), Audience::Client).contains("by country"));
        assert!(!answer("urgent", None, Audience::Client).contains("by country"));
        let therapist = answer("emergency", None, Audience::Therapist);
        assert!(therapist.contains("set its country in Settings"));
    }

    #[test]
    fn urgent_and_see_doctor_answers_offer_the_help_line_where_there_is_one() {
        let urgent = answer("urgent", Some("GB"), Audience::Client);
        assert!(urgent.contains(r#"<a class="call" href="tel:111">call NHS 111</a>"#));
        assert!(urgent.contains(r#"href="tel:999">call 999</a>"#));
        let australia = answer("urgent", Some("AU"), Audience::Client);
        assert!(
            australia.contains(r#"href="tel:1800022222">call healthdirect on 1800 022 222</a>"#)
        );
        let us = answer("urgent", Some("US"), Audience::Client);
        assert!(us.contains(r#"href="tel:911""#) && !us.contains("If you cannot see a doctor"));
        assert!(answer("see_doctor", Some("GB"), Audience::Client).contains(r#"href="tel:111""#));
        assert!(!answer("see_doctor", Some("GB"), Audience::Client).contains("tel:999"));
        assert!(!answer("urgent", None, Audience::Client).contains("tel:"));
        assert!(!answer("urgent", Some("GB"), Audience::Therapist).contains("tel:"));
    }
}
