//! What the web app keeps beyond the API's records: therapist sessions,
//! the one-time first-run setup link, failed logins (to slow guessing),
//! the dashboard's list of open alerts with who they are about, and
//! self-check diaries that belong to no clinic.
//!
//! Secrets (session tokens, setup and diary links) are kept as SHA-256
//! hashes only; the caller hashes them with [`crate::secret::Secret`].

use sqlx::Row;

use crate::model::{
    Actor, Alert, AlertId, ClientId, Clinic, ClinicId, Millis, Practitioner, PractitionerId,
    Principal, Role, StoredCheckin, Treatment,
};
use crate::queries::{
    CHECKIN_COLUMNS, TREATMENT_COLUMNS, alert, audit, insert_clinic_with_owner, stored_checkin,
    treatment,
};
use crate::{Store, StoreError};

/// What [`Store::sweep_expired`] deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// Self-check diaries.
    pub diaries: u64,
    /// Therapist sessions.
    pub sessions: u64,
    /// First-run setup links.
    pub setup_links: u64,
    /// Failed sign-ins.
    pub login_failures: u64,
    /// Check-in answers entered on the pages and never sent.
    pub drafts: u64,
    /// Password reset links used or past their end.
    pub password_resets: u64,
}

/// A signed-in therapist's session.
#[derive(Clone, Debug)]
pub struct WebSession {
    /// Who, and in which clinic: every query of the session is scoped to it.
    pub principal: Principal,
    /// The practitioner's display name.
    pub practitioner_name: String,
    /// The clinic's name.
    pub clinic_name: String,
    /// The token every form of this session must send back.
    pub csrf_token: String,
    /// Whether the practitioner must choose a new password before anything
    /// else (their first password was chosen by the owner).
    pub must_change_password: bool,
    /// When the session ends.
    pub expires_at: Millis,
}

/// What an alert is about, for a therapist to act on: the decision that
/// raised it and the check-ins its evidence points into.
#[derive(Clone, Debug)]
pub struct AlertFinding {
    /// The alert.
    pub alert_id: AlertId,
    /// The decision that raised it, as stored (JSON).
    pub decision: String,
    /// Every check-in of its course, in order (evidence paths index them).
    pub checkins: Vec<StoredCheckin>,
    /// The name of who acknowledged it, if someone did.
    pub acknowledged_by_name: Option<String>,
}

/// An open alert with what the dashboard shows beside it.
#[derive(Clone, Debug)]
pub struct DashboardAlert {
    /// The alert.
    pub alert: Alert,
    /// The client it is about.
    pub client_id: ClientId,
    /// The client's name.
    pub client_name: String,
    /// When the treatment was given.
    pub treated_at: Millis,
}

