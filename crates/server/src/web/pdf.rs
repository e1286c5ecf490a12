//! The doctor summary as a PDF: the same content as the printable page
//! (`summary.rs`), most serious answer first, on as many A4 pages as it
//! takes, so nothing is cut. Text is set in the shipped DejaVu Sans
//! (`pdf/font.rs`), so every name prints as written and can be copied or
//! extracted back as text.

mod font;

use std::collections::BTreeSet;
use std::fmt::Write as _;

use aftercare_core::vocabulary::Severity;
use aftercare_store::millis_of;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

use crate::state::AppState;
use crate::time_format::ClinicTime;
use crate::web::answer::Reported;
use crate::web::chart::{self, STYLES};
use crate::web::checkin::warning_signs_first;
use crate::web::error::WebError;
use crate::web::layout::set_page_headers;
use crate::web::session::Therapist;
use crate::web::summary::{Answer, ReasonWords, Summary, read_summary, reasons, told};
use crate::web::words;
use font::{Face, Font};

/// A4 in points.
const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 42.0;
/// Where text stops, above the footer.
const BOTTOM: f32 = MARGIN + 18.0;
/// The width text may fill.
const TEXT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
/// The resource names of the two faces.
const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");
/// Body text colour and the muted grey of small print.
const INK: (f32, f32, f32) = (0.1, 0.1, 0.1);
const MUTED: (f32, f32, f32) = (0.29, 0.29, 0.29);

/// A colour `#rrggbb` as PDF RGB.
fn rgb(hex: &str) -> (f32, f32, f32) {
    let channel = |at: usize| {
        u8::from_str_radix(hex.get(at..at + 2).unwrap_or("00"), 16)
            .map_or(0.0, |v| f32::from(v) / 255.0)
    };
    (channel(1), channel(3), channel(5))
}

