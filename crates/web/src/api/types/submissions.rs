//! Submissions: the public's submission, the inbox and triage actions.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::openapi::schema::Object;
use utoipa::{IntoParams, ToSchema};

use super::{Loose, Named, one_of};
use app::inbox::InboxQuery;
use domain::FieldErrors;
use domain::submission::{SubmissionInput, SubmissionKind, SubmissionStatus, SubmitterRole};
use domain::triage::{ActionInput, RejectReason};
use store::events::EventRow;
use store::submissions::{MessageRow, SubmissionRow};

pub(crate) fn kinds() -> Object {
    one_of(SubmissionKind::ALL.iter().map(|k| k.as_str()))
}

pub(crate) fn roles() -> Object {
    one_of(SubmitterRole::ALL.iter().map(|k| k.as_str()))
}

fn statuses() -> Object {
    one_of(SubmissionStatus::ALL.iter().map(|k| k.as_str()))
}

/// A need, idea or solution offer, as sent. Every field is read leniently: a value of the
/// wrong type is a refused field, like a value out of bounds.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(examples(json!({
    "kind": "need",
    "title": "Köer i receptionen",
    "description": "Patienter står i kö vid receptionen varje morgon trots bokad tid.",
    "submitter_role": "patient",
    "organisation": "enhet-st",
    "contact_name": "Anna Andersson",
    "contact_email": "anna@example.se"
})))]
pub struct NewSubmission {
    #[schema(schema_with = kinds, required = true)]
    #[serde(default)]
    pub kind: Loose<String>,
    #[schema(value_type = String, min_length = 5, max_length = 120, required = true)]
    #[serde(default)]
    pub title: Loose<String>,
    #[schema(value_type = String, min_length = 20, max_length = 5000, required = true)]
    #[serde(default)]
    pub description: Loose<String>,
    /// Who is affected.
    #[schema(value_type = String, max_length = 2000)]
    #[serde(default)]
    pub affected: Loose<String>,
    /// How it is solved today.
    #[schema(value_type = String, max_length = 2000)]
    #[serde(default)]
    pub current_solution: Loose<String>,
    #[schema(schema_with = roles, required = true)]
    #[serde(default)]
    pub submitter_role: Loose<String>,
    /// Slug of the receiving organisation; the first region if left out.
    #[schema(value_type = String)]
    #[serde(default)]
    pub organisation: Loose<String>,
    #[schema(value_type = String, max_length = 100)]
    #[serde(default)]
    pub contact_name: Loose<String>,
    #[schema(value_type = String, format = Email)]
    #[serde(default)]
    pub contact_email: Loose<String>,
    /// Consent to the handling of personal data, collected by the client's own form. If
    /// sent, it must be true.
    #[schema(value_type = bool)]
    #[serde(default)]
    pub consent: Loose<bool>,
}

impl NewSubmission {
    /// The use case's input, and the fields whose values were of the wrong type.
    pub fn into_input(self) -> (SubmissionInput, FieldErrors) {
        let mut errors = FieldErrors::new();
        // An API client collects consent in its own form; an explicit `false` is refused.
        let require_consent = !matches!(self.consent, Loose::Absent);
        let consent = match self.consent {
            Loose::Absent | Loose::Null => true,
            Loose::Given(b) => b,
            Loose::Wrong => {
                errors.push("consent", domain::ErrorCode::InvalidFormat);
                false
            }
        };
        let input = SubmissionInput {
            kind: self.kind.text("kind", &mut errors),
            title: self.title.text("title", &mut errors),
            description: self.description.text("description", &mut errors),
            affected: self.affected.text("affected", &mut errors),
            current_solution: self.current_solution.text("current_solution", &mut errors),
            submitter_role: self.submitter_role.text("submitter_role", &mut errors),
            organisation: self.organisation.text("organisation", &mut errors),
            contact_name: self.contact_name.text("contact_name", &mut errors),
            contact_email: self.contact_email.text("contact_email", &mut errors),
            consent,
            require_consent,
        };
        (input, errors)
    }
}

