//! The words of each kind of message. Plain, calm, short; never a symptom
//! or a decision, only who asks and where to look.

use aftercare_store::{ClaimedMessage, MessageKind};

/// A message's content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Content {
    /// The subject line (email) or title (webhook).
    pub subject: String,
    /// The plain text body.
    pub body: String,
    /// The link the message is about.
    pub link: String,
}

/// The line every message ends with.
const DECISION_SUPPORT: &str = "Aftercare gives decision support; it is not a diagnosis.";

impl Content {
    /// The content of `message`; `link` is the client's private link for
    /// invitations and reminders, the course's page for the others.
    pub fn of(message: &ClaimedMessage, link: String) -> Content {
        let clinic = &message.clinic_name;
        let (subject, opening) = match message.kind {
            // A therapist sent the client a new link by hand.
            _ if message.is_new_link() => (
                format!("{clinic}: your private link"),
                format!(
                    "{clinic} sends you a new private link to tell them how you are feeling \
                     after your treatment:"
                ),
            ),
            MessageKind::Invitation => (
                format!("{clinic}: how are you after your treatment?"),
                format!(
                    "{clinic} would like to hear how you are feeling after your treatment. \
                     Answering takes about a minute, through your private link:"
                ),
            ),
            MessageKind::Reminder => (
                format!("{clinic}: a reminder to check in"),
                format!(
                    "A gentle reminder: {clinic} would still like to hear how you are feeling \
                     after your treatment. Your private link:"
                ),
            ),
            MessageKind::Alert => (
                format!("{clinic}: a check-in needs your attention"),
                "A client's check-in needs your attention. Open the course to see it:".to_owned(),
            ),
            MessageKind::Escalation => (
                format!("{clinic}: an alert is still waiting"),
                "An alert about one of the clinic's clients has not been acknowledged yet. \
                 Open the course to see it:"
                    .to_owned(),
            ),
            MessageKind::MissedCheckin => (
                format!("{clinic}: a check-in did not arrive"),
                "A client who was asked to check in again after a check-in that needed \
                 attention has not answered. Open the course to see it:"
                    .to_owned(),
            ),
        };
        let privacy = if message.kind.is_for_client() {
            "\nThe link is yours alone; please do not share it. It replaces the link in any \
             earlier message from us.\n"
        } else {
            ""
        };
        let body = format!("Hello,\n\n{opening}\n\n{link}\n{privacy}\n{DECISION_SUPPORT}\n");
        Content {
            subject,
            body,
            link,
        }
    }
}
