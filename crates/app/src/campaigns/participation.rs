//! Taking part: whether a join code names a campaign, joining it (with or without an
//! account), adding ideas, and what a participant's page shows.

use super::{MAX_IDEA, campaign, facilitator, participant, view};
use crate::error::Result;
use crate::secret::{hash_token, new_token};
use crate::{App, AppError, Caller};
use domain::campaign::{IdeaStatus, Phase};
use domain::text::TextRule;
use domain::time::Timestamp;
use domain::{ErrorCode, FieldErrors};
use serde::Deserialize;
use store::StoreError;
use store::campaigns::{self, CampaignRow, IdeaRow, ParticipantRow};
use store::events::{self, NewEvent};

const IDEA: TextRule = TextRule::paragraph("text", 2, MAX_IDEA);

/// Whether a campaign has this join code (any form of it the lookups accept).
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn exists(app: &App, code: &str) -> Result<bool> {
    let mut tx = app.db.read().await?;
    match campaign(&mut tx, code).await {
        Ok(_) => Ok(true),
        Err(AppError::Internal(e)) => Err(AppError::Internal(e)),
        Err(_) => Ok(false),
    }
}

/// A participant: their row and, when just created, their token (shown once).
pub struct Joined {
    pub participant: ParticipantRow,
    pub token: String,
}

/// Joins a campaign with its code; an account is optional.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn join(app: &App, caller: &Caller, code: &str) -> Result<Joined> {
    join_with_email(app, caller, code, "").await
}

/// Joins a campaign, leaving an address for the results when `email` is not empty (kept
/// for that mail only, never shown to anyone, erased with the person's data).
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn join_with_email(
    app: &App,
    caller: &Caller,
    code: &str,
    email: &str,
) -> Result<Joined> {
    let email = match email.trim() {
        "" => None,
        e => Some(
            domain::submission::Email::parse("email", e)
                .map_err(|e| AppError::Validation(domain::FieldErrors(vec![e])))?,
        ),
    };
    for _ in 0..5 {
        let mut tx = app.db.write().await?;
        let c = campaign(&mut tx, code).await?;
        if c.phase == Phase::Closed {
            return Err(AppError::Conflict(crate::Conflict::CampaignClosed));
        }
        let token = new_token(24)?;
        let now = Timestamp::now().to_db();
        let user_id = caller.user().map(|u| &u.id);
        match campaigns::insert_participant(&mut tx, &c.id, &hash_token(&token), user_id, &now)
            .await
        {
            Ok(participant) => {
                if let Some(e) = &email {
                    let address = crate::notify::address_key(e.as_str());
                    store::notify::set_participant_email(&mut tx, &participant.id, &address)
                        .await?;
                }
                tx.commit().await?;
                return Ok(Joined { participant, token });
            }
            // Two joined at once and took the same number: try again.
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Conflict(crate::Conflict::Busy))
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct IdeaInput {
    pub text: String,
}

/// Adds an idea (a concept, in a workshop). Participants add ideas while the phase takes
/// them; the facilitator may add at any time before voting ends. An idea over 500
/// characters is refused with its length.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn add_idea(
    app: &App,
    caller: &Caller,
    code: &str,
    participant_token: Option<&str>,
    input: &IdeaInput,
) -> Result<IdeaRow> {
    let len = input.text.trim().chars().count();
    if len > MAX_IDEA {
        return Err(AppError::field(
            "text",
            ErrorCode::TooLongWas { max: MAX_IDEA, len },
        ));
    }
    let text = IDEA
        .parse_required(&input.text)
        .map_err(|e| AppError::Validation(FieldErrors(vec![e])))?;
    let mut tx = app.db.write().await?;
    let c = campaign(&mut tx, code).await?;
    let (author, status) = match participant_token {
        Some(t) => {
            let p = participant(&mut tx, &c, t).await?;
            if !c.phase.takes_ideas() {
                return Err(AppError::Conflict(crate::Conflict::PhaseClosed));
            }
            let status = if c.require_approval {
                IdeaStatus::Pending
            } else {
                IdeaStatus::Active
            };
            (Some(p.id), status)
        }
        None => {
            facilitator(&mut tx, caller, &c).await?;
            if c.phase == Phase::Closed {
                return Err(AppError::Conflict(crate::Conflict::PhaseClosed));
            }
            (None, IdeaStatus::Active)
        }
    };
    let now = Timestamp::now().to_db();
    let idea = campaigns::insert_idea(&mut tx, &c.id, &text, author.as_ref(), status, &now).await?;
    events::append(
        &mut tx,
        NewEvent {
            actor: &caller.actor(),
            kind: "campaign.idea_added",
            subject_type: "campaign",
            subject_id: c.id.as_str(),
            org_id: Some(&c.org_id),
            payload: serde_json::json!({ "idea_id": idea.id, "status": status }),
        },
    )
    .await?;
    campaigns::notify_changed(&mut tx, &c.code, campaigns::Change::Campaign).await?;
    tx.commit().await?;
    app.changed(&c.code, campaigns::Change::Campaign);
    Ok(idea)
}

/// What a participant's page shows: the campaign and its active ideas.
pub struct Overview {
    pub campaign: CampaignRow,
    pub ideas: Vec<IdeaRow>,
    /// The participant's own record, when the token is theirs.
    pub participant: Option<ParticipantRow>,
}

#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn overview(app: &App, code: &str, token: Option<&str>) -> Result<Overview> {
    let v = view(app, code).await?;
    let participant = match token {
        Some(t) => {
            let mut tx = app.db.read().await?;
            participant(&mut tx, &v.row, t).await.ok()
        }
        None => None,
    };
    Ok(Overview {
        campaign: v.row.clone(),
        ideas: v
            .ideas
            .iter()
            .filter(|i| i.status == IdeaStatus::Active)
            .cloned()
            .collect(),
        participant,
    })
}
