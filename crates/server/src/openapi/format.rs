//! Schemas of the check-in format (`shared/spec/checkin-format.md`), built
//! from the core's own vocabularies so the document cannot drift from what
//! the parser accepts. The core has no OpenAPI dependency, so they are
//! written here, by hand, once.

use std::borrow::Cow;

use aftercare_core::course::{CaffeineCups, DurationMinutes, SleepHours};
use aftercare_core::vocabulary::{
    Frequency, Hydration, Interference, Level, Modality, Pressure, Region, Severity, Side, Stress,
    SymptomKind,
};
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, KnownFormat, ObjectBuilder, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

/// A course: one treatment and the check-ins after it.
pub(crate) struct CourseFormat;
/// What was done to the person.
pub(crate) struct TreatmentFormat;
/// One report from the person.
pub(crate) struct CheckinFormat;
/// A triage decision.
pub(crate) struct DecisionFormat;
/// A triage level.
pub(crate) struct LevelFormat;

impl PartialSchema for CourseFormat {
    fn schema() -> RefOr<Schema> {
        strict_object("One treatment and the check-ins that followed it, oldest first.")
            .property("treatment", reference("Treatment"))
            .required("treatment")
            .property(
                "checkins",
                ArrayBuilder::new()
                    .items(reference("Checkin"))
                    .description(Some(
                        "The check-ins, oldest first; the last one is triaged.",
                    )),
            )
            .into()
    }
}

impl ToSchema for CourseFormat {
    fn name() -> Cow<'static, str> {
        "Course".into()
    }
}

impl PartialSchema for TreatmentFormat {
    fn schema() -> RefOr<Schema> {
        strict_object("What was done to the person.")
            .property("at", timestamp("When the treatment happened."))
            .required("at")
            .property(
                "modality",
                names(
                    Modality::ALL.iter().map(|v| v.as_str()),
                    "The kind of therapy.",
                ),
            )
            .required("modality")
            .property(
                "pressure",
                optional_names(
                    Pressure::ALL.iter().map(|v| v.as_str()),
                    "The pressure used.",
                ),
            )
            .property(
                "duration_min",
                ObjectBuilder::new()
                    .schema_type(nullable(Type::Integer))
                    .minimum(Some(DurationMinutes::MIN))
                    .maximum(Some(DurationMinutes::MAX))
                    .description(Some("How long the treatment lasted, in whole minutes.")),
            )
            .property("regions", regions("The regions worked on."))
            .into()
    }
}

impl ToSchema for TreatmentFormat {
    fn name() -> Cow<'static, str> {
        "Treatment".into()
    }
}

impl PartialSchema for CheckinFormat {
    fn schema() -> RefOr<Schema> {
        strict_object("One report from the person.")
            .property(
                "at",
                timestamp(
                    "When the report was made; not before the treatment or an earlier check-in.",
                ),
            )
            .required("at")
            .property(
                "symptoms",
                ArrayBuilder::new().items(symptom()).description(Some(
                    "What the person feels; empty means nothing to report.",
                )),
            )
            .required("symptoms")
            .property("context", context())
            .property(
                "note",
                ObjectBuilder::new()
                    .schema_type(nullable(Type::String))
                    .description(Some("Free text from the person; never used by the rules.")),
            )
            .into()
    }
}

impl ToSchema for CheckinFormat {
    fn name() -> Cow<'static, str> {
        "Checkin".into()
    }
}

impl PartialSchema for LevelFormat {
    fn schema() -> RefOr<Schema> {
        names(
            Level::ALL.iter().map(|v| v.as_str()),
            "A triage level, least serious first: expected < self_care < contact_therapist < see_doctor < urgent < emergency.",
        )
        .into()
    }
}

impl ToSchema for LevelFormat {
    fn name() -> Cow<'static, str> {
        "Level".into()
    }
}

