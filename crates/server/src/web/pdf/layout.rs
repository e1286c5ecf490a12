//! The PDF's pages: A4 sizes and margins, the colours of the text, lines
//! wrapped to the page, the pages written top-down with a new one when one
//! is full, and the finished document with its footers.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

use super::font::{Face, Font};
use crate::web::summary::Summary;

/// A4 in points.
const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
pub(super) const MARGIN: f32 = 42.0;
/// Where text stops, above the footer.
const BOTTOM: f32 = MARGIN + 18.0;
/// The width text may fill.
pub(super) const TEXT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
/// The resource names of the two faces.
const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");
/// Body text colour and the muted grey of small print.
pub(super) const INK: (f32, f32, f32) = (0.1, 0.1, 0.1);
pub(super) const MUTED: (f32, f32, f32) = (0.29, 0.29, 0.29);

/// A colour `#rrggbb` as PDF RGB.
pub(super) fn rgb(hex: &str) -> (f32, f32, f32) {
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
pub(super) struct Layout {
    pub(super) regular: Font,
    bold: Font,
    pages: Vec<Content>,
    pub(super) y: f32,
}

impl Layout {
    pub(super) fn new(regular: Font, bold: Font) -> Layout {
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

    pub(super) fn content(&mut self) -> &mut Content {
        if self.pages.is_empty() {
            self.pages.push(Content::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Starts a new page unless `height` points still fit on this one.
    pub(super) fn room(&mut self, height: f32) {
        if self.y - height < BOTTOM {
            self.pages.push(Content::new());
            self.y = PAGE_HEIGHT - MARGIN;
        }
    }

    /// Draws `text` with its baseline at (`x`, `y`).
    pub(super) fn draw(
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
    pub(super) fn paragraph(
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
    pub(super) fn text(&mut self, indent: f32, text: &str) {
        self.paragraph(Face::Regular, 9.0, indent, INK, text);
    }

    /// A section heading, kept with at least a few lines after it.
    pub(super) fn heading(&mut self, text: &str) {
        self.room(60.0);
        self.y -= 8.0;
        self.paragraph(Face::Bold, 11.5, 0.0, INK, text);
        self.y -= 2.0;
    }
}

/// Adds the footers and writes the document.
pub(super) fn finish(mut layout: Layout, summary: &Summary) -> Vec<u8> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
