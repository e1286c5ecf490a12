//! Reading archives from JSON and checking them before they are imported:
//! the format, each row the clinic's, each stored document and closed
//! vocabulary one the service reads.

use super::{ARCHIVE_FORMAT, ClinicArchive, InstallationArchive, OLDEST_ARCHIVE_FORMAT};
use crate::StoreError;

impl InstallationArchive {
    /// Reads an installation archive from JSON and checks it.
    pub fn parse(bytes: &[u8]) -> Result<InstallationArchive, StoreError> {
        let archive: InstallationArchive =
            serde_json::from_slice(bytes).map_err(|error| StoreError::Invalid {
                path: String::new(),
                expected: format!("an Aftercare installation archive ({error})"),
            })?;
        archive.check()?;
        Ok(archive)
    }

    /// Checks the format and every clinic's archive (see
    /// [`ClinicArchive::check`]), naming the clinic's place in the path.
    pub fn check(&self) -> Result<(), StoreError> {
        if self.format != ARCHIVE_FORMAT {
            return Err(StoreError::Invalid {
                path: "format".to_owned(),
                expected: format!("archive format {ARCHIVE_FORMAT}, got {}", self.format),
            });
        }
        for (n, clinic) in self.clinic_archives.iter().enumerate() {
            clinic.check().map_err(|error| match error {
                StoreError::Invalid { path, expected } => StoreError::Invalid {
                    path: format!("clinic_archives[{n}].{path}"),
                    expected,
                },
                other => other,
            })?;
        }
        for (n, row) in self.selfcheck_diaries.iter().enumerate() {
            if aftercare_core::Course::from_json(&row.course).is_err() {
                return Err(StoreError::Invalid {
                    path: format!("selfcheck_diaries[{n}].course"),
                    expected: "a course in the check-in format".to_owned(),
                });
            }
        }
        for (n, row) in self.audit_events.iter().enumerate() {
            if row.clinic_id.is_some() {
                return Err(StoreError::Invalid {
                    path: format!("audit_events[{n}].clinic_id"),
                    expected: "null: events of a clinic are in its archive".to_owned(),
                });
            }
        }
        Ok(())
    }
}

impl ClinicArchive {
    /// Reads an archive from JSON and checks it (see [`ClinicArchive::check`]).
    pub fn parse(bytes: &[u8]) -> Result<ClinicArchive, StoreError> {
        let archive: ClinicArchive =
            serde_json::from_slice(bytes).map_err(|error| StoreError::Invalid {
                path: String::new(),
                expected: format!("an Aftercare clinic archive ({error})"),
            })?;
        archive.check()?;
        Ok(archive)
    }

    /// Checks what the database would not: the format, one clinic, every
    /// row belonging to it, and every stored document (treatment details,
    /// check-in bodies, decisions, levels, roles) readable by the service.
    /// An archive that passes imports into records the service can serve;
    /// one that does not is refused before anything is written.
    pub fn check(&self) -> Result<(), StoreError> {
        let invalid = |path: String, expected: &str| StoreError::Invalid {
            path,
            expected: expected.to_owned(),
        };
        if !(OLDEST_ARCHIVE_FORMAT..=ARCHIVE_FORMAT).contains(&self.format) {
            return Err(StoreError::Invalid {
                path: "format".to_owned(),
                expected: format!(
                    "archive format {OLDEST_ARCHIVE_FORMAT} to {ARCHIVE_FORMAT}, got {}",
                    self.format
                ),
            });
        }
        let [clinic] = self.clinics.as_slice() else {
            return Err(invalid("clinics".to_owned(), "exactly one clinic"));
        };
        let ours = |path: String, clinic_id: &str| {
            if clinic_id == clinic.id {
                Ok(())
            } else {
                Err(invalid(path, "the archive's clinic id"))
            }
        };
        for (n, row) in self.practitioners.iter().enumerate() {
            ours(format!("practitioners[{n}].clinic_id"), &row.clinic_id)?;
            if !matches!(row.role.as_str(), "owner" | "therapist") {
                return Err(invalid(
                    format!("practitioners[{n}].role"),
                    "`owner` or `therapist`",
                ));
            }
            if !matches!(row.must_change_password, 0 | 1) {
                return Err(invalid(
                    format!("practitioners[{n}].must_change_password"),
                    "0 or 1",
                ));
            }
        }
        for (n, row) in self.api_tokens.iter().enumerate() {
            ours(format!("api_tokens[{n}].clinic_id"), &row.clinic_id)?;
        }
        for (n, row) in self.clients.iter().enumerate() {
            ours(format!("clients[{n}].clinic_id"), &row.clinic_id)?;
        }
        for (n, row) in self.treatments.iter().enumerate() {
            ours(format!("treatments[{n}].clinic_id"), &row.clinic_id)?;
            if serde_json::from_str::<aftercare_core::Treatment>(&row.details).is_err() {
                return Err(invalid(
                    format!("treatments[{n}].details"),
                    "a treatment in the check-in format",
                ));
            }
        }
        for (n, row) in self.checkins.iter().enumerate() {
            ours(format!("checkins[{n}].clinic_id"), &row.clinic_id)?;
            let Ok(checkin) = serde_json::from_str::<aftercare_core::Checkin>(&row.body) else {
                return Err(invalid(
                    format!("checkins[{n}].body"),
                    "a check-in in the check-in format",
                ));
            };
            // What the types alone cannot say: the fainting answers belong
            // to a `fainting` entry only (format 1.1).
            let misplaced = checkin.symptoms.iter().any(|symptom| {
                symptom.kind != aftercare_core::SymptomKind::Fainting
                    && symptom
                        .fainting_answers()
                        .iter()
                        .any(|(_, answer)| answer.is_some())
            });
            if misplaced {
                return Err(invalid(
                    format!("checkins[{n}].body"),
                    "a check-in in the check-in format (fainting answers only on a `fainting` entry)",
                ));
            }
        }
        for (n, row) in self.decisions.iter().enumerate() {
            ours(format!("decisions[{n}].clinic_id"), &row.clinic_id)?;
            known_level(format!("decisions[{n}].level"), &row.level)?;
            crate::archive_check::check_decision_body(
                &format!("decisions[{n}].body"),
                &row.body,
                &row.level,
                &row.guideline_id,
                &row.guideline_version,
            )?;
        }
        for (n, row) in self.alerts.iter().enumerate() {
            ours(format!("alerts[{n}].clinic_id"), &row.clinic_id)?;
            known_level(format!("alerts[{n}].level"), &row.level)?;
        }
        for (n, row) in self.audit_events.iter().enumerate() {
            if let Some(clinic_id) = &row.clinic_id {
                ours(format!("audit_events[{n}].clinic_id"), clinic_id)?;
            }
        }
        self.check_followup(&ours)?;
        self.check_references()
    }

