//! The receiving function's actions on a submission, and which status each leads to.
//! Handlers are free to comment at any time; everything else needs an open submission,
//! except reopening, which needs a closed one.

use crate::error::{ErrorCode, FieldError, FieldErrors};
use crate::submission::SubmissionStatus;
use crate::text::TextRule;

pub const NOTE: TextRule = TextRule::paragraph("note", 1, 4000);
pub const MESSAGE: TextRule = TextRule::paragraph("message", 2, 4000);
pub const REASON_TEXT: TextRule = TextRule::paragraph("reason_text", 2, 4000);
pub const REPLY: TextRule = TextRule::paragraph("reply", 2, 4000);

crate::submission::string_enum!(
    /// Why a submission was turned down.
    RejectReason {
        NotInnovation => "not_innovation",
        OutOfScope => "out_of_scope",
        AlreadySolved => "already_solved",
        NotFeasible => "not_feasible",
        Other => "other",
    }
);

crate::submission::string_enum!(
    /// Which way a message between the receiving function and the submitter went.
    MessageDirection { ToSubmitter => "to_submitter", FromSubmitter => "from_submitter" }
);

crate::submission::string_enum!(
    /// What a message is: a request for more information, a message, the reason for a
    /// rejection, or the submitter's reply.
    MessageKind {
        RequestInfo => "request_info",
        Message => "message",
        Rejection => "rejection",
        Reply => "reply",
    }
);

/// One parsed action, with the ids it refers to still unresolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TriageAction {
    /// Assign to a handler (`None` = the acting user).
    Assign {
        user_id: Option<crate::id::UserId>,
    },
    Comment {
        note: String,
    },
    RequestInfo {
        message: String,
    },
    Message {
        message: String,
    },
    Reject {
        reason: RejectReason,
        message: String,
    },
    Forward {
        organisation: String,
        note: Option<String>,
    },
    MarkDuplicate {
        of_reference: String,
    },
    Accept {
        note: Option<String>,
    },
    Reopen {
        note: Option<String>,
    },
    /// Removes the submitter's name and e-mail address (on their request), in any status.
    EraseContact,
}

impl TriageAction {
    pub fn name(&self) -> &'static str {
        match self {
            TriageAction::Assign { .. } => "assign",
            TriageAction::Comment { .. } => "comment",
            TriageAction::RequestInfo { .. } => "request_info",
            TriageAction::Message { .. } => "message",
            TriageAction::Reject { .. } => "reject",
            TriageAction::Forward { .. } => "forward",
            TriageAction::MarkDuplicate { .. } => "mark_duplicate",
            TriageAction::Accept { .. } => "accept",
            TriageAction::Reopen { .. } => "reopen",
            TriageAction::EraseContact => "erase_contact",
        }
    }

    /// Parses an action from named raw fields, as sent by a form or the API.
    pub fn parse(raw: &ActionInput) -> Result<Self, FieldErrors> {
        let one = |e: FieldError| FieldErrors(vec![e]);
        let opt_note = || NOTE.optional().parse(&raw.note).map_err(one);
        match raw.action.trim() {
            "assign" => Ok(TriageAction::Assign {
                user_id: Some(raw.user_id.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .map(crate::id::UserId::from),
            }),
            "comment" => Ok(TriageAction::Comment {
                note: NOTE.parse_required(&raw.note).map_err(one)?,
            }),
            "request_info" => Ok(TriageAction::RequestInfo {
                message: MESSAGE.parse_required(&raw.message).map_err(one)?,
            }),
            "message" => Ok(TriageAction::Message {
                message: MESSAGE.parse_required(&raw.message).map_err(one)?,
            }),
            "reject" => {
                let mut errors = FieldErrors::new();
                let reason = RejectReason::parse(&raw.reason);
                if reason.is_none() {
                    errors.push(
                        "reason",
                        if raw.reason.trim().is_empty() {
                            ErrorCode::Required
                        } else {
                            ErrorCode::InvalidChoice
                        },
                    );
                }
                let message = errors.take(REASON_TEXT.parse_required(&raw.reason_text));
                match (reason, message) {
                    (Some(reason), Some(message)) => Ok(TriageAction::Reject { reason, message }),
                    _ => Err(errors),
                }
            }
            "forward" => {
                if raw.organisation.trim().is_empty() {
                    return Err(one(FieldError::new("organisation", ErrorCode::Required)));
                }
                Ok(TriageAction::Forward {
                    organisation: raw.organisation.trim().to_string(),
                    note: opt_note()?,
                })
            }
            "mark_duplicate" => {
                let r = raw.duplicate_of.trim();
                if r.is_empty() {
                    return Err(one(FieldError::new("duplicate_of", ErrorCode::Required)));
                }
                if r.len() > 60 {
                    return Err(one(FieldError::new(
                        "duplicate_of",
                        ErrorCode::UnknownSubmission,
                    )));
                }
                Ok(TriageAction::MarkDuplicate {
                    of_reference: r.to_string(),
                })
            }
            "accept" => Ok(TriageAction::Accept { note: opt_note()? }),
            "reopen" => Ok(TriageAction::Reopen { note: opt_note()? }),
            "erase_contact" => Ok(TriageAction::EraseContact),
            "" => Err(one(FieldError::new("action", ErrorCode::Required))),
            _ => Err(one(FieldError::new("action", ErrorCode::InvalidChoice))),
        }
    }

    /// The status after this action, or `None` if it is not allowed from `from`.
    pub fn next_status(&self, from: SubmissionStatus) -> Option<SubmissionStatus> {
        use SubmissionStatus as S;
        match self {
            TriageAction::Comment { .. } | TriageAction::EraseContact => Some(from),
            TriageAction::Reopen { .. } => (!from.is_open()).then_some(S::InReview),
            _ if !from.is_open() => None,
            TriageAction::Assign { .. } => Some(if from == S::New { S::InReview } else { from }),
            TriageAction::Message { .. } => Some(from),
            TriageAction::RequestInfo { .. } => Some(S::AwaitingInfo),
            TriageAction::Reject { .. } => Some(S::Rejected),
            TriageAction::Forward { .. } => Some(S::New),
            TriageAction::MarkDuplicate { .. } => Some(S::Duplicate),
            TriageAction::Accept { .. } => Some(S::Accepted),
        }
    }
}

