//! Checking a read guideline as a whole: its header, levels, follow-up
//! plan and rules, then compiling it into [`Guideline`].

use std::collections::HashSet;

use toml::Spanned;

use super::{FORMAT, RawFollowup, RawGuideline, RawRule, Source};
use crate::error::GuidelineError;
use crate::guideline::condition::Prefilter;
use crate::guideline::{Followup, Guideline, LevelText, Rule};
use crate::sources::is_known_source;
use crate::vocabulary::Level;

impl Source<'_> {
    pub(super) fn check(&self, raw: RawGuideline) -> Result<Guideline, GuidelineError> {
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
            rules.push(self.check_rule(index, spanned, &mut seen)?);
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

    /// Checks the `index`th `[[rule]]` (its id unused by the rules in
    /// `seen`, which it joins) and compiles its condition.
    fn check_rule(
        &self,
        index: usize,
        spanned: Spanned<RawRule>,
        seen: &mut HashSet<String>,
    ) -> Result<Rule, GuidelineError> {
        let span = spanned.span();
        let rule = spanned.into_inner();
        let at = |field: &str| format!("rule[{index}].{field}");
        let id = rule.id.clone();
        let fail = |field: &str, message: String| self.error(Some(&id), &span, at(field), message);
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
        Ok(Rule {
            id: rule.id,
            level: rule.level,
            when,
            why: rule.why,
            advice: rule.advice,
            sources: rule.sources,
        })
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
