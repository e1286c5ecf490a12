//! Views of a course: a treatment with its check-ins and decisions, for the
//! clinic and (without private notes) for the client.

use aftercare_store::{CourseRecord, StoredCheckin, StoredDecision};
use serde::Serialize;
use serde_json::value::RawValue;
use utoipa::ToSchema;

use crate::api::treatments::TreatmentView;
use crate::openapi::format::{CheckinFormat, DecisionFormat, TreatmentFormat};
use crate::time_format::rfc3339;

/// A stored check-in.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CheckinView {
    /// Id.
    id: String,
    /// Position in the course, from 0.
    seq: i64,
    /// When the service received it.
    #[schema(format = DateTime)]
    received_at: String,
    /// The report, in the check-in format.
    #[schema(value_type = CheckinFormat)]
    checkin: aftercare_core::Checkin,
}

impl From<StoredCheckin> for CheckinView {
    fn from(stored: StoredCheckin) -> Self {
        CheckinView {
            id: stored.id.to_string(),
            seq: stored.seq,
            received_at: rfc3339(stored.received_at),
            checkin: stored.checkin,
        }
    }
}

/// A stored decision, as the engine made it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DecisionView {
    /// Id.
    id: String,
    /// The check-in it answered.
    checkin_id: String,
    /// When it was made.
    #[schema(format = DateTime)]
    created_at: String,
    /// The decision, byte for byte as the engine made it.
    #[schema(value_type = DecisionFormat)]
    decision: Box<RawValue>,
}

impl From<StoredDecision> for DecisionView {
    fn from(stored: StoredDecision) -> Self {
        DecisionView {
            id: stored.id.to_string(),
            checkin_id: stored.checkin_id.to_string(),
            created_at: rfc3339(stored.created_at),
            decision: stored.body,
        }
    }
}

/// A treatment with its check-ins and decisions, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CourseView {
    /// The treatment.
    treatment: TreatmentView,
    /// The check-ins, oldest first.
    checkins: Vec<CheckinView>,
    /// The decisions, oldest first: one per check-in, and one more on the
    /// latest check-in after each correction of the treatment.
    decisions: Vec<DecisionView>,
}

impl From<CourseRecord> for CourseView {
    fn from(record: CourseRecord) -> Self {
        CourseView {
            treatment: record.treatment.into(),
            checkins: record.checkins.into_iter().map(CheckinView::from).collect(),
            decisions: record
                .decisions
                .into_iter()
                .map(DecisionView::from)
                .collect(),
        }
    }
}

/// What a client sees through their link: the treatment as recorded, their
/// own check-ins and the answers; never the therapist's notes.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct LinkCourseView {
    /// What was done, in the check-in format.
    #[schema(value_type = TreatmentFormat)]
    treatment: aftercare_core::Treatment,
    /// When the link stops working.
    #[schema(format = DateTime)]
    link_expires_at: String,
    /// The check-ins, oldest first.
    checkins: Vec<CheckinView>,
    /// The decisions, oldest first: one per check-in, and one more on the
    /// latest check-in after each correction of the treatment.
    decisions: Vec<DecisionView>,
}

impl From<CourseRecord> for LinkCourseView {
    fn from(record: CourseRecord) -> Self {
        LinkCourseView {
            treatment: record.treatment.details,
            link_expires_at: rfc3339(record.treatment.link_expires_at),
            checkins: record.checkins.into_iter().map(CheckinView::from).collect(),
            decisions: record
                .decisions
                .into_iter()
                .map(DecisionView::from)
                .collect(),
        }
    }
}

/// The answer to a check-in: what was stored and what it means.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SubmittedView {
    /// The stored check-in.
    checkin: CheckinView,
    /// The decision for it.
    decision: DecisionView,
}

impl SubmittedView {
    /// The view of a submission.
    pub(crate) fn new(checkin: StoredCheckin, decision: StoredDecision) -> SubmittedView {
        SubmittedView {
            checkin: checkin.into(),
            decision: decision.into(),
        }
    }
}
