//! The doctor summary as a one-page PDF: the treatment, the chart drawn
//! with lines, every check-in and every answer with its rules. Text that
//! does not fit is cut with a note pointing to the printable page.

use std::fmt::Write as _;

use aftercare_core::Level;
use aftercare_store::millis_of;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

use crate::state::AppState;
use crate::web::answer::{DecisionView, Reported, shown_order};
use crate::web::chart::{self, STYLES};
use crate::web::checkin::{warning_signs_first, when};
use crate::web::course::read_course;
use crate::web::error::WebError;
use crate::web::layout::set_page_headers;
use crate::web::session::Therapist;
use crate::web::words;

/// A4 in points.
const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 40.0;
const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");

/// Text in the standard fonts' encoding: Latin-1 letters as they are,
/// typographic quotes and dashes as their plain forms, anything else `?`.
fn latin(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '“' | '”' => b'"',
            '‘' | '’' => b'\'',
            '–' | '—' => b'-',
            '…' => b'.',
            c if (c as u32) < 256 && !c.is_control() => c as u8,
            _ => b'?',
        })
        .collect()
}

/// Breaks text into lines of at most `width` characters.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Writes lines top-down until the page's bottom margin.
struct Writer {
    content: Content,
    y: f32,
    full: bool,
}

impl Writer {
    fn line(&mut self, font: Name<'_>, size: f32, text: &str) {
        if self.full {
            return;
        }
        if self.y < MARGIN + 2.0 * size {
            self.full = true;
            self.content.begin_text();
            self.content.set_font(REGULAR, 8.0);
            self.content.next_line(MARGIN, MARGIN);
            self.content.show(Str(
                b"More did not fit on this page: see the printable summary in Aftercare.",
            ));
            self.content.end_text();
            return;
        }
        self.content.begin_text();
        self.content.set_font(font, size);
        self.content.next_line(MARGIN, self.y);
        self.content.show(Str(&latin(text)));
        self.content.end_text();
        self.y -= size * 1.35;
    }

    /// A section heading, with room above it.
    fn heading(&mut self, text: &str) {
        self.y -= 8.0;
        self.line(BOLD, 11.0, text);
    }

    fn paragraph(&mut self, size: f32, text: &str) {
        let width = ((PAGE_WIDTH - 2.0 * MARGIN) / (size * 0.5)) as usize;
        for line in wrap(text, width) {
            self.line(REGULAR, size, &line);
        }
    }
}

/// A colour `#rrggbb` as PDF RGB.
fn rgb(hex: &str) -> (f32, f32, f32) {
    let channel = |at: usize| {
        u8::from_str_radix(hex.get(at..at + 2).unwrap_or("00"), 16)
            .map_or(0.0, |v| f32::from(v) / 255.0)
    };
    (channel(1), channel(3), channel(5))
}

/// Draws the chart in a box whose top-left corner is at (`left`, `top`).
fn draw_chart(content: &mut Content, data: &chart::ChartData, left: f32, top: f32) -> f32 {
    let (width, height) = (PAGE_WIDTH - 2.0 * MARGIN - 70.0, 110.0);
    let (x0, y0) = (left + 70.0, top - height);
    let at_hour = |hours: f64| x0 + (hours / data.max_hours) as f32 * width;
    let at_severity = |severity: f64| y0 + (severity / 4.0) as f32 * height;
    content.set_line_width(0.5);
    content.set_stroke_rgb(0.75, 0.75, 0.75);
    for level in 0..5 {
        content.move_to(x0, at_severity(f64::from(level)));
        content.line_to(x0 + width, at_severity(f64::from(level)));
    }
    content.stroke();
    content.set_fill_rgb(0.1, 0.1, 0.1);
    for (index, severity) in aftercare_core::vocabulary::Severity::ALL.iter().enumerate() {
        content.begin_text();
        content.set_font(REGULAR, 7.0);
        content.next_line(left, at_severity(index as f64) - 2.0);
        content.show(Str(words::severity(*severity).as_bytes()));
        content.end_text();
    }
    content.begin_text();
    content.set_font(REGULAR, 7.0);
    content.next_line(x0, y0 - 10.0);
    content.show(Str(format!(
        "0 h ... {:.0} h since the treatment",
        data.max_hours
    )
    .as_bytes()));
    content.end_text();
    for (index, series) in data.series.iter().enumerate() {
        let (colour, dash) = STYLES[index % STYLES.len()];
        let (red, green, blue) = rgb(colour);
        content.set_stroke_rgb(red, green, blue);
        content.set_line_width(1.5);
        let pattern: Vec<f32> = dash
            .split_whitespace()
            .filter_map(|d| d.parse().ok())
            .collect();
        content.set_dash_pattern(pattern, 0.0);
        for (point, (hours, severity)) in series.points.iter().enumerate() {
            if point == 0 {
                content.move_to(at_hour(*hours), at_severity(*severity));
            } else {
                content.line_to(at_hour(*hours), at_severity(*severity));
            }
        }
        if series.points.len() == 1 {
            let (hours, severity) = series.points[0];
            content.line_to(at_hour(hours) + 2.0, at_severity(severity));
        }
        content.stroke();
        content.set_dash_pattern([], 0.0);
        // Legend entry.
        let ly = y0 - 22.0 - 10.0 * index as f32;
        content.move_to(x0, ly + 2.0);
        content.line_to(x0 + 20.0, ly + 2.0);
        content.stroke();
        content.set_fill_rgb(0.1, 0.1, 0.1);
        content.begin_text();
        content.set_font(REGULAR, 7.0);
        content.next_line(x0 + 24.0, ly);
        content.show(Str(&latin(words::symptom(series.kind))));
        content.end_text();
    }
    for (hours, level) in &data.markers {
        let (red, green, blue) = rgb(chart::level_colour(*level));
        content.set_fill_rgb(red, green, blue);
        content.rect(at_hour(*hours) - 2.5, top + 4.0, 5.0, 5.0);
        content.fill_nonzero();
    }
    content.set_fill_rgb(0.0, 0.0, 0.0);
    y0 - 30.0 - 10.0 * data.series.len() as f32
}

