//! The submitter's private follow-up page: status and the messages the handlers chose to
//! send, and a way to answer when asked for more. The link's token is the only key.

use crate::error::Result;
use crate::secret::hash_token;
use crate::{App, AppError};
use domain::FieldErrors;
use domain::submission::SubmissionStatus;
use domain::time::Timestamp;
use domain::triage::{MessageDirection, MessageKind, REPLY};
use store::events::{self, Actor, NewEvent};
use store::submissions::{self, MessageRow};

#[derive(Debug, Clone)]
pub struct FollowUp {
    pub reference: String,
    pub title: String,
    /// What the submitter wrote, shown back to them.
    pub description: String,
    pub affected: Option<String>,
    pub current_solution: Option<String>,
    /// An e-mail address was given (and not erased since): the handler can write back.
    pub has_email: bool,
    pub kind: domain::submission::SubmissionKind,
    pub status: SubmissionStatus,
    pub reject_reason: Option<String>,
    pub org_name: String,
    pub created_at: String,
    pub messages: Vec<MessageRow>,
    /// The cases the submission became part of, with their public status.
    pub cases: Vec<crate::cases::PublicStatus>,
}

impl FollowUp {
    /// The submitter may answer while the handler waits for them.
    pub fn can_reply(&self) -> bool {
        self.status == SubmissionStatus::AwaitingInfo
    }
}

fn looks_like_token(token: &str) -> bool {
    (16..=128).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_hexdigit())
}

#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn view(app: &App, token: &str) -> Result<FollowUp> {
    if !looks_like_token(token) {
        return Err(AppError::NotFound);
    }
    let mut tx = app.db.read().await?;
    let s = submissions::by_follow_up_hash(&mut tx, &hash_token(token))
        .await?
        .ok_or(AppError::NotFound)?;
    let messages = submissions::messages(&mut tx, &s.id).await?;
    let cases = crate::cases::public_status_of_submission(&mut tx, &s.id).await?;
    Ok(FollowUp {
        reference: s.reference,
        title: s.title,
        description: s.description,
        affected: s.affected,
        current_solution: s.current_solution,
        has_email: s.contact_email.is_some_and(|e| !e.is_empty()),
        kind: s.kind,
        status: s.status,
        reject_reason: s.reject_reason,
        org_name: s.org_name,
        created_at: s.created_at,
        messages,
        cases,
    })
}

/// The submitter's answer to a request for more information.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn reply(app: &App, token: &str, text: &str) -> Result<()> {
    if !looks_like_token(token) {
        return Err(AppError::NotFound);
    }
    let body = REPLY
        .parse_required(text)
        .map_err(|e| AppError::Validation(FieldErrors(vec![e])))?;
    let mut tx = app.db.write().await?;
    let s = submissions::by_follow_up_hash(&mut tx, &hash_token(token))
        .await?
        .ok_or(AppError::NotFound)?;
    if s.status != SubmissionStatus::AwaitingInfo {
        return Err(AppError::Conflict(crate::Conflict::NotAwaitingInfo));
    }
    let now = Timestamp::now().to_db();
    submissions::add_message(
        &mut tx,
        &s.id,
        MessageDirection::FromSubmitter,
        MessageKind::Reply,
        &body,
        None,
        &now,
    )
    .await?;
    submissions::update_triage(
        &mut tx,
        &s.id,
        &submissions::TriageUpdate {
            status: SubmissionStatus::InReview,
            org_id: &s.org_id,
            assignee_id: s.assignee_id.as_ref(),
            duplicate_of_id: s.duplicate_of_id.as_deref(),
            reject_reason: s.reject_reason.as_deref(),
            now: &now,
        },
    )
    .await?;
    events::append(
        &mut tx,
        NewEvent {
            actor: &Actor::Public,
            kind: "submission.reply_received",
            subject_type: "submission",
            subject_id: s.id.as_str(),
            org_id: Some(&s.org_id),
            payload: serde_json::json!({ "from": "awaiting_info", "to": "in_review" }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