impl Store {
    /// Keeps a first-run setup link's hash, valid until `expires_at`.
    pub async fn create_setup_link(
        &self,
        token_hash: &str,
        now: Millis,
        expires_at: Millis,
    ) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        sqlx::query(
            "INSERT INTO setup_links (token_hash, created_at, expires_at) VALUES ($1, $2, $3)",
        )
        .bind(token_hash.to_owned())
        .bind(now)
        .bind(expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Whether a setup link can still be used: known, unused, not expired
    /// (making a clinic ends every unused link; see
    /// `queries::insert_clinic_with_owner`).
    pub async fn setup_link_is_open(
        &self,
        token_hash: &str,
        now: Millis,
    ) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT token_hash FROM setup_links WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash.to_owned())
        .bind(now)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.is_some())
    }

    /// Uses a setup link: marks it used and creates the clinic and its
    /// owner (with a password hash) in one transaction, so the link works
    /// exactly once and a refused setup leaves it usable.
    pub async fn complete_setup(
        &self,
        token_hash: &str,
        clinic_name: &str,
        owner_name: &str,
        owner_email: &str,
        password_hash: &str,
        now: Millis,
    ) -> Result<(Clinic, Practitioner), StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        let used = sqlx::query(
            "UPDATE setup_links SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1",
        )
        .bind(now)
        .bind(token_hash.to_owned())
        .execute(&mut *tx)
        .await?;
        if used.rows_affected() == 0 {
            // At once: SQLite keeps its write lock until the rollback.
            tx.rollback().await?;
            return Err(StoreError::NotFound("setup link"));
        }
        let (clinic, owner) =
            insert_clinic_with_owner(&mut tx, clinic_name, owner_email, owner_name, now).await?;
        sqlx::query("UPDATE practitioners SET password_hash = $1 WHERE id = $2")
            .bind(password_hash.to_owned())
            .bind(owner.id.as_str().to_owned())
            .execute(&mut *tx)
            .await?;
        audit(
            &mut tx,
            Some(&clinic.id),
            &Actor::System,
            "clinic.setup",
            &format!("clinic:{}", clinic.id),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok((clinic, owner))
    }

    /// Starts a session for a practitioner of a clinic.
    pub async fn create_web_session(
        &self,
        principal: &Principal,
        token_hash: &str,
        csrf_token: &str,
        now: Millis,
        expires_at: Millis,
    ) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        // Ended sessions are swept as new ones start, so the table stays small.
        sqlx::query("DELETE FROM web_sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO web_sessions (id, token_hash, clinic_id, practitioner_id, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(token_hash.to_owned())
        .bind(principal.clinic_id.as_str().to_owned())
        .bind(principal.practitioner_id.as_str().to_owned())
        .bind(csrf_token.to_owned())
        .bind(now)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            Some(&principal.clinic_id),
            &Actor::Practitioner(principal.practitioner_id.clone()),
            "session.start",
            &format!("practitioner:{}", principal.practitioner_id),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The live session a token opens, if any; none for a deactivated
    /// practitioner.
    pub async fn web_session(
        &self,
        token_hash: &str,
        now: Millis,
    ) -> Result<Option<WebSession>, StoreError> {
        let row = sqlx::query(
            "SELECT s.clinic_id, s.practitioner_id, s.csrf_token, s.expires_at, p.role, p.name AS practitioner_name, \
             p.must_change_password, c.name AS clinic_name FROM web_sessions s \
             JOIN practitioners p ON p.id = s.practitioner_id AND p.clinic_id = s.clinic_id \
             JOIN clinics c ON c.id = s.clinic_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND p.deactivated_at IS NULL",
        )
        .bind(token_hash.to_owned())
        .bind(now)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| {
            Ok(WebSession {
                principal: Principal {
                    clinic_id: ClinicId::from_db(row.try_get("clinic_id")?),
                    practitioner_id: PractitionerId::from_db(row.try_get("practitioner_id")?),
                    role: Role::from_db(&row.try_get::<String, _>("role")?),
                },
                practitioner_name: row.try_get("practitioner_name")?,
                clinic_name: row.try_get("clinic_name")?,
                csrf_token: row.try_get("csrf_token")?,
                must_change_password: row.try_get::<i64, _>("must_change_password")? != 0,
                expires_at: row.try_get("expires_at")?,
            })
        })
        .transpose()
    }

    /// Ends a session.
    pub async fn end_web_session(&self, token_hash: &str) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        sqlx::query("DELETE FROM web_sessions WHERE token_hash = $1")
            .bind(token_hash.to_owned())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Notes an attempt for each subject, counted by the rate limits: a
    /// failed sign-in (a hash of the email, of the address it came from),
    /// a self-check diary started (a hash of the address). The table keeps
    /// its first name, `login_failures`; it holds only hashes and times.
    pub async fn record_attempts(
        &self,
        subject_hashes: &[&str],
        now: Millis,
    ) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        for subject in subject_hashes {
            sqlx::query("INSERT INTO login_failures (id, subject_hash, at) VALUES ($1, $2, $3)")
                .bind(uuid::Uuid::now_v7().to_string())
                .bind((*subject).to_owned())
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Notes one attempt of a subject and answers its id, so a limit that
    /// counts attempts before checking them can take it back
    /// ([`Store::forget_attempt`]).
    pub async fn record_attempt(
        &self,
        subject_hash: &str,
        now: Millis,
    ) -> Result<String, StoreError> {
        let id = uuid::Uuid::now_v7().to_string();
        let _writer = self.writer().await;
        sqlx::query("INSERT INTO login_failures (id, subject_hash, at) VALUES ($1, $2, $3)")
            .bind(id.clone())
            .bind(subject_hash.to_owned())
            .bind(now)
            .execute(self.pool())
            .await?;
        Ok(id)
    }

    /// How many attempts of a subject since `since` there are besides the
    /// one with id `except`, and when the latest of those was. Attempts
    /// recorded by other requests (or other instances) still being checked
    /// count too.
    pub async fn attempts_besides(
        &self,
        subject_hash: &str,
        since: Millis,
        except: &str,
    ) -> Result<(i64, Option<Millis>), StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS attempts, MAX(at) AS latest FROM login_failures \
             WHERE subject_hash = $1 AND at > $2 AND id <> $3",
        )
        .bind(subject_hash.to_owned())
        .bind(since)
        .bind(except.to_owned())
        .fetch_one(self.pool())
        .await?;
        Ok((row.try_get("attempts")?, row.try_get("latest")?))
    }

    /// Takes back one recorded attempt.
    pub async fn forget_attempt(&self, id: &str) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        sqlx::query("DELETE FROM login_failures WHERE id = $1")
            .bind(id.to_owned())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// How many attempts a subject made since `since`, and when the oldest
    /// of them was.
    pub async fn attempts_since(
        &self,
        subject_hash: &str,
        since: Millis,
    ) -> Result<(i64, Option<Millis>), StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS failures, MIN(at) AS oldest FROM login_failures WHERE subject_hash = $1 AND at > $2",
        )
        .bind(subject_hash.to_owned())
        .bind(since)
        .fetch_one(self.pool())
        .await?;
        Ok((row.try_get("failures")?, row.try_get("oldest")?))
    }

    /// Forgets a subject's attempts (failed logins, after a successful one).
    pub async fn clear_login_failures(&self, subject_hash: &str) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        sqlx::query("DELETE FROM login_failures WHERE subject_hash = $1")
            .bind(subject_hash.to_owned())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// How many open alerts the clinic has.
    pub async fn count_open_alerts(&self, clinic: &ClinicId) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS open FROM alerts WHERE clinic_id = $1 AND acknowledged_at IS NULL",
        )
        .bind(clinic.as_str().to_owned())
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get("open")?)
    }

    /// The clinic's open alerts, most serious first, then oldest first,
    /// with the client each is about; at most `limit`, after skipping `offset`.
    pub async fn dashboard_alerts(
        &self,
        clinic: &ClinicId,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<DashboardAlert>, StoreError> {
        // The page of alerts is chosen first, then joined to its clients:
        // joined the other way, SQLite's planner scanned every client of
        // the clinic once per alert (0.4 s for 500 alerts).
        let rows = sqlx::query(
            "SELECT a.id, a.clinic_id, a.treatment_id, a.decision_id, a.practitioner_id, a.level, a.created_at, \
             a.acknowledged_at, a.acknowledged_by, c.id AS client_id, c.name AS client_name, t.at AS treated_at \
             FROM (SELECT id, clinic_id, treatment_id, decision_id, practitioner_id, level, level_rank, created_at, \
                   acknowledged_at, acknowledged_by FROM alerts \
                   WHERE clinic_id = $1 AND acknowledged_at IS NULL \
                   ORDER BY level_rank DESC, created_at, id LIMIT $2 OFFSET $3) a \
             JOIN treatments t ON t.id = a.treatment_id AND t.clinic_id = a.clinic_id \
             JOIN clients c ON c.id = t.client_id AND c.clinic_id = a.clinic_id \
             ORDER BY a.level_rank DESC, a.created_at, a.id",
        )
        .bind(clinic.as_str().to_owned())
        .bind(limit)
        .bind(offset.max(0))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(DashboardAlert {
                    alert: alert(row)?,
                    client_id: ClientId::from_db(row.try_get("client_id")?),
                    client_name: row.try_get("client_name")?,
                    treated_at: row.try_get("treated_at")?,
                })
            })
            .collect()
    }

    /// What each of `alerts` (of this clinic) is about; alerts not found
    /// are left out. Two queries, whatever the number of alerts.
    pub async fn alert_findings(
        &self,
        clinic: &ClinicId,
        alerts: &[AlertId],
    ) -> Result<Vec<AlertFinding>, StoreError> {
        if alerts.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (0..alerts.len()).map(|at| format!("${}", at + 2)).collect();
        let sql = format!(
            "SELECT a.id, a.treatment_id, d.body AS decision, p.name AS acknowledged_by_name \
             FROM alerts a JOIN decisions d ON d.id = a.decision_id AND d.clinic_id = a.clinic_id \
             LEFT JOIN practitioners p ON p.id = a.acknowledged_by AND p.clinic_id = a.clinic_id \
             WHERE a.clinic_id = $1 AND a.id IN ({})",
            marks.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(clinic.as_str().to_owned());
        for id in alerts {
            query = query.bind(id.as_str().to_owned());
        }
        let rows = query.fetch_all(self.pool()).await?;
        let mut found = Vec::with_capacity(rows.len());
        let mut treatments: Vec<String> = Vec::new();
        for row in &rows {
            let treatment: String = row.try_get("treatment_id")?;
            if !treatments.contains(&treatment) {
                treatments.push(treatment.clone());
            }
            found.push((
                treatment,
                AlertFinding {
                    alert_id: AlertId::from_db(row.try_get("id")?),
                    decision: row.try_get("decision")?,
                    checkins: Vec::new(),
                    acknowledged_by_name: row.try_get("acknowledged_by_name")?,
                },
            ));
        }
        if treatments.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (0..treatments.len())
            .map(|at| format!("${}", at + 2))
            .collect();
        let sql = format!(
            "SELECT {CHECKIN_COLUMNS} FROM checkins WHERE clinic_id = $1 AND treatment_id IN ({}) \
             ORDER BY treatment_id, seq",
            marks.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(clinic.as_str().to_owned());
        for id in &treatments {
            query = query.bind(id.clone());
        }
        let checkins = query
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(stored_checkin)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(found
            .into_iter()
            .map(|(treatment, mut finding)| {
                finding.checkins = checkins
                    .iter()
                    .filter(|checkin| checkin.treatment_id.as_str() == treatment)
                    .cloned()
                    .collect();
                finding
            })
            .collect())
    }

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

    /// Starts a self-check diary holding `course` (check-in format JSON).
    pub async fn create_diary(
        &self,
        link_hash: &str,
        course: &str,
        now: Millis,
        expires_at: Millis,
    ) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        sqlx::query(
            "INSERT INTO selfcheck_diaries (id, link_hash, course, created_at, updated_at, expires_at) \
             VALUES ($1, $2, $3, $4, $4, $5)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(link_hash.to_owned())
        .bind(course.to_owned())
        .bind(now)
        .bind(expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Deletes what has expired: self-check diaries past their link's
    /// lifetime (and the answers in them), ended sessions, used or expired
    /// setup links, and failed logins from before `failures_before`.
    pub async fn sweep_expired(
        &self,
        now: Millis,
        failures_before: Millis,
    ) -> Result<Swept, StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        let mut removed = [0_u64; 6];
        let statements = [
            ("DELETE FROM selfcheck_diaries WHERE expires_at <= $1", now),
            ("DELETE FROM web_sessions WHERE expires_at <= $1", now),
            (
                "DELETE FROM setup_links WHERE expires_at <= $1 OR used_at IS NOT NULL",
                now,
            ),
            ("DELETE FROM login_failures WHERE at < $1", failures_before),
            ("DELETE FROM checkin_drafts WHERE expires_at <= $1", now),
            (
                "DELETE FROM password_resets WHERE expires_at <= $1 OR used_at IS NOT NULL",
                now,
            ),
        ];
        for ((sql, bound), count) in statements.into_iter().zip(&mut removed) {
            *count = sqlx::query(sql)
                .bind(bound)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        tx.commit().await?;
        let [
            diaries,
            sessions,
            setup_links,
            login_failures,
            drafts,
            password_resets,
        ] = removed;
        Ok(Swept {
            diaries,
            sessions,
            setup_links,
            login_failures,
            drafts,
            password_resets,
        })
    }

    /// The course a diary link opens, unless it is unknown or expired.
    pub async fn diary(&self, link_hash: &str, now: Millis) -> Result<String, StoreError> {
        let row =
            sqlx::query("SELECT course, expires_at FROM selfcheck_diaries WHERE link_hash = $1")
                .bind(link_hash.to_owned())
                .fetch_optional(self.pool())
                .await?
                .ok_or(StoreError::NotFound("diary"))?;
        if row.try_get::<Millis, _>("expires_at")? <= now {
            return Err(StoreError::LinkExpired);
        }
        Ok(row.try_get("course")?)
    }

    /// Replaces a diary's course, if the diary still holds `expected`
    /// (so two tabs cannot lose each other's check-ins).
    pub async fn update_diary(
        &self,
        link_hash: &str,
        expected: &str,
        course: &str,
        now: Millis,
    ) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        let done = sqlx::query(
            "UPDATE selfcheck_diaries SET course = $1, updated_at = $2 \
             WHERE link_hash = $3 AND course = $4 AND expires_at > $2",
        )
        .bind(course.to_owned())
        .bind(now)
        .bind(link_hash.to_owned())
        .bind(expected.to_owned())
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(
                "the diary changed meanwhile; reload it and try again".to_owned(),
            ));
        }
        Ok(())
    }
}

impl Store {
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
}

impl Store {
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
