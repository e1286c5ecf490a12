//! The records the store keeps, with typed ids.

use aftercare_core::{Checkin, Level, Treatment as TreatmentDetails};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// Declares a typed id: a UUIDv7 in text form, so ids of different
/// records cannot be mixed up and are not guessable counters.
macro_rules! typed_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A new, time-ordered id.
            pub fn generate() -> Self {
                $name(uuid::Uuid::now_v7().to_string())
            }

            /// Parses an id from outside; `None` unless it is a UUID.
            pub fn parse(text: &str) -> Option<Self> {
                uuid::Uuid::try_parse(text).ok().map(|id| $name(id.hyphenated().to_string()))
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Wraps text read from the database.
            pub(crate) fn from_db(text: String) -> Self {
                $name(text)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}
pub(crate) use typed_id;

typed_id!(
    /// A clinic.
    ClinicId
);
typed_id!(
    /// A practitioner account.
    PractitionerId
);
typed_id!(
    /// An API token (not the secret itself).
    TokenId
);
typed_id!(
    /// A client of a clinic.
    ClientId
);
typed_id!(
    /// A treatment.
    TreatmentId
);
typed_id!(
    /// A check-in.
    CheckinId
);
typed_id!(
    /// A decision.
    DecisionId
);
typed_id!(
    /// An alert.
    AlertId
);
typed_id!(
    /// An audit event.
    AuditId
);

/// A point in time, as Unix milliseconds UTC (how the store keeps times).
pub type Millis = i64;

/// A clinic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clinic {
    /// Id.
    pub id: ClinicId,
    /// Name.
    pub name: String,
    /// Created.
    pub created_at: Millis,
}

/// What a practitioner may do in their clinic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the clinic: adds practitioners, sees everything.
    Owner,
    /// Treats clients.
    Therapist,
}

impl Role {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Therapist => "therapist",
        }
    }

    pub(crate) fn from_db(text: &str) -> Role {
        if text == "owner" {
            Role::Owner
        } else {
            Role::Therapist
        }
    }
}

/// A practitioner account of a clinic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Practitioner {
    /// Id.
    pub id: PractitionerId,
    /// Clinic.
    pub clinic_id: ClinicId,
    /// Email, unique across the installation.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Created.
    pub created_at: Millis,
    /// When the owner deactivated the account; `None` while it is active.
    pub deactivated_at: Option<Millis>,
    /// Whether the password is one the owner chose, to be changed at the
    /// next sign-in before anything else.
    pub must_change_password: bool,
}

/// An API token's record; the secret itself is never stored, only a hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    /// Id.
    pub id: TokenId,
    /// Clinic.
    pub clinic_id: ClinicId,
    /// Whose token it is.
    pub practitioner_id: PractitionerId,
    /// A label to recognise it by.
    pub label: String,
    /// Created.
    pub created_at: Millis,
    /// Revoked, if it was.
    pub revoked_at: Option<Millis>,
}

/// Who is acting, for authorisation and the audit trail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// Their clinic: every query they make is scoped to it.
    pub clinic_id: ClinicId,
    /// The practitioner.
    pub practitioner_id: PractitionerId,
    /// Their role.
    pub role: Role,
}

/// A client of a clinic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    /// Id.
    pub id: ClientId,
    /// Clinic.
    pub clinic_id: ClinicId,
    /// Name.
    pub name: String,
    /// Email for invitations, if given.
    pub email: Option<String>,
    /// Phone, if given.
    pub phone: Option<String>,
    /// When the client consented to follow-up, if they have.
    pub consent_at: Option<Millis>,
    /// Created.
    pub created_at: Millis,
}

/// A new client.
#[derive(Clone, Debug)]
pub struct NewClient {
    /// Name.
    pub name: String,
    /// Email.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// When consent to follow-up was given, if it was.
    pub consent_at: Option<Millis>,
}

/// A treatment given to a client.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Treatment {
    /// Id.
    pub id: TreatmentId,
    /// Clinic.
    pub clinic_id: ClinicId,
    /// Client.
    pub client_id: ClientId,
    /// Who treated.
    pub practitioner_id: PractitionerId,
    /// What was done, in the check-in format.
    pub details: TreatmentDetails,
    /// Private notes of the therapist.
    pub notes: Option<String>,
    /// When the client's private link stops working.
    pub link_expires_at: Millis,
    /// Created.
    pub created_at: Millis,
}

/// A new treatment; the caller makes the link secret and passes its hash.
#[derive(Clone, Debug)]
pub struct NewTreatment {
    /// Client.
    pub client_id: ClientId,
    /// Who treated.
    pub practitioner_id: PractitionerId,
    /// What was done.
    pub details: TreatmentDetails,
    /// Private notes.
    pub notes: Option<String>,
    /// Hash of the client's link secret.
    pub link_hash: String,
    /// When the link expires.
    pub link_expires_at: Millis,
}