/// The submitter's receipt.
#[derive(Debug, Serialize, ToSchema)]
pub struct Receipt {
    pub id: String,
    /// The diarienummer, e.g. `2026/00042`.
    pub reference: String,
    /// The private follow-up link. Shown once.
    pub follow_up_url: String,
}

/// The inbox's filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxFilter {
    /// Only submissions in this status.
    #[param(schema_with = statuses)]
    #[serde(default)]
    pub status: String,
    /// Only this kind.
    #[param(schema_with = kinds)]
    #[serde(default)]
    pub kind: String,
    /// Only submissions from this kind of submitter.
    #[param(schema_with = roles)]
    #[serde(default)]
    pub submitter_role: String,
    /// Slug of an organisation the caller can see.
    #[serde(default)]
    pub unit: String,
    /// `me`, or a user id.
    #[serde(default)]
    pub assignee: String,
    /// Received on or after this date (UTC).
    #[param(format = Date)]
    #[serde(default)]
    pub from: String,
    /// Received on or before this date (UTC).
    #[param(format = Date)]
    #[serde(default)]
    pub to: String,
    /// Words in the title or reference.
    #[serde(default)]
    pub q: String,
    /// Page number, 25 per page.
    #[param(value_type = i64, minimum = 1)]
    #[serde(default)]
    pub page: String,
}

impl From<InboxFilter> for InboxQuery {
    fn from(f: InboxFilter) -> Self {
        InboxQuery {
            status: f.status,
            kind: f.kind,
            submitter_role: f.submitter_role,
            unit: f.unit,
            assignee: f.assignee,
            from: f.from,
            to: f.to,
            q: f.q,
            page: f.page,
        }
    }
}

/// A submission as the inbox lists it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Submission {
    pub id: String,
    pub reference: String,
    pub kind: String,
    pub title: String,
    pub status: String,
    pub submitter_role: String,
    pub organisation: Named,
    pub assignee: Option<Assignee>,
    /// The reference of the submission this one duplicates.
    pub duplicate_of: Option<String>,
    pub reject_reason: Option<String>,
    pub channel: String,
    pub created_at: String,
    pub updated_at: String,
}

/// Who handles a submission.
#[derive(Debug, Serialize, ToSchema)]
pub struct Assignee {
    pub id: String,
    pub name: Option<String>,
}

impl From<&SubmissionRow> for Submission {
    fn from(s: &SubmissionRow) -> Self {
        Submission {
            id: s.id.as_str().into(),
            reference: s.reference.clone(),
            kind: s.kind.as_str().into(),
            title: s.title.clone(),
            status: s.status.as_str().into(),
            submitter_role: s.submitter_role.as_str().into(),
            organisation: Named {
                id: s.org_id.to_string(),
                name: s.org_name.clone(),
            },
            assignee: s.assignee_id.as_ref().map(|id| Assignee {
                id: id.as_str().into(),
                name: s.assignee_name.clone(),
            }),
            duplicate_of: s.duplicate_of_reference.clone(),
            reject_reason: s.reject_reason.clone(),
            channel: s.channel.clone(),
            created_at: s.created_at.clone(),
            updated_at: s.updated_at.clone(),
        }
    }
}

/// One page of the inbox.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubmissionPage {
    pub items: Vec<Submission>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    pub per_page: i64,
}

/// One submission with its messages and events.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubmissionDetail {
    #[serde(flatten)]
    pub submission: Submission,
    pub description: String,
    pub affected: Option<String>,
    pub current_solution: Option<String>,
    /// How to reach the submitter: only for those who handle the submission.
    pub contact: Option<Contact>,
    pub messages: Vec<Message>,
    pub events: Vec<Event>,
}

/// How to reach a submitter.
#[derive(Debug, Serialize, ToSchema)]
pub struct Contact {
    pub name: Option<String>,
    pub email: Option<String>,
}

