//! The summary's content as laid out in the PDF: the most serious answer,
//! client and treatment, the chart, every check-in and every other answer.

use std::collections::BTreeSet;

use aftercare_store::millis_of;

use super::chart::chart_height;
use super::font::{Face, Font};
use super::layout::{INK, Layout, MUTED, finish, rgb};
use crate::web::answer::Reported;
use crate::web::chart;
use crate::web::checkin::warning_signs_first;
use crate::web::summary::{Answer, ReasonWords, Summary, reasons, told};
use crate::web::words;

impl Layout {
    /// One answer with every rule that fired, in words.
    fn answer(&mut self, answer: &Answer<'_>, reasons: Vec<ReasonWords>, title: &str) {
        let level = answer.view.level;
        self.room(50.0);
        self.y -= 4.0;
        self.paragraph(
            Face::Bold,
            10.0,
            0.0,
            rgb(chart::level_colour(level)),
            &format!("{title}{}", level.heading()),
        );
        self.paragraph(
            Face::Regular,
            8.0,
            0.0,
            MUTED,
            &format!("Level {}; {}.", level.as_str(), answer.context()),
        );
        if let Some(told) = told(level) {
            self.paragraph(Face::Bold, 9.0, 0.0, INK, told);
        }
        if reasons.is_empty() {
            self.text(0.0, "No rule fired.");
        }
        for reason in reasons {
            let label = reason
                .label
                .map(|label| format!(" ({label})"))
                .unwrap_or_default();
            let finding = if reason.finding.is_empty() {
                String::new()
            } else {
                format!("{}. ", reason.finding.join("; "))
            };
            self.room(30.0);
            self.paragraph(
                Face::Regular,
                9.0,
                8.0,
                INK,
                &format!(
                    "• {}{label}: {finding}{}",
                    chart::level_name(reason.level),
                    reason.why
                ),
            );
            for source in &reason.sources {
                self.paragraph(
                    Face::Regular,
                    8.0,
                    18.0,
                    INK,
                    &if source.said_before {
                        format!("Guidance {}, as above.", source.id)
                    } else {
                        format!("Guidance {}: {}", source.id, source.words)
                    },
                );
            }
            self.paragraph(
                Face::Regular,
                7.0,
                18.0,
                MUTED,
                &format!("rule {}", reason.rule),
            );
        }
    }
}

/// The summary PDF's bytes, or `None` if the font could not be embedded.
pub(super) fn summary_bytes(summary: &Summary) -> Option<Vec<u8>> {
    let record = &summary.record;
    let mut layout = Layout::new(Font::load(Face::Regular)?, Font::load(Face::Bold)?);
    layout.paragraph(
        Face::Bold,
        15.0,
        0.0,
        INK,
        &format!("After-treatment summary: {}", summary.client.name),
    );
    layout.paragraph(
        Face::Regular,
        8.5,
        0.0,
        MUTED,
        &format!(
            "Made by {} with Aftercare on {}. Aftercare is decision support, not a diagnosis.",
            summary.clinic,
            summary.clock.when(summary.made_at)
        ),
    );
    let course = record.course();
    let reported = Reported::course(&course);
    let answers = summary.answers();
    let mut said = BTreeSet::new();
    let worded: Vec<Vec<ReasonWords>> = answers
        .iter()
        .map(|answer| reasons(&answer.view, &reported, &mut said))
        .collect();
    let mut worded = worded.into_iter();
    if let (Some(first), Some(reasons)) = (answers.first(), worded.next()) {
        layout.y -= 4.0;
        layout.answer(first, reasons, "Most serious answer: ");
    }
    layout.heading("Client, clinic and therapist");
    for (label, value) in summary.client_lines() {
        layout.text(0.0, &format!("{label}: {value}"));
    }
    layout.heading("Treatment");
    layout.text(0.0, &summary.treatment());
    // No private notes: see `summary.rs`.
    // The heading goes with the chart to the next page if it does not fit.
    let data = chart::data(&course, &record.answered_levels());
    layout.room(chart_height(&data) + 40.0);
    layout.heading("Symptoms over time");
    layout.chart(&data);
    layout.heading("Check-ins");
    if record.checkins.is_empty() {
        layout.text(0.0, "No check-ins.");
    }
    for (index, checkin) in record.checkins.iter().enumerate() {
        let hours = checkin.checkin.at.hours_since(record.treatment.details.at);
        layout.room(30.0);
        layout.y -= 3.0;
        layout.paragraph(
            Face::Bold,
            9.0,
            0.0,
            INK,
            &format!(
                "Check-in {}: {} ({hours:.0} h after the treatment)",
                index + 1,
                summary.clock.when(millis_of(checkin.checkin.at))
            ),
        );
        let background = words::background(&checkin.checkin.context);
        let note = words::note(&checkin.checkin);
        if checkin.checkin.symptoms.is_empty() {
            let none = if background.is_empty() && note.is_none() {
                "Nothing to report."
            } else {
                "No symptoms reported."
            };
            layout.text(8.0, none);
        }
        for symptom in warning_signs_first(&checkin.checkin.symptoms) {
            layout.text(8.0, &format!("• {}", words::described(symptom)));
        }
        if !background.is_empty() {
            layout.text(8.0, &format!("Background: {}.", background.join("; ")));
        }
        if let Some(note) = note {
            layout.text(8.0, &format!("Note: {note}"));
        }
        if let Some(decision) = record.decisions.iter().find(|d| d.checkin_id == checkin.id) {
            layout.text(8.0, &format!("Answer: {}", decision.level.heading()));
        }
    }
    if answers.is_empty() {
        layout.heading("Answers");
        layout.text(0.0, "No answers yet.");
    } else if answers.len() > 1 {
        layout.heading("Every other answer, most serious first");
        for (answer, reasons) in answers[1..].iter().zip(worded) {
            layout.answer(answer, reasons, "");
        }
    }
    Some(finish(layout, summary))
}
