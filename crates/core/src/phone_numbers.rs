//! The phone numbers a person is told to call, by country: the emergency
//! number and, where the country has one national line, the medical help
//! line for care that cannot wait but is not an emergency.
//!
//! Only countries whose numbers are well known public facts are listed; a
//! country missing here (or a clinic that has not said where it is) gets
//! the words "your local emergency number" instead of a number. A help
//! line is left out wherever it is regional rather than national.

/// A number as people read it and as a phone dials it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhoneNumber {
    /// As written for people, e.g. `1800 022 222`.
    pub shown: &'static str,
}

impl PhoneNumber {
    /// The digits to dial, for a `tel:` link (spaces dropped).
    pub fn dial(&self) -> String {
        self.shown.chars().filter(char::is_ascii_digit).collect()
    }
}

/// A national medical help line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HelpLine {
    /// Its name as people know it, e.g. `NHS 111`.
    pub name: &'static str,
    /// Its number.
    pub number: PhoneNumber,
}

/// One country's numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Country {
    /// ISO 3166-1 alpha-2 code, upper case.
    pub code: &'static str,
    /// Its name in English.
    pub name: &'static str,
    /// The number for an ambulance in an emergency.
    pub emergency: PhoneNumber,
    /// The national line for medical help that is not an emergency, if
    /// there is one.
    pub medical_line: Option<HelpLine>,
}

const fn number(shown: &'static str) -> PhoneNumber {
    PhoneNumber { shown }
}

const fn line(name: &'static str, shown: &'static str) -> HelpLine {
    HelpLine {
        name,
        number: number(shown),
    }
}

const fn country(
    code: &'static str,
    name: &'static str,
    emergency: &'static str,
    medical_line: Option<HelpLine>,
) -> Country {
    Country {
        code,
        name,
        emergency: number(emergency),
        medical_line,
    }
}

/// Every country known here, by name.
pub const COUNTRIES: &[Country] = &[
    country(
        "AU",
        "Australia",
        "000",
        Some(line("healthdirect", "1800 022 222")),
    ),
    country(
        "AT",
        "Austria",
        "112",
        Some(line("Gesundheitsberatung 1450", "1450")),
    ),
    country("BE", "Belgium", "112", None),
    country("CA", "Canada", "911", None),
    country("DK", "Denmark", "112", None),
    country("FI", "Finland", "112", None),
    // 15 reaches the SAMU, the medical emergency service; 112 works too.
    country("FR", "France", "15", None),
    country(
        "DE",
        "Germany",
        "112",
        Some(line("ärztlicher Bereitschaftsdienst 116117", "116117")),
    ),
    // 999 works as well as 112.
    country("IE", "Ireland", "112", None),
    country("IT", "Italy", "112", None),
    country("NL", "Netherlands", "112", None),
    country(
        "NZ",
        "New Zealand",
        "111",
        Some(line("Healthline", "0800 611 116")),
    ),
    // In Norway 112 is the police; 113 is the medical emergency number.
    country("NO", "Norway", "113", Some(line("legevakt", "116 117"))),
    country(
        "PT",
        "Portugal",
        "112",
        Some(line("SNS 24", "808 24 24 24")),
    ),
    country("ES", "Spain", "112", None),
    country("SE", "Sweden", "112", Some(line("1177 Vårdguiden", "1177"))),
    country("CH", "Switzerland", "144", None),
    // 112 works as well as 999.
    country("GB", "United Kingdom", "999", Some(line("NHS 111", "111"))),
    country("US", "United States", "911", None),
];

/// The numbers of a country by its ISO 3166-1 alpha-2 code (any case);
/// `None` for a country not known here.
pub fn numbers_for(code: &str) -> Option<&'static Country> {
    COUNTRIES
        .iter()
        .find(|country| country.code.eq_ignore_ascii_case(code.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_united_kingdom_calls_999_and_nhs_111() {
        let gb = numbers_for("GB").expect("GB is known");
        assert_eq!(gb.emergency.dial(), "999");
        let line = gb.medical_line.expect("NHS 111");
        assert_eq!((line.name, line.number.dial().as_str()), ("NHS 111", "111"));
    }

    #[test]
    fn north_america_calls_911_and_australia_000() {
        assert_eq!(
            numbers_for("US").map(|c| c.emergency.dial()).as_deref(),
            Some("911")
        );
        assert_eq!(
            numbers_for("ca").map(|c| c.emergency.dial()).as_deref(),
            Some("911")
        );
        let au = numbers_for("AU").expect("AU is known");
        assert_eq!(au.emergency.dial(), "000");
        assert_eq!(
            au.medical_line.map(|line| line.number.dial()).as_deref(),
            Some("1800022222")
        );
    }

    #[test]
    fn norway_sends_medical_emergencies_to_113_not_the_police() {
        assert_eq!(
            numbers_for("NO").map(|c| c.emergency.dial()).as_deref(),
            Some("113")
        );
    }

    #[test]
    fn an_unknown_or_malformed_country_has_no_numbers() {
        for code in ["", "XX", "JP", "GBR", "G", "999"] {
            assert_eq!(numbers_for(code), None, "{code}");
        }
    }

    #[test]
    fn every_country_is_listed_once_with_digits_to_dial() {
        for (n, country) in COUNTRIES.iter().enumerate() {
            assert_eq!(country.code.len(), 2, "{}", country.code);
            assert!(country.code.bytes().all(|b| b.is_ascii_uppercase()));
            assert!(
                COUNTRIES[..n]
                    .iter()
                    .all(|other| other.code != country.code),
                "{} twice",
                country.code
            );
            assert!(
                COUNTRIES[..n].iter().all(|other| other.name < country.name),
                "sorted by name"
            );
            let digits = country.emergency.dial();
            assert!((2..=3).contains(&digits.len()), "{}", country.code);
            if let Some(line) = country.medical_line {
                assert!(line.number.dial().len() >= 3, "{}", country.code);
                assert!(
                    line.number
                        .shown
                        .chars()
                        .all(|c| c.is_ascii_digit() || c == ' ')
                );
            }
        }
    }
}