/// A message to or from the submitter.
#[derive(Debug, Serialize, ToSchema)]
pub struct Message {
    pub direction: String,
    pub kind: String,
    pub body: String,
    pub created_at: String,
}

impl From<&MessageRow> for Message {
    fn from(m: &MessageRow) -> Self {
        Message {
            direction: m.direction.as_str().into(),
            kind: m.kind.as_str().into(),
            body: m.body.clone(),
            created_at: m.created_at.clone(),
        }
    }
}

/// One event of the log.
#[derive(Debug, Serialize, ToSchema)]
pub struct Event {
    pub id: String,
    pub occurred_at: String,
    pub actor: Actor,
    pub kind: String,
    /// What the event recorded; process events carry the version they made (`v`).
    pub payload: Value,
}

/// Who caused an event.
#[derive(Debug, Serialize, ToSchema)]
pub struct Actor {
    pub kind: String,
    pub id: Option<String>,
    pub name: Option<String>,
}

impl From<&EventRow> for Event {
    fn from(e: &EventRow) -> Self {
        Event {
            id: e.id.clone(),
            occurred_at: e.occurred_at.clone(),
            actor: Actor {
                kind: e.actor_kind.clone(),
                id: e.actor_id.as_ref().map(|u| u.as_str().into()),
                name: e.actor_name.clone(),
            },
            kind: e.kind.clone(),
            payload: serde_json::from_str(&e.payload).unwrap_or(Value::Null),
        }
    }
}

fn actions() -> Object {
    one_of([
        "assign",
        "comment",
        "request_info",
        "message",
        "reject",
        "forward",
        "mark_duplicate",
        "accept",
        "reopen",
        "erase_contact",
    ])
}

fn reasons() -> Object {
    one_of(RejectReason::ALL.iter().map(|r| r.as_str()))
}

/// A triage action, read leniently like a submission.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(examples(json!({ "action": "comment", "note": "Ringde verksamheten om behovet." })))]
pub struct Action {
    #[schema(schema_with = actions, required = true)]
    #[serde(default)]
    pub action: Loose<String>,
    /// assign: the handler; yourself if left out.
    #[schema(value_type = String)]
    #[serde(default)]
    pub user_id: Loose<String>,
    /// comment (required), forward, accept, reopen.
    #[schema(value_type = String)]
    #[serde(default)]
    pub note: Loose<String>,
    /// request_info, message: shown to the submitter.
    #[schema(value_type = String)]
    #[serde(default)]
    pub message: Loose<String>,
    /// reject.
    #[schema(schema_with = reasons)]
    #[serde(default)]
    pub reason: Loose<String>,
    /// reject: the explanation shown to the submitter.
    #[schema(value_type = String)]
    #[serde(default)]
    pub reason_text: Loose<String>,
    /// forward: slug of a unit in the same region.
    #[schema(value_type = String)]
    #[serde(default)]
    pub organisation: Loose<String>,
    /// mark_duplicate: the reference of the original.
    #[schema(value_type = String)]
    #[serde(default)]
    pub duplicate_of: Loose<String>,
}

impl Action {
    pub fn into_input(self) -> (ActionInput, FieldErrors) {
        let mut errors = FieldErrors::new();
        let input = ActionInput {
            action: self.action.text("action", &mut errors),
            user_id: self.user_id.text("user_id", &mut errors),
            note: self.note.text("note", &mut errors),
            message: self.message.text("message", &mut errors),
            reason: self.reason.text("reason", &mut errors),
            reason_text: self.reason_text.text("reason_text", &mut errors),
            organisation: self.organisation.text("organisation", &mut errors),
            duplicate_of: self.duplicate_of.text("duplicate_of", &mut errors),
        };
        (input, errors)
    }
}

/// A submission's status after an action.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionDone {
    pub id: String,
    pub status: String,
}
