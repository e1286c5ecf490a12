//! The store's operations. SQL is written once in the dialect SQLite and
//! PostgreSQL share (numbered `$n` parameters, `RETURNING`, text ids,
//! millisecond integers) and checked by the tests against both.

use aftercare_core::{Checkin, Course, Guideline, Level, triage};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::model::{
    Actor, Alert, AlertId, ApiToken, AuditEvent, AuditId, CheckinId, Client, ClientId, Clinic,
    ClinicId, CourseRecord, DecisionId, Millis, NewClient, NewTreatment, Page, PageRequest,
    Practitioner, PractitionerId, Principal, Role, StoredCheckin, StoredDecision, Submitted,
    TokenId, Treatment, TreatmentId,
};
use crate::{CheckinLimits, Store, StoreError, millis_of};

/// One hour in milliseconds, the window of the per-link check-in cap.
pub(crate) const HOUR_MILLIS: i64 = 60 * 60 * 1000;

const PRACTITIONER_COLUMNS: &str = "id, clinic_id, email, name, role, created_at";
const CLIENT_COLUMNS: &str = "id, clinic_id, name, email, phone, consent_at, created_at";
pub(crate) const TREATMENT_COLUMNS: &str =
    "id, clinic_id, client_id, practitioner_id, details, notes, link_expires_at, created_at";
pub(crate) const CHECKIN_COLUMNS: &str = "id, treatment_id, seq, body, received_at";
pub(crate) const DECISION_COLUMNS: &str =
    "id, treatment_id, checkin_id, level, body, guideline_id, guideline_version, created_at";
const AUDIT_COLUMNS: &str = "id, clinic_id, actor, action, subject, at, fields";
pub(crate) const ALERT_COLUMNS: &str = "id, clinic_id, treatment_id, decision_id, practitioner_id, level, created_at, acknowledged_at, acknowledged_by";

/// A row of either driver: sqlx's rows for the store at large, rusqlite's
/// for the SQLite check-in writer, so both read records the same way.
pub(crate) trait Columns {
    /// The value of the named column.
    fn column<T: ColumnValue>(&self, name: &str) -> Result<T, StoreError>;
}

/// A type both drivers can read a column into.
pub(crate) trait ColumnValue:
    for<'r> sqlx::Decode<'r, Any> + sqlx::Type<Any> + rusqlite::types::FromSql
{
}

impl ColumnValue for String {}
impl ColumnValue for Option<String> {}
impl ColumnValue for i64 {}
impl ColumnValue for Option<i64> {}

impl Columns for AnyRow {
    fn column<T: ColumnValue>(&self, name: &str) -> Result<T, StoreError> {
        Ok(self.try_get(name)?)
    }
}

impl Columns for rusqlite::Row<'_> {
    fn column<T: ColumnValue>(&self, name: &str) -> Result<T, StoreError> {
        self.get(name).map_err(StoreError::from)
    }
}

fn practitioner(row: &AnyRow) -> Result<Practitioner, StoreError> {
    Ok(Practitioner {
        id: PractitionerId::from_db(row.try_get("id")?),
        clinic_id: ClinicId::from_db(row.try_get("clinic_id")?),
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        role: Role::from_db(&row.try_get::<String, _>("role")?),
        created_at: row.try_get("created_at")?,
    })
}

fn client(row: &AnyRow) -> Result<Client, StoreError> {
    Ok(Client {
        id: ClientId::from_db(row.try_get("id")?),
        clinic_id: ClinicId::from_db(row.try_get("clinic_id")?),
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        phone: row.try_get("phone")?,
        consent_at: row.try_get("consent_at")?,
        created_at: row.try_get("created_at")?,
    })
}

pub(crate) fn treatment(row: &impl Columns) -> Result<Treatment, StoreError> {
    let details: String = row.column("details")?;
    Ok(Treatment {
        id: TreatmentId::from_db(row.column("id")?),
        clinic_id: ClinicId::from_db(row.column("clinic_id")?),
        client_id: ClientId::from_db(row.column("client_id")?),
        practitioner_id: PractitionerId::from_db(row.column("practitioner_id")?),
        details: serde_json::from_str(&details)
            .map_err(|error| StoreError::Corrupt(format!("treatment details: {error}")))?,
        notes: row.column("notes")?,
        link_expires_at: row.column("link_expires_at")?,
        created_at: row.column("created_at")?,
    })
}

pub(crate) fn stored_checkin(row: &impl Columns) -> Result<StoredCheckin, StoreError> {
    let body: String = row.column("body")?;
    Ok(StoredCheckin {
        id: CheckinId::from_db(row.column("id")?),
        treatment_id: TreatmentId::from_db(row.column("treatment_id")?),
        seq: row.column("seq")?,
        checkin: serde_json::from_str(&body)
            .map_err(|error| StoreError::Corrupt(format!("check-in body: {error}")))?,
        received_at: row.column("received_at")?,
    })
}

/// The record of a decision just made on a check-in, ready to store.
pub(crate) fn new_decision(
    checkin: &StoredCheckin,
    decision: &aftercare_core::Decision<'_>,
    guideline: &Guideline,
    now: Millis,
) -> Result<StoredDecision, StoreError> {
    Ok(StoredDecision {
        id: DecisionId::generate(),
        treatment_id: checkin.treatment_id.clone(),
        checkin_id: checkin.id.clone(),
        level: decision.level,
        body: serde_json::value::RawValue::from_string(decision.to_json())
            .map_err(|error| StoreError::Corrupt(error.to_string()))?,
        guideline_id: guideline.id.clone(),
        guideline_version: guideline.version.clone(),
        created_at: now,
    })
}

