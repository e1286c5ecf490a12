//! A clinic's follow-up settings: the plan, reminders, quiet time, time
//! zone, escalation and how clients are invited.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::{Channel, plan_hours_of, plan_hours_text};
use crate::model::{ClinicId, Millis};
use crate::secret::Secret;
use crate::{Store, StoreError};

/// A clinic's follow-up settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowupSettings {
    /// Planned check-ins, in hours after the treatment, ascending.
    pub plan_hours: Vec<u32>,
    /// How many reminders follow an unanswered invitation.
    pub reminder_count: u32,
    /// Minutes between an invitation and its first reminder, and between reminders.
    pub reminder_delay_minutes: u32,
    /// Hours an invitation waits for its check-in before it lapses.
    pub invitation_expiry_hours: u32,
    /// Start of the nightly quiet time, minutes after local midnight.
    pub quiet_start_minute: u32,
    /// End of the nightly quiet time, minutes after local midnight; equal
    /// to the start when there is no quiet time.
    pub quiet_end_minute: u32,
    /// The IANA time zone of the clinic and its clients, e.g. `Europe/Berlin`.
    pub time_zone: String,
    /// The clinic's country, an ISO 3166-1 alpha-2 code in upper case;
    /// `None` until the owner sets it. It decides which phone numbers
    /// clients are shown.
    #[serde(default)]
    pub country: Option<String>,
    /// Minutes after which an unacknowledged `see_doctor`-or-above alert is
    /// sent to the clinic's owners too; `None` for no escalation.
    pub escalation_minutes: Option<u32>,
    /// How clients are invited.
    pub client_channel: Channel,
    /// Where webhooks go, if the clinic set one.
    pub webhook_url: Option<String>,
    /// The key webhooks are signed with. `Debug` never prints it.
    #[serde(default, with = "crate::secret::exposed")]
    pub webhook_secret: Option<Secret>,
}

impl Default for FollowupSettings {
    fn default() -> Self {
        FollowupSettings {
            plan_hours: vec![6, 24, 72, 168],
            reminder_count: 1,
            reminder_delay_minutes: 4 * 60,
            invitation_expiry_hours: 24,
            quiet_start_minute: 21 * 60,
            quiet_end_minute: 8 * 60,
            time_zone: "UTC".to_owned(),
            country: None,
            escalation_minutes: None,
            client_channel: Channel::Email,
            webhook_url: None,
            webhook_secret: None,
        }
    }
}

fn to_u32(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

impl Store {
    /// A clinic's follow-up settings (the defaults until it sets its own).
    pub async fn followup_settings(
        &self,
        clinic: &ClinicId,
    ) -> Result<FollowupSettings, StoreError> {
        let row = sqlx::query(
            "SELECT plan_hours, reminder_count, reminder_delay_minutes, invitation_expiry_hours, \
             quiet_start_minute, quiet_end_minute, time_zone, escalation_minutes, client_channel, \
             webhook_url, webhook_secret, country FROM followup_settings WHERE clinic_id = $1",
        )
        .bind(clinic.as_str().to_owned())
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else {
            return Ok(FollowupSettings::default());
        };
        Ok(FollowupSettings {
            plan_hours: plan_hours_of(&row.try_get::<String, _>("plan_hours")?)?,
            reminder_count: to_u32(row.try_get("reminder_count")?),
            reminder_delay_minutes: to_u32(row.try_get("reminder_delay_minutes")?),
            invitation_expiry_hours: to_u32(row.try_get("invitation_expiry_hours")?),
            quiet_start_minute: to_u32(row.try_get("quiet_start_minute")?),
            quiet_end_minute: to_u32(row.try_get("quiet_end_minute")?),
            time_zone: row.try_get("time_zone")?,
            country: row.try_get("country")?,
            escalation_minutes: row
                .try_get::<Option<i64>, _>("escalation_minutes")?
                .map(to_u32),
            client_channel: Channel::from_db(&row.try_get::<String, _>("client_channel")?)?,
            webhook_url: row.try_get("webhook_url")?,
            webhook_secret: row
                .try_get::<Option<String>, _>("webhook_secret")?
                .map(Secret::from_text),
        })
    }

    /// Replaces a clinic's follow-up settings. The caller has validated them.
    pub async fn put_followup_settings(
        &self,
        clinic: &ClinicId,
        actor: &crate::Actor,
        settings: &FollowupSettings,
        now: Millis,
    ) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM followup_settings WHERE clinic_id = $1")
            .bind(clinic.as_str().to_owned())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO followup_settings (clinic_id, plan_hours, reminder_count, reminder_delay_minutes, \
             invitation_expiry_hours, quiet_start_minute, quiet_end_minute, time_zone, escalation_minutes, \
             client_channel, webhook_url, webhook_secret, updated_at, country) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(clinic.as_str().to_owned())
        .bind(plan_hours_text(&settings.plan_hours))
        .bind(i64::from(settings.reminder_count))
        .bind(i64::from(settings.reminder_delay_minutes))
        .bind(i64::from(settings.invitation_expiry_hours))
        .bind(i64::from(settings.quiet_start_minute))
        .bind(i64::from(settings.quiet_end_minute))
        .bind(settings.time_zone.clone())
        .bind(settings.escalation_minutes.map(i64::from))
        .bind(settings.client_channel.as_str().to_owned())
        .bind(settings.webhook_url.clone())
        .bind(
            settings
                .webhook_secret
                .as_ref()
                .map(|secret| secret.expose().to_owned()),
        )
        .bind(now)
        .bind(settings.country.clone())
        .execute(&mut *tx)
        .await?;
        crate::queries::audit(
            &mut tx,
            Some(clinic),
            actor,
            "followup_settings.update",
            &format!("clinic:{clinic}"),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_webhook_secret() {
        let settings = FollowupSettings {
            webhook_url: Some("https://hooks.example.com/aftercare".to_owned()),
            webhook_secret: Some(Secret::from_text("a-webhook-secret-nobody-should-see")),
            ..FollowupSettings::default()
        };
        let shown = format!("{settings:?} {settings:#?}");
        assert!(
            !shown.contains("a-webhook-secret-nobody-should-see"),
            "{shown}"
        );
        assert!(shown.contains("webhook_secret"), "{shown}");
    }

    #[test]
    fn serialising_keeps_the_webhook_secret_value() {
        let settings = FollowupSettings {
            webhook_secret: Some(Secret::from_text("sixteen-or-more-characters")),
            ..FollowupSettings::default()
        };
        let json = serde_json::to_value(&settings).expect("serialises");
        assert_eq!(json["webhook_secret"], "sixteen-or-more-characters");
        let back: FollowupSettings = serde_json::from_value(json).expect("deserialises");
        assert_eq!(back, settings);
    }
}
