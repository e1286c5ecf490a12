//! A client's record over time, once for the API, the pages and the
//! scheduler: correcting a client's or a treatment's details, erasing a
//! client, erasing closed courses after the clinic's retention period,
//! and handing a client their record.
//!
//! Callers have parsed what came from outside into typed values and
//! checked who may act; what is left is decided here and written by the
//! store in one transaction.

use aftercare_core::{Course, Treatment as TreatmentDetails, triage};
use aftercare_store::{
    Client, ClientChange, ClientId, ClientRecord, Erased, Principal, RetentionSettings, Retriage,
    StoreError, Treatment, TreatmentCorrection, TreatmentId, Update, millis_of,
};

use crate::state::AppState;

/// Courses looked at per retention query.
const RETENTION_BATCH: i64 = 200;

/// Retention queries per pass, at most, so one pass always ends.
const MAX_RETENTION_BATCHES: usize = 50;

/// The shortest and longest retention periods a clinic may set, in days.
/// A period under a month would erase courses while people may still ask
/// about them; the longest is a lifetime.
pub(crate) const KEEP_DAYS: std::ops::RangeInclusive<u32> = 30..=36_500;

/// New values for a client's details, as sent; `None` and `Keep` leave
/// a field as it is.
#[derive(Clone, Debug, Default)]
pub(crate) struct ClientEdit {
    /// The name.
    pub(crate) name: Option<String>,
    /// The email.
    pub(crate) email: Update<String>,
    /// The phone.
    pub(crate) phone: Update<String>,
    /// Whether the client agrees to be followed up.
    pub(crate) follow_up_consent: Option<bool>,
}

/// New values for a treatment, as sent; `None` and `Keep` leave a field
/// as it is.
#[derive(Clone, Debug, Default)]
pub(crate) struct TreatmentEdit {
    /// What was done, whole.
    pub(crate) details: Option<TreatmentDetails>,
    /// The private notes.
    pub(crate) notes: Update<String>,
}

/// `Keep` unless the update sets the field to something other than `current`.
fn changed<T: PartialEq>(update: Update<T>, current: Option<&T>) -> Update<T> {
    match update {
        Update::Set(value) if value.as_ref() != current => Update::Set(value),
        _ => Update::Keep,
    }
}

/// Changes a client's details. Only fields whose value changes are
/// written and named in the audit trail; consent keeps the time it was
/// first given.
pub(crate) async fn correct_client(
    state: &AppState,
    principal: &Principal,
    id: &ClientId,
    edit: ClientEdit,
) -> Result<Client, StoreError> {
    let clinic = &principal.clinic_id;
    let current = state.store.client(clinic, id).await?;
    let now = state.now();
    let change = ClientChange {
        name: edit.name.filter(|name| *name != current.name),
        email: changed(edit.email, current.email.as_ref()),
        phone: changed(edit.phone, current.phone.as_ref()),
        consent_at: match edit.follow_up_consent {
            Some(agrees) if agrees != current.consent_at.is_some() => {
                Update::Set(agrees.then_some(now))
            }
            _ => Update::Keep,
        },
    };
    if change == ClientChange::default() {
        return Ok(current);
    }
    let actor = aftercare_store::Actor::Practitioner(principal.practitioner_id.clone());
    let client = state
        .store
        .update_client(clinic, id, &actor, &change, now)
        .await?;
    if change.consent_at.is_set() {
        // A withdrawn or given consent changes what follow-up sends.
        state.wake_scheduler();
    }
    Ok(client)
}

/// The names of the fields of a treatment that differ, in a fixed order.
fn changed_fields(
    before: &TreatmentDetails,
    after: &TreatmentDetails,
    notes_changed: bool,
) -> Vec<&'static str> {
    let mut fields = Vec::new();
    if before.at != after.at {
        fields.push("at");
    }
    if before.modality != after.modality {
        fields.push("modality");
    }
    if before.pressure != after.pressure {
        fields.push("pressure");
    }
    if before.duration_min != after.duration_min {
        fields.push("duration_min");
    }
    if before.regions != after.regions {
        fields.push("regions");
    }
    if notes_changed {
        fields.push("notes");
    }
    fields
}

