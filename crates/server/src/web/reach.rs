//! Whether a message can go out from this service at all: email needs the
//! operator's SMTP settings, a webhook the clinic's follow-up settings.
//! Without either, no reminder reaches a client and no alert reaches a
//! therapist; pages then say so instead of promising a message. The
//! clinic's country says which numbers a client can call.

use aftercare_core::phone_numbers::{Country, numbers_for};
use aftercare_store::{Client, ClinicId};

use crate::scheduler::plan::client_route;
use crate::state::AppState;
use crate::web::error::WebError;

/// Who a message can reach.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Reach {
    /// An alert reaches the therapist by email or the clinic's webhook.
    pub(crate) therapist: bool,
    /// A reminder reaches the client (consent given, and a channel and an
    /// address to use).
    pub(crate) client: bool,
    /// The emergency and medical help numbers of the clinic's country;
    /// `None` until the owner sets a country this service knows.
    pub(crate) phones: Option<&'static Country>,
}

impl Reach {
    /// What a clinic's settings allow; `client` says whether this client
    /// can be reminded (`None`: no client in view).
    pub(crate) async fn of(
        state: &AppState,
        clinic: &ClinicId,
        client: Option<&Client>,
    ) -> Result<Reach, WebError> {
        let settings = state.store.followup_settings(clinic).await?;
        let email = state.settings.smtp.is_some();
        let therapist = email || settings.webhook_url.is_some();
        let client = client.is_some_and(|client| {
            client.consent_at.is_some()
                && client_route(
                    &settings,
                    email,
                    client.email.as_deref(),
                    client.phone.as_deref(),
                )
                .is_some()
        });
        let phones = settings.country.as_deref().and_then(numbers_for);
        Ok(Reach {
            therapist,
            client,
            phones,
        })
    }
}
