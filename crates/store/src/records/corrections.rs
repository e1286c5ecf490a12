//! Correcting a client's details or a treatment's.

use aftercare_core::{Level, Treatment as TreatmentDetails};

use super::audit_change;
use crate::model::{
    Actor, AlertId, CheckinId, Client, ClientId, ClinicId, CourseRecord, DecisionId, Millis,
    Treatment, TreatmentId,
};
use crate::queries::{TREATMENT_COLUMNS, course_in_clinic, treatment};
use crate::{Store, StoreError, millis_of};

/// What to do with a field that may be empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Update<T> {
    /// Leave it as it is.
    #[default]
    Keep,
    /// Set it to a value, or (`None`) empty it.
    Set(Option<T>),
}

impl<T> Update<T> {
    /// Whether the field is set.
    pub fn is_set(&self) -> bool {
        matches!(self, Update::Set(_))
    }

    /// The new value, if the field is set.
    pub fn value(&self) -> Option<&Option<T>> {
        match self {
            Update::Keep => None,
            Update::Set(value) => Some(value),
        }
    }
}

/// New values for a client's details; `None` and `Keep` leave a field as
/// it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientChange {
    /// The name.
    pub name: Option<String>,
    /// The email.
    pub email: Update<String>,
    /// The phone.
    pub phone: Update<String>,
    /// When consent to follow-up was given; emptied when it is withdrawn.
    pub consent_at: Update<Millis>,
}

impl ClientChange {
    /// The names of the fields the change sets, for the audit trail.
    pub fn field_names(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        if self.name.is_some() {
            names.push("name");
        }
        if self.email.is_set() {
            names.push("email");
        }
        if self.phone.is_set() {
            names.push("phone");
        }
        if self.consent_at.is_set() {
            names.push("follow_up_consent");
        }
        names
    }
}

/// A decision made again on a course after its treatment was corrected.
#[derive(Clone, Debug)]
pub struct Retriage {
    /// The latest check-in, which the decision answers.
    pub checkin_id: CheckinId,
    /// The level.
    pub level: Level,
    /// The decision JSON, as the engine made it.
    pub body: String,
    /// The guideline that made it.
    pub guideline_id: String,
    /// Its version.
    pub guideline_version: String,
    /// Tell the treating therapist, at this level.
    pub alert: Option<Level>,
}

/// A corrected treatment, as the caller worked it out.
#[derive(Clone, Debug)]
pub struct TreatmentCorrection {
    /// The treatment's details after the correction.
    pub details: TreatmentDetails,
    /// The private notes after the correction.
    pub notes: Option<String>,
    /// The names of the fields that changed, for the audit trail.
    pub fields: Vec<&'static str>,
    /// How many check-ins the course held when the caller read it: the
    /// correction is refused if one came meanwhile (its decision was made
    /// on what the caller did not see).
    pub checkins_seen: i64,
    /// The course triaged again, when it has check-ins.
    pub retriage: Option<Retriage>,
}

