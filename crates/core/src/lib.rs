//! Aftercare's core: the check-in format, guidelines and the triage engine.
//!
//! Everything here is pure: no I/O, no clock, no async. The service, the
//! CLI and the web app share it, so a decision is made the same way
//! wherever it is asked for.

pub mod course;
pub mod decision;
pub mod error;
pub mod guideline;
pub mod impact;
pub mod phone_numbers;
pub mod safety;
pub mod sources;
pub mod triage;
pub mod vocabulary;

pub use course::{Checkin, Context, Course, Symptom, Timestamp, Treatment};
pub use decision::{Decision, Evidence, Reason};
pub use error::{GuidelineError, InputError, parse_json};
pub use guideline::Guideline;
pub use triage::{CourseMemory, triage, triage_remembering};
pub use vocabulary::{Level, Modality, Region, Severity, SymptomKind};
