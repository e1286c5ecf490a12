//! Recording a treatment with its client link: the one workflow behind
//! the API's `POST /api/v1/treatments` and the web's "record a treatment"
//! form.

use aftercare_store::secret::Secret;
use aftercare_store::{
    Actor, ClientId, Millis, NewTreatment, PractitionerId, Principal, Treatment, millis_of,
};

use crate::state::AppState;
use crate::usecases::UseCaseError;
use crate::usecases::links::LINK_PREFIX;

/// A treatment to record, read by the surface.
#[derive(Debug)]
pub(crate) struct TreatmentToRecord {
    /// The client treated, of the principal's clinic.
    pub(crate) client_id: ClientId,
    /// Who treated, of the principal's clinic.
    pub(crate) practitioner_id: PractitionerId,
    /// What was done, in the check-in format.
    pub(crate) details: aftercare_core::Treatment,
    /// The therapist's private notes, already checked for length.
    pub(crate) notes: Option<String>,
}

/// A treatment just recorded, with the secret of its client link: shown
/// once, since only its hash is kept.
#[derive(Debug)]
pub(crate) struct RecordedTreatment {
    /// The treatment as stored.
    pub(crate) treatment: Treatment,
    /// The client's link.
    pub(crate) link: Secret,
}

/// When the client link of a treatment given at `at` stops working:
/// `lifetime_days` (the `--link-lifetime-days` setting) after the
/// treatment.
pub(crate) fn link_expires_at(at: Millis, lifetime_days: u32) -> Millis {
    const DAY_MILLIS: Millis = 24 * 60 * 60 * 1000;
    at.saturating_add(i64::from(lifetime_days) * DAY_MILLIS)
}

/// Records a treatment of the principal's clinic with a new client link,
/// in the audit trail under the principal's name, and wakes the scheduler
/// so that the first invitation is planned at once, not at the next tick.
///
/// A treatment is recorded once it has been given, and only while its
/// link would still work: a time in the future, or so long ago that the
/// link's lifetime is over, is refused as `treatment.at`.
pub(crate) async fn record_treatment(
    state: &AppState,
    principal: &Principal,
    new: TreatmentToRecord,
) -> Result<RecordedTreatment, UseCaseError> {
    let now = state.now();
    let at = millis_of(new.details.at);
    let expires_at = link_expires_at(at, state.settings.link_lifetime_days);
    if at > now + aftercare_store::MAX_CLOCK_SKEW_MILLIS {
        return Err(UseCaseError::Invalid {
            path: "treatment.at",
            expected: "a time that is not in the future: record a treatment once it has been given"
                .to_owned(),
        });
    }
    if expires_at <= now {
        return Err(UseCaseError::Invalid {
            path: "treatment.at",
            expected: format!(
                "a time within the last {} days, so that the client's link still works",
                state.settings.link_lifetime_days
            ),
        });
    }
    let link = Secret::generate(LINK_PREFIX);
    let treatment = state
        .store
        .create_treatment(
            &principal.clinic_id,
            &Actor::Practitioner(principal.practitioner_id.clone()),
            NewTreatment {
                client_id: new.client_id,
                practitioner_id: new.practitioner_id,
                details: new.details,
                notes: new.notes,
                link_hash: link.hash(),
                link_expires_at: expires_at,
            },
            now,
        )
        .await?;
    state.wake_scheduler();
    Ok(RecordedTreatment { treatment, link })
}
