//! What an archive must hold together before it is imported: every row
//! that points at another row points inside the same clinic's archive, and
//! every decision is a decision.
//!
//! The database's foreign keys alone would accept, in an installation
//! archive, an API token of clinic A that names clinic B's owner, or an
//! alert of A on B's treatment: rows that would hand one clinic's records
//! to another's credentials. And a `decisions` row is shown to therapists
//! and clients as it is, so a body that is merely JSON could put any words
//! under any level.

use std::collections::HashSet;

use aftercare_core::Level;
use serde::Deserialize;

use crate::archive::ClinicArchive;
use crate::error::StoreError;

/// The shape of a stored decision, as the engine writes it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // read for its shape; the fields are checked by serde
struct DecisionShape {
    level: Level,
    summary: String,
    reasons: Vec<ReasonShape>,
    advice: Vec<String>,
    next_checkin_hours: Option<u32>,
    guideline: GuidelineShape,
    disclaimer: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct ReasonShape {
    rule: String,
    level: Level,
    why: String,
    evidence: Vec<String>,
    sources: Vec<String>,
    #[serde(default)]
    earlier: Option<serde_json::Value>,
    #[serde(default)]
    assessed: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GuidelineShape {
    id: String,
    version: String,
}

fn invalid(path: String, expected: &str) -> StoreError {
    StoreError::Invalid {
        path,
        expected: expected.to_owned(),
    }
}

/// Checks one decision body against its row: the engine's shape, the
/// row's level and guideline, and no reason above the decision's level.
pub(crate) fn check_decision_body(
    path: &str,
    body: &str,
    level: &str,
    guideline_id: &str,
    guideline_version: &str,
) -> Result<(), StoreError> {
    let expected = "a decision in the check-in format (level, summary, reasons, advice, next_checkin_hours, guideline, disclaimer)";
    let decision: DecisionShape =
        serde_json::from_str(body).map_err(|_| invalid(path.to_owned(), expected))?;
    if decision.level.as_str() != level {
        return Err(invalid(
            path.to_owned(),
            "a decision whose level is the row's `level`",
        ));
    }
    if decision.guideline.id != guideline_id || decision.guideline.version != guideline_version {
        return Err(invalid(
            path.to_owned(),
            "a decision made by the row's `guideline_id` and `guideline_version`",
        ));
    }
    if decision
        .reasons
        .iter()
        .any(|reason| reason.level > decision.level)
    {
        return Err(invalid(
            path.to_owned(),
            "a decision at least as high as each of its reasons",
        ));
    }
    Ok(())
}

/// The ids of `rows`, to look references up in.
fn ids<'a, R>(rows: &'a [R], id: impl Fn(&'a R) -> &'a str) -> HashSet<&'a str> {
    rows.iter().map(id).collect()
}

impl ClinicArchive {
    /// Checks that every reference between rows stays inside this archive.
    pub(crate) fn check_references(&self) -> Result<(), StoreError> {
        let practitioners = ids(&self.practitioners, |r| &r.id);
        let clients = ids(&self.clients, |r| &r.id);
        let treatments = ids(&self.treatments, |r| &r.id);
        let checkins = ids(&self.checkins, |r| &r.id);
        let decisions = ids(&self.decisions, |r| &r.id);
        let alerts = ids(&self.alerts, |r| &r.id);
        let invitations = ids(&self.invitations, |r| &r.id);
        let messages = ids(&self.messages, |r| &r.id);
        let inside = |set: &HashSet<&str>, path: String, id: &str, what: &str| {
            if set.contains(id) {
                Ok(())
            } else {
                Err(invalid(path, &format!("the id of {what} in this archive")))
            }
        };
        for (n, row) in self.api_tokens.iter().enumerate() {
            let path = format!("api_tokens[{n}].practitioner_id");
            inside(&practitioners, path, &row.practitioner_id, "a practitioner")?;
        }
        for (n, row) in self.treatments.iter().enumerate() {
            let path = format!("treatments[{n}].client_id");
            inside(&clients, path, &row.client_id, "a client")?;
            let path = format!("treatments[{n}].practitioner_id");
            inside(&practitioners, path, &row.practitioner_id, "a practitioner")?;
        }
        for (n, row) in self.checkins.iter().enumerate() {
            let path = format!("checkins[{n}].treatment_id");
            inside(&treatments, path, &row.treatment_id, "a treatment")?;
        }
        for (n, row) in self.decisions.iter().enumerate() {
            let path = format!("decisions[{n}].treatment_id");
            inside(&treatments, path, &row.treatment_id, "a treatment")?;
            let path = format!("decisions[{n}].checkin_id");
            inside(&checkins, path, &row.checkin_id, "a check-in")?;
        }
        for (n, row) in self.alerts.iter().enumerate() {
            let path = format!("alerts[{n}].treatment_id");
            inside(&treatments, path, &row.treatment_id, "a treatment")?;
            let path = format!("alerts[{n}].decision_id");
            inside(&decisions, path, &row.decision_id, "a decision")?;
            let path = format!("alerts[{n}].practitioner_id");
            inside(&practitioners, path, &row.practitioner_id, "a practitioner")?;
            if let Some(by) = &row.acknowledged_by {
                let path = format!("alerts[{n}].acknowledged_by");
                inside(&practitioners, path, by, "a practitioner")?;
            }
        }
        for (n, row) in self.alert_notices.iter().enumerate() {
            let path = format!("alert_notices[{n}].alert_id");
            inside(&alerts, path, &row.alert_id, "an alert")?;
        }
        for (n, row) in self.followup_plans.iter().enumerate() {
            let path = format!("followup_plans[{n}].treatment_id");
            inside(&treatments, path, &row.treatment_id, "a treatment")?;
        }
        for (n, row) in self.invitations.iter().enumerate() {
            let path = format!("invitations[{n}].treatment_id");
            inside(&treatments, path, &row.treatment_id, "a treatment")?;
        }
        for (n, row) in self.messages.iter().enumerate() {
            let path = format!("messages[{n}].treatment_id");
            inside(&treatments, path, &row.treatment_id, "a treatment")?;
            if let Some(id) = &row.invitation_id {
                let path = format!("messages[{n}].invitation_id");
                inside(&invitations, path, id, "an invitation")?;
            }
            if let Some(id) = &row.alert_id {
                let path = format!("messages[{n}].alert_id");
                inside(&alerts, path, id, "an alert")?;
            }
        }
        for (n, row) in self.delivery_log.iter().enumerate() {
            let path = format!("delivery_log[{n}].message_id");
            inside(&messages, path, &row.message_id, "a message")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::check_decision_body;

    const MADE: &str = r#"{"level":"urgent","summary":"s","reasons":[{"rule":"r","level":"urgent","why":"w","evidence":["checkins[0].symptoms[0]"],"sources":["guidance:R6"]}],"advice":["a"],"next_checkin_hours":null,"guideline":{"id":"g","version":"1"},"disclaimer":"d"}"#;

    #[test]
    fn a_decision_as_the_engine_writes_it_passes() {
        check_decision_body("decisions[0].body", MADE, "urgent", "g", "1").expect("a decision");
    }

    #[test]
    fn json_that_is_not_a_decision_is_refused() {
        for body in [
            r#"{"anything":"at all"}"#,
            "[]",
            "3",
            MADE.replace("\"summary\"", "\"words\"").as_str(),
        ] {
            let refused = check_decision_body("decisions[0].body", body, "urgent", "g", "1");
            assert!(refused.is_err(), "{body}");
        }
    }

    #[test]
    fn a_body_that_disagrees_with_its_row_is_refused() {
        assert!(check_decision_body("p", MADE, "expected", "g", "1").is_err());
        assert!(check_decision_body("p", MADE, "urgent", "other", "1").is_err());
        let low = MADE.replacen("\"level\":\"urgent\"", "\"level\":\"self_care\"", 1);
        assert!(check_decision_body("p", &low, "self_care", "g", "1").is_err());
    }
}
