//! Clinic follow-up settings, read once per pass.

use std::collections::HashMap;

use aftercare_store::{ClinicId, FollowupSettings, StoreError};

/// Clinic settings read once per pass.
#[derive(Default)]
pub(super) struct SettingsCache(HashMap<ClinicId, FollowupSettings>);

impl SettingsCache {
    pub(super) async fn of(
        &mut self,
        store: &aftercare_store::Store,
        clinic: &ClinicId,
    ) -> Result<&FollowupSettings, StoreError> {
        if !self.0.contains_key(clinic) {
            let settings = store.followup_settings(clinic).await?;
            self.0.insert(clinic.clone(), settings);
        }
        Ok(self
            .0
            .get(clinic)
            .unwrap_or_else(|| unreachable!("inserted above")))
    }
}