impl PartialSchema for DecisionFormat {
    fn schema() -> RefOr<Schema> {
        let reason = ObjectBuilder::new()
            .description(Some(
                "A rule that fired, with the evidence that made it fire.",
            ))
            .property("rule", string("The rule id."))
            .required("rule")
            .property("level", reference("Level"))
            .required("level")
            .property("why", string("Why, in plain words."))
            .required("why")
            .property(
                "evidence",
                strings("Paths into the course of what the rule matched."),
            )
            .required("evidence")
            .property("sources", strings("Guidance ids the rule stands on."))
            .required("sources")
            .property(
                "earlier",
                ObjectBuilder::new()
                    .schema_type(Type::Object)
                    .description(Some(
                        "Present when this reason is a red flag reported at an earlier check-in and not yet resolved: \
                         it did not fire on the last check-in, raises no new alert, and its level may have eased with time.",
                    ))
                    .property("checkin", index("Index of the check-in that reported it."))
                    .required("checkin")
                    .property("at", timestamp("When that check-in was made."))
                    .required("at")
                    .property("level", reference("Level"))
                    .required("level"),
            )
            .property(
                "assessed",
                ObjectBuilder::new()
                    .schema_type(Type::Object)
                    .description(Some(
                        "Present when a clinician has assessed this finding and it is reported again unchanged or milder: \
                         the reason is held at see_doctor.",
                    ))
                    .property(
                        "checkin",
                        index("Index of the check-in that said a clinician had seen it."),
                    )
                    .required("checkin")
                    .property("rule_level", reference("Level"))
                    .required("rule_level"),
            );
        let guideline = ObjectBuilder::new()
            .description(Some("The guideline that decided."))
            .property("id", string("Guideline id."))
            .required("id")
            .property("version", string("Guideline version."))
            .required("version");
        ObjectBuilder::new()
            .description(Some("A triage decision; the same course and guideline version always give the same bytes."))
            .property("level", reference("Level"))
            .required("level")
            .property("summary", string("One plain-language sentence for the person."))
            .required("summary")
            .property(
                "reasons",
                ArrayBuilder::new()
                    .items(reason)
                    .description(Some("Every rule that fired, highest level first, with the red flags still open from earlier check-ins.")),
            )
            .required("reasons")
            .property("advice", strings("What to do, most important first."))
            .required("advice")
            .property(
                "next_checkin_hours",
                ObjectBuilder::new()
                    .schema_type(nullable(Type::Integer))
                    .minimum(Some(0))
                    .description(Some("Hours until the next check-in; null when none is needed.")),
            )
            .required("next_checkin_hours")
            .property("guideline", guideline)
            .required("guideline")
            .property("disclaimer", string("That this is decision support, not a diagnosis."))
            .required("disclaimer")
            .into()
    }
}

impl ToSchema for DecisionFormat {
    fn name() -> Cow<'static, str> {
        "Decision".into()
    }
}

/// One symptom.
fn symptom() -> ObjectBuilder {
    strict_object("One symptom, answered on PRO-CTCAE style scales.")
        .property(
            "kind",
            names(SymptomKind::ALL.iter().map(|v| v.as_str()), "What it is."),
        )
        .required("kind")
        .property(
            "severity",
            optional_names(
                Severity::ALL.iter().map(|v| v.as_str()),
                "How bad it is; none means it has gone, whatever else the entry says. \
                 Fever: mild feeling feverish, moderate hot and shivery, severe measured 38 °C or more, \
                 very_severe shaking that cannot be stopped. Bruising: mild up to a coin, moderate up to a palm, \
                 severe larger than a palm, very_severe most of a limb or of the back.",
            ),
        )
        .property(
            "frequency",
            optional_names(
                Frequency::ALL.iter().map(|v| v.as_str()),
                "How often it happens.",
            ),
        )
        .property(
            "interference",
            optional_names(
                Interference::ALL.iter().map(|v| v.as_str()),
                "How much it gets in the way of daily activities.",
            ),
        )
        .property("regions", regions("Where it is."))
        .property(
            "side",
            optional_names(
                Side::ALL.iter().map(|v| v.as_str()),
                "Which side; left or right means one side only.",
            ),
        )
        .property("painful", optional_boolean("Whether it hurts."))
        .property("sudden", optional_boolean("Whether it came on suddenly."))
        .property(
            "warm_or_red",
            optional_boolean("Whether the area is warm, red or discoloured."),
        )
        .property(
            "while_lying_down",
            optional_boolean(
                "fainting only: fainted while lying down, on the treatment table too.",
            ),
        )
        .property(
            "while_exercising",
            optional_boolean("fainting only: fainted while exercising."),
        )
        .property(
            "seizure",
            optional_boolean("fainting only: jerking or a fit with it."),
        )
        .property(
            "injured",
            optional_boolean("fainting only: hurt in the fall."),
        )
}