fn level(text: &str) -> Result<Level, StoreError> {
    Level::ALL
        .iter()
        .copied()
        .find(|level| level.as_str() == text)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown level `{text}`")))
}

pub(crate) fn stored_decision(row: &impl Columns) -> Result<StoredDecision, StoreError> {
    let body: String = row.column("body")?;
    Ok(StoredDecision {
        id: DecisionId::from_db(row.column("id")?),
        treatment_id: TreatmentId::from_db(row.column("treatment_id")?),
        checkin_id: CheckinId::from_db(row.column("checkin_id")?),
        level: level(&row.column::<String>("level")?)?,
        body: serde_json::value::RawValue::from_string(body)
            .map_err(|error| StoreError::Corrupt(format!("decision body: {error}")))?,
        guideline_id: row.column("guideline_id")?,
        guideline_version: row.column("guideline_version")?,
        created_at: row.column("created_at")?,
    })
}

fn audit_event(row: &AnyRow) -> Result<AuditEvent, StoreError> {
    Ok(AuditEvent {
        id: AuditId::from_db(row.try_get("id")?),
        clinic_id: row
            .try_get::<Option<String>, _>("clinic_id")?
            .map(ClinicId::from_db),
        actor: row.try_get("actor")?,
        action: row.try_get("action")?,
        subject: row.try_get("subject")?,
        at: row.try_get("at")?,
        fields: row
            .try_get::<Option<String>, _>("fields")?
            .map(|names| names.split(',').map(str::to_owned).collect())
            .unwrap_or_default(),
    })
}

pub(crate) fn alert(row: &impl Columns) -> Result<Alert, StoreError> {
    Ok(Alert {
        id: AlertId::from_db(row.column("id")?),
        clinic_id: ClinicId::from_db(row.column("clinic_id")?),
        treatment_id: TreatmentId::from_db(row.column("treatment_id")?),
        decision_id: DecisionId::from_db(row.column("decision_id")?),
        practitioner_id: PractitionerId::from_db(row.column("practitioner_id")?),
        level: level(&row.column::<String>("level")?)?,
        created_at: row.column("created_at")?,
        acknowledged_at: row.column("acknowledged_at")?,
        acknowledged_by: row
            .column::<Option<String>>("acknowledged_by")?
            .map(PractitionerId::from_db),
    })
}

/// Turns a list read with one extra row into a page with a cursor.
fn page<T>(mut items: Vec<T>, request: &PageRequest, cursor: impl Fn(&T) -> String) -> Page<T> {
    let limit = usize::try_from(request.limit()).unwrap_or(50);
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(cursor)
    } else {
        None
    };
    Page { items, next }
}

/// The lower bound for a cursor: ids are UUIDv7 text, which sorts by time;
/// the empty string is below every id.
fn after(request: &PageRequest) -> String {
    request.after.clone().unwrap_or_default()
}