/// Lines of `text` that fit `width` points at `size` in `font`; a word
/// longer than a line (a long id, an address) is broken inside.
fn wrap(font: &Font, text: &str, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if font.width(&candidate, size) <= width {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        for c in word.chars() {
            line.push(c);
            if font.width(&line, size) > width {
                line.pop();
                lines.push(std::mem::take(&mut line));
                line.push(c);
            }
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The pages being written, top-down, a new page when one is full.
struct Layout {
    regular: Font,
    bold: Font,
    pages: Vec<Content>,
    y: f32,
}

impl Layout {
    fn new(regular: Font, bold: Font) -> Layout {
        Layout {
            regular,
            bold,
            pages: vec![Content::new()],
            y: PAGE_HEIGHT - MARGIN,
        }
    }

    fn font(&self, face: Face) -> &Font {
        match face {
            Face::Regular => &self.regular,
            Face::Bold => &self.bold,
        }
    }

    fn content(&mut self) -> &mut Content {
        if self.pages.is_empty() {
            self.pages.push(Content::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// The current page, set to stroke and fill in the colour and dash of
    /// the chart's series number `index`.
    fn series_pen(&mut self, index: usize) -> &mut Content {
        let (colour, dash) = STYLES[index % STYLES.len()];
        let pattern: Vec<f32> = dash
            .split_whitespace()
            .filter_map(|d| d.parse().ok())
            .collect();
        let (red, green, blue) = rgb(colour);
        let content = self.content();
        content.set_stroke_rgb(red, green, blue);
        content.set_fill_rgb(red, green, blue);
        content.set_line_width(1.5);
        content.set_dash_pattern(pattern.iter().copied(), 0.0);
        content
    }

    /// Starts a new page unless `height` points still fit on this one.
    fn room(&mut self, height: f32) {
        if self.y - height < BOTTOM {
            self.pages.push(Content::new());
            self.y = PAGE_HEIGHT - MARGIN;
        }
    }

    /// Draws `text` with its baseline at (`x`, `y`).
    fn draw(
        &mut self,
        face: Face,
        size: f32,
        (x, y): (f32, f32),
        colour: (f32, f32, f32),
        text: &str,
    ) {
        let (encoded, name) = match face {
            Face::Regular => (self.regular.encode(text), REGULAR),
            Face::Bold => (self.bold.encode(text), BOLD),
        };
        let content = self.content();
        content.set_fill_rgb(colour.0, colour.1, colour.2);
        content.begin_text();
        content.set_font(name, size);
        content.next_line(x, y);
        content.show(Str(&encoded));
        content.end_text();
    }

    /// `text` wrapped to the page, `indent` points in, each line below
    /// the last.
    fn paragraph(
        &mut self,
        face: Face,
        size: f32,
        indent: f32,
        colour: (f32, f32, f32),
        text: &str,
    ) {
        let lines = wrap(self.font(face), text, size, TEXT_WIDTH - indent);
        for line in lines {
            let leading = size * 1.3;
            self.room(leading);
            self.y -= leading;
            self.draw(
                face,
                size,
                (MARGIN + indent, self.y + size * 0.25),
                colour,
                &line,
            );
        }
    }

    /// Body text.
    fn text(&mut self, indent: f32, text: &str) {
        self.paragraph(Face::Regular, 9.0, indent, INK, text);
    }

    /// A section heading, kept with at least a few lines after it.
    fn heading(&mut self, text: &str) {
        self.room(60.0);
        self.y -= 8.0;
        self.paragraph(Face::Bold, 11.5, 0.0, INK, text);
        self.y -= 2.0;
    }

    /// The timeline chart, drawn with lines and the chart's own markers.
    fn chart(&mut self, data: &chart::ChartData) {
        let levels = data.levels_shown();
        let (left, plot_width, plot_height) = (MARGIN + 62.0, TEXT_WIDTH - 70.0, 110.0);
        self.room(chart_height(data));
        let markers_y = self.y - 10.0;
        let plot_top = self.y - 28.0;
        let bottom = plot_top - plot_height;
        let columns = data.columns(f64::from(12.0 / plot_width));
        let at = |column: usize| left + columns[column] as f32 * plot_width;
        let at_severity = |severity: f64| bottom + (severity / 4.0) as f32 * plot_height;
        {
            let content = self.content();
            content.set_line_width(0.5);
            content.set_stroke_rgb(0.8, 0.8, 0.8);
            for level in 0..5 {
                content.move_to(left, at_severity(f64::from(level)));
                content.line_to(left + plot_width, at_severity(f64::from(level)));
            }
            content.stroke();
            content.set_stroke_rgb(INK.0, INK.1, INK.2);
            content.move_to(left, plot_top);
            content.line_to(left, bottom);
            content.line_to(left + plot_width, bottom);
            content.stroke();
        }
        self.draw(
            Face::Regular,
            7.5,
            (MARGIN, markers_y - 2.5),
            INK,
            "Answers",
        );
        for (index, severity) in Severity::ALL.iter().enumerate() {
            let y = at_severity(index as f64) - 2.5;
            self.draw(
                Face::Regular,
                7.5,
                (MARGIN, y),
                INK,
                words::severity(*severity),
            );
        }
        let step = chart::tick_step(data.max_hours);
        let mut tick = 0.0;
        while tick <= data.max_hours {
            let x = left + (tick / data.max_hours) as f32 * plot_width;
            let label = format!("{tick:.0}");
            let half = self.regular.width(&label, 7.5) / 2.0;
            self.draw(Face::Regular, 7.5, (x - half, bottom - 10.0), INK, &label);
            tick += step;
        }
        let title = "Hours since the treatment";
        let half = self.regular.width(title, 7.5) / 2.0;
        self.draw(
            Face::Regular,
            7.5,
            (left + plot_width / 2.0 - half, bottom - 20.0),
            INK,
            title,
        );
        for (index, series) in data.series.iter().enumerate() {
            let content = self.series_pen(index);
            for (point, (column, severity)) in series.points.iter().enumerate() {
                if point == 0 {
                    content.move_to(at(*column), at_severity(*severity));
                } else {
                    content.line_to(at(*column), at_severity(*severity));
                }
            }
            content.stroke();
            content.set_dash_pattern([], 0.0);
            for (column, severity) in &series.points {
                mark(
                    content,
                    chart::Mark::Circle,
                    (at(*column), at_severity(*severity)),
                    2.2,
                );
            }
        }
        for (column, level) in &data.markers {
            let (red, green, blue) = rgb(chart::level_colour(*level));
            let content = self.content();
            content.set_fill_rgb(red, green, blue);
            mark(
                content,
                chart::level_mark(*level),
                (at(*column), markers_y),
                3.6,
            );
        }
        // The legend: the same line, dot and marker shapes as above.
        let mut y = bottom - 34.0;
        for (index, series) in data.series.iter().enumerate() {
            let content = self.series_pen(index);
            content.move_to(left, y + 2.5);
            content.line_to(left + 24.0, y + 2.5);
            content.stroke();
            content.set_dash_pattern([], 0.0);
            mark(content, chart::Mark::Circle, (left + 12.0, y + 2.5), 2.2);
            self.draw(
                Face::Regular,
                7.5,
                (left + 30.0, y),
                INK,
                words::symptom(series.kind),
            );
            y -= 11.0;
        }
        for level in levels {
            let (red, green, blue) = rgb(chart::level_colour(level));
            let content = self.content();
            content.set_fill_rgb(red, green, blue);
            mark(
                content,
                chart::level_mark(level),
                (left + 12.0, y + 2.5),
                3.6,
            );
            self.draw(
                Face::Regular,
                7.5,
                (left + 30.0, y),
                INK,
                chart::level_name(level),
            );
            y -= 11.0;
        }
        self.y = y - 4.0;
    }

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

/// The height the chart takes, legend included.
fn chart_height(data: &chart::ChartData) -> f32 {
    let legend_rows = data.series.len() + data.levels_shown().len();
    28.0 + 110.0 + 34.0 + 11.0 * legend_rows as f32 + 4.0
}

/// Fills a chart mark of radius `r` centred on (`cx`, `cy`). The chart
/// gives its corners with y growing downwards; the PDF's y grows upwards,
/// so they are mirrored about the centre (a triangle keeps its point up).
fn mark(content: &mut Content, shape: chart::Mark, (cx, cy): (f32, f32), r: f32) {
    let points = chart::mark_points(shape, f64::from(cx), f64::from(cy), f64::from(r));
    for (index, (x, y)) in points.iter().enumerate() {
        let (x, y) = (*x as f32, 2.0 * cy - *y as f32);
        if index == 0 {
            content.move_to(x, y);
        } else {
            content.line_to(x, y);
        }
    }
    content.close_path();
    content.fill_nonzero();
}

/// The summary PDF's bytes, or `None` if the font could not be embedded.
fn summary_bytes(summary: &Summary) -> Option<Vec<u8>> {
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

/// Adds the footers and writes the document.
fn finish(mut layout: Layout, summary: &Summary) -> Vec<u8> {
    let count = layout.pages.len();
    let mut pages = std::mem::take(&mut layout.pages);
    for (index, content) in pages.iter_mut().enumerate() {
        let footer = format!(
            "{} · after-treatment summary · decision support, not a diagnosis · page {} of {count}",
            summary.client.name,
            index + 1
        );
        let encoded = layout.regular.encode(&footer);
        content.set_fill_rgb(MUTED.0, MUTED.1, MUTED.2);
        content.begin_text();
        content.set_font(REGULAR, 7.0);
        content.next_line(MARGIN, MARGIN - 4.0);
        content.show(Str(&encoded));
        content.end_text();
    }
    let mut pdf = Pdf::new();
    let mut next = 1;
    let mut id = || {
        let id = Ref::new(next);
        next += 1;
        id
    };
    let (catalog, tree) = (id(), id());
    let regular_ids = [id(), id(), id(), id(), id()];
    let bold_ids = [id(), id(), id(), id(), id()];
    let page_ids: Vec<(Ref, Ref)> = (0..count).map(|_| (id(), id())).collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().map(|(page, _)| *page))
        .count(i32::try_from(count).unwrap_or(i32::MAX));
    for ((page, contents), content) in page_ids.iter().zip(pages) {
        let mut writer = pdf.page(*page);
        writer.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT));
        writer.parent(tree);
        writer.contents(*contents);
        let mut resources = writer.resources();
        let mut fonts = resources.fonts();
        fonts.pair(REGULAR, regular_ids[0]);
        fonts.pair(BOLD, bold_ids[0]);
        fonts.finish();
        resources.finish();
        writer.finish();
        pdf.stream(*contents, &content.finish());
    }
    layout.regular.write(&mut pdf, regular_ids, "AFTREG");
    layout.bold.write(&mut pdf, bold_ids, "AFTBLD");
    pdf.finish()
}

/// A name in plain ASCII for a file name: letters without their marks
/// (`Ł` as `L`, `ö` as `o`, `ß` as `ss`), anything else a dash.
fn ascii_slug(name: &str) -> String {
    const FOLDS: &[(&str, &str)] = &[
        ("ÀÁÂÃÄÅĀĂĄ", "A"),
        ("àáâãäåāăą", "a"),
        ("ÇĆĈĊČ", "C"),
        ("çćĉċč", "c"),
        ("ĎĐÐ", "D"),
        ("ďđð", "d"),
        ("ÈÉÊËĒĔĖĘĚ", "E"),
        ("èéêëēĕėęě", "e"),
        ("ĜĞĠĢ", "G"),
        ("ĝğġģ", "g"),
        ("ĤĦ", "H"),
        ("ĥħ", "h"),
        ("ÌÍÎÏĨĪĬĮİ", "I"),
        ("ìíîïĩīĭįı", "i"),
        ("Ĵ", "J"),
        ("ĵ", "j"),
        ("Ķ", "K"),
        ("ķ", "k"),
        ("ĹĻĽĿŁ", "L"),
        ("ĺļľŀł", "l"),
        ("ÑŃŅŇ", "N"),
        ("ñńņň", "n"),
        ("ÒÓÔÕÖØŌŎŐ", "O"),
        ("òóôõöøōŏő", "o"),
        ("ŔŖŘ", "R"),
        ("ŕŗř", "r"),
        ("ŚŜŞŠȘ", "S"),
        ("śŝşšș", "s"),
        ("ŢŤŦȚ", "T"),
        ("ţťŧț", "t"),
        ("ÙÚÛÜŨŪŬŮŰŲ", "U"),
        ("ùúûüũūŭůűų", "u"),
        ("Ŵ", "W"),
        ("ŵ", "w"),
        ("ÝŶŸ", "Y"),
        ("ýÿŷ", "y"),
        ("ŹŻŽ", "Z"),
        ("źżž", "z"),
        ("Æ", "AE"),
        ("æ", "ae"),
        ("Œ", "OE"),
        ("œ", "oe"),
        ("ß", "ss"),
        ("Þ", "Th"),
        ("þ", "th"),
    ];
    let mut slug = String::new();
    for c in name.chars() {
        let folded = if c.is_ascii_alphanumeric() {
            Some(c.to_string())
        } else {
            FOLDS
                .iter()
                .find(|(from, _)| from.contains(c))
                .map(|(_, to)| (*to).to_owned())
        };
        match folded {
            Some(text) => slug.push_str(&text.to_lowercase()),
            None if !slug.ends_with('-') => slug.push('-'),
            None => {}
        }
    }
    let slug: String = slug.trim_matches('-').chars().take(60).collect();
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        "client".to_owned()
    } else {
        slug.to_owned()
    }
}

/// The name as it is, for `filename*`: spaces and characters a file name
/// cannot hold become dashes, the rest percent-encoded as UTF-8.
fn utf8_filename(name: &str) -> String {
    let mut plain = String::new();
    for c in name.chars() {
        if c.is_alphanumeric() || matches!(c, '.' | '\'') {
            plain.push(c);
        } else if !plain.ends_with('-') {
            plain.push('-');
        }
    }
    let plain = plain.trim_matches('-');
    let mut encoded = String::new();
    for byte in plain.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_') {
            encoded.push(char::from(byte));
        } else {
            let _ = write!(encoded, "%{byte:02X}");
        }
    }
    encoded
}

/// `Content-Disposition` for the summary of `client` made at `made_at`.
fn disposition(client: &str, made_at: aftercare_store::Millis, clock: &ClinicTime) -> String {
    let day = clock.day(made_at);
    let full = utf8_filename(client);
    let full = if full.is_empty() {
        "client".to_owned()
    } else {
        full
    };
    format!(
        "attachment; filename=\"aftercare-summary-{}-{day}.pdf\"; filename*=UTF-8''aftercare-summary-{full}-{day}.pdf",
        ascii_slug(client)
    )
}

/// `GET /treatments/{id}/summary.pdf`.
pub(crate) async fn summary_pdf(
    State(state): State<AppState>,
    therapist: Therapist,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let summary = read_summary(&state, &therapist, &id).await?;
    let bytes = summary_bytes(&summary)
        .ok_or_else(|| WebError::Internal("the summary's font could not be embedded".to_owned()))?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    set_page_headers(headers);
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    let disposition = HeaderValue::from_str(&disposition(
        &summary.client.name,
        summary.made_at,
        &summary.clock,
    ))
    .map_err(|_| WebError::Internal("the summary's file name is not a header".to_owned()))?;
    headers.insert(header::CONTENT_DISPOSITION, disposition);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_keep_the_name_in_ascii_and_in_full() {
        assert_eq!(ascii_slug("Łukasz Öberg-Åström"), "lukasz-oberg-astrom");
        assert_eq!(ascii_slug("Ærøskøbing Straße"), "aeroskobing-strasse");
        assert_eq!(ascii_slug("李小龍"), "client");
        assert_eq!(ascii_slug("  \"quoted\"; name  "), "quoted-name");
        let header = disposition("Łukasz Öberg-Åström", 0, &ClinicTime::utc());
        assert!(
            header.contains("filename=\"aftercare-summary-lukasz-oberg-astrom-1970-01-01.pdf\""),
            "{header}"
        );
        assert!(header.contains("filename*=UTF-8''aftercare-summary-%C5%81ukasz-%C3%96berg-%C3%85str%C3%B6m-1970-01-01.pdf"), "{header}");
        assert!(HeaderValue::from_str(&disposition("a\"b\r\nc; d", 0, &ClinicTime::utc())).is_ok());
    }

    #[test]
    fn long_words_are_broken_to_fit() {
        let font = Font::load(Face::Regular).expect("the font");
        let long = "x".repeat(400);
        let lines = wrap(&font, &format!("a {long} b"), 9.0, 200.0);
        assert!(lines.len() > 3, "{lines:?}");
        assert!(lines.iter().all(|line| font.width(line, 9.0) <= 200.0));
        assert_eq!(lines.concat().replace(' ', ""), format!("a{long}b"));
    }
}
