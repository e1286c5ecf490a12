//! Follow-up: each treatment's plan, the invitations it sends, the outbox
//! of messages (invitations, reminders, alerts) and its delivery log.
//!
//! The scheduler in the server decides *what* to send and *when*; this
//! module holds the operations it needs, each one transaction: find work
//! (treatments without a plan, plans with new check-ins, expired
//! invitations, alerts not yet notified), apply a decision, claim due
//! messages under a lease, and record how sending went.
//!
//! Work is found by scanning tables rather than by hooks in the check-in
//! path, so submitting a check-in stays exactly as it is. Every write that
//! several instances might race on is guarded: plans and alert notices have
//! primary keys, messages a unique `dedupe_key`, plan updates compare the
//! count of check-ins they saw, and claims take rows under `FOR UPDATE SKIP
//! LOCKED` on PostgreSQL (SQLite has one writer).
//!
//! The operations are split by domain: `settings` (a clinic's follow-up
//! settings), `plans` (each treatment's plan and the planner's lease),
//! `invitations` (opening, ending and lapsing them), `alerts` (turning
//! alerts into messages and escalating them), `outbox` (queueing, claiming
//! and finishing messages) and `delivery_log` (what the clinic sees).

mod alerts;
mod delivery_log;
mod invitations;
mod marks;
mod outbox;
mod plan_writes;
mod plan_writes_postgres;
mod plans;
mod settings;

use serde::{Deserialize, Serialize};

use crate::StoreError;

pub use alerts::{AlertToEscalate, AlertToNotify};
pub use delivery_log::{DeliveryEvent, FollowupRecord, InvitationRecord, MessageRecord};
pub use invitations::{InvitationEnd, LapsedInvitation, NewInvitation};
pub use marks::PlanningMark;
pub(crate) use outbox::queue_messages;
pub use outbox::{Channel, ClaimedMessage, MessageKind, MessageStatus, NewMessage, SendOutcome};
pub(crate) use plan_writes::update_plans_on;
pub use plans::{PlanNext, PlanToAdvance, PlanUpdate, UnplannedTreatment};
pub use settings::FollowupSettings;

crate::model::typed_id!(
    /// An invitation to check in.
    InvitationId
);
crate::model::typed_id!(
    /// A message of the outbox.
    MessageId
);

fn plan_hours_of(text: &str) -> Result<Vec<u32>, StoreError> {
    serde_json::from_str(text).map_err(|error| StoreError::Corrupt(format!("plan hours: {error}")))
}

fn plan_hours_text(hours: &[u32]) -> String {
    serde_json::to_string(hours).unwrap_or_else(|_| unreachable!("numbers always serialize"))
}