pub(crate) async fn audit(
    tx: &mut Transaction<'_, Any>,
    clinic: Option<&ClinicId>,
    actor: &Actor,
    action: &str,
    subject: &str,
    now: Millis,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_events (id, clinic_id, actor, action, subject, at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(AuditId::generate().as_str().to_owned())
    .bind(clinic.map(|c| c.as_str().to_owned()))
    .bind(actor.to_db())
    .bind(action.to_owned())
    .bind(subject.to_owned())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Refuses a check-in time in the future (beyond a little clock skew),
/// before the treatment, or before the course's last check-in.
pub(crate) fn check_checkin_time(
    checkin: &Checkin,
    treatment: &aftercare_core::Treatment,
    last: Option<&Checkin>,
    now: Millis,
) -> Result<(), StoreError> {
    if millis_of(checkin.at) > now + crate::MAX_CLOCK_SKEW_MILLIS {
        return Err(StoreError::Invalid {
            path: "at".to_owned(),
            expected: "a time that is not in the future".to_owned(),
        });
    }
    if checkin.at < treatment.at {
        return Err(StoreError::Invalid {
            path: "at".to_owned(),
            expected: format!("a time at or after the treatment ({})", treatment.at),
        });
    }
    if let Some(last) = last
        && checkin.at < last.at
    {
        return Err(StoreError::Invalid {
            path: "at".to_owned(),
            expected: format!("a time at or after the previous check-in ({})", last.at),
        });
    }
    Ok(())
}

/// Refuses a check-in when the course already holds as many as it may.
pub(crate) fn check_course_cap(
    limits: CheckinLimits,
    earlier_count: i64,
) -> Result<(), StoreError> {
    if earlier_count >= i64::from(limits.per_course) {
        return Err(StoreError::CourseFull {
            limit: limits.per_course,
        });
    }
    Ok(())
}

/// Refuses a check-in when the link received `recent` check-ins in the
/// last hour, the oldest of them at `oldest`, and that is the cap.
pub(crate) fn check_hourly_cap(
    limits: CheckinLimits,
    recent: i64,
    oldest: Option<Millis>,
    now: Millis,
) -> Result<(), StoreError> {
    if recent < i64::from(limits.per_link_per_hour) {
        return Ok(());
    }
    // One more is accepted once the oldest check-in of the hour leaves it.
    let wait_millis = oldest.map_or(HOUR_MILLIS, |oldest| oldest + HOUR_MILLIS - now);
    Err(StoreError::TooManyCheckins {
        limit: limits.per_link_per_hour,
        retry_after_secs: u64::try_from(wait_millis.max(1_000))
            .unwrap_or(3_600_000)
            .div_ceil(1_000),
    })
}

impl Store {
    /// Creates a clinic and its owner in one transaction.
    pub async fn create_clinic_with_owner(
        &self,
        name: &str,
        owner_email: &str,
        owner_name: &str,
        now: Millis,
    ) -> Result<(Clinic, Practitioner), StoreError> {
        self.create_clinic(name, owner_email, owner_name, None, now)
            .await
    }

    /// Creates a clinic, its owner and, when a hash is given, the owner's
    /// first API token, all in one transaction: either all exist or none.
    pub async fn create_clinic(
        &self,
        name: &str,
        owner_email: &str,
        owner_name: &str,
        first_token_hash: Option<&str>,
        now: Millis,
    ) -> Result<(Clinic, Practitioner), StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        let (clinic, owner) =
            insert_clinic_with_owner(&mut tx, name, owner_email, owner_name, now).await?;
        audit(
            &mut tx,
            Some(&clinic.id),
            &Actor::System,
            "clinic.create",
            &format!("clinic:{}", clinic.id),
            now,
        )
        .await?;
        if let Some(token_hash) = first_token_hash {
            insert_api_token(
                &mut tx,
                &clinic.id,
                &owner.id,
                "first token",
                token_hash,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok((clinic, owner))
    }

    /// A clinic by id.
    pub async fn clinic(&self, id: &ClinicId) -> Result<Clinic, StoreError> {
        let row = sqlx::query("SELECT id, name, created_at FROM clinics WHERE id = $1")
            .bind(id.as_str().to_owned())
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound("clinic"))?;
        Ok(Clinic {
            id: ClinicId::from_db(row.try_get("id")?),
            name: row.try_get("name")?,
            created_at: row.try_get("created_at")?,
        })
    }

    /// Every clinic (for the command line and first-run checks).
    pub async fn clinics(&self) -> Result<Vec<Clinic>, StoreError> {
        let rows = sqlx::query("SELECT id, name, created_at FROM clinics ORDER BY id")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| {
                Ok(Clinic {
                    id: ClinicId::from_db(row.try_get("id")?),
                    name: row.try_get("name")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Adds a practitioner to a clinic.
    pub async fn create_practitioner(
        &self,
        clinic: &ClinicId,
        actor: &Actor,
        email: &str,
        name: &str,
        role: Role,
        now: Millis,
    ) -> Result<Practitioner, StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        let created = insert_practitioner(&mut tx, clinic, email, name, role, now).await?;
        audit(
            &mut tx,
            Some(clinic),
            actor,
            "practitioner.create",
            &format!("practitioner:{}", created.id),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    /// A practitioner of a clinic.
    pub async fn practitioner(
        &self,
        clinic: &ClinicId,
        id: &PractitionerId,
    ) -> Result<Practitioner, StoreError> {
        self.one_in_clinic(
            "practitioners",
            PRACTITIONER_COLUMNS,
            clinic,
            id.as_str(),
            "practitioner",
            practitioner,
        )
        .await
    }

    /// The practitioners of a clinic, a page at a time.
    pub async fn list_practitioners(
        &self,
        clinic: &ClinicId,
        request: &PageRequest,
    ) -> Result<Page<Practitioner>, StoreError> {
        self.page_in_clinic(
            "practitioners",
            PRACTITIONER_COLUMNS,
            clinic,
            request,
            practitioner,
            |p| p.id.to_string(),
        )
        .await
    }

    /// Looks a practitioner up by email (for login), with their password hash.
    pub async fn practitioner_by_email(
        &self,
        email: &str,
    ) -> Result<Option<(Practitioner, Option<String>)>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {PRACTITIONER_COLUMNS}, password_hash FROM practitioners WHERE email = $1"
        ))
        .bind(email.to_lowercase())
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| Ok((practitioner(&row)?, row.try_get("password_hash")?)))
            .transpose()
    }

    /// Sets a practitioner's password hash (an argon2id PHC string).
    pub async fn set_password_hash(
        &self,
        clinic: &ClinicId,
        id: &PractitionerId,
        hash: &str,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE practitioners SET password_hash = $1 WHERE clinic_id = $2 AND id = $3",
        )
        .bind(hash.to_owned())
        .bind(clinic.as_str().to_owned())
        .bind(id.as_str().to_owned())
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("practitioner"));
        }
        Ok(())
    }

    /// Stores a new API token's hash for a practitioner of the clinic.
    pub async fn create_api_token(
        &self,
        clinic: &ClinicId,
        practitioner_id: &PractitionerId,
        label: &str,
        token_hash: &str,
        now: Millis,
    ) -> Result<ApiToken, StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        // The practitioner must belong to the clinic.
        let owner = sqlx::query("SELECT id FROM practitioners WHERE clinic_id = $1 AND id = $2")
            .bind(clinic.as_str().to_owned())
            .bind(practitioner_id.as_str().to_owned())
            .fetch_optional(&mut *tx)
            .await?;
        if owner.is_none() {
            return Err(StoreError::NotFound("practitioner"));
        }
        let token =
            insert_api_token(&mut tx, clinic, practitioner_id, label, token_hash, now).await?;
        tx.commit().await?;
        Ok(token)
    }

    /// Who a token belongs to, if it exists and is not revoked.
    pub async fn authenticate_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<Principal>, StoreError> {
        let row = sqlx::query(
            "SELECT t.clinic_id, t.practitioner_id, p.role FROM api_tokens t \
             JOIN practitioners p ON p.id = t.practitioner_id AND p.clinic_id = t.clinic_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
        )
        .bind(token_hash.to_owned())
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| {
            Ok(Principal {
                clinic_id: ClinicId::from_db(row.try_get("clinic_id")?),
                practitioner_id: PractitionerId::from_db(row.try_get("practitioner_id")?),
                role: Role::from_db(&row.try_get::<String, _>("role")?),
            })
        })
        .transpose()
    }

    /// A practitioner's tokens (never the secrets).
    pub async fn list_api_tokens(
        &self,
        clinic: &ClinicId,
        practitioner_id: &PractitionerId,
    ) -> Result<Vec<ApiToken>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, clinic_id, practitioner_id, label, created_at, revoked_at FROM api_tokens \
             WHERE clinic_id = $1 AND practitioner_id = $2 ORDER BY id",
        )
        .bind(clinic.as_str().to_owned())
        .bind(practitioner_id.as_str().to_owned())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ApiToken {
                    id: TokenId::from_db(row.try_get("id")?),
                    clinic_id: ClinicId::from_db(row.try_get("clinic_id")?),
                    practitioner_id: PractitionerId::from_db(row.try_get("practitioner_id")?),
                    label: row.try_get("label")?,
                    created_at: row.try_get("created_at")?,
                    revoked_at: row.try_get("revoked_at")?,
                })
            })
            .collect()
    }

    /// Revokes a token of the clinic; owners may revoke anyone's, others
    /// only their own (`only_of`).
    pub async fn revoke_api_token(
        &self,
        clinic: &ClinicId,
        token: &TokenId,
        only_of: Option<&PractitionerId>,
        actor: &Actor,
        now: Millis,
    ) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE clinic_id = $2 AND id = $3 AND revoked_at IS NULL \
             AND ($4 = '' OR practitioner_id = $4)",
        )
        .bind(now)
        .bind(clinic.as_str().to_owned())
        .bind(token.as_str().to_owned())
        .bind(only_of.map(|p| p.as_str().to_owned()).unwrap_or_default())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("token"));
        }
        audit(
            &mut tx,
            Some(clinic),
            actor,
            "token.revoke",
            &format!("token:{token}"),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds a client to a clinic.
    pub async fn create_client(
        &self,
        clinic: &ClinicId,
        actor: &Actor,
        new: NewClient,
        now: Millis,
    ) -> Result<Client, StoreError> {
        let created = Client {
            id: ClientId::generate(),
            clinic_id: clinic.clone(),
            name: new.name,
            email: new.email,
            phone: new.phone,
            consent_at: new.consent_at,
            created_at: now,
        };
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO clients (id, clinic_id, name, email, phone, consent_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(created.id.as_str().to_owned())
        .bind(clinic.as_str().to_owned())
        .bind(created.name.clone())
        .bind(created.email.clone())
        .bind(created.phone.clone())
        .bind(created.consent_at)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            Some(clinic),
            actor,
            "client.create",
            &format!("client:{}", created.id),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    /// A client of a clinic.
    pub async fn client(&self, clinic: &ClinicId, id: &ClientId) -> Result<Client, StoreError> {
        self.one_in_clinic(
            "clients",
            CLIENT_COLUMNS,
            clinic,
            id.as_str(),
            "client",
            client,
        )
        .await
    }

    /// The clients of a clinic, a page at a time.
    pub async fn list_clients(
        &self,
        clinic: &ClinicId,
        request: &PageRequest,
    ) -> Result<Page<Client>, StoreError> {
        self.page_in_clinic("clients", CLIENT_COLUMNS, clinic, request, client, |c| {
            c.id.to_string()
        })
        .await
    }

    /// Records a treatment for a client of the clinic, given by a
    /// practitioner of the clinic.
    pub async fn create_treatment(
        &self,
        clinic: &ClinicId,
        actor: &Actor,
        new: NewTreatment,
        now: Millis,
    ) -> Result<Treatment, StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        let client_found = sqlx::query("SELECT id FROM clients WHERE clinic_id = $1 AND id = $2")
            .bind(clinic.as_str().to_owned())
            .bind(new.client_id.as_str().to_owned())
            .fetch_optional(&mut *tx)
            .await?;
        if client_found.is_none() {
            return Err(StoreError::NotFound("client"));
        }
        let practitioner_found =
            sqlx::query("SELECT id FROM practitioners WHERE clinic_id = $1 AND id = $2")
                .bind(clinic.as_str().to_owned())
                .bind(new.practitioner_id.as_str().to_owned())
                .fetch_optional(&mut *tx)
                .await?;
        if practitioner_found.is_none() {
            return Err(StoreError::NotFound("practitioner"));
        }
        let created = Treatment {
            id: TreatmentId::generate(),
            clinic_id: clinic.clone(),
            client_id: new.client_id,
            practitioner_id: new.practitioner_id,
            details: new.details,
            notes: new.notes,
            link_expires_at: new.link_expires_at,
            created_at: now,
        };
        let details = serde_json::to_string(&created.details)
            .map_err(|error| StoreError::Corrupt(error.to_string()))?;
        sqlx::query(
            "INSERT INTO treatments (id, clinic_id, client_id, practitioner_id, at, details, notes, link_hash, link_expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(created.id.as_str().to_owned())
        .bind(clinic.as_str().to_owned())
        .bind(created.client_id.as_str().to_owned())
        .bind(created.practitioner_id.as_str().to_owned())
        .bind(millis_of(created.details.at))
        .bind(details)
        .bind(created.notes.clone())
        .bind(new.link_hash)
        .bind(created.link_expires_at)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            Some(clinic),
            actor,
            "treatment.create",
            &format!("treatment:{}", created.id),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    /// A treatment of the clinic.
    pub async fn treatment(
        &self,
        clinic: &ClinicId,
        id: &TreatmentId,
    ) -> Result<Treatment, StoreError> {
        self.one_in_clinic(
            "treatments",
            TREATMENT_COLUMNS,
            clinic,
            id.as_str(),
            "treatment",
            treatment,
        )
        .await
    }

    /// The treatments of a clinic, optionally of one client, a page at a time.
    pub async fn list_treatments(
        &self,
        clinic: &ClinicId,
        client_id: Option<&ClientId>,
        request: &PageRequest,
    ) -> Result<Page<Treatment>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {TREATMENT_COLUMNS} FROM treatments WHERE clinic_id = $1 AND ($2 = '' OR client_id = $2) \
             AND id > $3 ORDER BY id LIMIT $4"
        ))
        .bind(clinic.as_str().to_owned())
        .bind(client_id.map(|c| c.as_str().to_owned()).unwrap_or_default())
        .bind(after(request))
        .bind(request.limit() + 1)
        .fetch_all(self.pool())
        .await?;
        let items = rows.iter().map(treatment).collect::<Result<Vec<_>, _>>()?;
        Ok(page(items, request, |t| t.id.to_string()))
    }

    /// A treatment of the clinic with its check-ins and decisions; the read
    /// is recorded in the audit trail.
    pub async fn course(
        &self,
        clinic: &ClinicId,
        id: &TreatmentId,
        actor: &Actor,
        now: Millis,
    ) -> Result<CourseRecord, StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        let row = sqlx::query(&format!(
            "SELECT {TREATMENT_COLUMNS} FROM treatments WHERE clinic_id = $1 AND id = $2"
        ))
        .bind(clinic.as_str().to_owned())
        .bind(id.as_str().to_owned())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("treatment"))?;
        let found = treatment(&row)?;
        let record = course_of(&mut tx, found).await?;
        audit(
            &mut tx,
            Some(clinic),
            actor,
            "course.read",
            &format!("treatment:{id}"),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(record)
    }

    /// The course a client's link opens, if the link exists and has not
    /// expired; the read is recorded in the audit trail.
    pub async fn course_by_link(
        &self,
        link_hash: &str,
        now: Millis,
    ) -> Result<CourseRecord, StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        let row = sqlx::query(&format!(
            "SELECT {TREATMENT_COLUMNS} FROM treatments WHERE link_hash = $1"
        ))
        .bind(link_hash.to_owned())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("link"))?;
        let found = treatment(&row)?;
        if found.link_expires_at <= now {
            return Err(StoreError::LinkExpired);
        }
        let clinic = found.clinic_id.clone();
        let actor = Actor::ClientLink(found.id.clone());
        let subject = format!("treatment:{}", found.id);
        let record = course_of(&mut tx, found).await?;
        audit(&mut tx, Some(&clinic), &actor, "course.read", &subject, now).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// Stores a check-in sent with a client's link, triages the whole
    /// course with `guideline`, and stores the decision (and an alert when
    /// the therapist must be told) in the same transaction: when this
    /// returns, all of it is committed.
    ///
    /// With an idempotency key that was used before on this course, nothing
    /// is stored and the earlier check-in and decision are returned.
    pub async fn submit_checkin(
        &self,
        link_hash: &str,
        idempotency_key: Option<&str>,
        checkin: Checkin,
        guideline: &Guideline,
        now: Millis,
    ) -> Result<Submitted, StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        let result = self
            .submit_checkin_in(&mut tx, link_hash, idempotency_key, checkin, guideline, now)
            .await;
        match result {
            Ok(submitted) if !submitted.replayed => {
                tx.commit().await?;
                Ok(submitted)
            }
            // A replay stores nothing: undo the counter bump.
            Ok(replayed) => {
                tx.rollback().await?;
                Ok(replayed)
            }
            // Roll back at once: a transaction left to roll back when its
            // connection is next used keeps SQLite's write lock meanwhile.
            Err(error) => {
                let _ = tx.rollback().await;
                Err(error)
            }
        }
    }

    async fn submit_checkin_in(
        &self,
        tx: &mut Transaction<'_, Any>,
        link_hash: &str,
        idempotency_key: Option<&str>,
        checkin: Checkin,
        guideline: &Guideline,
        now: Millis,
    ) -> Result<Submitted, StoreError> {
        let body = serde_json::to_string(&checkin)
            .map_err(|error| StoreError::Corrupt(error.to_string()))?;
        // Writing first takes the write lock at once (SQLite) or locks the
        // treatment's row (PostgreSQL), so concurrent submissions to one
        // course queue here instead of racing for the next position.
        let row = sqlx::query(&format!(
            "UPDATE treatments SET checkin_count = checkin_count + 1 WHERE link_hash = $1 \
             RETURNING {TREATMENT_COLUMNS}, checkin_count"
        ))
        .bind(link_hash.to_owned())
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound("link"))?;
        let found = treatment(&row)?;
        if found.link_expires_at <= now {
            return Err(StoreError::LinkExpired);
        }

        if let Some(key) = idempotency_key {
            let earlier = sqlx::query(&format!(
                "SELECT {CHECKIN_COLUMNS} FROM checkins WHERE treatment_id = $1 AND idempotency_key = $2"
            ))
            .bind(found.id.as_str().to_owned())
            .bind(key.to_owned())
            .fetch_optional(&mut **tx)
            .await?;
            if let Some(earlier) = earlier {
                let earlier = stored_checkin(&earlier)?;
                if earlier.checkin != checkin {
                    return Err(StoreError::Conflict(
                        "this Idempotency-Key was used for a different check-in".to_owned(),
                    ));
                }
                let decision = sqlx::query(&format!(
                    "SELECT {DECISION_COLUMNS} FROM decisions WHERE checkin_id = $1 ORDER BY id LIMIT 1"
                ))
                .bind(earlier.id.as_str().to_owned())
                .fetch_one(&mut **tx)
                .await?;
                let decision = stored_decision(&decision)?;
                let alert_row = sqlx::query(&format!(
                    "SELECT {ALERT_COLUMNS} FROM alerts WHERE decision_id = $1"
                ))
                .bind(decision.id.as_str().to_owned())
                .fetch_optional(&mut **tx)
                .await?;
                let alert = alert_row.as_ref().map(alert).transpose()?;
                return Ok(Submitted {
                    checkin: earlier,
                    decision,
                    alert,
                    replayed: true,
                });
            }
        }

        // The counter was bumped above: what it held before is the number of
        // check-ins already stored, so a first check-in needs no read.
        let earlier_count: i64 = row.try_get::<i64, _>("checkin_count")? - 1;
        self.check_limits(tx, &found.id, earlier_count, now).await?;
        let earlier_rows = if earlier_count > 0 {
            sqlx::query(&format!(
                "SELECT {CHECKIN_COLUMNS} FROM checkins WHERE treatment_id = $1 ORDER BY seq"
            ))
            .bind(found.id.as_str().to_owned())
            .fetch_all(&mut **tx)
            .await?
        } else {
            Vec::new()
        };
        let mut course = Course {
            treatment: found.details.clone(),
            checkins: Vec::with_capacity(earlier_rows.len() + 1),
        };
        for row in &earlier_rows {
            course.checkins.push(stored_checkin(row)?.checkin);
        }
        check_checkin_time(&checkin, &course.treatment, course.checkins.last(), now)?;
        let seq = i64::try_from(course.checkins.len()).unwrap_or(i64::MAX);
        course.checkins.push(checkin);
        let decision = triage(guideline, &course);
        let checkin = course
            .checkins
            .pop()
            .unwrap_or_else(|| unreachable!("pushed above"));

        let stored = StoredCheckin {
            id: CheckinId::generate(),
            treatment_id: found.id.clone(),
            seq,
            checkin,
            received_at: now,
        };
        sqlx::query(
            "INSERT INTO checkins (id, clinic_id, treatment_id, seq, at, body, idempotency_key, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(stored.id.as_str().to_owned())
        .bind(found.clinic_id.as_str().to_owned())
        .bind(found.id.as_str().to_owned())
        .bind(seq)
        .bind(millis_of(stored.checkin.at))
        .bind(body)
        .bind(idempotency_key.map(str::to_owned))
        .bind(now)
        .execute(&mut **tx)
        .await?;

        let stored_decision = new_decision(&stored, &decision, guideline, now)?;
        sqlx::query(
            "INSERT INTO decisions (id, clinic_id, treatment_id, checkin_id, level, body, guideline_id, guideline_version, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(stored_decision.id.as_str().to_owned())
        .bind(found.clinic_id.as_str().to_owned())
        .bind(found.id.as_str().to_owned())
        .bind(stored.id.as_str().to_owned())
        .bind(decision.level.as_str().to_owned())
        .bind(stored_decision.body.get().to_owned())
        .bind(guideline.id.clone())
        .bind(guideline.version.clone())
        .bind(now)
        .execute(&mut **tx)
        .await?;

        // Only what fired on this check-in alerts: a red flag carried from
        // an earlier one was alerted when it was reported.
        let fresh = decision.fresh_level();
        let alert = if fresh.alerts_therapist() {
            let raised = Alert {
                id: AlertId::generate(),
                clinic_id: found.clinic_id.clone(),
                treatment_id: found.id.clone(),
                decision_id: stored_decision.id.clone(),
                practitioner_id: found.practitioner_id.clone(),
                level: fresh,
                created_at: now,
                acknowledged_at: None,
                acknowledged_by: None,
            };
            sqlx::query(
                "INSERT INTO alerts (id, clinic_id, treatment_id, decision_id, practitioner_id, level, level_rank, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(raised.id.as_str().to_owned())
            .bind(raised.clinic_id.as_str().to_owned())
            .bind(raised.treatment_id.as_str().to_owned())
            .bind(raised.decision_id.as_str().to_owned())
            .bind(raised.practitioner_id.as_str().to_owned())
            .bind(raised.level.as_str().to_owned())
            .bind(i64::try_from(raised.level.index()).unwrap_or_default())
            .bind(now)
            .execute(&mut **tx)
            .await?;
            Some(raised)
        } else {
            None
        };
        audit(
            tx,
            Some(&found.clinic_id),
            &Actor::ClientLink(found.id.clone()),
            "checkin.create",
            &format!("checkin:{}", stored.id),
            now,
        )
        .await?;
        Ok(Submitted {
            checkin: stored,
            decision: stored_decision,
            alert,
            replayed: false,
        })
    }

    /// Refuses a check-in beyond the course's caps. The hourly count is
    /// read only when the course holds enough check-ins to reach it.
    async fn check_limits(
        &self,
        tx: &mut Transaction<'_, Any>,
        treatment: &TreatmentId,
        earlier_count: i64,
        now: Millis,
    ) -> Result<(), StoreError> {
        let limits = self.checkin_limits;
        check_course_cap(limits, earlier_count)?;
        if earlier_count < i64::from(limits.per_link_per_hour) {
            return Ok(());
        }
        let row = sqlx::query(
            "SELECT COUNT(*) AS recent, MIN(received_at) AS oldest FROM checkins \
             WHERE treatment_id = $1 AND received_at > $2",
        )
        .bind(treatment.as_str().to_owned())
        .bind(now - HOUR_MILLIS)
        .fetch_one(&mut **tx)
        .await?;
        check_hourly_cap(limits, row.try_get("recent")?, row.try_get("oldest")?, now)
    }

    /// The clinic's alerts: open ones only (most serious first, then
    /// oldest first) or all (newest first), a page at a time. The cursor
    /// is an offset: alert order is not the id order.
    pub async fn list_alerts(
        &self,
        clinic: &ClinicId,
        open_only: bool,
        request: &PageRequest,
    ) -> Result<Page<Alert>, StoreError> {
        let offset: i64 = request
            .after
            .as_deref()
            .and_then(|a| a.parse().ok())
            .unwrap_or(0)
            .max(0);
        let sql = if open_only {
            format!(
                "SELECT {ALERT_COLUMNS} FROM alerts WHERE clinic_id = $1 AND acknowledged_at IS NULL \
                 ORDER BY level_rank DESC, created_at, id LIMIT $2 OFFSET $3"
            )
        } else {
            format!(
                "SELECT {ALERT_COLUMNS} FROM alerts WHERE clinic_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3"
            )
        };
        let rows = sqlx::query(&sql)
            .bind(clinic.as_str().to_owned())
            .bind(request.limit() + 1)
            .bind(offset)
            .fetch_all(self.pool())
            .await?;
        let items = rows.iter().map(alert).collect::<Result<Vec<_>, _>>()?;
        let count = i64::try_from(items.len())
            .unwrap_or_default()
            .min(request.limit());
        Ok(page(items, request, |_| (offset + count).to_string()))
    }

    /// Acknowledges an alert of the clinic. Acknowledging twice keeps the
    /// first acknowledgement.
    pub async fn acknowledge_alert(
        &self,
        clinic: &ClinicId,
        id: &AlertId,
        by: &PractitionerId,
        now: Millis,
    ) -> Result<Alert, StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "UPDATE alerts SET acknowledged_at = $1, acknowledged_by = $2 \
             WHERE clinic_id = $3 AND id = $4 AND acknowledged_at IS NULL",
        )
        .bind(now)
        .bind(by.as_str().to_owned())
        .bind(clinic.as_str().to_owned())
        .bind(id.as_str().to_owned())
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(&format!(
            "SELECT {ALERT_COLUMNS} FROM alerts WHERE clinic_id = $1 AND id = $2"
        ))
        .bind(clinic.as_str().to_owned())
        .bind(id.as_str().to_owned())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("alert"))?;
        audit(
            &mut tx,
            Some(clinic),
            &Actor::Practitioner(by.clone()),
            "alert.acknowledge",
            &format!("alert:{id}"),
            now,
        )
        .await?;
        tx.commit().await?;
        alert(&row)
    }

    /// Records a read or other event outside a write transaction.
    pub async fn record_audit(
        &self,
        clinic: Option<&ClinicId>,
        actor: &Actor,
        action: &str,
        subject: &str,
        now: Millis,
    ) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        audit(&mut tx, clinic, actor, action, subject, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The clinic's audit trail, oldest first, a page at a time.
    pub async fn list_audit(
        &self,
        clinic: &ClinicId,
        request: &PageRequest,
    ) -> Result<Page<AuditEvent>, StoreError> {
        self.page_in_clinic(
            "audit_events",
            AUDIT_COLUMNS,
            clinic,
            request,
            audit_event,
            |e| e.id.to_string(),
        )
        .await
    }

    /// One row of a clinic's table by id; `NotFound(what)` when the id is
    /// unknown or belongs to another clinic.
    async fn one_in_clinic<T>(
        &self,
        table: &str,
        columns: &str,
        clinic: &ClinicId,
        id: &str,
        what: &'static str,
        read: fn(&AnyRow) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {columns} FROM {table} WHERE clinic_id = $1 AND id = $2"
        ))
        .bind(clinic.as_str().to_owned())
        .bind(id.to_owned())
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound(what))?;
        read(&row)
    }

    /// A page of a clinic's table in id order (ids are time-ordered).
    async fn page_in_clinic<T>(
        &self,
        table: &str,
        columns: &str,
        clinic: &ClinicId,
        request: &PageRequest,
        read: fn(&AnyRow) -> Result<T, StoreError>,
        cursor: fn(&T) -> String,
    ) -> Result<Page<T>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {columns} FROM {table} WHERE clinic_id = $1 AND id > $2 ORDER BY id LIMIT $3"
        ))
        .bind(clinic.as_str().to_owned())
        .bind(after(request))
        .bind(request.limit() + 1)
        .fetch_all(self.pool())
        .await?;
        let items = rows.iter().map(read).collect::<Result<Vec<_>, _>>()?;
        Ok(page(items, request, cursor))
    }
}