/// Circumstances of a check-in.
fn context() -> ObjectBuilder {
    strict_object("Circumstances that make some reactions more likely; all optional.")
        .property(
            "hydration",
            optional_names(
                Hydration::ALL.iter().map(|v| v.as_str()),
                "How well hydrated.",
            ),
        )
        .property(
            "sleep_hours",
            optional_number(SleepHours::MIN, SleepHours::MAX, "Hours slept last night."),
        )
        .property(
            "stress",
            optional_names(Stress::ALL.iter().map(|v| v.as_str()), "Stress level."),
        )
        .property(
            "caffeine_cups",
            optional_number(
                CaffeineCups::MIN,
                CaffeineCups::MAX,
                "Caffeinated drinks today.",
            ),
        )
        .property(
            "new_medication",
            optional_boolean("Started a new medicine recently."),
        )
        .property(
            "strenuous_exercise",
            optional_boolean("Did strenuous exercise since the treatment."),
        )
        .property("pregnant", optional_boolean("Is pregnant."))
        .property("anticoagulants", optional_boolean("Takes blood thinners."))
        .property(
            "seen_by_clinician",
            optional_boolean(
                "Since the last check-in a doctor, nurse or urgent-care service has assessed what was reported.",
            ),
        )
}

/// An object that refuses unknown fields, as the parser does.
fn strict_object(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(description))
        .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(false)))
}

/// A `$ref` to a schema of this document.
fn reference(name: &str) -> RefOr<Schema> {
    RefOr::Ref(utoipa::openapi::Ref::from_schema_name(name))
}

/// One of a closed list of names.
fn names(values: impl Iterator<Item = &'static str>, description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .description(Some(description))
}

/// One of a closed list of names, or `null` for not stated.
fn optional_names(values: impl Iterator<Item = &'static str>, description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(nullable(Type::String))
        .enum_values(Some(
            values
                .map(serde_json::Value::from)
                .chain([serde_json::Value::Null]),
        ))
        .description(Some(description))
}

/// A type or `null`.
fn nullable(kind: Type) -> SchemaType {
    SchemaType::from_iter([kind, Type::Null])
}

/// A list of regions.
fn regions(description: &str) -> ArrayBuilder {
    ArrayBuilder::new()
        .items(names(
            Region::ALL.iter().map(|v| v.as_str()),
            "A body region.",
        ))
        .description(Some(description))
}

/// An RFC 3339 timestamp.
fn timestamp(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
        .description(Some(description))
}

/// A string.
fn string(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
}

/// A position in a list, from 0.
fn index(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(0))
        .description(Some(description))
}

/// A list of strings.
fn strings(description: &str) -> ArrayBuilder {
    ArrayBuilder::new()
        .items(ObjectBuilder::new().schema_type(Type::String))
        .description(Some(description))
}

/// An optional answer, where `null` means not stated, as the parser has it.
fn optional_boolean(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(nullable(Type::Boolean))
        .description(Some(description))
}

/// An optional number in a closed range; `null` means not stated.
fn optional_number(min: f64, max: f64, description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(nullable(Type::Number))
        .minimum(Some(min))
        .maximum(Some(max))
        .description(Some(description))
}
