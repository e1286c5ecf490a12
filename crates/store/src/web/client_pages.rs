//! What the client's pages read through a client link: the treatment,
//! its link's hash, and a decision already given for a form sent twice.

use sqlx::Row;

use crate::model::{ClinicId, Millis, Treatment};
use crate::queries::{TREATMENT_COLUMNS, treatment};
use crate::{Store, StoreError};

impl Store {
    /// The treatment a client link names (expired or not), without its
    /// check-ins: what the answer page needs to know who can be reached.
    pub async fn treatment_of_link(&self, link_hash: &str) -> Result<Treatment, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {TREATMENT_COLUMNS} FROM treatments WHERE link_hash = $1"
        ))
        .bind(link_hash.to_owned())
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound("link"))?;
        treatment(&row)
    }

    /// The hash of a treatment's client link, if the treatment is the clinic's.
    pub async fn treatment_link_hash(
        &self,
        clinic: &ClinicId,
        treatment: &crate::model::TreatmentId,
    ) -> Result<String, StoreError> {
        let row = sqlx::query("SELECT link_hash FROM treatments WHERE clinic_id = $1 AND id = $2")
            .bind(clinic.as_str().to_owned())
            .bind(treatment.as_str().to_owned())
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound("treatment"))?;
        Ok(row.try_get("link_hash")?)
    }

    /// The decision already given for a check-in sent with this
    /// idempotency key on the course a client link opens, if any: a form
    /// sent twice (a reload, a double tap) is answered from it. Nothing
    /// once the link has expired: an expired link opens nothing.
    pub async fn decision_for_resend(
        &self,
        link_hash: &str,
        idempotency_key: &str,
        now: Millis,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT d.body FROM treatments t \
             JOIN checkins c ON c.treatment_id = t.id AND c.clinic_id = t.clinic_id \
             JOIN decisions d ON d.checkin_id = c.id \
             WHERE t.link_hash = $1 AND c.idempotency_key = $2 AND t.link_expires_at > $3 \
             ORDER BY d.id LIMIT 1",
        )
        .bind(link_hash.to_owned())
        .bind(idempotency_key.to_owned())
        .bind(now)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| row.try_get("body").map_err(StoreError::from))
            .transpose()
    }
}
