//! The pages of the check-in by name ([`Step`]), the order of the
//! symptom pages, and what the draft's fields say about one symptom.

use aftercare_core::SymptomKind;

use crate::web::checkin_form::detail_fields;
use crate::web::form::FormData;
use crate::web::questions::{WARNING_SIGNS, is_warning_sign};

/// One page of the check-in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// When and what the treatment was (a first self-check only).
    Treatment,
    /// How each thing reported last time is now (later check-ins only).
    Last,
    /// What the person feels now.
    Feel,
    /// The questions about one symptom.
    Symptom(SymptomKind),
    /// The background questions.
    Background,
    /// Anything else to say.
    Note,
    /// Every answer in words, and "Send".
    Check,
}

/// What a fainting page asks about beside it, each its own symptom: the
/// warning questions of the design note on check-in questions.
pub(super) const FAINTING_WITH: [SymptomKind; 7] = [
    SymptomKind::ChestPain,
    SymptomKind::Breathlessness,
    SymptomKind::Palpitations,
    SymptomKind::Weakness,
    SymptomKind::CoordinationLoss,
    SymptomKind::Confusion,
    SymptomKind::SpeechDifficulty,
];

/// The order of the symptom pages: fainting first (its page can add
/// others, whose pages then follow), the warning signs, then the rest.
pub(super) fn symptom_order() -> impl Iterator<Item = SymptomKind> {
    std::iter::once(SymptomKind::Fainting)
        .chain(
            WARNING_SIGNS
                .iter()
                .copied()
                .filter(|kind| *kind != SymptomKind::Fainting),
        )
        .chain(
            SymptomKind::ALL
                .iter()
                .copied()
                .filter(|kind| !is_warning_sign(*kind)),
        )
}

impl Step {
    /// The step's name in `?step=` and the `step` field.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Step::Treatment => "treatment",
            Step::Last => "last",
            Step::Feel => "feel",
            Step::Symptom(kind) => kind.as_str(),
            Step::Background => "background",
            Step::Note => "note",
            Step::Check => "check",
        }
    }

    /// The step a name names, if any.
    pub(crate) fn parse(name: &str) -> Option<Step> {
        let fixed = [
            Step::Treatment,
            Step::Last,
            Step::Feel,
            Step::Background,
            Step::Note,
            Step::Check,
        ];
        fixed
            .into_iter()
            .find(|step| step.name() == name)
            .or_else(|| {
                SymptomKind::ALL
                    .iter()
                    .find(|kind| kind.as_str() == name)
                    .map(|kind| Step::Symptom(*kind))
            })
    }

    /// Where the step comes in the check-in.
    pub(super) fn rank(self) -> usize {
        match self {
            Step::Treatment => 0,
            Step::Last => 1,
            Step::Feel => 2,
            Step::Symptom(kind) => 10 + symptom_order().position(|k| k == kind).unwrap_or(0),
            Step::Background => 100,
            Step::Note => 101,
            Step::Check => 102,
        }
    }
}

/// Whether the fields hold any answer about `kind` beyond the tick and
/// "it has gone".
pub(super) fn has_detail(kind: SymptomKind, fields: &[(String, String)]) -> bool {
    let prefix = format!("{kind}.");
    fields.iter().any(|(name, value)| {
        name.strip_prefix(&prefix).is_some_and(|suffix| {
            suffix != "gone" && detail_fields(kind).contains(&suffix) && !value.trim().is_empty()
        })
    })
}

/// Whether the fields say `kind` has gone.
pub(super) fn said_gone(kind: SymptomKind, form: &FormData) -> bool {
    form.get(&format!("{kind}.gone")) == Some("yes")
}