/// Raw action fields; unused ones stay empty.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ActionInput {
    pub action: String,
    pub user_id: String,
    pub note: String,
    pub message: String,
    pub reason: String,
    pub reason_text: String,
    pub organisation: String,
    pub duplicate_of: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use SubmissionStatus as S;

    fn input(action: &str) -> ActionInput {
        ActionInput {
            action: action.into(),
            ..Default::default()
        }
    }

    #[test]
    fn transitions() {
        let reject = TriageAction::Reject {
            reason: RejectReason::NotInnovation,
            message: "Förbättringsarbete".into(),
        };
        assert_eq!(reject.next_status(S::New), Some(S::Rejected));
        assert_eq!(reject.next_status(S::Rejected), None);
        let assign = TriageAction::Assign { user_id: None };
        assert_eq!(assign.next_status(S::New), Some(S::InReview));
        assert_eq!(assign.next_status(S::AwaitingInfo), Some(S::AwaitingInfo));
        let comment = TriageAction::Comment { note: "x".into() };
        assert_eq!(comment.next_status(S::Accepted), Some(S::Accepted));
        let reopen = TriageAction::Reopen { note: None };
        assert_eq!(reopen.next_status(S::Duplicate), Some(S::InReview));
        assert_eq!(reopen.next_status(S::New), None);
        let forward = TriageAction::Forward {
            organisation: "x".into(),
            note: None,
        };
        assert_eq!(forward.next_status(S::InReview), Some(S::New));
    }

    #[test]
    fn parse_reject_needs_reason_and_text() {
        let e = TriageAction::parse(&input("reject")).unwrap_err();
        assert!(e.has("reason") && e.has("reason_text"));
        let mut raw = input("reject");
        raw.reason = "not_innovation".into();
        raw.reason_text = "Detta är förbättringsarbete och skickas till linjen.".into();
        assert!(matches!(
            TriageAction::parse(&raw),
            Ok(TriageAction::Reject {
                reason: RejectReason::NotInnovation,
                ..
            })
        ));
    }

    #[test]
    fn parse_unknown_action() {
        assert!(
            TriageAction::parse(&input("explode"))
                .unwrap_err()
                .has("action")
        );
        assert!(TriageAction::parse(&input("")).unwrap_err().has("action"));
        assert!(
            TriageAction::parse(&input("comment"))
                .unwrap_err()
                .has("note")
        );
    }
}
