//! A course: one treatment and the check-ins that followed it, parsed from
//! the public check-in format into typed values.
//!
//! Parsing is strict on purpose: unknown fields, unknown enum values, wrong
//! types and impossible values are refused with the path of the field and
//! what was expected, because a mistyped red flag must never be read as
//! "nothing to report".

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::InputError;
use crate::vocabulary::{
    Frequency, Hydration, Interference, Modality, Pressure, Region, Severity, Side, Stress,
    SymptomKind,
};

/// One treatment and the check-ins after it, oldest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Course {
    /// The treatment the course follows.
    #[serde(deserialize_with = "object")]
    pub treatment: Treatment,
    /// The check-ins, oldest first. May be empty.
    #[serde(default, deserialize_with = "objects")]
    pub checkins: Vec<Checkin>,
}

/// What was done to the person.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Treatment {
    /// When the treatment happened.
    pub at: Timestamp,
    /// The kind of therapy.
    pub modality: Modality,
    /// The pressure used, if recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pressure: Option<Pressure>,
    /// How long the treatment lasted, if recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_min: Option<DurationMinutes>,
    /// The regions worked on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<Region>,
}

/// One report from the person.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkin {
    /// When the report was made.
    pub at: Timestamp,
    /// What the person feels; empty means "nothing to report".
    #[serde(deserialize_with = "objects")]
    pub symptoms: Vec<Symptom>,
    /// Circumstances that make some reactions more likely.
    #[serde(
        default,
        skip_serializing_if = "Context::is_empty",
        deserialize_with = "object"
    )]
    pub context: Context,
    /// Free text from the person. Never used by the rules, never logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One symptom in a check-in, answered on PRO-CTCAE style scales.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Symptom {
    /// What it is.
    pub kind: SymptomKind,
    /// How bad it is, if stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// How often it happens, if stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency: Option<Frequency>,
    /// How much it gets in the way, if stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interference: Option<Interference>,
    /// Where it is.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<Region>,
    /// Which side, if stated; `left`/`right` mean one side only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub side: Option<Side>,
    /// Whether it hurts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub painful: Option<bool>,
    /// Whether it came on suddenly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sudden: Option<bool>,
    /// Whether the area is warm, red or discoloured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warm_or_red: Option<bool>,
    /// `fainting` only: fainted while lying down, on the treatment table too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub while_lying_down: Option<bool>,
    /// `fainting` only: fainted while exercising.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub while_exercising: Option<bool>,
    /// `fainting` only: jerking or a fit with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seizure: Option<bool>,
    /// `fainting` only: hurt in the fall.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub injured: Option<bool>,
}

impl Symptom {
    /// A symptom of this kind with nothing else stated.
    pub fn new(kind: SymptomKind) -> Self {
        Symptom {
            kind,
            severity: None,
            frequency: None,
            interference: None,
            regions: Vec::new(),
            side: None,
            painful: None,
            sudden: None,
            warm_or_red: None,
            while_lying_down: None,
            while_exercising: None,
            seizure: None,
            injured: None,
        }
    }

    /// Whether the person has it: every listed symptom is present unless
    /// its severity is `none` (the format's "gone"), whatever else the
    /// entry says. Any detail means the symptom is there (safety
    /// property 6).
    pub fn is_present(&self) -> bool {
        self.severity != Some(Severity::None)
    }

    /// The answers that belong to `fainting` alone, by wire name.
    pub fn fainting_answers(&self) -> [(&'static str, Option<bool>); 4] {
        [
            ("while_lying_down", self.while_lying_down),
            ("while_exercising", self.while_exercising),
            ("seizure", self.seizure),
            ("injured", self.injured),
        ]
    }

    /// Whether it is on one side of the body only.
    pub fn is_one_sided(&self) -> bool {
        matches!(self.side, Some(Side::Left | Side::Right))
    }
}

/// Circumstances reported with a check-in. Every field is optional.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Context {
    /// How well hydrated the person has been.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hydration: Option<Hydration>,
    /// Hours slept last night.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sleep_hours: Option<SleepHours>,
    /// Stress level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stress: Option<Stress>,
    /// Cups of coffee, tea or other caffeinated drinks today.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caffeine_cups: Option<CaffeineCups>,
    /// Started a new medicine recently.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_medication: Option<bool>,
    /// Did strenuous exercise since the treatment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strenuous_exercise: Option<bool>,
    /// Is pregnant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pregnant: Option<bool>,
    /// Takes blood thinners.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anticoagulants: Option<bool>,
    /// Since the last check-in a doctor, nurse or urgent-care service has
    /// assessed what was reported (format 1.1). Never carried forward.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen_by_clinician: Option<bool>,
}

impl Context {
    /// Whether nothing was stated.
    pub fn is_empty(&self) -> bool {
        *self == Context::default()
    }
}

/// Reads a struct only from a JSON object: serde would also read it from
/// an array of its fields in order, which the format does not allow.
fn object<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<T, D::Error> {
    struct ObjectVisitor<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for ObjectVisitor<T> {
        type Value = T;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
        }
    }
    deserializer.deserialize_map(ObjectVisitor(std::marker::PhantomData))
}

/// A value read with [`object`], for lists of objects and the whole course.
pub(crate) struct Object<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        object(deserializer).map(Object)
    }
}

/// A list of structs, each only from a JSON object.
fn objects<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Vec<T>, D::Error> {
    let list = Vec::<Object<T>>::deserialize(deserializer)?;
    Ok(list.into_iter().map(|item| item.0).collect())
}

