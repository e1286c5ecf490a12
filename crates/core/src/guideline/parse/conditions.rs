//! Compiling one `when` table of a rule into a [`Condition`], checking
//! that its keys fit together.

use std::ops::Range;

use toml::Spanned;

use super::{KindList, RawCondition, Source};
use crate::error::GuidelineError;
use crate::guideline::condition::{
    BitSet, Condition, ContextField, ContextFlag, ContextTest, HoursWindow, SymptomMatch,
};
use crate::vocabulary::{Hydration, Stress, one_of};

/// The keys of which a condition has exactly one.
const HEADS: &str = "`all`, `any`, `not`, `same_limb`, `both_sides`, `symptom`, `hours_since_treatment_over`/`_at_most`, `modality`, `pressure_at_least`, `treatment_regions_any`, `duration_min_over` or `context`";

impl Source<'_> {
    /// Checks one condition table and compiles it.
    pub(super) fn condition(
        &self,
        rule: &str,
        spanned: Spanned<RawCondition>,
        path: &str,
    ) -> Result<Condition, GuidelineError> {
        let span = spanned.span();
        let raw = spanned.into_inner();
        let fail = |message: String| Err(self.error(Some(rule), &span, path.to_owned(), message));

        if let Err(message) = check_keys(&raw) {
            return fail(message);
        }
        let list = |parts: Vec<Spanned<RawCondition>>, key: &str| {
            self.condition_list(rule, &span, &format!("{path}.{key}"), parts)
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
        if let Some(KindList(kinds)) = &raw.symptom {
            return self.symptom_condition(rule, &span, path, *kinds, &raw);
        }
        if raw.hours_since_treatment_over.is_some() || raw.hours_since_treatment_at_most.is_some() {
            return self
                .hours_window(rule, &span, path, &raw)
                .map(Condition::HoursSinceTreatment);
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

/// Checks which keys a condition table has together: exactly one head, and
/// qualifiers only beside the head they qualify. Answers what was expected.
fn check_keys(raw: &RawCondition) -> Result<(), String> {
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
        0 => return Err(format!("a condition with one of {HEADS}")),
        1 => {}
        _ => {
            return Err(format!(
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
        return Err(
            "symptom qualifiers (severity_at_least, one_sided, …) only together with `symptom`"
                .to_owned(),
        );
    }
    if (raw.is.is_some() || raw.below.is_some() || raw.at_least.is_some()) && raw.context.is_none()
    {
        return Err("`is`, `below` and `at_least` only together with `context`".to_owned());
    }
    Ok(())
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

    /// The conditions of `all` or `any`: a non-empty list, each compiled.
    fn condition_list(
        &self,
        rule: &str,
        span: &Range<usize>,
        path: &str,
        parts: Vec<Spanned<RawCondition>>,
    ) -> Result<Vec<Condition>, GuidelineError> {
        if parts.is_empty() {
            return Err(self.error(
                Some(rule),
                span,
                path.to_owned(),
                "a non-empty list of conditions",
            ));
        }
        parts
            .into_iter()
            .enumerate()
            .map(|(index, part)| self.condition(rule, part, &format!("{path}[{index}]")))
            .collect()
    }

    /// The window of `hours_since_treatment_over` and `_at_most`: each
    /// 0 or more, the first below the second.
    fn hours_window(
        &self,
        rule: &str,
        span: &Range<usize>,
        path: &str,
        raw: &RawCondition,
    ) -> Result<HoursWindow, GuidelineError> {
        let window = HoursWindow {
            over: self.non_negative(
                rule,
                span,
                &format!("{path}.hours_since_treatment_over"),
                raw.hours_since_treatment_over,
            )?,
            at_most: self.non_negative(
                rule,
                span,
                &format!("{path}.hours_since_treatment_at_most"),
                raw.hours_since_treatment_at_most,
            )?,
        };
        if let (Some(over), Some(at_most)) = (window.over, window.at_most)
            && over >= at_most
        {
            return Err(self.error(
                Some(rule),
                span,
                path.to_owned(),
                "`hours_since_treatment_over` smaller than `hours_since_treatment_at_most`",
            ));
        }
        Ok(window)
    }

    /// A `symptom` condition with its qualifiers, compiled.
    fn symptom_condition(
        &self,
        rule: &str,
        span: &Range<usize>,
        path: &str,
        kinds: BitSet,
        raw: &RawCondition,
    ) -> Result<Condition, GuidelineError> {
        if raw.untreated == Some(false) {
            return Err(self.error(
                Some(rule),
                span,
                path.to_owned(),
                "`untreated = true` (or leave it out)",
            ));
        }
        Ok(Condition::Symptom(
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
                    .as_ref()
                    .map(|regions| BitSet::of(regions.iter().map(|r| r.index()))),
                reported_for_hours_over: self.non_negative(
                    rule,
                    span,
                    &format!("{path}.reported_for_hours_over"),
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
        ))
    }

    /// A number of hours, refused when negative or not finite.
    fn non_negative(
        &self,
        rule: &str,
        span: &Range<usize>,
        path: &str,
        value: Option<f64>,
    ) -> Result<Option<f64>, GuidelineError> {
        match value {
            Some(number) if !number.is_finite() || number < 0.0 => Err(self.error(
                Some(rule),
                span,
                path.to_owned(),
                "a number of hours, 0 or more",
            )),
            other => Ok(other),
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
