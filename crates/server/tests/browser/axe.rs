//! Accessibility checks with axe-core, run inside the page as it is shown.

use std::fmt::Write as _;

use serde_json::Value;

use crate::chrome::{Browser, Width};

/// One rule axe found broken, with the elements that break it.
#[derive(Debug)]
pub struct Violation {
    /// The rule, e.g. `color-contrast`.
    pub rule: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    pub impact: String,
    /// What the rule asks for.
    pub help: String,
    /// Where the rule is explained.
    pub help_url: String,
    /// Each offending element: its selector and what to fix.
    pub nodes: Vec<(String, String)>,
}

impl Violation {
    /// Whether the violation stops people from using the page: the
    /// impacts the tests refuse.
    pub fn is_serious(&self) -> bool {
        matches!(self.impact.as_str(), "serious" | "critical")
    }
}

/// Runs axe on the page shown now and returns every violation.
pub async fn run(browser: &Browser) -> Vec<Violation> {
    // Loading axe defines `window.axe`; a page's own scripts, or their
    // absence, do not matter to WebDriver's script runner.
    browser
        .script(
            &format!("{}\n;return typeof window.axe;", browser.axe_source()),
            vec![],
        )
        .await;
    let results = browser
        .client()
        .execute_async(
            r"
            const done = arguments[arguments.length - 1];
            window.axe
                .run(document, { resultTypes: ['violations'] })
                .then((results) => done(results.violations.map((violation) => ({
                    rule: violation.id,
                    impact: violation.impact || 'unknown',
                    help: violation.help,
                    help_url: violation.helpUrl,
                    nodes: violation.nodes.map((node) => [
                        node.target.join(' '),
                        (node.failureSummary || '').replace(/\s+/g, ' '),
                    ]),
                }))))
                .catch((error) => done({ error: String(error) }));
            ",
            vec![],
        )
        .await
        .unwrap_or_else(|error| panic!("run axe: {error}"));
    if let Some(error) = results.get("error") {
        panic!("axe failed in the page: {error}");
    }
    results
        .as_array()
        .expect("a list of violations")
        .iter()
        .map(|violation| Violation {
            rule: text(&violation["rule"]),
            impact: text(&violation["impact"]),
            help: text(&violation["help"]),
            help_url: text(&violation["help_url"]),
            nodes: violation["nodes"]
                .as_array()
                .map(|nodes| {
                    nodes
                        .iter()
                        .map(|node| (text(&node[0]), text(&node[1])))
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect()
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

/// Fails, listing them readably, when any violation is serious or
/// critical; milder ones are reported without failing.
#[track_caller]
pub fn assert_none_serious(violations: &[Violation], page: &str, path: &str, width: Width) {
    let serious: Vec<&Violation> = violations.iter().filter(|v| v.is_serious()).collect();
    let milder: Vec<&str> = violations
        .iter()
        .filter(|v| !v.is_serious())
        .map(|v| v.rule.as_str())
        .collect();
    if !milder.is_empty() {
        crate::tools::say(&format!(
            "axe on {page} ({path}, {width:?}): milder findings, not failing: {}",
            milder.join(", ")
        ));
    }
    assert!(
        serious.is_empty(),
        "axe found {} serious or critical problem(s) on {page} ({path}) at {width:?} width:\n{}",
        serious.len(),
        describe(&serious)
    );
}

/// Violations as an indented list, one offending element a line.
pub fn describe(violations: &[&Violation]) -> String {
    let mut out = String::new();
    for violation in violations {
        let _ = writeln!(
            out,
            "  [{}] {}: {} ({})",
            violation.impact, violation.rule, violation.help, violation.help_url
        );
        for (target, fix) in &violation.nodes {
            let _ = writeln!(out, "      at {target}: {fix}");
        }
    }
    out
}