/// An instant, read and written as RFC 3339.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// Wraps an instant.
    pub const fn new(at: OffsetDateTime) -> Self {
        Timestamp(at)
    }

    /// Parses an RFC 3339 timestamp.
    pub fn parse(text: &str) -> Result<Self, time::error::Parse> {
        OffsetDateTime::parse(text, &Rfc3339).map(Timestamp)
    }

    /// The instant.
    pub const fn get(self) -> OffsetDateTime {
        self.0
    }

    /// Hours from `earlier` to `self`, fractional; negative if `earlier` is later.
    pub fn hours_since(self, earlier: Timestamp) -> f64 {
        (self.0 - earlier.0).as_seconds_f64() / 3600.0
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.format(&Rfc3339) {
            Ok(text) => f.write_str(&text),
            Err(_) => Err(std::fmt::Error),
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Timestamp::parse(&text).map_err(|_| {
            serde::de::Error::invalid_value(
                serde::de::Unexpected::Str(&text),
                &"an RFC 3339 timestamp such as 2026-11-20T15:00:00Z",
            )
        })
    }
}

/// A number type a JSON number converts to without losing anything.
trait FromJsonNumber: Sized {
    /// The value, if it is representable exactly.
    fn from_json_number(value: f64) -> Option<Self>;
}

impl FromJsonNumber for f64 {
    fn from_json_number(value: f64) -> Option<Self> {
        Some(value)
    }
}

impl FromJsonNumber for u16 {
    fn from_json_number(value: f64) -> Option<Self> {
        (value.fract() == 0.0 && (0.0..=f64::from(u16::MAX)).contains(&value))
            .then_some(value as u16)
    }
}

/// Declares a number newtype that refuses values outside a closed range.
macro_rules! bounded_number {
    ($(#[$meta:meta])* $name:ident($inner:ty), $min:expr, $max:expr, $expected:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Serialize)]
        #[serde(transparent)]
        pub struct $name($inner);

        impl $name {
            /// The smallest accepted value.
            pub const MIN: $inner = $min;
            /// The largest accepted value.
            pub const MAX: $inner = $max;

            /// The value, if it is in range.
            pub fn new(value: $inner) -> Option<Self> {
                (Self::MIN..=Self::MAX).contains(&value).then_some($name(value))
            }

            /// The number.
            pub const fn get(self) -> $inner {
                self.0
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Expecting;
                impl serde::de::Expected for Expecting {
                    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str($expected)
                    }
                }
                // Any JSON number is read, so that `2.0` counts as the
                // whole number it is (JSON Schema's `integer` allows it).
                let value = f64::deserialize(deserializer)?;
                <$inner as FromJsonNumber>::from_json_number(value)
                    .and_then($name::new)
                    .ok_or_else(|| {
                        serde::de::Error::invalid_value(
                            serde::de::Unexpected::Float(value),
                            &Expecting,
                        )
                    })
            }
        }
    };
}

bounded_number!(
    /// Treatment length in whole minutes, 1 to 480.
    DurationMinutes(u16), 1, 480, "a whole number of minutes from 1 to 480"
);
bounded_number!(
    /// Hours slept, 0 to 24.
    SleepHours(f64), 0.0, 24.0, "a number of hours from 0 to 24"
);
bounded_number!(
    /// Caffeinated drinks in a day, 0 to 50.
    CaffeineCups(f64), 0.0, 50.0, "a number of cups from 0 to 50"
);

impl Course {
    /// Parses a course from the JSON check-in format and checks what the
    /// types alone cannot ([`Course::check`]).
    pub fn from_json(text: &str) -> Result<Course, InputError> {
        let Object(course) = crate::error::parse_json::<Object<Course>>(text.as_bytes())?;
        course.check()?;
        Ok(course)
    }

    /// Like [`Course::from_json`], from bytes that must be UTF-8 JSON.
    pub fn from_json_bytes(bytes: &[u8]) -> Result<Course, InputError> {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| InputError::new("", "UTF-8 encoded JSON text"))?;
        Course::from_json(text)
    }

    /// The course as compact JSON in the check-in format.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| unreachable!("a course always serializes"))
    }

    /// Checks what the types alone cannot: time order, and answers that
    /// belong to one symptom kind only.
    pub fn check(&self) -> Result<(), InputError> {
        self.check_time_order()?;
        for (index, checkin) in self.checkins.iter().enumerate() {
            for (position, symptom) in checkin.symptoms.iter().enumerate() {
                if symptom.kind == SymptomKind::Fainting {
                    continue;
                }
                if let Some((name, _)) = symptom
                    .fainting_answers()
                    .into_iter()
                    .find(|(_, answer)| answer.is_some())
                {
                    return Err(InputError::new(
                        format!("checkins[{index}].symptoms[{position}].{name}"),
                        format!(
                            "`{name}` only on a `fainting` entry; this entry is `{}`",
                            symptom.kind
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Refuses a check-in before the treatment or out of order.
    pub fn check_time_order(&self) -> Result<(), InputError> {
        let mut previous = self.treatment.at;
        for (index, checkin) in self.checkins.iter().enumerate() {
            if checkin.at < self.treatment.at {
                return Err(InputError::new(
                    format!("checkins[{index}].at"),
                    format!(
                        "a time at or after the treatment ({}), got {}",
                        self.treatment.at, checkin.at
                    ),
                ));
            }
            if checkin.at < previous {
                return Err(InputError::new(
                    format!("checkins[{index}].at"),
                    format!(
                        "check-ins oldest first: a time at or after checkins[{}].at ({previous}), got {}",
                        index - 1,
                        checkin.at
                    ),
                ));
            }
            previous = checkin.at;
        }
        Ok(())
    }

    /// The check-in being triaged: the last one.
    pub fn last_checkin(&self) -> Option<&Checkin> {
        self.checkins.last()
    }
}