/// Corrects a treatment. A time must not be in the future (as when it is
/// recorded) nor after the course's first check-in. When what was done
/// changes and the course has check-ins, the course is triaged again with
/// the current guideline: the new decision answers the latest check-in,
/// the earlier ones stay as they were (each names the guideline that made
/// it), and the therapist is alerted when the new answer needs them more
/// than the last one did. The client's link keeps its expiry.
pub(crate) async fn correct_treatment(
    state: &AppState,
    principal: &Principal,
    id: &TreatmentId,
    edit: TreatmentEdit,
) -> Result<Treatment, StoreError> {
    let clinic = &principal.clinic_id;
    let record = state.store.course_to_correct(clinic, id).await?;
    let before = &record.treatment;
    let details = edit.details.unwrap_or_else(|| before.details.clone());
    let notes = match edit.notes {
        Update::Set(notes) => notes,
        Update::Keep => before.notes.clone(),
    };
    let fields = changed_fields(&before.details, &details, notes != before.notes);
    if fields.is_empty() {
        return Ok(record.treatment);
    }
    let now = state.now();
    if details.at != before.details.at {
        if millis_of(details.at) > now + aftercare_store::MAX_CLOCK_SKEW_MILLIS {
            return Err(StoreError::Invalid {
                path: "treatment.at".to_owned(),
                expected: "a time that is not in the future: a treatment is recorded once it has been given"
                    .to_owned(),
            });
        }
        if let Some(first) = record.checkins.first()
            && details.at > first.checkin.at
        {
            return Err(StoreError::Invalid {
                path: "treatment.at".to_owned(),
                expected: format!(
                    "a time at or before the course's first check-in ({})",
                    first.checkin.at
                ),
            });
        }
    }
    let retriage = match record.checkins.last() {
        Some(last) if details != before.details => {
            let guideline = &state.guideline;
            let course = Course {
                treatment: details.clone(),
                checkins: record.checkins.iter().map(|c| c.checkin.clone()).collect(),
            };
            let decision = triage(guideline, &course);
            let fresh = decision.fresh_level();
            let before_level = record.decisions.last().map(|d| d.level);
            let raises = before_level.is_none_or(|level| fresh.index() > level.index());
            Some(Retriage {
                checkin_id: last.id.clone(),
                level: decision.level,
                body: decision.to_json(),
                guideline_id: guideline.id.clone(),
                guideline_version: guideline.version.clone(),
                alert: (fresh.alerts_therapist() && raises).then_some(fresh),
            })
        }
        _ => None,
    };
    let alerts = retriage.as_ref().is_some_and(|r| r.alert.is_some());
    let correction = TreatmentCorrection {
        details,
        notes,
        fields,
        checkins_seen: i64::try_from(record.checkins.len()).unwrap_or(i64::MAX),
        retriage,
    };
    let actor = aftercare_store::Actor::Practitioner(principal.practitioner_id.clone());
    let corrected = state
        .store
        .correct_treatment(clinic, id, &actor, &correction, now)
        .await?;
    if alerts {
        state.wake_scheduler();
    }
    Ok(corrected)
}

/// Erases a client and everything about them (the caller checked that
/// the principal owns the clinic). Logged with counts only.
pub(crate) async fn erase_client(
    state: &AppState,
    principal: &Principal,
    id: &ClientId,
) -> Result<Erased, StoreError> {
    let actor = aftercare_store::Actor::Practitioner(principal.practitioner_id.clone());
    let erased = state
        .store
        .erase_client(&principal.clinic_id, id, &actor, state.now())
        .await?;
    log_erased(
        &principal.clinic_id,
        "a client erased by the clinic",
        &erased,
    );
    Ok(erased)
}

/// Everything the clinic keeps about one client; the read is audited.
pub(crate) async fn client_record(
    state: &AppState,
    principal: &Principal,
    id: &ClientId,
) -> Result<ClientRecord, StoreError> {
    let actor = aftercare_store::Actor::Practitioner(principal.practitioner_id.clone());
    state
        .store
        .client_record(&principal.clinic_id, id, &actor, state.now())
        .await
}

/// Sets how long the clinic keeps closed courses (the caller checked the
/// range and that the principal owns the clinic).
pub(crate) async fn set_retention(
    state: &AppState,
    principal: &Principal,
    settings: RetentionSettings,
) -> Result<(), StoreError> {
    let actor = aftercare_store::Actor::Practitioner(principal.practitioner_id.clone());
    state
        .store
        .put_retention_settings(&principal.clinic_id, &actor, settings, state.now())
        .await
}

/// Erases every course past its clinic's retention period, clinic by
/// clinic, each clinic's in one transaction; logs counts only.
pub(crate) async fn erase_past_retention(
    state: &AppState,
    now: aftercare_store::Millis,
) -> Result<Erased, StoreError> {
    let mut total = Erased::default();
    for _ in 0..MAX_RETENTION_BATCHES {
        let due = state
            .store
            .courses_past_retention(now, RETENTION_BATCH)
            .await?;
        let mut by_clinic: Vec<(aftercare_store::ClinicId, Vec<TreatmentId>)> = Vec::new();
        for course in &due {
            match by_clinic
                .iter_mut()
                .find(|(clinic, _)| *clinic == course.clinic_id)
            {
                Some((_, treatments)) => treatments.push(course.treatment_id.clone()),
                None => {
                    by_clinic.push((course.clinic_id.clone(), vec![course.treatment_id.clone()]));
                }
            }
        }
        for (clinic, treatments) in &by_clinic {
            let erased = state.store.erase_courses(clinic, treatments, now).await?;
            log_erased(
                clinic,
                "closed courses erased after the retention period",
                &erased,
            );
            total += erased;
        }
        if i64::try_from(due.len()).unwrap_or(i64::MAX) < RETENTION_BATCH {
            break;
        }
    }
    Ok(total)
}

/// Logs an erasure with its counts and nothing about the people.
fn log_erased(clinic: &aftercare_store::ClinicId, what: &'static str, erased: &Erased) {
    tracing::info!(
        %clinic,
        clients = erased.clients,
        treatments = erased.treatments,
        checkins = erased.checkins,
        decisions = erased.decisions,
        alerts = erased.alerts,
        plans = erased.plans,
        invitations = erased.invitations,
        messages = erased.messages,
        delivery_log = erased.delivery_log,
        audit_events_redacted = erased.audit_events_redacted,
        "{what}"
    );
}
