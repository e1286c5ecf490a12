//! Reading a guideline file: TOML into raw structures, then checked and
//! compiled into [`Guideline`]. Every refusal names the rule, the line and
//! column, and the setting at fault.

use std::collections::HashSet;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::condition::{
    BitSet, Condition, ContextField, ContextFlag, ContextTest, HoursWindow, Prefilter, SymptomMatch,
};
use super::{Followup, Guideline, LevelText, Rule};
use crate::error::{GuidelineError, path_text};
use crate::sources::is_known_source;
use crate::vocabulary::{
    Frequency, Hydration, Interference, Level, Modality, Pressure, Region, Severity, Stress,
    SymptomKind, one_of,
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

    fn check(&self, raw: RawGuideline) -> Result<Guideline, GuidelineError> {
        let whole = 0..0;
        let top = |path: &str, message: String| GuidelineError {
            rule: None,
            position: None,
            path: path.to_owned(),
            message,
        };
        if raw.format != FORMAT {
            return Err(top(
                "format",
                format!(
                    "format {FORMAT} (this Aftercare reads guideline format {FORMAT}), got {}",
                    raw.format
                ),
            ));
        }
        for (path, value) in [
            ("id", &raw.id),
            ("version", &raw.version),
            ("title", &raw.title),
            ("disclaimer", &raw.disclaimer),
        ] {
            if value.trim().is_empty() {
                return Err(top(path, "a non-empty text".to_owned()));
            }
        }
        let followup =
            check_followup(raw.followup).map_err(|(path, message)| top(&path, message))?;
        let levels = raw.levels.into_array();
        for (level, text) in Level::ALL.iter().zip(&levels) {
            if text.summary.trim().is_empty() {
                return Err(top(
                    &format!("levels.{level}.summary"),
                    "a non-empty sentence".to_owned(),
                ));
            }
        }
        let levels = levels.map(|text| LevelText {
            summary: text.summary,
            advice: text.advice,
        });

        if raw.rule.is_empty() {
            return Err(top("rule", "at least one [[rule]]".to_owned()));
        }
        let mut seen = HashSet::new();
        let mut rules = Vec::with_capacity(raw.rule.len());
        for (index, spanned) in raw.rule.into_iter().enumerate() {
            let span = spanned.span();
            let rule = spanned.into_inner();
            let at = |field: &str| format!("rule[{index}].{field}");
            let id = rule.id.clone();
            let fail =
                |field: &str, message: String| self.error(Some(&id), &span, at(field), message);
            if rule.id.is_empty()
                || !rule.id.chars().all(|c| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-')
                })
            {
                return Err(fail(
                    "id",
                    "an id of lowercase letters, digits, `_`, `.` and `-`".to_owned(),
                ));
            }
            if !seen.insert(rule.id.clone()) {
                return Err(fail("id", "an id not used by an earlier rule".to_owned()));
            }
            if rule.why.trim().is_empty() {
                return Err(fail("why", "a plain-language explanation".to_owned()));
            }
            if rule.advice.iter().any(|advice| advice.trim().is_empty()) {
                return Err(fail("advice", "non-empty advice texts".to_owned()));
            }
            if rule.sources.is_empty() {
                return Err(fail(
                    "sources",
                    "at least one source in the guidance, e.g. \"guidance:G3\"".to_owned(),
                ));
            }
            if let Some(unknown) = rule.sources.iter().find(|source| !is_known_source(source)) {
                return Err(fail(
                    "sources",
                    format!(
                        "sources of the form \"guidance:G<n>\" or \"guidance:R<n>\" that exist in the guidance; `{unknown}` does not"
                    ),
                ));
            }
            let when = self.condition(&id, rule.when, &at("when"))?;
            rules.push(Rule {
                id: rule.id,
                level: rule.level,
                when,
                why: rule.why,
                advice: rule.advice,
                sources: rule.sources,
            });
        }
        let _ = whole;
        let prefilters = rules.iter().map(|rule| Prefilter::of(&rule.when)).collect();
        let mut evaluation_order: Vec<usize> = (0..rules.len()).collect();
        // Stable: rules of one level keep their file order.
        evaluation_order.sort_by_key(|&index| std::cmp::Reverse(rules[index].level));
        let required_kinds = rules
            .iter()
            .map(|rule| rule.when.required_kinds())
            .collect();
        Ok(Guideline {
            id: raw.id,
            version: raw.version,
            title: raw.title,
            disclaimer: raw.disclaimer,
            levels,
            followup,
            rules,
            prefilters,
            evaluation_order,
            required_kinds,
            source_hash: 0,
        })
    }

    /// Checks one condition table and compiles it.
    fn condition(
        &self,
        rule: &str,
        spanned: Spanned<RawCondition>,
        path: &str,
    ) -> Result<Condition, GuidelineError> {
        const HEADS: &str = "`all`, `any`, `not`, `same_limb`, `both_sides`, `symptom`, `hours_since_treatment_over`/`_at_most`, `modality`, `pressure_at_least`, `treatment_regions_any`, `duration_min_over` or `context`";
        let span = spanned.span();
        let raw = spanned.into_inner();
        let fail = |message: String| Err(self.error(Some(rule), &span, path.to_owned(), message));

        let heads = [
            raw.all.is_some(),
            raw.any.is_some(),
            raw.not.is_some(),
            raw.same_limb.is_some(),
            raw.both_sides.is_some(),
            raw.symptom.is_some(),
            raw.hours_since_treatment_over.is_some() || raw.hours_since_treatment_at_most.is_some(),
            raw.modality.is_some(),
            raw.pressure_at_least.is_some(),
            raw.treatment_regions_any.is_some(),
            raw.duration_min_over.is_some(),
            raw.context.is_some(),
        ];
        match heads.iter().filter(|&&head| head).count() {
            0 => return fail(format!("a condition with one of {HEADS}")),
            1 => {}
            _ => {
                return fail(format!(
                    "exactly one of {HEADS} per condition; combine several with `all` or `any`"
                ));
            }
        }
        let symptom_qualifiers = raw.severity_at_least.is_some()
            || raw.stated_severity_at_least.is_some()
            || raw.frequency_at_least.is_some()
            || raw.interference_at_least.is_some()
            || raw.one_sided.is_some()
            || raw.sudden.is_some()
            || raw.painful.is_some()
            || raw.warm_or_red.is_some()
            || raw.regions_any.is_some()
            || raw.reported_for_hours_over.is_some()
            || raw.worsening.is_some()
            || raw.untreated.is_some()
            || raw.while_lying_down.is_some()
            || raw.while_exercising.is_some()
            || raw.seizure.is_some()
            || raw.injured.is_some();
        if symptom_qualifiers && raw.symptom.is_none() {
            return fail(
                "symptom qualifiers (severity_at_least, one_sided, …) only together with `symptom`"
                    .to_owned(),
            );
        }
        if (raw.is.is_some() || raw.below.is_some() || raw.at_least.is_some())
            && raw.context.is_none()
        {
            return fail("`is`, `below` and `at_least` only together with `context`".to_owned());
        }
        let non_negative =
            |name: &str, value: Option<f64>| -> Result<Option<f64>, GuidelineError> {
                match value {
                    Some(number) if !number.is_finite() || number < 0.0 => Err(self.error(
                        Some(rule),
                        &span,
                        format!("{path}.{name}"),
                        "a number of hours, 0 or more",
                    )),
                    other => Ok(other),
                }
            };
        let list = |parts: Vec<Spanned<RawCondition>>,
                    key: &str|
         -> Result<Vec<Condition>, GuidelineError> {
            if parts.is_empty() {
                return Err(self.error(
                    Some(rule),
                    &span,
                    format!("{path}.{key}"),
                    "a non-empty list of conditions",
                ));
            }
            parts
                .into_iter()
                .enumerate()
                .map(|(index, part)| self.condition(rule, part, &format!("{path}.{key}[{index}]")))
                .collect()
        };

        if let Some(parts) = raw.all {
            return Ok(Condition::All(list(parts, "all")?));
        }
        if let Some(parts) = raw.any {
            return Ok(Condition::Any(list(parts, "any")?));
        }
        if let Some(part) = raw.not {
            return Ok(Condition::Not(Box::new(self.condition(
                rule,
                *part,
                &format!("{path}.not"),
            )?)));
        }
        if let Some(parts) = raw.same_limb {
            if parts.len() < 2 {
                return fail(
                    "`same_limb` with a list of two or more symptom conditions".to_owned(),
                );
            }
            let matches = parts
                .into_iter()
                .enumerate()
                .map(|(index, part)| {
                    self.symptom_part(rule, part, &format!("{path}.same_limb[{index}]"))
                })
                .collect::<Result<_, _>>()?;
            return Ok(Condition::SameLimb(matches));
        }
        if let Some(part) = raw.both_sides {
            let matcher = self.symptom_part(rule, *part, &format!("{path}.both_sides"))?;
            if matcher.one_sided.is_some() {
                return fail(
                    "`both_sides` tests the side itself; leave `one_sided` out".to_owned(),
                );
            }
            return Ok(Condition::BothSides(matcher));
        }
        if let Some(KindList(kinds)) = raw.symptom {
            if raw.untreated == Some(false) {
                return fail("`untreated = true` (or leave it out)".to_owned());
            }
            return Ok(Condition::Symptom(
                SymptomMatch {
                    kinds,
                    severity_at_least: raw.severity_at_least,
                    stated_severity_at_least: raw.stated_severity_at_least,
                    frequency_at_least: raw.frequency_at_least,
                    interference_at_least: raw.interference_at_least,
                    one_sided: raw.one_sided,
                    sudden: raw.sudden,
                    painful: raw.painful,
                    warm_or_red: raw.warm_or_red,
                    regions_any: raw
                        .regions_any
                        .map(|regions| BitSet::of(regions.iter().map(|r| r.index()))),
                    reported_for_hours_over: non_negative(
                        "reported_for_hours_over",
                        raw.reported_for_hours_over,
                    )?,
                    worsening: raw.worsening,
                    untreated: raw.untreated,
                    fainting: [
                        raw.while_lying_down,
                        raw.while_exercising,
                        raw.seizure,
                        raw.injured,
                    ],
                    ..SymptomMatch::kinds(kinds)
                }
                .compiled(),
            ));
        }
        if raw.hours_since_treatment_over.is_some() || raw.hours_since_treatment_at_most.is_some() {
            let window = HoursWindow {
                over: non_negative("hours_since_treatment_over", raw.hours_since_treatment_over)?,
                at_most: non_negative(
                    "hours_since_treatment_at_most",
                    raw.hours_since_treatment_at_most,
                )?,
            };
            if let (Some(over), Some(at_most)) = (window.over, window.at_most)
                && over >= at_most
            {
                return fail(
                    "`hours_since_treatment_over` smaller than `hours_since_treatment_at_most`"
                        .to_owned(),
                );
            }
            return Ok(Condition::HoursSinceTreatment(window));
        }
        if let Some(modalities) = raw.modality {
            if modalities.is_empty() {
                return fail("a non-empty list of modalities".to_owned());
            }
            return Ok(Condition::Modality(BitSet::of(
                modalities.iter().map(|m| m.index()),
            )));
        }
        if let Some(pressure) = raw.pressure_at_least {
            return Ok(Condition::PressureAtLeast(pressure));
        }
        if let Some(regions) = raw.treatment_regions_any {
            if regions.is_empty() {
                return fail("a non-empty list of regions".to_owned());
            }
            return Ok(Condition::TreatmentRegionsAny(BitSet::of(
                regions.iter().map(|r| r.index()),
            )));
        }
        if let Some(minutes) = raw.duration_min_over {
            return Ok(Condition::DurationOver(minutes));
        }
        let Some(field_name) = raw.context else {
            unreachable!("exactly one head is present");
        };
        let Some(field) = ContextField::ALL
            .iter()
            .copied()
            .find(|f| f.as_str() == field_name)
        else {
            return fail(format!(
                "a context field, one of {}; got `{field_name}`",
                one_of(ContextField::ALL.iter().map(|f| f.as_str()))
            ));
        };
        context_test(field, raw.is.as_ref(), raw.below, raw.at_least)
            .map(Condition::Context)
            .map_err(|message| self.error(Some(rule), &span, path.to_owned(), message))
    }
}

