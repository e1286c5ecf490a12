//! Reading a guideline file: TOML into raw structures, then checked and
//! compiled into [`Guideline`]. Every refusal names the rule, the line and
//! column, and the setting at fault.
//!
//! This file holds the raw structures and the error positions; checking
//! the whole file is in `check`, compiling one `when` condition in
//! `conditions`.

mod check;
mod conditions;

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::Guideline;
use super::condition::BitSet;
use crate::error::{GuidelineError, path_text};
use crate::vocabulary::{
    Frequency, Interference, Level, Modality, Pressure, Region, Severity, SymptomKind, one_of,
};

/// The version of the file layout this code reads.
const FORMAT: u32 = 1;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGuideline {
    format: u32,
    id: String,
    version: String,
    title: String,
    disclaimer: String,
    levels: PerLevel<RawLevelText>,
    followup: RawFollowup,
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PerLevel<T> {
    expected: T,
    self_care: T,
    contact_therapist: T,
    see_doctor: T,
    urgent: T,
    emergency: T,
}

impl<T> PerLevel<T> {
    fn into_array(self) -> [T; 6] {
        [
            self.expected,
            self.self_care,
            self.contact_therapist,
            self.see_doctor,
            self.urgent,
            self.emergency,
        ]
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLevelText {
    summary: String,
    #[serde(default)]
    advice: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(clippy::struct_field_names)] // the unit is part of each setting's name
struct RawFollowup {
    plan_hours: Vec<u32>,
    stop_when_clear_after_hours: u32,
    active_interval_hours: PerLevel<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    level: Level,
    why: String,
    #[serde(default)]
    advice: Vec<String>,
    sources: Vec<String>,
    when: Spanned<RawCondition>,
}

/// Every key the condition language knows; which combinations are allowed
/// is checked after reading, so that the error can say so in words.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    all: Option<Vec<Spanned<RawCondition>>>,
    any: Option<Vec<Spanned<RawCondition>>>,
    not: Option<Box<Spanned<RawCondition>>>,
    same_limb: Option<Vec<Spanned<RawCondition>>>,
    both_sides: Option<Box<Spanned<RawCondition>>>,

    symptom: Option<KindList>,
    severity_at_least: Option<Severity>,
    stated_severity_at_least: Option<Severity>,
    frequency_at_least: Option<Frequency>,
    interference_at_least: Option<Interference>,
    one_sided: Option<bool>,
    sudden: Option<bool>,
    painful: Option<bool>,
    warm_or_red: Option<bool>,
    regions_any: Option<Vec<Region>>,
    reported_for_hours_over: Option<f64>,
    worsening: Option<bool>,
    untreated: Option<bool>,
    while_lying_down: Option<bool>,
    while_exercising: Option<bool>,
    seizure: Option<bool>,
    injured: Option<bool>,

    hours_since_treatment_over: Option<f64>,
    hours_since_treatment_at_most: Option<f64>,

    modality: Option<Vec<Modality>>,
    pressure_at_least: Option<Pressure>,
    treatment_regions_any: Option<Vec<Region>>,
    duration_min_over: Option<u16>,

    context: Option<String>,
    is: Option<toml::Value>,
    below: Option<f64>,
    at_least: Option<f64>,
}

/// `symptom = "twitching"`, `symptom = ["cramp", "soreness"]` or
/// `symptom = "any"`.
struct KindList(BitSet);

impl<'de> Deserialize<'de> for KindList {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OneOrMany {
            One(String),
            Many(Vec<String>),
        }
        let names = match OneOrMany::deserialize(deserializer).map_err(|_| {
            serde::de::Error::custom("a symptom kind, a list of symptom kinds, or \"any\"")
        })? {
            OneOrMany::One(name) => vec![name],
            OneOrMany::Many(names) => names,
        };
        if names.is_empty() {
            return Err(serde::de::Error::custom("at least one symptom kind"));
        }
        let mut set = BitSet::EMPTY;
        for name in &names {
            if name == "any" {
                set = BitSet::full(SymptomKind::ALL.len());
                continue;
            }
            let kind = SymptomKind::ALL
                .iter()
                .find(|kind| kind.as_str() == name)
                .ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        "unknown symptom kind `{name}`; expected \"any\" or one of {}",
                        one_of(SymptomKind::ALL.iter().map(|kind| kind.as_str()))
                    ))
                })?;
            set.insert(kind.index());
        }
        Ok(KindList(set))
    }
}

/// Parses and checks a guideline.
pub(super) fn parse(text: &str) -> Result<Guideline, GuidelineError> {
    let source = Source { text };
    let deserializer = toml::de::Deserializer::parse(text).map_err(|error| GuidelineError {
        rule: source.rule_around(error.span()),
        position: error.span().map(|span| source.line_column(span.start)),
        path: String::new(),
        message: format!("not valid TOML: {}", error.message().trim()),
    })?;
    let raw: RawGuideline = serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = path_text(error.path());
        let inner = error.into_inner();
        GuidelineError {
            rule: rule_index(&path).and_then(|index| source.rule_id(index)),
            position: inner.span().map(|span| source.line_column(span.start)),
            path: clean_path(&path),
            message: inner.message().trim().to_owned(),
        }
    })?;
    source.check(raw)
}

/// The file's text, for positions and rule ids in error messages.
struct Source<'a> {
    text: &'a str,
}

impl Source<'_> {
    /// 1-based line and column of a byte offset.
    fn line_column(&self, offset: usize) -> (usize, usize) {
        let before = &self.text[..offset.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, column)
    }

    /// The id of the `index`th `[[rule]]`, read leniently.
    fn rule_id(&self, index: usize) -> Option<String> {
        let table: toml::Table = toml::from_str(self.text).ok()?;
        let rule = table.get("rule")?.as_array()?.get(index)?;
        rule.get("id")?.as_str().map(str::to_owned)
    }

    /// The id of the rule whose table contains a span (for syntax errors,
    /// where nothing can be read structurally): the last `id = "…"` line
    /// after the last `[[rule]]` header before the error.
    fn rule_around(&self, span: Option<Range<usize>>) -> Option<String> {
        let before = &self.text[..span?.start.min(self.text.len())];
        let header = before.rfind("[[rule]]")?;
        before[header..].lines().find_map(|line| {
            let value = line.trim().strip_prefix("id")?.trim().strip_prefix('=')?;
            Some(value.trim().trim_matches('"').to_owned())
        })
    }

    fn error(
        &self,
        rule: Option<&str>,
        span: &Range<usize>,
        path: String,
        message: impl Into<String>,
    ) -> GuidelineError {
        GuidelineError {
            rule: rule.map(str::to_owned),
            position: Some(self.line_column(span.start)),
            path,
            message: message.into(),
        }
    }
}

/// `rule[3].when…` → 3.
fn rule_index(path: &str) -> Option<usize> {
    path.strip_prefix("rule[")?.split(']').next()?.parse().ok()
}

/// Drops the span wrappers' private keys from a serde path.
fn clean_path(path: &str) -> String {
    path.split('.')
        .filter(|segment| !segment.starts_with("$__serde_spanned"))
        .collect::<Vec<_>>()
        .join(".")
}