impl Store {
    /// Changes a client's details; the audit trail names who, when and
    /// which fields, not the values. A change that sets nothing changes
    /// nothing and records nothing.
    pub async fn update_client(
        &self,
        clinic: &ClinicId,
        id: &ClientId,
        actor: &Actor,
        change: &ClientChange,
        now: Millis,
    ) -> Result<Client, StoreError> {
        let fields = change.field_names();
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        // `$n = 1` says whether a field is set, so one statement serves
        // every combination of fields.
        let done = sqlx::query(
            "UPDATE clients SET \
             name = CASE WHEN $3 = 1 THEN $4 ELSE name END, \
             email = CASE WHEN $5 = 1 THEN $6 ELSE email END, \
             phone = CASE WHEN $7 = 1 THEN $8 ELSE phone END, \
             consent_at = CASE WHEN $9 = 1 THEN $10 ELSE consent_at END \
             WHERE clinic_id = $1 AND id = $2",
        )
        .bind(clinic.as_str().to_owned())
        .bind(id.as_str().to_owned())
        .bind(i64::from(change.name.is_some()))
        .bind(change.name.clone())
        .bind(i64::from(change.email.is_set()))
        .bind(change.email.value().cloned().flatten())
        .bind(i64::from(change.phone.is_set()))
        .bind(change.phone.value().cloned().flatten())
        .bind(i64::from(change.consent_at.is_set()))
        .bind(change.consent_at.value().copied().flatten())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return Err(StoreError::NotFound("client"));
        }
        if !fields.is_empty() {
            audit_change(
                &mut tx,
                clinic,
                actor,
                "client.update",
                &format!("client:{id}"),
                &fields,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        self.client(clinic, id).await
    }

    /// A treatment of the clinic with its check-ins and decisions, read
    /// without recording a read: for a correction, which is recorded itself.
    pub async fn course_to_correct(
        &self,
        clinic: &ClinicId,
        id: &TreatmentId,
    ) -> Result<CourseRecord, StoreError> {
        let mut tx = self.pool().begin().await?;
        let record = course_in_clinic(&mut tx, clinic, id).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// Applies a correction to a treatment in one transaction: the new
    /// details and notes, the decision made again (earlier decisions stay
    /// as they were), an alert when the caller asks for one, and an audit
    /// event naming the fields. Refused with a conflict when a check-in
    /// came since the caller read the course.
    pub async fn correct_treatment(
        &self,
        clinic: &ClinicId,
        id: &TreatmentId,
        actor: &Actor,
        correction: &TreatmentCorrection,
        now: Millis,
    ) -> Result<Treatment, StoreError> {
        let details = serde_json::to_string(&correction.details)
            .map_err(|error| StoreError::Corrupt(error.to_string()))?;
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        let row = sqlx::query(&format!(
            "UPDATE treatments SET at = $1, details = $2, notes = $3 \
             WHERE clinic_id = $4 AND id = $5 AND checkin_count = $6 RETURNING {TREATMENT_COLUMNS}"
        ))
        .bind(millis_of(correction.details.at))
        .bind(details)
        .bind(correction.notes.clone())
        .bind(clinic.as_str().to_owned())
        .bind(id.as_str().to_owned())
        .bind(correction.checkins_seen)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            // Not found, or a check-in came meanwhile.
            self.treatment(clinic, id).await?;
            return Err(StoreError::Conflict(
                "a check-in arrived while the treatment was being corrected; read it again and retry"
                    .to_owned(),
            ));
        };
        let corrected = treatment(&row)?;
        if let Some(retriage) = &correction.retriage {
            let decision = DecisionId::generate();
            sqlx::query(
                "INSERT INTO decisions (id, clinic_id, treatment_id, checkin_id, level, body, guideline_id, guideline_version, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(decision.as_str().to_owned())
            .bind(clinic.as_str().to_owned())
            .bind(id.as_str().to_owned())
            .bind(retriage.checkin_id.as_str().to_owned())
            .bind(retriage.level.as_str().to_owned())
            .bind(retriage.body.clone())
            .bind(retriage.guideline_id.clone())
            .bind(retriage.guideline_version.clone())
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if let Some(level) = retriage.alert {
                sqlx::query(
                    "INSERT INTO alerts (id, clinic_id, treatment_id, decision_id, practitioner_id, level, level_rank, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(AlertId::generate().as_str().to_owned())
                .bind(clinic.as_str().to_owned())
                .bind(id.as_str().to_owned())
                .bind(decision.as_str().to_owned())
                .bind(corrected.practitioner_id.as_str().to_owned())
                .bind(level.as_str().to_owned())
                .bind(i64::try_from(level.index()).unwrap_or_default())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
        }
        audit_change(
            &mut tx,
            clinic,
            actor,
            "treatment.correct",
            &format!("treatment:{id}"),
            &correction.fields,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(corrected)
    }
}
