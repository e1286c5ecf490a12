//! The PDF's font: DejaVu Sans, regular and bold, shipped with the service
//! (`assets/fonts/`, with its licence) so any name prints as written,
//! "Łukasz Öberg-Åström" included. Text is set by glyph id (Identity-H)
//! and only the glyphs used are embedded; a ToUnicode map lets readers
//! and `pdftotext` get the text back. Widths come from the font's own
//! advance widths, so lines wrap where they really end.

use std::collections::BTreeMap;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Finish, Name, Pdf, Rect, Ref, Str};
use subsetter::GlyphRemapper;

/// DejaVu Sans.
const REGULAR: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
/// DejaVu Sans Bold.
const BOLD: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf");

/// Which of the two faces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Face {
    /// DejaVu Sans.
    Regular,
    /// DejaVu Sans Bold.
    Bold,
}

/// A face being used on a document: what it can draw and what was drawn.
pub(super) struct Font {
    face: ttf_parser::Face<'static>,
    data: &'static [u8],
    name: &'static [u8],
    /// Glyphs used, old id to new id (in the order first used).
    glyphs: GlyphRemapper,
    /// The text each new glyph id stands for.
    text: BTreeMap<u16, char>,
}

impl Font {
    /// The face, ready to set text; `None` only if the shipped file is
    /// broken (a test checks it is not).
    pub(super) fn load(which: Face) -> Option<Font> {
        let (data, name): (&'static [u8], &'static [u8]) = match which {
            Face::Regular => (REGULAR, b"DejaVuSans"),
            Face::Bold => (BOLD, b"DejaVuSans-Bold"),
        };
        let face = ttf_parser::Face::parse(data, 0).ok()?;
        Some(Font {
            face,
            data,
            name,
            glyphs: GlyphRemapper::new(),
            text: BTreeMap::new(),
        })
    }

    /// The glyph of a character: the font's own, or the "missing" box.
    fn glyph(&self, c: char) -> u16 {
        self.face.glyph_index(c).map_or(0, |glyph| glyph.0)
    }

    /// How wide `text` is at `size` points.
    pub(super) fn width(&self, text: &str, size: f32) -> f32 {
        let units: u32 = text
            .chars()
            .filter(|c| !c.is_control())
            .map(|c| {
                u32::from(
                    self.face
                        .glyph_hor_advance(ttf_parser::GlyphId(self.glyph(c)))
                        .unwrap_or(0),
                )
            })
            .sum();
        units as f32 * size / f32::from(self.face.units_per_em())
    }

    /// `text` as the glyph ids to show (two bytes each), remembering the
    /// glyphs for the subset and the characters for the ToUnicode map.
    pub(super) fn encode(&mut self, text: &str) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(text.len() * 2);
        for c in text.chars().filter(|c| !c.is_control()) {
            let old = self.glyph(c);
            let new = self.glyphs.remap(old);
            if old != 0 {
                self.text.entry(new).or_insert(c);
            }
            bytes.extend_from_slice(&new.to_be_bytes());
        }
        bytes
    }

    /// Writes the font as a Type 0 font with a subset of the face embedded;
    /// `ids` are five free object numbers: font, CID font, descriptor,
    /// font file, ToUnicode map. Returns `false` if the subset could not be
    /// made (then the font is not written).
    pub(super) fn write(&self, pdf: &mut Pdf, ids: [Ref; 5], tag: &str) -> bool {
        let [font, cid, descriptor, file, cmap] = ids;
        let Ok(subset) = subsetter::subset(self.data, 0, &self.glyphs) else {
            return false;
        };
        let base = [tag.as_bytes(), b"+", self.name].concat();
        let system = SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"Identity"),
            supplement: 0,
        };
        pdf.type0_font(font)
            .base_font(Name(&base))
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid)
            .to_unicode(cmap);
        let scale = 1000.0 / f32::from(self.face.units_per_em());
        let widths: Vec<f32> = self
            .glyphs
            .remapped_gids()
            .map(|old| {
                f32::from(
                    self.face
                        .glyph_hor_advance(ttf_parser::GlyphId(old))
                        .unwrap_or(0),
                ) * scale
            })
            .collect();
        let mut cid_font = pdf.cid_font(cid);
        cid_font
            .subtype(CidFontType::Type2)
            .base_font(Name(&base))
            .system_info(system)
            .font_descriptor(descriptor)
            .default_width(0.0)
            .cid_to_gid_map_predefined(Name(b"Identity"));
        cid_font.widths().consecutive(0, widths);
        cid_font.finish();
        let bbox = self.face.global_bounding_box();
        let units = |value: i16| f32::from(value) * scale;
        pdf.font_descriptor(descriptor)
            .name(Name(&base))
            .flags(FontFlags::NON_SYMBOLIC)
            .bbox(Rect::new(
                units(bbox.x_min),
                units(bbox.y_min),
                units(bbox.x_max),
                units(bbox.y_max),
            ))
            .italic_angle(0.0)
            .ascent(units(self.face.ascender()))
            .descent(units(self.face.descender()))
            .cap_height(units(
                self.face.capital_height().unwrap_or(self.face.ascender()),
            ))
            .stem_v(if self.name.ends_with(b"Bold") {
                140.0
            } else {
                80.0
            })
            .font_file2(file);
        pdf.stream(file, &subset);
        let mut map = UnicodeCmap::new(Name(b"Custom"), system);
        for (glyph, c) in &self.text {
            map.pair(*glyph, *c);
        }
        pdf.cmap(cmap, &map.finish());
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_faces_load_and_cover_the_names_people_have() {
        for face in [Face::Regular, Face::Bold] {
            let font = Font::load(face).expect("the shipped font parses");
            for c in "Łukasz Öberg-Åström Ærøskøbing Ιωάννης Дмитрий Şükrü Ğ".chars()
            {
                assert!(c == ' ' || font.glyph(c) != 0, "{face:?} has no {c}");
            }
        }
    }

    #[test]
    fn wider_text_measures_wider() {
        let font = Font::load(Face::Regular).expect("the font");
        let narrow = font.width("iiii", 10.0);
        let wide = font.width("WWWW", 10.0);
        assert!(narrow > 0.0 && wide > 2.0 * narrow, "{narrow} {wide}");
        let bold = Font::load(Face::Bold).expect("the font");
        assert!(bold.width("Summary", 10.0) > font.width("Summary", 10.0));
    }

    #[test]
    fn each_character_becomes_one_glyph_id_that_maps_back() {
        let mut font = Font::load(Face::Regular).expect("the font");
        let bytes = font.encode("ŁaŁ");
        assert_eq!(bytes.len(), 6);
        assert_eq!(bytes[0..2], bytes[4..6], "the same glyph twice");
        let first = u16::from_be_bytes([bytes[0], bytes[1]]);
        assert_eq!(font.text.get(&first), Some(&'Ł'));
    }
}