/// Inserts a clinic and its owner (no password yet).
pub(crate) async fn insert_clinic_with_owner(
    tx: &mut Transaction<'_, Any>,
    name: &str,
    owner_email: &str,
    owner_name: &str,
    now: Millis,
) -> Result<(Clinic, Practitioner), StoreError> {
    let clinic = Clinic {
        id: ClinicId::generate(),
        name: name.to_owned(),
        created_at: now,
    };
    sqlx::query("INSERT INTO clinics (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(clinic.id.as_str().to_owned())
        .bind(clinic.name.clone())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    let owner =
        insert_practitioner(tx, &clinic.id, owner_email, owner_name, Role::Owner, now).await?;
    // A first-run setup link is for an installation without a clinic: once
    // one is made (by a link, the command line or a test), none left open
    // may make another.
    sqlx::query("DELETE FROM setup_links WHERE used_at IS NULL")
        .execute(&mut **tx)
        .await?;
    Ok((clinic, owner))
}

async fn insert_practitioner(
    tx: &mut Transaction<'_, Any>,
    clinic: &ClinicId,
    email: &str,
    name: &str,
    role: Role,
    now: Millis,
) -> Result<Practitioner, StoreError> {
    let created = Practitioner {
        id: PractitionerId::generate(),
        clinic_id: clinic.clone(),
        email: email.to_lowercase(),
        name: name.to_owned(),
        role,
        created_at: now,
    };
    sqlx::query(
        "INSERT INTO practitioners (id, clinic_id, email, name, role, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(created.id.as_str().to_owned())
    .bind(clinic.as_str().to_owned())
    .bind(created.email.clone())
    .bind(created.name.clone())
    .bind(role.as_str().to_owned())
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(|error| match StoreError::from(error) {
        // Emails sign practitioners in, so they are unique installation-wide;
        // the answer does not repeat the address or say where it is used.
        StoreError::Conflict(_) => {
            StoreError::Conflict("this email cannot be used for a new practitioner".to_owned())
        }
        other => other,
    })?;
    Ok(created)
}

async fn insert_api_token(
    tx: &mut Transaction<'_, Any>,
    clinic: &ClinicId,
    practitioner_id: &PractitionerId,
    label: &str,
    token_hash: &str,
    now: Millis,
) -> Result<ApiToken, StoreError> {
    let token = ApiToken {
        id: TokenId::generate(),
        clinic_id: clinic.clone(),
        practitioner_id: practitioner_id.clone(),
        label: label.to_owned(),
        created_at: now,
        revoked_at: None,
    };
    sqlx::query(
        "INSERT INTO api_tokens (id, clinic_id, practitioner_id, token_hash, label, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token.id.as_str().to_owned())
    .bind(clinic.as_str().to_owned())
    .bind(practitioner_id.as_str().to_owned())
    .bind(token_hash.to_owned())
    .bind(label.to_owned())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    audit(
        tx,
        Some(clinic),
        &Actor::Practitioner(practitioner_id.clone()),
        "token.create",
        &format!("token:{}", token.id),
        now,
    )
    .await?;
    Ok(token)
}

pub(crate) async fn course_of(
    tx: &mut Transaction<'_, Any>,
    found: Treatment,
) -> Result<CourseRecord, StoreError> {
    let checkins = sqlx::query(&format!(
        "SELECT {CHECKIN_COLUMNS} FROM checkins WHERE treatment_id = $1 ORDER BY seq"
    ))
    .bind(found.id.as_str().to_owned())
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(stored_checkin)
    .collect::<Result<Vec<_>, _>>()?;
    let decisions = sqlx::query(&format!(
        "SELECT {DECISION_COLUMNS} FROM decisions WHERE treatment_id = $1 ORDER BY id"
    ))
    .bind(found.id.as_str().to_owned())
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(stored_decision)
    .collect::<Result<Vec<_>, _>>()?;
    Ok(CourseRecord {
        treatment: found,
        checkins,
        decisions,
    })
}