/// The summary PDF's bytes.
fn summary_bytes(
    clinic: &str,
    client: &str,
    record: &aftercare_store::CourseRecord,
    now: i64,
) -> Vec<u8> {
    let mut writer = Writer {
        content: Content::new(),
        y: PAGE_HEIGHT - MARGIN - 10.0,
        full: false,
    };
    writer.line(BOLD, 15.0, &format!("After-treatment summary: {client}"));
    writer.paragraph(
        8.5,
        &format!(
            "Prepared by {clinic} on {}. Aftercare is decision support, not a diagnosis.",
            when(now)
        ),
    );
    let details = &record.treatment.details;
    writer.heading("Treatment");
    let mut treatment = words::modality(details.modality).to_owned();
    if let Some(pressure) = details.pressure {
        let _ = write!(
            treatment,
            ", {} pressure",
            words::pressure(pressure).to_lowercase()
        );
    }
    if let Some(minutes) = details.duration_min {
        let _ = write!(treatment, ", {} minutes", minutes.get());
    }
    if !details.regions.is_empty() {
        let regions: Vec<_> = details.regions.iter().map(|r| words::region(*r)).collect();
        let _ = write!(treatment, ", on: {}", regions.join(", "));
    }
    let _ = write!(treatment, "; given {}.", when(millis_of(details.at)));
    writer.paragraph(9.0, &treatment);
    writer.heading("Symptoms over time");
    let levels: Vec<Level> = record.answered_levels();
    let course = record.course();
    let evidence = Reported::course(&course);
    let data = chart::data(&course, &levels);
    let top = writer.y - 10.0;
    writer.y = draw_chart(&mut writer.content, &data, MARGIN, top);
    writer.heading("Check-ins and answers");
    for checkin in &record.checkins {
        let hours = checkin.checkin.at.hours_since(details.at);
        let symptoms: Vec<String> = warning_signs_first(&checkin.checkin.symptoms)
            .into_iter()
            .map(words::described)
            .collect();
        let reported = if symptoms.is_empty() {
            if checkin.checkin.context.is_empty() && words::note(&checkin.checkin).is_none() {
                "nothing to report".to_owned()
            } else {
                "no symptoms reported".to_owned()
            }
        } else {
            symptoms.join("; ")
        };
        writer.paragraph(
            8.5,
            &format!(
                "{} ({hours:.0} h after): {reported}",
                when(millis_of(checkin.checkin.at))
            ),
        );
        let background = words::background(&checkin.checkin.context);
        if !background.is_empty() {
            writer.paragraph(8.5, &format!("  Background: {}.", background.join("; ")));
        }
        if let Some(note) = words::note(&checkin.checkin) {
            writer.paragraph(8.5, &format!("  Note: {note}"));
        }
        if let Some(view) = record
            .decisions
            .iter()
            .find(|d| d.checkin_id == checkin.id)
            .and_then(|d| DecisionView::parse(d.body.get()))
        {
            writer.paragraph(8.5, &format!("  Answer: {}", view.level.heading()));
            for reason in shown_order(&view.reasons, &evidence) {
                let label = reason
                    .clinical_label()
                    .map(|label| format!("; {label}"))
                    .unwrap_or_default();
                writer.paragraph(
                    8.0,
                    &format!(
                        "  - {} ({}{label}): {} [{}]",
                        reason.rule,
                        reason.level.as_str(),
                        reason.why,
                        reason.sources.join(", ")
                    ),
                );
            }
        }
    }
    if record.checkins.is_empty() {
        writer.paragraph(9.0, "No check-ins.");
    }

    let mut pdf = Pdf::new();
    let (catalog, pages, page, regular, bold, content) = (
        Ref::new(1),
        Ref::new(2),
        Ref::new(3),
        Ref::new(4),
        Ref::new(5),
        Ref::new(6),
    );
    pdf.catalog(catalog).pages(pages);
    pdf.pages(pages).kids([page]).count(1);
    let mut page_writer = pdf.page(page);
    page_writer.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT));
    page_writer.parent(pages);
    page_writer.contents(content);
    let mut resources = page_writer.resources();
    let mut fonts = resources.fonts();
    fonts.pair(REGULAR, regular);
    fonts.pair(BOLD, bold);
    fonts.finish();
    resources.finish();
    page_writer.finish();
    pdf.type1_font(regular)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    let stream = writer.content.finish();
    pdf.stream(content, stream.as_slice());
    pdf.finish()
}

/// `GET /treatments/{id}/summary.pdf`.
pub(crate) async fn summary_pdf(
    State(state): State<AppState>,
    therapist: Therapist,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let (record, client) = read_course(&state, &therapist, &id).await?;
    let bytes = summary_bytes(&therapist.0.clinic_name, &client.name, &record, state.now());
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    set_page_headers(headers);
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"aftercare-summary.pdf\""),
    );
    Ok(response)
}