impl Source<'_> {
    /// A part of `same_limb` or `both_sides`: a symptom condition alone.
    fn symptom_part(
        &self,
        rule: &str,
        part: Spanned<RawCondition>,
        path: &str,
    ) -> Result<SymptomMatch, GuidelineError> {
        let span = part.span();
        match self.condition(rule, part, path)? {
            Condition::Symptom(matcher) => Ok(matcher),
            _ => Err(self.error(
                Some(rule),
                &span,
                path.to_owned(),
                "a symptom condition (`symptom = …` with its qualifiers)",
            )),
        }
    }
}

/// Compiles a context test, checking that the comparison fits the field.
fn context_test(
    field: ContextField,
    is: Option<&toml::Value>,
    below: Option<f64>,
    at_least: Option<f64>,
) -> Result<ContextTest, String> {
    let name = field.as_str();
    let flag = |flag: ContextFlag| match (&is, below, at_least) {
        (Some(toml::Value::Boolean(value)), None, None) => Ok(ContextTest::Flag(flag, *value)),
        _ => Err(format!(
            "`context = \"{name}\"` with `is = true` or `is = false`"
        )),
    };
    let text = |expected: &str| match (&is, below, at_least) {
        (Some(toml::Value::String(value)), None, None) => Ok(value.clone()),
        _ => Err(format!("`context = \"{name}\"` with `is` = {expected}")),
    };
    match field {
        ContextField::Hydration => {
            let value = text("\"good\" or \"low\"")?;
            match value.as_str() {
                "good" => Ok(ContextTest::Hydration(Hydration::Good)),
                "low" => Ok(ContextTest::Hydration(Hydration::Low)),
                _ => Err(format!(
                    "`is` = \"good\" or \"low\" for hydration; got \"{value}\""
                )),
            }
        }
        ContextField::Stress => {
            let value = text("\"low\", \"moderate\" or \"high\"")?;
            Stress::ALL
                .iter()
                .find(|stress| stress.as_str() == value)
                .map(|stress| ContextTest::Stress(*stress))
                .ok_or_else(|| {
                    format!("`is` = \"low\", \"moderate\" or \"high\" for stress; got \"{value}\"")
                })
        }
        ContextField::SleepHours => match (&is, below, at_least) {
            (None, Some(hours), None) if hours.is_finite() && hours >= 0.0 => {
                Ok(ContextTest::SleepHoursBelow(hours))
            }
            _ => Err("`context = \"sleep_hours\"` with `below = <hours>`".to_owned()),
        },
        ContextField::CaffeineCups => match (&is, below, at_least) {
            (None, None, Some(cups)) if cups.is_finite() && cups >= 0.0 => {
                Ok(ContextTest::CaffeineCupsAtLeast(cups))
            }
            _ => Err("`context = \"caffeine_cups\"` with `at_least = <cups>`".to_owned()),
        },
        ContextField::NewMedication => flag(ContextFlag::NewMedication),
        ContextField::StrenuousExercise => flag(ContextFlag::StrenuousExercise),
        ContextField::Pregnant => flag(ContextFlag::Pregnant),
        ContextField::Anticoagulants => flag(ContextFlag::Anticoagulants),
        // Read by the engine itself (safety property 5), never by a rule.
        ContextField::SeenByClinician => Err(
            "a context field rules may test; `seen_by_clinician` closes red flags and is not one"
                .to_owned(),
        ),
    }
}

fn check_followup(raw: RawFollowup) -> Result<Followup, (String, String)> {
    if raw.plan_hours.is_empty()
        || raw.plan_hours.contains(&0)
        || !raw.plan_hours.is_sorted_by(|a, b| a < b)
    {
        return Err((
            "followup.plan_hours".to_owned(),
            "a non-empty list of hours after the treatment, each above 0, strictly ascending"
                .to_owned(),
        ));
    }
    let active_interval_hours = raw.active_interval_hours.into_array();
    if let Some(level) = Level::ALL
        .iter()
        .zip(&active_interval_hours)
        .find(|(_, hours)| **hours == 0)
        .map(|(level, _)| level)
    {
        return Err((
            format!("followup.active_interval_hours.{level}"),
            "a number of hours above 0".to_owned(),
        ));
    }
    Ok(Followup {
        plan_hours: raw.plan_hours,
        stop_when_clear_after_hours: raw.stop_when_clear_after_hours,
        active_interval_hours,
    })
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