/// A stored check-in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredCheckin {
    /// Id.
    pub id: CheckinId,
    /// Treatment.
    pub treatment_id: TreatmentId,
    /// Position in the course, from 0.
    pub seq: i64,
    /// The report.
    pub checkin: Checkin,
    /// When the service received it.
    pub received_at: Millis,
}

/// A stored decision: the engine's JSON as it was given, with the
/// guideline that made it, so it can be shown and re-derived.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredDecision {
    /// Id.
    pub id: DecisionId,
    /// Treatment.
    pub treatment_id: TreatmentId,
    /// The check-in it answered.
    pub checkin_id: CheckinId,
    /// Level.
    pub level: Level,
    /// The decision JSON, byte for byte as made.
    pub body: Box<RawValue>,
    /// Guideline id.
    pub guideline_id: String,
    /// Guideline version.
    pub guideline_version: String,
    /// Made at.
    pub created_at: Millis,
}

impl PartialEq for StoredDecision {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && self.treatment_id == other.treatment_id
            && self.checkin_id == other.checkin_id
            && self.level == other.level
            && self.body.get() == other.body.get()
            && self.guideline_id == other.guideline_id
            && self.guideline_version == other.guideline_version
            && self.created_at == other.created_at
    }
}

/// An alert for a therapist: a decision at `contact_therapist` or above.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// Id.
    pub id: AlertId,
    /// Clinic.
    pub clinic_id: ClinicId,
    /// Treatment.
    pub treatment_id: TreatmentId,
    /// The decision that raised it.
    pub decision_id: DecisionId,
    /// The treating practitioner, who is told.
    pub practitioner_id: PractitionerId,
    /// Level of the decision.
    pub level: Level,
    /// Raised.
    pub created_at: Millis,
    /// Acknowledged, if it was.
    pub acknowledged_at: Option<Millis>,
    /// By whom.
    pub acknowledged_by: Option<PractitionerId>,
}

/// A treatment with its check-ins and decisions, oldest first.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CourseRecord {
    /// The treatment.
    pub treatment: Treatment,
    /// The check-ins.
    pub checkins: Vec<StoredCheckin>,
    /// The decisions.
    pub decisions: Vec<StoredDecision>,
}

impl CourseRecord {
    /// The level each check-in was answered with when it came, in order.
    /// A correction of the treatment adds a decision on the latest
    /// check-in: the answer from then on, not the one given then.
    pub fn answered_levels(&self) -> Vec<Level> {
        self.checkins
            .iter()
            .filter_map(|checkin| {
                self.decisions
                    .iter()
                    .find(|decision| decision.checkin_id == checkin.id)
                    .map(|decision| decision.level)
            })
            .collect()
    }

    /// The course in the check-in format.
    pub fn course(&self) -> aftercare_core::Course {
        aftercare_core::Course {
            treatment: self.treatment.details.clone(),
            checkins: self.checkins.iter().map(|c| c.checkin.clone()).collect(),
        }
    }
}

/// The result of submitting a check-in.
#[derive(Clone, Debug)]
pub struct Submitted {
    /// The stored check-in.
    pub checkin: StoredCheckin,
    /// Its decision.
    pub decision: StoredDecision,
    /// The alert it raised, if any.
    pub alert: Option<Alert>,
    /// True when the idempotency key matched an earlier submission and
    /// nothing new was stored.
    pub replayed: bool,
}

/// Who did something, for the audit trail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// A practitioner.
    Practitioner(PractitionerId),
    /// A client using the private link of a treatment.
    ClientLink(TreatmentId),
    /// The command line or the service itself.
    System,
}

impl Actor {
    pub(crate) fn to_db(&self) -> String {
        match self {
            Actor::Practitioner(id) => format!("practitioner:{id}"),
            Actor::ClientLink(id) => format!("client_link:{id}"),
            Actor::System => "system".to_owned(),
        }
    }
}

/// One line of the audit trail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// Id.
    pub id: AuditId,
    /// Clinic, if the event belongs to one.
    pub clinic_id: Option<ClinicId>,
    /// Who: `practitioner:<id>`, `client_link:<treatment id>` or `system`.
    pub actor: String,
    /// What, e.g. `checkin.create`, `course.read`.
    pub action: String,
    /// On what, e.g. `treatment:<id>`.
    pub subject: String,
    /// When.
    pub at: Millis,
    /// For a change: the names of the fields it touched, never their values.
    pub fields: Vec<String>,
}

/// A page of a list, oldest first, with the cursor for the next page.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Pass as `after` to get the next page; `None` on the last page.
    pub next: Option<String>,
}

/// Which page to read.
#[derive(Clone, Debug, Default)]
pub struct PageRequest {
    /// At most this many items (clamped to 1..=200; default 50).
    pub limit: Option<u32>,
    /// Only items after this cursor.
    pub after: Option<String>,
}

impl PageRequest {
    /// The effective limit.
    pub fn limit(&self) -> i64 {
        i64::from(self.limit.unwrap_or(50).clamp(1, 200))
    }
}
