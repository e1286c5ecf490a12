//! The summary PDF's file name: a plain ASCII `filename` and the name in
//! full as `filename*`, in one `Content-Disposition`.

use std::fmt::Write as _;

use crate::time_format::ClinicTime;

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
pub(super) fn disposition(
    client: &str,
    made_at: aftercare_store::Millis,
    clock: &ClinicTime,
) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

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
}