    /// Checks the follow-up tables: each row the clinic's, each closed
    /// vocabulary one the service knows, each plan readable.
    fn check_followup(
        &self,
        ours: &impl Fn(String, &str) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let one_of = |path: String, text: &str, known: &[&str]| {
            if known.contains(&text) {
                Ok(())
            } else {
                Err(StoreError::Invalid {
                    path,
                    expected: format!("one of `{}`", known.join("`, `")),
                })
            }
        };
        let plan = |path: String, text: &str| {
            serde_json::from_str::<Vec<u32>>(text)
                .map(drop)
                .map_err(|_| StoreError::Invalid {
                    path,
                    expected: "a JSON list of whole hours".to_owned(),
                })
        };
        for (n, row) in self.alert_notices.iter().enumerate() {
            ours(format!("alert_notices[{n}].clinic_id"), &row.clinic_id)?;
        }
        for (n, row) in self.followup_settings.iter().enumerate() {
            ours(format!("followup_settings[{n}].clinic_id"), &row.clinic_id)?;
            plan(
                format!("followup_settings[{n}].plan_hours"),
                &row.plan_hours,
            )?;
            one_of(
                format!("followup_settings[{n}].client_channel"),
                &row.client_channel,
                &["email", "webhook"],
            )?;
        }
        for (n, row) in self.retention_settings.iter().enumerate() {
            ours(format!("retention_settings[{n}].clinic_id"), &row.clinic_id)?;
            if row.keep_days < 1 {
                return Err(StoreError::Invalid {
                    path: format!("retention_settings[{n}].keep_days"),
                    expected: "a whole number of days, at least 1".to_owned(),
                });
            }
        }
        for (n, row) in self.followup_plans.iter().enumerate() {
            ours(format!("followup_plans[{n}].clinic_id"), &row.clinic_id)?;
            plan(format!("followup_plans[{n}].plan_hours"), &row.plan_hours)?;
            if let Some(level) = &row.last_level {
                known_level(format!("followup_plans[{n}].last_level"), level)?;
            }
        }
        for (n, row) in self.invitations.iter().enumerate() {
            ours(format!("invitations[{n}].clinic_id"), &row.clinic_id)?;
            one_of(
                format!("invitations[{n}].state"),
                &row.state,
                &["open", "answered", "expired", "cancelled"],
            )?;
        }
        for (n, row) in self.messages.iter().enumerate() {
            ours(format!("messages[{n}].clinic_id"), &row.clinic_id)?;
            one_of(
                format!("messages[{n}].kind"),
                &row.kind,
                &[
                    "invitation",
                    "reminder",
                    "alert",
                    "escalation",
                    "missed_checkin",
                ],
            )?;
            one_of(
                format!("messages[{n}].channel"),
                &row.channel,
                &["email", "webhook"],
            )?;
            one_of(
                format!("messages[{n}].status"),
                &row.status,
                &["queued", "sent", "failed", "cancelled"],
            )?;
        }
        for (n, row) in self.delivery_log.iter().enumerate() {
            ours(format!("delivery_log[{n}].clinic_id"), &row.clinic_id)?;
            one_of(
                format!("delivery_log[{n}].event"),
                &row.event,
                &["queued", "sent", "retry", "failed", "cancelled"],
            )?;
        }
        Ok(())
    }
}

/// Refuses a level the engine does not have.
fn known_level(path: String, text: &str) -> Result<(), StoreError> {
    if aftercare_core::Level::from_wire(text).is_some() {
        Ok(())
    } else {
        Err(StoreError::Invalid {
            path,
            expected: "one of the six triage levels".to_owned(),
        })
    }
}
